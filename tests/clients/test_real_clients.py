"""Real GIS clients against the served sample (issue 10): Debian's GDAL 3.6 (``ogrinfo``,
``ogr2ogr``, the OAPIF and GeoJSON drivers) and QGIS 3.22 (its ``OAPIF`` and ``ogr``
providers, run by ``/usr/bin/python3``) read the OGC API Features collections, the
isochrones and the catchments, and QGIS every layer of the build's GeoPackage.

Each test skips with the reason when its client is not installed (Debian: ``gdal-bin``,
``qgis`` and ``python3-qgis``; ``.ci/run`` installs them). The server is started once for
the module (``conftest.py``); QGIS runs once for all its checks.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

SYSTEM_PYTHON = Path("/usr/bin/python3")  # QGIS's Python bindings live in the system Python
QGIS_PROBE = Path(__file__).with_name("qgis_probe.py")
ISOCHRONES = "/isochrones?lon=9.5209&lat=47.1410&profile=car&minutes=5,10,15"
CATCHMENT = "/catchments?category=supermarket&minutes=10"
CATCHMENT_VILLAGES = CATCHMENT + "&layer=villages"
#: the most requests a client may need for the largest collection (7,627 walking edges)
MAX_REQUESTS = 20

#: the geometry class of the sample's collections (``edges_<profile>``: lines)
GEOMETRY = {
    "villages": "Point", "facilities": "Point", "addresses": "Point",
    "municipalities": "Polygon", "white_areas": "Polygon", "persons_grid": "Polygon",
}  # fmt: skip
#: GDAL's names of those geometry types (ogrinfo's ``Geometry:`` line and layer list)
GDAL_TYPES = {
    "Point": {"Point", "Multi Point"},
    "Polygon": {"Polygon", "Multi Polygon"},
    "Line": {"Line String", "Multi Line String"},
}

pytestmark = pytest.mark.slow


def geometry_class(collection: str) -> str:
    if collection.startswith("edges_"):
        return "Line"
    return GEOMETRY.get(collection, f"{collection}: not in GEOMETRY")


def _clean(stderr: str) -> bool:
    return "Warning" not in stderr and "ERROR" not in stderr


# ---------------------------------------------------------------------------------------
# GDAL
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gdal() -> dict[str, str]:
    tools = {name: shutil.which(name) for name in ("ogrinfo", "ogr2ogr")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian: apt-get install gdal-bin)")
    return tools  # type: ignore[return-value]


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False,
                          **kwargs)  # fmt: skip


def _gdal_layers(ogrinfo_stdout: str) -> dict[str, str]:
    """``{layer: geometry type}`` from the layer list of ``ogrinfo -so DATASOURCE``."""
    return {m[1]: m[2] for m in re.finditer(r"^\d+: (\S+) .*\(([^()]+)\)$", ogrinfo_stdout,
                                            flags=re.MULTILINE)}  # fmt: skip


def _gdal_summary(ogrinfo_stdout: str) -> dict[str, Any]:
    """Geometry, feature count and fields of one layer in ``ogrinfo -so`` output."""
    fields = dict(re.findall(r"^(\w+): (\w+(?:\(\w+\))?) \(", ogrinfo_stdout, flags=re.MULTILINE))
    geometry = re.search(r"^Geometry: (.+)$", ogrinfo_stdout, flags=re.MULTILINE)
    count = re.search(r"^Feature Count: (-?\d+)$", ogrinfo_stdout, flags=re.MULTILINE)
    return {"geometry": geometry and geometry[1], "count": count and int(count[1]),
            "fields": fields}  # fmt: skip


def test_gdal_lists_every_collection(gdal, served):
    done = _run([gdal["ogrinfo"], "-ro", "-so", f"OAPIF:{served.url}"])
    assert done.returncode == 0, done.stderr
    assert _clean(done.stderr), done.stderr
    layers = _gdal_layers(done.stdout)
    assert sorted(layers) == sorted(served.collections()), done.stdout
    for name, geometry in layers.items():
        assert geometry in GDAL_TYPES.get(geometry_class(name), ()), (name, geometry)


@pytest.fixture(scope="module")
def gdal_copy(gdal, served, tmp_path_factory) -> dict[str, Any]:
    """Every collection copied in full by one ``ogr2ogr -oo PAGE_SIZE=1000`` into a
    GeoPackage, with the requests the server saw and GDAL's stderr."""
    out = tmp_path_factory.mktemp("gdal") / "copy.gpkg"
    served.requests.take()
    done = _run([gdal["ogr2ogr"], "-oo", "PAGE_SIZE=1000", str(out), f"OAPIF:{served.url}"])
    requests = served.requests.take()
    assert done.returncode == 0, done.stderr
    summaries = {}
    for name in served.collections():
        info = _run([gdal["ogrinfo"], "-ro", "-so", str(out), name])
        assert info.returncode == 0, info.stderr
        summaries[name] = _gdal_summary(info.stdout)
    return {"gpkg": out, "stderr": done.stderr, "requests": requests, "layers": summaries}


