"""scripts/make_synthetic_coverage.py: a tagged, deterministic synthetic GeoTIFF."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pytest
import rasterio

from broadband import read_coverage, white_area_overlay

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_synthetic_coverage.py"
# A small part of the Liechtenstein sample area (Vaduz), local UTM.
BBOX = ["9.49", "47.12", "9.55", "47.16"]
VADUZ = (9.5209, 47.1410)


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_synthetic_coverage", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(script: ModuleType, out_dir: Path, *extra: str) -> Path:
    args = [
        "--name",
        "vaduz",
        "--bbox",
        *BBOX,
        "--epsg",
        "32632",
        "--out-dir",
        str(out_dir),
        "--town",
        f"{VADUZ[0]},{VADUZ[1]}",
        *extra,
    ]
    assert script.main(args) == 0
    return out_dir / "synthetic-coverage-vaduz.tif"


def test_writes_tagged_synthetic_geotiff(script: ModuleType, tmp_path: Path) -> None:
    path = _run(script, tmp_path)
    assert path.is_file()
    with rasterio.open(path) as src:
        tags = src.tags()
        assert tags["synthetic"] == "true"
        assert "SYNTHETIC" in tags["description"] and "NOT real data" in tags["description"]
        assert src.crs.to_epsg() == 32632
        assert src.nodata == -1.0
        assert src.dtypes[0] == "float32"
        assert src.res == (100.0, 100.0)
        assert src.transform.c % 100 == 0 and src.transform.f % 100 == 0
        data = src.read(1)
    assert data.min() >= 2.0 and data.max() <= 1000.0
    cov = read_coverage(path)
    assert cov.synthetic is True


def test_fast_in_town_white_in_the_countryside(script: ModuleType, tmp_path: Path) -> None:
    cov = read_coverage(_run(script, tmp_path, "--noise", "0", "--decay-km", "0.5"))
    places = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([VADUZ[0], 9.4905], [VADUZ[1], 47.1595]),
        index=["town", "far corner"],
        crs="EPSG:4326",
    )
    out = white_area_overlay(places, cov)
    assert out.loc["town", "broadband_class"] == "nga"
    assert out.loc["far corner", "broadband_class"] == "white"


def test_deterministic(script: ModuleType, tmp_path: Path) -> None:
    first = _run(script, tmp_path / "a", "--seed", "7")
    second = _run(script, tmp_path / "b", "--seed", "7")
    other = _run(script, tmp_path / "c", "--seed", "8")
    with rasterio.open(first) as a, rasterio.open(second) as b, rasterio.open(other) as c:
        one, two, three = a.read(1), b.read(1), c.read(1)
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, three)


def test_help_and_bad_arguments(script: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        script.main(["--help"])
    assert info.value.code == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        script.main(["--name", "x", "--bbox", "9.6", "47.1", "9.5", "47.2"])
    assert info.value.code == 2
    assert "--bbox" in capsys.readouterr().err
