"""The web map in a real (headless) browser: villages, labels, legends, isochrones, what-if,
suggested sites, the comparison of two builds, the language switch, the basemap and the API docs.

Chromium comes from Debian (``/usr/bin/chromium``), the driver from the ``playwright``
Python package; ``playwright install`` is never needed. One server per module serves two
builds: the sample (``demo``) and the sample with one more supermarket (``plus``). Each
state worth showing is saved under ``docs/screenshots/map-*.png`` (the README shows some),
so a test run regenerates them.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from app_helpers import make_settings

from app.main import create_app
from tests.serving import serve

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
MAP_JS = ROOT / "app" / "static" / "map.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 860}
READY = "document.documentElement.dataset.mapState === 'ready'"
DENNER = "node/761534771"  # the supermarket of Triesenberg: closing it moves 4 villages

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


@contextmanager
def _serve(settings) -> Iterator[str]:
    """The app of ``settings`` served by uvicorn in a thread on a free localhost port."""
    with serve(create_app(settings)) as url:
        yield url + "/"


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), driven by Playwright."""
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server_url(app_build_dir, plus_build_dir) -> Iterator[str]:
    """The sample (``demo``, the default) and the sample plus a supermarket (``plus``)."""
    settings = make_settings(builds=f"demo={app_build_dir},plus={plus_build_dir}")
    with _serve(settings) as url:
        yield url


def _open_page(browser, url: str, query: str = "lang=en", routes=()):
    """A page (own context: empty localStorage) with the map at ``url?query``, loaded.

    JS errors are collected in ``page.errors``; requests elsewhere than ``url`` are refused;
    ``routes``: ``(pattern, handler)`` pairs answering some requests in the service's place.
    """
    pg = browser.new_page(viewport=VIEWPORT)
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.route(lambda u: not u.startswith(url), lambda route: route.abort())
    for pattern, handler in routes:
        pg.route(pattern, handler)
    pg.goto(url + (f"?{query}" if query else ""))
    _wait_ready(pg)
    return pg


def _wait_ready(pg, condition: str = "true") -> None:
    """Wait until the map has drawn its villages, is idle, and ``condition`` holds."""
    pg.wait_for_function(
        f"document.querySelectorAll('path.village-marker').length > 0 && {READY} && ({condition})",
        timeout=30_000,
    )


@pytest.fixture
def page(browser, server_url):
    """The map of the sample in English, loaded."""
    pg = _open_page(browser, server_url)
    yield pg
    assert pg.errors == []
    pg.close()


def _shot(pg, name: str) -> None:
    """Save the page as docs/screenshots/``name`` (after labels and animations settle).

    Reduced to 256 colours (Pillow, which matplotlib brings) to keep the repository small.
    """
    pg.mouse.move(VIEWPORT["width"] / 2, VIEWPORT["height"] - 2)  # no tooltip in the picture
    pg.wait_for_timeout(400)
    SHOTS.mkdir(parents=True, exist_ok=True)
    png = pg.screenshot()
    try:
        from PIL import Image
    except ImportError:
        (SHOTS / name).write_bytes(png)
        return
    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
        # every colour map.js names is kept exactly; the octree picks the others
        named = sorted(set(re.findall(r"#[0-9a-fA-F]{6}\b", MAP_JS.read_text())))[:96]
        octree = rgb.quantize(colors=256 - len(named), method=Image.Quantize.FASTOCTREE)
        palette = (octree.getpalette() or [])[: 3 * (256 - len(named))]
        palette += [int(c[i : i + 2], 16) for c in named for i in (1, 3, 5)]
        holder = Image.new("P", (1, 1))
        holder.putpalette(palette)
        small = rgb.quantize(palette=holder, dither=Image.Dither.NONE)
        small.save(SHOTS / name, optimize=True)


def _click_lonlat(pg, lon: float, lat: float) -> None:
    pt = pg.evaluate(f"window.bereik.map.latLngToContainerPoint([{lat}, {lon}])")
    box = pg.locator("#map").bounding_box()
    pg.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])


