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
   minutes, bereik's times against two forward earliest-arrival scans
   (:func:`accessibility.transit.csa.earliest_arrival` and this script's
   :func:`forward_scan`) from the stops within the walk limit of the origin (walk network
   times) plus one walk from a stop where a vehicle itself stops to the destination, or the
   walk all the way.
5. Every pair's trip is rebuilt by :func:`forward_scan` with parents (vehicles, stops,
   walks), for the table of the worst pairs and to measure the walks of bereik's trips;
   rounds of a forward scan count the fewest vehicles a trip arriving as early needs; what a
   last walk closed over a change walk (stop -> neighbouring stop -> destination) would
   allow is counted; a toy timetable and every stop's vehicle arrival from every origin
   check ``earliest_arrival``/``latest_departure`` after a change walk.

The rules the scans follow (bereik's since commit c629b9f): one boards at a stop one walked
to from the origin, or reached by a change walk from a stop where a vehicle itself stops; a
stop's change walks start whenever a vehicle itself stops there earlier than any vehicle
before; the last walk is one walk, from the stop where the last vehicle itself stops.

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
#: Valhalla found nothing, bereik rides and its time is not the forward scan's
UNREBUILT = "bereik rides, its time not the forward scan's"
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
    nothing where ``T`` is nothing. ``T`` ends with one walk from a stop where a vehicle
    itself stops (a walk to a stop and on to the destination is a walk, not a trip by
    transit; a vehicle, a change walk and a walk on is not a last walk). The scans:
    :func:`accessibility.transit.csa.earliest_arrival` (``vehicle_only``, the earliest a
    vehicle itself stops at each stop, where it has it; else, for an older ``--bereik-ref``,
    its stops reached with at least one vehicle, a change walk after it included) and
    :func:`trace` (:func:`forward_scan`, a scan of its own that keeps the parents).
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
            "want_back": "07:45", "deadline": clock(deadline[4])}  # fmt: skip


def forward_scan(model, start: list[float], dep: float) -> dict:
    """Per stop, the earliest a vehicle itself stops there, from the stops' start times,
    and the parents to rebuild the trip.

    A forward connection scan of its own: one boards at a stop when one is there by
    ``start`` (walked from the origin) or by a change walk from a stop where a vehicle itself
    stops; a stop's change walks are tried whenever a vehicle itself stops there earlier
    than any vehicle before (not only earlier than a walk got there), so a vehicle after a
    change walk still counts. The last walk to a destination starts from ``veh``: where the
    vehicle itself stops. Returns ``veh`` (per stop), ``ride`` (a vehicle and a change walk
    after it: where a last walk closed over a change walk would start; only to measure what
    that would allow), ``at`` (per stop, the first and the last connection of the vehicle in
    ``veh``), ``walk_from`` (per stop, the stop and seconds of the change walk that gave its
    boarding time; None: walked from the origin or not reached) and ``board`` (when one can
    board at each stop).
    """
    c, st = model.conns, model.settings
    paths = model.footpaths.lists()
    board = list(start)  # when one can board at the stop: walked there or a change walk
    veh = [math.inf] * c.n_stops  # a vehicle itself stops at the stop
    ride = [math.inf] * c.n_stops  # a vehicle and a change walk after it
    at: list[tuple[int, int] | None] = [None] * c.n_stops
    walk_from: list[tuple[int, float] | None] = [None] * c.n_stops
    enter: dict[int, int] = {}
    lo = int(np.searchsorted(c.dep, dep))
    hi = int(np.searchsorted(c.dep, dep + st.max_trip_min * 60, side="right"))
    cols = (c.dep[lo:hi].tolist(), c.arr[lo:hi].tolist(), c.from_stop[lo:hi].tolist(),
            c.to_stop[lo:hi].tolist(), c.trip[lo:hi].tolist())  # fmt: skip
    for n, (d, a, f, t, trip) in enumerate(zip(*cols, strict=True)):
        if trip not in enter:
            if board[f] > d:
                continue
            enter[trip] = lo + n
        if a < veh[t]:
            veh[t] = a
            at[t] = (enter[trip], lo + n)
            for v, w in paths[t]:
                ride[v] = min(ride[v], a + w)
                if a + w < board[v]:
                    board[v] = a + w
                    walk_from[v] = (t, w)
    return {"veh": np.asarray(veh), "ride": np.asarray(ride), "at": at,
            "walk_from": walk_from, "board": board}  # fmt: skip


