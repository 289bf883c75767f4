"""``/docs``, ``/redoc`` and ``/favicon.ico`` are served from this service (vendored
Swagger UI and ReDoc under ``app/static/vendor/``): no CDN, so they work offline. The
browser check (the pages render with every outside request blocked) is in
``test_browser.py``.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from app_helpers import TestClient, make_settings

from app.main import create_app

DOC_PAGES = ["/docs", "/redoc"]


class _Refs(HTMLParser):
    """The URLs a page loads: ``<script src>``, ``<link href>``, ``<img src>``."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.refs.append(value)


def _refs(html: str) -> list[str]:
    parser = _Refs()
    parser.feed(html)
    return parser.refs


def _assert_local(html: str, host: str = "testserver") -> None:
    """No URL in the page outside the page's own host, and no CDN."""
    assert "cdn" not in html.lower()
    for scheme in ("http://", "https://"):
        rest = html
        while scheme in rest:
            rest = rest.split(scheme, 1)[1]
            assert rest.startswith((host + "/", host + ":")), f"external URL {scheme}{rest[:60]}"


@pytest.mark.parametrize("path", DOC_PAGES)
def test_doc_page_loads_only_from_the_service(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    _assert_local(r.text)
    refs = _refs(r.text)
    assert any(ref.endswith(".js") for ref in refs), refs
    for ref in refs:
        parts = urlsplit(ref)
        assert not parts.scheme and not parts.netloc, f"{ref} is not on this service"
        assert ref.startswith("/"), ref


@pytest.mark.parametrize("path", DOC_PAGES)
def test_every_asset_of_a_doc_page_is_served(client, path):
    expected = {".js": ("javascript", 100_000), ".css": ("text/css", 10_000),
                ".ico": ("image/", 100), ".png": ("image/", 100)}  # fmt: skip
    for ref in _refs(client.get(path).text):
        r = client.get(ref)
        assert r.status_code == 200, ref
        kind, size = next(v for k, v in expected.items() if ref.endswith(k))
        assert kind in r.headers["content-type"], (ref, r.headers["content-type"])
        assert len(r.content) >= size, (ref, len(r.content))


def test_swagger_ui_and_redoc_are_the_vendored_ones(client):
    docs = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "/static/vendor/swagger-ui/swagger-ui.css" in docs
    assert "url: '/openapi.json'" in docs
    redoc = client.get("/redoc").text
    assert "/static/vendor/redoc/redoc.standalone.js" in redoc
    assert 'spec-url="/openapi.json"' in redoc
    assert "fonts.googleapis" not in redoc
    # the bundle's footer logo (cdn.redoc.ly) is never asked for
    csp = client.get("/redoc").headers["content-security-policy"]
    assert csp == "img-src 'self' data:"
    for folder in ("swagger-ui", "redoc"):
        for name in ("LICENSE", "README.md"):
            assert client.get(f"/static/vendor/{folder}/{name}").status_code == 200
    assert "Apache License" in client.get("/static/vendor/swagger-ui/LICENSE").text
    assert "MIT License" in client.get("/static/vendor/redoc/LICENSE").text


def test_no_source_maps_are_vendored(client):
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js.map").status_code == 404
    assert client.get("/static/vendor/redoc/redoc.standalone.js.map").status_code == 404


def test_oauth2_redirect_page(client):
    r = client.get("/docs/oauth2-redirect")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "oauth2" in r.text.lower()
    _assert_local(r.text)


def test_favicon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG") and len(r.content) > 100


def test_doc_routes_are_not_in_the_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in [*DOC_PAGES, "/docs/oauth2-redirect", "/favicon.ico"]:
        assert path not in paths
    assert "/openapi.json" not in paths


def test_doc_pages_honour_the_root_path(app_settings):
    """Behind a proxy that strips ``/bereik``: the pages ask for ``/bereik/...``."""
    with TestClient(create_app(app_settings), root_path="/bereik") as c:
        docs = c.get("/docs").text
        redoc = c.get("/redoc").text
    assert "url: '/bereik/openapi.json'" in docs
    assert "'/bereik/docs/oauth2-redirect'" in docs
    assert 'spec-url="/bereik/openapi.json"' in redoc
    for html in (docs, redoc):
        refs = _refs(html)
        assert refs and all(ref.startswith("/bereik/") for ref in refs), refs


def test_doc_pages_without_a_build(tmp_path):
    """The documentation does not depend on a loaded build."""
    with TestClient(create_app(make_settings(build=str(tmp_path / "none")))) as c:
        for path in [*DOC_PAGES, "/favicon.ico"]:
            assert c.get(path).status_code == 200
