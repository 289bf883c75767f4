"""The transit profile: the build's walk network plus a timetable, over a departure window.

A trip is: walk from the origin to a stop (the walk network, at most ``max_walk_min``),
ride, change (a walk between stops of at most ``max_transfer_walk_min``, or none at one
stop), ride, walk to the facility (at most ``max_walk_min``); or walk all the way when that
is one walk of at most ``max_walk_min`` (longer walks are the walk profile's figures; the
"without a car" measures take the best of walk, bike and public transport). For every
departure minute of the window the fastest such trip is found; an origin's figures are the
median and p90 over the window (as Conveyal/R5 report percentiles), and the transfers and
walking of its fastest trip.

One backward connection scan per category gives every stop its profile to the nearest
facility (:func:`accessibility.transit.csa.profiles_to_targets`), whatever the number of
origins; origins then walk to their nearby stops and look up those stops' profiles, all
departures at once (numpy): that part grows with origins x stops x departures
(``docs/benchmarks-transit.md``: 10,000 origins over 121 departures in about 2 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from accessibility.defaults import (
    DEFAULT_MAX_SNAP_M,
    DEFAULT_TRANSIT_MAX_TRANSFER_WALK_MIN,
    DEFAULT_TRANSIT_MAX_TRIP_MIN,
    DEFAULT_TRANSIT_MAX_WALK_MIN,
    DEFAULT_TRANSIT_STEP_S,
    DEFAULT_TRANSIT_WINDOW_MIN,
)
from accessibility.errors import ParameterError
from accessibility.network import Network
from accessibility.routing import router_for
from accessibility.snapping import Snapped, locate
from accessibility.transit.csa import Connections, Footpaths, Profiles, profiles_to_targets
from accessibility.transit.feed import Timetable

REASON_NO_SERVICE = "no_service"
WEIGHT = "travel_time_s"
#: cells of one (access pair x departure) block of the window evaluation
_BLOCK_CELLS = 4_000_000
#: origins per access search (origins x stops floats each)
_ACCESS_CHUNK = 2000
#: the coarsest step between departures of the window (seconds)
MAX_STEP_S = 3600


@dataclass(frozen=True)
class TransitSettings:
    """How a trip by public transport may go (one place for the defaults)."""

    window_min: float = DEFAULT_TRANSIT_WINDOW_MIN
    step_s: int = DEFAULT_TRANSIT_STEP_S
    max_walk_min: float = DEFAULT_TRANSIT_MAX_WALK_MIN
    max_transfer_walk_min: float = DEFAULT_TRANSIT_MAX_TRANSFER_WALK_MIN
    max_trip_min: float = DEFAULT_TRANSIT_MAX_TRIP_MIN

    def __post_init__(self) -> None:
        for name in ("window_min", "max_walk_min", "max_trip_min"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                msg = f"{name} must be a positive number of minutes, got {v!r}"
                raise ParameterError(msg)
        if not (np.isfinite(self.max_transfer_walk_min) and self.max_transfer_walk_min >= 0):
            msg = f"max_transfer_walk_min must be >= 0, got {self.max_transfer_walk_min!r}"
            raise ParameterError(msg)
        if not (1 <= int(self.step_s) <= MAX_STEP_S):
            msg = f"step_s must be 1-{MAX_STEP_S} seconds, got {self.step_s!r}"
            raise ParameterError(msg)

    def departures(self, start_s: float) -> np.ndarray:
        """Departure times of the window: every ``step_s`` from ``start_s``, end excluded."""
        return start_s + np.arange(0, self.window_min * 60, self.step_s, dtype=float)

    @property
    def scan_seconds(self) -> float:
        """How far past the window's start a connection may depart and still count."""
        return self.window_min * 60 + self.max_trip_min * 60

    def as_dict(self) -> dict[str, float]:
        """Return the settings for the manifest and the API."""
        return {"window_min": self.window_min, "step_s": int(self.step_s),
                "max_walk_min": self.max_walk_min,
                "max_transfer_walk_min": self.max_transfer_walk_min,
                "max_trip_min": self.max_trip_min}  # fmt: skip


