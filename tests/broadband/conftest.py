"""Fixtures for the broadband tests: tiny GeoTIFFs and vector files with known values.

The directory is the package ``tests.broadband`` (like ``tests.accessibility``), so it never
shadows the real ``broadband`` package.

Transforms are built with ``Affine(...)`` directly: ``rasterio.transform.from_origin`` uses
the ``*`` operator that affine 3 reports with a PendingDeprecationWarning.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine

#: Upper-left corner of the test rasters (EPSG:28992, somewhere in Drenthe).
X0 = 230_000.0
Y0 = 540_000.0
CELL_M = 100.0
RD = "EPSG:28992"


def cell_centre(row: int, col: int) -> tuple[float, float]:
    """Centre of a test raster cell in EPSG:28992."""
    return X0 + (col + 0.5) * CELL_M, Y0 - (row + 0.5) * CELL_M


@pytest.fixture
def write_raster(tmp_path: Path) -> Callable[..., Path]:
    """Factory writing a single-band float32 GeoTIFF; returns its path."""

    def write(
        values: Any,
        *,
        name: str = "coverage.tif",
        crs: str | None = RD,
        nodata: float | None = -1.0,
        tags: dict[str, str] | None = None,
        descriptions: tuple[str, ...] | None = None,
        cell_m: float = CELL_M,
    ) -> Path:
        array = np.asarray(values, dtype=np.float32)
        if array.ndim == 2:
            array = array[np.newaxis]
        path = tmp_path / name
        profile: dict[str, Any] = {
            "driver": "GTiff",
            "width": array.shape[2],
            "height": array.shape[1],
            "count": array.shape[0],
            "dtype": "float32",
            "transform": Affine(cell_m, 0.0, X0, 0.0, -cell_m, Y0),
        }
        if crs is not None:
            profile["crs"] = crs
        if nodata is not None:
            profile["nodata"] = nodata
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(array)
            if tags:
                dst.update_tags(**tags)
            for i, text in enumerate(descriptions or (), start=1):
                dst.set_band_description(i, text)
        return path

    return write


@pytest.fixture
def grid_3x3(write_raster: Callable[..., Path]) -> Path:
    """3x3 raster: known speeds around the class borders, one nodata cell.

    ::

        [[ 10,  50,  30],
         [100,  -1,   5],     (-1 = nodata)
         [ 29.9, 99.9, 500]]
    """
    return write_raster([[10.0, 50.0, 30.0], [100.0, -1.0, 5.0], [29.9, 99.9, 500.0]])


@pytest.fixture
def villages_at() -> Callable[..., gpd.GeoDataFrame]:
    """Factory: village points at raster cells ``(row, col)`` (or raw xy), EPSG:28992."""

    def make(
        cells: list[tuple[float, float]], *, ids: list[Any] | None = None, raw: bool = False
    ) -> gpd.GeoDataFrame:
        xy = cells if raw else [cell_centre(int(r), int(c)) for r, c in cells]
        index = ids if ids is not None else [f"v{i}" for i in range(len(xy))]
        return gpd.GeoDataFrame(
            {"name": [f"village {i}" for i in index]},
            geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
            index=index,
            crs=RD,
        )

    return make


@pytest.fixture
def grid() -> SimpleNamespace:
    """Constants of the test rasters: ``x0``, ``y0``, ``cell_m``, ``crs`` and ``centre()``."""
    return SimpleNamespace(x0=X0, y0=Y0, cell_m=CELL_M, crs=RD, centre=cell_centre)
