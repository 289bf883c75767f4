"""Requests by public transport: isochrones and matrices at one departure (or arrival) time.

What the transit profile answers for ``/isochrones`` and ``/matrix``. Walking from every
stop (up to the walk limit) is searched once per served build and kept as a sparse table
(:meth:`TransitRouter.stop_walks`); a request then walks from its point, scans the
timetable once (forward from a departure, or backward to an arrival deadline) and adds the
stop walks of the stops it reached, so its cost is a search within the walk limit plus one
scan of the connections, not a search per stop.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from accessibility.budget import checkpoint
from accessibility.defaults import DEFAULT_CELL_M, DEFAULT_MAX_SNAP_M, TRANSIT_PROFILE
from accessibility.errors import ParameterError
from accessibility.isochrones import (
    ContourResult,
    check_request,
    contour_result_of,
    locate_targets,
    polygons_of_costs,
)
from accessibility.reach import Reached
from accessibility.routing import MatrixResult, router_for
from accessibility.snapping import Snapped, locate, lonlat_table, snapped_lonlat
from accessibility.transit.csa import earliest_arrival, latest_departure
from accessibility.transit.feed import Timetable
from accessibility.transit.model import WEIGHT, TransitModel, TransitSettings

DIRECTIONS = ("from", "to")
#: minutes between the departures of a window isochrone (its median over them)
WINDOW_STEP_MIN = 5


@dataclass(frozen=True, eq=False)
class _StopWalks:
    """Walks from (``reverse``: to) every stop within the walk limit, sorted by stop."""

    stop: np.ndarray
    node: np.ndarray
    seconds: np.ndarray


@dataclass(eq=False)
class TransitRouter:
    """A transit model ready for requests (stop walks computed on first use, then kept)."""

    model: TransitModel
    _walks: dict[bool, _StopWalks] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def max_walk_s(self) -> float:
        """The longest walk to, from or without a stop (seconds)."""
        return self.model.settings.max_walk_min * 60

    def stop_walks(self, *, reverse: bool) -> _StopWalks:
        """Every node within the walk limit of each stop (``reverse``: from which it is)."""
        with self._lock:
            if reverse not in self._walks:
                self._walks[reverse] = self._search_stop_walks(reverse)
            return self._walks[reverse]

    def _search_stop_walks(self, reverse: bool) -> _StopWalks:
        snap = self.model.stop_snap
        router = router_for(self.model.walk, [snap])
        nodes = router.nodes(0, len(snap))
        parts = []
        for s in np.flatnonzero(snap.ok):
            r = router.reach(nodes[s : s + 1], weight=WEIGHT, limit=self.max_walk_s,
                             reverse=reverse)  # fmt: skip
            parts.append((np.full(len(r.nodes), s), r.nodes, r.cost))
        if not parts:
            z = np.zeros(0, np.int64)
            return _StopWalks(z, z, np.zeros(0))
        return _StopWalks(*(np.concatenate(x) for x in zip(*parts, strict=True)))

    def check_time(self, when: dt.datetime | None) -> float:
        """Seconds after midnight of the timetable's day; its first departure when None."""
        tt = self.model.timetable
        if when is None:
            return float(tt.conn_dep.min())
        if when.date() != tt.date:
            msg = (f"departure {when.isoformat(timespec='minutes')}: this build's timetable is "
                   f"for {tt.date.isoformat()}; ask a time on that day")  # fmt: skip
            raise ParameterError(msg)
        return float(when.hour * 3600 + when.minute * 60 + when.second)

    def reach(
        self,
        snapped: Snapped,
        *,
        at_s: float | Sequence[float],
        limit_s: float,
        direction: str = "from",
    ) -> tuple[Reached, object]:
        """Door-to-node travel times within ``limit_s`` (``to``: node-to-door, by ``at_s``).

        Returns the reached nodes of the request's graph (the walk network with the stops
        and the point placed) and that router (its graph draws the contours). With several
        times ``at_s`` (a window), a node's cost is its median over them (no interpolation:
        a node reached at fewer than half of the times is not reached).
        """
        if direction not in DIRECTIONS:
            msg = f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}"
            raise ParameterError(msg)
        m = self.model
        reverse = direction == "to"
        router = router_for(m.walk, [m.stop_snap, snapped])
        point = router.nodes(1, len(snapped))[snapped.ok]
        walk = router.reach(point, weight=WEIGHT, limit=min(limit_s, self.max_walk_s),
                            reverse=reverse)  # fmt: skip
        stops = router.nodes(0, len(m.stop_snap))
        door = np.where(m.stop_snap.ok, walk[stops], np.inf)
        walks = self.stop_walks(reverse=reverse)
        rows = []
        for t in np.atleast_1d(np.asarray(at_s, dtype=float)):
            checkpoint()
            e = self._elapsed(door, float(t), limit_s, reverse)[walks.stop]
            c = e + walks.seconds
            keep = np.isfinite(e) & (c <= limit_s)
            best = np.full(router.n_nodes, np.inf)  # the least cost per node, by any way
            best[walk.nodes] = walk.cost
            np.minimum.at(best, walks.node[keep], c[keep])
            rows.append(Reached.from_dense(best))
        if len(rows) == 1:
            return rows[0], router
        return _median(rows), router

    def _elapsed(self, door: np.ndarray, at_s: float, limit_s: float, reverse: bool):
        """Time from the door to being at each stop off a vehicle (``reverse``: to the door)."""
        m = self.model
        if not reverse:
            start = at_s + door
            arr, _ = earliest_arrival(m.conns, m.footpaths, start, until=at_s + limit_s,
                                      vehicle_only=True)  # fmt: skip
            return arr - at_s
        deadline = np.where(np.isfinite(door), at_s - door, -np.inf)
        late = latest_departure(m.conns, m.footpaths, deadline, since=at_s - limit_s,
                                vehicle_only=True)  # fmt: skip
        return at_s - late

    def matrix(
        self,
        sources_lonlat: np.ndarray,
        destinations_lonlat: np.ndarray,
        *,
        at: dt.datetime | None = None,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ) -> MatrixResult:
        """Door-to-door times by public transport leaving at ``at`` (one scan per source).

        ``durations_s[i][j]``: walk to a stop, ride (changes included), walk from where the
        vehicle stops; or one walk all the way within the walk limit. NaN where no trip
        within the limits exists. ``distances_m`` is NaN (a timetable has no distance).
        """
        m = self.model
        at_s = self.check_time(at)
        src = lonlat_table(sources_lonlat, name="sources")
        dst = lonlat_table(destinations_lonlat, name="destinations")
        s_snap = locate(m.walk, src[:, 0], src[:, 1], max_snap_m=max_snap_m, what="source",
                        require=False)  # fmt: skip
        d_snap = locate(m.walk, dst[:, 0], dst[:, 1], max_snap_m=max_snap_m,
                        what="destination", require=False)  # fmt: skip
        router = router_for(m.walk, [m.stop_snap, s_snap, d_snap])
        stops = router.nodes(0, len(m.stop_snap))[m.stop_snap.ok]
        s_nodes, d_nodes = router.nodes(1, len(s_snap)), router.nodes(2, len(d_snap))
        walk = self.max_walk_s
        access = router.one_to_many(s_nodes, stops, weight=WEIGHT, limit=walk)
        egress = router.one_to_many(stops, d_nodes, weight=WEIGHT, limit=walk)
        out = router.one_to_many(s_nodes, d_nodes, weight=WEIGHT, limit=walk)  # on foot
        start = np.full(len(m.stop_snap), np.inf)
        for i in np.flatnonzero(s_snap.ok):
            checkpoint()
            start[m.stop_snap.ok] = at_s + access[i]
            alight, _ = earliest_arrival(m.conns, m.footpaths, start, until=at_s + self.max_trip_s,
                                         vehicle_only=True)  # fmt: skip
            e = alight[m.stop_snap.ok] - at_s
            near = np.isfinite(e)
            if near.any():
                out[i] = np.minimum(out[i], np.min(e[near, None] + egress[near], axis=0))
        out[(out > self.max_trip_s) | ~s_snap.ok[:, None] | ~d_snap.ok[None, :]] = np.inf
        out = np.where(np.isfinite(out), out, np.nan)
        return MatrixResult(
            distances_m=np.full(out.shape, np.nan), durations_s=out,
            sources_snapped=snapped_lonlat(m.walk, s_snap),
            destinations_snapped=snapped_lonlat(m.walk, d_snap),
            source_snap_distance_m=s_snap.snap_distance_m.copy(),
            destination_snap_distance_m=d_snap.snap_distance_m.copy(),
            source_on_network=s_snap.ok.copy(), destination_on_network=d_snap.ok.copy(),
        )  # fmt: skip

    @property
    def max_trip_s(self) -> float:
        """The longest trip that counts (seconds)."""
        return self.model.settings.max_trip_min * 60

    def isochrones(
        self,
        lon: float,
        lat: float,
        *,
        minutes: Sequence[float],
        at: dt.datetime | None = None,
        direction: str = "from",
        cell_m: float = DEFAULT_CELL_M,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        fill_holes: bool = True,
        targets: np.ndarray | None = None,
        window: bool = False,
    ) -> ContourResult:
        """Nested contours of where one gets by public transport within ``minutes``.

        ``at``: the departure (``from``) or the arrival deadline (``to``: "from where can I
        be there by 09:00"); default the timetable's first departure. ``window``: the
        median over the build's departure window from ``at`` (every
        :data:`WINDOW_STEP_MIN` minutes) instead of one time. Columns as
        :func:`accessibility.isochrones.isochrones` gives them, ``profile`` ``transit``,
        plus ``departure`` and ``statistic`` (``at`` or ``median``).
        """
        _, values, direction, cell_m = check_request(list(minutes), None, direction, cell_m)
        snapped = locate(self.model.walk, lon, lat, max_snap_m=max_snap_m, what="location")
        return self._contours(snapped, values, at=at, direction=direction, cell_m=cell_m,
                              fill_holes=fill_holes, max_snap_m=max_snap_m, targets=targets,
                              window=window)  # fmt: skip

    def catchment(
        self,
        lonlat: np.ndarray,
        *,
        minutes: float,
        at: dt.datetime | None = None,
        direction: str = "to",
        cell_m: float = DEFAULT_CELL_M,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        fill_holes: bool = True,
        targets: np.ndarray | None = None,
        window: bool = False,
    ) -> ContourResult:
        """Return the area within ``minutes`` of ANY of several points by public transport.

        ``direction="to"`` (default): from where one reaches a point in time (arriving by
        ``at``); ``"from"``: where one gets from a point leaving at ``at``. Points farther
        than ``max_snap_m`` from the walk network are skipped (``points_used``).
        """
        _, values, direction, cell_m = check_request([minutes], None, direction, cell_m,
                                                     one_limit=True)  # fmt: skip
        pts = lonlat_table(lonlat, name="points")
        snapped = locate(self.model.walk, pts[:, 0], pts[:, 1], max_snap_m=max_snap_m,
                         what="point", require=False)  # fmt: skip
        return self._contours(snapped, values, at=at, direction=direction, cell_m=cell_m,
                              fill_holes=fill_holes, max_snap_m=max_snap_m, targets=targets,
                              window=window,
                              extra={"points_used": int(snapped.ok.sum())})  # fmt: skip

    def _contours(self, snapped: Snapped, values: np.ndarray, *, at, direction, cell_m,
                  fill_holes, max_snap_m, targets, window,
                  extra=None) -> ContourResult:  # fmt: skip
        """Draw the contours of the node costs from the snapped points (a time or a window)."""
        at_s = self.check_time(at)
        times = [at_s]
        if window:
            span = self.model.settings.window_min * 60
            times = list(at_s + np.arange(0, span, WINDOW_STEP_MIN * 60))
        net = self.model.walk
        limits = values * 60.0
        cost, router = self.reach(snapped, at_s=times, limit_s=float(limits[-1]),
                                  direction=direction)  # fmt: skip
        at_pts = locate_targets(net, targets, max_snap_m=max_snap_m)
        geoms, target_cost, cell_used = polygons_of_costs(
            net, router.graph, cost, snapped, limits=limits, factor=60.0, weight=WEIGHT,
            direction=direction, cell_m=cell_m, fill_holes=fill_holes, targets=at_pts,
        )  # fmt: skip
        when = dt.datetime.combine(self.model.timetable.date, dt.time()) + dt.timedelta(
            seconds=at_s)  # fmt: skip
        ok = snapped.ok
        snap_m = float(np.nanmean(snapped.snap_distance_m[ok])) if ok.any() else float("nan")
        return contour_result_of(
            net, geoms, values=values, unit="minutes", profile=TRANSIT_PROFILE,
            direction=direction, snap_distance_m=snap_m, cell_m=cell_used,
            target_cost=target_cost,
            extra={"departure": when.isoformat(timespec="minutes"),
                   "statistic": "median" if window else "at",
                   "window_min": self.model.settings.window_min if window else None,
                   **(extra or {})},
        )  # fmt: skip


def _median(rows: list[Reached]) -> Reached:
    """Per node, the median cost over several searches (inf where not reached at one)."""
    nodes = np.unique(np.concatenate([r.nodes for r in rows]))
    costs = np.stack([r[nodes] for r in rows])  # searches x nodes, inf where not reached
    k = int(np.ceil(0.5 * len(rows))) - 1
    median = np.partition(costs, k, axis=0)[k]
    ok = np.isfinite(median)
    return Reached(nodes[ok], median[ok])


def transit_router(build) -> TransitRouter:
    """Return the transit router of a loaded build (its timetable on its walk network).

    Raises
    ------
    UnknownProfileError
        When the build has no public transport.
    """
    if not build.has_transit:
        build.pick_indicator_profile(TRANSIT_PROFILE)  # raises, saying how to add it
    tt = Timetable.load(build.layout.timetable)
    settings = TransitSettings(**build.manifest["transit"]["settings"])
    return TransitRouter(TransitModel.build(tt, build.networks["walk"], settings))
