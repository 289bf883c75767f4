"""Bounded searches whose cost grows with what they reach, not with the network.

A request (an isochrone, a catchment, a matrix) places a few points on a network of up to
millions of nodes and searches within a budget. Building the augmented graph of the whole
network for that, or a dense cost row over every node, makes every request cost the size of
the network. Here a search runs on the part of the network that a budget can possibly
reach, and the few virtual arcs of the placed points are added on the side:

* a node reached within a cost ``limit`` lies within ``limit x metres_per_cost`` of a source
  in a straight line, since no arc is cheaper than its straight length at the network's
  highest speed (:func:`metres_per_cost`); so does every node on its path;
* :class:`NodeGrid` (once per network) finds the nodes within that radius of the sources:
  nodes sorted by grid cell, a few contiguous slices per circle;
* :func:`bounded_search` gathers their rows of the network's cached CSR matrix (arcs that
  leave the circle end in one sink without arcs), adds the virtual arcs of the placed
  points, and runs one compiled ``scipy`` Dijkstra on that subgraph. Exact: the same costs
  as a search on the whole augmented graph (a test compares them).

The result, :class:`Reached`, holds only the reached nodes and their costs. Where the
circle covers most of the network, the whole-network search is as cheap and is used.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.network import Network, arcs_to_csr

#: the radius of a search is widened by this share and these metres: lengths measured along
#: the geometry and straight lines between nodes differ by rounding only
_RADIUS_SLACK = (1.01, 1.0)
#: a search whose circle holds more than this share of the nodes runs on the whole network
WHOLE_NETWORK_SHARE = 0.5
#: mean nodes per cell of a :class:`NodeGrid` (the cell side is a power of two metres)
_NODES_PER_CELL = 64
_CELL_M_RANGE = (32.0, 16_384.0)
#: rows per column in a cell key (more than any extent has cells)
_CELL_ROWS = 1 << 32


@dataclass(frozen=True, eq=False)
class Reached:
    """The nodes a bounded search reached (sorted ids) and their costs.

    ``reached[ids]`` gives the cost of any node ids, inf where not reached.
    """

    nodes: np.ndarray
    cost: np.ndarray
    #: the dense row it was made from, if any (a whole-graph search): lookups index it
    row: np.ndarray | None = None

    @classmethod
    def from_dense(cls, cost: np.ndarray) -> Reached:
        """Keep the finite entries of a dense cost row (and the row, for lookups)."""
        cost = np.asarray(cost)
        nodes = np.flatnonzero(np.isfinite(cost))
        return cls(nodes, cost[nodes], cost)

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if self.row is not None:
            return self.row[ids]
        if len(self.nodes) == 0:
            return np.full(ids.shape, np.inf)
        at = np.minimum(np.searchsorted(self.nodes, ids), len(self.nodes) - 1)
        return np.where(self.nodes[at] == ids, self.cost[at], np.inf)

    def __len__(self) -> int:
        return len(self.nodes)

    def dense(self, n: int) -> np.ndarray:
        """Return the costs as a dense row of ``n`` nodes (inf where not reached)."""
        out = np.full(n, np.inf)
        out[self.nodes] = self.cost
        return out


_MPC: weakref.WeakKeyDictionary[Network, dict[str, float]] = weakref.WeakKeyDictionary()


def metres_per_cost(net: Network, weight: str) -> float:
    """Straight-line metres one unit of ``weight`` can cover at most on ``net``.

    1 for ``length_m`` (a road is never shorter than the straight line between its ends);
    the network's highest speed in m/s for ``travel_time_s`` (turn penalties only add).
    """
    per_net = _MPC.setdefault(net, {})
    if weight not in per_net:
        if weight == "length_m":
            per_net[weight] = 1.0
        else:
            speeds = [net.edge_speed_kph, net.edge_speed_backward_kph]
            top = max(float(np.max(s)) for s in speeds if len(s)) if net.n_edges else 1.0
            per_net[weight] = top / 3.6
    return per_net[weight]


class NodeGrid:
    """The network's nodes sorted by square grid cell, to find those near points fast."""

    def __init__(self, net: Network) -> None:
        x, y = net.node_x, net.node_y
        self.n = len(x)
        area = max(float(np.ptp(x)) * float(np.ptp(y)), 1.0) if self.n else 1.0
        side = np.sqrt(area / max(self.n, 1) * _NODES_PER_CELL)
        side = 2.0 ** np.round(np.log2(max(side, 1.0)))
        self.cell = float(np.clip(side, *_CELL_M_RANGE))
        key = self._keys(np.floor(np.column_stack([x, y]) / self.cell).astype(np.int64))
        self.order = np.argsort(key, kind="stable")
        self.sorted_keys = key[self.order]

    @staticmethod
    def _keys(cells: np.ndarray) -> np.ndarray:
        return cells[..., 0] * _CELL_ROWS + cells[..., 1]

    def near(self, xy: np.ndarray, radius: float, *, most: int) -> np.ndarray | None:
        """Nodes in the cells that circles of ``radius`` around ``xy`` touch (sorted ids).

        None when they would be more than ``most`` nodes (the caller searches everywhere).
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) == 0 or self.n == 0:
            return np.zeros(0, dtype=np.int64)
        reach = int(np.ceil(radius / self.cell))
        if (2 * reach + 1) ** 2 > 4 * max(self.n, 1):  # more cells than the extent has
            return None
        steps = np.arange(-reach, reach + 1)
        dx, dy = (s.ravel() for s in np.meshgrid(steps, steps, indexing="ij"))
        centre = np.floor(xy / self.cell).astype(np.int64)
        cells = np.stack([centre[:, :1] + dx, centre[:, 1:] + dy], axis=-1)  # points x cells
        lo_xy = cells * self.cell
        gap = np.maximum(np.maximum(lo_xy - xy[:, None, :], xy[:, None, :] - lo_xy - self.cell), 0)
        cells = cells[(gap**2).sum(axis=-1) <= radius**2]
        keys = np.unique(self._keys(cells))
        lo = np.searchsorted(self.sorted_keys, keys, side="left")
        hi = np.searchsorted(self.sorted_keys, keys, side="right")
        lens = hi - lo
        if lens.sum() > most:
            return None
        idx = np.repeat(lo - np.r_[0, np.cumsum(lens)[:-1]], lens) + np.arange(lens.sum())
        return np.sort(self.order[idx])


_GRIDS: weakref.WeakKeyDictionary[Network, NodeGrid] = weakref.WeakKeyDictionary()
_GRID_LOCK = threading.Lock()


def node_grid(net: Network) -> NodeGrid:
    """Return the :class:`NodeGrid` of ``net`` (built once, shared by every request)."""
    grid = _GRIDS.get(net)
    if grid is None:
        with _GRID_LOCK:
            grid = _GRIDS.get(net)
            if grid is None:
                grid = _GRIDS[net] = NodeGrid(net)
    return grid


class _Positions:
    """Scratch arrays ``node -> position in a subgraph`` (-1 elsewhere), one per user.

    Filling a fresh array of the network's size per request would cost the size of the
    network; a used array is reset at its few set entries and handed to the next request.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.free: list[np.ndarray] = []
        self.lock = threading.Lock()

    def take(self) -> np.ndarray:
        with self.lock:
            if self.free:
                return self.free.pop()
        return np.full(self.n, -1, dtype=np.int64)

    def give(self, pos: np.ndarray, used: np.ndarray) -> None:
        pos[used] = -1
        with self.lock:
            self.free.append(pos)


