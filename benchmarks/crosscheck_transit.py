"""Cross-check bereik's public transport against Valhalla's multimodal routes, and itself.

    .venv/bin/python benchmarks/crosscheck_transit.py [--pairs 100] [--seed N] [--no-doc]
    .venv/bin/python benchmarks/crosscheck_transit.py --bereik-ref HEAD   # as committed

One run, on the Heidelberg extract and the VRN feed cut of 2022-09-01 (a Thursday):

1. bereik's walk network of ``data/samples/heidelberg-2024-09-08.osm.pbf`` and a
   :class:`accessibility.transit.model.TransitModel` of the connections from 06:00 to 12:00.
2. ``--pairs`` seeded random origin/destination pairs in 8.64-8.72 E, 49.38-49.42 N, at least
   1 km apart (straight line), both within 500 m of the walk network.
3. Departing at 08:00: bereik's door-to-door time per pair (the destination as the only
   facility, one departure) and Valhalla's (``benchmarks/valhalla_transit.py`` in the peers'
   Python 3.12 venv, as a subprocess) with bereik's walking speed and limits as far as
   Valhalla has them (``walking_speed``; ``transit_start_end_max_distance`` and
   ``transit_transfer_max_distance``, bereik's minutes as metres at that speed). The pairs
   Valhalla cannot answer although bereik rides within its limits are asked again with a
   30 % looser walk limit, to see what stopped it. Without ``.venv-peers`` (or with
   ``--no-valhalla``) Valhalla is skipped with the reason.
4. A brute-force self-check: for the first 30 pairs and departures 08:00-08:56 every 7
   minutes, bereik's times against a forward earliest-arrival scan
   (:func:`accessibility.transit.csa.earliest_arrival`) from the stops within the walk limit
   of the origin (walk network times) plus the walk from each stop to the destination, or
   the walk all the way.
5. Every pair's trip is rebuilt by a forward scan with parents (vehicles, stops, walks), for
   the table of the worst pairs and to measure the walks of bereik's trips; rounds of a
   forward scan count the fewest vehicles a trip arriving as early needs; the walks to the
   destinations through a neighbouring stop are counted; a toy timetable and every stop's
   arrival from every origin check ``earliest_arrival``/``latest_departure`` after a change
   walk.

It prints the report and writes it as the section "Public transport (transit) against
Valhalla multimodal" of ``docs/crosscheck.md`` (between ``crosscheck:transit`` markers,
appended the first time, replaced later; ``--no-doc`` only prints). Raw figures go to
``benchmarks/.work/crosscheck-transit/results.json``. About 15 seconds on 2 cores with
Valhalla's tiles cached (their first build adds about 20 seconds).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "crosscheck-transit"
#: the tiles cache of valhalla_transit.py (shared with its own runs)
VALHALLA_WORK = ROOT / "benchmarks" / ".work" / "valhalla-transit"
VALHALLA_SCRIPT = ROOT / "benchmarks" / "valhalla_transit.py"
PEERS_PY = Path(os.environ.get("BEREIK_PEERS_PYTHON", ROOT / ".venv-peers" / "bin" / "python"))
DOC = ROOT / "docs" / "crosscheck.md"
PBF = ROOT / "data" / "samples" / "heidelberg-2024-09-08.osm.pbf"
#: the VRN cut (the repository's copy, else the project's shared data folder; the same file)
GTFS_NAME = "vrn-rhein-neckar-2022-cut.gtfs.zip"
GTFS = next((p for p in (ROOT / "data" / "samples" / GTFS_NAME,
                         Path("/work/shared/data/gtfs") / GTFS_NAME) if p.exists()),
            ROOT / "data" / "samples" / GTFS_NAME)  # fmt: skip
DATE = dt.date(2022, 9, 1)
READ_S = (6 * 3600, 12 * 3600)
DEPART_S = 8 * 3600
BOX = (8.64, 49.38, 8.72, 49.42)  # lon0, lat0, lon1, lat1
MIN_APART_M = 1000.0
SEED = 20220901
SELF_PAIRS = 30
SELF_STEP_S = 7 * 60
SELF_WINDOW_MIN = 60
#: seconds within which two times are the same trip
TOL_S = 1e-6
WORST = 8
WORST_RIDE = 5
#: the walk limit of the second Valhalla request, for the pairs it could not answer
LOOSER = 1.3
#: Valhalla found nothing, bereik rides with a last walk over its limit
OVER = "bereik's last walk over the limit"
TITLE = "Public transport (transit) against Valhalla multimodal"
START, END = "<!-- crosscheck:transit:start -->", "<!-- crosscheck:transit:end -->"
STATE: dict = {"code": "unknown"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _haversine_m(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)  # fmt: skip
    return 2 * 6_371_000 * np.arcsin(np.sqrt(a))


def _clock(s: float) -> str:
    s = round(s)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# =========================================================================================
# bereik
# =========================================================================================
def build() -> dict:
    """The walk network, the timetable and the transit model (one departure at 08:00)."""
    from accessibility.crs import choose_metric_crs
    from accessibility.network import build_network, project_osm
    from accessibility.osm import read_osm
    from accessibility.profiles import load_profiles
    from accessibility.transit.feed import read_feeds
    from accessibility.transit.model import TransitModel, TransitSettings

    t0 = time.perf_counter()
    osm = read_osm(PBF, poi_keys=())
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    profile = load_profiles().check("walk")
    walk = build_network(osm, profile, crs=crs, xy=project_osm(osm, crs))
    t1 = time.perf_counter()
    tt = read_feeds([GTFS], DATE, start_s=READ_S[0], end_s=READ_S[1])
    t2 = time.perf_counter()
    model = TransitModel.build(tt, walk, TransitSettings(window_min=1, step_s=60))
    t3 = time.perf_counter()
    log(f"walk network {len(walk.node_x):,} nodes ({t1 - t0:.1f} s), {tt.n_stops} stops, "
        f"{tt.n_connections:,} connections ({t2 - t1:.1f} s), model ({t3 - t2:.1f} s)")  # fmt: skip
    return {"walk": walk, "timetable": tt, "model": model, "profile": profile,
            "seconds": {"walk_network": t1 - t0, "feed": t2 - t1, "model": t3 - t2}}  # fmt: skip


def pick_pairs(walk, n: int, seed: int) -> dict:
    """Seeded random pairs in the box, both ends within 500 m of the walk network."""
    from accessibility.snapping import locate, snapped_lonlat

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = BOX
    ends: list[np.ndarray] = []
    drawn = 0
    while len(ends) < n:
        pts = rng.uniform((x0, y0), (x1, y1), size=(8 * n, 2))
        drawn += len(pts)
        ok = locate(walk, pts[:, 0], pts[:, 1], what="point", require=False).ok
        a, b = pts[0::2], pts[1::2]
        keep = ok[0::2] & ok[1::2] & (_haversine_m(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
                                      >= MIN_APART_M)  # fmt: skip
        ends += [np.r_[a[i], b[i]] for i in np.flatnonzero(keep)[: n - len(ends)]]
    o_lon, o_lat, d_lon, d_lat = np.array(ends).T
    o_snap = locate(walk, o_lon, o_lat, what="origin")
    d_snap = locate(walk, d_lon, d_lat, what="destination")
    return {"o_lon": o_lon, "o_lat": o_lat, "d_lon": d_lon, "d_lat": d_lat,
            "o_snap": o_snap, "d_snap": d_snap,
            "o_on": snapped_lonlat(walk, o_snap), "d_on": snapped_lonlat(walk, d_snap),
            "apart_m": _haversine_m(o_lon, o_lat, d_lon, d_lat), "drawn": drawn}  # fmt: skip


def _one(pairs: dict, i: int) -> tuple:
    return tuple(pairs[k][i : i + 1] for k in ("o_lon", "o_lat", "d_lon", "d_lat"))


def bereik_times(model, pairs: dict) -> list[dict]:
    """Per pair: bereik's time departing at 08:00, its vehicles and walking."""
    out = []
    for i in range(len(pairs["o_lon"])):
        res = model.times_to_nearest(*_one(pairs, i), start_s=DEPART_S)
        t = float(res.by_departure_s[0, 0])
        fin = math.isfinite(t)
        ride = bool(fin and res.uses_transit[0])
        out.append({"time_s": t if fin else None,
                    "rides": int(res.transfers[0]) + 1 if ride else 0,
                    "walk_s": float(res.walk_s[0]) if fin else None,
                    "transit": ride, "reason": res.reason[0]})  # fmt: skip
    return out


