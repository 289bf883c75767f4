"""Catchments: the area within N minutes of any facility of a category, and who lives there."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.deps import BuildDep, SettingsDep
from app.errors import error_responses
from app.geojson import GeoJSONResponse, collection_text, features, geojson_response
from app.limits import check_minutes
from app.queries import catchment_frame
from app.schemas import PROFILE_DESCRIPTION, CatchmentCollection, Direction, Profile, geojson_200

router = APIRouter(prefix="/catchments", tags=["catchments"])

CatchmentLayer = Literal["area", "villages"]

EXAMPLE = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature",
         "geometry": {"type": "Polygon", "coordinates": [[
             [9.50, 47.12], [9.55, 47.12], [9.55, 47.17], [9.50, 47.17], [9.50, 47.12]]]},
         "properties": {"kind": "catchment", "category": "supermarket", "profile": "car",
                        "direction": "to", "minutes": 5.0, "area_m2": 41234000.0,
                        "facilities": 11, "villages_inside": 14, "villages_outside": 5,
                        "population_inside": 33100.0, "population_outside": 5091.0}},
    ],
}  # fmt: skip
VILLAGES_EXAMPLE = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "id": "node/347290636",
         "geometry": {"type": "Point", "coordinates": [9.608395, 47.102793]},
         "properties": {"kind": "village", "village_id": "node/347290636",
                        "village_name": "Malbun", "municipality": "Triesenberg",
                        "population": None, "inside": False, "travel_time_s": None}},
    ],
}  # fmt: skip


@router.get(
    "",
    operation_id="get_catchment",
    summary="Area and population within N minutes of a facility category",
    response_class=GeoJSONResponse,
    responses={
        **geojson_200(
            CatchmentCollection, examples={"area": EXAMPLE, "villages": VILLAGES_EXAMPLE}
        ),
        **error_responses(404, 422, 503),
    },
)
def get_catchment(
    *,
    sb: BuildDep,
    settings: SettingsDep,
    category: Annotated[
        str, Query(description="Facility category", examples=["supermarket"], max_length=100)
    ],
    minutes: Annotated[float, Query(gt=0, description="Travel time limit", examples=[10])],
    profile: Annotated[
        Profile | None, Query(description=PROFILE_DESCRIPTION, examples=["car"])
    ] = None,
    direction: Annotated[
        Direction, Query(description="to: can reach a facility in time; from: reachable from one")
    ] = "to",
    layer: Annotated[
        CatchmentLayer,
        Query(
            description="area: the catchment polygon (one feature); villages: every "
            "village as a point with inside and travel_time_s"
        ),
    ] = "area",
    departure: Annotated[
        dt.datetime | None,
        Query(
            description="profile=transit only: the arrival deadline (direction=to) or the "
            "departure (from), local time of the feed, on the build's timetable day; "
            "default its first departure",
            examples=["2022-09-01T09:00"],
        ),
    ] = None,
    window: Annotated[
        bool,
        Query(
            description="profile=transit only: the median over the build's departure "
            "window from departure (every 5 minutes)"
        ),
    ] = False,
) -> Response:
    """Return the catchment of a category, or every village inside or outside it.

    ``layer=area`` (default): one feature, the catchment polygon (kind=catchment, null
    geometry when the category has no facility) with the villages and population inside
    and outside. ``layer=villages``: every village (kind=village) as a point with
    ``inside`` and ``travel_time_s`` (to or from the nearest facility, null beyond the
    limit). A village is inside when its network travel time (from its snapped place,
    the same as the indicators) is within ``minutes``, not when it lies in the polygon.
    Two layers, so that GIS clients get one geometry type per collection.
    """
    check_minutes(settings, minutes)
    area, villages = catchment_frame(
        sb, settings, category=sb.build.check_category(category), profile=profile,
        minutes=minutes, direction=direction, departure=departure, window=window,
    )  # fmt: skip
    if layer == "villages":
        return geojson_response(collection_text(features(villages, id_column="village_id")))
    return geojson_response(collection_text(features(area)))
