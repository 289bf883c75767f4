"""Readers for broadband coverage data.

Three kinds of coverage are supported, all returned as a :class:`Coverage`:

``raster``
    A grid (GeoTIFF or anything else rasterio opens) whose cells hold the best available
    download speed in Mbit/s. The raster's nodata value and internal masks are respected:
    such cells become NaN (class ``unknown``).
``polygons``
    Vector polygons (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, ...) with either a speed
    attribute, a boolean ``white`` flag, or no attributes at all (a map of white areas).
``points``
    Address points with a speed attribute: a CSV with ``lon``/``lat`` (WGS84) or ``x``/``y``
    (with ``crs=``) columns, or a vector file of points.

Speed attribute
    Given by ``speed_column=``, otherwise the first present (case-insensitive) of
    ``max_mbps``, ``mbps``, ``speed_mbps``, ``download_mbps``. Non-numeric or negative
    values become NaN (``unknown``).

White-flag sources
    Without a speed attribute, a boolean column ``white`` (true/false, 1/0, yes/no, ja/nee)
    marks white areas. A file without any attribute column (or read with
    ``all_white=True``) is a map of white areas: every feature is white. For white-flag
    sources the speed of a white feature is *treated as* 0.0 Mbit/s (i.e. "below the basic
    threshold"; the real speed is not known) and the speed of a non-white feature is NaN;
    non-white features are flagged ``not_white`` and classed ``basic``, a lower bound
    (such a source cannot tell ``basic`` from ``nga``).

Synthetic marker (one convention for all kinds; any marker makes the source synthetic)
    * GeoTIFF/raster: a dataset tag ``synthetic=true`` (``gdalinfo`` shows it as metadata);
    * vector/CSV: a column (property) ``synthetic`` that is true for any feature;
    * any file: a JSON sidecar named ``<file name>.json`` (e.g. ``cov.gpkg.json``) holding
      ``{"synthetic": true}``.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import rasterio
from affine import Affine
from pyproj import CRS
from pyproj.exceptions import CRSError
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from broadband._shapes import POINT_TYPES, POLYGON_TYPES, present, valid_polygons
from broadband.errors import (
    BroadbandInputError,
    CoverageFileError,
    NoCrsError,
    SpeedColumnError,
)

__all__ = ["SPEED_COLUMN_CANDIDATES", "Coverage", "CoverageKind", "read_coverage"]

CoverageKind = Literal["raster", "polygons", "points"]

#: Speed columns detected automatically, in order of preference (case-insensitive).
SPEED_COLUMN_CANDIDATES: tuple[str, ...] = ("max_mbps", "mbps", "speed_mbps", "download_mbps")

_RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".gtiff", ".vrt", ".img", ".asc", ".jp2", ".nc"})
_VECTOR_SUFFIXES = frozenset(
    {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".gml", ".kml", ".sqlite", ".geojsonl"}
)
_CSV_SUFFIXES = frozenset({".csv", ".tsv"})
_LON_NAMES = ("lon", "lng", "longitude")
_LAT_NAMES = ("lat", "latitude")
_TRUE_WORDS = frozenset({"true", "t", "1", "yes", "y", "ja", "j", "1.0"})
_FALSE_WORDS = frozenset({"false", "f", "0", "no", "n", "nee", "0.0"})
_RASTER_NDIM = 2
_MAX_ABS_LON = 180.0
_MAX_ABS_LAT = 90.0


@dataclass(frozen=True, eq=False)
class Coverage:
    """Broadband coverage data of one kind, in one CRS.

    Build it with :func:`read_coverage`, :meth:`from_array` or :meth:`from_frame`.

    Attributes
    ----------
    kind : {"raster", "polygons", "points"}
        What the data is.
    crs : pyproj.CRS
        CRS of ``array``/``transform`` or of ``frame``.
    source : pathlib.Path or None
        File the data was read from (``None`` for in-memory data).
    synthetic : bool
        True when the source is marked synthetic (see module docs); such data must never be
        presented as real coverage.
    speed_column : str or None
        Attribute (or band description) the speeds came from; ``None`` for raster band 1
        without a requested column and for white-flag sources.
    array : numpy.ndarray or None
        ``raster`` only: read-only 2-D float array of Mbit/s, NaN where nodata.
    transform : affine.Affine or None
        ``raster`` only: pixel-to-CRS transform of ``array``.
    frame : geopandas.GeoDataFrame or None
        ``polygons``/``points`` only: columns ``max_mbps`` (float, NaN = unknown),
        ``not_white`` (bool, only set by white-flag sources) and ``geometry``.
    """

    kind: CoverageKind
    crs: CRS
    source: Path | None = None
    synthetic: bool = False
    speed_column: str | None = None
    array: npt.NDArray[np.floating[Any]] | None = field(default=None, repr=False)
    transform: Affine | None = None
    frame: gpd.GeoDataFrame | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind == "raster":
            if self.array is None or self.transform is None or self.array.ndim != _RASTER_NDIM:
                msg = "a raster Coverage needs a 2-D array and a transform"
                raise BroadbandInputError(msg)
        elif self.kind in ("polygons", "points"):
            if self.frame is None:
                msg = f"a {self.kind} Coverage needs a frame"
                raise BroadbandInputError(msg)
        else:
            msg = f"Coverage kind must be 'raster', 'polygons' or 'points', got {self.kind!r}"
            raise BroadbandInputError(msg)

    def __repr__(self) -> str:
        crs = self.crs.to_string()
        if self.kind == "raster":
            assert self.array is not None
            size = f"shape={self.array.shape!r}"
        else:
            assert self.frame is not None
            size = f"features={len(self.frame)}"
        return (
            f"Coverage(kind={self.kind!r}, crs={crs!r}, source={self.name!r}, "
            f"synthetic={self.synthetic!r}, speed_column={self.speed_column!r}, {size})"
        )

    @property
    def name(self) -> str:
        """File name of the source, or ``"<in-memory>"``."""
        return self.source.name if self.source is not None else "<in-memory>"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the data in :attr:`crs`."""
        if self.kind == "raster":
            assert self.array is not None and self.transform is not None
            rows, cols = self.array.shape
            t = self.transform
            cs = np.array([0.0, cols, 0.0, cols])
            rs = np.array([0.0, 0.0, rows, rows])
            # Coefficients applied by hand: affine 3 warns on the ``*`` operator.
            xs = t.a * cs + t.b * rs + t.c
            ys = t.d * cs + t.e * rs + t.f
            return (float(np.min(xs)), float(np.min(ys)), float(np.max(xs)), float(np.max(ys)))
        assert self.frame is not None
        minx, miny, maxx, maxy = self.frame.total_bounds
        return (float(minx), float(miny), float(maxx), float(maxy))

    @classmethod
    def from_array(
        cls,
        array: npt.ArrayLike,
        *,
        transform: Affine,
        crs: Any,
        nodata: float | None = None,
        synthetic: bool = False,
        source: str | os.PathLike[str] | None = None,
    ) -> Coverage:
        """Build a raster coverage from an in-memory array of Mbit/s.

        Parameters
        ----------
        array : array_like
            2-D speeds in Mbit/s (row 0 at the top for a north-up transform).
        transform : affine.Affine
            Pixel-to-CRS transform.
        crs : Any
            Anything :meth:`pyproj.CRS.from_user_input` accepts.
        nodata : float, optional
            Value marking missing cells (converted to NaN).
        synthetic : bool, default False
            Mark the data as synthetic.
        source : path-like, optional
            Where the data came from.

        Returns
        -------
        Coverage
        """
        values = np.array(array, dtype=np.float64)
        if values.ndim != _RASTER_NDIM:
            msg = f"raster coverage needs a 2-D array, got shape {values.shape!r}"
            raise BroadbandInputError(msg)
        if nodata is not None:
            values[values == nodata] = np.nan
        values.setflags(write=False)
        return cls(
            kind="raster",
            crs=_user_crs(crs, what="crs"),
            source=None if source is None else Path(source),
            synthetic=bool(synthetic),
            array=values,
            transform=transform,
        )

    @classmethod
    def from_frame(
        cls,
        frame: gpd.GeoDataFrame,
        *,
        speed_column: str | None = None,
        all_white: bool = False,
        synthetic: bool = False,
        source: str | os.PathLike[str] | None = None,
    ) -> Coverage:
        """Build a polygon or point coverage from a GeoDataFrame.

        Parameters
        ----------
        frame : geopandas.GeoDataFrame
            Polygons or points with a CRS; attributes as described in the module docs.
        speed_column : str, optional
            Speed attribute in Mbit/s; auto-detected when omitted.
        all_white : bool, default False
            Treat every feature as white, ignoring attributes.
        synthetic : bool, default False
            Mark the data as synthetic (a true ``synthetic`` column also does).
        source : path-like, optional
            Where the data came from (used in messages).

        Returns
        -------
        Coverage
        """
        path = None if source is None else Path(source)
        label = path.name if path is not None else "<in-memory frame>"
        if frame.crs is None:
            msg = (
                f"coverage {label} has no CRS: set it with frame.set_crs('EPSG:28992') "
                "(or the right EPSG code) before building the coverage"
            )
            raise NoCrsError(msg)
        return _normalise_frame(
            frame,
            crs=CRS.from_user_input(frame.crs),
            label=label,
            path=path,
            speed_column=speed_column,
            all_white=all_white,
            synthetic=synthetic,
        )


