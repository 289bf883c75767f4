"""What the web map reads from the API besides the layers: Dutch category labels in
``GET /builds`` (from ``label_nl`` in the categories file), and ``GET /compare`` (two
loaded builds side by side)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_helpers import GEOJSON, TestClient, assert_geojson, make_settings

from accessibility.facilities import load_categories
from app.main import create_app
from app.routers.health import _label_nl


def test_every_bundled_category_has_a_dutch_label():
    cats = load_categories().categories
    assert all(c.label_nl for c in cats.values()), [n for n, c in cats.items() if not c.label_nl]
    assert cats["gp"].label_nl == "Huisartsenpraktijk"
    assert cats["school_primary"].label_nl == "Basisschool"
    assert cats["supermarket"].label_nl == "Supermarkt"


def test_builds_list_the_dutch_labels(client):
    (b,) = client.get("/builds").json()["builds"]
    cats = {c["id"]: c for c in b["categories"]}
    assert cats["gp"]["label_nl"] == "Huisartsenpraktijk"
    assert cats["pharmacy"]["label_nl"] == "Apotheek"
    assert all(c["label_nl"] for c in b["categories"])


def test_dutch_label_of_a_users_own_category():
    # a build's own label_nl wins; a bundled id redefined with another label gets none
    assert _label_nl("gp", {"label": "GP", "label_nl": "Huisarts"}) == "Huisarts"
    assert _label_nl("gp", {"label": "GP practice (huisartsenpraktijk)"}) == "Huisartsenpraktijk"
    assert _label_nl("gp", {"label": "Doctors of any kind"}) is None
    assert _label_nl("bakery", {"label": "Bakery"}) is None


# --- GET /compare: two loaded builds side by side ------------------------------------------
@pytest.fixture(scope="module")
def two_builds(app_build_dir, plus_build_dir) -> Iterator[TestClient]:
    """The sample (``demo``) and the sample with one more supermarket (``plus``)."""
    settings = make_settings(builds=f"demo={app_build_dir},plus={plus_build_dir}")
    with TestClient(create_app(settings)) as c:
        yield c


def test_compare_two_builds(two_builds):
    q = {"old": "demo", "new": "plus", "category": "supermarket", "profile": "car"}
    r = two_builds.get("/compare", params=q)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GEOJSON
    fc = r.json()
    assert_geojson(fc)
    assert (fc["old"], fc["new"], fc["category"], fc["profile"], fc["method"]) == (
        "demo",
        "plus",
        "supermarket",
        "car",
        "persons",
    )
    by_name = {f["properties"]["village_name"]: f for f in fc["features"]}
    gamprin = by_name["Gamprin"]["properties"]
    assert gamprin["status"] == "better"
    assert gamprin["distance_m_after"] < gamprin["distance_m_before"]
    assert gamprin["distance_m_change"] == pytest.approx(
        gamprin["distance_m_after"] - gamprin["distance_m_before"], abs=0.2
    )
    assert by_name["Balzers"]["properties"]["status"] == "same"  # far south, unchanged
    # every village has its point; the buitengebied rows come without a geometry
    points = [f for f in fc["features"] if f["geometry"] is not None]
    assert len(points) == 19 and "Malbun" in by_name
    assert all(f["properties"]["village_id"].startswith("buitengebied")
               for f in fc["features"] if f["geometry"] is None)  # fmt: skip
    s = fc["summary"]
    assert s["villages_better"] >= 1 and s["villages_worse"] == 0
    assert s["stayed_the_same_or_better"] is True
    assert s["villages"] == len(fc["features"])
    # the other way round: closing it is worse, and the province's test fails
    back = two_builds.get("/compare", params={"old": "plus", "new": "demo",
                                              "category": "supermarket"}).json()  # fmt: skip
    assert back["profile"] == "car"
    assert back["summary"]["stayed_the_same_or_better"] is False
    assert {f["properties"]["village_name"]: f["properties"]["status"]
            for f in back["features"]}["Gamprin"] == "worse"  # fmt: skip


def test_compare_place_points_and_errors(two_builds):
    q = {"old": "demo", "new": "plus", "category": "supermarket", "method": "place_point"}
    fc = two_builds.get("/compare", params=q).json()
    assert fc["method"] == "place_point" and len(fc["features"]) == 19
    same = two_builds.get("/compare", params={**q, "new": "demo"}).json()
    assert {f["properties"]["status"] for f in same["features"]} == {"same"}
    assert two_builds.get("/compare", params={**q, "old": "nope"}).status_code == 404
    assert two_builds.get("/compare", params={**q, "category": "bakery"}).status_code == 404
    assert two_builds.get("/compare", params={**q, "profile": "plane"}).status_code == 422
    assert two_builds.get("/compare", params={"old": "demo"}).status_code == 422
