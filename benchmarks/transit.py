"""bereik's public-transport speed (issue 15): the window figures, isochrones, and the peers.

One run, on the Heidelberg extract and the VRN Rhein-Neckar GTFS cut (Thursday 2022-09-01):

1. the window figures: ``TransitModel.build`` (stops snapped, walks between stops) and
   ``TransitModel.times_to_nearest`` from N = 100, 1,000 and 10,000 seeded random origins
   in 8.64-8.72 E, 49.38-49.42 N to the nearest of the build's 20 schools, every minute
   07:00-09:00 (121 departures, the peers' grid); median of 3 repeats each, the growth
   per 10x origins and where the time goes (timers around the model's steps);
2. isochrones: ``TransitRouter.isochrones`` at 08:00 for 25 seeded locations in that box,
   minutes [10], [30] and [30, 45, 60], direction from and to, warm (the stop walks are
   searched first and their one-time cost is reported apart); median and p90 per case,
   and cProfile of the slowest case (its top functions);
3. the peers on the task of 1. with the same origins and schools: pynigiri's range query
   per origin and ferrobus's fastest method (all three timed at N = 100), at N = 100 and
   1,000, by the functions of ``benchmarks/transit_engines.py`` in a child process of the
   peers' venv; ratios peer / bereik (10,000 extrapolated from 1,000) and the agreement of
   the per-origin medians at N = 100.

Usage::

    .venv/bin/python benchmarks/transit.py            # writes docs/benchmarks-transit.md
    .venv/bin/python benchmarks/transit.py --no-peers --out /tmp/transit.md

The build (``bereik build`` of the sample with ``--gtfs``) goes to
``benchmarks/.work/transit/build`` and is reused while up to date. The peers run in
``--peers-python`` (default ``.venv-transit-peers/bin/python`` in the repository root,
made on first use with ``python3.11 -m venv`` and ``pip install ferrobus==0.2.1
pynigiri==0.1.5 pandas numpy``); without it they are skipped with the reason printed and
written down. About 70 seconds on 2 cores (plus the venv on first use, and the
build when it is not up to date: about 20 s).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import functools
import importlib
import importlib.metadata
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work" / "transit"
OSM = ROOT / "data" / "samples" / "heidelberg-2024-09-08.osm.pbf"
GTFS = ROOT / "data" / "samples" / "vrn-rhein-neckar-2022-cut.gtfs.zip"
PLACES = ROOT / "data" / "samples" / "vrn-places-2022.csv"
DAY = dt.date(2022, 9, 1)
BBOX = (8.64, 8.72, 49.38, 49.42)  # lon_min, lon_max, lat_min, lat_max
CATEGORY = "school"
START_S = 7 * 3600
WINDOW_MIN = 121  # departures 07:00, 07:01, ..., 09:00: the peers' 121 minutes
SIZES = (100, 1000, 10_000)
PEER_SIZES = (100, 1000)
ISO_AT = dt.datetime(2022, 9, 1, 8, 0)
ISO_MINUTES = ([10], [30], [30, 45, 60])
DIRECTIONS = ("from", "to")
TARGET_MS = 200.0
PEERS_VENV = ROOT / ".venv-transit-peers"
PEER_PACKAGES = ("ferrobus==0.2.1", "pynigiri==0.1.5", "pandas", "numpy")
PEER_BUDGET_S = 30.0  # transit_engines.FULL_RUN_BUDGET_S here: 3 full runs of ferrobus at 1,000
STEPS = (  # (module, function) of the model's steps, timed inside times_to_nearest
    ("accessibility.transit.model", "locate"),
    ("accessibility.transit.model", "router_for"),
    ("accessibility.transit.model", "profiles_to_targets"),
    ("accessibility.transit.model", "_access_pairs"),
    ("accessibility.transit.model", "_evaluate"),
)
STEP_LABEL = {
    "locate": "snap origins + schools",
    "router_for": "place them on the graph",
    "profiles_to_targets": "backward profile scan (CSA)",
    "_access_pairs": "access walks origin -> stops",
    "_evaluate": "lookups per origin x departure",
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, res


def fmt_s(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    if x < 1e-3:
        return f"{x * 1e6:.0f} us"
    if x < 1:
        return f"{x * 1e3:.1f} ms"
    return f"{x:.2f} s"


def fmt_x(x: float | None) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.1f}x"


def finite_list(a: np.ndarray) -> list[Any]:
    """JSON-safe: inf and NaN become None."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, float).ravel()]


def from_list(xs: list[Any], shape: tuple[int, ...] | None = None) -> np.ndarray:
    a = np.array([np.inf if v is None else v for v in xs], dtype=float)
    return a.reshape(shape) if shape else a


def machine() -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from machine import cpu_name

    load = os.getloadavg()
    return {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "load": [round(x, 2) for x in load],
    }


def git(*args: str) -> str:
    r = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return r.stdout.strip()


# --------------------------------------------------------------------------------------
# the build and the inputs


def ensure_build(out: Path) -> tuple[float, bool]:
    """``bereik build`` of the sample with public transport (a no-op while up to date)."""
    exe = Path(sys.executable).with_name("bereik")
    cmd = [
        str(exe) if exe.exists() else "bereik",
        "build",
        str(OSM),
        "--villages",
        str(PLACES),
        "--gtfs",
        str(GTFS),
        "--departure",
        "2022-09-01T07:00",
        "--no-origins",
        "--out",
        str(out),
        "--quiet",
    ]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode:
        msg = f"bereik build failed ({r.returncode}):\n{r.stderr[-2000:]}"
        raise SystemExit(msg)
    return time.perf_counter() - t0, "up to date" in r.stdout + r.stderr


