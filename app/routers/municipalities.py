"""Municipalities with their population-weighted indicators."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.factory import add_list_route
from app.schemas import MunicipalityCollection

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


add_list_route(
    router, layer="municipalities", id_column="municipality", filename="municipalities.csv",
    filters=("category", "profile"),  # municipality= only on /collections/municipalities/items
    operation_id="list_municipalities",
    summary="Municipalities, optionally with one indicator's aggregates",
    description="""Return municipality polygons with their number of villages and population.

    With ``category`` (and ``profile``, default car): the population-weighted mean
    distance and time, the shares of population beyond each radius, and the worst village.
    """,
    model=MunicipalityCollection, example=EXAMPLE,
)  # fmt: skip
