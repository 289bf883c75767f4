"""Load figures of the service (issue 14): throughput and latency per route under load.

One run:

1. builds the embedded sample once (``bereik build --out benchmarks/.work/service_load/demo
   --quiet``: the real Liechtenstein OSM extract) and serves it with ``bereik serve --build
   <dir> --port P --workers W`` on 127.0.0.1 (W = 1, then 2; access log off with
   ``--log-level warning``; ``BEREIK_MAX_HEAVY_REQUESTS`` and ``BEREIK_REQUEST_TIMEOUT_S`` at
   their defaults, set explicitly), waiting for ``GET /health`` = 200;
2. per route, one at a time, and per concurrency (1, 8, 32, 128): closed-loop clients for a
   fixed time (each sends its next request when the answer to its previous one has arrived,
   over its own keep-alive connection, reconnecting after a ``Connection: close``);
   every request's latency and status are recorded. Cheap routes: ``GET /health``,
   ``GET /villages?municipality=Vaduz``, ``GET /collections/villages/items?limit=100``;
   expensive ones (bounded by ``HeavyWork``): ``GET /isochrones`` (car, 10 min),
   ``POST /matrix`` (10 x 10 villages, car), ``POST /scenarios`` (one supermarket closed);
3. the cheap routes again, at concurrency 1, 8 and 32, each measured without and then with a
   background burst of 64 closed-loop clients posting ``POST /isochrones`` (10 villages x 6
   walk contours of 10..60 min) from a child process; and ``/health`` (1 client) without
   and with 32 clients requesting ``GET /collections/villages/items?limit=100`` (an unbounded
   route that costs more than an isochrone);
4. writes the section between ``<!-- load:start -->`` and ``<!-- load:end -->`` of
   ``docs/benchmarks-service.md`` (appended when missing; nothing else in the file changes)
   and the raw figures to ``benchmarks/.work/service_load/results.json``.

The clients are asyncio coroutines speaking plain HTTP/1.1 over asyncio streams (uvloop when
installed), one process for the measured clients and one for the burst, so 128 clients
need no threads; they run on the same machine as the server and their CPU time is reported.

Usage::

    .venv/bin/python benchmarks/service_load.py            # the full run (about 15 minutes)
    .venv/bin/python benchmarks/service_load.py --quick    # concurrency 1 and 8, 2 s, 1 worker
    .venv/bin/python benchmarks/service_load.py --out /tmp/load.md
    .venv/bin/python benchmarks/service_load.py --render-only \
        benchmarks/.work/service_load/results.json

``--quick`` writes ``benchmarks/.work/service_load/benchmarks-service-quick.md`` (and
``results-quick.json``) unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import cpu_name

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work" / "service_load"
BUILD = WORK / "demo"
BEREIK = ROOT / ".venv" / "bin" / "bereik"
DOC = ROOT / "docs" / "benchmarks-service.md"
QUICK_DOC = WORK / "benchmarks-service-quick.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"
HOST = "127.0.0.1"
#: the settings the server runs with (both are the defaults of app/config.py, set explicitly)
SETTINGS = {"BEREIK_MAX_HEAVY_REQUESTS": "4", "BEREIK_REQUEST_TIMEOUT_S": "60"}
#: a request that takes longer than this is recorded as a client timeout
CLIENT_TIMEOUT_S = 120.0
BURST_CLIENTS = 64
BURST_RAMP_S = 1.0
#: the burst stops when the measured run has ended (SIGUSR1), at the latest after this
BURST_MAX_S = 600.0
BURST_MINUTES = (10, 20, 30, 40, 50, 60)
#: the unbounded route whose flood /health is measured under, and how many clients flood it
FLOOD_ROUTE = "items"
FLOOD_CLIENTS = 32
ISO_POINT = {"lon": 9.5209, "lat": 47.1410}
HEALTH_TARGET_S = 0.5
#: a 503 slower than this (p99) is reported as not fast
FAST_503_MS = 100


@dataclass(frozen=True)
class Plan:
    """What one run measures."""

    quick: bool
    workers: tuple[int, ...]
    concurrency: tuple[int, ...]
    duration_s: float
    burst_concurrency: tuple[int, ...]
    flood_concurrency: tuple[int, ...] = (1,)
    settle_s: float = 0.5
    warmup_s: float = 1.0


FULL = Plan(quick=False, workers=(1, 2), concurrency=(1, 8, 32, 128), duration_s=5.0,
            burst_concurrency=(1, 8, 32))  # fmt: skip
QUICK = Plan(quick=True, workers=(1,), concurrency=(1, 8), duration_s=2.0,
             burst_concurrency=(1, 8), warmup_s=0.5)  # fmt: skip


@dataclass(frozen=True)
class Route:
    """One measured request."""

    key: str
    label: str
    method: str
    target: str
    heavy: bool
    body: bytes = b""


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[load {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- the client: plain HTTP/1.1 over asyncio streams ---------------------------------------------
def raw_request(route: Route, port: int) -> bytes:
    """The bytes of one request of ``route`` (keep-alive, the body as ``Content-Length``)."""
    lines = [f"{route.method} {route.target} HTTP/1.1", f"Host: {HOST}:{port}",
             "User-Agent: bereik-service-load", "Accept: */*"]  # fmt: skip
    if route.body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(route.body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + route.body


class Conn:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.connects = 0

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.connects += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, data: bytes) -> tuple[int, int]:
        """Send ``data``, read the whole answer; (status, body bytes)."""
        fresh = self.writer is None
        if fresh:
            await self.connect()
        try:
            return await self._exchange(data)
        except (asyncio.IncompleteReadError, ConnectionError):
            if fresh:
                raise
            self.close()  # a kept-alive connection the server had closed: once more, fresh
            await self.connect()
            return await self._exchange(data)

    async def _exchange(self, data: bytes) -> tuple[int, int]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(data)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip().lower()
        if "content-length" in headers:
            size = int(headers["content-length"])
            await self.reader.readexactly(size)
        elif headers.get("transfer-encoding") == "chunked":
            size = 0
            while True:
                n = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(n + 2)
                size += n
                if n == 0:
                    break
        else:
            size = len(await self.reader.read())
            headers["connection"] = "close"
        if headers.get("connection") == "close":
            self.close()
        return status, size


async def closed_loop(port: int, data: bytes, clients: int, duration_s: float,
                      ready: asyncio.Event | None = None,
                      stop: asyncio.Event | None = None) -> dict:  # fmt: skip
    """``clients`` closed-loop clients sending ``data`` for ``duration_s`` (or until ``stop``
    is set); every request's (end, latency, status, size). Connections are opened before the
    clock starts; ``ready`` is set then."""
    conns = [Conn(port) for _ in range(clients)]
    await asyncio.gather(*(c.connect() for c in conns))
    if ready is not None:
        ready.set()
    samples: list[tuple[float, float, int | str, int]] = []
    start = time.perf_counter()
    deadline = start + duration_s

    async def client(conn: Conn) -> None:
        while (t0 := time.perf_counter()) < deadline and not (stop and stop.is_set()):
            try:
                async with asyncio.timeout(CLIENT_TIMEOUT_S):
                    status, size = await conn.request(data)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status, size = type(exc).__name__, 0
                conn.close()
            t1 = time.perf_counter()
            samples.append((t1, t1 - t0, status, size))

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(client(c) for c in conns))
    end = time.perf_counter()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    for c in conns:
        c.close()
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return {"start": start, "end": end, "samples": samples, "cpu_s": cpu,
            "connects": sum(c.connects for c in conns)}  # fmt: skip


def summarize(run: dict, clients: int, duration_s: float) -> dict:
    """Throughput, latency percentiles by status, the share of 503s."""
    samples = run["samples"]
    elapsed = run["end"] - run["start"]
    lat = {}
    sizes = []
    for _, dt, status, size in samples:
        lat.setdefault(status, []).append(dt)
        if status == 200:
            sizes.append(size)
    ok = np.array(lat.get(200, []), dtype=float)
    busy = np.array(lat.get(503, []), dtype=float)

    def pct(a: np.ndarray, q: float) -> float | None:
        return float(np.percentile(a, q) * 1000) if a.size else None

    n = len(samples)
    return {
        "clients": clients, "duration_s": duration_s, "elapsed_s": elapsed, "requests": n,
        "status": {str(k): len(v) for k, v in sorted(lat.items(), key=lambda kv: str(kv[0]))},
        "ok": int(ok.size), "ok_per_s": ok.size / elapsed if elapsed else None,
        "requests_per_s": n / elapsed if elapsed else None,
        "ok_p50_ms": pct(ok, 50), "ok_p90_ms": pct(ok, 90), "ok_p99_ms": pct(ok, 99),
        "ok_max_ms": float(ok.max() * 1000) if ok.size else None,
        "busy_share": busy.size / n if n else None, "busy_p50_ms": pct(busy, 50),
        "busy_p99_ms": pct(busy, 99),
        "busy_max_ms": float(busy.max() * 1000) if busy.size else None,
        "other": {str(k): len(v) for k, v in lat.items() if k not in (200, 503)},
        "client_cpu_s": run["cpu_s"],
        "client_cpu_cores": run["cpu_s"] / elapsed if elapsed else None,
        "connects": run["connects"],
        "ok_bytes_median": float(np.median(sizes)) if sizes else None,
    }  # fmt: skip


def _loop_runner():
    """An asyncio runner on uvloop when installed (the client's own overhead is smaller)."""
    try:
        import uvloop

        return asyncio.Runner(loop_factory=uvloop.new_event_loop), "uvloop"
    except ImportError:
        return asyncio.Runner(), "asyncio"


# --- the burst (a child process) ---------------------------------------------------------------
def burst_body(villages: list[list[float]]) -> bytes:
    """``POST /isochrones``: the first 10 villages, walk, 6 contours of 10..60 minutes."""
    body = {"locations": villages[:10], "profile": "walk", "minutes": list(BURST_MINUTES)}
    return json.dumps(body).encode()


def burst_child(port: int, raw_file: Path, clients: int, duration_s: float, out: Path) -> int:
    """Run a background load: ``clients`` closed-loop clients sending the request in
    ``raw_file`` until SIGUSR1 (at most ``duration_s``), then write a summary to ``out``."""
    data = raw_file.read_bytes()
    runner, _ = _loop_runner()

    async def main() -> dict:
        ready, stop = asyncio.Event(), asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, stop.set)

        async def announce() -> None:
            await ready.wait()
            print("ready", flush=True)

        task = asyncio.ensure_future(announce())
        run = await closed_loop(port, data, clients, duration_s, ready, stop)
        await task
        return run

    with runner:
        run = runner.run(main())
    res = summarize(run, clients, duration_s)
    out.write_text(json.dumps(res, indent=1))
    return 0