def _click_facility(pg, facility_id: str) -> None:
    r = pg.evaluate(
        "id => window.bereik.facilityLayer.getLayers().find(m => m.bereikId === id)"
        ".getElement().getBoundingClientRect().toJSON()",
        facility_id,
    )
    pg.mouse.click(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)


def _classes(pg, prefix: str) -> list[str]:
    """The class (starting with ``prefix``) of every village marker."""
    return pg.evaluate(
        "p => Array.from(document.querySelectorAll('path.village-marker')).map(e =>"
        " Array.from(e.classList).find(c => c.startsWith(p)) || '')",
        prefix,
    )


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


# --- the accessibility view ------------------------------------------------------------------
def test_the_map_draws_villages_facilities_and_labels(browser, server_url, client):
    n = len(client.get("/villages").json()["features"])
    pg = _open_page(browser, server_url, "lang=en&category=supermarket")
    assert pg.locator("path.village-marker").count() == n
    assert pg.locator(".facility-marker").count() == 11
    # facilities are drawn above the villages (their pane is higher)
    z = pg.evaluate("['villages', 'labels', 'facilities'].map(p =>"
                    " +window.bereik.map.getPane(p).style.zIndex)")  # fmt: skip
    assert z[0] < z[1] < z[2]
    labels = pg.locator(".village-label").all_inner_texts()
    assert "Schaan" in labels and "Vaduz" in labels
    assert "OpenStreetMap" in pg.locator(".leaflet-control-attribution").inner_text()
    assert "SYNTHETIC" in pg.locator(".leaflet-control-attribution").inner_text()
    assert "villages, 11 \u00d7 Supermarket" in pg.locator("#status").inner_text()
    # double-disadvantage villages (remote and in a white area) are marked
    dd = client.get("/villages", params={"double_disadvantage": "true"}).json()["features"]
    assert len(dd) >= 1
    assert pg.locator("path.double-disadvantage").count() == len(dd)
    _shot(pg, "map-overview.png")
    assert pg.errors == []
    pg.close()


def _label_boxes(pg) -> list[dict]:
    return pg.evaluate("Array.from(document.querySelectorAll('.village-label'))"
                       ".map(e => e.getBoundingClientRect().toJSON())")  # fmt: skip


def test_labels_declutter_with_zoom(page):
    z = page.evaluate("window.bereik.map.getZoom()")
    near = len(_label_boxes(page))
    page.evaluate(f"void window.bereik.map.setZoom({z - 2}, {{animate: false}})")
    page.wait_for_timeout(300)
    far = _label_boxes(page)
    assert 1 <= len(far) < near, "zoomed out, fewer names fit"
    assert "Schaan" in page.locator(".village-label").all_inner_texts()  # the largest first
    for i, a in enumerate(far):  # no two names overlap
        for b in far[i + 1 :]:
            overlap = (a["left"] < b["right"] and b["left"] < a["right"]
                       and a["top"] < b["bottom"] and b["top"] < a["bottom"])  # fmt: skip
            assert not overlap, (a, b)
    page.evaluate(f"void window.bereik.map.setZoom({z}, {{animate: false}})")
    page.wait_for_timeout(300)
    assert len(_label_boxes(page)) == near  # zoomed in again, the names come back
    # the names can be switched off
    page.locator("#layers label", has_text="Village names").locator("input").uncheck()
    assert page.locator(".village-label").count() == 0


