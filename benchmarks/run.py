"""Benchmarks: bereik's nearest-facility stage next to its peers, and a whole build.

One run measures, side by side on the same graph and the same POI set:

* bereik (``routing.router_for(batch=True)`` + ``Router.nearest_source``, what ``bereik build``
  runs),
* the raw scipy floor (``dijkstra(min_only=True)`` on a prebuilt reversed CSR),
* igraph (super-source ``distances``), networkx ``multi_source_dijkstra_path_length``,
* pandana ``set_pois``/``nearest_pois``,
* OSRM (MLD: osrm-extract/partition/customize, then a Table villages x facilities) in a
  Python 3.12 venv, on the real extract and one small synthetic grid,

on the bundled real extract and a SYNTHETIC street-grid scale series
(``scripts/make_synthetic_grid.py``), then times ``bereik build`` of a synthetic grid against
the least-work baseline (``benchmarks/least_work.py``), and writes ``docs/benchmarks.md``.

Usage::

    python benchmarks/run.py            # full run (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick    # real extract + 100x100 grid, no OSRM (< 2 min)

Generated files (grids, OSRM data, builds, results.json) go to ``benchmarks/.work/``.
"""

from __future__ import annotations

import os

# like for like: every engine measured here runs on one core (pandana would use OpenMP)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import gc
import json
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import engines  # noqa: E402
import report  # noqa: E402
from machine import cpu_name  # noqa: E402