class Burst:
    """A background load in a child process: started (its connections open), then stopped."""

    def __init__(self, port: int, route: Route, clients: int, tag: str) -> None:
        raw_file = WORK / f"background-{route.key}.http"
        raw_file.write_bytes(raw_request(route, port))
        self.out = WORK / f"background-{tag}.json"
        self.out.unlink(missing_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--burst-child", str(port),
               str(raw_file), str(clients), str(BURST_MAX_S), str(self.out)]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if line.strip() != "ready":
            self.proc.kill()
            msg = f"burst child did not start: {line!r}"
            raise RuntimeError(msg)

    def stop(self) -> dict:
        """Stop sending, wait for the answers in flight; the burst's summary."""
        self.proc.send_signal(signal.SIGUSR1)
        self.proc.wait(timeout=CLIENT_TIMEOUT_S + 60)
        return json.loads(self.out.read_text())


# --- the server ----------------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d.name))
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (those still alive)."""
    total, tck = 0.0, os.sysconf("SC_CLK_TCK")
    for p in pids:
        with contextlib.suppress(OSError, IndexError):
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tck
    return total


def rss_mb(pids: list[int]) -> float:
    total = 0.0
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def ensure_build() -> dict:
    """The sample's build, made once (``bereik build`` says when it is up to date)."""
    t = time.perf_counter()
    cmd = [str(BEREIK), "build", "--out", str(BUILD), "--quiet"]
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(cmd, check=True, cwd=ROOT)  # the default extract is relative to the root
    manifest = json.loads((BUILD / "manifest.json").read_text())
    nets = manifest.get("counts", {}).get("networks", {})
    return {"cmd": "bereik build --out benchmarks/.work/service_load/demo --quiet",
            "seconds": time.perf_counter() - t, "extract": manifest.get("extract", {}),
            "networks": {p: {k: v.get(k) for k in ("nodes", "edges")} for p, v in nets.items()},
            "villages": manifest.get("counts", {}).get("villages")}  # fmt: skip