_POSITIONS: weakref.WeakKeyDictionary[Network, _Positions] = weakref.WeakKeyDictionary()


def _positions(net: Network) -> _Positions:
    with _GRID_LOCK:
        return _POSITIONS.setdefault(net, _Positions(net.n_nodes))


def search_radius(net: Network, weight: str, limit: float) -> float:
    """Straight-line radius (metres) around a source that a search of ``limit`` can reach."""
    return limit * metres_per_cost(net, weight) * _RADIUS_SLACK[0] + _RADIUS_SLACK[1]


def bounded_search(
    vg,
    base: sp.csr_matrix,
    sources: np.ndarray,
    source_xy: np.ndarray,
    *,
    weight: str,
    limit: float,
    reverse: bool,
) -> Reached | None:
    """Costs from the nearest source within ``limit`` on the part of the network it can reach.

    ``vg`` is the request's :class:`accessibility.engine.VirtualGraph`, ``base`` the
    network's own CSR matrix of ``weight`` (reversed when ``reverse``), ``source_xy`` the
    metric positions of ``sources``. None when the reachable circle holds more than
    :data:`WHOLE_NETWORK_SHARE` of the nodes: the caller searches the whole graph.
    """
    net = vg.net
    if not np.isfinite(limit):
        return None
    radius = search_radius(net, weight, limit)
    nodes = node_grid(net).near(source_xy, radius, most=int(WHOLE_NETWORK_SHARE * net.n_nodes))
    if nodes is None:
        return None
    sub, n_local = subgraph(vg, base, nodes, weight=weight, reverse=reverse)
    local = _to_local(net, nodes, np.asarray(sources, dtype=np.int64))
    local = local[local >= 0]
    if len(local) == 0:
        return Reached(np.zeros(0, dtype=np.int64), np.zeros(0))
    d = dijkstra(sub, directed=True, indices=local, limit=limit, min_only=True)[:n_local]
    hit = np.flatnonzero(np.isfinite(d))
    k = len(nodes)
    ids = np.where(hit < k, nodes[np.minimum(hit, k - 1)] if k else 0, net.n_nodes + hit - k)
    return Reached(ids, d[hit])  # network ids (sorted) come before the virtual ones


