"""Scenarios recomputed only where a change can reach, exactly (issue 12, point 1).

A facility that closes changes the values of the villages and addresses it served; one that
opens those it is nearer to. Recomputing the whole category (every point, searches over the
whole network, counts within rings) costs the size of the network. Here AFTER starts from
the build's stored BEFORE values, per category and profile, with ``C`` the closed facilities
of the category, ``O`` the opened ones and ``R`` the remaining ones:

* **closed nearest** (villages, by distance and separately by time): a village whose nearest
  facility is in ``C`` gets its nearest among ``R`` and ``O`` from one multi-source search
  towards those facilities on the part of the network around such villages
  (:meth:`_Searches.nearest`); the bound starts at 1.2 x the straight line to the nearest
  candidate at the network's top speed (:func:`accessibility.reach.metres_per_cost`) and
  grows 1.5x until every such village is reached. Every cost within the bound is exact: no
  path of that cost leaves the circles of that radius around the villages.
* **opened facilities**: one search from ``O`` bounded by the largest value, so far, of the
  villages it could improve (those closer to an opened facility in a straight line, at top
  speed, than their value); a village takes an opened facility where it is strictly nearer
  (on an exact tie the old facility is kept).
* **counts within rings** (only for :func:`after_table` with ``counts=True``; scenario
  tables do not show them): ``before - #{C within r} + #{O within r}``, one bounded search
  from each facility in ``C`` and ``O``.
* **reason** from :func:`accessibility.indicators.null_reasons`; villages off the network and
  those no change reaches keep their row (values and nearest ids).

**Persons** (the build's origins, distances only): BEFORE is the addresses table's stored
distance of the category and profile (``<category>_distance_m`` for car, or
``<category>_<profile>_distance_m`` with ``--address-outputs all``; float32), used only to
find the addresses a change can reach (with a tolerance that covers the float32 rounding).
Those addresses are then valued exactly before and after by local searches; the others keep
their value. Where the build stores no distance for a profile, BEFORE is computed once per
build, category and profile by one whole-network search (the full path's) and kept with the
loaded build: the first scenario pays, later ones are local.

Results equal the full recompute (``what_if(..., method="full")``; tests compare every
column) except, on exact ties between two facilities, which one is named nearest.

Below :data:`accessibility.engine.LOCAL_MIN_NODES` nodes every search runs on the whole
graph (as cheap there); the logic is the same.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from accessibility import engine
from accessibility.budget import checkpoint
from accessibility.crs import to_metric
from accessibility.engine import base_csr
from accessibility.indicators import SnapReport, count_column, indicator_columns, null_reasons
from accessibility.model import Build
from accessibility.network import Network
from accessibility.reach import (
    WHOLE_NETWORK_SHARE,
    metres_per_cost,
    node_grid,
    search_radius,
    subgraph,
)
from accessibility.residents import CBS_PROFILE
from accessibility.routing import router_for
from accessibility.snapping import Snapped, snap_points

#: first bound of a nearest-facility search (straight line at top speed) and its growth
_FIRST_BOUND, _GROW_BOUND = 1.2, 1.5
#: a stored origin distance (float32, perhaps rounded to 0.1 m) is within this share and these
#: metres of the exact one
_STORED_REL, _STORED_ABS = 1e-6, 0.1
#: up to this many facilities, straight lines are measured one facility at a time
_FEW = 16
#: weight -> (cost column, nearest facility column) of the indicators table
_NEAREST = {
    "length_m": ("distance_m", "nearest_by_distance_id"),
    "travel_time_s": ("travel_time_s", "nearest_by_time_id"),
}


@dataclass(frozen=True)
class LocalResult:
    """AFTER of a scenario, and the origins' distances before and after (with origins).

    ``after``: the long indicators table of the affected categories and profiles (count
    columns only when asked for). ``origins_before`` / ``origins_after``: per
    ``(category, profile)``, every origin's distance (NaN: none); they are equal wherever
    the change does not reach (there they hold the stored value).
    """

    after: pd.DataFrame
    origins_before: dict[tuple[str, str], np.ndarray] | None
    origins_after: dict[tuple[str, str], np.ndarray] | None


def opened_reports(build: Build, opened: pd.DataFrame, profiles: Sequence[str],
                   max_snap_m: float) -> list[SnapReport]:  # fmt: skip
    """Per profile: how the opened facilities snap (as the full recompute's snap reports)."""
    out = []
    for p in profiles:
        s = _snap(build.network(p), opened["lon"], opened["lat"], max_snap_m)
        out.append(SnapReport(p, s.snap_distance_m, s.ok))
    return out


def after_table(
    build: Build,
    categories: Sequence[str],
    close: Sequence[str],
    opened: pd.DataFrame,
    profiles: Sequence[str],
    *,
    persons: bool = False,
    counts: bool = False,
) -> LocalResult:
    """Compute AFTER locally for ``categories`` x ``profiles`` (see the module doc).

    ``opened``: rows of the opened facilities (``facility_id, category, lon, lat``), every
    one on the network of every profile (the caller checks, :func:`opened_reports`).
    ``persons``: also the origins' distances (the build must have origins); ``counts``:
    also the ``count_<r>km`` columns.
    """
    params = build.manifest["parameters"]
    radii = tuple(float(r) for r in params["radii_km"])
    max_snap = float(params["max_snap_m"])
    closed = frozenset(close)
    frames = []
    before_d: dict[tuple[str, str], np.ndarray] = {}
    after_d: dict[tuple[str, str], np.ndarray] = {}
    for profile in profiles:
        net = build.network(profile)
        sv = snapped_of(build, "villages", net, max_snap)
        sf_all = snapped_of(build, "facilities", net, max_snap)
        for cat in categories:
            checkpoint()
            job = _Category.make(build, net, cat, closed, opened, sv, sf_all, max_snap)
            s_origins = _origin_before(build, job, max_snap) if persons else None
            frame, d0, d1 = job.run(build, radii, s_origins, max_snap, counts=counts)
            frames.append(frame)
            if persons:
                before_d[(cat, profile)] = d0
                after_d[(cat, profile)] = d1
    cols = indicator_columns(radii) if counts else [
        c for c in indicator_columns(radii) if not c.startswith("count_")]  # fmt: skip
    table = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    return LocalResult(table, before_d if persons else None, after_d if persons else None)


# --- one category and profile ---------------------------------------------------------------


@dataclass(eq=False)
class _Category:
    """The facilities of one category on one profile: before rows, closed, opened."""

    net: Network
    category: str
    profile: str
    ids: np.ndarray  # facility ids: the category's build rows, then the opened rows
    sf: Snapped  # the same rows snapped
    usable_before: np.ndarray  # on the network, in the build
    closed: np.ndarray  # usable before and closed
    remaining: np.ndarray  # usable before and not closed
    opened: np.ndarray  # opened (on the network)
    closed_ids: frozenset[str]
    sv: Snapped

    @classmethod
    def make(cls, build: Build, net: Network, cat: str, closed_ids: frozenset[str],
             opened: pd.DataFrame, sv: Snapped, sf_all: Snapped,
             max_snap_m: float) -> _Category:  # fmt: skip
        rows = np.flatnonzero((build.facilities["category"] == cat).to_numpy())
        new = opened[opened["category"] == cat]
        s_new = _snap(net, new["lon"], new["lat"], max_snap_m)
        sf = _concat([sf_all.take(rows), s_new])
        ids = np.concatenate([build.facilities["facility_id"].to_numpy(dtype=object)[rows],
                              new["facility_id"].to_numpy(dtype=object)])  # fmt: skip
        nb = len(rows)
        is_new = np.arange(len(ids)) >= nb
        usable_before = sf.ok & ~is_new
        shut = usable_before & pd.Series(ids).isin(list(closed_ids)).to_numpy()
        return cls(net, cat, net.profile, ids, sf, usable_before, shut, usable_before & ~shut,
                   sf.ok & is_new, closed_ids, sv)  # fmt: skip

    def run(self, build: Build, radii: tuple[float, ...], s_origins: np.ndarray | None,
            max_snap_m: float, *, counts: bool):  # fmt: skip
        """Return the category's AFTER rows and (with origins) the origins' distances.

        ``s_origins``: every origin's distance before (stored or computed once; None:
        without origins). Only the origins a change may reach are snapped and placed.
        """
        ind = build.indicators
        before = ind[(ind["category"] == self.category) & (ind["profile"] == self.profile)]
        before = before.set_index("village_id").reindex(build.villages["village_id"])
        o_idx, o_snap = np.zeros(0, dtype=np.int64), None
        if s_origins is not None:
            oxy = _origin_xy(build, self.net)
            o_idx = self._origin_candidates(oxy, s_origins, max_snap_m)
            o_snap = snap_points(self.net, oxy[o_idx, 0], oxy[o_idx, 1], max_snap_m=max_snap_m)
        groups = [self.sv, self.sf] + ([o_snap] if o_snap is not None else [])
        router = router_for(self.net, groups)
        look = _Searches(router)
        vnodes = router.nodes(0, len(self.sv))
        fnodes = router.nodes(1, len(self.sf))
        out = pd.DataFrame({
            "village_id": build.villages["village_id"].to_numpy(),
            "village_name": build.villages["village_name"].to_numpy(),
            "municipality": build.villages["municipality"].to_numpy(),
            "population": build.villages["population"].to_numpy(),
            "category": self.category,
            "profile": self.profile,
        })  # fmt: skip
        for weight, (cost_col, near_col) in _NEAREST.items():
            cost, near = self._villages(look, vnodes, fnodes, before, weight, cost_col, near_col)
            out[cost_col] = np.where(np.isfinite(cost), cost, np.nan)
            out[near_col] = near
        if counts:
            for r, col in self._counts(look, vnodes, fnodes, before, radii).items():
                out[count_column(r)] = col
        out["snap_distance_m"] = self.sv.snap_distance_m
        after_any = bool((self.remaining | self.opened).any())
        out["reason"] = null_reasons(out["distance_m"].to_numpy(), after_any, self.sv.ok)
        d0 = d1 = None
        if o_snap is not None:
            onodes = router.nodes(2, len(o_idx))
            d0, d1 = self._origins(look, onodes, fnodes, o_idx, o_snap.ok, s_origins)
        return out, d0, d1

    # --- villages -------------------------------------------------------------------------------
    def _villages(self, look: _Searches, vnodes, fnodes, before: pd.DataFrame, weight: str,
                  cost_col: str, near_col: str) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Every village's cost to its nearest facility after the change, and which one."""
        ok = self.sv.ok
        cost = before[cost_col].to_numpy(dtype=float, na_value=np.nan)
        cost = np.where(np.isfinite(cost), cost, np.inf)
        near = before[near_col].to_numpy(dtype=object, na_value=None)
        near = np.where(pd.isna(near), None, near)
        lost = ok & pd.Series(near).isin(list(self.closed_ids)).to_numpy() & self.closed.any()
        after = fnodes[self.remaining | self.opened]
        if lost.any():
            c, s = look.nearest(vnodes[lost], after, weight)
            cost[lost] = c
            near[lost] = self._ids(s, look)
        if self.opened.any():
            c, s = self._from_opened(look, vnodes, fnodes, ok & ~lost, cost, weight)
            better = c < cost
            cost[better] = c[better]
            near[better] = self._ids(s[better], look)
        near[~np.isfinite(cost)] = None
        return cost, near

    def _from_opened(self, look: _Searches, nodes, fnodes, mask, cost, weight: str):
        """Return the cost of points to the nearest opened facility, and which one.

        Only for the points in ``mask`` that an opened facility may serve better than
        ``cost`` (nearer in a straight line at top speed); inf and -1 elsewhere.
        """
        c = np.full(len(nodes), np.inf)
        s = np.full(len(nodes), -1, dtype=np.int64)
        onodes = fnodes[self.opened]
        may = mask.copy()
        may[mask] = _straight(look.xy(nodes[mask]), look.xy(onodes)) / look.mpc(weight) < cost[mask]
        if may.any():
            found = look.towards(onodes, look.xy(onodes), float(cost[may].max()), weight)
            c[may], s[may] = found.at(nodes[may])
        return c, s

    def _ids(self, source_nodes: np.ndarray, look: _Searches) -> np.ndarray:
        """Facility ids of source nodes (None: -1)."""
        out = np.full(len(source_nodes), None, dtype=object)
        hit = source_nodes >= 0
        out[hit] = self.ids[source_nodes[hit] - look.router.offsets[1]]
        return out

    def _counts(self, look: _Searches, vnodes, fnodes, before: pd.DataFrame,
                radii: tuple[float, ...]) -> dict[float, pd.array]:  # fmt: skip
        """Usable facilities within each ring: before, less the closed, plus the opened."""
        ok = self.sv.ok
        delta = np.zeros((len(vnodes), len(radii)), dtype=np.int64)
        if radii:
            lim = np.asarray(radii) * 1000.0
            for sign, mask in ((-1, self.closed), (1, self.opened)):
                for f in fnodes[mask]:
                    d = look.towards(f[None], look.xy(f[None]), float(lim.max()),
                                     "length_m").at(vnodes)[0]  # fmt: skip
                    delta += sign * (d[:, None] <= lim[None, :])
        out = {}
        for k, r in enumerate(radii):
            col = before[count_column(r)].to_numpy(dtype=float, na_value=np.nan)
            now = np.where(ok, np.nan_to_num(col, nan=0.0).astype(np.int64) + delta[:, k], 0)
            arr = pd.array(now, dtype="Int64")
            arr[~ok] = pd.NA
            out[r] = arr
        return out

    # --- origins --------------------------------------------------------------------------------
    def _origin_candidates(self, xy: np.ndarray, s: np.ndarray, max_snap_m: float) -> np.ndarray:
        """Find the origins a change may reach (indexes of the origins table).

        Those nearer to a closed or an opened facility, in a straight line at top speed,
        than their value before (with its tolerance); measured from where they are, which
        is at most ``max_snap_m`` from where they snap.
        """
        t = _tolerant(s)
        mpc = metres_per_cost(self.net, "length_m")
        may = np.zeros(len(s), dtype=bool)
        for mask, finite_only in ((self.closed, True), (self.opened, False)):
            if mask.any():
                fxy = np.column_stack([self.sf.x[mask], self.sf.y[mask]])
                near = (_straight(xy, fxy) - max_snap_m) / mpc <= t
                may |= near & (np.isfinite(t) if finite_only else True)
        return np.flatnonzero(may)

    def _origins(self, look: _Searches, onodes, fnodes, o_idx, ok: np.ndarray, s: np.ndarray):
        """Every origin's distance before and after (equal where the change does not reach).

        ``o_idx``: the origins a change may reach (placed as ``onodes``; ``ok``: on the
        network); the others keep ``s`` both before and after.
        """
        d0 = s.copy()
        d1 = s.copy()
        if len(o_idx) == 0:
            return d0, d1
        w = "length_m"
        t = _tolerant(s[o_idx])
        n = len(o_idx)
        d_c, d_o, d_r = np.full(n, np.inf), np.full(n, np.inf), np.full(n, np.inf)
        # A: origins whose distance a closed facility attains (or nearly: the tolerance)
        cnodes = fnodes[self.closed]
        may_c = np.isfinite(t) & ok
        if len(cnodes):
            may_c &= _straight(look.xy(onodes), look.xy(cnodes)) / look.mpc(w) <= t
        if len(cnodes) and may_c.any():
            found = look.towards(cnodes, look.xy(cnodes), float(t[may_c].max()), w)
            d_c[may_c] = found.at(onodes[may_c])[0]
        in_a = d_c <= t
        rnodes = fnodes[self.remaining]
        d_r[in_a] = look.nearest(onodes[in_a], rnodes, w)[0]
        # B: origins an opened facility is nearer to; the A origins as far as their new value
        if self.opened.any():
            bound = np.where(in_a, np.maximum(t, d_r), t)
            d_o = self._from_opened(look, onodes, fnodes, ok, bound, w)[0]
        in_b = d_o < t
        rest = in_b & ~in_a  # their distance before is the remaining facilities'
        d_r[rest] = look.nearest(onodes[rest], rnodes, w)[0]
        x = in_a | in_b
        before = np.minimum(d_c, d_r)[x]
        after = np.minimum(d_r, d_o)[x]
        d0[o_idx[x]] = np.where(np.isfinite(before), before, np.nan)
        d1[o_idx[x]] = np.where(np.isfinite(after), after, np.nan)
        return d0, d1


def _tolerant(s: np.ndarray) -> np.ndarray:
    """Return an upper bound of the exact value of a stored distance (inf: none stored)."""
    return np.where(np.isfinite(s), s * (1.0 + _STORED_REL) + _STORED_ABS, np.inf)


def _origin_before(build: Build, job: _Category, max_snap_m: float) -> np.ndarray:
    """Every origin's distance to the category before the change (float64, NaN: none).

    The addresses table's stored distance where the build wrote one for this profile; else
    one whole-network search, once per build, category and profile (kept with the build).
    """
    o = build.origins
    outputs = build.manifest["parameters"].get("address_outputs", "car")
    col = (f"{job.category}_{job.profile}_distance_m" if outputs == "all"
           else f"{job.category}_distance_m" if job.profile == CBS_PROFILE else None)  # fmt: skip
    if col is not None and outputs != "none" and col in o.columns:
        return o[col].to_numpy(dtype=np.float64, na_value=np.nan)

    def whole() -> np.ndarray:
        so_all = snapped_of(build, "origins", job.net, max_snap_m)
        router = router_for(job.net, [so_all, job.sf])
        fnodes = router.nodes(1, len(job.sf))
        d, _ = router.nearest_source(fnodes[job.usable_before], weight="length_m")
        d = d[router.nodes(0, len(so_all))] if job.usable_before.any() else np.full(
            len(so_all), np.inf)  # fmt: skip
        return np.where(np.isfinite(d) & so_all.ok, d, np.nan)

    return _cached(build, ("origins_before", job.category, job.profile), whole)


# --- searches -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Found:
    """Costs to the nearest source and which source (node id, -1), of one search.

    ``nodes`` are the network nodes of the part searched (sorted; the arrays hold them,
    then every placed point, then a sink); None: the arrays cover every node.
    """

    cost: np.ndarray
    source: np.ndarray
    nodes: np.ndarray | None
    n_net: int

    def at(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cost and source of placed points (virtual node ids)."""
        points = np.asarray(points, dtype=np.int64)
        i = points if self.nodes is None else points - self.n_net + len(self.nodes)
        return self.cost[i], self.source[i]


class _Searches:
    """Searches towards facilities (on the reversed graph) with one router's points placed.

    A search bounded by ``limit`` runs on the network nodes within that limit's straight-line
    radius (:func:`accessibility.reach.search_radius`) of given points, plus every placed
    point and a sink for arcs that leave: costs up to ``limit`` are exact for every node
    whose whole path to its nearest source lies within those circles.
    """

    def __init__(self, router) -> None:
        self.router = router
        self.vg = router.graph
        self.net = self.vg.net
        self.n_net = self.net.n_nodes
        self.local = self.n_net >= engine.LOCAL_MIN_NODES

    def xy(self, points: np.ndarray) -> np.ndarray:
        """Metric x, y of placed points."""
        return self.router.point_xy[np.asarray(points, dtype=np.int64) - self.n_net]

    def mpc(self, weight: str) -> float:
        """Straight-line metres per unit of cost at most."""
        return metres_per_cost(self.net, weight)

    def towards(self, sources: np.ndarray, around: np.ndarray, limit: float,
                weight: str) -> _Found:  # fmt: skip
        """Search from ``sources`` (costs towards them) up to ``limit``.

        On the circles of that limit around the points ``around`` (metric x, y); on the
        whole graph when those hold most of it (or the limit is infinite).
        """
        sources = np.asarray(sources, dtype=np.int64)
        if not self.local or not np.isfinite(limit):
            return self._whole(sources, weight)
        radius = search_radius(self.net, weight, limit)
        most = int(WHOLE_NETWORK_SHARE * self.n_net)
        nodes = node_grid(self.net).near(around, radius, most=most)
        if nodes is None:
            return self._whole(sources, weight)
        k = len(nodes)
        base = base_csr(self.net, weight, reverse=True)
        sub, _ = subgraph(self.vg, base, nodes, weight=weight, reverse=True)
        d, _, src = dijkstra(sub, directed=True, indices=k + sources - self.n_net, limit=limit,
                             min_only=True, return_predecessors=True)  # fmt: skip
        src = np.asarray(src, dtype=np.int64)
        src = np.where(np.isfinite(d) & (src >= 0), src - k + self.n_net, -1)
        return _Found(d, src, nodes, self.n_net)

    def nearest(self, points: np.ndarray, sources: np.ndarray,
                weight: str) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Each point's cost to its nearest source and which one (inf, -1: none), exact.

        One search for all points whose bound grows until each is reached (or the search
        covers the whole graph).
        """
        cost = np.full(len(points), np.inf)
        src = np.full(len(points), -1, dtype=np.int64)
        if len(points) == 0 or len(sources) == 0:
            return cost, src
        pxy = self.xy(points)
        bound = np.maximum(_FIRST_BOUND * _straight(pxy, self.xy(sources)) / self.mpc(weight),
                           1.0)  # fmt: skip
        todo = np.arange(len(points))
        while len(todo):
            limit = float(bound[todo].max())
            found = self.towards(sources, pxy[todo], limit, weight)
            c, s = found.at(points[todo])
            hit = np.isfinite(c)
            cost[todo[hit]], src[todo[hit]] = c[hit], s[hit]
            if found.nodes is None:  # the whole graph: every answer is final
                break
            todo = todo[~hit]
            bound[todo] = _GROW_BOUND * limit
        return cost, src

    def _whole(self, sources: np.ndarray, weight: str) -> _Found:
        d, s = self.router.nearest_source(sources, weight=weight)
        return _Found(d, np.where(np.isfinite(d), s, -1), None, self.n_net)


# --- helpers --------------------------------------------------------------------------------


def _straight(xy: np.ndarray, to: np.ndarray) -> np.ndarray:
    """Straight-line distance from each point to the nearest of ``to`` (inf: none)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    to = np.asarray(to, dtype=float).reshape(-1, 2)
    to = to[np.isfinite(to).all(axis=1)]
    if len(to) == 0 or len(xy) == 0:
        return np.full(len(xy), np.inf)
    if len(to) <= _FEW:
        return np.min([np.hypot(xy[:, 0] - x, xy[:, 1] - y) for x, y in to], axis=0)
    return cKDTree(to).query(xy)[0]


def _snap(net: Network, lon, lat, max_snap_m: float) -> Snapped:
    x, y = to_metric(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), net.crs)
    return snap_points(net, x, y, max_snap_m=max_snap_m)


def snapped_of(build: Build, what: str, net: Network, max_snap_m: float) -> Snapped:
    """Return the build's villages, facilities or origins snapped to ``net`` (kept)."""

    def snap() -> Snapped:
        if what == "origins":
            g = build.origins.geometry
            return _snap(net, g.x.to_numpy(), g.y.to_numpy(), max_snap_m)
        table = build.villages if what == "villages" else build.facilities
        return _snap(net, table["lon"], table["lat"], max_snap_m)

    return _cached(build, (what, net.profile), snap)


def _origin_xy(build: Build, net: Network) -> np.ndarray:
    """Return the metric x, y of every origin in ``net``'s CRS (once per loaded build)."""

    def project() -> np.ndarray:
        g = build.origins.geometry
        return np.column_stack(to_metric(g.x.to_numpy(dtype=float), g.y.to_numpy(dtype=float),
                                         net.crs))  # fmt: skip

    return _cached(build, ("origin_xy", net.crs), project)


def _concat(parts: list[Snapped]) -> Snapped:
    return Snapped(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("edge", "offset_m", "snap_distance_m", "ok", "x", "y")))  # fmt: skip


_CACHES: weakref.WeakKeyDictionary[Build, dict] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _cached(build: Build, key: tuple, make):
    """``make()`` once per loaded build and key (snapped points, origins' BEFORE)."""
    with _CACHE_LOCK:
        per = _CACHES.setdefault(build, {})
        if key in per:
            return per[key]
    value = make()  # outside the lock: two requests may both compute it, once each
    with _CACHE_LOCK:
        return per.setdefault(key, value)
