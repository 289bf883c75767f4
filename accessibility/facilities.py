"""Facilities by category: OSM tag rules, and the user's own CSV/GeoJSON/GeoPackage lists.

Categories live in a data file (``categories.toml`` beside this module, or the user's copy).
The output of every loader is one table with a row per facility and category:
``facility_id, category, name, source, lon, lat`` (WGS84). A facility that belongs to two
categories (a school with ``isced:level=1;2``) appears once per category.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from accessibility.crs import WGS84
from accessibility.errors import InputFileError, NoCrsError, UnknownCategoryError

DEFAULT_CATEGORIES_FILE = Path(__file__).with_name("categories.toml")
MAX_LON, MAX_LAT = 180.0, 90.0
FACILITY_COLUMNS = ["facility_id", "category", "name", "source", "lon", "lat"]


@dataclass(frozen=True)
class Category:
    """One facility category and its OSM tag rules."""

    name: str
    label: str
    cbs: str = ""
    cbs_radii_km: tuple[float, ...] = ()
    rules: tuple[dict[str, object], ...] = ()
    exclude: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True)
class CategoryRules:
    """All categories of a rules file, in file order."""

    categories: dict[str, Category] = field(default_factory=dict)
    source: Path | None = None

    @property
    def names(self) -> list[str]:
        """Category names in file order."""
        return list(self.categories)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every tag key some rule tests first (the POI keys for the OSM reader)."""
        out: set[str] = set()
        for c in self.categories.values():
            for r in c.rules:
                out.add(next(iter(r)))
        return tuple(sorted(out))

    def check(self, name: str) -> str:
        """Return ``name`` if it is a known category, else raise UnknownCategoryError."""
        if name not in self.categories:
            msg = f"unknown facility category {name!r}, expected one of {', '.join(self.names)}"
            raise UnknownCategoryError(msg)
        return name


def load_categories(path: str | Path | None = None) -> CategoryRules:
    """Read category rules from a TOML file (default: the bundled ``categories.toml``)."""
    p = Path(path) if path is not None else DEFAULT_CATEGORIES_FILE
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"{p}: category rules file not found"
        raise InputFileError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"{p}: not valid TOML ({exc})"
        raise InputFileError(msg) from exc
    cats = data.get("categories")
    if not isinstance(cats, dict) or not cats:
        msg = f"{p}: expected [categories.<name>] tables with `rules`, found none"
        raise InputFileError(msg)
    out: dict[str, Category] = {}
    for name, spec in cats.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            msg = f"{p}: category name {name!r} must be lower_snake_case"
            raise InputFileError(msg)
        rules = spec.get("rules", [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) and r for r in rules):
            msg = f"{p}: category {name!r}: `rules` must be a list of non-empty tables"
            raise InputFileError(msg)
        out[name] = Category(
            name=name,
            label=str(spec.get("label", name)),
            cbs=str(spec.get("cbs", "")),
            cbs_radii_km=tuple(float(r) for r in spec.get("cbs_radii_km", [])),
            rules=tuple(rules),
            exclude=tuple(spec.get("exclude", [])),
        )
    return CategoryRules(categories=out, source=p)


def _value_matches(tag_value: str | None, wanted: object) -> bool:
    if tag_value is None:
        return False
    if wanted == "*":
        return True
    values = {v.strip() for v in tag_value.split(";")} | {tag_value}
    if isinstance(wanted, list):
        return any(str(w) in values for w in wanted)
    return str(wanted) in values


def _rule_matches(tags: dict[str, str], rule: dict[str, object]) -> bool:
    return all(_value_matches(tags.get(k), v) for k, v in rule.items())


def match_categories(tags: dict[str, str], rules: CategoryRules) -> list[str]:
    """Return the categories whose rules match an OSM tag dict."""
    out = []
    for c in rules.categories.values():
        if any(_rule_matches(tags, r) for r in c.rules) and not any(
            _rule_matches(tags, r) for r in c.exclude
        ):
            out.append(c.name)
    return out


