"""Village x category x profile indicators, municipality aggregates, CBS-style wide table.

Column names are a contract (consumers depend on them); see the README's column table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessibility.crs import to_metric
from accessibility.defaults import DEFAULT_MAX_SNAP_M, DEFAULT_RADII_KM
from accessibility.facilities import CategoryRules
from accessibility.network import Network
from accessibility.routing import Router, router_for
from accessibility.snapping import Snapped, snap_points

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
    for profile, net in networks.items():
        placed = _Placed.on(net, villages, facilities, max_snap_m=max_snap_m)
        reports.append(SnapReport(profile, placed.sf.snap_distance_m, placed.sf.ok))
        cbs = pd.DataFrame(index=villages.index)
        for cat in rules.names:
            frames.append(_category_frame(placed, villages, facilities, rules, cat, radii_km, cbs))
        cbs_counts[profile] = cbs
    cols = indicator_columns(radii_km)
    table = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    for r in radii_km:
        table[count_column(r)] = table[count_column(r)].astype("Int64")
    return table, cbs_counts, reports


@dataclass(frozen=True, eq=False)
class _Placed:
    """Villages and facilities snapped to one profile's network and placed on its router."""

    router: Router
    sv: Snapped
    sf: Snapped
    village_nodes: np.ndarray
    facility_nodes: np.ndarray

    @classmethod
    def on(cls, net: Network, villages: pd.DataFrame, facilities: pd.DataFrame, *,
           max_snap_m: float) -> _Placed:  # fmt: skip
        vx, vy = to_metric(villages["lon"].to_numpy(), villages["lat"].to_numpy(), net.crs)
        fx, fy = to_metric(facilities["lon"].to_numpy(), facilities["lat"].to_numpy(), net.crs)
        sv = snap_points(net, vx, vy, max_snap_m=max_snap_m)
        sf = snap_points(net, fx, fy, max_snap_m=max_snap_m)
        router = router_for(net, [sv, sf], batch=True)
        return cls(router, sv, sf, router.nodes(0, len(sv)), router.nodes(1, len(sf)))


def _category_frame(placed: _Placed, villages: pd.DataFrame, facilities: pd.DataFrame,
                    rules: CategoryRules, cat: str, radii_km: tuple[float, ...],
                    cbs: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Compute the rows of one category and profile; fill the category's CBS count columns."""
    usable = (facilities["category"] == cat).to_numpy() & placed.sf.ok
    out = pd.DataFrame({
        "village_id": villages["village_id"].to_numpy(),
        "village_name": villages["village_name"].to_numpy(),
        "municipality": villages["municipality"].to_numpy(),
        "population": villages["population"].to_numpy(),
        "category": cat,
        "profile": placed.router.profile,
    })  # fmt: skip
    fac_ids = facilities["facility_id"].to_numpy()
    for w, (dist_col, near_col) in _NEAREST_COLUMNS.items():
        out[dist_col], out[near_col] = _nearest(placed, placed.facility_nodes[usable], fac_ids, w)
    # counts within radii (network distance): the router searches from the smaller side
    spec = rules.categories[cat]
    cat_radii = sorted(set(radii_km) | set(spec.cbs_radii_km))
    counts = _counts(placed.router, placed.village_nodes, placed.facility_nodes[usable],
                     placed.sv.ok, cat_radii)  # fmt: skip
    for r in radii_km:
        out[count_column(r)] = counts[r]
    if spec.cbs:
        for r in spec.cbs_radii_km:
            cbs[f"AV{r:g}_{spec.cbs}"] = counts[r]
    out["snap_distance_m"] = placed.sv.snap_distance_m
    out["reason"] = _reasons(out["distance_m"].to_numpy(), usable.any(), placed.sv.ok)
    return out


#: weight -> (cost column, nearest facility column)
_NEAREST_COLUMNS = {
    "length_m": ("distance_m", "nearest_by_distance_id"),
    "travel_time_s": ("travel_time_s", "nearest_by_time_id"),
}


def _nearest(placed: _Placed, sources: np.ndarray, fac_ids: np.ndarray,
             weight: str) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Cost from each village to its nearest source (NaN: none), and that facility's id."""
    d, s = placed.router.nearest_source(sources, weight=weight)
    dv = d[placed.village_nodes]
    sv = s[placed.village_nodes]
    fidx = np.where(sv >= 0, sv - placed.router.offsets[1], -1)
    return (np.where(np.isfinite(dv), dv, np.nan),
            np.where(fidx >= 0, fac_ids[np.maximum(fidx, 0)], None))  # fmt: skip


def _reasons(distance_m: np.ndarray, any_facility: bool, on_network: np.ndarray) -> np.ndarray:
    """Why a distance is null: not_on_network, no_facility or unreachable (None: it is not)."""
    reason = np.full(len(distance_m), None, dtype=object)
    reason[np.isnan(distance_m)] = REASON_UNREACHABLE
    if not any_facility:
        reason[:] = REASON_NO_FACILITY
    reason[~on_network] = REASON_NOT_ON_NETWORK
    return reason


def _counts(
    router: Router, vn: np.ndarray, fac_nodes: np.ndarray, v_ok: np.ndarray, radii_km: list[float]
) -> dict[float, pd.array]:
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
    d = router.one_to_many(vn[ok_idx], fac_nodes, weight="length_m", limit=limit)
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
