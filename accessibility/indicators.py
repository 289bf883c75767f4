"""Village x category x profile indicators, municipality aggregates, CBS-style wide table.

Column names are a contract (consumers depend on them); see the README's column table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessibility.crs import to_metric
from accessibility.defaults import DEFAULT_MAX_SNAP_M, DEFAULT_RADII_KM
from accessibility.engine import augment, costs_within, nearest_source
from accessibility.facilities import CategoryRules
from accessibility.network import Network
from accessibility.snapping import snap_points

REASON_NOT_ON_NETWORK = "not_on_network"
REASON_NO_FACILITY = "no_facility"
REASON_UNREACHABLE = "unreachable"


def count_column(radius_km: float) -> str:
    """Name of the count column for a radius: ``count_1km``, ``count_2.5km``."""
    return f"count_{radius_km:g}km"


def indicator_columns(radii_km: Sequence[float] = DEFAULT_RADII_KM) -> list[str]:
    """Columns of the long indicators table, in order."""
    return [
        "village_id",
        "village_name",
        "municipality",
        "population",
        "category",
        "profile",
        "distance_m",
        "travel_time_s",
        "nearest_by_distance_id",
        "nearest_by_time_id",
        *[count_column(r) for r in radii_km],
        "snap_distance_m",
        "reason",
    ]


@dataclass(frozen=True)
class SnapReport:
    """Per profile: how facilities snapped (for the facilities table and the manifest)."""

    profile: str
    facility_snap_distance_m: np.ndarray
    facility_ok: np.ndarray


def village_indicators(
    networks: dict[str, Network],
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    rules: CategoryRules,
    *,
    radii_km: Sequence[float] = DEFAULT_RADII_KM,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    on_step: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], list[SnapReport]]:
    """Compute the long indicators table.

    Parameters
    ----------
    networks
        One network per profile.
    villages
        ``village_id, village_name, municipality, population, lon, lat``.
    facilities
        ``facility_id, category, name, source, lon, lat``.
    rules
        Category definitions; every category is reported, with ``no_facility`` where the
        input has none.
    radii_km
        Radii for the ``count_<r>km`` columns (network distance).
    max_snap_m
        Villages farther than this from any road of a profile get ``not_on_network``;
        facilities farther are left out of that profile (counted in the snap report).
    on_step
        Called once per profile and category (progress bars).

    Returns
    -------
    indicators, cbs_counts, snap_reports
        ``cbs_counts[profile]`` holds counts at each category's CBS radii (for the
        Nabijheid table), columns ``AV<r>_<code>``.
    """
    radii_km = tuple(float(r) for r in radii_km)
    frames = []
    cbs_counts: dict[str, pd.DataFrame] = {}
    reports = []
    nv = len(villages)
    for profile, net in networks.items():
        vx, vy = to_metric(villages["lon"].to_numpy(), villages["lat"].to_numpy(), net.crs)
        fx, fy = to_metric(facilities["lon"].to_numpy(), facilities["lat"].to_numpy(), net.crs)
        sv = snap_points(net, vx, vy, max_snap_m=max_snap_m)
        sf = snap_points(net, fx, fy, max_snap_m=max_snap_m)
        reports.append(SnapReport(profile, sf.snap_distance_m, sf.ok))
        g = augment(net, [sv, sf])
        vn = g.nodes(0, nv)
        fn = g.nodes(1, len(facilities))
        fac_ids = facilities["facility_id"].to_numpy()
        cbs = pd.DataFrame(index=villages.index)
        for cat in rules.names:
            if on_step is not None:
                on_step(f"{profile}/{cat}")
            in_cat = (facilities["category"] == cat).to_numpy()
            usable = in_cat & sf.ok
            out = pd.DataFrame(
                {
                    "village_id": villages["village_id"].to_numpy(),
                    "village_name": villages["village_name"].to_numpy(),
                    "municipality": villages["municipality"].to_numpy(),
                    "population": villages["population"].to_numpy(),
                    "category": cat,
                    "profile": profile,
                }
            )
            dist = {}
            near = {}
            for w in ("length_m", "travel_time_s"):
                d, s = nearest_source(g.reverse[w], fn[usable])
                dv = d[vn]
                sv_ = s[vn]
                fidx = np.where(sv_ >= 0, sv_ - g.offsets[1], -1)
                dist[w] = np.where(np.isfinite(dv), dv, np.nan)
                near[w] = np.where(fidx >= 0, fac_ids[np.maximum(fidx, 0)], None)
            out["distance_m"] = dist["length_m"]
            out["travel_time_s"] = dist["travel_time_s"]
            out["nearest_by_distance_id"] = near["length_m"]
            out["nearest_by_time_id"] = near["travel_time_s"]
            # counts within radii (network distance): search from the smaller side
            cat_radii = sorted(set(radii_km) | set(rules.categories[cat].cbs_radii_km))
            counts = _counts(g, vn, fn[usable], sv.ok, cat_radii)
            for r in radii_km:
                out[count_column(r)] = counts[r]
            code = rules.categories[cat].cbs
            if code:
                for r in rules.categories[cat].cbs_radii_km:
                    cbs[f"AV{r:g}_{code}"] = counts[r]
            out["snap_distance_m"] = sv.snap_distance_m
            reason = np.full(nv, None, dtype=object)
            reason[np.isnan(out["distance_m"].to_numpy())] = REASON_UNREACHABLE
            if not usable.any():
                reason[:] = REASON_NO_FACILITY
            reason[~sv.ok] = REASON_NOT_ON_NETWORK
            out["reason"] = reason
            frames.append(out)
        cbs_counts[profile] = cbs
    cols = indicator_columns(radii_km)
    table = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    for r in radii_km:
        table[count_column(r)] = table[count_column(r)].astype("Int64")
    return table, cbs_counts, reports


def _counts(g, vn, fac_nodes, v_ok, radii_km) -> dict[float, pd.array]:
    """Facilities within each radius of each village (nullable ints; null off-network)."""
    nv = len(vn)
    res = {}
    if len(fac_nodes) == 0 or not radii_km:
        for r in radii_km:
            arr = pd.array(np.zeros(nv, dtype=np.int64), dtype="Int64")
            arr[~v_ok] = pd.NA
            res[r] = arr
        return res
    limit = max(radii_km) * 1000.0
    ok_idx = np.flatnonzero(v_ok)
    if len(ok_idx) <= len(fac_nodes):
        d = costs_within(g.forward["length_m"], vn[ok_idx], fac_nodes, limit=limit)
    else:
        d = costs_within(g.reverse["length_m"], fac_nodes, vn[ok_idx], limit=limit).T
    for r in radii_km:
        c = np.zeros(nv, dtype=np.int64)
        c[ok_idx] = (d <= r * 1000.0).sum(axis=1)
        arr = pd.array(c, dtype="Int64")
        arr[~v_ok] = pd.NA
        res[r] = arr
    return res


def municipality_indicators(
    indicators: pd.DataFrame, *, radii_km: Sequence[float] = DEFAULT_RADII_KM
) -> pd.DataFrame:
    """Aggregate the long table per municipality, category and profile.

    Population-weighted mean distance and time over villages with a known population and
    a reachable facility (``weighting="population"``); where no village of the group has a
    population, the plain mean (``weighting="unweighted"``). Shares of population beyond
    each radius count unreachable villages as beyond. The worst village is the one with the
    largest distance (unreachable first).
    """
    rows = []
    df = indicators.copy()
    df["municipality"] = df["municipality"].fillna("(outside municipalities)")
    for (mun, cat, prof), grp in df.groupby(
        ["municipality", "category", "profile"], sort=True, dropna=False
    ):
        pop = grp["population"].to_numpy(dtype=float)
        dist = grp["distance_m"].to_numpy(dtype=float)
        tt = grp["travel_time_s"].to_numpy(dtype=float)
        known = np.isfinite(pop) & (pop > 0)
        reach = np.isfinite(dist)
        weighted = known.any()
        w = np.where(known, pop, 0.0) if weighted else np.ones(len(grp))
        m = reach & (w > 0)
        mean_d = float(np.average(dist[m], weights=w[m])) if m.any() else np.nan
        mean_t = float(np.average(tt[m], weights=w[m])) if m.any() else np.nan
        row = {
            "municipality": mun,
            "category": cat,
            "profile": prof,
            "villages": len(grp),
            "population": float(pop[known].sum()) if weighted else np.nan,
            "weighting": "population" if weighted else "unweighted",
            "mean_distance_m": mean_d,
            "mean_travel_time_s": mean_t,
            "villages_unreachable": int((~reach).sum()),
        }
        total_w = w.sum()
        for r in radii_km:
            beyond = ~reach | (dist > r * 1000.0)
            row[f"share_beyond_{r:g}km"] = float(w[beyond].sum() / total_w) if total_w else np.nan
        key = np.where(reach, dist, np.inf)
        worst = int(np.argmax(key)) if len(key) else 0
        row["worst_village_id"] = grp["village_id"].iloc[worst]
        row["worst_village_name"] = grp["village_name"].iloc[worst]
        row["worst_distance_m"] = dist[worst] if reach[worst] else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def cbs_nabijheid_table(
    indicators: pd.DataFrame,
    cbs_counts: dict[str, pd.DataFrame],
    villages: pd.DataFrame,
    rules: CategoryRules,
    *,
    profile: str = "car",
) -> pd.DataFrame:
    """Wide table with CBS Nabijheid column names, from car distances.

    ``AF_<code>``: road distance in km with one decimal, as CBS publishes it;
    ``AV<r>_<code>``: number of facilities within r km by road.
    """
    out = villages[["village_id", "village_name", "municipality", "population"]].copy()
    sub = indicators[indicators["profile"] == profile]
    counts = cbs_counts.get(profile)
    for name, cat in rules.categories.items():
        if not cat.cbs:
            continue
        s = sub[sub["category"] == name].set_index("village_id")["distance_m"]
        out[f"AF_{cat.cbs}"] = (out["village_id"].map(s) / 1000.0).round(1).to_numpy()
        if counts is not None:
            for r in cat.cbs_radii_km:
                col = f"AV{r:g}_{cat.cbs}"
                if col in counts.columns:
                    out[col] = counts[col].to_numpy()
    return out
