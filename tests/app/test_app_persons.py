"""The figures over persons through the API: the default where the build has origins, the
village point with ``method=place_point``, and ``method`` in every feature."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from app_helpers import TestClient, make_settings

from accessibility.build import run_build
from accessibility.params import BuildParams
from app.main import create_app
from tests.conftest import LIECHTENSTEIN


def _props(client, path, **params):
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return [f["properties"] for f in r.json()["features"]]


def test_builds_say_the_default_method_and_the_origins(client):
    b = client.get("/builds").json()["builds"][0]
    assert b["default_method"] == "persons"
    assert b["origins"]["kind"] == "osm" and b["origins"]["origins"] > 1000
    assert b["origins"]["methods"] == {"dwellings": b["origins"]["origins"]}


def test_villages_default_to_the_mean_over_persons(client, app_build_dir):
    persons = pd.read_csv(app_build_dir / "persons_villages.csv")
    sel = persons.query("category == 'supermarket' and profile == 'car'").set_index("village_id")
    props = _props(client, "/villages", category="supermarket", profile="car")
    with_origins = [p for p in props if p["village_id"] in sel.index]
    assert len(with_origins) >= 15
    for p in with_origins:
        row = sel.loc[p["village_id"]]
        # served rounded: 0.1 m (accessibility.precision), persons whole
        assert p["method"] == "dwellings" and p["distance_m"] == pytest.approx(
            row["mean_distance_m"], abs=0.05
        )
        assert p["p90_distance_m"] == pytest.approx(row["p90_distance_m"], abs=0.05)
        assert p["persons"] == round(row["persons"])
    # a village without any address keeps its point's figure, and says so
    assert all(p["method"] == "place_point" for p in props if p["village_id"] not in sel.index)


def test_place_point_on_request(client, app_build_dir):
    ind = pd.read_csv(app_build_dir / "indicators.csv")
    sel = ind.query("category == 'supermarket' and profile == 'car'").set_index("village_id")
    props = _props(client, "/villages", category="supermarket", method="place_point")
    assert {p["method"] for p in props} == {"place_point"}
    for p in props:
        assert p["distance_m"] == pytest.approx(sel.loc[p["village_id"], "distance_m"], abs=0.05)
        assert p["nearest_by_distance_id"] == sel.loc[p["village_id"], "nearest_by_distance_id"]


def test_municipalities_over_persons_and_place_point(client, app_build_dir):
    pm = pd.read_csv(app_build_dir / "persons_municipalities.csv")
    pm = pm.query("category == 'supermarket' and profile == 'car'").set_index("municipality")
    props = {p["municipality"]: p for p in _props(client, "/municipalities",
                                                   category="supermarket")}  # fmt: skip
    assert props["Vaduz"]["method"] == "dwellings"
    assert props["Vaduz"]["mean_distance_m"] == pytest.approx(
        pm.loc["Vaduz", "mean_distance_m"], abs=0.05
    )
    assert props["Vaduz"]["distance_m"] == props["Vaduz"]["mean_distance_m"]
    place = _props(client, "/municipalities", category="supermarket", method="place_point")
    place = {p["municipality"]: p for p in place}
    assert place["Vaduz"]["method"] == "place_point" and place["Vaduz"]["weighting"] == "population"
    items = _props(client, "/collections/municipalities/items", category="supermarket",
                   method="persons")  # fmt: skip
    assert {p["method"] for p in items if p["municipality"] in pm.index} == {"dwellings"}


@pytest.mark.parametrize(
    ("params", "words"),
    [({"method": "persons"}, "needs a category="),
     ({"category": "gp", "method": "people"}, "method")],
)  # fmt: skip
def test_bad_method_is_a_clear_422(client, params, words):
    r = client.get("/villages", params=params)
    assert r.status_code == 422 and words in r.json()["detail"]


def test_a_build_without_origins_serves_place_points(tmp_path):
    out = tmp_path / "plain"
    run_build(BuildParams(extract=LIECHTENSTEIN, profiles=("car",), origins=False), out)
    assert not (out / "persons_villages.csv").exists()
    with TestClient(create_app(make_settings(build=str(out)))) as c:
        assert c.get("/builds").json()["builds"][0]["default_method"] == "place_point"
        props = _props(c, "/villages", category="supermarket")
        assert {p["method"] for p in props} == {"place_point"}
        r = c.get("/villages", params={"category": "supermarket", "method": "persons"})
        assert r.status_code == 422 and "method 'persons' is not in build" in r.json()["detail"]


def test_scenarios_count_persons(client, app_build_dir):
    ind = pd.read_csv(app_build_dir / "indicators.csv")
    target = ind.query("category == 'supermarket' and profile == 'car'")[
        "nearest_by_distance_id"].value_counts().index[0]  # fmt: skip
    r = client.post("/scenarios", json={"close": [target], "profile": "car"})
    assert r.status_code == 200, r.text
    (p,) = r.json()["persons"]
    assert p["category"] == "supermarket" and p["method"] == "dwellings"
    assert 0 < p["weight_worse"] <= p["weight"] and p["newly_beyond_5km"] <= p["weight_worse"]


def test_double_disadvantage_ranks_by_persons(client, app_build_dir):
    dd = client.get("/double-disadvantage").json()["features"]
    persons = pd.read_csv(app_build_dir / "persons_villages.csv")
    for f in dd:
        p = f["properties"]
        rows = persons[(persons["village_id"] == p["village_id"]) & (persons["profile"] == "car")]
        if len(rows):  # a village with addresses: its persons, not its OSM population tag
            assert p["population"] == pytest.approx(rows["persons"].iloc[0])


def test_worst_addresses_collection(client, app_build_dir):
    import geopandas as gpd

    r = client.get("/collections/addresses/items", params={"category": "supermarket",
                                                           "limit": 5})  # fmt: skip
    assert r.status_code == 200, r.text
    fc = r.json()
    addr = gpd.read_parquet(app_build_dir / "addresses.parquet")
    assert fc["numberMatched"] == len(addr)
    got = [f["properties"]["distance_m"] for f in fc["features"]]
    expected = sorted(addr["supermarket_distance_m"].astype(float), reverse=True)[:5]
    assert got == [round(d, 1) for d in expected]
    assert fc["features"][0]["properties"]["method"] == "dwellings"


def test_persons_grid_collection(client, app_build_dir):
    import geopandas as gpd

    grid = gpd.read_parquet(app_build_dir / "persons_grid.parquet")
    addr = gpd.read_parquet(app_build_dir / "addresses.parquet")
    assert grid["origins"].sum() == len(addr)
    assert grid["weight"].sum() == pytest.approx(addr["weight"].sum())
    r = client.get("/collections/persons_grid/items", params={"category": "supermarket",
                                                              "limit": 10000})  # fmt: skip
    fc = r.json()
    assert fc["numberMatched"] == len(grid)
    # each cell's mean: the weighted mean of the addresses inside it (250 m cells in the
    # build's metric CRS, named <column>_<row>)
    crs = json.loads((app_build_dir / "manifest.json").read_text())["crs"]
    one = max(fc["features"], key=lambda f: f["properties"]["origins"])
    col, row = (int(v) for v in one["properties"]["cell_id"].split("_"))
    xy = addr.to_crs(crs).geometry
    inside = addr[(np.floor(xy.x / 250) == col) & (np.floor(xy.y / 250) == row)]
    assert len(inside) == one["properties"]["origins"]
    expect = np.average(inside["supermarket_distance_m"], weights=inside["weight"])
    assert one["properties"]["distance_m"] == pytest.approx(expect, abs=0.05)  # served to 0.1 m
    cell = shapely.geometry.shape(one["geometry"])
    assert shapely.contains_xy(cell.buffer(1e-5), inside.geometry.x, inside.geometry.y).all()
