"""Two public-transport routers from PyPI side by side on the sample: ferrobus and pynigiri.

ferrobus (Rust, RAPTOR + its own walking graph parsed from the OSM extract) and pynigiri
(pybind11 bindings to MOTIS nigiri, RAPTOR on the timetable alone, walking only as offsets
the caller supplies and straight-line footpaths between stops) answer the same questions on
the Heidelberg extract and the VRN Rhein-Neckar GTFS cut, service day Thursday 2022-09-01:

a) loading: ferrobus's model build (OSM + GTFS), pynigiri's timetable load, and the peak
   RSS a build adds (in a child process);
b) "travel time from N random origins to the nearest of F facilities for every departure
   minute 07:00-09:00", N = 100 and 1000, F = 20, by every way each engine offers;
c) the latency of one query from one origin to all stops at one departure;
d) a smoke test of agreement: 20 stop-to-stop pairs at 08:00;
e) install facts: wheels per CPython version and platform, sdist, licence, versions on
   the index (`pip download` / `pip show` / `pip index versions`; `--skip-install-facts`).

A method whose full run would take longer than FULL_RUN_BUDGET_S (15 s) is timed on a
subsample (10 origins, or 3 departures) and extrapolated, and the report says so; the whole
run takes about 1.5 minutes on 2 cores.

Self-contained on purpose (numpy, pandas, the standard library and the two engines): it
runs in a scratch venv, not in the project's::

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install ferrobus pynigiri pandas numpy
    /tmp/tv/bin/python benchmarks/transit_engines.py --out docs/benchmarks-transit-engines.md

An engine that cannot be imported is skipped with the reason printed and written down.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import importlib.metadata
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT / "data" / "samples" / "heidelberg-2024-09-08.osm.pbf"
GTFS = ROOT / "data" / "samples" / "vrn-rhein-neckar-2022-cut.gtfs.zip"
DAY = dt.date(2022, 9, 1)  # a Thursday, 739 trips run
BBOX = (8.64, 8.72, 49.38, 49.42)  # lon_min, lon_max, lat_min, lat_max of the origins
FIRST_MIN, LAST_MIN = 7 * 60, 9 * 60  # departure minutes after local midnight, inclusive
PROBE_MIN = 8 * 60  # the departure of c) and d)
WALK_M_PER_MIN = 5000 / 60  # 5 km/h
DETOUR = 1.3  # straight line -> street
NEAREST_STOPS = 5  # pynigiri offsets per origin and per facility
MAX_TRANSFERS = 3  # both engines
FB_MAX_WALK_S = 1200  # ferrobus: transfers and access walks
FB_NEAREST = 10  # ferrobus: stops per transit point (its default)
NIGIRI_LINKS = (100, 1000)  # pynigiri LoaderConfig.link_stop_distance: the default, and wide
FULL_RUN_BUDGET_S = 15.0  # a method whose full run is estimated above this is extrapolated
SUBSAMPLE_ORIGINS = 10  # origins timed to estimate a method's cost per origin
SUBSAMPLE_MINUTES = 3  # departures timed to estimate a per-departure method
R_EARTH = 6_371_000.0
INF = float("inf")

MINUTES = np.arange(FIRST_MIN, LAST_MIN + 1)  # 121 departures


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------
# helpers


@contextlib.contextmanager
def captured_stderr(sink: list[str]) -> Iterator[None]:
    """Send file descriptor 2 (where Rust and C++ write) to a temporary file; keep its text."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            sink.append(tmp.read().decode(errors="replace"))


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    """Run ``fn`` ``repeats`` times: (median seconds, all seconds, last result)."""
    times, res = [], None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, res


