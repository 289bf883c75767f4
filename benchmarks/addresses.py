"""Benchmark of the address stage: 10k, 100k and 1M SYNTHETIC addresses on a 1M-node grid.

What ``bereik build --addresses FILE --residents-column residents`` adds to a build, measured
side by side for each size on the same SYNTHETIC 1000 x 1000 street grid
(``scripts/make_synthetic_grid.py``, 1,000,000 car nodes) with SYNTHETIC addresses
(``scripts/make_synthetic_addresses.py``: clustered around the grid's villages plus a rural
share, 1-5 residents each) and 10 x 10 SYNTHETIC municipalities (``--boundaries``):

* **read**: ``origins.origins_from_file`` (GeoParquet);
* **assign**: ``origins.assign_origins`` (municipality, nearest village within 2 km in the
  same municipality, else the buitengebied; weights) and the empty ``ResidentFigures``;
* **indicators, extra**: ``indicators.village_indicators`` run twice on the same networks,
  villages and facilities, without and with ``origins=``; the difference is the address
  share (snapping the addresses, the bigger graph every search runs on, the counts within
  the rings per address, the lookups and the aggregation over persons in
  ``ResidentFigures.add``), broken down by timers around those calls;
* **write**: ``writer.write_persons`` (the per-person tables, ``addresses.parquet``, the
  GeoPackage ``residents`` layer), ``writer.write_nabijheid`` (the CBS tables) and the
  manifest's origins section as the build writes it.

The car profile only by default (``--profiles`` to change): CBS measures on the car
network and ``addresses.parquet`` keeps the car distances; every further profile repeats
the indicator work. The categories are the bundled ones (the grid has GPs, supermarkets and
primary schools; the other categories have no facility and cost only their aggregation).

Next to it, the **least work**: read the address points, project them, snap every address
to its nearest graph node with a ``scipy.spatial.cKDTree``, one array lookup per address
and category in the ``dijkstra(min_only=True)`` result of that category on the reversed CSR
(the search the villages need anyway: timed, but not counted), write the distances
(Parquet). No municipalities, villages, weights, travel times, counts or statistics.

Each size runs in a child process of its own (a fresh interpreter); its peak resident
memory is the child's ``ru_maxrss`` (``os.wait4``), which counts numpy and C allocations
too. The grid's networks, villages and facilities are prepared once (``prep``, also a child)
and loaded by every child; the preparation is not part of the address stage.

Usage::

    python benchmarks/addresses.py                    # 10k, 100k, 1M (about 10 minutes)
    python benchmarks/addresses.py --sizes 10000,100000 --out /tmp/a.md
    python benchmarks/addresses.py --profile 1000000  # + cProfile of one size
    python benchmarks/addresses.py --render-only benchmarks/.work/addresses/results.json

Writes ``docs/benchmarks-addresses.md`` and the raw numbers
``benchmarks/.work/addresses/results.json``; grids, address files, prepared networks and
outputs go to ``benchmarks/.work/`` (git-ignored).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import collections
import gc
import importlib
import json
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import harness
import numpy as np
from harness import Marks, log, maxrss_mb, patch

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
AWORK = WORK / "addresses"
ADDRESS_SCRIPT = ROOT / "scripts" / "make_synthetic_addresses.py"
DOC = ROOT / "docs" / "benchmarks-addresses.md"
#: the issue's targets for 1M addresses, and what counts as linear growth
TARGET_SIZE = 1_000_000
TARGET_S = 60.0
TARGET_RSS_GB = 4.0
LINEAR_EXPONENT = 1.1
#: the stages of the address work, in order (seconds per size)
STAGES = ("read", "assign", "indicators_extra", "write")
LEAST_STAGES = ("read", "project", "snap", "lookup", "write")


# --- timers around library calls (looked up by name; a missing name is listed, not an error) ---
class Timers:
    """Seconds and calls per wrapped function, and per-call sizes where asked."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = collections.defaultdict(float)
        self.calls: collections.Counter[str] = collections.Counter()
        self.sized: dict[str, list[tuple]] = collections.defaultdict(list)
        self.missing: list[str] = []
        self.active: list[str] = []  # the wrapped calls under way (the caller's context)

    def wrap(self, owner_path: str, name: str, label: str, size=None) -> None:
        """Time ``owner.name`` as ``label``; ``size(*args)`` is recorded per call."""

        def around(fn):
            def wrapped(*a, **k):
                context = list(self.active)
                self.active.append(label)
                t = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    dt = time.perf_counter() - t
                    self.active.pop()
                    self.seconds[label] += dt
                    self.calls[label] += 1
                    if size is not None:
                        self.sized[label].append((size(*a, **k), dt, context))

            return wrapped

        if not patch(owner_path, name, around):
            self.missing.append(f"{owner_path}.{name}")

    def take(self) -> dict:
        """The numbers so far, then start again from zero."""
        out = {
            "seconds": dict(self.seconds),
            "calls": dict(self.calls),
            "sized": {k: list(v) for k, v in self.sized.items()},
        }
        self.seconds.clear()
        self.calls.clear()
        self.sized.clear()
        return out


