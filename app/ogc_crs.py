"""OGC API Features Part 2 (Coordinate Reference Systems by Reference) for the collections.

A client may ask for the features in another CRS (``crs=``) and give its ``bbox`` in one
(``bbox-crs=``). Offered: OGC CRS84 (WGS84 lon/lat, the default and what RFC 7946 GeoJSON
is), RD New (EPSG:28992, the Dutch national grid: metres, what Dutch GIS users work in) and
the metric CRS the build computed in (UTM, when it has an EPSG code). Responses say their
CRS in the ``Content-Crs`` header.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyproj

from app.errors import InvalidParameterError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
#: RD New (Amersfoort / RD New), the Dutch national grid
RD_NEW = _EPSG_URI.format(code=28992)
#: decimals of coordinates in a projected CRS (metres): 1 cm; degrees keep 6 (~0.1 m)
METRIC_DECIMALS = 2


@dataclass(frozen=True)
class OutputCrs:
    """A CRS a response is written in: its URI and the pyproj CRS (None: CRS84)."""

    uri: str
    crs: pyproj.CRS | None

    @property
    def is_crs84(self) -> bool:
        """Tell whether this is the default, CRS84 (WGS84 lon/lat)."""
        return self.crs is None


def offered(build_crs: str | None) -> list[str]:
    """Return the CRS URIs the collections offer: CRS84, RD New, the build's metric CRS."""
    out = [CRS84, RD_NEW]
    if build_crs:
        epsg = pyproj.CRS.from_user_input(build_crs).to_epsg()
        if epsg is not None and _EPSG_URI.format(code=epsg) not in out:
            out.append(_EPSG_URI.format(code=epsg))
    return out


def parse(value: str | None, build_crs: str | None, *, name: str = "crs") -> OutputCrs:
    """Check a ``crs`` (or ``bbox-crs``) value against :func:`offered` (400 when not)."""
    if value is None or value.strip() in ("", CRS84):
        return OutputCrs(CRS84, None)
    uri = value.strip().strip("[]")  # a safe CURIE [EPSG:28992] is allowed too
    if uri.upper().startswith("EPSG:"):
        uri = _EPSG_URI.format(code=uri.split(":", 1)[1])
    allowed = offered(build_crs)
    if uri not in allowed:
        msg = f"{name} {value[:80]!r} is not offered; use one of: {', '.join(allowed)}"
        raise InvalidParameterError(msg)
    if uri == CRS84:
        return OutputCrs(CRS84, None)
    return OutputCrs(uri, pyproj.CRS.from_user_input("EPSG:" + uri.rsplit("/", 1)[1]))
