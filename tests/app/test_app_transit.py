"""Public transport through the API: villages, municipalities, errors (VRN on Heidelberg)."""

from __future__ import annotations

import pytest


def test_villages_by_transit_carry_the_window_figures(transit_client):
    r = transit_client.get("/villages", params={"category": "school", "profile": "transit"})
    assert r.status_code == 200, r.text
    props = [f["properties"] for f in r.json()["features"]]
    assert {p["profile"] for p in props} == {"transit"}
    reached = [p for p in props if p["travel_time_s"] is not None]
    assert reached, "some village reaches a school by public transport"
    for p in reached:
        assert p["travel_time_s"] == pytest.approx(p["travel_time_median_s"], abs=0.06)
        assert p["travel_time_best_s"] <= p["travel_time_median_s"] + 0.06
        assert p["no_car_time_s"] <= p["by_transit_s"] + 0.06
    outside = [p for p in props if p["reason"] == "not_on_network"]
    assert outside, "places beyond the extract (Mannheim) say why they have no figure"


def test_village_detail_has_transit_columns(transit_client):
    r = transit_client.get("/villages/vrn-place/boxberg")
    assert r.status_code == 200, r.text
    p = r.json()["properties"]
    assert "school_transit_travel_time_s" in p and "school_walk_travel_time_s" in p


def test_municipalities_by_transit_have_no_car_shares(transit_client):
    r = transit_client.get("/municipalities", params={"category": "school", "profile": "transit"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"category": "school", "profile": "transit", "method": "persons"}, "method='persons'"),
        ({"category": "school", "profile": "tram"}, "tram"),
    ],
)
def test_transit_errors_name_the_problem(transit_client, params, needle):
    r = transit_client.get("/villages", params=params)
    assert r.status_code == 422
    assert needle in r.json()["detail"]


def test_transit_on_a_build_without_a_feed_says_how(client):
    r = client.get("/villages", params={"category": "school", "profile": "transit"})
    assert r.status_code == 422
    assert "--gtfs" in r.json()["detail"]


def test_road_only_routes_refuse_transit_with_a_4xx(transit_client):
    r = transit_client.get("/closures", params={"category": "school", "profile": "transit",
                                                "within_km": 3})  # fmt: skip
    assert r.status_code == 422
    assert "transit" in r.json()["detail"]


def test_transit_isochrones_from_and_to(transit_client):
    base = {"lon": 8.6935, "lat": 49.4095, "profile": "transit", "minutes": "15,30,45"}
    r = transit_client.get("/isochrones", params={**base, "departure": "2022-09-01T08:00"})
    assert r.status_code == 200, r.text
    props = [f["properties"] for f in r.json()["features"]]
    assert [p["contour"] for p in props] == [15, 30, 45]
    assert [p["departure"] for p in props] == ["2022-09-01T08:00"] * 3
    areas = [p["area_m2"] for p in props]
    assert areas == sorted(areas) and areas[0] > 0
    r = transit_client.get("/isochrones", params={**base, "departure": "2022-09-01T09:00",
                                                  "direction": "to"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert {f["properties"]["direction"] for f in r.json()["features"]} == {"to"}
    r = transit_client.post("/isochrones", json={"locations": [[8.6935, 49.4095]],
                                                 "profile": "transit", "minutes": [20],
                                                 "departure": "2022-09-01T08:00"})  # fmt: skip
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"profile": "transit", "minutes": "30", "departure": "2026-03-10T08:00"},
         "timetable is for 2022-09-01"),
        ({"profile": "transit", "meters": "500"}, "takes minutes="),
        ({"profile": "car", "minutes": "10", "departure": "2022-09-01T08:00"},
         "departure= and window= are for profile=transit"),
        ({"profile": "transit", "minutes": "30", "departure": "half past eight"}, "departure"),
    ],
)  # fmt: skip
def test_transit_isochrone_errors(transit_client, params, needle):
    r = transit_client.get("/isochrones", params={"lon": 8.6935, "lat": 49.4095, **params})
    assert r.status_code == 422, r.text
    assert needle in r.text


def test_transit_feed_stops_and_routes(transit_client):
    info = transit_client.get("/transit").json()
    assert info["counts"]["stops_outside_extract"] == 114 and info["date"] == "2022-09-01"
    stops = transit_client.get("/transit/stops").json()["features"]
    assert len(stops) == 354
    assert sum(not f["properties"]["on_walk_network"] for f in stops) == 114
    routes = transit_client.get("/transit/routes").json()
    assert {r["route_short_name"] for r in routes} >= {"RNV 24", "RNV 5"}


def test_transit_scenario_remove_a_route_and_add_a_synthetic_line(transit_client):
    r = transit_client.post("/transit/scenarios", json={"category": "school",
                                                        "remove_routes": ["RNV 24"],
                                                        "threshold_min": 30})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["synthetic"] is False
    props = [f["properties"] for f in body["features"]]
    assert body["summary"]["villages_losing"] == sum(p["effect"] == "loses" for p in props) > 0
    assert all(p["effect"] != "gains" for p in props)  # taking a route away never helps
    line = {"name": "X9", "stops": [[8.7043, 49.3637], [8.6935, 49.4095]], "headway_min": 10}
    r = transit_client.post("/transit/scenarios", json={"category": "school",
                                                        "add_lines": [line]})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["synthetic"] is True and "SYNTHETIC" in body["note"]
    assert all(f["properties"]["effect"] != "loses" for f in body["features"])


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"category": "school", "remove_routes": ["nope"]}, 422, "unknown route 'nope'"),
        ({"category": "school", "remove_stops": ["nope"]}, 422, "unknown stop id"),
        ({"category": "schol"}, 404, "unknown facility category"),
        ({"category": "school", "add_lines": [{"stops": [[8.7, 49.4]], "headway_min": 10}]},
         422, "stops"),
    ],
)  # fmt: skip
def test_transit_scenario_errors(transit_client, body, status, needle):
    r = transit_client.post("/transit/scenarios", json=body)
    assert r.status_code == status, r.text
    assert needle in r.text


