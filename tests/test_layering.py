"""The layers of the code base (style.md, section 2, and docs/architecture.md).

``accessibility`` never imports the web layer (fastapi, starlette, pydantic_settings,
uvicorn) nor the ``app`` package; ``broadband`` imports none of them and not
``accessibility`` either. Each check imports every module of a package in a fresh
interpreter and looks at what got loaded.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB = ("fastapi", "starlette", "pydantic_settings", "uvicorn", "app")

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    forbidden = {forbidden!r}
    imported = []
    for pkg_name in {packages!r}:
        pkg = importlib.import_module(pkg_name)
        imported.append(pkg_name)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg_name + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
    bad = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
    print("imported:", ",".join(imported))
    print("forbidden:", ",".join(bad))
    """
)


def _import_all(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> dict[str, str]:
    script = SCRIPT.format(forbidden=forbidden, packages=packages)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return {k: v.strip() for k, _, v in (line.partition(":") for line in proc.stdout.splitlines())}


def test_domain_packages_do_not_import_the_web_layer():
    out = _import_all(("accessibility", "broadband"), WEB)
    modules = out["imported"].split(",")
    assert "accessibility.build" in modules and "broadband.overlay" in modules
    assert "accessibility.isochrones" in modules and "accessibility.model" in modules
    assert out["forbidden"] == "", f"domain modules loaded {out['forbidden']}"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("accessibility", WEB), ("broadband", (*WEB, "accessibility"))],
)
def test_each_domain_package_alone(package, forbidden):
    out = _import_all((package,), forbidden)
    assert f"{package}.errors" in out["imported"].split(",")
    assert out["forbidden"] == "", f"{package} loaded {out['forbidden']}"
