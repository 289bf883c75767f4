"""Reading coverage files: rasters, polygons, points, and every kind of bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely

from broadband import (
    Coverage,
    CoverageFileError,
    NoCrsError,
    SpeedColumnError,
    read_coverage,
)

WriteRaster = Callable[..., Path]


def _polygons(grid: SimpleNamespace, **columns: list[object]) -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(grid.x0, grid.y0 - 1000, grid.x0 + 1000, grid.y0),
        shapely.box(grid.x0 + 1000, grid.y0 - 1000, grid.x0 + 2000, grid.y0),
    ]
    return gpd.GeoDataFrame(columns, geometry=boxes, crs=grid.crs)


# --------------------------------------------------------------------------------------------
# rasters


def test_raster_values_nodata_and_transform(grid_3x3: Path, grid: SimpleNamespace) -> None:
    cov = read_coverage(grid_3x3)
    assert cov.kind == "raster"
    assert cov.crs.to_epsg() == 28992
    assert cov.source == grid_3x3
    assert cov.synthetic is False
    assert cov.array is not None and cov.transform is not None
    assert cov.array.shape == (3, 3)
    assert cov.array[0, 1] == 50.0
    assert np.isnan(cov.array[1, 1])  # nodata -1
    assert cov.array[2, 0] == pytest.approx(29.9, abs=1e-5)
    assert (cov.transform.c, cov.transform.f) == (grid.x0, grid.y0)
    assert cov.bounds == (grid.x0, grid.y0 - 300, grid.x0 + 300, grid.y0)
    assert not cov.array.flags.writeable


def test_raster_synthetic_tag(write_raster: WriteRaster) -> None:
    path = write_raster([[1.0, 2.0]], tags={"synthetic": "true"})
    assert read_coverage(path).synthetic is True
    other = write_raster([[1.0, 2.0]], name="real.tif", tags={"synthetic": "false"})
    assert read_coverage(other).synthetic is False


def test_sidecar_marks_synthetic(write_raster: WriteRaster) -> None:
    path = write_raster([[1.0, 2.0]])
    path.with_name(path.name + ".json").write_text(json.dumps({"synthetic": True}))
    assert read_coverage(path).synthetic is True


def test_bad_sidecar_names_the_sidecar(write_raster: WriteRaster) -> None:
    path = write_raster([[1.0, 2.0]])
    path.with_name(path.name + ".json").write_text("{not json")
    with pytest.raises(CoverageFileError, match=r"coverage\.tif\.json"):
        read_coverage(path)


def test_raster_band_by_description(write_raster: WriteRaster) -> None:
    path = write_raster([[[1.0, 2.0]], [[300.0, 400.0]]], descriptions=("upload_mbps", "max_mbps"))
    cov = read_coverage(path, speed_column="max_mbps")
    assert cov.array is not None
    assert cov.array.tolist() == [[300.0, 400.0]]
    assert cov.speed_column == "max_mbps"
    with pytest.raises(SpeedColumnError) as info:
        read_coverage(path, speed_column="mbps")
    text = str(info.value)
    assert "'mbps'" in text and "upload_mbps" in text and "speed_column" in text


def test_raster_without_crs(write_raster: WriteRaster) -> None:
    path = write_raster([[10.0, 50.0]], name="nocrs.tif", crs=None)
    with pytest.raises(NoCrsError) as info:
        read_coverage(path)
    text = str(info.value)
    assert "nocrs.tif" in text and "crs=" in text
    cov = read_coverage(path, crs="EPSG:28992")
    assert cov.crs.to_epsg() == 28992


def test_crs_argument_contradicting_file(write_raster: WriteRaster) -> None:
    path = write_raster([[10.0]], name="rd.tif")
    assert read_coverage(path, crs="EPSG:28992").crs.to_epsg() == 28992
    with pytest.raises(CoverageFileError, match=r"rd\.tif.*4326"):
        read_coverage(path, crs="EPSG:4326")


def test_all_nodata_raster(write_raster: WriteRaster) -> None:
    path = write_raster([[-1.0, -1.0]], name="blank.tif")
    with pytest.raises(CoverageFileError, match=r"blank\.tif.*no valid cells"):
        read_coverage(path)


# --------------------------------------------------------------------------------------------
# bad files


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.tif"
    with pytest.raises(CoverageFileError, match=r"nowhere\.tif") as info:
        read_coverage(path)
    assert isinstance(info.value, ValueError)
    assert "not found" in str(info.value)


@pytest.mark.parametrize("name", ["empty.tif", "empty.gpkg", "empty.geojson", "empty.csv"])
def test_zero_byte_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(CoverageFileError, match=name.replace(".", r"\.")) as info:
        read_coverage(path)
    assert "empty" in str(info.value)


def test_feature_collection_without_features(tmp_path: Path) -> None:
    path = tmp_path / "nofeatures.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(CoverageFileError, match=r"nofeatures\.geojson.*no features"):
        read_coverage(path)


def test_csv_header_only(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("lon,lat,mbps\n")
    with pytest.raises(CoverageFileError, match=r"header\.csv.*no rows"):
        read_coverage(path)


@pytest.mark.parametrize("name", ["corrupt.tif", "corrupt.gpkg", "corrupt.geojson", "corrupt.xyz"])
def test_corrupt_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x00\x01garbage, definitely not a dataset\xff" * 20)
    with pytest.raises(CoverageFileError, match=name.replace(".", r"\.")):
        read_coverage(path)


def test_truncated_geotiff(grid_3x3: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.tif"
    path.write_bytes(grid_3x3.read_bytes()[:100])
    with pytest.raises(CoverageFileError, match=r"truncated\.tif"):
        read_coverage(path)


# --------------------------------------------------------------------------------------------
# polygons


@pytest.mark.parametrize("column", ["max_mbps", "mbps", "speed_mbps", "download_mbps", "MBPS"])
def test_polygon_speed_column_autodetect(
    tmp_path: Path, grid: SimpleNamespace, column: str
) -> None:
    path = tmp_path / "poly.gpkg"
    _polygons(grid, **{column: [12.5, 250.0], "name": ["a", "b"]}).to_file(path)
    cov = read_coverage(path)
    assert cov.kind == "polygons"
    assert cov.speed_column == column
    assert cov.frame is not None
    assert cov.frame["max_mbps"].tolist() == [12.5, 250.0]
    assert cov.crs.to_epsg() == 28992


def test_polygon_explicit_speed_column(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "poly.geojson"
    _polygons(grid, down=[5.0, 60.0], mbps=[1.0, 1.0]).to_file(path)
    cov = read_coverage(path, speed_column="down")
    assert cov.frame is not None
    assert cov.frame["max_mbps"].tolist() == [5.0, 60.0]


def test_unknown_speed_column_lists_columns(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "poly.gpkg"
    _polygons(grid, mbps=[5.0, 60.0], gemeente=["Aa en Hunze", "Assen"]).to_file(path)
    with pytest.raises(SpeedColumnError) as info:
        read_coverage(path, speed_column="snelheid")
    err = info.value
    assert isinstance(err, KeyError)
    text = str(err)
    assert "'snelheid'" in text
    assert "poly.gpkg" in text
    assert "'mbps'" in text and "'gemeente'" in text
    assert "speed_column" in text


def test_no_recognised_column(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "poly.gpkg"
    _polygons(grid, snelheid=[5.0, 60.0]).to_file(path)
    with pytest.raises(SpeedColumnError, match=r"snelheid.*speed_column"):
        read_coverage(path)
    assert read_coverage(path, speed_column="snelheid").frame["max_mbps"].tolist() == [5.0, 60.0]


def test_non_numeric_speed_column(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "poly.gpkg"
    _polygons(grid, mbps=["fast", "slow"]).to_file(path)
    with pytest.raises(CoverageFileError, match=r"'mbps'.*'fast'"):
        read_coverage(path)


def test_white_flag_column(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "flags.gpkg"
    _polygons(grid, white=[True, False]).to_file(path)
    cov = read_coverage(path)
    assert cov.speed_column is None
    assert cov.frame is not None
    speeds = cov.frame["max_mbps"].to_numpy()
    assert speeds[0] == 0.0 and np.isnan(speeds[1])
    assert cov.frame["not_white"].tolist() == [False, True]


def test_no_attributes_means_all_white(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "white_areas.geojson"
    _polygons(grid).to_file(path)
    cov = read_coverage(path)
    assert cov.frame is not None
    assert cov.frame["max_mbps"].tolist() == [0.0, 0.0]
    assert not cov.frame["not_white"].any()
    named = tmp_path / "named.gpkg"
    _polygons(grid, naam=["a", "b"]).to_file(named)
    assert read_coverage(named, all_white=True).frame["max_mbps"].tolist() == [0.0, 0.0]


def test_synthetic_column(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "syn.gpkg"
    _polygons(grid, mbps=[5.0, 60.0], synthetic=[True, True]).to_file(path)
    cov = read_coverage(path)
    assert cov.synthetic is True
    assert cov.speed_column == "mbps"


def test_shapefile_without_crs(tmp_path: Path, grid: SimpleNamespace) -> None:
    frame = _polygons(grid, mbps=[5.0, 60.0]).set_crs(None, allow_override=True)
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.to_file(path)
    with pytest.raises(NoCrsError) as info:
        read_coverage(path)
    text = str(info.value)
    assert "nocrs.shp" in text and "crs=" in text
    assert read_coverage(path, crs="EPSG:28992").crs.to_epsg() == 28992


def test_lines_are_rejected(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "lines.gpkg"
    gpd.GeoDataFrame(
        {"mbps": [5.0]},
        geometry=[shapely.LineString([(grid.x0, grid.y0), (grid.x0 + 10, grid.y0)])],
        crs=grid.crs,
    ).to_file(path)
    with pytest.raises(CoverageFileError, match=r"lines\.gpkg.*LineString"):
        read_coverage(path)


def test_invalid_polygon_is_repaired(tmp_path: Path, grid: SimpleNamespace) -> None:
    bowtie = shapely.Polygon(
        [
            (grid.x0, grid.y0),
            (grid.x0 + 100, grid.y0 - 100),
            (grid.x0 + 100, grid.y0),
            (grid.x0, grid.y0 - 100),
        ]
    )
    cov = Coverage.from_frame(gpd.GeoDataFrame({"mbps": [5.0]}, geometry=[bowtie], crs=grid.crs))
    assert cov.frame is not None
    assert cov.frame.geometry.is_valid.all()
    assert cov.frame.geometry.area.sum() == pytest.approx(5000.0)


# --------------------------------------------------------------------------------------------
# points


def test_csv_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "addresses.csv"
    path.write_text("lon,lat,download_mbps\n6.56,52.99,12\n6.57,52.99,150\n,,40\n")
    cov = read_coverage(path)
    assert cov.kind == "points"
    assert cov.crs.to_epsg() == 4326
    assert cov.frame is not None
    assert cov.frame["max_mbps"].tolist() == [12.0, 150.0]  # row without coordinates dropped
    assert cov.frame.geometry.x.tolist() == [6.56, 6.57]


def test_csv_xy_needs_crs(tmp_path: Path) -> None:
    path = tmp_path / "rd.csv"
    path.write_text("x,y,mbps\n230050,539950,12\n")
    with pytest.raises(NoCrsError, match=r"rd\.csv.*crs="):
        read_coverage(path)
    cov = read_coverage(path, crs="EPSG:28992")
    assert cov.crs.to_epsg() == 28992
    assert cov.frame is not None
    assert cov.frame.geometry.iloc[0].coords[0] == (230050.0, 539950.0)


def test_csv_projected_numbers_in_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "swapped.csv"
    path.write_text("lon,lat,mbps\n230050,539950,12\n")
    with pytest.raises(CoverageFileError, match=r"swapped\.csv.*x/y"):
        read_coverage(path)


def test_csv_without_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "nocoords.csv"
    path.write_text("postcode,mbps\n9401AA,12\n")
    with pytest.raises(CoverageFileError, match=r"nocoords\.csv.*lon/lat"):
        read_coverage(path)


def test_csv_unknown_speed_column(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text("lon,lat,mbps,postcode\n6.5,52.9,12,9401AA\n")
    with pytest.raises(SpeedColumnError) as info:
        read_coverage(path, speed_column="speed")
    text = str(info.value)
    assert "'speed'" in text and "pts.csv" in text and "'postcode'" in text


def test_point_gpkg(tmp_path: Path, grid: SimpleNamespace) -> None:
    path = tmp_path / "pts.gpkg"
    gpd.GeoDataFrame(
        {"speed_mbps": [20.0, 200.0]},
        geometry=gpd.points_from_xy([grid.x0, grid.x0 + 50], [grid.y0, grid.y0]),
        crs=grid.crs,
    ).to_file(path)
    cov = read_coverage(path)
    assert cov.kind == "points"
    assert cov.frame is not None
    assert cov.frame["max_mbps"].tolist() == [20.0, 200.0]
