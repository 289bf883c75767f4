"""Request-time routing: locate WGS84 points on a network and compute travel matrices.

What OSRM's *Table* service does, on the compiled engine: the sources and destinations are
snapped to their nearest edge and become virtual nodes of one augmented graph
(:class:`VirtualGraph`, the model of :func:`accessibility.engine.augment` built for one
request: only the weight and direction a search needs, on a network CSR cached per
network), then ONE ``scipy.sparse.csgraph.dijkstra`` call per weight runs from the smaller
side (sources on the forward graph, or destinations on the reversed graph). There are no
per-pair searches and no networkx.

``distances_m`` is the length of the SHORTEST route and ``durations_s`` the duration of the
FASTEST route; the two can be different routes (a long fast road against a short slow one),
as in OSRM when asked for both annotations.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.crs import to_metric, to_wgs84  # cached transformers
from accessibility.engine import SNAP_NODE_TOLERANCE_M, WEIGHTS
from accessibility.errors import PointOutsideNetworkError
from accessibility.network import Network, arcs_to_csr
from accessibility.snapping import DEFAULT_MAX_SNAP_M, Snapped, snap_points

#: Costs below this are artefacts of zero-length virtual arcs (``MIN_ARC_WEIGHT`` each).
ZERO_COST = 1e-6
#: Largest dense block (rows x nodes, float64) one dijkstra call may return (~160 MB).
MAX_DIJKSTRA_CELLS = 20_000_000


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
        matrix does not include it.
    """

    distances_m: np.ndarray
    durations_s: np.ndarray
    sources_snapped: np.ndarray
    destinations_snapped: np.ndarray
    source_snap_distance_m: np.ndarray
    destination_snap_distance_m: np.ndarray


def check_max_snap(max_snap_m: float) -> float:
    """Return ``max_snap_m`` as a float, or raise ValueError when it is not finite and > 0."""
    value = float(max_snap_m)
    if not np.isfinite(value) or value <= 0:
        msg = f"max_snap_m must be a finite number of metres > 0, got {max_snap_m!r}"
        raise ValueError(msg)
    return value


def _lonlat_arrays(lon: object, lat: object, *, what: str) -> tuple[np.ndarray, np.ndarray]:
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    if lon_a.ndim != 1 or lon_a.shape != lat_a.shape:
        msg = (
            f"lon and lat must be 1-D arrays of the same length, got shapes "
            f"{lon_a.shape} and {lat_a.shape}"
        )
        raise ValueError(msg)
    bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a))
    bad |= (np.abs(lon_a) > 180) | (np.abs(lat_a) > 90)  # noqa: PLR2004 - degrees
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{what} {i}: got lon {float(lon_a[i])!r}, lat {float(lat_a[i])!r}, expected "
            "finite WGS84 degrees with -180 <= lon <= 180 and -90 <= lat <= 90 (lon first)"
        )
        raise ValueError(msg)
    return lon_a, lat_a


def locate(
    net: Network,
    lon: Sequence[float] | np.ndarray | float,
    lat: Sequence[float] | np.ndarray | float,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    what: str = "point",
    require: bool = True,
) -> Snapped:
    """Snap WGS84 points to their nearest edge of ``net``.

    Parameters
    ----------
    net
        The network of one profile.
    lon, lat
        WGS84 degrees (scalars or 1-D arrays of equal length).
    max_snap_m
        Largest allowed straight-line distance from a point to the network (metres).
    what
        What the points are, for error messages (``"source"``, ``"destination"``...).
    require
        When True (default) a point beyond ``max_snap_m`` is an error; when False it gets
        ``ok=False`` in the result (the caller skips it).

    Returns
    -------
    Snapped
        Edge, offset along it, snap distance and snapped location (metric CRS of ``net``).

    Raises
    ------
    PointOutsideNetworkError
        When ``require`` and a point lies farther than ``max_snap_m`` from every road; the
        message names the first such point (index and lon/lat).
    ValueError
        For non-finite or out-of-range coordinates or a bad ``max_snap_m``.
    """
    max_snap_m = check_max_snap(max_snap_m)
    lon_a, lat_a = _lonlat_arrays(lon, lat, what=what)
    x, y = to_metric(lon_a, lat_a, net.crs)
    snapped = snap_points(net, x, y, max_snap_m=max_snap_m)
    if require and not snapped.ok.all():
        i = int(np.flatnonzero(~snapped.ok)[0])
        msg = (
            f"{what} {i} (lon {lon_a[i]:.6f}, lat {lat_a[i]:.6f}) is farther than "
            f"{max_snap_m:g} m from any road of the {net.profile} network; check the "
            "coordinates (lon first, WGS84) or raise the snap limit"
        )
        raise PointOutsideNetworkError(msg)
    return snapped