def read_coverage(
    path: str | os.PathLike[str],
    *,
    speed_column: str | None = None,
    crs: Any = None,
    layer: str | int | None = None,
    all_white: bool = False,
) -> Coverage:
    """Read a broadband coverage file (raster, polygons or address points).

    Dispatch is by extension: ``.tif/.tiff/.vrt/...`` as raster, ``.csv/.tsv`` as address
    points, ``.geojson/.json/.gpkg/.shp/.fgb/...`` as vector; anything else is tried as a
    raster first and then as a vector file.

    Parameters
    ----------
    path : path-like
        Coverage file.
    speed_column : str, optional
        Attribute holding the best download speed in Mbit/s. Default: the first present of
        ``max_mbps``, ``mbps``, ``speed_mbps``, ``download_mbps`` (case-insensitive), else a
        ``white`` flag column, else (no attribute columns) every feature is white. For a
        raster it selects the band whose description equals it (default: band 1).
    crs : Any, optional
        CRS to use when the file declares none (raster, vector) and the CRS of the ``x``/``y``
        columns of a CSV (CSV ``lon``/``lat`` default to EPSG:4326). If the file declares a
        different CRS, :class:`CoverageFileError` is raised.
    layer : str or int, optional
        Layer of a multi-layer vector file (default: the first layer).
    all_white : bool, default False
        Vector/CSV only: every feature is white regardless of its attributes (a map of
        white areas with e.g. id/name columns).

    Returns
    -------
    Coverage
        See :class:`Coverage`; ``synthetic`` follows the module's marker convention.

    Raises
    ------
    CoverageFileError
        Missing, empty, unreadable or corrupt file; no features or no valid cells;
        unsupported geometry; a ``crs=`` that contradicts the file.
    NoCrsError
        The file has no CRS and ``crs=`` was not given.
    SpeedColumnError
        ``speed_column`` is not in the file, or attributes exist but none is recognised.
    """
    p = Path(path)
    if not p.exists():
        msg = f"coverage file not found: {str(p)!r}, expected an existing GeoTIFF, GPKG, GeoJSON, "
        msg += "Shapefile or CSV path"
        raise CoverageFileError(msg)
    if p.is_file() and p.stat().st_size == 0:
        msg = f"coverage file {str(p)!r} is empty (0 bytes), expected raster or vector data"
        raise CoverageFileError(msg)
    synthetic = _sidecar_synthetic(p)
    suffix = p.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return _read_csv(
            p, speed_column=speed_column, crs=crs, all_white=all_white, synthetic=synthetic
        )
    if suffix in _RASTER_SUFFIXES:
        return _read_raster(p, speed_column=speed_column, crs=crs, synthetic=synthetic)
    if suffix in _VECTOR_SUFFIXES or p.is_dir():
        return _read_vector(
            p,
            speed_column=speed_column,
            crs=crs,
            layer=layer,
            all_white=all_white,
            synthetic=synthetic,
        )
    try:
        return _read_raster(p, speed_column=speed_column, crs=crs, synthetic=synthetic)
    except CoverageFileError as raster_error:
        if "cannot be opened" not in str(raster_error):
            raise
    return _read_vector(
        p,
        speed_column=speed_column,
        crs=crs,
        layer=layer,
        all_white=all_white,
        synthetic=synthetic,
        tried_raster=True,
    )


