"""Nearest facility and counts on hand-checkable toy graphs, and networkx as oracle."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from accessibility.crs import RD_NEW, to_wgs84
from accessibility.engine import augment, costs_within, nearest_source
from accessibility.facilities import load_categories
from accessibility.indicators import village_indicators
from accessibility.network import arcs_to_csr
from accessibility.snapping import snap_points
from tests.conftest import X0, Y0, make_network


def _lonlat(xy):
    x = np.array([X0 + p[0] for p in xy], dtype=float)
    y = np.array([Y0 + p[1] for p in xy], dtype=float)
    return to_wgs84(x, y, RD_NEW)


def _indicators(net, village_xy, facility_xy, categories=None, radii_km=(0.1, 0.25, 1.0)):
    rules = load_categories()
    vlon, vlat = _lonlat(village_xy)
    flon, flat = _lonlat(facility_xy)
    villages = pd.DataFrame(
        {
            "village_id": [f"v{i}" for i in range(len(village_xy))],
            "village_name": [f"V{i}" for i in range(len(village_xy))],
            "municipality": "Toy",
            "population": 100.0,
            "lon": vlon,
            "lat": vlat,
        }
    )
    facilities = pd.DataFrame(
        {
            "facility_id": [f"f{i}" for i in range(len(facility_xy))],
            "category": categories or ["supermarket"] * len(facility_xy),
            "name": None,
            "source": "test",
            "lon": flon,
            "lat": flat,
        }
    )
    ind, _, _ = village_indicators(
        {net.profile: net}, villages, facilities, rules, radii_km=radii_km, max_snap_m=60.0
    )
    return ind[ind["category"] == "supermarket"].reset_index(drop=True)


def test_parallel_arcs_keep_the_cheapest_not_the_sum():
    m = arcs_to_csr(np.array([0, 0, 1]), np.array([1, 1, 0]), np.array([5.0, 3.0, 7.0]), 2)
    assert m[0, 1] == 3.0  # scipy would sum to 8
    assert m[1, 0] == 7.0
    r = arcs_to_csr(np.array([0, 0]), np.array([1, 1]), np.array([5.0, 3.0]), 2, reverse=True)
    assert r[1, 0] == 3.0 and r[0, 1] == 0


def test_hand_checked_distances_times_and_nearest(toy_network):
    # village at node 1; facilities on the middle of edge 4-5 and at node 3
    ind = _indicators(toy_network, [(0, 100)], [(50, 0), (200, 100)])
    row = ind.iloc[0]
    # 1 -> 4 (100) -> half of 4-5 (50) = 150 m; node 3 via 1-2-3 = 200 m
    assert row["distance_m"] == pytest.approx(150.0, abs=0.01)
    assert row["nearest_by_distance_id"] == "f0"
    # time: 150 m at 10 m/s = 15 s; to node 3: 100 m at 10 m/s + 100 m at 30 km/h = 22 s
    assert row["travel_time_s"] == pytest.approx(15.0, abs=0.01)
    assert row["nearest_by_time_id"] == "f0"
    assert row["reason"] is None
    # counts by network distance: within 100 m none, within 250 m both, within 1 km both
    assert (row["count_0.1km"], row["count_0.25km"], row["count_1km"]) == (0, 2, 2)


def test_shortest_and_fastest_can_be_different_facilities():
    # village at 0; facility A 1000 m away on a 30 km/h road (120 s), facility B 1500 m
    # away on a 90 km/h road (60 s)
    net = make_network(
        {1: (0, 0), 2: (1000, 0), 3: (0, 1500)},
        [(1, 2, True, True, 30.0), (1, 3, True, True, 90.0)],
    )
    row = _indicators(net, [(0, 0)], [(1000, 0), (0, 1500)]).iloc[0]
    assert row["distance_m"] == pytest.approx(1000.0)
    assert row["nearest_by_distance_id"] == "f0"
    assert row["travel_time_s"] == pytest.approx(60.0)
    assert row["nearest_by_time_id"] == "f1"


def test_oneway_costs_are_directional(toy_network):
    # a facility at node 3 is reachable from node 2 (oneway 2->3) but not the reverse
    to3 = _indicators(toy_network, [(100, 100)], [(200, 100)]).iloc[0]
    assert to3["distance_m"] == pytest.approx(100.0, abs=0.01)
    from3 = _indicators(toy_network, [(200, 100)], [(100, 100)]).iloc[0]
    assert np.isnan(from3["distance_m"])
    assert from3["reason"] == "unreachable"
    assert from3["nearest_by_distance_id"] is None


def test_village_and_facility_on_the_same_edge_route_along_it(toy_network):
    # both on edge 1-2 (two-way): 30 m apart, no detour over the nodes
    row = _indicators(toy_network, [(20, 100)], [(50, 100)]).iloc[0]
    assert row["distance_m"] == pytest.approx(30.0, abs=0.01)
    # on the oneway 2->3: village downstream of the facility must go round (impossible)
    row = _indicators(toy_network, [(180, 100)], [(120, 100)]).iloc[0]
    assert np.isnan(row["distance_m"])
    row = _indicators(toy_network, [(120, 100)], [(180, 100)]).iloc[0]
    assert row["distance_m"] == pytest.approx(60.0, abs=0.01)


@pytest.mark.parametrize("gap_m", [0.0, 0.3])
def test_points_at_one_place_on_a_oneway_reach_each_other(toy_network, gap_m):
    # a flat above the shop: one place on the oneway 2->3. Whatever the order of the two
    # points along the edge, the village is there (0 m), not round the block (unreachable)
    for village, shop in (((150, 100), (150 + gap_m, 100)), ((150 + gap_m, 100), (150, 100))):
        row = _indicators(toy_network, [village], [shop]).iloc[0]
        assert row["distance_m"] == pytest.approx(gap_m, abs=0.01), (village, shop)
    # 1 m apart is two places: downstream of the shop stays unreachable on the oneway
    row = _indicators(toy_network, [(151, 100)], [(150, 100)]).iloc[0]
    assert np.isnan(row["distance_m"])


def test_disconnected_part_is_unreachable_and_far_village_not_on_network(toy_network):
    ind = _indicators(toy_network, [(320, 0), (100, -500)], [(0, 0)])
    assert ind.loc[0, "reason"] == "unreachable"
    assert np.isnan(ind.loc[0, "distance_m"])
    assert ind.loc[0, "count_1km"] == 0
    assert ind.loc[1, "reason"] == "not_on_network"
    assert np.isnan(ind.loc[1, "distance_m"]) and pd.isna(ind.loc[1, "count_1km"])
    assert np.isnan(ind.loc[1, "snap_distance_m"])


def test_no_facility_gives_null_with_reason_not_zero(toy_network):
    ind = _indicators(toy_network, [(0, 0)], [(0, 0)], categories=["pharmacy"])
    row = ind.iloc[0]
    assert row["reason"] == "no_facility"
    assert np.isnan(row["distance_m"]) and np.isnan(row["travel_time_s"])
    assert row["count_1km"] == 0


def _random_grid(seed: int, n: int = 7):
    rng = np.random.default_rng(seed)
    nodes = {
        i * n + j + 1: (j * 100.0 + rng.uniform(-20, 20), i * 100.0 + rng.uniform(-20, 20))
        for i in range(n)
        for j in range(n)
    }
    edges = []
    for i in range(n):
        for j in range(n):
            a = i * n + j + 1
            for b in ([a + 1] if j < n - 1 else []) + ([a + n] if i < n - 1 else []):
                kind = rng.integers(0, 6)
                fwd, bwd = (True, kind != 0) if kind != 1 else (False, True)
                if rng.random() < 0.1:
                    continue  # a missing street
                edges.append((a, b, fwd, bwd, float(rng.choice([15.0, 30.0, 50.0]))))
    return nodes, edges


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nearest_matches_networkx_brute_force(seed):
    nodes, edges = _random_grid(seed)
    net = make_network(nodes, edges)
    G = net.to_networkx(geometry=False)
    rng = np.random.default_rng(seed + 100)
    ids = list(nodes)
    vill = rng.choice(ids, size=12, replace=False)
    facs = rng.choice(ids, size=5, replace=False)
    ind = _indicators(
        net, [nodes[v] for v in vill], [nodes[f] for f in facs], radii_km=(0.15, 0.3, 0.6)
    )
    for k, v in enumerate(vill):
        best_d, best_t, within = np.inf, np.inf, {0.15: 0, 0.3: 0, 0.6: 0}
        for f in facs:
            try:
                d = nx.shortest_path_length(G, v, f, weight="length")
                t = nx.shortest_path_length(G, v, f, weight="travel_time")
            except nx.NetworkXNoPath:
                continue
            best_d, best_t = min(best_d, d), min(best_t, t)
            for r in within:
                within[r] += d <= r * 1000
        row = ind.iloc[k]
        if np.isinf(best_d):
            assert np.isnan(row["distance_m"]) and row["reason"] == "unreachable"
        else:
            assert row["distance_m"] == pytest.approx(best_d, abs=0.01)
            assert row["travel_time_s"] == pytest.approx(best_t, abs=0.01)
        assert [row["count_0.15km"], row["count_0.3km"], row["count_0.6km"]] == list(
            within.values()
        )


def test_costs_within_batches_give_the_same_matrix(toy_network):
    csr = toy_network.csr("length_m")
    full = costs_within(csr, np.arange(5), np.arange(5), limit=1000.0)
    tiny = costs_within(csr, np.arange(5), np.arange(5), limit=1000.0, max_cells=1)
    np.testing.assert_array_equal(full, tiny)
    assert full[0, 4] == pytest.approx(200.0)  # 1 -> 2 -> 5 or 1 -> 4 -> 5
    assert np.isinf(full[2, 0])  # from node 3 nothing leaves


def test_nearest_source_without_sources(toy_network):
    d, s = nearest_source(toy_network.csr("length_m", reverse=True), np.array([], dtype=int))
    assert np.isinf(d).all() and (s == -1).all()


def test_snap_to_edge_not_node(toy_network):
    # 10 m beside the middle of edge 4-5: nearest node is 50 m away, the edge 10 m
    s = snap_points(toy_network, np.array([X0 + 50.0]), np.array([Y0 - 10.0]), max_snap_m=60)
    assert s.ok[0]
    assert s.snap_distance_m[0] == pytest.approx(10.0)
    assert s.offset_m[0] == pytest.approx(50.0)
    far = snap_points(toy_network, np.array([X0 + 50.0]), np.array([Y0 - 100.0]), max_snap_m=60)
    assert not far.ok[0] and far.edge[0] == -1


def test_augment_keeps_base_network_unchanged(toy_network):
    before = toy_network.csr("length_m").toarray()
    s = snap_points(toy_network, np.array([X0 + 50.0]), np.array([Y0]), max_snap_m=60)
    g = augment(toy_network, [s])
    assert g.n_nodes == toy_network.n_nodes + 1
    np.testing.assert_array_equal(toy_network.csr("length_m").toarray(), before)


@pytest.mark.parametrize("per_source", [True, False])
def test_local_counts_equal_the_whole_graph_searches(demo_build, per_source):
    """Counting on the nodes within a circle (big graphs) gives exactly the whole-graph counts."""
    from accessibility.engine import LocalGraph, count_within
    from accessibility.routing import router_for

    net = demo_build.network("walk")
    rng = np.random.default_rng(3)
    pick = rng.choice(net.n_nodes, 60, replace=False)
    pts = snap_points(net, net.node_x[pick] + 7.0, net.node_y[pick] - 5.0)
    router = router_for(net, [pts])
    nodes = router.nodes(0, len(pts))[pts.ok]
    graph = router.csr("length_m")
    sources, targets = (nodes[:20], nodes[20:]) if per_source else (nodes[40:], nodes[:40])
    limits = [300.0, 1000.0, 2500.0]
    whole = count_within(graph, sources, targets, limits, per_source=per_source)
    local = count_within(graph, sources, targets, limits, per_source=per_source,
                         local=LocalGraph(graph, router.node_xy, max(limits)))  # fmt: skip
    assert whole.sum() > 0 and (whole[:, -1] > whole[:, 0]).any()
    np.testing.assert_array_equal(local, whole)
