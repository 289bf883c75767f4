"""What the web map reads from the API besides the layers: Dutch category labels in
``GET /builds`` (from ``label_nl`` in the categories file)."""

from __future__ import annotations

from accessibility.facilities import load_categories
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
