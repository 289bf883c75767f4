"""HTTP contract of the layers: GeoJSON shape, OGC collections, filters, CSV, 404s."""

from __future__ import annotations

import csv
import io
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from app_helpers import GEOJSON, TestClient, assert_geojson, make_settings, restamp

from app.main import create_app


def test_health_lists_the_build(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["builds"] == ["demo"] and body["default_build"] == "demo"


def test_builds_describe_categories_profiles_and_limits(client):
    body = client.get("/builds").json()
    (b,) = body["builds"]
    assert b["profiles"] == ["car", "bike", "walk"]
    cats = {c["id"]: c for c in b["categories"]}
    assert cats["gp"]["facilities"] == 0 and cats["supermarket"]["facilities"] == 11
    assert b["villages"] == 19
    assert body["limits"]["max_minutes"] == 60
    assert "OpenStreetMap" in b["attribution"]


def test_villages_geojson(client, villages_fc):
    r = client.get("/villages")
    assert r.headers["content-type"] == GEOJSON
    assert_geojson(villages_fc)
    assert len(villages_fc["features"]) == 19
    f = villages_fc["features"][0]
    assert f["geometry"]["type"] == "Point"
    assert f["id"] == f["properties"]["village_id"]
    assert {"village_name", "population", "municipality"} <= set(f["properties"])


def test_unknown_population_is_null_not_nan(villages_fc):
    pops = [f["properties"]["population"] for f in villages_fc["features"]]
    assert None in pops and all(p is None or p > 0 for p in pops)


def test_villages_with_an_indicator_for_map_colouring(client):
    fc = client.get("/villages", params={"category": "supermarket", "profile": "car"}).json()
    props = [f["properties"] for f in fc["features"]]
    assert all(p["category"] == "supermarket" and p["profile"] == "car" for p in props)
    assert all(p["distance_m"] > 0 and p["reason"] is None for p in props)
    assert {"travel_time_s", "nearest_by_distance_id", "count_1km"} <= set(props[0])


def test_no_gp_in_the_demo_gives_null_with_reason(client):
    fc = client.get("/villages", params={"category": "gp", "profile": "car"}).json()
    for f in fc["features"]:
        p = f["properties"]
        assert p["distance_m"] is None and p["travel_time_s"] is None
        assert p["reason"] == "no_facility"


def test_villages_filter_by_municipality_case_insensitive(client):
    fc = client.get("/villages", params={"municipality": "triesenberg"}).json()
    names = {f["properties"]["village_name"] for f in fc["features"]}
    assert names == {"Triesenberg", "Malbun", "Rotenboden", "Steg"}
    assert client.get("/villages", params={"municipality": "Nowhere"}).json()["features"] == []


def test_category_alone_means_car_and_profile_alone_is_a_clear_422(client):
    fc = client.get("/villages", params={"category": "supermarket"}).json()
    assert {f["properties"]["profile"] for f in fc["features"]} == {"car"}
    r = client.get("/villages", params={"profile": "bike"})
    assert r.status_code == 422
    assert "needs a category" in r.json()["detail"]


def test_one_village_has_every_indicator_flat(client):
    r = client.get("/villages/node/240079149")
    assert r.status_code == 200 and r.headers["content-type"] == GEOJSON
    f = r.json()
    assert f["type"] == "Feature" and f["id"] == "node/240079149"
    p = f["properties"]
    assert p["village_name"] == "Schaan"
    cats = [c["id"] for c in client.get("/builds").json()["builds"][0]["categories"]]
    for cat in cats:
        for prof in ("car", "bike", "walk"):
            for field in ("distance_m", "travel_time_s", "reason", "count_1km"):
                assert f"{cat}_{prof}_{field}" in p
    assert all(not isinstance(v, (dict, list)) for v in p.values()), "properties are flat"
    assert p["gp_car_distance_m"] is None and p["gp_car_reason"] == "no_facility"
    assert p["supermarket_walk_distance_m"] > 0


@pytest.mark.parametrize("path", ["/villages/node/1", "/villages/nope",
                                  "/collections/villages/items/node/1",
                                  "/collections/nope", "/collections/nope/items"])  # fmt: skip
def test_unknown_ids_are_404(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_facilities_by_category(client):
    r = client.get("/facilities", params={"category": "supermarket"})
    assert r.headers["content-type"] == GEOJSON
    fc = r.json()
    assert_geojson(fc)
    assert len(fc["features"]) == 11
    assert {f["properties"]["category"] for f in fc["features"]} == {"supermarket"}
    assert client.get("/facilities", params={"category": "gp"}).json()["features"] == []


def test_unknown_category_names_the_choices(client):
    r = client.get("/facilities", params={"category": "bakery"})
    assert r.status_code == 404
    assert "bakery" in r.json()["detail"] and "supermarket" in r.json()["detail"]


def test_municipalities_polygons_and_aggregates(client):
    fc = client.get("/municipalities", params={"category": "supermarket",
                                               "profile": "car"}).json()  # fmt: skip
    assert_geojson(fc)
    by_name = {f["properties"]["municipality"]: f for f in fc["features"]}
    assert "Vaduz" in by_name
    vaduz = by_name["Vaduz"]
    assert vaduz["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert vaduz["properties"]["villages"] == 2
    assert vaduz["properties"]["mean_distance_m"] > 0
    assert "share_beyond_1km" in vaduz["properties"]


def test_ogc_collections(client):
    body = client.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == ["villages", "facilities", "municipalities", "white_areas", "edges_car",
                   "edges_bike", "edges_walk", "addresses", "persons_grid"]  # fmt: skip
    villages = body["collections"][0]
    assert villages["itemType"] == "feature"
    assert len(villages["extent"]["spatial"]["bbox"][0]) == 4
    assert any(link["rel"] == "items" for link in villages["links"])


def test_ogc_items_paging(client):
    r = client.get("/collections/villages/items", params={"limit": 5, "offset": 5})
    assert r.status_code == 200 and r.headers["content-type"] == GEOJSON
    fc = r.json()
    assert_geojson(fc)
    assert fc["numberMatched"] == 19 and fc["numberReturned"] == 5
    rels = {link["rel"]: link["href"] for link in fc["links"]}
    assert {"self", "next", "prev"} <= set(rels)
    nxt = client.get(rels["next"]).json()
    assert nxt["features"][0]["id"] not in {f["id"] for f in fc["features"]}
    last = client.get("/collections/villages/items", params={"offset": 15}).json()
    assert last["numberReturned"] == 4
    assert "next" not in {link["rel"] for link in last["links"]}


def test_ogc_items_bbox_and_filters(client, villages_fc):
    bbox = "9.50,47.10,9.53,47.15"  # Vaduz, Triesen, Ebenholz
    fc = client.get("/collections/villages/items", params={"bbox": bbox}).json()
    assert {f["properties"]["village_name"] for f in fc["features"]} == {
        "Vaduz", "Triesen", "Ebenholz"}  # fmt: skip
    fc = client.get("/collections/facilities/items", params={"category": "library"}).json()
    assert fc["numberMatched"] == 1


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,50,9,51"])
def test_bad_bbox_is_400(client, bbox):
    # OGC API Features Part 1, 7.6: an invalid parameter value is a 400 on its resources
    r = client.get("/collections/villages/items", params={"bbox": bbox})
    assert r.status_code == 400 and "bbox" in r.json()["detail"]


def test_filter_that_does_not_apply_is_400(client):
    r = client.get("/collections/facilities/items", params={"municipality": "Vaduz"})
    assert r.status_code == 400 and "does not apply" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [("/collections/villages/items", {"limt": "5"}),
     ("/collections/villages/items", {"limit": "abc"}),
     ("/collections/villages", {"foo": "1"}),
     ("/collections", {"bbox": "9,47,10,48"}),
     ("/collections/villages/items/node/240079149", {"x": "1"}),
     ("/", {"f": "xml"})],
)  # fmt: skip
def test_unknown_and_invalid_parameters_are_400_on_ogc_resources(client, path, params):
    r = client.get(path, params=params)
    assert r.status_code == 400, r.text
    name = next(iter(params))
    assert name in r.json()["detail"]


def test_other_resources_keep_422_and_ignore_nothing_they_declare(client):
    r = client.get("/villages", params={"category": "supermarket", "profile": "horse"})
    assert r.status_code == 422


def test_head_answers_like_get_without_a_body(client):
    for path in ("/collections/villages/items", "/collections", "/", "/health"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert int(head.headers["content-length"]) == len(get.content)
    assert client.head("/collections/nope").status_code == 404


def test_openapi_declares_the_page_size_and_conformance_matches(client, app_settings):
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/limit"} in params
    limit = spec["components"]["parameters"]["limit"]["schema"]  # where QGIS reads it
    assert limit["default"] == app_settings.default_items
    assert limit["maximum"] == app_settings.max_items and limit["minimum"] == 1
    version = spec["openapi"]
    desc = next(x for x in client.get("/", params={"f": "json"}).json()["links"]
                if x["rel"] == "service-desc")  # fmt: skip
    assert desc["type"].endswith(f"version={version[:3]}")
    classes = client.get("/conformance").json()["conformsTo"]
    assert any(c.endswith("/conf/core") for c in classes)
    assert version.startswith("3.0") or not any(c.endswith("/oas30") for c in classes)


def test_edge_collections_report_the_roads_extent(client, demo_build):
    from accessibility.crs import to_wgs84

    for profile, net in demo_build.networks.items():
        c = client.get(f"/collections/edges_{profile}").json()
        lon, lat = to_wgs84(net.coord_x, net.coord_y, net.crs)
        expected = [lon.min(), lat.min(), lon.max(), lat.max()]
        assert c["extent"]["spatial"]["bbox"][0] == pytest.approx(expected, abs=2e-6)
    villages = client.get("/collections/villages").json()["extent"]["spatial"]["bbox"][0]
    assert villages != c["extent"]["spatial"]["bbox"][0]


def test_ogc_single_item(client):
    r = client.get("/collections/villages/items/node/240079149")
    assert r.status_code == 200 and r.headers["content-type"] == GEOJSON
    f = r.json()
    assert f["properties"]["village_name"] == "Schaan"
    assert any(link["rel"] == "collection" for link in f["links"])


def test_network_edges_as_backdrop(client):
    fc = client.get("/collections/edges_car/items", params={"limit": 50}).json()
    assert_geojson(fc)
    assert fc["numberMatched"] > 3000 and fc["numberReturned"] == 50
    assert fc["features"][0]["geometry"]["type"] == "LineString"
    assert {"length_m", "travel_time_s", "highway"} <= set(fc["features"][0]["properties"])


def test_csv_output(client):
    r = client.get("/collections/villages/items", params={"f": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 19 and {"village_id", "lon", "lat"} <= set(rows[0])
    r = client.get("/villages", params={"f": "csv", "category": "gp", "profile": "car"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["distance_m"] for row in rows} == {""} and rows[0]["reason"] == "no_facility"
    r = client.get("/collections/municipalities/items", params={"f": "csv", "limit": 1})
    assert "wkt" in next(csv.DictReader(io.StringIO(r.text)))


def test_limit_over_max_items_names_the_limit(client):
    r = client.get("/collections/edges_car/items", params={"limit": 10_001})
    assert r.status_code == 400 and "max_items" in r.json()["detail"]


def test_extra_village_columns_pass_through(app_build_dir, tmp_path):
    """Columns another issue adds to the villages table (broadband) reach the API as is."""
    build = tmp_path / "bb"
    shutil.copytree(app_build_dir, build)
    v = gpd.read_parquet(build / "villages.parquet")
    v["max_mbps"] = np.where(np.arange(len(v)) % 2 == 0, 100.0, np.nan)
    v["broadband_class"] = ["nga" if i % 2 == 0 else None for i in range(len(v))]
    v["double_disadvantage"] = np.arange(len(v)) == 1
    v.to_parquet(build / "villages.parquet")
    restamp(build)
    with TestClient(create_app(make_settings(build=str(build)))) as c:
        fc = c.get("/villages", params={"category": "gp", "profile": "car"}).json()
        item = c.get("/collections/villages/items", params={"limit": 2}).json()
    p0, p1 = fc["features"][0]["properties"], fc["features"][1]["properties"]
    assert (p0["max_mbps"], p0["broadband_class"], p0["double_disadvantage"]) == (100.0, "nga",
                                                                                 False)  # fmt: skip
    assert (p1["max_mbps"], p1["broadband_class"], p1["double_disadvantage"]) == (None, None,
                                                                                 True)  # fmt: skip
    assert item["features"][1]["properties"]["double_disadvantage"] is True


def test_broadband_columns_and_filters(client):
    b = client.get("/builds").json()["builds"][0]
    assert b["synthetic_coverage"] is True and "coverage" not in b["broadband"]
    fc = client.get("/villages").json()
    props = [f["properties"] for f in fc["features"]]
    assert {"max_mbps", "broadband_class", "share_white", "double_disadvantage"} <= set(props[0])
    white = client.get("/villages", params={"white": "true"}).json()["features"]
    assert white and all(f["properties"]["broadband_class"] == "white" for f in white)
    other = client.get("/villages", params={"white": "false"}).json()["features"]
    assert len(white) + len(other) == len(props)
    dd = client.get("/collections/villages/items", params={"double_disadvantage": "true"}).json()
    assert [f["properties"]["village_name"] for f in dd["features"]] == ["Malbun"]


def test_white_areas_collection(client):
    fc = client.get("/collections/white_areas/items", params={"limit": 5}).json()
    assert_geojson(fc)
    assert fc["numberReturned"] == 5 and fc["numberMatched"] > 5
    f = fc["features"][0]
    assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert f["properties"]["area_m2"] > 0 and f["properties"]["synthetic"] is True
    assert "SYNTHETIC" in client.get("/collections/white_areas").json()["description"]


def test_build_without_broadband(app_build_dir, tmp_path):
    build = tmp_path / "nobb"
    shutil.copytree(app_build_dir, build)
    (build / "white_areas.parquet").unlink(missing_ok=True)
    v = gpd.read_parquet(build / "villages.parquet")
    v = v.drop(columns=[c for c in v.columns if c in {"max_mbps", "broadband_class",
               "share_white", "share_basic", "share_nga", "double_disadvantage"}])  # fmt: skip
    v.to_parquet(build / "villages.parquet")
    restamp(build)
    with TestClient(create_app(make_settings(build=str(build)))) as c:
        r = c.get("/villages", params={"white": "true"})
        assert r.status_code == 422 and "broadband" in r.json()["detail"]
        ids = [x["id"] for x in c.get("/collections").json()["collections"]]
        assert "white_areas" not in ids
        assert c.get("/collections/white_areas/items").status_code == 404


#: the routes that offer CSV, with the column that is each GeoJSON Feature's id
CSV_ROUTES = [
    ("/villages", "village_id"),
    ("/facilities", "facility_id"),
    ("/municipalities", "municipality"),
    ("/double-disadvantage", "village_id"),
    ("/collections/villages/items", "village_id"),
]


def _csv_rows(r):
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="')
    return list(csv.DictReader(io.StringIO(r.text)))


def _feature_ids(r):
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GEOJSON
    fc = r.json()
    assert_geojson(fc)
    return [str(f["id"]) for f in fc["features"]]


@pytest.mark.parametrize(("path", "id_column"), CSV_ROUTES)
def test_accept_text_csv_gives_the_same_rows_as_csv(client, path, id_column):
    ids = _feature_ids(client.get(path))
    rows = _csv_rows(client.get(path, headers={"Accept": "text/csv"}))
    assert ids and [row[id_column] for row in rows] == ids
    assert rows == _csv_rows(client.get(path, params={"f": "csv"}))


def test_accept_text_csv_rows_hold_the_layer_values(client):
    rows = _csv_rows(client.get("/double-disadvantage", headers={"Accept": "text/csv"}))
    assert [(r["village_name"], r["rank"], r["remote_categories"]) for r in rows] == [
        ("Malbun", "1", "supermarket")]  # fmt: skip
    assert float(rows[0]["lon"]) == pytest.approx(9.608395)
    rows = _csv_rows(client.get("/villages", params={"category": "gp", "profile": "car"},
                                headers={"Accept": "text/csv"}))  # fmt: skip
    assert len(rows) == 19 and {r["reason"] for r in rows} == {"no_facility"}
    rows = _csv_rows(client.get("/facilities", params={"category": "supermarket"},
                                headers={"Accept": "text/csv"}))  # fmt: skip
    assert len(rows) == 11 and {r["category"] for r in rows} == {"supermarket"}
    rows = _csv_rows(client.get("/collections/villages/items", params={"limit": 3},
                                headers={"Accept": "text/csv"}))  # fmt: skip
    assert len(rows) == 3 and {"village_id", "lon", "lat"} <= set(rows[0])
    rows = _csv_rows(client.get("/municipalities", headers={"Accept": "text/csv"}))
    assert "Vaduz" in {r["municipality"] for r in rows} and "wkt" in rows[0]


@pytest.mark.parametrize(("path", "id_column"), CSV_ROUTES)
def test_f_wins_over_accept(client, path, id_column):
    ids = _feature_ids(client.get(path, params={"f": "geojson"}, headers={"Accept": "text/csv"}))
    rows = _csv_rows(client.get(path, params={"f": "csv"},
                                headers={"Accept": "application/geo+json"}))  # fmt: skip
    assert ids and [row[id_column] for row in rows] == ids


def test_f_json_is_geojson_on_ogc_items_only(client):
    path = "/collections/villages/items"
    ids = _feature_ids(client.get(path, params={"f": "json"}, headers={"Accept": "text/csv"}))
    assert len(ids) == 19
    r = client.get("/villages", params={"f": "json"})
    assert r.status_code == 422
    assert r.json()["detail"] == (
        "query parameter 'f': Input should be 'geojson' or 'csv' (got 'json')")  # fmt: skip
    r = client.get(path, params={"f": "xml"}, headers={"Accept": "text/csv"})
    assert r.status_code == 400 and "'json', 'geojson' or 'csv'" in r.json()["detail"]


@pytest.mark.parametrize("accept", [
    "*/*", "application/geo+json", "application/json", "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "text/csv;q=0.5, application/geo+json", "text/csv, application/json", "text/csv;q=0",
])  # fmt: skip
def test_other_accept_headers_give_geojson(client, accept):
    ids = _feature_ids(client.get("/facilities", headers={"Accept": accept}))
    assert len(ids) == 249  # every facility row of the sample


@pytest.mark.parametrize("accept", [
    "text/csv", "text/csv; charset=utf-8", "application/geo+json;q=0.5, text/csv",
    "text/html, text/csv", "*/*;q=0.1, text/csv",
])  # fmt: skip
def test_accept_preferring_csv_gives_csv(client, accept):
    rows = _csv_rows(client.get("/facilities", headers={"Accept": accept}))
    assert len(rows) == 249 and {"facility_id", "category", "lon", "lat"} <= set(rows[0])


def test_list_routes_document_only_their_filters(client):
    spec = client.get("/openapi.json").json()
    paths, shared = spec["paths"], spec["components"]["parameters"]

    def query_names(path):
        params = [shared[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                  for p in paths[path]["get"]["parameters"]]  # fmt: skip
        return [p["name"] for p in params if p["in"] == "query"]

    assert query_names("/villages") == ["municipality", "category", "profile", "method",
                                        "white", "double_disadvantage", "f", "build"]  # fmt: skip
    assert query_names("/facilities") == ["category", "f", "build"]
    assert query_names("/municipalities") == ["category", "profile", "method", "f", "build"]
    assert query_names("/double-disadvantage") == ["f", "build"]
    assert query_names("/collections/{collectionId}/items") == [
        "bbox", "bbox-crs", "crs", "municipality", "category", "profile", "method", "white",
        "double_disadvantage", "f", "build", "limit", "offset"]  # fmt: skip
    ops = [paths[p]["get"]["operationId"] for p in
           ("/villages", "/facilities", "/municipalities", "/double-disadvantage")]  # fmt: skip
    assert ops == ["list_villages", "list_facilities", "list_municipalities",
                   "list_double_disadvantage"]  # fmt: skip


def test_ogc_villages_and_municipalities_carry_every_indicator_as_a_column(client, demo_build):
    """One feature per village (municipality) with <category>_<profile>_<field> columns,
    equal to the long indicator table, numbers as JSON numbers (QGIS types them Real)."""
    fc = client.get("/collections/villages/items").json()
    assert fc["numberMatched"] == len(fc["features"]) == 19
    ind = demo_build.indicators
    for f in fc["features"]:
        p = f["properties"]
        mine = ind[ind["village_id"] == p["village_id"]]
        assert len(mine) == len(demo_build.categories) * len(demo_build.profiles)
        for r in mine.itertuples():
            d = p[f"{r.category}_{r.profile}_distance_m"]
            t = p[f"{r.category}_{r.profile}_travel_time_s"]
            assert (d is None) == pd.isna(r.distance_m) and (t is None) == pd.isna(r.travel_time_s)
            if d is not None:
                assert isinstance(d, float) and d == pytest.approx(r.distance_m, abs=0.05)
                assert t == pytest.approx(r.travel_time_s, abs=0.05)
            assert p[f"{r.category}_{r.profile}_count_5km"] == r.count_5km
    mfc = client.get("/collections/municipalities/items").json()
    names = [f["properties"]["municipality"] for f in mfc["features"]]
    assert len(names) == len(set(names)) == 11
    p = mfc["features"][0]["properties"]
    assert "supermarket_car_mean_distance_m" in p and "supermarket_walk_share_beyond_1km" in p
    # with a category: one indicator, as before (and as /villages gives it)
    one = client.get("/collections/villages/items", params={"category": "gp"}).json()
    assert "gp_car_distance_m" not in one["features"][0]["properties"]


def test_served_figures_are_rounded_at_the_edge(client):
    """0.1 m, 0.1 s, 0.1 Mbit/s, whole persons, 6-decimal lon/lat (no float noise)."""
    fc = client.get("/collections/villages/items").json()
    for f in fc["features"]:
        p = f["properties"]
        assert p["population"] is None or isinstance(p["population"], int)
        for k, v in p.items():
            if isinstance(v, float) and k.endswith(("_m", "_s", "_mbps")):
                assert round(v, 1) == v, (k, v)
        assert round(p["lon"], 6) == p["lon"] and round(p["lat"], 6) == p["lat"]
        assert p["max_mbps"] is None or round(p["max_mbps"], 1) == p["max_mbps"]
    rows = _csv_rows(client.get("/collections/villages/items", params={"f": "csv"}))
    assert all("." not in r["population"] for r in rows)
    d = rows[0]["supermarket_car_distance_m"]
    assert d == "" or len(d.split(".")[-1]) <= 1


RD = "http://www.opengis.net/def/crs/EPSG/0/28992"


def test_items_in_rd_new_on_request(client):
    """OGC API Features Part 2: crs=RD New gives metres (checked against pyproj), says so
    in Content-Crs, and bbox-crs takes a box in metres."""
    from pyproj import Transformer

    coll = client.get("/collections/villages").json()
    assert RD in coll["crs"] and coll["crs"][0].endswith("CRS84")
    assert coll["storageCrs"].endswith("CRS84")
    wgs = client.get("/collections/villages/items").json()
    assert client.get("/collections/villages/items").headers["content-crs"].endswith("CRS84>")
    r = client.get("/collections/villages/items", params={"crs": RD})
    assert r.status_code == 200 and r.headers["content-crs"] == f"<{RD}>"
    rd = r.json()
    to_rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    for a, b in zip(wgs["features"], rd["features"], strict=True):
        assert a["id"] == b["id"]
        x, y = to_rd.transform(*a["geometry"]["coordinates"])
        assert b["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.1)
    short = client.get("/collections/villages/items", params={"crs": "EPSG:28992"}).json()
    assert short["features"] == rd["features"]
    # a box in RD New metres around Vaduz's village point
    vaduz = next(f for f in rd["features"] if f["properties"]["village_name"] == "Vaduz")
    x, y = vaduz["geometry"]["coordinates"]
    box = f"{x - 500},{y - 500},{x + 500},{y + 500}"
    hit = client.get("/collections/villages/items",
                     params={"bbox": box, "bbox-crs": RD}).json()  # fmt: skip
    assert [f["properties"]["village_name"] for f in hit["features"]] == ["Vaduz"]
    poly = client.get("/collections/municipalities/items", params={"crs": RD, "limit": 1}).json()
    assert_geojson_metric(poly)


def assert_geojson_metric(fc):
    for f in fc["features"]:
        if f["geometry"] is not None:
            from app_helpers import assert_ring_orientation, coordinates

            assert all(round(v, 2) == v for v in coordinates(f["geometry"]))
            assert max(coordinates(f["geometry"])) > 1000  # metres, not degrees
            assert_ring_orientation(f["geometry"])


@pytest.mark.parametrize(("params", "word"), [
    ({"crs": "EPSG:3857"}, "crs"), ({"crs": "EPSG:28992", "f": "csv"}, "CSV"),
    ({"bbox": "1,2,3,4", "bbox-crs": "nonsense"}, "bbox-crs"),
])  # fmt: skip
def test_crs_not_offered_is_400(client, params, word):
    r = client.get("/collections/villages/items", params=params)
    assert r.status_code == 400 and word in r.json()["detail"]


def test_ogc_facilities_have_unique_ids(client):
    """A place in two categories is one feature with both (OGC ids are unique)."""
    fc = client.get("/collections/facilities/items").json()
    ids = [f["id"] for f in fc["features"]]
    assert len(ids) == len(set(ids)) == fc["numberMatched"] == 248
    dux = client.get("/collections/facilities/items/way/318292118").json()
    assert dux["properties"]["category"] == "restaurant;hotel"
    hotels = client.get("/collections/facilities/items", params={"category": "hotel"}).json()
    assert "way/318292118" in [f["id"] for f in hotels["features"]]
    assert len(client.get("/facilities").json()["features"]) == 249  # one row per category


def test_builds_tell_the_state_of_the_matrix_index(client):
    (b,) = client.get("/builds").json()["builds"]
    assert set(b["matrix_index"]) == {"car", "bike", "walk"}
    assert set(b["matrix_index"].values()) <= {"none", "preparing", "ready", "unavailable"}
    pts = [[9.5228, 47.1393], [9.5208, 47.1401]]
    r = client.post("/matrix", json={"profile": "car", "sources": pts, "destinations": pts})
    assert r.status_code == 200
    (b,) = client.get("/builds").json()["builds"]
    assert b["matrix_index"]["car"] == "ready"  # the sample is small: made on the first matrix
