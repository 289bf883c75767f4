"""Scale series (issue 12): bereik build and serve on SYNTHETIC street grids of growing size,
and bereik's HTTP latency next to Valhalla's and OSRM's on the bundled real sample.

One run:

1. per SYNTHETIC grid (``scripts/make_synthetic_grid.py``; sides 200, 400, 800, 1400 by
   default: 40k, 160k, 640k and 1.96M nodes): ``bereik build`` (car, bike, walk) as a
   subprocess (wall time, peak RSS from ``os.wait4`` and a /proc poll of the process tree,
   size of the build folder and of its largest files); ``bereik serve`` of that build alone
   on a free 127.0.0.1 port (time until ``/health`` answers 200, VmRSS after the start,
   VmHWM after all requests); then, over one persistent HTTP client, sequential requests at
   seeded random points inside the grid: 10- and 30-minute car isochrones, 10 x 10 and
   50 x 50 car matrices, a scenario closing one GP practice, the GP catchment within 10
   minutes by car. The first request of each kind is timed apart (cold); the others are
   taken round-robin, so a load spike of the shared machine hits all kinds alike. Every
   HTTP status is recorded: a non-200 is reported as such;
2. on the bundled real sample (``data/samples/liechtenstein-2015-07-27.osm.pbf``), with the
   functions of ``benchmarks/service/``: 10-minute isochrones for car, bike and walk from
   bereik and Valhalla (same points, HTTP, alternating), and a 100 x 100 matrix from bereik
   and OSRM's ``/table`` (HTTP, alternating). The peers run from a Python 3.12 venv
   (``--peers-python``, else ``BEREIK_PEERS_PYTHON``, ``.venv-valhalla``, ``.venv-peers``);
   without one they are skipped with the reason in the report;
3. writes ``docs/benchmarks-scale.md``: machine and date, a table per size, how each figure
   grows with size (ratios to the smallest grid and a fitted growth exponent) and the
   targets of issue 12.

Usage::

    .venv/bin/python benchmarks/scale.py                 # the full series
    .venv/bin/python benchmarks/scale.py --quick         # sides 100,200, fewer requests
    .venv/bin/python benchmarks/scale.py --sides 200,400 --no-peers
    .venv/bin/python benchmarks/scale.py --render-only benchmarks/.work/scale/results.json

``--quick`` writes ``benchmarks/.work/benchmarks-scale-quick.md`` unless ``--doc`` is given.
Generated files (grids, builds, logs, results.json) go to ``benchmarks/.work/scale/``.
Timing uses time.perf_counter only.
"""

from __future__ import annotations

import os

# like for like: every engine here runs on one core
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import collections
import contextlib
import dataclasses
import importlib.util
import json
import math
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work" / "scale"
DOC = ROOT / "docs" / "benchmarks-scale.md"
QUICK_DOC = ROOT / "benchmarks" / ".work" / "benchmarks-scale-quick.md"
PROFILES = ("car", "bike", "walk")
SEED = 12  # issue 12
GB = 1024.0
HTTP_TIMEOUT_S = 600.0
SERVE_TIMEOUT_S = 1800.0
#: the catchment measured on every grid
CATCHMENT = {"category": "gp", "profile": "car", "minutes": 10}
#: targets of issue 12
REF_NODES = 40_000
TARGET_ISO_GROWTH = 1.5
TARGET_MATRIX_S = 1.0
#: side of the square of the regional matrix (metres): about a Drenthe municipality
REGION_M = 10_000.0
TARGET_SCENARIO_S = 1.0
TARGET_CATCHMENT_S = 2.0
TARGET_PEER_RATIO = 1.0


def _load(name: str, path: Path):
    """Import a benchmark script under a name of its own: ``benchmarks/`` and
    ``benchmarks/service/`` each have a ``run.py`` and a ``report.py``, so each is loaded
    with its own ``report`` module."""
    saved = sys.modules.pop("report", None)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    if saved is not None:
        sys.modules["report"] = saved
    return mod