def snapped_lonlat(net: Network, snapped: Snapped) -> np.ndarray:
    """``k x 2`` WGS84 lon/lat of the snapped locations (NaN where not snapped)."""
    out = np.full((len(snapped), 2), np.nan)
    if snapped.ok.any():
        lon, lat = to_wgs84(snapped.x[snapped.ok], snapped.y[snapped.ok], net.crs)
        out[snapped.ok, 0] = lon
        out[snapped.ok, 1] = lat
    return out


_BASE_CSR: weakref.WeakKeyDictionary[Network, dict[tuple[str, bool], sp.csr_matrix]] = (
    weakref.WeakKeyDictionary()
)


def base_csr(net: Network, weight: str, *, reverse: bool = False) -> sp.csr_matrix:
    """``net.csr(weight, reverse=reverse)``, computed once per network object (read-only)."""
    per_net = _BASE_CSR.setdefault(net, {})
    key = (weight, reverse)
    if key not in per_net:
        per_net[key] = net.csr(weight, reverse=reverse)
    return per_net[key]


@dataclass(frozen=True, eq=False)
class VirtualGraph:
    """Snapped points as virtual nodes that split their edges (request-time, read-only).

    The same graph as :func:`accessibility.engine.augment` (a test checks they are equal):
    point j of group k is node ``offsets[k] + j``; an edge ``u -> v`` holding points
    ``p1..pk`` (by offset) gets the pieces ``u -> p1 -> ... -> pk -> v`` in the directions
    the edge allows, costs in proportion to the length; a point within
    ``SNAP_NODE_TOLERANCE_M`` of an edge end lies on that node and is also linked to it both
    ways (at the cost of the gap), so a point at a junction is not stuck on the one-way edge
    that won the snapping tie. What differs is the cost per request: the network part of
    the CSR matrix is built once per network and only the virtual arcs are added, for the
    one weight and direction a search needs (:meth:`csr`), and the pieces are kept (with
    their edge and offsets) for isochrones.

    Attributes
    ----------
    piece_edge, piece_a_m, piece_b_m, piece_node_a, piece_node_b : np.ndarray
        The pieces of the split edges: edge, offsets (network metres from ``u``) of the two
        ends, and their node ids (network or virtual).
    link_virtual, link_node, link_edge, link_m : np.ndarray
        Virtual nodes snapped onto a junction, that junction, the edge, and the gap (metres
        along the edge, at most ``SNAP_NODE_TOLERANCE_M``).
    """

    net: Network
    n_nodes: int
    offsets: tuple[int, ...]
    piece_edge: np.ndarray
    piece_a_m: np.ndarray
    piece_b_m: np.ndarray
    piece_node_a: np.ndarray
    piece_node_b: np.ndarray
    link_virtual: np.ndarray
    link_node: np.ndarray
    link_edge: np.ndarray
    link_m: np.ndarray

    def nodes(self, group: int, size: int) -> np.ndarray:
        """Virtual node ids of group ``group`` (``size`` points)."""
        return self.offsets[group] + np.arange(size)

    def csr(self, weight: str, *, reverse: bool = False) -> sp.csr_matrix:
        """Build the augmented ``n_nodes x n_nodes`` CSR matrix of one weight and direction."""
        net = self.net
        e = self.piece_edge
        cost = self._cost(weight, e, np.maximum(self.piece_b_m - self.piece_a_m, 0.0))
        link = self._cost(weight, self.link_edge, self.link_m)
        f, b = net.edge_forward[e], net.edge_backward[e]
        na, nb = self.piece_node_a, self.piece_node_b
        lv, ln = self.link_virtual, self.link_node
        tail = np.concatenate([na[f], nb[b], lv, ln])
        head = np.concatenate([nb[f], na[b], ln, lv])
        w = np.concatenate([cost[f], cost[b], link, link])
        extra = arcs_to_csr(tail, head, w, self.n_nodes, reverse=reverse)
        base = base_csr(net, weight, reverse=reverse)
        k = self.n_nodes - net.n_nodes
        indptr = np.concatenate([base.indptr, np.full(k, base.indptr[-1], base.indptr.dtype)])
        padded = sp.csr_matrix((base.data, base.indices, indptr), shape=extra.shape)
        # base is canonical (arcs_to_csr): say so, so that scipy never sorts the shared
        # cached arrays in place while another request reads them
        padded.has_canonical_format = True
        # no overlap: every virtual arc has a virtual end
        return (padded + extra).tocsr()

    def _cost(self, weight: str, edge: np.ndarray, length_m: np.ndarray) -> np.ndarray:
        """Cost of ``length_m`` metres along ``edge`` (time in proportion to the length)."""
        if weight == "length_m":
            return length_m
        if weight == "travel_time_s":
            el = self.net.edge_length_m[edge]
            frac = np.divide(length_m, el, out=np.zeros_like(length_m), where=el > 0)
            return frac * self.net.edge_time_s[edge]
        msg = f"weight must be one of {WEIGHTS}, got {weight!r}"
        raise ValueError(msg)


