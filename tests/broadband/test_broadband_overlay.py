"""white_area_overlay and white_area_polygons against tiny coverages with known values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

from broadband import (
    BroadbandInputError,
    Coverage,
    NoCrsError,
    ThresholdError,
    Thresholds,
    read_coverage,
    white_area_overlay,
    white_area_polygons,
)

WriteRaster = Callable[..., Path]
VillagesAt = Callable[..., gpd.GeoDataFrame]

# grid_3x3 fixture:  [[10, 50, 30], [100, nodata, 5], [29.9, 99.9, 500]]
ALL_CELLS = [(r, c) for r in range(3) for c in range(3)]
EXPECTED_CLASSES = ["white", "basic", "basic", "nga", "unknown", "white", "white", "basic", "nga"]
EXPECTED_MBPS = [10.0, 50.0, 30.0, 100.0, np.nan, 5.0, 29.9, 99.9, 500.0]


def _box(
    grid: SimpleNamespace, col0: float, row0: float, col1: float, row1: float
) -> shapely.Polygon:
    """Box over cell coordinates (fractional allowed) of the test grid."""
    return shapely.box(
        grid.x0 + col0 * grid.cell_m,
        grid.y0 - row1 * grid.cell_m,
        grid.x0 + col1 * grid.cell_m,
        grid.y0 - row0 * grid.cell_m,
    )


# --------------------------------------------------------------------------------------------
# raster: village points


def test_raster_classes_at_known_cells(grid_3x3: Path, villages_at: VillagesAt) -> None:
    villages = villages_at(ALL_CELLS)
    out = white_area_overlay(villages, read_coverage(grid_3x3))
    assert out["broadband_class"].tolist() == EXPECTED_CLASSES
    np.testing.assert_allclose(out["max_mbps"].to_numpy(), EXPECTED_MBPS, rtol=1e-6)


def test_specific_requirements(grid_3x3: Path, villages_at: VillagesAt) -> None:
    cov = read_coverage(grid_3x3)
    out = white_area_overlay(villages_at([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]), cov)
    cls = out["broadband_class"].tolist()
    assert cls[0] == "white"  # 10 Mbit/s
    assert cls[1] == "basic"  # 50 Mbit/s
    assert cls[2] == "basic"  # exactly 30 Mbit/s
    assert cls[3] == "nga"  # exactly 100 Mbit/s
    assert cls[4] == "unknown"  # nodata, never white
    assert np.isnan(out["max_mbps"].iloc[4])


def test_output_columns_index_and_shares(grid_3x3: Path, villages_at: VillagesAt) -> None:
    villages = villages_at([(0, 0), (1, 1), (2, 2)], ids=[101, 7, 33])
    out = white_area_overlay(villages, read_coverage(grid_3x3))
    assert list(out.columns) == [
        "max_mbps",
        "broadband_class",
        "share_white",
        "share_basic",
        "share_nga",
    ]
    assert out.index.tolist() == [101, 7, 33]
    assert out.attrs == {"synthetic": False, "coverage": "coverage.tif"}
    assert out["max_mbps"].dtype == np.float64
    assert out.loc[101, ["share_white", "share_basic", "share_nga"]].tolist() == [1.0, 0.0, 0.0]
    assert out.loc[7, ["share_white", "share_basic", "share_nga"]].isna().all()
    assert out.loc[33, ["share_white", "share_basic", "share_nga"]].tolist() == [0.0, 0.0, 1.0]


def test_outside_raster_is_unknown(
    grid_3x3: Path, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    outside = [
        (grid.x0 - 1.0, grid.y0 - 50.0),  # west
        (grid.x0 + 50.0, grid.y0 + 1.0),  # north
        (grid.x0 + 300.0, grid.y0 - 50.0),  # exactly on the east edge: outside
        (grid.x0 + 50.0, grid.y0 - 300.0),  # exactly on the south edge: outside
        (grid.x0 + 50_000.0, grid.y0),  # far away
    ]
    out = white_area_overlay(villages_at(outside, raw=True), read_coverage(grid_3x3))
    assert out["broadband_class"].tolist() == ["unknown"] * 5
    assert out["max_mbps"].isna().all()


def test_cell_borders_belong_right_and_below(
    grid_3x3: Path, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    pts = [
        (grid.x0, grid.y0),  # top-left corner: cell (0, 0)
        (grid.x0 + 100.0, grid.y0 - 50.0),  # border col 0 | col 1: cell (0, 1)
        (grid.x0 + 50.0, grid.y0 - 100.0),  # border row 0 / row 1: cell (1, 0)
    ]
    out = white_area_overlay(villages_at(pts, raw=True), read_coverage(grid_3x3))
    assert out["max_mbps"].tolist() == [10.0, 50.0, 100.0]


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3035", "EPSG:32632"])
def test_villages_in_other_crs_give_same_answer(
    grid_3x3: Path, villages_at: VillagesAt, crs: str
) -> None:
    cov = read_coverage(grid_3x3)
    villages = villages_at(ALL_CELLS)
    expected = white_area_overlay(villages, cov)
    moved = villages.to_crs(crs)
    assert moved.crs.to_epsg() != 28992
    got = white_area_overlay(moved, cov)
    pd.testing.assert_frame_equal(got, expected)
    assert got["broadband_class"].tolist() == EXPECTED_CLASSES


def test_missing_and_empty_geometries_are_unknown(grid_3x3: Path, grid: SimpleNamespace) -> None:
    x, y = grid.centre(0, 0)
    villages = gpd.GeoDataFrame(
        geometry=[shapely.Point(x, y), None, shapely.Point()], index=["a", "b", "c"], crs=grid.crs
    )
    out = white_area_overlay(villages, read_coverage(grid_3x3))
    assert out["broadband_class"].tolist() == ["white", "unknown", "unknown"]


def test_custom_thresholds(grid_3x3: Path, villages_at: VillagesAt) -> None:
    th = Thresholds(basic_mbps=5.0, nga_mbps=50.0)
    out = white_area_overlay(
        villages_at([(0, 0), (0, 1), (1, 2)]), read_coverage(grid_3x3), thresholds=th
    )
    assert out["broadband_class"].tolist() == ["basic", "nga", "basic"]


def test_rotated_raster_uses_full_inverse_affine(grid: SimpleNamespace) -> None:
    # 90 degrees rotated grid: column index grows southwards, row index grows eastwards.
    transform = Affine(0.0, 100.0, grid.x0, -100.0, 0.0, grid.y0)
    cov = Coverage.from_array([[10.0, 200.0]], transform=transform, crs=grid.crs)
    pts = gpd.GeoDataFrame(
        geometry=[
            shapely.Point(grid.x0 + 50, grid.y0 - 50),
            shapely.Point(grid.x0 + 50, grid.y0 - 150),
        ],
        crs=grid.crs,
    )
    out = white_area_overlay(pts, cov)
    assert out["max_mbps"].tolist() == [10.0, 200.0]


def test_many_points_vectorised(grid_3x3: Path, grid: SimpleNamespace) -> None:
    rng = np.random.default_rng(0)
    xs = rng.uniform(grid.x0 - 100, grid.x0 + 400, 20_000)
    ys = rng.uniform(grid.y0 - 400, grid.y0 + 100, 20_000)
    villages = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=grid.crs)
    out = white_area_overlay(villages, read_coverage(grid_3x3))
    col = np.floor((xs - grid.x0) / 100).astype(int)
    row = np.floor((grid.y0 - ys) / 100).astype(int)
    inside = (col >= 0) & (col < 3) & (row >= 0) & (row < 3)
    expected = np.full(len(xs), "unknown", dtype=object)
    classes = np.array(EXPECTED_CLASSES, dtype=object).reshape(3, 3)
    expected[inside] = classes[row[inside], col[inside]]
    assert (out["broadband_class"].to_numpy() == expected).all()


# --------------------------------------------------------------------------------------------
# polygons coverage


@pytest.fixture
def polygon_coverage(tmp_path: Path, grid: SimpleNamespace) -> Coverage:
    frame = gpd.GeoDataFrame(
        {"max_mbps": [10.0, 200.0, np.nan]},
        geometry=[
            _box(grid, 0, 0, 10, 10),  # A: white, 1 km x 1 km
            _box(grid, 5, 0, 15, 10),  # B: nga, overlaps the east half of A
            _box(grid, 20, 0, 30, 10),  # C: no data
        ],
        crs=grid.crs,
    )
    path = tmp_path / "speeds.gpkg"
    frame.to_file(path)
    return read_coverage(path)


def test_polygons_best_speed_wins(
    polygon_coverage: Coverage, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    pts = [
        (grid.x0 + 200, grid.y0 - 200),  # A only
        (grid.x0 + 700, grid.y0 - 200),  # A and B
        (grid.x0 + 1200, grid.y0 - 200),  # B only
        (grid.x0 + 2500, grid.y0 - 200),  # C (no data)
        (grid.x0 + 1700, grid.y0 - 200),  # in no polygon
        (grid.x0 + 500, grid.y0 - 200),  # on A's interior and B's boundary
    ]
    out = white_area_overlay(villages_at(pts, raw=True).to_crs(4326), polygon_coverage)
    assert out["broadband_class"].tolist() == ["white", "nga", "nga", "unknown", "unknown", "nga"]
    assert out["max_mbps"].iloc[:3].tolist() == [10.0, 200.0, 200.0]
    assert out["max_mbps"].iloc[3:5].isna().all()


def test_white_flag_polygons(grid: SimpleNamespace, villages_at: VillagesAt) -> None:
    cov = Coverage.from_frame(
        gpd.GeoDataFrame(
            {"white": [True, False]},
            geometry=[_box(grid, 0, 0, 10, 10), _box(grid, 5, 0, 15, 10)],
            crs=grid.crs,
        )
    )
    pts = [
        (grid.x0 + 200, grid.y0 - 200),
        (grid.x0 + 700, grid.y0 - 200),
        (grid.x0 + 1200, grid.y0 - 200),
        (grid.x0 + 5000, grid.y0 - 200),
    ]
    out = white_area_overlay(villages_at(pts, raw=True), cov)
    assert out["broadband_class"].tolist() == ["white", "basic", "basic", "unknown"]
    assert out["max_mbps"].iloc[0] == 0.0  # white flag: speed treated as 0
    assert out["max_mbps"].iloc[1:].isna().all()


# --------------------------------------------------------------------------------------------
# address points coverage


@pytest.fixture
def address_coverage(grid: SimpleNamespace) -> Coverage:
    xs = [grid.x0 + 100, grid.x0 + 1000, grid.x0 + 1000, grid.x0 + 2000]
    ys = [grid.y0 - 100, grid.y0 - 100, grid.y0 - 100, grid.y0 - 100]
    # Two addresses share a location (12 and 80 Mbit/s): the best one counts.
    frame = gpd.GeoDataFrame(
        {"mbps": [12.0, 12.0, 80.0, np.nan]}, geometry=gpd.points_from_xy(xs, ys), crs=grid.crs
    )
    return Coverage.from_frame(frame)


def test_address_points_nearest_within_distance(
    address_coverage: Coverage, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    pts = [
        (grid.x0 + 100, grid.y0 - 300),  # 200 m from the 12 Mbit/s address
        (grid.x0 + 1000, grid.y0 - 350),  # exactly 250 m from the 12/80 location
        (grid.x0 + 550, grid.y0 - 400),  # > 250 m from everything
        (grid.x0 + 2000, grid.y0 - 100),  # on the no-data address; nearest with data too far
    ]
    out = white_area_overlay(villages_at(pts, raw=True), address_coverage)
    assert out["broadband_class"].tolist() == ["white", "basic", "unknown", "unknown"]
    assert out["max_mbps"].iloc[:2].tolist() == [12.0, 80.0]
    wider = white_area_overlay(villages_at(pts, raw=True), address_coverage, max_distance_m=600.0)
    assert wider["broadband_class"].tolist() == ["white", "basic", "white", "unknown"]


def test_address_points_from_csv_in_wgs84(
    tmp_path: Path, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    rd = gpd.GeoSeries(
        gpd.points_from_xy([grid.x0 + 100, grid.x0 + 1000], [grid.y0 - 100, grid.y0 - 100]),
        crs=grid.crs,
    ).to_crs(4326)
    path = tmp_path / "adressen.csv"
    lines = ["lon,lat,download_mbps"] + [
        f"{p.x:.8f},{p.y:.8f},{v}" for p, v in zip(rd, [20, 150], strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    cov = read_coverage(path)
    pts = [(grid.x0 + 100, grid.y0 - 200), (grid.x0 + 1000, grid.y0 - 200)]
    out = white_area_overlay(villages_at(pts, raw=True), cov)
    assert out["broadband_class"].tolist() == ["white", "nga"]


def test_point_coverage_shares_in_village_polygon(
    address_coverage: Coverage, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    villages = villages_at([(grid.x0 + 500, grid.y0 - 100)], raw=True, ids=["v"])
    outline = gpd.GeoDataFrame(geometry=[_box(grid, 0, 0, 15, 5)], index=["v"], crs=grid.crs)
    out = white_area_overlay(villages, address_coverage, village_polygons=outline)
    # three addresses inside: 12 (white), 12 (white), 80 (basic)
    assert out.loc["v", "share_white"] == pytest.approx(2 / 3)
    assert out.loc["v", "share_basic"] == pytest.approx(1 / 3)
    assert out.loc["v", "share_nga"] == 0.0


# --------------------------------------------------------------------------------------------
# shares from village polygons and addresses


def test_area_shares_half_white(
    write_raster: WriteRaster, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    cov = read_coverage(write_raster([[10.0, 10.0], [200.0, -1.0]]))
    villages = villages_at([(0, 0), (0, 0), (0, 0)], ids=["full", "half", "none"])
    outlines = gpd.GeoDataFrame(
        geometry=[
            _box(grid, 0, 0, 2, 2),  # 2 white, 1 nga, 1 nodata cell
            _box(grid, -1, 0, 1, 1),  # half outside the raster, half over white
            _box(grid, 5, 5, 6, 6),  # entirely outside
        ],
        index=["full", "half", "none"],
        crs=grid.crs,
    ).to_crs(4326)
    out = white_area_overlay(villages, cov, village_polygons=outlines)
    assert out["broadband_class"].tolist() == ["white", "white", "white"]  # from the point
    np.testing.assert_allclose(
        out.loc["full", ["share_white", "share_basic", "share_nga"]].to_numpy(dtype=float),
        [0.5, 0.0, 0.25],
        atol=1e-4,  # outline went through EPSG:4326 and back
    )
    np.testing.assert_allclose(
        out.loc["half", ["share_white", "share_basic", "share_nga"]].to_numpy(dtype=float),
        [0.5, 0.0, 0.0],
        atol=1e-4,
    )
    assert out.loc["none", ["share_white", "share_basic", "share_nga"]].isna().all()


def test_area_shares_unaligned_polygon(
    grid_3x3: Path, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    villages = villages_at([(0, 0), (2, 2)], ids=["a", "b"])
    # "a": half in the 10 Mbit/s cell, half in the 50 Mbit/s cell; "b" has no outline.
    outlines = gpd.GeoDataFrame(
        geometry=[_box(grid, 0.5, 0.2, 1.5, 0.8)], index=["a"], crs=grid.crs
    )
    out = white_area_overlay(villages, read_coverage(grid_3x3), village_polygons=outlines)
    np.testing.assert_allclose(
        out.loc["a", ["share_white", "share_basic", "share_nga"]].to_numpy(dtype=float),
        [0.5, 0.5, 0.0],
        atol=1e-9,
    )
    assert out.loc["b", ["share_white", "share_basic", "share_nga"]].tolist() == [0.0, 0.0, 1.0]


def test_area_shares_polygon_coverage(
    polygon_coverage: Coverage, grid: SimpleNamespace, villages_at: VillagesAt
) -> None:
    villages = villages_at([(grid.x0 + 100, grid.y0 - 100)], raw=True, ids=["v"])
    # Outline over x 0..1000 m: A alone on 0..500 (white), A and B on 500..1000 (nga wins).
    outline = gpd.GeoDataFrame(geometry=[_box(grid, 0, 0, 10, 10)], index=["v"], crs=grid.crs)
    out = white_area_overlay(villages, polygon_coverage, village_polygons=outline)
    np.testing.assert_allclose(
        out.loc["v", ["share_white", "share_basic", "share_nga"]].to_numpy(dtype=float),
        [0.5, 0.0, 0.5],
        atol=1e-9,
    )


def test_address_shares(grid_3x3: Path, grid: SimpleNamespace, villages_at: VillagesAt) -> None:
    villages = villages_at([(0, 0), (2, 0)], ids=["top", "bottom"])
    outlines = gpd.GeoDataFrame(
        geometry=[_box(grid, 0, 0, 3, 1), _box(grid, 0, 2, 3, 3)],
        index=["top", "bottom"],
        crs=grid.crs,
    )
    addr_xy = [grid.centre(0, 0)] * 3 + [grid.centre(0, 1)]  # 3 white, 1 basic in "top"
    addresses = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([p[0] for p in addr_xy], [p[1] for p in addr_xy]),
        crs=grid.crs,
    ).to_crs(4326)
    out = white_area_overlay(
        villages, read_coverage(grid_3x3), village_polygons=outlines, addresses=addresses
    )
    np.testing.assert_allclose(
        out.loc["top", ["share_white", "share_basic", "share_nga"]].to_numpy(dtype=float),
        [0.75, 0.25, 0.0],
    )
    assert out.loc["bottom", ["share_white", "share_basic", "share_nga"]].isna().all()
    assert out.loc["bottom", "broadband_class"] == "white"  # 29.9 Mbit/s at the point


# --------------------------------------------------------------------------------------------
# input errors


def test_villages_without_crs(grid_3x3: Path, grid: SimpleNamespace) -> None:
    villages = gpd.GeoDataFrame(geometry=[shapely.Point(grid.x0, grid.y0)])
    with pytest.raises(NoCrsError, match="set_crs"):
        white_area_overlay(villages, read_coverage(grid_3x3))


def test_non_point_villages(grid_3x3: Path, grid: SimpleNamespace) -> None:
    villages = gpd.GeoDataFrame(geometry=[_box(grid, 0, 0, 1, 1)], crs=grid.crs)
    with pytest.raises(BroadbandInputError, match="Polygon"):
        white_area_overlay(villages, read_coverage(grid_3x3))


def test_addresses_need_outlines(grid_3x3: Path, villages_at: VillagesAt) -> None:
    villages = villages_at([(0, 0)])
    with pytest.raises(BroadbandInputError, match="village_polygons"):
        white_area_overlay(villages, read_coverage(grid_3x3), addresses=villages)


@pytest.mark.parametrize("bad", [0.0, -5.0, float("nan")])
def test_bad_max_distance(grid_3x3: Path, villages_at: VillagesAt, bad: float) -> None:
    with pytest.raises(ThresholdError, match="max_distance_m"):
        white_area_overlay(villages_at([(0, 0)]), read_coverage(grid_3x3), max_distance_m=bad)


# --------------------------------------------------------------------------------------------
# white_area_polygons


WHITE_PATTERN = [
    [5.0, 5.0, 50.0, 200.0, 10.0],
    [5.0, -1.0, 50.0, 200.0, 10.0],
    [200.0, 200.0, 200.0, 200.0, 200.0],
    [29.0, 29.0, 29.0, -1.0, 100.0],
]  # 8 white cells in three areas (3 + 2 + 3); nodata cells are not white


def test_white_area_polygons_exact_area(write_raster: WriteRaster) -> None:
    path = write_raster(WHITE_PATTERN, tags={"synthetic": "true"})
    areas = white_area_polygons(read_coverage(path), simplify_m=0)
    assert list(areas.columns) == ["geometry", "area_m2", "synthetic"]
    assert areas.crs.to_epsg() == 28992
    white_cells = 8
    assert areas["area_m2"].sum() == pytest.approx(white_cells * 100.0 * 100.0)
    assert areas["area_m2"].tolist() == pytest.approx([30_000.0, 30_000.0, 20_000.0])
    np.testing.assert_allclose(areas["area_m2"], areas.geometry.area, rtol=1e-12)
    assert areas.geometry.is_valid.all()
    assert areas["synthetic"].tolist() == [True] * len(areas)


def test_white_area_polygons_simplified_within_tolerance(write_raster: WriteRaster) -> None:
    path = write_raster(WHITE_PATTERN)
    areas = white_area_polygons(read_coverage(path))
    assert areas["area_m2"].sum() == pytest.approx(80_000.0, rel=0.15)
    assert areas.geometry.is_valid.all()
    assert not areas["synthetic"].any()
    np.testing.assert_allclose(areas["area_m2"], areas.geometry.area, rtol=1e-9)


def test_white_area_block_survives_simplification(write_raster: WriteRaster) -> None:
    values = np.full((5, 5), 500.0)
    values[1:4, 1:4] = 3.0
    areas = white_area_polygons(read_coverage(write_raster(values)))
    assert len(areas) == 1
    assert areas["area_m2"].iloc[0] == pytest.approx(90_000.0)


def test_white_area_polygons_from_polygons(polygon_coverage: Coverage) -> None:
    areas = white_area_polygons(polygon_coverage, simplify_m=0)
    # A (1 km2, white) minus its overlap with B (nga): 0.5 km2
    assert len(areas) == 1
    assert areas["area_m2"].iloc[0] == pytest.approx(500_000.0)


def test_white_area_polygons_geographic_raster(grid: SimpleNamespace) -> None:
    # 0.01 degree cells around 52.9 N: each about 1113 m x 672 m.
    transform = Affine(0.01, 0.0, 6.5, 0.0, -0.01, 52.95)
    cov = Coverage.from_array([[5.0, 5.0], [5.0, 500.0]], transform=transform, crs="EPSG:4326")
    areas = white_area_polygons(cov, simplify_m=0)
    assert areas.crs.to_epsg() == 4326
    dx = 0.01 * 111_320.0 * np.cos(np.radians(52.935))
    dy = 0.01 * 111_200.0
    assert areas["area_m2"].sum() == pytest.approx(3 * dx * dy, rel=0.01)


def test_nothing_white_gives_empty_frame(write_raster: WriteRaster) -> None:
    areas = white_area_polygons(read_coverage(write_raster([[100.0, 50.0]])))
    assert len(areas) == 0
    assert list(areas.columns) == ["geometry", "area_m2", "synthetic"]
    assert areas.crs.to_epsg() == 28992


def test_white_area_polygons_rejects_points(address_coverage: Coverage) -> None:
    with pytest.raises(BroadbandInputError, match="raster or polygon"):
        white_area_polygons(address_coverage)


def test_white_area_polygons_bad_simplify(grid_3x3: Path) -> None:
    with pytest.raises(ThresholdError, match="-1"):
        white_area_polygons(read_coverage(grid_3x3), simplify_m=-1)


def test_nodata_inside_white_area_is_a_hole(write_raster: WriteRaster) -> None:
    values = np.full((5, 5), 500.0)
    values[1:4, 1:4] = 3.0
    values[2, 2] = -1.0  # nodata in the middle of the white block
    areas = white_area_polygons(read_coverage(write_raster(values)), simplify_m=0)
    assert len(areas) == 1
    assert areas["area_m2"].iloc[0] == pytest.approx(80_000.0)
    assert len(areas.geometry.iloc[0].interiors) == 1
