"""The location questions on a loaded build: what the command line and the service call.

- :func:`suggest_sites`: where new facilities of a category help most
  (:mod:`accessibility.suggest`);
- :func:`closures`: what closing each facility alone would do, least harmful first
  (:mod:`accessibility.closures`);
- :func:`supply_access`: facilities (or their capacity) per 1,000 persons within a
  catchment, per village and municipality, by the two-step floating catchment
  (:mod:`accessibility.supply`);
- :func:`fairness`: how evenly the distance to the nearest facility is spread over
  persons, per municipality and for the whole build (:mod:`accessibility.fairness`).

Persons are the build's origins where it has them, else the villages by population
(:func:`accessibility.placement.demand_of`); every table says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from accessibility.closures import rank_closures
from accessibility.defaults import (
    DEFAULT_CATCHMENT_MIN,
    DEFAULT_MAX_CANDIDATES,
    DEFAULT_RADII_KM,
    DEFAULT_SUGGEST_BUDGET_S,
    DEFAULT_TARGET_SHARE,
    SUPPLY_METHODS,
)
from accessibility.errors import InputFileError, ParameterError
from accessibility.fairness import fairness_table
from accessibility.inputs import pick_column, read_text_csv
from accessibility.model import Build
from accessibility.placement import Candidates, SitingProblem, candidates_for, demand_of
from accessibility.suggest import Suggestion, suggest
from accessibility.supply import PER_PERSONS, aggregate, e2sfca_zones, two_stage_fca


def _no_candidates() -> Candidates:
    empty = np.array([], dtype=str)
    return Candidates("none", empty, empty.copy(), np.array([]), np.array([]))


def _km(value: float, name: str) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        msg = f"{name} must be a finite number of km > 0, got {value!r}"
        raise ParameterError(msg)
    return value * 1000.0


def suggest_sites(
    build: Build,
    *,
    category: str,
    within_km: float,
    profile: str | None = None,
    objective: str = "coverage",
    count: int | None = 1,
    candidates: str = "villages",
    target_share: float = DEFAULT_TARGET_SHARE,
    time_budget_s: float = DEFAULT_SUGGEST_BUDGET_S,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
) -> Suggestion:
    """Suggest sites for new facilities of ``category`` by road distance (see :func:`suggest`).

    ``candidates``: ``villages``, ``grid:1km`` or a points file
    (:func:`accessibility.placement.candidates_for`).
    """
    threshold = _km(within_km, "within_km")
    profile = build.pick_profile(profile)
    build.check_category(category)
    cands = candidates_for(build, candidates, category=category, profile=profile,
                           max_candidates=max_candidates)  # fmt: skip
    problem = SitingProblem(build, demand_of(build), cands, category=category, profile=profile)
    out = suggest(problem, objective=objective, count=count, threshold=threshold,
                  target_share=target_share, time_budget_s=time_budget_s)  # fmt: skip
    out.summary.update(category=category, profile=profile, candidates_from=cands.source,
                       within_km=float(within_km))  # fmt: skip
    return out


def closures(
    build: Build, *, category: str, within_km: float, profile: str | None = None
) -> pd.DataFrame:
    """Rank the closure of each facility of ``category`` alone, least harmful first.

    Columns as :func:`accessibility.closures.rank_closures`, costs in metres, plus
    ``category``, ``profile`` and ``unit`` (what the weights count).
    """
    threshold = _km(within_km, "within_km")
    profile = build.pick_profile(profile)
    problem = SitingProblem(build, demand_of(build), _no_candidates(), category=category,
                            profile=profile)  # fmt: skip
    out = rank_closures(problem, threshold=threshold)
    if out.empty:
        msg = f"the build has no {category} facility to close"
        raise ParameterError(msg)
    out = out.rename(columns={"mean_increase": "mean_increase_m", "max_increase": "max_increase_m",
                              "mean_after_all": "mean_after_all_m"})  # fmt: skip
    out.insert(1, "category", category)
    out.insert(2, "profile", profile)
    out["unit"] = problem.demand.unit
    return out


@dataclass(frozen=True, eq=False)
class SupplyTables:
    """Supply against demand: per village, municipality and facility, and the settings."""

    villages: pd.DataFrame
    municipalities: pd.DataFrame
    facilities: pd.DataFrame
    summary: dict


def supply_access(
    build: Build,
    *,
    category: str,
    catchment_minutes: float = DEFAULT_CATCHMENT_MIN,
    profile: str | None = None,
    method: str = "e2sfca",
    capacity_column: str | None = None,
    capacities: str | Path | None = None,
) -> SupplyTables:
    """Facilities (or capacity) per 1,000 persons within a travel-time catchment.

    Parameters
    ----------
    catchment_minutes
        Travel time within which a person uses a facility.
    method
        ``e2sfca`` (default: Luo & Qi's weights 1, 0.68, 0.22 over the catchment's
        thirds) or ``2sfca`` (weight 1 throughout).
    capacity_column, capacities
        Each facility's capacity (default 1: facilities per 1,000 persons): a column of the
        build's facilities, or of the CSV ``capacities`` (``facility_id`` or ``id`` plus
        that column, default ``capacity``; the facilities file given to ``bereik build``
        itself works: its ``id`` matches); a facility the file does not list counts 1.
    """
    if method not in SUPPLY_METHODS:
        msg = f"method must be one of {', '.join(SUPPLY_METHODS)}, got {method!r}"
        raise ParameterError(msg)
    minutes = float(catchment_minutes)
    if not (np.isfinite(minutes) and minutes > 0):
        msg = f"catchment_minutes must be a finite number > 0, got {catchment_minutes!r}"
        raise ParameterError(msg)
    profile = build.pick_profile(profile)
    build.check_category(category)
    fac = build.facilities[build.facilities["category"] == category]
    sites = Candidates("facilities", fac["facility_id"].astype(str).to_numpy(),
                       fac["name"].fillna("").astype(str).to_numpy(),
                       fac["lon"].to_numpy(float), fac["lat"].to_numpy(float))  # fmt: skip
    problem = SitingProblem(build, demand_of(build), sites, category=category, profile=profile,
                            weight="travel_time_s")  # fmt: skip
    catchment = minutes * 60.0
    pairs = problem.site_costs(catchment)
    demand = np.where(problem.demand_ok, problem.demand.weight, 0.0)
    capacity = _capacity(fac, capacity_column, capacities)
    zones = e2sfca_zones(catchment) if method == "e2sfca" else None
    res = two_stage_fca(pairs.demand, pairs.candidate, pairs.cost, demand, capacity, catchment,
                        zones=zones)  # fmt: skip
    d = problem.demand
    villages = aggregate(res.access, demand, d.village_id, name="village_id")
    names = pd.Series(d.village_name, index=d.village_id).groupby(level=0).first()
    villages.insert(1, "village_name", villages["village_id"].map(names))
    munis = aggregate(res.access, demand, d.municipality, name="municipality")
    facilities = pd.DataFrame({
        "facility_id": sites.candidate_id, "name": sites.name, "capacity": capacity,
        "persons_in_reach": res.demand_in_reach,
        "capacity_per_1000": res.ratio * PER_PERSONS,
    })  # fmt: skip
    summary = {"category": category, "profile": profile, "method": method,
               "catchment_minutes": minutes, "demand": d.kind, "unit": d.unit,
               "capacity": capacity_column or "1 per facility", "persons": float(demand.sum()),
               "capacity_total": float(capacity.sum()),
               "per_1000_overall": float(res.access @ demand / demand.sum() * PER_PERSONS)
               if demand.sum() > 0 else float("nan")}  # fmt: skip
    return SupplyTables(villages, munis, facilities, summary)


def _capacity(fac: pd.DataFrame, column: str | None, path: str | Path | None) -> np.ndarray:
    """Capacity per facility row: a column of the build, of a CSV, or 1."""
    if path is not None:
        table = read_text_csv(Path(path))
        col = column or "capacity"
        idc = pick_column(table.columns, ("facility_id", "id"))
        valc = pick_column(table.columns, (col.lower(),))
        if idc is None or valc is None:
            msg = (f"{path}: needs columns facility_id and {col}; found "
                   f"{', '.join(map(str, table.columns))}")  # fmt: skip
            raise InputFileError(msg)
        values = pd.to_numeric(table[valc].str.replace(",", "."), errors="coerce").to_numpy()
        ids = table[idc].astype(str).str.strip()
        # the facilities file itself works too: the build names its rows "<file stem>:<id>"
        keys = pd.concat([ids, Path(path).stem + ":" + ids], ignore_index=True)
        by_id = pd.Series(np.r_[values, values], index=keys)
        by_id = by_id[~by_id.index.duplicated()]
        cap = fac["facility_id"].astype(str).map(by_id).fillna(1.0).to_numpy(float)
    elif column is not None:
        if column not in fac.columns:
            have = ", ".join(map(str, fac.columns))
            msg = (f"the build's facilities have no column {column!r} (they have {have}); "
                   "give the capacities as a CSV")  # fmt: skip
            raise ParameterError(msg)
        cap = pd.to_numeric(fac[column], errors="coerce").to_numpy(float)
    else:
        return np.ones(len(fac))
    if not (np.isfinite(cap).all() and (cap >= 0).all()):
        msg = "every capacity must be a finite number >= 0"
        raise ParameterError(msg)
    return cap


def fairness(
    build: Build,
    *,
    category: str,
    profile: str | None = None,
    rings_km: tuple[float, ...] = DEFAULT_RADII_KM,
) -> pd.DataFrame:
    """Per municipality and for the whole build: Gini, Palma, tenth gap, shares beyond rings.

    Of the road distance from every person (origin or village) to the nearest facility of
    ``category``; the build's row has ``municipality`` ``all``.
    """
    profile = build.pick_profile(profile)
    problem = SitingProblem(build, demand_of(build), _no_candidates(), category=category,
                            profile=profile)  # fmt: skip
    d = problem.demand
    frame = pd.DataFrame({"municipality": d.municipality, "distance_m": problem.current(),
                          "weight": np.where(problem.demand_ok, d.weight, 0.0)})  # fmt: skip
    per = fairness_table(frame, value="distance_m", weight="weight", by=["municipality"],
                         rings_km=rings_km)  # fmt: skip
    whole = fairness_table(frame, value="distance_m", weight="weight", rings_km=rings_km)
    whole = whole.rename(columns={"group": "municipality"})
    out = pd.concat([per, whole], ignore_index=True)
    out.insert(1, "category", category)
    out.insert(2, "profile", profile)
    out["unit"] = d.unit
    return out
