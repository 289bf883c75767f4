"""Isochrones and catchments: toy networks with known reach, the real Liechtenstein build."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely

from accessibility.areas import points_within
from accessibility.crs import to_wgs84
from accessibility.defaults import DEFAULT_CELL_M, DEFAULT_MAX_SNAP_M
from accessibility.errors import NoCrsError, PointOutsideNetworkError
from accessibility.isochrones import MAX_CONTOURS, catchment, isochrones, locate_targets
from accessibility.routing import travel_matrix
from tests.accessibility.test_routing import RD, TOY_EDGES, TOY_NODES, lonlat, make_network
from tests.conftest import X0, Y0

EPS_DEG = 1e-7  # ~1 cm: slack for "contains" after the round trip to WGS84


def inside(gdf, row, *xy):
    """Whether the toy points (metres from X0, Y0) lie in the polygon of ``row``."""
    ll = lonlat(*xy)
    return shapely.contains_xy(gdf.geometry.iloc[row], ll[:, 0], ll[:, 1]).tolist()


def metric(gdf):
    return gdf.to_crs(RD).geometry


@pytest.fixture(scope="module")
def toy():
    # see tests/accessibility/test_routing.py: 0-1 10 m/s, 1-2 20 m/s, one-way 2->3 10 m/s,
    # diagonal 1-3 5 m/s, disconnected 4-5
    return make_network(TOY_NODES, TOY_EDGES)


@pytest.fixture(scope="module")
def road():
    # one straight two-way road of 2000 m at 36 km/h (10 m/s), and an L-shaped road
    # (0,0) -> (1000,0) -> (1000,1000) 2000 m long, far away from it
    return make_network(
        [(0, 0), (2000, 0), (0, 5000), (1000, 6000)],
        [(0, 1, 36.0, True, True), (2, 3, 36.0, True, True, [(1000, 5000)])],
    )


# --- toy networks -------------------------------------------------------------------------
def test_reach_on_the_toy_network(toy):
    # from node 0 for 2 min (120 s): 0-1 takes 100 s, then 400 m on 1-2 (20 m/s) to x=1400,
    # 100 m on the diagonal (5 m/s); nothing of the one-way 2->3
    lon, lat = lonlat((0, 0))[0]
    gdf = isochrones(toy, lon, lat, minutes=[2])
    assert len(gdf) == 1
    assert gdf.geometry.iloc[0].is_valid
    # (480, 0) is reached at 48 s = 40 % of the limit; (1350, 0) at 117.5 s
    assert inside(gdf, 0, (480, 0), (1000, 0), (1350, 0)) == [True, True, True]
    # beyond the limit: 300 m past the reach on 1-2, node 3, the disconnected road
    assert inside(gdf, 0, (1700, 0), (1800, 600), (1800, 300), (5500, 0)) == [False] * 4
    assert gdf.snap_distance_m.iloc[0] == pytest.approx(0, abs=0.01)


def test_targets_are_priced_by_the_search(toy):
    # the points of test_reach_on_the_toy_network: (480, 0) at 48 s, (1350, 0) at 117.5 s;
    # (1700, 0) at 135 s is beyond the 2 min, (5500, 0) on the disconnected road, and a
    # point 50 km away is on no road: infinite
    lon, lat = lonlat((0, 0))[0]
    targets = lonlat((480, 0), (1350, 0), (1700, 0), (5500, 0), (0, 50_000))
    gdf = isochrones(toy, lon, lat, minutes=[1, 2], targets=targets)
    cost = gdf["target_cost"].iloc[0]
    assert cost[:2] * 60 == pytest.approx([48.0, 117.5], abs=0.01)
    assert np.isinf(cost[2:]).all()
    assert [w.tolist() for w in gdf["targets_within"]] == [[0], [0, 1]]
    # towards node 3 in metres: from (1350, 0) 450 m on 1-2, then the one-way 2->3 (600 m)
    lon3, lat3 = lonlat((1800, 600))[0]
    into = isochrones(toy, lon3, lat3, meters=[2000], direction="to", targets=targets[1:2])
    assert into["target_cost"].iloc[0] == pytest.approx([450 + 600], abs=0.5)
    out = isochrones(toy, lon3, lat3, meters=[2000], direction="from", targets=targets[1:2])
    # from 3 only the diagonal (1000 m) to 1, then 350 m along 1-2
    assert out["target_cost"].iloc[0] == pytest.approx([1000 + 350], abs=0.5)


def test_columns_and_types(toy):
    lon, lat = lonlat((480, 10))[0]
    gdf = isochrones(toy, lon, lat, minutes=[3, 1, 2])
    assert list(gdf.columns) == [
        "contour",
        "unit",
        "profile",
        "direction",
        "area_m2",
        "snap_distance_m",
        "cell_m",
        "geometry",
    ]
    assert gdf.contour.tolist() == [1.0, 2.0, 3.0]  # sorted ascending
    assert set(gdf.unit) == {"minutes"} and set(gdf.profile) == {"car"}
    assert set(gdf.direction) == {"from"}
    assert gdf.crs.to_epsg() == 4326
    assert gdf.snap_distance_m.tolist() == pytest.approx([10, 10, 10], abs=0.01)
    assert all(g.geom_type in {"Polygon", "MultiPolygon"} for g in gdf.geometry)
    # area_m2 is measured in the metric CRS
    np.testing.assert_allclose(gdf.area_m2, metric(gdf).area, rtol=1e-3)


def test_contours_nest_and_are_valid(toy):
    lon, lat = lonlat((0, 0))[0]
    gdf = isochrones(toy, lon, lat, minutes=[0.5, 1, 1.5, 2, 4])
    assert gdf.geometry.is_valid.all()
    geoms = gdf.geometry.tolist()
    for small, large in itertools.pairwise(geoms):
        assert large.buffer(EPS_DEG).contains(small)
        assert large.area > small.area
    assert gdf.area_m2.is_monotonic_increasing
    # not convex hulls: the empty corner between 0-1 and the diagonal is outside at 4 min
    assert inside(gdf, 4, (1000, 400)) == [False]


def test_meters_follow_the_road_geometry(road):
    # L-shaped edge: 1500 m along it is (1000, 5500), not 1500 m along the chord
    lon, lat = lonlat((0, 5000))[0]
    gdf = isochrones(road, lon, lat, meters=[1500])
    assert gdf.unit.iloc[0] == "meters" and gdf.contour.iloc[0] == 1500
    assert inside(gdf, 0, (500, 5000), (1000, 5000), (1000, 5400)) == [True] * 3
    assert inside(gdf, 0, (1000, 5700), (1000, 6000), (600, 5500)) == [False] * 3


def test_partly_reached_edge_and_area(road):
    # 500 m along a 2000 m road (no node in between), 50 m cells: a band 500 m long plus up
    # to one cell of grid quantisation and one cell of growth at each end, 1-3 cells wide
    lon, lat = lonlat((0, 0))[0]
    gdf = isochrones(road, lon, lat, meters=[500], cell_m=50)
    assert inside(gdf, 0, (100, 0), (450, 0)) == [True, True]
    assert inside(gdf, 0, (700, 0), (1000, 0)) == [False, False]
    g = metric(gdf).iloc[0]
    x0, y0, x1, y1 = g.bounds
    assert 500 <= x1 - x0 <= 500 + 4 * 50
    assert 50 <= y1 - y0 <= 4 * 50
    assert 500 * 50 <= gdf.area_m2.iloc[0] <= 700 * 150
    # the same limit as minutes: 50 s at 10 m/s is 500 m
    by_time = isochrones(road, lon, lat, minutes=[50 / 60], cell_m=50)
    assert by_time.area_m2.iloc[0] == pytest.approx(gdf.area_m2.iloc[0], rel=0.05)


def test_cell_size_sets_the_resolution(road):
    lon, lat = lonlat((1000, 0))[0]  # middle of the road: 500 m each way
    fine = isochrones(road, lon, lat, meters=[500], cell_m=20)
    coarse = isochrones(road, lon, lat, meters=[500], cell_m=100)
    w_fine = np.ptp(metric(fine).iloc[0].exterior.coords.xy[1])
    w_coarse = np.ptp(metric(coarse).iloc[0].exterior.coords.xy[1])
    assert w_fine < w_coarse
    assert 1000 <= np.ptp(metric(fine).iloc[0].exterior.coords.xy[0]) <= 1100


def test_direction_to_differs_on_a_one_way(toy):
    # at node 3 for 90 s: leaving 3 only the diagonal (5 m/s, 450 m) is allowed; arriving
    # at 3 also the one-way 2->3 (60 s) and 600 m of 1-2 before it (30 s at 20 m/s)
    lon, lat = lonlat((1800, 600))[0]
    out = isochrones(toy, lon, lat, minutes=[1.5], direction="from")
    into = isochrones(toy, lon, lat, minutes=[1.5], direction="to")
    assert out.direction.iloc[0] == "from" and into.direction.iloc[0] == "to"
    on_diagonal = (1800 - 160, 600 - 120)  # 200 m from 3 on 3-1
    assert inside(out, 0, on_diagonal, (1800, 300), (1300, 0)) == [True, False, False]
    assert inside(into, 0, on_diagonal, (1800, 300), (1300, 0)) == [True, True, True]
    assert into.area_m2.iloc[0] > 1.5 * out.area_m2.iloc[0]


def test_catchment_of_several_points(toy):
    pts = lonlat((0, 0), (5500, 0), (0, 50_000))  # the third is 50 km away: skipped
    gdf = catchment(toy, pts, minutes=1)
    assert len(gdf) == 1
    assert gdf.points_used.iloc[0] == 2
    assert gdf.direction.iloc[0] == "to" and gdf.contour.iloc[0] == 1
    assert gdf.geometry.iloc[0].is_valid
    # within 60 s of node 0 (600 m) or of (5500, 0) (the whole 1000 m edge 4-5)
    assert inside(gdf, 0, (550, 0), (5050, 0), (5950, 0)) == [True] * 3
    assert inside(gdf, 0, (800, 0), (3000, 0)) == [False] * 2
    # the union of the single isochrones, up to the grid
    single = isochrones(toy, *pts[0], minutes=[1], direction="to")
    assert gdf.geometry.iloc[0].buffer(EPS_DEG).contains(single.geometry.iloc[0])
    with pytest.raises(PointOutsideNetworkError, match="none of the 1 points"):
        catchment(toy, pts[2:], minutes=1)
    with pytest.raises(ValueError, match="one travel-time limit"):
        catchment(toy, pts, minutes=[1, 2])


def test_points_within(toy):
    lon, lat = lonlat((0, 0))[0]
    polys = isochrones(toy, lon, lat, minutes=[1, 2])
    xy = np.array([(480, 0), (300, 20), (1700, 0), (5500, 0), (1200, 0)], dtype=float)
    pts = gpd.GeoDataFrame(
        {"village_id": ["a", "b", "c", "d", "e"], "population": [100.0, np.nan, 50.0, 7.0, 3.0]},
        geometry=gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1]),
        crs=RD,  # another CRS than the polygons: reprojected
    )
    res = points_within(polys, pts, weight_column="population", id_column="village_id")
    assert res == [
        {"ids": ["a", "b"], "count": 2, "weight_sum": 100.0, "weight_unknown": 1},
        {"ids": ["a", "b", "e"], "count": 3, "weight_sum": 103.0, "weight_unknown": 1},
    ]
    plain = points_within(polys, pts)
    assert plain[1] == {"ids": [0, 1, 4], "count": 3, "weight_sum": None, "weight_unknown": 0}
    with pytest.raises(ValueError, match="'pop' not in points"):
        points_within(polys, pts, weight_column="pop")
    with pytest.raises(NoCrsError):
        points_within(polys, pts.set_crs(None, allow_override=True))


# --- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"minutes": []}, "at least one"),
        ({"minutes": [-5]}, "finite and > 0"),
        ({"minutes": [5, 0]}, "finite and > 0"),
        ({"minutes": [np.nan]}, "finite and > 0"),
        ({"meters": [np.inf]}, "finite and > 0"),
        ({"minutes": [5], "meters": [100]}, "exactly one of minutes or meters, got both"),
        ({}, "got neither"),
        ({"minutes": list(range(1, MAX_CONTOURS + 2))}, "at most 10"),
        ({"minutes": ["five"]}, "sequence of positive numbers"),
        ({"minutes": [5], "direction": "sideways"}, "direction"),
        ({"minutes": [5], "cell_m": 0}, "cell_m"),
        ({"minutes": [5], "max_snap_m": -1}, "max_snap_m"),
    ],
)
def test_bad_contours(toy, kwargs, match):
    lon, lat = lonlat((0, 0))[0]
    with pytest.raises(ValueError, match=match):
        isochrones(toy, lon, lat, **kwargs)


def test_point_50_km_away(toy):
    lon, lat = lonlat((0, 50_000))[0]
    with pytest.raises(PointOutsideNetworkError, match=r"location 0 \(lon"):
        isochrones(toy, lon, lat, minutes=[5])


# --- the real Liechtenstein build ---------------------------------------------------------
VADUZ = (9.5215, 47.1410)
SCHAAN = (9.5103, 47.1663)  # village centre 2.9 km north of Vaduz, on the main road
FAR_CH = (9.40, 47.10)  # Swiss mountains west of the Rhine, ~10 km away, no road in the data
FAR_AT = (9.70, 47.20)  # Austrian mountains east, beyond the extract


@pytest.fixture(scope="module")
def car(demo_build):
    return demo_build.networks["car"]


@pytest.fixture(scope="module")
def vaduz(car):
    return isochrones(car, *VADUZ, minutes=[10, 15])


def test_vaduz_isochrones_are_valid_and_nest(vaduz):
    ten, fifteen = vaduz.geometry
    assert vaduz.geometry.is_valid.all()
    assert fifteen.buffer(EPS_DEG).contains(ten)
    assert ten.contains(shapely.Point(VADUZ)) and ten.contains(shapely.Point(SCHAAN))
    for lon, lat in (FAR_CH, FAR_AT):
        assert not fifteen.contains(shapely.Point(lon, lat))
    assert vaduz.snap_distance_m.iloc[0] < 50


def test_vaduz_area_is_sensible(vaduz):
    # 10 min by car at 30-80 km/h reaches 5-10 km along the roads of the Rhine valley, which
    # the extract bounds by the Rhine (Swiss border) to the west and the Alps to the east:
    # far more than the Vaduz built-up area (~5 km2), less than the country (160 km2)
    # and than a 6 km radius disc (113 km2). Measured: ~24 km2 (10 min), ~38 km2 (15 min).
    km2 = vaduz.area_m2.to_numpy() / 1e6
    assert 10 < km2[0] < 60
    assert 1.2 * km2[0] < km2[1] < 160


def test_vaduz_isochrone_agrees_with_the_travel_matrix(car, vaduz):
    # an independent check: route from Vaduz to every network node (travel_matrix), then
    # nodes reached well within 10 min must lie inside the 10-min contour, and nodes
    # needing well over 10 min outside it (the grid adds up to ~150 m around roads)
    lon, lat = to_wgs84(car.node_x, car.node_y, car.crs)
    r = travel_matrix(car, [VADUZ], np.column_stack([lon, lat]))
    minutes = r.durations_s[0] / 60
    hit = shapely.contains_xy(vaduz.geometry.iloc[0], lon, lat)
    near, far = minutes <= 9.5, minutes >= 12
    assert near.sum() > 500 and far.sum() > 500
    # measured: all of 1766 nodes <= 9.5 min inside, none of 564 nodes >= 12 min
    assert hit[near].mean() > 0.995
    assert (~hit[far]).mean() > 0.99


@pytest.mark.parametrize("direction", ["from", "to"])
def test_village_costs_agree_with_the_travel_matrix(demo_build, car, direction):
    """The search's price of every village equals the matrix's (within a second)."""
    v = demo_build.villages
    pts = np.column_stack([v.geometry.x, v.geometry.y])
    g = isochrones(car, *VADUZ, minutes=[8], direction=direction, targets=pts)
    cost_s = g["target_cost"].iloc[0] * 60
    m = (
        travel_matrix(car, [VADUZ], pts)
        if direction == "from"
        else travel_matrix(car, pts, [VADUZ])
    )
    expected = m.durations_s.ravel()
    within = np.isfinite(expected) & (expected <= 8 * 60 - 1)
    assert within.sum() >= 5 and (~within).sum() >= 2
    np.testing.assert_allclose(cost_s[within], expected[within], atol=1.0)
    assert np.isinf(cost_s[expected > 8 * 60 + 1]).all()


def test_targets_snapped_once_price_as_the_lonlat_ones(demo_build, car):
    """A service snaps its villages once: the contours and costs are those of lon/lat."""
    v = demo_build.villages
    pts = np.column_stack([v.geometry.x, v.geometry.y])
    snapped = locate_targets(car, pts, max_snap_m=DEFAULT_MAX_SNAP_M)
    for kw in ({"minutes": [4, 8]}, {"meters": [3000], "direction": "to"}):
        a = isochrones(car, *VADUZ, targets=pts, **kw)
        b = isochrones(car, *VADUZ, targets=snapped, **kw)
        assert b.geometry.geom_equals_exact(a.geometry, 0).all()
        np.testing.assert_array_equal(np.stack(b["target_cost"]), np.stack(a["target_cost"]))
    fac = demo_build.facilities
    shops = fac[fac["category"] == "supermarket"][["lon", "lat"]].to_numpy(dtype=float)
    a = catchment(car, shops, minutes=6, targets=pts)
    b = catchment(car, shops, minutes=6, targets=snapped)
    np.testing.assert_array_equal(b["target_cost"].iloc[0], a["target_cost"].iloc[0])


def test_vaduz_direction_to_and_meters(car):
    to = isochrones(car, *VADUZ, minutes=[10], direction="to")
    assert to.geometry.iloc[0].is_valid and to.geometry.iloc[0].contains(shapely.Point(VADUZ))
    # one-way streets are few: arriving and leaving cover about the same area
    assert 10e6 < to.area_m2.iloc[0] < 60e6
    m = isochrones(car, *VADUZ, meters=[2000, 6000])
    assert m.geometry.iloc[1].buffer(EPS_DEG).contains(m.geometry.iloc[0])
    # Schaan is 2.9 km away as the crow flies: beyond 2 km of road, within 6 km
    assert not m.geometry.iloc[0].contains(shapely.Point(SCHAAN))
    assert m.geometry.iloc[1].contains(shapely.Point(SCHAAN))


def test_population_within_ten_minutes(demo_build, vaduz):
    villages = demo_build.villages
    res = points_within(vaduz, villages, weight_column="population", id_column="village_name")
    ten, fifteen = res
    assert {"Vaduz", "Schaan", "Ebenholz"} <= set(ten["ids"])
    assert set(ten["ids"]) <= set(fifteen["ids"])
    assert "Malbun" not in ten["ids"]  # mountain resort, ~15 km of hairpins
    assert ten["count"] == len(ten["ids"])
    assert fifteen["weight_sum"] >= ten["weight_sum"] > 0


def test_a_grid_too_fine_for_the_reach_is_coarsened(car):
    # 60 min by car at 1 m cells would be a grid of about 400M cells: drawn on the
    # smallest doubling of 1 m that fits instead (the cell used is reported)
    g = isochrones(car, *VADUZ, minutes=[60], cell_m=1)
    assert g["cell_m"].iloc[0] in {2.0**k for k in range(1, 12)}
    assert g.geometry.iloc[0].is_valid and g.area_m2.iloc[0] > 20e6


def test_catchment_of_supermarkets(demo_build, car):
    shops = demo_build.facilities
    shops = shops[shops["category"] == "supermarket"]
    gdf = catchment(car, shops[["lon", "lat"]].to_numpy(), minutes=5)
    assert gdf.points_used.iloc[0] == len(shops)
    assert gdf.geometry.iloc[0].is_valid
    assert gdf.area_m2.iloc[0] > 5e6


def test_holes_inside_a_ring_road_are_filled_by_default():
    import shapely

    from tests.conftest import make_network as make_straight_network

    # a 1 km square ring road: the field inside is enclosed by reached roads
    net = make_straight_network(
        {1: (0, 0), 2: (1000, 0), 3: (1000, 1000), 4: (0, 1000)},
        [(1, 2), (2, 3), (3, 4), (4, 1)],
    )
    from accessibility.crs import RD_NEW, to_wgs84
    from tests.conftest import X0, Y0

    lon, lat = to_wgs84([X0], [Y0], RD_NEW)
    filled = isochrones(net, lon[0], lat[0], minutes=[10]).geometry.iloc[0]
    holed = isochrones(net, lon[0], lat[0], minutes=[10], fill_holes=False).geometry.iloc[0]
    assert shapely.get_num_interior_rings(filled) == 0
    assert shapely.get_num_interior_rings(holed) == 1
    assert filled.area > holed.area
    assert filled.contains(holed)


def test_points_within_xy_matches_points_within():
    import geopandas as gpd
    import numpy as np
    import shapely

    from accessibility.areas import points_within, points_within_xy

    square = shapely.box(0, 0, 10, 10)
    tri = shapely.Polygon([(0, 0), (20, 0), (0, 20)])
    x = np.array([1.0, 5.0, 10.0, 15.0, 30.0])
    y = np.array([1.0, 5.0, 5.0, 1.0, 30.0])
    w = np.array([10.0, np.nan, 5.0, 2.0, 100.0])
    polys = gpd.GeoDataFrame(geometry=[square, tri], crs="EPSG:28992")
    pts = gpd.GeoDataFrame({"w": w}, geometry=gpd.points_from_xy(x, y), crs="EPSG:28992")
    slow = points_within(polys, pts, weight_column="w")
    fast = points_within_xy(polys.geometry.to_numpy(), x, y, weights=w)
    for a, b in zip(slow, fast, strict=True):
        assert a["ids"] == b["index"].tolist()
        assert (a["count"], a["weight_sum"], a["weight_unknown"]) == (
            b["count"], b["weight_sum"], b["weight_unknown"])  # fmt: skip
    assert fast[0]["index"].tolist() == [0, 1, 2]  # the boundary point (10, 5) counts
    assert fast[0]["weight_sum"] == 15.0 and fast[0]["weight_unknown"] == 1


def test_a_large_reach_is_drawn_coarser_not_refused(demo_build, car, monkeypatch):
    """A catchment over more road than the sample or grid limits allow at the asked cell
    (as at country scale) comes back drawn on a coarser grid, with the same villages."""
    import accessibility.contours as contours_mod
    import accessibility.isochrones as iso_mod

    fac = demo_build.facilities
    pts = fac.loc[fac["category"] == "supermarket", ["lon", "lat"]].to_numpy()
    v = demo_build.villages
    targets = np.column_stack([v.geometry.x, v.geometry.y])
    fine = catchment(car, pts, minutes=10, targets=targets)
    assert fine["cell_m"].iloc[0] == DEFAULT_CELL_M
    monkeypatch.setattr(iso_mod, "MAX_SAMPLES", 20_000)
    coarse = catchment(car, pts, minutes=10, targets=targets)
    # the samples are counted per cell size (a junction once): the first doubling fits
    assert coarse["cell_m"].iloc[0] == 2 * DEFAULT_CELL_M and coarse.geometry.iloc[0].is_valid
    # the coarser grid covers more land beside the roads (one coarse cell each side)
    assert fine.area_m2.iloc[0] < coarse.area_m2.iloc[0] < 3 * fine.area_m2.iloc[0]
    assert [w.tolist() for w in coarse["targets_within"]] == [
        w.tolist() for w in fine["targets_within"]
    ]  # membership is by network cost, not by the drawing
    monkeypatch.setattr(iso_mod, "MAX_SAMPLES", 8_000_000)
    monkeypatch.setattr(contours_mod, "MAX_GRID_CELLS", 2_000)
    grid = catchment(car, pts, minutes=10)
    assert grid["cell_m"].iloc[0] > DEFAULT_CELL_M and grid.geometry.iloc[0].is_valid