def test_legend_has_every_symbol_and_colours_by_time(page):
    legend = page.locator("#legend")
    keys = set(legend.locator(".legend-entry").evaluate_all("es => es.map(e => e.dataset.key)"))
    assert {"class-0", "class-4", "reason-no_facility", "reason-unreachable",
            "reason-not_on_network", "size", "facility", "roads",
            "double-disadvantage"} <= keys  # fmt: skip
    text = legend.inner_text()
    assert "Circle = residents" in text and "1 - 3 km" in text
    assert "none in the data" in text and "unreachable" in text and "not on the road" in text
    before = page.evaluate("Array.from(document.querySelectorAll('path.village-marker'))"
                           ".map(e => e.getAttribute('fill'))")  # fmt: skip
    page.select_option("#measure", "time")
    page.wait_for_function("document.querySelector('#legend').textContent.includes('< 5 min')")
    assert "Travel time to the nearest" in legend.inner_text()
    after = page.evaluate("Array.from(document.querySelectorAll('path.village-marker'))"
                          ".map(e => e.getAttribute('fill'))")  # fmt: skip
    assert len(after) == len(before) and after != before


def test_none_in_the_data_is_said_plainly(page):
    page.select_option("#category", "gp")  # no GP practice in the sample's OSM data
    _wait_ready(page, "!!document.querySelector('#notice')")
    assert "This extract has no GP practice (huisartsenpraktijk) at all" in (
        page.locator("#notice").inner_text()
    )
    assert set(_classes(page, "reason-")) == {"reason-no_facility"}
    entry = page.locator("#legend .legend-entry[data-key='reason-no_facility']")
    assert "highlight" in (entry.get_attribute("class") or "")
    assert "no GP practice" in page.locator("#status").inner_text()
    assert "none in the data" in page.locator("#category option[value='gp']").inner_text()
    page.click("#lang-nl")
    assert "Dit extract heeft geen enkele huisartsenpraktijk" in (
        page.locator("#notice").inner_text()
    )
    _shot(page, "map-none-in-data.png")


def test_isochrones_with_chosen_minutes_metres_and_from_a_village(page, client):
    page.fill("#iso-values", "4, 8")
    lon, lat = _open_road_point(client)
    _click_lonlat(page, lon, lat)
    _wait_ready(page, "document.querySelectorAll('path.isochrone').length === 2")
    legend = page.locator("#legend")
    assert legend.locator("[data-key='isochrone-4']").count() == 1
    assert "isochrone 8 minutes" in legend.inner_text()
    assert "2 isochrones: 4, 8 minutes by Car (auto)" in page.locator("#status").inner_text()
    page.select_option("#iso-unit", "meters")  # by road distance
    page.fill("#iso-values", "500,1500,3000")
    _click_lonlat(page, lon, lat)
    _wait_ready(page, "!!document.querySelector(\"[data-key='isochrone-3000']\")")
    assert page.locator("path.isochrone").count() == 3
    assert "isochrone 1,500 metres" in legend.inner_text()
    # from a village: its popup's button
    ruggell = page.evaluate("window.bereik.map.latLngToContainerPoint("
                            "window.bereik.markers['node/240120066'].getLatLng())")  # fmt: skip
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + ruggell["x"], box["y"] + ruggell["y"])
    assert "Ruggell" in page.locator(".leaflet-popup").inner_text()
    page.locator(".leaflet-popup button.iso-here").click()
    page.wait_for_function("document.querySelector('#status').textContent.includes('isochrones')")
    _wait_ready(page)
    assert page.locator("path.isochrone").count() == 3
    _shot(page, "map-isochrones.png")
    page.click("#iso-clear")
    assert page.locator("path.isochrone").count() == 0