def walk_tables(model, pairs: dict) -> dict:
    """Walk network seconds, from searches of their own: origin -> stop and stop ->
    destination within the walk limit, and origin -> destination."""
    from accessibility.routing import router_for

    st = model.settings
    n_s = model.timetable.n_stops
    n = len(pairs["o_lon"])
    router = router_for(model.walk, [model.stop_snap, pairs["o_snap"], pairs["d_snap"]])
    s_nodes = router.nodes(0, n_s)
    o_nodes, d_nodes = router.nodes(1, n), router.nodes(2, n)
    ok = np.flatnonzero(model.stop_snap.ok)
    lim = st.max_walk_min * 60
    access = np.full((n, n_s), np.inf)
    access[:, ok] = router.one_to_many(o_nodes, s_nodes[ok], weight="travel_time_s", limit=lim)
    egress = np.full((n_s, n), np.inf)
    egress[ok] = router.one_to_many(s_nodes[ok], d_nodes, weight="travel_time_s", limit=lim)
    direct = np.diag(router.one_to_many(o_nodes, d_nodes, weight="travel_time_s"))
    access[access > lim] = np.inf
    egress[egress > lim] = np.inf
    return {"access": access, "egress": egress.T.copy(), "direct": direct}


def _judge(b: float, t: float, d: float, max_trip: float) -> str:
    """How bereik's time ``b`` relates to a scan's transit time ``t`` and the walk ``d``."""
    if not math.isfinite(b):
        return "none" if not math.isfinite(t) else "miss"
    if math.isfinite(t) and abs(b - t) <= TOL_S:
        return "transit"
    if abs(b - d) <= TOL_S and d <= t + TOL_S and d <= max_trip:
        return "walk"
    return "miss"


def self_check(model, pairs: dict, walks: dict, k: int) -> dict:
    """bereik's times over 08:00-08:56 (every 7 min) against two forward scans.

    Per trip: a scan's time by transit ``T`` and the walk all the way ``D``; bereik's time
    must be ``T``, or ``D`` where ``D <= T`` (how long a walk-only trip may be is the model's
    rule: the longest walk taken and the shortest faster walk left out are reported), or
    nothing where ``T`` is nothing. ``T`` counts only stops reached by a vehicle (a walk to a
    stop and on to the destination is a walk, not a trip by transit). The scans:
    :func:`accessibility.transit.csa.earliest_arrival` (``vehicle_only`` where it has it,
    else its stops reached with at least one vehicle; the others are judged by ``D``, which
    is shorter) and :func:`trace` (a scan of its own that keeps the parents).
    """
    import inspect

    from accessibility.transit.csa import earliest_arrival

    vehicle_only = "vehicle_only" in inspect.signature(earliest_arrival).parameters
    extra = {"vehicle_only": True} if vehicle_only else {}
    st = dataclasses.replace(model.settings, window_min=SELF_WINDOW_MIN, step_s=SELF_STEP_S)
    m2 = dataclasses.replace(model, settings=st)
    deps = st.departures(DEPART_S)
    max_trip = st.max_trip_min * 60
    out = {name: {"transit": 0, "walk": 0, "none": 0, "miss": 0, "max_abs_diff_s": 0.0,
                  "mismatches": []} for name in ("csa", "trace")}  # fmt: skip
    walk_taken, walk_left = 0.0, math.inf
    for i in range(k):
        got = m2.times_to_nearest(*_one(pairs, i), start_s=DEPART_S).by_departure_s[0]
        d = float(walks["direct"][i])
        for j, dep in enumerate(deps):
            arr, rides = earliest_arrival(model.conns, model.footpaths,
                                          dep + walks["access"][i], until=dep + max_trip,
                                          **extra)  # fmt: skip
            if not vehicle_only:
                arr = np.where(rides > 0, arr, np.inf)
            t_csa = float(np.min(arr + walks["egress"][i])) - dep
            t_trace = trace(model, walks, i, dep)["time_s"]
            b = float(got[j])
            for name, scan in (("csa", t_csa), ("trace", t_trace)):
                t = scan if scan is not None and scan <= max_trip else math.inf
                verdict = _judge(b, t, d, max_trip)
                o = out[name]
                o[verdict] += 1
                if verdict == "miss":
                    o["mismatches"].append(_miss(i, dep, b, t, d))
                elif verdict != "none":
                    o["max_abs_diff_s"] = max(
                        o["max_abs_diff_s"], abs(b - (t if verdict == "transit" else d))
                    )
                if name == "trace":
                    if verdict == "walk":
                        walk_taken = max(walk_taken, d)
                    elif d <= max_trip and d < t - TOL_S:
                        walk_left = min(walk_left, d)
    return {"pairs": k, "departures": [_clock(d)[:5] for d in deps], "cells": k * len(deps),
            "vehicle_only": vehicle_only, "csa": out["csa"], "trace": out["trace"],
            "longest_walk_taken_s": walk_taken or None,
            "shortest_faster_walk_left_s": walk_left if walk_left < math.inf else None,
            "change_walk_toy": change_walk_toy()}  # fmt: skip


def _miss(i: int, dep: float, b: float, t: float, d: float) -> str:
    return f"pair {i} at {_clock(dep)[:5]}: bereik {b:.1f} s, scan {t:.1f} s, walk {d:.1f} s"


def change_walk_toy() -> dict:
    """A vehicle reaching a stop after a change walk got there first, on a toy timetable.

    Stops 0 (start), u, t, v, goal; walks u-t and t-v of 3 min, none u-v. Vehicle A: 0 at
    07:55 -> u 08:00; B: 0 at 07:56 -> t 08:04; C: v at 08:07:30 -> goal 08:15. The earliest
    arrival from 0 at 07:50 is 08:15 (B, walk t -> v, C). A walk from u reaches t at 08:03,
    before B. The same timetable mirrored for the latest departure to the goal by 08:10.
    """
    from accessibility.transit.csa import (
        Connections,
        Footpaths,
        earliest_arrival,
        latest_departure,
        profiles_to_targets,
    )

    h, m = 3600.0, 60.0
    walks = Footpaths.from_pairs(5, np.array([1, 2, 2, 3]), np.array([2, 1, 3, 2]),
                                 np.full(4, 3 * m))  # fmt: skip

    def conns(dep, arr, fr, to) -> Connections:
        o = np.argsort(dep, kind="stable")
        return Connections(np.array(dep)[o], np.array(arr)[o], np.array(fr)[o],
                           np.array(to)[o], np.arange(3)[o], n_stops=5, n_trips=3)  # fmt: skip

    fwd = conns([7 * h + 55 * m, 7 * h + 56 * m, 8 * h + 7.5 * m],
                [8 * h, 8 * h + 4 * m, 8 * h + 15 * m], [0, 0, 3], [1, 2, 4])  # fmt: skip
    start = np.full(5, np.inf)
    start[0] = 7 * h + 50 * m
    arr, _ = earliest_arrival(fwd, walks, start, until=10 * h)
    goal = np.array([np.inf, np.inf, np.inf, np.inf, 0.0])
    prof = profiles_to_targets(fwd, walks, goal).at(0, start[0])
    back = conns([7 * h + 45 * m, 7 * h + 56 * m, 8 * h],
                 [7 * h + 52.5 * m, 8 * h + 6 * m, 8 * h + 8 * m],
                 [0, 2, 1], [3, 4, 4])  # fmt: skip
    deadline = np.full(5, -np.inf)
    deadline[4] = 8 * h + 10 * m
    late = latest_departure(back, walks, deadline, since=0)
    prof_back = profiles_to_targets(back, walks, goal).at(0, 7 * h + 40 * m)

    def clock(x: float) -> str:
        return _clock(x)[:5] if math.isfinite(x) else "none"

    return {"earliest_arrival": clock(arr[4]), "profile": clock(prof), "want": "08:15",
            "latest_departure": clock(late[0]), "profile_back": clock(prof_back),
            "want_back": "07:45"}  # fmt: skip


