"""Turn restrictions on hand-made junctions (lengths checked by hand) and on a real extract.

The toy street plan (lon step ~103 m, lat step ~111 m)::

    2 --- 3
    |     |
    4 --- 5 --- 6
          |
          8

Every street is its own way, named after its ends (w45 runs 4 -> 5, w25 runs 2 -> 5, ...),
so a restriction's from way ends at its via node as OSM wants.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from accessibility.crs import choose_metric_crs
from accessibility.network import Network, build_network
from accessibility.osm import read_osm
from accessibility.profiles import resolve_profile
from accessibility.turns import binding_value

LON0, LAT0, DX, DY = 6.5, 52.9, 0.0015, 0.001
NODES = {
    9: (LON0 + 1 * DX, LAT0),  # halfway along 4-5: where a barrier stands
    2: (LON0 + 1 * DX, LAT0 + DY),
    3: (LON0 + 2 * DX, LAT0 + DY),
    4: (LON0, LAT0),
    5: (LON0 + 2 * DX, LAT0),
    6: (LON0 + 3 * DX, LAT0),
    8: (LON0 + 2 * DX, LAT0 - DY),
    7: (LON0 + 2.5 * DX, LAT0),  # only in the U-turn tests: a way joint east of 5
}
# w25 runs 2 -> 5 diagonally (shorter than 2-3-5); w23 and w35 make a detour
WAYS = {
    45: (4, 5),
    56: (5, 6),
    25: (2, 5),
    23: (2, 3),
    35: (3, 5),
    58: (5, 8),
    24: (2, 4),
}
STREET = {"highway": "residential"}


def _xml(relations: list[tuple[int, dict, list[tuple[str, str, int]]]], ways=WAYS,
         node_tags: dict[int, dict[str, str]] | None = None) -> str:  # fmt: skip
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, (lo, la) in NODES.items():
        tags = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (node_tags or {}).get(i, {}).items())
        out.append(f'<node id="{i}" version="1" lat="{la}" lon="{lo}">{tags}</node>')
    for wid, refs in sorted(ways.items()):
        out += [f'<way id="{wid}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs)]
        out += [f'<tag k="{k}" v="{v}"/>' for k, v in STREET.items()] + ["</way>"]
    for rid, tags, members in relations:
        out.append(f'<relation id="{rid}" version="1">')
        out += [f'<member type="{t}" ref="{r}" role="{role}"/>' for role, t, r in members]
        out += [f'<tag k="{k}" v="{v}"/>' for k, v in {"type": "restriction", **tags}.items()]
        out.append("</relation>")
    out.append("</osm>")
    return "\n".join(out)


def _length(a: int, b: int) -> float:
    crs = choose_metric_crs(np.array([LON0]), np.array([LAT0]))
    t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    (x0, y0), (x1, y1) = t.transform(*NODES[a]), t.transform(*NODES[b])
    return float(np.hypot(x1 - x0, y1 - y0))


def L(*path: int) -> float:
    return sum(_length(a, b) for a, b in itertools.pairwise(path))


#: car, turning round anywhere: the restriction tests see the splitting alone (the
#: profile's u_turns = "dead_ends" has tests of its own below)
CAR_TURNING_ANYWHERE = dataclasses.replace(resolve_profile("car"), u_turns="anywhere")


def _network(tmp_path, relations, profile=CAR_TURNING_ANYWHERE, ways=WAYS,
             node_tags=None) -> Network:  # fmt: skip
    p = tmp_path / "junction.osm"
    p.write_text(_xml(relations, ways, node_tags))
    osm = read_osm(p)
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    return build_network(osm, profile, crs=crs, keep_largest_component=False)


def _dist(net: Network, a: int, b: int) -> float:
    """Shortest distance from junction a to junction b: arriving at b or at a copy of it."""
    ids = net.node_osmid[: net.n_junctions]
    i, j = int(np.flatnonzero(ids == a)[0]), int(np.flatnonzero(ids == b)[0])
    at_b = np.r_[j, net.n_junctions + np.flatnonzero(net.node_copy_of == j)]
    return float(dijkstra(net.csr("length_m"), indices=i)[at_b].min())


def _rel(value, frm, via, to, rid=1, **tags):
    via_member = [("via", "n", via)] if isinstance(via, int) else [("via", "w", w) for w in via]
    return (rid, {"restriction": value, **tags}, [("from", "w", frm), *via_member, ("to", "w", to)])


def test_no_restriction_is_the_plain_graph(tmp_path):
    net = _network(tmp_path, [])
    assert _dist(net, 4, 6) == pytest.approx(L(4, 5, 6))
    assert net.n_nodes == net.n_junctions == 6
    assert net.stats["turn_restrictions_applied"] == 0


def test_no_left_turn_forces_the_detour_only_for_that_arrival(tmp_path):
    # arriving from 4 (heading east) at 5, turning north-west onto w25 towards 2 is banned
    net = _network(tmp_path, [_rel("no_left_turn", 45, 5, 25)])
    assert net.stats["turn_restrictions_applied"] == 1
    assert net.stats["junction_copies"] == 1
    assert _dist(net, 4, 2) == pytest.approx(L(4, 2))  # the direct w24 remains
    # to 2 through 5 only by the detour 5-3-2: 4 -> 2 via 5 is never shorter than w24 here,
    # so ask about a destination only reachable through the restricted junction: 8 is
    # reachable, 2 from 4 but not via 5 -> 25
    assert _dist(net, 4, 8) == pytest.approx(L(4, 5, 8))  # straight on: allowed
    assert _dist(net, 6, 2) == pytest.approx(L(6, 5, 2))  # another arrival: allowed


def test_no_left_turn_changes_the_distance(tmp_path):
    ways = {k: v for k, v in WAYS.items() if k != 24}  # no short cut 4-2
    free = _network(tmp_path, [], ways=ways)
    assert _dist(free, 4, 2) == pytest.approx(L(4, 5, 2))
    net = _network(tmp_path, [_rel("no_left_turn", 45, 5, 25)], ways=ways)
    # legal: 4-5-3-2 (via w35, w23) or a u-turn at a dead end (5-8-5 or 5-6-5) then 5-2
    legal = min(L(4, 5, 3, 2), L(4, 5) + 2 * L(5, 8) + L(5, 2), L(4, 5) + 2 * L(5, 6) + L(5, 2))
    assert legal > L(4, 5, 2)
    assert _dist(net, 4, 2) == pytest.approx(legal)
    assert _dist(net, 4, 3) == pytest.approx(L(4, 5, 3))  # other turns from w45 stay open
    assert _dist(net, 8, 2) == pytest.approx(L(8, 5, 2))  # other arrivals unaffected


def test_only_straight_on_allows_one_way_out(tmp_path):
    ways = {k: v for k, v in WAYS.items() if k != 24}
    net = _network(tmp_path, [_rel("only_straight_on", 45, 5, 56)], ways=ways)
    assert _dist(net, 4, 6) == pytest.approx(L(4, 5, 6))
    # every other exit of 5 is closed to arrivals from 4: turn at 6 (a dead end) and come back
    assert _dist(net, 4, 8) == pytest.approx(L(4, 5) + 2 * L(5, 6) + L(5, 8))
    assert _dist(net, 4, 2) == pytest.approx(L(4, 5) + 2 * L(5, 6) + L(5, 2))


def test_via_way_restriction_binds_only_the_whole_sequence(tmp_path):
    # from w45 along w35 (5 -> 3) onto w23 (3 -> 2) is banned; 5 -> 3 -> 2 from elsewhere is not
    ways = {k: v for k, v in WAYS.items() if k not in (24, 25)}
    free = _network(tmp_path, [], ways=ways)
    assert _dist(free, 4, 2) == pytest.approx(L(4, 5, 3, 2))
    net = _network(tmp_path, [_rel("no_left_turn", 45, [35], 23)], ways=ways)
    assert net.stats["turn_restrictions_applied"] == 1
    # from 4 one must turn back somewhere: at 3 (u-turn to 5, then 5-3-2 again, now from w35
    # arriving at 5 it is a new sequence), or at a dead end 6 or 8 and come back
    legal = min(L(4, 5) + 2 * L(5, 6) + L(5, 3, 2), L(4, 5) + 2 * L(5, 8) + L(5, 3, 2),
                L(4, 5, 3) + L(3, 5) + L(5, 3, 2))  # fmt: skip
    assert _dist(net, 4, 2) == pytest.approx(legal)
    assert _dist(net, 4, 3) == pytest.approx(L(4, 5, 3))  # stopping on the via way is fine
    assert _dist(net, 8, 2) == pytest.approx(L(8, 5, 3, 2))  # another from way


def test_no_u_turn(tmp_path):
    net = _network(tmp_path, [_rel("no_u_turn", 56, 6, 56)])
    six = int(np.flatnonzero(net.node_osmid[: net.n_junctions] == 6)[0])
    assert net.node_copy_of.tolist() == [six]  # arriving at the dead end 6 from 5 ...
    assert len(net.turn_tail) == 0  # ... one may not turn: the copy has no way out
    assert _dist(net, 6, 4) == pytest.approx(L(6, 5, 4))  # starting at 6 one may leave
    assert _dist(net, 4, 6) == pytest.approx(L(4, 5, 6))


# the ring 5 -> 7 -> 3 -> 2 -> 5 with a spur from 4; 7 only joins two ways (w57, w73)
RING = {45: (4, 5), 57: (5, 7), 73: (7, 3), 32: (3, 2), 25: (2, 5)}


@pytest.mark.parametrize(
    ("u_turns", "legal"),
    [
        # turning round where the road only changes its way gets round the ban (OSM-legal
        # in bereik's node graph before, shorter than the ring by 23 m) ...
        ("anywhere", L(4, 5) + 2 * L(5, 7) + L(5, 2)),
        # ... as OSRM and Valhalla drive: on round the ring
        ("dead_ends", L(4, 5, 7, 3, 2)),
    ],
)
def test_turning_round_next_to_a_restricted_junction(tmp_path, u_turns, legal):
    car = dataclasses.replace(resolve_profile("car"), u_turns=u_turns)
    net = _network(tmp_path, [_rel("no_left_turn", 45, 5, 25)], car, ways=RING)
    assert _dist(net, 4, 2) == pytest.approx(legal)
    assert _dist(net, 4, 7) == pytest.approx(L(4, 5, 7))  # the bans stop no straight route
    assert _dist(net, 7, 2) == pytest.approx(L(7, 5, 2))  # other arrivals at 5 turn freely
    assert resolve_profile("car").u_turns == "dead_ends"  # the bundled car profile


def test_turning_round_at_a_dead_end_stays_allowed(tmp_path):
    ways = {45: (4, 5), 57: (5, 7), 25: (2, 5)}  # 7 is a dead end now
    net = _network(tmp_path, [_rel("no_left_turn", 45, 5, 25)], "car", ways=ways)
    assert _dist(net, 4, 2) == pytest.approx(L(4, 5) + 2 * L(5, 7) + L(5, 2))
    assert net.stats["u_turn_bans"] == 0  # 4 and 7 are dead ends, 2 a dead end too


def test_except_and_mode_specific_tags(tmp_path):
    ways = {k: v for k, v in WAYS.items() if k != 24}
    rel = [_rel("no_left_turn", 45, 5, 25, **{"except": "motorcar"})]
    net = _network(tmp_path, rel, ways=ways)
    assert net.stats["turn_restrictions_excepted"] == 1
    assert _dist(net, 4, 2) == pytest.approx(L(4, 5, 2))
    # restriction:bicycle binds the bike, not the car
    rel = [(1, {"restriction:bicycle": "no_left_turn"},
            [("from", "w", 45), ("via", "n", 5), ("to", "w", 25)])]  # fmt: skip
    car = _network(tmp_path, rel, ways=ways)
    assert car.stats["turn_restrictions_other_mode"] == 1
    assert _dist(car, 4, 2) == pytest.approx(L(4, 5, 2))
    bike = _network(tmp_path, rel, "bike", ways=ways)
    assert bike.stats["turn_restrictions_applied"] == 1
    assert _dist(bike, 4, 2) > L(4, 5, 2) + 1


def test_malformed_relations_are_counted_not_fatal(tmp_path):
    rels = [
        (1, {"restriction": "no_left_turn"}, [("from", "w", 45), ("to", "w", 25)]),  # no via
        (2, {"restriction": "no_left_turn"},
         [("from", "w", 45), ("via", "n", 5), ("via", "n", 6), ("to", "w", 25)]),
        (3, {"restriction": "no_left_turn"},
         [("from", "w", 45), ("via", "n", 999), ("to", "w", 25)]),  # via not in the data
        (4, {"restriction": "give_way"},
         [("from", "w", 45), ("via", "n", 5), ("to", "w", 25)]),
    ]  # fmt: skip
    net = _network(tmp_path, rels)
    s = net.stats
    assert (s["turn_restrictions_malformed"], s["turn_restrictions_not_in_network"]) == (2, 1)
    assert s["turn_restrictions_unknown_value"] == 1
    assert s["turn_restrictions_applied"] == 0


def test_binding_value():
    keys = ("restriction:motorcar", "restriction")
    assert binding_value({"restriction": "No_Left_Turn"}, keys, frozenset()) == "no_left_turn"
    tags = {"restriction": "no_left_turn", "restriction:motorcar": "only_right_turn"}
    assert binding_value(tags, keys, frozenset()) == "only_right_turn"
    tags = {"restriction": "no_left_turn", "except": "psv;bicycle"}
    assert binding_value(tags, keys, frozenset({"bicycle"})) == "excepted"
    assert binding_value({"restriction:hgv": "no_left_turn"}, keys, frozenset()) == "other_mode"


def test_network_with_copies_saves_and_loads(tmp_path):
    net = _network(tmp_path, [_rel("no_left_turn", 45, 5, 25)])
    net.save(tmp_path / "n.npz")
    back = Network.load(tmp_path / "n.npz")
    assert back.n_nodes == net.n_nodes and back.n_junctions == net.n_junctions
    assert (back.csr("length_m") != net.csr("length_m")).nnz == 0
    g = back.to_networkx(geometry=False)
    assert g.number_of_nodes() == net.n_junctions  # copies are not exported


def test_profiles_say_which_restrictions_bind():
    car, bike, walk = (resolve_profile(p) for p in ("car", "bike", "walk"))
    assert "restriction" in car.restrictions and "motorcar" in car.restriction_except
    assert "restriction:bicycle" in bike.restrictions and "bicycle" in bike.restriction_except
    assert walk.restrictions == ()


HEIDELBERG = (
    Path(__file__).resolve().parents[2] / "data" / "samples" / "heidelberg-2024-09-08.osm.pbf"
)


def _edge_based_distances(net: Network, rules, source: int) -> np.ndarray:
    """Oracle: Dijkstra over arcs (an edge-based graph with every turn spelled out).

    A state is "just travelled arc a"; from a one may take every arc leaving a's head
    unless a via-node rule forbids the pair. Independent of the junction splitting.
    """
    import scipy.sparse as sp

    m = net.n_edges
    tail = np.concatenate([net.edge_u, net.edge_v])  # state d*m+e
    head = np.concatenate([net.edge_v, net.edge_u])
    ok = np.concatenate([net.edge_forward, net.edge_backward])
    length = np.concatenate([net.edge_length_m, net.edge_length_m])
    key = lambda i: 2 * (i % m) + i // m  # noqa: E731
    banned = set()
    for r in rules:
        assert not r.path_arcs  # the extract has via nodes only
        for f in r.from_arcs:
            n = head[(f % 2) * m + f // 2]
            for b in np.flatnonzero(ok & (tail == n)):
                if (key(b) in r.to_arcs) != r.only:
                    banned.add((f, key(b)))
    states = np.flatnonzero(ok)
    rows, cols, w = [], [], []
    by_tail: dict[int, list[int]] = {}
    for b in states:
        by_tail.setdefault(int(tail[b]), []).append(int(b))
    for a in states:
        for b in by_tail.get(int(head[a]), []):
            if (key(a), key(b)) not in banned:
                rows.append(a)
                cols.append(b)
                w.append(length[b])
    s0 = 2 * m  # a start state before the first arc
    for b in by_tail.get(source, []):
        rows.append(s0)
        cols.append(b)
        w.append(length[b])
    g = sp.csr_matrix((np.maximum(w, 1e-9), (rows, cols)), shape=(2 * m + 1,) * 2)
    d_state = dijkstra(g, indices=s0)
    out = np.full(net.n_junctions, np.inf)
    np.minimum.at(out, head[states], d_state[states])
    out[source] = 0.0
    return out


def _everywhere_bans(net: Network, barriers: np.ndarray):
    """OSRM's rule as rules: no turning round at any node but dead ends and barriers."""
    from accessibility.turns import TurnRule, _topology

    topo, skip, bans = _topology(net), set(barriers.tolist()), []
    for i in np.flatnonzero(topo.ok):
        k = topo.key(i)
        head = topo.head_of(k)
        outs = topo.out_keys(head)
        if head not in skip and k ^ 1 in outs and len(outs) > 1:
            bans.append(TurnRule(False, (k,), (), frozenset({k ^ 1})))
    return bans