# --- what if ---------------------------------------------------------------------------------
def test_what_if_closing_a_facility_recolours_and_summarises(browser, server_url):
    pg = _open_page(browser, server_url, "lang=en&category=supermarket")
    pg.click("#mode-whatif")
    assert "Click a facility to close it" in pg.locator("#mode-panel").inner_text()
    _click_facility(pg, DENNER)
    _wait_ready(pg, "document.querySelectorAll('path.change-worse, path.change-much_worse')"
                    ".length > 0")  # fmt: skip
    changes = _classes(pg, "change-")
    assert len(changes) == 19 and set(changes) <= {"change-same", "change-worse",
                                                   "change-much_worse"}  # fmt: skip
    summary = pg.locator("#whatif-summary").inner_text()
    assert "villages farther" in summary and "Proximity got worse" in summary
    assert "residents farther" in summary and "no longer within 5 km" in summary
    assert pg.locator(".facility-marker.closed").count() == 1
    assert "closed: Denner" in pg.locator("#whatif-changes").inner_text()
    # a click on a panel (the tab above, redrawn under the pointer) opens nothing
    assert pg.locator(".facility-new").count() == 0
    assert "error" not in (pg.locator("#status").get_attribute("class") or "")
    legend = pg.locator("#legend").inner_text()
    assert "What if: change of the road distance" in legend and "loses access" in legend
    _shot(pg, "map-whatif.png")
    pg.click("#whatif-reset")
    _wait_ready(pg, "document.querySelectorAll('path.change-worse').length === 0")
    assert set(_classes(pg, "change-")) == {""}
    assert pg.locator(".facility-marker.closed").count() == 0
    assert pg.errors == []
    pg.close()


def test_what_if_opening_a_facility_where_there_is_none(browser, server_url, client):
    pg = _open_page(browser, server_url, "lang=en&category=gp")
    pg.click("#mode-whatif")
    lon, lat = _open_road_point(client)
    _click_lonlat(pg, lon, lat)
    _wait_ready(pg, "document.querySelectorAll('path.change-gained').length > 0")
    assert set(_classes(pg, "change-")) == {"change-gained"}
    assert pg.locator(".facility-new").count() == 1
    summary = pg.locator("#whatif-summary").inner_text()
    assert "19 villages gain access" in summary and "at least stayed the same" in summary
    pg.locator(".facility-new").click()  # a click on the new one takes it back
    _wait_ready(pg, "document.querySelectorAll('path.change-gained').length === 0")
    assert set(_classes(pg, "reason-")) == {"reason-no_facility"}
    assert pg.errors == []
    pg.close()


# --- suggested sites -------------------------------------------------------------------------
def _click_suggested(pg, rank: int) -> None:
    r = pg.evaluate(
        "rank => window.bereik.suggestLayer.getLayers().find(m => m.bereikRank === rank)"
        ".getElement().getBoundingClientRect().toJSON()",
        rank,
    )
    pg.mouse.click(r["x"] + r["width"] / 2, r["y"] + r["height"] / 2)


def _nl(text: str) -> str:
    """An English-formatted number (1,234.5) as Dutch writes it (1.234,5)."""
    return text.translate(str.maketrans(",.", ".,"))


