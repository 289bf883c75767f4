"""Peers (OSRM) need Python >= 3.12: find one, make a venv once per session, or skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _python312() -> list[str] | None:
    """A command that runs Python 3.12+, or None."""
    candidates: list[tuple[list[str], dict[str, str]]] = []
    for name in ("python3.13", "python3.12"):
        exe = shutil.which(name)
        if exe:
            candidates.append(([exe], {}))
    if sys.version_info >= (3, 12):
        candidates.append(([sys.executable], {}))
    if shutil.which("pyenv"):
        for v in ("3.12.1", "3.13.0"):
            candidates.append((["python3"], {"PYENV_VERSION": v}))
    for cmd, env in candidates:
        try:
            out = subprocess.run(
                [*cmd, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                capture_output=True,
                text=True,
                env={**os.environ, **env},
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == "True":
            if env:
                real = subprocess.run(
                    [*cmd, "-c", "import sys; print(sys.executable)"],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, **env},
                )
                return [real.stdout.strip()]
            return cmd
    return None


@pytest.fixture(scope="session")
def osrm_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Python of a fresh 3.12 venv with osrm-bindings, or skip with the reason."""
    py = _python312()
    if py is None:
        pytest.skip("OSRM cross-check needs Python >= 3.12 (osrm-bindings); none found")
    venv = tmp_path_factory.mktemp("osrm-venv")
    subprocess.run([*py, "-m", "venv", str(venv)], check=True, capture_output=True)
    exe = venv / "bin" / "python"
    r = subprocess.run(
        [str(exe), "-m", "pip", "install", "-q", "osrm-bindings"], capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.skip(f"osrm-bindings could not be installed: {r.stderr.strip()[-300:]}")
    return exe
