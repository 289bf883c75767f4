"""Private geometry-array helpers shared by the readers and the overlay."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

POLYGON_TYPES = frozenset({"Polygon", "MultiPolygon"})
POINT_TYPES = frozenset({"Point", "MultiPoint"})


def present(geoms: Any) -> npt.NDArray[np.bool_]:
    """Mask of geometries that are neither missing nor empty.

    Works on arrays and GeoSeries alike without the ``GeoSeries.notna`` warning.
    """
    values = np.asarray(getattr(geoms, "to_numpy", lambda: geoms)(), dtype=object)
    return ~shapely.is_missing(values) & ~shapely.is_empty(values)


def polygon_parts(geom: shapely.Geometry) -> shapely.Geometry:
    """Polygonal part of a geometry (e.g. of a ``make_valid`` result); empty if none."""
    if geom.geom_type in POLYGON_TYPES:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in POLYGON_TYPES]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def valid_polygons(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Repair invalid polygons with ``make_valid``, keeping only their polygonal parts."""
    geoms = np.asarray(geoms, dtype=object)
    invalid = ~shapely.is_missing(geoms) & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        fixed = shapely.make_valid(geoms[invalid])
        geoms[invalid] = [polygon_parts(g) for g in fixed]
    return geoms
