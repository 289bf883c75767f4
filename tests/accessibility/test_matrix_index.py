"""The contraction-hierarchy index of travel matrices: against the searches, and its limits."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest

from accessibility.crs import to_wgs84
from accessibility.engine import WEIGHTS
from accessibility.matrix_index import (
    MatrixIndex,
    attach,
    index_for,
    index_state,
    longest_route,
    point_costs,
    resolution,
)
from accessibility.routing import travel_matrix
from tests.conftest import make_network


def _points(net, idx, rng, jitter_m=25.0):
    x = net.node_x[idx] + rng.normal(0, jitter_m, len(idx))
    y = net.node_y[idx] + rng.normal(0, jitter_m, len(idx))
    return np.column_stack(to_wgs84(x, y, net.crs))


@pytest.mark.parametrize("profile", ["car", "walk"])
def test_index_equals_the_searches_on_the_demo(demo_build, profile):
    """Real network (turn restrictions, one-ways): same cells, costs within the rounding."""
    net = demo_build.network(profile)
    assert index_for(net, WEIGHTS) is not None
    rng = np.random.default_rng(7)
    src = _points(net, rng.choice(net.n_nodes, 40, replace=False), rng)
    dst = _points(net, rng.choice(net.n_nodes, 30, replace=False), rng)
    dst = np.vstack([dst, src[:5] + 1e-5, [[0.0, 0.0]]])  # near a source; far off the roads
    a = travel_matrix(net, src, dst, require=False, index_max_nodes=10**9)
    b = travel_matrix(net, src, dst, require=False, index_max_nodes=0)
    for field in ("distances_m", "durations_s"):
        x, y = getattr(a, field), getattr(b, field)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
        # each arc rounded to 1/1000 of a metre or second: a route of k arcs is off by k/2000
        np.testing.assert_allclose(x, y, rtol=0, atol=0.05)
    assert np.isnan(a.durations_s[:, -1]).all()
    assert np.isfinite(a.durations_s[:, :-1]).mean() > 0.9


def test_two_points_on_a_one_way_street_by_hand():
    """0 -> 1 one way (1 km at 36 km/h), 1 <-> 2 both ways: the direct cost and the detour."""
    net = make_network(
        {0: (0, 0), 1: (1000, 0), 2: (1000, 500)}, [(0, 1, True, False, 36.0), (1, 2)]
    )
    ll = np.column_stack(to_wgs84(net.node_x[[0, 0]] + [200.0, 700.0], net.node_y[[0, 0]], net.crs))
    r = travel_matrix(net, ll, ll, index_max_nodes=10**9)
    # along the one-way street 200 -> 700 m; back: no way (the street only runs forward)
    np.testing.assert_allclose(r.distances_m, [[0, 500], [np.nan, 0]], atol=1e-3)
    np.testing.assert_allclose(r.durations_s, [[0, 50], [np.nan, 0]], atol=1e-3)


def test_exit_index_entry_by_hand():
    """Attachments built by hand: the cheapest of direct and exit + index + entry."""
    net = make_network({0: (0, 0), 1: (1000, 0), 2: (2000, 0)}, [(0, 1), (1, 2)])
    index = MatrixIndex.prepare(net, WEIGHTS)
    # source 3 leaves by node 0 (10 m) or node 1 (990 m); target 4 entered from node 2 (5 m)
    # or node 1 (995 m); target 5 directly from the source (7 m)
    tail = np.array([3, 3, 2, 1, 3])
    head = np.array([0, 1, 4, 4, 5])
    cost = np.array([10.0, 990.0, 5.0, 995.0, 7.0])
    att = attach(net.n_nodes, tail, head, cost, np.array([3]), np.array([4, 5]))
    got = point_costs(index, "length_m", att)
    # via node 1: 990 + 0 + 995 = 1985; via 0 -> 2: 10 + 2000 + 5 = 2015; via 1 -> 2: 1995
    np.testing.assert_allclose(got, [[1985.0, 7.0]])


def test_large_networks_and_missing_library_fall_back_to_searches(monkeypatch):
    net = make_network({0: (0, 0), 1: (1000, 0)}, [(0, 1)])
    assert index_for(net, WEIGHTS, max_nodes=1) is None
    monkeypatch.setitem(sys.modules, "pyroutingkit", None)  # import fails
    assert MatrixIndex.prepare(net, WEIGHTS) is None
    ll = np.column_stack(to_wgs84(net.node_x + np.array([100.0, -100.0]), net.node_y, net.crs))
    r = travel_matrix(net, ll[:1], ll[1:], index_max_nodes=0)
    np.testing.assert_allclose(r.distances_m, [[800.0]], atol=1e-3)


def test_concurrent_matrices_on_one_index(demo_build):
    """Requests run in threads: the index answers one query at a time (no crash, same cells)."""
    net = demo_build.network("car")
    rng = np.random.default_rng(11)
    jobs = [_points(net, rng.choice(net.n_nodes, 30, replace=False), rng) for _ in range(6)]
    expected = [travel_matrix(net, p, p, require=False).durations_s for p in jobs]
    got: list = [None] * len(jobs)

    def run(i):
        got[i] = travel_matrix(net, jobs[i], jobs[i], require=False).durations_s

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(e, g)


def test_longest_route_bounds_every_shortest_route():
    """Two parts: a two-way street 0-1-2 and a one-way spur 3 -> 0 outside the strong part."""
    net = make_network({0: (0, 0), 1: (1000, 0), 2: (3000, 0), 3: (0, 500)},
                       [(0, 1), (1, 2), (3, 0, True, False, 36.0)])  # fmt: skip
    # farthest to and from node 0 inside {0, 1, 2}: 3,000 m each way; the spur adds 500 m
    assert longest_route(net, "length_m") == pytest.approx(3000 + 3000 + 500)
    assert resolution(net, "length_m") == 1000.0


def test_background_index_searches_until_ready():
    net = make_network({0: (0, 0), 1: (1000, 0), 2: (2000, 0)}, [(0, 1), (1, 2)])
    assert index_state(net) == "none"
    ll = np.column_stack(to_wgs84(net.node_x + 100.0, net.node_y, net.crs))
    kw = {"index_max_nodes": 0, "index_background_max_nodes": 10}
    first = travel_matrix(net, ll, ll, **kw)  # starts the preparation, answers by searching
    assert index_state(net) in ("preparing", "ready")
    deadline = time.monotonic() + 30
    while index_state(net) == "preparing" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert index_state(net) == "ready"
    assert index_for(net, WEIGHTS, max_nodes=0, background_max_nodes=10) is not None
    again = travel_matrix(net, ll, ll, **kw)  # now from the index
    np.testing.assert_allclose(again.distances_m, first.distances_m, atol=1e-3)
    np.testing.assert_allclose(first.distances_m, [[0, 1000, 1900], [1000, 0, 900],
                                                   [1900, 900, 0]], atol=1e-3)  # fmt: skip
    too_big = make_network({0: (0, 0), 1: (1000, 0)}, [(0, 1)])
    assert index_for(too_big, WEIGHTS, max_nodes=0, background_max_nodes=1) is None
    assert index_state(too_big) == "none"
