"""GeoJSON (RFC 7946) and CSV encoding of GeoDataFrames for the responses.

Coordinates are WGS84 rounded to 6 decimals (about 0.1 m), polygons stay valid (snapped to
that grid by GEOS first), NaN/NA/inf properties become ``null``, and numpy scalars become
JSON numbers. The text is assembled directly (no pydantic round trip): the models in
:mod:`app.schemas` document the same shape in OpenAPI.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fastapi.responses import JSONResponse, Response

from accessibility.crs import WGS84
from accessibility.precision import round_frame, round_scalar
from accessibility.writer import escape_formulas

GEOJSON_MEDIA_TYPE = "application/geo+json"
CSV_MEDIA_TYPE = "text/csv"
DECIMALS = 6
SMALL_TABLE_ROWS = 20


class GeoJSONResponse(JSONResponse):
    """A response holding GeoJSON text (``application/geo+json``).

    A JSONResponse subclass so that OpenAPI documents the body with the route's model;
    ``content`` is the text already encoded by this module (dicts are encoded as JSON).
    """

    media_type = GEOJSON_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        """Encode pre-encoded GeoJSON text as UTF-8, anything else as JSON."""
        if isinstance(content, str):
            return content.encode("utf-8")
        return dumps(content).encode("utf-8")


class CSVResponse(Response):
    """A response holding CSV text (UTF-8)."""

    media_type = f"{CSV_MEDIA_TYPE}; charset=utf-8"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    return str(obj)


def dumps(obj: Any) -> str:
    """Compact JSON; numpy scalars as numbers, NaN rejected (clean with :func:`clean`)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False, default=_json_default)


def clean(value: Any) -> Any:
    """One scalar made JSON-safe: NaN/NA/inf -> None, numpy scalars -> Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def column_values(series: pd.Series) -> list[Any]:
    """Return the values of a column as JSON-safe Python objects (missing -> None)."""
    if pd.api.types.is_bool_dtype(series.dtype) and not series.hasnans:
        return series.astype(bool).tolist()
    if pd.api.types.is_float_dtype(series.dtype):
        a = series.to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isfinite(a), a, None).tolist()
    return [clean(v) for v in series.astype(object).tolist()]


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` as JSON-safe dicts (column order kept), rounded by column name.

    See :func:`accessibility.precision.round_frame` (0.1 m, 0.1 s, whole persons...).
    """
    df = round_frame(df)
    cols = [str(c) for c in df.columns]
    if len(df) <= SMALL_TABLE_ROWS:  # wide and short (one village): clean value by value
        return [{c: clean(v) for c, v in zip(cols, row, strict=True)}
                for row in df.astype(object).itertuples(index=False, name=None)]  # fmt: skip
    values = [column_values(df[c]) for c in df.columns]
    if not cols:
        return [{} for _ in range(len(df))]
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]


def round_geometries(geoms: Iterable[Any], decimals: int = DECIMALS) -> np.ndarray:
    """Geometries snapped to a ``10**-decimals`` grid (valid output), coordinates rounded.

    Polygon rings are oriented as RFC 7946 (section 3.1.6) asks: outer rings
    counterclockwise, holes clockwise (GEOS unions and contour tracing give either).
    """
    arr = np.asarray(geoms, dtype=object)
    grid = 10.0**-decimals
    # round vertex by vertex (fast); repair topology only where that made a geometry invalid
    snapped = shapely.set_precision(arr, grid, mode="pointwise")
    bad = ~shapely.is_valid(snapped) & shapely.is_valid(arr)
    if bad.any():
        snapped[bad] = shapely.set_precision(arr[bad], grid)
    rounded = shapely.transform(snapped, lambda c: np.round(c, decimals))
    return shapely.orient_polygons(rounded, exterior_cw=False)


def geometry_texts(gdf: gpd.GeoDataFrame, crs: Any = None, decimals: int = DECIMALS) -> list[str]:
    """GeoJSON text of each geometry, rounded; ``"null"`` for missing ones.

    In WGS84 lon/lat (RFC 7946), or in ``crs`` (a projected CRS with east/north axes,
    OGC API Features Part 2) rounded to ``decimals``.
    """
    geo = gdf.geometry
    target = WGS84 if crs is None else crs
    if geo.crs is not None and not geo.crs.equals(target):
        geo = geo.to_crs(target)
    texts = shapely.to_geojson(round_geometries(geo.to_numpy(), decimals))
    return ["null" if t is None else str(t) for t in texts]