def stop_arrivals(model, walks: dict, dep: float) -> dict | None:
    """``earliest_arrival(vehicle_only=True)`` (what a transit isochrone or matrix scans:
    the earliest a vehicle itself stops at each stop) against ``veh`` of
    :func:`forward_scan`, at every stop, from every origin (None: no such option)."""
    import inspect

    from accessibility.transit.csa import earliest_arrival

    if "vehicle_only" not in inspect.signature(earliest_arrival).parameters:
        return None
    until = dep + model.settings.max_trip_min * 60
    equal = later = earlier = missed = extra = reached = 0
    worst = 0.0
    for acc in walks["access"]:
        start = dep + acc
        got, _ = earliest_arrival(model.conns, model.footpaths, start, until=until,
                                  vehicle_only=True)  # fmt: skip
        want = forward_scan(model, start.tolist(), dep)["veh"]
        fin, gfin = np.isfinite(want), np.isfinite(got)
        reached += int(fin.sum())
        missed += int((fin & ~gfin).sum())
        extra += int((~fin & gfin).sum())
        both = fin & gfin
        diff = got[both] - want[both]
        equal += int((np.abs(diff) <= TOL_S).sum())
        later += int((diff > TOL_S).sum())
        earlier += int((diff < -TOL_S).sum())
        worst = max(worst, float(np.abs(diff).max()) if diff.size else 0.0)
    return {"origins": len(walks["access"]), "stops_reached": reached, "equal": equal,
            "later": later, "earlier": earlier, "missed": missed, "extra": extra,
            "max_abs_diff_s": worst}  # fmt: skip


def trace(model, walks: dict, i: int, dep: float) -> dict:
    """The fastest trip of pair ``i`` by transit leaving at ``dep`` (time None: none), by
    :func:`forward_scan`, rebuilt from its parents: vehicles, stops, times and walks.

    ``closure_s``: the time a last walk closed over a change walk (a vehicle, a change walk
    to a neighbouring stop, the walk from there) would give, for comparison only."""
    tt, c = model.timetable, model.conns
    start = (dep + walks["access"][i]).tolist()
    scan = forward_scan(model, start, dep)
    eg = walks["egress"][i]
    total = scan["veh"] + eg
    closed = float(np.min(scan["ride"] + eg)) - dep
    closure = closed if math.isfinite(closed) else None
    s = int(np.argmin(total))
    if not math.isfinite(total[s]):
        return {"time_s": None, "rides": 0, "walk_s": None, "last_walk_s": None,
                "last_arrival_s": None, "closure_s": closure,
                "steps": ["no trip by transit"]}  # fmt: skip
    names = tt.stops["stop_name"].to_numpy()
    line_of = tt.routes["route_short_name"].to_numpy()[tt.trips["route"].to_numpy()]
    egress = float(eg[s])
    steps = [f"walk {egress / 60:.1f} min"]
    walk_s, rides, stop = egress, 0, s
    for _ in range(c.n_stops + 1):  # a guard: each step goes back in time
        e, x = scan["at"][stop]
        rides += 1
        board, left = _clock(c.dep[e])[:5], _clock(c.arr[x])[:5]
        boarded = int(c.from_stop[e])
        steps.append(f"{line_of[int(c.trip[e])]} {names[boarded]} {board} -> "
                     f"{names[stop]} {left}")  # fmt: skip
        came = scan["walk_from"][boarded]
        if start[boarded] <= c.dep[e] or came is None:
            stop = boarded
            break  # walked from the origin to the stop it boarded at
        stop, w = came
        if w > 0:
            steps.append(f"walk {w / 60:.1f} min to {names[boarded]}")
            walk_s += w
    walk_s += float(walks["access"][i][stop])
    steps.append(f"walk {walks['access'][i][stop] / 60:.1f} min")
    return {"time_s": float(total[s] - dep), "rides": rides, "walk_s": walk_s,
            "last_walk_s": egress, "last_arrival_s": float(scan["veh"][s] - dep),
            "closure_s": closure, "steps": steps[::-1]}  # fmt: skip