sr = _load("service_run", ROOT / "benchmarks" / "service" / "run.py")
bench = _load("bench_run", ROOT / "benchmarks" / "run.py")
an = sr.an


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of request measured on every grid."""

    key: str
    label: str
    reps: int  # timed requests after the cold one (full run)
    quick_reps: int


KINDS = (
    Kind("iso10", "isochrone 10 min", 20, 5),
    Kind("iso30", "isochrone 30 min", 10, 3),
    Kind("matrix10", "matrix 10x10", 20, 5),
    Kind("matrix50", "matrix 50x50", 10, 3),
    Kind("matrix50r", "matrix 50x50 in 10 km", 10, 3),
    Kind("scenario", "scenario: 1 GP closed", 10, 3),
    Kind("catchment", "catchment GP 10 min", 10, 3),
)


@dataclasses.dataclass(frozen=True)
class Plan:
    """Sizes of one run."""

    quick: bool
    sides: tuple[int, ...]
    budget_s: float  # per kind and grid: no more repetitions once spent (after 3)
    sample_points: int  # isochrone start points per profile on the real sample
    sample_rounds: int
    sample_warmup: int

    def reps(self, kind: Kind) -> int:
        return kind.quick_reps if self.quick else kind.reps


FULL = Plan(quick=False, sides=(200, 400, 800, 1400), budget_s=120.0, sample_points=30,
            sample_rounds=2, sample_warmup=3)  # fmt: skip
QUICK = Plan(quick=True, sides=(100, 200), budget_s=20.0, sample_points=8, sample_rounds=1,
             sample_warmup=2)  # fmt: skip


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- the grids: build ---------------------------------------------------------------------------
#: the SYNTHETIC grids are made once, shared with benchmarks/run.py (benchmarks/.work/grids)
grid_path = bench.grid_path


def _poll_tree(pid: int, stop: threading.Event, peak: list[float]) -> None:
    """Largest summed VmRSS (MB) of the process tree of ``pid``, sampled every 0.2 s."""
    while not stop.wait(0.2):
        mb = sr.rss_mb(pid)
        if mb:
            peak[0] = max(peak[0], mb)


def build_grid(pbf: Path, side: int) -> dict:
    """``bereik build`` of one grid: wall time, peak RSS, the build folder's sizes."""
    name = f"grid-{side}"
    builds = WORK / "builds"
    out = builds / name
    cmd = [str(sr.BEREIK), "build", str(pbf), "--builds-dir", str(builds), "--name", name,
           "--profiles", ",".join(PROFILES), "--force", "--quiet"]  # fmt: skip
    (WORK / "logs").mkdir(parents=True, exist_ok=True)
    log_path = WORK / "logs" / f"build-{name}.log"
    with log_path.open("wb") as fh:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=WORK)
        stop, peak = threading.Event(), [0.0]
        poller = threading.Thread(target=_poll_tree, args=(proc.pid, stop, peak), daemon=True)
        poller.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        stop.set()
        poller.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    res: dict = {"cmd": " ".join(["bereik", *cmd[1:]]), "wall_s": wall,
                 "exit_code": proc.returncode, "ru_maxrss_mb": usage.ru_maxrss / 1024,
                 "polled_tree_rss_mb": peak[0] or None, "log": str(log_path)}  # fmt: skip
    res["peak_rss_mb"] = max(res["ru_maxrss_mb"], peak[0])
    if proc.returncode != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
        res["error"] = " | ".join(tail)
        return res
    files = {p.name: p.stat().st_size for p in out.rglob("*") if p.is_file()}
    res["dir"] = str(out)
    res["files_bytes"] = dict(sorted(files.items(), key=lambda kv: -kv[1]))
    res["folder_bytes"] = sum(files.values())
    manifest = json.loads((out / "manifest.json").read_text())
    nets = manifest["counts"]["networks"]
    res["networks"] = {p: {k: nets[p][k] for k in ("nodes", "edges", "arcs")} for p in nets}
    res["stages_s"] = manifest.get("timings_s", {})
    res["gpkg_edges"] = manifest["counts"].get("gpkg_edges")
    res["villages"] = manifest["counts"].get("villages")
    return res


# --- the grids: serve and request ---------------------------------------------------------------
def request(client: httpx.Client, svc, method: str, path: str, **kw) -> dict:
    """One timed request: status (a number, or the error's name), seconds, bytes, and the
    start of the body when it is not a 200. Never raises for a bad answer; a server that
    died is restarted once (``sr.call``; counted in the report)."""
    t = time.perf_counter()
    try:
        r, dt = sr.call(client, svc, method, path, **kw)
    except (httpx.HTTPError, RuntimeError) as exc:
        return {"status": type(exc).__name__, "s": time.perf_counter() - t,
                "detail": str(exc)[:300]}  # fmt: skip
    out = {"status": r.status_code, "s": dt, "bytes": len(r.content)}
    if r.status_code != 200:
        out["detail"] = r.text[:300]
    return out