def test_suggested_sites_each_one_click_from_a_what_if_scenario(browser, server_url, client):
    """Two pharmacies within 3 km: two numbered pins and the shares before and after as
    POST /suggest gives them; the first opened as a scenario sends that site to POST
    /scenarios and shows what it reports. An error is one line; another category clears."""
    body = {"category": "pharmacy", "within_km": 3, "count": 2, "objective": "coverage",
            "candidates": "villages", "profile": "car"}  # fmt: skip
    want = client.post("/suggest", json=body).json()
    s, sites = want["summary"], want["sites"]
    assert len(sites) == 2 and s["method"] == "exact" and s["demand_unit"] == "persons"
    before, after = f"{100 * s['share_within_before']:.1f}", f"{100 * s['share_within_after']:.1f}"
    persons = f"{s['persons']:,.0f}"
    pg = _open_page(browser, server_url, "lang=en&category=pharmacy")
    pg.click("#mode-whatif")
    assert "Suggest sites" in pg.locator("#suggest-panel").inner_text()
    assert pg.locator("#suggest-km").input_value() == "5"  # the defaults
    assert pg.locator("#suggest-count").input_value() == "1"
    assert pg.locator("#suggest-objective").input_value() == "coverage"
    pg.fill("#suggest-km", "3")
    pg.fill("#suggest-count", "2")
    with pg.expect_request(lambda r: "/suggest" in r.url and r.method == "POST") as req:
        pg.click("#suggest-run")
    assert req.value.post_data_json == body and "build=demo" in req.value.url
    _wait_ready(pg, "document.querySelectorAll('.suggest-marker').length === 2")
    assert pg.locator("#suggest-summary .suggest-line").inner_text() == (
        f"within 3 km: {before} % \u2192 {after} % of {persons} persons (exact)"
    )
    pins = pg.evaluate("window.bereik.suggestLayer.getLayers().map(m =>"
                       " [m.bereikRank, m.getLatLng().lng, m.getLatLng().lat])")  # fmt: skip
    assert pins == [[x["rank"], x["lon"], x["lat"]] for x in sites]
    assert pg.locator("#legend [data-key='suggested']").count() == 1
    # the first pin: rank, name, persons newly within, the share then, and its button
    first = sites[0]
    _click_suggested(pg, 1)
    popup = pg.locator(".leaflet-popup").inner_text()
    assert f"1. {first['name']}" in popup and "suggested pharmacy" in popup
    assert f"{first['newly_within']:,.0f} persons newly within 3 km" in popup
    assert f"then {100 * first['share_within_after']:.1f} % within 3 km" in popup
    with pg.expect_request(lambda r: "/scenarios" in r.url and r.method == "POST") as req:
        pg.locator(".leaflet-popup button.suggest-open", has_text="Open here as scenario").click()
    (opened,) = req.value.post_data_json["open"]
    assert (opened["category"], opened["lon"], opened["lat"]) == (
        "pharmacy", first["lon"], first["lat"])  # fmt: skip
    _wait_ready(pg, "!!document.querySelector('#whatif-summary .verdict')")
    scenario = client.post("/scenarios", json={
        "open": [{"category": "pharmacy", "lon": first["lon"], "lat": first["lat"]}],
        "profile": "car"}).json()  # fmt: skip
    (sm,) = [x for x in scenario["summary"] if x["category"] == "pharmacy"]
    (sp,) = [x for x in scenario["persons"] if x["category"] == "pharmacy"]
    assert sm["villages_better"] >= 1 and sm["villages_worse"] == 0
    summary = pg.locator("#whatif-summary").inner_text()
    assert (f"{sm['villages_better']} villages closer "
            f"({sm['population_better']:,.0f} residents)") in summary  # fmt: skip
    assert f"{sp['weight_better']:,.0f} closer" in summary
    assert "Proximity at least stayed the same" in summary
    changes = _classes(pg, "change-")
    closer = [c for c in changes if c in {"change-better", "change-much_better"}]
    assert len(closer) == sm["villages_better"] and "change-worse" not in changes
    assert f"opened: {first['name']} (suggestion 1)" in pg.locator("#whatif-changes").inner_text()
    assert pg.locator(".facility-new").count() == 1
    assert pg.locator(".suggest-marker.opened").count() == 1  # its pin says it is open
    assert pg.locator(".suggest-marker").count() == 2
    _shot(pg, "map-suggest.png")
    pg.click("#lang-nl")
    assert pg.locator("#suggest-summary .suggest-line").inner_text() == (
        f"binnen 3 km: {_nl(before)} % \u2192 {_nl(after)} % van {_nl(persons)} inwoners (exact)"
    )
    assert "Locaties voorstellen" in pg.locator("#suggest-panel").inner_text()
    pg.click("#lang-en")
    pg.click("#suggest-clear")
    assert pg.locator(".suggest-marker").count() == 0
    assert pg.locator("#suggest-summary").inner_text() == ""
    # an error (over a limit) is one line in the panel
    detail = client.post("/suggest", json={**body, "within_km": 500}).json()["detail"]
    assert "max_within_km" in detail
    pg.fill("#suggest-km", "500")
    pg.click("#suggest-run")
    _wait_ready(pg, "document.querySelector('#status').classList.contains('error')")
    assert pg.locator("#status").inner_text() == detail
    assert pg.locator(".suggest-marker").count() == 0
    # another category clears the pins
    pg.fill("#suggest-km", "3")
    pg.click("#suggest-run")
    _wait_ready(pg, "document.querySelectorAll('.suggest-marker').length === 2")
    pg.select_option("#category", "supermarket")
    _wait_ready(pg)
    assert pg.locator(".suggest-marker").count() == 0
    assert pg.locator("#suggest-summary").inner_text() == ""
    assert pg.errors == []
    pg.close()


