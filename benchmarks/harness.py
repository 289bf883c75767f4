"""What the benchmark scripts share: progress lines, peak memory, children, timers, slopes.

Imported by the scripts of this folder (``python benchmarks/<script>.py`` puts it on the
path); every child process is a fresh interpreter running the same script with
``--child``, whose peak resident memory the parent reads with ``os.wait4``.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024.0  # ru_maxrss is in KiB on Linux


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def maxrss_mb() -> float:
    """This process's peak resident memory so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB


def slope(x1: float, y1: float, x2: float, y2: float) -> float | None:
    """Log-log slope between two points (None when a value is not positive)."""
    if min(x1, y1, x2, y2) <= 0 or x1 == x2:
        return None
    return math.log(y2 / y1) / math.log(x2 / x1)


class Marks:
    """Wall time and peak resident memory at named points of a child."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.points: list[dict] = []

    def mark(self, label: str) -> None:
        self.points.append({"at": label, "s": round(time.perf_counter() - self.t0, 3),
                            "maxrss_mb": round(maxrss_mb(), 1)})  # fmt: skip


def patch(owner_path: str, name: str, around: Callable) -> bool:
    """Replace ``owner.name`` by ``around(fn)``; False (nothing done) when it is missing.

    ``owner_path`` is a module or a class inside one (``accessibility.engine.StreetRouter``).
    """
    try:
        owner = importlib.import_module(owner_path)
    except ImportError:
        mod, _, attr = owner_path.rpartition(".")
        owner = getattr(importlib.import_module(mod), attr)
    fn = getattr(owner, name, None)
    if fn is None:
        return False
    setattr(owner, name, functools.wraps(fn)(around(fn)))
    return True


def run_child(script: str, args: list[str], spec: dict, spec_path: Path, out_path: Path,
              what: str) -> dict:  # fmt: skip
    """Run ``script --child *args spec out`` in a fresh interpreter; its result, wall, peak RSS."""
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}  # fmt: skip
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, script, "--child", *args, str(spec_path),
                             str(out_path)], env=env)  # fmt: skip
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        msg = f"child {what} failed with exit code {code}"
        raise RuntimeError(msg)
    res = json.loads(out_path.read_text())
    res["wall_s"] = wall
    res["peak_rss_mb"] = usage.ru_maxrss / MB
    spec_path.unlink(missing_ok=True)
    return res
