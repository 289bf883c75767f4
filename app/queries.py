"""Request-time computations: one domain call each, shaped into response tables.

Isochrones, catchments and matrices route on the build's networks through
:mod:`accessibility.isochrones` and :mod:`accessibility.routing`; the villages (and
population) inside come from the same search, by network cost. Nothing here does geometry
maths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from accessibility.budget import checkpoint
from accessibility.crs import WGS84
from accessibility.defaults import TRANSIT_PROFILE
from accessibility.indicators import REASON_NOT_ON_NETWORK
from accessibility.isochrones import catchment, isochrone_result, locate_targets
from accessibility.network import Network
from accessibility.precision import round_values
from accessibility.routing import travel_matrix
from accessibility.scenarios import NewFacility, change_summary, what_if
from accessibility.snapping import Snapped, locate
from app.config import Settings
from app.errors import InvalidParameterError
from app.geojson import records, row_features
from app.layers import facilities
from app.limits import Contours
from app.schemas import (
    MatrixResponse,
    OpenFacility,
    ScenarioResponse,
    SnappedLocation,
    VillageChange,
)
from app.state import ServedBuild

ISOCHRONE_COLUMNS = [
    "location_index", "lon", "lat", "profile", "direction", "contour", "unit", "minutes",
    "meters", "area_m2", "population", "villages", "villages_without_population",
    "snap_distance_m", "cell_m", "geometry",
]  # fmt: skip


def _population(targets_within: Sequence[np.ndarray], sb: ServedBuild) -> list[dict]:
    """Villages and population within each contour (population null when none is known).

    Membership is by network cost (``targets_within`` of the domain call, the villages as
    targets), the same cost as the village indicators, not by lying in the polygon.
    """
    _, _, pop, ids = sb.village_arrays()
    rows = []
    for within in targets_within:
        w = pop[within]
        known = np.isfinite(w)
        rows.append({
            "villages": len(within),
            "villages_without_population": int((~known).sum()),
            "population": float(w[known].sum()) if known.any() else None,
            "village_ids": ids[within].tolist(),
        })  # fmt: skip
    return rows


def _village_points(sb: ServedBuild) -> np.ndarray:
    lon, lat, _, _ = sb.village_arrays()
    return np.column_stack([lon, lat])


def _village_targets(sb: ServedBuild, net: Network, settings: Settings) -> Snapped | None:
    """Return the villages snapped to a road network (once per build, profile, snap distance).

    Snapping every village per request would cost in proportion to the villages (the size
    of the area), not to the request.
    """
    max_snap_m = settings.max_snap_m
    key = f"village_targets:{net.profile}:{max_snap_m!r}"
    pts = _village_points(sb)  # not inside cached(): it takes the same lock
    return sb.cached(key, lambda: locate_targets(net, pts, max_snap_m=max_snap_m))


def _transit_router(sb: ServedBuild, profile: str | None, departure: dt.datetime | None, *,
                    window: bool = False):  # fmt: skip
    """Return the build's transit router for ``profile=transit``, else None (roads).

    ``departure`` and ``window`` with a road profile are a 422: a road takes no time.
    """
    if profile == TRANSIT_PROFILE and sb.build.has_transit:
        return sb.build.transit_router()
    if departure is not None or window:
        msg = ("departure= and window= are for profile=transit (a timetable); road profiles "
               "take no time")  # fmt: skip
        raise InvalidParameterError(msg)
    return None


def isochrone_features(
    sb: ServedBuild,
    settings: Settings,
    locations: Sequence[tuple[float, float]],
    *,
    profile: str | None,
    contours: Contours,
    direction: str,
    departure: dt.datetime | None = None,
    window: bool = False,
) -> list[str]:
    """GeoJSON Feature texts, one per location and contour, with the villages inside.

    Written from plain rows (:func:`app.geojson.row_features`): on a small network the
    DataFrames of the old path cost more than the search itself.
    """
    router = _transit_router(sb, profile, departure, window=window)
    transit = router is not None
    if transit:
        net = router.model.walk
        if contours.meters is not None:
            msg = "profile=transit takes minutes= (a timetable has no distance contours)"
            raise InvalidParameterError(msg)
    else:
        net = sb.build.network(profile)
        profile = net.profile
    pts = np.asarray(locations, dtype=float).reshape(-1, 2)
    if len(pts) > 1:  # snap all first: an error names the right location index
        locate(net, pts[:, 0], pts[:, 1], max_snap_m=settings.max_snap_m, what="location")
    targets = _village_points(sb) if transit else _village_targets(sb, net, settings)
    rows: list[dict] = []
    geoms: list = []
    for i, (lon, lat) in enumerate(pts):
        checkpoint()
        options = {"direction": direction, "cell_m": settings.isochrone_cell_m,
                   "fill_holes": settings.isochrone_fill_holes,
                   "max_snap_m": settings.max_snap_m, "targets": targets}  # fmt: skip
        if transit:
            g = router.isochrones(float(lon), float(lat), minutes=contours.minutes,
                                  at=departure, window=window, **options)  # fmt: skip
        else:
            g = isochrone_result(net, float(lon), float(lat), minutes=contours.minutes,
                                 meters=contours.meters, **options)  # fmt: skip
        c = g.columns
        inside = _population(c["targets_within"], sb)
        for k, value in enumerate(c["contour"]):
            unit = c["unit"][k]
            rows.append({
                "location_index": i, "lon": float(lon), "lat": float(lat), "profile": profile,
                "direction": direction, "contour": float(value), "unit": unit,
                "minutes": float(value) if unit == "minutes" else None,
                "meters": float(value) if unit == "meters" else None,
                "area_m2": float(c["area_m2"][k]),
                "population": inside[k]["population"], "villages": inside[k]["villages"],
                "villages_without_population": inside[k]["villages_without_population"],
                "snap_distance_m": float(c["snap_distance_m"][k]),
                "cell_m": float(c["cell_m"][k]),
                **{key: c[key][k] for key in ("departure", "statistic", "window_min")
                   if key in c},
            })  # fmt: skip
            geoms.append(g.geometry[k])
    return row_features(rows, geoms)


def catchment_frame(
    sb: ServedBuild,
    settings: Settings,
    *,
    category: str,
    profile: str | None,
    minutes: float,
    direction: str,
    departure: dt.datetime | None = None,
    window: bool = False,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Compute the catchment of a category (one row), and every village, inside or not.

    A category without facilities has an empty catchment (null geometry, area 0). By
    public transport (``profile=transit``) at ``departure`` (or the window's median).
    """
    router = _transit_router(sb, profile, departure, window=window)
    transit = router is not None
    fac = facilities(sb, category=category)
    if not transit:
        net = sb.build.network(profile)
        profile = net.profile
    if len(fac):
        pts = fac[["lon", "lat"]].to_numpy(dtype=float)
        targets = _village_points(sb) if transit else _village_targets(sb, net, settings)
        options = {"direction": direction, "cell_m": settings.isochrone_cell_m,
                   "fill_holes": settings.isochrone_fill_holes,
                   "max_snap_m": settings.max_snap_m, "targets": targets}  # fmt: skip
        if transit:
            poly = router.catchment(pts, minutes=minutes, at=departure, window=window,
                                    **options).to_frame()  # fmt: skip
        else:
            poly = catchment(net, pts, minutes=minutes, **options)
        used = int(poly["points_used"].iloc[0])
        cost_min = poly["target_cost"].iloc[0]
        area, geom = float(poly["area_m2"].iloc[0]), poly.geometry.iloc[0]
        cell = float(poly["cell_m"].iloc[0])
    else:
        used, area, geom, cell = 0, 0.0, None, None
        cost_min = np.full(len(sb.build.villages), np.inf)
    v = sb.build.villages
    inside = np.isfinite(cost_min)
    pop = pd.to_numeric(v["population"]).to_numpy(dtype=float, na_value=np.nan)
    head = {
        "kind": "catchment", "category": category, "profile": profile,
        "direction": direction, "minutes": float(minutes), "area_m2": area,
        "facilities": used, "villages_inside": int(inside.sum()),
        "villages_outside": int((~inside).sum()),
        "population_inside": _sum(pop[inside]), "population_outside": _sum(pop[~inside]),
        "cell_m": cell,
    }  # fmt: skip
    if transit and len(fac):
        head.update({k: poly[k].iloc[0] for k in ("departure", "statistic", "window_min")})
    villages = pd.DataFrame({
        "kind": "village", "village_id": v["village_id"].to_numpy(),
        "village_name": v["village_name"].to_numpy(),
        "municipality": v["municipality"].to_numpy(), "population": pop, "inside": inside,
        "travel_time_s": np.where(inside, cost_min * 60.0, np.nan),
    })  # fmt: skip
    return (
        gpd.GeoDataFrame(pd.DataFrame([head]), geometry=[geom], crs=WGS84),
        gpd.GeoDataFrame(villages, geometry=v.geometry.to_numpy(), crs=WGS84),
    )


