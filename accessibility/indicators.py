"""Village x category x profile indicators, municipality aggregates, CBS-style wide table.

Column names are a contract (consumers depend on them); see the README's column table.
With origins (every address, see :mod:`accessibility.origins`), the same compiled searches
also give every origin its values, which an :class:`OriginSink` (the per-person figures of
:mod:`accessibility.residents`) takes category by category.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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


@dataclass(frozen=True, eq=False)
class OriginValues:
    """What one category and profile gives every origin (NaN / -1 where none).

    ``counts[:, k]`` is the number of facilities within ``rings_km[k]`` by road.
    """

    profile: str
    category: str
    distance_m: np.ndarray
    travel_time_s: np.ndarray
    nearest_by_distance: np.ndarray  # facility row index, -1 none
    rings_km: tuple[float, ...]
    counts: np.ndarray
    on_network: np.ndarray
    any_facility: bool


class OriginSink(Protocol):
    """Takes the values of every origin, category after category (see OriginValues)."""

    lon: np.ndarray
    lat: np.ndarray

    def add(self, values: OriginValues) -> None:
        """Take the values of one category and profile."""


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
    origins: OriginSink | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], list[SnapReport]]:
    """Compute the long indicators table (and hand every origin its values).

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
    origins
        Where people live: placed on every network with the villages and facilities, so
        each search serves both; ``origins.add`` gets each category's values.

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
        placed = _Placed.on(net, villages, facilities, origins, max_snap_m=max_snap_m)
        reports.append(SnapReport(profile, placed.sf.snap_distance_m, placed.sf.ok))
        cbs = pd.DataFrame(index=villages.index)
        for cat in rules.names:
            frames.append(_category_frame(placed, villages, facilities, rules, cat, radii_km, cbs))
            if origins is not None:
                origins.add(_origin_values(placed, facilities, rules, cat, radii_km))
        cbs_counts[profile] = cbs
    cols = indicator_columns(radii_km)
    table = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    for r in radii_km:
        table[count_column(r)] = table[count_column(r)].astype("Int64")
    return table, cbs_counts, reports


