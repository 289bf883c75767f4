"""The routing seam, and the travel matrix built on it.

Indicators, matrices, isochrones, catchments and scenarios do not call a shortest-path
library: they place their points on a mode's network with :func:`router_for` and ask the
:class:`Router` (nearest source per node, costs within a bound, the reached nodes within a
bound, one-to-many, counts within bounds). The street network answers today
(:class:`accessibility.engine.StreetRouter`, compiled ``scipy.sparse.csgraph`` searches); a
public-transport engine implements the same protocol next, and every consumer takes
``profile=transit`` unchanged.

:func:`travel_matrix` is what OSRM's *Table* service does: sources and destinations become
nodes of one router (so a source and a destination on one street are routed along it) and
one search per weight runs from the smaller side. ``distances_m`` is the length of the
SHORTEST route and ``durations_s`` the duration of the FASTEST route; the two can be
different routes (a long fast road against a short slow one), as in OSRM when asked for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from accessibility.defaults import DEFAULT_MAX_SNAP_M, MATRIX_INDEX_MAX_NODES
from accessibility.engine import WEIGHTS, StreetRouter, VirtualGraph
from accessibility.matrix_index import MatrixIndex, attach, index_for, point_costs
from accessibility.network import Network
from accessibility.reach import Reached
from accessibility.snapping import Snapped, locate, lonlat_table, snapped_lonlat

#: Costs below this are artefacts of zero-length virtual arcs (``MIN_ARC_WEIGHT`` each).
ZERO_COST = 1e-6


class Router(Protocol):
    """What every consumer asks of one mode, with its points placed on the mode's network.

    Nodes are the network's own plus one per placed point (group ``k``, point ``j`` is node
    ``offsets[k] + j``). Weights are ``"length_m"`` and ``"travel_time_s"``; costs are inf
    where there is no route (or it exceeds the bound).
    """

    @property
    def profile(self) -> str:
        """The profile (mode) routed."""

    @property
    def n_nodes(self) -> int:
        """All nodes, the placed points included."""

    @property
    def offsets(self) -> tuple[int, ...]:
        """First node id of each group of placed points."""

    def nodes(self, group: int, size: int) -> np.ndarray:
        """Node ids of the points of group ``group``."""

    def nearest_source(self, sources: np.ndarray, *, weight: str) -> tuple[np.ndarray, np.ndarray]:
        """Cost from every node to its nearest source, and which source node (-1: none)."""

    def within(
        self, origins: np.ndarray, *, weight: str, limit: float, reverse: bool = False
    ) -> np.ndarray:
        """Cost from the nearest origin to every node (``reverse``: to it), inf beyond limit."""

    def reach(
        self, origins: np.ndarray, *, weight: str, limit: float, reverse: bool = False
    ) -> Reached:
        """Return the nodes within ``limit`` of the nearest origin and their costs (sparse).

        On large networks its cost is in proportion to the answer, not to the network.
        """

    def one_to_many(
        self, origins: np.ndarray, targets: np.ndarray, *, weight: str, limit: float = np.inf
    ) -> np.ndarray:
        """Costs ``origins x targets`` (inf unreachable or beyond ``limit``)."""

    def counts_within(
        self, origins: np.ndarray, targets: np.ndarray, *, weight: str, limits: Sequence[float]
    ) -> np.ndarray:
        """How many targets lie within each limit of each origin (``origins x limits``)."""


def router_for(network: Network, groups: list[Snapped], *, batch: bool = False) -> Router:
    """Place groups of snapped points on a mode's network and return its router.

    ``batch=True`` prepares every weight and direction at once (a build asks all of them);
    requests leave it False and pay only for the searches they run.
    """
    return StreetRouter.place(network, groups, batch=batch)


@dataclass(frozen=True, eq=False)
class MatrixResult:
    """Travel costs between every source and every destination.

    Attributes
    ----------
    distances_m : np.ndarray
        ``n x m`` length in metres of the SHORTEST route from source i to destination j;
        NaN where j cannot be reached from i.
    durations_s : np.ndarray
        ``n x m`` duration in seconds of the FASTEST route (not necessarily the route of
        ``distances_m``); NaN where unreachable.
    sources_snapped, destinations_snapped : np.ndarray
        ``n x 2`` / ``m x 2`` WGS84 lon/lat of the points where the inputs were snapped to
        the network (routing starts and ends there).
    source_snap_distance_m, destination_snap_distance_m : np.ndarray
        Straight-line distance from each input point to its snapped location (metres); the
        matrix does not include it. NaN where the point was not snapped.
    source_on_network, destination_on_network : np.ndarray
        False where a point lies beyond ``max_snap_m`` from every road (its row or column
        is NaN; only with ``require=False``).
    """

    distances_m: np.ndarray
    durations_s: np.ndarray
    sources_snapped: np.ndarray
    destinations_snapped: np.ndarray
    source_snap_distance_m: np.ndarray
    destination_snap_distance_m: np.ndarray
    source_on_network: np.ndarray
    destination_on_network: np.ndarray


def travel_matrix(
    net: Network,
    sources_lonlat: Sequence[Sequence[float]] | np.ndarray,
    destinations_lonlat: Sequence[Sequence[float]] | np.ndarray,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    require: bool = True,
    index_max_nodes: int = MATRIX_INDEX_MAX_NODES,
    index_background_max_nodes: int = 0,
) -> MatrixResult:
    """Shortest distance and fastest duration from every source to every destination.

    Parameters
    ----------
    net
        The network of one profile.
    sources_lonlat, destinations_lonlat
        ``n x 2`` and ``m x 2`` WGS84 lon/lat.
    max_snap_m
        Largest allowed distance from a point to the network (metres).
    require
        True (default): a point beyond ``max_snap_m`` is an error. False: its row or column
        is NaN and ``*_on_network`` says which (the other cells are answered, as OSRM and
        Valhalla do).
    index_max_nodes
        Networks of at most this many nodes answer from a contraction-hierarchy index
        (:func:`accessibility.matrix_index.index_for`, prepared on the first matrix),
        costs summed in millimetres and milliseconds; larger ones (and 0) search (exact
        floats).
    index_background_max_nodes
        Networks of at most this many nodes (and more than ``index_max_nodes``) get their
        index prepared in a background thread that this call starts; they search until it
        is ready. 0 (default): never.

    Returns
    -------
    MatrixResult
        ``distances_m`` (shortest route) and ``durations_s`` (fastest route), ``n x m``,
        NaN where unreachable, plus where and how far each point was snapped.

    Raises
    ------
    PointOutsideNetworkError
        When ``require`` and a source or destination lies beyond ``max_snap_m`` from every
        road.
    ValueError
        For malformed coordinates.

    Notes
    -----
    The network itself is neither modified nor copied. With an index, the cost is the
    upward search spaces of the points' network nodes; without one, one search per source
    and weight (memory ``min(n, m) x nodes`` floats, in batches of at most
    :data:`accessibility.engine.MAX_DIJKSTRA_CELLS`).
    """
    src = lonlat_table(sources_lonlat, name="sources")
    dst = lonlat_table(destinations_lonlat, name="destinations")
    s_snap = locate(net, src[:, 0], src[:, 1], max_snap_m=max_snap_m, what="source",
                    require=require)  # fmt: skip
    d_snap = locate(net, dst[:, 0], dst[:, 1], max_snap_m=max_snap_m, what="destination",
                    require=require)  # fmt: skip
    router = router_for(net, [s_snap, d_snap])
    s_nodes = router.nodes(0, len(s_snap))
    d_nodes = router.nodes(1, len(d_snap))
    index = index_for(net, WEIGHTS, max_nodes=index_max_nodes,
                      background_max_nodes=index_background_max_nodes)  # fmt: skip
    out = {}
    for w in WEIGHTS:
        if index is not None:
            cost = _indexed(index, router.graph, s_nodes, d_nodes, weight=w)
        else:
            cost = router.one_to_many(s_nodes, d_nodes, weight=w)
        cost = np.where(np.isfinite(cost), cost, np.nan)
        cost[cost < ZERO_COST] = 0.0
        out[w] = np.ascontiguousarray(cost)
    return MatrixResult(
        distances_m=out["length_m"],
        durations_s=out["travel_time_s"],
        sources_snapped=snapped_lonlat(net, s_snap),
        destinations_snapped=snapped_lonlat(net, d_snap),
        source_snap_distance_m=s_snap.snap_distance_m.copy(),
        destination_snap_distance_m=d_snap.snap_distance_m.copy(),
        source_on_network=s_snap.ok.copy(),
        destination_on_network=d_snap.ok.copy(),
    )


def _indexed(
    index: MatrixIndex, vg: VirtualGraph, sources: np.ndarray, targets: np.ndarray, *, weight: str
) -> np.ndarray:
    """Return ``sources x targets`` costs of one weight from the index (points attached aside)."""
    tail, head, (cost,) = vg.virtual_arcs([weight])
    att = attach(vg.net.n_nodes, tail, head, cost, sources, targets)
    return point_costs(index, weight, att)
