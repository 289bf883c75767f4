"""A profile from a user file (an e-bike at 20 km/h) through every route of the API.

The e-bike uses the bike's roads at 20 instead of 15 km/h (pushing, surface caps and
ferries as the bike), so its distances are the bike's and its times between 15/20 of the
bike's (all ridden) and the bike's (all pushed): the bike is the oracle.
"""

from __future__ import annotations

import pytest

RATIO = 15 / 20


def test_builds_list_the_profiles_of_the_build(ebike_client):
    b = ebike_client.get("/builds").json()["builds"][0]
    assert b["profiles"] == ["car", "bike", "ebike"] and b["default_profile"] == "car"
    assert b["profile_labels"]["ebike"] == "E-bike (e-fiets, 20 km/h)"
    assert b["profile_labels"]["car"] == "Car (auto)"
    cols = [c["id"] for c in ebike_client.get("/collections").json()["collections"]]
    assert "edges_ebike" in cols and "edges_walk" not in cols


def test_villages_with_the_ebike_indicator(ebike_client):
    def get(profile):
        r = ebike_client.get("/villages", params={"category": "supermarket", "profile": profile})
        assert r.status_code == 200, r.text
        return {f["id"]: f["properties"] for f in r.json()["features"]}

    bike, ebike = get("bike"), get("ebike")
    assert bike.keys() == ebike.keys() and len(ebike) == 19
    for vid, e in ebike.items():
        assert e["profile"] == "ebike" and e["distance_m"] == bike[vid]["distance_m"]
        if e["travel_time_s"] is not None:
            t, t_bike = e["travel_time_s"], bike[vid]["travel_time_s"]
            assert t_bike * RATIO - 0.1 <= t <= t_bike  # both served to 0.1 s


def test_isochrones_matrix_and_scenarios_take_the_ebike(ebike_client):
    iso = {}
    for p in ("bike", "ebike"):
        r = ebike_client.get("/isochrones", params={"lon": 9.5209, "lat": 47.141, "profile": p,
                                                    "minutes": "5"})  # fmt: skip
        assert r.status_code == 200, r.text
        iso[p] = r.json()["features"][0]["properties"]
    assert iso["ebike"]["profile"] == "ebike"
    assert iso["ebike"]["area_m2"] > 1.3 * iso["bike"]["area_m2"]  # 5 min at 20 km/h reach further
    body = {"sources": [[9.5228, 47.1393]], "destinations": [[9.5103, 47.1663], [9.5208, 47.1401]]}
    m = {
        p: ebike_client.post("/matrix", json={**body, "profile": p}).json()
        for p in ("bike", "ebike")
    }
    assert m["ebike"]["profile"] == "ebike"
    assert m["ebike"]["distances_m"] == m["bike"]["distances_m"]
    for te, tb in zip(m["ebike"]["durations_s"][0], m["bike"]["durations_s"][0], strict=True):
        assert te == pytest.approx(tb * RATIO, abs=0.1)  # both served to 0.1 s
    sc = ebike_client.post("/scenarios", json={"close": ["node/761534771"], "profile": "ebike"})
    assert sc.status_code == 200, sc.text
    summary = sc.json()["summary"][0]
    assert summary["profile"] == "ebike" and summary["villages_worse"] >= 1
    cat = ebike_client.get("/catchments", params={"category": "supermarket", "minutes": 5,
                                                  "profile": "ebike"})  # fmt: skip
    assert cat.status_code == 200 and cat.json()["features"][0]["properties"]["profile"] == "ebike"


def test_requests_without_a_profile_use_the_default(ebike_client):
    r = ebike_client.post("/matrix", json={"sources": [[9.5228, 47.1393]],
                                           "destinations": [[9.5103, 47.1663]]})  # fmt: skip
    assert r.status_code == 200 and r.json()["profile"] == "car"


@pytest.mark.parametrize("profile", ["walk", "horse"])
def test_a_profile_the_build_lacks_is_a_422_naming_its_profiles(ebike_client, profile):
    r = ebike_client.get("/villages", params={"category": "supermarket", "profile": profile})
    assert r.status_code == 422
    assert f"'{profile}'" in r.json()["detail"] and "car, bike, ebike" in r.json()["detail"]
    r = ebike_client.post("/matrix", json={"profile": profile, "sources": [[9.5228, 47.1393]],
                                           "destinations": [[9.5103, 47.1663]]})  # fmt: skip
    assert r.status_code == 422 and "car, bike, ebike" in r.json()["detail"]
