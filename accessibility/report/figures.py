"""The report's figures, taken from a build's tables (no routing, nothing recomputed).

Every number the report shows comes from here, read from the tables a build wrote
(``indicators``, ``municipalities.csv``, ``persons_*.csv``, ``double_disadvantage.csv``,
the manifest) and rounded as :mod:`accessibility.precision` rounds them. A figure for the
whole build, which no table holds, is aggregated the way the tables are made: the villages'
figures with :func:`accessibility.indicators.municipality_indicators` over one group, the
persons' figures weighted by the persons of each municipality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from accessibility.errors import UnknownMunicipalityError
from accessibility.indicators import municipality_indicators
from accessibility.model import Build
from accessibility.precision import round_frame
from accessibility.report.text import capitalise, category_name
from accessibility.residents import CBS_PROFILE
from accessibility.scenarios import change_summary, compare_builds

#: the facilities every report shows (a map, a ranking), in this order, also when the
#: extract has none of them (the report then says so)
KEY_CATEGORIES = ("gp", "school_primary", "supermarket")
#: further facilities the province names: shown like the key ones when the build has any
MORE_CATEGORIES = (
    "gp_post",
    "pharmacy",
    "hospital",
    "school_secondary",
    "childcare",
    "library",
    "swimming_pool",
)
#: the group a village without a municipality falls in (as in ``municipalities.csv``)
OUTSIDE = "(outside municipalities)"
#: rows of the ranking table per category
RANKING_ROWS = 10
#: reasons that make a village "worst" before any distance (as the municipality table does)
NO_ROUTE = ("unreachable", "not_on_network")


def municipalities_of(build: Build) -> list[str]:
    """Return the municipalities of a build (its villages' and its boundaries'), sorted."""
    names = set(build.villages["municipality"].dropna().astype(str))
    if build.municipality_polygons is not None and "name" in build.municipality_polygons:
        names |= set(build.municipality_polygons["name"].dropna().astype(str))
    return sorted(names, key=str.casefold)


def resolve_municipality(build: Build, name: str | None) -> str | None:
    """Return the build's spelling of municipality ``name`` (case-insensitive), None for all.

    Raises
    ------
    UnknownMunicipalityError
        When the build has no municipality of that name (the message lists those it has).
    """
    if name is None:
        return None
    known = municipalities_of(build)
    match = [m for m in known if m.casefold() == name.strip().casefold()]
    if not match:
        msg = (
            f"unknown municipality {name!r} in build {build.name!r}; expected one of "
            f"{', '.join(known) or '(none: the build has no municipalities)'}"
        )
        raise UnknownMunicipalityError(msg)
    return match[0]


def _in_municipality(df: pd.DataFrame, municipality: str | None) -> pd.DataFrame:
    if municipality is None:
        return df
    return df[df["municipality"] == municipality]


def category_names(build: Build, lang: str) -> dict[str, str]:
    """Return every category's name in ``lang``: the build's labels.

    In Dutch ``label_nl`` (from the manifest, else from the bundled category table for a
    category of that name).
    """
    specs = build.manifest.get("categories", {})
    bundled: dict[str, str] = {}
    if lang == "nl":
        from accessibility.facilities import load_categories

        bundled = {n: c.label_nl for n, c in load_categories().categories.items()}
    out = {}
    for c in build.categories:
        spec = specs.get(c, {})
        label = str(spec.get("label") or c)
        nl = spec.get("label_nl") or bundled.get(c)
        out[c] = capitalise(category_name(lang, label=label, label_nl=nl))
    return out


def facility_counts(build: Build) -> dict[str, int]:
    """Facilities per category of the build (0 for a category the extract has none of)."""
    counts = build.facilities["category"].value_counts()
    return {c: int(counts.get(c, 0)) for c in build.categories}


@dataclass(frozen=True)
class ThemeCategory:
    """A facility category the report gives a map and a ranking (or says why not)."""

    category: str
    facilities: int
    defined: bool

    @property
    def shown(self) -> bool:
        """True when the build defines the category and the extract has any of it."""
        return self.defined and self.facilities > 0


def theme_categories(build: Build) -> list[ThemeCategory]:
    """Return the key categories (always) and the province's others the build has any of."""
    counts = facility_counts(build)
    out = [ThemeCategory(c, counts.get(c, 0), c in counts) for c in KEY_CATEGORIES]
    out += [ThemeCategory(c, counts[c], True) for c in MORE_CATEGORIES if counts.get(c, 0) > 0]
    return out