def metres(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Equirectangular distance in metres from one point to many (fine at city scale)."""
    x = np.radians(lons - lon) * np.cos(np.radians((lats + lat) / 2))
    y = np.radians(lats - lat)
    return R_EARTH * np.hypot(x, y)


def walk_minutes(d_m: np.ndarray | float) -> np.ndarray | float:
    return np.asarray(d_m) * DETOUR / WALK_M_PER_MIN


def profile(
    deps: list[float], arrs: list[float], grid: np.ndarray, tail_arr: float, walk: float
) -> np.ndarray:
    """Travel time for every departure in ``grid`` from a range query's journeys.

    For departure t: the earliest arrival of a journey leaving at t or later (``tail_arr``
    is the earliest arrival of one leaving at the end of the range or later), waiting
    included, or ``walk`` (time-independent) if shorter.
    """
    best = np.full(grid.shape, tail_arr, dtype=float)
    if deps:
        d = np.asarray(deps, dtype=float)
        a = np.asarray(arrs, dtype=float)
        order = np.argsort(d, kind="stable")
        d, a = d[order], a[order]
        suffix_min = np.minimum.accumulate(a[::-1])[::-1]
        pos = np.searchsorted(d, grid, side="left")
        has = pos < len(d)
        best[has] = np.minimum(best[has], suffix_min[pos[has]])
    return np.minimum(best - grid, walk)


def diff_stats(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Absolute differences where both are finite: count, median, p90, max, and coverage."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    both = np.isfinite(a) & np.isfinite(b)
    d = np.abs(a[both] - b[both])
    out: dict[str, Any] = {
        "cells": int(a.size),
        "both": int(both.sum()),
        "only_a": int((np.isfinite(a) & ~np.isfinite(b)).sum()),
        "only_b": int((~np.isfinite(a) & np.isfinite(b)).sum()),
    }
    if d.size:
        out |= {
            "median": float(np.median(d)),
            "p90": float(np.percentile(d, 90)),
            "max": float(d.max()),
            "within_1": float((d <= 1.0 + 1e-9).mean()),
            "a_longer": float((a[both] > b[both] + 1.0 + 1e-9).mean()),
            "b_longer": float((b[both] > a[both] + 1.0 + 1e-9).mean()),
        }
    return out


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "arch": platform.machine(),
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "load": f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
    }


def engine_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (ru_maxrss outlives exec and keeps the parent's)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------------------
# inputs


class Sample:
    """The GTFS stops, the random origins, the facilities and the stop pairs (seeded)."""

    def __init__(self, gtfs_dir: Path, seed: int, n_max: int, n_fac: int, n_pairs: int):
        self.gtfs_dir = gtfs_dir
        agency = pd.read_csv(gtfs_dir / "agency.txt", dtype=str)
        self.tz = ZoneInfo(agency["agency_timezone"].iloc[0])
        stops = pd.read_csv(gtfs_dir / "stops.txt", dtype={"stop_id": str})
        self.n_stops_all = len(stops)
        # stations (location_type 1) have no departures of their own: stops only
        stops = stops[stops["location_type"].fillna(0).astype(int) != 1]
        self.stops = stops.reset_index(drop=True)
        self.lat = self.stops["stop_lat"].to_numpy(float)
        self.lon = self.stops["stop_lon"].to_numpy(float)
        rng = np.random.default_rng(seed)
        lon0, lon1, lat0, lat1 = BBOX
        self.o_lon = rng.uniform(lon0, lon1, n_max)
        self.o_lat = rng.uniform(lat0, lat1, n_max)
        inside = np.flatnonzero(
            (self.lon >= lon0) & (self.lon <= lon1) & (self.lat >= lat0) & (self.lat <= lat1)
        )
        self.n_inside = len(inside)
        self.fac = np.sort(rng.choice(inside, n_fac, replace=False))  # indices into stops
        pairs: list[tuple[int, int]] = []
        while len(pairs) < n_pairs:
            a, b = rng.choice(inside, 2, replace=False)
            if metres(self.lat[a], self.lon[a], self.lat[b : b + 1], self.lon[b : b + 1])[0] > 1500:
                pairs.append((int(a), int(b)))
        self.pairs = pairs
        midnight = dt.datetime.combine(DAY, dt.time(0), tzinfo=self.tz)
        self.midnight_unix_min = int(midnight.timestamp()) // 60
        # straight-line walk (x detour) from every origin to its nearest facility, minutes
        self.direct_walk_min = np.array(
            [
                walk_minutes(metres(la, lo, self.lat[self.fac], self.lon[self.fac]).min())
                for la, lo in zip(self.o_lat, self.o_lon, strict=True)
            ]
        )

    def nearest(self, lat: float, lon: float, k: int = NEAREST_STOPS) -> list[tuple[int, int]]:
        """The k nearest stops by straight line: (stop index, walk minutes rounded)."""
        d = metres(lat, lon, self.lat, self.lon)
        idx = np.argpartition(d, k)[:k]
        return [(int(i), round(float(walk_minutes(d[i])))) for i in idx]


# --------------------------------------------------------------------------------------
# ferrobus


class Ferrobus:
    name = "ferrobus"

    def __init__(self, sample: Sample, osm: Path):
        import ferrobus

        self.fb = ferrobus
        self.s = sample
        self.osm = osm
        self.model: Any = None
        self.warnings = ""

    def build(self) -> Any:
        sink: list[str] = []
        with captured_stderr(sink):
            model = self.fb.create_transit_model(
                str(self.osm), [str(self.s.gtfs_dir)], DAY, FB_MAX_WALK_S
            )
        self.warnings = sink[0]
        return model

    def point(self, lat: float, lon: float) -> Any:
        return self.fb.create_transit_point(
            float(lat), float(lon), self.model, FB_MAX_WALK_S, FB_NEAREST
        )

    def points(self, lats: np.ndarray, lons: np.ndarray) -> tuple[list[Any], list[int], str]:
        """Transit points; the indices that failed and the first error's text."""
        pts, bad, err = [], [], ""
        for i, (la, lo) in enumerate(zip(lats, lons, strict=True)):
            try:
                pts.append(self.point(la, lo))
            except ValueError as exc:
                bad.append(i)
                err = err or str(exc)
        return pts, bad, err

    # b) three ways ---------------------------------------------------------------------

    def b_one_to_many(self, origins: list[Any], facs: list[Any]) -> np.ndarray:
        """find_routes_one_to_many per origin per departure minute: seconds."""
        out = np.full((len(origins), len(MINUTES)), INF)
        for i, o in enumerate(origins):
            for k, m in enumerate(MINUTES):
                res = self.fb.find_routes_one_to_many(
                    self.model, o, facs, int(m) * 60, MAX_TRANSFERS
                )
                vals = [r["travel_time_seconds"] for r in res if r is not None]
                if vals:
                    out[i, k] = min(vals)
        return out

    def b_matrix(self, origins: list[Any], facs: list[Any], minutes: np.ndarray) -> np.ndarray:
        """travel_time_matrix over origins + facilities per departure minute: seconds."""
        n = len(origins)
        pts = origins + facs
        out = np.full((n, len(minutes)), INF)
        for k, m in enumerate(minutes):
            mat = self.fb.travel_time_matrix(self.model, pts, int(m) * 60, MAX_TRANSFERS)
            for i in range(n):
                vals = [v for v in mat[i][n:] if v is not None]
                if vals:
                    out[i, k] = min(vals)
        return out

    def b_range(self, origins: list[Any], facs: list[Any]) -> np.ndarray:
        """range_multimodal_routing per origin-facility pair over 07:00-09:00, then one
        find_routes_one_to_many at 09:00 for departures after the range: seconds."""
        grid = MINUTES.astype(float) * 60
        window = (FIRST_MIN * 60, LAST_MIN * 60)
        out = np.full((len(origins), len(MINUTES)), INF)
        for i, o in enumerate(origins):
            deps: list[float] = []
            arrs: list[float] = []
            walk = INF
            for f in facs:
                res = self.fb.range_multimodal_routing(self.model, o, f, window, MAX_TRANSFERS)
                for j in json.loads(res.as_json())["journeys"]:
                    if j["transfers"] == 0 and j["walking_time"] == j["travel_time"]:
                        walk = min(walk, j["travel_time"])  # walking only: any departure
                    else:
                        deps.append(j["departure_time"])
                        arrs.append(j["arrival_time"])
            tail = self.fb.find_routes_one_to_many(
                self.model, o, facs, LAST_MIN * 60, MAX_TRANSFERS
            )
            vals = [r["travel_time_seconds"] for r in tail if r is not None]
            tail_arr = LAST_MIN * 60 + min(vals) if vals else INF
            out[i] = profile(deps, arrs, grid, tail_arr, walk)
        return out

    # c), d) ----------------------------------------------------------------------------

    def one_to_all(self, origin: Any, stop_pts: list[Any]) -> list[Any]:
        return self.fb.find_routes_one_to_many(
            self.model, origin, stop_pts, PROBE_MIN * 60, MAX_TRANSFERS
        )

    def stop_to_stop(self, a: Any, b: Any) -> tuple[float, float, bool]:
        """Minutes from a at 08:00 to b (waiting included) by find_routes_one_to_many and
        by find_route, and whether the first used transit."""
        r = self.fb.find_routes_one_to_many(self.model, a, [b], PROBE_MIN * 60, MAX_TRANSFERS)[0]
        r2 = self.fb.find_route(self.model, a, b, PROBE_MIN * 60, MAX_TRANSFERS)
        v2 = r2["travel_time_seconds"] / 60 if r2 else INF
        if r is None:
            return INF, v2, False
        return r["travel_time_seconds"] / 60, v2, bool(r["used_transit"])

    def same_stop_ride(self, a: Any, b: Any) -> bool:
        """Whether detailed_journey's journey has a transit leg from a stop to itself."""
        gj = self.fb.detailed_journey(self.model, a, b, PROBE_MIN * 60, MAX_TRANSFERS)
        if not gj or gj == "null":
            return False
        legs = [f["properties"] for f in json.loads(gj).get("features", [])]
        return any(
            p.get("leg_type") == "transit" and p.get("from_name") == p.get("to_name") for p in legs
        )

    # probes ----------------------------------------------------------------------------

    def probe_panic(self, origin: Any) -> dict[str, Any]:
        """range_multimodal_routing to a point that has no stop within walking distance."""
        out: dict[str, Any] = {}
        lon0, lon1 = 8.58, 8.85
        lat0, lat1 = 49.35, 49.50
        target = None
        for la in np.linspace(lat0, lat1, 7):
            for lo in np.linspace(lon0, lon1, 7):
                try:
                    p = self.point(la, lo)
                except ValueError as exc:
                    out.setdefault("create_error", str(exc))
                    out.setdefault("create_error_at", (round(float(la), 3), round(float(lo), 3)))
                    continue
                if not p.nearest_stops():
                    target = p
                    out["target"] = (round(float(la), 3), round(float(lo), 3))
                    break
            if target is not None:
                break
        if target is None:
            out["panic"] = "no point without stops found"
            return out
        res = self.fb.range_multimodal_routing(
            self.model, origin, target, (FIRST_MIN * 60, LAST_MIN * 60), MAX_TRANSFERS
        )
        out["travel_times"] = res.travel_times()
        sink: list[str] = []
        try:
            with captured_stderr(sink):
                out["median"] = res.median_travel_time()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # pyo3's PanicException derives from BaseException
            out["panic_type"] = f"{type(exc).__module__}.{type(exc).__name__}"
            out["panic_text"] = str(exc)
            out["panic_is_exception"] = isinstance(exc, Exception)
        where = [ln for ln in "".join(sink).splitlines() if "panicked at" in ln]
        if where:
            out["panic_where"] = where[0].split("panicked at", 1)[1].strip().rstrip(":")
        return out


# --------------------------------------------------------------------------------------
# pynigiri


class Nigiri:
    name = "pynigiri"

    def __init__(self, sample: Sample, link_m: int):
        import pynigiri

        self.pn = pynigiri
        self.s = sample
        self.link_m = link_m
        self.tt: Any = None
        self.loc: list[Any] = []
        self.dest: list[Any] = []
        self.no_journey = 0  # origins without any journey in the last b_range call

    def build(self) -> Any:
        pn = self.pn
        cfg = pn.LoaderConfig()
        cfg.link_stop_distance = self.link_m
        start = DAY.isoformat()
        end = (DAY + dt.timedelta(days=2)).isoformat()
        with captured_stderr([]):  # the loader logs every step
            return pn.load_timetable(
                [pn.TimetableSource("vrn", str(self.s.gtfs_dir), cfg)], start, end
            )

    def attach(self, tt: Any) -> None:
        self.tt = tt
        self.loc = [tt.find_location(sid) for sid in self.s.stops["stop_id"]]

    def offsets(self, lat: float, lon: float) -> list[Any]:
        return [self.pn.Offset(self.loc[i], w) for i, w in self.s.nearest(lat, lon)]

    def dest_offsets(self) -> list[Any]:
        """Every facility's nearest stops, each stop once with its smallest walk."""
        best: dict[int, int] = {}
        for f in self.s.fac:
            for i, w in self.s.nearest(self.s.lat[f], self.s.lon[f]):
                best[i] = min(w, best.get(i, w))
        return [self.pn.Offset(self.loc[i], w) for i, w in best.items()]

    def query(self, start: list[Any], dest: list[Any], when: int | tuple[int, int]) -> Any:
        pn = self.pn
        q = pn.Query()
        q.start_time = when  # unix minutes, or a (from, to) tuple of them for a range
        q.start_match_mode = pn.LocationMatchMode.INTERMODAL
        q.dest_match_mode = pn.LocationMatchMode.INTERMODAL
        q.start = start
        q.destination = dest
        q.max_transfers = MAX_TRANSFERS
        return q

    def unix_min(self, minute_of_day: int) -> int:
        return self.s.midnight_unix_min + int(minute_of_day)

    # b) two ways -----------------------------------------------------------------------

    def b_point(self, starts: list[list[Any]], walks: np.ndarray) -> np.ndarray:
        """One point query per origin per departure minute: minutes."""
        out = np.full((len(starts), len(MINUTES)), INF)
        for i, st in enumerate(starts):
            for k, m in enumerate(MINUTES):
                t = self.unix_min(m)
                js = self.pn.route(self.tt, self.query(st, self.dest, t))
                arr = min((j.arrival_time() for j in js), default=INF)
                out[i, k] = min(arr - t, walks[i])
        return out

    def b_range(self, starts: list[list[Any]], walks: np.ndarray) -> np.ndarray:
        """One range query per origin over [07:00, 09:00) and one point query at 09:00."""
        t0, t1 = self.unix_min(FIRST_MIN), self.unix_min(LAST_MIN)
        grid = (MINUTES + self.s.midnight_unix_min).astype(float)
        out = np.full((len(starts), len(MINUTES)), INF)
        self.no_journey = 0
        for i, st in enumerate(starts):
            js = self.pn.route(self.tt, self.query(st, self.dest, (t0, t1)))
            tail = self.pn.route(self.tt, self.query(st, self.dest, t1))
            self.no_journey += not js and not tail
            tail_arr = min((j.arrival_time() for j in tail), default=INF)
            out[i] = profile(
                [j.departure_time() for j in js],
                [j.arrival_time() for j in js],
                grid,
                tail_arr,
                walks[i],
            )
        return out

    # c), d) ----------------------------------------------------------------------------

    def one_to_all(self, start: list[Any]) -> list[float]:
        """No one-to-many call is bound: one query per stop (exact destination)."""
        pn = self.pn
        t = self.unix_min(PROBE_MIN)
        out = []
        for loc in self.loc:
            q = self.query(start, [pn.Offset(loc, 0)], t)
            q.dest_match_mode = pn.LocationMatchMode.EXACT
            js = pn.route(self.tt, q)
            out.append(min((j.arrival_time() - t for j in js), default=INF))
        return out

    def stop_to_stop(self, a: int, b: int) -> float:
        pn = self.pn
        t = self.unix_min(PROBE_MIN)
        q = self.query([pn.Offset(self.loc[a], 0)], [pn.Offset(self.loc[b], 0)], t)
        q.start_match_mode = pn.LocationMatchMode.EXACT
        q.dest_match_mode = pn.LocationMatchMode.EXACT
        js = pn.route(self.tt, q)
        return min((j.arrival_time() - t for j in js), default=INF)

    # probes ----------------------------------------------------------------------------

    def probes(self) -> dict[str, Any]:
        """What the bindings accept: the units of start_time, how to ask for a range."""
        pn = self.pn
        out: dict[str, Any] = {"module_version": getattr(pn, "__version__", "?")}
        a, b = self.s.pairs[0]
        t = self.unix_min(PROBE_MIN)
        start = [pn.Offset(self.loc[a], 0)]
        dest = [pn.Offset(self.loc[b], 0)]

        def n_journeys(when: Any, d: list[Any] = dest, mode: Any = None) -> int:
            q = self.query(start, d, t)
            q.start_match_mode = pn.LocationMatchMode.EXACT
            q.dest_match_mode = mode or pn.LocationMatchMode.EXACT
            q.start_time = when
            return len(pn.route(self.tt, q))

        out["minutes"] = n_journeys(t)
        out["seconds"] = n_journeys(t * 60)
        q = pn.Query()
        for label, value in (
            (
                "TimeInterval",
                pn.TimeInterval(
                    dt.datetime.combine(DAY, dt.time(7), tzinfo=self.s.tz),
                    dt.datetime.combine(DAY, dt.time(9), tzinfo=self.s.tz),
                ),
            ),
            ("datetime", dt.datetime.combine(DAY, dt.time(8), tzinfo=self.s.tz)),
        ):
            try:
                q.start_time = value
                out[f"assign_{label}"] = "accepted"
            except Exception as exc:  # what the binding says is the finding
                out[f"assign_{label}"] = f"{type(exc).__name__}: {exc}"
        t0, t1 = self.unix_min(FIRST_MIN), self.unix_min(LAST_MIN)
        q.start_time = (t0, t1)
        out["tuple_readback"] = q.start_time == (t0, t1)
        out["tuple_journeys"] = n_journeys((t0, t1))
        # offsets are minutes: 5 more at the destination -> 5 more minutes
        im = pn.LocationMatchMode.INTERMODAL
        shifted = []
        for w in (0, 5):
            q = self.query(start, [pn.Offset(self.loc[b], w)], t)
            q.start_match_mode = pn.LocationMatchMode.EXACT
            q.dest_match_mode = im
            js = pn.route(self.tt, q)
            shifted.append(min((j.arrival_time() for j in js), default=INF))
        out["offset_shift"] = shifted[1] - shifted[0]
        # a walk-only trip (start and destination offsets at the same stop) is not returned
        q = self.query([pn.Offset(self.loc[a], 3)], [pn.Offset(self.loc[a], 3)], t)
        out["walk_only_journeys"] = len(pn.route(self.tt, q))
        return out


# --------------------------------------------------------------------------------------
# memory: a child per engine (peak RSS after imports, after the build)


def child_memory(engine: str, gtfs_dir: str, osm: str, link_m: int) -> None:
    import_mod = "ferrobus" if engine == "ferrobus" else "pynigiri"
    importlib.import_module(import_mod)
    sample = Sample(Path(gtfs_dir), 0, 10, 2, 1)
    before = peak_rss_mb()
    if engine == "ferrobus":
        keep = Ferrobus(sample, Path(osm)).build()
    else:
        keep = Nigiri(sample, link_m).build()
    after = peak_rss_mb()
    print(json.dumps({"before_mb": before, "after_mb": after, "alive": keep is not None}))


def measure_memory(engine: str, gtfs_dir: Path, osm: Path, link_m: int = 0) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child-memory", engine, str(gtfs_dir), str(osm), str(link_m)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}


# --------------------------------------------------------------------------------------
# e) install facts


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False
    )


