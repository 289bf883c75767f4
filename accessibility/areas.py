"""Point-in-area: which points (villages) lie in which polygons, with summed weights.

The polygons are typically the contours of :func:`accessibility.isochrones.isochrones` or
:func:`accessibility.isochrones.catchment` (drawn by :mod:`accessibility.contours`); the
points the villages of a build with their population. :func:`points_within` works on
GeoDataFrames, :func:`points_within_xy` on plain arrays for request-time use.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessibility.errors import NoCrsError


def points_within(
    polygons: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    weight_column: str | None = None,
    id_column: str | None = None,
) -> list[dict[str, object]]:
    """Which points lie in each polygon, how many, and the sum of their weight.

    Parameters
    ----------
    polygons
        E.g. the result of :func:`accessibility.isochrones.isochrones` (one row per
        contour).
    points
        E.g. the villages of a build; reprojected to the CRS of ``polygons`` if needed.
    weight_column
        Column of ``points`` to sum (e.g. ``"population"``); missing values count as 0
        and are counted in ``weight_unknown``.
    id_column
        Column of ``points`` that identifies them (default: the index).

    Returns
    -------
    list of dict
        One dict per polygon, in order: ``ids`` (list), ``count`` (int), ``weight_sum``
        (float, None without ``weight_column``) and ``weight_unknown`` (int: points
        inside whose weight is missing). Points on a boundary count as inside.

    Raises
    ------
    NoCrsError
        When either frame has no CRS.
    ValueError
        When ``weight_column`` or ``id_column`` is not a column of ``points``.
    """
    if polygons.crs is None or points.crs is None:
        which = "polygons" if polygons.crs is None else "points"
        msg = f"{which} have no CRS, expected a GeoDataFrame with a CRS (e.g. EPSG:4326)"
        raise NoCrsError(msg)
    for col in (weight_column, id_column):
        if col is not None and col not in points.columns:
            msg = f"column {col!r} not in points, expected one of {list(points.columns)}"
            raise ValueError(msg)
    if not points.crs.equals(polygons.crs):
        points = points.to_crs(polygons.crs)
    ids = (points[id_column] if id_column is not None else points.index).to_numpy()
    w = None
    if weight_column is not None:
        w = pd.to_numeric(points[weight_column]).to_numpy(dtype=float, na_value=np.nan)
    geo = points.geometry
    found = points_within_xy(
        polygons.geometry.to_numpy(), geo.x.to_numpy(dtype=float), geo.y.to_numpy(dtype=float),
        weights=w,
    )  # fmt: skip
    return [
        {
            "ids": ids[r["index"]].tolist(),
            **{k: r[k] for k in ("count", "weight_sum", "weight_unknown")},
        }
        for r in found
    ]


def points_within_xy(
    polygons: Sequence[shapely.Geometry] | np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> list[dict[str, object]]:
    """Like :func:`points_within` for plain arrays (points in the polygons' CRS).

    For request-time use on a fixed set of points (the villages of a build): no frames, no
    spatial index, one vectorised test per polygon. Returns ``index`` (positions of the
    points inside) instead of ``ids``; boundary points count as inside.

    Parameters
    ----------
    polygons
        Polygon/MultiPolygon geometries; ``None`` or empty ones contain no point.
    x, y
        Point coordinates, in the CRS of ``polygons``.
    weights
        Weight per point to sum (e.g. population); non-finite values count as 0 and are
        counted in ``weight_unknown``.

    Returns
    -------
    list of dict
        One dict per polygon, in order: ``index`` (int array of the positions of the
        points inside), ``count`` (int), ``weight_sum`` (float, None without ``weights``)
        and ``weight_unknown`` (int).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.zeros(len(x)) if weights is None else np.asarray(weights, dtype=float)
    out = []
    for poly in polygons:
        if poly is None or shapely.is_empty(poly):
            inside = np.zeros(0, dtype=np.int64)
        else:
            shapely.prepare(poly)
            inside = np.flatnonzero(shapely.intersects_xy(poly, x, y))
        wk = w[inside]
        unknown = ~np.isfinite(wk)
        out.append(
            {
                "index": inside,
                "count": len(inside),
                "weight_sum": float(np.where(unknown, 0.0, wk).sum())
                if weights is not None
                else None,
                "weight_unknown": int(unknown.sum()) if weights is not None else 0,
            }
        )
    return out


def smallest_containing(
    polygons: Sequence[shapely.Geometry] | np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Index of the smallest polygon that contains each point, -1 where none does.

    A point lies in a polygon when it is ``within`` it (on the boundary is outside).
    Vectorised (one spatial-index query); polygons and points in one CRS (areas only rank
    overlapping polygons, so degrees are fine).
    """
    geoms = np.asarray(polygons, dtype=object)
    out = np.full(len(x), -1, dtype=np.int64)
    if len(geoms) == 0 or len(out) == 0:
        return out
    tree = shapely.STRtree(geoms)
    pts = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    idx_pt, idx_poly = tree.query(pts, predicate="within")
    if len(idx_pt):
        order = np.lexsort((shapely.area(geoms[idx_poly]), idx_pt))
        first_pt, first = np.unique(idx_pt[order], return_index=True)
        out[first_pt] = idx_poly[order][first]
    return out
