"""The segment grid of nearest-edge snapping: hand-checked on toy edges, brute force on
the real sample, and the coded text columns of a network."""

from __future__ import annotations

import numpy as np
import pytest

from accessibility.network import TextColumn
from accessibility.segment_grid import SegmentGrid
from accessibility.snapping import snap_points
from tests.conftest import make_network


def _grid(xy: list[tuple[float, float]], runs: list[tuple[int, int]]) -> SegmentGrid:
    x = np.array([p[0] for p in xy], dtype=float)
    y = np.array([p[1] for p in xy], dtype=float)
    start = np.array([r[0] for r in runs], dtype=np.int64)
    end = np.array([r[1] for r in runs], dtype=np.int64)
    return SegmentGrid(x, y, start, end)


def test_nearest_by_hand():
    # edge 0: an L (0,0) -> (100,0) -> (100,100); edge 1: a 5 km diagonal far away
    g = _grid([(0, 0), (100, 0), (100, 100), (1000, 1000), (4536, 4536)], [(0, 2), (3, 4)])
    px = np.array([50.0, 130.0, 100.0, 2000.0, 9000.0])
    py = np.array([-20.0, 60.0, 0.0, 2100.0, 9000.0])
    near = g.nearest(px, py, 500.0)
    assert near.edge.tolist() == [0, 0, 0, 1, -1]
    np.testing.assert_allclose(near.distance_m[:4], [20.0, 30.0, 0.0, 100 / np.sqrt(2)])
    assert np.isnan(near.distance_m[4])
    # the corner (100, 0) is the end of segment 0 and the start of segment 1: the first wins
    assert near.segment[2] == 0 and near.t[2] == 1.0
    along, total = g.along(near.segment[:3], near.t[:3])
    np.testing.assert_allclose(along, [50.0, 160.0, 100.0])
    np.testing.assert_allclose(total, [200.0, 200.0, 200.0])
    x, y = g.position(near.segment[:4], near.t[:4])
    np.testing.assert_allclose(np.c_[x, y], [[50, 0], [100, 60], [100, 0], [2050, 2050]])


def test_a_point_on_a_junction_snaps_to_the_lowest_edge():
    # three edges meet at (0, 0); the point on it is at 0 m from all three
    g = _grid([(0, 0), (-50, 0), (0, 0), (0, 80), (30, -30), (0, 0)], [(0, 1), (2, 3), (4, 5)])
    near = g.nearest(np.array([0.0, 0.0]), np.array([0.0, 1.0]), 100.0)
    assert near.edge.tolist() == [0, 1]
    assert near.distance_m[0] == 0.0 and near.distance_m[1] == 0.0


def test_far_points_find_the_same_edge_as_near_ones():
    # a single short edge: from 10 m to 4 km away, always that edge, at the right distance
    g = _grid([(0, 0), (10, 0)], [(0, 1)])
    d = np.array([10.0, 60.0, 300.0, 1_500.0, 4_000.0])
    near = g.nearest(5.0 + 0 * d, d, 5_000.0)
    assert near.edge.tolist() == [0] * 5
    np.testing.assert_allclose(near.distance_m, d)
    assert (g.nearest(np.array([5.0]), np.array([4_000.0]), 3_999.0).edge == -1).all()


@pytest.mark.parametrize("profile", ["car", "walk"])
def test_snapping_agrees_with_brute_force_on_the_sample(demo_build, profile):
    """Every point's nearest edge and distance against shapely on all edges at once."""
    import shapely

    net = demo_build.networks[profile]
    rng = np.random.default_rng(7)
    k = rng.integers(0, len(net.coord_x), 300)
    x = np.r_[net.coord_x[k] + rng.normal(0, 40, 300), net.node_x[:50]]
    y = np.r_[net.coord_y[k] + rng.normal(0, 40, 300), net.node_y[:50]]
    x = np.r_[x, rng.uniform(net.coord_x.min(), net.coord_x.max(), 50)]
    y = np.r_[y, rng.uniform(net.coord_y.min(), net.coord_y.max(), 50)]
    s = snap_points(net, x, y, max_snap_m=2_000.0)
    d = shapely.distance(shapely.points(x, y)[:, None], net.edge_lines[None, :])
    best = d.min(axis=1)
    assert (s.ok == (best <= 2_000.0)).all() and s.ok.sum() > 350
    ok = s.ok
    np.testing.assert_allclose(s.snap_distance_m[ok], best[ok], rtol=0, atol=1e-6)
    lowest = np.argmax(d <= best[:, None] + 1e-9, axis=1)
    assert (s.edge[ok] == lowest[ok]).all()
    lines = net.edge_lines[s.edge[ok]]
    along = shapely.line_locate_point(lines, shapely.points(x[ok], y[ok]))
    scale = net.edge_length_m[s.edge[ok]] / shapely.length(lines)
    np.testing.assert_allclose(s.offset_m[ok], along * scale, rtol=0, atol=1e-6)


def test_network_text_is_coded():
    net = make_network({1: (0, 0), 2: (100, 0), 3: (200, 0)}, [(1, 2), (2, 3)])
    assert isinstance(net.edge_highway, TextColumn)
    assert net.edge_highway.values.tolist() == ["residential"]
    assert net.edge_highway.codes.dtype == np.int32 and net.edge_highway[1] == "residential"
    assert np.asarray(net.edge_name).tolist() == ["", ""]
    col = TextColumn.of(np.array(["b", "a", "b", "c"]))
    assert col.values.tolist() == ["a", "b", "c"] and col.codes.tolist() == [1, 0, 1, 2]
    assert col[np.array([0, 3])].tolist() == ["b", "c"] and len(col) == 4