def fewest_vehicles(model, walks: dict, i: int, dep: float, arrive_s: float) -> int | None:
    """The fewest vehicles of a trip by transit of pair ``i`` leaving at ``dep`` that takes
    at most ``arrive_s`` (rounds of a forward scan: round r boards where the origin's walk or
    a change walk after r - 1 vehicles got to, and ends with one walk from where a vehicle
    itself stops; None: none within 6 vehicles)."""
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
        by_vehicle = np.minimum(by_vehicle, at)  # the last walk: where a vehicle itself stops
        if float(np.min(by_vehicle + egress)) - dep <= arrive_s + TOL_S:
            return r
        board = np.minimum(board, new).tolist()
    return None


def last_walk_figures(bereik: list[dict], scans: list[dict], settings) -> dict:
    """bereik's trips by transit at 08:00 against the forward scan's, and what a last walk
    closed over a change walk would have given.

    ``rides``: the pairs bereik rides; ``rebuilt``: of them, those whose time is the scan's
    (so their last walk is one walk from where the vehicle stops, within the limit);
    ``unrebuilt``: the others; ``longest_s``/``longest_pair``: the longest last walk of the
    rebuilt trips; ``over``: rebuilt trips whose last walk is over the limit (the scan's
    egress is cut at the limit, so a check of the tables); ``closure_earlier``: the pairs a
    closure would let arrive earlier than the scan (within the trip limit);
    ``bereik_closure``: of those, where bereik's time is the closure's.
    """
    max_walk, max_trip = settings.max_walk_min * 60, settings.max_trip_min * 60
    rides = [i for i, r in enumerate(bereik) if r["transit"]]
    rebuilt = [i for i in rides if scans[i]["time_s"] is not None
               and abs(scans[i]["time_s"] - bereik[i]["time_s"]) <= TOL_S]  # fmt: skip
    longest = max(rebuilt, key=lambda i: scans[i]["last_walk_s"], default=None)
    earlier = [i for i, sc in enumerate(scans) if sc["closure_s"] is not None
               and sc["closure_s"] <= max_trip
               and sc["closure_s"] < (sc["time_s"] if sc["time_s"] is not None else math.inf)
               - TOL_S]  # fmt: skip
    took = [i for i in earlier if bereik[i]["time_s"] is not None
            and abs(bereik[i]["time_s"] - scans[i]["closure_s"]) <= TOL_S]  # fmt: skip
    return {"rides": rides, "rebuilt": rebuilt,
            "unrebuilt": [i for i in rides if i not in rebuilt],
            "longest_s": scans[longest]["last_walk_s"] if longest is not None else None,
            "longest_pair": longest,
            "over": [i for i in rebuilt if scans[i]["last_walk_s"] > max_walk + TOL_S],
            "closure_earlier": earlier, "bereik_closure": took}  # fmt: skip


