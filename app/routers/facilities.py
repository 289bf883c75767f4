"""Facilities by category."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.factory import add_list_route
from app.schemas import FacilityCollection

router = APIRouter(prefix="/facilities", tags=["facilities"])

EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "id": "node/315636896",
                  "geometry": {"type": "Point", "coordinates": [9.520833, 47.140104]},
                  "properties": {"facility_id": "node/315636896", "category": "supermarket",
                                 "name": "Coop", "source": "osm"}}],
}  # fmt: skip


add_list_route(
    router, layer="facilities", id_column="facility_id", filename="facilities.csv",
    operation_id="list_facilities", summary="Facilities, optionally of one category",
    description="Return facilities as points with their category, name, source and snap distances.",
    model=FacilityCollection, example=EXAMPLE,
)  # fmt: skip
