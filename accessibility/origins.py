"""Origins: where people live, as weighted points (the CBS method averages over persons).

Three sources, one per build:

- **the OSM extract** (default): address nodes and residential buildings
  (:func:`origins_from_osm`). An address node inside a residential building, inside a
  ``building=yes`` or in no building at all is one dwelling; one inside a non-residential
  building (shop, office, industrial...) is left out and counted. A residential building
  without address nodes is one origin at its centroid with ``building:flats`` dwellings (1
  when untagged); ``building=yes`` only counts when it carries an address itself. So an
  address node inside a building counts once.
- **an address file** (``--addresses``: CSV with lon/lat or x/y plus a CRS, GeoJSON,
  GeoPackage, GeoParquet; e.g. BAG verblijfsobjecten with a residential use) with an
  optional residents column (:func:`origins_from_file`).
- **a population raster** (``--population``: CBS 100 m squares, GHSL; any CRS): every
  populated cell is an origin at its centre (:func:`origins_from_raster`).

:func:`assign_origins` puts every origin in a village (its polygon, else the nearest place
within a radius in the same municipality, else the municipality's *buitengebied*) and
weighs it; the method is recorded per origin: ``residents`` (from the file or raster),
``dwellings`` (persons estimated from dwellings: the village's population divided over its
dwellings; in a village without a known population, and in the buitengebied, the persons
per dwelling of all villages with one) or ``addresses`` (no population known anywhere:
every dwelling weighs 1, and the figures are per dwelling, not per person).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from accessibility.areas import smallest_containing
from accessibility.crs import to_metric, to_wgs84
from accessibility.errors import InputFileError, NoCrsError
from accessibility.inputs import check_lonlat, pick_column, read_point_table, to_float
from accessibility.osm import OsmData
from accessibility.villages import assign_municipality, parse_population

#: building=* values that are homes (``building=yes`` counts only with an address)
RESIDENTIAL_BUILDINGS = frozenset(
    {"house", "detached", "semidetached_house", "terrace", "farm", "residential",
     "apartments", "bungalow", "dormitory", "houseboat", "static_caravan"}
)  # fmt: skip
#: building values that say nothing about use: their address nodes are homes
UNKNOWN_USE_BUILDINGS = frozenset({"yes"})
#: how origins are weighted (see the module docstring), and the place-point method
METHODS = ("residents", "dwellings", "addresses", "place_point")
BUITENGEBIED = "buitengebied"
_ID_ALIASES = ("id", "origin_id", "identificatie", "address_id", "adres_id")


@dataclass(frozen=True, eq=False)
class Origins:
    """Points where people live, with their dwellings and (when known) residents.

    Attributes
    ----------
    origin_id : np.ndarray
        ``node/1``, ``way/2`` (OSM), ``<file stem>:<id>`` or ``cell:<row>_<col>``.
    lon, lat : np.ndarray
        WGS84 degrees.
    dwellings : np.ndarray
        Dwellings at the origin (1 per address; ``building:flats`` for a building).
    residents : np.ndarray or None
        Residents per origin (file column or raster), None when the source has none.
    source : str
        What the origins were read from (for the manifest and the outputs).
    stats : dict
        Counts of what was read, kept and left out.
    """

    origin_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    dwellings: np.ndarray
    residents: np.ndarray | None
    source: str
    stats: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lon)

    def subset(self, keep: np.ndarray, reason: str) -> Origins:
        """Keep the origins where ``keep`` is True; count the others as ``reason``."""
        pick = lambda a: None if a is None else a[keep]  # noqa: E731
        stats = {**self.stats, reason: int((~keep).sum())}
        return replace(self, origin_id=self.origin_id[keep], lon=self.lon[keep],
                       lat=self.lat[keep], dwellings=self.dwellings[keep],
                       residents=pick(self.residents), stats=stats)  # fmt: skip


# --- sources -------------------------------------------------------------------------------------
def origins_from_osm(osm: OsmData) -> Origins:
    """Address nodes and residential buildings of an extract (read with ``buildings=True``).

    See the module docstring for the rules; ``stats`` counts each kind kept and left out.
    """
    adr, bld = osm.addresses, osm.buildings
    kind = bld["building"].to_numpy(dtype=object) if len(bld) else np.zeros(0, dtype=object)
    home = np.isin(kind, list(RESIDENTIAL_BUILDINGS))
    unknown = np.isin(kind, list(UNKNOWN_USE_BUILDINGS))
    inside = smallest_containing(bld.geometry.to_numpy(), adr["lon"], adr["lat"])
    in_other = (inside >= 0) & ~(home | unknown)[np.maximum(inside, 0)]
    keep_adr = ~in_other
    has_node = np.zeros(len(bld), dtype=bool)
    has_node[inside[inside >= 0]] = True
    has_addr = bld["has_address"].to_numpy(dtype=bool) if len(bld) else has_node
    keep_bld = ~has_node & (home | (unknown & has_addr))
    centre = bld.geometry[keep_bld].representative_point()
    stats = {
        "address_nodes": int(keep_adr.sum()),
        "address_nodes_in_non_residential_buildings": int(in_other.sum()),
        "residential_buildings_without_address_nodes": int(keep_bld.sum()),
        "buildings_with_address_nodes": int(has_node.sum()),
    }
    return Origins(
        origin_id=np.concatenate([
            "node/" + adr["osm_id"][keep_adr].astype(str).to_numpy(dtype=object),
            "way/" + bld["osm_id"][keep_bld].astype(str).to_numpy(dtype=object),
        ]),
        lon=np.concatenate([adr["lon"].to_numpy(float)[keep_adr], centre.x.to_numpy(float)]),
        lat=np.concatenate([adr["lat"].to_numpy(float)[keep_adr], centre.y.to_numpy(float)]),
        dwellings=np.concatenate([np.ones(int(keep_adr.sum())),
                                  _flats(bld["flats"][keep_bld])]),
        residents=None,
        source=f"OSM addresses and residential buildings of {osm.path.name}",
        stats=stats,
    )  # fmt: skip


def _flats(values: pd.Series) -> np.ndarray:
    """Dwellings of a building from ``building:flats`` (1 when untagged or unusable)."""
    n = values.map(parse_population).to_numpy(dtype=float)
    return np.where(np.isfinite(n) & (n >= 1), np.floor(n), 1.0)


def origins_from_file(
    path: str | Path, *, residents_column: str | None = None, xy_crs: str | None = None
) -> Origins:
    """Address points from a CSV, GeoJSON, GeoPackage or GeoParquet file.

    Polygons (building outlines) count by a point inside them. ``residents_column`` names
    the weight (residents or dwellings per address); rows without coordinates are skipped
    with a warning that counts them.

    Raises
    ------
    InputFileError, NoCrsError
        A missing or unreadable file, no coordinates, an unknown or non-numeric column.
    """
    p = Path(path)
    df, lon, lat, _ = read_point_table(p, xy_crs=xy_crs, what="addresses",
                                       crs_option="--addresses-crs")  # fmt: skip
    check_lonlat(p, lon, lat)
    residents = None
    if residents_column is not None:
        residents = _residents(p, df, residents_column)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        msg = f"{p}: no row has coordinates; expected address points (lon/lat, x/y or points)"
        raise InputFileError(msg)
    if not ok.all():
        warnings.warn(f"{p}: {int((~ok).sum())} of {len(ok)} addresses have no coordinates "
                      "and were skipped", stacklevel=2)  # fmt: skip
    id_col = pick_column(df.columns, _ID_ALIASES)
    ids = df[id_col] if id_col else pd.Series(np.arange(1, len(df) + 1))
    return Origins(
        origin_id=(f"{p.stem}:" + ids.astype(str)).to_numpy(dtype=object)[ok],
        lon=lon[ok], lat=lat[ok], dwellings=np.ones(int(ok.sum())),
        residents=None if residents is None else residents[ok],
        source=p.name,
        stats={"addresses": int(ok.sum()), "skipped_no_coordinates": int((~ok).sum())},
    )  # fmt: skip


def _residents(p: Path, df: pd.DataFrame, column: str) -> np.ndarray:
    col = pick_column(df.columns, (column.strip().lower(),))
    if col is None:
        msg = (f"{p}: no column {column!r} (--residents-column); found "
               f"{', '.join(map(str, df.columns))}")  # fmt: skip
        raise InputFileError(msg)
    values = to_float(df[col]).to_numpy(dtype=float)
    bad = np.isfinite(values) & (values < 0)
    given = df[col].astype(str).str.strip() != ""
    if bad.any() or (given & ~np.isfinite(values)).any():
        i = int(np.flatnonzero(bad | (given & ~np.isfinite(values)))[0])
        msg = (f"{p}: row {i + 1} has {column}={df[col].iloc[i]!r}, expected a number of "
               "residents >= 0")  # fmt: skip
        raise InputFileError(msg)
    if not np.isfinite(values).all():
        warnings.warn(f"{p}: {int((~np.isfinite(values)).sum())} addresses have no {column}; "
                      "they count as 0 residents", stacklevel=3)  # fmt: skip
    return np.where(np.isfinite(values), values, 0.0)


def origins_from_raster(path: str | Path) -> Origins:
    """Every populated cell (value > 0, nodata respected) of a population raster.

    The origin is the cell centre, the residents the cell value (persons per cell, e.g. the
    CBS 100 m squares). Any CRS rasterio reads.

    Raises
    ------
    InputFileError, NoCrsError
    """
    import rasterio

    p = Path(path)
    if not p.is_file():
        msg = f"{p}: population raster not found"
        raise InputFileError(msg)
    try:
        with rasterio.open(p) as src:
            band = src.read(1, masked=True)
            transform, crs = src.transform, src.crs
    except rasterio.errors.RasterioError as exc:
        msg = f"{p}: cannot read as a raster ({exc}); expected a GeoTIFF of persons per cell"
        raise InputFileError(msg) from exc
    if crs is None:
        msg = f"{p}: the raster has no CRS; set it (e.g. gdal_edit.py -a_srs EPSG:28992)"
        raise NoCrsError(msg)
    values = np.ma.filled(band.astype(float), np.nan)
    rows, cols = np.nonzero(np.isfinite(values) & (values > 0))
    if len(rows) == 0:
        msg = f"{p}: no cell has a population above 0"
        raise InputFileError(msg)
    x, y = rasterio.transform.xy(transform, rows, cols, offset="center")
    lon, lat = to_wgs84(np.asarray(x, float), np.asarray(y, float), crs.to_string())
    return Origins(
        origin_id=np.array([f"cell:{r}_{c}" for r, c in zip(rows, cols, strict=True)],
                           dtype=object),
        lon=lon, lat=lat, dwellings=np.ones(len(rows)), residents=values[rows, cols],
        source=p.name, stats={"populated_cells": len(rows)},
    )  # fmt: skip


# --- assignment and weights ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AssignedOrigins:
    """Origins in their village (or buitengebied), with their weight and method.

    ``village_index`` points into ``villages`` (the build's villages followed by one
    buitengebied row per municipality that has such origins); ``weight`` is persons
    (``residents``, ``dwellings``) or dwellings (``addresses``), as ``method`` says.
    """

    origins: Origins
    villages: pd.DataFrame
    village_index: np.ndarray
    weight: np.ndarray
    method: np.ndarray
    stats: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.origins)


def assign_origins(
    origins: Origins,
    villages: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    village_polygons: gpd.GeoDataFrame | None = None,
    radius_m: float,
    crs: str,
) -> AssignedOrigins:
    """Put every origin in a village and weigh it.

    Parameters
    ----------
    origins
        The origins of the build.
    villages
        ``village_id, village_name, municipality, population, lon, lat``.
    boundaries
        Municipality polygons (``name``), WGS84.
    village_polygons
        Village areas (``village_id``, WGS84), when the villages file had polygons: an
        origin inside one belongs to it.
    radius_m
        Otherwise an origin belongs to the nearest village within this distance in the same
        municipality; else to its municipality's buitengebied (a row of its own).
    crs
        A metric CRS for the distances.
    """
    pts = pd.DataFrame({"lon": origins.lon, "lat": origins.lat})
    municipality = assign_municipality(pts, boundaries, admin_level=None).to_numpy(dtype=object)
    if village_polygons is not None and len(village_polygons):
        index = _by_polygon(origins, villages, village_polygons)
    else:
        index = _by_nearest(origins, villages, municipality, radius_m=radius_m, crs=crs)
    table, index = _with_buitengebied(villages, index, municipality)
    weight, method = _weigh(origins, table, index)
    stats = {f"method_{m}": int((method == m).sum()) for m in METHODS[:3]}
    stats["in_buitengebied"] = int((index >= len(villages)).sum())
    stats["in_villages_without_population"] = int(
        (~np.isfinite(pd.to_numeric(table["population"]).to_numpy(float)[index])).sum()
    )
    return AssignedOrigins(origins, table, index, weight, method, stats)


def _by_polygon(origins: Origins, villages: pd.DataFrame, polys: gpd.GeoDataFrame) -> np.ndarray:
    hit = smallest_containing(polys.geometry.to_numpy(), origins.lon, origins.lat)
    pos = pd.Index(villages["village_id"]).get_indexer(polys["village_id"])
    return np.where(hit >= 0, pos[np.maximum(hit, 0)], -1)


def _by_nearest(origins: Origins, villages: pd.DataFrame, municipality: np.ndarray, *,
                radius_m: float, crs: str, k: int = 8) -> np.ndarray:  # fmt: skip
    """Nearest village within ``radius_m`` whose municipality is the origin's (-1: none)."""
    from scipy.spatial import cKDTree

    out = np.full(len(origins), -1, dtype=np.int64)
    if len(villages) == 0 or len(origins) == 0:
        return out
    vx, vy = to_metric(villages["lon"].to_numpy(), villages["lat"].to_numpy(), crs)
    ox, oy = to_metric(origins.lon, origins.lat, crs)
    k = min(k, len(villages))
    dist, idx = cKDTree(np.column_stack([vx, vy])).query(
        np.column_stack([ox, oy]), k=k, distance_upper_bound=radius_m
    )
    dist, idx = dist.reshape(len(ox), k), idx.reshape(len(ox), k)
    # municipalities as integer codes (-1: none), compared once per candidate rank
    v_mun = villages["municipality"].to_numpy(dtype=object)
    codes, _ = pd.factorize(np.concatenate([v_mun, np.asarray(municipality, dtype=object)]))
    v_code, o_code = codes[: len(v_mun)], codes[len(v_mun) :]
    anywhere = pd.isna(municipality)  # an origin outside every municipality takes any village
    for j in range(k):  # nearest first: the first candidate in the same municipality wins
        found = np.isfinite(dist[:, j])
        cand = np.where(found, idx[:, j], 0)
        same = found & (((v_code[cand] == o_code) & (o_code >= 0)) | anywhere)
        take = (out < 0) & same
        out[take] = cand[take]
    return out


