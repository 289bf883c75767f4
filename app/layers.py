"""The layers of a build as GeoDataFrames, selected and filtered for the responses.

These functions only select rows and join the build's own tables (no routing, no geometry
maths): villages with an indicator attached, facilities by category, municipalities with
their aggregates, network edges. Unknown values raise the domain errors (mapped to 4xx).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessibility.crs import WGS84
from accessibility.defaults import TRANSIT_PROFILE
from accessibility.errors import UnknownVillageError
from accessibility.layout import EDGES_PREFIX, edges_layer
from accessibility.wide import municipalities_wide, villages_wide
from app.errors import InvalidParameterError, NotFoundError
from app.state import ServedBuild

#: indicator columns attached to villages (prefixed in the one-village view)
INDICATOR_FIELDS = (
    "distance_m", "travel_time_s", "nearest_by_distance_id", "nearest_by_time_id",
    "snap_distance_m", "reason",
)  # fmt: skip
BBOX_VALUES = 4  # minlon, minlat, maxlon, maxlat
#: the query filters each layer takes (besides bbox); every other layer takes none
FILTERS: dict[str, tuple[str, ...]] = {
    "villages": ("municipality", "category", "profile", "method", "white", "double_disadvantage"),
    "facilities": ("category",),
    "municipalities": ("municipality", "category", "profile", "method"),
    "addresses": ("category",),
    "persons_grid": ("category",),
}
MUNICIPALITY_FIELDS = (
    "weighting", "mean_distance_m", "mean_travel_time_s", "villages_unreachable",
    "worst_village_id", "worst_village_name", "worst_distance_m",
)  # fmt: skip


@dataclass(frozen=True)
class LayerFilters:
    """The query filters of a layer request; None: not asked for (see :data:`FILTERS`)."""

    municipality: str | None = None
    category: str | None = None
    profile: str | None = None
    method: str | None = None
    white: bool | None = None
    double_disadvantage: bool | None = None

    def given(self) -> list[str]:
        """Names of the filters asked for."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


@dataclass(frozen=True)
class CollectionInfo:
    """An OGC API Features collection of a build."""

    id: str
    title: str
    description: str
    id_column: str
    geometry: str


def collections(sb: ServedBuild) -> list[CollectionInfo]:
    """List the collections a build offers (villages, facilities, municipalities, edges)."""
    out = [
        CollectionInfo(
            "villages", "Villages",
            "Villages (OSM places or the user's file) with population, municipality and every "
            "indicator as a column (<category>_<profile>_distance_m, _travel_time_s, "
            "_count_<r>km); filter with municipality=, or one indicator with category= and "
            "profile=.",
            "village_id", "Point",
        ),
        CollectionInfo(
            "facilities", "Facilities",
            "Facilities (GP, school, supermarket, ...), one feature each (a place in two "
            "categories lists both: restaurant;hotel); filter with category=.",
            "facility_id", "Point",
        ),
        CollectionInfo(
            "municipalities", "Municipalities",
            "Municipality polygons with their number of villages, population and every figure "
            "as a column (<category>_<profile>_mean_distance_m, _share_beyond_<r>km, ...); "
            "or one category with category= and profile=.",
            "municipality", "MultiPolygon",
        ),
    ]  # fmt: skip
    if sb.build.white_areas is not None:
        synthetic = (
            " SYNTHETIC sample coverage, not real data." if sb.build.synthetic_coverage else ""
        )
        out.append(
            CollectionInfo(
                "white_areas",
                "White areas (broadband)",
                "Areas without a connection at the basic broadband speed (white areas of the "
                f"EU guidelines), from the build's coverage data.{synthetic}",
                "white_area_id",
                "Polygon",
            )
        )
    for p in sb.build.profiles:
        out.append(CollectionInfo(
            edges_layer(p), f"Road network ({p})",
            f"Edges of the routable {p} network (backdrop for maps; length, speed, time).",
            "edge_id", "LineString",
        ))  # fmt: skip
    if sb.build.origins is not None:
        out.append(CollectionInfo(
            "addresses", "Addresses (where people live)",
            "Every origin of the figures over persons: its village, weight (persons; "
            "dwellings for method=addresses) and method. With category=, its car distance "
            "to that category (distance_m), the worst (farthest, unreachable first) first.",
            "origin_id", "Point",
        ))  # fmt: skip
    if sb.build.persons_grid is not None:
        out.append(CollectionInfo(
            "persons_grid", "Persons grid",
            "Square cells with the persons living in them and their mean car distance per "
            "category; with category=, that distance (distance_m): where the people far "
            "from a GP live.",
            "cell_id", "Polygon",
        ))  # fmt: skip
    return out


