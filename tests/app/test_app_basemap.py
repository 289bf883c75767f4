"""GET /basemap: the web map's offline background (the contract the map code draws)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import shapely
from app_helpers import GEOJSON, TestClient, assert_geojson, make_settings, restamp
from shapely.geometry import shape

from accessibility.basemap import KINDS
from app.main import create_app

#: the properties of every feature, exactly (the web map's contract)
PROPERTIES = {"kind", "name", "rank"}
VADUZ_BBOX = "9.50,47.12,9.54,47.15"


@pytest.fixture(scope="module")
def basemap(client: TestClient) -> dict[str, Any]:
    r = client.get("/basemap")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(GEOJSON)
    return r.json()


def test_the_contract(basemap):
    assert_geojson(basemap)  # RFC 7946, 6 decimals, rings counterclockwise
    assert basemap["available"] is True
    assert basemap["attribution"] == "© OpenStreetMap contributors (ODbL 1.0)"
    feats = basemap["features"]
    assert len(feats) == 558
    for f in feats:
        p = f["properties"]
        assert set(p) == PROPERTIES, p
        assert p["kind"] in KINDS
        if p["kind"] == "place":
            assert p["name"] and p["rank"] in {1, 2, 3, 4, 5}
            assert f["geometry"]["type"] == "Point"
        else:
            assert p["rank"] is None
        if p["kind"] not in {"place", "water", "waterway"}:
            assert p["name"] is None
    kinds = [f["properties"]["kind"] for f in feats]
    assert [KINDS.index(k) for k in kinds] == sorted(KINDS.index(k) for k in kinds)  # drawing
    names = {(f["properties"]["kind"], f["properties"]["name"]) for f in feats}
    assert {("place", "Vaduz"), ("place", "Schaan"), ("water", "Rhein")} <= names


def test_kinds_filter(client, basemap):
    fc = client.get("/basemap", params={"kinds": "water, place"}).json()
    assert {f["properties"]["kind"] for f in fc["features"]} == {"water", "place"}
    every = [f for f in basemap["features"] if f["properties"]["kind"] in {"water", "place"}]
    assert fc["features"] == every


def test_bbox_filter(client, basemap):
    fc = client.get("/basemap", params={"bbox": VADUZ_BBOX, "kinds": "place"}).json()
    names = {f["properties"]["name"] for f in fc["features"]}
    assert "Vaduz" in names and "Malbun" not in names
    box = shapely.box(*map(float, VADUZ_BBOX.split(",")))
    fc = client.get("/basemap", params={"bbox": VADUZ_BBOX}).json()
    assert 0 < len(fc["features"]) < len(basemap["features"])
    assert all(shape(f["geometry"]).intersects(box) for f in fc["features"])
    assert fc["available"] is True


@pytest.mark.parametrize(
    ("params", "name"),
    [({"bbox": "9.5,47.1,9.4"}, "bbox"), ({"bbox": "9.6,47.1,9.5,47.2"}, "bbox"),
     ({"bbox": "a,b,c,d"}, "bbox"), ({"kinds": "water,lava"}, "kinds"),
     ({"kinds": "Water"}, "kinds")],
)  # fmt: skip
def test_bad_values_name_the_parameter(client, params, name):
    r = client.get("/basemap", params=params)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith(name) and "\n" not in detail


def test_head(client):
    r = client.head("/basemap", params={"kinds": "place"})
    assert r.status_code == 200 and r.content == b""


def test_a_build_without_a_basemap_answers_an_empty_collection(app_build_dir, tmp_path):
    build = tmp_path / "old"
    shutil.copytree(app_build_dir, build)
    (build / "basemap.parquet").unlink()
    restamp(build)  # as a build made before basemaps: its manifest does not list one
    with TestClient(create_app(make_settings(build=str(build)))) as c:
        r = c.get("/basemap", params={"bbox": VADUZ_BBOX, "kinds": "water"})
        assert r.status_code == 200
        fc = r.json()
        assert fc["features"] == [] and fc["available"] is False
        assert "no basemap" in fc["detail"] and "bereik build --force" in fc["detail"]
        assert_geojson(fc)
        assert c.get("/basemap", params={"kinds": "lava"}).status_code == 422