class Requests:
    """Seeded request bodies at random places inside the grid's extent."""

    def __init__(self, bbox: list[float], facility_ids: list[str], seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        w, s, e, n = bbox
        dx, dy = (e - w) * 0.02, (n - s) * 0.02  # keep off the outer ring road
        self.lo, self.hi = (w + dx, s + dy), (e - dx, n - dy)
        self.facility_ids = facility_ids

    def points(self, k: int) -> list[list[float]]:
        return np.round(self.rng.uniform(self.lo, self.hi, size=(k, 2)), 6).tolist()

    def region(self, k: int, side_m: float = REGION_M) -> list[list[float]]:
        """``k`` points in a square of ``side_m`` (a municipality) at a random place."""
        lat = (self.lo[1] + self.hi[1]) / 2
        deg = side_m / 2 / 111_320.0  # metres -> degrees of latitude
        half = np.array([deg / np.cos(np.radians(lat)), deg])
        lo, hi = np.array(self.lo) + half, np.array(self.hi) - half
        centre = self.rng.uniform(lo, np.maximum(hi, lo))
        return np.round(self.rng.uniform(centre - half, centre + half, size=(k, 2)), 6).tolist()

    def make(self, key: str) -> tuple[str, str, dict]:
        if key in ("iso10", "iso30"):
            (lon, lat), = self.points(1)  # fmt: skip
            params = {"lon": lon, "lat": lat, "profile": "car", "minutes": key[3:]}
            return "GET", "/isochrones", {"params": params}
        if key in ("matrix10", "matrix50"):
            k = int(key[6:])
            body = {"profile": "car", "sources": self.points(k), "destinations": self.points(k)}
            return "POST", "/matrix", {"json": body}
        if key == "matrix50r":  # a planner's matrix: the villages and practices of one area
            pts = self.region(100)
            body = {"profile": "car", "sources": pts[:50], "destinations": pts[50:]}
            return "POST", "/matrix", {"json": body}
        if key == "scenario":
            fid = str(self.rng.choice(self.facility_ids)) if self.facility_ids else "none"
            return "POST", "/scenarios", {"json": {"close": [fid], "profile": "car"}}
        if key == "catchment":
            return "GET", "/catchments", {"params": dict(CATCHMENT)}
        raise KeyError(key)


def run_requests(client: httpx.Client, svc, reqs: Requests, plan: Plan) -> dict:
    """The cold request of each kind, then the timed ones round-robin (until the server is
    gone for good)."""
    out: dict = {}
    for kind in KINDS:
        method, path, kw = reqs.make(kind.key)
        out[kind.key] = {"cold": request(client, svc, method, path, **kw), "runs": []}
    out["matrix_index"] = wait_for_matrix_index(client)
    spent = collections.Counter()
    for rep in range(max(plan.reps(k) for k in KINDS)):
        for kind in KINDS:
            runs = out[kind.key]["runs"]
            if rep >= plan.reps(kind) or (len(runs) >= 3 and spent[kind.key] > plan.budget_s):
                continue
            if not svc.alive():
                break
            method, path, kw = reqs.make(kind.key)
            r = request(client, svc, method, path, **kw)
            spent[kind.key] += r["s"]
            runs.append(r)
    for kind in KINDS:
        out[kind.key]["summary"] = summarize(out[kind.key]["runs"])
    return out


def wait_for_matrix_index(client: httpx.Client, timeout_s: float = 900.0) -> dict:
    """Wait while the car matrix index is made in the background (the cold matrix started it).

    The timed matrices then measure what a service answers once it is ready; the wait (from
    the end of the cold requests) and the state are reported.
    """
    t = time.perf_counter()
    state = "none"
    while time.perf_counter() - t < timeout_s:
        r = client.get("/builds")
        r.raise_for_status()
        state = r.json()["builds"][0].get("matrix_index", {}).get("car", "none")
        if state != "preparing":
            break
        time.sleep(1.0)
    return {"state": state, "waited_s": time.perf_counter() - t}


def summarize(runs: list[dict]) -> dict:
    """Latency of the 200 answers (ms) and every status with its count."""
    ok = [r["s"] for r in runs if r["status"] == 200]
    out = an.stats(ok, scale=1000.0)
    out["requests"] = len(runs)
    out["status"] = dict(collections.Counter(str(r["status"]) for r in runs))
    sizes = [r["bytes"] for r in runs if r["status"] == 200]
    out["bytes_median"] = float(np.median(sizes)) if sizes else None
    bad = [r for r in runs if r["status"] != 200]
    out["errors"] = [f"{r['status']}: {r.get('detail', '')}" for r in bad[:3]]
    return out


def measure_grid(side: int, plan: Plan) -> dict:
    """Build one grid, serve it, request, stop."""
    pbf = grid_path(side)
    res: dict = {"side": side, "grid_nodes": side * side, "pbf": str(pbf.relative_to(ROOT)),
                 "pbf_bytes": pbf.stat().st_size}  # fmt: skip
    log(f"grid {side}x{side}: bereik build")
    res["build"] = b = build_grid(pbf, side)
    if "error" in b:
        log(f"  build failed: {b['error']}")
        return res
    log(f"  {b['wall_s']:.1f} s, peak {b['peak_rss_mb']:.0f} MB, "
        f"folder {b['folder_bytes'] / 1e6:.0f} MB")  # fmt: skip
    svc = sr.bereik_service(Path(b["dir"]), name=f"bereik-grid-{side}")
    svc.log_path = WORK / "logs" / f"serve-grid-{side}.log"
    log(f"grid {side}x{side}: bereik serve")
    try:
        svc.start(timeout_s=SERVE_TIMEOUT_S)
    except RuntimeError as exc:
        res["serve"] = {"error": str(exc)}
        log(f"  serve failed: {exc}")
        return res
    pid = svc.proc.pid
    res["serve"] = s = {"start_s": svc.ready_s, "rss_after_start_mb": sr.rss_mb(pid),
                        "hwm_after_start_mb": sr.rss_mb(pid, "VmHWM")}  # fmt: skip
    log(f"  up in {svc.ready_s:.1f} s, RSS {s['rss_after_start_mb']:.0f} MB; requests")
    try:
        with httpx.Client(base_url=svc.base_url, timeout=HTTP_TIMEOUT_S) as c:
            coll = c.get("/collections/edges_car")
            coll.raise_for_status()
            bbox = coll.json()["extent"]["spatial"]["bbox"][0]
            fac = c.get("/facilities", params={"category": CATCHMENT["category"]})
            fac.raise_for_status()
            ids = [f["properties"]["facility_id"] for f in fac.json()["features"]]
            res["bbox"], res["facilities"] = bbox, len(ids)
            res["requests"] = run_requests(c, svc, Requests(bbox, ids, SEED + side), plan)
        s["rss_after_requests_mb"] = sr.rss_mb(svc.proc.pid)
        s["hwm_after_requests_mb"] = sr.rss_mb(svc.proc.pid, "VmHWM")
        s["restarts"] = svc.restarts
    except httpx.HTTPError as exc:
        res["requests_error"] = f"{type(exc).__name__}: {exc}"[:400]
        log(f"  requests failed: {res['requests_error']}")
        return res
    finally:
        svc.stop()
    mi = res["requests"]["matrix_index"]
    log(
        f"  car matrix index: {mi['state']} (waited {mi['waited_s']:.1f} s after the cold requests)"
    )
    for kind in KINDS:
        sm = res["requests"][kind.key]["summary"]
        log(f"  {kind.label}: median {_ms(sm.get('median'))} ms, p90 {_ms(sm.get('p90'))} ms, "
            f"status {sm['status']}")  # fmt: skip
    return res


# --- the real sample: bereik against Valhalla and OSRM ------------------------------------------
def measure_sample(plan: Plan, no_peers: bool) -> dict:
    """10-minute isochrones (car, bike, walk) against Valhalla and a 100 x 100 matrix against
    OSRM, on the bundled real sample, with ``benchmarks/service/``'s functions."""
    from accessibility.network import Network

    res: dict = {"extract": str(sr.EXTRACT.relative_to(ROOT))}
    log("sample: bereik build (car, bike, walk)")
    build_dir, res["bereik_build_s"] = sr.build_bereik(",".join(PROFILES))
    nets = {p: Network.load(build_dir / f"network_{p}.npz") for p in PROFILES}
    res["networks"] = {p: {"nodes": int(n.n_nodes), "arcs": int(n.n_arcs)}
                       for p, n in nets.items()}  # fmt: skip
    py, info, reason = sr.peers_python(no_peers)
    has = {m: bool(py and info.get(m, {}).get("ok")) for m in ("valhalla", "osrm")}
    res["peers"] = {"python": str(py) if py else None, "versions": info, "reason": reason,
                    **{f"{m}_reason": info.get(m, {}).get("reason")
                       for m in has if py and not has[m]}}  # fmt: skip
    cfg = dataclasses.replace(sr.QUICK if plan.quick else sr.FULL, n_iso=plan.sample_points)
    env = {**os.environ, "BEREIK_MAX_MATRIX_CELLS": str(sr.MATRIX_CELLS)}
    services = []
    try:
        bsvc = sr.bereik_service(build_dir, env=env)
        bsvc.start()
        services.append(bsvc)
        vsvc = osvc = None
        if has["valhalla"]:
            log("sample: valhalla_build_tiles + valhalla_service")
            vsvc, res["valhalla_prepare"] = sr.valhalla_service(py)
            vsvc.start()
            services.append(vsvc)
        if has["osrm"]:
            log("sample: osrm-extract/partition/customize + osrm-routed")
            osvc, res["osrm_prepare"] = sr.osrm_service(py)
            osvc.start()
            services.append(osvc)
        res["ready_s"] = {s.name: s.ready_s for s in services}
        with contextlib.ExitStack() as stack:
            cb, cv, co = (
                stack.enter_context(httpx.Client(base_url=v.base_url, timeout=sr.HTTP_TIMEOUT_S))
                if v
                else None
                for v in (bsvc, vsvc, osvc)
            )
            res["isochrones"] = {}
            for profile in PROFILES:
                pts = an.random_road_points(nets[profile], cfg.n_iso, sr.SEED_ISO)["lonlat"]
                log(f"sample: {len(pts)} x 10-min {profile} isochrones x {plan.sample_rounds}")
                sr.warm_up(pts, cb, bsvc, cv, vsvc, plan.sample_warmup, profile=profile)
                rows = sr.isochrone_pass(pts, [10.0], plan.sample_rounds, cb, bsvc, cv, vsvc,
                                         None, None, profile=profile)  # fmt: skip
                lat = sr.latency_summary(rows)
                lat.pop("inprocess", None)
                res["isochrones"][profile] = lat
            log(f"sample: matrix {cfg.matrix_n} x {cfg.matrix_n}")
            try:
                m = sr.matrix_bench(nets["car"], cfg, cb, bsvc, co, osvc, py,
                                    (res.get("osrm_prepare") or {}).get("base"))  # fmt: skip
                for k in ("_bereik_distances", "src", "dst", "bereik_http_times",
                          "osrm_http_times"):  # fmt: skip
                    m.pop(k, None)
                res["matrix"] = m
            except (httpx.HTTPError, RuntimeError) as exc:
                res["matrix"] = {"error": f"{type(exc).__name__}: {exc}"[:400]}
        res["restarts"] = {s.name: s.restarts for s in services}
    finally:
        for s in services:
            s.stop()
    return res


# --- growth and targets -------------------------------------------------------------------------
def _ms(x) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:,.1f}"


