"""Overlay of villages with broadband coverage, white-area polygons and combined indicators.

Conventions
-----------
* A village is a point; its ``max_mbps`` and ``broadband_class`` are read *at the point*:
  the raster cell containing it (outside the grid or on nodata: ``unknown``, never white),
  the best speed of all coverage polygons containing it (boundary included), or the speed
  of the nearest address point within ``max_distance_m``.
* ``share_white``/``share_basic``/``share_nga`` are fractions of the *whole* village (its
  addresses or its area); the remainder, ``1 - sum``, is unknown (no data). They are NaN when
  nothing about the village is known.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS

from broadband._geo import (
    KNOWN_CLASSES,
    classes_of,
    metric_crs,
    polygon_class_layer,
    raster_area_by_class,
    raster_class_polygons,
    sample,
)
from broadband._shapes import POLYGON_TYPES, present, valid_polygons
from broadband.classify import BASIC, NGA, UNKNOWN, WHITE, Thresholds
from broadband.errors import BroadbandInputError, NoCrsError, ThresholdError
from broadband.sources import Coverage

__all__ = [
    "DEFAULT_REMOTE_KM",
    "DEFAULT_THRESHOLDS",
    "OVERLAY_COLUMNS",
    "double_disadvantage",
    "flag_double_disadvantage",
    "municipality_broadband",
    "white_area_overlay",
    "white_area_polygons",
]

DEFAULT_THRESHOLDS = Thresholds()
#: Car distance (km) beyond which a village is remote from a facility category.
DEFAULT_REMOTE_KM: Mapping[str, float] = {"gp": 5.0, "supermarket": 5.0, "school_primary": 3.0}
#: Columns of :func:`white_area_overlay`, in order.
OVERLAY_COLUMNS: tuple[str, ...] = (
    "max_mbps",
    "broadband_class",
    "share_white",
    "share_basic",
    "share_nga",
)
_SHARE_COLUMNS = ("share_white", "share_basic", "share_nga")
_INDICATOR_COLUMNS = (
    "village_id",
    "village_name",
    "municipality",
    "population",
    "category",
    "profile",
    "distance_m",
)

FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# input checks


def _check_coverage(coverage: Any) -> Coverage:
    if not isinstance(coverage, Coverage):
        msg = f"coverage must be a Coverage (see read_coverage), got {type(coverage).__name__}"
        raise BroadbandInputError(msg)
    return coverage


def _check_thresholds(thresholds: Any) -> Thresholds:
    if thresholds is None:
        return DEFAULT_THRESHOLDS
    if not isinstance(thresholds, Thresholds):
        msg = f"thresholds must be a Thresholds instance, got {thresholds!r}, expected Thresholds()"
        raise ThresholdError(msg)
    return thresholds


def _geoseries(frame: Any, what: str) -> gpd.GeoSeries:
    if isinstance(frame, gpd.GeoDataFrame):
        series = frame.geometry
    elif isinstance(frame, gpd.GeoSeries):
        series = frame
    else:
        msg = f"{what} must be a GeoDataFrame, got {type(frame).__name__}"
        raise BroadbandInputError(msg)
    if series.crs is None:
        msg = (
            f"{what} has no CRS: set it with {what}.set_crs('EPSG:4326') (or the CRS the "
            "coordinates are really in)"
        )
        raise NoCrsError(msg)
    return series


def _check_types(series: gpd.GeoSeries, allowed: frozenset[str], what: str, want: str) -> None:
    usable = present(series)
    types = set(series[usable].geom_type.unique())
    bad = sorted(types - allowed)
    if bad:
        msg = f"{what} must hold {want}, got geometry types {bad!r}"
        raise BroadbandInputError(msg)


def _to_crs(series: gpd.GeoSeries, crs: CRS) -> gpd.GeoSeries:
    if CRS.from_user_input(series.crs).equals(crs):
        return series
    return series.to_crs(crs)


# --------------------------------------------------------------------------------------------
# shares


def _one_hot(classes: npt.NDArray[Any]) -> FloatArray:
    shares = np.zeros((len(classes), 3), dtype=np.float64)
    for j, name in enumerate(KNOWN_CLASSES):
        shares[:, j] = classes == name
    shares[classes == UNKNOWN] = np.nan
    return shares


def _area_shares(
    coverage: Coverage, polys: npt.NDArray[np.object_], thresholds: Thresholds
) -> FloatArray:
    """Fractions of each polygon's area per known class (NaN where nothing is known)."""
    shares = np.full((len(polys), 3), np.nan, dtype=np.float64)
    if coverage.kind == "raster":
        # Exact cell/polygon intersections in the raster CRS (ratios only).
        sums, total = raster_area_by_class(coverage, polys, thresholds)
    else:
        sums, total = _polygon_area_by_class(coverage, polys, thresholds)
    known = (sums.sum(axis=1) > 0) & (total > 0)
    shares[known] = np.clip(sums[known] / total[known, None], 0.0, 1.0)
    return shares


