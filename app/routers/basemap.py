"""The basemap: the web map's offline background, drawn from the build's own OSM extract.

Water, land use, built-up areas and place names (:mod:`accessibility.basemap`), served as
one GeoJSON FeatureCollection. Each feature's GeoJSON text is made once per build; a
request only selects by ``kinds`` and ``bbox`` and joins the texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query
from fastapi.responses import Response
from geojson_pydantic import Feature, FeatureCollection, LineString, MultiPolygon, Point
from pydantic import BaseModel, Field

from accessibility.basemap import KINDS, basemap_mask, load_basemap
from app import layers
from app.deps import Bbox, BuildDep
from app.errors import InvalidParameterError, error_responses
from app.geojson import GeoJSONResponse, collection_text, features, geojson_response
from app.schemas import geojson_200
from app.state import ServedBuild

router = APIRouter(prefix="/basemap", tags=["basemap"])

ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"

Kinds = Annotated[
    str | None,
    Query(description=f"Only these kinds, comma-separated: {', '.join(KINDS)}",
          examples=["water,waterway,place"], max_length=300),
]  # fmt: skip


class BasemapProperties(BaseModel):
    """A basemap feature: its kind, and a name and rank where it has them."""

    kind: Literal[KINDS] = Field(examples=["place"])  # type: ignore[valid-type]
    name: str | None = Field(None, description="places and named water; else null",
                             examples=["Vaduz"])  # fmt: skip
    rank: int | None = Field(None, ge=1, le=5, examples=[3],
                             description="places: 1 city, 2 town, 3 village, 4 suburb, "
                                         "5 hamlet; else null")  # fmt: skip


class BasemapCollection(
    FeatureCollection[Feature[Point | LineString | MultiPolygon, BasemapProperties]]
):
    """The basemap as GeoJSON, in drawing order (bottom to top)."""

    available: bool = Field(description="false: the build has no basemap (made before "
                                        "basemaps were built); the features are empty")  # fmt: skip
    attribution: str = Field(examples=[ATTRIBUTION])
    detail: str | None = Field(None, description="why there is no basemap, and the fix")


EXAMPLE = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature",
         "geometry": {"type": "MultiPolygon", "coordinates": [[[
             [9.50, 47.12], [9.51, 47.12], [9.51, 47.13], [9.50, 47.12]]]]},
         "properties": {"kind": "water", "name": "Rhein", "rank": None}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.52, 47.14]},
         "properties": {"kind": "place", "name": "Vaduz", "rank": 3}},
    ],
    "available": True,
    "attribution": ATTRIBUTION,
}  # fmt: skip


@dataclass(frozen=True)
class _ServedBasemap:
    """A build's basemap with each feature's GeoJSON text (made once per build)."""

    frame: Any
    texts: np.ndarray
    members: dict[str, Any]


def _served_basemap(sb: ServedBuild) -> _ServedBasemap:
    gdf = load_basemap(sb.build.layout.basemap)
    if gdf is None:
        detail = (f"build {sb.name!r} has no basemap (made before basemaps were built); "
                  "rebuild it with `bereik build --force` to get one")  # fmt: skip
        members = {"available": False, "attribution": ATTRIBUTION, "detail": detail}
        return _ServedBasemap(None, np.array([], dtype=object), members)
    texts = np.array(features(gdf[["kind", "name", "rank", "geometry"]]), dtype=object)
    return _ServedBasemap(gdf, texts, {"available": True, "attribution": ATTRIBUTION})


def parse_kinds(text: str | None) -> tuple[str, ...] | None:
    """``"water,forest"`` -> the kinds (None: all); InvalidParameterError naming ``kinds``."""
    if text is None or not text.strip():
        return None
    asked = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in asked if k not in KINDS]
    if unknown:
        msg = (f"kinds: unknown kind {unknown[0][:40]!r}; expected a comma-separated list of "
               f"{', '.join(KINDS)}")  # fmt: skip
        raise InvalidParameterError(msg)
    return asked


@router.get(
    "",
    operation_id="get_basemap",
    summary="The background map: water, land use, built-up areas and place names",
    response_class=GeoJSONResponse,
    responses={**geojson_200(BasemapCollection, EXAMPLE), **error_responses(404, 422, 503)},
)
def get_basemap(sb: BuildDep, bbox: Bbox = None, kinds: Kinds = None) -> Response:
    """Return the build's basemap, drawn from its own OSM extract (no tile server needed).

    Properties: ``kind`` (water, waterway, wetland, forest, grass, farmland, residential,
    industrial, built_up, place), ``name`` (places and named water, else null) and
    ``rank`` (places: 1 city .. 5 hamlet, else null). Features come in drawing order:
    built_up first, then land use, water, waterways, places (cities last). A build made
    before basemaps answers an empty collection with ``available: false``, not a 404.
    """
    box, asked = layers.parse_bbox(bbox), parse_kinds(kinds)
    served = sb.cached("basemap", lambda: _served_basemap(sb))
    texts = served.texts
    if served.frame is not None:
        texts = texts[basemap_mask(served.frame, bbox=box, kinds=asked)]
    return geojson_response(collection_text(texts, members=served.members))
