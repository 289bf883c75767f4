"""Output formats of the layer routes: one enum, one dependency, one renderer (tipg style).

A layer is GeoJSON or CSV. ``f=`` names the format; without it the ``Accept`` header decides
(``text/csv`` gives CSV; GeoJSON, JSON, a browser's ``*/*`` or anything else gives GeoJSON).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

import geopandas as gpd
from fastapi import Depends, Query, Request
from fastapi.responses import Response

from app.geojson import (
    CSV_MEDIA_TYPE,
    GEOJSON_MEDIA_TYPE,
    csv_response,
    feature_collection_text,
    geojson_response,
)

JSON_MEDIA_TYPE = "application/json"


class OutputFormat(StrEnum):
    """The formats of a layer; ``json`` is OGC API Features' name for GeoJSON here."""

    geojson = "geojson"
    json = "json"
    csv = "csv"


#: the media types each format answers in an ``Accept`` header
MEDIA_TYPES: dict[OutputFormat, tuple[str, ...]] = {
    OutputFormat.geojson: (GEOJSON_MEDIA_TYPE, JSON_MEDIA_TYPE),
    OutputFormat.csv: (CSV_MEDIA_TYPE,),
}


def _accept_ranges(accept: str) -> list[tuple[str, float]]:
    """``(media range, q)`` of each entry of an ``Accept`` header (a bad q counts as 0)."""
    ranges = []
    for entry in accept.split(","):
        media, *params = (p.strip() for p in entry.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    """Return the q of the most specific range matching ``media_type`` (0: none does)."""
    kind = media_type.split("/", 1)[0]
    specificity = {media_type: 3, f"{kind}/*": 2, "*/*": 1}
    best, quality = 0, 0.0
    for media, q in ranges:
        if specificity.get(media, 0) > best:
            best, quality = specificity[media], q
    return quality


def negotiate(accept: str | None) -> OutputFormat:
    """Return the format an ``Accept`` header prefers (q-values and wildcards as in RFC 9110).

    CSV only when the header ranks ``text/csv`` above both GeoJSON and JSON; GeoJSON on a
    tie and for anything else (``*/*``, ``text/html``, no header).
    """
    ranges = _accept_ranges(accept or "")
    scores = {fmt: max(_quality(ranges, m) for m in media) for fmt, media in MEDIA_TYPES.items()}
    if scores[OutputFormat.csv] > scores[OutputFormat.geojson]:
        return OutputFormat.csv
    return OutputFormat.geojson


def output_format(*choices: OutputFormat) -> Callable[..., OutputFormat]:
    """Build the dependency choosing the output format of a route that offers ``choices``.

    The dependency takes ``f`` (one of ``choices``, in this order in OpenAPI and in the 422
    message of an unknown value); without it, :func:`negotiate` reads the ``Accept`` header.
    FastAPI reads the query parameter from ``__signature__``.
    """
    names = tuple(c.value for c in choices)
    listed = f"{', '.join(names[:-1])} or {names[-1]}"
    alias = " (json is GeoJSON too)" if OutputFormat.json in choices else ""
    description = (
        f"Output format: {listed}{alias}. Without f=, the Accept header decides: csv when "
        "it prefers text/csv, else GeoJSON"
    )
    f_query = Annotated[Literal[names] | None, Query(description=description)]  # type: ignore[valid-type]

    async def dependency(request: Request, f: str | None = None) -> OutputFormat:
        if f is not None:
            return OutputFormat(f)
        fmt = negotiate(request.headers.get("accept"))
        return fmt if fmt in choices else OutputFormat.geojson

    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
            inspect.Parameter("f", inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=f_query),
        ],
        return_annotation=OutputFormat,
    )  # fmt: skip
    return dependency


#: the format of a shortcut list route (``/villages``...): geojson or csv
ListFormatDep = Annotated[
    OutputFormat, Depends(output_format(OutputFormat.geojson, OutputFormat.csv))
]
#: the format of OGC API Features items: json, geojson or csv
ItemsFormatDep = Annotated[
    OutputFormat,
    Depends(output_format(OutputFormat.json, OutputFormat.geojson, OutputFormat.csv)),
]


def render(
    gdf: gpd.GeoDataFrame,
    fmt: OutputFormat,
    *,
    id_column: str | None,
    filename: str,
    members: Mapping[str, Any] | None = None,
    crs: Any = None,
    decimals: int | None = None,
) -> Response:
    """Return a layer as a GeoJSON FeatureCollection or, for ``fmt`` csv, a CSV download.

    Parameters
    ----------
    gdf
        The rows to send (WGS84 or any CRS; GeoJSON and CSV are written in WGS84).
    fmt
        The output format (see :class:`OutputFormat`).
    id_column
        Column whose value becomes each Feature's ``id`` (GeoJSON only).
    filename
        Name of the CSV download.
    members
        Extra top-level members of the FeatureCollection (OGC paging and links); not in CSV.
    crs, decimals
        GeoJSON geometries in another (projected) CRS, rounded to ``decimals``.
    """
    if fmt is OutputFormat.csv:
        return csv_response(gdf, filename=filename)
    extra = {} if crs is None else {"crs": crs, "decimals": decimals}
    return geojson_response(
        feature_collection_text(gdf, id_column=id_column, members=members, **extra)
    )