def install_facts(packages: dict[str, str]) -> dict[str, Any]:
    """Which wheels pip finds per CPython version (this platform) and for other platforms."""
    out: dict[str, Any] = {"pythons": ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]}
    plats = ["macosx_11_0_arm64", "win_amd64", "manylinux_2_28_aarch64"]
    out["platforms"] = plats
    for pkg, ver in packages.items():
        facts: dict[str, Any] = {"version": ver, "wheels": {}, "platform_wheels": {}}
        with tempfile.TemporaryDirectory() as tmp:
            for py in out["pythons"]:
                d = Path(tmp) / py
                r = pip(
                    "download", "--no-deps", "--only-binary=:all:", "--python-version", py,
                    "-d", str(d), f"{pkg}=={ver}",
                )  # fmt: skip
                whl = sorted(p.name for p in d.glob("*.whl")) if d.exists() else []
                facts["wheels"][py] = whl[0] if whl else _pip_error(r)
            for plat in plats:
                d = Path(tmp) / plat
                r = pip(
                    "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
                    "--platform", plat, "-d", str(d), f"{pkg}=={ver}",
                )  # fmt: skip
                whl = sorted(p.name for p in d.glob("*.whl")) if d.exists() else []
                facts["platform_wheels"][plat] = whl[0] if whl else _pip_error(r)
            # is there a source distribution? (download only: no build, no build deps)
            r = pip(
                "download", "--no-deps", "--no-binary=:all:", "--no-build-isolation",
                "-d", str(Path(tmp) / "sdist"), f"{pkg}=={ver}",
            )  # fmt: skip
            names = re.findall(
                rf"({re.escape(pkg)}-{re.escape(ver)}\.(?:tar\.gz|zip))", r.stdout + r.stderr
            )
            facts["sdist"] = f"yes (`{names[0]}`, builds from source)" if names else "none found"
        show = pip("show", pkg).stdout
        fields = dict(line.split(": ", 1) for line in show.splitlines() if ": " in line)
        facts["license"] = fields.get("License", "?")
        try:
            meta = importlib.metadata.metadata(pkg)
            facts["requires_python"] = meta.get("Requires-Python", "?")
        except importlib.metadata.PackageNotFoundError:
            facts["requires_python"] = "?"
        idx = pip("index", "versions", pkg).stdout
        facts["index_versions"] = next(
            (ln.split(":", 1)[1].strip() for ln in idx.splitlines() if "Available versions" in ln),
            "?",
        )
        out[pkg] = facts
    return out