def addresses(sb: ServedBuild, *, category: str | None = None) -> gpd.GeoDataFrame:
    """Every origin; with ``category``, its car distance (``distance_m``), worst first."""
    gdf = sb.build.origins
    if category is None:
        return _geo(gdf)
    sb.build.check_category(category)
    col = next((c for c in (f"{category}_distance_m", f"{category}_car_distance_m")
                if c in gdf.columns), None)  # fmt: skip
    if col is None:
        msg = (f"build {sb.name!r} keeps no per-address distances (built with "
               "--address-outputs none)")  # fmt: skip
        raise InvalidParameterError(msg)
    keep = [c for c in gdf.columns if not c.endswith("_distance_m")]
    out = gdf[keep].assign(category=category, profile="car", distance_m=gdf[col].astype(float))
    return _geo(out.sort_values("distance_m", ascending=False, na_position="first"))


def persons_grid(sb: ServedBuild, *, category: str | None = None) -> gpd.GeoDataFrame:
    """Return the persons grid; with ``category``, its mean car distance as ``distance_m``."""
    gdf = sb.build.persons_grid
    if category is None:
        return _geo(gdf)
    sb.build.check_category(category)
    keep = [c for c in gdf.columns if not c.endswith("_mean_distance_m")]
    col = f"{category}_mean_distance_m"
    return _geo(gdf[keep].assign(category=category, profile="car", distance_m=gdf[col]))


def collection_info(sb: ServedBuild, collection_id: str) -> CollectionInfo:
    """One collection by id (NotFoundError when unknown)."""
    for c in collections(sb):
        if c.id == collection_id:
            return c
    known = ", ".join(c.id for c in collections(sb))
    msg = f"unknown collection {collection_id!r}; expected one of {known}"
    raise NotFoundError(msg)


def white_areas(sb: ServedBuild) -> gpd.GeoDataFrame:
    """Return the white-area polygons of the build (NotFoundError when it has none)."""
    wa = sb.build.white_areas
    if wa is None:
        msg = f"build {sb.name!r} has no broadband coverage (build it with --coverage)"
        raise NotFoundError(msg)
    out = wa.reset_index(drop=True)
    out.insert(0, "white_area_id", range(len(out)))
    return _geo(out)


def double_disadvantage(sb: ServedBuild) -> gpd.GeoDataFrame:
    """Return the ranked double-disadvantage villages as points (NotFoundError without coverage).

    Columns of the build's ``double_disadvantage.csv`` (rank, score = population x excess km,
    remote categories and why) plus ``synthetic`` (the coverage is a synthetic sample).
    """
    dd = sb.build.double_disadvantage
    if dd is None:
        msg = f"build {sb.name!r} has no broadband coverage (build it with --coverage)"
        raise NotFoundError(msg)
    pts = sb.build.villages[["village_id", "geometry"]]
    out = pts.merge(dd.astype({"village_id": str}), on="village_id", how="inner")
    out = out.sort_values("rank", kind="stable")
    out["synthetic"] = sb.build.synthetic_coverage
    return _geo(out)


def _broadband_filter(gdf: gpd.GeoDataFrame, column: str, value: bool | None) -> np.ndarray:
    if value is None:
        return np.ones(len(gdf), dtype=bool)
    if column not in gdf.columns:
        msg = (
            f"{'white' if column == 'broadband_class' else column}= needs broadband data, "
            "and this build has none (build it with --coverage)"
        )
        raise InvalidParameterError(msg)
    if column == "broadband_class":
        hit = (gdf[column].astype("string") == "white").fillna(False).to_numpy(dtype=bool)
    else:
        hit = gdf[column].fillna(False).to_numpy(dtype=bool)
    return hit if value else ~hit