def categories_with_facilities(build: Build) -> list[str]:
    """Categories with at least one facility: the theme ones first, then the build's order."""
    counts = facility_counts(build)
    first = [t.category for t in theme_categories(build) if t.shown]
    return first + [c for c in build.categories if counts[c] > 0 and c not in first]


def village_rows(build: Build, *, profile: str, municipality: str | None) -> pd.DataFrame:
    """Return the long indicator rows of ``profile`` of ``municipality``'s villages, rounded."""
    ind = build.indicators
    ind = ind[ind["profile"] == profile]
    return round_frame(_in_municipality(ind, municipality)).reset_index(drop=True)


def villages_in(build: Build, municipality: str | None) -> pd.DataFrame:
    """Return the villages (as ``villages.parquet``) of ``municipality``, all when None."""
    return _in_municipality(build.villages, municipality)


# --- the rings (share beyond 1/3/5 km) and the means -------------------------------------------
def uses_persons(build: Build) -> bool:
    """Tell whether the report gives figures over persons (the build has origins)."""
    return build.persons_municipalities is not None


def area_figures(build: Build, *, profile: str, municipality: str | None) -> pd.DataFrame:
    """Per category: the area's mean distance and shares beyond each ring, as the tables give.

    Over persons (``persons_municipalities.csv``) where the build has origins, else over the
    villages (``municipalities.csv``); for the whole build aggregated the same way. Columns
    ``category``, ``mean_distance_m``, ``share_beyond_<r>km``, ``method`` (``persons`` or
    ``villages``), rounded as the tables are.
    """
    radii = _radii(build)
    shares = [f"share_beyond_{r:g}km" for r in radii]
    if uses_persons(build):
        pm = build.persons_municipalities
        pm = pm[pm["profile"] == profile]
        if municipality is not None:
            out = pm[pm["municipality"] == municipality][["category", "mean_distance_m", *shares]]
        else:
            out = _persons_total(pm, shares)
        method = "persons"
    else:
        mun = build.municipalities
        mun = mun[mun["profile"] == profile]
        if municipality is not None:
            out = mun[mun["municipality"] == municipality][["category", "mean_distance_m", *shares]]
        else:
            ind = build.indicators
            one = ind[ind["profile"] == profile].assign(municipality="all")
            out = municipality_indicators(one, radii_km=radii)[
                ["category", "mean_distance_m", *shares]
            ]
        method = "villages"
    out = out.assign(method=method).reset_index(drop=True)
    return round_frame(out)


def _persons_total(pm: pd.DataFrame, shares: list[str]) -> pd.DataFrame:
    """Persons' figures of every municipality together: shares by weight, means by reach."""
    rows = []
    for cat, g in pm.groupby("category", sort=False):
        w = g["weight"].to_numpy(dtype=float)
        reach = w - g["weight_unreachable"].to_numpy(dtype=float)
        mean = g["mean_distance_m"].to_numpy(dtype=float)
        ok = np.isfinite(mean) & (reach > 0)
        row = {
            "category": cat,
            "mean_distance_m": float(np.average(mean[ok], weights=reach[ok]))
            if ok.any()
            else np.nan,
        }
        for s in shares:
            row[s] = float(np.average(g[s].to_numpy(dtype=float), weights=w)) if w.sum() else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=["category", "mean_distance_m", *shares])


def _radii(build: Build) -> tuple[float, ...]:
    return tuple(float(r) for r in build.manifest["parameters"]["radii_km"])


def radii_km(build: Build) -> tuple[float, ...]:
    """Return the rings of the build (CBS's 1, 3 and 5 km unless built with others)."""
    return _radii(build)


