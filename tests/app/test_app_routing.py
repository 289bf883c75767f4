"""HTTP contract of the request-time routing: isochrones, catchments, matrices, limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from app_helpers import GEOJSON, assert_geojson
from shapely.geometry import shape

VADUZ_COOP = (9.520833, 47.140104)  # a supermarket on the main road in Vaduz
SCHAAN = (9.510312, 47.16634)


def _iso(client, **params):
    return client.get("/isochrones", params={"lon": VADUZ_COOP[0], "lat": VADUZ_COOP[1],
                                             **params})  # fmt: skip


def test_isochrones_nest_and_are_valid(client):
    r = _iso(client, profile="car", minutes="10,5")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GEOJSON
    fc = r.json()
    assert_geojson(fc)
    assert [f["properties"]["minutes"] for f in fc["features"]] == [5.0, 10.0]
    p5, p10 = (shape(f["geometry"]) for f in fc["features"])
    assert p5.is_valid and p10.is_valid
    assert fc["features"][0]["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    # nested (up to the 1e-6 degree rounding of the output)
    assert p5.difference(p10).area <= 1e-6 * p5.area
    assert p10.area > p5.area
    assert p5.contains(shapely.Point(VADUZ_COOP))
    props = fc["features"][0]["properties"]
    assert props["profile"] == "car" and props["direction"] == "from"
    assert props["unit"] == "minutes" and props["meters"] is None
    assert props["location_index"] == 0 and props["snap_distance_m"] < 50
    assert fc["features"][1]["properties"]["area_m2"] > props["area_m2"] > 0


@pytest.mark.parametrize(("direction", "unit", "values"),
                         [("from", "minutes", "3,10"), ("to", "meters", "2000,6000")])  # fmt: skip
def test_isochrone_villages_are_those_within_by_network_cost(client, villages_fc, direction,
                                                             unit, values):  # fmt: skip
    """The villages (and population) of a contour are those whose network cost from (or
    to) the location is within it: the matrix is the oracle, not the polygon."""
    fc = _iso(client, profile="car", direction=direction, **{unit: values}).json()
    vil = [f["properties"] for f in villages_fc["features"]]
    pts = [[v["lon"], v["lat"]] for v in vil]
    body = ({"sources": [list(VADUZ_COOP)], "destinations": pts} if direction == "from"
            else {"sources": pts, "destinations": [list(VADUZ_COOP)]})  # fmt: skip
    m = client.post("/matrix", json={"profile": "car", **body}).json()
    key = "durations_s" if unit == "minutes" else "distances_m"
    cost = np.array(m[key], dtype=float).ravel()  # None -> nan
    factor = 60.0 if unit == "minutes" else 1.0
    for f in fc["features"]:
        p = f["properties"]
        limit = p[unit] * factor
        assert not np.any(np.abs(cost - limit) < 1.0)  # no village on the edge of a contour
        inside = [v for v, c in zip(vil, cost, strict=True) if c <= limit]
        assert p["villages"] == len(inside)
        known = [v["population"] for v in inside if v["population"] is not None]
        assert p["population"] == (pytest.approx(sum(known)) if known else None)
        assert p["villages_without_population"] == len(inside) - len(known)
    assert 0 < fc["features"][0]["properties"]["villages"] < 19


def test_isochrones_by_distance_and_direction(client):
    fc = _iso(client, profile="walk", meters="500,1000", direction="to").json()
    assert [f["properties"]["meters"] for f in fc["features"]] == [500.0, 1000.0]
    assert all(f["properties"]["direction"] == "to" for f in fc["features"])
    assert all(f["properties"]["minutes"] is None for f in fc["features"])


def test_post_isochrones_for_several_locations(client):
    body = {"locations": [list(VADUZ_COOP), list(SCHAAN)], "profile": "bike", "minutes": [5]}
    r = client.post("/isochrones", json=body)
    assert r.status_code == 200, r.text
    fc = r.json()
    assert_geojson(fc)
    assert [f["properties"]["location_index"] for f in fc["features"]] == [0, 1]
    assert fc["features"][1]["properties"]["lon"] == SCHAAN[0]


@pytest.mark.parametrize(
    ("params", "limit"),
    [({"minutes": "61"}, "max_minutes"), ({"meters": "30001"}, "max_meters"),
     ({"minutes": "1,2,3,4,5,6,7"}, "max_contours")],
)  # fmt: skip
def test_isochrone_limits_are_422_naming_the_limit(client, params, limit):
    r = _iso(client, **params)
    assert r.status_code == 422
    assert limit in r.json()["detail"] and f"BEREIK_{limit.upper()}" in r.json()["detail"]


def test_too_many_locations_names_the_limit(client):
    body = {"locations": [list(VADUZ_COOP)] * 11, "minutes": [5]}
    r = client.post("/isochrones", json=body)
    assert r.status_code == 422 and "max_locations" in r.json()["detail"]


@pytest.mark.parametrize(
    ("params", "words"),
    [({"minutes": "5", "meters": "500"}, "either minutes or meters"),
     ({}, "either minutes or meters"),
     ({"minutes": "five"}, "positive numbers"),
     ({"minutes": "-5"}, "positive numbers"),
     ({"minutes": "5", "profile": "horse"}, "profile")],
)  # fmt: skip
def test_bad_isochrone_parameters_are_clear_422(client, params, words):
    r = _iso(client, **params)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str) and words in r.json()["detail"]


def test_point_outside_the_network_is_422_with_a_message(client):
    r = client.get("/isochrones", params={"lon": 5.0, "lat": 52.0, "minutes": "5"})
    assert r.status_code == 422
    assert "farther than 500 m from any road" in r.json()["detail"]
    body = {"locations": [list(VADUZ_COOP), [5.0, 52.0]], "minutes": [5]}
    r = client.post("/isochrones", json=body)
    assert r.status_code == 422 and "location 1" in r.json()["detail"]


def test_body_that_is_not_json_is_400(client):
    r = client.post("/matrix", content=b"\xff\xfe[", headers={"content-type": "application/json"})
    assert r.status_code == 400 and isinstance(r.json()["detail"], str)


def test_malformed_body_is_422_with_a_string_detail(client):
    r = client.post(
        "/isochrones", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and isinstance(r.json()["detail"], str)
    r = client.post("/isochrones", json={"locations": [[200, 47]], "minutes": [5]})
    assert r.status_code == 422 and "locations" in r.json()["detail"]
    r = client.post("/isochrones", json={"locations": [list(VADUZ_COOP)]})
    assert r.status_code == 422 and "either minutes or meters" in r.json()["detail"]
    r = client.post("/isochrones", json={"locations": [list(VADUZ_COOP)], "minutes": None,
                                         "meters": [500]})  # fmt: skip
    assert r.status_code == 422 and "minutes" in r.json()["detail"]


def test_catchment_inside_and_outside(client, villages_fc):
    params = {"category": "supermarket", "profile": "car", "minutes": 5}
    r = client.get("/catchments", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GEOJSON
    fc = r.json()
    assert_geojson(fc)
    [head] = fc["features"]  # one geometry type per layer (QGIS takes the first's)
    p = head["properties"]
    assert p["kind"] == "catchment" and p["facilities"] == 11 and p["area_m2"] > 0
    assert shape(head["geometry"]).is_valid
    r = client.get("/catchments", params={**params, "layer": "villages"})
    assert r.status_code == 200, r.text
    villages = r.json()["features"]
    assert {f["geometry"]["type"] for f in villages} == {"Point"}
    assert len(villages) == 19 == p["villages_inside"] + p["villages_outside"]
    inside = [v for v in villages if v["properties"]["inside"]]
    assert len(inside) == p["villages_inside"] > 0
    assert all((v["properties"]["travel_time_s"] is not None) == v["properties"]["inside"]
               for v in villages)  # fmt: skip
    total = sum(f["properties"]["population"] or 0 for f in villages_fc["features"])
    assert p["population_inside"] + p["population_outside"] == pytest.approx(total)
    malbun = next(v for v in villages if v["properties"]["village_name"] == "Malbun")
    assert malbun["properties"]["inside"] is False  # 7.8 km up the mountain


@pytest.mark.parametrize("profile", ["car", "walk"])
def test_catchment_membership_agrees_with_the_indicators(client, villages_fc, profile):
    """Every village is inside exactly when its indicator travel time to the nearest
    supermarket is within the limit (the same network cost), at limits just above and
    below the villages' own times."""
    times = {}
    for f in villages_fc["features"]:
        vid = f["properties"]["village_id"]
        detail = client.get(f"/villages/{vid}").json()["properties"]
        times[vid] = detail[f"supermarket_{profile}_travel_time_s"]
    known = sorted(t for t in times.values() if t is not None)
    assert len(known) >= 10
    limits = sorted({round(t / 60 + d, 2) for t in known[::3] for d in (-0.05, 0.05)})
    limits = [m for m in limits if 0 < m <= 60]
    for minutes in limits:
        params = {"category": "supermarket", "profile": profile, "minutes": minutes,
                  "layer": "villages"}  # fmt: skip
        fc = client.get("/catchments", params=params).json()
        for f in fc["features"]:
            p = f["properties"]
            t = times[p["village_id"]]
            expected = t is not None and t <= minutes * 60
            assert p["inside"] is expected, (minutes, p["village_name"], t)
            if expected:
                assert p["travel_time_s"] == pytest.approx(t, abs=1.0)