def add_virtual_nodes(net: Network, groups: list[Snapped]) -> VirtualGraph:
    """Make every group of snapped points virtual nodes of ``net`` (see VirtualGraph).

    Points of all groups share the graph, so a source and a destination on one street are
    routed along it. Points with ``ok=False`` get a node without arcs (unreachable).
    """
    offsets = []
    n = net.n_nodes
    for g in groups:
        offsets.append(n)
        n += len(g)

    def cat(name: str, dtype: type) -> np.ndarray:
        return (
            np.concatenate([np.asarray(getattr(g, name), dtype=dtype) for g in groups])
            if groups
            else np.zeros(0, dtype)
        )

    ok_all = cat("ok", bool)
    ok = np.flatnonzero(ok_all)
    e = cat("edge", np.int64)[ok]
    off = cat("offset_m", float)[ok]
    vid = net.n_nodes + ok
    order = np.lexsort((off, e))
    e, off, vid = e[order], off[order], vid[order]
    first = np.ones(len(e), dtype=bool)
    first[1:] = e[1:] != e[:-1]
    last = np.ones(len(e), dtype=bool)
    last[:-1] = e[1:] != e[:-1]
    prev_node = np.where(first, net.edge_u[e], np.r_[-1, vid[:-1]])
    prev_off = np.where(first, 0.0, np.r_[0.0, off[:-1]])
    gap_v = net.edge_length_m[e] - off
    at_u = off <= SNAP_NODE_TOLERANCE_M
    at_v = gap_v <= SNAP_NODE_TOLERANCE_M  # both on an edge shorter than twice the tolerance
    return VirtualGraph(
        net=net,
        n_nodes=n,
        offsets=tuple(offsets),
        piece_edge=np.concatenate([e, e[last]]),
        piece_a_m=np.concatenate([prev_off, off[last]]),
        piece_b_m=np.concatenate([off, net.edge_length_m[e[last]]]),
        piece_node_a=np.concatenate([prev_node, vid[last]]),
        piece_node_b=np.concatenate([vid, net.edge_v[e[last]]]),
        link_virtual=np.concatenate([vid[at_u], vid[at_v]]),
        link_node=np.concatenate([net.edge_u[e[at_u]], net.edge_v[e[at_v]]]),
        link_edge=np.concatenate([e[at_u], e[at_v]]),
        link_m=np.maximum(np.concatenate([off[at_u], gap_v[at_v]]), 0.0),
    )


def _rows(graph: sp.csr_matrix, indices: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Costs ``indices x targets`` (inf where unreachable), batched to bound memory."""
    n = graph.shape[0]
    batch = max(1, MAX_DIJKSTRA_CELLS // max(n, 1))
    out = np.empty((len(indices), len(targets)))
    for i in range(0, len(indices), batch):
        d = dijkstra(graph, directed=True, indices=indices[i : i + batch])
        out[i : i + batch] = np.atleast_2d(d)[:, targets]
    return out


def _lonlat_table(points: object, *, what: str) -> np.ndarray:
    a = np.asarray(points, dtype=float)
    if a.ndim != 2 or a.shape[1] != 2 or a.shape[0] == 0:  # noqa: PLR2004 - lon, lat
        msg = f"{what}s must be a non-empty k x 2 array of lon/lat, got shape {a.shape}"
        raise ValueError(msg)
    return a


def travel_matrix(
    net: Network,
    sources_lonlat: Sequence[Sequence[float]] | np.ndarray,
    destinations_lonlat: Sequence[Sequence[float]] | np.ndarray,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
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

    Returns
    -------
    MatrixResult
        ``distances_m`` (shortest route) and ``durations_s`` (fastest route), ``n x m``,
        NaN where unreachable, plus where and how far each point was snapped.

    Raises
    ------
    PointOutsideNetworkError
        When a source or destination lies beyond ``max_snap_m`` from every road.
    ValueError
        For malformed coordinates.

    Notes
    -----
    Both groups become virtual nodes of one augmented graph (so a source and a destination
    on the same street are routed along it), then one Dijkstra per weight runs from the
    smaller side: sources on the forward graph, or destinations on the reversed graph. The
    network itself is neither modified nor copied. Memory is ``min(n, m) x nodes`` floats,
    split into batches of at most :data:`MAX_DIJKSTRA_CELLS`.
    """
    src = _lonlat_table(sources_lonlat, what="source")
    dst = _lonlat_table(destinations_lonlat, what="destination")
    s_snap = locate(net, src[:, 0], src[:, 1], max_snap_m=max_snap_m, what="source")
    d_snap = locate(net, dst[:, 0], dst[:, 1], max_snap_m=max_snap_m, what="destination")
    g = add_virtual_nodes(net, [s_snap, d_snap])
    s_nodes = g.nodes(0, len(s_snap))
    d_nodes = g.nodes(1, len(d_snap))
    out = {}
    for w in WEIGHTS:
        if len(s_nodes) <= len(d_nodes):
            cost = _rows(g.csr(w), s_nodes, d_nodes)
        else:
            cost = _rows(g.csr(w, reverse=True), d_nodes, s_nodes).T
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
    )