def test_real_extract_matches_an_edge_based_oracle():
    from accessibility.network import _blocking_nodes
    from accessibility.turns import barrier_rules, resolve, u_turn_rules

    osm = read_osm(HEIDELBERG)
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    net = build_network(osm, "car", crs=crs)
    s = net.stats
    assert s["turn_restrictions_applied"] == 429 and s["turn_restrictions_malformed"] == 0
    assert s["barriers_blocking"] == 189  # bollards, blocks, chains, access=no nodes
    assert s["u_turn_bans"] == 1581  # arrivals near restricted junctions that may not turn
    assert s["junction_copies"] == 2098  # one per restricted arrival (some carry two)
    plain = dataclasses.replace(net, node_copy_of=np.zeros(0, np.int64), **_NO_TURNS,
                                node_osmid=net.node_osmid[: net.n_junctions],
                                node_x=net.node_x[: net.n_junctions],
                                node_y=net.node_y[: net.n_junctions])  # fmt: skip
    car = resolve_profile("car")
    rules, _ = resolve(plain, osm.restrictions, car.restrictions,
                       frozenset(car.restriction_except))  # fmt: skip
    ids = _blocking_nodes(osm, car)
    pos = np.searchsorted(plain.node_osmid, ids)
    ok = pos < plain.n_nodes
    ok[ok] = plain.node_osmid[pos[ok]] == ids[ok]
    assert ok.sum() == 189
    barriers = barrier_rules(plain, pos[ok])
    local = rules + u_turn_rules(plain, rules, pos[ok]) + barriers
    everywhere = rules + _everywhere_bans(plain, pos[ok]) + barriers
    rng = np.random.default_rng(9)
    changed = near = 0
    for src in rng.choice(net.n_junctions, 4, replace=False):
        ours = dijkstra(net.csr("length_m"), indices=int(src))
        at = np.minimum.reduceat(*_by_junction(net, ours))
        oracle = _edge_based_distances(plain, local, int(src))
        np.testing.assert_allclose(at, oracle, rtol=1e-9, atol=1e-6)
        free = dijkstra(plain.csr("length_m"), indices=int(src))
        changed += int(np.sum(at > free + 1.0))
        # banning U-turns only near restricted junctions gives OSRM's distances: the few
        # that differ turn round farther out, and by less than the cross-check's 150 m
        osrm_rule = _edge_based_distances(plain, everywhere, int(src))
        reach = np.isfinite(osrm_rule)
        np.testing.assert_array_equal(np.isfinite(at), reach)
        gap = osrm_rule[reach] - at[reach]
        assert gap.min() > -1e-6 and gap.max() < 150.0
        near += int(np.sum(gap > 1.0))
    assert changed > 0  # the restrictions do change some distances
    assert near < 0.001 * 4 * net.n_junctions


