"""Connection scans over a timetable: earliest arrival, latest departure, profiles to targets.

The Connection Scan Algorithm (Dibbelt, Pajor, Strasser, Wagner, 2013/2018) scans the
elementary connections of a day once, in order of departure (or, for profiles and latest
departures, backwards). Walking between stops is a footpath table (stop -> stop, seconds,
from the walk network), applied where a vehicle is left, as the profile variant of the paper
does. A change between two vehicles at one stop takes no time; a change to another stop takes
its walk.

Every function takes plain arrays and returns arrays, so each is checked on a toy timetable
by hand (``tests/accessibility/test_transit.py``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

import numpy as np

INF = float("inf")


@dataclass(frozen=True, eq=False)
class Connections:
    """Elementary connections sorted by departure (seconds), with their stops and trips."""

    dep: np.ndarray
    arr: np.ndarray
    from_stop: np.ndarray
    to_stop: np.ndarray
    trip: np.ndarray
    n_stops: int
    n_trips: int


@dataclass(frozen=True, eq=False)
class Footpaths:
    """Walks between stops: from ``stop`` to ``target[ptr[stop]:ptr[stop+1]]`` in ``seconds``."""

    ptr: np.ndarray
    target: np.ndarray
    seconds: np.ndarray

    @classmethod
    def empty(cls, n_stops: int) -> Footpaths:
        """No walking between stops."""
        return cls(np.zeros(n_stops + 1, np.int64), np.zeros(0, np.int64), np.zeros(0))

    @classmethod
    def from_pairs(cls, n_stops: int, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> Footpaths:
        """Footpaths from pairs ``a -> b`` taking ``s`` seconds (self pairs are dropped)."""
        keep = a != b
        a, b, s = a[keep], b[keep], s[keep]
        order = np.lexsort((b, a))
        ptr = np.zeros(n_stops + 1, np.int64)
        np.add.at(ptr, a + 1, 1)
        return cls(np.cumsum(ptr), b[order].astype(np.int64), s[order].astype(float))

    def reversed(self) -> Footpaths:
        """Return the same walks from their targets back (for backward scans)."""
        n = len(self.ptr) - 1
        src = np.repeat(np.arange(n), np.diff(self.ptr))
        return Footpaths.from_pairs(n, self.target, src, self.seconds)

    @cached_property
    def backward(self) -> Footpaths:
        """The walks from their targets back, made once (the backward scans ask per request)."""
        return self.reversed()

    def lists(self) -> list[list[tuple[int, float]]]:
        """Per stop, its (target, seconds) pairs, self first with 0 s (for the scans).

        Made once and kept: every scan of a request reads them, none changes them.
        """
        return self._lists

    @cached_property
    def _lists(self) -> list[list[tuple[int, float]]]:
        out = []
        for s in range(len(self.ptr) - 1):
            lo, hi = self.ptr[s], self.ptr[s + 1]
            out.append([(s, 0.0), *zip(self.target[lo:hi].tolist(),
                                       self.seconds[lo:hi].tolist(), strict=True)])  # fmt: skip
        return out


def earliest_arrival(
    conns: Connections,
    walks: Footpaths,
    start: np.ndarray,
    *,
    until: float,
    vehicle_only: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Earliest arrival at every stop from the stops' start times (inf: not started there).

    ``start[s]`` is when one is at stop ``s`` (departure plus the walk to it, which the
    caller finds on the walk network: no footpath is added to it). Connections
    departing after ``until`` are not taken. Returns arrival per stop and the number of
    vehicles ridden to get there (0: walked). ``vehicle_only``: the earliest a vehicle itself
    stops there (where a last walk to the goal may start), inf where none does.
    """
    arr = np.asarray(start, dtype=float).copy()
    rides = np.zeros(len(arr), np.int64)
    paths = walks.lists()
    boarded = np.full(conns.n_trips, -1, np.int64)  # rides before boarding, -1 not boarded
    lo = int(np.searchsorted(conns.dep, np.min(arr) if np.isfinite(arr).any() else INF))
    hi = int(np.searchsorted(conns.dep, until, side="right"))
    dep, a_, fr, to, tr = (x[lo:hi].tolist() for x in (conns.dep, conns.arr, conns.from_stop,
                                                       conns.to_stop, conns.trip))  # fmt: skip
    best = arr.tolist()
    nride = rides.tolist()
    alight = [INF] * len(best)  # earliest a vehicle itself stops here: change walks start
    for d, a, f, t, trip in zip(dep, a_, fr, to, tr, strict=True):
        if boarded[trip] < 0:
            if best[f] > d:
                continue
            boarded[trip] = nride[f]
        if a < alight[t]:
            alight[t] = a
            for v, w in paths[t]:
                if a + w < best[v]:
                    best[v] = a + w
                    nride[v] = boarded[trip] + 1
    return np.asarray(alight if vehicle_only else best), np.asarray(nride)