def _polygon_area_by_class(
    coverage: Coverage, polys: npt.NDArray[np.object_], thresholds: Thresholds
) -> tuple[FloatArray, FloatArray]:
    """Area (m2, metric CRS) of each polygon per best coverage class, and its total area."""
    sums = np.zeros((len(polys), 3), dtype=np.float64)
    total = np.zeros(len(polys), dtype=np.float64)
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return sums, total
    bounds = (float(minx), float(miny), float(maxx), float(maxy))
    layer = polygon_class_layer(coverage, thresholds, bounds=bounds)
    mcrs = metric_crs(coverage.crs, bounds)
    metric_polys = _to_crs(gpd.GeoSeries(polys, crs=coverage.crs), mcrs).to_numpy()
    present = ~shapely.is_missing(metric_polys)
    total[present] = shapely.area(metric_polys[present])
    if len(layer) == 0:
        return sums, total
    layer = _to_crs(layer.geometry, mcrs).to_frame().assign(cls=layer["cls"].to_numpy())
    poly_idx, layer_idx = layer.sindex.query(metric_polys, predicate="intersects")
    pieces = shapely.intersection(metric_polys[poly_idx], layer.geometry.to_numpy()[layer_idx])
    codes = np.array([KNOWN_CLASSES.index(c) for c in layer["cls"].to_numpy()], dtype=np.intp)
    np.add.at(sums, (poly_idx, codes[layer_idx]), shapely.area(pieces))
    return sums, total


def _count_shares(
    points: npt.NDArray[np.object_],
    classes: npt.NDArray[Any],
    polys: npt.NDArray[np.object_],
    crs: CRS,
) -> FloatArray:
    """Fractions of the points inside each polygon per known class (unknown in denominator)."""
    shares = np.full((len(polys), 3), np.nan, dtype=np.float64)
    pts = gpd.GeoDataFrame(
        {"cls": pd.Series(classes, dtype=object)},
        geometry=gpd.GeoSeries(points, crs=crs).values,
        crs=crs,
    )
    pts = pts.loc[present(pts.geometry)]
    areas = gpd.GeoDataFrame(geometry=gpd.GeoSeries(polys, crs=crs).values, crs=crs)
    areas = areas.loc[present(areas.geometry)]
    if len(pts) == 0 or len(areas) == 0:
        return shares
    joined = gpd.sjoin(pts, areas, how="inner", predicate="intersects")
    if len(joined) == 0:
        return shares
    poly_pos = joined["index_right"].to_numpy(dtype=np.intp)
    totals = np.bincount(poly_pos, minlength=len(polys)).astype(np.float64)
    has = totals > 0
    for j, name in enumerate(KNOWN_CLASSES):
        hits = np.bincount(poly_pos[joined["cls"].to_numpy() == name], minlength=len(polys)).astype(
            np.float64
        )
        shares[has, j] = hits[has] / totals[has]
    return shares


# --------------------------------------------------------------------------------------------
# public functions


