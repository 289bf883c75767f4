"""Compiled shortest paths: nearest facility for every node, and counts within radii.

Snapped points (villages, facilities, request locations) become *virtual nodes* that split
their edge: ``u -> p1 -> p2 -> v`` (and back where the edge is two-way), so a village and a
facility on the same street are routed along it exactly. Then one
``scipy.sparse.csgraph.dijkstra(min_only=True)`` from all facilities of a category on the
REVERSED graph gives every node its cost to the nearest facility and which facility won.
No Python loop over villages x facilities, no networkx.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.network import Network, arcs_to_csr_multi
from accessibility.snapping import Snapped

WEIGHTS = ("length_m", "travel_time_s")
#: a snapped point this close to an edge end is treated as lying on that node (metres)
SNAP_NODE_TOLERANCE_M = 0.5


@dataclass(frozen=True, eq=False)
class AugmentedGraph:
    """The network plus virtual nodes for snapped points.

    ``offsets[k]`` is the first virtual node index of the k-th group of points given to
    :func:`augment`; point j of group k is node ``offsets[k] + j``. Points that were not
    snapped (``ok=False``) get a node without arcs: unreachable.
    """

    n_nodes: int
    offsets: tuple[int, ...]
    forward: dict[str, sp.csr_matrix]
    reverse: dict[str, sp.csr_matrix]

    def nodes(self, group: int, size: int) -> np.ndarray:
        """Virtual node ids of group ``group`` (``size`` points)."""
        return self.offsets[group] + np.arange(size)


def _split_arcs(net: Network, snapped: Snapped, first_id: int) -> dict[str, np.ndarray]:
    """Arcs that chain the snapped points along their edges (vectorised)."""
    ok = np.flatnonzero(snapped.ok)
    e = snapped.edge[ok]
    off = snapped.offset_m[ok]
    vid = first_id + ok
    order = np.lexsort((off, e))
    e, off, vid = e[order], off[order], vid[order]
    n = len(e)
    if n == 0:
        empty = np.zeros(0)
        return {
            "tail": empty.astype(np.int64),
            "head": empty.astype(np.int64),
            "length_m": empty,
            "travel_time_s": empty,
        }
    first = np.ones(n, dtype=bool)
    first[1:] = e[1:] != e[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = e[1:] != e[:-1]
    prev_node = np.where(first, net.edge_u[e], np.r_[-1, vid[:-1]])
    prev_off = np.where(first, 0.0, np.r_[0.0, off[:-1]])
    # pieces: prev -> point, and for the last point of an edge, point -> v
    a_tail = np.concatenate([prev_node, vid[last]])
    a_head = np.concatenate([vid, net.edge_v[e[last]]])
    a_edge = np.concatenate([e, e[last]])
    a_len = np.concatenate([off - prev_off, net.edge_length_m[e[last]] - off[last]])
    a_len = np.maximum(a_len, 0.0)
    el = net.edge_length_m[a_edge]
    frac = np.divide(a_len, el, out=np.zeros_like(a_len), where=el > 0)
    a_time = frac * net.edge_time_s[a_edge]
    f = net.edge_forward[a_edge]
    b = net.edge_backward[a_edge]
    # A point that lies on a node (within SNAP_NODE_TOLERANCE_M) is that node: link it both
    # ways, so a village at a junction is not stuck on the one-way edge it snapped to.
    el_p = net.edge_length_m[e]
    at_u = off <= SNAP_NODE_TOLERANCE_M
    at_v = (el_p - off) <= SNAP_NODE_TOLERANCE_M
    n_tail = np.concatenate([vid[at_u], vid[at_v]])
    n_head = np.concatenate([net.edge_u[e[at_u]], net.edge_v[e[at_v]]])
    n_len = np.concatenate([off[at_u], el_p[at_v] - off[at_v]])
    n_len = np.maximum(n_len, 0.0)
    n_edge = np.concatenate([e[at_u], e[at_v]])
    n_el = net.edge_length_m[n_edge]
    n_time = np.divide(n_len, n_el, out=np.zeros_like(n_len), where=n_el > 0)
    n_time = n_time * net.edge_time_s[n_edge]
    a_tail = np.concatenate([a_tail, n_tail])
    a_head = np.concatenate([a_head, n_head])
    a_len = np.concatenate([a_len, n_len])
    a_time = np.concatenate([a_time, n_time])
    f = np.concatenate([f, np.ones(len(n_tail), dtype=bool)])
    b = np.concatenate([b, np.ones(len(n_tail), dtype=bool)])
    return {
        "tail": np.concatenate([a_tail[f], a_head[b]]),
        "head": np.concatenate([a_head[f], a_tail[b]]),
        "length_m": np.concatenate([a_len[f], a_len[b]]),
        "travel_time_s": np.concatenate([a_time[f], a_time[b]]),
    }


def augment(net: Network, groups: list[Snapped]) -> AugmentedGraph:
    """Add every group of snapped points to the network as virtual nodes.

    All groups share one graph, so points of different groups on the same edge are chained
    in offset order (a village and a facility on one street reach each other along it).
    """
    offsets = []
    n = net.n_nodes
    for g in groups:
        offsets.append(n)
        n += len(g)
    allsnap = Snapped(
        edge=np.concatenate([g.edge for g in groups]) if groups else np.zeros(0, np.int64),
        offset_m=np.concatenate([g.offset_m for g in groups]) if groups else np.zeros(0),
        snap_distance_m=np.zeros(n - net.n_nodes),
        ok=np.concatenate([g.ok for g in groups]) if groups else np.zeros(0, bool),
        x=np.zeros(n - net.n_nodes),
        y=np.zeros(n - net.n_nodes),
    )
    extra = _split_arcs(net, allsnap, net.n_nodes)
    a = net.arcs
    fwd: dict[str, sp.csr_matrix] = {}
    rev: dict[str, sp.csr_matrix] = {}
    tail = np.concatenate([a["tail"], extra["tail"]])
    head = np.concatenate([a["head"], extra["head"]])
    mats = arcs_to_csr_multi(tail, head, [np.concatenate([a[w], extra[w]]) for w in WEIGHTS], n)
    for w, m in zip(WEIGHTS, mats, strict=True):
        fwd[w] = m
        rev[w] = m.T.tocsr()  # the reversed graph is the transpose: no second sort
    return AugmentedGraph(n_nodes=n, offsets=tuple(offsets), forward=fwd, reverse=rev)


def nearest_source(
    graph_reverse: sp.csr_matrix, sources: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cost from every node to its nearest source, and which source (node id) that is.

    Runs one multi-source Dijkstra on the reversed graph. Unreachable nodes get
    ``inf`` and source ``-1``.
    """
    n = graph_reverse.shape[0]
    sources = np.asarray(sources, dtype=np.int64)
    if len(sources) == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    dist, _pred, src = dijkstra(
        graph_reverse,
        directed=True,
        indices=sources,
        min_only=True,
        return_predecessors=True,
    )
    src = np.asarray(src, dtype=np.int64)
    src[~np.isfinite(dist)] = -1
    return dist, src


def costs_within(
    graph: sp.csr_matrix,
    origins: np.ndarray,
    targets: np.ndarray,
    *,
    limit: float,
    max_cells: int = 20_000_000,
) -> np.ndarray:
    """Cost matrix ``origins x targets`` of bounded searches (inf beyond ``limit``).

    One bounded Dijkstra per origin, batched so that a batch holds at most ``max_cells``
    floats (scipy returns a dense row per origin over all nodes).
    """
    origins = np.asarray(origins, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    out = np.full((len(origins), len(targets)), np.inf)
    if len(origins) == 0 or len(targets) == 0:
        return out
    n = graph.shape[0]
    batch = max(1, max_cells // max(n, 1))
    for i in range(0, len(origins), batch):
        d = dijkstra(graph, directed=True, indices=origins[i : i + batch], limit=limit)
        out[i : i + batch] = np.atleast_2d(d)[:, targets]
    return out
