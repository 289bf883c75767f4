"""Travel matrices: hand-checked toy network, networkx oracle, virtual nodes, bad input."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from accessibility.crs import to_wgs84
from accessibility.engine import add_virtual_nodes, augment
from accessibility.errors import PointOutsideNetworkError
from accessibility.network import Network
from accessibility.routing import travel_matrix
from accessibility.snapping import Snapped, locate, snap_points
from tests.conftest import X0, Y0

RD = "EPSG:28992"


def make_network(nodes, edges, *, profile="car"):
    """A Network from ``nodes`` [(x, y)] (metres from X0, Y0) and ``edges``.

    Each edge is ``(u, v, speed_kph, forward, backward)`` with an optional 6th item: a list
    of intermediate (x, y) vertices (``tests.conftest.make_network`` has straight edges
    only). Lengths come from the geometry.
    """
    xs, ys, starts, ends, lengths = [], [], [], [], []
    for u, v, *rest in edges:
        via = rest[3] if len(rest) > 3 else []
        pts = np.array([nodes[u], *via, nodes[v]], dtype=float)
        starts.append(len(xs))
        xs.extend(X0 + pts[:, 0])
        ys.extend(Y0 + pts[:, 1])
        ends.append(len(xs) - 1)
        lengths.append(float(np.hypot(*np.diff(pts, axis=0).T).sum()))
    e = np.array([(u, v) for u, v, *_ in edges], dtype=np.int64).reshape(-1, 2)
    m = len(edges)
    xy = np.array(nodes, dtype=float)
    return Network(
        profile=profile,
        crs=RD,
        node_osmid=np.arange(len(nodes), dtype=np.int64) + 100,
        node_x=X0 + xy[:, 0],
        node_y=Y0 + xy[:, 1],
        edge_u=e[:, 0],
        edge_v=e[:, 1],
        edge_length_m=np.array(lengths),
        edge_speed_kph=np.array([ed[2] for ed in edges], dtype=float),
        edge_forward=np.array([ed[3] for ed in edges], dtype=bool),
        edge_backward=np.array([ed[4] for ed in edges], dtype=bool),
        edge_way_id=np.arange(m, dtype=np.int64) + 1000,
        edge_highway=np.full(m, "residential"),
        edge_name=np.full(m, ""),
        edge_geom_start=np.array(starts, dtype=np.int64),
        edge_geom_end=np.array(ends, dtype=np.int64),
        coord_x=np.array(xs),
        coord_y=np.array(ys),
    )


def lonlat(*xy):
    """WGS84 lon/lat (k x 2) of toy points given in metres from X0, Y0."""
    a = np.array(xy, dtype=float).reshape(-1, 2)
    lon, lat = to_wgs84(X0 + a[:, 0], Y0 + a[:, 1], RD)
    return np.column_stack([lon, lat])


# Toy network (metres from X0, Y0):
#
#                      3 (1800, 600)
#            1000 m  / ^  600 m one-way 2 -> 3, 36 km/h (60 s)
#          18 km/h  /  |
#          (200 s) /   |
#   0 ------------ 1 -- 2          4 ---- 5   (disconnected, 1000 m)
#   (0,0) 1000 m  (1000,0) 800 m (1800,0)
#   36 km/h (100 s)   72 km/h (40 s)
TOY_NODES = [(0, 0), (1000, 0), (1800, 0), (1800, 600), (5000, 0), (6000, 0)]
TOY_EDGES = [
    (0, 1, 36.0, True, True),
    (1, 2, 72.0, True, True),
    (2, 3, 36.0, True, False),
    (1, 3, 18.0, True, True),
    (4, 5, 36.0, True, True),
]
A = (500, 10)  # 10 m north of the middle of 0-1
B = (1800, 600)  # node 3
C = (1400, -20)  # 20 m south of the middle of 1-2
D = (1810, 300)  # 10 m east of the middle of the one-way 2 -> 3
E = (5500, 5)  # on the disconnected edge
NAN = np.nan
TOL = 5e-3  # metres / seconds: the WGS84 round trip of RD New moves points by < 1 mm


@pytest.fixture(scope="module")
def toy():
    return make_network(TOY_NODES, TOY_EDGES)


def test_toy_edge_costs(toy):
    np.testing.assert_allclose(toy.edge_length_m, [1000, 800, 600, 1000, 1000])
    np.testing.assert_allclose(toy.edge_time_s, [100, 40, 60, 200, 100])


def test_matrix_hand_values_forward(toy):
    # 2 sources < 4 destinations: one search per source on the forward graph
    r = travel_matrix(toy, lonlat(A, B), lonlat(C, D, E, A))
    # A->B: shortest is 0-1-3 (500 + 1000 m), fastest is 0-1-2-3 (50 + 40 + 60 s)
    # B->D: the one-way forbids 3 -> D directly: 3-1-2-D
    np.testing.assert_allclose(
        r.distances_m, [[900, 1600, NAN, 0], [1400, 2100, NAN, 1500]], atol=TOL
    )
    np.testing.assert_allclose(r.durations_s, [[70, 120, NAN, 0], [220, 270, NAN, 250]], atol=TOL)


def test_matrix_hand_values_reverse(toy):
    # 5 sources > 2 destinations: one search per destination on the reversed graph
    r = travel_matrix(toy, lonlat(C, D, E, A, B), lonlat(A, B))
    np.testing.assert_allclose(
        r.distances_m,
        [[900, 1000], [1800, 300], [NAN, NAN], [0, 1500], [1500, 0]],
        atol=TOL,
    )
    np.testing.assert_allclose(
        r.durations_s,
        [[70, 80], [280, 30], [NAN, NAN], [0, 150], [250, 0]],
        atol=TOL,
    )


def test_matrix_snapped_locations(toy):
    r = travel_matrix(toy, lonlat(A, C), lonlat(D, E, B))
    np.testing.assert_allclose(r.source_snap_distance_m, [10, 20], atol=TOL)
    np.testing.assert_allclose(r.destination_snap_distance_m, [10, 5, 0], atol=TOL)
    np.testing.assert_allclose(r.sources_snapped, lonlat((500, 0), (1400, 0)), atol=1e-9)
    np.testing.assert_allclose(
        r.destinations_snapped, lonlat((1800, 300), (5500, 0), (1800, 600)), atol=1e-9
    )
    assert r.distances_m.shape == r.durations_s.shape == (2, 3)


def test_same_street_routes_along_it(toy):
    # two points on the same edge: routed along it, not via its end nodes
    r = travel_matrix(toy, lonlat((200, 0)), lonlat((700, 0), (100, 0)))
    np.testing.assert_allclose(r.distances_m, [[500, 100]], atol=TOL)
    np.testing.assert_allclose(r.durations_s, [[50, 10]], atol=TOL)


def test_one_way_street_between_two_points(toy):
    # on the one-way 2 -> 3: forward along it, backward around via 3-1-2
    r = travel_matrix(toy, lonlat((1800, 100)), lonlat((1800, 400)))
    np.testing.assert_allclose(r.distances_m, [[300]], atol=TOL)
    r = travel_matrix(toy, lonlat((1800, 400)), lonlat((1800, 100)))
    np.testing.assert_allclose(r.distances_m, [[200 + 1000 + 800 + 100]], atol=TOL)
    np.testing.assert_allclose(r.durations_s, [[20 + 200 + 40 + 10]], atol=TOL)


def test_network_not_mutated(toy):
    before = {k: getattr(toy, k).copy() for k in Network._ARRAYS}
    travel_matrix(toy, lonlat(A, B), lonlat(C, D))
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(toy, k), v)


# --- virtual nodes ------------------------------------------------------------------------
def _snapped(edge, offset):
    edge = np.asarray(edge, dtype=np.int64)
    n = len(edge)
    return Snapped(
        edge=edge,
        offset_m=np.asarray(offset, dtype=float),
        snap_distance_m=np.zeros(n),
        ok=np.ones(n, bool),
        x=np.zeros(n),
        y=np.zeros(n),
    )


@pytest.mark.parametrize("weight", ["length_m", "travel_time_s"])
@pytest.mark.parametrize("reverse", [False, True])
def test_virtual_graph_equals_engine_augment(toy, weight, reverse):
    # points inside edges, two on one edge, and points on a node (within the tolerance)
    groups = [_snapped([0, 2, 2, 2], [500, 100, 400, 599.8]), _snapped([3, 0, 1], [250, 0, 800])]
    g = augment(toy, groups)
    vg = add_virtual_nodes(toy, groups)
    assert vg.n_nodes == g.n_nodes and vg.offsets == g.offsets
    expected = (g.reverse if reverse else g.forward)[weight]
    got = vg.csr(weight, reverse=reverse)
    assert got.shape == expected.shape
    assert abs(got - expected).max() < 1e-9


def test_point_snapped_onto_one_way_end_reaches_the_junction(toy):
    # node 3 is also the END of the one-way 2 -> 3; a point snapped there must still be
    # reached from 1 over 1-3 and leave over 3-1, not only through node 2
    vg = add_virtual_nodes(toy, [_snapped([2], [600.0])])
    p = vg.offsets[0]
    d = dijkstra(vg.csr("length_m"), indices=[1, p])
    assert d[0, p] == pytest.approx(1000)  # 1 -> 3 -> p, not 1 -> 2 -> p (1400)
    assert d[1, 1] == pytest.approx(1000)  # p -> 3 -> 1
    # 0.3 m before the end of the one-way: on the node (within the tolerance), gap costed
    vg = add_virtual_nodes(toy, [_snapped([2], [599.7])])
    d = dijkstra(vg.csr("length_m"), indices=[1, p])
    assert d[0, p] == pytest.approx(1000.3)
    assert d[1, 1] == pytest.approx(1000.3)


# --- oracle: brute-force networkx on a random grid ----------------------------------------
def _random_grid(seed, size=5, spacing=200.0):
    rng = np.random.default_rng(seed)
    nodes = [(i * spacing, j * spacing) for j in range(size) for i in range(size)]
    edges = []
    for j in range(size):
        for i in range(size):
            k = j * size + i
            for nb in ([k + 1] if i + 1 < size else []) + ([k + size] if j + 1 < size else []):
                if rng.random() < 0.1:
                    continue  # missing road
                speed = float(rng.choice([18.0, 36.0, 72.0]))
                oneway = rng.random() < 0.3
                fwd = bool(rng.random() < 0.5) if oneway else True
                edges.append((k, nb, speed, fwd, not fwd if oneway else True))
    # a slower parallel curved road between 0 and 1, and a fast curved one between 6 and 7
    edges.append((0, 1, 72.0, True, True, [(100, 60)]))
    edges.append((6, 7, 90.0, True, False, [(300, 230), (400, 230)]))
    return make_network(nodes, edges)


@pytest.mark.parametrize("index_max_nodes", [10**9, 0], ids=["index", "searches"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matrix_matches_networkx_oracle(seed, index_max_nodes):
    net = _random_grid(seed)
    G = net.to_networkx(geometry=False)
    ids = net.node_osmid
    xy = np.column_stack([net.node_x - X0, net.node_y - Y0])
    rng = np.random.default_rng(seed)
    everyone = np.unique(np.concatenate([net.edge_u, net.edge_v]))  # nodes with a road
    few = rng.choice(everyone, size=6, replace=False)
    for src, dst in ((few, everyone), (everyone, few)):  # forward and reversed searches
        r = travel_matrix(net, lonlat(*xy[src]), lonlat(*xy[dst]), index_max_nodes=index_max_nodes)
        for weight, got in (("length", r.distances_m), ("travel_time", r.durations_s)):
            expected = np.full((len(src), len(dst)), np.nan)
            for i, s in enumerate(src):
                reach = nx.single_source_dijkstra_path_length(G, ids[s], weight=weight)
                expected[i] = [reach.get(ids[t], np.nan) for t in dst]
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=TOL)
        assert np.isnan(r.distances_m).any() == np.isnan(r.durations_s).any()


# --- locate and bad input -----------------------------------------------------------------
def test_locate_returns_snapped_points(toy):
    ll = lonlat(A, D)
    s = locate(toy, ll[:, 0], ll[:, 1])
    assert s.edge.tolist() == [0, 2]
    np.testing.assert_allclose(s.offset_m, [500, 300], atol=TOL)
    np.testing.assert_allclose(s.snap_distance_m, [10, 10], atol=TOL)
    one = locate(toy, float(ll[0, 0]), float(ll[0, 1]))
    assert len(one) == 1


def test_point_50_km_away_is_an_error(toy):
    far = lonlat((0, 50_000))
    with pytest.raises(
        PointOutsideNetworkError,
        match=r"destination 1 \(lon .*lat .*\) is "
        r"farther than 500 m",
    ):
        travel_matrix(toy, lonlat(A), np.vstack([lonlat(B), far]))
    with pytest.raises(PointOutsideNetworkError, match="source 0"):
        travel_matrix(toy, far, lonlat(B))
    # a larger limit accepts a point 600 m away
    r = travel_matrix(toy, lonlat((500, 600)), lonlat(A), max_snap_m=1000)
    assert r.source_snap_distance_m[0] == pytest.approx(600)


def test_far_point_is_skipped_when_not_required(toy):
    ll = lonlat(A, (0, 50_000))
    s = locate(toy, ll[:, 0], ll[:, 1], require=False)
    assert s.ok.tolist() == [True, False]
    assert np.isnan(s.snap_distance_m[1])


@pytest.mark.parametrize(
    ("sources", "match"),
    [
        ([[np.nan, 52.8]], "finite WGS84"),
        ([[52.8, 200.0]], "lon first"),
        ([], "non-empty k x 2"),
        ([6.5, 52.8], "non-empty k x 2"),
        ([[6.5, 52.8, 0.0]], "non-empty k x 2"),
    ],
)
def test_bad_coordinates(toy, sources, match):
    with pytest.raises(ValueError, match=match):
        travel_matrix(toy, sources, lonlat(A))


@pytest.mark.parametrize("limit", [0, -5, np.inf, np.nan])
def test_bad_snap_limit(toy, limit):
    with pytest.raises(ValueError, match="max_snap_m"):
        travel_matrix(toy, lonlat(A), lonlat(B), max_snap_m=limit)


def test_snap_points_agrees_with_locate(toy):
    ll = lonlat(C)
    s = locate(toy, ll[:, 0], ll[:, 1])
    ref = snap_points(toy, np.array([X0 + C[0]]), np.array([Y0 + C[1]]))
    assert s.edge.tolist() == ref.edge.tolist()
    np.testing.assert_allclose(s.offset_m, ref.offset_m, atol=TOL)
