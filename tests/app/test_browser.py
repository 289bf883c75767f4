"""The web map in a real (headless) browser: it loads, draws the villages, and a click on
the map draws isochrone polygons. Chromium comes from Debian (``/usr/bin/chromium``), the
driver from the ``playwright`` Python package; ``playwright install`` is never needed.
"""

from __future__ import annotations

import math
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from app_helpers import make_settings

from app.main import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

if not (CHROMIUM.exists() or shutil.which("chromium")):
    pytest.skip(
        "no /usr/bin/chromium: install it with `apt-get install -y chromium` to run the "
        "browser test of the web map",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the Python package `playwright` is not installed (pip install playwright)",
)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(settings) -> Iterator[str]:
    """The app of ``settings`` served by uvicorn in a thread on a free localhost port."""
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), driven by Playwright."""
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open_page(browser, url: str):
    """A page with the map at ``url``; JS errors are collected in ``page.errors``."""
    pg = browser.new_page(viewport={"width": 1200, "height": 900})
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.route(lambda u: not u.startswith(url), lambda route: route.abort())
    pg.goto(url)
    return pg


@pytest.fixture(scope="module")
def server_url(app_settings) -> Iterator[str]:
    """The sample build served on a free localhost port."""
    with _serve(app_settings) as url:
        yield url


@pytest.fixture(scope="module")
def page(browser, server_url):
    """A Chromium page with the map loaded; JS errors are collected in ``page.errors``."""
    pg = _open_page(browser, server_url)
    yield pg
    pg.close()


def test_the_map_draws_the_villages(page, client):
    n = len(client.get("/villages").json()["features"])
    page.wait_for_function(
        f"document.querySelectorAll('path.village-marker').length === {n}", timeout=30_000
    )
    assert page.locator("path.village-marker").count() == n
    page.wait_for_function("document.querySelector('#status').textContent.includes('villages')")
    assert page.locator("path.facility-marker").count() > 0
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    assert "Distance to nearest facility" in page.locator("#legend").inner_text()
    # double-disadvantage villages (remote and in a white area) are marked
    dd = client.get("/villages", params={"double_disadvantage": "true"}).json()["features"]
    assert len(dd) >= 1
    assert page.locator("path.double-disadvantage").count() == len(dd)
    assert "double disadvantage" in page.locator("#legend").inner_text()
    assert page.errors == []


def _open_road_point(client) -> tuple[float, float]:
    """A point on a car road at least 800 m from every village and facility marker."""
    marks = [f["geometry"]["coordinates"] for f in client.get("/villages").json()["features"]]
    marks += [f["geometry"]["coordinates"]
              for f in client.get("/facilities").json()["features"]]  # fmt: skip
    edges = client.get("/collections/edges_car/items", params={"limit": 5000}).json()
    for e in edges["features"]:
        coords = e["geometry"]["coordinates"]
        lon, lat = coords[len(coords) // 2]
        far = all(math.hypot((lon - x) * 75_000, (lat - y) * 111_000) > 800 for x, y in marks)
        if far:
            return lon, lat
    pytest.fail("no road point away from the markers")


def test_a_click_draws_isochrones(page, client):
    page.wait_for_function("document.querySelectorAll('path.village-marker').length > 0")
    lon, lat = _open_road_point(client)
    pt = page.evaluate(f"window.bereik.map.latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    page.wait_for_function("document.querySelectorAll('path.isochrone').length >= 1",
                           timeout=30_000)  # fmt: skip
    assert page.locator("path.isochrone").count() >= 1
    page.wait_for_function("document.querySelector('#status').textContent.includes('isochrone')")
    assert "error" not in (page.locator("#status").get_attribute("class") or "")
    assert page.errors == []


def test_switching_category_recolours(page):
    page.wait_for_function("document.querySelectorAll('path.village-marker').length > 0")
    page.select_option("#category", "gp")  # no GP in the sample: every village grey
    page.wait_for_function(
        "Array.from(document.querySelectorAll('path.village-marker'))"
        ".every(p => p.getAttribute('fill') === '#9e9e9e')",
        timeout=30_000,
    )
    assert page.errors == []


def test_white_areas_overlay(page):
    page.wait_for_function("document.querySelectorAll('path.village-marker').length > 0")
    label = page.locator(".leaflet-control-layers-overlays label", has_text="White areas")
    assert "SYNTHETIC" in label.inner_text()
    label.locator("input").check()
    page.wait_for_function(
        "document.querySelectorAll('path.white-area').length > 0", timeout=30_000
    )
    assert page.errors == []


def test_the_map_offers_the_profiles_of_the_build(browser, ebike_build_dir):
    """A profile from a user file (the e-bike) is in the mode list, by its label, and works."""
    with _serve(make_settings(build=str(ebike_build_dir))) as url:
        pg = _open_page(browser, url)
        pg.wait_for_function("document.querySelectorAll('path.village-marker').length > 0",
                             timeout=30_000)  # fmt: skip
        options = pg.locator("#profile option")
        assert options.all_inner_texts() == [
            "Car (auto)", "Bicycle (fiets)", "E-bike (e-fiets, 20 km/h)"]  # fmt: skip
        pg.select_option("#category", "supermarket")
        pg.select_option("#profile", "ebike")
        pg.wait_for_function(
            "document.querySelector('#status').textContent.includes('villages')"
            " && !document.querySelector('#status').textContent.includes('loading')",
            timeout=30_000,
        )
        assert "error" not in (pg.locator("#status").get_attribute("class") or "")
        assert pg.errors == []


def test_persons_grid_overlay(page, client):
    """The residents grid: a cell per populated 250 m square, coloured by mean distance."""
    page.wait_for_function("document.querySelectorAll('path.village-marker').length > 0")
    assert "mean over the residents" in page.locator("#legend-method").inner_text()
    label = page.locator(".leaflet-control-layers-overlays label", has_text="residents live")
    label.locator("input").check()
    n = client.get("/collections/persons_grid/items", params={"limit": 1}).json()["numberMatched"]
    page.wait_for_function(
        f"document.querySelectorAll('path.persons-cell').length === {n}", timeout=30_000
    )
    label.locator("input").uncheck()
    assert page.errors == []


def _open_offline(browser, server_url: str, path: str):
    """A page at ``server_url + path`` with every request elsewhere blocked and recorded
    (in ``page.blocked``), as on a machine without internet."""
    pg = browser.new_page(viewport={"width": 1200, "height": 900})
    pg.errors, pg.blocked = [], []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))

    def block(route) -> None:
        pg.blocked.append(route.request.url)
        route.abort()

    pg.route(lambda u: not u.startswith(server_url), block)
    pg.goto(server_url + path.lstrip("/"))
    return pg


def test_swagger_ui_renders_offline(browser, server_url, client):
    """/docs (vendored Swagger UI) shows every operation with the internet blocked."""
    paths = client.get("/openapi.json").json()["paths"]
    n = sum(len(ops) for ops in paths.values())
    assert n >= 10
    pg = _open_offline(browser, server_url, "/docs")
    pg.wait_for_function(f"document.querySelectorAll('.opblock').length === {n}",
                         timeout=30_000)  # fmt: skip
    assert "bereik" in pg.locator(".info .title").inner_text()
    assert pg.blocked == [] and pg.errors == []
    pg.close()


def test_redoc_renders_offline(browser, server_url, client):
    """/redoc (vendored ReDoc, no Google Fonts) shows the operations with the internet blocked."""
    paths = client.get("/openapi.json").json()["paths"]
    summary = paths["/villages"]["get"]["summary"]
    pg = _open_offline(browser, server_url, "/redoc")
    pg.locator("h2", has_text=summary).first.wait_for(timeout=30_000)
    assert pg.locator("h2").count() >= 10
    assert pg.blocked == [] and pg.errors == []
    pg.close()