# --- compare two builds ------------------------------------------------------------------
def test_compare_two_builds(browser, server_url):
    pg = _open_page(browser, server_url, "lang=en&category=supermarket")
    pg.click("#mode-compare")
    assert pg.locator("#compare-old").input_value() == "demo"
    assert pg.locator("#compare-new").input_value() == "plus"
    _wait_ready(pg, "document.querySelectorAll('path.change-better, path.change-much_better')"
                    ".length > 0")  # fmt: skip
    changes = _classes(pg, "change-")
    assert len(changes) == 19 and "change-worse" not in changes
    gamprin = pg.evaluate("Array.from(window.bereik.markers['node/240080206']"
                          ".getElement().classList)")  # fmt: skip
    assert {"change-better", "change-much_better"} & set(gamprin)
    summary = pg.locator("#compare-summary").inner_text()
    assert "villages closer" in summary and "Proximity at least stayed the same" in summary
    assert "Change of the road distance: demo → plus" in pg.locator("#legend").inner_text()
    _shot(pg, "map-compare.png")
    pg.select_option("#compare-old", "plus")  # the other way round: it closed
    pg.select_option("#compare-new", "demo")
    _wait_ready(pg, "document.querySelectorAll('path.change-worse, path.change-much_worse')"
                    ".length > 0")  # fmt: skip
    assert "Proximity got worse" in pg.locator("#compare-summary").inner_text()
    assert pg.errors == []
    pg.close()


# --- language ------------------------------------------------------------------------------
def test_dutch_by_default_english_on_request_and_remembered(browser, server_url):
    pg = _open_page(browser, server_url, "category=supermarket")  # no lang=: Dutch
    assert pg.evaluate("document.documentElement.lang") == "nl"
    assert pg.locator("label[for='category']").inner_text() == "Voorziening"
    assert pg.locator("#category option[value='supermarket']").inner_text() == "Supermarkt (11)"
    assert pg.locator("#category option[value='gp']").inner_text() == (
        "Huisartsenpraktijk \u2013 geen in de data"
    )
    assert pg.locator("#profile option").all_inner_texts() == ["Auto", "Fiets", "Lopen"]
    assert "Afstand tot de dichtstbijzijnde supermarkt" in pg.locator("#legend").inner_text()
    assert "Witte vlekken (breedband) \u2013 SYNTHETISCH" in pg.locator("#layers").inner_text()
    assert "dorpen" in pg.locator("#status").inner_text()
    _shot(pg, "map-nl.png")
    pg.click("#lang-en")
    assert pg.locator("label[for='category']").inner_text() == "Facility"
    assert "Distance to the nearest supermarket" in pg.locator("#legend").inner_text()
    assert pg.evaluate("document.documentElement.lang") == "en"
    pg.reload()
    _wait_ready(pg)
    assert pg.locator("label[for='category']").inner_text() == "Facility"  # remembered
    pg.click("#lang-nl")
    assert pg.locator("#mode-whatif").inner_text() == "Wat als?"
    assert pg.evaluate("localStorage.getItem('bereik.lang')") == "nl"
    assert pg.errors == []
    pg.close()