def _len1(_net, x, *_a, **_k) -> int:
    return len(x)


def _pair(_self, origins, targets, **_k) -> list[int]:
    return [len(origins), len(targets)]


def install_timers() -> Timers:
    """Wrap the calls the address stage makes (indicator pass and writes)."""
    t = Timers()
    t.wrap("accessibility.indicators", "snap_points", "snap_points", size=_len1)
    t.wrap("accessibility.indicators", "router_for", "router_for (virtual nodes + CSR)")
    t.wrap("accessibility.engine.StreetRouter", "nearest_source", "nearest_source")
    t.wrap("accessibility.engine.StreetRouter", "counts_within", "counts_within", size=_pair)
    t.wrap("accessibility.indicators", "_origin_values", "_origin_values")
    t.wrap("accessibility.indicators", "_category_frame", "_category_frame")
    t.wrap("accessibility.residents.ResidentFigures", "add", "ResidentFigures.add")
    for m in ("village_table", "municipality_table", "nabijheid", "address_table"):
        t.wrap("accessibility.residents.ResidentFigures", m, f"ResidentFigures.{m}")
    t.wrap("accessibility.writer", "gpkg_layer", "gpkg_layer (GeoPackage residents layer)")
    t.wrap("geopandas.GeoDataFrame", "to_parquet", "GeoDataFrame.to_parquet (addresses)")
    t.wrap("pandas.DataFrame", "to_csv", "DataFrame.to_csv (person tables)")
    return t


# --- preparation: the grid's networks, villages, facilities (once, not measured as address work)
def prep_dir(args_or_spec) -> Path:
    """Folder of the prepared grid (per grid side and profile set)."""
    g = args_or_spec["grid"]
    return AWORK / f"prep-grid-{g}-{'-'.join(args_or_spec['profiles'])}"