def forward_scan(model, start: list[float], dep: float) -> tuple[np.ndarray, list]:
    """Per stop, the earliest arrival by a vehicle (and a change walk after it) from the
    stops' start times, and its parent (first and last connection, alighting stop, walk).

    A forward connection scan of its own: a stop's change walks are tried whenever a vehicle
    reaches it earlier than any vehicle before (not only earlier than a walk got there), so
    a vehicle after a change walk still counts.
    """
    c, st = model.conns, model.settings
    paths = model.footpaths.lists()
    best = list(start)  # on foot or by vehicle: when one can board at the stop
    veh = [math.inf] * c.n_stops  # a vehicle at the stop itself
    ride = [math.inf] * c.n_stops  # a vehicle and a change walk after it
    how: list[tuple | None] = [None] * c.n_stops
    enter: dict[int, int] = {}
    lo = int(np.searchsorted(c.dep, dep))
    hi = int(np.searchsorted(c.dep, dep + st.max_trip_min * 60, side="right"))
    cols = (c.dep[lo:hi].tolist(), c.arr[lo:hi].tolist(), c.from_stop[lo:hi].tolist(),
            c.to_stop[lo:hi].tolist(), c.trip[lo:hi].tolist())  # fmt: skip
    for n, (d, a, f, t, trip) in enumerate(zip(*cols, strict=True)):
        if trip not in enter:
            if best[f] > d:
                continue
            enter[trip] = lo + n
        if a < veh[t]:
            veh[t] = a
            for v, w in paths[t]:
                if a + w < ride[v]:
                    ride[v] = a + w
                    how[v] = (enter[trip], lo + n, t, w)
                best[v] = min(best[v], a + w)
    return np.asarray(ride), how


def stop_arrivals(model, walks: dict, dep: float) -> dict | None:
    """``earliest_arrival(vehicle_only=True)`` (what a transit isochrone or matrix scans)
    against :func:`forward_scan` at every stop, from every origin (None: no such option)."""
    import inspect

    from accessibility.transit.csa import earliest_arrival

    if "vehicle_only" not in inspect.signature(earliest_arrival).parameters:
        return None
    until = dep + model.settings.max_trip_min * 60
    later = missed = reached = beyond_walk = 0
    worst = 0.0
    for acc in walks["access"]:
        start = dep + acc
        got, _ = earliest_arrival(model.conns, model.footpaths, start, until=until,
                                  vehicle_only=True)  # fmt: skip
        want, _ = forward_scan(model, start.tolist(), dep)
        fin = np.isfinite(want)
        reached += int(fin.sum())
        missed += int((fin & ~np.isfinite(got)).sum())
        both = fin & np.isfinite(got)
        late = np.where(both, got - np.where(fin, want, 0.0), 0.0)
        later += int((late > TOL_S).sum())
        beyond_walk += int(((late > TOL_S) & (want < start)).sum())
        late = late[both]
        worst = max(worst, float(late.max()) if late.size else 0.0)
    return {"origins": len(walks["access"]), "stops_reached": reached, "later": later,
            "missed": missed, "max_later_s": worst, "later_not_walked": beyond_walk}  # fmt: skip


def trace(model, walks: dict, i: int, dep: float) -> dict:
    """The fastest trip of pair ``i`` by transit leaving at ``dep`` (time None: none), by
    :func:`forward_scan`, rebuilt from its parents: vehicles, stops, times and walks."""
    tt, c = model.timetable, model.conns
    start = (dep + walks["access"][i]).tolist()
    ride, how = forward_scan(model, start, dep)
    total = ride + walks["egress"][i]
    s = int(np.argmin(total))
    if not math.isfinite(total[s]):
        return {"time_s": None, "rides": 0, "walk_s": None, "last_walk_s": None,
                "last_arrival_s": None, "steps": ["no trip by transit"]}  # fmt: skip
    names = tt.stops["stop_name"].to_numpy()
    line_of = tt.routes["route_short_name"].to_numpy()[tt.trips["route"].to_numpy()]
    egress = float(walks["egress"][i][s])
    last_walk = egress + how[s][3]
    last_arrival = float(c.arr[how[s][1]] - dep)
    steps = [f"walk {egress / 60:.1f} min"]
    walk_s, rides, stop = egress, 0, s
    while True:
        e, x, alight, w = how[stop]
        if w > 0:
            steps.append(f"walk {w / 60:.1f} min to {names[stop]}")
            walk_s += w
        rides += 1
        board, left = _clock(c.dep[e])[:5], _clock(c.arr[x])[:5]
        steps.append(f"{line_of[int(c.trip[e])]} {names[int(c.from_stop[e])]} {board} -> "
                     f"{names[alight]} {left}")  # fmt: skip
        stop = int(c.from_stop[e])
        if start[stop] <= c.dep[e] or how[stop] is None:
            break  # walked from the origin to the stop it boarded at
    walk_s += float(walks["access"][i][stop])
    steps.append(f"walk {walks['access'][i][stop] / 60:.1f} min")
    return {"time_s": float(total[s] - dep), "rides": rides, "walk_s": walk_s,
            "last_walk_s": last_walk, "last_arrival_s": last_arrival,
            "steps": steps[::-1]}  # fmt: skip


def fewest_vehicles(model, walks: dict, i: int, dep: float, arrive_s: float) -> int | None:
    """The fewest vehicles of a trip by transit of pair ``i`` leaving at ``dep`` that takes
    at most ``arrive_s`` (rounds of a forward scan: round r boards where r - 1 vehicles and
    the walks got to; None: none within 6 vehicles)."""
    c, st = model.conns, model.settings
    paths = model.footpaths.lists()
    lo = int(np.searchsorted(c.dep, dep))
    hi = int(np.searchsorted(c.dep, dep + st.max_trip_min * 60, side="right"))
    cols = list(zip(c.dep[lo:hi].tolist(), c.arr[lo:hi].tolist(), c.from_stop[lo:hi].tolist(),
                    c.to_stop[lo:hi].tolist(), c.trip[lo:hi].tolist(), strict=True))  # fmt: skip
    egress = walks["egress"][i]
    board = (dep + walks["access"][i]).tolist()
    by_vehicle = np.full(c.n_stops, np.inf)
    for r in range(1, 7):
        on: set[int] = set()
        new = [math.inf] * c.n_stops
        at = [math.inf] * c.n_stops
        for d, a, f, t, trip in cols:
            if trip not in on:
                if board[f] > d:
                    continue
                on.add(trip)
            if a < at[t]:
                at[t] = a
                for v, w in paths[t]:
                    new[v] = min(new[v], a + w)
        by_vehicle = np.minimum(by_vehicle, new)
        if float(np.min(by_vehicle + egress)) - dep <= arrive_s + TOL_S:
            return r
        board = np.minimum(board, new).tolist()
    return None