_NO_TURNS = {k: np.zeros(0, bool if k.endswith("forward") else np.int64)
             for k in ("turn_tail", "turn_edge", "turn_forward", "turn_head", "redirect_edge",
                       "redirect_forward", "redirect_head")}  # fmt: skip


def _by_junction(net: Network, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Costs ordered by the junction they belong to, and the group starts (for reduceat)."""
    owner = np.r_[np.arange(net.n_junctions), net.node_copy_of]
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(net.n_junctions))
    return cost[order], starts


def _mid(a: int, b: int) -> tuple[float, float]:
    return ((NODES[a][0] + NODES[b][0]) / 2, (NODES[a][1] + NODES[b][1]) / 2)


def test_points_on_restricted_streets_route_legally(tmp_path):
    """Villages and facilities snap to the middle of streets: the pieces honour the ban."""
    from accessibility.routing import travel_matrix

    ways = {k: v for k, v in WAYS.items() if k not in (24, 58)}
    net = _network(tmp_path, [_rel("only_straight_on", 45, 5, 56)], ways=ways)
    pts = [_mid(4, 5), _mid(5, 6), _mid(2, 5)]
    d = travel_matrix(net, pts, pts).distances_m
    half = {k: L(*v) / 2 for k, v in {"45": (4, 5), "56": (5, 6), "25": (2, 5)}.items()}
    # straight on into the middle of w56: through the junction copy and into the piece
    assert d[0, 1] == pytest.approx(half["45"] + half["56"], abs=0.5)
    # with a point in the middle of w56, a car may turn there (as at any junction) ...
    assert d[0, 2] == pytest.approx(half["45"] + 2 * half["56"] + half["25"], abs=0.5)
    # ... without it: straight on, turn at the dead end 6, back to 5 and then onto w25
    d2 = travel_matrix(net, pts[::2], pts[::2]).distances_m
    assert d2[0, 1] == pytest.approx(half["45"] + 2 * L(5, 6) + half["25"], abs=0.5)
    assert d[2, 0] == pytest.approx(half["25"] + half["45"], abs=0.5)  # other way: free
    t = travel_matrix(net, pts, pts).durations_s
    assert t[0, 2] > t[2, 0] * 1.4  # the fastest route honours the ban too


def test_isochrone_samples_honour_the_ban(tmp_path):
    from accessibility.isochrones import _pieces, _samples
    from accessibility.routing import router_for
    from accessibility.snapping import locate

    ways = {k: v for k, v in WAYS.items() if k not in (24, 58)}
    net = _network(tmp_path, [_rel("only_straight_on", 45, 5, 56)], ways=ways)
    lon, lat = _mid(4, 5)
    snapped = locate(net, [lon], [lat])
    router = router_for(net, [snapped])
    src = router.nodes(0, 1)
    limit = 10_000.0
    cost = router.within(src, weight="length_m", limit=limit)
    pieces = _pieces(net, router.graph, np.arange(net.n_edges))
    x, y, c = _samples(net, pieces, cost, weight="length_m", limit=limit,
                       direction="from", step_m=5.0)  # fmt: skip
    ids = net.node_osmid[: net.n_junctions]
    nx_, ny_ = net.node_x[: net.n_junctions], net.node_y[: net.n_junctions]
    xy = {i: (nx_[ids == i][0], ny_[ids == i][0]) for i in (5, 6, 2)}

    def cost_near(a, b, frac):  # the cheapest sample near a point a fraction along a -> b
        px = xy[a][0] + frac * (xy[b][0] - xy[a][0])
        py = xy[a][1] + frac * (xy[b][1] - xy[a][1])
        near = np.hypot(x - px, y - py) < 3.0
        return c[near].min()

    half45 = L(4, 5) / 2
    # just beyond the junction on w56: reached straight on through the copy
    assert cost_near(5, 6, 0.1) == pytest.approx(half45 + 0.1 * L(5, 6), abs=3.0)
    # just beyond the junction on w25: only after the turn at the dead end 6
    assert cost_near(5, 2, 0.1) == pytest.approx(half45 + 2 * L(5, 6) + 0.1 * L(5, 2), abs=3.0)
    # towards the point ("to"): from w25 one may enter w45 at 5 (no ban that way)
    cost_to = router.within(src, weight="length_m", limit=limit, reverse=True)
    x, y, c = _samples(net, pieces, cost_to, weight="length_m",
                       limit=limit, direction="to", step_m=5.0)  # fmt: skip
    assert cost_near(5, 2, 0.1) == pytest.approx(half45 + 0.1 * L(5, 2), abs=3.0)
    # from w56 into w45 (5 -> 4 after arriving from 6) is allowed too: no ban that way
    assert cost_near(5, 6, 0.1) == pytest.approx(half45 + 0.1 * L(5, 6), abs=3.0)


def test_real_no_left_turn_end_to_end():
    """Heidelberg, relation 3743354 (no_left_turn): two points 44 m apart by the plain
    graph; the legal car route turns round farther out (871 m; OSRM 944 m, turning at the
    bollard node/426932348 where bereik turns at the junction node/294829327, three
    junctions out: U-turns are banned two out), the walk is unaffected."""
    from accessibility.routing import travel_matrix

    osm = read_osm(HEIDELBERG)
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    src, dst = [(8.766240550016489, 49.41615895000626)], [(8.765866453248698, 49.41598611527309)]
    car = resolve_profile("car")
    plain = build_network(osm, dataclasses.replace(car, restrictions=()), crs=crs)
    assert travel_matrix(plain, src, dst).distances_m[0, 0] == pytest.approx(44.07, abs=0.05)
    legal = travel_matrix(build_network(osm, car, crs=crs), src, dst).distances_m[0, 0]
    assert legal == pytest.approx(871.20, abs=0.05)
    walk = travel_matrix(build_network(osm, "walk", crs=crs), src, dst).distances_m[0, 0]
    assert walk < 100


@pytest.mark.parametrize(
    ("tags", "blocks"),
    [
        ({"barrier": "bollard"}, {"car"}),
        ({"barrier": "bollard", "motor_vehicle": "yes"}, set()),
        ({"barrier": "bollard", "bollard": "rising"}, set()),
        ({"barrier": "gate"}, set()),
        ({"barrier": "gate", "access": "private"}, {"car", "bike", "walk"}),
        ({"barrier": "cycle_barrier"}, {"car"}),
        ({"barrier": "fence"}, {"car", "bike", "walk"}),
        ({"access": "no", "foot": "yes"}, {"car", "bike"}),
        ({"highway": "crossing", "bicycle": "no"}, {"walk"} - {"walk"}),  # the road's own
    ],
)
def test_barriers_on_nodes(tmp_path, tags, blocks):
    """4 -> 5 straight along one way through 9 (the barrier), or round by 2."""
    ways = {100: (4, 9, 5), 24: (2, 4), 25: (2, 5)}
    for profile in ("car", "bike", "walk"):
        net = _network(tmp_path, [], profile, ways=ways, node_tags={9: tags})
        assert net.stats["barriers_blocking"] == int(profile in blocks)
        want = L(4, 2, 5) if profile in blocks else L(4, 9, 5)
        assert _dist(net, 4, 5) == pytest.approx(want), profile
        if profile in blocks:  # a barrier is a junction: one may reach it and turn back
            assert _dist(net, 4, 9) == pytest.approx(L(4, 9))
            assert _dist(net, 5, 9) == pytest.approx(L(5, 9))


def test_roads_behind_a_barrier_leave_the_cars_network(tmp_path):
    """5 - 8 (bollard) - 6: the car may drive up to the bollard, 8 - 6 is not its road."""
    ways = {24: (2, 4), 25: (2, 5), 45: (4, 5), 58: (5, 8), 86: (8, 6)}
    for profile, has_86 in (("car", False), ("walk", True)):
        p = tmp_path / "island.osm"
        p.write_text(_xml([], ways, {8: {"barrier": "bollard"}}))
        osm = read_osm(p)
        net = build_network(osm, profile, crs=choose_metric_crs(osm.node_lon, osm.node_lat))
        assert (86 in net.edge_way_id) == has_86, profile
        assert 58 in net.edge_way_id
        assert _dist(net, 4, 8) == pytest.approx(L(4, 5, 8))


def test_a_point_next_to_a_barrier_does_not_pass_it(tmp_path):
    """A point 0.2 m before the bollard at 9 lies on the junction, but a car there arrives
    as along its street: it may turn back, not drive on through the bollard."""
    from accessibility.routing import travel_matrix

    ways = {100: (4, 9, 5), 24: (2, 4), 25: (2, 5)}
    net = _network(tmp_path, [], "car", ways=ways, node_tags={9: {"barrier": "bollard"}})
    gap_deg = 0.2 / L(4, 9) * DX  # 0.2 m west of 9, on 4-9
    a, b = (LON0 + DX - gap_deg, LAT0), _mid(9, 5)
    d = travel_matrix(net, [a, b], [a, b]).distances_m
    around = (L(4, 9) - 0.2) + L(4, 2, 5) + L(9, 5) / 2
    assert d[0, 1] == pytest.approx(around, abs=0.5)
    assert d[1, 0] == pytest.approx(around, abs=0.5)
    walk = _network(tmp_path, [], "walk", ways=ways, node_tags={9: {"barrier": "bollard"}})
    assert travel_matrix(walk, [a], [b]).distances_m[0, 0] == pytest.approx(
        0.2 + L(9, 5) / 2, abs=0.1
    )
