"""User input files: CSV and vector files -> attributes + WGS84 lon/lat (+ polygons).

Shared by the facility and village readers. A CSV holds ``lon``/``lat`` (WGS84), ``x``/``y``
with a CRS given by the caller, or the DUO school file's ``pc4_lon``/``pc4_lat``. A vector
file (GeoJSON, GeoPackage, ...) is read with geopandas; polygons are reduced to a
representative point and also returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import StringIO
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessibility.crs import WGS84, outside_wgs84, to_wgs84
from accessibility.errors import InputFileError, NoCrsError

CSV_SUFFIXES = frozenset({".csv", ".txt"})
PARQUET_SUFFIXES = frozenset({".parquet", ".geoparquet"})
# coordinate column pairs of a CSV, in order of preference (pc4_*: DUO school file)
_COORD_PAIRS = (("pc4_lon", "pc4_lat"), ("lon", "lat"), ("x", "y"))
_POLYGON_TYPES = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


class PointTable(NamedTuple):
    """Attributes (lower-case column names, text values) and WGS84 points of a file."""

    attrs: pd.DataFrame
    lon: np.ndarray
    lat: np.ndarray
    polygons: gpd.GeoDataFrame | None


def read_text_csv(p: Path) -> pd.DataFrame:
    """Read a CSV as text columns: UTF-8 (with BOM) or cp1252, ``;`` or ``,`` separated.

    The separator is the one that occurs more often in the header line.

    Raises
    ------
    InputFileError
        Empty file, or not parseable as CSV.
    """
    raw = p.read_bytes()
    if not raw.strip():
        msg = f"{p}: the file is empty"
        raise InputFileError(msg)
    if b"\x00" in raw[:65536]:
        kind = " (an Excel workbook?)" if raw.startswith(b"PK\x03\x04") else ""
        msg = f"{p}: not a text CSV but a binary file{kind}; save it as CSV (UTF-8)"
        raise InputFileError(msg)
    text = _decode(p, raw)
    first = text.splitlines()[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        return pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        msg = f"{p}: cannot parse as CSV ({exc})"
        raise InputFileError(msg) from exc


def _decode(p: Path, raw: bytes) -> str:
    """Decode UTF-8 (with BOM) or Windows-1252; else an error naming the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first = exc
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        bad = raw[first.start]
        msg = (f"{p}: not UTF-8 or Windows-1252 text (byte 0x{bad:02x} at position "
               f"{first.start}); save it as CSV (UTF-8)")  # fmt: skip
        raise InputFileError(msg) from None


def to_float(s: pd.Series) -> pd.Series:
    """Parse text to numbers (decimal comma allowed); blank or unparseable -> NaN."""
    return pd.to_numeric(
        s.astype(str).str.strip().str.replace(",", ".", regex=False).replace({"": None}),
        errors="coerce",
    )


def pick_column(columns: Iterable[object], aliases: Iterable[str]) -> object | None:
    """Return the column named by the first alias present (case-insensitive), else None."""
    by_name = {str(c).lower(): c for c in columns}
    return next((by_name[a] for a in aliases if a in by_name), None)


def _require_file(p: Path, what: str) -> None:
    if not p.exists():
        msg = f"{p}: {what} file not found"
        raise InputFileError(msg)


def open_vector_file(path: str | Path, *, what: str) -> gpd.GeoDataFrame:
    """Read a vector file with geopandas, in its own CRS.

    ``what`` names the file's role in the "file not found" message.

    Raises
    ------
    InputFileError
        Missing or unreadable file, or no features.
    NoCrsError
        The layer has no CRS.
    """
    p = Path(path)
    _require_file(p, what)
    read = gpd.read_parquet if p.suffix.lower() in PARQUET_SUFFIXES else gpd.read_file
    try:
        gdf = read(p)
    except Exception as exc:  # pyogrio and pyarrow raise several types for unreadable files
        msg = f"{p}: cannot read as a vector file ({exc})"
        raise InputFileError(msg) from exc
    if len(gdf) == 0:
        msg = f"{p}: the file holds no features"
        raise InputFileError(msg)
    if gdf.crs is None:
        msg = f"{p}: the layer has no CRS; set it (e.g. with ogr2ogr -a_srs EPSG:4326)"
        raise NoCrsError(msg)
    return gdf


def read_point_table(
    path: str | Path, *, xy_crs: str | None, what: str, crs_option: str = "--facilities-crs"
) -> PointTable:
    """Read a CSV or vector file to attributes, WGS84 lon/lat and polygons (or None).

    Parameters
    ----------
    path
        ``.csv``/``.txt`` is read as text CSV, anything else as a vector file.
    xy_crs
        CRS of ``x``/``y`` CSV columns (unused otherwise).
    what
        The file's role ("facilities", "villages") for the "file not found" message.
    crs_option
        The command-line option that gives ``xy_crs`` (named when it is missing).

    Raises
    ------
    InputFileError, NoCrsError
    """
    p = Path(path)
    if p.suffix.lower() not in CSV_SUFFIXES:
        return _vector_points(open_vector_file(p, what=what))
    _require_file(p, what)
    return _csv_points(p, xy_crs, crs_option)


def _csv_points(p: Path, xy_crs: str | None, crs_option: str) -> PointTable:
    df = read_text_csv(p)
    cols = {c.strip().lower(): c for c in df.columns}
    pair = next((xy for xy in _COORD_PAIRS if xy[0] in cols and xy[1] in cols), None)
    if pair is None:
        msg = (
            f"{p}: missing coordinate columns, expected lon,lat (WGS84) or x,y; "
            f"found {', '.join(df.columns)}"
        )
        raise InputFileError(msg)
    a, b = (to_float(df[cols[c]]).to_numpy() for c in pair)
    if pair == ("x", "y"):
        if xy_crs is None:
            msg = (
                f"{p}: has x/y columns but no CRS was given; pass the CRS "
                f"(e.g. {crs_option} EPSG:28992) or use lon/lat columns in WGS84"
            )
            raise NoCrsError(msg)
        a, b = to_wgs84(a, b, xy_crs)
    df.columns = [c.strip().lower() for c in df.columns]
    return PointTable(df, np.asarray(a, dtype=float), np.asarray(b, dtype=float), None)


def _vector_points(gdf: gpd.GeoDataFrame) -> PointTable:
    gdf = gdf.to_crs(WGS84)
    polys = None
    kinds = shapely.get_type_id(gdf.geometry.to_numpy())  # -1: missing (no strings made)
    if np.isin(kinds, _POLYGON_TYPES).any():
        polys = gdf
        pts = gdf.geometry.representative_point()
    else:
        pts = gdf.geometry
    df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    df.columns = [str(c).strip().lower() for c in df.columns]
    df = df.astype(dict.fromkeys(df.columns, str)).replace({"None": "", "nan": ""})
    missing = pts.isna() | pts.is_empty
    lon = np.where(missing, np.nan, pts.x.where(~missing))
    lat = np.where(missing, np.nan, pts.y.where(~missing))
    return PointTable(df, lon.astype(float), lat.astype(float), polys)


def check_lonlat(p: Path, lon: np.ndarray, lat: np.ndarray) -> None:
    """Raise InputFileError if a finite lon/lat lies outside the WGS84 range.

    Such values are usually projected x/y in columns named lon/lat.
    """
    bad = outside_wgs84(lon, lat)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{p}: row {i + 1} has lon/lat ({lon[i]}, {lat[i]}) outside WGS84 range; "
            "are these projected x/y? then name the columns x,y and pass the CRS"
        )
        raise InputFileError(msg)