@dataclass(frozen=True)
class Indicator:
    """The indicator a layer request attaches: category, profile and method, checked."""

    category: str
    profile: str
    method: str


def _indicator(sb: ServedBuild, category: str | None, profile: str | None,
               method: str | None) -> Indicator | None:  # fmt: skip
    """Return the indicator to attach (the build's default profile and method), or None."""
    if category is None:
        given = {"profile": profile, "method": method}
        for name, value in given.items():
            if value is not None:
                msg = f"{name}={value!r} needs a category= to attach an indicator"
                raise InvalidParameterError(msg)
        return None
    b = sb.build
    prof = b.pick_indicator_profile(profile)
    if prof == TRANSIT_PROFILE:  # over village points; over persons when asked and built
        if method == "persons" and b.transit_persons is None:
            msg = ("method='persons' needs a build with origins (addresses) and a feed; "
                   "this one has public transport over the village points "
                   "(method=place_point)")  # fmt: skip
            raise InvalidParameterError(msg)
        if method not in (None, "persons", "place_point"):
            b.pick_method(method)  # the same 422 as the road profiles'
        return Indicator(b.check_category(category), prof, method or "place_point")
    return Indicator(b.check_category(category), prof, b.pick_method(method))


def _select(table: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    return table[(table["category"] == ind.category) & (table["profile"] == ind.profile)]


def _with_persons(place: pd.DataFrame, persons: pd.DataFrame, key: str) -> pd.DataFrame:
    """Combine the figures over persons with place-point ones for areas without origins.

    ``distance_m`` and ``travel_time_s`` are the means over persons (for map colouring);
    ``method`` says per row which figure it is.
    """
    out = persons.drop(
        columns=[c for c in ("village_name", "municipality") if c != key], errors="ignore"
    )
    out = out.assign(distance_m=out["mean_distance_m"], travel_time_s=out["mean_travel_time_s"])
    rest = place[~place[key].isin(out[key])]
    return pd.concat([out, rest], ignore_index=True) if len(rest) else out


def _match(series: pd.Series, value: str) -> np.ndarray:
    return (series.astype("string").str.casefold() == value.casefold()).fillna(False).to_numpy()


def villages(
    sb: ServedBuild,
    *,
    municipality: str | None = None,
    category: str | None = None,
    profile: str | None = None,
    method: str | None = None,
    white: bool | None = None,
    double_disadvantage: bool | None = None,
) -> gpd.GeoDataFrame:
    """Villages (every column of the build's table, extra ones included).

    ``white`` keeps the villages in (true) or outside (false) a broadband white area;
    ``double_disadvantage`` those far from services and without fast internet (or not).

    With ``category`` (and ``profile``, default car), that indicator is attached: with
    ``method=persons`` (the default of builds with origins) the figures over the persons
    of the village (mean, median, p90, max distance and time, shares beyond the rings, the
    worst address; ``distance_m`` and ``travel_time_s`` are the means), with
    ``method=place_point`` the village point's ``distance_m``, ``travel_time_s``, nearest
    ids, counts, ``snap_distance_m`` and ``reason``.
    """
    gdf = sb.build.villages
    if municipality is not None:
        gdf = gdf[_match(gdf["municipality"], municipality)]
    keep = _broadband_filter(gdf, "broadband_class", white)
    keep &= _broadband_filter(gdf, "double_disadvantage", double_disadvantage)
    gdf = gdf[keep]
    ind = _indicator(sb, category, profile, method)
    if ind is None:
        return _geo(gdf)
    sel = _select(sb.build.indicators, ind)
    counts = [c for c in sel.columns if c.startswith("count_")]
    sel = sel[["village_id", "category", "profile", *INDICATOR_FIELDS, *counts]]
    sel = sel.assign(method="place_point")
    if ind.method == "persons" and ind.profile != TRANSIT_PROFILE:
        sel = _with_persons(sel, _select(sb.build.persons_villages, ind), "village_id")
    if ind.profile == TRANSIT_PROFILE and sb.build.transit is not None:
        sel = sel.merge(_transit_fields(sb.build.transit, ind.category), on="village_id",
                        how="left")  # fmt: skip
        if ind.method == "persons":
            sel = _with_transit_persons(sel, sb.build.transit_persons, ind.category,
                                        "village", "village_id")  # fmt: skip
    return _geo(gdf.merge(sel, on="village_id", how="left"))


def _with_transit_persons(sel: pd.DataFrame, persons: pd.DataFrame, category: str,
                          level: str, key: str) -> pd.DataFrame:  # fmt: skip
    """Attach the figures over persons (``transit_persons.csv``) of a level and category.

    ``travel_time_s`` becomes the weighted median over the persons where the group has
    origins (``method`` says per row which figure it is).
    """
    p = persons[(persons["level"] == level) & (persons["category"] == category)]
    p = p.drop(columns=["level", "name", "category"]).rename(columns={"id": key})
    out = sel.merge(p, on=key, how="left")
    has = out["origins"].fillna(0) > 0
    out.loc[has, "travel_time_s"] = out.loc[has, "median_transit_s"]
    out.loc[has, "method"] = "persons"
    return out


def _transit_fields(table: pd.DataFrame, category: str) -> pd.DataFrame:
    """Return the public transport figures of a category (median, p90, transfers...)."""
    t = table[table["category"] == category]
    drop = {"village_name", "municipality", "population", "category", "reason"}
    return t[[c for c in t.columns if c not in drop]]


def village(sb: ServedBuild, village_id: str) -> gpd.GeoDataFrame:
    """One village with every indicator flat: ``<category>_<profile>_<field>`` columns."""
    v = sb.build.villages
    row = v[v["village_id"].astype(str) == village_id]
    if row.empty:
        msg = f"unknown village id {village_id!r}; list the ids with GET /villages"
        raise UnknownVillageError(msg)
    ind = sb.build.indicators
    counts = [c for c in ind.columns if c.startswith("count_")]
    fields = (*INDICATOR_FIELDS, *counts)
    mine = ind[ind["village_id"].astype(str) == village_id]
    by_key = {(r["category"], r["profile"]): r
              for r in mine[["category", "profile", *fields]].to_dict("records")}  # fmt: skip
    flat: dict[str, Any] = {}
    for cat in sb.build.categories:
        for prof in sb.build.indicator_profiles:
            r = by_key.get((cat, prof), {})
            for f in fields:
                flat[f"{cat}_{prof}_{f}"] = r.get(f)
    row = row.iloc[:1].reset_index(drop=True)
    extra = pd.DataFrame([flat], index=row.index).astype(object)
    return _geo(pd.concat([row, extra], axis=1))


def facilities(sb: ServedBuild, *, category: str | None = None) -> gpd.GeoDataFrame:
    """Facilities, optionally of one category."""
    gdf = sb.build.facilities
    if category is not None:
        gdf = gdf[gdf["category"] == sb.build.check_category(category)]
    return _geo(gdf)


def municipalities(
    sb: ServedBuild,
    *,
    category: str | None = None,
    profile: str | None = None,
    method: str | None = None,
) -> gpd.GeoDataFrame:
    """Municipalities (polygons when the build has them) with villages and population.

    With ``category`` (and ``profile``), that indicator's aggregates are attached: with
    ``method=persons`` (the default of builds with origins) the mean over every person of
    the municipality, buitengebied included (CBS's figure), median, p90, max, shares beyond
    the rings and the worst address; with ``method=place_point`` the population-weighted
    mean over the village points (``share_beyond_<r>km``, worst village...).
    """  # fmt: skip
    b = sb.build
    v = b.villages
    summary = (
        v.groupby("municipality", dropna=True)
        .agg(
            villages=("village_id", "size"), population=("population", lambda s: s.sum(min_count=1))
        )
        .reset_index()
    )
    polys = b.municipality_polygons
    if polys is not None and len(polys):
        base = polys.rename(columns={"name": "municipality"})[["municipality", "geometry"]]
        base = base.drop_duplicates("municipality")
        gdf = base.merge(summary, on="municipality", how="left")
    else:
        gdf = gpd.GeoDataFrame(summary, geometry=[None] * len(summary), crs=WGS84)
    gdf["villages"] = gdf["villages"].fillna(0).astype(int)
    ind = _indicator(sb, category, profile, method)
    if ind is None:
        return _geo(gdf)
    sel = _select(b.municipalities, ind)
    shares = [c for c in sel.columns if c.startswith("share_beyond_")]
    if ind.profile == TRANSIT_PROFILE:  # the "without a car" shares and the VF ratio
        shares = [c for c in sel.columns if c.startswith("share_no_car_") or "vf_" in c]
    sel = sel[["municipality", "category", "profile", *MUNICIPALITY_FIELDS, *shares]]
    sel = sel.assign(method="place_point")
    if ind.profile == TRANSIT_PROFILE:
        if ind.method == "persons":
            sel = _with_transit_persons(sel, b.transit_persons, ind.category, "municipality",
                                        "municipality")  # fmt: skip
    elif ind.method == "persons":
        sel = _with_persons(sel, _select(b.persons_municipalities, ind), "municipality")
    return _geo(gdf.merge(sel, on="municipality", how="left"))


def edges(sb: ServedBuild, profile: str) -> gpd.GeoDataFrame:
    """Return the network edges of ``profile`` (WGS84)."""
    return sb.edges(profile)


def layer_frame(
    sb: ServedBuild, layer: str, filters: LayerFilters | None = None
) -> gpd.GeoDataFrame:
    """Return the whole table of a layer with its filters applied.

    ``layer`` is a collection id (villages, facilities, municipalities, white_areas,
    edges_<profile>) or double_disadvantage. A filter the layer does not take (see
    :data:`FILTERS`) raises InvalidParameterError.
    """
    q = filters or LayerFilters()
    allowed = FILTERS.get(layer, ())
    extra = sorted(name for name in q.given() if name not in allowed)
    if extra:
        msg = (
            f"filter {', '.join(extra)} does not apply to collection {layer!r}"
            f" (it takes {', '.join(sorted(allowed)) or 'only bbox'})"
        )
        raise InvalidParameterError(msg)
    if layer == "villages":
        return villages(sb, municipality=q.municipality, category=q.category, profile=q.profile,
                        method=q.method, white=q.white,
                        double_disadvantage=q.double_disadvantage)  # fmt: skip
    if layer == "facilities":
        return facilities(sb, category=q.category)
    if layer == "municipalities":
        gdf = municipalities(sb, category=q.category, profile=q.profile, method=q.method)
        if q.municipality is not None:
            gdf = gdf[_match(gdf["municipality"], q.municipality)]
        return gdf
    if layer == "double_disadvantage":
        return double_disadvantage(sb)
    if layer == "addresses":
        return addresses(sb, category=q.category)
    if layer == "persons_grid":
        return persons_grid(sb, category=q.category)
    if layer == "white_areas":
        return white_areas(sb)
    if layer.startswith(EDGES_PREFIX):
        return edges(sb, layer.removeprefix(EDGES_PREFIX))
    msg = f"unknown layer {layer!r}"
    raise NotFoundError(msg)


def collection_frame(
    sb: ServedBuild, collection_id: str, filters: LayerFilters | None = None
) -> gpd.GeoDataFrame:
    """Return the whole table of a collection (NotFoundError when unknown), filtered.

    ``villages`` and ``municipalities`` without a ``category`` filter carry every indicator
    as a column (``<category>_<profile>_<field>``, :mod:`accessibility.wide`, the columns of
    the GeoPackage and ``villages.csv``), one feature each, so GIS clients can style them;
    with ``category`` one indicator as the other routes give it.
    """
    layer = collection_info(sb, collection_id).id
    gdf = layer_frame(sb, layer, filters)
    one_category = filters is not None and filters.category is not None
    if layer in WIDE_LAYERS and not one_category:
        gdf = _with_wide(sb, layer, gdf)
    if layer == "facilities" and not one_category:
        gdf = _one_per_facility(gdf)
    return gdf


def _one_per_facility(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One feature per facility: an OGC feature id is unique in its collection.

    A place in several categories (a restaurant that is also a hotel) is one row per
    category in the build's table; here its categories are joined (``restaurant;hotel``).
    """
    dup = gdf["facility_id"].duplicated(keep=False)
    if not dup.any():
        return gdf
    joined = gdf.groupby("facility_id", sort=False)["category"].agg(
        lambda c: ";".join(dict.fromkeys(c.astype(str)))
    )
    first = gdf.drop_duplicates("facility_id").copy()
    first["category"] = first["facility_id"].map(joined)
    return _geo(first)


#: collections served with every indicator as a column (no category filter given)
WIDE_LAYERS = ("villages", "municipalities")


def _with_wide(sb: ServedBuild, layer: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` (filtered) with the wide indicator columns of its rows (cached per build)."""
    key = "village_id" if layer == "villages" else "municipality"
    wide = sb.cached(f"wide_{layer}", lambda: _wide_table(sb, layer).copy())  # consolidated
    cols = [c for c in wide.columns if c not in gdf.columns or c == key]
    return _geo(gdf.merge(wide[cols], on=key, how="left").copy())


def _wide_table(sb: ServedBuild, layer: str) -> pd.DataFrame:
    b = sb.build
    cats, profs = list(b.categories), list(b.profiles)
    if layer == "villages":
        ids = b.villages[["village_id"]]
        return villages_wide(ids, b.indicators, categories=cats, profiles=profs)
    wide = municipalities_wide(b.municipalities, categories=cats, profiles=profs)
    return wide.drop(columns=[c for c in ("villages", "population") if c in wide.columns])


def build_crs(sb: ServedBuild) -> str | None:
    """Return the metric CRS the build computed in (its networks'), None without networks."""
    nets = sb.build.networks
    return next(iter(nets.values())).crs if nets else None


def parse_bbox(text: str | None, crs: Any = None) -> tuple[float, float, float, float] | None:
    """``"minlon,minlat,maxlon,maxlat"`` -> a tuple (InvalidParameterError when malformed).

    With ``crs`` (``bbox-crs``) the four numbers are minx,miny,maxx,maxy in that CRS.
    """
    if text is None or not text.strip():
        return None
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        vals = ()
    ok = len(vals) == BBOX_VALUES and all(np.isfinite(vals))
    if not ok or vals[0] > vals[2] or vals[1] > vals[3]:
        what = "minlon,minlat,maxlon,maxlat in WGS84" if crs is None else "minx,miny,maxx,maxy"
        msg = f"bbox must be {what} with min <= max; got {text[:80]!r}"
        raise InvalidParameterError(msg)
    return vals  # type: ignore[return-value]


def within_bbox(
    gdf: gpd.GeoDataFrame, bbox: Sequence[float] | None, crs: Any = None
) -> gpd.GeoDataFrame:
    """Keep the rows whose geometry intersects ``bbox`` (WGS84, or in ``crs``).

    A box in another CRS is densified and reprojected, so its curved outline is followed.
    """
    if bbox is None:
        return gdf
    box = shapely.box(*bbox)
    if crs is not None:
        span = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
        box = gpd.GeoSeries([shapely.segmentize(box, span / 64 or 1.0)], crs=crs).to_crs(WGS84)[0]
    hit = shapely.intersects(gdf.geometry.to_numpy(), box)
    return gdf[np.asarray(hit, dtype=bool)]


def find_feature(gdf: gpd.GeoDataFrame, info: CollectionInfo, fid: str) -> gpd.GeoDataFrame:
    """Return the row whose id is ``fid`` (NotFoundError when absent)."""
    row = gdf[gdf[info.id_column].astype(str) == fid]
    if row.empty:
        msg = f"no feature with {info.id_column}={fid!r} in collection {info.id!r}"
        raise NotFoundError(msg)
    return row.iloc[:1]


def bounds(gdf: gpd.GeoDataFrame) -> list[float] | None:
    """WGS84 bounds rounded to 6 decimals (None when empty)."""
    geo = gdf.geometry.dropna()
    if geo.empty:
        return None
    return [round(float(v), 6) for v in geo.total_bounds]


def _geo(df: pd.DataFrame) -> gpd.GeoDataFrame:
    gdf = df if isinstance(df, gpd.GeoDataFrame) else gpd.GeoDataFrame(df, geometry="geometry")
    return gdf.reset_index(drop=True)