def facilities_from_osm(pois: pd.DataFrame, rules: CategoryRules) -> pd.DataFrame:
    """Classify OSM POIs (from :func:`accessibility.osm.read_osm`) into facility rows."""
    rows = []
    for r in pois.itertuples(index=False):
        for cat in match_categories(r.tags, rules):
            rows.append((f"{r.osm_type}/{r.osm_id}", cat, r.name, "osm", r.lon, r.lat))
    return pd.DataFrame(rows, columns=FACILITY_COLUMNS)


# --- user files -------------------------------------------------------------------------

_ID_ALIASES = ("id", "facility_id", "code", "vestigingscode")
_NAME_ALIASES = ("name", "naam", "vestigingsnaam")


def _read_text_csv(p: Path) -> pd.DataFrame:
    raw = p.read_bytes()
    if not raw.strip():
        msg = f"{p}: the file is empty"
        raise InputFileError(msg)
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    first = text.splitlines()[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    from io import StringIO

    try:
        return pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        msg = f"{p}: cannot parse as CSV ({exc})"
        raise InputFileError(msg) from exc


def _pick(cols: dict[str, str], aliases: tuple[str, ...]) -> str | None:
    for a in aliases:
        if a in cols:
            return cols[a]
    return None


def _to_float(s: pd.Series) -> pd.Series:
    return pd.to_numeric(
        s.astype(str).str.strip().str.replace(",", ".", regex=False).replace({"": None}),
        errors="coerce",
    )


def _read_point_table(
    path: str | Path, *, xy_crs: str | None, what: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, gpd.GeoDataFrame | None]:
    """Read a CSV or vector file to (attributes, lon, lat, polygons-or-None)."""
    p = Path(path)
    if not p.exists():
        msg = f"{p}: {what} file not found"
        raise InputFileError(msg)
    suffix = p.suffix.lower()
    if suffix in {".csv", ".txt"}:
        df = _read_text_csv(p)
        cols = {c.strip().lower(): c for c in df.columns}
        if "pc4_lon" in cols and "pc4_lat" in cols:  # DUO school file, geocoded to PC4
            lon, lat = _to_float(df[cols["pc4_lon"]]), _to_float(df[cols["pc4_lat"]])
        elif "lon" in cols and "lat" in cols:
            lon, lat = _to_float(df[cols["lon"]]), _to_float(df[cols["lat"]])
        elif "x" in cols and "y" in cols:
            if xy_crs is None:
                msg = (
                    f"{p}: has x/y columns but no CRS was given; pass the CRS "
                    "(e.g. --facilities-crs EPSG:28992) or use lon/lat columns in WGS84"
                )
                raise NoCrsError(msg)
            from accessibility.crs import to_wgs84

            x, y = _to_float(df[cols["x"]]), _to_float(df[cols["y"]])
            lo, la = to_wgs84(x.to_numpy(), y.to_numpy(), xy_crs)
            lon, lat = pd.Series(lo), pd.Series(la)
        else:
            msg = (
                f"{p}: missing coordinate columns, expected lon,lat (WGS84) or x,y; "
                f"found {', '.join(df.columns)}"
            )
            raise InputFileError(msg)
        df.columns = [c.strip().lower() for c in df.columns]
        return df, lon.to_numpy(dtype=float), lat.to_numpy(dtype=float), None
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        msg = f"{p}: cannot read as a vector file ({exc})"
        raise InputFileError(msg) from exc
    if len(gdf) == 0:
        msg = f"{p}: the file holds no features"
        raise InputFileError(msg)
    if gdf.crs is None:
        msg = f"{p}: the layer has no CRS; set it (e.g. with ogr2ogr -a_srs EPSG:4326)"
        raise NoCrsError(msg)
    gdf = gdf.to_crs(WGS84)
    polys = None
    gtypes = set(gdf.geom_type.dropna())
    if gtypes & {"Polygon", "MultiPolygon"}:
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
    return df, lon.astype(float), lat.astype(float), polys


def _check_lonlat(p: Path, lon: np.ndarray, lat: np.ndarray) -> None:
    ok = np.isfinite(lon) & np.isfinite(lat)
    bad = ok & ((np.abs(lon) > MAX_LON) | (np.abs(lat) > MAX_LAT))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{p}: row {i + 1} has lon/lat ({lon[i]}, {lat[i]}) outside WGS84 range; "
            "are these projected x/y? then name the columns x,y and pass the CRS"
        )
        raise InputFileError(msg)