def test_catchment_of_a_category_without_facilities_is_empty(client, villages_fc):
    fc = client.get("/catchments", params={"category": "gp", "minutes": 10}).json()
    p = fc["features"][0]["properties"]
    assert fc["features"][0]["geometry"] is None
    assert p["facilities"] == 0 and p["area_m2"] == 0 and p["villages_inside"] == 0
    assert p["population_inside"] is None and p["villages_outside"] == 19


def test_catchment_limits_and_unknowns(client):
    r = client.get("/catchments", params={"category": "gp", "minutes": 90})
    assert r.status_code == 422 and "max_minutes" in r.json()["detail"]
    r = client.get("/catchments", params={"category": "bakery", "minutes": 5})
    assert r.status_code == 404 and "bakery" in r.json()["detail"]


def test_matrix_equals_the_engine_indicators(client, villages_fc):
    """Car distance of each village to its nearest supermarket (from /villages/{id}) equals
    the matrix distance from the village point to that supermarket's point."""
    fac = client.get("/facilities", params={"category": "supermarket"}).json()["features"]
    fac_ids = [f["id"] for f in fac]
    fac_xy = [[f["properties"]["lon"], f["properties"]["lat"]] for f in fac]
    vil = [f["properties"] for f in villages_fc["features"]]
    r = client.post("/matrix", json={"profile": "car", "sources": [[v["lon"], v["lat"]]
                                                                   for v in vil],
                                     "destinations": fac_xy})  # fmt: skip
    assert r.status_code == 200, r.text
    m = r.json()
    assert len(m["distances_m"]) == 19 and len(m["distances_m"][0]) == 11
    for i, v in enumerate(vil):
        detail = client.get(f"/villages/{v['village_id']}").json()["properties"]
        d = detail["supermarket_car_distance_m"]
        j = fac_ids.index(detail["supermarket_car_nearest_by_distance_id"])
        assert m["distances_m"][i][j] == pytest.approx(d, abs=1.0), v["village_name"]
        assert min(m["distances_m"][i]) == pytest.approx(d, abs=1.0)
        t = detail["supermarket_car_travel_time_s"]
        assert min(m["durations_s"][i]) == pytest.approx(t, abs=1.0)


