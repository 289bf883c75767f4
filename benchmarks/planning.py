"""Benchmark of the location questions (issue 13): suggested sites and ranked closures at scale.

The targets of issue 13: "3 sites from 1,000 candidates for 100,000 origins on a 1M-node
network in under 10 s; ranking all closures of a category with 200 facilities in under 5 s".

Inputs, all SYNTHETIC (made once, cached under ``benchmarks/.work/planning/``):

* street grids of ``side x side`` car nodes from ``scripts/make_synthetic_grid.py`` (sides
  250, 500, 1000 by default: 62.5k, 250k and 1M nodes; GPs one per 1,200 nodes,
  supermarkets one per 1,500, primary schools one per 1,000);
* addresses from ``scripts/make_synthetic_addresses.py`` for the same grid, 100,000 at the
  1000 side and proportionally fewer at smaller sides (0.1 per node), 1-5 residents each,
  with ``max(2, side // 100)`` squared SYNTHETIC municipalities;
* one ``bereik build <grid> --addresses <file> --residents-column residents --boundaries
  <municipalities> --profiles car --no-coverage --gpkg-edges no`` per size;
* 1,000 candidate sites: the centres of a 40 x 25 lattice over the car network's extent
  (a CSV ``id,lon,lat``).

Each size is measured in a child process of its own (a fresh interpreter; its peak resident
memory is the child's ``ru_maxrss`` from ``os.wait4``), which loads the build and times with
``time.perf_counter``:

* ``planning.suggest_sites(category="gp", within_km=5, count=3, candidates=<the CSV>,
  objective="coverage")``, the first call (cold: snapping the origins, loading caches) and
  the median of the repeats after it, broken down by timers around the library calls:
  ``demand_of``, ``candidates_for`` (reading the CSV), ``SitingProblem`` (snapping and
  placing on the network), ``current()`` (one whole-network search), ``site_costs(bound)``
  (the sparse table: one bounded search per candidate), the solve (greedy, then HiGHS when
  the model is small enough) and the exact valuation of the chosen sites (one whole-network
  search per site);
* ``planning.closures(category="gp", within_km=3)`` likewise (``costs_after_each_closure``:
  one whole-network search, then one search per facility's region), on every GP of the
  grid and, where the grid has more than 200, on 200 of them (a deterministic sample; the
  other GPs left out of the loaded build) -- the issue's figure;
* the peers side by side in the same child: for the closures, one scenario per closure
  (``scenarios.what_if(close=[id])`` for 5 facilities, the median times the facility count)
  and the whole-network search per closure (``SitingProblem.costs_with(closed=[f])``, the
  tests' oracle, for 3 facilities, likewise); for the suggestion, PySAL spopt's MCLP
  (PuLP + CBC on a dense matrix) next to bereik's own solver on a subsample of the same
  problem (2,000 origins, half of them beyond the threshold now, x 200 candidates);
* the agreement: the ranked closures' ``newly_beyond`` and ``lose_access`` against the
  scenario's ``newly_beyond_3km`` and ``weight_lost`` and against the oracle, and bereik's
  covered weight against spopt's objective.

With ``--profile`` (default: the largest size) one more suggestion and ranking run under
cProfile; the top functions go to the report.

Usage::

    .venv/bin/python benchmarks/planning.py                  # sides 250,500,1000
    .venv/bin/python benchmarks/planning.py --quick          # sides 150,300 (about a minute)
    .venv/bin/python benchmarks/planning.py --sides 250,500 --out /tmp/planning.md
    .venv/bin/python benchmarks/planning.py --render-only benchmarks/.work/planning/results.json

Writes ``docs/benchmarks-planning.md`` (``--quick``:
``benchmarks/.work/planning/benchmarks-planning-quick.md``) and the raw numbers
``benchmarks/.work/planning/results.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import dataclasses
import itertools
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import harness
import numpy as np
from harness import MB, Marks, log, maxrss_mb, patch, slope

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work" / "planning"
INPUTS = WORK / "inputs"
BUILDS = WORK / "builds"
DOC = ROOT / "docs" / "benchmarks-planning.md"
QUICK_DOC = WORK / "benchmarks-planning-quick.md"
GRID_SCRIPT = ROOT / "scripts" / "make_synthetic_grid.py"
ADDRESS_SCRIPT = ROOT / "scripts" / "make_synthetic_addresses.py"
BEREIK = Path(sys.executable).parent / "bereik"

#: the issue's targets
TARGET_NODES = 1_000_000
TARGET_ADDRESSES = 100_000
TARGET_SUGGEST_S = 10.0
TARGET_CLOSURES_S = 5.0
TARGET_FACILITIES = 200
TARGET_CANDIDATES = 1_000
#: the questions asked
SUGGEST = {"category": "gp", "within_km": 5.0, "count": 3, "objective": "coverage"}
CLOSURES = {"category": "gp", "within_km": 3.0}
LATTICE = (40, 25)  # candidate lattice: 40 x 25 = 1,000 cell centres
#: the peers' samples
SCENARIO_SAMPLE = 5
ORACLE_SAMPLE = 3
SPOPT_ORIGINS = 2_000
SPOPT_CANDIDATES = 200
SPOPT_BIG = 1e9  # the dense matrix's "farther than the bound"
SEED = 13  # issue 13
#: no further repeat of a question once its calls so far took this long (at least 2 calls)
REPEAT_BUDGET_S = 150.0
DEFAULT_SIDES = "250,500,1000"
QUICK_SIDES = "150,300"

#: the stages of each question: label -> sub-stages (timers around the library calls)
SUGGEST_STAGES = {
    "demand_of": [],
    "candidates_for": [],
    "SitingProblem()": ["snapped_of", "snap_points", "router_for"],
    "current()": ["nearest_source"],
    "site_costs()": ["one_to_many", "bounded_search", "subgraph", "dijkstra (reach)"],
    "solve": ["_greedy_coverage", "_mip_coverage", "_run_mip"],
    "valuation": ["costs_with", "nearest_source"],
}
CLOSURE_STAGES = {
    "demand_of": [],
    "SitingProblem()": ["snapped_of", "router_for"],
    "costs_after_each_closure": ["nearest_source", "_Regions()", "_Regions.search",
                                 "dijkstra (closures)"],
}  # fmt: skip
STAGE_HELP = {
    "demand_of": "the build's origins as demand points",
    "candidates_for": "read the candidates CSV",
    "SitingProblem()": "snap and place origins, candidates, facilities on the network",
    "current()": "one whole-network search from the existing facilities",
    "site_costs()": "the sparse candidate-origin table: one bounded search per candidate",
    "solve": "greedy, then the exact MIP (HiGHS) when the model is small enough",
    "valuation": "value the chosen sites exactly: one whole-network search per site",
    "costs_after_each_closure": "one whole-network search, then one per facility's region",
    "other": "the rest (model, summary, ranking table)",
}


def median(values: list[float]) -> float | None:
    """Median, None when empty."""
    return statistics.median(values) if values else None


# --- inputs (once, cached) ----------------------------------------------------------------------
def addresses_for(side: int) -> int:
    """SYNTHETIC addresses for the grid: 100,000 at 1M nodes, proportionally fewer."""
    return round(TARGET_ADDRESSES * side * side / TARGET_NODES)


def municipalities_for(side: int) -> int:
    """K of the K x K SYNTHETIC municipalities."""
    return max(2, side // 100)


def _run(cmd: list[str], log_path: Path) -> tuple[int, float, float]:
    """Run ``cmd`` (output to ``log_path``); exit code, wall seconds, peak RSS (MiB)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as fh:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=WORK)
        _pid, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - t, usage.ru_maxrss / MB