class Server:
    """``bereik serve`` of the sample on a free loopback port."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEREIK_")}
        env.update(SETTINGS)
        self.log_path = WORK / f"serve-w{workers}.log"
        self.cmd = [str(BEREIK), "serve", "--build", str(BUILD), "--host", HOST,
                    "--port", str(self.port), "--workers", str(workers),
                    "--log-level", "warning"]  # fmt: skip
        self._log = self.log_path.open("wb")
        t = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     cwd=WORK, env=env, start_new_session=True)  # fmt: skip
        self.start_s = self._wait_health(t)
        self.pids = tree(self.proc.pid)

    def _wait_health(self, t: float) -> float:
        import httpx

        while time.perf_counter() - t < 180:
            if self.proc.poll() is not None:
                msg = f"bereik serve exited with {self.proc.returncode}; see {self.log_path}"
                raise RuntimeError(msg)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url("/health"), timeout=2).status_code == 200:
                    return time.perf_counter() - t
            time.sleep(0.2)
        msg = f"bereik serve did not answer /health within 180 s; see {self.log_path}"
        raise RuntimeError(msg)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


# --- what is measured ----------------------------------------------------------------------------
def make_routes(server: Server) -> tuple[list[Route], dict]:
    """The six routes, with villages and a supermarket taken from the served build."""
    import httpx

    with httpx.Client(base_url=server.url(""), timeout=60) as c:
        feats = c.get("/villages").raise_for_status().json()["features"]
        villages = [[f["properties"]["lon"], f["properties"]["lat"]] for f in feats]
        fac = c.get("/facilities", params={"category": "supermarket"}).raise_for_status()
        fid = fac.json()["features"][0]["properties"]["facility_id"]
    matrix = {"profile": "car", "sources": villages[:10], "destinations": villages[-10:]}
    iso = urllib.parse.urlencode({**ISO_POINT, "profile": "car", "minutes": 10})
    routes = [
        Route("health", "GET /health", "GET", "/health", False),
        Route("villages", "GET /villages?municipality=Vaduz", "GET",
              "/villages?municipality=Vaduz", False),
        Route("items", "GET /collections/villages/items?limit=100", "GET",
              "/collections/villages/items?limit=100", False),
        Route("isochrone", "GET /isochrones (car, 10 min)", "GET", f"/isochrones?{iso}", True),
        Route("matrix", "POST /matrix (10 x 10, car)", "POST", "/matrix", True,
              json.dumps(matrix).encode()),
        Route("scenario", "POST /scenarios (close 1 supermarket)", "POST", "/scenarios", True,
              json.dumps({"close": [fid], "profile": "car"}).encode()),
    ]  # fmt: skip
    inputs = {"villages": len(villages), "matrix_sources": 10, "matrix_destinations": 10,
              "scenario_closed": fid, "burst_locations": villages[:10]}  # fmt: skip
    return routes, inputs


def measure(runner: asyncio.Runner, server: Server, route: Route, clients: int,
            duration_s: float) -> dict:  # fmt: skip
    """One closed-loop run of ``route``, with the server's CPU time over it."""
    data = raw_request(route, server.port)
    pids = tree(server.proc.pid)
    c0, t0 = [cpu_s([p]) for p in pids], time.perf_counter()
    run = runner.run(closed_loop(server.port, data, clients, duration_s))
    c1, t1 = [cpu_s([p]) for p in pids], time.perf_counter()
    res = summarize(run, clients, duration_s)
    per = sorted(((b - a) / (t1 - t0) for a, b in zip(c0, c1, strict=True)), reverse=True)
    res["server_cpu_by_process"] = per
    used = sum(c1) - sum(c0)
    res["server_cpu_cores"] = used / (t1 - t0)
    res["server_cpu_ms_per_ok"] = used * 1000 / res["ok"] if res["ok"] else None
    res["server_rss_mb"] = rss_mb(pids)
    res["server_alive"] = server.alive()
    return res


def _line(route: Route, r: dict) -> str:
    def ms(x):
        return "-" if x is None else f"{x:.1f}"

    busy = ""
    if r["busy_p99_ms"] is not None:
        busy = f", 503 {r['busy_share']:.0%} (p99 {ms(r['busy_p99_ms'])} ms)"
    other = f", other {r['other']}" if r["other"] else ""
    return (f"{route.key} c={r['clients']}: {r['ok_per_s']:.1f} ok/s, p50 {ms(r['ok_p50_ms'])} "
            f"p99 {ms(r['ok_p99_ms'])} ms{busy}{other}; client {r['client_cpu_cores']:.2f}, "
            f"server {r['server_cpu_cores']:.2f} cores")  # fmt: skip


