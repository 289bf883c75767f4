"""Fixtures of the HTTP contract tests: the real sample build, built once per session.

There is no ``__init__.py`` here on purpose: a package ``tests/app`` could shadow the real
``app`` package under pytest's ``prepend`` import mode. Test modules are prefixed
``test_app_`` (or are uniquely named) to keep basenames unique across the test tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_helpers import TestClient, make_settings

from accessibility.build import run_build
from accessibility.params import BuildParams, FacilityFile
from app.config import Settings
from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "data" / "samples" / "liechtenstein-2015-07-27.osm.pbf"
COVERAGE = ROOT / "data" / "samples" / "synthetic-coverage-liechtenstein.tif"  # SYNTHETIC


@pytest.fixture(scope="session")
def app_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded Liechtenstein sample (with its synthetic broadband coverage, as
    ``bereik build`` makes it) built once into a temp folder named ``demo``."""
    out = tmp_path_factory.mktemp("app_builds") / "demo"
    run_build(BuildParams(extract=EXTRACT, coverage=COVERAGE), out)
    return out


@pytest.fixture(scope="session")
def plus_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample as ``app_build_dir`` plus one supermarket opened in Gamprin, built into a
    folder named ``plus``: the new side of build comparisons (``GET /compare``, the map)."""
    root = tmp_path_factory.mktemp("plus_build")
    csv = root / "new_supermarket.csv"
    csv.write_text("category,lon,lat,id,name\nsupermarket,9.5102,47.2191,1,Gamprin Markt\n")
    out = root / "plus"
    run_build(BuildParams(extract=EXTRACT, coverage=COVERAGE,
                          facilities=(FacilityFile(csv),)), out)  # fmt: skip
    return out


@pytest.fixture(scope="session")
def app_settings(app_build_dir: Path) -> Settings:
    """Settings serving the sample build, with CORS for one origin."""
    return make_settings(build=str(app_build_dir), cors_origins="http://maps.example.org")


@pytest.fixture(scope="session")
def client(app_settings: Settings) -> Iterator[TestClient]:
    """A client of the service with the sample build loaded (lifespan run)."""
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture(scope="session")
def empty_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client of a service whose configured build does not exist."""
    missing = tmp_path_factory.mktemp("nobuild") / "demo"
    with TestClient(create_app(make_settings(build=str(missing)))) as c:
        yield c


@pytest.fixture(scope="session")
def villages_fc(client: TestClient) -> dict[str, Any]:
    """GET /villages of the sample build."""
    r = client.get("/villages")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="session")
def ebike_client(ebike_build_dir: Path) -> Iterator[TestClient]:
    """A client of a service serving the sample built with car, bike and an ``ebike``."""
    with TestClient(create_app(make_settings(build=str(ebike_build_dir)))) as c:
        yield c


@pytest.fixture(scope="session")
def transit_client(transit_build_dir: Path) -> Iterator[TestClient]:
    """A client serving Heidelberg with the real VRN public transport feed."""
    with TestClient(create_app(make_settings(build=str(transit_build_dir)))) as c:
        yield c