WORK = ROOT / "benchmarks" / ".work"
REAL_EXTRACT = ROOT / "data" / "samples" / "liechtenstein-2015-07-27.osm.pbf"
GRID_SCRIPT = ROOT / "scripts" / "make_synthetic_grid.py"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
BEREIK = Path(sys.executable).parent / "bereik"
#: growth exponent used to predict pandana's build time on a bigger grid (measured ~1.0-1.1
#: on these grids with travel-time weights; 1.2 keeps the prediction on the safe side)
PANDANA_GROWTH = 1.2


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def grid_path(n: int) -> Path:
    """Make (once) and return the synthetic ``n x n`` grid."""
    p = WORK / "grids" / f"synthetic-grid-{n}x{n}.osm.pbf"
    if not p.exists():
        log(f"making {p.name}")
        subprocess.run([sys.executable, str(GRID_SCRIPT), str(n), "--out-dir", str(p.parent)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return p


def machine() -> dict:
    """Platform, CPU, cores, Python and library versions, date."""
    cpu = cpu_name()
    libs = {}
    for name in ("numpy", "scipy", "networkx", "igraph", "pandana", "osmium", "shapely",
                 "pyproj", "pandas", "pyogrio"):  # fmt: skip
        try:
            libs[name] = version(name)
        except PackageNotFoundError:
            libs[name] = "not installed"
    return {
        "git": code_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "libraries": libs,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


def code_version() -> str:
    """The commit measured, and whether the engine's files differ from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                "accessibility"], capture_output=True, text=True,
                               check=True).stdout.split("\n")  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return ""
    changed = sorted(line[3:] for line in dirty if line.strip())
    if not changed:
        return f"commit {head}, accessibility/ unchanged"
    return f"commit {head} with uncommitted changes in " + ", ".join(changed)


# --- nearest-facility engines ---------------------------------------------------------------
def bench_dataset(ds: engines.Dataset, args: argparse.Namespace) -> dict:
    """All engines on one prepared dataset; distances checked against the scipy floor."""
    net = ds.net
    res: dict = {
        "name": ds.name, "kind": ds.kind, "profile": ds.profile, "category": ds.category,
        "weight": ds.weight, "nodes": net.n_nodes, "arcs": net.n_arcs, "villages": len(ds.villages),
        "pois": int(ds.sf.ok.sum()), "prep_s": ds.prep_s, "engines": {},
    }  # fmt: skip
    rep = args.repeats
    out = res["engines"]
    log(f"{ds.name}: {net.n_nodes:,} nodes, {net.n_arcs:,} arcs, {res['pois']} POIs")
    contenders = {"bereik": engines.setup_bereik(ds, rep)}
    res["nodes_augmented"] = n = ds.graph.n_nodes
    res["arcs_augmented"] = int(ds.graph.csr(ds.weight, reverse=True).nnz)
    contenders["scipy_floor"] = engines.setup_scipy_floor(ds, rep)
    try:
        contenders["igraph"] = engines.setup_igraph(ds, rep)
    except ImportError as exc:
        out["igraph"] = {"skipped": f"igraph not installed ({exc})"}
    if n > args.networkx_max_nodes:
        why = (f"not run above {args.networkx_max_nodes:,} nodes (pure-Python heap: "
               "tens of seconds per query and several GB for the graph)")  # fmt: skip
        out["networkx"] = {"skipped": why}
        out["networkx_multi"] = {"skipped": why}
    else:
        nxr = max(1, args.networkx_repeats)
        contenders["networkx"] = engines.setup_networkx(ds, nxr)
        contenders["networkx_multi"] = engines.setup_networkx(ds, nxr, multigraph=True)
    # queries round-robin: a load spike from another job hits all engines alike
    raced = engines.race(contenders, rep)
    del contenders
    gc.collect()
    ref = raced["scipy_floor"]["dist"]
    for name, r in raced.items():
        r.update(engines.check(ref, r.pop("dist")))
        out[name] = r
    b, f = out["bereik"], out["scipy_floor"]
    log(f"  bereik augment {b['prep_s']:.3f} s, query {b['query_s']:.3f} s; floor "
        f"{f['query_s']:.3f} s; igraph {out.get('igraph', {}).get('query_s', 0):.3f} s; "
        f"networkx {out['networkx'].get('query_s', 0):.3f} s (MultiDiGraph "
        f"{out['networkx_multi'].get('query_s', 0):.3f} s)")  # fmt: skip

    est = pandana_estimate(n, args)
    if n > args.pandana_max_nodes or est > args.pandana_budget_s:
        why = (f"not run: its contraction-hierarchy build would take about {est:.0f} s here "
               f"(scaled from {args._pandana_last[1]:.1f} s at {args._pandana_last[0]:,} "
               f"nodes; budget {args.pandana_budget_s:.0f} s)") if est > args.pandana_budget_s \
            else f"not run above {args.pandana_max_nodes:,} nodes"  # fmt: skip
        out["pandana"] = {"skipped": why}
    else:
        try:
            max_dist = engines.max_search(ds)
            r = engines.run_pandana(ds, max(1, min(rep, args.pandana_repeats)), max_dist)
            d = r.pop("dist")
            r.update(engines.check(ref, d))
            r["beyond_max_dist"] = int((np.isfinite(ref) & (ref >= max_dist)).sum())
            out["pandana"] = r
            if ds.kind == "synthetic":
                args._pandana_last = (n, r["prep_s"])
            log(f"  pandana query {r['query_s']:.3f} s (build {r['prep_s']:.1f} s)")
            if ds.kind == "synthetic" and args.pandana_length_check and ds.weight != "length_m":
                t_len, _ = engines.pandana_network(ds, "length_m")
                r["build_length_weight_s"] = t_len
                log(f"  pandana build on length_m instead: {t_len:.1f} s")
                args.pandana_length_check = False  # once, on the smallest grid
        except ImportError as exc:
            out["pandana"] = {"skipped": f"pandana not installed ({exc})"}
        gc.collect()
    for e in out.values():
        for k in ("query_all_s", "prep_all_s"):
            if k in e:
                e[k] = [round(t, 6) for t in e[k]]
    return res


def pandana_estimate(n: int, args: argparse.Namespace) -> float:
    """pandana build seconds at n nodes, scaled from the last synthetic run (0 if none)."""
    last = getattr(args, "_pandana_last", None)
    if not last:
        return 0.0
    return last[1] * (n / last[0]) ** PANDANA_GROWTH


# --- OSRM --------------------------------------------------------------------------------------
def peers_python(args: argparse.Namespace) -> tuple[Path | None, str]:
    """The Python 3.12 interpreter with osrm-bindings, or None and why not."""
    p = Path(args.peers_python)
    if not p.exists():
        return None, (f"no Python 3.12 venv with osrm-bindings at {p} (osrm-bindings ships "
                      "abi3 wheels for Python 3.12+ only); create it with "
                      "`PYENV_VERSION=3.12.1 python3 -m venv .venv-peers && "
                      ".venv-peers/bin/pip install osrm-bindings`")  # fmt: skip
    proc = subprocess.run([str(p), "-c", "import osrm, sys; print(sys.version.split()[0])"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode != 0:
        return None, f"{p} cannot import osrm: {proc.stderr.strip().splitlines()[-1:]}"
    return p, proc.stdout.strip()


def bench_osrm(ds: engines.Dataset, py: Path, args: argparse.Namespace) -> dict:
    """OSRM MLD preprocessing + Table villages x POIs; compared with bereik on villages."""
    vok = np.flatnonzero(ds.sv.ok)
    fok = np.flatnonzero(ds.sf.ok)
    vil, fac = ds.villages.iloc[vok], ds.facilities.iloc[fok]
    slug = re.sub(r"[^a-z0-9]+", "-", ds.name.lower()).strip("-")
    work = WORK / "osrm" / slug
    spec = {
        "pbf": ds.path, "workdir": str(work), "threads": args.osrm_threads, "repeats": 3,
        "sources": vil[["lon", "lat"]].to_numpy().tolist(),
        "destinations": fac[["lon", "lat"]].to_numpy().tolist(),
    }  # fmt: skip
    WORK.mkdir(parents=True, exist_ok=True)
    spec_path = WORK / f"osrm-{slug}.json"
    out_path = WORK / f"osrm-{slug}-result.json"
    spec_path.write_text(json.dumps(spec))
    log(f"  OSRM on {ds.name}: {len(vok)} x {len(fok)} Table (preprocessing first)")
    proc = subprocess.run([str(py), str(ROOT / "benchmarks" / "osrm_table.py"), str(spec_path),
                           str(out_path)], capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"name": ds.name, "skipped": f"OSRM failed: {last[-300:]}"}
    r = json.loads(out_path.read_text())
    shutil.rmtree(work, ignore_errors=True)
    dur = np.array(r.pop("durations"), dtype=float)
    dis = np.array(r.pop("distances"), dtype=float)

    # bereik on the same villages and POIs: nearest by time and by distance, one pass each
    g = ds.graph
    vn = ds.village_nodes[vok]
    t = time.perf_counter()
    tt, src_t = g.nearest_source(ds.poi_nodes, weight="travel_time_s")
    ll, _ = g.nearest_source(ds.poi_nodes, weight="length_m")
    r["bereik_two_queries_s"] = time.perf_counter() - t
    b_time, b_len = tt[vn], ll[vn]
    fpos = {int(node): k for k, node in enumerate(g.nodes(1, len(ds.sf))[fok])}
    b_near = np.array([fpos.get(int(s), -1) for s in src_t[vn]])
    o_time = np.nanmin(dur, axis=1)
    o_near = np.nanargmin(np.where(np.isnan(dur), np.inf, dur), axis=1)
    o_len = np.nanmin(dis, axis=1)
    ok = np.isfinite(b_time) & np.isfinite(o_time)
    rel_t = np.abs(o_time[ok] - b_time[ok]) / np.maximum(b_time[ok], 1.0)
    rel_d = np.abs(o_len[ok] - b_len[ok]) / np.maximum(b_len[ok], 1.0)
    r.update({
        "name": ds.name, "kind": ds.kind, "villages": len(vok), "pois": len(fok),
        "compared": int(ok.sum()),
        "time_median_ratio": float(np.median(o_time[ok] / np.maximum(b_time[ok], 1.0))),
        "time_rel_diff_median": float(np.median(rel_t)),
        "time_rel_diff_p90": float(np.percentile(rel_t, 90)),
        "dist_rel_diff_median": float(np.median(rel_d)),
        "dist_rel_diff_p90": float(np.percentile(rel_d, 90)),
        "dist_abs_diff_median_m": float(np.median(np.abs(o_len[ok] - b_len[ok]))),
        "same_nearest_share": float(np.mean(o_near[ok] == b_near[ok])),
    })  # fmt: skip
    log(f"  OSRM extract {r['extract_s']:.1f} s, partition {r['partition_s']:.1f} s, "
        f"customize {r['customize_s']:.1f} s, Table {r['table_s'] * 1000:.1f} ms")  # fmt: skip
    return r


# --- whole build -------------------------------------------------------------------------------
def bench_build(n: int, args: argparse.Namespace) -> dict:
    """``bereik build`` of the n x n grid vs the least-work baseline, both as subprocesses."""
    pbf = grid_path(n)
    out_dir = WORK / "builds" / f"synthetic-{n}"
    csv_out = WORK / f"least-work-{n}.csv"
    res: dict = {"grid": n, "nodes": n * n, "file": pbf.name, "profiles": ["car", "bike", "walk"]}
    bereik = [str(BEREIK), "build", str(pbf), "--out", str(out_dir), "--force", "--quiet"]
    least = [sys.executable, str(ROOT / "benchmarks" / "least_work.py"), str(pbf), str(csv_out)]
    b_times, l_times = [], []
    for _ in range(args.build_repeats):
        t = time.perf_counter()
        subprocess.run(bereik, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        b_times.append(time.perf_counter() - t)
        log(f"  bereik build {n}x{n}: {b_times[-1]:.1f} s")
        t = time.perf_counter()
        p = subprocess.run(least, check=True, capture_output=True, text=True)
        l_times.append(time.perf_counter() - t)
        res["least_work_stages"] = p.stderr.strip()
        log(f"  least work {n}x{n}: {l_times[-1]:.1f} s")
    manifest = json.loads((out_dir / "manifest.json").read_text())
    res["bereik_s"] = [round(x, 3) for x in b_times]
    res["least_work_s"] = [round(x, 3) for x in l_times]
    res["bereik_stages_s"] = manifest.get("timings_s", {})
    res["bereik_networks"] = {p: s.get("nodes") for p, s in
                              manifest["counts"]["networks"].items()}  # fmt: skip
    res["ratio"] = min(b_times) / min(l_times)
    if args.build_breakdown:
        log(f"  instrumented build {n}x{n} (where the time goes)")
        p = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "build_breakdown.py"), str(pbf),
             str(WORK / "builds" / f"synthetic-{n}-breakdown")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        res["breakdown"] = json.loads(p.stdout.strip().splitlines()[-1])
        shutil.rmtree(WORK / "builds" / f"synthetic-{n}-breakdown", ignore_errors=True)
    return res


# --- main -----------------------------------------------------------------------------------------
def make_parser() -> argparse.ArgumentParser:
    """Command-line arguments."""
    p = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Benchmark bereik's nearest-facility stage against scipy, igraph, "
                    "networkx, pandana and OSRM, and a whole build against the least-work "
                    "baseline; write docs/benchmarks.md.",
    )  # fmt: skip
    p.add_argument("--quick", action="store_true",
                   help="real extract + 100x100 grid, no OSRM, build benchmark on the 100x100 "
                        "grid; writes benchmarks/.work/benchmarks-quick.md unless "
                        "--out")  # fmt: skip
    p.add_argument(
        "--sizes",
        default="100,200,400,600,1000",
        help="synthetic grid sides (n x n nodes; default 100,200,400,600,1000)",
    )
    p.add_argument("--repeats", type=int, default=5, help="timing repeats (best is reported)")
    p.add_argument("--networkx-repeats", type=int, default=3)
    p.add_argument("--pandana-repeats", type=int, default=2)
    p.add_argument("--networkx-max-nodes", type=int, default=400_000)
    p.add_argument("--pandana-max-nodes", type=int, default=400_000)
    p.add_argument(
        "--pandana-budget-s",
        type=float,
        default=150.0,
        help="skip pandana where its predicted build time exceeds this",
    )
    p.add_argument(
        "--no-pandana-length-check",
        dest="pandana_length_check",
        action="store_false",
        help="skip the one extra pandana build on length_m (smallest grid)",
    )
    p.add_argument(
        "--weight",
        choices=["travel_time_s", "length_m"],
        default="travel_time_s",
        help="edge weight of the nearest-facility comparison (default travel time)",
    )
    p.add_argument("--no-osrm", action="store_true", help="skip OSRM")
    p.add_argument(
        "--osrm-grid",
        type=int,
        default=100,
        help="grid side for the OSRM run (0: real extract only; default 100)",
    )
    p.add_argument("--osrm-threads", type=int, default=1)
    p.add_argument(
        "--peers-python",
        default=str(PEERS_PYTHON),
        help="Python 3.12 with osrm-bindings (default .venv-peers/bin/python)",
    )
    p.add_argument(
        "--build-grid",
        type=int,
        default=400,
        help="grid side of the whole-build benchmark (0: skip; default 400)",
    )
    p.add_argument("--build-repeats", type=int, default=2)
    p.add_argument(
        "--no-build-breakdown",
        dest="build_breakdown",
        action="store_false",
        help="skip the extra instrumented build that says where its time goes",
    )
    p.add_argument("--out", type=Path, default=None, help="markdown report (docs/benchmarks.md)")
    p.add_argument(
        "--render-only",
        type=Path,
        default=None,
        metavar="JSON",
        help="measure nothing: rewrite the report from a results JSON of an earlier run",
    )
    p.add_argument(
        "--json",
        type=Path,
        default=None,
        help="raw results (default benchmarks/.work/results[-quick].json)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run everything and write the report."""
    args = make_parser().parse_args(argv)
    if args.render_only:
        results = json.loads(args.render_only.read_text())
        out = args.out or (WORK / "benchmarks-quick.md" if results["quick"]
                           else ROOT / "docs" / "benchmarks.md")  # fmt: skip
        out.write_text(report.render(results))
        log(f"wrote {out} from {args.render_only}")
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.quick:
        sizes, args.no_osrm, args.build_grid = [100], True, 100
        args.pandana_length_check = False
        args.repeats = min(args.repeats, 3)
    out = args.out or (WORK / "benchmarks-quick.md" if args.quick
                       else ROOT / "docs" / "benchmarks.md")  # fmt: skip
    js = args.json or WORK / ("results-quick.json" if args.quick else "results.json")
    WORK.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    results: dict = {"machine": machine(), "quick": args.quick, "nearest": [], "osrm": [],
                     "build": None, "settings": {k: (str(v) if isinstance(v, Path) else v)
                                                 for k, v in vars(args).items()
                                                 if not k.startswith("_")}}  # fmt: skip

    py, why = (None, "skipped (--no-osrm / --quick)") if args.no_osrm else peers_python(args)
    results["osrm_python"] = why
    if py is not None:
        results["machine"]["libraries"]["osrm-bindings"] = subprocess.run(
            [str(py), "-c", "from importlib.metadata import version as v; "
             "print(v('osrm-bindings'))"], capture_output=True, text=True, check=False,
        ).stdout.strip()  # fmt: skip

    inputs = [(str(REAL_EXTRACT), "liechtenstein (real OSM)", "real", 0)]
    inputs += [(str(grid_path(n)), f"synthetic grid {n}x{n}", "synthetic", n) for n in sizes]
    for path, name, kind, n in inputs:
        log(f"preparing {name}")
        ds = engines.prepare(path, name, kind, weight=args.weight)
        results["nearest"].append(bench_dataset(ds, args))
        if py is not None and (kind == "real" or (n and n == args.osrm_grid)):
            results["osrm"].append(bench_osrm(ds, py, args))
        elif py is None and (kind == "real" or (n and n == args.osrm_grid)):
            results["osrm"].append({"name": name, "skipped": why})
        del ds
        gc.collect()
        js.write_text(json.dumps(results, indent=1, default=float))

    if args.build_grid:
        log(f"whole build of the {args.build_grid}x{args.build_grid} grid")
        results["build"] = bench_build(args.build_grid, args)
    results["total_s"] = time.perf_counter() - t_start
    js.write_text(json.dumps(results, indent=1, default=float))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.render(results))
    log(f"wrote {out} and {js} in {results['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