@dataclass(frozen=True, eq=False)
class TransitTimes:
    """Per origin: travel time to the nearest facility over the departures of the window.

    Times in seconds, NaN where no trip (walk or transit) within ``max_trip_min`` exists
    for at least that share of departures. ``transfers`` and ``walk_s`` describe the fastest
    trip of the window (-1 / NaN: none); ``served`` is False where no stop within the walk
    limit has a departure in the window; ``reason`` says why a median is missing.
    """

    median_s: np.ndarray
    p90_s: np.ndarray
    best_s: np.ndarray
    transfers: np.ndarray
    walk_s: np.ndarray
    uses_transit: np.ndarray
    served: np.ndarray
    reason: np.ndarray
    departures_s: np.ndarray = field(repr=False)
    by_departure_s: np.ndarray = field(repr=False)  # origins x departures, inf: none


@dataclass(eq=False)
class TransitModel:
    """A timetable placed on a walk network: stops snapped, walks between stops."""

    timetable: Timetable
    walk: Network
    settings: TransitSettings
    stop_snap: Snapped
    conns: Connections
    footpaths: Footpaths

    @classmethod
    def build(cls, timetable: Timetable, walk: Network,
              settings: TransitSettings | None = None) -> TransitModel:  # fmt: skip
        """Snap the stops to ``walk`` and find the walks between them."""
        settings = settings or TransitSettings()
        tt = timetable
        snap = locate(walk, tt.stops["lon"].to_numpy(), tt.stops["lat"].to_numpy(),
                      max_snap_m=DEFAULT_MAX_SNAP_M, what="stop", require=False)  # fmt: skip
        conns = Connections(tt.conn_dep.astype(float), tt.conn_arr.astype(float),
                            tt.conn_from.astype(np.int64), tt.conn_to.astype(np.int64),
                            tt.conn_trip.astype(np.int64), n_stops=tt.n_stops,
                            n_trips=len(tt.trips))  # fmt: skip
        foot = _stop_walks(walk, snap, settings.max_transfer_walk_min * 60)
        return cls(tt, walk, settings, snap, conns, foot)

    @property
    def stops_off_network(self) -> int:
        """Stops farther than the snap limit from the walk network (outside the extract)."""
        return int((~self.stop_snap.ok).sum())

    def served_stops(self, start_s: float) -> np.ndarray:
        """Return the stops with a departure in the window from ``start_s`` (a bool per stop)."""
        c = self.conns
        end = start_s + self.settings.window_min * 60 + self.settings.max_walk_min * 60
        inside = (c.dep >= start_s) & (c.dep <= end)
        out = np.zeros(c.n_stops, bool)
        out[c.from_stop[inside]] = True
        return out & self.stop_snap.ok

    def times_to_nearest(
        self,
        origin_lon: np.ndarray,
        origin_lat: np.ndarray,
        facility_lon: np.ndarray,
        facility_lat: np.ndarray,
        *,
        start_s: float,
        origin_snap: Snapped | None = None,
    ) -> TransitTimes:
        """Travel times from every origin to its nearest facility over the window."""
        st = self.settings
        o_snap = origin_snap if origin_snap is not None else locate(
            self.walk, origin_lon, origin_lat, max_snap_m=DEFAULT_MAX_SNAP_M, what="origin",
            require=False)  # fmt: skip
        f_snap = locate(self.walk, facility_lon, facility_lat, max_snap_m=DEFAULT_MAX_SNAP_M,
                        what="facility", require=False)  # fmt: skip
        router = router_for(self.walk, [self.stop_snap, o_snap, f_snap])
        s_nodes = router.nodes(0, len(self.stop_snap))
        o_nodes = router.nodes(1, len(o_snap))
        f_nodes = router.nodes(2, len(f_snap))[f_snap.ok]
        n_o = len(o_snap)
        deps = st.departures(start_s)
        if len(f_nodes) == 0:
            return _nothing(n_o, deps, self.served_stops(start_s), o_snap)
        to_fac, _ = router.nearest_source(f_nodes, weight=WEIGHT)
        egress = np.where(self.stop_snap.ok, to_fac[s_nodes], np.inf)
        egress[egress > st.max_walk_min * 60] = np.inf
        direct = np.where(o_snap.ok, to_fac[o_nodes], np.inf)
        direct[direct > st.max_walk_min * 60] = np.inf  # a walk-only trip: one walk too
        prof = profiles_to_targets(self._window(start_s), self.footpaths, egress)
        pairs = _access_pairs(router, o_nodes, s_nodes, o_snap.ok & True,
                              self.stop_snap.ok, st.max_walk_min * 60)  # fmt: skip
        return _evaluate(prof, pairs, direct, deps, st.max_trip_min * 60,
                         served=self.served_stops(start_s), on_network=o_snap.ok)  # fmt: skip

    def _window(self, start_s: float) -> Connections:
        c = self.conns
        lo = int(np.searchsorted(c.dep, start_s))
        hi = int(np.searchsorted(c.dep, start_s + self.settings.scan_seconds, side="right"))
        return Connections(c.dep[lo:hi], c.arr[lo:hi], c.from_stop[lo:hi], c.to_stop[lo:hi],
                           c.trip[lo:hi], n_stops=c.n_stops, n_trips=c.n_trips)  # fmt: skip


