"""Villages with their indicators (shortcuts over the ``villages`` collection)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from app import layers
from app.deps import BuildDep
from app.errors import error_responses
from app.geojson import GeoJSONResponse, feature_text
from app.geojson import geojson_response as gj
from app.routers.factory import add_list_route
from app.schemas import VillageCollection, VillageFeature, geojson_200

router = APIRouter(prefix="/villages", tags=["villages"])

LIST_EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "id": "node/240079149",
                  "geometry": {"type": "Point", "coordinates": [9.510312, 47.16634]},
                  "properties": {"village_id": "node/240079149", "village_name": "Schaan",
                                 "population": 5933.0, "municipality": "Schaan",
                                 "category": "gp", "profile": "car", "distance_m": None,
                                 "travel_time_s": None, "reason": "no_facility"}}],
}  # fmt: skip
DETAIL_EXAMPLE = {
    "type": "Feature", "id": "node/240079149",
    "geometry": {"type": "Point", "coordinates": [9.510312, 47.16634]},
    "properties": {"village_id": "node/240079149", "village_name": "Schaan",
                   "population": 5933.0, "municipality": "Schaan",
                   "supermarket_car_distance_m": 412.3, "supermarket_car_travel_time_s": 49.5,
                   "supermarket_car_nearest_by_distance_id": "node/315636896",
                   "supermarket_car_count_1km": 2, "supermarket_car_reason": None,
                   "gp_car_distance_m": None, "gp_car_reason": "no_facility"},
}  # fmt: skip


add_list_route(
    router, layer="villages", id_column="village_id", filename="villages.csv",
    operation_id="list_villages",
    summary="Villages, optionally with one indicator for map colouring",
    description="""Return all villages as GeoJSON points.

    With ``category`` (and ``profile``, default car) each feature gets that indicator. With
    ``method=persons`` (the default of builds with origins: every address, weighted by its
    residents, see ``method`` per feature): the mean over the persons of the village
    (``distance_m`` and ``travel_time_s`` are those means), median, p90 and max, the shares
    beyond each ring and the worst address; a village without any address keeps its
    point's figure (``method=place_point``). With ``method=place_point``: the village
    point's ``distance_m``, ``travel_time_s`` (null when unreachable, with ``reason``), the
    nearest facility ids and the counts within radii. Builds with broadband coverage add
    ``max_mbps``, ``broadband_class``, ``share_white``, ``share_basic``, ``share_nga`` and
    ``double_disadvantage``; filter with ``white`` and ``double_disadvantage``.
    """,
    model=VillageCollection, example=LIST_EXAMPLE,
)  # fmt: skip


@router.get(
    "/{village_id:path}",
    operation_id="get_village",
    summary="One village with every indicator (category x profile), flat",
    response_class=GeoJSONResponse,
    responses={**geojson_200(VillageFeature, DETAIL_EXAMPLE), **error_responses(404, 422, 503)},
)
def get_village(
    sb: BuildDep,
    village_id: Annotated[str, Path(description="The village id", examples=["node/240079149"])],
) -> Response:
    """Return one village with every indicator as flat properties.

    For every category ``C`` and profile ``P`` the properties hold
    ``C_P_distance_m``, ``C_P_travel_time_s``, ``C_P_nearest_by_distance_id``,
    ``C_P_nearest_by_time_id``, ``C_P_snap_distance_m``, ``C_P_reason`` and
    ``C_P_count_<r>km`` (e.g. ``supermarket_car_distance_m``); null when unreachable,
    ``reason`` says why (no_facility, unreachable, not_on_network).
    """
    return gj(feature_text(layers.village(sb, village_id), id_column="village_id"))