def egress_closure(model, walks: dict) -> dict:
    """What the one footpath after the last vehicle does to the walks to the destinations.

    The walk from a stop to the destination through a neighbouring stop (``w + egress[v]``)
    against the direct one on the same network: shorter where the direct walk is finite
    (never, by the triangle inequality), and new where it is beyond the walk limit.
    """
    fp = model.footpaths
    src = np.repeat(np.arange(len(fp.ptr) - 1), np.diff(fp.ptr))
    shorter = extended = finite = 0
    longest = 0.0
    for eg in walks["egress"]:
        closed = eg.copy()
        np.minimum.at(closed, src, fp.seconds + eg[fp.target])
        fin = np.isfinite(eg)
        finite += int(fin.sum())
        shorter += int((closed[fin] < eg[fin] - TOL_S).sum())
        new = ~fin & np.isfinite(closed)
        extended += int(new.sum())
        if new.any():
            longest = max(longest, float(closed[new].max()))
    return {"finite": finite, "shorter": shorter, "extended": extended,
            "longest_s": longest or None}  # fmt: skip


# =========================================================================================
# Valhalla
# =========================================================================================
def valhalla_limits(profile, settings) -> dict:
    """bereik's walking speed and walk limits as Valhalla's pedestrian costing options."""
    m_per_min = profile.speed_kph / 3.6 * 60
    return {
        "walking_speed": profile.speed_kph,
        "transit_start_end_max_distance": round(settings.max_walk_min * m_per_min),
        "transit_transfer_max_distance": round(settings.max_transfer_walk_min * m_per_min),
    }


def run_valhalla(pairs: list[list[float]], options: dict, tag: str) -> dict:
    """Valhalla's answers for ``pairs`` (lon1, lat1, lon2, lat2) with these walk options."""
    if not PEERS_PY.exists():
        return {"skipped": f"no peers' Python at {PEERS_PY} (PYENV_VERSION="
                           "3.12.1 python3 -m venv .venv-peers && .venv-peers/bin/pip install "
                           "pyvalhalla libfaketime)"}  # fmt: skip
    WORK.mkdir(parents=True, exist_ok=True)
    spec = {"pbf": str(PBF), "gtfs": str(GTFS), "workdir": str(VALHALLA_WORK),
            "date_time": f"{DATE.isoformat()}T{_clock(DEPART_S)[:5]}",
            "costing_options": {"pedestrian": options}, "pairs": pairs}  # fmt: skip
    spec_path, out_path = WORK / f"valhalla-{tag}-spec.json", WORK / f"valhalla-{tag}.json"
    spec_path.write_text(json.dumps(spec, indent=1))
    out_path.unlink(missing_ok=True)
    t = time.perf_counter()
    try:
        proc = subprocess.run([str(PEERS_PY), str(VALHALLA_SCRIPT), str(spec_path),
                               str(out_path)], capture_output=True, text=True, timeout=900,
                              check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"skipped": f"valhalla_transit.py did not finish: {exc}"}
    if proc.returncode != 0 or not out_path.exists():
        tail = " | ".join(proc.stderr.strip().splitlines()[-4:])
        return {"skipped": f"valhalla_transit.py failed ({proc.returncode}): {tail}"}
    out = json.loads(out_path.read_text())
    out["wall_seconds"] = time.perf_counter() - t
    return out


def last_alight_s(r: dict) -> float | None:
    """When Valhalla's answer leaves its last vehicle, by the sum of its maneuvers."""
    t, last = 0.0, None
    for s in r.get("steps", []):
        t += s["time_s"]
        if s["mode"] == "transit":
            last = t
    return last


def on_timetable(vh: dict, tt) -> None:
    """Add to each of Valhalla's answers when its last vehicle arrives by the timetable.

    Valhalla's maneuvers leave out some seconds at the stations it boards at: the sum of its
    walks and rides reaches the stop where it leaves its last vehicle before the feed's
    arrival there (asked to leave a minute later, it misses a vehicle its reported walk
    would still catch, so its search did count them). Per answer: ``alight_s`` (by the
    maneuvers), ``alight_tt_s`` (the first arrival of that line at a stop of that name, a
    platform of it included, from ``alight_s`` on) and ``on_timetable_s`` (the time with
    the arrival from the timetable and the walk after it as reported).
    """
    names = tt.stops["stop_name"].to_numpy()[tt.conn_to]
    lines = tt.routes["route_short_name"].to_numpy()[tt.trips["route"].to_numpy()[tt.conn_trip]]
    arr = tt.conn_arr.astype(float) - DEPART_S
    for r in vh.get("pairs", []):
        last = last_alight_s(r)
        r["alight_s"], r["alight_tt_s"], r["on_timetable_s"] = last, None, r["time_s"]
        if r["time_s"] is None or last is None:
            continue
        step = [x for x in r["steps"] if x["mode"] == "transit"][-1]
        to = str(step["to"])
        at = np.array([n == to or n.startswith(to + " ") for n in names])
        hit = (lines == step["line"]) & at & (arr >= last - 1)
        if hit.any():
            t = float(arr[hit].min())
            r["alight_tt_s"] = t
            r["on_timetable_s"] = r["time_s"] + (t - last)


def _longest_walk_m(r: dict) -> float:
    return max((s["length_m"] for s in r.get("steps", []) if s["mode"] == "walk"), default=0.0)


# =========================================================================================
# figures and report
# =========================================================================================
def _stats(d: np.ndarray) -> dict:
    a = np.abs(d)
    return {"n": len(d), "abs_median_min": float(np.median(a)),
            "abs_p90_min": float(np.quantile(a, 0.9)), "signed_median_min": float(np.median(d)),
            "signed_p10_min": float(np.quantile(d, 0.1)),
            "signed_p90_min": float(np.quantile(d, 0.9)),
            "within_2_min": float(np.mean(a <= 2)), "within_5_min": float(np.mean(a <= 5)),
            "bereik_faster": float(np.mean(d < 0)), "bereik_slower": float(np.mean(d > 0)),
            "max_bereik_slower_s": float(max(0.0, 60 * d.max()))}  # fmt: skip


