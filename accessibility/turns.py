"""Turn restrictions by node splitting: only the restricted junctions get extra nodes.

An OSM turn restriction says that a traveller arriving along the ``from`` way, at the
``via`` node (or after the ``via`` way(s)), may not (``no_*``) or may only (``only_*``)
continue along the ``to`` way. An edge-based graph everywhere would honour that, at the
price of a graph several times larger. Here the node graph stays and only the restricted
junctions are split: every arc that arrives at a restricted junction along a ``from`` way
is redirected to a *copy* of the junction (same place), whose outgoing arcs are the
junction's arcs minus the forbidden ones (or only the one allowed). Via-way restrictions get
a short chain of copies along the via way. All other arrivals keep the junction with all its
arcs. The compiled shortest-path pass (scipy's dijkstra on a CSR matrix) is unchanged.

Which relations bind a profile is data (``restrictions`` and ``restriction_except`` in
``profiles.toml``); relations that do not fit the network are counted, never fatal.
"""

from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass

import numpy as np

from accessibility.osm import Restriction

#: what the counters in a network's stats are called (``turn_restrictions_<reason>``)
OUTCOMES = (
    "applied",
    "other_mode",
    "excepted",
    "unknown_value",
    "malformed",
    "not_in_network",
)
#: how many junctions out from a restricted junction turning round is banned (u_turns =
#: "dead_ends"): 1 = the roads leaving it up to the next junctions, 2 = one junction further.
#: On Heidelberg, 2 gives the distances of banning it everywhere (as OSRM) within 90 m
U_TURN_HOPS = 2
_ON_A_ROAD = 2  # neighbours of a node that only joins two ways (or shapes one)


@dataclass(frozen=True)
class TurnRule:
    """One restriction as it binds a profile: the arcs it starts from and its outcome.

    Arcs are keyed ``2 * edge + direction`` (0 forward ``u -> v``, 1 backward).
    """

    only: bool
    from_arcs: tuple[int, ...]
    path_arcs: tuple[int, ...]  # along the via way(s); empty for a via node
    to_arcs: frozenset[int]


@dataclass
class TurnGraph:
    """The result of splitting: copy nodes, their arcs and the redirected arrivals.

    Attributes
    ----------
    copy_of : list of int
        For each copy node (numbered after the network's nodes), the junction it copies.
    arc_tail, arc_key, arc_head : list of int
        Arcs leaving copies: the copy, the arc key (``2 * edge + direction``) they repeat,
        and their head (-1: the head the arc key has in the final graph).
    redirect : dict
        Arc key -> copy node: arrivals that now end at a copy.
    """

    copy_of: list[int]
    arc_tail: list[int]
    arc_key: list[int]
    arc_head: list[int]
    redirect: dict[int, int]


def binding_value(tags: dict[str, str], keys: tuple[str, ...], exempt: frozenset[str]) -> str:
    """Return the restriction value that binds a profile, or the outcome when none does.

    ``keys`` are tried most specific first (``restriction:motorcar`` before
    ``restriction``); an ``except`` naming one of ``exempt`` frees the profile.
    """
    value = next((tags[k] for k in keys if k in tags), None)
    if value is None:
        return "other_mode"
    excepted = {v.strip() for v in tags.get("except", "").split(";")}
    if excepted & exempt:
        return "excepted"
    value = value.strip().lower()
    if not value.startswith(("no_", "only_")):
        return "unknown_value"
    return value


class _Topology:
    """Arc lookups on a network: by key, by tail node and by way id (numpy, built once)."""

    def __init__(self, net) -> None:
        m = net.n_edges
        self.n_orig = net.n_junctions
        self.tail = np.concatenate([net.edge_u, net.edge_v])  # key 2e+d -> index d*m+e
        self.head = np.concatenate([net.edge_v, net.edge_u])
        self.ok = np.concatenate([net.edge_forward, net.edge_backward])
        self.m = m
        idx = np.flatnonzero(self.ok)
        order = np.argsort(self.tail[idx], kind="stable")
        self.by_tail = idx[order]
        self.tail_ptr = np.searchsorted(self.tail[self.by_tail], np.arange(net.n_nodes + 1))
        order = np.argsort(self.head[idx], kind="stable")
        self.by_head = idx[order]
        self.head_ptr = np.searchsorted(self.head[self.by_head], np.arange(net.n_nodes + 1))
        self.way_order = np.argsort(net.edge_way_id, kind="stable")
        self.way_sorted = net.edge_way_id[self.way_order]
        self.osmid = net.node_osmid[: self.n_orig]

    def key(self, i: int) -> int:
        """Arc key of the flat index ``d * m + e``."""
        d, e = divmod(int(i), self.m)
        return 2 * e + d

    def index(self, key: int) -> int:
        e, d = divmod(key, 2)
        return d * self.m + e

    def head_of(self, key: int) -> int:
        return int(self.head[self.index(key)])

    def out_keys(self, node: int) -> list[int]:
        """Keys of the usable arcs leaving an original node."""
        lo, hi = self.tail_ptr[node], self.tail_ptr[node + 1]
        return [self.key(i) for i in self.by_tail[lo:hi]]

    def node(self, osmid: int) -> int | None:
        i = int(np.searchsorted(self.osmid, osmid))
        return i if i < len(self.osmid) and self.osmid[i] == osmid else None

    def way_arcs(self, way_id: int) -> list[int]:
        """Keys of the usable arcs of a way (both directions)."""
        lo, hi = np.searchsorted(self.way_sorted, [way_id, way_id + 1])
        edges = self.way_order[lo:hi]
        return [2 * int(e) + d for e in edges for d in (0, 1) if self.ok[d * self.m + e]]

    def entering(self, way_id: int, node: int) -> list[int]:
        return [k for k in self.way_arcs(way_id) if self.head_of(k) == node]

    def leaving(self, way_id: int, node: int) -> list[int]:
        return [k for k in self.way_arcs(way_id) if int(self.tail[self.index(k)]) == node]


