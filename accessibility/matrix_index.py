"""A contraction-hierarchy index for travel matrices (RoutingKit's CCH, via pyroutingkit).

A travel matrix on a network without an index runs one whole-network search per source and
weight. A *customizable contraction hierarchy* (Dibbelt, Strasser and Wagner 2016; the C++
of RoutingKit, KIT) orders the nodes once by nested dissection (inertial flow on the node
coordinates), adds the shortcuts of that order, and is then *customized* per weight; a
many-to-many query walks only the upward search spaces of its sources and targets.

Its costs are integers: every arc weight is rounded to ``1 / resolution`` of its unit
(:func:`resolution`: millimetres and milliseconds where the longest route fits in 32
bits), so a route of ``k`` arcs is off by at most ``k / (2 * resolution)``; OSRM sums
decimetres and deciseconds the same way.

The index answers costs between network nodes. The points of a request (on edges, as
virtual nodes of :class:`accessibility.engine.VirtualGraph`) are attached on the side: a
small search on the request's virtual arcs only gives, per source, the network nodes it
leaves by (and their cost), per destination the nodes it is entered from, and the direct
cost where one reaches the other without touching the network (two points on one street).
The matrix is the cheapest of the direct cost and ``exit + index + entry`` (a min-plus
product over a few nodes per point).

Which networks get an index, and when, is :func:`index_for`'s decision (one place):
networks of at most :data:`accessibility.defaults.MATRIX_INDEX_MAX_NODES` nodes get one on
their first matrix (about 0.1 s at 3,000 nodes); networks of at most
:data:`accessibility.defaults.MATRIX_INDEX_BACKGROUND_MAX_NODES` get one made in a
background thread that their first matrix starts (searching until it is ready); larger
ones keep the bounded scipy searches. An index is kept for the network's lifetime. See
``docs/benchmarks-matrix-index.md`` for the index measured by size: on the SYNTHETIC grids
its preparation grows faster than the network.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.csgraph import connected_components, dijkstra

from accessibility.defaults import MATRIX_INDEX_MAX_NODES
from accessibility.network import Network, arcs_to_csr

#: the index's largest cost (RoutingKit's ``inf_weight``, 2^31 - 1); also its "unreachable"
INF_WEIGHT = 2**31 - 1
#: finest resolution: 1,000 integer units per metre or second (millimetres, milliseconds)
MAX_RESOLUTION = 1000.0
#: coarsest resolution still used (centimetres, hundredths of a second); below it: no index
MIN_RESOLUTION = 100.0


def resolution(net: Network, weight: str) -> float:
    """Integer units per unit of ``weight`` so that no shortest route can pass ``INF_WEIGHT``.

    The finest power of ten up to :data:`MAX_RESOLUTION` at which :func:`longest_route`
    stays below :data:`INF_WEIGHT`; 0 when even :data:`MIN_RESOLUTION` does not fit.
    """
    bound = longest_route(net, weight)
    res = MAX_RESOLUTION
    while res >= MIN_RESOLUTION:
        if bound * res < INF_WEIGHT - 1:
            return res
        res /= 10.0
    return 0.0


def longest_route(net: Network, weight: str) -> float:
    """Return an upper bound of every shortest route's cost on ``net`` (two searches).

    From a node ``v`` of the largest strongly connected part: a route from ``a`` to ``b``
    is at most ``d(a, v) + d(v, b)`` inside that part, and a shortest route uses every arc
    outside it at most once; so the bound is the farthest cost to ``v``, plus the farthest
    from ``v``, plus the sum of the arcs not inside the part.
    """
    a = net.arcs
    w = np.where(np.isfinite(a[weight]), a[weight], 0.0)
    g = arcs_to_csr(a["tail"], a["head"], w, net.n_nodes)
    _, label = connected_components(g, directed=True, connection="strong")
    big = np.bincount(label).argmax()
    v = int(np.flatnonzero(label == big)[0])
    out = dijkstra(g, directed=True, indices=v)
    into = dijkstra(g.T.tocsr(), directed=True, indices=v)
    inside = (label[a["tail"]] == big) & (label[a["head"]] == big)
    far = out[np.isfinite(out)].max() + into[np.isfinite(into)].max()
    return float(far + w[~inside].sum())


@dataclass(eq=False)
class MatrixIndex:
    """One network's hierarchy, customized for each weight (``metrics``, ``resolutions``)."""

    net: Network
    metrics: dict[str, object]
    resolutions: dict[str, float]
    #: one query at a time: pyroutingkit releases the GIL and its metrics keep query state
    #: (concurrent queries on one metric crash the process)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def prepare(cls, net: Network, weights: tuple[str, ...]) -> MatrixIndex | None:
        """Order, contract and customize ``net`` for ``weights``; None without pyroutingkit.

        Also None when a weight's longest route (:func:`longest_route`) does not fit the
        index's 32-bit costs at :data:`MIN_RESOLUTION` (a continent by the centimetre): the
        caller searches instead. Closed arcs (infinite weight) stay closed.
        """
        try:
            from pyroutingkit import CCHMetric, CCHTopology
        except ImportError:  # an optional speed-up: without it, the matrix searches
            return None
        a = net.arcs
        res = {w: resolution(net, w) for w in weights}
        if not all(res.values()):
            return None
        topo = CCHTopology()
        # inertial flow needs planar positions only: the metric x, y serve as lon, lat
        topo.build(a["tail"].astype(np.uint32), a["head"].astype(np.uint32),
                   np.asarray(net.node_y, dtype=np.float32),
                   np.asarray(net.node_x, dtype=np.float32), net.n_nodes)  # fmt: skip
        metrics = {}
        for w in weights:
            m = CCHMetric(topo)
            finite = np.isfinite(a[w])
            scaled = np.where(finite, np.rint(np.where(finite, a[w], 0.0) * res[w]), INF_WEIGHT)
            m.customize(scaled.astype(np.uint32))
            metrics[w] = m
        return cls(net, metrics, res)

    def node_costs(self, weight: str, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Costs between network nodes, ``sources x targets`` (inf: unreachable)."""
        if len(sources) == 0 or len(targets) == 0:
            return np.full((len(sources), len(targets)), np.inf)
        src = np.asarray(sources, dtype=np.uint32)
        dst = np.asarray(targets, dtype=np.uint32)
        with self.lock:
            raw = self.metrics[weight].distances_many_to_many(src, dst)
        raw = np.asarray(raw, dtype=np.float64)
        return np.where(raw >= INF_WEIGHT, np.inf, raw / self.resolutions[weight])


_INDEXES: weakref.WeakKeyDictionary[Network, MatrixIndex | None] = weakref.WeakKeyDictionary()
_PENDING: weakref.WeakSet[Network] = weakref.WeakSet()
_LOCK = threading.Lock()
_log = logging.getLogger("bereik.matrix_index")


def index_for(
    net: Network,
    weights: tuple[str, ...],
    *,
    max_nodes: int = MATRIX_INDEX_MAX_NODES,
    background_max_nodes: int = 0,
) -> MatrixIndex | None:
    """Return the network's index, or None: search without one (for now).

    - up to ``max_nodes`` nodes: prepared now, on first use (concurrent first requests wait
      for the one preparation);
    - up to ``background_max_nodes``: prepared in a background thread that the first use
      starts (pyroutingkit releases the GIL, so requests go on); None until it is ready;
    - larger networks, no pyroutingkit, or costs that do not fit
      (:meth:`MatrixIndex.prepare`): None.

    Prepared once per network object.
    """
    n = net.n_nodes
    if n == 0 or n > max(max_nodes, background_max_nodes):
        return None
    with _LOCK:
        if net in _INDEXES:
            return _INDEXES[net]
        if n <= max_nodes:
            _INDEXES[net] = MatrixIndex.prepare(net, weights)
            return _INDEXES[net]
        if net not in _PENDING:
            _PENDING.add(net)
            threading.Thread(target=_prepare_aside, args=(net, weights), daemon=True,
                             name=f"matrix-index-{net.profile}").start()  # fmt: skip
    return None


def index_state(net: Network) -> str:
    """``ready``, ``preparing``, ``unavailable`` (tried, none) or ``none`` (not asked yet)."""
    with _LOCK:
        if net in _INDEXES:
            return "ready" if _INDEXES[net] is not None else "unavailable"
        return "preparing" if net in _PENDING else "none"


def _prepare_aside(net: Network, weights: tuple[str, ...]) -> None:
    """Prepare ``net``'s index in a background thread and publish it (or None on failure)."""
    t = time.perf_counter()
    try:
        index = MatrixIndex.prepare(net, weights)
    except Exception:  # never kill the service for a speed-up: the matrix keeps searching
        _log.exception("matrix index for %s failed; matrices keep searching", net.profile)
        index = None
    with _LOCK:
        _INDEXES[net] = index
        _PENDING.discard(net)
    if index is not None:
        _log.warning("matrix index for %s ready (%d nodes) in %.1f s", net.profile,
                     net.n_nodes, time.perf_counter() - t)  # fmt: skip


@dataclass(frozen=True)
class Attachments:
    """How a request's points join the network, from a search on its virtual arcs only.

    ``exit_node``/``exit_cost``/``exit_point``: network nodes a source leaves by (point
    index per row); ``entry_*`` the same for destinations (node -> point); ``direct``: the
    ``sources x destinations`` cost without touching the network's own arcs (inf: none).
    """

    exit_node: np.ndarray
    exit_cost: np.ndarray
    exit_point: np.ndarray
    entry_node: np.ndarray
    entry_cost: np.ndarray
    entry_point: np.ndarray
    direct: np.ndarray


def attach(
    n_network: int,
    tail: np.ndarray,
    head: np.ndarray,
    cost: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
) -> Attachments:
    """Search the virtual arcs (``tail -> head``, ``cost``) from sources and to targets.

    Every virtual arc has a virtual end, so these arcs form a small graph: its nodes are
    the placed points and the network nodes at the ends of their edges. Nodes below
    ``n_network`` are the network's.
    """
    nodes = np.unique(np.concatenate([tail, head, sources, targets]))
    local = np.searchsorted(nodes, [tail, head])
    g = arcs_to_csr(local[0], local[1], cost, len(nodes))
    s_loc, t_loc = np.searchsorted(nodes, sources), np.searchsorted(nodes, targets)
    own = np.flatnonzero(nodes < n_network)
    fwd = dijkstra(g, directed=True, indices=s_loc) if len(s_loc) else np.zeros((0, len(nodes)))
    rev = (dijkstra(g.T.tocsr(), directed=True, indices=t_loc) if len(t_loc)
           else np.zeros((0, len(nodes))))  # fmt: skip
    ei, ej = np.nonzero(np.isfinite(fwd[:, own]))
    ni, nj = np.nonzero(np.isfinite(rev[:, own]))
    return Attachments(
        exit_node=nodes[own][ej], exit_cost=fwd[:, own][ei, ej], exit_point=ei,
        entry_node=nodes[own][nj], entry_cost=rev[:, own][ni, nj], entry_point=ni,
        direct=fwd[:, t_loc],
    )  # fmt: skip


def point_costs(index: MatrixIndex, weight: str, att: Attachments) -> np.ndarray:
    """Return ``sources x destinations`` costs: the direct one or exit + index + entry, cheapest."""
    out = att.direct.copy()
    if len(att.exit_node) == 0 or len(att.entry_node) == 0:
        return out
    a_nodes, a_pos = np.unique(att.exit_node, return_inverse=True)
    b_nodes, b_pos = np.unique(att.entry_node, return_inverse=True)
    between = index.node_costs(weight, a_nodes, b_nodes)  # exit nodes x entry nodes
    # exit node -> destination: through its best entry (entries are grouped by point)
    to_dst, dst = _min_by_group(between[:, b_pos] + att.entry_cost, att.entry_point, axis=1)
    # source -> destination: through its best exit
    via, src = _min_by_group(to_dst[a_pos] + att.exit_cost[:, None], att.exit_point, axis=0)
    out[np.ix_(src, dst)] = np.minimum(out[np.ix_(src, dst)], via)
    return out


def _min_by_group(
    values: np.ndarray, group: np.ndarray, *, axis: int
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum of ``values`` over the positions of each ``group`` along ``axis``, and the groups."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    return np.minimum.reduceat(np.take(values, order, axis=axis), starts, axis=axis), g[starts]
