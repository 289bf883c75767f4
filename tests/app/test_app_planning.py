"""The location endpoints: /suggest, /closures, /access, /fairness on the sample build.

The figures themselves are checked in tests/accessibility (brute force, spopt, PySAL access,
scenarios); here: the endpoints give the library's answers, and every limit is a 422 that
names it.
"""

from __future__ import annotations

import pytest
from app_helpers import TestClient, make_settings

from accessibility import planning
from accessibility.model import load_build


@pytest.fixture(scope="module")
def build(app_build_dir):
    return load_build(app_build_dir)


def test_suggest_equals_the_library(client, build):
    r = client.post("/suggest", json={"category": "pharmacy", "within_km": 3, "count": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    want = planning.suggest_sites(build, category="pharmacy", within_km=3, count=2)
    assert body["summary"]["method"] == "exact" and body["summary"]["gap"] == 0
    assert [s["candidate_id"] for s in body["sites"]] == list(want.sites["candidate_id"])
    got = [s["newly_within"] for s in body["sites"]]
    assert got == pytest.approx(list(want.sites["newly_within"]), abs=0.5)  # whole persons
    assert body["summary"]["share_within_after"] > body["summary"]["share_within_before"]


def test_greedy_only_is_labelled(client):
    r = client.post("/suggest", json={"category": "pharmacy", "within_km": 3, "count": 2,
                                      "time_budget_s": 0})  # fmt: skip
    assert r.status_code == 200 and r.json()["summary"]["method"] == "greedy"
    assert r.json()["summary"]["gap"] is None


def test_suggest_cover_on_a_grid(client):
    r = client.post("/suggest", json={"category": "supermarket", "within_km": 3,
                                      "objective": "cover", "candidates": "grid:2km",
                                      "target_share": 0.9})  # fmt: skip
    assert r.status_code == 200, r.text
    s = r.json()["summary"]
    assert s["candidates_from"] == "grid:2km" and s["share_within_after"] >= 0.9
    assert s["sites"] == len(r.json()["sites"]) >= 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"category": "pharmacy", "within_km": 300}, "max_within_km=50"),
        ({"category": "pharmacy", "within_km": 3, "count": 11}, "max_suggest_sites=10"),
        ({"category": "pharmacy", "within_km": 3, "time_budget_s": 60}, "max_suggest_seconds=5"),
        ({"category": "pharmacy", "within_km": 3, "candidates": "grid:5m"}, "coarser grid"),
        ({"category": "pharmacy", "within_km": 3, "candidates": "/etc/passwd"}, "pattern"),
        ({"category": "pharmacy", "within_km": 3, "objective": "nearest"}, "objective"),
    ],
)
def test_suggest_limits_are_422_naming_them(client, body, words):
    r = client.post("/suggest", json=body)
    assert r.status_code == 422 and words in r.json()["detail"]


def test_suggest_candidates_limit_is_a_setting(app_build_dir):
    settings = make_settings(build=str(app_build_dir), max_suggest_candidates=5)
    from app.main import create_app

    with TestClient(create_app(settings)) as c:
        r = c.post("/suggest", json={"category": "pharmacy", "within_km": 3,
                                     "candidates": "grid:1km"})  # fmt: skip
    assert r.status_code == 422 and "more than the limit of 5" in r.json()["detail"]


def test_unknown_category_is_404(client):
    assert client.post("/suggest", json={"category": "zoo", "within_km": 3}).status_code == 404
    assert client.get("/closures", params={"category": "zoo", "within_km": 3}).status_code == 404


def test_closures_equal_the_library(client, build):
    r = client.get("/closures", params={"category": "school", "within_km": 3})
    assert r.status_code == 200, r.text
    rows = r.json()["closures"]
    want = planning.closures(build, category="school", within_km=3)
    assert [x["facility_id"] for x in rows] == list(want["facility_id"])
    assert [x["newly_beyond"] for x in rows] == pytest.approx(list(want["newly_beyond"]), abs=0.5)
    assert r.json()["unit"] == "persons"


def test_access_sums_to_the_capacity(client):
    # classic 2SFCA: persons x access over everyone = capacity of every facility in reach
    r = client.get("/access", params={"category": "pharmacy", "method": "2sfca",
                                      "catchment_minutes": 30, "by": "village"})  # fmt: skip
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    total = sum(x["persons"] * x["access_per_1000"] / 1000 for x in rows)
    assert total == pytest.approx(r.json()["summary"]["capacity_total"], rel=0.01)
    f = client.get("/access", params={"category": "pharmacy", "by": "facility"}).json()
    assert {x["facility_id"] for x in f["rows"]} == _pharmacies(client)


def _pharmacies(client) -> set[str]:
    fac = client.get("/facilities", params={"category": "pharmacy"}).json()["features"]
    return {x["properties"]["facility_id"] for x in fac}


def test_access_limit(client):
    r = client.get("/access", params={"category": "pharmacy", "catchment_minutes": 600})
    assert r.status_code == 422 and "max_minutes" in r.json()["detail"]


def test_fairness_rows(client):
    r = client.get("/fairness", params={"category": "supermarket"})
    assert r.status_code == 200, r.text
    rows = {x["municipality"]: x for x in r.json()["rows"]}
    assert "all" in rows and "Vaduz" in rows
    assert 0 <= rows["all"]["gini"] <= 1
    assert rows["all"]["persons"] == pytest.approx(sum(
        x["persons"] for m, x in rows.items() if m != "all"), abs=len(rows))  # fmt: skip