def growth_exponent(nodes: list[float], values: list[float | None]) -> float | None:
    """Least-squares slope of log(value) on log(nodes) (None with fewer than 2 positives)."""
    pts = [(n, v) for n, v in zip(nodes, values, strict=True) if v and v > 0 and n > 0]
    if len(pts) < 2 or len({n for n, _ in pts}) < 2:
        return None
    x, y = np.log([n for n, _ in pts]), np.log([v for _, v in pts])
    return float(np.polyfit(x, y, 1)[0])


def metrics(g: dict) -> dict[str, float | None]:
    """The figures of one grid that the growth table follows."""
    b, s, rq = g.get("build", {}), g.get("serve", {}), g.get("requests", {})
    out = {
        "build s": b.get("wall_s") if "error" not in b else None,
        "build peak RSS GB": (b.get("peak_rss_mb") or 0) / GB or None,
        "folder MB": (b.get("folder_bytes") or 0) / 1e6 or None,
        "serve start s": s.get("start_s"),
        "serve RSS GB": (s.get("rss_after_start_mb") or 0) / GB or None,
        "serve peak RSS GB": (s.get("hwm_after_requests_mb") or 0) / GB or None,
    }
    for kind in KINDS:
        out[f"{kind.label} median ms"] = rq.get(kind.key, {}).get("summary", {}).get("median")
    return out


def car_nodes(g: dict) -> int:
    return g.get("build", {}).get("networks", {}).get("car", {}).get("nodes") or g["grid_nodes"]


def _matrix_note(g: dict) -> str:
    """How the matrices of a grid were answered: by the index or by searches."""
    state = g["requests"].get("matrix_index", {}).get("state")
    if state == "ready":
        return "answered by the contraction-hierarchy index"
    return ("searches: the network is above the index's limits (1M nodes in the background; "
            "the index at this size: `docs/benchmarks-matrix-index.md`)")  # fmt: skip


