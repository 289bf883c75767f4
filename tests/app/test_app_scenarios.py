"""POST /scenarios: the HTTP contract over accessibility.scenarios."""

from __future__ import annotations

import pandas as pd
import pytest


def test_closing_a_supermarket_over_http(client, app_build_dir):
    ind = pd.read_parquet(app_build_dir / "indicators.parquet")
    ind = ind.query("category == 'supermarket' and profile == 'car'")
    target = ind.set_index("village_name").loc["Triesenberg", "nearest_by_distance_id"]
    r = client.post("/scenarios", json={"close": [target]})
    assert r.status_code == 200, r.text
    body = r.json()
    (s,) = body["summary"]
    assert s["category"] == "supermarket" and s["profile"] == "car"
    worse = [c for c in body["changes"] if c["status"] == "worse"]
    assert s["villages_worse"] == len(worse) >= 1
    assert all(c["nearest_by_distance_id_before"] == target for c in worse)
    assert all(c["distance_m_after"] > c["distance_m_before"] for c in worse)
    assert s["stayed_the_same_or_better"] is False
    assert len(body["changes"]) == len(ind)


def test_opening_a_gp_gives_null_before_and_values_after(client):
    r = client.post("/scenarios", json={"open": [{"category": "gp", "lon": 9.5215,
                                                  "lat": 47.1410, "name": "Praxis"}],
                                        "profile": "walk"})  # fmt: skip
    assert r.status_code == 200, r.text
    ch = r.json()["changes"]
    assert all(c["distance_m_before"] is None and c["status"] == "gained" for c in ch)
    assert all(c["distance_m_after"] > 0 and c["profile"] == "walk" for c in ch)


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"close": ["node/1"]}, 404, "unknown facility id"),
        ({"open": [{"category": "bakery", "lon": 9.52, "lat": 47.14}]}, 404, "bakery"),
        ({"open": [{"category": "gp", "lon": 9.40, "lat": 47.30}]}, 422, "place it on a road"),
        ({}, 422, "nothing to change"),
        ({"close": ["x"] * 25}, 422, "max_scenario_changes"),
        ({"close": "node/1"}, 422, ""),
    ],
)
def test_scenario_errors(client, body, status, text):
    r = client.post("/scenarios", json=body)
    assert r.status_code == status
    assert text in r.json()["detail"]


def test_double_disadvantage_list(client, app_build_dir):
    r = client.get("/double-disadvantage")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    feats = r.json()["features"]
    expected = pd.read_csv(app_build_dir / "double_disadvantage.csv")
    assert [f["properties"]["village_name"] for f in feats] == list(expected["village_name"])
    assert [f["properties"]["rank"] for f in feats] == list(range(1, len(feats) + 1))
    assert all(f["properties"]["synthetic"] is True for f in feats)
    flagged = client.get("/villages", params={"double_disadvantage": "true"}).json()
    assert {f["id"] for f in feats} == {f["id"] for f in flagged["features"]}
    csv = client.get("/double-disadvantage", params={"f": "csv"})
    assert csv.status_code == 200 and "remote_categories" in csv.text.splitlines()[0]