def _pip_error(r: subprocess.CompletedProcess[str]) -> str:
    errs = [ln for ln in r.stderr.splitlines() if ln.startswith("ERROR")]
    return "none" if any("No matching distribution" in e for e in errs) else (errs or ["?"])[-1]


# --------------------------------------------------------------------------------------
# the run


B_METHODS = {
    "ferrobus": {
        "range": "`range_multimodal_routing` per origin-facility pair, "
        "+ one `find_routes_one_to_many` at 09:00 per origin",
        "one_to_many": "`find_routes_one_to_many` per origin and departure",
        "matrix": "`travel_time_matrix` over origins + facilities per departure",
    },
    "pynigiri": {
        "range": "range query per origin, `start_time = (from, to)`, + one point query at 09:00",
        "point": "point query per origin and departure",
    },
}
COMPARISONS = [
    (("ferrobus", "range"), ("ferrobus", "one_to_many")),
    (("ferrobus", "matrix"), ("ferrobus", "one_to_many")),
    *[((f"pynigiri-{lk}", "range"), (f"pynigiri-{lk}", "point")) for lk in NIGIRI_LINKS],
    *[(("ferrobus", "one_to_many"), (f"pynigiri-{lk}", "range")) for lk in NIGIRI_LINKS],
    *[(("ferrobus", "range"), (f"pynigiri-{lk}", "range")) for lk in NIGIRI_LINKS],
    *[
        ((f"pynigiri-{NIGIRI_LINKS[0]}", "range"), (f"pynigiri-{lk}", "range"))
        for lk in NIGIRI_LINKS[1:]
    ],
]


