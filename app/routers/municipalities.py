"""Municipalities with their population-weighted indicators."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app import layers
from app.deps import BuildDep, OptCategory, OptProfile
from app.errors import error_responses
from app.geojson import GeoJSONResponse, csv_response, feature_collection_text, geojson_response
from app.schemas import MunicipalityCollection, geojson_200

router = APIRouter(prefix="/municipalities", tags=["municipalities"])

EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "id": "Vaduz",
                  "geometry": {"type": "MultiPolygon", "coordinates": [[[
                      [9.49, 47.15], [9.53, 47.15], [9.53, 47.13], [9.49, 47.15]]]]},
                  "properties": {"municipality": "Vaduz", "villages": 2,
                                 "population": 5229.0, "category": "supermarket",
                                 "profile": "car", "weighting": "population",
                                 "mean_distance_m": 1032.5, "share_beyond_1km": 1.0}}],
}  # fmt: skip


@router.get(
    "",
    operation_id="list_municipalities",
    summary="Municipalities, optionally with one indicator's aggregates",
    response_class=GeoJSONResponse,
    responses={
        **geojson_200(MunicipalityCollection, EXAMPLE, csv=True),
        **error_responses(404, 422, 503),
    },
)
def list_municipalities(
    sb: BuildDep,
    category: OptCategory = None,
    profile: OptProfile = None,
    f: Annotated[Literal["geojson", "csv"], Query(description="GeoJSON or csv")] = "geojson",
) -> Response:
    """Return municipality polygons with their number of villages and population.

    With ``category`` (and ``profile``, default car): the population-weighted mean
    distance and time, the shares of population beyond each radius, and the worst village.
    """
    gdf = layers.municipalities(sb, category=category, profile=profile)
    if f == "csv":
        return csv_response(gdf, filename="municipalities.csv")
    return geojson_response(feature_collection_text(gdf, id_column="municipality"))
