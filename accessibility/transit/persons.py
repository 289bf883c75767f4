"""Public transport and "without a car" over persons (builds with origins and a feed).

Every origin (address, building or raster cell) gets its own public transport figure (the
median over the departure window, walking from the origin itself) and its fastest way
without a car (the best of its walk, bike and transit times). Per village (and
buitengebied) and municipality: the share of the weight (persons; dwellings where the
origins have no residents) within 30/45/60 minutes without a car, the share with no public
transport in the window, and the weighted median of the transit medians (an origin without
a trip counts as beyond every time).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from accessibility.defaults import DEFAULT_NO_CAR_MINUTES
from accessibility.facilities import CategoryRules
from accessibility.transit.figures import within_column
from accessibility.transit.model import TransitModel

NO_CAR_PROFILES = ("walk", "bike")


def origin_no_car(figures, model: TransitModel, facilities: pd.DataFrame, category: str, *,
                  start_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:  # fmt: skip
    """Per origin: the transit median, the fastest time without a car (s), and ``served``.

    ``served`` is None for a category without any facility (nobody reaches one).
    """
    fac = facilities[facilities["category"] == category]
    t = model.times_to_nearest(figures.lon, figures.lat, fac["lon"].to_numpy(float),
                               fac["lat"].to_numpy(float), start_s=start_s)  # fmt: skip
    best = np.where(np.isnan(t.median_s), np.inf, t.median_s)
    for prof in NO_CAR_PROFILES:
        other = figures.times(category, prof)
        if other is not None:
            best = np.fmin(best, np.where(np.isnan(other), np.inf, other))
    return t.median_s, np.where(np.isfinite(best), best, np.nan), (t.served if len(fac) else None)


def persons_table(
    figures,
    model: TransitModel,
    facilities: pd.DataFrame,
    rules: CategoryRules,
    *,
    start_s: float,
    minutes: Sequence[float] = DEFAULT_NO_CAR_MINUTES,
) -> pd.DataFrame:
    """Per level (village, municipality), group and category: the figures over persons."""
    a = figures.assigned
    v = a.villages
    mun = pd.Series(v["municipality"]).fillna("(outside municipalities)").astype(str)
    mun_names, mun_of_village = np.unique(mun, return_inverse=True)
    ids, names = v["village_id"].to_numpy(), v["village_name"].to_numpy()
    levels = [("village", a.village_index, ids, names),
              ("municipality", mun_of_village[a.village_index], mun_names, mun_names)]  # fmt: skip
    frames = []
    for cat in rules.categories:
        median, no_car, served = origin_no_car(figures, model, facilities, cat, start_s=start_s)
        for level, group, ids, names in levels:
            frames.append(_aggregate(level, group, ids, names, cat, a.weight, median, no_car,
                                     served, minutes))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _aggregate(level, group, ids, names, cat, w, median, no_car, served, minutes) -> pd.DataFrame:
    n = len(ids)
    total = np.bincount(group, weights=w, minlength=n)
    used = total > 0
    out = {"level": level, "id": ids, "name": names, "category": cat,
           "origins": np.bincount(group, minlength=n), "weight": total}  # fmt: skip
    for m in minutes:
        ok = np.nan_to_num(no_car, nan=np.inf) <= m * 60
        within = np.bincount(group, weights=w * ok, minlength=n)
        out[f"share_{within_column(m)}"] = np.divide(within, total, out=np.full(n, np.nan),
                                                     where=used)  # fmt: skip
    if served is None:  # no facility of the category: whether stops are served says nothing
        out["share_no_service"] = np.full(n, np.nan)
    else:
        no_service = np.bincount(group, weights=w * ~served, minlength=n)
        out["share_no_service"] = np.divide(no_service, total, out=np.full(n, np.nan),
                                            where=used)  # fmt: skip
    out["median_transit_s"] = _group_medians(group, n, np.nan_to_num(median, nan=np.inf), w)
    return pd.DataFrame(out)[used].reset_index(drop=True)


def _group_medians(group: np.ndarray, n: int, values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted median per group (the lower one on ties); NaN where it is beyond every time."""
    order = np.lexsort((values, group))
    g, x, ww = group[order], values[order], w[order]
    out = np.full(n, np.nan)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], len(g)]
    for s, e in zip(starts, ends, strict=True):
        cum = np.cumsum(ww[s:e])
        if cum[-1] <= 0:
            continue
        k = s + int(np.searchsorted(cum, cum[-1] / 2.0))
        out[g[s]] = x[k] if np.isfinite(x[k]) else np.nan
    return out
