"""Two loaded builds side by side (two years' extracts).

Per village the change of one indicator, and whether proximity "at least stayed the same"
(the province's test).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import Response
from geojson_pydantic import Feature, FeatureCollection, Point
from pydantic import Field

from accessibility.crs import WGS84
from accessibility.scenarios import change_summary, compare_builds
from app.deps import RegistryDep
from app.errors import error_responses
from app.geojson import GeoJSONResponse, feature_collection_text, geojson_response, records
from app.schemas import PROFILE_DESCRIPTION, OpenProperties, Profile, ScenarioSummary, geojson_200

router = APIRouter(prefix="/compare", tags=["scenarios"])

Status = Literal["same", "better", "worse", "lost", "gained"]


class CompareProperties(OpenProperties):
    """One village (or buitengebied) and one indicator in both builds."""

    village_id: str = Field(examples=["node/240079149"])
    village_name: str | None = Field(None, examples=["Schaan"])
    municipality: str | None = None
    population: float | None = Field(
        None, description="The new build's population (persons with method=persons)"
    )
    category: str = Field(examples=["supermarket"])
    profile: str = Field(examples=["car"])
    distance_m_before: float | None = Field(None, description="In the old build")
    distance_m_after: float | None = Field(None, description="In the new build")
    distance_m_change: float | None = Field(None, description="after - before (m)")
    travel_time_s_before: float | None = None
    travel_time_s_after: float | None = None
    travel_time_s_change: float | None = None
    reason_before: str | None = Field(None, description="Why the old value is null")
    reason_after: str | None = Field(None, description="Why the new value is null")
    status: Status = Field(
        description="worse / better (by more than 0.5 m), lost / gained access, or same"
    )


class CompareCollection(FeatureCollection[Feature[Point | None, CompareProperties]]):
    """The villages with the change, and the summary of the province's test."""

    old: str = Field(examples=["y2024"])
    new: str = Field(examples=["y2025"])
    category: str
    profile: str
    method: Literal["persons", "place_point"]
    summary: ScenarioSummary


EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "id": "node/240080206",
                  "geometry": {"type": "Point", "coordinates": [9.508596, 47.220341]},
                  "properties": {"village_id": "node/240080206", "village_name": "Gamprin",
                                 "municipality": "Gamprin", "population": 1636,
                                 "category": "supermarket", "profile": "car",
                                 "distance_m_before": 5498.5, "distance_m_after": 6841.2,
                                 "distance_m_change": 1342.7, "travel_time_s_before": 418.3,
                                 "travel_time_s_after": 501.9, "travel_time_s_change": 83.6,
                                 "reason_before": None, "reason_after": None,
                                 "status": "worse"}}],
    "old": "y2024", "new": "y2025", "category": "supermarket", "profile": "car",
    "method": "persons",
    "summary": {"category": "supermarket", "profile": "car", "villages": 22,
                "villages_worse": 3, "population_worse": 3121, "villages_lost": 0,
                "population_lost": 0, "villages_better": 0, "population_better": 0,
                "villages_gained": 0, "population_gained": 0, "villages_same": 19,
                "population_same": 43238, "max_increase_m": 1342.7,
                "stayed_the_same_or_better": False},
}  # fmt: skip

COLUMNS = ["village_id", "village_name", "municipality", "population", "category", "profile",
           "distance_m_before", "distance_m_after", "distance_m_change",
           "travel_time_s_before", "travel_time_s_after", "travel_time_s_change",
           "reason_before", "reason_after", "status"]  # fmt: skip


def _build_name(what: str) -> Any:
    return Query(description=f"The {what} build (a name of GET /builds)", max_length=100,
                 examples=["y2024" if what == "old" else "y2025"])  # fmt: skip


@router.get(
    "",
    operation_id="compare_builds",
    summary="Two builds side by side: each village's change of one indicator",
    response_class=GeoJSONResponse,
    responses={**geojson_200(CompareCollection, EXAMPLE), **error_responses(404, 422, 503)},
)
def compare(
    *,
    registry: RegistryDep,
    old: Annotated[str, _build_name("old")],
    new: Annotated[str, _build_name("new")],
    category: Annotated[
        str,
        Query(
            description="Facility category (see GET /builds)",
            examples=["supermarket"],
            max_length=100,
        ),
    ],
    profile: Annotated[
        Profile | None, Query(description=PROFILE_DESCRIPTION, examples=["car"])
    ] = None,
    method: Annotated[
        Literal["persons", "place_point"] | None,
        Query(
            description="persons: the means over persons (default when both builds have "
            "origins); place_point: the village points"
        ),
    ] = None,
) -> Response:
    """Compare one indicator of two loaded builds (``bereik serve --build a --build b``).

    Every village of either build (matched by id: build both from the same villages, or
    the same OSM places) with the value before (``old``) and after (``new``), the change
    and its ``status``: ``worse`` or ``better`` (by more than 0.5 m), ``lost`` or
    ``gained`` access, ``same``. With origins in both builds the figures are the means
    over persons (``method=persons``, buitengebied rows included, without a geometry); a
    village without any address keeps its point's figure. ``summary``: the villages and
    population that got worse, better, lost or gained access, and
    ``stayed_the_same_or_better`` (the province's test). Unknown build or category: 404;
    a profile or method one of the builds lacks: 422.
    """
    a, b = registry.get(old), registry.get(new)
    for sb in (a, b):
        sb.build.check_category(category)
    prof = b.build.pick_profile(profile)
    a.build.check_profile(prof)
    if method is not None:
        for sb in (a, b):
            sb.build.pick_method(method)  # 422 naming the build without origins
    changes = compare_builds(a.build, b.build, method=method)
    rows = changes[(changes["category"] == category) & (changes["profile"] == prof)]
    rows = rows.reset_index(drop=True)
    summary = records(change_summary(rows, profile=prof))
    points = _points(b, rows["village_id"]).combine_first(_points(a, rows["village_id"]))
    gdf = gpd.GeoDataFrame(rows[COLUMNS], geometry=gpd.points_from_xy(points["lon"],
                           points["lat"]), crs=WGS84)  # fmt: skip
    gdf.loc[points["lon"].isna().to_numpy(), "geometry"] = None  # buitengebied: no point
    members = {"old": a.name, "new": b.name, "category": category, "profile": prof,
               "method": method or ("persons" if a.build.has_persons and b.build.has_persons
                                    else "place_point"),
               "summary": summary[0] if summary else None}  # fmt: skip
    return geojson_response(feature_collection_text(gdf, id_column="village_id", members=members))


def _points(sb, ids: pd.Series) -> pd.DataFrame:
    """lon/lat of ``ids`` among a build's villages (NaN where it has none)."""
    lon, lat, _, vid = sb.village_arrays()
    table = pd.DataFrame({"lon": lon, "lat": lat}, index=pd.Index(vid, name="village_id"))
    table = table[~table.index.duplicated()]
    return table.reindex(ids.to_numpy()).reset_index(drop=True).astype(np.float64)