def egress_closure(model, walks: dict) -> dict:
    """What a last walk closed over a change walk would do to the walks to the destinations.

    The walk from a stop to the destination through a neighbouring stop (``w + egress[v]``)
    against the direct one on the same network: shorter where the direct walk is finite
    (never, by the triangle inequality), and new where it is beyond the walk limit. bereik
    does not close its last walk so (one walk from where the vehicle stops); this measures
    what such a closure would allow.
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


def compare(bereik: list[dict], vh: dict, traces: list[dict], lim: dict) -> dict:
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
    fails: dict[str, list[int]] = {"bereik neither": [], "bereik walks all the way": [],
                                   UNREBUILT: [],
                                   "bereik rides within the limits": []}  # fmt: skip
    for i in range(n):
        if v[i]["time_s"] is not None:
            continue
        if bereik[i]["time_s"] is None:
            fails["bereik neither"].append(i)
        elif not bereik[i]["transit"]:
            fails["bereik walks all the way"].append(i)
        elif traces[i]["time_s"] is None or abs(traces[i]["time_s"]
                                                - bereik[i]["time_s"]) > TOL_S:  # fmt: skip
            fails[UNREBUILT].append(i)
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


def _pairs(ix: list[int]) -> str:
    """``pair 3`` or ``pairs 3, 5``."""
    return ("pair " if len(ix) == 1 else "pairs ") + _ids(ix)


def render(res: dict) -> str:
    """The markdown section (heading included)."""
    c, sc, vh, lim, st = (res[k] for k in ("compare", "self_check", "valhalla", "limits",
                                           "settings"))  # fmt: skip
    vpairs = vh.get("pairs")
    max_walk, max_tr = st["max_walk_min"], st["max_transfer_walk_min"]
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
                f"{k} {len(v)}" + (f" ({_pairs(v)})" if 0 < len(v) <= 12 else "")
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
        f"of their own) plus one walk of at most {max_walk:g} min from a stop where a vehicle "
        "itself stops to the destination, or the walk all the way where that is faster:",
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
                ("trace", "this script's scan with parents (`forward_scan`)"),
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
        _last_walk_text(res),
        "",
    ]
    if sa:
        lines += [
            f"Every stop's vehicle arrival: from the {sa['origins']} origins at 08:00, "
            "`earliest_arrival(vehicle_only=True)` (the earliest a vehicle itself stops at "
            "each stop"
            + (
                ", what the transit isochrones and matrices of "
                "`accessibility/transit/requests.py` scan"
                if res["has_requests"]
                else ""
            )
            + f") equals the forward scan's at {sa['equal']:,} of its {sa['stops_reached']:,} "
            f"stop arrivals; it is later at {sa['later']}, earlier at {sa['earlier']} (largest "
            f"difference {sa['max_abs_diff_s']:.3g} s), misses {sa['missed']} and has "
            f"{sa['extra']} the scan does not.",
            "",
        ]
    toy_wrong = [
        name
        for name, got, ok in (
            ("`earliest_arrival`", toy["earliest_arrival"], toy["earliest_arrival"] == toy["want"]),
            ("the forward profile scan", toy["profile"], toy["profile"] == toy["want"]),
            (
                "`latest_departure`",
                toy["latest_departure"],
                toy["latest_departure"] == toy["want_back"],
            ),
            (
                "the backward profile scan",
                toy["profile_back"],
                toy["profile_back"] != "none" and toy["profile_back"] <= toy["deadline"],
            ),
        )
        if not ok
    ]
    lines += [
        "A toy timetable (`change_walk_toy`: a vehicle reaches a stop after a change walk "
        "got there first, and the next change walk starts from that stop) checks the other "
        f"scans of `csa.py`: the earliest arrival is {toy['want']} (the profile scan: "
        f"{toy['profile']}); `earliest_arrival` finds {toy['earliest_arrival']}. The latest "
        f"departure is {toy['want_back']} (the profile scan arrives {toy['profile_back']} "
        f"from it, by the deadline {toy['deadline']}); `latest_departure` finds "
        f"{toy['latest_departure']}. "
        + (f"Wrong: {', '.join(toy_wrong)}." if toy_wrong else "All four are right."),
        "",
        "History: this cross-check found three bereik bugs, fixed in commit c629b9f "
        "(`--bereik-ref 0db9928` measures the code before): the last walk could run through a "
        f"neighbouring stop (a change walk of up to {max_tr:g} min, then the walk to the "
        f"destination: up to {max_walk + max_tr:g} min where the direct walk is held to "
        f"{max_walk:g}); `earliest_arrival`/`latest_departure` started a stop's change walks "
        "only when a vehicle beat the stop's best time, so a vehicle after a change walk got "
        "there first started none (the toy above); and the fastest trip's `transfers` did "
        "not prefer the fewest vehicles among the origin's stops where trips arrive at the "
        "same second.",
        "",
    ]
    return "\n".join(lines)


def _last_walk_text(res: dict) -> str:
    """The self-check's paragraph on the last walk, from this run's figures."""
    lw, ec, st = res["last_walks"], res["egress_closure"], res["settings"]
    max_walk, max_tr = st["max_walk_min"], st["max_transfer_walk_min"]
    rides, rebuilt, unrebuilt = lw["rides"], lw["rebuilt"], lw["unrebuilt"]
    out = (
        f"The last walk. Of the {len(rides)} trips bereik rides at 08:00, {len(rebuilt)} "
        "arrive when the forward scan's do, ending with one walk from the stop where the last "
        f"vehicle itself stops, of at most {max_walk:g} min"
        + (
            f" (the longest {lw['longest_s'] / 60:.1f} min, pair {lw['longest_pair']})"
            if lw["longest_s"] is not None
            else ""
        )
        + (
            f"; {len(lw['over'])} of them over the limit ({_pairs(lw['over'])})"
            if lw["over"]
            else "; none over the limit"
        )
        + "."
    )
    if unrebuilt:
        took = [i for i in unrebuilt if i in lw["bereik_closure"]]
        out += (
            f" {len(unrebuilt)} do not ({_pairs(unrebuilt)})"
            + (
                f"; {len(took)} of them arrive when a closed last walk would ({_pairs(took)})"
                if took
                else ""
            )
            + "."
        )
    closure = lw["closure_earlier"]
    out += (
        " What a last walk closed over a change walk (a vehicle, a change walk of up to "
        f"{max_tr:g} min to a neighbouring stop, the walk from there) would allow: of the "
        f"{ec['finite']:,} stop -> destination walks within {max_walk:g} min over the "
        f"{res['n_pairs']} destinations, "
        + ("none gets" if ec["shorter"] == 0 else f"{ec['shorter']:,} get")
        + f" shorter that way, and {ec['extended']:,} walks over {max_walk:g} min become "
        "possible"
        + (f" (up to {ec['longest_s'] / 60:.1f} min)" if ec["longest_s"] else "")
        + f"; at 08:00 it would let {len(closure)} pairs arrive earlier"
        + (f" ({_pairs(closure)})" if closure else "")
        + (
            f", and bereik arrives so in {len(lw['bereik_closure']) or 'none'} of them."
            if closure
            else "."
        )
    )
    return out


FINDINGS_HEAD = ["Why they differ (the worst pairs traced):", ""]


def _findings(res: dict) -> list[str]:
    c, lim, st = res["compare"], res["limits"], res["settings"]
    max_walk, max_tr = st["max_walk_min"], st["max_transfer_walk_min"]
    lag, fails, more = c.get("lag_s"), c["valhalla_failed"], res["more_vehicles"]
    lw, sc = res["last_walks"], res["self_check"]
    rides, unrebuilt, closure = lw["rides"], lw["unrebuilt"], lw["closure_earlier"]
    if unrebuilt:
        took = [i for i in unrebuilt if i in lw["bereik_closure"]]
        last = (
            f"- **The last walk.** At 08:00 bereik's time is not the forward scan's in "
            f"{len(unrebuilt)} of the {len(rides)} pairs it rides ({_pairs(unrebuilt)}; "
            f"Valhalla cannot answer {len(fails[UNREBUILT])} of them)"
            + (
                f"; {len(took)} of them arrive when a last walk closed over a change walk "
                f"(through a neighbouring stop, up to {max_walk:g} + {max_tr:g} min) would "
                f"({_pairs(took)})"
                if took
                else ""
            )
            + ". See the self-check."
        )
    else:
        last = (
            f"- **The last walk.** At 08:00 each of the {len(rides)} trips bereik rides "
            "arrives when the forward scan's does, which ends with one walk from the stop "
            f"where the last vehicle itself stops, of at most {max_walk:g} min"
            + (
                f" (the longest {lw['longest_s'] / 60:.1f} min, pair {lw['longest_pair']})"
                if lw["longest_s"] is not None
                else ""
            )
            + (
                f": {len(lw['over'])} of them end with a last walk over the limit "
                f"({_pairs(lw['over'])})"
                if lw["over"]
                else ": no trip of this run ends with a last walk over the limit, and none of "
                "Valhalla's failures is one"
            )
            + ". A last walk closed over a change walk (through a neighbouring stop, up to "
            f"{max_walk:g} + {max_tr:g} min) would have let {len(closure)} pairs arrive "
            "earlier" + (f" ({_pairs(closure)})" if closure else "") + "."
        )
    out = [last]
    if more:
        shown = [i for i in more if i in c.get("worst", []) + c.get("worst_ride", [])]
        k = (shown or more)[0]
        same = [i for i in more if i in lw["rebuilt"]]
        tk = res["traces"][k]
        out.append(
            "- **Vehicles of the fastest trip.** In "
            f"{len(more)} of the {c['bereik_rides']} pairs bereik rides, its `transfers` count "
            "more vehicles than a trip arriving as early needs (rounds of a forward scan; "
            f"{_pairs(more)}). Pair {k}: {res['bereik'][k]['rides']} vehicles where "
            f"{res['fewest_vehicles'][k]} "
            + ("suffices" if res["fewest_vehicles"][k] == 1 else "suffice")
            + (
                f" (the forward scan's trip: {'; '.join(tk['steps'])})"
                if tk["rides"] == res["fewest_vehicles"][k]
                else ""
            )
            + ". "
            + (
                ("Its time is" if len(more) == 1 else "Their times are") + " the forward scan's"
                if len(same) == len(more)
                else f"The time is the forward scan's in {len(same)} of these {len(more)}"
            )
            + "; `transfers` and `walk_s` of `transit.csv` describe the trip bereik counts."
        )
    else:
        out.append(
            f"- **Vehicles of the fastest trip.** In each of the {c['bereik_rides']} pairs "
            "bereik rides, its `transfers` count the fewest vehicles a trip arriving as early "
            "needs (rounds of a forward scan)."
        )
    fewest = res["fewest_vehicles"]
    vpairs = res["valhalla"]["pairs"]
    vh_more = [i for i in c.get("ride", []) if fewest.get(i) is not None
               and vpairs[i]["transit_legs"] > fewest[i]
               and vpairs[i]["on_timetable_s"] >= res["bereik"][i]["time_s"] - TOL_S]  # fmt: skip
    disagree = sc["csa"]["miss"] + sc["trace"]["miss"]
    out.append(
        "- **What Valhalla searches.** bereik finds the earliest arrival (a connection scan; "
        + (
            "the self-check below finds no disagreement with two forward scans"
            if not disagree
            else f"the self-check below finds {disagree} disagreements with forward scans"
        )
        + "). Valhalla's multimodal route is a label-setting "
        "search on a generalised cost with its A* heuristic off: every edge, a line's edge "
        "between two stops included, is settled once, by whichever trip and walking distance "
        "reached it first. A label that would catch a faster vehicle, or that has walking "
        "left, is then dropped: Valhalla's trips can arrive later than the earliest"
        + (
            f", and {len(vh_more)} of its {len(c.get('ride', []))} trips where both ride "
            + ("uses" if len(vh_more) == 1 else "use")
            + " more vehicles than a trip arriving no later needs (one arriving when bereik does; "
            f"{_pairs(vh_more)})"
            if vh_more
            else ""
        )
        + "; its walk limit, a resource on that search, can bite before the distance is "
        "reached (the pairs asked again above)."
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
                f" ({_pairs(c['slower_fixed'])}), {len(c['slower_same_vehicle'])} of them "
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
    scans = [trace(model, walks, i, DEPART_S) for i in range(n)]
    traces = []
    for i in range(n):
        if bereik[i]["time_s"] is not None and not bereik[i]["transit"]:
            d = float(walks["direct"][i])
            steps = [f"walk {d / 60:.1f} min"]
            traces.append({"time_s": d, "rides": 0, "walk_s": d, "last_walk_s": d,
                           "last_arrival_s": None, "closure_s": None,
                           "steps": steps})  # fmt: skip
        else:
            traces.append(scans[i])
    compared = [i for i in range(n) if bereik[i]["time_s"] is not None]
    same = sum(traces[i]["time_s"] is not None
               and abs(traces[i]["time_s"] - bereik[i]["time_s"]) <= TOL_S
               for i in compared)  # fmt: skip
    last_walks = last_walk_figures(bereik, scans, model.settings)
    arrivals = stop_arrivals(model, walks, DEPART_S)
    has_requests = importlib.util.find_spec("accessibility.transit.requests") is not None
    fewest = {i: fewest_vehicles(model, walks, i, DEPART_S, bereik[i]["time_s"])
              for i in range(n) if bereik[i]["transit"]}  # fmt: skip
    more = [i for i, k in fewest.items() if k is not None and bereik[i]["rides"] > k]
    settings = model.settings.as_dict()
    cmp_ = compare(bereik, vh, traces, limits)
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
        "last_walks": last_walks, "stop_arrivals": arrivals, "fewest_vehicles": fewest,
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