def child_prep(spec: dict) -> dict:
    """Read the grid, build the networks, facilities, villages (as ``bereik build`` does)."""
    from accessibility.crs import choose_metric_crs
    from accessibility.facilities import facilities_from_osm, load_categories
    from accessibility.network import build_network, project_osm
    from accessibility.osm import read_osm
    from accessibility.profiles import load_profiles
    from accessibility.villages import assign_municipality, boundaries_from_file, villages_from_osm

    t0 = time.perf_counter()
    rules = load_categories()
    osm = read_osm(spec["pbf"], poi_keys=rules.keys)
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    xy = project_osm(osm, crs)
    profiles = load_profiles().select(tuple(spec["profiles"]))
    nets = {p.name: build_network(osm, p, crs=crs, xy=xy) for p in profiles}
    facilities = facilities_from_osm(osm.pois, rules)
    villages = villages_from_osm(osm.places)
    boundaries = boundaries_from_file(spec["municipalities"])
    villages["municipality"] = assign_municipality(villages, boundaries, admin_level=None)
    cols = ["village_id", "village_name", "place", "population", "municipality", "lon", "lat"]
    villages = villages[cols]
    out = prep_dir(spec)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for p, net in nets.items():
        net.save(tmp / f"network-{p}.npz")
    with (tmp / "tables.pkl").open("wb") as fh:
        pickle.dump({"villages": villages, "facilities": facilities, "boundaries": boundaries,
                     "crs": crs}, fh)  # fmt: skip
    summary = {
        "seconds": time.perf_counter() - t0,
        "nodes": {p: n.n_nodes for p, n in nets.items()},
        "edges": {p: n.n_edges for p, n in nets.items()},
        "villages": len(villages),
        "municipalities": len(boundaries),
        "facilities": {k: int(v) for k, v in facilities["category"].value_counts().items()},
        "crs": crs,
    }
    (tmp / "prep.json").write_text(json.dumps(summary, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    return summary


def load_prep(spec: dict):
    """Networks, tables and CRS of the prepared grid."""
    from accessibility.network import Network

    d = prep_dir(spec)
    nets = {p: Network.load(d / f"network-{p}.npz") for p in spec["profiles"]}
    with (d / "tables.pkl").open("rb") as fh:
        t = pickle.load(fh)  # our own cache file, written by child_prep
    return nets, t["villages"], t["facilities"], t["boundaries"], t["crs"]


# --- the children ------------------------------------------------------------------------------
def child_bereik(spec: dict) -> dict:
    """The address stage of ``bereik build`` for one address file (see the module doc)."""
    from accessibility.defaults import DEFAULT_ASSIGN_RADIUS_KM, DEFAULT_MAX_SNAP_M
    from accessibility.facilities import load_categories
    from accessibility.indicators import cbs_nabijheid_table, village_indicators
    from accessibility.layout import BuildLayout
    from accessibility.origins import assign_origins, origins_from_file
    from accessibility.params import BuildParams
    from accessibility.residents import ResidentFigures
    from accessibility.writer import write_nabijheid, write_persons

    marks = Marks()
    radii = tuple(spec["radii_km"])
    rules = load_categories()
    nets, villages, facilities, boundaries, crs = load_prep(spec)
    for net in nets.values():  # caches the build fills before its indicator pass anyway
        _ = net.edge_index
    marks.mark("setup (networks loaded, edge index built)")
    timers = install_timers()
    res: dict = {"size": spec["size"], "stages_s": {}}

    def indicators(origins=None):
        return village_indicators(nets, villages, facilities, rules, radii_km=radii,
                                  max_snap_m=DEFAULT_MAX_SNAP_M, origins=origins)  # fmt: skip

    t = time.perf_counter()
    base_table, _, _ = indicators()
    res["indicators_without_s"] = time.perf_counter() - t
    res["without"] = timers.take()
    base_d = base_table["distance_m"].to_numpy(dtype=float)
    del base_table
    gc.collect()
    marks.mark("indicators without origins")
    rss_base = maxrss_mb()

    prof = None
    if spec.get("profile"):
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t = time.perf_counter()
    origins = origins_from_file(spec["addresses"], residents_column="residents")
    res["stages_s"]["read"] = time.perf_counter() - t
    marks.mark("read")
    t = time.perf_counter()
    assigned = assign_origins(origins, villages, boundaries, village_polygons=None,
                              radius_m=DEFAULT_ASSIGN_RADIUS_KM * 1000.0, crs=crs)  # fmt: skip
    figures = ResidentFigures(assigned, rules, radii_km=radii, address_outputs="car")
    res["stages_s"]["assign"] = time.perf_counter() - t
    res["assign_stats"] = {**origins.stats, **assigned.stats}
    marks.mark("assign")
    t = time.perf_counter()
    with_table, cbs_counts, _ = indicators(figures)
    res["indicators_with_s"] = time.perf_counter() - t
    res["with"] = timers.take()
    res["stages_s"]["indicators_extra"] = res["indicators_with_s"] - res["indicators_without_s"]
    d = with_table["distance_m"].to_numpy(dtype=float)
    both = np.isfinite(d) & np.isfinite(base_d)
    res["village_distance_max_abs_diff_m"] = float(np.max(np.abs(d[both] - base_d[both]),
                                                          initial=0.0))  # fmt: skip
    res["village_unreachable_same"] = bool(np.array_equal(np.isfinite(d), np.isfinite(base_d)))
    place_nabijheid = cbs_nabijheid_table(with_table, cbs_counts, villages, rules)
    del with_table
    marks.mark("indicators with origins")

    out = AWORK / f"out-{spec['size']}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t = time.perf_counter()
    write_persons(BuildLayout(out), figures, crs=crs)
    write_nabijheid(BuildLayout(out), place_nabijheid, figures)
    params = BuildParams(extract=Path(spec["pbf"]), addresses=Path(spec["addresses"]),
                         residents_column="residents", boundaries=Path(spec["municipalities"]),
                         profiles=tuple(spec["profiles"]))  # fmt: skip
    origins_manifest = getattr(importlib.import_module("accessibility.build"),
                               "_origins_manifest", None)  # fmt: skip
    t_m = time.perf_counter()
    if origins_manifest is not None:
        summary = origins_manifest(params, figures)
        res["persons_summary"] = summary["summary"]
    res["manifest_s"] = time.perf_counter() - t_m
    res["stages_s"]["write"] = time.perf_counter() - t
    res["write"] = timers.take()
    res["files_mb"] = {p.name: round(p.stat().st_size / 1e6, 1) for p in sorted(out.iterdir())}
    marks.mark("write")
    if prof is not None:
        prof.disable()
        res["profile"] = profile_top(prof, spec)
    shutil.rmtree(out, ignore_errors=True)
    res["total_s"] = sum(res["stages_s"][s] for s in STAGES)
    res["marks"] = marks.points
    res["rss_base_mb"] = rss_base
    res["missing_timers"] = timers.missing
    res["breakdown"] = breakdown(res, spec["size"])
    return res


def profile_top(prof, spec: dict, top: int = 30) -> dict:
    """The top functions by own and by cumulative time; the full listing to a text file."""
    import io
    import pstats

    text = AWORK / f"profile-{spec['size']}.txt"
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("tottime").print_stats(60)
    st.sort_stats("cumulative").print_stats(60)
    text.write_text(buf.getvalue())
    rows = []
    for (file, line, fn), (_cc, nc, tt, ct, _callers) in st.stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({fn})", "calls": nc,
                     "tottime_s": round(tt, 3), "cumtime_s": round(ct, 3)})  # fmt: skip
    return {
        "file": str(text.relative_to(ROOT)),
        "by_tottime": sorted(rows, key=lambda r: -r["tottime_s"])[:top],
        "by_cumtime": sorted(rows, key=lambda r: -r["cumtime_s"])[:top],
    }


