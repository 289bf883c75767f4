"""Service benchmark: bereik's HTTP isochrones and matrix next to Valhalla and OSRM.

One run, on the bundled real extract (``data/samples/liechtenstein-2015-07-27.osm.pbf``):

1. builds the car network with ``bereik build`` and starts ``bereik serve`` on a free
   127.0.0.1 port (one uvicorn worker);
2. builds Valhalla tiles of the same extract (``valhalla_build_tiles``) and starts
   Valhalla's HTTP server ``valhalla_service`` (one worker thread) on 127.0.0.1;
3. runs OSRM's MLD preprocessing (osrm-extract with the bundled ``car.lua``,
   osrm-partition, osrm-customize) and starts ``osrm-routed`` (MLD, one thread) on
   127.0.0.1;
4. isochrone latency: the same seeded random start points on car roads, 10-minute (and
   5/10/15-minute) car isochrones, sequential requests over one persistent HTTP client per
   service, the two services alternately (ABAB, BABA, ...);
5. polygon agreement: IoU of bereik's and Valhalla's contours in EPSG:32632, and WHY they
   differ: route durations of both engines on the same pairs, snapping, the roads each
   polygon covers, holes, and an in-process sweep of bereik's car speeds (scaled copies of
   the network, for analysis only) and grid cell size;
6. matrix: 100 x 100 random road points, bereik ``POST /matrix`` against OSRM
   ``/table`` (both HTTP), median of several runs, plus the distances' agreement; the
   engines in-process as a second view;
7. writes ``docs/benchmarks-service.md`` (and ``benchmarks/service/.work/results.json``).

Valhalla and OSRM need Python 3.12 (abi3 wheels): their helper ``peers.py`` runs in a 3.12
venv, by default ``.venv-valhalla``::

    PYENV_VERSION=3.12.1 python3 -m venv .venv-valhalla
    .venv-valhalla/bin/pip install pyvalhalla osrm-bindings

Without it (or with ``--no-peers``) the peers are skipped with the reason in the report.

Usage::

    .venv/bin/python benchmarks/service/run.py           # full run (about 2-3 minutes)
    .venv/bin/python benchmarks/service/run.py --quick   # fewer points and runs (< 2 min)

The quick run writes its report to ``benchmarks/service/.work/`` unless ``--doc`` is given.
Timing uses time.perf_counter only.
"""

from __future__ import annotations

import os

# like for like: every engine here runs on one core
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import contextlib
import dataclasses
import json
import platform
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx
import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import analysis as an  # noqa: E402
import report  # noqa: E402

WORK = HERE / ".work"
EXTRACT = ROOT / "data" / "samples" / "liechtenstein-2015-07-27.osm.pbf"
BEREIK = Path(sys.executable).parent / "bereik"
PEERS_SCRIPT = HERE / "peers.py"
DOC = ROOT / "docs" / "benchmarks-service.md"
PEER_VENVS = (ROOT / ".venv-valhalla", ROOT / ".venv-peers")
SETUP_HINT = (
    "PYENV_VERSION=3.12.1 python3 -m venv .venv-valhalla && "
    ".venv-valhalla/bin/pip install pyvalhalla osrm-bindings"
)
SEED_ISO, SEED_SRC, SEED_DST = 20261127, 1, 2
#: the matrix limit of the bereik server started here (its default, 2500, is below 100x100)
MATRIX_CELLS = 10_000
HTTP_TIMEOUT_S = 120.0
#: Valhalla's costing for each bereik profile
VALHALLA_COSTING = {"car": "auto", "bike": "bicycle", "walk": "pedestrian"}


@dataclasses.dataclass
class Config:
    """Sizes of one run."""

    quick: bool
    n_iso: int
    matrix_n: int
    matrix_runs: int
    warmup: int
    speed_factors: tuple[float, ...]
    cells: tuple[float, ...]
    urban: tuple[tuple[float, float], ...]
    hole_areas_km2: tuple[float, ...]
    copies: tuple[int, ...]
    n_scaling: int
    rounds: int


FULL = Config(
    quick=False,
    n_iso=50,
    matrix_n=100,
    matrix_runs=7,
    warmup=3,
    speed_factors=(0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1),
    cells=(50.0, 75.0, 100.0),
    urban=((0.7, 1.0), (0.8, 1.0), (0.9, 1.0), (0.7, 0.95), (0.8, 0.95), (0.9, 0.95)),
    hole_areas_km2=(0.04, 0.1, 0.25, 1.0),
    copies=(1, 10, 50),
    n_scaling=20,
    rounds=2,
)
QUICK = Config(
    quick=True,
    n_iso=16,
    matrix_n=100,
    matrix_runs=3,
    warmup=2,
    speed_factors=(0.9, 0.95, 1.0),
    cells=(50.0, 75.0),
    urban=((0.8, 1.0), (0.8, 0.95)),
    hole_areas_km2=(0.04, 0.25),
    copies=(1, 10),
    n_scaling=8,
    rounds=1,
)


# --- helpers ------------------------------------------------------------------------------------
def log(msg: str) -> None:
    """Progress line on stderr."""
    print(f"[service-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (closed again; the service binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pkg_version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def machine() -> dict:
    """Platform, CPU model, cores, memory, load."""
    cpu = None
    mem_kb = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1) if mem_kb else None,
        "loadavg_start": list(os.getloadavg()),
        "python": sys.version.split()[0],
        "versions": {
            d: pkg_version(d)
            for d in (
                "bereik",
                "fastapi",
                "uvicorn",
                "numpy",
                "scipy",
                "shapely",
                "pyproj",
                "rasterio",
                "geopandas",
                "httpx",
            )
        },
    }