# --------------------------------------------------------------------------------------------
# helpers


def _user_crs(value: Any, *, what: str) -> CRS:
    try:
        return CRS.from_user_input(value)
    except CRSError as exc:
        msg = f"{what} is not a valid CRS, got {value!r}, expected e.g. 'EPSG:28992' ({exc})"
        raise BroadbandInputError(msg) from exc


def _resolve_crs(file_crs: CRS | None, crs: Any, p: Path, *, how_to_set: str) -> CRS:
    if file_crs is None:
        if crs is None:
            msg = (
                f"coverage file {p.name!r} has no CRS: set the CRS with {how_to_set}, "
                "or pass crs= (e.g. read_coverage(path, crs='EPSG:28992'))"
            )
            raise NoCrsError(msg)
        return _user_crs(crs, what="crs")
    if crs is not None:
        wanted = _user_crs(crs, what="crs")
        if not file_crs.equals(wanted, ignore_axis_order=True):
            msg = (
                f"coverage file {p.name!r} declares CRS {file_crs.to_string()!r} but "
                f"crs={crs!r} was passed; omit crs= (it is only for files without a CRS) "
                "or reproject the file"
            )
            raise CoverageFileError(msg)
    return file_crs


def _truthy(value: Any) -> bool | None:
    """Parse a flag value; None for missing, raise ValueError for unparseable."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not math.isnan(value):
        if value not in (0, 1):
            raise ValueError(value)
        return bool(value)
    text = "" if value is None or value is pd.NA else str(value).strip().lower()
    if text in ("", "nan", "none", "null"):
        return None
    if text not in _TRUE_WORDS | _FALSE_WORDS:
        raise ValueError(value)
    return text in _TRUE_WORDS


def _sidecar_synthetic(p: Path) -> bool:
    sidecar = p.with_name(p.name + ".json")
    if not sidecar.is_file():
        return False
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"metadata sidecar {sidecar.name!r} is not valid JSON ({exc}); expected e.g. "
        msg += '{"synthetic": true}'
        raise CoverageFileError(msg) from exc
    if not isinstance(meta, dict):
        msg = f"metadata sidecar {sidecar.name!r} must hold a JSON object, got {meta!r}"
        raise CoverageFileError(msg)
    try:
        return bool(_truthy(meta.get("synthetic", False)))
    except ValueError as exc:
        msg = (
            f"metadata sidecar {sidecar.name!r}: 'synthetic' must be true or false, "
            f"got {meta.get('synthetic')!r}"
        )
        raise CoverageFileError(msg) from exc


def _find_column(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    matches = [c for c in columns if c.lower() == wanted.lower()]
    return matches[0] if len(matches) == 1 else None


def _speed_values(values: pd.Series, column: str, label: str) -> npt.NDArray[np.float64]:
    numeric = pd.to_numeric(values, errors="coerce")
    speeds = np.array(numeric, dtype=np.float64, copy=True)
    present = values.notna().to_numpy()
    if present.any() and np.isnan(speeds[present]).all():
        example = values[values.notna()].iloc[0]
        msg = (
            f"speed column {column!r} in {label} holds no numbers (e.g. {example!r}), "
            "expected download speeds in Mbit/s; choose another with speed_column="
        )
        raise CoverageFileError(msg)
    speeds[speeds < 0] = np.nan
    return speeds


# --------------------------------------------------------------------------------------------
# raster


def _read_raster(p: Path, *, speed_column: str | None, crs: Any, synthetic: bool) -> Coverage:
    try:
        with warnings.catch_warnings():
            # Raised for files without a geotransform; handled explicitly below.
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(p) as src:
                file_crs = None if src.crs is None else CRS.from_wkt(src.crs.to_wkt())
                transform = src.transform
                tags = {str(k).lower(): v for k, v in src.tags().items()}
                band = 1
                if speed_column is not None:
                    descriptions = list(src.descriptions)
                    if speed_column not in descriptions:
                        shown = [d for d in descriptions if d] or "none"
                        msg = (
                            f"raster {p.name!r} has no band described as {speed_column!r}; "
                            f"band descriptions: {shown}. Choose one with the speed_column "
                            "argument or omit it to use band 1"
                        )
                        raise SpeedColumnError(msg)
                    band = descriptions.index(speed_column) + 1
                data = src.read(band, masked=True)
                gcps, _ = src.gcps
    except RasterioError as exc:
        msg = f"coverage file {p.name!r} cannot be opened as a raster: {exc}"
        raise CoverageFileError(msg) from exc
    if transform == Affine.identity() and not gcps:
        msg = (
            f"raster {p.name!r} is not georeferenced (no geotransform), expected a GeoTIFF with "
            "a transform and CRS"
        )
        raise CoverageFileError(msg)
    resolved = _resolve_crs(
        file_crs, crs, p, how_to_set="`gdal_edit.py -a_srs EPSG:28992 <file>` (or rio edit-info)"
    )
    values = np.ma.filled(data.astype(np.float64), np.nan)
    values[values < 0] = np.nan
    if values.size == 0 or np.isnan(values).all():
        msg = f"raster {p.name!r} has no valid cells (all nodata), expected speeds in Mbit/s"
        raise CoverageFileError(msg)
    values.setflags(write=False)
    tag_synthetic = False
    if "synthetic" in tags:
        try:
            tag_synthetic = bool(_truthy(tags["synthetic"]))
        except ValueError:
            tag_synthetic = True  # any other non-empty value: be safe, call it synthetic
    return Coverage(
        kind="raster",
        crs=resolved,
        source=p,
        synthetic=synthetic or tag_synthetic,
        speed_column=speed_column,
        array=values,
        transform=transform,
    )


# --------------------------------------------------------------------------------------------
# vector


def _read_vector(
    p: Path,
    *,
    speed_column: str | None,
    crs: Any,
    layer: str | int | None,
    all_white: bool,
    synthetic: bool,
    tried_raster: bool = False,
) -> Coverage:
    try:
        if layer is None:
            layers = pyogrio.list_layers(p)
            if len(layers) == 0:
                msg = f"coverage file {p.name!r} has no layers, expected vector features"
                raise CoverageFileError(msg)
            layer = str(layers[0][0])
        frame = pyogrio.read_dataframe(p, layer=layer)
    except CoverageFileError:
        raise
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        kinds = "vector data (nor as a raster)" if tried_raster else "vector data"
        msg = f"coverage file {p.name!r} cannot be opened as {kinds}: {exc}"
        raise CoverageFileError(msg) from exc
    except Exception as exc:  # GDAL raises a variety of errors on corrupt files
        msg = f"coverage file {p.name!r} cannot be read: {type(exc).__name__}: {exc}"
        raise CoverageFileError(msg) from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"coverage file {p.name!r} has no geometry column, expected polygons or points"
        raise CoverageFileError(msg)
    file_crs = None if frame.crs is None else CRS.from_user_input(frame.crs)
    resolved = _resolve_crs(
        file_crs,
        crs,
        p,
        how_to_set="`ogr2ogr -a_srs EPSG:28992 out.gpkg <file>` (or GeoDataFrame.set_crs)",
    )
    return _normalise_frame(
        frame,
        crs=resolved,
        label=repr(p.name),
        path=p,
        speed_column=speed_column,
        all_white=all_white,
        synthetic=synthetic,
    )


def _read_csv(
    p: Path, *, speed_column: str | None, crs: Any, all_white: bool, synthetic: bool
) -> Coverage:
    sep = "\t" if p.suffix.lower() == ".tsv" else ","
    try:
        table = pd.read_csv(p, sep=sep)
    except pd.errors.EmptyDataError as exc:
        msg = f"coverage file {p.name!r} is empty, expected a CSV header and rows"
        raise CoverageFileError(msg) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        msg = f"coverage file {p.name!r} is not a readable CSV: {exc}"
        raise CoverageFileError(msg) from exc
    columns = [str(c) for c in table.columns]
    lon = next((c for n in _LON_NAMES if (c := _find_column(columns, n))), None)
    lat = next((c for n in _LAT_NAMES if (c := _find_column(columns, n))), None)
    xcol, ycol = _find_column(columns, "x"), _find_column(columns, "y")
    if lon is not None and lat is not None:
        xname, yname = lon, lat
        resolved = _user_crs(crs, what="crs") if crs is not None else CRS.from_epsg(4326)
    elif xcol is not None and ycol is not None:
        xname, yname = xcol, ycol
        if crs is None:
            msg = (
                f"coverage file {p.name!r} has x/y columns but no CRS: pass crs= "
                "(e.g. read_coverage(path, crs='EPSG:28992')) or use lon/lat columns in WGS84"
            )
            raise NoCrsError(msg)
        resolved = _user_crs(crs, what="crs")
    else:
        msg = (
            f"coverage file {p.name!r} has no coordinate columns, got columns {columns!r}, "
            "expected lon/lat (WGS84) or x/y (with crs=)"
        )
        raise CoverageFileError(msg)
    if len(table) == 0:
        msg = f"coverage file {p.name!r} has no rows (no features), expected address points"
        raise CoverageFileError(msg)
    xs = np.asarray(pd.to_numeric(table[xname], errors="coerce"), dtype=np.float64)
    ys = np.asarray(pd.to_numeric(table[yname], errors="coerce"), dtype=np.float64)
    keep = np.isfinite(xs) & np.isfinite(ys)
    if not keep.any():
        msg = (
            f"coverage file {p.name!r}: no row has numeric coordinates in {xname!r}/{yname!r}, "
            "expected numbers"
        )
        raise CoverageFileError(msg)
    if resolved.is_geographic and (
        np.abs(xs[keep]).max() > _MAX_ABS_LON or np.abs(ys[keep]).max() > _MAX_ABS_LAT
    ):
        msg = (
            f"coverage file {p.name!r}: coordinates in {xname!r}/{yname!r} are outside "
            "lon/lat ranges (projected metres?), expected WGS84 degrees; name the columns x/y "
            "and pass crs="
        )
        raise CoverageFileError(msg)
    attrs = table.loc[keep].drop(columns=[xname, yname]).reset_index(drop=True)
    frame = gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(xs[keep], ys[keep]), crs=resolved)
    return _normalise_frame(
        frame,
        crs=resolved,
        label=repr(p.name),
        path=p,
        speed_column=speed_column,
        all_white=all_white,
        synthetic=synthetic,
    )


def _speeds_from_attributes(
    frame: pd.DataFrame,
    columns: list[str],
    attributes: list[str],
    *,
    label: str,
    speed_column: str | None,
    all_white: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], str | None]:
    """Speeds (Mbit/s), not-white flags and the speed column used, per the module rules."""
    n = len(frame)
    if all_white:
        return np.zeros(n, dtype=np.float64), np.zeros(n, dtype=bool), None
    if speed_column is not None:
        used = _find_column(columns, speed_column)
        if used is None:
            example = attributes[0] if attributes else "mbps"
            msg = (
                f"speed column {speed_column!r} not found in coverage {label}; available "
                f"columns: {attributes!r}. Choose one with the speed_column argument, e.g. "
                f"read_coverage(path, speed_column={example!r})"
            )
            raise SpeedColumnError(msg)
        return _speed_values(frame[used], used, label), np.zeros(n, dtype=bool), used
    used = next((c for n_ in SPEED_COLUMN_CANDIDATES if (c := _find_column(attributes, n_))), None)
    if used is not None:
        return _speed_values(frame[used], used, label), np.zeros(n, dtype=bool), used
    white_col = _find_column(attributes, "white")
    if white_col is not None:
        try:
            flags = [_truthy(v) for v in frame[white_col]]
        except ValueError as exc:
            msg = (
                f"column {white_col!r} in coverage {label} must be a boolean white-area "
                f"flag, got {exc.args[0]!r}, expected true/false (or 1/0)"
            )
            raise CoverageFileError(msg) from exc
        speeds = np.array([0.0 if f else np.nan for f in flags], dtype=np.float64)
        return speeds, np.array([f is False for f in flags], dtype=bool), None
    if not attributes:
        return np.zeros(n, dtype=np.float64), np.zeros(n, dtype=bool), None
    msg = (
        f"no speed column found in coverage {label}: looked for "
        f"{list(SPEED_COLUMN_CANDIDATES)!r} or a 'white' flag; available columns: "
        f"{attributes!r}. Choose one with the speed_column argument (e.g. "
        f"speed_column={attributes[0]!r}), or pass all_white=True for a map of white areas"
    )
    raise SpeedColumnError(msg)


def _normalise_frame(
    frame: gpd.GeoDataFrame,
    *,
    crs: CRS,
    label: str,
    path: Path | None,
    speed_column: str | None,
    all_white: bool,
    synthetic: bool,
) -> Coverage:
    geoms = frame.geometry
    keep = present(geoms)
    frame = frame.loc[keep]
    if len(frame) == 0:
        msg = f"coverage {label} has no features (no non-empty geometries), expected polygons "
        msg += "or points"
        raise CoverageFileError(msg)
    types = set(frame.geom_type.unique())
    if types <= POLYGON_TYPES:
        kind: CoverageKind = "polygons"
    elif types <= POINT_TYPES:
        kind = "points"
    else:
        msg = (
            f"coverage {label} has geometry types {sorted(types)!r}, expected only polygons or "
            "only points"
        )
        raise CoverageFileError(msg)

    geom_name = frame.geometry.name
    columns = [str(c) for c in frame.columns if c != geom_name]
    marker = _find_column(columns, "synthetic")
    if marker is not None:
        try:
            flags = [_truthy(v) for v in frame[marker]]
        except ValueError:
            flags = [True]  # unparseable marker: be safe
        synthetic = synthetic or any(bool(f) for f in flags)
    attributes = [c for c in columns if c != marker]

    speeds, not_white, used = _speeds_from_attributes(
        frame, columns, attributes, label=label, speed_column=speed_column, all_white=all_white
    )

    geometry = frame.geometry.to_numpy()
    if kind == "polygons":
        geometry = valid_polygons(np.asarray(geometry, dtype=object))
    out = gpd.GeoDataFrame(
        {"max_mbps": speeds, "not_white": not_white},
        geometry=gpd.GeoSeries(geometry, crs=crs).values,
        crs=crs,
    )
    if kind == "points":
        out = out.explode(index_parts=False, ignore_index=True)
    out = out.loc[~out.geometry.is_empty].reset_index(drop=True)
    if len(out) == 0:
        msg = f"coverage {label} has no usable features after repairing geometries"
        raise CoverageFileError(msg)
    return Coverage(
        kind=kind,
        crs=crs,
        source=path,
        synthetic=bool(synthetic),
        speed_column=used,
        frame=out,
    )