def compare(bereik: list[dict], vh: dict, traces: list[dict], lim: dict, st: dict) -> dict:
    """Differences bereik - Valhalla (minutes) over the pairs both answered, and the rest."""
    n = len(bereik)
    out: dict = {"pairs": n, "bereik_answered": sum(r["time_s"] is not None for r in bereik),
                 "bereik_rides": sum(r["transit"] for r in bereik),
                 "bereik_reasons": dict(Counter(str(r["reason"]) for r in bereik
                                                if r["time_s"] is None)),
                 "bereik_walks": sum(r["time_s"] is not None and not r["transit"]
                                     for r in bereik)}  # fmt: skip
    if "pairs" not in vh:
        return out
    v = vh["pairs"]
    both = [i for i in range(n) if bereik[i]["time_s"] is not None and v[i]["time_s"] is not None]
    out |= {"valhalla_answered": sum(r["time_s"] is not None for r in v), "both": len(both),
            "valhalla_errors": sorted({r["error"] for r in v if r["error"]})}  # fmt: skip
    max_walk = st["max_walk_min"] * 60
    fails: dict[str, list[int]] = {"bereik neither": [], "bereik walks all the way": [],
                                   OVER: [],
                                   "bereik rides within the limits": []}  # fmt: skip
    for i in range(n):
        if v[i]["time_s"] is not None:
            continue
        if bereik[i]["time_s"] is None:
            fails["bereik neither"].append(i)
        elif not bereik[i]["transit"]:
            fails["bereik walks all the way"].append(i)
        elif (traces[i]["last_walk_s"] or 0) > max_walk + TOL_S:
            fails[OVER].append(i)
        else:
            fails["bereik rides within the limits"].append(i)
    out["valhalla_failed"] = fails
    if not both:
        return out
    raw = {i: (bereik[i]["time_s"] - v[i]["time_s"]) / 60 for i in both}
    fixed = {i: (bereik[i]["time_s"] - v[i]["on_timetable_s"]) / 60 for i in both}
    ride = [i for i in both if bereik[i]["transit"] and v[i]["transit_legs"] > 0]
    out["rows"] = [
        ("all pairs both answered, as Valhalla reports", _stats(np.array([raw[i] for i in both]))),
        ("all pairs both answered, Valhalla on its timetable",
         _stats(np.array([fixed[i] for i in both]))),
    ]  # fmt: skip
    if ride and len(ride) < len(both):
        out["rows"] += [
            ("both ride, as Valhalla reports", _stats(np.array([raw[i] for i in ride]))),
            ("both ride, Valhalla on its timetable", _stats(np.array([fixed[i] for i in ride]))),
        ]
    out["ride"] = ride
    out["walk_vs_ride"] = [i for i in both if not bereik[i]["transit"]]
    out["valhalla_walks"] = [i for i in both if v[i]["transit_legs"] == 0]
    lags = [v[i]["alight_tt_s"] - v[i]["alight_s"] for i in ride
            if v[i]["alight_tt_s"] is not None]  # fmt: skip
    out["lag_s"] = {"median": float(np.median(lags)), "min": float(min(lags)),
                    "max": float(max(lags)), "n": len(lags),
                    "matched": len(lags), "of": len(ride)} if lags else None  # fmt: skip
    same_last = [i for i in both if fixed[i] > TOL_S and traces[i]["last_arrival_s"] is not None
                 and v[i]["alight_tt_s"] is not None
                 and abs(traces[i]["last_arrival_s"] - v[i]["alight_tt_s"]) < 1]  # fmt: skip
    out["slower_same_vehicle"] = same_last
    slower = [i for i in both if raw[i] > 0]
    out["slower_raw"] = slower
    out["slower_fixed"] = [i for i in both if fixed[i] > TOL_S]
    out["worst"] = sorted(both, key=lambda i: -abs(raw[i]))[:WORST]
    rest = [i for i in ride if i not in out["worst"]]
    out["worst_ride"] = sorted(rest, key=lambda i: -abs(raw[i]))[:WORST_RIDE]
    vh_long = [i for i in both if _longest_walk_m(v[i]) > lim["transit_start_end_max_distance"]]
    out["valhalla_walk_over_limit"] = vh_long
    return out


def _vh_steps(r: dict) -> str:
    parts = []
    for s in r.get("steps", []):
        if s["mode"] == "walk":
            parts.append(f"walk {s['time_s'] / 60:.1f} min")
        else:
            parts.append(f"{s['line']} {s['from']} -> {s['to']} ({s['time_s'] / 60:.1f} min "
                         "with the wait)")  # fmt: skip
    return "; ".join(parts) if parts else (r.get("error") or "-")


def _machine() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from machine import cpu_name

    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu_name()})"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def _code_state() -> str:
    try:
        head = _git("rev-parse", "--short", "HEAD")
        status = _git("status", "--porcelain", "accessibility").splitlines()
        dirty = [ln.split(maxsplit=1)[-1] for ln in status]
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if not dirty:
        return f"commit {head}"
    return (f"the working tree at commit {head} with uncommitted changes in "
            f"{', '.join(f'`{p}`' for p in dirty)}")  # fmt: skip


def _use_ref(ref: str) -> str:
    """Put ``accessibility/`` as committed at ``ref`` first on the path; its description."""
    sha = _git("rev-parse", "--short", ref)
    dest = WORK / f"bereik-{sha}"
    if not dest.exists():
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha, "accessibility"], cwd=ROOT,
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    sys.path.insert(0, str(dest))
    return f"commit {sha} (`accessibility/` as committed)"


def _row(name: str, s: dict) -> str:
    return (f"| {name} | {s['n']} | {s['abs_median_min']:.1f} | {s['abs_p90_min']:.1f} | "
            f"{s['signed_median_min']:+.1f} | {s['signed_p10_min']:+.1f} / "
            f"{s['signed_p90_min']:+.1f} | {100 * s['within_2_min']:.0f} % | "
            f"{100 * s['within_5_min']:.0f} % | {100 * s['bereik_faster']:.0f} % / "
            f"{100 * s['bereik_slower']:.0f} % |")  # fmt: skip


def _pair_row(i: int, res: dict) -> str:
    b, v, tr = res["bereik"][i], res["valhalla"]["pairs"][i], res["traces"][i]
    vt = v["on_timetable_s"]
    return (f"| {i} | {res['apart_m'][i]:,.0f} | {b['time_s'] / 60:.1f} | "
            f"{v['time_s'] / 60:.1f} ({vt / 60:.1f}) | {(b['time_s'] - v['time_s']) / 60:+.1f} | "
            f"{b['rides']} / {b['walk_s'] / 60:.1f} | {v['transit_legs']} / "
            f"{v['walk_s'] / 60:.1f} | {'; '.join(tr['steps'])} | {_vh_steps(v)} |")  # fmt: skip


def _ids(ix: list[int]) -> str:
    return ", ".join(str(i) for i in ix) if ix else "none"