def targets(res: dict) -> list[dict]:
    """Each target of issue 12 with the measured value and whether it is met."""
    grids = [g for g in res.get("grids", []) if g.get("requests")]
    rows: list[dict] = []
    if grids:
        big = max(grids, key=car_nodes)
        ref = next((g for g in grids if car_nodes(g) == REF_NODES), min(grids, key=car_nodes))
        r0 = ref["requests"]["iso10"]["summary"].get("median")
        r1 = big["requests"]["iso10"]["summary"].get("median")
        ratio = r1 / r0 if r0 and r1 else None
        same = big is ref
        rows.append({
            "target": f"10-min car isochrone at the largest grid ({car_nodes(big):,} nodes) within "
                      f"{TARGET_ISO_GROWTH:g}x of its latency at {car_nodes(ref):,} nodes"
                      + ("" if car_nodes(ref) == REF_NODES else " (no 40k grid measured: the "
                         "smallest instead)"),
            "measured": f"median {_ms(r1)} ms against {_ms(r0)} ms: ratio "
                        + (f"{ratio:.2f}" if ratio else "-"),
            "met": None if same or ratio is None else ratio <= TARGET_ISO_GROWTH,
            "note": "the largest grid is the reference: no test" if same else "",
        })  # fmt: skip
        for key, what, limit in (("matrix50", "50x50 car matrix", TARGET_MATRIX_S),
                                 ("matrix50r", "50x50 car matrix within 10 km x 10 km (not an "
                                  "issue target: a planner's area)", TARGET_MATRIX_S),
                                 ("scenario", "scenario closing one facility", TARGET_SCENARIO_S),
                                 ("catchment", "catchment of one category (GP, 10 min car)",
                                  TARGET_CATCHMENT_S)):  # fmt: skip
            sm = big["requests"][key]["summary"]
            med = sm.get("median")
            bad = {k: v for k, v in sm["status"].items() if k != "200"}
            rows.append({
                "target": f"{what} under {limit:g} s at the largest grid ({car_nodes(big):,} "
                          "nodes; median)",
                "measured": f"median {_ms(med)} ms, p90 {_ms(sm.get('p90'))} ms"
                            + (f"; non-200: {bad}" if bad else ""),
                "met": None if med is None else (med / 1000.0 < limit and not bad),
                "note": _matrix_note(big) if key.startswith("matrix") else "",
            })  # fmt: skip
    sample = res.get("sample", {})
    for profile in PROFILES:
        lat = sample.get("isochrones", {}).get(profile, {})
        b, v = lat.get("bereik", {}), lat.get("valhalla", {})
        r = lat.get("ratio_median")
        rows.append({
            "target": f"10-min {profile} isochrone latency at most Valhalla's (real sample, "
                      "HTTP, median)",
            "measured": f"bereik {_ms(_sec_ms(b.get('median')))} ms, Valhalla "
                        f"{_ms(_sec_ms(v.get('median')))} ms: ratio "
                        + (f"{r:.2f}" if r else "-"),
            "met": None if r is None else r <= TARGET_PEER_RATIO,
            "note": _peer_note(sample, "valhalla") if r is None else "",
        })  # fmt: skip
    m = sample.get("matrix", {})
    r = m.get("ratio_http_median")
    rows.append({
        "target": "100x100 matrix latency matched: bereik POST /matrix at most OSRM's /table "
                  "(real sample, HTTP, median)",
        "measured": f"bereik {_ms(_sec_ms((m.get('bereik_http') or {}).get('median')))} ms, OSRM "
                    f"{_ms(_sec_ms((m.get('osrm_http') or {}).get('median')))} ms: ratio "
                    + (f"{r:.2f}" if r else "-"),
        "met": None if r is None else r <= TARGET_PEER_RATIO,
        "note": m.get("error") or (_peer_note(sample, "osrm") if r is None else ""),
    })  # fmt: skip
    return rows


def _sec_ms(x) -> float | None:
    return None if x is None else x * 1000.0


def _peer_note(sample: dict, peer: str) -> str:
    if not sample:
        return "sample not measured"
    if "error" in sample:
        return f"sample failed: {sample['error']}"
    p = sample.get("peers", {})
    return p.get("reason") or p.get(f"{peer}_reason") or f"{peer} not measured"


# --- the report ---------------------------------------------------------------------------------
def _met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**yes**" if ok else "**no**")


def _cell(sm: dict) -> str:
    """median / p90 in ms, and any non-200 status with its count."""
    bad = {k: v for k, v in sm.get("status", {}).items() if k != "200"}
    txt = f"{_ms(sm.get('median'))} / {_ms(sm.get('p90'))}" if sm.get("n") else ""
    if bad:
        txt = (txt + " " if txt else "") + ", ".join(f"**HTTP {k}** x{v}" for k, v in bad.items())
    return txt or "-"


