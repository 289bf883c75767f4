"""Isochrones and catchments: bounded Dijkstra from points -> nested contour polygons.

This module routes and samples; :mod:`accessibility.contours` draws the polygons and
:mod:`accessibility.areas` finds the villages inside them. The method is Valhalla's grid
idea, vectorised:

1. snap the location(s) and place them on the network (:func:`routing.router_for`);
2. one bounded search (``Router.within``, limit = largest contour) on the forward
   graph (``direction="from"``: reachable from the point) or the reversed graph
   (``"to"``: can reach the point), in seconds for ``minutes`` or metres for ``meters``;
3. every edge piece with a reached end contributes the part of it one gets along before
   the budget runs out (partly reached edges count); those parts are sampled every
   ``cell_m / 2`` with plain numpy (no per-edge Python loop), each sample with its cost;
4. :func:`accessibility.contours.contour_polygons` turns the samples into a per-cell
   minimum-cost raster and one polygon per contour (grown along the roads, small gaps
   closed, enclosed holes filled: ``fill_holes``), and
   :func:`accessibility.contours.polygons_to_wgs84` reprojects them to WGS84 so that the
   contours NEST; ``area_m2`` is the area of the returned polygon in the metric CRS of the
   network.

A contour therefore covers the cells that reached roads pass through plus about one cell
of land on either side where its limit leaves the time to get there (so it ends within a
cell of the last reached point), small gaps and holes closed: the area served by the roads one can
drive (cycle, walk) in time, not a smooth blob and not a convex hull. Travel off the road
from the snapped location is not modelled (its length is ``snap_distance_m``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from geopandas.array import from_shapely

from accessibility.contours import contour_polygons, fit_cell, polygons_to_wgs84
from accessibility.crs import WGS84, to_metric
from accessibility.defaults import DEFAULT_CELL_M, DEFAULT_MAX_SNAP_M
from accessibility.engine import VirtualGraph, base_csr
from accessibility.errors import PointOutsideNetworkError, RequestTooLargeError
from accessibility.network import Network
from accessibility.reach import Reached, incident_edges, node_grid
from accessibility.routing import router_for
from accessibility.snapping import Snapped, check_max_snap, locate, lonlat_table

#: At most this many contours per request (guard against absurd input).
MAX_CONTOURS = 10
DIRECTIONS = ("from", "to")
#: ``unit -> (weight of the search, cost units per contour unit)``.
UNITS = {"minutes": ("travel_time_s", 60.0), "meters": ("length_m", 1.0)}
#: Most sample points along reached roads one request may create.
MAX_SAMPLES = 8_000_000
#: Smallest and largest allowed cell size (metres).
CELL_M_RANGE = (1.0, 10_000.0)

_WGS84_CRS = pyproj.CRS.from_user_input(WGS84)


# --- validation -----------------------------------------------------------------------------
def _check_contours(
    minutes: Sequence[float] | float | None, meters: Sequence[float] | float | None
) -> tuple[str, np.ndarray]:
    """Return ``(unit, sorted unique contour values)``, or raise ValueError."""
    if (minutes is None) == (meters is None):
        got = "both" if minutes is not None else "neither"
        msg = f"give exactly one of minutes or meters, got {got}"
        raise ValueError(msg)
    unit = "minutes" if minutes is not None else "meters"
    raw = minutes if minutes is not None else meters
    try:
        values = np.atleast_1d(np.asarray(raw, dtype=float))
    except (TypeError, ValueError):
        msg = f"{unit} must be a sequence of positive numbers, got {raw!r}"
        raise ValueError(msg) from None
    if values.ndim != 1 or len(values) == 0:
        msg = f"{unit} must hold at least one positive number, got {raw!r}"
        raise ValueError(msg)
    if len(values) > MAX_CONTOURS:
        msg = f"{unit}: got {len(values)} contours, expected at most {MAX_CONTOURS}"
        raise ValueError(msg)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        msg = f"{unit} must be finite and > 0, got {raw!r}"
        raise ValueError(msg)
    return unit, np.unique(values)


def _check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        msg = f"direction must be one of {DIRECTIONS}, got {direction!r}"
        raise ValueError(msg)
    return direction


def _check_cell(cell_m: float) -> float:
    value = float(cell_m)
    lo, hi = CELL_M_RANGE
    if not np.isfinite(value) or not lo <= value <= hi:
        msg = f"cell_m must be between {lo:g} and {hi:g} metres, got {cell_m!r}"
        raise ValueError(msg)
    return value


# --- positions along edges ---------------------------------------------------------------------
def _cost_per_m(net: Network, weight: str, forward: bool, edge: np.ndarray) -> np.ndarray:
    """Cost of a metre along ``edge`` in one direction (1 for length; 0 on 0-length edges)."""
    if weight == "length_m":
        return np.ones(len(edge))
    time = (net.edge_time_s if forward else net.edge_time_backward_s)[edge]
    length = net.edge_length_m[edge]
    return np.divide(time, length, out=np.zeros_like(length), where=length > 0)


def _interpolate(
    net: Network, edge: np.ndarray, offset_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """x, y of the points ``offset_m`` (network metres from node u) along ``edge``.

    On the cumulative geometry length the snapping keeps (:attr:`SegmentGrid.cum_m`).
    """
    grid = net.edge_index
    cum = grid.cum_m
    start = net.edge_geom_start[edge]
    end = net.edge_geom_end[edge]
    length = net.edge_length_m[edge]
    scale = np.divide(grid.edge_length(edge), length, out=np.ones_like(length), where=length > 0)
    target = cum[start] + offset_m * scale
    p = start.copy()  # a straight edge (two points) has one segment: no search
    bent = np.flatnonzero(end - start > 1)
    if len(bent):
        found = np.searchsorted(cum, target[bent], side="right") - 1
        p[bent] = np.clip(found, start[bent], end[bent] - 1)
    q = np.minimum(p + 1, len(cum) - 1)
    seg = np.hypot(net.coord_x[q] - net.coord_x[p], net.coord_y[q] - net.coord_y[p])
    frac = np.divide(target - cum[p], seg, out=np.zeros_like(target), where=seg > 0)
    frac = np.clip(frac, 0.0, 1.0)
    x = net.coord_x[p] + frac * (net.coord_x[q] - net.coord_x[p])
    y = net.coord_y[p] + frac * (net.coord_y[q] - net.coord_y[p])
    return x, y


# --- reached edge parts -> cost samples ---------------------------------------------------------
def _pieces(net: Network, vg: VirtualGraph, edges: np.ndarray) -> dict[str, np.ndarray]:
    """Return the pieces of ``edges`` (unsplit: ``u -> v``) and every piece of a split edge."""
    pe = edges[~np.isin(edges, vg.piece_edge, kind="table")] if len(vg.piece_edge) else edges
    return {
        "edge": np.concatenate([pe, vg.piece_edge]),
        "a_m": np.concatenate([np.zeros(len(pe)), vg.piece_a_m]),
        "b_m": np.concatenate([net.edge_length_m[pe], vg.piece_b_m]),
        "node_a": np.concatenate([net.edge_u[pe], vg.piece_node_a]),
        "node_b": np.concatenate([net.edge_v[pe], vg.piece_node_b]),
    }


@dataclass(frozen=True)
class _SamplePlan:
    """The samples of :func:`plan_samples`, counted but not yet placed.

    ``nodes``/``node_cost``: the junctions at the ends of the short, wholly reached pieces,
    one sample each (a junction ends several pieces: one sample, not one per piece);
    ``linear``/``n``: the other reached intervals, ``n`` samples each, every value linear
    in the sample number (:func:`_expand`).
    """

    nodes: np.ndarray
    node_cost: np.ndarray
    linear: list[tuple[np.ndarray, np.ndarray]]
    n: np.ndarray

    @property
    def total(self) -> int:
        """Number of samples."""
        return len(self.nodes) + int(self.n.sum())


@dataclass(frozen=True)
class _Reach:
    """The pieces with what sampling needs (those with no end reached give no sample).

    ``reach_a``/``reach_b``: how far one gets into the piece from each end (metres, capped
    at the piece; -1 where not from that end); ``full``: reached from end to end.
    """

    e: np.ndarray
    a: np.ndarray
    b: np.ndarray
    na: np.ndarray
    nb: np.ndarray
    ca: np.ndarray
    cb: np.ndarray
    ok_a: np.ndarray
    ok_b: np.ndarray
    c_a: np.ndarray
    c_b: np.ndarray
    reach_a: np.ndarray
    reach_b: np.ndarray
    full: np.ndarray
    on_junctions: np.ndarray  # both ends are network nodes (not points placed on the edge)

    @classmethod
    def of(cls, net: Network, pieces: dict[str, np.ndarray], ends: tuple[np.ndarray, np.ndarray],
           *, weight: str, limit: float, direction: str) -> _Reach:  # fmt: skip
        """Price the pieces (``ends``: their end costs, :func:`_end_costs`).

        A position ``s`` of a piece ``a -> b`` is reached through end ``a`` at cost
        ``cost[a] + c * (s - a)`` when travel from ``a`` towards ``b`` is allowed (forward
        for ``"from"``; for ``"to"`` the path runs from ``s`` to ``a``, so backward),
        likewise through ``b``; ``c`` is the edge's cost per metre.
        """
        e, a, b = pieces["edge"], pieces["a_m"], pieces["b_m"]
        na, nb = pieces["node_a"], pieces["node_b"]
        ca, cb = ends
        fwd, bwd = net.edge_forward[e], net.edge_backward[e]
        ok_a, ok_b = (fwd, bwd) if direction == "from" else (bwd, fwd)
        ok_a = ok_a & (ca <= limit)
        ok_b = ok_b & (cb <= limit)
        from_a = direction == "from"
        c_a = _cost_per_m(net, weight, from_a, e)
        c_b = _cost_per_m(net, weight, not from_a, e)
        span = b - a
        reach_a = np.where(ok_a, np.minimum(span, _safe_div(limit - ca, c_a)), -1.0)
        reach_b = np.where(ok_b, np.minimum(span, _safe_div(limit - cb, c_b)), -1.0)
        full = ok_a & ok_b & (reach_a + reach_b >= span)
        on_junctions = (na < net.n_nodes) & (nb < net.n_nodes)
        return cls(e, a, b, na, nb, ca, cb, ok_a, ok_b, c_a, c_b, reach_a, reach_b, full,
                   on_junctions)  # fmt: skip

    def intervals(self, step_m: float) -> tuple[np.ndarray, ...]:
        """Short whole pieces (their ends are samples), and the other reached intervals.

        Returns ``short, piece, lo, hi, n``: the mask of pieces wholly reached, between two
        junctions and no longer than ``step_m``; then each interval's piece, its ends
        (metres) and its number of samples.
        """
        span = self.b - self.a
        short = self.full & (span <= step_m) & self.on_junctions
        full = self.full & ~short
        part_a = self.ok_a & ~self.full
        part_b = self.ok_b & ~self.full
        piece = np.concatenate([np.flatnonzero(full), np.flatnonzero(part_a),
                                np.flatnonzero(part_b)])  # fmt: skip
        lo = np.concatenate([self.a[full], self.a[part_a], (self.b - self.reach_b)[part_b]])
        hi = np.concatenate([self.b[full], (self.a + self.reach_a)[part_a], self.b[part_b]])
        n = np.ceil((hi - lo) / step_m).astype(np.int64) + 1
        return short, piece, lo, hi, n

    @cached_property
    def _lengths(self) -> tuple[np.ndarray, np.ndarray]:
        """Lengths of the whole pieces between junctions, and of every other interval."""
        span = self.b - self.a
        between = self.full & self.on_junctions
        other = np.r_[
            span[self.full & ~self.on_junctions],
            self.reach_a[self.ok_a & ~self.full],
            self.reach_b[self.ok_b & ~self.full],
        ]
        return span[between], other  # fmt: skip

    def count(self, step_m: float, n_nodes: int) -> int:
        """Return an upper bound of the samples at ``step_m`` (``n_nodes``: the network's)."""
        between, other = self._lengths
        short = between <= step_m
        rest = np.r_[between[~short], other]
        return min(2 * int(short.sum()), n_nodes) + int(np.ceil(rest / step_m).sum()) + len(rest)


def plan_samples(net: Network, r: _Reach, *, step_m: float) -> _SamplePlan:
    """Plan points every <= ``step_m`` along the reached parts of the pieces.

    A wholly reached piece between two junctions no longer than ``step_m`` needs no sample
    but its ends: those are the junctions' own samples, one per junction.
    """
    short, pc, iv_lo, iv_hi, n = r.intervals(step_m)
    span = r.b - r.a
    nodes, node_cost = _junction_samples(
        net, r.na[short], r.nb[short], np.minimum(r.ca, r.cb + r.c_b * span)[short],
        np.minimum(r.ca + r.c_a * span, r.cb)[short],
    )  # fmt: skip
    # every value along an interval is linear in the sample number j: computed per interval,
    # then sample j of every interval at once (millions of samples on a large catchment)
    a, ca, cb, ok_a, ok_b, c_a, c_b = r.a, r.ca, r.cb, r.ok_a, r.ok_b, r.c_a, r.c_b
    ds = (iv_hi - iv_lo) / np.maximum(n - 1, 1)
    ee = r.e[pc]
    start, end = net.edge_geom_start[ee], net.edge_geom_end[ee]
    straight = end - start == 1
    inv = np.divide(1.0, net.edge_length_m[ee], out=np.zeros(len(ee)),
                    where=net.edge_length_m[ee] > 0)  # fmt: skip
    dx = (net.coord_x[end] - net.coord_x[start]) * inv * straight  # 0 on bent edges
    dy = (net.coord_y[end] - net.coord_y[start]) * inv * straight
    with np.errstate(invalid="ignore"):  # inf end costs of the ends one cannot leave from
        linear = [
            (np.where(ok_a[pc], ca[pc] + c_a[pc] * (iv_lo - a[pc]), np.inf),
             np.where(ok_a[pc], c_a[pc] * ds, 0.0)),
            (np.where(ok_b[pc], cb[pc] + c_b[pc] * (r.b[pc] - iv_lo), np.inf),
             np.where(ok_b[pc], -c_b[pc] * ds, 0.0)),
            (net.coord_x[start] + iv_lo * dx, ds * dx),
            (net.coord_y[start] + iv_lo * dy, ds * dy),
            (iv_lo, ds),  # the offset itself, for the bent edges
            (np.where(straight, -1.0, ee), np.zeros(len(ee))),  # the bent edge, -1 straight
        ]  # fmt: skip
    return _SamplePlan(nodes, node_cost, linear, n)


def _samples(net: Network, pieces: dict[str, np.ndarray], cost: np.ndarray, *, weight: str,
             limit: float, direction: str,
             step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Return x, y and cost of points every <= ``step_m`` along the reached pieces."""
    ends = _end_costs(net, pieces, cost, direction)
    reach = _Reach.of(net, pieces, ends, weight=weight, limit=limit, direction=direction)
    return place_samples(net, plan_samples(net, reach, step_m=step_m))


def _junction_samples(net: Network, na, nb, cost_a, cost_b) -> tuple[np.ndarray, np.ndarray]:
    """One sample per junction at the ends of short pieces: its least cost over them."""
    nodes = np.concatenate([na, nb])
    costs = np.concatenate([cost_a, cost_b])
    if len(nodes) == 0:
        return nodes, costs
    if 16 * len(nodes) < net.n_nodes:  # few: sort them (in proportion to the answer)
        order = np.lexsort((costs, nodes))
        nodes, costs = nodes[order], costs[order]
        first = np.r_[True, nodes[1:] != nodes[:-1]]
        return nodes[first], costs[first]
    best = np.full(net.n_nodes, np.inf)  # many: one pass over the nodes, no sort
    np.minimum.at(best, nodes, costs)
    seen = np.zeros(net.n_nodes, dtype=bool)
    seen[nodes] = True
    at = np.flatnonzero(seen)
    return at, best[at]


def place_samples(net: Network, plan: _SamplePlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the x, y and cost of every sample of ``plan``."""
    cost_from_a, cost_from_b, x, y, offset, bent_edge = _expand(plan.linear, plan.n)
    bent = bent_edge >= 0
    if bent.any():
        x[bent], y[bent] = _interpolate(net, bent_edge[bent].astype(np.int64), offset[bent])
    return (np.concatenate([net.node_x[plan.nodes], x]),
            np.concatenate([net.node_y[plan.nodes], y]),
            np.concatenate([plan.node_cost, np.minimum(cost_from_a, cost_from_b)]))  # fmt: skip


#: the rank-by-rank expansion pays from this many samples per rank (its Python loop per rank)
_SAMPLES_PER_RANK = 300


def _expand(linear: list[tuple[np.ndarray, np.ndarray]], n: np.ndarray) -> list[np.ndarray]:
    """Return ``base + j * step`` for ``j < n`` of every interval, per ``(base, step)`` pair.

    Many samples (a province-wide catchment): rank by rank (sample j of every interval
    with more than j, intervals sorted by their count), each rank one vector operation on
    a prefix, no per-sample index arrays. Few (an isochrone in a village): per sample,
    which costs fewer Python steps.
    """
    total = int(n.sum())
    top = int(n.max()) if len(n) else 0
    if top * _SAMPLES_PER_RANK > total:  # few intervals per rank: index sample by sample
        rep = np.repeat(np.arange(len(n)), n)
        j = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
        return [base[rep] + j * step[rep] for base, step in linear]
    order = np.argsort(-n, kind="stable")
    ns = n[order]
    per_rank = np.searchsorted(-ns, -np.arange(top), side="left")  # intervals with n > j
    cols = [(base[order], step[order]) for base, step in linear]
    outs = [np.empty(int(per_rank.sum())) for _ in cols]
    at = 0
    for j, m in enumerate(per_rank.tolist()):
        for (base, step), out in zip(cols, outs, strict=True):
            np.multiply(step[:m], j, out=out[at : at + m])
            out[at : at + m] += base[:m]
        at += m
    return outs


def _end_costs(
    net: Network, pieces: dict[str, np.ndarray], cost: np.ndarray, direction: str
) -> tuple[np.ndarray, np.ndarray]:
    """Cost at the two ends of every piece, as seen by travel along the piece.

    Where turn restrictions split a junction, an edge end is more than one node: leaving
    along the edge (``"from"``) one may start at the junction or at a copy that keeps this
    edge (the cheapest counts); arriving along it (``"to"``) one ends where the edge's arc
    ends (the copy, when the arrival is restricted).
    """
    e = pieces["edge"]
    na, nb = pieces["node_a"], pieces["node_b"]
    at_u, at_v = na == net.edge_u[e], nb == net.edge_v[e]
    if len(net.node_copy_of) == 0:
        return cost[na], cost[nb]
    if direction == "to":
        hf, hb = net.arc_heads
        return cost[np.where(at_u, hb[e], na)], cost[np.where(at_v, hf[e], nb)]
    ca, cb = cost[na], cost[nb]
    ct, ce, cf = net.copy_tails
    for fwd, at, out in ((True, at_u, ca), (False, at_v, cb)):
        np.minimum(out, np.where(at, _best_copy(e, ct[cf == fwd], ce[cf == fwd], cost), np.inf),
                   out=out)  # fmt: skip
    return ca, cb


def _best_copy(e: np.ndarray, copy: np.ndarray, copy_edge: np.ndarray, cost) -> np.ndarray:
    """Per piece edge ``e``, the cost of the cheapest reached copy that leaves along it."""
    out = np.full(len(e), np.inf)
    c = cost[copy]
    hit = np.isfinite(c)
    c, ce = c[hit], copy_edge[hit]
    if len(c) == 0 or len(e) == 0:
        return out
    order = np.argsort(e, kind="stable")
    lo = np.searchsorted(e[order], ce, side="left")
    hi = np.searchsorted(e[order], ce, side="right")
    lens = hi - lo
    idx = np.repeat(lo - np.r_[0, np.cumsum(lens)[:-1]], lens) + np.arange(lens.sum())
    np.minimum.at(out, order[idx], np.repeat(c, lens))
    return out


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, +inf where ``den`` is 0 (a zero-cost edge is reached entirely)."""
    return np.divide(num, den, out=np.full_like(num, np.inf), where=den > 0)


def _piece_of(pieces: dict[str, np.ndarray], edge: np.ndarray, offset_m: np.ndarray) -> np.ndarray:
    """Index of the piece holding each position (edge, metres from its node u); -1: none."""
    order = np.lexsort((pieces["a_m"], pieces["edge"]))
    pe, pa = pieces["edge"][order], pieces["a_m"][order]
    lo = np.searchsorted(pe, edge, side="left")
    hi = np.searchsorted(pe, edge, side="right")
    at = lo.copy()
    step = 1
    while (more := lo + step < hi).any():  # a split edge has a few pieces, in order of a_m
        nxt = np.minimum(lo + step, len(pa) - 1)
        at = np.where(more & (pa[nxt] <= offset_m), lo + step, at)
        step += 1
    return np.where(lo < hi, order[np.minimum(at, len(order) - 1)], -1)


def _costs_at(
    net: Network,
    pieces: dict[str, np.ndarray],
    cost: np.ndarray,
    targets: Snapped,
    *,
    weight: str,
    direction: str,
) -> np.ndarray:
    """Network cost of every target (snapped point), as :func:`plan_samples` prices a point.

    Infinite where the target is not on the network or not reached within the search.
    """
    out = np.full(len(targets), np.inf)
    ok = np.flatnonzero(targets.ok)
    if len(ok) == 0 or len(pieces["edge"]) == 0:
        return out
    pc = _piece_of(pieces, targets.edge[ok], targets.offset_m[ok])
    ok, pc = ok[pc >= 0], pc[pc >= 0]  # on a road no search reached
    s = targets.offset_m[ok]
    sub = {k: v[pc] for k, v in pieces.items()}
    ca, cb = _end_costs(net, sub, cost, direction)
    e, a, b = sub["edge"], sub["a_m"], sub["b_m"]
    fwd, bwd = net.edge_forward[e], net.edge_backward[e]
    ok_a, ok_b = (fwd, bwd) if direction == "from" else (bwd, fwd)
    c_a = _cost_per_m(net, weight, direction == "from", e)
    c_b = _cost_per_m(net, weight, direction != "from", e)
    with np.errstate(invalid="ignore"):  # inf end costs
        out[ok] = np.minimum(
            np.where(ok_a, ca + c_a * np.maximum(s - a, 0.0), np.inf),
            np.where(ok_b, cb + c_b * np.maximum(b - s, 0.0), np.inf),
        )
    return out


# --- shared by isochrones and catchment ------------------------------------------------------
def check_request(
    minutes: Sequence[float] | float | None,
    meters: Sequence[float] | float | None,
    direction: str,
    cell_m: float,
    *,
    one_limit: bool = False,
) -> tuple[str, np.ndarray, str, float]:
    """Return ``(unit, contour values, direction, cell_m)`` checked, or raise ValueError.

    ``one_limit``: also require exactly one value (:func:`catchment`).
    """
    unit, values = _check_contours(minutes, meters)
    if one_limit and len(values) != 1:
        msg = f"catchment takes one travel-time limit, got minutes={minutes!r}"
        raise ValueError(msg)
    return unit, values, _check_direction(direction), _check_cell(cell_m)


def _fit_samples(net: Network, reach: _Reach, *, cell_m: float) -> tuple[_SamplePlan, float]:
    """Plan the samples (two per cell) at ``cell_m``, or the smallest doubling that fits.

    Raises
    ------
    RequestTooLargeError
        When even the largest cell size needs more than ``MAX_SAMPLES`` samples.
    """
    while reach.count(cell_m / 2, net.n_nodes) > MAX_SAMPLES and cell_m < CELL_M_RANGE[1]:
        cell_m *= 2
    plan = plan_samples(net, reach, step_m=cell_m / 2)
    if plan.total > MAX_SAMPLES:
        msg = (
            f"the reached roads would need {plan.total} samples even at cells of {cell_m:g} m, "
            f"more than {MAX_SAMPLES}; ask for a shorter time or distance, fewer points or "
            "a smaller area"
        )
        raise RequestTooLargeError(msg)
    return plan, cell_m


def _bounded_polygons(
    net: Network,
    snapped: Snapped,
    *,
    unit: str,
    values: np.ndarray,
    direction: str,
    cell_m: float,
    fill_holes: bool = True,
    targets: Snapped | None = None,
) -> tuple[list[shapely.Geometry], np.ndarray | None, float]:
    """Contour polygons (metric CRS), the cost of each target (contour units), the cell used.

    A reached area too large for ``cell_m`` (grid or samples over their limits) is drawn
    with the smallest doubling of ``cell_m`` that fits, never refused.
    """
    weight, factor = UNITS[unit]
    limits = values * factor
    router = router_for(net, [snapped])
    sources = router.nodes(0, len(snapped))[snapped.ok]
    limit = float(limits[-1])
    cost = router.reach(sources, weight=weight, limit=limit, reverse=direction == "to")
    return polygons_of_costs(net, router.graph, cost, snapped, limits=limits, factor=factor,
                             weight=weight, direction=direction, cell_m=cell_m,
                             fill_holes=fill_holes, targets=targets)  # fmt: skip


def polygons_of_costs(
    net: Network,
    graph: VirtualGraph,
    cost: Reached,
    snapped: Snapped,
    *,
    limits: np.ndarray,
    factor: float,
    weight: str,
    direction: str,
    cell_m: float,
    fill_holes: bool = True,
    targets: Snapped | None = None,
) -> tuple[list[shapely.Geometry], np.ndarray | None, float]:
    """Contour polygons of the node costs of a search (steps 3-4 of the module's method).

    ``cost``: the reached nodes of ``graph`` (the network with its placed points) and their
    costs in ``weight`` units, however found (one search, or a timetable's several);
    ``snapped``: the points the search started from (cost 0, so a contour is never empty).
    Returns the polygons (metric CRS), each target's cost in contour units, the cell used.
    """
    limit = float(limits[-1])
    # a large reached area is drawn coarser, not refused: the grid over the reached nodes'
    # extent must fit, and the samples along the reached roads (two per cell)
    reached = cost.nodes[cost.nodes < net.n_nodes]
    if len(reached):
        xs, ys = net.node_x[reached], net.node_y[reached]
        cell_m = fit_cell(float(np.ptp(xs)), float(np.ptp(ys)), cell_m)
    pieces = _pieces(net, graph, incident_edges(net, reached))
    ends = _end_costs(net, pieces, cost, direction)
    reach = _Reach.of(net, pieces, ends, weight=weight, limit=limit, direction=direction)
    plan, cell_m = _fit_samples(net, reach, cell_m=cell_m)
    x, y, c = place_samples(net, plan)
    # the snapped locations themselves (cost 0), so a contour is never empty
    ok = snapped.ok
    x = np.concatenate([x, snapped.x[ok]])
    y = np.concatenate([y, snapped.y[ok]])
    c = np.concatenate([c, np.zeros(int(ok.sum()))])
    polygons = contour_polygons(x, y, c, limits, cell_m=cell_m, fill_holes=fill_holes)
    if targets is None:
        return polygons, None, cell_m
    at = _costs_at(net, pieces, cost, targets, weight=weight, direction=direction)
    return polygons, np.where(at <= limit, at / factor, np.inf), cell_m


@dataclass(frozen=True, eq=False)
class ContourResult:
    """Contours as plain columns (one value or list per contour) and WGS84 geometries.

    What :func:`isochrones` and :func:`catchment` return as a GeoDataFrame
    (:meth:`to_frame`); a service that writes GeoJSON itself reads the columns directly.
    """

    columns: dict[str, object]
    geometry: np.ndarray

    def to_frame(self) -> gpd.GeoDataFrame:
        """Return the contours as a GeoDataFrame in EPSG:4326."""
        data = dict(self.columns)
        data["geometry"] = from_shapely(self.geometry, crs=_WGS84_CRS)
        return gpd.GeoDataFrame(data, geometry="geometry")


def _contour_result(
    net: Network,
    snapped: Snapped,
    *,
    unit: str,
    values: np.ndarray,
    direction: str,
    cell_m: float,
    fill_holes: bool,
    snap_distance_m: float,
    extra: dict[str, object] | None = None,
    targets: np.ndarray | Snapped | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> ContourResult:
    """Contours around the snapped points, the columns :func:`isochrones` returns."""
    at = locate_targets(net, targets, max_snap_m=max_snap_m)
    geoms, target_cost, cell_used = _bounded_polygons(
        net,
        snapped,
        unit=unit,
        values=values,
        direction=direction,
        cell_m=cell_m,
        fill_holes=fill_holes,
        targets=at,
    )
    return contour_result_of(net, geoms, values=values, unit=unit, profile=net.profile,
                             direction=direction, snap_distance_m=snap_distance_m,
                             cell_m=cell_used, target_cost=target_cost, extra=extra)  # fmt: skip


def locate_targets(net: Network, targets, *, max_snap_m: float) -> Snapped | None:
    """Snap the targets of a contour request (``k x 2`` lon/lat), or None without any.

    Targets already snapped to ``net`` (a :class:`Snapped`, e.g. a service's villages,
    snapped once) are used as they are.
    """
    if targets is None or isinstance(targets, Snapped):
        return targets
    pts = lonlat_table(targets, name="targets")
    return locate(net, pts[:, 0], pts[:, 1], max_snap_m=max_snap_m, what="target",
                  require=False)  # fmt: skip


def contour_result_of(
    net: Network,
    geoms: list[shapely.Geometry],
    *,
    values: np.ndarray,
    unit: str,
    profile: str,
    direction: str,
    snap_distance_m: float,
    cell_m: float,
    target_cost: np.ndarray | None = None,
    extra: dict[str, object] | None = None,
) -> ContourResult:
    """Shape contour polygons (metric CRS of ``net``) as :func:`isochrones`' columns."""
    wgs = polygons_to_wgs84(geoms, net.crs)
    # the area of the returned polygons, measured in the metric CRS of the network
    metric = shapely.transform(wgs, lambda x, y: to_metric(x, y, net.crs), interleaved=False)
    n = len(values)
    data: dict[str, object] = {
        "contour": values.astype(float),
        "unit": [unit] * n,
        "profile": [profile] * n,
        "direction": [direction] * n,
        "area_m2": shapely.area(metric),
        "snap_distance_m": np.full(n, float(snap_distance_m)),
        "cell_m": np.full(n, float(cell_m)),
    }
    for k, v in (extra or {}).items():
        data[k] = [v] * n
    if target_cost is not None:
        data["targets_within"] = [np.flatnonzero(target_cost <= v) for v in values]
        data["target_cost"] = [target_cost] * n
    return ContourResult(data, np.asarray(wgs, dtype=object))


def prepare_network(net: Network) -> None:
    """Build now what requests on ``net`` build on first use.

    The snapping index (whose cumulative lengths the sampling shares), the travel-time
    CSR matrices both ways and the reversed length one (scenarios), the node grid and
    incidence of the local searches: a service calls this once per network after start,
    so the first request is not the slow one.
    """
    net.edge_index.prepare()
    for reverse in (False, True):
        base_csr(net, "travel_time_s", reverse=reverse)
    base_csr(net, "length_m", reverse=True)  # scenarios: costs towards the facilities
    node_grid(net)
    incident_edges(net, np.zeros(0, dtype=np.int64))


# --- public API ------------------------------------------------------------------------------
def isochrones(net: Network, lon: float, lat: float, **options: Any) -> gpd.GeoDataFrame:
    """Nested contour polygons of what is reachable from (or can reach) one location.

    The options are keywords, those of :func:`isochrone_result` (which gives the same
    contours as plain columns).

    Parameters
    ----------
    net
        The network of one profile.
    lon, lat
        The location (WGS84 degrees); it is snapped to the nearest edge.
    minutes, meters
        Contour values: give exactly one, a sequence of 1 to :data:`MAX_CONTOURS` positive
        numbers (travel time in minutes, or network distance in metres).
    direction
        ``"from"``: area reachable from the location; ``"to"``: area from which the location
        can be reached (the search runs on the reversed graph; differs on one-way streets).
    cell_m
        Grid cell size (metres): the resolution of the polygons.
    max_snap_m
        Largest allowed distance from the location to the network (metres).
    fill_holes
        Fill every enclosed hole (default, like Valhalla's ``denoise``: the land between
        reached roads counts as served); ``False`` keeps holes of 16 cells and more.
    targets
        Optional ``k x 2`` WGS84 lon/lat (e.g. the villages): each is snapped to the
        network (``max_snap_m``) and priced by the same search, so membership is by
        network cost, not by lying in the polygon. Or the targets already snapped to
        ``net`` (a :class:`Snapped`, which a service makes once): used as they are.

    Returns
    -------
    gpd.GeoDataFrame
        One row per contour, ascending: ``contour``, ``unit`` (``"minutes"`` or
        ``"meters"``), ``profile``, ``direction``, ``area_m2`` (metric CRS),
        ``snap_distance_m`` and a Polygon/MultiPolygon ``geometry`` in EPSG:4326. Each
        contour contains the smaller ones. With ``targets`` also ``targets_within`` (the
        positions of the targets whose network cost is within the contour) and
        ``target_cost`` (every target's cost in the contour's unit, inf when beyond the
        largest contour or off the network).

    Raises
    ------
    PointOutsideNetworkError
        When the location lies beyond ``max_snap_m`` from every road.
    ValueError
        For bad contours (none, both units, empty, non-finite, <= 0, too many), direction,
        cell size or coordinates.
    """
    return isochrone_result(net, lon, lat, **options).to_frame()


def isochrone_result(
    net: Network,
    lon: float,
    lat: float,
    *,
    minutes: Sequence[float] | None = None,
    meters: Sequence[float] | None = None,
    direction: str = "from",
    cell_m: float = DEFAULT_CELL_M,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    fill_holes: bool = True,
    targets: np.ndarray | Sequence[Sequence[float]] | Snapped | None = None,
) -> ContourResult:
    """Compute :func:`isochrones` as plain columns (:class:`ContourResult`), no GeoDataFrame.

    Parameters, errors and columns as :func:`isochrones` documents them.
    """
    unit, values, direction, cell_m = check_request(minutes, meters, direction, cell_m)
    snapped = locate(net, lon, lat, max_snap_m=max_snap_m, what="location")
    if len(snapped) != 1:
        msg = f"isochrones takes one location, got {len(snapped)}; use catchment for several"
        raise ValueError(msg)
    return _contour_result(
        net, snapped, unit=unit, values=values, direction=direction, cell_m=cell_m,
        fill_holes=fill_holes, snap_distance_m=float(snapped.snap_distance_m[0]),
        targets=targets, max_snap_m=max_snap_m,
    )  # fmt: skip


def catchment(
    net: Network,
    lonlat: np.ndarray | Sequence[Sequence[float]],
    *,
    minutes: float,
    direction: str = "to",
    cell_m: float = DEFAULT_CELL_M,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    fill_holes: bool = True,
    targets: np.ndarray | Sequence[Sequence[float]] | Snapped | None = None,
) -> gpd.GeoDataFrame:
    """Compute the area within ``minutes`` of ANY of several points (one search).

    Parameters
    ----------
    net
        The network of one profile.
    lonlat
        ``k x 2`` WGS84 lon/lat, e.g. the GP practices of an area. Points beyond
        ``max_snap_m`` from every road are skipped (see ``points_used``).
    minutes
        The travel-time limit (one positive number).
    direction
        ``"to"`` (default): area from which some point can be reached in time (patients
        driving to a practice); ``"from"``: area reachable from some point.
    cell_m, max_snap_m, fill_holes, targets
        As in :func:`isochrones` (a target's cost is to or from the nearest point).

    Returns
    -------
    gpd.GeoDataFrame
        One row with the columns of :func:`isochrones` (``snap_distance_m`` is the largest
        snap distance of the points used) plus ``points_used``.

    Raises
    ------
    PointOutsideNetworkError
        When no point lies within ``max_snap_m`` of a road.
    ValueError
        For a bad ``minutes``, direction, cell size or coordinates.
    """
    unit, values, direction, cell_m = check_request(
        minutes, None, direction, cell_m, one_limit=True
    )
    max_snap_m = check_max_snap(max_snap_m)
    pts = lonlat_table(lonlat, name="lonlat")
    snapped = locate(net, pts[:, 0], pts[:, 1], max_snap_m=max_snap_m, what="point", require=False)
    used = int(snapped.ok.sum())
    if used == 0:
        msg = (
            f"none of the {len(pts)} points lies within {max_snap_m:g} m of a road of the "
            f"{net.profile} network; check the coordinates (lon first, WGS84)"
        )
        raise PointOutsideNetworkError(msg)
    return _contour_result(
        net, snapped, unit=unit, values=values, direction=direction, cell_m=cell_m,
        fill_holes=fill_holes, snap_distance_m=float(np.nanmax(snapped.snap_distance_m)),
        extra={"points_used": used}, targets=targets, max_snap_m=max_snap_m,
    ).to_frame()  # fmt: skip