def residents(build: Build, *, profile: str, municipality: str | None) -> tuple[float, str] | None:
    """Return the persons (or dwellings) the area's figures stand for and the method."""
    if not uses_persons(build):
        return None
    pm = build.persons_municipalities
    pm = pm[pm["profile"] == profile]
    first = pm[pm["category"] == pm["category"].iloc[0]] if len(pm) else pm
    first = _in_municipality(first, municipality)
    method = "+".join(sorted(set(first["method"].astype(str))))
    return float(first["weight"].sum()), method


# --- rankings and distributions ----------------------------------------------------------------
def ranking(build: Build, category: str, *, profile: str, municipality: str | None) -> pd.DataFrame:
    """Return the villages, farthest from ``category`` first (no route first, as the worst).

    Villages the category has no facility for at all (``no_facility``) are left out.
    """
    rows = village_rows(build, profile=profile, municipality=municipality)
    rows = rows[(rows["category"] == category) & (rows["reason"].fillna("") != "no_facility")]
    no_route = rows["reason"].isin(NO_ROUTE)
    key = np.where(no_route, np.inf, rows["distance_m"].to_numpy(dtype=float))
    order = np.argsort(-np.nan_to_num(key, nan=-1.0), kind="stable")
    return rows.iloc[order].reset_index(drop=True)


@dataclass(frozen=True)
class Distribution:
    """Distances (metres, NaN for no route) and their weights, over persons or villages."""

    distance_m: np.ndarray
    weight: np.ndarray
    over: str  # "persons" or "villages"


def distributions(
    build: Build, categories: list[str], *, profile: str, municipality: str | None
) -> dict[str, Distribution]:
    """Per category the distances to draw: every address (weighted) or every village.

    Over persons where the build kept each address's distance for ``profile``
    (``addresses.parquet``), else over the villages' points, each once.
    """
    origins = build.origins
    out: dict[str, Distribution] = {}
    if origins is not None:
        sub = _in_municipality(origins, municipality)
        w = sub["weight"].to_numpy(dtype=float)
        for cat in categories:
            col = _origin_column(sub, cat, profile)
            if col is not None:
                out[cat] = Distribution(sub[col].to_numpy(dtype=float), w, "persons")
    if len(out) == len(categories):
        return out
    rows = village_rows(build, profile=profile, municipality=municipality)
    for cat in categories:
        d = rows.loc[rows["category"] == cat, "distance_m"].to_numpy(dtype=float)
        out[cat] = Distribution(d, np.ones(len(d)), "villages")
    return out


def _origin_column(origins: pd.DataFrame, category: str, profile: str) -> str | None:
    """Return the addresses' distance column of a category and profile (None: not kept)."""
    col = f"{category}_{profile}_distance_m"  # address_outputs="all"
    if col in origins.columns:
        return col
    col = f"{category}_distance_m"  # address_outputs="car": CBS's profile, the car
    return col if profile == CBS_PROFILE and col in origins.columns else None


# --- comparison with another build -------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """Another build against this one: per village the change, per category the verdict."""

    other: str
    method: str  # "persons" or "place_point"
    changes: pd.DataFrame  # compare_builds' rows of the profile, in the municipality
    summary: pd.DataFrame  # change_summary of those rows


def comparison(build: Build, other: Build, *, profile: str, municipality: str | None) -> Comparison:
    """Compare ``other`` (before) with ``build`` (after), the villages of ``municipality``.

    :func:`~accessibility.scenarios.compare_builds` and its
    :func:`~accessibility.scenarios.change_summary`.
    """
    method = "persons" if (build.has_persons and other.has_persons) else "place_point"
    changes = compare_builds(other, build, method=method)
    changes = changes[changes["profile"] == profile]
    changes = _in_municipality(changes, municipality).reset_index(drop=True)
    summary = change_summary(changes, profile=profile)
    return Comparison(other.name, method, round_frame(changes), round_frame(summary))


def compared_categories(build: Build, other: Build) -> list[str]:
    """Categories with a facility in either build: the theme ones first, then the build's."""
    counts = facility_counts(build)
    other_counts = other.facilities["category"].value_counts()
    have = [c for c in build.categories if counts[c] > 0 or other_counts.get(c, 0) > 0]
    first = [t.category for t in theme_categories(build) if t.category in have]
    return first + [c for c in have if c not in first]


