"""Run an OSRM Table (car, MLD) on an extract; executed by a Python 3.12 interpreter.

Usage: python osrm_table.py EXTRACT WORKDIR < request.json > response.json
request: {"sources": [[lon, lat], ...], "destinations": [[lon, lat], ...]}
response: {"durations": [[s, ...]], "distances": [[m, ...]], "sources": [...snapped...]}
This file runs outside bereik's environment (osrm-bindings needs Python >= 3.12).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import osrm

extract, work = Path(sys.argv[1]), Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
pbf = work / extract.name
if not pbf.exists():
    shutil.copy(extract, pbf)
base = work / extract.name.split(".")[0]
pkg = Path(osrm.__file__).parent
bins = pkg / "bin"
profile = pkg / "share" / "profiles" / "car.lua"
if not base.with_suffix(".osrm.mldgr").exists():
    for cmd in (
        [bins / "osrm-extract", "-p", profile, pbf],
        [bins / "osrm-partition", base.with_suffix(".osrm")],
        [bins / "osrm-customize", base.with_suffix(".osrm")],
    ):
        subprocess.run([str(c) for c in cmd], check=True, capture_output=True)
req = json.load(sys.stdin)
engine = osrm.OSRM(
    storage_config=str(base.with_suffix(".osrm")), algorithm="MLD", use_shared_memory=False
)
coords = req["sources"] + req["destinations"]
params = osrm.TableParameters(
    coordinates=[tuple(c) for c in coords],
    sources=list(range(len(req["sources"]))),
    destinations=list(range(len(req["sources"]), len(coords))),
    annotations=["duration", "distance"],
)
res = engine.Table(params)
out = {
    "durations": res["durations"],
    "distances": res["distances"],
    "sources": [s["location"] for s in res["sources"]],
}
json.dump(out, sys.stdout, default=lambda o: list(o) if hasattr(o, "__iter__") else str(o))