def _with_buitengebied(villages: pd.DataFrame, index: np.ndarray,
                       municipality: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """Append a buitengebied row per municipality with unassigned origins; point them to it."""
    out = index.copy()
    missing = out < 0
    if not missing.any():
        return villages.reset_index(drop=True), out
    mun = pd.Series(municipality[missing]).fillna("").to_numpy(dtype=object)
    names, inverse = np.unique(mun.astype(str), return_inverse=True)
    out[missing] = len(villages) + inverse
    rows = pd.DataFrame({
        "village_id": [f"{BUITENGEBIED}:{n}" if n else BUITENGEBIED for n in names],
        "village_name": [f"{n} ({BUITENGEBIED})" if n else BUITENGEBIED for n in names],
        "place": BUITENGEBIED,
        "population": np.nan,
        "municipality": [n or None for n in names],
        "lon": np.nan, "lat": np.nan,
    })  # fmt: skip
    cols = [c for c in villages.columns if c in rows.columns]
    return pd.concat([villages[cols], rows[cols]], ignore_index=True), out


def _weigh(origins: Origins, villages: pd.DataFrame,
           index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Weight and method of every origin (see the module docstring)."""
    if origins.residents is not None:
        return origins.residents.astype(float), np.full(len(origins), "residents", dtype=object)
    dw = origins.dwellings.astype(float)
    per_village = np.bincount(index, weights=dw, minlength=len(villages))
    pop = pd.to_numeric(villages["population"]).to_numpy(dtype=float, na_value=np.nan)
    known = np.isfinite(pop) & (pop > 0) & (per_village > 0)
    if not known.any():
        return dw, np.full(len(origins), "addresses", dtype=object)
    share = np.divide(pop, per_village, out=np.zeros_like(pop), where=known)
    share[~known] = persons_per_dwelling(pop[known], per_village[known])
    return dw * share[index], np.full(len(origins), "dwellings", dtype=object)


def persons_per_dwelling(population: np.ndarray, dwellings: np.ndarray) -> float:
    """Persons per dwelling over villages with a known population (the fallback ratio)."""
    return float(np.sum(population) / np.sum(dwellings))


def origins_table(assigned: AssignedOrigins) -> gpd.GeoDataFrame:
    """One row per origin: id, village, municipality, weight, method, dwellings (WGS84)."""
    o, v = assigned.origins, assigned.villages
    i = assigned.village_index
    return gpd.GeoDataFrame(
        {
            "origin_id": o.origin_id,
            "village_id": v["village_id"].to_numpy(dtype=object)[i],
            "village_name": v["village_name"].to_numpy(dtype=object)[i],
            "municipality": v["municipality"].to_numpy(dtype=object)[i],
            "dwellings": o.dwellings,
            "weight": assigned.weight,
            "method": assigned.method,
        },
        geometry=gpd.points_from_xy(o.lon, o.lat),
        crs="EPSG:4326",
    )
