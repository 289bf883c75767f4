"""OSRM peer for benchmarks/run.py: MLD preprocessing and one Table query, timed.

Runs inside a Python 3.12 venv that has ``osrm-bindings`` (abi3 wheels need 3.12+), started
by ``benchmarks/run.py`` as a subprocess, never imported by it. Input is a JSON file::

    {"pbf": "...", "workdir": "...", "threads": 1, "repeats": 3,
     "sources": [[lon, lat], ...], "destinations": [[lon, lat], ...]}

Output (JSON on the path given as the second argument): seconds for ``osrm-extract``
(with the bundled ``car.lua``), ``osrm-partition``, ``osrm-customize``, loading the engine
and the Table query (best of ``repeats``), plus the ``durations`` (s) and ``distances`` (m)
matrices, sources x destinations (``null`` where OSRM found no route).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path


def _run(cmd: list[str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        msg = f"{Path(cmd[0]).name} failed ({proc.returncode}): " + " | ".join(tail)
        raise RuntimeError(msg)
    return dt


def main(argv: list[str]) -> int:
    """Preprocess, query, write the result JSON."""
    import osrm

    spec = json.loads(Path(argv[0]).read_text())
    pkg = Path(osrm.__file__).parent
    bindir = pkg / "bin"
    profile = pkg / "share" / "profiles" / "car.lua"
    work = Path(spec["workdir"])
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    pbf = work / "input.osm.pbf"
    shutil.copyfile(spec["pbf"], pbf)
    base = work / "input.osrm"
    threads = str(spec.get("threads", 1))
    out: dict = {"osrm_bindings": version("osrm-bindings"), "threads": int(threads)}
    out["extract_s"] = _run([str(bindir / "osrm-extract"), "-p", str(profile), str(pbf),
                             "-t", threads])  # fmt: skip
    out["partition_s"] = _run([str(bindir / "osrm-partition"), str(base), "-t", threads])
    out["customize_s"] = _run([str(bindir / "osrm-customize"), str(base), "-t", threads])

    t = time.perf_counter()
    engine = osrm.OSRM(storage_config=str(base), algorithm="MLD", use_shared_memory=False)
    out["load_s"] = time.perf_counter() - t

    src = [tuple(p) for p in spec["sources"]]
    dst = [tuple(p) for p in spec["destinations"]]
    params = osrm.TableParameters(
        coordinates=src + dst,
        sources=list(range(len(src))),
        destinations=list(range(len(src), len(src) + len(dst))),
        annotations=["duration", "distance"],
    )
    best = float("inf")
    res = None
    for _ in range(int(spec.get("repeats", 3))):
        t = time.perf_counter()
        res = engine.Table(params)
        best = min(best, time.perf_counter() - t)
    out["table_s"] = best
    out["durations"] = [list(row) for row in res["durations"]]
    out["distances"] = [list(row) for row in res["distances"]]
    out["n_sources"] = len(src)
    out["n_destinations"] = len(dst)
    Path(argv[1]).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