def random_points(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lon0, lon1, lat0, lat1 = BBOX
    return rng.uniform(lon0, lon1, n), rng.uniform(lat0, lat1, n)


# --------------------------------------------------------------------------------------
# 1. bereik: the window figures


class StepTimer:
    """Wall time of the model's steps inside ``times_to_nearest`` (patched module names)."""

    def __init__(self) -> None:
        self.acc: dict[str, float] = {}
        self.saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> StepTimer:
        for mod_name, name in STEPS:
            mod = importlib.import_module(mod_name)
            fn = getattr(mod, name)
            self.saved.append((mod, name, fn))
            setattr(mod, name, self._wrap(name, fn))
        return self

    def _wrap(self, name: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.acc[name] = self.acc.get(name, 0.0) + time.perf_counter() - t0

        return inner

    def __exit__(self, *exc: object) -> None:
        for mod, name, fn in self.saved:
            setattr(mod, name, fn)

    def take(self) -> dict[str, float]:
        out, self.acc = self.acc, {}
        return out


def bench_window(build: Any, repeats: int, seed: int) -> dict[str, Any]:
    from accessibility.transit.feed import Timetable, read_feeds
    from accessibility.transit.model import TransitModel, TransitSettings
    from accessibility.transit.stage import DAY_END_S

    walk = build.networks["walk"]
    fac = build.facilities[build.facilities["category"] == CATEGORY]
    f_lon, f_lat = fac["lon"].to_numpy(float), fac["lat"].to_numpy(float)
    out: dict[str, Any] = {
        "facilities": len(fac),
        "f_lon": f_lon.tolist(),
        "f_lat": f_lat.tolist(),
        "walk_nodes": len(walk.node_x),
    }
    log("bereik: read_feeds (the whole service day, as the build keeps it)")
    med, _, _ = median_time(lambda: read_feeds([GTFS], DAY, start_s=0, end_s=DAY_END_S), repeats)
    out["read_feeds_s"] = med
    tt = Timetable.load(build.layout.timetable)
    out["timetable"] = {
        "stops": tt.n_stops,
        "connections": tt.n_connections,
        "trips": len(tt.trips),
    }
    settings = TransitSettings(window_min=WINDOW_MIN, step_s=60)
    out["settings"] = settings.as_dict()
    log("bereik: TransitModel.build")
    med, times, model = median_time(lambda: TransitModel.build(tt, walk, settings), repeats)
    out["model_build_s"], out["model_build_runs"] = med, times
    out["stops_off_network"] = model.stops_off_network
    out["footpaths"] = len(model.footpaths.target)
    o_lon, o_lat = random_points(seed, max(SIZES))
    runs: dict[int, list[float]] = {n: [] for n in SIZES}
    steps: dict[int, list[dict[str, float]]] = {n: [] for n in SIZES}
    results: dict[int, Any] = {}
    with StepTimer() as timer:
        for rep in range(repeats):  # sizes interleaved: a busy spell hits all of them
            for n in SIZES:
                log(f"bereik: times_to_nearest N={n:,} (repeat {rep + 1}/{repeats})")
                t0 = time.perf_counter()
                res = model.times_to_nearest(o_lon[:n], o_lat[:n], f_lon, f_lat, start_s=START_S)
                runs[n].append(time.perf_counter() - t0)
                steps[n].append(timer.take())
                results[n] = res
    out["sizes"] = {}
    for n in SIZES:
        r = results[n]
        mid = int(np.argsort(runs[n])[len(runs[n]) // 2])  # the run of the median total
        reasons = {
            str(k): int(v)
            for k, v in zip(*np.unique(r.reason.astype(str), return_counts=True), strict=True)
        }
        out["sizes"][n] = {
            "seconds": statistics.median(runs[n]),
            "runs": runs[n],
            "steps": {k: steps[n][mid].get(k, 0.0) for k in STEP_LABEL},
            "departures": len(r.departures_s),
            "with_median": int(np.isfinite(r.median_s).sum()),
            "reasons": reasons,
            "uses_transit": int(r.uses_transit.sum()),
        }
    n0 = min(PEER_SIZES)
    out["median_min_100"] = finite_list(results[n0].median_s / 60)
    out["walk_min_100"] = finite_list(
        network_walk_s(walk, o_lon[:n0], o_lat[:n0], f_lon, f_lat) / 60
    )
    out["o_lon"], out["o_lat"] = (
        o_lon[: max(PEER_SIZES)].tolist(),
        o_lat[: max(PEER_SIZES)].tolist(),
    )
    out["model"] = model
    return out


def network_walk_s(walk: Any, o_lon, o_lat, f_lon, f_lat) -> np.ndarray:
    """Seconds on the walk network from each origin to its nearest facility (any length)."""
    from accessibility.defaults import DEFAULT_MAX_SNAP_M
    from accessibility.routing import router_for
    from accessibility.snapping import locate

    o = locate(walk, o_lon, o_lat, max_snap_m=DEFAULT_MAX_SNAP_M, what="o", require=False)
    f = locate(walk, f_lon, f_lat, max_snap_m=DEFAULT_MAX_SNAP_M, what="f", require=False)
    router = router_for(walk, [o, f])
    to_fac, _ = router.nearest_source(router.nodes(1, len(f))[f.ok], weight="travel_time_s")
    return np.where(o.ok, to_fac[router.nodes(0, len(o))], np.inf)


# --------------------------------------------------------------------------------------
# 2. bereik: isochrones


def iso_locations(walk: Any, seed: int, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """``n`` seeded points in the box within the snap limit of the walk network."""
    from accessibility.defaults import DEFAULT_MAX_SNAP_M
    from accessibility.snapping import locate

    lon, lat = random_points(seed, 4 * n)
    ok = locate(walk, lon, lat, max_snap_m=DEFAULT_MAX_SNAP_M, what="location", require=False).ok
    idx = np.flatnonzero(ok)[:n]
    drawn = int(idx[-1]) + 1 if len(idx) else 0
    return lon[idx], lat[idx], drawn - len(idx)


def bench_isochrones(build: Any, n_loc: int, seed: int) -> dict[str, Any]:
    from accessibility.transit import csa
    from accessibility.transit.requests import transit_router

    out: dict[str, Any] = {}
    log("bereik: transit_router(build) (timetable load + TransitModel.build)")
    t0 = time.perf_counter()
    router = transit_router(build)
    out["router_s"] = time.perf_counter() - t0
    for reverse in (False, True):
        t0 = time.perf_counter()
        w = router.stop_walks(reverse=reverse)
        out[f"stop_walks_{'to' if reverse else 'from'}_s"] = time.perf_counter() - t0
        out[f"stop_walk_rows_{'to' if reverse else 'from'}"] = len(w.stop)
    lon, lat, rejected = iso_locations(router.model.walk, seed, n_loc)
    out["locations"], out["rejected"] = len(lon), rejected
    cases = [(d, m) for d in DIRECTIONS for m in ISO_MINUTES]

    def one(i: int, d: str, m: list[int]) -> Any:
        return router.isochrones(float(lon[i]), float(lat[i]), minutes=m, at=ISO_AT, direction=d)

    log("bereik: isochrones, a warm-up request per case (not counted)")
    warm = {}
    for d, m in cases:
        t0 = time.perf_counter()
        one(0, d, m)
        warm[f"{d} {m}"] = time.perf_counter() - t0
    out["warmup_s"] = warm
    times: dict[str, list[float]] = {f"{d} {m}": [] for d, m in cases}
    log(f"bereik: isochrones, {len(lon)} locations x {len(cases)} cases")
    for i in range(len(lon)):  # cases interleaved per location
        for d, m in cases:
            t0 = time.perf_counter()
            one(i, d, m)
            times[f"{d} {m}"].append(time.perf_counter() - t0)
    out["cases"] = {
        k: {
            "median_ms": 1e3 * float(np.median(v)),
            "p90_ms": 1e3 * float(np.percentile(v, 90)),
            "max_ms": 1e3 * max(v),
            "n": len(v),
        }
        for k, v in times.items()
    }
    slowest = max(out["cases"], key=lambda k: out["cases"][k]["p90_ms"])
    missed = [k for k, c in out["cases"].items() if c["p90_ms"] >= TARGET_MS]
    prof_cases = missed or [slowest]
    out["missed"], out["profiled"] = missed, {}
    for key in prof_cases:
        d, m = next((d, m) for d, m in cases if f"{d} {m}" == key)
        log(f"bereik: cProfile of isochrones {key}")
        pr = cProfile.Profile()
        with numpy_visible():
            pr.enable()
            for i in range(len(lon)):
                one(i, d, m)
            pr.disable()
        out["profiled"][key] = top_functions(pr, len(lon))
    # the backward scan of a `to` request: which connections it walks through
    m = router.model
    c = m.conns
    at_s = ISO_AT.hour * 3600.0
    since = at_s - 60 * max(max(x) for x in ISO_MINUTES)
    scanned = c.arr >= since
    needed = scanned & (c.arr <= at_s)
    rng = np.random.default_rng(seed)
    deadline = np.full(c.n_stops, -np.inf)
    deadline[rng.choice(np.flatnonzero(m.stop_snap.ok), 10, replace=False)] = at_s

    def scan(k: np.ndarray) -> Any:
        sub = csa.Connections(
            c.dep[k],
            c.arr[k],
            c.from_stop[k],
            c.to_stop[k],
            c.trip[k],
            n_stops=c.n_stops,
            n_trips=c.n_trips,
        )
        return lambda: csa.latest_departure(
            sub, m.footpaths, deadline, since=since, vehicle_only=True
        )

    t_all, _, late_all = median_time(scan(np.ones(len(c.dep), bool)), 5)
    t_need, _, late_need = median_time(scan(c.arr <= at_s), 5)
    fwd_until = at_s + 60 * max(max(x) for x in ISO_MINUTES)
    out["to_scan"] = {
        "connections": len(c.dep),
        "scanned": int(scanned.sum()),
        "needed": int(needed.sum()),
        "forward_scanned": int(((c.dep >= at_s) & (c.dep <= fwd_until)).sum()),
        "since": since,
        "at": at_s,
        "full_s": t_all,
        "bounded_s": t_need,
        "same": bool(np.array_equal(late_all, late_need)),
    }
    return out


NP_VISIBLE = ("lexsort", "argsort", "concatenate", "unique")


@contextlib.contextmanager
def numpy_visible() -> Any:
    """Let cProfile see some numpy functions (C dispatchers it does not list on their own)."""
    saved = {name: getattr(np, name) for name in NP_VISIBLE}
    for name, fn in saved.items():
        ns: dict[str, Any] = {"fn": fn}
        code = compile(f"def {name}(*a, **k):\n    return fn(*a, **k)\n", f"numpy.{name}", "exec")
        exec(code, ns)
        setattr(np, name, ns[name])
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(np, name, fn)


def top_functions(pr: cProfile.Profile, calls: int, k: int = 5) -> dict[str, Any]:
    st = pstats.Stats(pr, stream=io.StringIO())
    rows = []
    callers: dict[str, dict[str, float]] = {}
    for func, (_cc, nc, tt, ct, by) in st.stats.items():  # type: ignore[attr-defined]
        label = fn_label(func)
        rows.append({"fn": label, "calls": nc, "tottime": tt, "cumtime": ct})
        if label.startswith("numpy."):
            callers[label] = {fn_label(c): v[2] for c, v in by.items()}
    total = st.total_tt  # type: ignore[attr-defined]
    by_self = sorted(rows, key=lambda r: -r["tottime"])[:k]
    ours = [
        r
        for r in rows
        if r["fn"].startswith("accessibility/") and not r["fn"].endswith("(isochrones)")
    ]
    by_cum = sorted(ours, key=lambda r: -r["cumtime"])[:k]
    numpy_s = {r["fn"]: r["tottime"] for r in rows if r["fn"].startswith("numpy.")}
    by_caller = {k: dict(sorted(v.items(), key=lambda x: -x[1])[:3]) for k, v in callers.items()}
    return {
        "total_s": total,
        "requests": calls,
        "self": by_self,
        "cumulative": by_cum,
        "numpy": numpy_s,
        "numpy_callers": by_caller,
    }


def fn_label(func: tuple[str, int, str]) -> str:
    file, line, name = func
    rel = file
    with contextlib.suppress(ValueError):
        rel = str(Path(file).resolve().relative_to(ROOT))
    if "site-packages/" in rel:
        rel = rel.split("site-packages/", 1)[1]
    return rel if rel.startswith("numpy.") else f"{rel}:{line}({name})"


# --------------------------------------------------------------------------------------
# 3. the peers, in a child process of their venv


def peers_python(arg: str | None) -> tuple[Path | None, str]:
    """The peers' interpreter with ferrobus and pynigiri, or None and why not."""
    py = Path(arg) if arg else PEERS_VENV / "bin" / "python"
    check = "import ferrobus, pynigiri, pandas, numpy"
    if py.exists():
        r = subprocess.run([str(py), "-c", check], capture_output=True, text=True, check=False)
        if r.returncode == 0:
            return py, ""
        if arg:
            return None, f"{py} cannot import the peers: {r.stderr.strip().splitlines()[-1]}"
    elif arg:
        return None, f"{py} does not exist"
    base = shutil.which("python3.11")
    if base is None:
        return (
            None,
            "no python3.11 to make .venv-transit-peers (pynigiri has CPython 3.11 wheels only)",
        )
    log(f"making {PEERS_VENV} (python3.11 -m venv; pip install {' '.join(PEER_PACKAGES)})")
    steps = [
        [base, "-m", "venv", str(PEERS_VENV)],
        [str(py), "-m", "pip", "install", "--quiet", *PEER_PACKAGES],
    ]
    for cmd in steps:
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=900)
        except subprocess.TimeoutExpired:
            return None, f"`{' '.join(cmd[-3:])}` timed out (is PyPI reachable?)"
        if r.returncode:
            tail = (r.stderr.strip().splitlines() or ["no output"])[-1]
            return None, f"`{' '.join(Path(x).name for x in cmd[:3])} ...` failed: {tail}"
    r = subprocess.run([str(py), "-c", check], capture_output=True, text=True, check=False)
    if r.returncode:
        return None, f"{py} cannot import the peers: {r.stderr.strip().splitlines()[-1]}"
    return py, ""


def run_peers(py: Path, window: dict[str, Any], seed: int, repeats: int) -> dict[str, Any]:
    spec = {
        "o_lon": window["o_lon"],
        "o_lat": window["o_lat"],
        "f_lon": window["f_lon"],
        "f_lat": window["f_lat"],
        "sizes": list(PEER_SIZES),
        "repeats": repeats,
        "seed": seed,
        "gtfs": str(GTFS),
        "osm": str(OSM),
    }
    WORK.mkdir(parents=True, exist_ok=True)
    spec_path, out_path = WORK / "peers-spec.json", WORK / "peers-out.json"
    spec_path.write_text(json.dumps(spec))
    out_path.unlink(missing_ok=True)
    cmd = [str(py), str(Path(__file__).resolve()), "--peers-child", str(spec_path), str(out_path)]
    log(f"peers: {py} (a child process)")
    t0 = time.perf_counter()
    r = subprocess.run(cmd, text=True, check=False, stdout=subprocess.PIPE)
    if r.returncode or not out_path.exists():
        return {"error": f"the peers' child exited with {r.returncode}"}
    res = json.loads(out_path.read_text())
    res["wall_s"] = time.perf_counter() - t0
    return res


def peers_child(spec_path: Path, out_path: Path) -> None:
    """In the peers' venv: ferrobus and pynigiri on the origins and schools of the spec."""
    sys.path.insert(0, str(HERE))
    import transit_engines as te

    spec = json.loads(spec_path.read_text())
    te.FULL_RUN_BUDGET_S = PEER_BUDGET_S
    o_lon, o_lat = np.array(spec["o_lon"]), np.array(spec["o_lat"])
    f_lon, f_lat = np.array(spec["f_lon"]), np.array(spec["f_lat"])
    reps = int(spec["repeats"])
    out: dict[str, Any] = {
        "versions": {p: te.engine_version(p) for p in ("ferrobus", "pynigiri", "numpy")}
    }
    tmp = tempfile.TemporaryDirectory(prefix="transit-peers-")
    gtfs_dir = Path(tmp.name) / "gtfs"
    with zipfile.ZipFile(spec["gtfs"]) as zf:
        zf.extractall(gtfs_dir)
    s = te.Sample(gtfs_dir, spec["seed"], 1, 1, 0)
    s.o_lon, s.o_lat = o_lon, o_lat
    s.direct_walk_min = np.array(
        [
            te.walk_minutes(te.metres(la, lo, f_lat, f_lon).min())
            for la, lo in zip(o_lat, o_lon, strict=True)
        ]
    )

    class SchoolNigiri(te.Nigiri):
        def dest_offsets(self) -> list[Any]:
            best: dict[int, int] = {}
            for la, lo in zip(f_lat, f_lon, strict=True):
                for i, w in self.s.nearest(la, lo):
                    best[i] = min(w, best.get(i, w))
            return [self.pn.Offset(self.loc[i], w) for i, w in best.items()]

    def keep_array(r: dict[str, Any], scale: float) -> None:
        res = r.pop("result")
        if res is not None:
            r["median_min"] = finite_list(np.median(res / scale, axis=1))

    # pynigiri, the default loader (footpaths between stops <= 100 m)
    g = SchoolNigiri(s, 100)
    med, _, tt = te.timed(g.build, reps)
    g.attach(tt)
    ng: dict[str, Any] = {"load_s": med, "setup_s": {}, "b": {}, "no_journey": {}}
    g.dest = g.dest_offsets()
    ng["dest_offsets"] = len(g.dest)
    for n in spec["sizes"]:
        t0 = time.perf_counter()
        starts = [g.offsets(la, lo) for la, lo in zip(o_lat[:n], o_lon[:n], strict=True)]
        ng["setup_s"][n] = time.perf_counter() - t0
        w = s.direct_walk_min[:n]
        te.log(f"pynigiri: range query per origin, N={n}")
        r = te.run_b_method(
            lambda k, st=starts, w=w: g.b_range(st[:k], w[:k]), n, min(n, 100), "origins", reps
        )
        ng["no_journey"][n] = g.no_journey
        keep_array(r, 1.0)
        ng["b"][n] = r
    out["pynigiri"] = ng
    # ferrobus: the model from the pbf and the feed, transit points, its three ways at 100
    e = te.Ferrobus(s, Path(spec["osm"]))
    te.log("ferrobus: model build")
    med, _, e.model = te.timed(e.build, reps)
    fb: dict[str, Any] = {"load_s": med, "setup_s": {}, "b": {}}
    fb["warnings"] = [ln.strip() for ln in e.warnings.splitlines() if "outside" in ln]
    facs, bad_f, _ = e.points(f_lat, f_lon)
    fb["facilities_failed"] = len(bad_f)
    points: dict[int, list[Any]] = {}
    for n in spec["sizes"]:
        t0 = time.perf_counter()
        pts, bad, err = e.points(o_lat[:n], o_lon[:n])
        fb["setup_s"][n] = time.perf_counter() - t0
        fb[f"failed_{n}"] = [len(bad), err]
        fb[f"no_stops_{n}"] = sum(not p.nearest_stops() for p in pts)
        points[n] = pts
    n0 = min(spec["sizes"])
    o = points[n0]
    methods = {
        "range": lambda k: e.b_range(o[:k], facs),
        "one_to_many": lambda k: e.b_one_to_many(o[:k], facs),
    }
    fb["b"][n0] = {}
    for name, fn in methods.items():
        te.log(f"ferrobus: {name}, N={n0}")
        r = te.run_b_method(fn, n0, n0, "origins", reps)
        keep_array(r, 60.0)
        fb["b"][n0][name] = r
    te.log(f"ferrobus: matrix, N={n0}")
    r = te.run_b_method(
        lambda k: e.b_matrix(o, facs, te.MINUTES[:k]),
        len(te.MINUTES),
        te.SUBSAMPLE_MINUTES,
        "departures",
        reps,
    )
    keep_array(r, 60.0)
    fb["b"][n0]["matrix"] = r
    best = min(fb["b"][n0], key=lambda k: fb["b"][n0][k]["seconds"])
    fb["best"] = best
    for n in spec["sizes"]:
        if n == n0:
            continue
        o_n = points[n]
        fns = {
            "range": lambda k, o_n=o_n: e.b_range(o_n[:k], facs),
            "one_to_many": lambda k, o_n=o_n: e.b_one_to_many(o_n[:k], facs),
        }
        te.log(f"ferrobus: {best}, N={n}")
        if best == "matrix":
            r = te.run_b_method(
                lambda k, o_n=o_n: e.b_matrix(o_n, facs, te.MINUTES[:k]),
                len(te.MINUTES),
                te.SUBSAMPLE_MINUTES,
                "departures",
                reps,
            )
        else:
            r = te.run_b_method(fns[best], n, min(n, 100), "origins", reps)
        keep_array(r, 60.0)
        fb["b"][n] = {best: r}
    out["ferrobus"] = fb
    out["methods"] = {
        "pynigiri": te.B_METHODS["pynigiri"]["range"],
        "ferrobus": te.B_METHODS["ferrobus"],
    }
    out["budget_s"] = PEER_BUDGET_S
    out["direct_walk_min"] = finite_list(s.direct_walk_min[: min(spec["sizes"])])
    out_path.write_text(json.dumps(out))
    tmp.cleanup()


# --------------------------------------------------------------------------------------
# agreement


def agreement(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """|a - b| (minutes) where both have a median; counts of the rest."""
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    d = a[both] - b[both]
    out: dict[str, Any] = {
        "n": len(a),
        "both": int(both.sum()),
        "only_a": int((fa & ~fb).sum()),
        "only_b": int((~fa & fb).sum()),
        "neither": int((~fa & ~fb).sum()),
    }
    if d.size:
        ad = np.abs(d)
        out |= {
            "median": float(np.median(ad)),
            "p90": float(np.percentile(ad, 90)),
            "max": float(ad.max()),
            "signed_median": float(np.median(d)),
            "within_2": float((ad <= 2).mean()),
            "a_lower": float((d < -2).mean()),
            "b_lower": float((d > 2).mean()),
        }
    return out


def normalize(res: dict[str, Any]) -> dict[str, Any]:
    """JSON turns int keys into strings: turn the sizes back into ints."""
    res["window"]["sizes"] = {int(k): v for k, v in res["window"]["sizes"].items()}
    for eng in ("pynigiri", "ferrobus"):
        p = (res.get("peers") or {}).get(eng)
        for field in ("b", "setup_s", "no_journey"):
            if p and field in p:
                p[field] = {int(k): v for k, v in p[field].items()}
    return res


def agreements(res: dict[str, Any]) -> dict[str, Any]:
    """bereik's per-origin medians at N = 100 against the peers' (and the peers' own)."""
    peers = res.get("peers") or {}
    if "pynigiri" not in peers:
        return {}
    n0 = min(PEER_SIZES)
    b = from_list(res["window"]["median_min_100"])
    ng = from_list(peers["pynigiri"]["b"][n0]["median_min"])
    out = {"bereik | pynigiri": agreement(b, ng)}
    cap = from_list(peers["direct_walk_min"])
    walked = np.isclose(ng, cap)  # pynigiri's median is its straight-line walk, not a ride
    out["bereik | pynigiri, where pynigiri's median is a ride"] = agreement(b[~walked], ng[~walked])
    out["bereik | pynigiri, where it is pynigiri's straight-line walk"] = agreement(
        b[walked], ng[walked]
    )
    fb = peers["ferrobus"]
    r = fb["b"][n0].get(fb["best"], {})
    if "median_min" in r:
        fbm = from_list(r["median_min"])
        out["bereik | ferrobus"] = agreement(b, fbm)
        out["pynigiri | ferrobus"] = agreement(ng, fbm)
    return out


def walk_check(res: dict[str, Any]) -> dict[str, Any]:
    """bereik's network walk to the nearest school against pynigiri's straight-line estimate."""
    peers = res.get("peers") or {}
    if "direct_walk_min" not in peers or "walk_min_100" not in res["window"]:
        return {}
    net = from_list(res["window"]["walk_min_100"])
    est = from_list(peers["direct_walk_min"])
    ok = np.isfinite(net) & np.isfinite(est)
    d = net[ok] - est[ok]
    return {
        "n": int(ok.sum()),
        "median_diff": float(np.median(d)),
        "median_ratio": float(np.median(net[ok] / est[ok])),
        "p90_ratio": float(np.percentile(net[ok] / est[ok], 90)),
        "longer_2": int((d > 2).sum()),
        "net_over_15": int((net[ok] > 15).sum()),
        "est_over_15": int((est[ok] > 15).sum()),
    }


# --------------------------------------------------------------------------------------
# the report


def render(res: dict[str, Any]) -> str:
    m, w, iso, peers = res["machine"], res["window"], res["isochrones"], res.get("peers")
    sizes = w["sizes"]
    n_top = max(SIZES)
    v = res["versions"]
    dirty = ", accessibility/ modified in the work tree" if v["dirty"] else ""
    lines = [
        "# Public transport: bereik's speed, and the peers side by side",
        "",
        f"Written by `benchmarks/transit.py` (`{res['command']}`) in one run of "
        f"{res['wall_s']:.0f} s. Timings are wall-clock medians (`time.perf_counter`) of "
        "repeated runs; the machine has 2 cores and may have been busy with other work (the "
        "load average says how busy). Rerun:",
        "",
        "```bash",
        ".venv/bin/python benchmarks/transit.py                        # this page",
        ".venv/bin/python benchmarks/transit.py --peers-python /tmp/tv/bin/python",
        ".venv/bin/python benchmarks/transit.py --no-peers --out /tmp/transit.md",
        ".venv/bin/python benchmarks/transit.py --render-only "
        "benchmarks/.work/transit/results.json  # the page again from the last run's numbers",
        "```",
        "",
        f"- machine: {m['arch']}, {m['cores']} cores, {m['cpu']}; Python {m['python']}",
        f"- date: {m['date']}; load average at start {' / '.join(map(str, m['load']))}, at "
        f"the end {' / '.join(map(str, res['load_end']))}",
        f"- bereik {v['bereik']} (commit `{v['commit']}`{dirty}), "
        f"numpy {v['numpy']}"
        + (
            f"; peers: ferrobus {peers['versions']['ferrobus']}, pynigiri "
            f"{peers['versions']['pynigiri']} (numpy {peers['versions']['numpy']}) in "
            f"`{res['peers_python']}`"
            if peers and "versions" in peers
            else ""
        ),
        f"- inputs: `{OSM.relative_to(ROOT)}`, `{GTFS.relative_to(ROOT)}` "
        f"({w['timetable']['stops']} stops, {w['timetable']['connections']:,} connections of "
        f"{w['timetable']['trips']} trips on {DAY.isoformat()}, a Thursday); the build "
        f"(`bereik build ... --gtfs ... --departure 2022-09-01T07:00 --no-origins`, "
        f"{'up to date, reused' if res['build_reused'] else 'made'} in "
        f"{res['build_s']:.1f} s, not counted) gives the walk network "
        f"({w['walk_nodes']:,} nodes), the timetable and the {w['facilities']} facilities of "
        f"category `{CATEGORY}`",
        f"- origins: seeded uniform random points in {BBOX[0]}-{BBOX[1]} E, {BBOX[2]}-{BBOX[3]} "
        f"N (seed {res['seed']}; N = 100 and 1,000 are the first of the 10,000); departures "
        f"every minute 07:00-09:00 inclusive ({sizes[n_top]['departures']}, the peers' grid: "
        f"`TransitSettings(window_min={WINDOW_MIN}, step_s=60)`, the other settings the "
        f"defaults: {settings_text(w['settings'])})",
        "",
        "## 1. Transit times to the nearest school, every minute 07:00-09:00",
        "",
        f"Median of {res['repeats']} repeats (sizes interleaved); the steps are timers around "
        "the model's functions (`accessibility/transit/model.py` and what it imports) in the "
        "repeat of the median total.",
        "",
        "| step | 100 origins | 1,000 origins | 10,000 origins |",
        "|---|---|---|---|",
        f"| `TransitModel.build` (once per timetable and network: snap {w['timetable']['stops']} "
        f"stops, {w['footpaths']:,} walks between stops) | {fmt_s(w['model_build_s'])} (the "
        f"first run: {fmt_s(w['model_build_runs'][0])}, it builds the walk network's snapping "
        "index, which later calls reuse) | | |",
        "| `times_to_nearest` | " + " | ".join(fmt_s(sizes[n]["seconds"]) for n in SIZES) + " |",
        "| - the first of the repeats | "
        + " | ".join(fmt_s(sizes[n]["runs"][0]) for n in SIZES)
        + " |",
        "| per origin | " + " | ".join(fmt_s(sizes[n]["seconds"] / n) for n in SIZES) + " |",
    ]
    for k, label in STEP_LABEL.items():
        lines.append(
            f"| - {label} | " + " | ".join(fmt_s(sizes[n]["steps"][k]) for n in SIZES) + " |"
        )
    rest = [sizes[n]["seconds"] - sum(sizes[n]["steps"].values()) for n in SIZES]
    lines.append(
        "| - the rest (walks to the nearest school, percentiles) | "
        + " | ".join(fmt_s(x) for x in rest)
        + " |"
    )
    lines.append(
        "| origins with a median / no stop served nearby / off the network | "
        + " | ".join(
            f"{sizes[n]['with_median']:,} / {sizes[n]['reasons'].get('no_service', 0):,}"
            f" / {sizes[n]['reasons'].get('not_on_network', 0):,}"
            for n in SIZES
        )
        + " |"
    )
    g1 = sizes[1000]["seconds"] / sizes[100]["seconds"]
    g2 = sizes[10_000]["seconds"] / sizes[1000]["seconds"]
    lines += [
        "",
        f"Growth per 10x origins: {g1:.1f}x from 100 to 1,000, {g2:.1f}x from 1,000 to 10,000 "
        f"(exponent {np.log10(sizes[10_000]['seconds'] / sizes[100]['seconds']) / 2:.2f} over "
        "the two decades). The one backward scan does not grow with the origins; the access "
        "walks and the lookups per origin x departure do. Reading the feed (`read_feeds`, the "
        f"whole service day as the build keeps it) takes {fmt_s(w['read_feeds_s'])} more, "
        "once per build.",
        "",
        "## 2. Isochrones at 08:00 (`TransitRouter.isochrones`)",
        "",
        f"{iso['locations']} seeded locations in the box within 500 m of the walk network "
        f"(seed {res['seed'] + 1}; {iso['rejected']} drawn farther away were skipped), every "
        "case once per location, the cases interleaved; warm: the router made and both stop "
        "walk tables searched before (one-time costs below), and one unmeasured request per "
        f"case. Target: under {TARGET_MS:.0f} ms.",
        "",
        "| direction | minutes | median | p90 | max | target |",
        "|---|---|---|---|---|---|",
    ]
    for key, c in iso["cases"].items():
        d, mins = key.split(" ", 1)
        ok = "met" if c["p90_ms"] < TARGET_MS else "**missed**"
        lines.append(
            f"| {d} | {mins} | {c['median_ms']:.0f} ms | {c['p90_ms']:.0f} ms | "
            f"{c['max_ms']:.0f} ms | {ok} |"
        )
    lines += [
        "",
        f"One-time costs: `transit_router(build)` (timetable load + `TransitModel.build`) "
        f"{fmt_s(iso['router_s'])}; the stop walks (every node within 15 minutes of each "
        f"stop), from the stops {fmt_s(iso['stop_walks_from_s'])} "
        f"({iso['stop_walk_rows_from']:,} rows), to the stops {fmt_s(iso['stop_walks_to_s'])} "
        f"({iso['stop_walk_rows_to']:,} rows); the first request of each case (warm-up): "
        + ", ".join(f"{k} {fmt_s(x)}" for k, x in iso["warmup_s"].items())
        + ".",
    ]
    for key, p in iso["profiled"].items():
        why = (
            "missed the target"
            if key in iso["missed"]
            else "the slowest case by p90; no case missed the target"
        )
        lines += [
            "",
            f"### Where the time goes: {key} ({why})",
            "",
            f"cProfile over its {p['requests']} requests ({p['total_s']:.2f} s profiled, "
            "cProfile's overhead included). Top functions by their own time:",
            "",
            "| function | calls | own time | cumulative |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{r['fn']}` | {r['calls']:,} | {r['tottime']:.3f} s | {r['cumtime']:.3f} s |"
            for r in p["self"]
        ]
        lines += [
            "",
            "bereik's functions by cumulative time:",
            "",
            "| function | calls | cumulative | share |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{r['fn']}` | {r['calls']:,} | {r['cumtime']:.3f} s | "
            f"{100 * r['cumtime'] / p['total_s']:.0f}% |"
            for r in p["cumulative"]
        ]
    lines += peers_section(res)
    lines += findings(res)
    lines.append("")
    return "\n".join(lines)


def settings_text(s: dict[str, Any]) -> str:
    return (
        f"walks to and from stops at most {s['max_walk_min']:.0f} min, changes on foot at "
        f"most {s['max_transfer_walk_min']:.0f} min, trips at most "
        f"{s['max_trip_min']:.0f} min, any number of changes"
    )


def peers_section(res: dict[str, Any]) -> list[str]:
    w, peers = res["window"], res.get("peers")
    lines = ["", "## 3. The peers on the task of 1.", ""]
    if not peers or "error" in peers:
        why = res.get("peers_skipped") or (peers or {}).get("error", "not run")
        return [*lines, f"Skipped: {why}."]
    ng, fb = peers["pynigiri"], peers["ferrobus"]
    best = fb["best"]
    fb_label = peers["methods"]["ferrobus"][best]
    lines += [
        "The same origins (the first 100 and 1,000) and the same 20 schools, every minute "
        "07:00-09:00, by the functions of `benchmarks/transit_engines.py` (see "
        "[benchmarks-transit-engines.md](benchmarks-transit-engines.md)) in a child process of "
        "the peers' venv, at most 3 transfers:",
        "",
        f"- pynigiri: {peers['methods']['pynigiri']}; origins enter as start offsets to their "
        f"5 nearest stops and the schools as destination offsets ({ng['dest_offsets']} stops) "
        "by straight line x 1.3 at 5 km/h in whole minutes; the straight-line walk to the "
        "nearest school caps every time (pynigiri returns no walk-only journey); footpaths "
        "between stops up to 100 m (the loader's default)",
        f"- ferrobus: its fastest way here, {fb_label} (all three of its ways timed at N = 100: "
        + ", ".join(f"{k} {fmt_s(fb['b'][100][k]['seconds'])}" for k in fb["b"][100])
        + "); it walks on its own graph from the pbf (access, egress, changes up to 1200 s)",
        "- the peers' query times exclude their per-origin setup (ferrobus's transit points, "
        "pynigiri's offsets); the \"with setup\" column adds it. bereik's `times_to_nearest` "
        "includes its own snapping and access walks. 10,000 is EXTRAPOLATED for the peers "
        "(10 x their time at 1,000: they run one search per origin); bereik's is measured",
        "",
        "| engine | N | time | ratio to bereik | with setup | ratio with setup | how measured |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in SIZES:
        b = w["sizes"][n]["seconds"]
        lines.append(
            f"| bereik `times_to_nearest` | {n:,} | {fmt_s(b)} | 1 | {fmt_s(b)} | 1 | "
            f"median of {res['repeats']} |"
        )
        for name, p, meth in (("pynigiri", ng, None), ("ferrobus", fb, best)):
            src = min(n, max(PEER_SIZES))
            r = p["b"].get(src)
            if r is None:
                continue
            r = r if meth is None else r[meth]
            scale = n / src
            t = r["seconds"] * scale
            setup = p["setup_s"].get(src, 0.0) * scale
            how = (
                f"EXTRAPOLATED: 10 x N = {src:,}"
                if scale != 1
                else r["how"] + (f", median of {r['runs']}" if r["runs"] > 1 else "")
            )
            lines.append(
                f"| {name} | {n:,} | {fmt_s(t)} | {fmt_x(t / b)} | {fmt_s(t + setup)} | "
                f"{fmt_x((t + setup) / b)} | {how} |"
            )
    lines += [
        "",
        "One-time setup (not in the times above): bereik `TransitModel.build` "
        f"{fmt_s(w['model_build_s'])} on the build's walk network and timetable (reading the "
        f"feed: {fmt_s(w['read_feeds_s'])}); pynigiri `load_timetable` {fmt_s(ng['load_s'])}; "
        f"ferrobus `create_transit_model` (pbf + feed) {fmt_s(fb['load_s'])}.",
    ]
    notes = []
    if fb.get("warnings"):
        notes.append(f'ferrobus at its model build: "{fb["warnings"][0]}"')
    nst = fb.get(f"no_stops_{max(PEER_SIZES)}")
    if nst:
        notes.append(
            f"ferrobus: {nst} of the {max(PEER_SIZES):,} origins have no stop within "
            "1200 s of walking"
        )
    for n, cnt in ng["no_journey"].items():
        notes.append(
            f"pynigiri, N = {int(n):,}: {cnt} origins got no journey at all (their "
            "time is the straight-line walk)"
        )
    lines += [""] + [f"- {x}" for x in notes]
    # agreement at N = 100
    lines += [
        "",
        "### Agreement at N = 100: the per-origin median over the 121 departures",
        "",
        "Absolute difference of the medians (minutes) over the origins where both have one; "
        '"lower": lower by more than 2 minutes.',
        "",
        "| a | b | both have one | only a | only b | median abs diff | p90 | max | a - b (median) "
        "| within 2 min | a lower | b lower |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, d in res["agreement"].items():
        if "median" not in d:
            lines.append(
                f"| {label} | {d['both']} | {d['only_a']} | {d['only_b']} | - | - | - | "
                "- | - | - | - |"
            )
            continue
        lines.append(
            f"| {label} | {d['both']} | {d['only_a']} | {d['only_b']} | "
            f"{d['median']:.1f} | {d['p90']:.1f} | {d['max']:.0f} | "
            f"{d['signed_median']:+.1f} | {100 * d['within_2']:.0f}% | "
            f"{100 * d['a_lower']:.0f}% | {100 * d['b_lower']:.0f}% |"
        )
    lines += [
        "",
        "The models differ, so the medians need not agree: bereik walks on the walk network "
        "(to and from stops at most 15 minutes, changes between stops at most 5 minutes, any "
        "number of changes, no figure where no trip of at most 120 minutes exists for half "
        "the departures, and a walk-only trip only when it is one walk of at most 15 "
        "minutes); pynigiri walks by straight line x 1.3 to the 5 nearest stops at any "
        "distance, in whole minutes, changes only between stops within 100 m, at most 3 "
        "transfers, and always has a time (the straight-line walk caps it, however long); "
        "ferrobus walks on its own graph of the pbf (up to 1200 s each way).",
    ]
    wc = res.get("walk_check") or {}
    if wc:
        lines += [
            "",
            "Walking alone, as evidence of the first difference: bereik's walk on the network "
            f"from each of the {wc['n']} origins to its nearest school is {wc['median_ratio']:.2f} "
            f"x pynigiri's straight-line x 1.3 estimate at the median ({wc['p90_ratio']:.2f} x "
            f"at p90; {wc['median_diff']:+.1f} min at the median), longer by more than 2 minutes "
            f"for {wc['longer_2']} of them (rivers, railways and hills in Heidelberg); "
            f"{wc['net_over_15']} of them are more than 15 minutes from a school on the network "
            f"(by the estimate: {wc['est_over_15']}), where bereik counts no walk-only trip.",
        ]
    return lines


def findings(res: dict[str, Any]) -> list[str]:
    w, iso = res["window"], res["isochrones"]
    s = w["sizes"]
    ts = iso["to_scan"]
    out = ["", "## Notes on bereik's engine", ""]
    ratio = s[10_000]["seconds"] / s[100]["seconds"]
    acc = s[10_000]["steps"]["_access_pairs"] + s[10_000]["steps"]["_evaluate"]
    out.append(
        f"- Growth with origins: 10,000 origins cost {ratio:.0f}x as much as 100 "
        f"({fmt_s(s[10_000]['seconds'])} against {fmt_s(s[100]['seconds'])}). The backward "
        f"profile scan runs once per call ({fmt_s(s[10_000]['steps']['profiles_to_targets'])} "
        f"at 10,000); the access walks and the lookups per origin x departure "
        f"({fmt_s(acc)} of it at 10,000) grow with the origins."
    )
    out.append(
        f"- A `to` isochrone's backward scan (`csa.latest_departure`) reads only the "
        f"connections that arrive between `since` ({clock(ts['since'])}) and the latest "
        f"deadline: {ts['needed']:,} of the {ts['connections']:,} connections of the kept "
        f"day for an arrival by {clock(ts['at'])} with 60 minutes ({ts['scanned']:,} arrive "
        f"after `since`). Timed here: {fmt_s(ts['full_s'])} given the whole day, "
        f"{fmt_s(ts['bounded_s'])} given only those (10 goal stops, median of 5; same "
        f"answer: {ts['same']}). The forward scan of a `from` request is bounded by `until` "
        f"({ts['forward_scanned']:,} connections for 60 minutes)."
    )
    for key, p in iso["profiled"].items():
        callers = p["numpy_callers"].get("numpy.lexsort", {})
        lex = sum(v for k, v in callers.items() if k.endswith("(reach)"))
        if lex > 0.1 * p["total_s"]:
            rows = max(iso["stop_walk_rows_from"], iso["stop_walk_rows_to"])
            out.append(
                f"- the largest single cost of an isochrone of {key}: `TransitRouter.reach` "
                "merges the request's own walk with the stop walks of every stop it reached and "
                "keeps each node's least cost by sorting all those rows (`np.lexsort((costs, "
                f"nodes))`): {1e3 * lex / p['requests']:.0f} ms of "
                f"{1e3 * p['total_s'] / p['requests']:.0f} ms per request under cProfile "
                f"({100 * lex / p['total_s']:.0f}%). The stop walk tables hold {rows:,} rows "
                "(every node within 15 minutes of each stop), so a request that reaches most "
                "stops sorts most of them; a least cost per node (`np.minimum.at` into an array "
                "of the nodes) would take linear time."
            )
    return out


def clock(s: float) -> str:
    s = int(s)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


# --------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-transit.md")
    ap.add_argument("--build-dir", type=Path, default=WORK / "build")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--locations", type=int, default=25)
    ap.add_argument(
        "--peers-python",
        default=None,
        help="a Python with ferrobus 0.2.1 and pynigiri 0.1.5 (default: "
        ".venv-transit-peers, made on first use)",
    )
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument(
        "--render-only",
        type=Path,
        metavar="RESULTS_JSON",
        help="rewrite the report from a results.json of an earlier run",
    )
    ap.add_argument(
        "--peers-child", nargs=2, type=Path, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.peers_child:
        peers_child(*args.peers_child)
        return
    if args.render_only:
        write_report(json.loads(args.render_only.read_text()), args.out)
        return
    sys.path.insert(0, str(ROOT))
    from accessibility.model import load_build

    t_start = time.perf_counter()
    res: dict[str, Any] = {"machine": machine(), "seed": args.seed, "repeats": args.repeats}
    cmd = " ".join([".venv/bin/python benchmarks/transit.py", *sys.argv[1:]])
    res["command"] = cmd
    res["versions"] = {
        "bereik": importlib.metadata.version("bereik"),
        "numpy": np.__version__,
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--", "accessibility")),
    }
    py, why = (None, "--no-peers") if args.no_peers else (None, "")
    if not args.no_peers:  # first: a venv made on first use should not sit in the timings
        py, why = peers_python(args.peers_python)
        if py is None:
            print(f"skipping the peers: {why}", file=sys.stderr)
    log("bereik build of the sample with --gtfs (reused while up to date)")
    res["build_s"], res["build_reused"] = ensure_build(args.build_dir)
    build = load_build(args.build_dir)
    t_bench = time.perf_counter()
    window = bench_window(build, args.repeats, args.seed)
    window.pop("model")
    # a fresh load: the router's start is timed as a server pays it (no caches of part 1)
    res["isochrones"] = bench_isochrones(load_build(args.build_dir), args.locations, args.seed + 1)
    if py is not None:
        res["peers_python"] = str(py.relative_to(ROOT)) if py.is_relative_to(ROOT) else str(py)
        res["peers"] = run_peers(py, window, args.seed, args.repeats)
    else:
        res["peers_skipped"] = why
    res["window"] = window
    res["wall_s"] = time.perf_counter() - t_bench
    res["load_end"] = [round(x, 2) for x in os.getloadavg()]
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(res, indent=1, default=str))
    write_report(json.loads(json.dumps(res, default=str)), args.out)
    log(f"{time.perf_counter() - t_start:.0f} s in all")


def write_report(res: dict[str, Any], out: Path) -> None:
    """Render the raw results (as results.json holds them) into ``out``."""
    res = normalize(res)
    res["agreement"] = agreements(res)
    res["walk_check"] = walk_check(res)
    text = render(res)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    log(f"wrote {out}")
    print(text)


if __name__ == "__main__":
    main()