def test_matrix_snapped_locations(client):
    body = {"profile": "walk", "sources": [list(SCHAAN)], "destinations": [list(VADUZ_COOP)]}
    m = client.post("/matrix", json=body).json()
    assert m["profile"] == "walk"
    src = m["sources"][0]
    assert src["location"] == list(SCHAAN)
    assert all(round(x, 6) == x for x in src["snapped"])
    assert 0 <= src["snap_distance_m"] < 500
    assert m["distances_m"][0][0] > 0 and math.isfinite(m["durations_s"][0][0])


def test_matrix_answers_the_cells_of_the_points_on_the_network(client):
    """A point far from every road nulls its row or column only, with a reason (as OSRM
    and Valhalla answer the other cells)."""
    far = [5.0, 52.0]  # in the Netherlands, far from the Liechtenstein extract
    body = {"profile": "car", "sources": [list(SCHAAN), far],
            "destinations": [list(VADUZ_COOP), far, list(SCHAAN)]}  # fmt: skip
    r = client.post("/matrix", json=body)
    assert r.status_code == 200, r.text
    m = r.json()
    whole = client.post(
        "/matrix",
        json={
            "profile": "car",
            "sources": [list(SCHAAN)],
            "destinations": [list(VADUZ_COOP), list(SCHAAN)],
        },
    )
    ref = whole.json()  # fmt: skip
    for key in ("distances_m", "durations_s"):
        assert m[key][0][0] == ref[key][0][0] > 0 and m[key][0][2] == ref[key][0][1] == 0
        assert m[key][0][1] is None and m[key][1] == [None, None, None]
    assert m["sources"][0]["reason"] is None and m["sources"][0]["snapped"] is not None
    assert m["sources"][1] == {"location": far, "snapped": None, "snap_distance_m": None,
                               "reason": "not_on_network"}  # fmt: skip
    assert m["destinations"][1]["reason"] == "not_on_network"


def test_matrix_limit_and_errors(client):
    body = {"profile": "car", "sources": [list(SCHAAN)] * 51,
            "destinations": [list(VADUZ_COOP)] * 50}  # fmt: skip
    r = client.post("/matrix", json=body)
    assert r.status_code == 422 and "max_matrix_cells" in r.json()["detail"]
    r = client.post("/matrix", json={"profile": "car", "sources": []})
    assert r.status_code == 422 and "destinations" in r.json()["detail"]


@pytest.mark.parametrize("bad", [False, True, "9.5", None])
def test_body_coordinates_must_be_json_numbers(client, bad):
    """false is not 0.0 (pydantic's lax mode would place the point off Africa)."""
    body = {"profile": "car", "sources": [[9.5228, 47.1393]], "destinations": [[9.52, bad]]}
    r = client.post("/matrix", json=body)
    assert r.status_code == 422 and "destinations" in r.json()["detail"]
    r = client.post("/matrix", json={**body, "destinations": [[9, 47]]})  # ints are numbers
    assert r.status_code == 200
