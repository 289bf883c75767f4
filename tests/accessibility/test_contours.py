"""Contour drawing on hand-checkable rasters: how far a contour reaches beyond its samples."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from accessibility.contours import _cell_steps, _grown_costs, contour_polygons

INF = np.inf
CELL = 50.0


def straight_road(length_m: float = 1000.0, step_m: float = 25.0):
    """Samples along y = 25 (the middle of a row of cells) from x = 0, cost = x (metres)."""
    x = np.arange(0.0, length_m + step_m / 2, step_m)
    return x, np.full(len(x), 25.0), x.copy()


def test_cell_steps_are_the_cost_of_one_cell_along_the_road():
    raster = np.array(
        [
            [INF, INF, INF, INF, INF],
            [0.0, 50.0, 100.0, 150.0, INF],
            [INF, INF, INF, INF, INF],
        ]
    )
    steps = _cell_steps(raster)
    # the origin has no cheaper neighbour: 0; along the road 50 per cell; unreached: 0
    np.testing.assert_allclose(steps[1], [0.0, 50.0, 50.0, 50.0, 0.0])
    np.testing.assert_allclose(steps[0], 0.0)
    # a diagonal road drops on both axes: hypot(10, 10) for a 10-per-axis step
    diag = np.array([[0.0, 10.0], [10.0, 20.0]])
    assert _cell_steps(diag)[1, 1] == pytest.approx(np.hypot(10.0, 10.0))


def test_grown_cells_cost_one_more_cell_of_travel():
    raster = np.array(
        [
            [INF, INF, INF, INF, INF],
            [0.0, 50.0, 100.0, 150.0, INF],
            [INF, INF, INF, INF, INF],
        ]
    )
    grown = _grown_costs(raster, 1)
    # beside the road: the road cell's cost plus its step; beyond its end: the last cell's
    expected_side = [0.0, 100.0, 150.0, 200.0, INF]
    np.testing.assert_allclose(grown[0], expected_side)
    np.testing.assert_allclose(grown[2], expected_side)
    # on the road: its own cost, or less from a neighbour (the origin's step is 0: its own
    # cell grows whatever the limit); past the end, the last cell's cost plus a step
    np.testing.assert_allclose(grown[1], [0.0, 0.0, 100.0, 150.0, 200.0])
    # two steps: the second ring costs two cells of travel
    two = _grown_costs(raster, 2)
    assert two[0, 4] == pytest.approx(250.0)  # from (1, 3): 150 + 2 * 50


def test_straight_road_ends_within_one_cell_of_the_last_reached_sample():
    x, y, cost = straight_road()
    (poly,) = contour_polygons(x, y, cost, np.array([500.0]), cell_m=CELL)
    # the last reached sample is x = 500 (cost 500): the contour stops at the end of its
    # cell, x = 550 (before: the cell after it was painted too and the land beside the
    # last cell, to x = 600)
    assert poly.bounds[2] == pytest.approx(500.0 + CELL)
    assert poly.contains(shapely.Point(500.0, 25.0))
    assert poly.contains(shapely.Point(520.0, 20.0))
    assert not poly.contains(shapely.Point(560.0, 25.0))
    # the land beside the road: one cell on either side where the limit leaves time for
    # it (mid-road), none beside the last reached cell
    assert poly.contains(shapely.Point(250.0, 90.0))
    assert poly.contains(shapely.Point(250.0, -40.0))
    assert not poly.contains(shapely.Point(250.0, 110.0))
    assert not poly.contains(shapely.Point(540.0, 75.0))
    # the area: 12 cells of the road's row (x -50..550: the origin's cell grows at no
    # cost, also backwards) and 2 x 10 cells beside it (x 0..500), up to the simplification
    assert poly.area == pytest.approx((12 + 20) * CELL**2, rel=0.05)


def test_contours_nest_and_each_stops_at_its_own_reach():
    x, y, cost = straight_road()
    small, large = contour_polygons(x, y, cost, np.array([300.0, 700.0]), cell_m=CELL)
    assert large.buffer(1e-6).contains(small)
    assert small.bounds[2] <= 300.0 + CELL
    assert 700.0 <= large.bounds[2] <= 700.0 + CELL


def test_meters_and_seconds_draw_the_same_contour():
    # the growth is priced in the samples' own unit: a road at 5 m/s, limit 100 s = 500 m
    x, y, metres = straight_road()
    (by_m,) = contour_polygons(x, y, metres, np.array([500.0]), cell_m=CELL)
    (by_s,) = contour_polygons(x, y, metres / 5.0, np.array([100.0]), cell_m=CELL)
    assert by_m.equals(by_s)
