"""What an operator and an attacker tried (issue 14): bodies, headers, echoes, CSV formulas."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from app_helpers import TestClient, make_settings

from accessibility.writer import escape_formulas, unescape_formulas, write_csv
from app.geojson import csv_text
from app.main import create_app


def test_a_20_mb_body_is_refused_at_once(client):
    body = b'{"sources": [' + b"[9.5, 47.1], " * 1_600_000 + b"[9.5, 47.1]]}"
    assert len(body) > 20_000_000
    started = time.perf_counter()
    r = client.post("/matrix", content=body, headers={"Content-Type": "application/json"})
    assert time.perf_counter() - started < 1.0
    assert r.status_code == 413
    assert "max_request_bytes=1,000,000 (setting BEREIK_MAX_REQUEST_BYTES)" in r.json()["detail"]


def test_a_chunked_body_is_counted_as_it_arrives(client):
    def chunks():
        for _ in range(200):
            yield b" " * 10_000

    r = client.post("/scenarios", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "max_request_bytes" in r.json()["detail"]


def test_a_body_under_the_limit_still_works(client):
    r = client.post("/scenarios", json={"close": ["node/761534771"], "profile": "car"})
    assert r.status_code == 200


def test_the_limit_is_a_setting(app_build_dir):
    with TestClient(create_app(make_settings(build=str(app_build_dir),
                                             max_request_bytes=2_000))) as c:  # fmt: skip
        r = c.post("/scenarios", json={"close": ["x" * 3_000]})
    assert r.status_code == 413 and "max_request_bytes=2,000" in r.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "cache"),
    [
        ("GET", "/health", "no-store"),
        ("GET", "/builds", "no-store"),
        ("GET", "/villages?municipality=Vaduz", "public, max-age=300"),
        ("GET", "/static/map.js", "public, max-age=86400"),
        ("GET", "/villages/node%2F0", "no-store"),  # a 404
        ("POST", "/scenarios", "no-store"),
    ],
)
def test_nosniff_and_cache_headers(client, method, path, cache):
    kwargs = {"json": {"close": ["node/761534771"]}} if method == "POST" else {}
    r = client.request(method, path, **kwargs)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == cache


def test_an_echoed_id_is_capped(client):
    r = client.post("/scenarios", json={"close": ["x" * 1_000_000]})
    assert r.status_code == 413  # over the body limit before anything else
    r = client.get("/villages/" + "y" * 5_000)
    assert r.status_code == 404 and len(r.json()["detail"]) < 1_100
    assert "characters cut" in r.json()["detail"]


def test_csv_cells_that_are_formulas_are_quoted(tmp_path):
    df = pd.DataFrame({"village_name": ["=1+2", "@SUM(A1)", "-cmd", "+31", "Vaduz", None],
                       "distance_m": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})  # fmt: skip
    text = csv_text(df)
    assert "'=1+2" in text and "'@SUM(A1)" in text and "'-cmd" in text and "'+31" in text
    assert "\nVaduz," in text and "-1.0" in text  # numbers are not text: left as they are
    write_csv(df, tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["village_name"].iloc[0] == "'=1+2"
    assert unescape_formulas(back)["village_name"].tolist()[:5] == ["=1+2", "@SUM(A1)", "-cmd",
                                                                  "+31", "Vaduz"]  # fmt: skip
    assert escape_formulas(df.iloc[4:]) is not None


def test_a_forged_host_never_reaches_the_links(client):
    r = client.get("/collections", headers={"Host": "evil.example"})
    assert r.status_code == 200
    hrefs = [x["href"] for x in r.json()["links"]]
    assert hrefs and not any("evil.example" in h for h in hrefs)
    assert all(h.startswith("/") for h in hrefs)  # relative to the server
    items = client.get("/collections/villages/items", params={"limit": 2},
                       headers={"Host": "evil.example"}).json()  # fmt: skip
    assert not any("evil.example" in x["href"] for x in items["links"])
    # an allowed host (the test client's own) keeps absolute links
    ok = client.get("/collections").json()["links"]
    assert all(x["href"].startswith("http://testserver/") for x in ok)


def test_the_public_url_is_the_base_of_every_link(app_build_dir):
    settings = make_settings(build=str(app_build_dir), public_url="https://bereik.example.nl/api/")
    with TestClient(create_app(settings)) as c:
        items = c.get("/collections/villages/items", params={"limit": 2, "offset": 2},
                      headers={"Host": "evil.example"}).json()  # fmt: skip
    hrefs = {x["rel"]: x["href"] for x in items["links"]}
    assert hrefs["next"].startswith("https://bereik.example.nl/api/collections/villages/items?")
    assert "offset=4" in hrefs["next"] and "offset=0" in hrefs["prev"]
