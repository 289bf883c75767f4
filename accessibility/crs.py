"""Coordinate reference systems used by bereik.

All metric work happens in a projected CRS: RD New (EPSG:28992) for data inside the
Netherlands, the local UTM zone (WGS84 datum) elsewhere. GeoJSON output is WGS84 (RFC 7946).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from pyproj import Transformer

RD_NEW = "EPSG:28992"
WGS84 = "EPSG:4326"

#: Largest absolute WGS84 longitude and latitude (degrees).
MAX_LON, MAX_LAT = 180.0, 90.0
# Bounding box (lon_min, lat_min, lon_max, lat_max) in which RD New is valid (the Netherlands).
NL_BOUNDS_LONLAT = (3.2, 50.7, 7.3, 53.7)


def utm_crs_for(lon: float, lat: float) -> str:
    """Return the WGS84 / UTM zone code (``"EPSG:326zz"`` north, ``"EPSG:327zz"`` south)."""
    zone = math.floor((lon + 180.0) / 6.0) % 60 + 1
    base = 32600 if lat >= 0 else 32700
    return f"EPSG:{base + zone}"


def choose_metric_crs(lon: np.ndarray, lat: np.ndarray) -> str:
    """Pick the metric CRS for data at these WGS84 coordinates.

    RD New when every point lies inside the Netherlands' bounding box, else the UTM zone of
    the median point.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size == 0:
        msg = "cannot choose a metric CRS for an empty set of coordinates"
        raise ValueError(msg)
    x0, y0, x1, y1 = NL_BOUNDS_LONLAT
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    if bool(inside.all()):
        return RD_NEW
    return utm_crs_for(float(np.median(lon)), float(np.median(lat)))


def outside_wgs84(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Tell which finite lon/lat pairs lie outside the WGS84 range (often projected x/y)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    return ok & ((np.abs(lon) > MAX_LON) | (np.abs(lat) > MAX_LAT))


@lru_cache(maxsize=32)
def transformer(src: str, dst: str) -> Transformer:
    """Return a cached always-xy Transformer (creating one for RD New costs ~150 ms)."""
    return Transformer.from_crs(src, dst, always_xy=True)


def to_metric(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat arrays to ``crs`` (x, y in metres)."""
    tr = transformer(WGS84, str(crs))
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_wgs84(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project metric x/y arrays in ``crs`` back to WGS84 lon/lat."""
    tr = transformer(str(crs), WGS84)
    lon, lat = tr.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
