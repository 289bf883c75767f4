"""The service around the data: no build, settings, errors, CORS, OpenAPI, web map, CLI."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest
import uvicorn
from app_helpers import TestClient, make_settings
from pydantic import ValidationError

from accessibility import errors as acc
from app import cli
from app.config import Settings
from app.errors import STATUS_CODES, LimitExceededError, status_code_for, validation_message
from app.main import create_app


# --- without a build ---------------------------------------------------------------------------
def test_health_without_a_build_says_what_is_missing(empty_client):
    r = empty_client.get("/health")
    assert r.status_code == 503
    detail = r.json()["detail"]
    assert "no build loaded" in detail and "bereik build" in detail


@pytest.mark.parametrize("path", ["/villages", "/collections", "/facilities",
                                  "/isochrones?lon=9.5&lat=47.1&minutes=5"])  # fmt: skip
def test_data_endpoints_without_a_build_are_503(empty_client, path):
    r = empty_client.get(path)
    assert r.status_code == 503 and "no build loaded" in r.json()["detail"]


def test_the_page_and_docs_work_without_a_build(empty_client):
    assert empty_client.get("/").status_code == 200
    assert empty_client.get("/builds").json()["builds"] == []
    assert empty_client.get("/openapi.json").status_code == 200


def test_nothing_configured():
    with TestClient(create_app(make_settings(build=""))) as c:
        r = c.get("/health")
    assert r.status_code == 503 and "BEREIK_BUILD" in r.json()["detail"]


# --- several builds, by name ---------------------------------------------------------------
def test_several_builds_by_name(app_build_dir, tmp_path):
    settings = make_settings(build="", builds=f"y2015={app_build_dir},gone={tmp_path / 'x'}")
    with TestClient(create_app(settings)) as c:
        r = c.get("/health")
        assert r.status_code == 503  # a configured build is missing: not healthy
        detail = r.json()["detail"]
        assert "1 of 2 configured builds not loaded (gone: the build folder is missing" in detail
        assert "serving y2015" in detail
        assert str(tmp_path) not in detail and "Error" not in detail  # no path, no exception
        assert c.get("/villages", params={"build": "y2015"}).status_code == 200
        r = c.get("/villages", params={"build": "gone"})
        assert r.status_code == 404 and "gone" in r.json()["detail"]


def test_no_request_can_name_a_path(client):
    r = client.get("/villages", params={"build": "../../etc"})
    assert r.status_code == 404 and "unknown build" in r.json()["detail"]
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/static/%2e%2e/config.py").status_code == 404


# --- settings ------------------------------------------------------------------------------
def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("BEREIK_MAX_MINUTES", "30")
    monkeypatch.setenv("BEREIK_CORS_ORIGINS", "http://a.example, http://b.example")
    monkeypatch.setenv("BEREIK_BUILDS", "a=data/builds/a,b=/srv/b")
    s = make_settings()
    assert s.max_minutes == 30
    assert s.cors_origins == ["http://a.example", "http://b.example"]
    assert s.build_paths() == {"a": Path("data/builds/a"), "b": Path("/srv/b")}
    monkeypatch.setenv("BEREIK_BUILD", "data/builds/demo")
    assert list(make_settings().build_paths()) == ["demo", "a", "b"]


def test_settings_reject_nonsense():
    with pytest.raises(ValidationError, match="NAME=PATH"):
        make_settings(builds="just-a-path")
    with pytest.raises(ValidationError):
        make_settings(max_contours=50)  # more than the engine allows


def test_env_example_matches_the_defaults(monkeypatch):
    for name in list(os.environ):
        if name.startswith("BEREIK_"):
            monkeypatch.delenv(name)
    example = Settings(_env_file=Path(__file__).parents[2] / ".env.example")
    assert example == make_settings()


def test_settings_read_the_env_file(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("BEREIK_MAX_MATRIX_CELLS=7\nOTHER=1\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().max_matrix_cells == 7


# --- errors --------------------------------------------------------------------------------
def test_status_codes_follow_the_mro():
    assert status_code_for(acc.UnknownVillageError("x")) == 404
    assert status_code_for(acc.PointOutsideNetworkError("x")) == 422
    assert status_code_for(LimitExceededError("x")) == 422
    assert status_code_for(acc.OsmReadError("x")) == 500  # via AccessibilityError
    assert status_code_for(KeyError("x")) == 500
    assert all(400 <= c < 600 for c in STATUS_CODES.values())


def test_validation_message_is_one_readable_line():
    msg = validation_message([{"loc": ("query", "lon"), "msg": "Input should be a valid number",
                               "input": "abc", "type": "float_parsing"}])  # fmt: skip
    assert msg == "query parameter 'lon': Input should be a valid number (got 'abc')"


def test_unknown_route_and_method(client):
    assert client.get("/nope").json() == {"detail": "Not Found"}
    r = client.delete("/villages")
    assert r.status_code == 405 and isinstance(r.json()["detail"], str)
    r = client.put("/isochrones")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"


# --- CORS ----------------------------------------------------------------------------------
def test_cors_allows_the_configured_origin_only(client):
    ok = client.get("/health", headers={"Origin": "http://maps.example.org"})
    assert ok.headers["access-control-allow-origin"] == "http://maps.example.org"
    other = client.get("/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


# --- OpenAPI -------------------------------------------------------------------------------
def test_openapi_has_stable_operation_ids_and_documents_every_response(client):
    spec = client.get("/openapi.json").json()
    ops = [(path, method, op) for path, item in spec["paths"].items()
           for method, op in item.items()]  # fmt: skip
    ids = [op["operationId"] for _, _, op in ops]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z_]+", i) for i in ids), ids
    expected = {"landing_page", "health", "list_builds", "conformance", "list_collections",
                "get_collection", "list_collection_items", "get_collection_item",
                "list_villages", "get_village", "list_facilities", "list_municipalities",
                "get_isochrones", "post_isochrones", "get_catchment", "post_matrix",
                "post_scenario", "compare_builds", "post_suggest", "get_closures", "get_access",
                "get_fairness", "get_transit", "get_transit_stops", "get_transit_routes",
                "post_transit_scenario",
                "list_double_disadvantage", "get_basemap", "get_report"}  # fmt: skip
    assert set(ids) == expected
    for path, method, op in ops:
        ok = op["responses"]["200"]
        assert ok.get("content"), (path, method)
        for media in ok["content"].values():
            assert "schema" in media, (path, method)
        for code, resp in op["responses"].items():
            if code.startswith(("4", "5")):
                assert "content" in resp, (path, method, code)
    assert "HTTPValidationError" not in str(spec["paths"]), "422 bodies are {detail: str}"
    geo = spec["paths"]["/villages"]["get"]["responses"]["200"]["content"]
    assert "application/geo+json" in geo and "example" in geo["application/geo+json"]
    body = spec["paths"]["/matrix"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]


def test_docs_page(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()


# --- web map and landing page --------------------------------------------------------------
def test_web_map_page_is_self_contained(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "static/vendor/leaflet/leaflet.js" in r.text
    assert "http" not in r.text.replace("https://www.w3.org", ""), "no external resources"
    js = client.get("/static/map.js").text
    assert "OpenStreetMap" in js and "isochrones" in js
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/LICENSE").status_code == 200


def test_landing_page_json_for_ogc_clients(client):
    for r in (client.get("/", params={"f": "json"}),
              client.get("/", headers={"Accept": "application/json"})):  # fmt: skip
        assert r.headers["content-type"] == "application/json"
        rels = {link["rel"] for link in r.json()["links"]}
        assert {"service-desc", "conformance", "data"} <= rels
    conf = client.get("/conformance").json()["conformsTo"]
    assert any(c.endswith("/conf/geojson") for c in conf)


# --- CLI -----------------------------------------------------------------------------------
def test_cli_adds_serve_and_keeps_the_library_commands():
    parser = cli.make_parser()
    args = parser.parse_args(["serve", "--port", "9000", "--build", "demo"])
    assert args.command == "serve" and args.port == 9000 and args.build == ["demo"]
    assert parser.parse_args(["info"]).command == "info"


def test_cli_dispatches_each_subcommand_to_its_handler(monkeypatch):
    seen = {}

    def fake_info(args):
        seen["build"] = args.build
        return 0

    commands = tuple(dataclasses.replace(c, run=fake_info) if c.name == "info" else c
                     for c in cli.COMMANDS)  # fmt: skip
    monkeypatch.setattr(cli, "COMMANDS", commands)
    assert cli.main(["info", "demo"]) == 0
    assert seen["build"] == "demo"


@pytest.fixture
def serve_env(monkeypatch):
    """`bereik serve` writes BEREIK_BUILD(S) into os.environ: restore them afterwards."""
    for name in ("BEREIK_BUILD", "BEREIK_BUILDS"):
        monkeypatch.setenv(name, "placeholder")  # recorded, so teardown restores the original


def test_cli_serve_configures_the_builds(monkeypatch, serve_env, app_build_dir, tmp_path,
                                         capsys):  # fmt: skip
    calls = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.update(target=target, **kw))
    argv = ["serve", "--build", str(app_build_dir), "--build", f"old={tmp_path / 'missing'}",
            "--port", "8123", "--workers", "2"]  # fmt: skip
    code = cli.main(argv)
    assert code == 0
    assert calls["target"] == "app.main:app" and calls["port"] == 8123 and calls["workers"] == 2
    settings = make_settings()
    assert os.environ["BEREIK_BUILDS"].startswith("demo=")
    assert list(settings.build_paths()) == ["demo", "old"]
    assert "no build 'old'" in capsys.readouterr().err


def test_cli_serve_builds_the_default_when_asked(monkeypatch, serve_env, tmp_path):
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: None)
    built = []
    monkeypatch.setattr(cli, "_build_default", built.append)
    monkeypatch.chdir(tmp_path)  # no data/builds/demo here
    assert cli.main(["serve", "--build-default"]) == 0
    assert built == [cli.DEFAULT_BUILD]