def features(
    gdf: gpd.GeoDataFrame,
    *,
    id_column: str | None = None,
    crs: Any = None,
    decimals: int = DECIMALS,
) -> list[str]:
    """Each row as the text of a GeoJSON Feature (flat scalar properties).

    ``crs``/``decimals``: geometries in another CRS (see :func:`geometry_texts`).
    """
    props = gdf.drop(columns=gdf.geometry.name)
    ids = column_values(gdf[id_column]) if id_column else [None] * len(gdf)
    out = []
    geoms = geometry_texts(gdf, crs, decimals)
    for fid, geom, p in zip(ids, geoms, records(props), strict=True):
        head = '{"type":"Feature",' + (f'"id":{dumps(fid)},' if fid is not None else "")
        out.append(f'{head}"geometry":{geom},"properties":{dumps(p)}}}')
    return out


def row_features(rows: Sequence[Mapping[str, Any]], geoms: Sequence[Any], *,
                 decimals: int = DECIMALS) -> list[str]:  # fmt: skip
    """Features from plain rows and WGS84 geometries, as :func:`features` writes a frame.

    Values rounded by column name (:func:`accessibility.precision.round_scalar`), made
    JSON-safe; no DataFrame on the way (small responses: the isochrones).
    """
    texts = shapely.to_geojson(round_geometries(geoms, decimals))
    out = []
    for geom, row in zip(texts, rows, strict=True):
        props = {k: clean(round_scalar(v, k)) for k, v in row.items()}
        g = "null" if geom is None else str(geom)
        out.append(f'{{"type":"Feature","geometry":{g},"properties":{dumps(props)}}}')
    return out


def feature_collection_text(
    gdf: gpd.GeoDataFrame,
    *,
    id_column: str | None = None,
    members: Mapping[str, Any] | None = None,
    crs: Any = None,
    decimals: int = DECIMALS,
) -> str:
    """Write a FeatureCollection; ``members`` are extra top-level members (OGC links...)."""
    texts = features(gdf, id_column=id_column, crs=crs, decimals=decimals)
    return collection_text(texts, members=members)


def collection_text(feature_texts: Iterable[str], *,
                    members: Mapping[str, Any] | None = None) -> str:  # fmt: skip
    """Join Feature texts (see :func:`features`) into a FeatureCollection."""
    extra = "".join(f",{dumps(k)}:{dumps(v)}" for k, v in (members or {}).items())
    body = ",".join(feature_texts)
    return f'{{"type":"FeatureCollection","features":[{body}]{extra}}}'


def feature_text(gdf: gpd.GeoDataFrame, *, id_column: str | None = None,
                 members: Mapping[str, Any] | None = None, crs: Any = None,
                 decimals: int = DECIMALS) -> str:  # fmt: skip
    """Write the first row of ``gdf`` as a GeoJSON Feature, with extra ``members``."""
    text = features(gdf.iloc[:1], id_column=id_column, crs=crs, decimals=decimals)[0]
    extra = "".join(f",{dumps(k)}:{dumps(v)}" for k, v in (members or {}).items())
    return text[:-1] + extra + "}"


def geojson_response(text: str, *, status_code: int = 200) -> GeoJSONResponse:
    """Wrap GeoJSON text in a response."""
    return GeoJSONResponse(content=text, status_code=status_code)


def csv_text(gdf: pd.DataFrame) -> str:
    """CSV of the properties; points get ``lon``/``lat`` columns, other shapes ``wkt``.

    Figures rounded by column name as in JSON (:func:`accessibility.precision.round_frame`).
    """
    df = pd.DataFrame(round_frame(pd.DataFrame(gdf)))
    if isinstance(gdf, gpd.GeoDataFrame):
        geo = gdf.geometry
        if geo.crs is not None and not geo.crs.equals(WGS84):
            geo = geo.to_crs(WGS84)
        df = df.drop(columns=gdf.geometry.name)
        geoms = round_geometries(geo.to_numpy())
        kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
        if kinds <= {0}:  # points only
            extra = {"lon": shapely.get_x(geoms), "lat": shapely.get_y(geoms)}
            extra = {k: v for k, v in extra.items() if k not in df.columns}
        else:
            extra = {"wkt": shapely.to_wkt(geoms, rounding_precision=DECIMALS, trim=True)}
        # one concat, not inserts: a wide table (a nullable column per count) has many blocks
        df = pd.concat([df, pd.DataFrame(extra, index=df.index)], axis=1)
    buf = io.StringIO()
    escape_formulas(df).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def csv_response(df: pd.DataFrame, *, filename: str) -> CSVResponse:
    """Wrap a table as a CSV download."""
    return CSVResponse(
        content=csv_text(df),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