# --- overlays and panels --------------------------------------------------------------------
def test_white_areas_overlay(page):
    label = page.locator("#layers label", has_text="White areas")
    assert "SYNTHETIC" in label.inner_text()
    label.locator("input").check()
    page.wait_for_function(
        "document.querySelectorAll('path.white-area').length > 0", timeout=30_000
    )
    assert "white area: broadband below 30 Mbit/s (SYNTHETIC)" in (
        page.locator("#legend").inner_text()
    )


def test_persons_grid_overlay(page, client):
    """The residents grid: a cell per populated 250 m square, coloured by mean distance."""
    assert "mean over the residents" in page.locator("#legend-method").inner_text()
    label = page.locator("#layers label", has_text="residents live")
    label.locator("input").check()
    n = client.get("/collections/persons_grid/items", params={"limit": 1}).json()["numberMatched"]
    page.wait_for_function(
        f"document.querySelectorAll('path.persons-cell').length === {n}", timeout=30_000
    )
    assert page.locator("#legend [data-key='grid']").count() == 1
    label.locator("input").uncheck()


def test_double_disadvantage_list_zooms_to_the_village(page, client):
    dd = client.get("/double-disadvantage").json()["features"]
    page.wait_for_function("document.querySelectorAll('.dd-entry').length > 0")
    assert page.locator(".dd-entry").count() == len(dd)
    assert "Double disadvantage (SYNTHETIC)" in page.locator("#dd-panel").inner_text()
    page.locator(".dd-entry").first.click()
    page.wait_for_function("window.bereik.map.getZoom() >= 13")
    page.locator(".leaflet-popup").wait_for()
    assert dd[0]["properties"]["village_name"] in page.locator(".leaflet-popup").inner_text()


BASEMAP = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"kind": "water", "name": "Rhein", "rank": None},
         "geometry": {"type": "Polygon", "coordinates": [[[9.49, 47.10], [9.50, 47.10],
                                                          [9.51, 47.20], [9.50, 47.20],
                                                          [9.49, 47.10]]]}},
        {"type": "Feature", "properties": {"kind": "forest", "name": None, "rank": None},
         "geometry": {"type": "Polygon", "coordinates": [[[9.55, 47.15], [9.58, 47.15],
                                                          [9.58, 47.17], [9.55, 47.17],
                                                          [9.55, 47.15]]]}},
        {"type": "Feature", "properties": {"kind": "waterway", "name": "Binnenkanal",
                                           "rank": None},
         "geometry": {"type": "LineString", "coordinates": [[9.51, 47.10], [9.52, 47.22]]}},
        {"type": "Feature", "properties": {"kind": "place", "name": "Sevelen", "rank": 3},
         "geometry": {"type": "Point", "coordinates": [9.4867, 47.1217]}},
        {"type": "Feature", "properties": {"kind": "place", "name": "Vaduz", "rank": 3},
         "geometry": {"type": "Point", "coordinates": [9.5215, 47.1415]}},
    ],
}  # fmt: skip


def _basemap_answer(status: int, content_type: str, body: str):
    """A route answering ``GET /basemap`` with this response instead of the service."""

    def answer(route) -> None:
        route.fulfill(status=status, content_type=content_type, body=body)

    return "**/basemap?**", answer


def test_basemap_when_the_service_has_one(browser, server_url):
    """GET /basemap drawn under everything, its place names beside the villages' (not
    twice), its kinds in the legend; a 404 (no basemap) is skipped silently."""
    pg = _open_page(browser, server_url, routes=[
        _basemap_answer(200, "application/geo+json", json.dumps(BASEMAP))])  # fmt: skip
    keys = pg.locator("#legend .legend-entry").evaluate_all("es => es.map(e => e.dataset.key)")
    assert {"basemap-water", "basemap-forest", "basemap-waterway", "basemap-place"} <= set(keys)
    assert "Background map (from the extract)" in pg.locator("#layers").inner_text()
    assert pg.locator(".place-label").all_inner_texts() == ["Sevelen"]  # Vaduz is a village
    assert pg.evaluate("window.bereik.map.getPane('basemap').querySelectorAll('canvas').length")
    assert pg.errors == []
    pg.close()
    pg = _open_page(browser, server_url, routes=[
        _basemap_answer(404, "application/json", '{"detail": "no basemap"}')])  # fmt: skip
    assert "Background map" not in pg.locator("#layers").inner_text()
    assert "error" not in (pg.locator("#status").get_attribute("class") or "")
    assert pg.locator(".place-label").count() == 0
    assert pg.errors == []
    pg.close()


