"""Local bounded searches (accessibility.reach): the same answers as whole-graph searches.

The oracle is the whole augmented graph (``StreetRouter.within``, ``costs_within``) and, for
the node grid, brute force over every node. Real networks: Heidelberg car (with turn
restrictions, so junction copies) and Liechtenstein walk/bike; searches forced local by
lowering the size from which they are used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility import engine
from accessibility.crs import choose_metric_crs
from accessibility.isochrones import catchment, isochrones
from accessibility.network import build_network
from accessibility.osm import read_osm
from accessibility.profiles import resolve_profile
from accessibility.reach import NodeGrid, Reached, incident_edges, metres_per_cost, wide_search
from accessibility.routing import router_for, travel_matrix
from accessibility.snapping import locate

SAMPLES = Path(__file__).parents[2] / "data" / "samples"


def _net(name: str, profile: str):
    osm = read_osm(SAMPLES / name)
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    return build_network(osm, resolve_profile(profile), crs=crs)


@pytest.fixture(scope="module")
def heidelberg_car():
    net = _net("heidelberg-2024-09-08.osm.pbf", "car")
    assert len(net.node_copy_of) > 0  # turn restrictions: junction copies to get right
    return net


@pytest.fixture(scope="module")
def liechtenstein_bike():
    return _net("liechtenstein-2015-07-27.osm.pbf", "bike")


@pytest.fixture
def local_everywhere(monkeypatch):
    """Make every network 'large': requests take the local searches."""
    monkeypatch.setattr(engine, "LOCAL_MIN_NODES", 0)


def _points(net, k: int, seed: int) -> np.ndarray:
    lon, lat = net.node_lonlat
    i = np.random.default_rng(seed).choice(net.n_junctions, k, replace=False)
    return np.column_stack([lon[i] + 0.0004, lat[i] - 0.0003])  # off the junctions


def _router(net, pts):
    snapped = locate(net, pts[:, 0], pts[:, 1], max_snap_m=500, what="point", require=False)
    return router_for(net, [snapped]), snapped


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    fa, fb = np.isfinite(a), np.isfinite(b)
    return bool((fa == fb).all() and np.allclose(a[fa], b[fb], rtol=1e-12, atol=1e-9))


@pytest.mark.parametrize("weight, limit", [("travel_time_s", 300.0), ("length_m", 2500.0)])
@pytest.mark.parametrize("reverse", [False, True])
def test_reach_equals_the_whole_graph_search(heidelberg_car, local_everywhere, weight, limit,
                                             reverse):  # fmt: skip
    router, _ = _router(heidelberg_car, _points(heidelberg_car, 6, seed=3))
    for sources in (router.nodes(0, 6)[:1], router.nodes(0, 6), np.array([17, 4000])):
        dense = router.within(sources, weight=weight, limit=limit, reverse=reverse)
        local = router.reach(sources, weight=weight, limit=limit, reverse=reverse)
        assert 0 < len(local) < heidelberg_car.n_nodes / 2  # really local
        assert _same(local.dense(router.n_nodes), dense)


def test_reach_covering_most_of_the_network_falls_back_to_the_whole_graph(
    liechtenstein_bike, local_everywhere
):
    router, _ = _router(liechtenstein_bike, _points(liechtenstein_bike, 2, seed=1))
    src = router.nodes(0, 2)
    dense = router.within(src, weight="travel_time_s", limit=1e6)
    assert _same(router.reach(src, weight="travel_time_s", limit=1e6).dense(router.n_nodes), dense)


@pytest.mark.parametrize("reverse", [False, True])
def test_wide_search_equals_scipy_on_a_real_network(heidelberg_car, reverse):
    """The vectorised whole-graph search gives scipy's costs exactly, bit for bit."""
    router, _ = _router(heidelberg_car, _points(heidelberg_car, 30, seed=4))
    for weight, limits in (("travel_time_s", (0.0, 90.0, 400.0, np.inf)),
                           ("length_m", (1500.0, 1e5))):  # fmt: skip
        graph = router.csr(weight, reverse=reverse)
        for sources in (router.nodes(0, 30), router.nodes(0, 30)[:1], np.array([5, 5, 900])):
            for limit in limits:
                want = dijkstra(graph, directed=True, indices=sources, limit=limit,
                                min_only=True)  # fmt: skip
                np.testing.assert_array_equal(wide_search(graph, sources, limit=limit), want)