def render(res: dict) -> str:
    """The markdown section (heading included)."""
    c, sc, vh, lim, st = (res[k] for k in ("compare", "self_check", "valhalla", "limits",
                                           "settings"))  # fmt: skip
    vpairs, ec = vh.get("pairs"), res["egress_closure"]
    max_walk, max_tr = st["max_walk_min"], st["max_transfer_walk_min"]
    over = res["last_walk_over"]
    toy = sc["change_walk_toy"]
    sa = res["stop_arrivals"]
    lines = [f"## {TITLE}", ""]
    lines += [
        f"`benchmarks/crosscheck_transit.py`, run {res['date']} on {res['machine']}; bereik: "
        f"{res['code']}; Python {res['python']}, numpy {res['numpy']}, pandas {res['pandas']}; "
        + (
            f"Valhalla: pyvalhalla {vh['valhalla_version']} (Python 3.12 venv), tiles built by "
            f"`benchmarks/valhalla_transit.py` under a clock at {vh['build_date']}."
            if vpairs is not None
            else f"Valhalla skipped: {vh['skipped']}."
        )
        + f" The whole run took {res['run_seconds']:.0f} s.",
        "",
        "```bash",
        f"{res['command']}  # this section",
        *[
            f"{cmd}  # {what}"
            for cmd, what in (
                (".venv/bin/python benchmarks/crosscheck_transit.py", "the working tree"),
                (
                    ".venv/bin/python benchmarks/crosscheck_transit.py --bereik-ref HEAD",
                    "accessibility/ as committed",
                ),
                (
                    ".venv/bin/python benchmarks/crosscheck_transit.py --pairs 30 --no-doc",
                    "print only",
                ),
            )
            if cmd != res["command"]
        ],
        "```",
        "",
        f"- **Inputs.** `data/samples/heidelberg-2024-09-08.osm.pbf` (bereik's walk network, "
        f"{res['walk_nodes']:,} nodes) and `{GTFS.name}` on {DATE.isoformat()} (a Thursday), "
        f"connections departing 06:00-12:00: {res['n_stops']} stops ({res['stops_off_network']}"
        f" farther than 500 m from the walk network, outside the extract), "
        f"{res['n_connections']:,} connections, {res['n_footpaths']} walks between stops "
        f"(up to {max_tr:g} min)."
        + (
            f" Valhalla's build kept {vh['transit']['departures']:,} departures at "
            f"{vh['transit']['stops']} stops; its converter dropped "
            f"{vh['transit']['stop_pairs_invalid_dates']:,} stop pairs for service dates "
            "outside its 60-day window."
            if vpairs is not None
            else ""
        ),
        f"- **Pairs.** {c['pairs']} seeded (seed {res['seed']}) uniform random origin/"
        f"destination pairs in "
        f"{BOX[0]}-{BOX[2]} E, {BOX[1]}-{BOX[3]} N, at least {MIN_APART_M:,.0f} m apart in a "
        f"straight line (median {res['apart_median_m']:,.0f} m), both within 500 m of the "
        "walk network (the box holds the Königstuhl and Heiligenberg woods, far from any "
        "stop). bereik snaps them itself; Valhalla is sent the points bereik snapped them "
        "to, so both start and end on the same street.",
        f"- **Same limits.** bereik's walk profile walks at {lim['walking_speed']:g} km/h "
        f"(`speed_kph` of `[profiles.walk]` in `accessibility/profiles.toml`: "
        f"{lim['walking_speed'] / 3.6:.3f} m/s; slower only on gravel, mud and sand). bereik: "
        "`TransitSettings(window_min=1, step_s=60)` (one departure, 08:00), the defaults "
        f"otherwise: at most {max_walk:g} min to the first and from the last stop, "
        f"{max_tr:g} min between stops, trips up to {st['max_trip_min']:g} min, a walk all "
        "the way where that is faster (how long such a walk may be is the model's rule; the "
        "self-check below reports it). Valhalla: `costing: multimodal`, `date_time` "
        f"{DATE.isoformat()}T08:00 (depart at), `walking_speed` {lim['walking_speed']:g}, "
        f"`transit_start_end_max_distance` {lim['transit_start_end_max_distance']:,} m "
        f"({max_walk:g} min at that speed; it also bounds a walk all the way), "
        f"`transit_transfer_max_distance` {lim['transit_transfer_max_distance']} m "
        f"({max_tr:g} min), costs equal to time as far as Valhalla allows (`COSTING_OPTIONS` "
        "of `valhalla_transit.py`: pedestrian `mode_factor` 1, neutral way factors, no step "
        "or maneuver penalty; transit `use_bus`/`use_rail`/`use_transfers` 0.5, "
        "`transfer_cost` and `transfer_penalty` 0).",
        "",
        "### bereik against Valhalla, departing 08:00",
        "",
    ]
    if vpairs is None:
        lines += [f"Valhalla skipped: {vh['skipped']}. bereik answered {c['bereik_answered']} "
                  f"of {c['pairs']} pairs ({c['bereik_rides']} by transit, "
                  f"{c['bereik_walks']} on foot).", ""]  # fmt: skip
    else:
        fails = c["valhalla_failed"]
        lines += [
            f"Answered: bereik {c['bereik_answered']} of {c['pairs']} ({c['bereik_rides']} by "
            f"transit, {c['bereik_walks']} walking all the way; without a trip: "
            + ", ".join(f"{k} {v}" for k, v in c["bereik_reasons"].items())
            + "), Valhalla "
            f"{c['valhalla_answered']}, both {c['both']}. Valhalla's errors: "
            f"{'; '.join(c['valhalla_errors']) or 'none'}.",
            "",
        ]
        if c["both"]:
            lines += [
                "| pairs | n | median abs. diff. (min) | p90 abs. diff. (min) | median signed "
                "(min) | p10 / p90 signed (min) | within 2 min | within 5 min | bereik faster"
                " / slower |",
                "|---|---|---|---|---|---|---|---|---|",
                *[_row(name, s) for name, s in c["rows"]],
                "",
                "Signed = bereik - Valhalla. *On its timetable*: Valhalla's time with its last "
                "vehicle arriving when the feed says (see *Valhalla's reported times* below).",
                "",
                f"The {len(c['worst'])} largest differences, and the largest where both ride "
                "(vehicles boarded / minutes walked; Valhalla's time on its timetable in "
                "brackets; bereik's trip rebuilt by a forward scan, Valhalla's from its "
                "maneuvers):",
                "",
                "| pair | apart (m) | bereik (min) | Valhalla (min) | diff. (min) | bereik "
                "vehicles / walk | Valhalla vehicles / walk | bereik's trip | Valhalla's trip |",
                "|---|---|---|---|---|---|---|---|---|",
                *[_pair_row(i, res) for i in c["worst"]],
                "| | | | | | | | *where both ride* | |",
                *[_pair_row(i, res) for i in c["worst_ride"]],
                "",
            ]
        loose = res.get("valhalla_looser") or {}
        lines += [
            f"Valhalla found no trip for {c['pairs'] - c['valhalla_answered']} pairs: "
            + "; ".join(
                f"{k} {len(v)}" + (f" (pairs {_ids(v)})" if 0 < len(v) <= 12 else "")
                for k, v in fails.items()
            )
            + ".",
            "",
        ]
        if loose.get("pairs"):
            rows = loose["pairs"]
            ok = [r for r in rows if r["time_s"] is not None]
            inside = [r for r in ok
                      if _longest_walk_m(r) <= lim["transit_start_end_max_distance"]]  # fmt: skip
            lines += [
                f"Asked again with `transit_start_end_max_distance` "
                f"{loose['limit_m']:,} m ({LOOSER:g} x), Valhalla answers {len(ok)} of these "
                f"{len(rows)}; in {len(inside)} of them every walk of its trip is within "
                f"{lim['transit_start_end_max_distance']:,} m after all (longest walks: "
                + ", ".join(f"{_longest_walk_m(r):,.0f} m" for r in ok)
                + ").",
                "",
            ]
        lines += FINDINGS_HEAD
        lines += _findings(res)
    lines += [
        "### Self-check: bereik's profiles against forward scans",
        "",
        f"For the first {sc['pairs']} pairs at {', '.join(sc['departures'])} ({sc['cells']} "
        "trips), bereik's window (`TransitSettings(window_min=60, step_s=420)`: one backward "
        "profile scan, the origin's stops looked up per departure) against forward scans from "
        f"the stops within {max_walk:g} min of the origin (walk network times from searches "
        "of their own) plus the walk from each stop to the destination (stops reached by a "
        "vehicle only), or the walk all the way where that is faster:",
        "",
        "| forward scan | by transit | on foot | neither | disagree | largest difference |",
        "|---|---|---|---|---|---|",
        *[
            f"| {name} | {sc[key]['transit']} | {sc[key]['walk']} | {sc[key]['none']} | "
            f"**{sc[key]['miss']}** | **{sc[key]['max_abs_diff_s']:.3g} s** |"
            for key, name in (
                (
                    "csa",
                    "`csa.earliest_arrival`" + (" (`vehicle_only`)" if sc["vehicle_only"] else ""),
                ),
                ("trace", "this script's scan with parents"),
            )
        ],
        "",
        *[f"- {m}" for m in (sc["csa"]["mismatches"] + sc["trace"]["mismatches"])[:6]],
        *([""] if sc["csa"]["mismatches"] or sc["trace"]["mismatches"] else []),
        "Walks all the way: the longest bereik counted "
        + (f"{sc['longest_walk_taken_s'] / 60:.1f} min" if sc["longest_walk_taken_s"] else "none")
        + ", the shortest faster one it left out "
        + (
            f"{sc['shortest_faster_walk_left_s'] / 60:.1f} min"
            if sc["shortest_faster_walk_left_s"]
            else "none"
        )
        + f" (the walk limit is {max_walk:g} min). At 08:00 the rebuilt trips arrive when "
        f"bereik says for {res['traces_equal']} of the {res['traces_compared']} pairs it "
        "answers.",
        "",
        "What the forward scans cannot see: both let the walk after the last vehicle run "
        f"through a neighbouring stop (a change walk of up to {max_tr:g} min, then the walk "
        "to the destination), as bereik does. Over the "
        f"{res['n_pairs']} destinations, of the {ec['finite']:,} stop -> destination walks "
        f"within {max_walk:g} min none gets shorter that way ({ec['shorter']}), and "
        f"{ec['extended']:,} walks over {max_walk:g} min become possible"
        + (f" (up to {ec['longest_s'] / 60:.1f} min)" if ec["longest_s"] else "")
        + f"; {len(over)} of this run's trips at 08:00 end with such a walk (pairs "
        f"{_ids(over)}).",
        "",
        "A toy timetable (`change_walk_toy`: a vehicle reaches a stop after a change walk "
        "got there first, and the next change walk starts from that stop) checks the other "
        f"scans of `csa.py`: the earliest arrival is {toy['want']} (the profile scan: "
        f"{toy['profile']}); `earliest_arrival` finds {toy['earliest_arrival']}. The latest "
        f"departure is {toy['want_back']} (the profile scan arrives {toy['profile_back']} "
        f"from it, before the deadline); `latest_departure` finds {toy['latest_departure']}."
        + (
            " Both miss the trip: they try a stop's change walks only when a vehicle reaches "
            "it earlier (backwards: leaves it later) than the stop's best time so far, and a "
            "change walk sets that time too (`if a < best[t] ...`, `if d > best[f] ...`), so "
            "a vehicle that comes after a change walk reached the stop never starts one "
            "itself. A bereik bug in these two functions: the model's figures come from the "
            "profile scan, which is right, but "
            + (
                "`accessibility/transit/requests.py` (transit isochrones and matrices) and "
                if res["has_requests"]
                else ""
            )
            + "the tests' oracle use them"
            + (
                "; none of the self-check's trips met it"
                if sc["csa"]["miss"] == 0
                else "; see the disagreements above"
            )
            + (
                f". On the real feed, from the {sa['origins']} origins at 08:00, "
                "`earliest_arrival(vehicle_only=True)` reaches "
                f"{sa['later']} of {sa['stops_reached']:,} stop arrivals later than it could "
                f"(up to {sa['max_later_s'] / 60:.1f} min; {sa['later_not_walked']} of them "
                "at stops the origin's walk does not reach sooner) and misses "
                f"{sa['missed']}."
                if sa
                else "."
            )
            if toy["earliest_arrival"] != toy["want"] or toy["latest_departure"] != toy["want_back"]
            else " Both are right."
        ),
        "",
    ]
    return "\n".join(lines)


