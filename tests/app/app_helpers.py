"""Helpers shared by the app tests, imported as ``app_helpers`` (tests/app is on sys.path).

Not in conftest.py: ``from conftest import ...`` may pick another directory's conftest.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any

from geojson_pydantic import FeatureCollection

with warnings.catch_warnings():
    # Starlette >= 1.x asks for `httpx2` in its TestClient and warns (UserWarning subclass)
    # when only `httpx` is installed; both work. Narrow: this message, at this import only.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from app.config import Settings

GEOJSON = "application/geo+json"
__all__ = ["GEOJSON", "TestClient", "assert_geojson", "coordinates", "make_settings", "restamp"]


def make_settings(**kwargs: Any) -> Settings:
    """Settings that ignore any ``.env`` file."""
    return Settings(_env_file=None, **kwargs)


def coordinates(geometry: dict[str, Any]) -> list[float]:
    """All coordinate numbers of a GeoJSON geometry, flattened."""
    out: list[float] = []

    def walk(c: Any) -> None:
        if isinstance(c, (int, float)):
            out.append(float(c))
        else:
            for x in c:
                walk(x)

    walk(geometry["coordinates"])
    return out


def assert_geojson(fc: dict[str, Any]) -> None:
    """A valid RFC 7946 FeatureCollection: pydantic model, WGS84 ranges, 6 decimals."""
    FeatureCollection(**fc)
    for f in fc["features"]:
        if f["geometry"] is None:
            continue
        xs = coordinates(f["geometry"])
        assert xs, f
        assert all(round(x, 6) == x for x in xs), "coordinates must have at most 6 decimals"
        lon, lat = xs[0::2], xs[1::2]
        assert all(-180 <= x <= 180 for x in lon)
        assert all(-90 <= y <= 90 for y in lat)
        assert_ring_orientation(f["geometry"])


def _signed_area(ring: list[list[float]]) -> float:
    """Shoelace: positive for a counterclockwise ring."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def assert_ring_orientation(geometry: dict[str, Any]) -> None:
    """RFC 7946 3.1.6: outer rings counterclockwise, holes clockwise."""
    polygons = {"Polygon": [geometry.get("coordinates")],
                "MultiPolygon": geometry.get("coordinates")}.get(geometry["type"], [])  # fmt: skip
    for rings in polygons:
        assert _signed_area(rings[0]) > 0, "outer ring must be counterclockwise (RFC 7946)"
        assert all(_signed_area(r) < 0 for r in rings[1:]), "holes must be clockwise"


def restamp(build_dir: Path) -> None:
    """List a hand-edited build's files in its manifest again (as a build that made them)."""
    import json

    from accessibility.store import file_list

    m = json.loads((build_dir / "manifest.json").read_text())
    m["files"] = file_list(build_dir)
    (build_dir / "manifest.json").write_text(json.dumps(m))