def latest_departure(
    conns: Connections,
    walks: Footpaths,
    deadline: np.ndarray,
    *,
    since: float,
    vehicle_only: bool = False,
) -> np.ndarray:
    """Latest time one can be at every stop and still reach a stop by its ``deadline``.

    ``deadline[s]`` is the latest arrival at stop ``s`` that counts (-inf: not a goal; the
    caller subtracts the walk from the stop to the goal).
    Connections arriving before ``since`` are not taken. Returns -inf where impossible.
    ``vehicle_only``: the latest a vehicle itself leaves there (where a first walk from the
    door may end), -inf where none does.
    """
    late = np.asarray(deadline, dtype=float).copy()
    back = walks.backward.lists()
    usable = np.flatnonzero((conns.arr >= since) & (conns.arr <= np.max(late, initial=-INF)))
    order = usable[np.argsort(-conns.arr[usable], kind="stable")]
    ok = np.zeros(conns.n_trips, bool)
    best = late.tolist()
    board = [-INF] * len(best)  # latest a vehicle itself leaves here: change walks end here
    cols = (conns.dep[order].tolist(), conns.arr[order].tolist(),
            conns.from_stop[order].tolist(), conns.to_stop[order].tolist(),
            conns.trip[order].tolist())  # fmt: skip
    for d, a, f, t, trip in zip(*cols, strict=True):
        if not ok[trip]:
            if a > best[t]:
                continue
            ok[trip] = True
        if d > board[f]:
            board[f] = d
            for v, w in back[f]:
                best[v] = max(best[v], d - w)
    return np.asarray(board if vehicle_only else best)


@dataclass(frozen=True, eq=False)
class Profiles:
    """Per stop, the Pareto set of (departure, arrival at the nearest target) journeys.

    Entries of stop ``s`` are ``ptr[s]:ptr[s+1]`` with departures ascending (so arrivals
    ascend too). ``rides`` counts the vehicles of each journey, ``walk_s`` its walking after
    the first boarding (changes and the walk to the target).
    """

    ptr: np.ndarray
    dep: np.ndarray
    arr: np.ndarray
    rides: np.ndarray
    walk_s: np.ndarray

    def at(self, stop: int, t: float) -> float:
        """Earliest arrival at a target leaving ``stop`` at ``t`` or later (inf: none)."""
        lo, hi = self.ptr[stop], self.ptr[stop + 1]
        i = lo + int(np.searchsorted(self.dep[lo:hi], t))
        return float(self.arr[i]) if i < hi else INF


def profiles_to_targets(conns: Connections, walks: Footpaths, egress_s: np.ndarray) -> Profiles:
    """Every stop's profile of earliest arrival at a target, over all its departures.

    ``egress_s[s]`` is the walk from stop ``s`` to its nearest target (inf: none within
    reach). One backward scan over the connections (the CSA profile search).
    """
    n = conns.n_stops
    paths = walks.lists()
    egress = np.asarray(egress_s, dtype=float).tolist()
    negdep: list[list[float]] = [[] for _ in range(n)]  # -dep ascending (dep descending)
    entries: list[list[tuple[float, int, float]]] = [[] for _ in range(n)]
    seated: list[tuple[float, int, float]] = [(INF, 0, 0.0)] * conns.n_trips
    cols = (conns.dep[::-1].tolist(), conns.arr[::-1].tolist(),
            conns.from_stop[::-1].tolist(), conns.to_stop[::-1].tolist(),
            conns.trip[::-1].tolist())  # fmt: skip
    for d, a, f, t, trip in zip(*cols, strict=True):
        best = (a + egress[t], 1, egress[t])
        stay = seated[trip]
        if (stay[0], stay[1]) < (best[0], best[1]):
            best = stay
        for v, w in paths[t]:
            k = bisect_right(negdep[v], -(a + w))
            if k:
                e = entries[v][k - 1]
                if (e[0], e[1] + 1) < (best[0], best[1]):
                    best = (e[0], e[1] + 1, e[2] + w)
        if best[0] == INF:
            continue
        seated[trip] = best
        _insert(negdep[f], entries[f], d, best)
    return _flatten(negdep, entries)


def _insert(negdep: list[float], entries: list, d: float, e: tuple[float, int, float]) -> None:
    """Add a journey leaving at ``d`` (no later than any so far) when it arrives earlier.

    Or as early with fewer vehicles (so the fastest trip's transfers are the fewest).
    """
    if entries and (e[0], e[1]) >= (entries[-1][0], entries[-1][1]):
        return
    if negdep and negdep[-1] == -d:
        entries[-1] = e
        return
    negdep.append(-d)
    entries.append(e)


def _flatten(negdep: list[list[float]], entries: list[list]) -> Profiles:
    sizes = [len(x) for x in negdep]
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    dep = np.array([-x for lst in negdep for x in reversed(lst)], dtype=float)
    flat = [e for lst in entries for e in reversed(lst)]
    arr = np.array([e[0] for e in flat], dtype=float)
    rides = np.array([e[1] for e in flat], dtype=np.int64)
    walk = np.array([e[2] for e in flat], dtype=float)
    return Profiles(ptr, dep, arr, rides, walk)
