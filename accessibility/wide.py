"""One row per village and per municipality: the long indicator tables made wide.

The build's long tables (``indicators``: a row per village, category and profile;
``municipalities.csv``: a row per municipality, category and profile) suit programs. QGIS
and spreadsheets want one feature per village or municipality with a column per figure,
named ``<category>_<profile>_<field>`` (``supermarket_car_distance_m``). This module is the
one place that widens them: the GeoPackage layers ``villages`` and ``municipalities`` and
``villages.csv`` use it (and the API can, for the same columns).

Column order: the village (municipality) fields first, then per category per profile (in
the order of the long table, which is the order of the category table and of the build's
profiles) the fields of :data:`VILLAGE_FIELDS` (municipalities: every figure of the long
table). A missing category/profile pair gives null columns, never 0.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import pandas as pd

from accessibility.defaults import TRANSIT_PROFILE
from accessibility.errors import WideTableError

__all__ = [
    "MUNICIPALITY_FIELDS",
    "VILLAGE_FIELDS",
    "municipalities_wide",
    "village_fields",
    "villages_wide",
    "wide_column",
]

#: the indicator fields widened per category and profile, before the ``count_<r>km`` columns
VILLAGE_FIELDS = ("distance_m", "travel_time_s")
#: with ``nearest=True`` also which facility each is
NEAREST_FIELDS = ("nearest_by_distance_id", "nearest_by_time_id")
#: fields of the municipality itself in ``municipalities.csv`` (the same in every row of it)
MUNICIPALITY_FIELDS = ("municipality", "villages", "population", "weighting")
_PAIR = ("category", "profile")
#: fields a profile does not measure (public transport: the median time only, no route
#: length, no counts within rings, no snap to a road): not widened for it
NOT_MEASURED = {
    TRANSIT_PROFILE: ("distance_m", "nearest_by_distance_id", "count_*", "snap_distance_m")
}


def wide_column(category: str, profile: str, field: str) -> str:
    """Name of a wide column: ``<category>_<profile>_<field>``."""
    return f"{category}_{profile}_{field}"


def village_fields(indicators: pd.DataFrame, *, nearest: bool = False) -> list[str]:
    """Return the fields :func:`villages_wide` widens, in order, for this long table.

    ``distance_m``, ``travel_time_s`` (with ``nearest``: ``nearest_by_distance_id``,
    ``nearest_by_time_id``), every ``count_<r>km`` and ``reason`` when any row has one.
    """
    counts = [c for c in indicators.columns if c.startswith("count_") and c.endswith("km")]
    fields = [*VILLAGE_FIELDS, *(NEAREST_FIELDS if nearest else ()), *counts]
    if "reason" in indicators.columns and _has_text(indicators["reason"]):
        fields.append("reason")
    return fields


def villages_wide(
    villages: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    categories: Sequence[str] | None = None,
    profiles: Sequence[str] | None = None,
    nearest: bool = False,
) -> pd.DataFrame:
    """Return ``villages`` with the long ``indicators`` as columns: one row per village.

    Parameters
    ----------
    villages
        One row per village with ``village_id`` (any other columns are kept first, in order;
        a GeoDataFrame stays one).
    indicators
        The long table (``village_id, category, profile, distance_m, travel_time_s,
        count_<r>km, snap_distance_m, reason, ...``).
    categories, profiles
        Which pairs to widen and in what order; default: as they first appear in
        ``indicators`` (the category table's order, the build's profiles).
    nearest
        Also widen ``nearest_by_distance_id`` and ``nearest_by_time_id``.

    Returns
    -------
    pandas.DataFrame
        The village columns, ``snap_distance_m_<profile>`` per profile (the distance from the
        village point to the profile's road, as the facilities table names it), then per
        category per profile ``<category>_<profile>_distance_m``, ``..._travel_time_s``,
        ``..._count_<r>km`` and ``..._reason`` (see :func:`village_fields`), less the fields
        a profile does not measure (:data:`NOT_MEASURED`: public transport has the time
        only). Distances and times are floats, counts nullable integers; a village without
        a row is null.

    Raises
    ------
    WideTableError
        When a village, category and profile occur twice, or a wide name is already a
        village column.
    """
    categories, profiles = _pairs(indicators, categories, profiles)
    fields = village_fields(indicators, nearest=nearest)
    wide = _widen(indicators, "village_id", fields, categories, profiles)
    if "snap_distance_m" in indicators.columns:
        snap = indicators.groupby(["village_id", "profile"], sort=False)["snap_distance_m"].first()
        snap = snap.unstack("profile").reindex(columns=profiles).astype(float)
        snap.columns = [f"snap_distance_m_{p}" for p in profiles]
        wide = pd.concat([snap, wide], axis=1)
    return _attach(villages, wide.drop(columns=_not_measured(categories, profiles, fields)),
                   "village_id")  # fmt: skip


def _not_measured(
    categories: Sequence[str], profiles: Sequence[str], fields: Sequence[str]
) -> list[str]:
    """Wide village columns of fields their profile does not measure (:data:`NOT_MEASURED`)."""
    out = []
    for p in profiles:
        patterns = NOT_MEASURED.get(p, ())
        if any(fnmatch.fnmatchcase("snap_distance_m", pat) for pat in patterns):
            out.append(f"snap_distance_m_{p}")
        skip = [f for f in fields if any(fnmatch.fnmatchcase(f, pat) for pat in patterns)]
        out += [wide_column(c, p, f) for c in categories for f in skip]
    return out


def municipalities_wide(
    municipalities: pd.DataFrame,
    *,
    categories: Sequence[str] | None = None,
    profiles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the municipality figures (``municipalities.csv``) one row per municipality.

    The fields of the municipality itself (:data:`MUNICIPALITY_FIELDS`: ``municipality``,
    ``villages``, ``population``, ``weighting``) come once, first; every other column of the
    long table (``mean_distance_m``, ``mean_travel_time_s``, ``villages_unreachable``,
    ``share_beyond_<r>km``, ``worst_village_id``, ``worst_village_name``,
    ``worst_distance_m``) becomes ``<category>_<profile>_<field>``, per category per profile.

    Raises
    ------
    WideTableError
        When a municipality's own fields differ between its rows, or a municipality,
        category and profile occur twice.
    """
    categories, profiles = _pairs(municipalities, categories, profiles)
    own = [c for c in MUNICIPALITY_FIELDS if c in municipalities.columns]
    fields = [c for c in municipalities.columns if c not in {*own, *_PAIR}]
    groups = municipalities.groupby("municipality", sort=False, dropna=False)
    varying = [c for c in own[1:] if (groups[c].nunique(dropna=False) > 1).any()]
    if varying:
        msg = f"municipality fields {varying!r} differ between the rows of one municipality"
        raise WideTableError(msg)
    base = groups[own[1:]].first().reset_index()
    wide = _widen(municipalities, "municipality", fields, categories, profiles)
    return _attach(base, wide, "municipality")


def _pairs(
    long: pd.DataFrame, categories: Sequence[str] | None, profiles: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    cats = list(long["category"].drop_duplicates()) if categories is None else list(categories)
    profs = list(long["profile"].drop_duplicates()) if profiles is None else list(profiles)
    return cats, profs


def _widen(
    long: pd.DataFrame,
    key: str,
    fields: Sequence[str],
    categories: Sequence[str],
    profiles: Sequence[str],
) -> pd.DataFrame:
    """Columns ``<category>_<profile>_<field>`` indexed by ``key``, per category per profile."""
    indexed = long.set_index([key, *_PAIR])
    dup = indexed.index.duplicated()
    if dup.any():
        first = indexed.index[dup][0]
        msg = f"{key}, category and profile {first!r} occur more than once in the long table"
        raise WideTableError(msg)
    keys = pd.Index(long[key].drop_duplicates(), name=key)
    pairs = pd.MultiIndex.from_product([list(categories), list(profiles)], names=list(_PAIR))
    names = [wide_column(c, p, f) for c, p in pairs for f in fields]
    if len(set(names)) < len(names):
        msg = (
            f"categories {list(categories)!r} and profiles {list(profiles)!r} give the same "
            "wide column name twice (an underscore joins them)"
        )
        raise WideTableError(msg)
    if not names:
        return pd.DataFrame(index=keys)
    # one unstack per field (a missing pair or key becomes null), then per pair per field
    parts = [indexed[f].unstack(list(_PAIR)).reindex(index=keys, columns=pairs) for f in fields]
    wide = pd.concat(parts, axis=1, keys=list(fields))
    wide = wide[pd.MultiIndex.from_tuples([(f, c, p) for c, p in pairs for f in fields])]
    wide.columns = names
    field_of = [f for _ in pairs for f in fields]  # the field of each name, in order
    changed = {n: long[f].dtype for n, f in zip(names, field_of, strict=True)
               if wide[n].dtype != long[f].dtype}  # fmt: skip
    return wide.astype(changed) if changed else wide


def _attach(base: pd.DataFrame, wide: pd.DataFrame, key: str) -> pd.DataFrame:
    """Return ``base`` (row order and type kept) with the ``wide`` columns of its ``key``."""
    clash = sorted(set(base.columns) & set(wide.columns))
    if clash:
        msg = f"wide columns {clash[:3]!r} are already columns of the table"
        raise WideTableError(msg)
    extra = wide.reindex(base[key]).reset_index(drop=True)
    extra.index = base.index
    return pd.concat([base, extra], axis=1)


def _has_text(s: pd.Series) -> bool:
    """Return True when any value is a non-empty string."""
    return bool((s.notna() & (s.astype(str).str.len() > 0)).any())