FINDINGS_HEAD = ["Why they differ (the worst pairs traced):", ""]


def _findings(res: dict) -> list[str]:
    c, lim, st = res["compare"], res["limits"], res["settings"]
    max_walk, max_tr = st["max_walk_min"], st["max_transfer_walk_min"]
    lag, fails, over, more = c.get("lag_s"), c["valhalla_failed"], res["last_walk_over"], \
        res["more_vehicles"]  # fmt: skip
    out = [
        "- **bereik's walk after the last vehicle can exceed its limit (a bereik bug).** "
        "`profiles_to_targets` closes the walk to the target over one change walk "
        "(`_close` in `accessibility/transit/csa.py`: `egress[s] = min(egress[s], w + "
        "egress[v])`). On one walk network that is never shorter than the direct walk "
        "(triangle inequality; counted in the self-check), so its only effect is to admit a "
        f"last walk of up to {max_walk:g} + {max_tr:g} min where the direct one is over "
        f"{max_walk:g} min and was cut off: the first walk is held to {max_walk:g} min, the "
        f"last to {max_walk + max_tr:g}. In this run {len(over)} trips at 08:00 end so "
        f"(pairs {_ids(over)}); Valhalla, held to {lim['transit_start_end_max_distance']:,} "
        f"m, cannot answer {len(fails[OVER])} of them.",
    ]
    if more:
        shown = [i for i in more if i in c.get("worst", []) + c.get("worst_ride", [])]
        k = (shown or more)[0]
        out.append(
            "- **bereik's vehicles and walking of the fastest trip are not those of the "
            "simplest equally fast trip (a minor bereik bug).** Where several trips arrive "
            "at the same second, `_fastest` in `accessibility/transit/model.py` takes the "
            "first of the origin's stops in stop order (`np.lexsort((val, pairs.origin))`), "
            "not the one with the fewest vehicles (and `csa._insert` keeps a stop's earlier "
            "departure only when it arrives strictly earlier, however many vehicles it "
            f"saves). In {len(more)} of the {c['bereik_rides']} pairs bereik rides, its "
            "`transfers` count more vehicles than a trip arriving as early needs (pairs "
            f"{_ids(more)}; pair {k}: {res['bereik'][k]['rides']} where "
            f"{res['fewest_vehicles'][k]} do"
            + (", as its rebuilt trip in the table shows" if shown else "")
            + "). The times are right; `transfers` and `walk_s` of `transit.csv` are affected."
        )
    out.append(
        "- **What Valhalla searches.** bereik finds the earliest arrival (a connection scan, "
        "exact for its timetable and walks). Valhalla's multimodal route is a label-setting "
        "search on a generalised cost with its A* heuristic off: every edge, a line's edge "
        "between two stops included, is settled once, by whichever trip and walking distance "
        "reached it first. A label that would catch a faster vehicle, or that has walking "
        "left, is then dropped: Valhalla's trips can arrive later than the earliest, with "
        "more vehicles than needed (in the table), and its "
        "walk limit, a resource on that search, bites before the distance is reached (the "
        "pairs asked again above)."
    )
    if c.get("walk_vs_ride") or fails["bereik walks all the way"] or c.get("valhalla_walks"):
        out.append(
            "- **Walks all the way.** bereik counts a walk all the way where it is the "
            "fastest trip; Valhalla's walks are bounded by `transit_start_end_max_distance` "
            f"({lim['transit_start_end_max_distance']:,} m) even without a vehicle. Where "
            f"bereik walks farther ({len(c['walk_vs_ride'])} of the pairs both answer, "
            f"{len(fails['bereik walks all the way'])} that Valhalla cannot) Valhalla has to "
            "ride or gives up."
        )
    else:
        out.append(
            f"- **Walks all the way.** Both hold a walk all the way to the walk limit "
            f"({max_walk:g} min; {lim['transit_start_end_max_distance']:,} m): no pair of "
            "this run (at least 1 km apart) is answered on foot by either engine."
        )
    if lag:
        out.append(
            "- **Valhalla's reported times.** The sum of Valhalla's maneuvers reaches the stop "
            f"where it leaves its last vehicle {lag['min']:.0f}-{lag['max']:.0f} s (median "
            f"{lag['median']:.0f} s) before that line arrives there by the feed (matched in "
            f"{lag['matched']} of {lag['of']} trips): its search walked longer than the "
            "walks it reports (asked to leave a minute later, it misses a vehicle that its "
            "reported walk would still catch). So its "
            "reported times are short by that much; *on its timetable* puts them back. As "
            f"reported, bereik is slower in {len(c['slower_raw'])} pairs; against Valhalla "
            f"on its timetable in {len(c['slower_fixed'])}"
            + (
                f" (pairs {_ids(c['slower_fixed'])}), {len(c['slower_same_vehicle'])} of them "
                "with the same last vehicle as Valhalla: its walk from that stop is shorter "
                "(the stop's place, next)"
                if c["slower_fixed"]
                else ""
            )
            + "."
        )
    out += [
        "- **Stops, intersections, missed vehicles.** Valhalla connects each stop to its "
        "road graph by connection edges (road node -> station -> platform) and walks them, "
        "adding seconds per intersection crossed on foot (its pedestrian transition costs); "
        "bereik places each stop on its nearest walkable street (the metres to the pole not "
        "counted) and walks at a constant speed. The walks to and from the same stop differ "
        "by seconds to a minute either way, and where that makes Valhalla reach the stop "
        "after the vehicle leaves, it waits for the next one: the largest differences where "
        "both take the same line are such missed departures (a headway of about 10 min). "
        "Walks are limited in minutes by bereik, in metres by Valhalla (the same at "
        f"{lim['walking_speed']:g} km/h off gravel).",
        "- **Changes.** Valhalla needs 30 s between two vehicles at one stop "
        "(`GetNextDeparture(... + 30)` in `thor/multimodal.cc`); bereik changes at a stop "
        "without time (the feed has no `transfers.txt`), and between platforms of one "
        "station by a walk on its network. A tight change bereik takes makes Valhalla wait "
        "for the next vehicle.",
        "- **Lost departures.** Valhalla's converter drops the stop pairs whose service "
        "dates fall outside its 60-day window (counted above); a trip it lacks makes it "
        "slower or leaves it without a trip.",
        "",
    ]
    return out


