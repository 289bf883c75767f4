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
    r = transit_client.get("/catchments", params={"category": "school", "profile": "transit",
                                                  "minutes": 10})
    assert r.status_code == 422
    assert "transit" in r.json()["detail"]
