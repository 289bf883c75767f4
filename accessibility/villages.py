"""Villages: OSM places with population, or the user's own file; municipality lookup.

Output table (one row per village): ``village_id, village_name, place, population,
municipality, lon, lat`` (WGS84), and optionally a polygon per village (kept for the
broadband overlay).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from accessibility.areas import smallest_containing
from accessibility.crs import WGS84
from accessibility.errors import InputFileError
from accessibility.inputs import check_lonlat, open_vector_file, pick_column, read_point_table

_ID_ALIASES = ("id", "village_id", "code", "woonplaatscode", "kern_code")
_NAME_ALIASES = ("name", "village_name", "naam", "woonplaats", "kern")
_POP_ALIASES = ("population", "bevolking", "inwoners", "aantal_inwoners")
_MUN_NAME_ALIASES = ("name", "municipality", "gemeentenaam", "statnaam", "naam")


def parse_population(value: object) -> float:
    """Parse an OSM ``population`` tag (``"5'229"``, ``"1 357"``, ``"4.284"``) to a number.

    Returns NaN for missing or unparseable values.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    s = str(value).strip()
    s = re.sub(r"[\s'\u2019_]", "", s)  # spaces, apostrophes (also typographic) as separators
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        s = re.sub(r"[.,]", "", s)
    try:
        v = float(s)
    except ValueError:
        return np.nan
    return v if v >= 0 else np.nan


def villages_from_osm(places: pd.DataFrame) -> pd.DataFrame:
    """Turn OSM place nodes into the village table (population null when untagged)."""
    pop = places["population_tag"].map(parse_population).astype(float)
    bad = places["population_tag"].notna() & pop.isna()
    if bad.any():
        warnings.warn(
            f"{int(bad.sum())} OSM places have a population tag that is not a number "
            f"(e.g. {places.loc[bad, 'population_tag'].iloc[0]!r}); population left null",
            stacklevel=2,
        )
    out = pd.DataFrame(
        {
            "village_id": "node/" + places["osm_id"].astype(str),
            "village_name": places["name"].fillna("").astype(str),
            "place": places["place"].astype(str),
            "population": pop,
            "lon": places["lon"].astype(float),
            "lat": places["lat"].astype(float),
        }
    )
    return out.reset_index(drop=True)


def villages_from_file(
    path: str | Path, *, xy_crs: str | None = None
) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None]:
    """Read villages from CSV (``id,name,population,lon,lat``) or GeoJSON/GeoPackage.

    Polygons are reduced to a representative point (the origin of the distances) and also
    returned, so the broadband overlay can use the village area.

    Raises
    ------
    InputFileError
        Missing file or columns, duplicate ids, rows without coordinates.
    """
    p = Path(path)
    df, lon, lat, polys = read_point_table(
        p, xy_crs=xy_crs, what="villages", crs_option="--villages-crs"
    )
    id_col = pick_column(df.columns, _ID_ALIASES)
    name_col = pick_column(df.columns, _NAME_ALIASES)
    pop_col = pick_column(df.columns, _POP_ALIASES)
    if name_col is None and id_col is None:
        msg = (
            f"{p}: no id or name column; expected id,name,population,lon,lat "
            f"(found {', '.join(df.columns)})"
        )
        raise InputFileError(msg)
    names = df[name_col].astype(str).str.strip() if name_col else df[id_col].astype(str)
    if id_col:
        ids = df[id_col].astype(str).str.strip()
    else:
        if names.duplicated().any():
            dup = names[names.duplicated()].iloc[0]
            msg = f"{p}: no id column and the name {dup!r} occurs twice; add an `id` column"
            raise InputFileError(msg)
        ids = names
    if (ids == "").any():
        msg = f"{p}: row {int(np.flatnonzero(ids == '')[0]) + 1} has an empty id"
        raise InputFileError(msg)
    if ids.duplicated().any():
        msg = f"{p}: village id {ids[ids.duplicated()].iloc[0]!r} occurs more than once"
        raise InputFileError(msg)
    pop = df[pop_col].map(parse_population) if pop_col else pd.Series(np.nan, index=df.index)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        msg = f"{p}: no row has coordinates"
        raise InputFileError(msg)
    if not ok.all():
        warnings.warn(
            f"{p}: {int((~ok).sum())} of {len(ok)} villages have no coordinates and were skipped",
            stacklevel=2,
        )
    check_lonlat(p, lon, lat)
    out = pd.DataFrame(
        {
            "village_id": ids.to_numpy(),
            "village_name": names.to_numpy(),
            "place": "",
            "population": pop.to_numpy(dtype=float),
            "lon": lon,
            "lat": lat,
        }
    )
    keep = np.flatnonzero(ok)
    out = out.iloc[keep].reset_index(drop=True)
    if polys is not None:
        polys = gpd.GeoDataFrame(
            {"village_id": out["village_id"].to_numpy()},
            geometry=polys.geometry.iloc[keep].to_numpy(),
            crs=WGS84,
        )
    return out, polys


def boundaries_from_file(path: str | Path) -> gpd.GeoDataFrame:
    """Read municipality polygons (``name`` or ``statnaam``/``gemeentenaam`` column)."""
    p = Path(path)
    gdf = open_vector_file(p, what="boundaries")
    name_col = pick_column(gdf.columns, _MUN_NAME_ALIASES)
    if name_col is None:
        msg = f"{p}: no name column (name, statnaam or gemeentenaam); found {list(gdf.columns)}"
        raise InputFileError(msg)
    out = gpd.GeoDataFrame({"name": gdf[name_col].astype(str)}, geometry=gdf.geometry)
    return out.to_crs(WGS84)


def assign_municipality(
    villages: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, admin_level: str | None = "8"
) -> pd.Series:
    """Name of the municipality polygon that contains each village (null outside all).

    ``boundaries`` from OSM carry ``admin_level``; only that level is used (8 is the Dutch
    gemeente). A village in two overlapping polygons takes the smallest.
    """
    if len(boundaries) == 0 or len(villages) == 0:
        return pd.Series([None] * len(villages), index=villages.index, dtype=object)
    b = boundaries
    if admin_level is not None and "admin_level" in b.columns:
        b = b[b["admin_level"].astype(str) == str(admin_level)]
    if len(b) == 0:
        return pd.Series([None] * len(villages), index=villages.index, dtype=object)
    b = b.reset_index(drop=True)
    idx = smallest_containing(b.geometry.to_numpy(), villages["lon"], villages["lat"])
    names = b["name"].to_numpy(dtype=object)
    out = pd.Series(np.where(idx >= 0, names[np.maximum(idx, 0)], None),
                    index=villages.index, dtype=object)  # fmt: skip
    return out