def prepare(side: int) -> dict:
    """Make (once) the grid, its addresses and municipalities, and the build."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_synthetic_addresses as msa

    INPUTS.mkdir(parents=True, exist_ok=True)
    grid = INPUTS / f"synthetic-grid-{side}x{side}.osm.pbf"
    if not grid.exists():
        log(f"making {grid.name}")
        subprocess.run([sys.executable, str(GRID_SCRIPT), str(side), "--out-dir", str(INPUTS)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    n, k = addresses_for(side), municipalities_for(side)
    addresses = INPUTS / msa.addresses_file_name(n, side)
    municipalities = INPUTS / msa.municipalities_file_name(side, k)
    if not (addresses.exists() and municipalities.exists()):
        log(f"making {addresses.name} and {municipalities.name}")
        subprocess.run([sys.executable, str(ADDRESS_SCRIPT), str(n), "--grid-side", str(side),
                        "--out-dir", str(INPUTS), "--municipalities", str(k)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    out = BUILDS / f"grid-{side}"
    stamp = BUILDS / f"grid-{side}.json"
    want = {"grid": grid.name, "addresses": addresses.name, "municipalities": municipalities.name}
    if stamp.exists() and (out / "manifest.json").exists():
        info = json.loads(stamp.read_text())
        if all(info.get(key) == v for key, v in want.items()):
            info["reused"] = True
            return info
    cmd = [str(BEREIK), "build", str(grid), "--addresses", str(addresses), "--residents-column",
           "residents", "--boundaries", str(municipalities), "--profiles", "car",
           "--no-coverage", "--gpkg-edges", "no", "--out", str(out), "--quiet",
           "--force"]  # fmt: skip
    log(f"bereik build of the {side} x {side} grid with {n:,} addresses")
    code, wall, rss = _run(cmd, WORK / "logs" / f"build-{side}.log")
    if code != 0:
        msg = f"bereik build of grid {side} failed (exit {code}); see {WORK / 'logs'}"
        raise RuntimeError(msg)
    manifest = json.loads((out / "manifest.json").read_text())
    info = {**want, "side": side, "addresses_n": n, "municipalities_k": k,
            "cmd": " ".join(["bereik", *(Path(c).name if "/" in c else c for c in cmd[1:])]),
            "build_s": wall, "build_peak_rss_mb": rss,
            "build_stages_s": manifest.get("timings_s", {}),
            "nodes": manifest["counts"]["networks"]["car"]["nodes"],
            "edges": manifest["counts"]["networks"]["car"]["edges"],
            "facilities": manifest["counts"]["facilities"],
            "origins": manifest["origins"]["origins"],
            "persons": manifest["origins"]["weight"]}  # fmt: skip
    stamp.write_text(json.dumps(info, indent=1))
    log(f"  built in {wall:.0f} s, peak {rss:.0f} MiB")
    return info


def candidates_csv(build, side: int) -> Path:
    """Write (once) the 1,000 candidate sites: centres of a 40 x 25 lattice over the network.

    The lattice is regular in longitude and latitude, as the grid is: in the metric CRS the
    grid is slightly turned, and a metric lattice's corner cells would fall off its roads.
    """
    from accessibility.crs import to_wgs84

    path = INPUTS / f"candidates-{LATTICE[0] * LATTICE[1]}-grid-{side}.csv"
    if path.exists():
        return path
    net = build.network("car")
    node_lon, node_lat = to_wgs84(net.node_x, net.node_y, net.crs)
    x0, x1 = float(np.min(node_lon)), float(np.max(node_lon))
    y0, y1 = float(np.min(node_lat)), float(np.max(node_lat))
    nx, ny = LATTICE
    col, row = np.meshgrid(np.arange(nx), np.arange(ny))
    lon = x0 + (col.ravel() + 0.5) * (x1 - x0) / nx
    lat = y0 + (row.ravel() + 0.5) * (y1 - y0) / ny
    lines = ["id,lon,lat"] + [f"site_{c}_{r},{a:.7f},{b:.7f}"
                              for c, r, a, b in zip(col.ravel(), row.ravel(), lon, lat,
                                                    strict=True)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


# --- timers around library calls --------------------------------------------------------------
class Timers:
    """Per call of each wrapped function: its label, seconds and the wrapped calls around it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, tuple[str, ...]]] = []
        self.active: list[str] = []
        self.missing: list[str] = []
        self.last: dict[str, tuple] = {}  # label -> (args, result) of its last call, if kept

    def wrap(self, owner_path: str, name: str, label: str, *, keep: bool = False) -> None:
        """Time ``owner.name`` as ``label`` (a missing name is listed, not an error)."""

        def around(fn):
            def wrapped(*a, **k):
                context = tuple(self.active)
                self.active.append(label)
                t = time.perf_counter()
                try:
                    result = fn(*a, **k)
                    if keep:
                        self.last[label] = (a, result)
                    return result
                finally:
                    dt = time.perf_counter() - t
                    self.active.pop()
                    self.calls.append((label, dt, context))

            return wrapped

        if not patch(owner_path, name, around):
            self.missing.append(f"{owner_path}.{name}")

    def take(self) -> list[tuple[str, float, tuple[str, ...]]]:
        """The calls so far, then start again."""
        out, self.calls = self.calls, []
        return out


def install_timers() -> Timers:
    """Wrap the calls the two questions make."""
    t = Timers()
    for mod in ("accessibility.planning",):
        t.wrap(mod, "demand_of", "demand_of")
        t.wrap(mod, "candidates_for", "candidates_for")
    t.wrap("accessibility.placement.SitingProblem", "__init__", "SitingProblem()")
    t.wrap("accessibility.placement.SitingProblem", "current", "current()")
    t.wrap("accessibility.placement.SitingProblem", "site_costs", "site_costs()", keep=True)
    t.wrap("accessibility.placement.SitingProblem", "costs_with", "costs_with")
    t.wrap("accessibility.placement", "snapped_of", "snapped_of")
    t.wrap("accessibility.placement", "snap_points", "snap_points")
    t.wrap("accessibility.placement", "router_for", "router_for")
    t.wrap("accessibility.engine.StreetRouter", "nearest_source", "nearest_source")
    t.wrap("accessibility.engine.StreetRouter", "one_to_many", "one_to_many")
    t.wrap("accessibility.engine", "bounded_search", "bounded_search")
    t.wrap("accessibility.reach", "subgraph", "subgraph")
    t.wrap("accessibility.reach", "dijkstra", "dijkstra (reach)")
    t.wrap("accessibility.suggest", "_solve", "solve")
    t.wrap("accessibility.suggest", "_greedy_coverage", "_greedy_coverage")
    t.wrap("accessibility.suggest", "_mip_coverage", "_mip_coverage")
    t.wrap("accessibility.suggest", "_run_mip", "_run_mip")
    t.wrap("accessibility.suggest", "_value_sites", "valuation")
    t.wrap("accessibility.closures", "costs_after_each_closure", "costs_after_each_closure")
    t.wrap("accessibility.closures._Regions", "__init__", "_Regions()")
    t.wrap("accessibility.closures._Regions", "search", "_Regions.search")
    t.wrap("accessibility.closures", "dijkstra", "dijkstra (closures)")
    return t