def rss_mb(pid: int, key: str = "VmRSS") -> float | None:
    """Resident memory (MB) of a process and its children, from /proc (None elsewhere);
    ``key="VmHWM"`` gives each process's peak instead."""
    total = 0
    todo = [pid]
    try:
        while todo:
            p = todo.pop()
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(key):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo += [int(k) for k in kids]
    except (OSError, ValueError):
        return None
    return total / 1024


class Service:
    """One HTTP server subprocess on 127.0.0.1, started and stopped by this run only."""

    def __init__(
        self, name: str, cmd: list[str], base_url: str, ready: str, *, env: dict | None = None
    ) -> None:
        self.name, self.cmd, self.base_url, self.ready = name, cmd, base_url, ready
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.ready_s: float | None = None
        self.restarts = 0
        self.log_path = WORK / f"{name}.log"

    def start(self, timeout_s: float = 90.0) -> None:
        """Start the server and wait until ``ready`` answers 200."""
        logf = self.log_path.open("ab")
        t = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd,
            stdout=logf,
            stderr=subprocess.STDOUT,
            cwd=WORK,
            env=self.env,
            start_new_session=True,
        )
        logf.close()
        with httpx.Client(base_url=self.base_url, timeout=5.0) as c:
            while time.perf_counter() - t < timeout_s:
                if self.proc.poll() is not None:
                    msg = f"{self.name} exited with {self.proc.returncode}, see {self.log_path}"
                    raise RuntimeError(msg)
                try:
                    if c.get(self.ready).status_code == 200:
                        self.ready_s = time.perf_counter() - t
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        self.stop()
        msg = f"{self.name} did not answer {self.ready} within {timeout_s:g} s ({self.log_path})"
        raise RuntimeError(msg)

    def rss(self) -> float | None:
        return rss_mb(self.proc.pid) if self.alive() else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def restart(self) -> None:
        self.restarts += 1
        log(f"{self.name} died (exit {self.proc.returncode if self.proc else '?'}); restarting")
        self.stop()
        self.start()

    def stop(self) -> None:
        """Terminate the server's own process group (it was started in a new session)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def call(client: httpx.Client, svc: Service, method: str, path: str, **kw):
    """One timed request; a dead server is restarted once. Returns (response, seconds)."""
    for attempt in (0, 1):
        try:
            t = time.perf_counter()
            r = client.request(method, path, **kw)
            return r, time.perf_counter() - t
        except httpx.TransportError:
            if attempt or svc.alive():
                raise
            svc.restart()
    raise AssertionError  # pragma: no cover


def peers_python(skip: bool) -> tuple[Path | None, dict, str | None]:
    """The Python 3.12 interpreter that has the peers, their versions, or why there is none."""
    if skip:
        return None, {}, "peers skipped (--no-peers)"
    cands = []
    if os.environ.get("BEREIK_PEERS_PYTHON"):
        cands.append(Path(os.environ["BEREIK_PEERS_PYTHON"]))
    cands += [v / "bin" / "python" for v in PEER_VENVS]
    reasons = []
    best: tuple[Path | None, dict] = (None, {})
    for py in cands:
        if not py.exists():
            reasons.append(f"{py.relative_to(ROOT) if py.is_relative_to(ROOT) else py}: absent")
            continue
        out = WORK / "peers-versions.json"
        proc = subprocess.run(
            [str(py), str(PEERS_SCRIPT), "versions", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            reasons.append(f"{py}: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        info = json.loads(out.read_text())
        n_ok = sum(bool(info.get(m, {}).get("ok")) for m in ("valhalla", "osrm"))
        if n_ok == 2:
            return py, info, None
        if n_ok and best[0] is None:
            best = (py, info)
        reasons.append(
            f"{py}: "
            + "; ".join(info[m]["reason"] for m in ("valhalla", "osrm") if not info[m]["ok"])
        )
    if best[0] is not None:
        return best[0], best[1], None
    return (
        None,
        {},
        (
            "no Python 3.12 venv with pyvalhalla and osrm-bindings ("
            + "; ".join(reasons)
            + f"); create one with: {SETUP_HINT}"
        ),
    )


def peer(py: Path, cmd: str, spec: dict) -> dict:
    """Run one ``peers.py`` subcommand in the 3.12 venv."""
    spec_path = WORK / f"peer-{cmd}-spec.json"
    out_path = WORK / f"peer-{cmd}-out.json"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run(
        [str(py), str(PEERS_SCRIPT), cmd, str(spec_path), str(out_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        msg = f"peers.py {cmd} failed: " + " | ".join(tail)
        raise RuntimeError(msg)
    return json.loads(out_path.read_text())


def bereik_service(build_dir: Path, name: str = "bereik", env: dict | None = None) -> Service:
    """``bereik serve`` of one build on a free 127.0.0.1 port, one uvicorn worker (not yet
    started)."""
    port = free_port()
    cmd = [str(BEREIK), "serve", "--build", str(build_dir), "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--log-level", "warning"]  # fmt: skip
    return Service(name, cmd, f"http://127.0.0.1:{port}", "/health", env=env)


def valhalla_service(py: Path) -> tuple[Service, dict]:
    """Valhalla tiles of the extract (``valhalla_build_tiles``) and its HTTP server
    ``valhalla_service`` on a free port, one worker thread (not yet started)."""
    port = free_port()
    spec = {"pbf": str(EXTRACT), "workdir": str(WORK / "valhalla"), "port": port, "threads": 1}
    prep = peer(py, "valhalla-prepare", spec)
    cmd = [prep["service_bin"], prep["config"], "1"]
    return Service("valhalla", cmd, f"http://127.0.0.1:{port}", "/status"), prep


def osrm_service(py: Path) -> tuple[Service, dict]:
    """OSRM's MLD preprocessing of the extract and ``osrm-routed`` on a free port, one
    thread (not yet started)."""
    spec = {"pbf": str(EXTRACT), "workdir": str(WORK / "osrm"), "threads": 1}
    prep = peer(py, "osrm-prepare", spec)
    port = free_port()
    cmd = [prep["routed_bin"], prep["base"], "-a", "MLD", "-i", "127.0.0.1", "-p", str(port),
           "-t", "1", "--max-table-size", "1000"]  # fmt: skip
    ready = "/nearest/v1/driving/9.5209,47.1410"
    return Service("osrm", cmd, f"http://127.0.0.1:{port}", ready), prep


# --- bereik -------------------------------------------------------------------------------------
def build_bereik(profiles: str = "car") -> tuple[Path, float]:
    """``bereik build`` of the extract with ``profiles`` into the work folder (timed)."""
    out = WORK / "build"
    t = time.perf_counter()
    proc = subprocess.run(
        [
            str(BEREIK),
            "build",
            str(EXTRACT),
            "--out",
            str(out),
            "--profiles",
            profiles,
            "--no-coverage",
            "--force",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=WORK,
    )
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        msg = f"bereik build failed: {(proc.stderr or proc.stdout).strip()[-500:]}"
        raise RuntimeError(msg)
    return out, dt


# --- isochrones ---------------------------------------------------------------------------------
def valhalla_body(lon: float, lat: float, minutes, **extra) -> dict:
    """Valhalla isochrone request: auto costing, polygons, Valhalla's default denoise and
    generalize unless given in ``extra``."""
    return {
        "locations": [{"lat": lat, "lon": lon}],
        "costing": "auto",
        "contours": [{"time": float(m)} for m in minutes],
        "polygons": True,
        **extra,
    }


def _bereik_geoms(r: httpx.Response) -> dict[float, dict]:
    return {float(f["properties"]["minutes"]): f["geometry"] for f in r.json()["features"]}


def _valhalla_geoms(r: httpx.Response) -> dict[float, dict]:
    return {float(f["properties"]["contour"]): f["geometry"] for f in r.json()["features"]}


class ActorLoop:
    """Valhalla's engine in-process (``valhalla.Actor``) in a persistent 3.12 helper,
    driven point by point over a pipe so it can be interleaved with the other measurements
    (the helper times ``Actor.isochrone`` itself; the pipe is not in the figure)."""

    def __init__(self, py: Path, config: str) -> None:
        self.proc = subprocess.Popen(
            [str(py), str(PEERS_SCRIPT), "valhalla-actor-loop", config],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.load_s = json.loads(self.proc.stdout.readline())["load_s"]

    def isochrone(self, lon: float, lat: float, minutes: list[float]) -> float | None:
        self.proc.stdin.write(json.dumps({"lon": lon, "lat": lat, "minutes": minutes}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["s"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


class AppLayer:
    """bereik's own app functions, called in-process on the served build (read-only use):
    the engine alone, the features (the same isochrone plus villages and population inside,
    as GeoJSON Feature texts) and the collection text; None when the app's internals cannot
    be used."""

    def __init__(self, build_dir: Path) -> None:
        from accessibility.isochrones import isochrones
        from app.config import Settings
        from app.geojson import collection_text
        from app.limits import check_contours
        from app.queries import isochrone_features
        from app.state import BuildRegistry

        self._iso, self._frame, self._text = isochrones, isochrone_features, collection_text
        self.sb = BuildRegistry.load({"bench": build_dir}).get()
        self.st = Settings()
        self.net = self.sb.build.networks["car"]
        self._check = check_contours

    def engine(self, lon: float, lat: float, minutes: list[float]) -> float:
        t = time.perf_counter()
        self._iso(self.net, lon, lat, minutes=minutes, cell_m=self.st.isochrone_cell_m)
        return time.perf_counter() - t

    def frame_and_text(self, lon: float, lat: float, minutes: list[float]) -> tuple[float, float]:
        contours = self._check(self.st, minutes=minutes, meters=None)
        t0 = time.perf_counter()
        g = self._frame(
            self.sb, self.st, [(lon, lat)], profile="car", contours=contours, direction="from"
        )
        t1 = time.perf_counter()
        self._text(g)
        return t1 - t0, time.perf_counter() - t1


def isochrone_pass(
    points: np.ndarray,
    minutes: list[float],
    rounds: int,
    cb,
    bsvc,
    cv,
    vsvc,
    app: AppLayer | None,
    actor: ActorLoop | None,
    profile: str = "car",
) -> list[dict]:
    """For every point, in turn: bereik and Valhalla over HTTP (alternating which goes
    first), then the engines in-process (bereik's engine, its app layer, Valhalla's Actor),
    so that every figure of a point is taken within the same second of a shared machine.
    Geometries are kept from the first round; times from all rounds. ``app`` and ``actor``
    are car only."""
    rows = [{"i": i} for i in range(len(points))]
    mins = ",".join(f"{m:g}" for m in minutes)
    for rnd in range(rounds):
        for i, (x, y) in enumerate(points):
            row = rows[i]
            lon, lat = float(x), float(y)
            order = ("bereik", "valhalla") if (i + rnd) % 2 == 0 else ("valhalla", "bereik")
            for who in order:
                if who == "bereik":
                    r, dt = call(
                        cb,
                        bsvc,
                        "GET",
                        "/isochrones",
                        params={"lon": lon, "lat": lat, "profile": profile, "minutes": mins},
                    )
                    parse = _bereik_geoms
                elif cv is not None:
                    body = valhalla_body(lon, lat, minutes, costing=VALHALLA_COSTING[profile])
                    r, dt = call(cv, vsvc, "POST", "/isochrone", json=body)
                    parse = _valhalla_geoms
                else:
                    continue
                if r.status_code == 200:
                    row.setdefault(f"{who}_s", []).append(dt)
                    if rnd == 0:
                        row[f"{who}_geoms"] = parse(r)
                        row[f"{who}_bytes"] = len(r.content)
                else:
                    row[f"{who}_error"] = f"{r.status_code}: {r.text[:200]}"
            if app is not None:
                row.setdefault("engine_s", []).append(app.engine(lon, lat, minutes))
                fr, tx = app.frame_and_text(lon, lat, minutes)
                row.setdefault("frame_s", []).append(fr)
                row.setdefault("text_s", []).append(tx)
            if actor is not None:
                dt = actor.isochrone(lon, lat, minutes)
                if dt is not None:
                    row.setdefault("actor_s", []).append(dt)
    return rows


def warm_up(points, cb, bsvc, cv, vsvc, n: int, profile: str = "car") -> None:
    for lon, lat in points[:n]:
        call(
            cb,
            bsvc,
            "GET",
            "/isochrones",
            params={"lon": lon, "lat": lat, "profile": profile, "minutes": "10"},
        )
        if cv is not None:
            body = valhalla_body(lon, lat, [10], costing=VALHALLA_COSTING[profile])
            call(cv, vsvc, "POST", "/isochrone", json=body)


def http_floor(client: httpx.Client, svc: Service, path: str, n: int = 30) -> dict:
    """The round trip of a trivial request (health/status): HTTP cost on this machine."""
    ts = []
    for _ in range(n):
        r, dt = call(client, svc, "GET", path)
        if r.status_code == 200:
            ts.append(dt)
    return an.stats(ts)


def latency_summary(rows: list[dict]) -> dict:
    """Medians and percentiles over all requests; the in-process parts of the same loop."""

    def flat(key: str) -> list[float]:
        return [t for r in rows for t in r.get(key, [])]

    out = {}
    for who in ("bereik", "valhalla"):
        out[who] = an.stats(flat(f"{who}_s"))
        out[who]["failed"] = sum(1 for r in rows if f"{who}_error" in r)
        sizes = [r[f"{who}_bytes"] for r in rows if f"{who}_bytes" in r]
        out[who]["bytes_median"] = float(np.median(sizes)) if sizes else None
        out[who]["errors"] = [r[f"{who}_error"] for r in rows if f"{who}_error" in r][:3]
    b, v = out["bereik"].get("median"), out["valhalla"].get("median")
    out["ratio_median"] = b / v if b and v else None
    bp, vp = out["bereik"].get("p90"), out["valhalla"].get("p90")
    out["ratio_p90"] = bp / vp if bp and vp else None
    out["inprocess"] = {
        "bereik_engine": an.stats(flat("engine_s")),
        "bereik_frame": an.stats(flat("frame_s")),
        "bereik_geojson_text": an.stats(flat("text_s")),
        "valhalla_actor": an.stats(flat("actor_s")),
    }
    return out


def scaling_check(net, points, copies: tuple[int, ...]) -> dict:
    """Per-request work that grows with the whole network: the same isochrones on ``k``
    disjoint copies of the network (same reached area), and the augmented CSR matrix that
    every request builds (the cached base arcs plus the virtual arcs, ``VirtualGraph.csr``)."""
    from accessibility.engine import add_virtual_nodes
    from accessibility.isochrones import isochrones
    from accessibility.snapping import locate

    rows = []
    for k in copies:
        big = an.replicate(net, k)
        isochrones(big, *points[0], minutes=[10])  # caches: CSR, geometry index, edge tree
        ti, tc, area = [], [], []
        for lon, lat in points:
            t = time.perf_counter()
            g = isochrones(big, float(lon), float(lat), minutes=[10])
            ti.append(time.perf_counter() - t)
            area.append(float(g["area_m2"].iloc[0]))
            vg = add_virtual_nodes(big, [locate(big, float(lon), float(lat))])
            t = time.perf_counter()
            vg.csr("travel_time_s")
            tc.append(time.perf_counter() - t)
        rows.append(
            {
                "copies": k,
                "arcs": int(big.n_arcs),
                "nodes": int(big.n_nodes),
                "isochrone": an.stats(ti),
                "augmented_csr": an.stats(tc),
                "area_km2_median": float(np.median(area)) / 1e6,
            }
        )
        del big
    return {"n_points": len(points), "rows": rows}


def polygon_agreement(
    rows: list[dict], minutes: list[float], metric: an.Metric, roads: np.ndarray | None = None
) -> dict:
    """IoU, area ratio (bereik / Valhalla) and, with ``roads``, the roads both cover."""
    out = {}
    for m in minutes:
        ious, ratios, jac, only_b, only_v, areas_b, areas_v = [], [], [], [], [], [], []
        for r in rows:
            gb = r.get("bereik_geoms", {}).get(float(m))
            gv = r.get("valhalla_geoms", {}).get(float(m))
            if gb is None or gv is None:
                continue
            a, b = metric.geojson(gb), metric.geojson(gv)
            ious.append(an.iou(a, b))
            ratios.append(a.area / b.area if b.area > 0 else np.nan)
            areas_b.append(a.area / 1e6)
            areas_v.append(b.area / 1e6)
            if roads is not None:
                ag = an.road_agreement(a, b, roads)
                jac.append(ag["jaccard"])
                only_b.append(ag["only_a"])
                only_v.append(ag["only_b"])
        key = f"{m:g}"
        out[key] = {
            "iou": an.stats(ious),
            "area_ratio": an.stats(ratios),
            "area_bereik_km2": an.stats(areas_b),
            "area_valhalla_km2": an.stats(areas_v),
            "iou_values": ious,
        }
        if roads is not None:
            out[key].update(
                road_jaccard=an.stats(jac),
                road_only_bereik=an.stats(only_b),
                road_only_valhalla=an.stats(only_v),
            )
    return out


def speed_model(points: dict, net, cv, vsvc) -> dict:
    """Route durations of Valhalla (``/sources_to_targets``, auto) over bereik's
    (``travel_matrix``) on the same N x N pairs of isochrone start points."""
    from accessibility.routing import travel_matrix

    ll = points["lonlat"]
    locs = [{"lon": float(a), "lat": float(b)} for a, b in ll]
    r, _ = call(
        cv,
        vsvc,
        "POST",
        "/sources_to_targets",
        json={"sources": locs, "targets": locs, "costing": "auto"},
    )
    if r.status_code != 200:
        return {"skipped": f"Valhalla sources_to_targets {r.status_code}: {r.text[:200]}"}
    js = r.json()["sources_to_targets"]
    if isinstance(js, dict):  # newer response layout: arrays
        vt = np.array(js["durations"], dtype=float)
        vd = np.array(js["distances"], dtype=float) * 1000.0
    else:
        vt = np.array(
            [[np.nan if c.get("time") is None else c["time"] for c in row] for row in js],
            dtype=float,
        )
        vd = np.array(
            [
                [np.nan if c.get("distance") is None else c["distance"] * 1000.0 for c in row]
                for row in js
            ],
            dtype=float,
        )
    m = travel_matrix(net, ll, ll)
    bt, bd = m.durations_s, m.distances_m
    ok = np.isfinite(vt) & np.isfinite(bt) & (bt >= 60.0)
    urban = np.isin(points["highway"], an.URBAN_CLASSES)
    both_urban = urban[:, None] & urban[None, :]
    both_main = ~urban[:, None] & ~urban[None, :]
    ratio = np.where(ok, vt / np.where(ok, bt, 1.0), np.nan)
    short = ok & (bt <= 600.0)
    okd = np.isfinite(vd) & np.isfinite(bd) & (bd > 0)
    return {
        "pairs": int(ok.sum()),
        "duration_ratio_v_over_b": an.stats(ratio[ok]),
        "duration_ratio_within_10min": an.stats(ratio[short]),
        "duration_ratio_urban_pairs": an.stats(ratio[ok & both_urban]),
        "duration_ratio_main_road_pairs": an.stats(ratio[ok & both_main]),
        "distance_ratio_v_over_b_shortest": an.stats((vd / np.where(okd, bd, 1.0))[okd]),
        "implied_speed_factor": float(1.0 / np.nanmedian(ratio[ok])) if ok.any() else None,
    }


def snapping(points: dict, cv, vsvc, metric: an.Metric) -> dict:
    """Where Valhalla snaps the start points (``/locate``): same OSM way, and how far."""
    same, dist = [], []
    ll = points["lonlat"]
    for k in range(0, len(ll), 20):
        chunk = ll[k : k + 20]
        r, _ = call(
            cv,
            vsvc,
            "POST",
            "/locate",
            json={
                "locations": [{"lon": float(a), "lat": float(b)} for a, b in chunk],
                "costing": "auto",
                "verbose": False,
            },
        )
        if r.status_code != 200:
            return {"skipped": f"Valhalla locate {r.status_code}: {r.text[:200]}"}
        for j, loc in enumerate(r.json()):
            edges = loc.get("edges") or []
            if not edges:
                same.append(False)
                dist.append(np.nan)
                continue
            ways = {e["way_id"] for e in edges}
            same.append(int(points["way_id"][k + j]) in ways)
            e = edges[0]
            p = metric.geom(shapely.points(chunk[j]))
            q = metric.geom(shapely.points([e["correlated_lon"], e["correlated_lat"]]))
            dist.append(float(p.distance(q)))
    return {"same_way_share": float(np.mean(same)), "snap_distance_m": an.stats(dist)}


def valhalla_no_denoise(points, rows, cv, vsvc, metric) -> dict:
    """IoU of bereik as served against Valhalla with ``denoise=0`` (Valhalla keeps holes)."""
    ious = []
    for (lon, lat), row in zip(points, rows, strict=True):
        gb = row.get("bereik_geoms", {}).get(10.0)
        r, _ = call(cv, vsvc, "POST", "/isochrone", json=valhalla_body(lon, lat, [10], denoise=0.0))
        if gb is None or r.status_code != 200:
            continue
        gv = _valhalla_geoms(r)[10.0]
        ious.append(an.iou(metric.geojson(gb), metric.geojson(gv)))
    return {"iou": an.stats(ious)}


def sweep(net, points, rows, cfg: Config, metric: an.Metric) -> dict:
    """IoU against Valhalla's 10-minute polygons of bereik isochrones computed in-process on
    COPIES of the network with scaled car speeds and other grid cells (analysis only; the
    engine and the served network are untouched). Each also with its holes filled (as
    Valhalla's default ``denoise=1`` does) and with holes below a few areas filled."""
    from accessibility.isochrones import isochrones

    ref = [
        (lonlat, metric.geojson(r["valhalla_geoms"][10.0]))
        for lonlat, r in zip(points, rows, strict=True)
        if 10.0 in r.get("valhalla_geoms", {})
    ]
    urban = np.isin(net.edge_highway.astype(str), an.URBAN_CLASSES)

    def run(speed: np.ndarray, cell: float) -> dict:
        n2 = dataclasses.replace(net, edge_speed_kph=speed)
        served, filled, ra_served, ra_filled = [], [], [], []
        holes = {f"{a:g}": [] for a in cfg.hole_areas_km2}
        for (lon, lat), gv in ref:
            g = isochrones(n2, float(lon), float(lat), minutes=[10], cell_m=cell)
            gb = metric.geom(g.geometry.iloc[0])
            gf = an.fill_holes(gb)
            served.append(an.iou(gb, gv))
            filled.append(an.iou(gf, gv))
            ra_served.append(gb.area / gv.area if gv.area > 0 else np.nan)
            ra_filled.append(gf.area / gv.area if gv.area > 0 else np.nan)
            for a in cfg.hole_areas_km2:
                holes[f"{a:g}"].append(an.iou(an.fill_holes(gb, a * 1e6), gv))
        return {
            "served": an.stats(served),
            "holes_filled": an.stats(filled),
            "area_ratio_served": an.stats(ra_served),
            "area_ratio_filled": an.stats(ra_filled),
            "holes_below_km2": {k: an.stats(v) for k, v in holes.items()},
        }

    uniform = []
    for cell in cfg.cells:
        for f in cfg.speed_factors:
            uniform.append({"factor": f, "cell_m": cell, **run(net.edge_speed_kph * f, cell)})
    by_class = []
    for fu, fo in cfg.urban:
        speed = net.edge_speed_kph * np.where(urban, fu, fo)
        by_class.append(
            {"urban_factor": fu, "other_factor": fo, "cell_m": 50.0, **run(speed, 50.0)}
        )
    return {
        "n": len(ref),
        "uniform": uniform,
        "by_class": by_class,
        "urban_classes": list(an.URBAN_CLASSES),
    }


# --- matrix -------------------------------------------------------------------------------------
class OsrmLoop:
    """OSRM's Table in-process (``osrm.OSRM``, MLD, no shared memory) in a persistent 3.12
    helper, one timed Table per line on stdin, so it can be interleaved with the others."""

    def __init__(self, py: Path, base: str, src: np.ndarray, dst: np.ndarray) -> None:
        spec = WORK / "osrm-loop-spec.json"
        spec.write_text(
            json.dumps({"base": base, "sources": src.tolist(), "destinations": dst.tolist()})
        )
        self.proc = subprocess.Popen(
            [str(py), str(PEERS_SCRIPT), "osrm-table-loop", str(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.load_s = json.loads(self.proc.stdout.readline())["load_s"]

    def table(self) -> float:
        self.proc.stdin.write("{}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["s"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def matrix_bench(net, cfg: Config, cb, bsvc, co, osvc, py: Path | None, base: str | None) -> dict:
    """100 x 100: bereik POST /matrix against OSRM /table (HTTP), alternately, then both
    engines in-process in the same round; and whether they compute the same thing."""
    from accessibility.routing import travel_matrix

    src = an.random_road_points(net, cfg.matrix_n, SEED_SRC)["lonlat"]
    dst = an.random_road_points(net, cfg.matrix_n, SEED_DST)["lonlat"]
    body = {"profile": "car", "sources": src.tolist(), "destinations": dst.tolist()}
    n = len(src)
    coords = ";".join(f"{a:.6f},{b:.6f}" for a, b in np.vstack([src, dst]))
    opath = f"/table/v1/driving/{coords}"
    oparams = {
        "sources": ";".join(map(str, range(n))),
        "destinations": ";".join(map(str, range(n, 2 * n))),
        "annotations": "duration,distance",
    }
    loop = OsrmLoop(py, base, src, dst) if py and base and co is not None else None
    tb, to, tbi, toi = [], [], [], []
    rb = ro = None
    try:
        for k in range(cfg.matrix_runs + 1):  # the first round warms up
            order = ("b", "o") if k % 2 == 0 else ("o", "b")
            for who in order:
                if who == "b":
                    rb, dt = call(cb, bsvc, "POST", "/matrix", json=body)
                    rb.raise_for_status()
                    if k:
                        tb.append(dt)
                elif co is not None:
                    ro, dt = call(co, osvc, "GET", opath, params=oparams)
                    ro.raise_for_status()
                    if k:
                        to.append(dt)
            t = time.perf_counter()
            travel_matrix(net, src, dst)
            dt = time.perf_counter() - t
            if k:
                tbi.append(dt)
            if loop is not None:
                dt = loop.table()
                if k:
                    toi.append(dt)
    finally:
        if loop is not None:
            loop.close()
    out: dict = {
        "n_sources": n,
        "n_destinations": len(dst),
        "runs": cfg.matrix_runs,
        "bereik_http": an.stats(tb),
        "bereik_http_times": tb,
        "bereik_inprocess": an.stats(tbi),
    }
    if toi:
        out["osrm_inprocess"] = {**an.stats(toi), "load_s": loop.load_s}
        out["ratio_inprocess_median"] = (
            out["bereik_inprocess"]["median"] / out["osrm_inprocess"]["median"]
        )
    jb = rb.json()
    bd = np.array(jb["distances_m"], dtype=float)
    bt = np.array(jb["durations_s"], dtype=float)
    out["bereik_unreachable"] = int((~np.isfinite(bt)).sum())
    if ro is not None:
        jo = ro.json()
        od = np.array(jo["distances"], dtype=float)
        ot = np.array(jo["durations"], dtype=float)
        out["osrm_http"] = an.stats(to)
        out["osrm_http_times"] = to
        out["ratio_http_median"] = out["bereik_http"]["median"] / out["osrm_http"]["median"]
        okd = np.isfinite(bd) & np.isfinite(od) & (od > 0)
        okt = np.isfinite(bt) & np.isfinite(ot) & (bt > 0)
        rel = np.abs(bd - od) / od
        out["agreement"] = {
            "pairs": int(okd.sum()),
            "distance_rel_diff": an.stats(rel[okd]),
            "distance_within_1pct": float((rel[okd] <= 0.01).mean()),
            "distance_ratio_o_over_b": an.stats((od / np.where(okd, bd, 1.0))[okd]),
            "duration_ratio_o_over_b": an.stats((ot / np.where(okt, bt, 1.0))[okt]),
            "osrm_unreachable": int((~np.isfinite(ot)).sum()),
            "osrm_snap_m": an.stats([w["distance"] for w in jo["sources"] + jo["destinations"]]),
        }
    out["_bereik_distances"] = bd
    out["src"] = src.tolist()
    out["dst"] = dst.tolist()
    return out


def shortest_agreement(bd: np.ndarray, od: np.ndarray) -> dict:
    """bereik's shortest distances against OSRM's with a distance-weighted car.lua."""
    ok = np.isfinite(bd) & np.isfinite(od) & (od > 0)
    rel = np.abs(bd - od) / np.where(ok, od, 1.0)
    return {
        "pairs": int(ok.sum()),
        "rel_diff": an.stats(rel[ok]),
        "within_1pct": float((rel[ok] <= 0.01).mean()),
        "within_5pct": float((rel[ok] <= 0.05).mean()),
        "ratio_o_over_b": an.stats((od / np.where(ok, bd, 1.0))[ok]),
        "unreachable_only_one": int((np.isfinite(bd) != np.isfinite(od)).sum()),
    }


# --- main ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="fewer points and runs (< 2 min)")
    ap.add_argument("--n", type=int, help="isochrone start points (default 50, quick 16)")
    ap.add_argument("--no-peers", action="store_true", help="measure bereik only")
    ap.add_argument(
        "--doc",
        type=Path,
        help=f"report path (default: {DOC.relative_to(ROOT)}; "
        "quick runs: benchmarks/service/.work/)",
    )
    args = ap.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    if args.n:
        cfg = dataclasses.replace(cfg, n_iso=args.n)
    WORK.mkdir(parents=True, exist_ok=True)
    os.chdir(WORK)  # no stray .env of another folder changes the settings
    t_run = time.perf_counter()
    res: dict = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": cfg.quick,
        "config": dataclasses.asdict(cfg),
        "machine": machine(),
        "extract": str(EXTRACT.relative_to(ROOT)),
        "seeds": {"isochrones": SEED_ISO, "sources": SEED_SRC, "destinations": SEED_DST},
    }
    from accessibility.network import Network

    log("bereik build (car network of the extract)")
    build_dir, build_s = build_bereik()
    net = Network.load(build_dir / "network_car.npz")
    res["bereik_build_s"] = build_s
    res["network"] = {
        "nodes": int(net.n_nodes),
        "edges": int(net.n_edges),
        "arcs": int(net.n_arcs),
        "crs": net.crs,
    }
    import accessibility.contours as iso_mod

    res["engine_constants"] = {
        k: getattr(iso_mod, k, None) for k in ("GROW_CELLS", "CLOSE_CELLS", "MAX_HOLE_CELLS")
    }

    py, peer_info, peer_reason = peers_python(args.no_peers)
    res["peers"] = {"python": str(py) if py else None, "info": peer_info, "reason": peer_reason}
    has_v = bool(py and peer_info.get("valhalla", {}).get("ok"))
    has_o = bool(py and peer_info.get("osrm", {}).get("ok"))
    if py and not has_v:
        res["peers"]["valhalla_reason"] = peer_info.get("valhalla", {}).get("reason")
    if py and not has_o:
        res["peers"]["osrm_reason"] = peer_info.get("osrm", {}).get("reason")

    services: list[Service] = []
    try:
        env = {**os.environ, "BEREIK_MAX_MATRIX_CELLS": str(MATRIX_CELLS)}
        bsvc = bereik_service(build_dir, env=env)
        log("starting bereik serve")
        bsvc.start()
        services.append(bsvc)
        vsvc = osvc = None
        if has_v:
            log("valhalla_build_tiles + valhalla_service")
            vsvc, res["valhalla_prepare"] = valhalla_service(py)
            vsvc.start()
            services.append(vsvc)
        if has_o:
            log("osrm-extract/partition/customize + osrm-routed")
            osvc, res["osrm_prepare"] = osrm_service(py)
            osvc.start()
            services.append(osvc)
        res["ready_s"] = {s.name: s.ready_s for s in services}

        pts = an.random_road_points(net, cfg.n_iso, SEED_ISO)
        ll = pts["lonlat"]
        res["iso_points"] = {"lonlat": ll.tolist(), "highway": pts["highway"].tolist()}
        metric = an.Metric()
        roads = an.road_samples(net)
        with (
            httpx.Client(base_url=bsvc.base_url, timeout=HTTP_TIMEOUT_S) as cb,
            httpx.Client(
                base_url=vsvc.base_url if vsvc else "http://127.0.0.1:9", timeout=HTTP_TIMEOUT_S
            ) as cv_,
            httpx.Client(
                base_url=osvc.base_url if osvc else "http://127.0.0.1:9", timeout=HTTP_TIMEOUT_S
            ) as co_,
        ):
            cv = cv_ if vsvc else None
            co = co_ if osvc else None
            rss = {"after_start": {s.name: s.rss() for s in services}}
            try:
                app = AppLayer(build_dir)
                app.engine(*map(float, ll[0]), [10.0])
                res["app_layer"] = "ok"
            except Exception as exc:
                app = None
                res["app_layer"] = f"skipped: {type(exc).__name__}: {exc}"
            actor = None
            if has_v:
                actor = ActorLoop(py, res["valhalla_prepare"]["config"])
                actor.isochrone(*map(float, ll[0]), [10.0])
            try:
                log(f"isochrones: warm-up, then {len(ll)} points x 10 min x {cfg.rounds} rounds")
                warm_up(ll, cb, bsvc, cv, vsvc, cfg.warmup)
                rss["after_warmup"] = {s.name: s.rss() for s in services}
                res["http_floor"] = {"bereik GET /health": http_floor(cb, bsvc, "/health")}
                if cv is not None:
                    res["http_floor"]["valhalla GET /status"] = http_floor(cv, vsvc, "/status")
                rows10 = isochrone_pass(ll, [10.0], cfg.rounds, cb, bsvc, cv, vsvc, app, actor)
                log(f"isochrones: {len(ll)} points x 5,10,15 min")
                rows3 = isochrone_pass(ll, [5.0, 10.0, 15.0], 1, cb, bsvc, cv, vsvc, app, actor)
            finally:
                if actor is not None:
                    res["valhalla_actor_load_s"] = actor.load_s
                    actor.close()
            res["latency"] = {"10": latency_summary(rows10), "5,10,15": latency_summary(rows3)}
            rss["after_isochrones"] = {s.name: s.rss() for s in services}
            if has_v:
                log("polygon agreement and its causes")
                res["iou"] = polygon_agreement(rows10, [10.0], metric, roads)
                res["iou_contours"] = polygon_agreement(rows3, [5.0, 10.0, 15.0], metric)
                res["speed_model"] = speed_model(pts, net, cv, vsvc)
                res["snapping"] = snapping(pts, cv, vsvc, metric)
                res["valhalla_denoise0"] = valhalla_no_denoise(ll, rows10, cv, vsvc, metric)
            log("per-request work against network size (disjoint copies)")
            res["scaling"] = scaling_check(net, ll[: cfg.n_scaling], cfg.copies)
            if has_v:
                log("speed/cell sweep (in-process, scaled copies of the network)")
                res["sweep"] = sweep(net, ll, rows10, cfg, metric)
            log(f"matrix {cfg.matrix_n} x {cfg.matrix_n}")
            res["matrix"] = matrix_bench(
                net, cfg, cb, bsvc, co, osvc, py, (res.get("osrm_prepare") or {}).get("base")
            )
            bereik_dist = res["matrix"].pop("_bereik_distances")
            rss["after_matrix"] = {s.name: s.rss() for s in services}
            res["rss_mb"] = rss
            if has_o:
                log("OSRM shortest-route distances (distance-weighted car.lua) for the check")
                r = peer(
                    py,
                    "osrm-shortest",
                    {
                        "pbf": str(EXTRACT),
                        "workdir": str(WORK / "osrm-shortest"),
                        "sources": res["matrix"]["src"],
                        "destinations": res["matrix"]["dst"],
                    },
                )
                res["matrix"]["agreement"]["shortest"] = shortest_agreement(
                    bereik_dist, np.array(r["distances"], dtype=float)
                )
        res["restarts"] = {s.name: s.restarts for s in services}
    finally:
        for s in services:
            s.stop()
    res["machine"]["loadavg_end"] = list(os.getloadavg())
    res["run_s"] = time.perf_counter() - t_run
    out_json = WORK / ("results-quick.json" if cfg.quick else "results.json")
    out_json.write_text(json.dumps(res, indent=1, default=float))
    doc = args.doc or (WORK / "benchmarks-service-quick.md" if cfg.quick else DOC)
    doc.write_text(report.render(res))
    log(f"done in {res['run_s']:.0f} s: {doc} and {out_json}")
    print(report.summary(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