def breakdown(res: dict, size: int) -> dict[str, float]:
    """Split the extra seconds of the indicator pass over the calls the timers saw."""
    w, wo = res["with"], res["without"]

    def sec(run: dict, label: str) -> float:
        return run["seconds"].get(label, 0.0)

    snap_o = sum(dt for n, dt, _c in w["sized"].get("snap_points", []) if n == size)
    # villages and addresses are counted in one pass per category (indicators._Placed.counts)
    counts_extra = sec(w, "counts_within") - sec(wo, "counts_within")
    counts_o = sum(dt for _n, dt, ctx in w["sized"].get("counts_within", [])
                   if "_origin_values" in ctx)  # fmt: skip
    lookups = sec(w, "_origin_values") - counts_o
    out = {
        "snap the addresses": snap_o,
        "virtual nodes + CSR matrices (bigger graph)": sec(w, "router_for (virtual nodes + CSR)")
        - sec(wo, "router_for (virtual nodes + CSR)"),
        "nearest-facility searches (bigger graph)": sec(w, "nearest_source")
        - sec(wo, "nearest_source"),
        "counts within rings (villages and addresses in one pass)": counts_extra,
        "address lookups (_origin_values without counts)": lookups,
        "aggregation over persons (ResidentFigures.add)": sec(w, "ResidentFigures.add"),
    }
    out["other"] = res["stages_s"]["indicators_extra"] - sum(out.values())
    return out