def run_b_method(
    fn: Callable[[int], np.ndarray], n: int, unit: int, unit_name: str, repeats: int
) -> dict[str, Any]:
    """Time ``fn(k)`` (the work for k units of ``unit_name``): a full run or an estimate.

    The first ``unit`` units are timed once; if the full ``n`` would take longer than
    FULL_RUN_BUDGET_S, the estimate (median time per unit over ``repeats`` runs x n) is
    reported as extrapolated;
    otherwise the full run is timed, as the median of ``repeats`` runs if they fit the
    budget, else once.
    """
    t_sub, _, res = timed(lambda: fn(unit), 1)
    est = t_sub / unit * n
    if unit < n and est > FULL_RUN_BUDGET_S:
        _, times, _ = timed(lambda: fn(unit), repeats - 1)
        t_sub = statistics.median([t_sub, *times])
        how = f"extrapolated from {unit} {unit_name} ({fmt_s(t_sub)}, median of {repeats})"
        return {"seconds": t_sub / unit * n, "runs": 1, "how": how, "result": None}
    times = [t_sub] if unit >= n else []
    reps = repeats if est * repeats <= FULL_RUN_BUDGET_S else 1
    while len(times) < reps:
        t, _, res = timed(lambda: fn(n), 1)
        times.append(t)
    return {"seconds": statistics.median(times), "runs": len(times), "how": "full", "result": res}


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "skipped": {}, "sizes": args.sizes}
    versions = {"ferrobus": engine_version("ferrobus"), "pynigiri": engine_version("pynigiri")}
    results["versions"] = versions
    available = set()
    for mod in ("ferrobus", "pynigiri"):
        try:
            importlib.import_module(mod)
            available.add(mod)
        except ImportError as exc:
            reason = f"{type(exc).__name__}: {exc}"
            print(f"skipping {mod}: {reason}")
            results["skipped"][mod] = reason

    tmp = tempfile.TemporaryDirectory(prefix="transit-engines-")
    gtfs_dir = Path(tmp.name) / "gtfs"
    with zipfile.ZipFile(args.gtfs) as zf:
        zf.extractall(gtfs_dir)
    n_max = max(args.sizes)
    s = Sample(gtfs_dir, args.seed, n_max, args.facilities, args.pairs)
    osm_label = args.osm.relative_to(ROOT) if args.osm.is_relative_to(ROOT) else args.osm
    results["sample"] = {
        "osm": str(osm_label),
        "gtfs": str(args.gtfs),
        "stops": s.n_stops_all,
        "platform_stops": len(s.stops),
        "stops_in_bbox": s.n_inside,
        "tz": str(s.tz),
    }
    log(f"sample: {len(s.stops)} stops ({s.n_inside} in the origin box), tz {s.tz}")
    b: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}
    arrays: dict[tuple[str, str, int], np.ndarray] = {}
    d_rows: dict[str, list[Any]] = {
        "pair": [
            (s.stops["stop_name"].iloc[a], s.stops["stop_name"].iloc[b_], d)
            for a, b_ in s.pairs
            for d in [metres(s.lat[a], s.lon[a], s.lat[b_ : b_ + 1], s.lon[b_ : b_ + 1])[0]]
        ]
    }

    def keep(engine: str, n: int, runs: dict[str, dict[str, Any]], scale: float) -> None:
        for meth, r in runs.items():
            res = r.pop("result")
            if r["how"] == "full" and res is not None:
                arrays[(engine, meth, n)] = res / scale
        b[(engine, n)] = runs

    # ---- ferrobus
    if "ferrobus" in available:
        fbr: dict[str, Any] = {"version": versions["ferrobus"]}
        e = Ferrobus(s, args.osm)
        log("ferrobus: model build")
        med, times, e.model = timed(e.build, args.repeats)
        fbr["build_s"], fbr["build_runs"] = med, len(times)
        fbr["warnings"] = [ln.strip() for ln in e.warnings.splitlines() if "outside" in ln]
        fbr["model"] = repr(e.model)
        fbr["memory"] = measure_memory("ferrobus", gtfs_dir, args.osm)
        log("ferrobus: transit points")
        t0 = time.perf_counter()
        origins, bad_o, err_o = e.points(s.o_lat, s.o_lon)
        facs, bad_f, _ = e.points(s.lat[s.fac], s.lon[s.fac])
        fbr["points_s"] = time.perf_counter() - t0
        fbr["points_failed"] = (len(bad_o), len(bad_f), err_o)
        fbr["no_stops"] = sum(not p.nearest_stops() for p in origins)
        sq = origins[:200]
        med, times, _ = timed(
            lambda: e.fb.travel_time_matrix(e.model, sq, PROBE_MIN * 60, MAX_TRANSFERS), 5
        )
        fbr["ttm200_s"], fbr["ttm200_n"] = med, len(sq)
        for n in args.sizes:
            o = origins[:n]
            log(f"ferrobus: b) N={n}")
            runs = {
                "range": run_b_method(
                    lambda k, o=o: e.b_range(o[:k], facs), n, min(n, 100), "origins", 3
                ),
                "one_to_many": run_b_method(
                    lambda k, o=o: e.b_one_to_many(o[:k], facs),
                    n, min(n, SUBSAMPLE_ORIGINS), "origins", 3,
                ),
                "matrix": run_b_method(
                    lambda k, o=o: e.b_matrix(o, facs, MINUTES[:k]),
                    len(MINUTES), SUBSAMPLE_MINUTES, "departures", 3,
                ),
            }  # fmt: skip
            keep("ferrobus", n, runs, 60.0)
            for meth in ("one_to_many", "range"):
                if ("ferrobus", meth, n) in arrays:
                    rows_none = ~np.isfinite(arrays[("ferrobus", meth, n)]).any(axis=1)
                    fbr.setdefault("all_none", {})[n] = (int(rows_none.sum()), meth)
                    break
        log("ferrobus: c) one origin to all stops")
        stop_pts, bad_s, err_s = e.points(s.lat, s.lon)
        bad_set = set(bad_s)
        by_stop = dict(
            zip([i for i in range(len(s.stops)) if i not in bad_set], stop_pts, strict=True)
        )
        fbr["stop_points"] = (len(stop_pts), len(bad_s), err_s)
        med, times, res = timed(lambda: e.one_to_all(origins[0], stop_pts), args.c_repeats)
        fbr["c_s"], fbr["c_runs"] = med, len(times)
        fbr["c_reached"] = sum(r is not None for r in res)
        fbr["c_targets"] = len(stop_pts)
        log("ferrobus: d) stop pairs")
        rows = []
        for a, b_ in s.pairs:
            if a in by_stop and b_ in by_stop:
                pa, pb = by_stop[a], by_stop[b_]
                rows.append((*e.stop_to_stop(pa, pb), e.same_stop_ride(pa, pb)))
            else:
                rows.append((INF, INF, False, False))
        d_rows["ferrobus"] = rows
        log("ferrobus: probes")
        fbr["probe"] = e.probe_panic(origins[0])
        results["ferrobus"] = fbr
        del e

    # ---- pynigiri, with the default footpaths and with wide ones
    if "pynigiri" in available:
        for link in NIGIRI_LINKS:
            key = f"pynigiri-{link}"
            nr: dict[str, Any] = {"version": versions["pynigiri"], "link_m": link}
            g = Nigiri(s, link)
            log(f"pynigiri (links <= {link} m): timetable load")
            med, times, tt = timed(g.build, args.repeats)
            g.attach(tt)
            nr["build_s"], nr["build_runs"] = med, len(times)
            nr["tt"] = (tt.n_locations(), tt.n_routes(), tt.n_transports())
            nr["memory"] = measure_memory("pynigiri", gtfs_dir, args.osm, link)
            t0 = time.perf_counter()
            starts = [g.offsets(la, lo) for la, lo in zip(s.o_lat, s.o_lon, strict=True)]
            g.dest = g.dest_offsets()
            nr["offsets_s"] = time.perf_counter() - t0
            nr["dest_offsets"] = len(g.dest)
            nr["no_journey"] = {}
            for n in args.sizes:
                st, w = starts[:n], s.direct_walk_min[:n]
                log(f"pynigiri (links <= {link} m): b) N={n}")
                runs = {
                    "range": run_b_method(
                        lambda k, st=st, w=w, g=g: g.b_range(st[:k], w[:k]),
                        n, min(n, 100), "origins", 3,
                    ),
                    "point": run_b_method(
                        lambda k, st=st, w=w, g=g: g.b_point(st[:k], w[:k]),
                        n, min(n, SUBSAMPLE_ORIGINS), "origins", 3,
                    ),
                }  # fmt: skip
                if runs["range"]["how"] == "full":
                    g.b_range(st, w)  # once more: count the origins without any journey
                    nr["no_journey"][n] = g.no_journey
                keep(key, n, runs, 1.0)
            log(f"pynigiri (links <= {link} m): c) one origin to all stops")
            med, times, res = timed(lambda g=g, st0=starts[0]: g.one_to_all(st0), args.c_repeats)
            nr["c_s"], nr["c_runs"] = med, len(times)
            nr["c_reached"] = int(np.isfinite(res).sum())
            nr["c_targets"] = len(res)
            d_rows[key] = [g.stop_to_stop(a, b_) for a, b_ in s.pairs]
            nr["probe"] = g.probes()
            results[key] = nr
            del g, tt

    # ---- agreement
    agree = []
    for (ea, ma), (eb, mb) in COMPARISONS:
        for n in sorted(args.sizes, reverse=True):
            if (ea, ma, n) in arrays and (eb, mb, n) in arrays:
                stats = diff_stats(arrays[(ea, ma, n)], arrays[(eb, mb, n)])
                agree.append(((ea, ma), (eb, mb), n, stats))
                break
    if "ferrobus" in d_rows:
        fb_d = np.array([r[0] for r in d_rows["ferrobus"]])
        fr_d = np.array([r[1] for r in d_rows["ferrobus"]])
        agree.append((("ferrobus", "d_route"), ("ferrobus", "d_o2m"), 0, diff_stats(fr_d, fb_d)))
        for lk in NIGIRI_LINKS:
            if f"pynigiri-{lk}" in d_rows:
                ng_d = np.array(d_rows[f"pynigiri-{lk}"])
                agree.append(
                    (("ferrobus", "d_o2m"), (f"pynigiri-{lk}", "d"), 0, diff_stats(fb_d, ng_d))
                )
    results["agree"] = agree
    results["d_rows"] = d_rows
    results["b"] = b
    if not args.skip_install_facts:
        log("e) install facts (pip download per CPython version and platform)")
        results["install"] = install_facts({"ferrobus": "0.2.1", "pynigiri": "0.1.5"})
    tmp.cleanup()
    return results


