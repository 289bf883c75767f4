"""Facilities by category."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app import layers
from app.deps import BuildDep, OptCategory
from app.errors import error_responses
from app.geojson import GeoJSONResponse, csv_response, feature_collection_text, geojson_response
from app.schemas import FacilityCollection, geojson_200

router = APIRouter(prefix="/facilities", tags=["facilities"])

EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "id": "node/315636896",
                  "geometry": {"type": "Point", "coordinates": [9.520833, 47.140104]},
                  "properties": {"facility_id": "node/315636896", "category": "supermarket",
                                 "name": "Coop", "source": "osm"}}],
}  # fmt: skip


@router.get(
    "",
    operation_id="list_facilities",
    summary="Facilities, optionally of one category",
    response_class=GeoJSONResponse,
    responses={
        **geojson_200(FacilityCollection, EXAMPLE, csv=True),
        **error_responses(404, 422, 503),
    },
)
def list_facilities(
    sb: BuildDep,
    category: OptCategory = None,
    f: Annotated[Literal["geojson", "csv"], Query(description="GeoJSON or csv")] = "geojson",
) -> Response:
    """Return facilities as points with their category, name, source and snap distances."""
    gdf = layers.facilities(sb, category=category)
    if f == "csv":
        return csv_response(gdf, filename="facilities.csv")
    return geojson_response(feature_collection_text(gdf, id_column="facility_id"))
