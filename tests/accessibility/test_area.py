"""The study area (--area, --buffer-km): only area villages and residents are reported, the
roads and facilities of the buffer still serve them."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from accessibility.area import resolve_area
from accessibility.build import run_build
from accessibility.errors import InputFileError
from accessibility.model import load_build
from accessibility.osm import read_osm
from accessibility.params import BuildParams
from tests.conftest import LIECHTENSTEIN


@pytest.fixture(scope="module")
def boundaries():
    return read_osm(LIECHTENSTEIN).boundaries


def test_area_by_name_file_and_errors(boundaries, tmp_path):
    a = resolve_area("vaduz", boundaries, buffer_km=2, crs="EPSG:32632")
    assert a.name == "vaduz" and a.buffered.area > a.polygon.area
    assert a.inside([9.5215], [47.1410]).all()  # Vaduz centre
    assert not a.inside([9.60], [47.06]).any()  # far south
    square = tmp_path / "square.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(9.50, 47.12, 9.54, 47.16)], crs="EPSG:4326").to_file(
        square
    )
    b = resolve_area(str(square), boundaries, buffer_km=0, crs="EPSG:32632")
    assert b.name == "square" and b.polygon.equals(b.buffered)
    with pytest.raises(InputFileError, match="no administrative boundary named 'Atlantis'"):
        resolve_area("Atlantis", boundaries, buffer_km=2, crs="EPSG:32632")
    with pytest.raises(InputFileError, match="--buffer-km"):
        resolve_area("vaduz", boundaries, buffer_km=-1, crs="EPSG:32632")


def test_build_reports_the_area_and_routes_beyond_it(tmp_path, demo_build):
    out = tmp_path / "vaduz"
    run_build(BuildParams(extract=LIECHTENSTEIN, profiles=("car",), area="Vaduz",
                          buffer_km=2.0), out)  # fmt: skip
    b = load_build(out)
    assert set(b.villages["municipality"]) == {"Vaduz"}
    assert b.manifest["area"]["name"] == "Vaduz" and b.manifest["area"]["buffer_km"] == 2.0
    from accessibility.summary import manifest_summary_lines

    said = manifest_summary_lines(b.manifest, out, up_to_date=False)
    assert "  area: Vaduz (roads and facilities up to 2 km beyond it)" in said
    area = resolve_area("Vaduz", read_osm(LIECHTENSTEIN).boundaries, buffer_km=2.0,
                        crs=b.manifest["crs"])  # fmt: skip
    o = b.origins
    assert area.inside(o.geometry.x, o.geometry.y).all()
    f = b.facilities
    assert area.inside(f["lon"], f["lat"], buffered=True).all()
    assert not area.inside(f["lon"], f["lat"]).all()  # some serve from beyond the border
    # where the nearest supermarket lies within the buffer, the distance is the full build's
    full = demo_build.indicators.query("category == 'supermarket' and profile == 'car'")
    full = full.set_index("village_id")
    part = b.indicators.query("category == 'supermarket'").set_index("village_id")
    fac = demo_build.facilities.set_index("facility_id")
    checked = 0
    for vid, row in part.iterrows():
        near = fac.loc[full.loc[vid, "nearest_by_distance_id"]]
        if area.inside([near["lon"]], [near["lat"]], buffered=True).all():
            assert row["distance_m"] == pytest.approx(full.loc[vid, "distance_m"], abs=1e-6)
            checked += 1
    assert checked == len(part) >= 2
    counts = json.loads((out / "manifest.json").read_text())["counts"]["osm"]
    assert counts["ways_outside_area"] > 0 and counts["places_outside_area"] > 0
    assert np.isfinite(b.persons_villages["mean_distance_m"]).any()


def test_facilities_within_leaves_out_those_beyond_the_border(tmp_path, demo_build, capsys):
    out = tmp_path / "within"
    run_build(BuildParams(extract=LIECHTENSTEIN, profiles=("car",), facilities_within="Vaduz"),
              out)  # fmt: skip
    b = load_build(out)
    vaduz = resolve_area("Vaduz", read_osm(LIECHTENSTEIN).boundaries, buffer_km=0.0,
                         crs=b.manifest["crs"])  # fmt: skip
    f = b.facilities
    assert len(f) and vaduz.inside(f["lon"], f["lat"]).all()
    full_fac = demo_build.facilities
    inside = vaduz.inside(full_fac["lon"], full_fac["lat"])
    assert b.manifest["counts"]["facilities_left_out"] == int((~inside).sum()) > 0
    inside_by_id = dict(zip(full_fac["facility_id"], inside, strict=True))
    assert b.manifest["parameters"]["facilities_within"] == "Vaduz"
    from accessibility.summary import manifest_summary_lines

    said = manifest_summary_lines(b.manifest, out, up_to_date=False)
    left = b.manifest["counts"]["facilities_left_out"]
    assert f"  facilities within Vaduz only: {left} beyond it left out" in said
    # every village is still reported; leaving facilities out never brings one nearer, and
    # where the nearest facility lay inside, the distance is the full build's
    assert len(b.villages) == len(demo_build.villages)
    full = demo_build.indicators.query("profile == 'car'").set_index(["village_id", "category"])
    part = b.indicators.set_index(["village_id", "category"])
    same = 0
    for key, row in part.iterrows():
        d_full, near = full.loc[key, "distance_m"], full.loc[key, "nearest_by_distance_id"]
        if not np.isfinite(row["distance_m"]):
            continue
        assert row["distance_m"] >= d_full - 1e-6
        if isinstance(near, str) and inside_by_id[near]:
            assert row["distance_m"] == pytest.approx(d_full, abs=1e-6)
            same += 1
    assert same > 0
    from app.cli import main as cli_main

    code = cli_main(["build", str(LIECHTENSTEIN), "--out", str(tmp_path / "x"),
                     "--facilities-within", "Atlantis", "--quiet"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "no administrative boundary named 'Atlantis'" in err
    assert "--facilities-within FILE" in err and "Traceback" not in err
