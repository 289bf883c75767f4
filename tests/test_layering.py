"""The domain libraries never import the web layer (style.md, section 2).

Imports every module of ``accessibility`` and ``broadband`` in a fresh interpreter and
checks that none of them loaded fastapi, starlette, pydantic_settings or the app package.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("fastapi", "starlette", "pydantic_settings", "app", "uvicorn")

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    forbidden = {forbidden!r}
    imported = []
    for pkg_name in ("accessibility", "broadband"):
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


def test_domain_packages_do_not_import_the_web_layer():
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(forbidden=FORBIDDEN)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = {k: v.strip() for k, _, v in (line.partition(":") for line in proc.stdout.splitlines())}
    modules = out["imported"].split(",")
    assert "accessibility.build" in modules and "broadband.overlay" in modules
    assert "accessibility.isochrones" in modules and "accessibility.model" in modules
    assert out["forbidden"] == "", f"domain modules loaded {out['forbidden']}"