def _to_local(net: Network, nodes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Position of node ids in the subgraph of ``nodes`` + virtual nodes (-1: not in it)."""
    k = len(nodes)
    virtual = ids >= net.n_nodes
    out = np.where(virtual, k + ids - net.n_nodes, -1)
    if k:
        at = np.minimum(np.searchsorted(nodes, ids[~virtual]), k - 1)
        out[~virtual] = np.where(nodes[at] == ids[~virtual], at, -1)
    return out


def subgraph(vg, base: sp.csr_matrix, nodes: np.ndarray, *, weight: str, reverse: bool):
    """Return the CSR matrix of ``nodes``, every virtual node and a sink, and the sink's index.

    Position ``i < len(nodes)`` is network node ``nodes[i]`` (sorted ids), then the
    request's virtual nodes in order, then the sink that arcs leaving ``nodes`` end in;
    ``base`` is the network's CSR matrix of ``weight`` (reversed when ``reverse``), the
    virtual arcs of ``vg`` are added in the same direction.
    """
    net = vg.net
    k = len(nodes)
    n_virtual = vg.n_nodes - net.n_nodes
    size = k + n_virtual + 1
    sink = size - 1
    pool = _positions(net)
    pos = pool.take()
    try:
        pos[nodes] = np.arange(k)
        starts, ends = base.indptr[nodes], base.indptr[nodes + 1]
        lens = ends - starts
        indptr = np.r_[0, np.cumsum(lens)]
        flat = np.repeat(starts - indptr[:-1], lens) + np.arange(indptr[-1])
        cols = pos[base.indices[flat]]
        cols[cols < 0] = sink
        indptr = np.r_[indptr, np.full(n_virtual + 1, indptr[-1])]
        own = sp.csr_matrix((base.data[flat], cols, indptr), shape=(size, size))
        tail, head, (w,) = vg.virtual_arcs([weight])
        if reverse:
            tail, head = head, tail
        lt = _local_ids(net, pos, tail, k)
        lh = _local_ids(net, pos, head, k)
        keep = lt >= 0
        lh = np.where(lh < 0, sink, lh)
        extra = arcs_to_csr(lt[keep], lh[keep], w[keep], size)
    finally:
        pool.give(pos, nodes)
    own.has_canonical_format = True
    return (own + extra).tocsr(), size - 1


def _local_ids(net: Network, pos: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of node ids in the subgraph (-1: a network node outside it)."""
    ids = np.asarray(ids, dtype=np.int64)
    virtual = ids >= net.n_nodes
    out = np.full(len(ids), -1, dtype=np.int64)
    out[virtual] = k + ids[virtual] - net.n_nodes
    out[~virtual] = pos[ids[~virtual]]
    return out


#: buckets of a :func:`wide_search` per limit (their width: the limit over this)
_BUCKETS_PER_LIMIT = 128
#: fewest sources for which :func:`wide_search` beats scipy's heap (measured on the SYNTHETIC
#: grids, 2026-12-03: 533 sources at 640k nodes 211 ms vs 324, 1,633 at 1.96M 737 vs 1,198;
#: one source reaching 80 % of 160k nodes 46 ms vs 14; 133 at 160k even)
WIDE_MIN_SOURCES = 100


def wide_search(graph: sp.csr_matrix, sources: np.ndarray, *, limit: float) -> np.ndarray:
    """Costs from the nearest source within ``limit`` on all of ``graph`` (inf beyond it).

    The same costs as ``scipy.sparse.csgraph.dijkstra(graph, indices=sources,
    limit=limit, min_only=True)`` (every stored entry an arc, costs >= 0), found by
    vectorised label-correcting in buckets of cost (delta-stepping): the nodes of the
    lowest bucket relax all their arcs at once, until no label improves. For searches that
    reach most of a large network (a province-wide catchment), where one numpy step per
    bucket costs less than scipy's heap per node. Exact: a label is always the cost of a
    path, and the search ends only when no arc improves any label within ``limit``.
    """
    n = graph.shape[0]
    dist = np.full(n, np.inf)
    sources = np.asarray(sources, dtype=np.int64)
    dist[sources] = 0.0
    if not np.isfinite(limit):
        limit = np.inf
    width = limit / _BUCKETS_PER_LIMIT if np.isfinite(limit) and limit > 0 else 1.0
    relaxed = np.full(n, np.inf)  # the label each node last relaxed its arcs with
    first = np.empty(n, dtype=np.int64)  # scratch: drops repeated nodes without a sort
    pending = sources
    while len(pending):
        label = dist[pending]
        keep = label < relaxed[pending]
        pending, label = pending[keep], label[keep]
        if len(pending) == 0:
            break
        low = float(label.min())
        top = max((np.floor(low / width) + 1) * width, np.nextafter(low, np.inf))
        now = label < top
        nodes, pending = pending[now], pending[~now]
        first[nodes] = np.arange(len(nodes))
        nodes = nodes[first[nodes] == np.arange(len(nodes))]
        heads, cand = _relax(graph, nodes, dist, limit)
        relaxed[nodes] = dist[nodes]
        np.minimum.at(dist, heads, cand)
        pending = np.concatenate([pending, heads[dist[heads] == cand]])
    return dist


def _relax(
    graph: sp.csr_matrix, nodes: np.ndarray, dist: np.ndarray, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return the heads of the arcs of ``nodes`` whose labels improve, and the new labels."""
    starts = graph.indptr[nodes]
    lens = graph.indptr[nodes + 1] - starts
    total = int(lens.sum())
    flat = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
    heads = graph.indices[flat]
    cand = np.repeat(dist[nodes], lens) + graph.data[flat]
    better = (cand < dist[heads]) & (cand <= limit)
    return heads[better], cand[better]


class _Incidence:
    """Edges by end node (both ends), sorted once per network."""

    def __init__(self, net: Network) -> None:
        ends = np.concatenate([net.edge_u, net.edge_v])
        small = np.int32 if len(ends) < np.iinfo(np.int32).max else np.int64  # half the bytes
        self.order = np.argsort(ends, kind="stable").astype(small)
        self.sorted_nodes = ends[self.order].astype(small)
        self.n_edges = net.n_edges


_INCIDENCE: weakref.WeakKeyDictionary[Network, _Incidence] = weakref.WeakKeyDictionary()


def incident_edges(net: Network, nodes: np.ndarray) -> np.ndarray:
    """Return the edges with an end among ``nodes``, sorted and unique.

    ``nodes`` are network ids; a junction copy counts as its junction. The cost is in
    proportion to the number of edges found.
    """
    inc = _INCIDENCE.get(net)
    if inc is None:
        with _GRID_LOCK:
            inc = _INCIDENCE.setdefault(net, _Incidence(net))
    nodes = np.asarray(nodes, dtype=np.int64)
    copy = nodes >= net.n_junctions
    if copy.any():
        nodes = np.unique(np.r_[nodes[~copy], net.node_copy_of[nodes[copy] - net.n_junctions]])
    if 4 * len(nodes) > net.n_junctions:  # most of the network: one pass over the edges
        hit = np.zeros(net.n_junctions, dtype=bool)
        hit[nodes] = True
        return np.flatnonzero(hit[net.edge_u] | hit[net.edge_v])
    keys = nodes.astype(inc.sorted_nodes.dtype)  # the array's own dtype: no copy of it
    lo = np.searchsorted(inc.sorted_nodes, keys, side="left")
    hi = np.searchsorted(inc.sorted_nodes, keys, side="right")
    lens = hi - lo
    idx = np.repeat(lo - np.r_[0, np.cumsum(lens)[:-1]], lens) + np.arange(lens.sum())
    edges = inc.order[idx] % inc.n_edges
    if len(edges) * 16 < inc.n_edges:
        return np.unique(edges).astype(np.int64)
    mask = np.zeros(inc.n_edges, dtype=bool)  # a large answer: one byte per edge is cheaper
    mask[edges] = True
    return np.flatnonzero(mask)