# --------------------------------------------------------------------------------------
# the report


def fmt_s(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    if x < 0.001:
        return f"{x * 1e6:.0f} us"
    if x < 1:
        return f"{x * 1e3:.1f} ms"
    return f"{x:.2f} s"


def fmt_min(x: float) -> str:
    return f"{x:.1f}" if np.isfinite(x) else "none"


def fmt_diff(d: dict[str, Any]) -> str:
    cover = f"{d['both']} of {d['cells']} have both; only a: {d['only_a']}, only b: {d['only_b']}"
    if "median" not in d:
        return cover
    return (
        f"median {d['median']:.1f}, p90 {d['p90']:.1f}, max {d['max']:.0f}; "
        f"{100 * d['within_1']:.0f}% within 1 min, a longer by more in "
        f"{100 * d['a_longer']:.0f}%, b in {100 * d['b_longer']:.0f}% ({cover})"
    )


def render(res: dict[str, Any], cmd: str) -> str:
    m = res["machine"]
    cols = [k for k in ("ferrobus", *(f"pynigiri-{lk}" for lk in NIGIRI_LINKS)) if k in res]
    head = {"ferrobus": f"ferrobus {res['versions']['ferrobus']}"}
    for lk in NIGIRI_LINKS:
        dflt = ", the default" if lk == 100 else ""
        head[f"pynigiri-{lk}"] = f"pynigiri {res['versions']['pynigiri']} (links <= {lk} m{dflt})"
    short = {"ferrobus": "ferrobus", **{f"pynigiri-{lk}": f"pynigiri-{lk}m" for lk in NIGIRI_LINKS}}
    sample = res["sample"]
    lines = [
        "# Public-transport engines: ferrobus and pynigiri on the sample",
        "",
        f"Written by `benchmarks/transit_engines.py` ({cmd}). Timings are medians of",
        "repeated runs (`time.perf_counter`) unless a row says otherwise; the machine may have",
        "been busy with other work (the load average says how busy). Neither engine is a",
        "dependency of bereik: they ran in a scratch venv.",
        "",
        f"- machine: {m['arch']}, {m['cores']} cores, {m['cpu']}; Python {m['python']}",
        f"- date: {m['date']}; load average at start {m['load']}",
        f"- OSM: `{sample['osm']}`; GTFS: `{sample['gtfs']}` ({sample['stops']} stops, "
        f"{sample['platform_stops']} without the stations, {sample['stops_in_bbox']} of those "
        f"in the origin box), service day {DAY.isoformat()} (a Thursday, 739 trips), "
        f"times in {sample['tz']}",
        f"- origins: N seeded uniform random points in {BBOX[0]}-{BBOX[1]} E, "
        f"{BBOX[2]}-{BBOX[3]} N; facilities: 20 seeded random stops in the same box; "
        f"departures: every minute 07:00-09:00 ({len(MINUTES)}); at most {MAX_TRANSFERS} "
        "transfers in both engines; times in minutes, waiting at the origin included",
        "- ferrobus: `create_transit_model(pbf, [gtfs_dir], date, 1200)`; origins, "
        "facilities and stops become `create_transit_point(lat, lon, model, 1200, 10)`; "
        "it walks on its own graph from the pbf (access, egress, transfers up to 1200 s)",
        "- pynigiri: `load_timetable([TimetableSource('vrn', gtfs_dir, LoaderConfig)], day, "
        f"day + 2)`; origins enter as INTERMODAL start offsets to their {NEAREST_STOPS} "
        f"nearest stops, the facilities as INTERMODAL destination offsets to their "
        f"{NEAREST_STOPS} nearest stops (straight line x {DETOUR} at 5 km/h, whole minutes); "
        "the straight-line walk to the nearest facility caps every time, because pynigiri "
        "returns no walk-only journey. `LoaderConfig.link_stop_distance` is how close two "
        "stops must be to get a footpath (transfer) between them: 100 m is the default, "
        "1000 m comes closer to ferrobus's 1200 s of walking",
    ]
    for k, why in res["skipped"].items():
        lines.append(f"- **{k} skipped**: {why}")
    lines += ["", "## Loading and single queries", ""]
    lines.append("| | " + " | ".join(head[c] for c in cols) + " |")
    lines.append("|---|" + "---|" * len(cols))

    def row(label: str, fn: Callable[[dict[str, Any]], str]) -> None:
        cells = []
        for c in cols:
            try:
                cells.append(fn(res[c]))
            except (KeyError, TypeError, IndexError):
                cells.append("-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    n_max = max(res["sizes"])
    row("a) load / model build", lambda r: f"{fmt_s(r['build_s'])} (median of {r['build_runs']})")
    row(
        "a) peak RSS of a child that imports the engine, before -> after the build",
        lambda r: (
            f"{r['memory']['before_mb']:.0f} -> {r['memory']['after_mb']:.0f} MB "
            f"(+{r['memory']['after_mb'] - r['memory']['before_mb']:.0f})"
        ),
    )
    row(
        "what was built (the engine's own counts)",
        lambda r: (
            f"`{r['model']}`"
            if "model" in r
            else f"{r['tt'][0]} locations, {r['tt'][1]} routes, {r['tt'][2]} transports"
        ),
    )
    row(
        f"b) setup for N={n_max} (not in the b) times)",
        lambda r: (
            f"{fmt_s(r['points_s'])}: transit points for {n_max} origins + 20 "
            f"facilities ({r['points_failed'][0]} failed; {r['no_stops']} origins have no stop "
            "within 1200 s)"
            if "points_s" in r
            else f"{fmt_s(r['offsets_s'])}: offsets for {n_max} origins (numpy); "
            f"{r['dest_offsets']} destination offsets"
        ),
    )
    row(
        "c) one origin to all stops at 08:00",
        lambda r: (
            f"{fmt_s(r['c_s'])} (median of {r['c_runs']}), {r['c_reached']} of "
            f"{r['c_targets']} stops reached: "
            + (
                "one `find_routes_one_to_many` call"
                if "points_s" in r
                else f"one query per stop ({fmt_s(r['c_s'] / r['c_targets'])} each): "
                "nothing one-to-many is bound"
            )
        ),
    )
    row(
        "`travel_time_matrix`, 200 x 200 origins at 08:00",
        lambda r: f"{fmt_s(r['ttm200_s'])} (median of 5)",
    )
    lines += ["", "## b) Nearest of 20 facilities from N origins, every minute 07:00-09:00", ""]
    lines.append("| engine | method | N | time | how measured |")
    lines.append("|---|---|---|---|---|")
    best: dict[int, tuple[float, str]] = {}
    for (eng, n), methods in res["b"].items():
        family = "ferrobus" if eng == "ferrobus" else "pynigiri"
        for meth, r in methods.items():
            label = B_METHODS[family][meth]
            how = r["how"] + (f", median of {r['runs']}" if r["runs"] > 1 else "")
            lines.append(f"| {head[eng]} | {label} | {n} | {fmt_s(r['seconds'])} | {how} |")
            if r["seconds"] < best.get(n, (INF, ""))[0]:
                best[n] = (r["seconds"], f"{head[eng]}, {label}")
    lines.append("")
    for n, (sec, what) in sorted(best.items()):
        lines.append(f"- fastest at N={n}: {what}: {fmt_s(sec)}")
    for c in cols:
        for n, cnt in res[c].get("no_journey", {}).items():
            lines.append(
                f"- {head[c]}: {cnt} of {n} origins got no journey at all from the range "
                "query (walking wins: their time is the straight-line walk)"
            )
    lines += ["", "## Agreement (absolute differences in minutes)", ""]
    lines.append("| a | b | cells | result |")
    lines.append("|---|---|---|---|")
    for (ea, ma), (eb, mb), n, d in res["agree"]:
        if n:
            fam_a = "ferrobus" if ea == "ferrobus" else "pynigiri"
            fam_b = "ferrobus" if eb == "ferrobus" else "pynigiri"
            la = f"{short[ea]}: {B_METHODS[fam_a][ma].split(',')[0]}"
            lb = f"{short[eb]}: {B_METHODS[fam_b][mb].split(',')[0]}"
            cells = f"b), N={n} x {len(MINUTES)} departures"
        else:
            names = {"d_route": "`find_route`", "d_o2m": "`find_routes_one_to_many`", "d": ""}
            la = f"{short[ea]} {names[ma]}".strip()
            lb = f"{short[eb]} {names[mb]}".strip()
            cells = f"d), {d['cells']} stop pairs at 08:00"
        lines.append(f"| {la} | {lb} | {cells} | {fmt_diff(d)} |")
    d_rows = res["d_rows"]
    if len(d_rows) > 1:
        lines += ["", "## d) The stop pairs (minutes from 08:00, waiting included)", ""]
        ng = [k for k in d_rows if k.startswith("pynigiri-")]
        hdr = ["from", "to", "km"]
        if "ferrobus" in d_rows:
            hdr += ["ferrobus one-to-many", "ferrobus `find_route`", "ferrobus notes"]
        hdr += [short[k] for k in ng]
        lines.append("| " + " | ".join(hdr) + " |")
        lines.append("|" + "---|" * len(hdr))
        for i, (na, nb, dist) in enumerate(d_rows["pair"]):
            cells = [na, nb, f"{dist / 1000:.1f}"]
            if "ferrobus" in d_rows:
                o2m, route, used, same = d_rows["ferrobus"][i]
                notes = []
                if np.isfinite(o2m) and not used:
                    notes.append("walk only")
                if same:
                    notes.append("a 'transit' leg from a stop to itself")
                cells += [fmt_min(o2m), fmt_min(route), ", ".join(notes)]
            cells += [fmt_min(d_rows[k][i]) for k in ng]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(
            "`none`: no journey. ferrobus's times start at a transit point on the stop's "
            "coordinates (a few seconds of walking to the stop itself); pynigiri starts at "
            "the stop (EXACT match)."
        )
    if "install" in res:
        lines += render_install(res["install"], m["arch"])
    lines += ["", "## What we found", ""]
    lines += findings(res, head)
    lines.append("")
    return "\n".join(lines)


def render_install(inst: dict[str, Any], arch: str) -> list[str]:
    pk = [p for p in ("ferrobus", "pynigiri") if p in inst]
    lines = ["", "## e) Install facts (pip)", ""]
    lines.append(
        "`pip download --no-deps --only-binary=:all: --python-version X [--platform P] "
        "-d DIR pkg==version` per row; `pip show` for the licence."
    )
    lines.append("")
    lines.append("| | " + " | ".join(f"{p} {inst[p]['version']}" for p in pk) + " |")
    lines.append("|---|" + "---|" * len(pk))
    for py in inst["pythons"]:
        cells = [_wheel_cell(inst[p]["wheels"][py]) for p in pk]
        lines.append(f"| CPython {py}, {arch} Linux | " + " | ".join(cells) + " |")
    for plat in inst["platforms"]:
        cells = [_wheel_cell(inst[p]["platform_wheels"][plat]) for p in pk]
        lines.append(f"| CPython 3.11, `{plat}` | " + " | ".join(cells) + " |")
    for label, field in (
        ("source distribution (`--no-binary`)", "sdist"),
        ("licence (`pip show`)", "license"),
        ("Requires-Python", "requires_python"),
        ("versions on the index (`pip index versions`)", "index_versions"),
    ):
        lines.append(f"| {label} | " + " | ".join(str(inst[p][field]) for p in pk) + " |")
    lines.append("| last release date | " + " | ".join("not shown by pip" for _ in pk) + " |")
    return lines


def _wheel_cell(v: str) -> str:
    if v.endswith(".whl"):
        return f"yes (`{v[:-4].rsplit('-', maxsplit=1)[-1]}`)"
    return "no wheel" if v == "none" else f"? ({v})"


def findings(res: dict[str, Any], head: dict[str, str]) -> list[str]:
    out = []
    fb = res.get("ferrobus")
    if fb:
        for w in fb["warnings"]:
            out.append(f'- ferrobus, model build, on stderr: "{w}"')
        p = fb["probe"]
        if "panic_text" in p:
            out.append(
                "- ferrobus: `range_multimodal_routing(model, origin, target, (7*3600, 9*3600), "
                f"3)` to a point with no stop within walking distance (lat, lon {p['target']}: "
                "`nearest_stops() == []`) returns a result whose `travel_times()` is "
                f"`{p['travel_times']}`; its `median_travel_time()` raises "
                f"`{p['panic_type']}: {p['panic_text']}`"
                + (f" (Rust panic at `{p['panic_where']}`)" if "panic_where" in p else "")
                + ". PanicException derives from BaseException, so `except Exception` does "
                "not catch it"
                + ("" if not p["panic_is_exception"] else " (here it did: check the version)")
            )
        elif "median" in p:
            out.append(f"- ferrobus: the empty-range probe returned median {p['median']}: no panic")
        if "create_error" in p:
            out.append(
                "- ferrobus: `create_transit_point` away from the street network (lat, lon "
                f'{p["create_error_at"]}) raises ValueError: "{p["create_error"]}"'
            )
        ns, nbad, err = fb["stop_points"]
        if nbad:
            out.append(
                f"- ferrobus: {nbad} of {ns + nbad} GTFS stops (stations left out) could not "
                f'become transit points ("{err}"): they lie outside the extract; c) targets '
                f"the other {ns}"
            )
        if fb.get("no_stops"):
            out.append(
                f"- ferrobus: {fb['no_stops']} of the {max(res['sizes'])} random origins have "
                "no stop within 1200 s of walking (`nearest_stops() == []`)"
                + "".join(
                    f"; at N={n}, {cnt} origins get None for every departure (`{meth}`)"
                    for n, (cnt, meth) in sorted(fb.get("all_none", {}).items())
                )
                + "; pynigiri's offsets reach the 5 nearest stops at any distance, so the "
                "agreement table compares only cells where both have a time"
            )
        out.append(
            "- ferrobus has no range (profile) call from one origin to many targets: b) is "
            "one range call per origin-facility pair, or a point query per departure "
            "(`find_routes_one_to_many`, `travel_time_matrix`)"
        )
        out.append(
            "- ferrobus's pairwise calls (`find_route`, `range_multimodal_routing`, "
            "`detailed_journey`) are not its one-to-many calls: its docstring says "
            "`find_route` prunes aggressively and scans fewer egress stops than "
            "`find_routes_one_to_many`; the agreement table shows how often and by how much "
            "they differ here"
        )
        same = sum(r[3] for r in res["d_rows"].get("ferrobus", []))
        if same:
            out.append(
                f"- ferrobus: for {same} of the d) pairs `detailed_journey` has a leg of type "
                "'transit' that boards and alights at the same stop (0 s), between walks"
            )
    for key in [k for k in res if k.startswith("pynigiri-")][:1]:
        p = res[key]["probe"]
        out.append(
            "- pynigiri: `Query.start_time` takes unix MINUTES (an int): 08:00 in minutes "
            f"gives the probe pair {p['minutes']} journey(s), the same instant in seconds "
            f"{p['seconds']}; `Journey` times and `travel_time()` are minutes too"
        )
        out.append(
            "- pynigiri: assigning a `TimeInterval` to `Query.start_time` raises "
            f"`{p['assign_TimeInterval']}`; assigning a datetime raises the same kind of "
            "error"
        )
        out.append(
            "- pynigiri: a range (profile) query works all the same: assign a tuple of two "
            "ints, `q.start_time = (from_min, to_min)` (the setter takes an int or a tuple; "
            "the package's QUICKREF.md documents it); it reads back as the tuple "
            f"({p['tuple_readback']}), the probe pair gets {p['tuple_journeys']} journeys over "
            "07:00-09:00, and the agreement table compares it with a point query per minute"
        )
        out.append(
            "- pynigiri: INTERMODAL start and destination offsets work; `Offset(loc, d)` takes "
            f"minutes (5 more at the destination moved the arrival by {p['offset_shift']:.0f} "
            "min)"
        )
        out.append(
            "- pynigiri returns no walk-only journey: start and destination offsets at the "
            f"same stop give {p['walk_only_journeys']} journeys, and when walking (offsets "
            "and footpaths) reaches the destination first the answer is empty, so the caller "
            "adds the walk"
        )
        out.append(
            f"- pynigiri: the module says `__version__ = {p['module_version']!r}`; the "
            f"installed distribution is {res[key]['version']}"
        )
        out.append(
            "- pynigiri binds no one-to-many or one-to-all search (`route` answers one "
            "query: one start set, one destination set), so c) is a query per stop"
        )
        out.append("- pynigiri: the loader logs every step on stderr (the script discards it)")
    if "install" in res:
        inst = res["install"]
        for pkg in ("ferrobus", "pynigiri"):
            if pkg in inst:
                have = [py for py, w in inst[pkg]["wheels"].items() if w.endswith(".whl")]
                out.append(
                    f"- {pkg} {inst[pkg]['version']}: wheels for CPython "
                    f"{', '.join(have) or 'none'} on Linux {res['machine']['arch']}; "
                    f"source distribution: {inst[pkg]['sdist']}"
                )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-transit-engines.md")
    ap.add_argument("--osm", type=Path, default=OSM)
    ap.add_argument("--gtfs", type=Path, default=GTFS)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--facilities", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5, help="repeats of a) loads")
    ap.add_argument("--c-repeats", type=int, default=5, help="repeats of c)")
    ap.add_argument("--skip-install-facts", action="store_true", help="no pip downloads")
    ap.add_argument("--child-memory", nargs=4, metavar=("ENGINE", "GTFS", "OSM", "LINK"))
    args = ap.parse_args()
    if args.child_memory:
        eng, gdir, osm, link = args.child_memory
        child_memory(eng, gdir, osm, int(link))
        return
    args.osm = args.osm.resolve()
    t0 = time.perf_counter()
    res = run(args)
    cmd = "`/tmp/tv/bin/python benchmarks/transit_engines.py " + " ".join(
        a if not a.startswith("/") else Path(a).name for a in sys.argv[1:]
    )
    cmd = cmd.rstrip() + "`"
    text = render(res, cmd)
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    log(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    print(text)


if __name__ == "__main__":
    main()