def facilities_from_file(
    path: str | Path,
    rules: CategoryRules,
    *,
    category: str | None = None,
    xy_crs: str | None = None,
) -> pd.DataFrame:
    """Read facility points from a CSV, GeoJSON or GeoPackage file.

    CSV: columns ``category``, ``lon``, ``lat`` (WGS84), optional ``id``, ``name``; or ``x``,
    ``y`` with ``xy_crs``. The DUO school-location CSV (semicolon, cp1252 or UTF-8, with
    ``pc4_lon``/``pc4_lat``) is read as is; its category defaults to ``school_primary`` for
    a file of "basis" schools and ``school_secondary`` for "voortgezet"/"vo" schools.
    Vector files: points with those properties. ``category`` sets the category of rows
    that have none.

    Rows without coordinates are skipped with a warning that counts them.

    Raises
    ------
    InputFileError, NoCrsError, UnknownCategoryError
    """
    p = Path(path)
    df, lon, lat, _ = _read_point_table(p, xy_crs=xy_crs, what="facilities")
    cols = set(df.columns)
    default_cat = category
    if default_cat is None and "vestigingscode" in cols:
        low = p.name.lower()
        if "basis" in low:
            default_cat = "school_primary"
        elif "voortgezet" in low or re.search(r"(^|[_-])vo([_-]|$)", low):
            default_cat = "school_secondary"
    if "category" in cols:
        cats = df["category"].astype(str).str.strip()
        if default_cat is not None:
            cats = cats.where(cats != "", default_cat)
    elif default_cat is not None:
        cats = pd.Series([default_cat] * len(df))
    else:
        msg = (
            f"{p}: no `category` column; add one (values: {', '.join(rules.names)}) "
            "or pass --facilities-category"
        )
        raise InputFileError(msg)
    if default_cat is not None:
        rules.check(default_cat)
    unknown = sorted(set(cats) - set(rules.names))
    if unknown:
        msg = (
            f"{p}: unknown facility categor{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(map(repr, unknown))}; expected one of {', '.join(rules.names)} "
            "(or add it to a categories file passed with --categories)"
        )
        raise UnknownCategoryError(msg)
    _check_lonlat(p, lon, lat)
    id_col = _pick({c: c for c in cols}, _ID_ALIASES)
    name_col = _pick({c: c for c in cols}, _NAME_ALIASES)
    ids = df[id_col].astype(str).str.strip() if id_col else pd.Series([""] * len(df))
    ids = [f"{p.stem}:{i if i else n + 1}" for n, i in enumerate(ids)]
    names = df[name_col].astype(str) if name_col else pd.Series([None] * len(df))
    out = pd.DataFrame(
        {
            "facility_id": ids,
            "category": cats.to_numpy(),
            "name": names.to_numpy(),
            "source": p.name,
            "lon": lon,
            "lat": lat,
        }
    )
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.all():
        warnings.warn(
            f"{p}: {int((~ok).sum())} of {len(ok)} rows have no coordinates and were skipped",
            stacklevel=2,
        )
    out = out[ok].reset_index(drop=True)
    if "geocode_precision" in cols and len(out):
        warnings.warn(
            f"{p}: coordinates are {df['geocode_precision'].iloc[0]!r}, not addresses; "
            "distances to these facilities can be off by several km in rural areas",
            stacklevel=2,
        )
    return out