def _stop_walks(walk: Network, snap: Snapped, limit_s: float) -> Footpaths:
    """Return the walks between stops within ``limit_s`` on the walk network (sparse)."""
    n = len(snap)
    if limit_s <= 0 or not snap.ok.any():
        return Footpaths.empty(n)
    router = router_for(walk, [snap])
    nodes = router.nodes(0, n)
    ok = np.flatnonzero(snap.ok)
    a_all, b_all, s_all = [], [], []
    for lo in range(0, len(ok), _ACCESS_CHUNK):
        rows = ok[lo : lo + _ACCESS_CHUNK]
        cost = router.one_to_many(nodes[rows], nodes[ok], weight=WEIGHT, limit=limit_s)
        i, j = np.nonzero(np.isfinite(cost) & (cost <= limit_s))
        a_all.append(rows[i])
        b_all.append(ok[j])
        s_all.append(cost[i, j])
    return Footpaths.from_pairs(n, np.concatenate(a_all), np.concatenate(b_all),
                                np.concatenate(s_all))  # fmt: skip


@dataclass(frozen=True, eq=False)
class _Pairs:
    """Origin -> stop walks within the limit, sorted by origin."""

    origin: np.ndarray
    stop: np.ndarray
    walk_s: np.ndarray


def _access_pairs(router, o_nodes, s_nodes, o_ok, s_ok, limit_s: float) -> _Pairs:
    ok_o = np.flatnonzero(o_ok)
    ok_s = np.flatnonzero(s_ok)
    oo, ss, ww = [], [], []
    for lo in range(0, len(ok_o), _ACCESS_CHUNK):
        rows = ok_o[lo : lo + _ACCESS_CHUNK]
        if len(ok_s) == 0:
            break
        cost = router.one_to_many(o_nodes[rows], s_nodes[ok_s], weight=WEIGHT, limit=limit_s)
        i, j = np.nonzero(np.isfinite(cost) & (cost <= limit_s))
        oo.append(rows[i])
        ss.append(ok_s[j])
        ww.append(cost[i, j])
    if not oo:
        z = np.zeros(0, np.int64)
        return _Pairs(z, z, np.zeros(0))
    return _Pairs(np.concatenate(oo), np.concatenate(ss), np.concatenate(ww))