def run_workers(plan: Plan, workers: int, runner: asyncio.Runner) -> dict:
    """Everything for one worker count: the route table and the burst comparison."""
    log(f"bereik serve --workers {workers}")
    server = Server(workers)
    out: dict = {"workers": workers, "start_s": server.start_s, "port": server.port,
                 "processes": len(server.pids), "rss_after_start_mb": rss_mb(server.pids),
                 "runs": [], "burst": [], "flood": []}  # fmt: skip
    try:
        routes, inputs = make_routes(server)
        out["inputs"] = inputs
        for route in routes:  # warm-up: first-use caches, in every worker
            runner.run(closed_loop(server.port, raw_request(route, server.port), 8,
                                   plan.warmup_s))  # fmt: skip
        out["rss_after_warmup_mb"] = rss_mb(tree(server.proc.pid))
        for route in routes:
            for clients in plan.concurrency:
                time.sleep(plan.settle_s)
                r = measure(runner, server, route, clients, plan.duration_s)
                r.update(route=route.key, label=route.label, heavy=route.heavy)
                out["runs"].append(r)
                log(f"  w={workers} {_line(route, r)}")
                if not server.alive():
                    msg = f"the server died during {route.key} c={clients}"
                    raise RuntimeError(msg)
        burst = Route("burst", "POST /isochrones (10 x 6 walk)", "POST", "/isochrones", True,
                      burst_body(inputs["burst_locations"]))  # fmt: skip
        cases = [("burst", r, c, burst, BURST_CLIENTS) for r in routes if not r.heavy
                 for c in plan.burst_concurrency]  # fmt: skip
        flood = next(r for r in routes if r.key == FLOOD_ROUTE)
        health = next(r for r in routes if r.key == "health")
        cases += [("flood", health, c, flood, FLOOD_CLIENTS) for c in plan.flood_concurrency]
        for kind, route, clients, bg_route, bg_clients in cases:
            time.sleep(plan.settle_s)
            base = measure(runner, server, route, clients, plan.duration_s)
            time.sleep(plan.settle_s)
            bg = Burst(server.port, bg_route, bg_clients, f"w{workers}-{route.key}-c{clients}")
            time.sleep(BURST_RAMP_S)
            loaded = measure(runner, server, route, clients, plan.duration_s)
            b = bg.stop()
            out[kind].append({"route": route.key, "label": route.label, "clients": clients,
                              "without": base, "with": loaded, "burst": b,
                              "background": bg_route.label,
                              "background_clients": bg_clients})  # fmt: skip
            log(f"  w={workers} {kind}: {_line(route, base)}")
            log(f"  w={workers}   with: {_line(route, loaded)}")
            log(f"  w={workers}   {kind} itself: {b['status']} ok p50 "
                f"{b['ok_p50_ms'] or 0:.0f} ms, 503 p99 {b['busy_p99_ms'] or 0:.1f} ms, "
                f"client {b['client_cpu_cores']:.2f} cores")  # fmt: skip
        out["rss_at_end_mb"] = rss_mb(tree(server.proc.pid))
    finally:
        server.stop()
        out["log"] = str(server.log_path.relative_to(ROOT))
        tail = server.log_path.read_text(errors="replace").strip().splitlines()
        out["log_tail"] = tail[-20:]
    return out


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False).stdout.strip()  # fmt: skip


