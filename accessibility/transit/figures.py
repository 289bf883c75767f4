"""Per village and municipality: public transport times and the "without a car" measures.

For every village and category, :func:`transit_table` gives the travel time by public
transport (walk + timetable) to the nearest facility over the departure window: median, p90
and best, the transfers and walking of the fastest trip, and why a value is missing.

:func:`no_car_table` then compares modes per village: the fastest way without a car (walk,
bike or public transport: the best of the three), whether it is within 30/45/60 minutes, and
the ratio of the public transport time to the car time (the "VF-waarde" of Dutch mobility
dashboards: 1.0 is as fast as the car, 2.0 twice as long). :func:`no_car_municipalities`
shares those over the population of each municipality.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from accessibility.defaults import DEFAULT_NO_CAR_MINUTES, TRANSIT_PROFILE
from accessibility.facilities import CategoryRules
from accessibility.indicators import REASON_NO_FACILITY, count_column, indicator_columns
from accessibility.transit.model import TransitModel, TransitTimes

PROFILE = TRANSIT_PROFILE
#: modes compared for "without a car" (those built; the best of them counts)
NO_CAR_MODES = ("walk", "bike", PROFILE)
VILLAGE_KEYS = ["village_id", "village_name", "municipality", "population"]


def within_column(minutes: float) -> str:
    """Name of a "without a car within m minutes" column: ``no_car_within_30min``."""
    return f"no_car_within_{minutes:g}min"


def transit_table(
    model: TransitModel,
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    rules: CategoryRules,
    *,
    start_s: float,
) -> pd.DataFrame:
    """Village x category: public transport times over the window (seconds)."""
    frames = []
    for cat in rules.categories:
        fac = facilities[facilities["category"] == cat]
        t = model.times_to_nearest(villages["lon"].to_numpy(float),
                                   villages["lat"].to_numpy(float),
                                   fac["lon"].to_numpy(float), fac["lat"].to_numpy(float),
                                   start_s=start_s)  # fmt: skip
        frames.append(_frame(villages, cat, t, empty=fac.empty))
    return pd.concat(frames, ignore_index=True)


def _frame(villages: pd.DataFrame, cat: str, t: TransitTimes, *, empty: bool) -> pd.DataFrame:
    df = villages[VILLAGE_KEYS].reset_index(drop=True).copy()
    df["category"] = cat
    df["travel_time_median_s"] = t.median_s
    df["travel_time_p90_s"] = t.p90_s
    df["travel_time_best_s"] = t.best_s
    df["transfers"] = np.where(t.transfers >= 0, t.transfers, np.nan)
    df["walk_time_s"] = t.walk_s
    df["uses_transit"] = t.uses_transit
    df["served"] = t.served
    reason = t.reason.copy()
    if empty:
        reason = np.where(reason == "not_on_network", reason, REASON_NO_FACILITY)
    median_missing = np.isnan(t.median_s) & pd.isna(reason)
    # reachable at some departures but not at half of them: say so
    df["reason"] = np.where(median_missing, "unreachable_often", reason)
    df["reason"] = df["reason"].where(df["reason"].notna(), None)
    return df


def long_rows(table: pd.DataFrame, radii_km: Sequence[float]) -> pd.DataFrame:
    """Return the transit table as rows of the long indicators table (profile ``transit``).

    ``travel_time_s`` is the median over the window; distances, nearest ids and counts
    within radii do not apply (empty).
    """
    out = pd.DataFrame({c: table[c] for c in VILLAGE_KEYS})
    out["category"] = table["category"]
    out["profile"] = PROFILE
    out["distance_m"] = np.nan
    out["travel_time_s"] = table["travel_time_median_s"]
    out["nearest_by_distance_id"] = None
    out["nearest_by_time_id"] = None
    for r in radii_km:
        out[count_column(r)] = np.nan
    out["snap_distance_m"] = np.nan
    out["reason"] = table["reason"]
    return out[indicator_columns(radii_km)]


def no_car_table(
    indicators: pd.DataFrame, *, minutes: Sequence[float] = DEFAULT_NO_CAR_MINUTES
) -> pd.DataFrame:
    """Village x category: the fastest way without a car and its ratio to the car.

    Columns: ``by_walk_s``, ``by_bike_s``, ``by_transit_s`` (each mode's time, those the
    build has), ``no_car_time_s`` and ``no_car_mode`` (the fastest of them),
    ``no_car_within_<m>min`` (bool), ``car_time_s`` and ``vf_ratio`` (transit / car; NaN
    where either is missing).
    """
    keys = [*VILLAGE_KEYS, "category"]
    modes = [m for m in NO_CAR_MODES if (indicators["profile"] == m).any()]
    wide = indicators.pivot_table(index=["village_id", "category"], columns="profile",
                                  values="travel_time_s", aggfunc="first",
                                  dropna=False)  # fmt: skip
    base = indicators.drop_duplicates(["village_id", "category"])[keys].set_index(
        ["village_id", "category"])  # fmt: skip
    times = wide.reindex(columns=modes)
    out = base.join(times.rename(columns=lambda m: f"by_{m}_s"))
    best = times.min(axis=1, skipna=True)
    out["no_car_time_s"] = best
    mode = times.fillna(np.inf).idxmin(axis=1)
    out["no_car_mode"] = mode.where(best.notna(), None)
    for m in minutes:
        out[within_column(m)] = (best <= m * 60).fillna(False).astype(bool)
    car = wide["car"] if "car" in wide.columns else pd.Series(np.nan, index=wide.index)
    out["car_time_s"] = car
    transit = wide[PROFILE] if PROFILE in wide.columns else pd.Series(np.nan, index=wide.index)
    out["vf_ratio"] = (transit / car.where(car > 0)).where(transit.notna() & car.notna())
    return out.reset_index()[[*keys, *[c for c in out.columns if c not in keys]]]


def no_car_municipalities(
    table: pd.DataFrame, *, minutes: Sequence[float] = DEFAULT_NO_CAR_MINUTES
) -> pd.DataFrame:
    """Municipality x category: the share of the population within each "no car" time.

    Villages without a known population count once (``weighting`` says which). Also the
    population-weighted median VF ratio and the village where it is worst.
    """
    rows = []
    df = table.copy()
    df["municipality"] = df["municipality"].fillna("(outside municipalities)")
    for (mun, cat), g in df.groupby(["municipality", "category"], sort=True):
        pop = g["population"].to_numpy(float)
        known = np.isfinite(pop) & (pop > 0)
        w = np.where(known, pop, 0.0) if known.any() else np.ones(len(g))
        row = {"municipality": mun, "category": cat, "villages": len(g),
               "population": float(pop[known].sum()) if known.any() else np.nan,
               "weighting": "population" if known.any() else "unweighted"}  # fmt: skip
        for m in minutes:
            col = within_column(m)
            row[f"share_{col}"] = float(w[g[col].to_numpy(bool)].sum() / w.sum())
        vf = g["vf_ratio"].to_numpy(float)
        ok = np.isfinite(vf)
        row["median_vf_ratio"] = _weighted_median(vf[ok], w[ok])
        worst = int(np.argmax(np.where(ok, vf, -np.inf))) if ok.any() else None
        row["worst_vf_village_id"] = None if worst is None else g["village_id"].iloc[worst]
        row["worst_vf_village_name"] = None if worst is None else g["village_name"].iloc[worst]
        row["worst_vf_ratio"] = np.nan if worst is None else float(vf[worst])
        rows.append(row)
    return pd.DataFrame(rows)


def _weighted_median(v: np.ndarray, w: np.ndarray) -> float:
    if len(v) == 0 or w.sum() <= 0:
        return float("nan")
    order = np.argsort(v)
    cum = np.cumsum(w[order])
    return float(v[order][np.searchsorted(cum, cum[-1] / 2.0)])


def zonder_auto_wide(table: pd.DataFrame, transit: pd.DataFrame) -> pd.DataFrame:
    """Village-wide table with Dutch column names, as ``nabijheid.csv`` (minutes, 1 decimal).

    Per category ``c``: ``<c>_ov_mediaan_min``, ``<c>_ov_p90_min``, ``<c>_ov_overstappen``,
    ``<c>_zonder_auto_min`` (fastest of walk, bike, transit), ``<c>_vf`` (transit / car).
    """
    base = table.drop_duplicates("village_id")[VILLAGE_KEYS].set_index("village_id")
    t = transit.set_index(["village_id", "category"])
    n = table.set_index(["village_id", "category"])
    cols: dict[str, pd.Series] = {}
    for cat in dict.fromkeys(table["category"]):
        tc = t.xs(cat, level="category").reindex(base.index)
        nc = n.xs(cat, level="category").reindex(base.index)
        cols[f"{cat}_ov_mediaan_min"] = (tc["travel_time_median_s"] / 60).round(1)
        cols[f"{cat}_ov_p90_min"] = (tc["travel_time_p90_s"] / 60).round(1)
        cols[f"{cat}_ov_overstappen"] = tc["transfers"]
        cols[f"{cat}_zonder_auto_min"] = (nc["no_car_time_s"] / 60).round(1)
        cols[f"{cat}_vf"] = nc["vf_ratio"].round(2)
    return pd.concat([base, pd.DataFrame(cols, index=base.index)], axis=1).reset_index()