def test_wide_search_equals_scipy_with_zero_costs_and_ties():
    rng = np.random.default_rng(1)
    for trial in range(200):
        n, m = int(rng.integers(1, 60)), int(rng.integers(0, 300))
        costs = [0.0, 0.5, 1.0, 1.5, 2.0, 3.25]
        w = rng.choice(costs, m) if trial % 2 else rng.random(m) * 5
        graph = sp.csr_matrix((w, (rng.integers(0, n, m), rng.integers(0, n, m))), shape=(n, n))
        sources = rng.integers(0, n, int(rng.integers(1, 4)))
        for limit in (0.0, 1.0, 2.5, 7.0, np.inf):
            want = dijkstra(graph, directed=True, indices=sources, limit=limit, min_only=True)
            np.testing.assert_array_equal(wide_search(graph, sources, limit=limit), want)


def test_matrix_by_growing_local_searches_equals_the_whole_graph(heidelberg_car, monkeypatch):
    src, dst = _points(heidelberg_car, 7, seed=11), _points(heidelberg_car, 12, seed=12)
    whole = travel_matrix(heidelberg_car, src, dst)
    monkeypatch.setattr(engine, "LOCAL_MIN_NODES", 0)
    local = travel_matrix(heidelberg_car, src, dst)
    flipped = travel_matrix(heidelberg_car, dst, src)  # more sources: searched from targets
    for w in ("distances_m", "durations_s"):
        a, b = getattr(whole, w), getattr(local, w)
        assert np.isfinite(a).all()
        np.testing.assert_allclose(b, a, rtol=1e-12)
    whole_t = travel_matrix(heidelberg_car, dst, src, require=True)
    np.testing.assert_allclose(flipped.durations_s, whole_t.durations_s, rtol=1e-12)


@pytest.mark.parametrize("direction", ["from", "to"])
def test_isochrones_drawn_from_the_local_search_are_the_same(heidelberg_car, monkeypatch,
                                                             direction):  # fmt: skip
    lon, lat = _points(heidelberg_car, 1, seed=5)[0]
    targets = _points(heidelberg_car, 40, seed=6)
    kw = {"minutes": [3, 6], "direction": direction, "targets": targets}
    whole = isochrones(heidelberg_car, lon, lat, **kw)
    monkeypatch.setattr(engine, "LOCAL_MIN_NODES", 0)
    local = isochrones(heidelberg_car, lon, lat, **kw)
    np.testing.assert_allclose(local["area_m2"], whole["area_m2"], rtol=1e-9)
    assert local.geometry.geom_equals_exact(whole.geometry, 1e-9).all()
    np.testing.assert_array_equal(local["target_cost"][1], whole["target_cost"][1])
    assert 0 < len(local["targets_within"][1]) < 40


def test_catchment_of_several_points_local_is_the_same(heidelberg_car, monkeypatch):
    pts = _points(heidelberg_car, 4, seed=8)
    whole = catchment(heidelberg_car, pts, minutes=4)
    monkeypatch.setattr(engine, "LOCAL_MIN_NODES", 0)
    local = catchment(heidelberg_car, pts, minutes=4)
    assert local.geometry.geom_equals_exact(whole.geometry, 1e-9).all()


def test_node_grid_finds_every_node_within_the_radius(heidelberg_car):
    net = heidelberg_car
    grid = NodeGrid(net)
    rng = np.random.default_rng(0)
    for radius in (150.0, 1200.0):
        xy = np.column_stack([net.node_x, net.node_y])[rng.choice(net.n_nodes, 3)]
        found = grid.near(xy, radius, most=net.n_nodes)
        dist = np.min(np.hypot(net.node_x[:, None] - xy[:, 0], net.node_y[:, None] - xy[:, 1]),
                      axis=1)  # fmt: skip
        assert np.isin(np.flatnonzero(dist <= radius), found).all()  # brute force: none missed
        assert np.all(np.diff(found) > 0)
    assert grid.near(xy, 1e7, most=net.n_nodes // 2) is None  # most of the network


def test_top_speed_bounds_every_arc(heidelberg_car):
    net = heidelberg_car
    a = net.arcs
    chord = np.hypot(net.node_x[a["tail"]] - net.node_x[a["head"]],
                     net.node_y[a["tail"]] - net.node_y[a["head"]])  # fmt: skip
    assert (chord <= a["travel_time_s"] * metres_per_cost(net, "travel_time_s") * 1.01 + 1).all()
    assert (chord <= a["length_m"] * 1.01 + 1).all()


def test_incident_edges_and_reached_lookup(toy_network):
    # toy: edges (1,2) (1,4) (4,5) (2,5) (2,3) (6,7) -> node ids 0..6
    assert incident_edges(toy_network, np.array([0])).tolist() == [0, 1]
    assert incident_edges(toy_network, np.array([1, 4])).tolist() == [0, 2, 3, 4]
    r = Reached(np.array([2, 5, 9]), np.array([1.0, 2.0, 3.0]))
    assert r[np.array([5, 0, 9, 10])].tolist() == [2.0, np.inf, 3.0, np.inf]
    assert Reached.from_dense(np.array([np.inf, 4.0])).nodes.tolist() == [1]