def test_the_map_offers_the_profiles_of_the_build(browser, ebike_build_dir):
    """A profile from a user file (the e-bike) is in the mode list, by its label, and works.

    With BEREIK_TILE_URL set (here tiles from this service) the tiles are the background,
    not the build's basemap; a single build has nothing to compare.
    """
    tiles = "static/vendor/leaflet/images/layers.png?z={z}&x={x}&y={y}"
    with _serve(make_settings(build=str(ebike_build_dir), tile_url=tiles)) as url:
        pg = _open_page(browser, url)
        assert pg.locator(".leaflet-tile").count() > 0
        assert "Background tiles" in pg.locator("#layers").inner_text()
        assert "Background map" not in pg.locator("#layers").inner_text()
        options = pg.locator("#profile option")
        assert options.all_inner_texts() == [
            "Car (auto)", "Bicycle (fiets)", "E-bike (e-fiets, 20 km/h)"]  # fmt: skip
        pg.select_option("#category", "supermarket")
        _wait_ready(pg)
        pg.select_option("#profile", "ebike")
        pg.wait_for_function(
            f"document.querySelector('#status').textContent.includes('villages') && {READY}",
            timeout=30_000,
        )
        assert "error" not in (pg.locator("#status").get_attribute("class") or "")
        assert pg.locator("#mode-compare").count() == 1
        pg.click("#mode-compare")  # one build only: says how to serve two
        assert "--build a --build b" in pg.locator("#mode-panel").inner_text()
        assert pg.errors == []
        pg.close()


# --- the API documentation, offline -------------------------------------------------------
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


# --- public transport ---------------------------------------------------------------------------
def test_without_a_car_mode_and_transit_isochrones(browser, transit_build_dir):
    """A build with a GTFS feed offers "public transport" and "without a car": the villages
    are coloured by time (the fastest of walk, bike and transit), the popup gives the
    window's median, p90, transfers and the VF ratio, and an isochrone by transit draws."""
    with _serve(make_settings(build=str(transit_build_dir))) as url:
        pg = _open_page(browser, url, "lang=en&category=school&profile=no_car")
        options = pg.locator("#profile option").all_inner_texts()
        assert options[-2:] == ["Public transport (median)",
                                "Without a car (walk, bike, transit)"]  # fmt: skip
        legend = pg.locator("#legend").inner_text()
        assert "without a car" in legend.lower()
        pg.evaluate("""() => {
            const m = Object.values(window.bereik.markers).find(x => x.bereikName === 'Boxberg');
            m.openPopup(); }""")  # fmt: skip
        popup = pg.locator(".leaflet-popup-content").inner_text()
        assert "public transport: median" in popup and "without a car:" in popup
        assert "transit/car (VF)" in popup
        _shot(pg, "map-without-car.png")
        pg.evaluate("() => window.bereik.map.closePopup()")
        pg.select_option("#profile", "transit")
        _wait_ready(pg)
        pg.evaluate("""() => {
            const m = Object.values(window.bereik.markers).find(x => x.bereikName === 'Boxberg');
            m.openPopup(); }""")  # fmt: skip
        pg.click(".leaflet-popup-content .iso-here")  # by transit from the village
        pg.wait_for_function(
            "window.bereik.isoLayer.getLayers().length > 0 && " + READY, timeout=30_000
        )
        assert "error" not in (pg.locator("#status").get_attribute("class") or "")
        assert pg.errors == []
        pg.close()