def _sum(values: np.ndarray) -> float | None:
    known = values[np.isfinite(values)]
    return float(known.sum()) if len(known) else None


def matrix(
    sb: ServedBuild,
    settings: Settings,
    *,
    profile: str | None,
    sources: Sequence[tuple[float, float]],
    destinations: Sequence[tuple[float, float]],
    departure: dt.datetime | None = None,
) -> MatrixResponse:
    """Shortest distances and fastest durations, null where unreachable."""
    router = _transit_router(sb, profile, departure)
    if router is not None:
        res = router.matrix(np.asarray(sources, dtype=float),
                            np.asarray(destinations, dtype=float), at=departure,
                            max_snap_m=settings.max_snap_m)  # fmt: skip
    else:
        net = sb.build.network(profile)
        profile = net.profile
        background = settings.matrix_index_background_max_nodes
        res = travel_matrix(net, np.asarray(sources, dtype=float),
                            np.asarray(destinations, dtype=float),
                            max_snap_m=settings.max_snap_m, require=False,
                            index_max_nodes=settings.matrix_index_max_nodes,
                            index_background_max_nodes=background)  # fmt: skip
    return MatrixResponse(
        profile=profile,
        distances_m=_nullable(res.distances_m, "distances_m"),
        durations_s=_nullable(res.durations_s, "durations_s"),
        sources=_snapped(
            sources, res.sources_snapped, res.source_snap_distance_m, res.source_on_network
        ),
        destinations=_snapped(
            destinations,
            res.destinations_snapped,
            res.destination_snap_distance_m,
            res.destination_on_network,
        ),
    )


