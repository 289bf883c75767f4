"""Where ``bereik build`` spends its time: one build with timers around its main calls.

Runs ``accessibility.build.run_build`` in this process with ``time.perf_counter`` wrappers
around the functions the build calls, looked up by name (a name that does not exist in this
version of the engine is listed as missing, not an error), and prints JSON: total seconds,
bereik's own stage timings, and seconds and call counts per wrapped function. Used by
``benchmarks/run.py``.

Usage::

    python benchmarks/build_breakdown.py EXTRACT OUT_DIR
"""

from __future__ import annotations

import collections
import functools
import importlib
import json
import sys
import time
from pathlib import Path

#: (module, attribute, label): the calls worth timing, as the build reaches them
TARGETS = (
    ("accessibility.build", "read_osm", "read_osm (one pyosmium pass)"),
    ("accessibility.build", "build_network", "build_network (per profile)"),
    ("accessibility.indicators", "snap_points", "snap_points (villages, facilities)"),
    ("accessibility.indicators", "router_for", "router_for (virtual nodes + 4 CSR matrices)"),
    ("accessibility.engine", "arcs_to_csr", "arcs_to_csr (inside router_for)"),
    ("accessibility.engine", "arcs_to_csr_multi", "arcs_to_csr_multi (inside router_for)"),
    ("accessibility.engine.StreetRouter", "nearest_source", "nearest_source (one Dijkstra each)"),
    ("accessibility.engine.StreetRouter", "counts_within", "counts_within (counts within radii)"),
    ("accessibility.residents.ResidentFigures", "add", "ResidentFigures.add (over persons)"),
    ("accessibility.build", "municipality_indicators", "municipality_indicators"),
    ("accessibility.build", "cbs_nabijheid_table", "cbs_nabijheid_table"),
    ("geopandas.GeoDataFrame", "to_file", "GeoDataFrame.to_file (GeoPackage layers)"),
    ("geopandas.GeoDataFrame", "to_crs", "GeoDataFrame.to_crs (edges to WGS84)"),
    ("geopandas.GeoDataFrame", "to_parquet", "GeoDataFrame.to_parquet"),
    ("pandas.DataFrame", "to_parquet", "DataFrame.to_parquet"),
    ("pandas.DataFrame", "to_csv", "DataFrame.to_csv"),
    ("accessibility.network.Network", "save", "Network.save (npz)"),
)


def _owner(path: str) -> object:
    """A module, or a class given as ``module.Class``."""
    try:
        return importlib.import_module(path)
    except ImportError:
        mod, _, attr = path.rpartition(".")
        return getattr(importlib.import_module(mod), attr)


def main(argv: list[str]) -> int:
    """Instrument, build, print JSON."""
    seconds: dict[str, float] = collections.defaultdict(float)
    calls: collections.Counter[str] = collections.Counter()
    missing = []
    for owner_path, name, label in TARGETS:
        owner = _owner(owner_path)
        fn = getattr(owner, name, None)
        if fn is None:
            missing.append(f"{owner_path}.{name}")
            continue

        def wrapped(*a, _fn=fn, _label=label, **k):
            t = time.perf_counter()
            try:
                return _fn(*a, **k)
            finally:
                seconds[_label] += time.perf_counter() - t
                calls[_label] += 1

        setattr(owner, name, functools.wraps(fn)(wrapped))

    from accessibility.build import run_build
    from accessibility.params import BuildParams

    t = time.perf_counter()
    res = run_build(BuildParams(extract=Path(argv[0])), argv[1], force=True)
    total = time.perf_counter() - t
    out = {
        "total_s": total,
        "stages_s": res.timings_s,
        "calls": {k: {"s": seconds[k], "n": calls[k]} for k in seconds},
        "missing": missing,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
