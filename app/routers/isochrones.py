"""Isochrones: what is reachable within N minutes (or metres) of one or more locations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.deps import BuildDep, IsochroneQueryDep, SettingsDep
from app.errors import error_responses
from app.geojson import GeoJSONResponse, collection_text, geojson_response
from app.limits import check_contours, check_locations
from app.queries import isochrone_features
from app.schemas import IsochroneCollection, IsochroneRequest, geojson_200

router = APIRouter(prefix="/isochrones", tags=["isochrones"])

EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature",
                  "geometry": {"type": "Polygon", "coordinates": [[
                      [9.51, 47.13], [9.53, 47.13], [9.53, 47.15], [9.51, 47.15],
                      [9.51, 47.13]]]},
                  "properties": {"location_index": 0, "lon": 9.5209, "lat": 47.141,
                                 "profile": "car", "direction": "from", "contour": 5.0,
                                 "unit": "minutes", "minutes": 5.0, "meters": None,
                                 "area_m2": 8123400.0, "population": 5229.0, "villages": 2,
                                 "villages_without_population": 1,
                                 "snap_distance_m": 8.4}}],
}  # fmt: skip
RESPONSES = {**geojson_200(IsochroneCollection, EXAMPLE), **error_responses(404, 422, 503)}
POST_RESPONSES = {**RESPONSES, **error_responses(400)}


@router.get("", operation_id="get_isochrones", summary="Isochrones of one location",
            response_class=GeoJSONResponse, responses=RESPONSES)  # fmt: skip
def get_isochrones(sb: BuildDep, settings: SettingsDep, q: IsochroneQueryDep) -> Response:
    """Return one (Multi)Polygon per contour, nested, smallest first.

    Each has its area, the population of the villages inside and the distance from the
    point to the road. Give ``minutes`` (travel time) or ``meters`` (network distance),
    comma-separated.
    """
    texts = isochrone_features(sb, settings, [(q.lon, q.lat)], profile=q.profile,
                               contours=q.contours, direction=q.direction,
                               departure=q.departure, window=q.window)  # fmt: skip
    return geojson_response(collection_text(texts))


@router.post("", operation_id="post_isochrones", summary="Isochrones of several locations",
             response_class=GeoJSONResponse, responses=POST_RESPONSES)  # fmt: skip
def post_isochrones(sb: BuildDep, settings: SettingsDep, body: IsochroneRequest) -> Response:
    """Return isochrones as GET does, for up to ``max_locations`` locations at once.

    ``location_index`` tells which location a polygon belongs to.
    """
    check_locations(settings, len(body.locations))
    contours = check_contours(settings, minutes=body.minutes, meters=body.meters)
    texts = isochrone_features(sb, settings, body.locations, profile=body.profile,
                               contours=contours, direction=body.direction,
                               departure=body.departure, window=body.window)  # fmt: skip
    return geojson_response(collection_text(texts))
