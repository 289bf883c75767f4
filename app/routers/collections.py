"""OGC API Features: the build's layers as collections that QGIS and web maps load directly.

QGIS: Layer > Add Layer > Add WFS / OGC API - Features Layer, URL ``http://host:8000/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from accessibility.layout import EDGES_PREFIX
from app import layers, ogc_crs
from app.deps import AllFiltersDep, Bbox, BuildDep, PageDep, UnknownParametersDep
from app.errors import InvalidParameterError, error_responses
from app.formats import ItemsFormatDep, OutputFormat, render
from app.geojson import (
    CSV_MEDIA_TYPE,
    GEOJSON_MEDIA_TYPE,
    GeoJSONResponse,
    feature_text,
    geojson_response,
)
from app.routers.links import JSON, here, link, page_links
from app.schemas import (
    Collection,
    Collections,
    Conformance,
    Extent,
    ItemCollection,
    ItemFeature,
    SpatialExtent,
    geojson_200,
)
from app.state import ServedBuild

router = APIRouter(tags=["collections (OGC API Features)"], dependencies=[UnknownParametersDep])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]  # not oas30: FastAPI writes OpenAPI 3.1 (the landing page's service-desc says so)

CollectionId = Annotated[
    str,
    Path(alias="collectionId",
         description="villages, facilities, municipalities, white_areas or edges_<profile>",
         examples=["villages"], max_length=100),
]  # fmt: skip
OutCrs = Annotated[
    str | None,
    Query(description="CRS of the returned geometries (OGC API Features Part 2): a URI the "
          "collection lists in `crs`, e.g. http://www.opengis.net/def/crs/EPSG/0/28992 (RD "
          "New, metres) or EPSG:28992; default CRS84 (WGS84 lon/lat)", max_length=200),
]  # fmt: skip
BboxCrs = Annotated[
    str | None,
    Query(alias="bbox-crs", description="CRS of `bbox` (as `crs`); default CRS84",
          max_length=200),
]  # fmt: skip
ITEMS_EXAMPLE = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "id": "node/240079149",
                  "geometry": {"type": "Point", "coordinates": [9.510312, 47.16634]},
                  "properties": {"village_id": "node/240079149", "village_name": "Schaan",
                                 "population": 5933.0, "municipality": "Schaan"}}],
    "numberMatched": 19, "numberReturned": 1,
    "links": [{"href": "http://localhost:8000/collections/villages/items?limit=1",
               "rel": "self", "type": "application/geo+json"}],
}  # fmt: skip


@router.get("/conformance", operation_id="conformance", summary="OGC conformance classes",
            response_model=Conformance)  # fmt: skip
def conformance() -> Conformance:
    """List the OGC API Features parts this service implements."""
    return Conformance(conformsTo=CONFORMANCE)


def _collection(request: Request, sb: ServedBuild, info: layers.CollectionInfo) -> Collection:
    base = f"/collections/{info.id}"
    edges = info.id.startswith(EDGES_PREFIX)
    if edges:  # the roads' own extent (every vertex), without building the edge table
        bbox = sb.edges_bounds(info.id.removeprefix(EDGES_PREFIX))
    else:
        bbox = layers.bounds(layers.collection_frame(sb, info.id))
    return Collection(
        id=info.id, title=info.title, description=info.description,
        crs=ogc_crs.offered(layers.build_crs(sb)), storageCrs=ogc_crs.CRS84,
        extent=Extent(spatial=SpatialExtent(bbox=[bbox])) if bbox else None,
        links=[link(request, base, "self", JSON, info.title),
               link(request, f"{base}/items", "items", GEOJSON_MEDIA_TYPE, "Items (GeoJSON)"),
               link(request, f"{base}/items", "alternate", CSV_MEDIA_TYPE, "Items (CSV)", f="csv")],
    )  # fmt: skip


@router.get("/collections", operation_id="list_collections", summary="List the collections",
            response_model=Collections,
            responses=error_responses(400, 404, 503, ogc=True))  # fmt: skip
def list_collections(request: Request, sb: BuildDep) -> Collections:
    """List villages, facilities, municipalities and the road network of each profile."""
    return Collections(
        collections=[_collection(request, sb, c) for c in layers.collections(sb)],
        links=[link(request, "/collections", "self")],
    )


@router.get("/collections/{collectionId}", operation_id="get_collection",
            summary="Describe one collection", response_model=Collection,
            responses=error_responses(400, 404, 503, ogc=True))  # fmt: skip
def get_collection(request: Request, sb: BuildDep, collection_id: CollectionId) -> Collection:
    """Return the title, description, extent and links of a collection."""
    return _collection(request, sb, layers.collection_info(sb, collection_id))


@router.get(
    "/collections/{collectionId}/items",
    operation_id="list_collection_items",
    summary="Features of a collection (paged)",
    response_class=GeoJSONResponse,
    responses={
        **geojson_200(ItemCollection, ITEMS_EXAMPLE, csv=True),
        **error_responses(400, 404, 503, ogc=True),
    },
)
def list_items(
    *,
    request: Request,
    collection_id: CollectionId,
    bbox: Bbox = None,
    bbox_crs: BboxCrs = None,
    crs: OutCrs = None,
    filters: AllFiltersDep,
    fmt: ItemsFormatDep,
    sb: BuildDep,
    page: PageDep,
) -> Response:
    """Return a page of features, with ``numberMatched``, ``numberReturned`` and links.

    Filters: ``bbox``; ``municipality`` (villages, municipalities); ``category``
    (facilities; with ``profile`` it attaches an indicator to villages or municipalities);
    ``white`` and ``double_disadvantage`` (villages of builds with broadband coverage).
    """
    info = layers.collection_info(sb, collection_id)
    out = _output_crs(sb, crs, fmt)
    area = ogc_crs.parse(bbox_crs, layers.build_crs(sb), name="bbox-crs")
    gdf = layers.collection_frame(sb, collection_id, filters)
    gdf = layers.within_bbox(gdf, layers.parse_bbox(bbox, area.crs), area.crs)
    sel = gdf.iloc[page.offset : page.offset + page.limit]
    members = {"numberMatched": len(gdf), "numberReturned": len(sel),
               "timeStamp": datetime.now(UTC).isoformat(timespec="seconds"),
               "links": page_links(request, page, len(gdf))}  # fmt: skip
    response = render(sel, fmt, id_column=info.id_column, filename=f"{collection_id}.csv",
                      members=members, **_geometry_options(out))  # fmt: skip
    response.headers["Content-Crs"] = f"<{out.uri}>"
    return response


def _output_crs(sb: ServedBuild, crs: str | None, fmt: OutputFormat) -> ogc_crs.OutputCrs:
    out = ogc_crs.parse(crs, layers.build_crs(sb))
    if not out.is_crs84 and fmt is OutputFormat.csv:
        msg = "crs applies to GeoJSON; CSV gives lon/lat (WGS84): leave out crs or f=csv"
        raise InvalidParameterError(msg)
    return out


def _geometry_options(out: ogc_crs.OutputCrs) -> dict:
    if out.is_crs84:
        return {}
    return {"crs": out.crs, "decimals": ogc_crs.METRIC_DECIMALS}


@router.get(
    "/collections/{collectionId}/items/{featureId:path}",
    operation_id="get_collection_item",
    summary="One feature of a collection",
    response_class=GeoJSONResponse,
    responses={**geojson_200(ItemFeature), **error_responses(400, 404, 503, ogc=True)},
)
def get_item(
    request: Request,
    sb: BuildDep,
    collection_id: CollectionId,
    feature_id: Annotated[
        str,
        Path(
            alias="featureId",
            description="The feature id (e.g. a village_id)",
            examples=["node/240079149"],
        ),
    ],
    crs: OutCrs = None,
) -> Response:
    """Return one GeoJSON Feature with links to its collection."""
    info = layers.collection_info(sb, collection_id)
    out = ogc_crs.parse(crs, layers.build_crs(sb))
    row = layers.find_feature(layers.collection_frame(sb, collection_id), info, feature_id)
    base = f"/collections/{collection_id}"
    links = [{"href": here(request), "rel": "self", "type": GEOJSON_MEDIA_TYPE},
             link(request, base, "collection", JSON)]  # fmt: skip
    text = feature_text(row, id_column=info.id_column, members={"links": links},
                        **_geometry_options(out))  # fmt: skip
    response = geojson_response(text)
    response.headers["Content-Crs"] = f"<{out.uri}>"
    return response
