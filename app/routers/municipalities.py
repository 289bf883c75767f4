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
    filters=("category", "profile", "method"),  # municipality= only on the OGC items
    operation_id="list_municipalities",
    summary="Municipalities, optionally with one indicator's aggregates",
    description="""Return municipality polygons with their number of villages and population.

    With ``category`` (and ``profile``, default car): with ``method=persons`` (the default
    of builds with origins) the mean over every person of the municipality, buitengebied
    included, as CBS computes it; median, p90 and max; the shares beyond each ring and the
    worst address. With ``method=place_point``: the population-weighted mean over the
    village points, the shares of population beyond each radius, and the worst village.
    ``method`` in each feature says which figure it carries.
    """,
    model=MunicipalityCollection, example=EXAMPLE,
)  # fmt: skip
