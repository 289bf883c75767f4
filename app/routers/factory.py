"""Route factory: a layer's list route (GeoJSON or CSV, with its filters) in one call.

tipg's ``factory.py`` idea: ``/villages``, ``/facilities``, ``/municipalities`` and
``/double-disadvantage`` differ only in their layer, filters, id column, file name and docs.
"""

# no ``from __future__ import annotations``: FastAPI resolves string annotations in the
# module's globals, and the endpoint's annotations name this function's locals
import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from app import layers
from app.deps import BuildDep, layer_filters
from app.errors import error_responses
from app.formats import ListFormatDep, render
from app.geojson import GeoJSONResponse
from app.schemas import geojson_200


def add_list_route(
    router: APIRouter,
    *,
    layer: str,
    id_column: str,
    filename: str,
    operation_id: str,
    summary: str,
    description: str,
    model: Any,
    example: dict[str, Any],
    filters: tuple[str, ...] | None = None,
) -> None:
    """Add ``GET ""`` of ``router``: the whole ``layer`` as GeoJSON or CSV.

    Parameters
    ----------
    router
        The router (its prefix is the path, its tags the route's tags).
    layer
        The layer of :func:`app.layers.layer_frame`, e.g. ``villages``.
    id_column
        Column whose value becomes each Feature's ``id``.
    filename
        Name of the CSV download.
    operation_id
        The OpenAPI operation id (also the route's name).
    summary, description
        The OpenAPI summary and description (a docstring; indentation is removed).
    model, example
        The GeoJSON model and example documented for status 200.
    filters
        The query filters the route takes (OpenAPI lists only these); default: every
        filter the layer takes (``layers.FILTERS``).
    """
    allowed = layers.FILTERS.get(layer, ())
    filters = allowed if filters is None else filters
    extra = sorted(set(filters) - set(allowed))
    if extra:
        msg = f"layer {layer!r} does not take filter {', '.join(extra)}; it takes {allowed}"
        raise ValueError(msg)
    filters_dep = Depends(layer_filters(*filters))

    # dependencies in this order keep today's order of the query parameters in OpenAPI
    def endpoint(
        query: Annotated[layers.LayerFilters, filters_dep], fmt: ListFormatDep, sb: BuildDep
    ) -> Response:
        gdf = layers.layer_frame(sb, layer, query)
        return render(gdf, fmt, id_column=id_column, filename=filename)

    router.add_api_route(
        "",
        endpoint,
        methods=["GET"],
        name=operation_id,
        operation_id=operation_id,
        summary=summary,
        description=inspect.cleandoc(description),
        response_class=GeoJSONResponse,
        responses={**geojson_200(model, example, csv=True), **error_responses(404, 422, 503)},
    )