def test_gdal_copies_every_collection_in_full(gdal_copy, served):
    assert _clean(gdal_copy["stderr"]), gdal_copy["stderr"]
    for name, layer in gdal_copy["layers"].items():
        assert layer["count"] == served.number_matched(name), name
        assert layer["geometry"] in GDAL_TYPES.get(geometry_class(name), ()), (name, layer)


def test_gdal_pages_the_largest_collection_in_few_requests(gdal_copy, served):
    largest = max(served.collections(), key=served.number_matched)
    pages = [r for r in gdal_copy["requests"] if r[1] == f"/collections/{largest}/items"]
    # 7,627 walking edges: 9 pages of 1,000 (and GDAL's first probe of one page)
    assert 0 < len(pages) < MAX_REQUESTS, (largest, len(pages))
    assert all(method == "GET" for method, _, _ in pages)


def test_gdal_reads_the_villages_indicator_columns(gdal, served, gdal_copy):
    done = _run([gdal["ogrinfo"], "-ro", "-so", f"OAPIF:{served.url}", "villages"])
    assert done.returncode == 0, done.stderr
    assert _clean(done.stderr), done.stderr
    for layer in (_gdal_summary(done.stdout), gdal_copy["layers"]["villages"]):
        assert layer["geometry"] == "Point"
        assert layer["fields"]["supermarket_car_distance_m"] == "Real"
        assert layer["fields"]["population"] in {"Integer", "Integer64", "Real"}


def _exterior_rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [polygon[0] for polygon in polygons]


def test_gdal_reads_the_isochrones_as_a_polygon_layer(gdal, served, tmp_path):
    done = _run([gdal["ogrinfo"], "-ro", "-al", "-so", f"/vsicurl/{served.url}{ISOCHRONES}"])
    assert done.returncode == 0, done.stderr
    assert _clean(done.stderr), done.stderr
    layer = _gdal_summary(done.stdout)
    assert layer["geometry"] in GDAL_TYPES["Polygon"], done.stdout
    assert layer["count"] == 3
    assert layer["fields"]["contour"] == "Real"
    # every geometry valid as GDAL's SQLite dialect (SpatiaLite's GEOS) sees it
    path = tmp_path / "isochrones.geojson"
    fc = served.get_json(ISOCHRONES)
    path.write_text(json.dumps(fc), encoding="utf-8")
    sql = "SELECT contour, ST_IsValid(geometry) AS valid FROM isochrones ORDER BY contour"
    done = _run([gdal["ogrinfo"], "-ro", "-q", "-dialect", "SQLite", "-sql", sql, str(path)])
    assert done.returncode == 0, done.stderr
    assert _clean(done.stderr), done.stderr
    assert re.findall(r"valid \(Integer\) = (\d)", done.stdout) == ["1", "1", "1"], done.stdout
    # and as shapely sees them; outer rings counterclockwise (RFC 7946, section 3.1.6)
    for f in fc["features"]:
        assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        assert shape(f["geometry"]).is_valid, f["properties"]
        for ring in _exterior_rings(f["geometry"]):
            assert shape({"type": "LineString", "coordinates": ring}).is_ring
            assert _signed_area(ring) > 0, f"outer ring clockwise at {f['properties']}"