def _lookup(prof: Profiles, stop: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the first profile entry of ``stop`` leaving at ``t`` or later (-1: none)."""
    span = 4.0 * 86_400.0
    keys = (np.repeat(np.arange(len(prof.ptr) - 1), np.diff(prof.ptr)) * span
            + (prof.dep + 86_400.0))  # fmt: skip
    q = stop * span + (t + 86_400.0)
    i = np.searchsorted(keys, q)
    return np.where(i < prof.ptr[stop + 1], i, -1)


def _evaluate(prof, pairs: _Pairs, direct, deps, max_trip_s, *, served, on_network) -> TransitTimes:
    """Fastest trip per origin and departure: walk all the way, or the best nearby stop."""
    n_o, n_t = len(direct), len(deps)
    times = np.repeat(direct[:, None], n_t, axis=1)
    if len(pairs.origin) and len(prof.arr):
        chunk = max(1, _BLOCK_CELLS // n_t)
        for lo in range(0, len(pairs.origin), chunk):
            o = pairs.origin[lo : lo + chunk]  # sorted
            val = _pair_times(
                prof, pairs.stop[lo : lo + chunk], pairs.walk_s[lo : lo + chunk], deps
            )
            starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
            rows = o[starts]
            times[rows] = np.minimum(times[rows], np.minimum.reduceat(val, starts, axis=0))
    times[times > max_trip_s] = np.inf
    best_t = np.argmin(times, axis=1)
    best = times[np.arange(n_o), best_t]
    transfers, walk, transit = _fastest(prof, pairs, direct, deps, best_t, best)
    reach = np.isfinite(best)
    reason = np.where(~on_network, "not_on_network",
                      np.where(reach, "", np.where(_has_service(pairs, served, n_o),
                                                   "unreachable", REASON_NO_SERVICE)))  # fmt: skip
    return TransitTimes(
        median_s=_percentile(times, 0.5), p90_s=_percentile(times, 0.9),
        best_s=np.where(reach, best, np.nan), transfers=transfers, walk_s=walk,
        uses_transit=transit, served=_has_service(pairs, served, n_o),
        reason=np.where(reason == "", None, reason).astype(object), departures_s=deps,
        by_departure_s=times,
    )  # fmt: skip


def _pair_times(prof: Profiles, stop, walk_s, deps) -> np.ndarray:
    """``pairs x departures``: door-to-facility time boarding at the pair's stop."""
    t = deps[None, :] + walk_s[:, None]
    idx = _lookup(prof, np.broadcast_to(stop[:, None], t.shape), t)
    arr = np.where(idx >= 0, prof.arr[np.maximum(idx, 0)], np.inf)
    return arr - deps[None, :]


def _fastest(prof, pairs, direct, deps, best_t, best):
    """Transfers, walking and mode of each origin's fastest trip of the window."""
    n_o = len(direct)
    transfers = np.full(n_o, -1, np.int64)
    walk = np.full(n_o, np.nan)
    transit = np.zeros(n_o, bool)
    fin = np.isfinite(best)
    by_walk = fin & (direct <= best)
    transfers[by_walk] = 0
    walk[by_walk] = direct[by_walk]
    if len(pairs.origin) and len(prof.arr):
        t = deps[best_t[pairs.origin]]
        idx = _lookup(prof, pairs.stop, t + pairs.walk_s)
        val = np.where(idx >= 0, prof.arr[np.maximum(idx, 0)], np.inf) - t
        rides = np.where(idx >= 0, prof.rides[np.maximum(idx, 0)], np.iinfo(np.int64).max)
        order = np.lexsort((rides, val, pairs.origin))  # ties: the fewest vehicles
        first = order[np.r_[True, pairs.origin[order][1:] != pairs.origin[order][:-1]]]
        o = pairs.origin[first]
        win = fin[o] & ~by_walk[o] & np.isfinite(val[first])
        o, k = o[win], idx[first][win]
        transfers[o] = prof.rides[k] - 1
        walk[o] = pairs.walk_s[first][win] + prof.walk_s[k]
        transit[o] = True
    return transfers, walk, transit


def _has_service(pairs: _Pairs, served: np.ndarray, n_o: int) -> np.ndarray:
    out = np.zeros(n_o, bool)
    out[pairs.origin[served[pairs.stop]]] = True
    return out


def _percentile(times: np.ndarray, q: float) -> np.ndarray:
    """Return the value that a share ``q`` of the departures reach (a percentile).

    No interpolation (so an unreachable share above ``1 - q`` gives NaN, not a mix).
    """
    k = int(np.ceil(q * times.shape[1])) - 1
    v = np.partition(times, k, axis=1)[:, k]
    return np.where(np.isfinite(v), v, np.nan)


def _nothing(n_o, deps, served, o_snap) -> TransitTimes:
    nan = np.full(n_o, np.nan)
    reason = np.where(o_snap.ok, "no_facility", "not_on_network").astype(object)
    return TransitTimes(nan, nan.copy(), nan.copy(), np.full(n_o, -1), nan.copy(),
                        np.zeros(n_o, bool), np.zeros(n_o, bool), reason, deps,
                        np.full((n_o, len(deps)), np.inf))  # fmt: skip