def stages(calls: list, spec: dict[str, list[str]], total: float) -> dict:
    """Seconds and calls per stage (outermost calls only) and per sub-stage, ``other``."""
    top = set(spec)
    out: dict = {"seconds": {}, "calls": {}, "sub": {}}
    for label, subs in spec.items():
        mine = [dt for lab, dt, ctx in calls if lab == label and not top & set(ctx)]
        out["seconds"][label] = sum(mine)
        out["calls"][label] = len(mine)
        out["sub"][label] = {
            s: {"seconds": sum(dt for lab, dt, ctx in calls if lab == s and label in ctx),
                "calls": sum(1 for lab, _dt, ctx in calls if lab == s and label in ctx)}
            for s in subs
        }  # fmt: skip
    out["seconds"]["other"] = total - sum(out["seconds"].values())
    out["total_s"] = total
    out["whole_network_searches"] = sum(1 for lab, _dt, _c in calls if lab == "nearest_source")
    return out


def median_stages(runs: list[dict]) -> dict:
    """Per stage the median over runs (the runs after the first, when there are several)."""
    use = runs[1:] if len(runs) > 1 else runs
    keys = use[0]["stages"]["seconds"].keys()
    return {k: median([r["stages"]["seconds"][k] for r in use]) for k in keys}


# --- the child -----------------------------------------------------------------------------
def run_suggest(build, cand_file: Path, timers: Timers, repeats: int, budget_s: float) -> dict:
    """``planning.suggest_sites`` ``repeats`` times (fewer past ``budget_s``), broken down."""
    from accessibility import planning

    runs: list[dict] = []
    for _ in range(repeats):
        if len(runs) >= 2 and sum(r["total_s"] for r in runs) > budget_s:
            break
        timers.take()
        t = time.perf_counter()
        s = planning.suggest_sites(build, category=SUGGEST["category"],
                                   within_km=SUGGEST["within_km"], count=SUGGEST["count"],
                                   candidates=str(cand_file),
                                   objective=SUGGEST["objective"])  # fmt: skip
        total = time.perf_counter() - t
        keep = ("method", "gap", "note", "model_value", "pairs", "candidates", "persons",
                "share_within_before", "share_within_after", "mean_before", "mean_after",
                "seconds", "solve_seconds", "sites")  # fmt: skip
        sites = s.sites[["candidate_id", "newly_within"]].to_dict("records")
        runs.append({"total_s": total, "stages": stages(timers.take(), SUGGEST_STAGES, total),
                     "summary": {k: s.summary.get(k) for k in keep}, "sites": sites})  # fmt: skip
    return summarise(runs)


def run_closures(build, timers: Timers, repeats: int, budget_s: float) -> tuple[dict, object]:
    """``planning.closures`` ``repeats`` times (fewer past ``budget_s``); the last table."""
    from accessibility import planning

    runs: list[dict] = []
    table = None
    for _ in range(repeats):
        if len(runs) >= 2 and sum(r["total_s"] for r in runs) > budget_s:
            break
        timers.take()
        t = time.perf_counter()
        table = planning.closures(build, category=CLOSURES["category"],
                                  within_km=CLOSURES["within_km"])  # fmt: skip
        total = time.perf_counter() - t
        runs.append({"total_s": total, "stages": stages(timers.take(), CLOSURE_STAGES, total),
                     "facilities": len(table)})  # fmt: skip
    return summarise(runs), table


def summarise(runs: list[dict]) -> dict:
    """First call, median of the rest, median stages."""
    rest = runs[1:] if len(runs) > 1 else runs
    return {"runs": runs, "first_s": runs[0]["total_s"],
            "median_s": median([r["total_s"] for r in rest]),
            "median_stages_s": median_stages(runs)}  # fmt: skip


def fewer_facilities(build, category: str, keep: int, seed: int):
    """The loaded build with only ``keep`` facilities of ``category`` (a seeded sample)."""
    fac = build.facilities
    rows = np.flatnonzero((fac["category"] == category).to_numpy())
    chosen = np.random.default_rng(seed).choice(rows, size=keep, replace=False)
    mask = (fac["category"] != category).to_numpy().copy()
    mask[chosen] = True
    return dataclasses.replace(build, facilities=fac[mask].reset_index(drop=True))


def closure_peers(build, ranked, timers: Timers) -> dict:
    """One scenario per closure and the whole-network search per closure, for a sample."""
    from accessibility.placement import Candidates, SitingProblem, demand_of
    from accessibility.scenarios import what_if

    cat, threshold = CLOSURES["category"], CLOSURES["within_km"] * 1000.0
    col = f"newly_beyond_{CLOSURES['within_km']:g}km"
    by_id = ranked.set_index("facility_id")
    rng = np.random.default_rng(SEED)
    ids = list(ranked["facility_id"])
    middle = ids[1:-1]
    pick = [ids[0], ids[-1], *rng.choice(middle, size=min(SCENARIO_SAMPLE - 2, len(middle)),
                                         replace=False)]  # fmt: skip
    timers.take()
    scen = []
    for fid in pick:
        t = time.perf_counter()
        res = what_if(build, close=[fid], profiles=["car"])
        dt = time.perf_counter() - t
        row = res.persons[(res.persons.category == cat) & (res.persons.profile == "car")]
        got = by_id.loc[fid]
        nb, wl = float(row[col].iloc[0]), float(row["weight_lost"].iloc[0])
        scen.append({"facility_id": str(fid), "seconds": dt, "scenario_newly_beyond": nb,
                     "ranked_newly_beyond": float(got["newly_beyond"]),
                     "scenario_weight_lost": wl, "ranked_lose_access": float(got["lose_access"]),
                     "agree": bool(abs(nb - got["newly_beyond"]) <= 1e-6
                                   and abs(wl - got["lose_access"]) <= 1e-6)})  # fmt: skip
    timers.take()
    empty = np.array([], dtype=str)
    problem = SitingProblem(build, demand_of(build),
                            Candidates("none", empty, empty.copy(), np.array([]), np.array([])),
                            category=cat, profile="car")  # fmt: skip
    before = problem.current()
    w = np.where(problem.demand_ok, problem.demand.weight, 0.0)
    index = {str(f): i for i, f in enumerate(problem.facility_id)}
    oracle = []
    for fid in pick[:ORACLE_SAMPLE]:
        f = index[str(fid)]
        t = time.perf_counter()
        after = problem.costs_with(np.array([], dtype=np.int64), closed=np.array([f]))
        dt = time.perf_counter() - t
        nb = float(w[(before <= threshold) & ~(after <= threshold)].sum())
        lost = float(w[np.isfinite(before) & ~np.isfinite(after)].sum())
        got = by_id.loc[fid]
        oracle.append({"facility_id": str(fid), "seconds": dt, "oracle_newly_beyond": nb,
                       "oracle_lose_access": lost,
                       "agree": bool(abs(nb - got["newly_beyond"]) <= 1e-6
                                     and abs(lost - got["lose_access"]) <= 1e-6)})  # fmt: skip
    timers.take()
    n = len(ranked)
    s_med = median([s["seconds"] for s in scen[1:]] or [scen[0]["seconds"]])
    o_med = median([o["seconds"] for o in oracle])
    return {"facilities": n, "scenario": scen, "oracle": oracle,
            "scenario_median_s": s_med, "scenario_first_s": scen[0]["seconds"],
            "scenario_all_s": s_med * n, "oracle_median_s": o_med, "oracle_all_s": o_med * n,
            "agree_scenarios": all(s["agree"] for s in scen),
            "agree_oracle": all(o["agree"] for o in oracle)}  # fmt: skip


