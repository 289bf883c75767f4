"""Compiled shortest paths: nearest facility for every node, and counts within radii.

Snapped points (villages, facilities, request locations) become *virtual nodes* that split
their edge: ``u -> p1 -> p2 -> v`` (and back where the edge is two-way), so a village and a
facility on the same street are routed along it exactly. Then one
``scipy.sparse.csgraph.dijkstra(min_only=True)`` from all facilities of a category on the
REVERSED graph gives every node its cost to the nearest facility and which facility won.
No Python loop over villages x facilities, no networkx. :class:`StreetRouter` offers these
searches through the routing seam (:mod:`accessibility.routing`) that every consumer uses.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.budget import checkpoint
from accessibility.network import Network, arcs_to_csr, arcs_to_csr_multi
from accessibility.reach import (
    WIDE_MIN_SOURCES,
    Reached,
    bounded_search,
    metres_per_cost,
    wide_search,
)
from accessibility.snapping import Snapped

WEIGHTS = ("length_m", "travel_time_s")
#: Largest dense block (rows x nodes, float64) one dijkstra call may return (~160 MB).
MAX_DIJKSTRA_CELLS = 20_000_000
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

    The model behind :func:`augment` (a test checks their matrices are equal):
    point j of group k is node ``offsets[k] + j``; an edge ``u -> v`` holding points
    ``p1..pk`` (by offset) gets the pieces ``u -> p1 -> ... -> pk -> v`` in the directions
    the edge allows, costs in proportion to the length; a point within
    ``SNAP_NODE_TOLERANCE_M`` of an edge end lies on that node and is also linked to it both
    ways (at the cost of the gap), so a point at a junction is not stuck on the one-way edge
    that won the snapping tie; at a junction with copies (turn restrictions, a barrier) the
    link into it ends where the edge's own arc does (:meth:`_link_heads`). What differs is
    the cost per request: the network part of the CSR matrix is built once per network and
    only the virtual arcs are added, for the one weight and direction a search needs
    (:meth:`csr`), and the pieces are kept (with their edge and offsets) for isochrones.

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

    def virtual_arcs(self, weights: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list]:
        """Return the arcs the virtual nodes add: ``tail, head`` and one cost per weight.

        Pieces run along their edge in the directions it allows; a piece that ends at an
        edge end ends where the edge's own arc does (a junction copy where a turn
        restriction redirects it), and the copies that leave along a split edge reach its
        first point too.
        """
        net = self.net
        e = self.piece_edge
        f, b = net.edge_forward[e], net.edge_backward[e]
        na, nb = self.piece_node_a, self.piece_node_b
        head_f, head_b = nb, na
        if len(net.redirect_edge):  # the last piece ends like the edge: maybe on a copy
            hf, hb = net.arc_heads
            head_f = np.where(nb == net.edge_v[e], hf[e], nb)
            head_b = np.where(na == net.edge_u[e], hb[e], na)
        span = np.maximum(self.piece_b_m - self.piece_a_m, 0.0)
        ct, _, cf, ci = self._copy_pieces()
        lv, ln = self.link_virtual, self.link_node
        into, keep = self._link_heads()
        # two points at one place (a shop and the flat above it) reach each other both ways,
        # also where the edge is one-way, as a point reaches the junction it lies on
        close = (span <= SNAP_NODE_TOLERANCE_M) & (na >= net.n_nodes) & (nb >= net.n_nodes)
        up, down = close & ~f & b, close & f & ~b
        tail = np.concatenate([na[f], nb[b], ct, lv[keep], ln, na[up], nb[down]])
        head = np.concatenate([head_f[f], head_b[b], np.where(cf, nb[ci], na[ci]), into, lv,
                               nb[up], na[down]])  # fmt: skip
        costs = []
        for weight in weights:
            cost_f = self._cost(weight, e, span, forward=True)
            same = weight == "length_m" or net.edge_time_backward_s is net.edge_time_s
            cost_b = cost_f if same else self._cost(weight, e, span, forward=False)
            copy = np.where(cf, cost_f[ci], cost_b[ci])
            link = self._cost(weight, self.link_edge, self.link_m, forward=True)
            costs.append(np.concatenate([cost_f[f], cost_b[b], copy, link[keep], link,
                                         cost_b[up], cost_f[down]]))  # fmt: skip
        return tail, head, costs

    def _link_heads(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the link from a point onto its junction ends, and which links exist.

        At a junction with copies (turn restrictions, a blocking barrier) the point arrives
        as its edge's own arc does: at the copy that arc is redirected to, so the junction's
        restrictions hold (the junction itself would let the point leave on every side).
        Where the edge has no arc towards that junction, the link is left out there.
        """
        net, ln, le = self.net, self.link_node, self.link_edge
        keep = np.ones(len(ln), dtype=bool)
        if len(net.node_copy_of) == 0 or len(ln) == 0:
            return ln, keep
        hf, hb = net.arc_heads
        at_u = ln == net.edge_u[le]
        arrive = np.where(at_u, hb[le], hf[le])
        has_arc = np.where(at_u, net.edge_backward[le], net.edge_forward[le])
        restricted = np.isin(ln, net.node_copy_of)
        keep = ~restricted | has_arc
        return np.where(restricted, arrive, ln)[keep], keep

    def _copy_pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Junction copies leaving along split edges: ``copy, edge, forward, piece``.

        ``piece`` is the piece the copy enters: the first one (forward) or the last one.
        """
        net = self.net
        ct, ce, cf = net.copy_tails
        e = self.piece_edge
        if len(ct) == 0 or len(e) == 0:
            z = np.zeros(0, dtype=np.int64)
            return z, z, np.zeros(0, dtype=bool), z
        first = np.flatnonzero(self.piece_node_a == net.edge_u[e])
        last = np.flatnonzero(self.piece_node_b == net.edge_v[e])
        out = []
        for ends, fwd in ((first, True), (last, False)):
            sel = cf == fwd
            order = np.argsort(e[ends], kind="stable")
            keys = e[ends][order]
            pos = np.searchsorted(keys, ce[sel])
            hit = pos < len(keys)
            hit[hit] = keys[pos[hit]] == ce[sel][hit]
            out.append((ct[sel][hit], ce[sel][hit], np.full(hit.sum(), fwd), ends[order][pos[hit]]))
        return tuple(np.concatenate(parts) for parts in zip(*out, strict=True))

    def csr(self, weight: str, *, reverse: bool = False) -> sp.csr_matrix:
        """Build the augmented ``n_nodes x n_nodes`` CSR matrix of one weight and direction."""
        net = self.net
        tail, head, (w,) = self.virtual_arcs([weight])
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

    def _cost(
        self, weight: str, edge: np.ndarray, length_m: np.ndarray, *, forward: bool
    ) -> np.ndarray:
        """Cost of ``length_m`` metres along ``edge`` (time in proportion to the length)."""
        if weight == "length_m":
            return length_m
        if weight == "travel_time_s":
            el = self.net.edge_length_m[edge]
            frac = np.divide(length_m, el, out=np.zeros_like(length_m), where=el > 0)
            time = self.net.edge_time_s if forward else self.net.edge_time_backward_s
            return frac * time[edge]
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


def augment(net: Network, groups: list[Snapped]) -> AugmentedGraph:
    """Add every group of snapped points to the network as virtual nodes.

    All groups share one graph, so points of different groups on the same edge are chained
    in offset order (a village and a facility on one street reach each other along it).
    """
    vg = add_virtual_nodes(net, groups)
    fwd, rev = _all_matrices(vg)
    return AugmentedGraph(n_nodes=vg.n_nodes, offsets=vg.offsets, forward=fwd, reverse=rev)


def _all_matrices(vg: VirtualGraph) -> tuple[dict[str, sp.csr_matrix], dict[str, sp.csr_matrix]]:
    """CSR matrices of every weight, forward and reversed, from one sort of all arcs."""
    a = vg.net.arcs
    tail_v, head_v, costs_v = vg.virtual_arcs(WEIGHTS)
    tail = np.concatenate([a["tail"], tail_v])
    head = np.concatenate([a["head"], head_v])
    weights = [np.concatenate([a[w], c]) for w, c in zip(WEIGHTS, costs_v, strict=True)]
    fwd: dict[str, sp.csr_matrix] = {}
    rev: dict[str, sp.csr_matrix] = {}
    for w, m in zip(WEIGHTS, arcs_to_csr_multi(tail, head, weights, vg.n_nodes), strict=True):
        fwd[w] = m
        rev[w] = m.T.tocsr()  # the reversed graph is the transpose: no second sort
    return fwd, rev


@dataclass(eq=False)
class StreetRouter:
    """The street network's side of the routing seam (:class:`accessibility.routing.Router`).

    Points placed on the network as virtual nodes (:class:`VirtualGraph`), and the three
    questions every consumer asks, each one compiled ``scipy.sparse.csgraph.dijkstra`` call:
    the nearest source of every node, the costs within a bound, one-to-many costs. The CSR
    matrix of a weight and direction is built on first use (the network part once per
    network) or, for a build, all at once by :meth:`place` with ``batch=True``.
    """

    graph: VirtualGraph
    matrices: dict[tuple[str, bool], sp.csr_matrix] = field(default_factory=dict)
    point_xy: np.ndarray | None = None  # metric x, y of the placed points (NaN: not placed)
    locals: dict[tuple[str, bool, float], LocalGraph] = field(default_factory=dict)

    @classmethod
    def place(cls, net: Network, groups: list[Snapped], *, batch: bool = False) -> StreetRouter:
        """Place the groups of snapped points on ``net``; ``batch``: every matrix now."""
        vg = add_virtual_nodes(net, groups)
        xy = np.column_stack([np.concatenate([g.x for g in groups]) if groups else [],
                              np.concatenate([g.y for g in groups]) if groups else []])  # fmt: skip
        router = cls(vg, point_xy=xy)
        if batch:
            fwd, rev = _all_matrices(vg)
            router.matrices.update({(w, False): m for w, m in fwd.items()})
            router.matrices.update({(w, True): m for w, m in rev.items()})
        return router

    @property
    def profile(self) -> str:
        """The profile of the network."""
        return self.graph.net.profile

    @property
    def n_nodes(self) -> int:
        """Network nodes plus one virtual node per placed point."""
        return self.graph.n_nodes

    @property
    def offsets(self) -> tuple[int, ...]:
        """First node id of each group of points."""
        return self.graph.offsets

    def nodes(self, group: int, size: int) -> np.ndarray:
        """Node ids of group ``group`` (``size`` points)."""
        return self.graph.nodes(group, size)

    def csr(self, weight: str, *, reverse: bool = False) -> sp.csr_matrix:
        """Return the CSR matrix of one weight and direction (built once per router)."""
        key = (weight, reverse)
        if key not in self.matrices:
            self.matrices[key] = self.graph.csr(weight, reverse=reverse)
        return self.matrices[key]

    def nearest_source(self, sources: np.ndarray, *, weight: str) -> tuple[np.ndarray, np.ndarray]:
        """Cost from every node to its nearest source, and which source (-1: none)."""
        return nearest_source(self.csr(weight, reverse=True), sources)

    def within(
        self, origins: np.ndarray, *, weight: str, limit: float, reverse: bool = False
    ) -> np.ndarray:
        """Cost from the nearest origin to every node (``reverse``: to it); inf beyond limit."""
        return dijkstra(self.csr(weight, reverse=reverse), directed=True, indices=origins,
                        limit=limit, min_only=True)  # fmt: skip

    def reach(
        self, origins: np.ndarray, *, weight: str, limit: float, reverse: bool = False
    ) -> Reached:
        """Return the nodes within ``limit`` of the nearest origin (``reverse``: to it), and costs.

        On large networks the search runs on the part of the network the limit can reach
        (:func:`accessibility.reach.bounded_search`): its cost grows with the answer, not
        with the network. Where that part is most of a large network and the search starts
        from many points (a catchment; :data:`accessibility.reach.WIDE_MIN_SOURCES`), the
        vectorised whole-graph search :func:`accessibility.reach.wide_search` finds the same
        costs faster than scipy's heap.
        """
        origins = np.asarray(origins, dtype=np.int64)
        if self.graph.net.n_nodes >= LOCAL_MIN_NODES:
            base = base_csr(self.graph.net, weight, reverse=reverse)
            found = bounded_search(self.graph, base, origins, self.xy_of(origins),
                                   weight=weight, limit=limit, reverse=reverse)  # fmt: skip
            if found is not None:
                return found
            if np.isfinite(limit) and len(origins) >= WIDE_MIN_SOURCES:  # buckets: of the limit
                graph = self.csr(weight, reverse=reverse)
                return Reached.from_dense(wide_search(graph, origins, limit=limit))
        return Reached.from_dense(self.within(origins, weight=weight, limit=limit,
                                              reverse=reverse))  # fmt: skip

    def xy_of(self, ids: np.ndarray) -> np.ndarray:
        """Metric x, y of node ids (network nodes and placed points; NaN: not placed)."""
        net = self.graph.net
        ids = np.asarray(ids, dtype=np.int64)
        out = np.full((len(ids), 2), np.nan)
        own = ids < net.n_nodes
        out[own, 0], out[own, 1] = net.node_x[ids[own]], net.node_y[ids[own]]
        if self.point_xy is not None and (~own).any():
            out[~own] = self.point_xy[ids[~own] - net.n_nodes]
        return out

    def one_to_many(
        self, origins: np.ndarray, targets: np.ndarray, *, weight: str, limit: float = np.inf
    ) -> np.ndarray:
        """``origins x targets`` costs (inf unreachable or beyond ``limit``), from the smaller side.

        On large networks one bounded search per source, its bound doubled until every
        target is reached (:meth:`_many_local`); otherwise batched whole-graph searches
        (memory ``min(origins, targets) x nodes`` floats, :func:`costs_within`).
        """
        forward = len(origins) <= len(targets)
        sources, others = (origins, targets) if forward else (targets, origins)
        if self.graph.net.n_nodes >= LOCAL_MIN_NODES:
            out = self._many_local(sources, others, weight=weight, limit=limit,
                                   reverse=not forward)  # fmt: skip
        else:
            out = costs_within(self.csr(weight, reverse=not forward), sources, others, limit=limit)
        return out if forward else out.T

    def _many_local(
        self, sources: np.ndarray, others: np.ndarray, *, weight: str, limit: float, reverse: bool
    ) -> np.ndarray:
        """Costs ``sources x others`` by bounded searches whose bound grows until all are found.

        The first bound is a little more than the farthest straight line at the network's top
        speed (lengths: than the straight line); while a target is not reached the search runs
        again with a larger bound, until it covers most of the graph (then one whole-graph
        search) or reaches ``limit``.
        """
        sources = np.asarray(sources, dtype=np.int64)
        others = np.asarray(others, dtype=np.int64)
        out = np.full((len(sources), len(others)), np.inf)
        if len(sources) == 0 or len(others) == 0:
            return out
        net = self.graph.net
        base = base_csr(net, weight, reverse=reverse)
        mpc = metres_per_cost(net, weight)
        oxy = self.xy_of(others)
        placed = np.isfinite(oxy).all(axis=1)
        whole = []  # sources whose searches would cover most of the graph
        for i, s in enumerate(sources):
            checkpoint()
            sxy = self.xy_of(s[None])
            if not np.isfinite(sxy).all():
                continue
            far = np.hypot(*(oxy[placed] - sxy).T).max() if placed.any() else 0.0
            bound = min(max(_FIRST_BOUND * far / mpc, 1.0), limit)
            while True:
                found = bounded_search(self.graph, base, s[None], sxy, weight=weight,
                                       limit=bound, reverse=reverse)  # fmt: skip
                if found is None:
                    whole.append(i)
                    break
                out[i] = found[others]
                if np.isfinite(out[i][placed]).all() or bound >= limit:
                    break
                bound = min(_GROW_BOUND * bound, limit)
        if whole:  # batched whole-graph searches (dense rows, MAX_DIJKSTRA_CELLS at a time)
            out[whole] = costs_within(self.csr(weight, reverse=reverse), sources[whole], others,
                                      limit=limit)  # fmt: skip
        return out

    def counts_within(
        self, origins: np.ndarray, targets: np.ndarray, *, weight: str, limits: Sequence[float]
    ) -> np.ndarray:
        """How many targets lie within each limit of each origin (``origins x limits``).

        Bounded searches from the smaller side, counted batch by batch: no
        ``origins x targets`` matrix is kept (:func:`count_within`).
        """
        per_source = len(origins) <= len(targets)
        sources, others = (origins, targets) if per_source else (targets, origins)
        graph = self.csr(weight, reverse=not per_source)
        local = None
        if weight == "length_m" and self.n_nodes >= LOCAL_MIN_NODES and len(limits):
            local = self.local_graph(weight, reverse=not per_source, radius=float(max(limits)))
        return count_within(graph, sources, others, limits, per_source=per_source,
                            local=local)  # fmt: skip

    def local_graph(self, weight: str, *, reverse: bool, radius: float) -> LocalGraph:
        """Return the searches within ``radius`` of a node, on its circle only (kept).

        Exact for ``length_m`` (a road is never shorter than the straight line): see
        :class:`LocalGraph`.
        """
        key = (weight, reverse, radius)
        if key not in self.locals:
            self.locals[key] = LocalGraph(self.csr(weight, reverse=reverse), self.node_xy, radius)
        return self.locals[key]

    @property
    def node_xy(self) -> np.ndarray:
        """Metric x, y of every node (network nodes, then placed points; far away: unplaced)."""
        net = self.graph.net
        pts = self.point_xy if self.point_xy is not None else np.zeros((0, 2))
        xy = np.vstack([np.column_stack([net.node_x, net.node_y]), pts])
        return np.where(np.isfinite(xy), xy, _FAR_AWAY_M)


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
    max_cells: int = MAX_DIJKSTRA_CELLS,
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
        checkpoint()
        d = dijkstra(graph, directed=True, indices=origins[i : i + batch], limit=limit)
        out[i : i + batch] = np.atleast_2d(d)[:, targets]
    return out


#: first bound of a matrix search, in straight-line costs at top speed, and its growth
_FIRST_BOUND, _GROW_BOUND = 1.2, 1.5
#: graphs this large count within rings by local searches (see :func:`count_within`)
LOCAL_MIN_NODES = 50_000
#: where unplaced points sit for the local searches: outside every circle (metres)
_FAR_AWAY_M = 1e12


def count_within(
    graph: sp.csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    limits: Sequence[float],
    *,
    per_source: bool,
    local: LocalGraph | None = None,
    max_cells: int = MAX_DIJKSTRA_CELLS,
) -> np.ndarray:
    """Count source-target pairs within each of ``limits`` by bounded searches from sources.

    Returns ``len(sources) x len(limits)`` (``per_source``: targets within reach of each
    source) or ``len(targets) x len(limits)`` (sources that reach each target). Batched as
    :func:`costs_within`, but only the counts are kept.

    With ``local`` (a :class:`LocalGraph` of ``graph`` for a radius of at least
    ``max(limits)``; costs never shorter than the straight line, as road lengths are), each
    search runs on the nodes within ``max(limits)`` of its source only: exact, and its cost
    no longer grows with the whole graph (:class:`StreetRouter` uses it for graphs of
    :data:`LOCAL_MIN_NODES` nodes and more).
    """
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    lim = np.asarray(limits, dtype=float)
    out = np.zeros((len(sources) if per_source else len(targets), len(lim)), dtype=np.int64)
    if len(sources) == 0 or len(targets) == 0 or len(lim) == 0:
        return out
    if local is not None:
        return _count_local(local, sources, targets, lim, out, per_source)
    batch = max(1, max_cells // max(graph.shape[0], 1))
    for i in range(0, len(sources), batch):
        checkpoint()
        d = dijkstra(graph, directed=True, indices=sources[i : i + batch], limit=lim.max())
        d = np.atleast_2d(d)[:, targets]
        for k, r in enumerate(lim):
            hit = d <= r
            if per_source:
                out[i : i + batch, k] = hit.sum(axis=1)
            else:
                out[:, k] += hit.sum(axis=0)
    return out


def _count_local(lg: LocalGraph, sources, targets, lim, out, per_source) -> np.ndarray:
    target_of = np.full(lg.n, -1, dtype=np.int64)
    target_of[targets] = np.arange(len(targets))
    for i, src in enumerate(sources):
        checkpoint()
        nodes, d = lg.search(int(src), float(lim.max()))
        t = target_of[nodes]
        hit = t >= 0
        t, d = t[hit], d[hit]
        for k, r in enumerate(lim):
            near = d <= r
            if per_source:
                out[i, k] = int(near.sum())
            else:
                out[t[near], k] += 1
    return out


class LocalGraph:
    """Bounded searches on the nodes within a circle around the source (exact).

    A node reached within ``radius`` lies within ``radius`` of the source in a straight
    line when every arc costs at least its straight length; so does every node on its
    path. The search therefore runs on the subgraph of the nodes in the grid cells (a
    quarter of the radius wide) that the circle touches: nodes sorted by cell, so a few
    contiguous slices and no per-node Python work; built by gathering their rows of the CSR
    matrix, with arcs that leave those cells ending in one sink node without arcs (their
    heads are farther than the radius). Cost in proportion to the circle, not to the whole
    graph.
    """

    def __init__(self, graph: sp.csr_matrix, xy: np.ndarray, radius: float) -> None:
        self.graph = graph
        self.n = graph.shape[0]
        self.radius = float(radius)
        self.xy = np.asarray(xy, dtype=float)
        self.cell = max(self.radius / _CELLS_PER_RADIUS, 1.0)
        key = self._keys(np.floor(self.xy / self.cell).astype(np.int64))
        self.order = np.argsort(key, kind="stable")
        self.sorted_keys = key[self.order]
        self._pos = np.full(self.n, -1, dtype=np.int64)

    @staticmethod
    def _keys(cells: np.ndarray) -> np.ndarray:
        return cells[..., 0] * _CELL_ROWS + cells[..., 1]

    def search(self, source: int, radius: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Nodes within ``radius`` of ``source`` in a straight line, and their costs (inf)."""
        radius = self.radius if radius is None else min(float(radius), self.radius)
        nodes = self._within(source, radius)
        pos = self._pos
        pos[nodes] = np.arange(len(nodes))
        if pos[source] < 0:  # an unplaced point: nothing within reach
            pos[nodes] = -1
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        try:
            sub = self._subgraph(nodes, pos)
            d = dijkstra(sub, directed=True, indices=int(pos[source]), limit=radius)
        finally:
            pos[nodes] = -1
        return nodes, np.atleast_1d(d)[: len(nodes)]

    def _within(self, source: int, radius: float) -> np.ndarray:
        """Find the nodes of the cells that the circle of ``radius`` around ``source`` touches."""
        c = np.floor(self.xy[source] / self.cell).astype(np.int64)
        reach = int(np.ceil(radius / self.cell))
        steps = np.arange(-reach, reach + 1)
        cells = np.stack(np.meshgrid(c[0] + steps, c[1] + steps, indexing="ij"), axis=-1)
        cells = cells.reshape(-1, 2)
        # the nearest point of each cell to the source: cells beyond the radius are left out
        lo_xy = cells * self.cell
        gap = np.maximum(
            np.maximum(lo_xy - self.xy[source], self.xy[source] - lo_xy - self.cell), 0
        )
        cells = cells[(gap**2).sum(axis=1) <= (radius * (1 + 1e-9) + 1e-6) ** 2]
        keys = self._keys(cells)
        lo = np.searchsorted(self.sorted_keys, keys, side="left")
        hi = np.searchsorted(self.sorted_keys, keys, side="right")
        lens = hi - lo
        idx = np.repeat(lo - np.r_[0, np.cumsum(lens)[:-1]], lens) + np.arange(lens.sum())
        return self.order[idx]

    def _subgraph(self, nodes: np.ndarray, pos: np.ndarray) -> sp.csr_matrix:
        g = self.graph
        starts, ends = g.indptr[nodes], g.indptr[nodes + 1]
        lens = ends - starts
        indptr = np.r_[0, np.cumsum(lens)]
        flat = np.repeat(starts - indptr[:-1], lens) + np.arange(indptr[-1])
        k = len(nodes)
        cols = pos[g.indices[flat]]
        cols[cols < 0] = k  # outside the circle: the sink (its row is empty)
        indptr = np.r_[indptr, indptr[-1]]
        return sp.csr_matrix((g.data[flat], cols, indptr), shape=(k + 1, k + 1))


#: rows per column in a cell key of :class:`LocalGraph` (more than any extent has cells)
_CELL_ROWS = 1 << 32
#: cells of :class:`LocalGraph` per search radius (4: the touched cells cover ~1.2 circles)
_CELLS_PER_RADIUS = 4.0