def _nullable(a: np.ndarray, column: str) -> list[list[float | None]]:
    a = round_values(a, column)  # 0.1 m, 0.1 s
    return np.where(np.isfinite(a), a, None).tolist()


def _snapped(
    asked: Sequence[tuple[float, float]],
    snapped: np.ndarray,
    dist_m: np.ndarray,
    on_network: np.ndarray,
) -> list[SnappedLocation]:
    return [
        SnappedLocation(location=[float(x) for x in a],
                        snapped=[round(float(v), 6) for v in s] if ok else None,
                        snap_distance_m=round(float(d), 1) if ok else None,
                        reason=None if ok else REASON_NOT_ON_NETWORK)
        for a, s, d, ok in zip(asked, snapped, dist_m, on_network, strict=True)
    ]  # fmt: skip


def scenario(
    sb: ServedBuild, *, profile: str | None, close: Sequence[str], open_: Sequence[OpenFacility]
) -> ScenarioResponse:
    """Run a what-if scenario on one profile and shape it for the API."""
    profile = sb.build.pick_indicator_profile(profile)
    opened = [NewFacility(category=o.category, lon=o.lon, lat=o.lat, name=o.name) for o in open_]
    result = what_if(sb.build, close=close, open_=opened, profiles=[profile])
    summary = change_summary(result.changes, profile=profile)
    return ScenarioResponse(
        summary=_records(summary),
        changes=_records(result.changes[list(VillageChange.model_fields)]),
        persons=None if result.persons is None else _records(result.persons),
    )


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe dicts, figures rounded by column name (NaN as None)."""
    return records(df)