def test_transit_routes_without_a_feed(client):
    for path in ("/transit", "/transit/stops"):
        r = client.get(path)
        assert r.status_code == 422 and "--gtfs" in r.json()["detail"]


def test_matrix_by_transit(transit_client):
    body = {"profile": "transit", "sources": [[8.6935, 49.4095], [8.7043, 49.3637]],
            "destinations": [[8.6728, 49.4177], [8.6889, 49.3756]],
            "departure": "2022-09-01T08:00"}  # fmt: skip
    r = transit_client.post("/matrix", json=body)
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["profile"] == "transit"
    assert all(x is None for row in m["distances_m"] for x in row)
    assert all(isinstance(x, float) and x > 0 for row in m["durations_s"] for x in row)
    later = transit_client.post("/matrix", json={**body, "departure": "2022-09-01T08:07"})
    assert later.status_code == 200 and later.json()["durations_s"] != m["durations_s"]
    r = transit_client.post("/matrix", json={**body, "profile": "car"})
    assert r.status_code == 422 and "departure=" in r.json()["detail"]


def test_facility_scenarios_by_transit(transit_client):
    """Closing a school never helps by public transport, opening one never hurts."""
    schools = transit_client.get("/facilities", params={"category": "school"}).json()
    fid = schools["features"][0]["properties"]["facility_id"]
    r = transit_client.post("/scenarios", json={"profile": "transit", "close": [fid]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"][0]["profile"] == "transit"
    assert {c["status"] for c in body["changes"]} <= {"same", "worse", "lost"}
    new = {"category": "school", "lon": 8.7543, "lat": 49.3403, "name": "new"}
    r = transit_client.post("/scenarios", json={"profile": "transit", "open": [new]})
    assert r.status_code == 200, r.text
    changes = r.json()["changes"]
    assert {c["status"] for c in changes} <= {"same", "better", "gained"}
    assert any(c["status"] in ("better", "gained") for c in changes)  # Gauangelloch, next to it


def test_window_isochrone_through_the_api(transit_client):
    r = transit_client.get("/isochrones", params={"lon": 8.6935, "lat": 49.4095,
                                                  "profile": "transit", "minutes": "30,60",
                                                  "departure": "2022-09-01T07:00",
                                                  "window": "true"})  # fmt: skip
    assert r.status_code == 200, r.text
    props = [f["properties"] for f in r.json()["features"]]
    assert {p["statistic"] for p in props} == {"median"} and props[0]["window_min"] == 120
    r = transit_client.get("/isochrones", params={"lon": 8.6935, "lat": 49.4095, "profile": "car",
                                                  "minutes": "10", "window": "true"})  # fmt: skip
    assert r.status_code == 422 and "window=" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/isochrones", {"locations": [[8.6935, 49.4095]], "minutes": [5], "window": 0},
         "body 'window'"),
        ("/isochrones", {"locations": [[8.6935, 49.4095]], "minutes": [5], "departure": None},
         "body 'departure'"),
        ("/matrix", {"sources": [[8.6935, 49.4095]], "destinations": [[8.69, 49.40]],
                     "departure": 1662012000}, "body 'departure'"),
    ],
)  # fmt: skip
def test_transit_body_fields_are_strict(transit_client, path, body, needle):
    """A departure is a date-time text and window a JSON boolean: no null, number or 0/1."""
    r = transit_client.post(path, json={"profile": "transit", **body})
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]


def test_catchments_by_transit(transit_client):
    """Villages inside a transit catchment are those whose transit time to a school, arriving
    by 09:00, is within the minutes; the area grows with the minutes."""
    base = {"category": "school", "profile": "transit", "departure": "2022-09-01T09:00"}
    small = transit_client.get("/catchments", params={**base, "minutes": 10})
    large = transit_client.get("/catchments", params={**base, "minutes": 30})
    assert small.status_code == 200 and large.status_code == 200, small.text
    a, b = small.json()["features"][0]["properties"], large.json()["features"][0]["properties"]
    assert a["profile"] == "transit" and a["departure"] == "2022-09-01T09:00"
    assert 0 < a["area_m2"] < b["area_m2"] and a["villages_inside"] <= b["villages_inside"]
    v = transit_client.get("/catchments", params={**base, "minutes": 30, "layer": "villages"})
    inside = [f["properties"] for f in v.json()["features"] if f["properties"]["inside"]]
    assert len(inside) == b["villages_inside"] > 0
    assert all(p["travel_time_s"] <= 30 * 60 for p in inside)
    r = transit_client.get("/catchments", params={"category": "school", "profile": "car",
                                                  "minutes": 10, "window": "true"})  # fmt: skip
    assert r.status_code == 422 and "window=" in r.json()["detail"]
