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

import numpy as np
import pandas as pd

from accessibility.errors import InputFileError, UnknownCategoryError
from accessibility.inputs import check_lonlat, pick_column, read_point_table

DEFAULT_CATEGORIES_FILE = Path(__file__).with_name("categories.toml")
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
    #: the Dutch label (the web map's default language); empty when the file gives none
    label_nl: str = ""


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
            label_nl=str(spec.get("label_nl", "")),
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
    df, lon, lat, _ = read_point_table(p, xy_crs=xy_crs, what="facilities")
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
    check_lonlat(p, lon, lat)
    id_col = pick_column(df.columns, _ID_ALIASES)
    name_col = pick_column(df.columns, _NAME_ALIASES)
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