def spopt_peer(problem, pairs) -> dict:
    """PySAL spopt's MCLP next to bereik's solver on a subsample of the same problem.

    ``problem`` and ``pairs``: the last suggestion's ``SitingProblem`` and ``site_costs``.
    """
    from accessibility import suggest as sg
    from accessibility.placement import SiteCosts

    threshold = SUGGEST["within_km"] * 1000.0
    cands = problem.candidates
    current = problem.current()
    w = np.where(problem.demand_ok, problem.demand.weight, 0.0)
    rng = np.random.default_rng(SEED)
    ok = problem.demand_ok & (w > 0)
    beyond = np.flatnonzero(ok & ~(current <= threshold))
    within = np.flatnonzero(ok & (current <= threshold))
    n_b = min(SPOPT_ORIGINS // 2, len(beyond))
    n_w = min(SPOPT_ORIGINS - n_b, len(within))
    dem = np.sort(np.concatenate([rng.choice(beyond, size=n_b, replace=False),
                                  rng.choice(within, size=n_w, replace=False)]))  # fmt: skip
    # candidates: those reaching a sampled origin beyond the threshold first, then others
    in_dem = np.isin(pairs.demand, dem[~(current[dem] <= threshold)])
    useful = np.unique(pairs.candidate[in_dem & (pairs.cost <= threshold)])
    others = np.setdiff1d(np.flatnonzero(problem.candidate_ok), useful)
    n_u = min(SPOPT_CANDIDATES, len(useful))
    n_o = min(SPOPT_CANDIDATES - n_u, len(others))
    cand = np.sort(np.concatenate([rng.choice(useful, size=n_u, replace=False),
                                   rng.choice(others, size=n_o, replace=False)]))  # fmt: skip
    d_pos = np.full(len(w), -1)
    d_pos[dem] = np.arange(len(dem))
    c_pos = np.full(len(cands), -1)
    c_pos[cand] = np.arange(len(cand))
    m = (d_pos[pairs.demand] >= 0) & (c_pos[pairs.candidate] >= 0)
    d_loc, c_loc, cost = d_pos[pairs.demand[m]], c_pos[pairs.candidate[m]], pairs.cost[m]
    ws, cur = w[dem], current[dem]
    already = float(ws[cur <= threshold].sum())

    t = time.perf_counter()
    model = sg._Model(ws, cur, SiteCosts(d_loc, c_loc, cost, threshold), len(cand), threshold)
    ours = sg._solve(model, "coverage", SUGGEST["count"], 1.0, 10.0)
    ours_s = time.perf_counter() - t
    greedy = sg._greedy_coverage(model.cover_matrix(), ws, SUGGEST["count"])
    res = {"origins": len(dem), "origins_beyond": int(n_b), "candidates": len(cand),
           "pairs": int(m.sum()), "dense_cells": len(dem) * (len(cand) + 1),
           "bereik_s": ours_s, "bereik_method": ours.method,
           "bereik_covered": ours.value + already,
           "bereik_greedy_covered": greedy.value + already, "already_covered": already,
           "bereik_sites": sorted(int(c) for c in ours.sites)}  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pulp
            from spopt.locate import MCLP

            t = time.perf_counter()
            dense = np.full((len(dem), len(cand) + 1), SPOPT_BIG)
            dense[:, 0] = np.where(np.isfinite(cur), cur, SPOPT_BIG)
            dense[d_loc, 1 + c_loc] = cost
            res["spopt_matrix_s"] = time.perf_counter() - t
            t = time.perf_counter()
            mclp = MCLP.from_cost_matrix(dense, ws, service_radius=threshold,
                                         p_facilities=SUGGEST["count"] + 1,
                                         predefined_facilities_arr=np.array([0]))  # fmt: skip
            res["spopt_model_s"] = time.perf_counter() - t
            t = time.perf_counter()
            mclp = mclp.solve(pulp.PULP_CBC_CMD(msg=False))
            res["spopt_solve_s"] = time.perf_counter() - t
        res["spopt_s"] = res["spopt_matrix_s"] + res["spopt_model_s"] + res["spopt_solve_s"]
        res["spopt_covered"] = float(mclp.problem.objective.value())
        res["spopt_status"] = pulp.LpStatus[mclp.problem.status]
        res["agree"] = bool(abs(res["spopt_covered"] - res["bereik_covered"]) <= 1e-6)
        res["ratio"] = res["spopt_s"] / ours_s if ours_s > 0 else None
        res["versions"] = {"spopt": _version("spopt"), "pulp": _version("pulp")}
    except ImportError as exc:
        res["spopt_skipped"] = f"spopt or pulp not importable: {exc}"
    return res


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def profile_top(fn, top: int = 20) -> dict:
    """Run ``fn`` under cProfile: the top functions by own and by cumulative time."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    fn()
    prof.disable()
    total = time.perf_counter() - t
    st = pstats.Stats(prof)
    rows = []
    for (file, line, name), (_cc, nc, tt, ct, _callers) in st.stats.items():
        if name == "wrapped":  # the benchmark's own timers
            continue
        where = file
        if "site-packages" in file or file.startswith("<"):
            where = Path(file).name
        elif file.startswith(str(ROOT)):
            where = str(Path(file).resolve().relative_to(ROOT))
        rows.append({"function": f"{where}:{line}({name})", "calls": nc,
                     "tottime_s": round(tt, 3), "cumtime_s": round(ct, 3)})  # fmt: skip
    return {"total_s": total,
            "by_tottime": sorted(rows, key=lambda r: -r["tottime_s"])[:top],
            "by_cumtime": sorted(rows, key=lambda r: -r["cumtime_s"])[:top]}  # fmt: skip


def child_measure(spec: dict) -> dict:
    """Everything measured on one size (see the module doc)."""
    from accessibility import planning
    from accessibility.model import load_build

    marks = Marks()
    res: dict = {"side": spec["side"]}
    t = time.perf_counter()
    build = load_build(spec["build"])
    res["load_tables_s"] = time.perf_counter() - t
    t = time.perf_counter()
    net = build.network("car")
    res["load_network_s"] = time.perf_counter() - t
    marks.mark("build loaded")
    fac = build.facilities["category"].value_counts()
    res["nodes"], res["edges"] = int(net.n_nodes), int(net.n_edges)
    res["origins"] = len(build.origins)
    res["persons"] = float(build.origins["weight"].sum())
    res["facilities"] = {c: int(fac.get(c, 0)) for c in ("gp", "supermarket", "school_primary")}
    cand_file = candidates_csv(build, spec["side"])
    res["candidates_file"] = cand_file.name
    timers = install_timers()
    res["missing_timers"] = timers.missing

    log("  suggest_sites")
    res["suggest"] = run_suggest(build, cand_file, timers, spec["repeats"], spec["budget_s"])
    (problem, _bound), pairs = timers.last["site_costs()"]
    res["candidates_placed"] = int(problem.candidate_ok.sum())
    res["origins_placed"] = int(problem.demand_ok.sum())
    marks.mark("suggest")
    log("  closures")
    res["closures"], ranked = run_closures(build, timers, spec["repeats"], spec["budget_s"])
    res["closures"]["category"] = CLOSURES["category"]
    res["closures"]["facilities"] = len(ranked)
    marks.mark("closures")
    if len(ranked) > TARGET_FACILITIES:
        log(f"  closures, {TARGET_FACILITIES} of the {len(ranked)} facilities")
        fewer = fewer_facilities(build, CLOSURES["category"], TARGET_FACILITIES, SEED)
        res["closures_200"], _ = run_closures(fewer, timers, spec["repeats"], spec["budget_s"])
        res["closures_200"]["facilities"] = TARGET_FACILITIES
        del fewer
        marks.mark(f"closures of {TARGET_FACILITIES}")
    log("  peers: one scenario and one whole-network search per closure")
    res["closure_peers"] = closure_peers(build, ranked, timers)
    marks.mark("closure peers")
    log("  peer: spopt MCLP on a subsample")
    res["spopt"] = spopt_peer(problem, pairs)
    del problem, pairs
    marks.mark("spopt")
    if spec.get("profile"):
        log("  cProfile of one suggestion and one ranking")
        res["profile"] = {
            "suggest": profile_top(lambda: planning.suggest_sites(
                build, category=SUGGEST["category"], within_km=SUGGEST["within_km"],
                count=SUGGEST["count"], candidates=str(cand_file),
                objective=SUGGEST["objective"])),
            "closures": profile_top(lambda: planning.closures(
                build, category=CLOSURES["category"], within_km=CLOSURES["within_km"])),
        }  # fmt: skip
    res["marks"] = marks.points
    return res


def child_main(spec_path: Path, out_path: Path) -> int:
    """Entry point of a child process: measure one size, write its JSON."""
    spec = json.loads(spec_path.read_text())
    res = child_measure(spec)
    res["child_maxrss_mb"] = maxrss_mb()
    out_path.write_text(json.dumps(res, indent=1, default=float))
    return 0


def run_child(spec: dict) -> dict:
    """Run one size in a child; add its wall seconds and peak RSS (``os.wait4``)."""
    tag = f"grid-{spec['side']}"
    return harness.run_child(__file__, [], spec, WORK / f"spec-{tag}.json",
                             WORK / f"child-{tag}.json", tag)  # fmt: skip


def other_processes() -> list[str]:
    """The busiest other processes (command names and CPU share) at this moment."""
    try:
        out = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True,
                             text=True, check=True).stdout.splitlines()[1:]  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return []
    mine = {os.getpid()}
    rows = []
    for line in out:
        pid, cpu, comm = line.split(None, 2)
        if int(pid) not in mine and float(cpu) >= 5.0:
            rows.append(f"{comm} ({cpu} %)")
    return rows[:8]


def load_now() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


# --- report --------------------------------------------------------------------------------------
def _s(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.1f}x"


def render(results: dict) -> str:
    """The report as markdown."""
    m = results["machine"]
    sizes = results["sizes"]
    lines = [
        "# Benchmark: the location questions at scale (issue 13)",
        "",
        "Written by `benchmarks/planning.py`; the raw numbers are in "
        "`benchmarks/.work/planning/results.json`.",
        "",
        "**Every input here is SYNTHETIC**: the street grids come from "
        "`scripts/make_synthetic_grid.py` and the addresses and municipalities from "
        "`scripts/make_synthetic_addresses.py` (not OpenStreetMap, not BAG, not real "
        "boundaries). The figures measure speed and memory, not any real place.",
        "",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['platform']}, Python {m['python']}",
        f"- date: {m['date']}; {m['git']}",
        f"- libraries: numpy {m['libraries'].get('numpy')}, scipy {m['libraries'].get('scipy')}, "
        f"pandas {m['libraries'].get('pandas')}, spopt {results.get('versions', {}).get('spopt')}, "
        f"pulp {results.get('versions', {}).get('pulp')}; OMP_NUM_THREADS="
        f"{m.get('omp_num_threads')}",
        f"- load average (1, 5, 15 min) before the run {results['load_before']}, after it "
        f"{results['load_after']}; busiest other processes at the start: "
        f"{', '.join(results.get('others_before') or ['none'])}; at the end: "
        f"{', '.join(results.get('others_after') or ['none'])}",
        "",
    ]  # fmt: skip
    per_size = "; ".join(f"grid {r['side']}: {r.get('load_before')} -> {r.get('load_after')}"
                         for r in results["sizes"])  # fmt: skip
    lines[-1:-1] = [f"- load average around each size's child: {per_size}"]
    if results.get("shared_note"):
        lines += [results["shared_note"], ""]
    lines += _inputs(results) + _summary(sizes) + _targets(results) + _suggest(sizes)
    lines += _closures(sizes) + _peers(sizes) + _growth(sizes) + _profile(sizes) + _method()
    return "\n".join(lines) + "\n"


def _inputs(results: dict) -> list[str]:
    out = ["## Inputs (SYNTHETIC)", "",
           "| grid | car nodes | car edges | addresses (origins) | persons | candidates | GPs | "
           "supermarkets | primary schools | `bereik build` s | build peak RSS MiB |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]  # fmt: skip
    for r in results["sizes"]:
        p, f = r["prep"], r["facilities"]
        n_cand = r["suggest"]["runs"][0]["summary"]["candidates"]
        placed = r.get("candidates_placed", n_cand)
        cands = f"{n_cand:,}" + (f" ({placed:,} placed)" if placed != n_cand else "")
        out.append(f"| {r['side']} x {r['side']} | {r['nodes']:,} | {r['edges']:,} | "
                   f"{r['origins']:,} | {r['persons']:,.0f} | {cands} | "
                   f"{f['gp']:,} | {f['supermarket']:,} | {f['school_primary']:,} | "
                   f"{_s(p.get('build_s'), 0)}{' (cached)' if p.get('reused') else ''} | "
                   f"{_s(p.get('build_peak_rss_mb'), 0)} |")  # fmt: skip
    out += ["", "The build (car only, 1,3,5 km rings, every bundled category) is made once and "
            "reused; its time is context, not part of the questions.", ""]  # fmt: skip
    return out


def _summary(sizes: list[dict]) -> list[str]:
    out = ["## Results", "",
           "Seconds of one call on the loaded build: the median of the repeats after the first "
           "(warm: the origins' snapping is cached on the loaded build, as in `bereik serve`), "
           "and the first call (cold, as `bereik suggest` on the command line after loading). "
           "The closures run after the suggestions on the same loaded build, so their first "
           "call finds the origins snapped already; the 200-GP variant runs on a copy of the "
           "build (a new object, no cache), so its first call snaps the origins again.",
           "",
           "| car nodes | origins | candidates | suggest warm s | suggest cold s | pairs | method "
           "| gap | closures (GPs) | closures warm s | closures cold s | 200 GPs warm s | load s "
           "| peak RSS MiB |",
           "|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|"]  # fmt: skip
    for r in sizes:
        sg, cl = r["suggest"], r["closures"]
        summ = sg["runs"][-1]["summary"]
        c200 = r.get("closures_200")
        gap = summ.get("gap")
        out.append(f"| {r['nodes']:,} | {r['origins']:,} | {summ['candidates']:,} | "
                   f"{_s(sg['median_s'])} | {_s(sg['first_s'])} | {summ['pairs']:,} | "
                   f"{summ['method']} | {'-' if gap is None else f'{gap:.2%}'} | "
                   f"{cl['facilities']} | {_s(cl['median_s'])} | {_s(cl['first_s'])} | "
                   f"{_s(c200['median_s']) if c200 else '-'} | "
                   f"{_s(r['load_tables_s'] + r['load_network_s'])} | "
                   f"{r['peak_rss_mb']:,.0f} |")  # fmt: skip
    out += ["", "Peak RSS is the child's (`os.wait4` `ru_maxrss`): the loaded build, both "
            "questions, the peers and spopt's model together.", ""]  # fmt: skip
    for r in sizes:
        summ = r["suggest"]["runs"][-1]["summary"]
        out.append(f"- {r['nodes']:,} nodes: {summ['share_within_before']:.1%} of the persons "
                   f"are within {SUGGEST['within_km']:g} km of a GP now, "
                   f"{summ['share_within_after']:.1%} after the {summ['sites']} suggested sites "
                   f"(model value {summ['model_value']:,.0f} persons newly within; "
                   f"{summ.get('note') or 'no note'}).")  # fmt: skip
    out.append("")
    return out


def _at_target(sizes: list[dict]) -> dict | None:
    big = [r for r in sizes if r["nodes"] >= TARGET_NODES]
    return big[0] if big else None


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "not measured"
    if value < target:
        return f"**met**: {value:.2f} s, {target - value:.2f} s ({target / value:.1f}x) under"
    return f"**not met**: {value:.2f} s, {value - target:.2f} s ({value / target:.1f}x) over"


def _targets(results: dict) -> list[str]:
    sizes = results["sizes"]
    r = _at_target(sizes)
    out = ["## The targets of issue 13", ""]
    if r is None:
        out += [f"No size of this run has {TARGET_NODES:,} nodes: the targets are not judged "
                "(run without `--quick`).", ""]  # fmt: skip
        return out
    sg = r["suggest"]
    summ = sg["runs"][-1]["summary"]
    c200 = r.get("closures_200") or {}
    cl = r["closures"]
    out += [
        f"On the {r['nodes']:,}-node grid with {r['origins']:,} SYNTHETIC origins:",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        f"| 3 sites from 1,000 candidates for 100,000 origins on a 1M-node network, < "
        f"{TARGET_SUGGEST_S:g} s | {summ['candidates']:,} candidates, {r['origins']:,} origins, "
        f"warm | {_verdict(sg['median_s'], TARGET_SUGGEST_S)} |",
        f"| (the same, first call after loading) | cold | "
        f"{_verdict(sg['first_s'], TARGET_SUGGEST_S)} |",
        f"| ranking all closures of a category with 200 facilities, < {TARGET_CLOSURES_S:g} s "
        f"| {c200.get('facilities', '-')} GPs on the 1M-node network, warm | "
        f"{_verdict(c200.get('median_s'), TARGET_CLOSURES_S)} |",
        f"| (the same, first call) | cold | {_verdict(c200.get('first_s'), TARGET_CLOSURES_S)} |",
        f"| (every GP of the grid) | {cl['facilities']} GPs, warm | "
        f"{_verdict(cl['median_s'], TARGET_CLOSURES_S)} |",
        "",
    ]  # fmt: skip
    if sg["median_s"] and sg["median_s"] >= TARGET_SUGGEST_S:
        out += _suggest_miss(r)
    return out


def _suggest_miss(r: dict) -> list[str]:
    """Where the suggestion's time goes when it misses the target."""
    sg = r["suggest"]
    total, st = sg["median_s"], sg["median_stages_s"]
    last = sg["runs"][-1]["stages"]["sub"]
    sub = last["site_costs()"]
    searches = (st.get("current()") or 0) + (st.get("valuation") or 0)
    out = [f"Where the suggestion's {total:.1f} s go: `SitingProblem.site_costs` "
           f"{st['site_costs()']:.1f} s ({st['site_costs()'] / total:.0%}); inside it (last run) "
           f"`reach.subgraph` {sub['subgraph']['seconds']:.1f} s over "
           f"{sub['subgraph']['calls']:,} bounded searches "
           f"({sub['subgraph']['seconds'] / total:.0%} of the call), while the Dijkstra "
           f"searches themselves take {sub['dijkstra (reach)']['seconds']:.1f} s; the rest of "
           "`one_to_many` (`_many_local`'s loop over the sources) "
           f"{sub['one_to_many']['seconds'] - sub['bounded_search']['seconds']:.1f} s. "
           f"The {sg['runs'][-1]['stages']['whole_network_searches']} whole-network searches "
           f"(`current()` and the valuation of the sites) take {searches:.1f} s."]  # fmt: skip
    prof = (r.get("profile") or {}).get("suggest")
    if prof:
        top = ", ".join(f"`{x['function']}` {x['tottime_s']:.1f} s"
                        for x in prof["by_tottime"][:5])  # fmt: skip
        out[-1] += f" By own time under cProfile: {top} (see the profile below)."
    return [*out, ""]


def _stage_rows(st: dict, total: float, runs: list[dict], spec: dict) -> list[str]:
    rows = []
    last = runs[-1]["stages"]
    for label in [*spec, "other"]:
        sec = st.get(label) or 0.0
        calls = last["calls"].get(label, "")
        share = f"{sec / total:.0%}" if total else ""
        rows.append(f"| {label} | {STAGE_HELP.get(label, '')} | {sec:.3f} | {share} | "
                    f"{calls} |")  # fmt: skip
        for sub, v in last["sub"].get(label, {}).items():
            if v["calls"]:
                rows.append(f"| &nbsp;&nbsp;{sub} | (last run) | {v['seconds']:.3f} | "
                            f"{v['seconds'] / last['total_s']:.0%} | {v['calls']:,} |")  # fmt: skip
    return rows


def _suggest(sizes: list[dict]) -> list[str]:
    out = ["## Where the time goes: suggest_sites", "",
           f"`planning.suggest_sites(category=\"gp\", within_km={SUGGEST['within_km']:g}, "
           f"count={SUGGEST['count']}, candidates=<1,000 points>, objective=\"coverage\")`. "
           "Stages: the median over the warm runs, their share of the warm total; sub-stages: "
           "the last run, their share of its total.", ""]  # fmt: skip
    for r in sizes:
        sg = r["suggest"]
        total = sg["median_s"]
        summ = sg["runs"][-1]["summary"]
        out += [f"### {r['nodes']:,} nodes, {r['origins']:,} origins, {summ['candidates']:,} "
                f"candidates: {total:.2f} s warm, {sg['first_s']:.2f} s cold", "",
                f"{summ['pairs']:,} candidate-origin pairs within {SUGGEST['within_km']:g} km; "
                f"method {summ['method']}; whole-network searches per call "
                f"{sg['runs'][-1]['stages']['whole_network_searches']}.", "",
                "| stage | what | s | share | calls |", "|---|---|--:|--:|--:|"]  # fmt: skip
        out += _stage_rows(sg["median_stages_s"], total, sg["runs"], SUGGEST_STAGES)
        first = sg["runs"][0]["stages"]["seconds"]
        cold = ", ".join(f"{k} {v:.2f} s" for k, v in first.items() if v >= 0.05)
        out += ["", f"Cold call: {cold}.", ""]
    return out


def _closures(sizes: list[dict]) -> list[str]:
    out = ["## Where the time goes: closures", "",
           f"`planning.closures(category=\"gp\", within_km={CLOSURES['within_km']:g})`: every "
           "closure of the category ranked in one pass. \"200 GPs\": the same on the loaded "
           "build with 200 of its GPs (a seeded sample; the others left out), the issue's "
           "figure.", ""]  # fmt: skip
    for r in sizes:
        for key, what in (("closures", "every GP"), ("closures_200", "200 GPs")):
            cl = r.get(key)
            if not cl:
                continue
            total = cl["median_s"]
            out += [f"### {r['nodes']:,} nodes, {cl['facilities']} facilities ({what}): "
                    f"{total:.2f} s warm, {cl['first_s']:.2f} s cold", "",
                    "| stage | what | s | share | calls |", "|---|---|--:|--:|--:|"]  # fmt: skip
            out += _stage_rows(cl["median_stages_s"], total, cl["runs"], CLOSURE_STAGES)
            out.append("")
    return out


def _peers(sizes: list[dict]) -> list[str]:
    out = ["## Side by side with the peers (same child, same loaded build)", "",
           "### Ranking closures against one scenario or one search per closure", "",
           f"`scenarios.what_if(close=[id], profiles=[\"car\"])` for {SCENARIO_SAMPLE} GPs (the "
           f"first- and last-ranked and {SCENARIO_SAMPLE - 2} at random; median of all but the "
           "first call) and `SitingProblem.costs_with(closed=[f])` (the whole-network search "
           f"per closure, the tests' oracle) for {ORACLE_SAMPLE} of them; each times the GP "
           "count is what ranking every closure that way would take. The agreement compares "
           "the ranked `newly_beyond` / `lose_access` of the sampled GPs with the scenario's "
           "`newly_beyond_3km` / `weight_lost` and with the oracle's.", "",
           "| car nodes | GPs | rank_closures s | one scenario s | x GPs s | ratio | one search s "
           "| x GPs s | ratio | agree with scenarios | agree with oracle |",
           "|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|"]  # fmt: skip
    for r in sizes:
        p, cl = r["closure_peers"], r["closures"]
        a_s = "pass" if p["agree_scenarios"] else "**FAIL**"
        a_o = "pass" if p["agree_oracle"] else "**FAIL**"
        out.append(f"| {r['nodes']:,} | {p['facilities']} | {_s(cl['median_s'])} | "
                   f"{_s(p['scenario_median_s'], 3)} | {_s(p['scenario_all_s'], 1)} | "
                   f"{_ratio(p['scenario_all_s'], cl['median_s'])} | "
                   f"{_s(p['oracle_median_s'], 3)} | {_s(p['oracle_all_s'], 1)} | "
                   f"{_ratio(p['oracle_all_s'], cl['median_s'])} | {a_s} ({len(p['scenario'])}) "
                   f"| {a_o} ({len(p['oracle'])}) |")  # fmt: skip
    out += ["", "### The solver against PySAL spopt's MCLP", "",
            f"A subsample of each size's suggestion problem: {SPOPT_ORIGINS:,} origins (up to half "
            f"of them beyond {SUGGEST['within_km']:g} km of a GP now) x {SPOPT_CANDIDATES} "
            "candidates (those reaching a sampled origin beyond the threshold first), the costs "
            "from the same `site_costs` pairs. spopt gets them as a dense matrix (a pair beyond "
            f"the bound: {SPOPT_BIG:g} m) plus a column for the existing GPs (each origin's "
            "current cost) as a predefined facility, `p_facilities` = 3 + 1, and solves with "
            "PuLP's CBC; bereik builds its sparse model and runs `_solve` (greedy, then HiGHS). "
            "Both answers must cover the same weight (persons within the threshold, the existing "
            "GPs included).", "",
            "| car nodes | origins | candidates | pairs | dense cells | bereik s | method | "
            "spopt matrix s | spopt model s | spopt solve s | spopt total s | ratio | covered "
            "(bereik / spopt) | agree |",
            "|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|---|"]  # fmt: skip
    for r in sizes:
        s = r["spopt"]
        if "spopt_skipped" in s:
            out.append(f"| {r['nodes']:,} | {s['origins']:,} | {s['candidates']} | "
                       f"{s['pairs']:,} | | {_s(s['bereik_s'], 3)} | {s['bereik_method']} | "
                       f"{s['spopt_skipped']} | | | | | | |")  # fmt: skip
            continue
        out.append(f"| {r['nodes']:,} | {s['origins']:,} | {s['candidates']} | {s['pairs']:,} | "
                   f"{s['dense_cells']:,} | {_s(s['bereik_s'], 3)} | {s['bereik_method']} | "
                   f"{_s(s['spopt_matrix_s'], 3)} | {_s(s['spopt_model_s'], 2)} | "
                   f"{_s(s['spopt_solve_s'], 2)} | {_s(s['spopt_s'], 2)} | "
                   f"{_ratio(s['spopt_s'], s['bereik_s'])} | {s['bereik_covered']:,.0f} / "
                   f"{s['spopt_covered']:,.0f} | "
                   f"{'pass' if s['agree'] else '**FAIL**'} |")  # fmt: skip
    big = _at_target(sizes) or (sizes[-1] if sizes else None)
    if big:
        summ = big["suggest"]["runs"][-1]["summary"]
        cells = big["origins"] * (summ["candidates"] + 1)
        out += ["", f"At full size ({big['origins']:,} origins x {summ['candidates']:,} "
                f"candidates) spopt's dense matrix alone would hold {cells:,} cells "
                f"({cells * 8 / 1e9:.1f} GB as float64) and its PuLP model one coefficient per "
                "cell within the radius; bereik's sparse table held "
                f"{summ['pairs']:,} pairs.", ""]  # fmt: skip
    return out


def _growth(sizes: list[dict]) -> list[str]:
    if len(sizes) < 2:
        return []

    def figures(r: dict) -> dict[str, float | None]:
        sg, cl = r["suggest"], r["closures"]
        st = sg["median_stages_s"]
        c200 = r.get("closures_200")
        return {"suggest (warm)": sg["median_s"], "suggest (cold)": sg["first_s"],
                "  SitingProblem()": st.get("SitingProblem()"), "  current()": st.get("current()"),
                "  site_costs()": st.get("site_costs()"), "  solve": st.get("solve"),
                "  valuation": st.get("valuation"), "closures, every GP (warm)": cl["median_s"],
                "closures, 200 GPs (warm)": c200["median_s"] if c200 else None,
                "one scenario": r["closure_peers"]["scenario_median_s"],
                "peak RSS": r["peak_rss_mb"]}  # fmt: skip

    rows = [figures(r) for r in sizes]
    heads = [f"{a['nodes']:,} -> {b['nodes']:,}" for a, b in itertools.pairwise(sizes)]
    out = ["## Growth with size", "",
           "Exponent b of time ~ nodes^b between neighbouring sizes and over the whole range "
           "(origins grow with the nodes, 0.1 per node; the candidates stay 1,000; the GPs grow "
           "with the nodes). 1 is linear.", "",
           "| figure | " + " | ".join(heads) + " | first -> last |",
           "|---|" + "--:|" * (len(heads) + 1)]  # fmt: skip
    for key in rows[0]:
        cells = []
        pairs = [*zip(sizes, rows, sizes[1:], rows[1:], strict=False)]
        for a, fa, b, fb in pairs:
            e = slope(a["nodes"], fa[key] or 0, b["nodes"], fb[key] or 0)
            cells.append(_s(e))
        e = slope(sizes[0]["nodes"], rows[0][key] or 0, sizes[-1]["nodes"], rows[-1][key] or 0)
        if key == "closures, 200 GPs (warm)":
            have = [(r, f) for r, f in zip(sizes, rows, strict=True) if f[key]]
            e = (slope(have[0][0]["nodes"], have[0][1][key], have[-1][0]["nodes"],
                       have[-1][1][key]) if len(have) > 1 else None)  # fmt: skip
        out.append(f"| {key.strip() if not key.startswith('  ') else '&nbsp;&nbsp;' + key.strip()}"
                   f" | " + " | ".join(cells) + f" | {_s(e)} |")  # fmt: skip
    out.append("")
    return out


def _profile(sizes: list[dict]) -> list[str]:
    out = []
    for r in sizes:
        prof = r.get("profile")
        if not prof:
            continue
        out += [f"## cProfile at {r['nodes']:,} nodes (one extra call of each, not timed above)",
                ""]  # fmt: skip
        for key, what in (("suggest", "suggest_sites"), ("closures", "closures")):
            p = prof[key]
            out += [f"### {what}: {p['total_s']:.2f} s under the profiler", "",
                    "| function (by own time) | calls | own s | cumulative s |",
                    "|---|--:|--:|--:|"]  # fmt: skip
            for row in p["by_tottime"][:12]:
                out.append(f"| `{row['function']}` | {row['calls']:,} | {row['tottime_s']:.3f} | "
                           f"{row['cumtime_s']:.3f} |")  # fmt: skip
            out += ["", "| function (by cumulative time) | calls | own s | cumulative s |",
                    "|---|--:|--:|--:|"]  # fmt: skip
            for row in p["by_cumtime"][:15]:
                out.append(f"| `{row['function']}` | {row['calls']:,} | {row['tottime_s']:.3f} | "
                           f"{row['cumtime_s']:.3f} |")  # fmt: skip
            out.append("")
    return out


def _method() -> list[str]:
    return [
        "## How it is measured",
        "",
        "- Inputs per size: `scripts/make_synthetic_grid.py <side>`, "
        "`scripts/make_synthetic_addresses.py <0.1 x nodes> --grid-side <side> "
        "--municipalities <max(2, side // 100)>` and `bereik build <grid> --addresses <file> "
        "--residents-column residents --boundaries <municipalities> --profiles car --no-coverage "
        "--gpkg-edges no --quiet`, made once under `benchmarks/.work/planning/`. Candidates: "
        "the centres of a 40 x 25 lattice over the car network's extent (1,000 points, a CSV).",
        "- Each size in a child process of its own (fresh interpreter); the build is loaded "
        "once (`load_build`, then the car network) and every call runs on it. Seconds by "
        "`time.perf_counter`; stages by timers wrapped around the library functions (a call "
        "counts for its outermost stage; sub-stages inside it are listed below it). Each "
        "question runs 3 times: the first call is cold (it snaps the origins, cached on the "
        "loaded build after), the median of the other two is the warm figure.",
        "- The peers run in the same child on the same loaded build, after the questions; "
        "their extrapolations (one scenario or one search per closure, times the GP count) "
        "assume every closure costs the median sampled one.",
        "- On a shared machine other processes change single figures (see the load averages "
        "and the busiest processes above); the ratios are measured within one child, close "
        "in time, and move less.",
        "",
    ]


# --- parent --------------------------------------------------------------------------------------
def make_parser() -> argparse.ArgumentParser:
    """Command-line arguments."""
    p = argparse.ArgumentParser(
        prog="benchmarks/planning.py",
        description="Benchmark suggest_sites and closures (issue 13) on SYNTHETIC grids with "
                    "SYNTHETIC addresses, against spopt and one scenario per closure; write "
                    "docs/benchmarks-planning.md.",
    )  # fmt: skip
    p.add_argument("--sides", default=DEFAULT_SIDES,
                   help=f"grid sides (default {DEFAULT_SIDES}: 62.5k, 250k, 1M nodes)")  # fmt: skip
    p.add_argument("--quick", action="store_true",
                   help=f"sides {QUICK_SIDES} only, report to "
                        f"{QUICK_DOC.relative_to(ROOT)}")  # fmt: skip
    p.add_argument("--repeats", type=int, default=3,
                   help="calls of each question per size (first: cold; default 3)")  # fmt: skip
    p.add_argument("--profile", type=int, default=None, metavar="SIDE",
                   help="side also run under cProfile (default: the largest; 0: none)")  # fmt: skip
    p.add_argument("--out", type=Path, default=None, help=f"report (default {DOC})")
    p.add_argument("--json", type=Path, default=None,
                   help="raw results (default benchmarks/.work/planning/results.json)")  # fmt: skip
    p.add_argument("--render-only", type=Path, default=None, metavar="JSON",
                   help="measure nothing: rewrite the report from a results JSON")  # fmt: skip
    p.add_argument("--note", default=None,
                   help="a sentence for the report, e.g. what else ran on the machine")  # fmt: skip
    p.add_argument("--child", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Prepare every size, measure it in a child, write the JSON and the report."""
    args = make_parser().parse_args(argv)
    if args.child:
        return child_main(Path(args.child[0]), Path(args.child[1]))
    out = args.out or (QUICK_DOC if args.quick else DOC)
    if args.render_only:
        results = json.loads(args.render_only.read_text())
        if args.note is not None:
            results["shared_note"] = args.note
            args.render_only.write_text(json.dumps(results, indent=1, default=float))
        out.write_text(render(results))
        log(f"wrote {out} from {args.render_only}")
        return 0
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import run as bench

    sides = sorted(int(s) for s in (QUICK_SIDES if args.quick else args.sides).split(",") if s)
    profile_side = sides[-1] if args.profile is None else args.profile
    js = args.json or WORK / "results.json"
    WORK.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    results: dict = {"machine": bench.machine(), "load_before": load_now(),
                     "others_before": other_processes(), "sides": sides,
                     "versions": {"spopt": _version("spopt"), "pulp": _version("pulp")},
                     "settings": {"suggest": SUGGEST, "closures": CLOSURES, "lattice": LATTICE,
                                  "repeats": args.repeats, "seed": SEED},
                     "targets": {"nodes": TARGET_NODES, "suggest_s": TARGET_SUGGEST_S,
                                 "closures_s": TARGET_CLOSURES_S,
                                 "facilities": TARGET_FACILITIES},
                     "shared_note": args.note, "sizes": []}  # fmt: skip
    for side in sides:
        prep = prepare(side)
        log(f"grid {side} x {side}: measuring in a child")
        spec = {"side": side, "build": str(BUILDS / f"grid-{side}"), "repeats": args.repeats,
                "budget_s": REPEAT_BUDGET_S, "profile": side == profile_side}  # fmt: skip
        load_before = load_now()
        r = run_child(spec)
        r["prep"] = prep
        r["load_before"], r["load_after"] = load_before, load_now()
        sg, cl = r["suggest"], r["closures"]
        log(f"  suggest {sg['median_s']:.2f} s warm ({sg['first_s']:.2f} s cold), closures "
            f"{cl['median_s']:.2f} s ({cl['facilities']} GPs), "
            f"peak {r['peak_rss_mb']:.0f} MiB")  # fmt: skip
        results["sizes"].append(r)
        js.write_text(json.dumps(results, indent=1, default=float))
    results["load_after"] = load_now()
    results["others_after"] = other_processes()
    results["total_s"] = time.perf_counter() - t_start
    js.write_text(json.dumps(results, indent=1, default=float))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results))
    log(f"wrote {out} and {js} in {results['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