def write_doc(section: str) -> None:
    """Replace the generated section of docs/crosscheck.md, or append it the first time."""
    text = DOC.read_text()
    block = f"{START}\n{section.rstrip()}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=100, help="random pairs (default 100)")
    ap.add_argument("--seed", type=int, default=SEED, help=f"seed of the pairs ({SEED})")
    ap.add_argument("--bereik-ref", metavar="REF",
                    help="measure accessibility/ as committed at this git ref")  # fmt: skip
    ap.add_argument("--no-valhalla", action="store_true", help="skip Valhalla")
    ap.add_argument("--no-doc", action="store_true", help="print only, leave docs/ alone")
    args = ap.parse_args(argv)
    if args.pairs < 1:
        ap.error("--pairs must be at least 1")
    t0 = time.perf_counter()
    STATE["code"] = _use_ref(args.bereik_ref) if args.bereik_ref else _code_state()
    import pandas as pd

    import accessibility

    log(f"bereik from {Path(accessibility.__file__).parent} ({STATE['code']})")
    b = build()
    model, walk = b["model"], b["walk"]
    tt = model.timetable
    n = args.pairs
    pairs = pick_pairs(walk, n, args.seed)
    log(f"{n} pairs ({pairs['drawn']} random points drawn)")
    limits = valhalla_limits(b["profile"], model.settings)
    snapped = [[*map(float, a), *map(float, z)] for a, z in zip(pairs["o_on"], pairs["d_on"],
                                                               strict=True)]  # fmt: skip
    vh = {"skipped": "--no-valhalla"} if args.no_valhalla else run_valhalla(snapped, limits, "main")
    on_timetable(vh, tt)
    log("Valhalla: " + (vh["skipped"] if "skipped" in vh else
                        f"{sum(p['time_s'] is not None for p in vh['pairs'])} answered "
                        f"in {vh['wall_seconds']:.1f} s"))  # fmt: skip
    t = time.perf_counter()
    bereik = bereik_times(model, pairs)
    log(f"bereik: {sum(r['time_s'] is not None for r in bereik)} answered "
        f"({time.perf_counter() - t:.1f} s)")  # fmt: skip
    walks = walk_tables(model, pairs)
    traces = []
    for i in range(n):
        if bereik[i]["time_s"] is not None and not bereik[i]["transit"]:
            d = float(walks["direct"][i])
            steps = [f"walk {d / 60:.1f} min"]
            traces.append({"time_s": d, "rides": 0, "walk_s": d, "last_walk_s": d,
                           "last_arrival_s": None, "steps": steps})  # fmt: skip
        else:
            traces.append(trace(model, walks, i, DEPART_S))
    compared = [i for i in range(n) if bereik[i]["time_s"] is not None]
    same = sum(traces[i]["time_s"] is not None
               and abs(traces[i]["time_s"] - bereik[i]["time_s"]) <= TOL_S
               for i in compared)  # fmt: skip
    max_walk = model.settings.max_walk_min * 60
    over = [i for i in range(n) if bereik[i]["transit"]
            and (traces[i]["last_walk_s"] or 0) > max_walk + TOL_S]  # fmt: skip
    arrivals = stop_arrivals(model, walks, DEPART_S)
    has_requests = importlib.util.find_spec("accessibility.transit.requests") is not None
    fewest = {i: fewest_vehicles(model, walks, i, DEPART_S, bereik[i]["time_s"])
              for i in range(n) if bereik[i]["transit"]}  # fmt: skip
    more = [i for i, k in fewest.items() if k is not None and bereik[i]["rides"] > k]
    settings = model.settings.as_dict()
    cmp_ = compare(bereik, vh, traces, limits, settings)
    looser = None
    retry = cmp_.get("valhalla_failed", {}).get("bereik rides within the limits", [])
    if retry:
        lim2 = {**limits, "transit_start_end_max_distance":
                round(LOOSER * limits["transit_start_end_max_distance"])}  # fmt: skip
        looser = run_valhalla([snapped[i] for i in retry], lim2, "looser")
        looser["limit_m"] = lim2["transit_start_end_max_distance"]
    t = time.perf_counter()
    sc = self_check(model, pairs, walks, min(SELF_PAIRS, n))
    log(f"self-check: csa {sc['csa']['miss']} / trace {sc['trace']['miss']} disagree, max "
        f"|diff| {sc['csa']['max_abs_diff_s']:.3g} / {sc['trace']['max_abs_diff_s']:.3g} s "
        f"({time.perf_counter() - t:.1f} s)")  # fmt: skip
    res = {
        "date": dt.date.today().isoformat(), "machine": _machine(), "code": STATE["code"],
        "python": platform.python_version(), "numpy": np.__version__,
        "pandas": pd.__version__, "seed": args.seed, "limits": limits, "settings": settings,
        "walk_nodes": len(walk.node_x), "n_stops": tt.n_stops,
        "stops_off_network": model.stops_off_network, "n_connections": tt.n_connections,
        "n_footpaths": len(model.footpaths.target), "n_pairs": n,
        "apart_m": pairs["apart_m"].tolist(), "apart_median_m": float(np.median(pairs["apart_m"])),
        "pairs": np.column_stack([pairs["o_lon"], pairs["o_lat"], pairs["d_lon"],
                                  pairs["d_lat"]]).tolist(), "pairs_snapped": snapped,
        "bereik": bereik, "valhalla": vh, "valhalla_looser": looser, "compare": cmp_,
        "traces": traces, "traces_equal": same, "traces_compared": len(compared),
        "last_walk_over": over, "stop_arrivals": arrivals, "fewest_vehicles": fewest,
        "more_vehicles": more, "has_requests": has_requests,
        "egress_closure": egress_closure(model, walks),
        "self_check": sc, "build_seconds": b["seconds"],
    }  # fmt: skip
    res["run_seconds"] = time.perf_counter() - t0
    res["command"] = " ".join([".venv/bin/python benchmarks/crosscheck_transit.py",
                               *(argv if argv is not None else sys.argv[1:])])  # fmt: skip
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(res, indent=1, default=str))
    section = render(res)
    print(section)
    if not args.no_doc:
        write_doc(section)
        log(f"wrote the section of {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