def child_least(spec: dict) -> dict:
    """The least work for the addresses (see the module doc), car profile."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely
    from pyproj import Transformer
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    from accessibility.facilities import load_categories

    marks = Marks()
    rules = load_categories()
    nets, _villages, facilities, _b, crs = load_prep(spec)
    net = nets["car"]
    marks.mark("setup (network loaded)")
    res: dict = {"size": spec["size"], "stages_s": {}}
    st = res["stages_s"]
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    # shared with the villages (not counted): facilities to nodes, one search per category
    t = time.perf_counter()
    xy_nodes = np.column_stack([net.node_x, net.node_y])
    tree = cKDTree(xy_nodes)
    res["kdtree_build_s"] = time.perf_counter() - t
    t = time.perf_counter()
    rev = net.csr("length_m", reverse=True)
    fx, fy = tr.transform(facilities["lon"].to_numpy(float), facilities["lat"].to_numpy(float))
    _, fnode = tree.query(np.column_stack([fx, fy]))
    dist = {}
    for cat in rules.names:
        src = np.unique(fnode[(facilities["category"] == cat).to_numpy()])
        if len(src):
            dist[cat] = dijkstra(rev, directed=True, indices=src, min_only=True)
    res["searches_shared_s"] = time.perf_counter() - t
    res["searches"] = len(dist)
    marks.mark("searches (shared with villages)")

    t = time.perf_counter()
    tab = pq.read_table(spec["addresses"], columns=["address_id", "residents", "geometry"])
    pts = shapely.from_wkb(tab.column("geometry").to_numpy())
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    ids = tab.column("address_id")
    del pts
    st["read"] = time.perf_counter() - t
    t = time.perf_counter()
    x, y = tr.transform(lon, lat)
    st["project"] = time.perf_counter() - t
    t = time.perf_counter()
    _, node = tree.query(np.column_stack([x, y]))
    st["snap"] = time.perf_counter() - t + res["kdtree_build_s"]  # the tree serves the addresses
    t = time.perf_counter()
    cols = {}
    for cat in rules.names:
        d = dist.get(cat)
        v = d[node] if d is not None else np.full(len(node), np.inf)
        cols[f"{cat}_distance_m"] = v.astype(np.float32)
    st["lookup"] = time.perf_counter() - t
    out = AWORK / f"least-{spec['size']}.parquet"
    t = time.perf_counter()
    pq.write_table(pa.table({"address_id": ids, **cols}), out)
    st["write"] = time.perf_counter() - t
    marks.mark("address work")
    res["file_mb"] = round(out.stat().st_size / 1e6, 1)
    out.unlink()
    res["total_s"] = sum(st[s] for s in LEAST_STAGES)
    res["marks"] = marks.points
    return res


CHILDREN = {"prep": child_prep, "bereik": child_bereik, "least": child_least}


def child_main(kind: str, spec_path: Path, out_path: Path) -> int:
    """Entry point of a child process: run one measurement, write its JSON."""
    spec = json.loads(spec_path.read_text())
    res = CHILDREN[kind](spec)
    res["child_maxrss_mb"] = maxrss_mb()
    out_path.write_text(json.dumps(res, indent=1, default=float))
    return 0


def run_child(kind: str, spec: dict, tag: str) -> dict:
    """Run a child; add its wall seconds and peak RSS (``os.wait4``: this child only)."""
    return harness.run_child(__file__, [kind], spec, AWORK / f"spec-{tag}.json",
                             AWORK / f"child-{tag}.json", f"{kind} ({tag})")  # fmt: skip


# --- parent ------------------------------------------------------------------------------------
def address_files(args: argparse.Namespace, sizes: list[int]) -> dict[int, Path]:
    """Make (once) the address files and the municipalities of the grid."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_synthetic_addresses as msa

    files = {}
    for n in sizes:
        p = AWORK / msa.addresses_file_name(n, args.grid)
        if not p.exists():
            log(f"making {p.name}")
            subprocess.run([sys.executable, str(ADDRESS_SCRIPT), str(n), "--grid-side",
                            str(args.grid), "--out-dir", str(AWORK), "--municipalities",
                            str(args.municipalities)], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
        files[n] = p
    mun = AWORK / msa.municipalities_file_name(args.grid, args.municipalities)
    if not mun.exists():
        subprocess.run([sys.executable, str(ADDRESS_SCRIPT), "1", "--grid-side", str(args.grid),
                        "--out-dir", str(AWORK / "tmp"), "--municipalities",
                        str(args.municipalities)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        (AWORK / "tmp" / mun.name).replace(mun)
        shutil.rmtree(AWORK / "tmp", ignore_errors=True)
    files[0] = mun
    return files


def make_parser() -> argparse.ArgumentParser:
    """Command-line arguments."""
    p = argparse.ArgumentParser(
        prog="benchmarks/addresses.py",
        description="Benchmark the address stage of bereik build (10k, 100k, 1M SYNTHETIC "
                    "addresses on the 1M-node SYNTHETIC grid) against the least work; write "
                    "docs/benchmarks-addresses.md.",
    )  # fmt: skip
    p.add_argument("--sizes", default="10000,100000,1000000",
                   help="address counts (default 10000,100000,1000000)")  # fmt: skip
    p.add_argument("--grid", type=int, default=1000, help="grid side (default 1000: 1M nodes)")
    p.add_argument("--profiles", default="car",
                   help="profiles of the indicator pass (default car, as CBS)")  # fmt: skip
    p.add_argument("--municipalities", type=int, default=10,
                   help="K x K synthetic municipalities (default 10)")  # fmt: skip
    p.add_argument("--radii-km", default="1,3,5", help="rings (default 1,3,5 as bereik build)")
    p.add_argument("--profile", type=int, default=0, metavar="SIZE",
                   help="also run SIZE under cProfile (top costs in the report)")  # fmt: skip
    p.add_argument("--no-least", dest="least", action="store_false", help="skip the least work")
    p.add_argument("--before", type=Path, default=None, metavar="JSON",
                   help="results of an earlier run (other code) to compare with")  # fmt: skip
    p.add_argument("--out", type=Path, default=None, help=f"report (default {DOC})")
    p.add_argument("--json", type=Path, default=None,
                   help="raw results (benchmarks/.work/addresses/results.json)")  # fmt: skip
    p.add_argument("--render-only", type=Path, default=None, metavar="JSON",
                   help="measure nothing: rewrite the report from a results JSON")  # fmt: skip
    p.add_argument("--child", nargs=3, metavar=("KIND", "SPEC", "OUT"), help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Measure every size, write the JSON and the report."""
    args = make_parser().parse_args(argv)
    if args.child:
        return child_main(args.child[0], Path(args.child[1]), Path(args.child[2]))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import addresses_report

    out = args.out or DOC
    if args.render_only:
        results = json.loads(args.render_only.read_text())
        out.write_text(addresses_report.render(results))
        log(f"wrote {out} from {args.render_only}")
        return 0
    import run as bench

    js = args.json or AWORK / "results.json"
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    profiles = [s.strip() for s in args.profiles.split(",") if s.strip()]
    t_start = time.perf_counter()
    AWORK.mkdir(parents=True, exist_ok=True)
    pbf = bench.grid_path(args.grid)
    files = address_files(args, sizes + ([args.profile] if args.profile else []))
    base = {"grid": args.grid, "profiles": profiles, "pbf": str(pbf),
            "municipalities": str(files[0]),
            "radii_km": [float(r) for r in args.radii_km.split(",")]}  # fmt: skip
    results: dict = {"machine": bench.machine(),
                     "settings": {**base, "sizes": sizes, "municipalities_k": args.municipalities},
                     "targets": {"size": TARGET_SIZE, "seconds": TARGET_S,
                                 "rss_gb": TARGET_RSS_GB, "linear_exponent": LINEAR_EXPONENT},
                     "runs": [], "least": []}  # fmt: skip
    if not (prep_dir(base) / "prep.json").exists():
        log(f"preparing the {args.grid}x{args.grid} grid ({', '.join(profiles)})")
        results["prep"] = run_child("prep", base, "prep")
    else:
        results["prep"] = json.loads((prep_dir(base) / "prep.json").read_text())
        results["prep"]["reused"] = str(prep_dir(base).relative_to(ROOT))
    for n in sizes:
        spec = {**base, "size": n, "addresses": str(files[n])}
        log(f"{n:,} addresses: bereik")
        r = run_child("bereik", spec, f"bereik-{n}")
        log(f"  read {r['stages_s']['read']:.2f} s, assign {r['stages_s']['assign']:.2f} s, "
            f"indicators {r['indicators_without_s']:.1f} -> {r['indicators_with_s']:.1f} s, "
            f"write {r['stages_s']['write']:.2f} s; total {r['total_s']:.1f} s, "
            f"peak {r['peak_rss_mb']:.0f} MiB")  # fmt: skip
        results["runs"].append(r)
        if args.least:
            log(f"{n:,} addresses: least work")
            lw = run_child("least", spec, f"least-{n}")
            log(f"  total {lw['total_s']:.2f} s, peak {lw['peak_rss_mb']:.0f} MiB")
            results["least"].append(lw)
        js.write_text(json.dumps(results, indent=1, default=float))
    if args.profile:
        spec = {**base, "size": args.profile, "addresses": str(files[args.profile]),
                "profile": True}  # fmt: skip
        log(f"{args.profile:,} addresses under cProfile")
        results["profile"] = run_child("bereik", spec, f"profile-{args.profile}")
    if args.before:
        before = json.loads(args.before.read_text())
        results["before"] = {"machine": before["machine"], "runs": before["runs"],
                             "file": str(args.before)}  # fmt: skip
    results["total_s"] = time.perf_counter() - t_start
    js.write_text(json.dumps(results, indent=1, default=float))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(addresses_report.render(results))
    log(f"wrote {out} and {js} in {results['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