def white_area_overlay(
    villages: gpd.GeoDataFrame,
    coverage: Coverage,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    village_polygons: gpd.GeoDataFrame | None = None,
    addresses: gpd.GeoDataFrame | None = None,
    max_distance_m: float = 250.0,
) -> pd.DataFrame:
    """Broadband class of each village and the shares of its area/addresses per class.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        Village points in any CRS (reprojected to the coverage CRS). Missing or empty
        geometries give ``unknown``.
    coverage : Coverage
        From :func:`broadband.read_coverage`.
    thresholds : Thresholds, default Thresholds()
        Class borders in Mbit/s.
    village_polygons : geopandas.GeoDataFrame, optional
        Village outlines (any CRS), indexed like ``villages`` (aligned on the index; villages
        without an outline keep the point-based shares).
    addresses : geopandas.GeoDataFrame, optional
        Address points (any CRS; attributes ignored). Needs ``village_polygons``: the shares
        are then the fractions of the addresses inside each outline per class, each address
        classified like a village point.
    max_distance_m : float, default 250.0
        Points coverage only: a village (or address) takes the speed of the nearest address
        point with data within this distance; farther away it is ``unknown``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``villages`` with exactly the columns ``max_mbps`` (float, NaN where no
        data; 0.0 inside white areas of white-flag sources), ``broadband_class``
        (``white``/``basic``/``nga``/``unknown``), ``share_white``, ``share_basic``,
        ``share_nga`` (0..1). Shares come from, in order of preference: the ``addresses``
        inside the outline; the coverage address points inside the outline (points
        coverage); the outline's area (exact intersections with the raster cells, or with
        the coverage polygons where the best overlapping class wins);
        else the point's own class (1.0 for it, 0.0 for the others, NaN if unknown). Shares
        are fractions of the whole village; ``1 - sum`` is unknown. They are NaN when
        nothing in the village is known (e.g. an outline without addresses).
        ``DataFrame.attrs`` holds ``synthetic`` (from the coverage: never present synthetic
        data as real) and ``coverage`` (source file name).

    Raises
    ------
    NoCrsError
        ``villages``, ``village_polygons`` or ``addresses`` has no CRS.
    BroadbandInputError
        Non-point villages/addresses, non-polygon outlines, duplicate outline index,
        ``addresses`` without ``village_polygons``.
    ThresholdError
        ``max_distance_m`` not a finite number > 0.
    """
    coverage = _check_coverage(coverage)
    thresholds = _check_thresholds(thresholds)
    if (
        isinstance(max_distance_m, bool)
        or not isinstance(max_distance_m, (int, float))
        or not math.isfinite(max_distance_m)
        or max_distance_m <= 0
    ):
        msg = f"max_distance_m must be a finite distance > 0 m, got {max_distance_m!r}, "
        msg += "expected e.g. 250.0"
        raise ThresholdError(msg)
    if addresses is not None and village_polygons is None:
        msg = (
            "addresses were given without village_polygons: address shares need village "
            "outlines; pass village_polygons= (indexed like villages) or omit addresses"
        )
        raise BroadbandInputError(msg)

    points = _geoseries(villages, "villages")
    _check_types(points, frozenset({"Point"}), "villages", "points")
    geoms = _to_crs(points, coverage.crs).to_numpy()
    mbps, not_white = sample(coverage, geoms, max_distance_m=float(max_distance_m))
    classes = classes_of(mbps, not_white, thresholds)
    shares = _one_hot(classes)

    if village_polygons is not None:
        outlines = _geoseries(village_polygons, "village_polygons")
        if not outlines.index.is_unique:
            msg = "village_polygons must have a unique index (the village ids of villages)"
            raise BroadbandInputError(msg)
        _check_types(outlines, POLYGON_TYPES, "village_polygons", "polygons")
        outlines = _to_crs(outlines, coverage.crs)
        aligned = outlines.reindex(points.index)
        polys = valid_polygons(np.asarray(aligned.to_numpy(), dtype=object))
        has = ~shapely.is_missing(polys) & ~shapely.is_empty(polys)
        polys = np.where(has, polys, None)
        if has.any():
            if addresses is not None:
                addr = _geoseries(addresses, "addresses")
                _check_types(addr, frozenset({"Point"}), "addresses", "points")
                addr_geoms = _to_crs(addr, coverage.crs).to_numpy()
                a_mbps, a_flag = sample(coverage, addr_geoms, max_distance_m=float(max_distance_m))
                a_cls = classes_of(a_mbps, a_flag, thresholds)
                poly_shares = _count_shares(addr_geoms, a_cls, polys, coverage.crs)
            elif coverage.kind == "points":
                frame = coverage.frame
                assert frame is not None
                c_cls = classes_of(
                    frame["max_mbps"].to_numpy(dtype=np.float64),
                    frame["not_white"].to_numpy(dtype=bool),
                    thresholds,
                )
                poly_shares = _count_shares(frame.geometry.to_numpy(), c_cls, polys, coverage.crs)
            else:
                poly_shares = _area_shares(coverage, polys, thresholds)
            shares[has] = poly_shares[has]

    out = pd.DataFrame(
        {
            "max_mbps": mbps,
            "broadband_class": classes,
            "share_white": shares[:, 0],
            "share_basic": shares[:, 1],
            "share_nga": shares[:, 2],
        },
        index=points.index.copy(),
    )
    out.attrs["synthetic"] = coverage.synthetic
    out.attrs["coverage"] = coverage.name
    return out