def _gb(mb) -> str:
    return "-" if not mb else f"{mb / GB:.2f}"


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table."""
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def size_tables(grids: list[dict]) -> list[str]:
    """The build and serve table and the latency table, one row per grid."""
    rows = []
    for g in grids:
        b, s = g.get("build", {}), g.get("serve", {})
        car = b.get("networks", {}).get("car", {})
        arcs = sum(n["arcs"] for n in b.get("networks", {}).values())
        rows.append([
            f"{g['side']} x {g['side']}", f"{car.get('nodes', g['grid_nodes']):,}",
            f"{car.get('arcs', 0):,} ({arcs:,})",
            "failed" if "error" in b else f"{b['wall_s']:.1f}", _gb(b.get("peak_rss_mb")),
            "-" if not b.get("folder_bytes") else f"{b['folder_bytes'] / 1e6:,.0f}",
            "failed" if "error" in s else ("-" if s.get("start_s") is None
                                           else f"{s['start_s']:.1f}"),
            _gb(s.get("rss_after_start_mb")), _gb(s.get("hwm_after_requests_mb")),
        ])  # fmt: skip
    out = table(["SYNTHETIC grid", "car nodes", "car arcs (all profiles)", "build s",
                 "build peak RSS GB", "folder MB", "serve start s", "serve RSS GB",
                 "serve peak RSS GB"], rows)  # fmt: skip
    out += ["", "Latency over HTTP, median / p90 in ms (sequential requests, one client; "
            "a non-200 is counted in the cell):", ""]  # fmt: skip
    rows = [[f"{g['side']} x {g['side']}", *(
        _cell(g["requests"][k.key]["summary"]) if g.get("requests") else "not measured"
        for k in KINDS)] for g in grids]  # fmt: skip
    return out + table(["SYNTHETIC grid", *(k.label for k in KINDS)], rows)


def growth_table(grids: list[dict]) -> list[str]:
    """Each figure as a ratio to the smallest grid, and its fitted growth exponent."""
    grids = [g for g in grids if "error" not in g.get("build", {})]
    if len(grids) < 2:
        return ["(one grid only: no growth to show)"]
    nodes = [float(car_nodes(g)) for g in grids]
    ms = [metrics(g) for g in grids]
    head = ["figure", *(f"{int(n):,} nodes" for n in nodes), "exponent"]
    rows = [["nodes", *(f"x{n / nodes[0]:.0f}" for n in nodes), "1.00"]]
    for key in ms[0]:
        vals = [m[key] for m in ms]
        base = vals[0]
        cells = [f"x{v / base:.2f}" if v and base else "-" for v in vals]
        e = growth_exponent(nodes, vals)
        rows.append([key, *cells, "-" if e is None else f"{e:.2f}"])
    return table(head, rows)


def grid_details(g: dict) -> list[str]:
    """One grid: its files, build stages, and every request kind in full."""
    b, s = g.get("build", {}), g.get("serve", {})
    out = [f"### SYNTHETIC grid {g['side']} x {g['side']}", ""]
    if "error" in b:
        return [*out, f"`bereik build` failed (exit {b.get('exit_code')}): {b['error']}", ""]
    nets = ", ".join(f"{p} {n['nodes']:,} nodes / {n['arcs']:,} arcs"
                     for p, n in b["networks"].items())  # fmt: skip
    files = b["files_bytes"]
    big = {k: v for k, v in files.items() if k == "bereik.gpkg" or k.startswith("network_")}
    rest = b["folder_bytes"] - sum(big.values())
    stages = ", ".join(f"{k} {v:.1f}" for k, v in b.get("stages_s", {}).items())
    rss_note = (f"ru_maxrss {b['ru_maxrss_mb']:,.0f} MB, polled tree "
                f"{b['polled_tree_rss_mb'] or 0:,.0f} MB")  # fmt: skip
    out += [
        f"- input `{g['pbf']}` ({g['pbf_bytes'] / 1e6:.2f} MB); networks: {nets}; "
        f"{b.get('villages') or '?'} villages, {g.get('facilities', '?')} GP practices",
        f"- build: {b['wall_s']:.1f} s wall (stages from the manifest, s: {stages}); peak RSS "
        f"{rss_note}; edges in the GeoPackage: {b.get('gpkg_edges')}",
        "- folder: " + ", ".join(f"`{k}` {v / 1e6:,.1f} MB" for k, v in big.items())
        + f", the other {len(files) - len(big)} files {rest / 1e6:,.1f} MB",
    ]  # fmt: skip
    if "error" in s:
        return [*out, f"- serve failed: {s['error']}", ""]
    if "requests" not in g:
        return [*out, f"- requests failed: {g.get('requests_error')}", ""]
    out.append(
        f"- serve: up in {s['start_s']:.1f} s; VmRSS {s['rss_after_start_mb']:,.0f} MB after "
        f"the start (VmHWM {s['hwm_after_start_mb']:,.0f} MB), VmRSS "
        f"{s.get('rss_after_requests_mb') or 0:,.0f} MB and VmHWM "
        f"{s.get('hwm_after_requests_mb') or 0:,.0f} MB after all requests; restarts: "
        f"{s.get('restarts', 0)}"
    )
    mi = g["requests"].get("matrix_index")
    if mi:
        what = {"ready": "answered the timed matrices", "none": "not used (network too large "
                "for it, or small enough to be made with the cold matrix)",
                "unavailable": "unavailable", "preparing": "still preparing: timed matrices "
                "searched"}.get(mi["state"], mi["state"])  # fmt: skip
        out.append(f"- car matrix index (`GET /builds`): **{mi['state']}** after waiting "
                   f"{mi['waited_s']:.1f} s from the end of the cold requests (the cold matrix "
                   f"starts it in the background): {what}")  # fmt: skip
    rows = []
    for kind in KINDS:
        r = g["requests"][kind.key]
        sm, cold = r["summary"], r["cold"]
        rows.append([kind.label, f"{_ms(cold['s'] * 1000)} ({cold['status']})", str(sm["n"]),
                     str(sm["requests"]), _ms(sm.get("median")), _ms(sm.get("p90")),
                     _ms(sm.get("max")), ", ".join(f"{k}: {v}" for k, v in sm["status"].items()),
                     "-" if sm["bytes_median"] is None else f"{sm['bytes_median'] / 1e3:,.0f}",
                     ])  # fmt: skip
    out += ["", *table(["request", "cold ms (status)", "n 200", "requests", "median ms",
                        "p90 ms", "max ms", "status", "response kB"], rows)]  # fmt: skip
    errs = [(k.label, e) for k in KINDS for e in g["requests"][k.key]["summary"]["errors"]]
    errs += [(k.label, f"cold {g['requests'][k.key]['cold']['status']}: "
              f"{g['requests'][k.key]['cold'].get('detail', '')}") for k in KINDS
             if g["requests"][k.key]["cold"]["status"] != 200]  # fmt: skip
    if errs:
        out += ["", "Answers other than 200:", ""]
        out += [f"- {label}: `{e[:300]}`" for label, e in errs]
    return [*out, ""]


def sample_section(sample: dict) -> list[str]:
    """bereik against Valhalla (isochrones) and OSRM (matrix) on the real sample."""
    if not sample:
        return ["Not measured (`--no-sample`).", ""]
    if "error" in sample:
        return [f"Failed: {sample['error']}", ""]
    p = sample.get("peers", {})
    vers = p.get("versions", {})
    out = [
        f"Real OSM data: `{sample['extract']}` (Liechtenstein, 2015); networks "
        + ", ".join(f"{k} {v['nodes']:,} nodes / {v['arcs']:,} arcs"
                    for k, v in sample["networks"].items())
        + f". Peers: Python {vers.get('python', '-')} (`{p.get('python')}`), pyvalhalla "
        f"{vers.get('valhalla', {}).get('version', '-')}, osrm-bindings "
        f"{vers.get('osrm', {}).get('version', '-')}."
        + (f" **Peers skipped**: {p['reason']}" if p.get("reason") else ""),
        "",
        "10-minute isochrones, the same seeded points on each profile's roads, bereik "
        "`GET /isochrones` and Valhalla `POST /isochrone` (costing auto, bicycle, pedestrian) "
        "alternately, after a warm-up (bereik served with `BEREIK_MAX_MATRIX_CELLS=10000`, "
        "Valhalla's `valhalla_service` with one worker thread):",
        "",
    ]  # fmt: skip
    rows = []
    for profile, lat in sample.get("isochrones", {}).items():
        b, v = lat["bereik"], lat["valhalla"]
        rows.append([profile, str(b.get("n", 0)), _ms(_sec_ms(b.get("median"))),
                     _ms(_sec_ms(b.get("p90"))), str(v.get("n", 0)),
                     _ms(_sec_ms(v.get("median"))), _ms(_sec_ms(v.get("p90"))),
                     "-" if lat.get("ratio_median") is None else f"{lat['ratio_median']:.2f}",
                     f"{b.get('failed', 0)} / {v.get('failed', 0)}"])  # fmt: skip
    out += table(["profile", "bereik n", "bereik median ms", "bereik p90 ms", "Valhalla n",
                   "Valhalla median ms", "Valhalla p90 ms", "ratio of medians",
                   "failed bereik / Valhalla"], rows)  # fmt: skip
    errs = [f"- {pr} {who}: `{e[:300]}`" for pr, lat in sample.get("isochrones", {}).items()
            for who in ("bereik", "valhalla") for e in lat[who].get("errors", [])]  # fmt: skip
    if errs:
        out += ["", "Failed requests (first three per side):", "", *errs]
    m = sample.get("matrix", {})
    out += ["", f"Matrix {m.get('n_sources', 100)} x {m.get('n_destinations', 100)}, car: "
            "bereik `POST /matrix` and OSRM `GET /table` (MLD, one thread) alternately, one "
            f"warm-up round then {m.get('runs', '?')} rounds:", ""]  # fmt: skip
    if "error" in m:
        return [*out, f"Failed: {m['error']}", ""]
    b, o = m.get("bereik_http", {}), m.get("osrm_http", {})
    rows = [["bereik HTTP", _ms(_sec_ms(b.get("median"))), _ms(_sec_ms(b.get("p90")))],
            ["OSRM HTTP", _ms(_sec_ms(o.get("median"))), _ms(_sec_ms(o.get("p90")))],
            ["bereik in-process (`travel_matrix`)",
             _ms(_sec_ms(m.get("bereik_inprocess", {}).get("median"))),
             _ms(_sec_ms(m.get("bereik_inprocess", {}).get("p90")))]]  # fmt: skip
    if m.get("osrm_inprocess"):
        oi = m["osrm_inprocess"]
        rows.append(["OSRM in-process (`osrm.OSRM.Table`)", _ms(_sec_ms(oi.get("median"))),
                     _ms(_sec_ms(oi.get("p90")))])  # fmt: skip
    out += table(["", "median ms", "p90 ms"], rows)
    ag = m.get("agreement", {})
    if ag:
        out += ["", f"Both answered {ag['pairs']:,} cells (bereik unreachable: "
                f"{m.get('bereik_unreachable')}, OSRM: {ag.get('osrm_unreachable')}). Their "
                "distances are not comparable here (OSRM's is the length of its fastest route, "
                "bereik's `distances_m` the shortest route): `benchmarks/service/run.py` checks "
                "them like with like."]  # fmt: skip
    return [*out, ""]


def render(res: dict) -> str:
    """The markdown report."""
    mach = res["machine"]
    grids = res.get("grids", [])
    sides = ", ".join(f"{g['side']}" for g in grids)
    lines = [
        "# Scale series (issue 12): bereik on SYNTHETIC street grids, and against Valhalla "
        "and OSRM on the real sample",
        "",
        f"Generated by `benchmarks/scale.py{' --quick' if res['quick'] else ''}` on "
        f"{res['created']} (do not edit by hand; rerun the script, or `--render-only` its "
        "results.json).",
        "",
        "**The grid data is SYNTHETIC**: street grids made by `scripts/make_synthetic_grid.py` "
        f"(sides {sides}; not OpenStreetMap data: 100 m blocks with jitter, tertiary roads every "
        "10th row and column, one-way streets, footway diagonals, one village per 20 x 20 "
        "block, GP practices, supermarkets and primary schools at random places). Only the "
        "comparison with Valhalla and OSRM runs on real OSM data, the bundled sample.",
        "",
        "## Machine",
        "",
        f"- {mach['cpu']}; {mach['cores']} cores; {mach.get('memory_gb')} GB memory; "
        f"{mach['platform']}; Python {mach['python']}",
        f"- code: {res.get('code', '')}",
        f"- load average at start {', '.join(f'{x:.2f}' for x in mach['loadavg_start'])}, at "
        f"end {', '.join(f'{x:.2f}' for x in res.get('loadavg_end', []))} (a shared machine: "
        "other jobs add noise)",
        f"- run time {res.get('run_s', 0):.0f} s; seed {SEED}",
        "",
        "## Targets (issue 12)",
        "",
        *table(["target", "measured", "met", "note"],
               [[t["target"], t["measured"], _met(t["met"]), t["note"]]
                for t in targets(res)]),
        "",
        "## Per size (SYNTHETIC grids)",
        "",
        "`bereik build <grid> --name grid-<side> --profiles car,bike,walk --force`, then "
        "`bereik serve --build <that folder> --workers 1` (defaults otherwise: 50 m isochrone "
        "cells, matrix limit 2,500 cells). Build peak RSS: the larger of `os.wait4`'s "
        "`ru_maxrss` and a 0.2 s poll of the process tree's VmRSS; serve RSS: VmRSS once "
        "`/health` answers 200, serve peak: VmHWM after all requests. Start: from the process "
        "start until `/health` answers 200. RSS in GB of 2^30 bytes; folder sizes in MB of "
        "10^6 bytes.",
        "",
        *size_tables(grids),
        "",
        "Requests: random points (seeded) inside the grid's road extent; isochrones "
        "`GET /isochrones?profile=car&minutes=10|30`; matrices `POST /matrix` with fresh random "
        "sources and destinations each time; the scenario `POST /scenarios` closes one random "
        f"GP practice (`close: [id]`, car); the catchment `GET /catchments?category="
        f"{CATCHMENT['category']}&profile={CATCHMENT['profile']}&minutes="
        f"{CATCHMENT['minutes']}`. The first request of each kind is timed apart (cold, in the "
        "details below); then "
        + ", ".join(f"{k.quick_reps if res['quick'] else k.reps} {k.label}" for k in KINDS)
        + f" round-robin (fewer when a kind has spent {res['budget_s']:g} s).",
        "",
        "## Growth with size",
        "",
        "Each figure as a multiple of the smallest grid's; the exponent is the least-squares "
        "slope of log(figure) on log(nodes) (1 = linear in the number of nodes).",
        "",
        *growth_table(grids),
        "",
        "## Details per grid",
        "",
    ]  # fmt: skip
    for g in grids:
        lines += grid_details(g)
    lines += ["## Against Valhalla and OSRM (real sample)", "", *sample_section(res.get("sample"))]
    return "\n".join(lines).rstrip() + "\n"


def summary(res: dict) -> str:
    """The tables for the terminal."""
    lines = ["Targets (issue 12):"]
    lines += [f"  [{_met(t['met']).strip('*')}] {t['target']}: {t['measured']}"
              for t in targets(res)]  # fmt: skip
    lines += ["", *size_tables(res.get("grids", [])), "", *growth_table(res.get("grids", []))]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Measure, write the JSON and the report."""
    ap = argparse.ArgumentParser(prog="benchmarks/scale.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="sides 100,200 and fewer requests (about a minute)")  # fmt: skip
    ap.add_argument("--sides", help="grid sides, comma-separated (default 200,400,800,1400)")
    ap.add_argument("--no-peers", action="store_true", help="skip Valhalla and OSRM")
    ap.add_argument("--no-sample", action="store_true", help="skip the real sample entirely")
    ap.add_argument("--peers-python", type=Path,
                    help="Python 3.12 with pyvalhalla and osrm-bindings "
                         "(default: BEREIK_PEERS_PYTHON, .venv-valhalla, .venv-peers)")  # fmt: skip
    ap.add_argument("--doc", type=Path, help=f"report (default {DOC.relative_to(ROOT)}; "
                    f"--quick: {QUICK_DOC.relative_to(ROOT)})")  # fmt: skip
    ap.add_argument("--render-only", type=Path, metavar="JSON",
                    help="measure nothing: rewrite the report from a results JSON")  # fmt: skip
    args = ap.parse_args(argv)
    if args.render_only:
        res = json.loads(args.render_only.read_text())
        doc = args.doc or (QUICK_DOC if res["quick"] else DOC)
        doc.write_text(render(res))
        log(f"wrote {doc} from {args.render_only}")
        return 0
    plan = QUICK if args.quick else FULL
    if args.sides:
        plan = dataclasses.replace(plan, sides=tuple(int(s) for s in args.sides.split(",")))
    if args.peers_python:
        os.environ["BEREIK_PEERS_PYTHON"] = str(args.peers_python.resolve())
    # the service benchmark's helpers write (builds, peers' data, logs) and start servers in
    # its WORK: here, under this run's
    sr.WORK = WORK / "sample"
    sr.WORK.mkdir(parents=True, exist_ok=True)
    t_run = time.perf_counter()
    res: dict = {
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": plan.quick,
        "plan": dataclasses.asdict(plan),
        "budget_s": plan.budget_s,
        "machine": sr.machine(),
        "code": bench.code_version(),
        "grids": [],
    }
    out_json = WORK / ("results-quick.json" if plan.quick else "results.json")
    if not args.no_sample:
        try:
            res["sample"] = measure_sample(plan, args.no_peers)
        except (RuntimeError, OSError, httpx.HTTPError) as exc:
            res["sample"] = {"error": f"{type(exc).__name__}: {exc}"[:600]}
            log(f"sample failed: {res['sample']['error']}")
        out_json.write_text(json.dumps(res, indent=1, default=float))
    for side in plan.sides:
        res["grids"].append(measure_grid(side, plan))
        out_json.write_text(json.dumps(res, indent=1, default=float))
    res["loadavg_end"] = list(os.getloadavg())
    res["run_s"] = time.perf_counter() - t_run
    out_json.write_text(json.dumps(res, indent=1, default=float))
    doc = args.doc or (QUICK_DOC if plan.quick else DOC)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(render(res))
    log(f"done in {res['run_s']:.0f} s: {doc} and {out_json}")
    print(summary(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