@dataclass(frozen=True, eq=False)
class _Placed:
    """Villages, facilities (and origins) snapped to one profile's network, on its router.

    The nearest-facility search of a category runs once per weight and is kept
    (:meth:`nearest`), and its counts within the rings run once for villages and origins
    together (:meth:`counts`), so that both read their values from the same searches.
    """

    router: Router
    sv: Snapped
    sf: Snapped
    so: Snapped | None
    village_nodes: np.ndarray
    facility_nodes: np.ndarray
    origin_nodes: np.ndarray
    searches: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
    counted: dict[tuple[str, tuple[float, ...]], np.ndarray]
    no_facility: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]

    @classmethod
    def on(cls, net: Network, villages: pd.DataFrame, facilities: pd.DataFrame,
           origins: OriginSink | None, *, max_snap_m: float) -> _Placed:  # fmt: skip
        sv = _snap(net, villages["lon"].to_numpy(), villages["lat"].to_numpy(), max_snap_m)
        sf = _snap(net, facilities["lon"].to_numpy(), facilities["lat"].to_numpy(), max_snap_m)
        groups = [sv, sf]
        so = None
        if origins is not None:
            so = _snap(net, origins.lon, origins.lat, max_snap_m)
            groups.append(so)
        router = router_for(net, groups, batch=True)
        nodes = [router.nodes(k, len(g)) for k, g in enumerate(groups)]
        on = nodes[2] if so is not None else np.zeros(0, dtype=np.int64)
        return cls(router, sv, sf, so, nodes[0], nodes[1], on, {}, {}, {})

    def nearest(self, category: str, usable: np.ndarray, weight: str):
        """Every node's cost to its nearest usable facility and which facility (row, -1)."""
        if not usable.any():  # no search: one shared answer for every such category
            key = ("", weight)
            if key not in self.no_facility:
                n = self.router.n_nodes
                self.no_facility[key] = (np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
            return self.no_facility[key]
        key = (category, weight)
        if key not in self.searches:
            self.searches.clear()  # one category at a time: keep memory flat
            for w in _NEAREST_COLUMNS:
                d, s = self.router.nearest_source(self.facility_nodes[usable], weight=w)
                self.searches[(category, w)] = (d, np.where(s >= 0, s - self.router.offsets[1], -1))
        return self.searches[key]

    def counts(self, category: str, usable: np.ndarray,
               rings_km: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Usable facilities within each ring of every village and origin (0 off-network).

        One search pass for villages and origins together (``villages x rings``,
        ``origins x rings``).
        """
        key = (category, rings_km)
        if key not in self.counted:
            self.counted.clear()
            points = np.concatenate([self.village_nodes, self.origin_nodes])
            ok = np.concatenate([self.sv.ok, self.so.ok if self.so is not None else []])
            ok = ok.astype(bool)
            out = np.zeros((len(points), len(rings_km)), dtype=np.int64)
            facilities = self.facility_nodes[usable]
            if len(facilities) and len(rings_km) and ok.any():
                out[ok] = self.router.counts_within(
                    points[ok], facilities, weight="length_m",
                    limits=[r * 1000.0 for r in rings_km],
                )  # fmt: skip
            self.counted[key] = out
        out = self.counted[key]
        nv = len(self.village_nodes)
        return out[:nv], out[nv:]


def _rings(rules: CategoryRules, cat: str, radii_km: tuple[float, ...]) -> tuple[float, ...]:
    """Return the rings a category is counted in: the build's radii and its CBS rings."""
    return tuple(sorted(set(radii_km) | set(rules.categories[cat].cbs_radii_km)))


def _snap(net: Network, lon: np.ndarray, lat: np.ndarray, max_snap_m: float) -> Snapped:
    x, y = to_metric(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), net.crs)
    return snap_points(net, x, y, max_snap_m=max_snap_m)


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
        d, fidx = placed.nearest(cat, usable, w)
        dv, fv = d[placed.village_nodes], fidx[placed.village_nodes]
        out[dist_col] = np.where(np.isfinite(dv), dv, np.nan)
        out[near_col] = _ids(fac_ids, fv)
    # counts within radii (network distance): the router searches from the smaller side
    spec = rules.categories[cat]
    rings = _rings(rules, cat, radii_km)
    counts = _nullable_counts(placed.counts(cat, usable, rings)[0], placed.sv.ok, rings)
    for r in radii_km:
        out[count_column(r)] = counts[r]
    if spec.cbs:
        for r in spec.cbs_radii_km:
            cbs[f"AV{r:g}_{spec.cbs}"] = counts[r]
    out["snap_distance_m"] = placed.sv.snap_distance_m
    out["reason"] = null_reasons(out["distance_m"].to_numpy(), usable.any(), placed.sv.ok)
    return out


#: weight -> (cost column, nearest facility column)
_NEAREST_COLUMNS = {
    "length_m": ("distance_m", "nearest_by_distance_id"),
    "travel_time_s": ("travel_time_s", "nearest_by_time_id"),
}


def _origin_values(placed: _Placed, facilities: pd.DataFrame, rules: CategoryRules, cat: str,
                   radii_km: tuple[float, ...]) -> OriginValues:  # fmt: skip
    """Every origin's values of one category, read from the category's searches."""
    usable = (facilities["category"] == cat).to_numpy() & placed.sf.ok
    on = placed.origin_nodes
    ok = placed.so.ok
    dist, near = placed.nearest(cat, usable, "length_m")
    time, _ = placed.nearest(cat, usable, "travel_time_s")
    rings = _rings(rules, cat, radii_km)
    counts = placed.counts(cat, usable, rings)[1]
    d, t = dist[on], time[on]
    return OriginValues(
        profile=placed.router.profile, category=cat,
        distance_m=np.where(np.isfinite(d), d, np.nan),
        travel_time_s=np.where(np.isfinite(t), t, np.nan),
        nearest_by_distance=near[on], rings_km=rings, counts=counts, on_network=ok,
        any_facility=bool(usable.any()),
    )  # fmt: skip


def _ids(ids: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``ids[index]``, None where ``index`` is -1 (also when there are no ids at all)."""
    out = np.full(len(index), None, dtype=object)
    ok = index >= 0
    out[ok] = ids[index[ok]]
    return out


def null_reasons(distance_m: np.ndarray, any_facility: bool, on_network: np.ndarray) -> np.ndarray:
    """Why a distance is null: not_on_network, no_facility or unreachable (None: it is not)."""
    reason = np.full(len(distance_m), None, dtype=object)
    reason[np.isnan(distance_m)] = REASON_UNREACHABLE
    if not any_facility:
        reason[:] = REASON_NO_FACILITY
    reason[~on_network] = REASON_NOT_ON_NETWORK
    return reason


def _nullable_counts(counts: np.ndarray, on_network: np.ndarray,
                     rings_km: tuple[float, ...]) -> dict[float, pd.array]:  # fmt: skip
    """Turn the village counts per ring into nullable ints (null off the network)."""
    res = {}
    for k, r in enumerate(rings_km):
        arr = pd.array(counts[:, k], dtype="Int64")
        arr[~on_network] = pd.NA
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