def machine() -> dict:
    mem_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    return {"platform": platform.platform(), "cpu": cpu_name(), "cores": os.cpu_count(),
            "memory_gb": mem_gb, "python": platform.python_version(),
            "load_start": os.getloadavg()}  # fmt: skip


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("bereik", "fastapi", "starlette", "uvicorn", "uvloop", "httptools", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def run(plan: Plan) -> dict:
    t = time.perf_counter()
    res: dict = {"plan": asdict(plan), "machine": machine(), "versions": versions(),
                 "date": datetime.now(UTC).isoformat(timespec="seconds"),
                 "commit": git("rev-parse", "--short", "HEAD"),
                 "dirty": git("status", "--porcelain", "--", "app", "accessibility") != "",
                 "settings": dict(SETTINGS), "burst_clients": BURST_CLIENTS,
                 "burst_ramp_s": BURST_RAMP_S, "burst_minutes": list(BURST_MINUTES),
                 "client_timeout_s": CLIENT_TIMEOUT_S}  # fmt: skip
    log("build (once)")
    res["build"] = ensure_build()
    runner, res["client_loop"] = _loop_runner()
    with runner:
        res["workers"] = [run_workers(plan, w, runner) for w in plan.workers]
    res["machine"]["load_end"] = os.getloadavg()
    res["run_s"] = time.perf_counter() - t
    return res


# --- the report ----------------------------------------------------------------------------------
def _ms(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _rate(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.1f}" if x < 100 else f"{x:,.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def _statuses(r: dict) -> str:
    other = {k: v for k, v in r["status"].items() if k not in ("200", "503")}
    return ", ".join(f"{k}: {v}" for k, v in other.items()) or "-"


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def _cpu(r: dict, workers: int) -> str:
    """Server CPU in cores; with several workers, the two busiest processes' shares."""
    text = f"{r['server_cpu_cores']:.2f}"
    per = r.get("server_cpu_by_process") or []
    if workers > 1 and per:
        text += " (" + " + ".join(f"{x:.2f}" for x in per[:workers]) + ")"
    return text


def route_table(w: dict) -> list[str]:
    cpu = "server CPU (cores)" + (" (per worker)" if w["workers"] > 1 else "")
    head = ["route", "clients", "requests", "200/s", "p50 200 (ms)", "p99 200 (ms)",
            "503 share", "p99 503 (ms)", "other statuses", "client CPU (cores)", cpu,
            "server CPU per 200 (ms)"]  # fmt: skip
    rows = []
    for r in w["runs"]:
        busy = "-" if not r["busy_share"] else f"{r['busy_share']:.1%}"
        rows.append([f"`{r['label']}`", str(r["clients"]), f"{r['requests']:,}",
                     _rate(r["ok_per_s"]), _ms(r["ok_p50_ms"]), _ms(r["ok_p99_ms"]), busy,
                     _ms(r["busy_p99_ms"]), _statuses(r), f"{r['client_cpu_cores']:.2f}",
                     _cpu(r, w["workers"]), _ms(r.get("server_cpu_ms_per_ok"))])  # fmt: skip
    return table(head, rows)


def scaling_table(res: dict) -> list[str]:
    by = {w["workers"]: {(r["route"], r["clients"]): r for r in w["runs"]} for w in res["workers"]}
    if 1 not in by or 2 not in by:
        return []
    one = res["workers"][0]
    keys = [(r["route"], r["clients"], r["label"]) for r in one["runs"]]
    head = ["route", "clients", "200/s, 1 worker", "200/s, 2 workers", "ratio", "p99 1 (ms)",
            "p99 2 (ms)"]  # fmt: skip
    rows = []
    for route, clients, label in keys:
        a, b = by[1].get((route, clients)), by[2].get((route, clients))
        if a and b:
            rows.append([f"`{label}`", str(clients), _rate(a["ok_per_s"]), _rate(b["ok_per_s"]),
                         _ratio(b["ok_per_s"], a["ok_per_s"]), _ms(a["ok_p99_ms"]),
                         _ms(b["ok_p99_ms"])])  # fmt: skip
    return table(head, rows)


def burst_table(entries: list[dict], workers: int, what: str = "burst") -> list[str]:
    head = ["route", "clients", "200/s without", "200/s with", "ratio", "p50 without (ms)",
            "p50 with (ms)", "ratio", "p99 without (ms)", "p99 with (ms)", "ratio",
            "non-200 with", f"{what}: 200 / 503 / other", f"{what} 200 p50 (ms)",
            f"{what} 503 p99 (ms)", "server CPU with (cores)"]  # fmt: skip
    rows = []
    for b in entries:
        a, z, s = b["without"], b["with"], b["burst"]
        other = sum(v for k, v in s["status"].items() if k not in ("200", "503"))
        non200 = z["requests"] - z["ok"]
        rows.append([f"`{b['label']}`", str(b["clients"]), _rate(a["ok_per_s"]),
                     _rate(z["ok_per_s"]), _ratio(z["ok_per_s"], a["ok_per_s"]),
                     _ms(a["ok_p50_ms"]), _ms(z["ok_p50_ms"]),
                     _ratio(z["ok_p50_ms"], a["ok_p50_ms"]), _ms(a["ok_p99_ms"]),
                     _ms(z["ok_p99_ms"]), _ratio(z["ok_p99_ms"], a["ok_p99_ms"]),
                     str(non200), f"{s['status'].get('200', 0):,} / {s['status'].get('503', 0):,}"
                     f" / {other}", _ms(s["ok_p50_ms"]), _ms(s["busy_p99_ms"]),
                     _cpu(z, workers)])  # fmt: skip
    return table(head, rows)


def reading(res: dict) -> list[str]:
    """Sentences from the figures (nothing here is typed in by hand)."""
    out = []
    runs = [(w["workers"], r) for w in res["workers"] for r in w["runs"]]
    bursts = [(w["workers"], b) for w in res["workers"] for b in w["burst"]]
    # /health under the burst
    hb = [(wk, b) for wk, b in bursts if b["route"] == "health"]
    if hb:
        worst = max(hb, key=lambda x: x[1]["with"]["ok_p99_ms"] or 0)
        p99 = worst[1]["with"]["ok_p99_ms"] or 0
        verdict = "stayed under" if p99 < HEALTH_TARGET_S * 1000 else "went OVER"
        out.append(f"- `/health` under the burst: its p99 {verdict} {HEALTH_TARGET_S:g} s in "
                   f"every run measured; the worst was {_ms(p99)} ms ({worst[1]['clients']} "
                   f"client(s), {worst[0]} worker(s); {_ms(worst[1]['without']['ok_p99_ms'])} ms "
                   "without the burst).")  # fmt: skip
    if bursts:
        p50r = [(z["with"]["ok_p50_ms"] or 0) / z["without"]["ok_p50_ms"]
                for _, z in bursts if z["without"]["ok_p50_ms"]]  # fmt: skip
        thr = [(z["with"]["ok_per_s"] or 0) / z["without"]["ok_per_s"]
               for _, z in bursts if z["without"]["ok_per_s"]]  # fmt: skip
        least = max(
            (z for _, z in bursts if z["without"]["ok_per_s"]),
            key=lambda z: (z["with"]["ok_per_s"] or 0) / z["without"]["ok_per_s"],
        )
        out.append(f"- The burst slows the cheap routes: their median latency is "
                   f"{min(p50r):.1f} to {max(p50r):.1f} times what it is without it, their "
                   f"throughput {min(thr):.2f} to {max(thr):.2f} times (tables above). The "
                   "burst's clients retry at once after a 503 (closed loop, `Retry-After` "
                   "ignored), so most of its requests are 503s, each followed by a new "
                   "connection; the cheap routes compete with the admitted isochrones and with "
                   "that refusal traffic for the 2 shared cores. The ratios near 1 (best: "
                   f"`{least['label']}` with {least['clients']} clients) are where the route's "
                   "own clients already fill their worker and queue behind each other, burst "
                   "or not.")  # fmt: skip
        b200 = sum(z["burst"]["status"].get("200", 0) for _, z in bursts)
        b503 = sum(z["burst"]["status"].get("503", 0) for _, z in bursts)
        bother = sum(v for _, z in bursts for k, v in z["burst"]["status"].items()
                     if k not in ("200", "503"))  # fmt: skip
        out.append(f"- The burst itself, over all its runs: {b200:,} answers 200, {b503:,} "
                   f"503 and {bother} other.")  # fmt: skip
    # scaling 1 -> 2 workers
    one_max = max((r["server_cpu_cores"] for wk, r in runs if wk == 1), default=None)
    if one_max is not None:
        out.append(f"- One worker process used at most {one_max:.2f} cores of server CPU in any "
                   "run: its event loop and its thread pool share one interpreter (the GIL), "
                   "so one worker is about one core, however many clients wait.")  # fmt: skip
    by = {(wk, r["route"], r["clients"]): r for wk, r in runs}
    top = max((r["clients"] for _, r in runs), default=None)
    parts = []
    for (wk, route, clients), r in by.items():
        one = by.get((1, route, clients))
        if wk == 2 and clients == top and one and one["ok_per_s"] and r["ok_per_s"]:
            parts.append(f"`{r['label']}` {r['ok_per_s'] / one['ok_per_s']:.2f} (server CPU "
                         f"{one['server_cpu_cores']:.2f} -> {r['server_cpu_cores']:.2f} cores, "
                         f"client {r['client_cpu_cores']:.2f})")  # fmt: skip
    if parts:
        out.append(f"- 1 -> 2 workers at {top} clients, throughput of the 200s (ratio 2/1): "
                   + "; ".join(parts) + ". The second worker can only use what the client "
                   "leaves of the second core.")  # fmt: skip
    over2 = [
        (r["label"], c, r["ok_per_s"] / by[(1, route, c)]["ok_per_s"])
        for (wk, route, c), r in by.items()
        if wk == 2
        and r["heavy"]
        and by.get((1, route, c))
        and by[(1, route, c)]["ok_per_s"]
        and r["ok_per_s"]
    ]
    over2 = [x for x in over2 if x[2] > 2.2]  # fmt: skip
    if over2:
        top2 = max(over2, key=lambda x: x[2])
        out.append(f"- Ratios above 2 for the expensive routes (up to {top2[2]:.2f}, "
                   f"`{top2[0]}` with {top2[1]} clients) come from the limit being per worker: "
                   "2 workers admit twice as many requests at once, so fewer clients are refused "
                   "and less CPU goes to refusing and reconnecting.")  # fmt: skip
    # the 503s
    busy = [(wk, r) for wk, r in runs if r["busy_p99_ms"] is not None]
    if busy:
        worst = max(busy, key=lambda x: x[1]["busy_p99_ms"])
        heavy_busy = [r["busy_share"] for _, r in busy if r["heavy"]]
        per_c: dict[int, float] = {}
        for _, r in busy:
            per_c[r["clients"]] = max(per_c.get(r["clients"], 0.0), r["busy_p99_ms"])
        by_c = ", ".join(f"{c} clients {_ms(v)} ms" for c, v in sorted(per_c.items()))
        slow = [c for c, v in per_c.items() if v >= FAST_503_MS]
        fast = [c for c, v in per_c.items() if v < FAST_503_MS and (not slow or c < min(slow))]
        if not slow:
            verdict = f"fast throughout (p99 under {FAST_503_MS} ms)"
        elif fast:
            verdict = (f"fast (p99 under {FAST_503_MS} ms) up to {max(fast)} clients, not from "
                       f"{min(slow)} clients on, where they wait behind the work like everything "
                       "else")  # fmt: skip
        else:
            verdict = f"not fast (p99 over {FAST_503_MS} ms) at any concurrency measured"
        out.append(f"- Expensive routes above {res['settings']['BEREIK_MAX_HEAVY_REQUESTS']} "
                   f"requests per worker get 503 (up to {max(heavy_busy):.0%} of the answers); "
                   f"the worst 503 p99 per concurrency over routes and worker counts: {by_c}; "
                   f"the slowest was `{worst[1]['label']}` with {worst[1]['clients']} clients "
                   f"and {worst[0]} worker(s). So the 503s are {verdict}.")  # fmt: skip
    bad = [(wk, r) for wk, r in runs if r["other"]]
    bad += [(wk, z[k]) for wk, z in bursts for k in ("without", "with") if z[k]["other"]]
    if bad:
        desc = "; ".join(f"`{r.get('label', '?')}` {r['clients']} clients, {wk} worker(s): "
                         f"{r['other']}" for wk, r in bad)  # fmt: skip
        out.append(f"- Answers other than 200 and 503: {desc}.")
    else:
        out.append("- No answer other than 200 and 503 (no 5xx but the 503s, no client "
                   "timeout, no connection error) in any run.")  # fmt: skip
    # /health under the flood of an unbounded route
    floods = [(w["workers"], f) for w in res["workers"] for f in w.get("flood", [])]
    if floods:
        cpu = {(wk, r["route"]): r.get("server_cpu_ms_per_ok") for wk, r in runs
               if r["clients"] == 1}  # fmt: skip
        a, b = cpu.get((1, FLOOD_ROUTE)), cpu.get((1, "isochrone"))
        cost = (
            f" (about {a / b:.0f} times the server CPU of a 10-minute car isochrone)"
            if a and b
            else ""
        )
        worst = max(floods, key=lambda x: x[1]["with"]["ok_p99_ms"] or 0)
        p99 = worst[1]["with"]["ok_p99_ms"] or 0
        verdict = "stayed under" if p99 < HEALTH_TARGET_S * 1000 else "went OVER"
        out.append(f"- `/health` while {worst[1]['background_clients']} clients request "
                   f"`{worst[1]['background']}`: its p99 {verdict} {HEALTH_TARGET_S:g} s "
                   f"(worst {_ms(p99)} ms, {worst[0]} worker(s); "
                   f"{_ms(worst[1]['without']['ok_p99_ms'])} ms without; "
                   f"{_rate(worst[1]['with']['ok_per_s'])} answers/s instead of "
                   f"{_rate(worst[1]['without']['ok_per_s'])}). `HeavyWork` bounds only the "
                   f"expensive routes; this page{cost} runs in the thread pool without a "
                   "bound, and the event loop that answers `/health` waits for the interpreter "
                   "behind those threads.")  # fmt: skip
        lucky = [(wk, f) for wk, f in floods if wk > 1 and f["with"]["ok_p99_ms"] is not None
                 and f["with"]["ok_p99_ms"] < HEALTH_TARGET_S * 1000]  # fmt: skip
        for wk, f in lucky:
            split = " + ".join(f"{x:.2f}" for x in f["with"]["server_cpu_by_process"][:wk])
            out.append(f"- With {wk} workers `/health` kept its speed under the same flood "
                       f"(p99 {_ms(f['with']['ok_p99_ms'])} ms, "
                       f"{_rate(f['with']['ok_per_s'])} answers/s): its connection evidently "
                       f"sat on a worker that had none of the flood's connections (server CPU "
                       f"{split} cores). Where connections land is chance (next point), not a "
                       "protection.")  # fmt: skip
    # connections of the two workers
    uneven = []
    for w in res["workers"]:
        if w["workers"] < 2:
            continue
        for r in w["runs"]:
            per = [*(r.get("server_cpu_by_process") or []), 0.0, 0.0][:2]
            if r["clients"] > 1 and per[0] > 0.5 and per[1] < 0.25 * per[0]:
                uneven.append(r)
    if uneven:
        ex = max(uneven, key=lambda r: r["server_cpu_by_process"][0])
        out.append(f"- With 2 workers the load was not always shared: in {len(uneven)} of the "
                   "runs with several clients one worker did under a quarter of the other's "
                   f"work (e.g. `{ex['label']}` with {ex['clients']} clients: "
                   + " + ".join(f"{x:.2f}" for x in ex["server_cpu_by_process"][:2])
                   + " cores). uvicorn's workers share one listening socket and whichever is "
                   "awake accepts the connections that are waiting; keep-alive connections "
                   "opened at once (as these clients, or a proxy's pool, open them) can land "
                   "mostly on one worker and stay there.")  # fmt: skip
    # the 503s under the burst
    bb = [(wk, z) for wk, z in bursts if z["burst"]["busy_p99_ms"] is not None]
    if bb:
        worst = max(bb, key=lambda x: x[1]["burst"]["busy_p99_ms"])
        lo = min(z["burst"]["busy_p50_ms"] for _, z in bb)
        hi = max(z["burst"]["busy_p50_ms"] for _, z in bb)
        p99 = worst[1]["burst"]["busy_p99_ms"]
        verdict = "stay fast" if p99 < FAST_503_MS else "are NOT fast"
        out.append(f"- Under the burst the 503s {verdict} (the test: p99 under {FAST_503_MS} ms): "
                   f"the burst's own 503s took {_ms(lo)} to {_ms(hi)} ms median and up to "
                   f"{_ms(p99)} ms at p99 (during `{worst[1]['label']}` with "
                   f"{worst[1]['clients']} client(s), {worst[0]} worker(s)). Refusing costs "
                   "little, but the refusal waits for the event loop, which shares the "
                   "interpreter with the threads computing the admitted requests, and every "
                   "refused client comes back on a new connection.")  # fmt: skip
    items = [(wk, r) for wk, r in runs if r["route"] == "items" and r["clients"] == 1]
    health = {wk: r for wk, r in runs if r["route"] == "health" and r["clients"] == 1}
    if items and items[0][0] in health and items[0][1]["ok_p50_ms"]:
        wk, it = items[0]
        mb = (it.get("ok_bytes_median") or 0) / 1e6
        nv = next((w["inputs"]["villages"] for w in res["workers"] if "inputs" in w), "?")
        top = max((r for _, r in runs if r["route"] == "items"), key=lambda r: r["clients"])
        top_c = top["clients"]
        top_p99 = max(r["ok_p99_ms"] or 0 for _, r in runs if r["route"] == "items"
                      and r["clients"] == top_c)  # fmt: skip
        out.append(f"- `GET /collections/villages/items?limit=100` is cheap only by name: "
                   f"{_ms(it['ok_p50_ms'])} ms median for one client ({nv} villages with every "
                   f"indicator as a column, {mb:.2f} MB), "
                   f"{it['ok_p50_ms'] / health[wk]['ok_p50_ms']:.0f} times `/health`, "
                   f"{_ms(it.get('server_cpu_ms_per_ok'))} ms of server CPU per answer. It is "
                   "not among the bounded routes, so many at once are not refused but share the "
                   "thread pool and the one core of their worker: at the highest concurrency "
                   "every answer waits for all the others (p99 "
                   f"{_ms(top_p99 / 1000)} s at {top_c} clients, where the bounded routes have "
                   f"a budget of {res['settings']['BEREIK_REQUEST_TIMEOUT_S']} s).")  # fmt: skip
    return out


def render(res: dict) -> str:
    plan = res["plan"]
    m = res["machine"]
    quick = " (QUICK run: not the figures of the issue)" if plan["quick"] else ""
    lines = [
        "## Load: throughput and latency per route (issue 14)", "",
        f"Generated by `benchmarks/service_load.py` on {res['date']} at commit {res['commit']}"
        f"{' (app/ or accessibility/ with uncommitted changes)' if res['dirty'] else ''}"
        f"{quick}; rerun the script rather than editing this section. Raw figures: "
        "`benchmarks/.work/service_load/results.json`.", "",
        f"- Machine: {m['cpu']}; {m['cores']} cores; "
        f"{m['memory_gb']:.1f} GB memory; {m['platform']}; Python {m['python']}; load average "
        f"at start {', '.join(f'{x:.2f}' for x in m['load_start'])}, at end "
        f"{', '.join(f'{x:.2f}' for x in m.get('load_end', ()))}. "
        + ", ".join(f"{k} {v}" for k, v in res["versions"].items()) + ".",
        f"- **Client and server share the {m['cores']} cores**: the load generator runs on the "
        "same machine (the client CPU column says how much of it it takes), so these figures "
        "are a lower bound of what the service does on a machine of its own, and adding a "
        "worker cannot double anything here.",
        f"- Server: `bereik serve --build benchmarks/.work/service_load/demo --host 127.0.0.1 "
        f"--port <free> --workers W --log-level warning` (uvicorn; no access log) on "
        f"`bereik build --out ... --quiet` of the embedded sample, the real Liechtenstein OSM "
        f"extract ({res['build'].get('villages')} villages; car network "
        f"{res['build']['networks'].get('car', {}).get('nodes', '?'):,} nodes). Settings: "
        + ", ".join(f"`{k}={v}`" for k, v in res["settings"].items())
        + " (the defaults; the limit is per worker process, so 2 workers admit up to "
        f"{2 * int(res['settings']['BEREIK_MAX_HEAVY_REQUESTS'])} expensive requests at once).",
        f"- Clients: closed loop (each client sends its next request as soon as the answer to "
        f"its previous one has arrived, also after a 503: no back-off), each over its own "
        f"keep-alive HTTP/1.1 connection opened before the clock starts (a `Connection: close`, "
        f"as on every 503, means a new connection for the next request, counted in its "
        f"latency); asyncio coroutines in one process ({res['client_loop']}), plain HTTP over "
        f"asyncio streams, no threads. {plan['duration_s']:g} s per route and concurrency "
        f"({', '.join(map(str, plan['concurrency']))} clients), after a warm-up of "
        f"{plan['warmup_s']:g} s per route with 8 clients; throughput = 200 answers / seconds "
        "from the first request to the last answer; latencies from writing the request to the "
        "last byte of the answer (`time.perf_counter`); p50/p99 of the 200s, and of the 503s "
        "apart. Client and server CPU in cores (CPU seconds / wall seconds; "
        "`resource.getrusage` of the client process, `/proc/<pid>/stat` of the server's "
        "process tree).",
        f"- Routes (one at a time): cheap `GET /health`, `GET /villages?municipality=Vaduz`, "
        f"`GET /collections/villages/items?limit=100`; expensive (bounded) `GET /isochrones?"
        f"lon=9.5209&lat=47.1410&profile=car&minutes=10`, `POST /matrix` with the first 10 "
        f"villages of `GET /villages` as sources and the last 10 as destinations (car), `POST "
        f"/scenarios` closing `{res['workers'][0]['inputs']['scenario_closed']}` (the first of "
        "`GET /facilities?category=supermarket`, car).",
        f"- Burst: {res['burst_clients']} closed-loop clients in a second process posting "
        f"`POST /isochrones` with the first 10 villages' lon/lat, walk, minutes "
        f"{', '.join(map(str, res['burst_minutes']))}, started {res['burst_ramp_s']:g} s before "
        "the cheap route's run (its connections open) and stopped when that run's last answer "
        "had arrived (its own counts cover that whole time, answers in flight included); "
        "each cheap route is measured without the burst right before, so both see the same "
        "machine.",
        f"- Run time {res['run_s'] / 60:.1f} min.",
        "",
    ]  # fmt: skip
    for w in res["workers"]:
        lines += [f"### {w['workers']} worker{'s' if w['workers'] > 1 else ''}", "",
                  f"Start to the first `/health` 200: {w['start_s']:.1f} s; {w['processes']} "
                  f"process(es); resident memory {w['rss_after_start_mb']:.0f} MB after the "
                  f"start, {w.get('rss_after_warmup_mb', 0):.0f} MB after the warm-up, "
                  f"{w.get('rss_at_end_mb', 0):.0f} MB at the end.", ""]  # fmt: skip
        lines += route_table(w)
        lines.append("")
    sc = scaling_table(res)
    if sc:
        lines += ["### 1 worker against 2", "", *sc, ""]
    for w in res["workers"]:
        if w["burst"]:
            lines += [f"### Cheap routes with and without the heavy burst, {w['workers']} "
                      f"worker{'s' if w['workers'] > 1 else ''}", "",
                      "Ratios are with / without.", ""]  # fmt: skip
            lines += burst_table(w["burst"], w["workers"])
            lines.append("")
    floods = [w for w in res["workers"] if w.get("flood")]
    for w in floods:
        f0 = w["flood"][0]
        lines += [f"### `/health` with and without a flood of an unbounded route, {w['workers']} "
                  f"worker{'s' if w['workers'] > 1 else ''}", "",
                  f"An addition to the issue's list, because the burst table pointed at it: "
                  f"`/health` measured as above, then again while {f0['background_clients']} "
                  f"closed-loop clients request `{f0['background']}` (a route that is not "
                  "among the bounded ones). Ratios are with / without.", ""]  # fmt: skip
        lines += burst_table(w["flood"], w["workers"], what="flood")
        lines.append("")
    lines += ["### Reading", "", *reading(res), ""]
    lines += ["Reproduce: `.venv/bin/python benchmarks/service_load.py` (this section; about "
              f"{res['run_s'] / 60:.0f} minutes), `--quick` (concurrency 1 and 8, 2 s, 1 worker; "
              "writes `benchmarks/.work/service_load/benchmarks-service-quick.md`), `--out FILE` "
              "to write the section elsewhere, `--render-only results.json` to rewrite it from "
              "the raw figures."]  # fmt: skip
    return "\n".join(lines).rstrip() + "\n"


def write_section(path: Path, section: str) -> None:
    """Put ``section`` between the markers of ``path``; the rest of the file is unchanged."""
    text = path.read_text() if path.exists() else ""
    block = f"{START}\n{section}{END}"
    if START in text and END in text:
        pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
        text = pattern.sub(lambda _m: block, text, count=1)
    else:
        text = text + ("" if text.endswith("\n") or not text else "\n") + ("\n" if text else "")
        text += block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--burst-child"]:
        port, raw, clients, duration, out = argv[1:6]
        return burst_child(int(port), Path(raw), int(clients), float(duration), Path(out))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="concurrency 1 and 8, 2 s each, 1 worker; report in .work/")  # fmt: skip
    ap.add_argument("--out", type=Path, help=f"the markdown file for the section (default {DOC})")
    ap.add_argument("--render-only", type=Path, metavar="RESULTS_JSON",
                    help="rewrite the section from a results.json without measuring")  # fmt: skip
    args = ap.parse_args(argv)
    if args.render_only:
        res = json.loads(args.render_only.read_text())
        quick = res["plan"]["quick"]
    else:
        plan = QUICK if args.quick else FULL
        quick = plan.quick
        res = run(plan)
        WORK.mkdir(parents=True, exist_ok=True)
        raw = WORK / ("results-quick.json" if quick else "results.json")
        raw.write_text(json.dumps(res, indent=1))
        log(f"raw figures: {raw}")
    out = args.out or (QUICK_DOC if quick else DOC)
    write_section(out, render(res))
    log(f"wrote the load section of {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