def white_area_polygons(
    coverage: Coverage,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    simplify_m: float = 50.0,
) -> gpd.GeoDataFrame:
    """White areas (best speed below ``thresholds.basic_mbps``) as dissolved polygons.

    Parameters
    ----------
    coverage : Coverage
        Raster or polygon coverage. For a raster the white cells (nodata excluded) are
        polygonised with ``rasterio.features.shapes``; for polygons the white polygons are
        united, minus any area where an overlapping polygon is better than white.
    thresholds : Thresholds, default Thresholds()
        Class borders in Mbit/s.
    simplify_m : float, default 50.0
        Simplification tolerance in metres (topology preserving, in a metric CRS); ``0``
        keeps the exact cell outlines.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per connected white area (single polygons, largest first) with columns
        ``geometry`` (in the coverage CRS; reproject as needed), ``area_m2`` (area of the
        returned geometry measured in a metric CRS: the coverage CRS when it is in metres,
        else its UTM zone) and ``synthetic`` (copied from the coverage). Empty when nothing
        is white.

    Raises
    ------
    BroadbandInputError
        For a points coverage (address points have no area).
    ThresholdError
        ``simplify_m`` negative or not finite.
    """
    coverage = _check_coverage(coverage)
    thresholds = _check_thresholds(thresholds)
    if (
        isinstance(simplify_m, bool)
        or not isinstance(simplify_m, (int, float))
        or not math.isfinite(simplify_m)
        or simplify_m < 0
    ):
        msg = f"simplify_m must be a finite distance >= 0 m, got {simplify_m!r}, expected e.g. 50.0"
        raise ThresholdError(msg)
    if coverage.kind == "points":
        msg = (
            f"white_area_polygons needs raster or polygon coverage, got address points from "
            f"{coverage.name}; use white_area_overlay for points"
        )
        raise BroadbandInputError(msg)

    def empty() -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {
                "geometry": gpd.GeoSeries([], crs=coverage.crs),
                "area_m2": pd.Series([], dtype=np.float64),
                "synthetic": pd.Series([], dtype=bool),
            },
            geometry="geometry",
            crs=coverage.crs,
        )

    if coverage.kind == "raster":
        # shapes() on the white mask already yields dissolved (4-connected) regions; a
        # union_all over them would only merge regions touching at a corner into one
        # multipolygon that is exploded again below, at a quadratic cost on speckled rasters.
        layer = raster_class_polygons(coverage, thresholds, only=WHITE)
        regions = layer.geometry.to_numpy()
    else:
        layer = polygon_class_layer(coverage, thresholds)
        layer = layer.loc[layer["cls"] == WHITE]
        regions = shapely.get_parts(shapely.union_all(layer.geometry.to_numpy()))
    if len(regions) == 0:
        return empty()
    mcrs = metric_crs(coverage.crs, coverage.bounds)
    metric = np.asarray(_to_crs(gpd.GeoSeries(regions, crs=coverage.crs), mcrs).to_numpy())
    if simplify_m > 0:
        metric = shapely.simplify(metric, simplify_m, preserve_topology=True)
    metric = valid_polygons(np.asarray(metric, dtype=object))
    parts = np.array(
        [p for p in shapely.get_parts(metric) if p.geom_type == "Polygon" and not p.is_empty],
        dtype=object,
    )
    if len(parts) == 0:
        return empty()
    areas = shapely.area(parts)
    order = np.argsort(-areas, kind="stable")
    parts, areas = parts[order], areas[order]
    out_geoms = _to_crs(gpd.GeoSeries(parts, crs=mcrs), coverage.crs)
    return gpd.GeoDataFrame(
        {
            "geometry": out_geoms.values,
            "area_m2": areas.astype(np.float64),
            "synthetic": np.full(len(parts), coverage.synthetic, dtype=bool),
        },
        geometry="geometry",
        crs=coverage.crs,
    )