# --- double disadvantage -----------------------------------------------------------------------
def double_disadvantage(build: Build, municipality: str | None) -> pd.DataFrame | None:
    """Return ``double_disadvantage.csv``'s rows of ``municipality`` in rank order.

    None when the build has no broadband coverage.
    """
    dd = build.double_disadvantage
    if dd is None:
        return None
    dd = _in_municipality(dd, municipality).sort_values("rank", kind="stable")
    return round_frame(dd.reset_index(drop=True))


def thresholds_mbps(build: Build) -> tuple[float, float]:
    """Return the broadband thresholds (basic, NGA) the build used."""
    bb = build.manifest.get("broadband", {}).get("thresholds_mbps")
    basic, nga = bb or build.manifest["parameters"].get("thresholds_mbps", (30.0, 100.0))
    return float(basic), float(nga)


# --- provenance ----------------------------------------------------------------------------------
def synthetic_inputs(build: Build) -> list[str]:
    """Return what in the build is synthetic.

    ``broadband`` (the manifest says so), the names of inputs marked synthetic (a file name
    with ``synthetic``, as the project names them) and ``addresses`` (origins so named).
    """
    out = ["broadband"] if build.synthetic_coverage else []
    for kind, item in build.manifest.get("inputs", {}).items():
        if kind == "coverage" and out:
            continue
        name = Path(str(item.get("path", ""))).name
        if "synthetic" in name.lower():
            out.append(kind)
    origins = build.manifest.get("origins", {})
    if "synthetic" in str(origins.get("source", "")).lower() and "addresses" not in out:
        out.append("addresses")
    return out


@dataclass(frozen=True)
class Source:
    """One input of the build: what, which file, its date, licence and checksum."""

    kind: str
    file: str
    date: str | None
    licence: str  # a key: odbl, synthetic, bereik, user
    sha256: str


def sources(build: Build) -> list[Source]:
    """Return the inputs the manifest records, with what is known of their dates and licences."""
    m = build.manifest
    synthetic = set(synthetic_inputs(build))
    out = []
    for kind, item in m.get("inputs", {}).items():
        name = Path(str(item.get("path", ""))).name
        if kind == "extract":
            date, licence = m.get("osm_replication_timestamp"), "odbl"
        elif kind in {"categories", "profiles"} and _bundled(item.get("path", "")):
            date, licence = None, "bereik"
        else:
            date, licence = None, "user"
        if kind in synthetic or (kind == "coverage" and "broadband" in synthetic):
            licence = "synthetic"
        out.append(Source(kind, name, _day(date), licence, str(item.get("sha256", ""))[:12]))
    return out


def _bundled(path: str) -> bool:
    from accessibility.defaults import DEFAULT_CATEGORIES_FILE, DEFAULT_PROFILES_FILE

    return Path(path).name in {DEFAULT_CATEGORIES_FILE.name, DEFAULT_PROFILES_FILE.name} and (
        Path(path).parent.name == DEFAULT_CATEGORIES_FILE.parent.name
    )


def _day(stamp: str | None) -> str | None:
    """``2015-07-27T21:14:01Z`` -> ``2015-07-27``."""
    return str(stamp)[:10] if stamp else None


def build_day(build: Build) -> str | None:
    """Return the day the build was made (from the manifest)."""
    return _day(build.manifest.get("created"))


def finite(value: object) -> float | None:
    """``value`` as a float, None when missing or not finite (for formatting)."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fairness(build: Build, categories: list[str], *, profile: str,
             municipality: str | None) -> tuple[pd.DataFrame, str]:  # fmt: skip
    """Gini, Palma and tenth gap of each category's distance over persons, and their unit.

    For the municipality, or the whole build; a category without any facility is left out.
    """
    from accessibility.planning import fairness as spread

    rows, unit = [], "persons"
    where = municipality or "all"
    for cat in categories:
        table = spread(build, category=cat, profile=profile)
        unit = str(table["unit"].iloc[0]) if len(table) else unit
        rows.append(table[table["municipality"] == where])
    if not rows:
        return pd.DataFrame(), unit
    return pd.concat(rows, ignore_index=True), unit
