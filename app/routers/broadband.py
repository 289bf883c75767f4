"""Broadband: the ranked list of villages that are both remote and offline."""

from __future__ import annotations

from fastapi import APIRouter

from app.routers.factory import add_list_route
from app.schemas import DoubleDisadvantageCollection

router = APIRouter(prefix="/double-disadvantage", tags=["broadband"])

EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "id": "node/347290636",
                  "geometry": {"type": "Point", "coordinates": [9.608395, 47.102793]},
                  "properties": {"village_id": "node/347290636", "village_name": "Malbun",
                                 "municipality": "Triesenberg", "population": None,
                                 "remote_categories": "supermarket",
                                 "reason": "supermarket: 7.8 km > 5 km", "excess_km": 2.8,
                                 "max_mbps": 4.8, "score": 0.0, "rank": 1,
                                 "synthetic": True}}],
}  # fmt: skip


add_list_route(
    router, layer="double_disadvantage", id_column="village_id",
    filename="double_disadvantage.csv", operation_id="list_double_disadvantage",
    summary="Villages both remote from facilities and in a white area, ranked",
    description="""Return the list the province would act on first, most affected first.

    A village is *remote* when its car distance exceeds the limit of a category (GP and
    supermarket 5 km, primary school 3 km; unreachable counts, a category without any
    facility does not) and *offline* when it lies in a white area (< 30 Mbit/s). Ranked by
    ``score`` = population x km beyond the limits. ``synthetic`` says when the coverage is
    a synthetic sample. 404 when the build has no coverage.
    """,
    model=DoubleDisadvantageCollection, example=EXAMPLE,
)  # fmt: skip