def _check_remote_km(remote_km: Mapping[str, float] | None) -> dict[str, float]:
    chosen = DEFAULT_REMOTE_KM if remote_km is None else remote_km
    if not isinstance(chosen, Mapping) or len(chosen) == 0:
        msg = f"remote_km must be a non-empty mapping category -> km, got {remote_km!r}, "
        msg += "expected e.g. {'gp': 5.0}"
        raise ThresholdError(msg)
    out: dict[str, float] = {}
    for category, km in chosen.items():
        if (
            isinstance(km, bool)
            or not isinstance(km, (int, float, np.integer, np.floating))
            or not math.isfinite(float(km))
            or km <= 0
        ):
            msg = f"remote_km[{category!r}] must be a finite distance > 0 km, got {km!r}, "
            msg += "expected e.g. 5.0"
            raise ThresholdError(msg)
        out[str(category)] = float(km)
    return out


def _check_columns(frame: Any, required: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        msg = f"{what} must be a DataFrame, got {type(frame).__name__}"
        raise BroadbandInputError(msg)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        msg = f"{what} lacks columns {missing!r}; it has {[str(c) for c in frame.columns]!r}"
        raise BroadbandInputError(msg)


def _fmt_km(km: float) -> str:
    return f"{km:.1f}".rstrip("0").rstrip(".") if km == round(km, 1) else f"{km:.2f}"


def _remoteness(indicators: pd.DataFrame, remote_km: Mapping[str, float] | None) -> pd.DataFrame:
    """Per village: attributes and remoteness (categories, reasons, excess km)."""
    _check_columns(indicators, _INDICATOR_COLUMNS, "indicators")
    limits = _check_remote_km(remote_km)
    villages = indicators.groupby("village_id", sort=False)[
        ["village_name", "municipality", "population"]
    ].first()
    car = indicators.loc[
        (indicators["profile"] == "car") & indicators["category"].isin(list(limits))
    ]
    if "reason" in car.columns:
        # no facility of the category in the input, or a village off the road network: the
        # distance is unknown, not long; only "unreachable" (no route) counts as remote
        car = car.loc[~car["reason"].isin(["no_facility", "not_on_network"])]
    dist = pd.to_numeric(car["distance_m"], errors="coerce").astype(np.float64)
    pairs = (
        car.assign(distance_m=dist)
        .groupby(["village_id", "category"], sort=False)["distance_m"]
        .min()  # nearest facility; NaN only if every row is unreachable
        .reset_index()
    )
    limit_m = pairs["category"].map(limits).to_numpy(dtype=np.float64) * 1000.0
    d = pairs["distance_m"].to_numpy(dtype=np.float64)
    unreachable = np.isnan(d)
    with np.errstate(invalid="ignore"):
        too_far = ~unreachable & (d > limit_m)
    pairs["remote"] = unreachable | too_far
    pairs["excess_km"] = np.where(too_far, (d - limit_m) / 1000.0, 0.0)
    pairs["reason"] = [
        f"{cat}: unreachable by car"
        if u
        else f"{cat}: {dm / 1000.0:.1f} km > {_fmt_km(lim / 1000.0)} km"
        for cat, u, dm, lim in zip(pairs["category"], unreachable, d, limit_m, strict=True)
    ]
    remote = pairs.loc[pairs["remote"]].sort_values(["village_id", "category"], kind="stable")
    categories: dict[Any, list[str]] = {}
    reasons: dict[Any, list[str]] = {}
    for vid, cat, why in zip(
        remote["village_id"], remote["category"], remote["reason"], strict=True
    ):
        categories.setdefault(vid, []).append(str(cat))
        reasons.setdefault(vid, []).append(why)
    excess = remote.groupby("village_id", sort=False)["excess_km"].sum()
    out = villages.copy()
    ids = out.index
    out["remote"] = np.asarray([vid in categories for vid in ids], dtype=bool)
    out["remote_categories"] = pd.Series(
        [",".join(sorted(categories.get(vid, []))) for vid in ids], index=ids
    )
    out["reason"] = pd.Series(["; ".join(reasons.get(vid, [])) for vid in ids], index=ids)
    out["excess_km"] = excess.reindex(ids).fillna(0.0).to_numpy(dtype=np.float64)
    return out


def _broadband_frame(broadband: Any) -> pd.DataFrame:
    _check_columns(broadband, ("broadband_class",), "broadband")
    return broadband


def double_disadvantage(
    indicators: pd.DataFrame,
    broadband: pd.DataFrame,
    *,
    remote_km: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Villages that are both remote from facilities (by car) and offline (white).

    Parameters
    ----------
    indicators : pandas.DataFrame
        Long table with columns ``village_id, village_name, municipality, population,
        category, profile, distance_m`` (``distance_m`` null where unreachable). Only rows
        with ``profile == "car"`` and a category in ``remote_km`` are used; several rows for
        one village and category use the smallest distance.
    broadband : pandas.DataFrame
        :func:`white_area_overlay` result indexed by ``village_id`` (needs
        ``broadband_class``; ``max_mbps`` is copied when present).
    remote_km : mapping of str to float, optional
        Remoteness threshold in km per category; default ``{"gp": 5.0, "supermarket": 5.0,
        "school_primary": 3.0}``.

    Returns
    -------
    pandas.DataFrame
        One row per village that is remote for at least one category (car distance_m >
        threshold * 1000, or unreachable) and whose ``broadband_class`` is ``white``.
        Columns: ``village_id, village_name, municipality, population, remote_categories``
        (comma-joined, sorted), ``reason`` (e.g. ``"gp: 7.2 km > 5 km; school_primary:
        unreachable by car"``), ``excess_km`` (sum over the remote categories of the car
        distance beyond the threshold, km; unreachable categories add 0 because their
        distance is unknown, but are listed in ``remote_categories`` and ``reason``),
        ``max_mbps``, ``score`` (population, NaN counted as 0, times ``excess_km``) and
        ``rank`` (1..n). Sorted by score descending, then excess_km descending, population
        descending and village_id. Villages missing from ``broadband`` are not offline;
        a category without any car row for a village is not remote (no data).

    Raises
    ------
    BroadbandInputError
        Missing columns.
    ThresholdError
        A ``remote_km`` value that is not a finite number > 0.
    """
    bb = _broadband_frame(broadband)
    rem = _remoteness(indicators, remote_km)
    bb_aligned = bb.reindex(rem.index)
    offline = (bb_aligned["broadband_class"] == WHITE).fillna(False).to_numpy(dtype=bool)
    chosen = rem.loc[rem["remote"].to_numpy(dtype=bool) & offline].copy()
    if "max_mbps" in bb.columns:
        chosen["max_mbps"] = pd.to_numeric(
            bb_aligned.loc[chosen.index, "max_mbps"], errors="coerce"
        ).astype(np.float64)
    else:
        chosen["max_mbps"] = np.nan
    population = pd.to_numeric(chosen["population"], errors="coerce").astype(np.float64)
    chosen["score"] = population.fillna(0.0) * chosen["excess_km"]
    chosen["_pop"] = population.fillna(0.0)
    chosen = chosen.rename_axis("village_id").reset_index()
    chosen = chosen.sort_values(
        ["score", "excess_km", "_pop", "village_id"],
        ascending=[False, False, False, True],
        kind="mergesort",
    ).reset_index(drop=True)
    chosen["rank"] = np.arange(1, len(chosen) + 1, dtype=np.int64)
    columns = [
        "village_id",
        "village_name",
        "municipality",
        "population",
        "remote_categories",
        "reason",
        "excess_km",
        "max_mbps",
        "score",
        "rank",
    ]
    return chosen[columns]


def flag_double_disadvantage(
    indicators: pd.DataFrame,
    broadband: pd.DataFrame,
    *,
    remote_km: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Copy of ``broadband`` with a boolean ``double_disadvantage`` column for every village.

    Parameters
    ----------
    indicators, broadband, remote_km
        As for :func:`double_disadvantage`.

    Returns
    -------
    pandas.DataFrame
        ``broadband`` (same index and columns) plus ``double_disadvantage``: True exactly
        for the villages listed by :func:`double_disadvantage`.
    """
    bb = _broadband_frame(broadband)
    listed = double_disadvantage(indicators, bb, remote_km=remote_km)["village_id"]
    out = bb.copy()
    out["double_disadvantage"] = out.index.isin(listed.to_numpy())
    return out


def municipality_broadband(villages_with_overlay: pd.DataFrame) -> pd.DataFrame:
    """Broadband summary per municipality.

    Parameters
    ----------
    villages_with_overlay : pandas.DataFrame
        One row per village with ``municipality``, ``population`` and ``broadband_class``,
        optionally the ``share_white``/``share_basic``/``share_nga`` columns of
        :func:`white_area_overlay` (without them a village counts fully in its class).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``municipality`` (sorted) with ``villages`` (count), ``population``,
        ``villages_white``, ``villages_basic``, ``villages_nga``, ``villages_unknown``
        (counts by ``broadband_class``), ``share_white``, ``share_basic``, ``share_nga``,
        ``share_unknown`` (population-weighted: sum(population * village share) /
        sum(population); NaN village shares count as unknown; NaN population as 0; all NaN
        when the municipality's population is 0) and ``population_white`` (sum of
        population * share_white).

    Raises
    ------
    BroadbandInputError
        Missing columns.
    """
    frame = villages_with_overlay
    _check_columns(
        frame, ("municipality", "population", "broadband_class"), "villages_with_overlay"
    )
    classes = frame["broadband_class"].astype(object).to_numpy()
    if all(c in frame.columns for c in _SHARE_COLUMNS):
        shares = frame[list(_SHARE_COLUMNS)].to_numpy(dtype=np.float64)
    else:
        shares = _one_hot(classes)
    shares = np.nan_to_num(shares, nan=0.0)
    pop = pd.to_numeric(frame["population"], errors="coerce").astype(np.float64).fillna(0.0)
    pop_arr = pop.to_numpy()
    weighted = shares * pop_arr[:, None]
    work = pd.DataFrame(
        {
            "municipality": frame["municipality"].to_numpy(),
            "villages": 1,
            "population": pop_arr,
            "villages_white": classes == WHITE,
            "villages_basic": classes == BASIC,
            "villages_nga": classes == NGA,
            "villages_unknown": ~np.isin(classes, [WHITE, BASIC, NGA]),
            "pop_white": weighted[:, 0],
            "pop_basic": weighted[:, 1],
            "pop_nga": weighted[:, 2],
        }
    )
    sums = work.groupby("municipality", sort=True, dropna=False).sum()
    total = sums["population"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = np.where(total > 0, total, np.nan)
        share_white = sums["pop_white"].to_numpy() / denom
        share_basic = sums["pop_basic"].to_numpy() / denom
        share_nga = sums["pop_nga"].to_numpy() / denom
    out = pd.DataFrame(
        {
            "villages": sums["villages"].astype(np.int64),
            "population": total,
            "villages_white": sums["villages_white"].astype(np.int64),
            "villages_basic": sums["villages_basic"].astype(np.int64),
            "villages_nga": sums["villages_nga"].astype(np.int64),
            "villages_unknown": sums["villages_unknown"].astype(np.int64),
            "share_white": share_white,
            "share_basic": share_basic,
            "share_nga": share_nga,
            "share_unknown": np.clip(1.0 - share_white - share_basic - share_nga, 0.0, 1.0),
            "population_white": sums["pop_white"].to_numpy(dtype=np.float64),
        },
        index=sums.index,
    )
    out.index.name = "municipality"
    return out