def _signed_area(ring: list[list[float]]) -> float:
    """Shoelace area: positive when the ring runs counterclockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def test_gdal_reads_the_catchment_layers(gdal, served):
    n_villages = served.number_matched("villages")
    for path, geometries, count in ((CATCHMENT, GDAL_TYPES["Polygon"], 1),
                                    (CATCHMENT_VILLAGES, {"Point"}, n_villages)):  # fmt: skip
        done = _run([gdal["ogrinfo"], "-ro", "-al", "-so", f"/vsicurl/{served.url}{path}"])
        assert done.returncode == 0, done.stderr
        assert _clean(done.stderr), (path, done.stderr)
        layer = _gdal_summary(done.stdout)
        assert layer["geometry"] in geometries, (path, done.stdout)
        assert layer["count"] == count, path


# ---------------------------------------------------------------------------------------
# QGIS
# ---------------------------------------------------------------------------------------


def _gpkg_layers(path: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        return [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents ORDER BY 1")]


@pytest.fixture(scope="module")
def qgis(served, demo_build, tmp_path_factory) -> dict[str, Any]:
    """One QGIS run (``qgis_probe.py``) over every check: ``results`` per key, the
    ``messages`` (QGIS's log, GDAL's stderr) per key and the server's ``requests`` per
    collection."""
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import qgis.core"], capture_output=True,
                           check=False) if SYSTEM_PYTHON.exists() else None  # fmt: skip
    if probe is None or probe.returncode != 0:
        pytest.skip("QGIS's Python bindings are not installed for /usr/bin/python3 "
                    "(Debian: apt-get install qgis python3-qgis)")  # fmt: skip
    tmp = tmp_path_factory.mktemp("qgis")  # 0700: fit for XDG_RUNTIME_DIR
    gpkg = tmp / "bereik.gpkg"  # QGIS may open it for writing: not the shared build
    shutil.copy(demo_build.path / "bereik.gpkg", gpkg)
    jobs = [[f"oapif:{name}", "OAPIF", f"url='{served.url}' typename='{name}'"]
            for name in served.collections()]  # fmt: skip
    jobs += [[f"ogr:{path}", "ogr", f"/vsicurl/{served.url}{path}"]
             for path in (ISOCHRONES, CATCHMENT, CATCHMENT_VILLAGES)]  # fmt: skip
    jobs += [[f"gpkg:{name}", "ogr", f"{gpkg}|layername={name}"] for name in _gpkg_layers(gpkg)]
    (tmp / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp)}
    served.requests.take()
    done = subprocess.run([str(SYSTEM_PYTHON), str(QGIS_PROBE), str(tmp / "jobs.json")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, env=env, cwd=tmp, check=False)  # fmt: skip
    requests = served.requests.take()
    results: dict[str, Any] = {}
    messages: dict[str, list[str]] = {}
    key = "startup"
    for line in done.stdout.splitlines():
        if line.startswith("@@ "):
            key = line[3:]
        elif line.startswith("RESULT "):
            _, k, payload = line.split(" ", 2)
            results[k] = json.loads(payload)
        elif line.strip():
            messages.setdefault(key, []).append(line)
    # the verdict is the RESULT lines (QGIS's own teardown has crashed at exit before)
    missing = [k for k, _, _ in jobs if k not in results]
    assert not missing, f"QGIS ended with {done.returncode} before {missing}: {done.stdout[-3000:]}"
    return {"results": results, "messages": messages, "requests": requests}


def _problems(qgis: dict[str, Any], key: str) -> list[str]:
    """QGIS's warnings and errors, and GDAL's, while loading ``key``."""
    flags = ("Warning", "Critical", "ERROR", "partially supported")
    return [m for m in qgis["messages"].get(key, []) if any(w in m for w in flags)]


def test_qgis_loads_every_collection(qgis, served):
    for name in served.collections():
        layer = qgis["results"][f"oapif:{name}"]
        assert layer["valid"], (name, qgis["messages"].get(f"oapif:{name}"))
        assert layer["geometry"] == geometry_class(name), (name, layer["wkb"])
        assert layer["feature_count"] == served.number_matched(name), name
        assert _problems(qgis, f"oapif:{name}") == [], name


def test_qgis_reads_every_feature(qgis, served):
    for name in served.collections():
        if name == "facilities":
            continue  # see the next test
        layer = qgis["results"][f"oapif:{name}"]
        assert layer["features_read"] == served.number_matched(name), name


def test_qgis_reads_every_facility(qgis, served):
    # QGIS keys OAPIF features by id: a place in two categories (way/318292118, restaurant
    # and hotel) is one feature with unique id, or QGIS would read 248 of 249
    layer = qgis["results"]["oapif:facilities"]
    assert layer["features_read"] == served.number_matched("facilities")


def test_qgis_pages_the_largest_collection_in_few_requests(qgis, served):
    largest = max(served.collections(), key=served.number_matched)
    pages = [r for r in qgis["requests"] if r[1] == f"/collections/{largest}/items"]
    # QGIS reads the limit's maximum from the OpenAPI document: 9 pages for 7,627 edges
    assert 0 < len(pages) < MAX_REQUESTS, (largest, len(pages), pages[:3])


def test_qgis_reads_the_villages_indicator_columns(qgis):
    fields = qgis["results"]["oapif:villages"]["fields"]
    assert fields["supermarket_car_distance_m"] == "double"
    assert fields["population"] in {"int", "qlonglong", "double"}


def test_qgis_loads_isochrones_and_catchments_with_ogr(qgis, served):
    expected = {ISOCHRONES: ("Polygon", 3), CATCHMENT: ("Polygon", 1),
                CATCHMENT_VILLAGES: ("Point", served.number_matched("villages"))}  # fmt: skip
    for path, (geometry, count) in expected.items():
        layer = qgis["results"][f"ogr:{path}"]
        assert layer["valid"], (path, qgis["messages"].get(f"ogr:{path}"))
        assert (layer["geometry"], layer["feature_count"]) == (geometry, count), path
        assert layer["features_read"] == count, path
        assert _problems(qgis, f"ogr:{path}") == [], path


def test_qgis_loads_every_layer_of_the_geopackage(qgis):
    keys = [k for k in qgis["results"] if k.startswith("gpkg:")]
    assert {"gpkg:villages", "gpkg:edges_walk", "gpkg:indicators"} <= set(keys)
    for key in keys:
        assert qgis["results"][key]["valid"], (key, qgis["messages"].get(key))
        assert _problems(qgis, key) == [], key
    assert not any("partially supported" in m for ms in qgis["messages"].values() for m in ms)