_TOPOLOGY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _topology(net) -> _Topology:
    """Return the arc lookups of ``net``, built once per network (shared by all passes)."""
    topo = _TOPOLOGY.get(net)
    if topo is None:
        topo = _TOPOLOGY[net] = _Topology(net)
    return topo


def forget(net) -> None:
    """Drop the arc lookups of ``net`` (a network kept after its turns are resolved)."""
    _TOPOLOGY.pop(net, None)


def _via_path(topo: _Topology, via_ways: tuple[int, ...], start: int, ends: set[int]):
    """Arc keys along the via ways from ``start`` to a node in ``ends`` (None if none)."""
    arcs = [k for w in via_ways for k in topo.way_arcs(w)]
    prev: dict[int, int | None] = {start: None}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for k in arcs:
                if int(topo.tail[topo.index(k)]) != node:
                    continue
                h = topo.head_of(k)
                if h not in prev:
                    prev[h] = k
                    nxt.append(h)
        frontier = nxt
    hit = next((n for n in ends if n in prev and n != start), None)
    if hit is None:
        return None
    path = []
    while prev[hit] is not None:
        k = prev[hit]
        path.append(k)
        hit = int(topo.tail[topo.index(k)])
    return path[::-1]


def _rule(topo: _Topology, r: Restriction, value: str) -> TurnRule | str:
    """Resolve one relation on the network: a TurnRule, or an outcome name."""
    only = value.startswith("only_")
    if not r.from_ways or not r.to_ways or bool(r.via_nodes) == bool(r.via_ways):
        return "malformed"
    if len(r.via_nodes) > 1 or (only and (len(r.to_ways) > 1 or len(r.from_ways) > 1)):
        return "malformed"
    if r.via_nodes:
        s = topo.node(r.via_nodes[0])
        if s is None:
            return "not_in_network"
        t, path = s, []
    else:
        from_nodes = {int(topo.head[topo.index(k)]) for w in r.from_ways for k in topo.way_arcs(w)}
        to_nodes = {int(topo.tail[topo.index(k)]) for w in r.to_ways for k in topo.way_arcs(w)}
        via_nodes = {int(topo.tail[topo.index(k)]) for w in r.via_ways for k in topo.way_arcs(w)}
        starts = from_nodes & via_nodes
        if len(starts) != 1:
            return "not_in_network"
        s = starts.pop()
        path = _via_path(topo, r.via_ways, s, to_nodes & via_nodes)
        if not path:
            return "not_in_network"
        t = topo.head_of(path[-1])
    from_arcs = [k for w in r.from_ways for k in topo.entering(w, s)]
    if len(r.from_ways) == 1 and len({k // 2 for k in from_arcs}) > 1:
        return "malformed"  # the from way runs through the via node: which side is meant?
    if r.to_ways == r.from_ways and not path:  # a u-turn: back along the same edge
        to_arcs = {k ^ 1 for k in from_arcs}
    else:
        to_arcs = {k for w in r.to_ways for k in topo.leaving(w, t)}
    if not from_arcs or not to_arcs:
        return "not_in_network"
    return TurnRule(only, tuple(from_arcs), tuple(path), frozenset(to_arcs))


def resolve(
    net, restrictions: list[Restriction], keys: tuple[str, ...], exempt: frozenset[str]
) -> tuple[list[TurnRule], Counter]:
    """Return the restrictions that bind a profile on ``net`` and a count of every outcome."""
    counts: Counter = Counter(dict.fromkeys(OUTCOMES, 0))
    if not restrictions or not keys:
        counts["other_mode"] += len(restrictions)
        return [], counts
    topo = _topology(net)
    rules = []
    for r in restrictions:
        value = binding_value(r.tags, keys, exempt)
        rule = _rule(topo, r, value) if value.startswith(("no_", "only_")) else value
        if isinstance(rule, str):
            counts[rule] += 1
        else:
            counts["applied"] += 1
            rules.append(rule)
    return rules, counts


def barrier_rules(net, nodes: np.ndarray) -> list[TurnRule]:
    """Rules that stop every passage through ``nodes`` (barriers): arrivals turn back."""
    topo = _topology(net)
    rules = []
    for n in np.asarray(nodes, dtype=np.int64).tolist():
        lo, hi = topo.head_ptr[n], topo.head_ptr[n + 1]
        for i in topo.by_head[lo:hi]:
            k = topo.key(i)
            rules.append(TurnRule(True, (k,), (), frozenset({k ^ 1})))
    return rules


def _degree(net) -> np.ndarray:
    """Distinct neighbours of every node (either direction, loops left out)."""
    u, v = net.edge_u, net.edge_v
    keep = u != v
    a, b = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
    pairs = np.unique(np.stack([a, b], axis=1), axis=0)
    return np.bincount(pairs.ravel(), minlength=net.n_nodes)


def _chain_bans(topo: _Topology, key: int, skip: set[int], deg: np.ndarray, bans: set[int]):
    """Ban turning round along the road that arc ``key`` starts, up to the next junction.

    Adds to ``bans`` every arrival arc after which turning back along the same edge is
    forbidden; returns the junction where the road ends (None at a dead end or barrier).
    """
    seen = set()
    while key not in seen:
        seen.add(key)
        node = topo.head_of(key)
        if node in skip:
            return None  # turning round at a barrier is allowed
        tail = int(topo.tail[topo.index(key)])
        outs = topo.out_keys(node)
        onward = [a for a in outs if topo.head_of(a) != tail]
        if not onward:
            return None  # a dead end (for this mode): turning round is the only way on
        if key ^ 1 in outs:
            bans.add(key)
        if deg[node] != _ON_A_ROAD or len(onward) != 1:
            return node
        key = onward[0]
    return None


def u_turn_rules(
    net, rules: list[TurnRule], skip: np.ndarray, hops: int = U_TURN_HOPS
) -> list[TurnRule]:
    """No turning round near restricted junctions, except at dead ends and barriers.

    In a node graph a shortest route never turns round (it would be a cycle), unless the
    junction it comes back to is split: then driving on, turning round and coming back gets
    round the restriction. OSRM and Valhalla turn round only at dead ends (and barriers);
    this bans it on every road leaving a restricted junction up to the next junction
    (``hops`` junctions out), where that escape is possible.
    """
    topo = _topology(net)
    deg = _degree(net)
    skip_set = set(np.asarray(skip, dtype=np.int64).tolist())
    frontier = {topo.head_of(k) for r in rules for k in (*r.from_arcs, *r.path_arcs)}
    done: set[int] = set()
    bans: set[int] = set()
    for _ in range(hops):
        ends = set()
        for j in frontier:
            done.add(j)
            for k in topo.out_keys(j):
                end = _chain_bans(topo, k, skip_set, deg, bans)
                if end is not None:
                    ends.add(end)
        frontier = ends - done
    return [TurnRule(False, (k,), (), frozenset({k ^ 1})) for k in sorted(bans)]


def split(net, rules: list[TurnRule]) -> TurnGraph:
    """Split the restricted junctions of ``net`` (see module docstring)."""
    topo = _topology(net)
    n = net.n_nodes
    out: dict[int, list[list[int]]] = {}  # copy -> [[arc key, head or -1], ...]
    copy_of: list[int] = []
    redirect: dict[int, int] = {}

    def out_of(node: int) -> list[list[int]]:
        if node >= n:
            return [list(a) for a in out[node]]
        return [[k, -1] for k in topo.out_keys(node)]

    def new_copy(of: int) -> int:
        c = n + len(copy_of)
        base = of if of < n else copy_of[of - n]
        copy_of.append(base)
        out[c] = out_of(of)
        return c

    def current(key: int) -> int:
        return redirect.get(key, topo.head_of(key))

    # via nodes first, one copy per restricted arrival (its bans combined), then via ways
    for rule in sorted(rules, key=lambda r: len(r.path_arcs)):
        for f in rule.from_arcs:
            node = new_copy(current(f)) if f not in redirect or rule.path_arcs else redirect[f]
            last = node
            for k in rule.path_arcs:
                step = next((a for a in out[last] if a[0] == k), None)
                if step is None:
                    break
                nxt = new_copy(step[1] if step[1] >= 0 else current(k))
                step[1] = nxt
                last = nxt
            else:
                keep = [a for a in out[last] if (a[0] in rule.to_arcs) == rule.only]
                out[last] = keep
                redirect[f] = node
    tails, keys, heads = [], [], []
    for c, arcs in out.items():
        for k, h in arcs:
            tails.append(c)
            keys.append(k)
            heads.append(h)
    return TurnGraph(copy_of, tails, keys, heads, redirect)
