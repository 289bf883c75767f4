"""Per-person figures: every origin's values aggregated over persons, as CBS computes them.

:class:`ResidentFigures` is the :class:`accessibility.indicators.OriginSink` of a build: the
indicator pass hands it every origin's distance, time and counts, category by category and
profile by profile, and it keeps only the aggregates per village and per municipality (and,
for ``addresses.parquet``, the per-origin distances asked for). A figure is the mean over
the origins' weights (persons, or dwellings for the ``addresses`` method); medians and p90
are weighted too. Unreachable origins are counted (``weight_unreachable``) and stay out of
the means; they count as beyond every ring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessibility.crs import WGS84, to_metric
from accessibility.defaults import DEFAULT_GRID_M, DEFAULT_RADII_KM
from accessibility.facilities import CategoryRules
from accessibility.indicators import OriginValues, count_column, null_reasons
from accessibility.origins import AssignedOrigins, origins_table

#: which per-origin distances ``addresses.parquet`` keeps
ADDRESS_OUTPUTS = ("none", "car", "all")
#: the profile CBS measures on (the paved car network)
CBS_PROFILE = "car"
QUANTILES = {"median": 0.5, "p90": 0.9}
#: grid rows per column in the cell key (more than any extent has cells)
_ROWS = 1 << 32
#: up to this many groups the group ids sort as 16-bit keys (radix sort)
RADIX_GROUPS = 1 << 16


def share_column(radius_km: float) -> str:
    """Name of the share-beyond column of a ring: ``share_beyond_1km``."""
    return f"share_beyond_{radius_km:g}km"


def mean_count_column(radius_km: float) -> str:
    """Name of the mean-count column of a ring: ``mean_count_1km``."""
    return f"mean_{count_column(radius_km)}"


@dataclass(eq=False)
class ResidentFigures:
    """Aggregates of every origin's values per village and municipality (see module doc).

    Parameters
    ----------
    assigned
        The origins, their villages, weights and methods.
    rules
        The categories (their CBS codes and rings, for :meth:`nabijheid`).
    radii_km
        The rings of the ``share_beyond_*`` and ``mean_count_*`` columns.
    address_outputs
        ``none``, ``car`` (the car distance per category) or ``all`` (every profile) in
        :meth:`address_table`.
    """

    assigned: AssignedOrigins
    rules: CategoryRules
    radii_km: tuple[float, ...] = DEFAULT_RADII_KM
    address_outputs: str = "car"
    #: profiles whose travel time per origin and category is kept (``times``): the "without
    #: a car" measures over persons of builds with public transport need walk and bike
    keep_times: tuple[str, ...] = ()
    _times: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    _villages: list[pd.DataFrame] = field(default_factory=list, repr=False)
    _municipalities: list[pd.DataFrame] = field(default_factory=list, repr=False)
    _cbs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    _distances: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    _level_cache: list[_Level] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.address_outputs not in ADDRESS_OUTPUTS:
            msg = f"address_outputs must be one of {ADDRESS_OUTPUTS}, got {self.address_outputs!r}"
            raise ValueError(msg)
        v = self.assigned.villages
        mun = pd.Series(v["municipality"]).fillna("(outside municipalities)")
        self._mun_names, self._mun_of_village = np.unique(mun.astype(str), return_inverse=True)

    # --- the OriginSink side ---------------------------------------------------------------------
    @property
    def lon(self) -> np.ndarray:
        """WGS84 longitude of the origins."""
        return self.assigned.origins.lon

    @property
    def lat(self) -> np.ndarray:
        """WGS84 latitude of the origins."""
        return self.assigned.origins.lat

    def add(self, values: OriginValues) -> None:
        """Aggregate one category and profile over persons; keep what the outputs need."""
        orders = _ValueOrders.of(values, self.assigned.weight)
        for lv in self._levels():
            stats = _group_figures(lv, self.assigned, values, self.radii_km, orders)
            frame = self._frame(lv.name, stats, values)
            (self._villages if lv.name == "village" else self._municipalities).append(frame)
            if values.profile == CBS_PROFILE:
                self._cbs.setdefault(lv.name, {}).update(
                    _cbs_columns(lv, stats, values, self.rules, self.assigned.weight)
                )
        if self.address_outputs == "all" or values.profile == CBS_PROFILE:
            key = (values.category, values.profile)
            self._distances[key] = values.distance_m.astype(np.float32)
        if values.profile in self.keep_times:
            self._times[(values.category, values.profile)] = values.travel_time_s.copy()

    def times(self, category: str, profile: str) -> np.ndarray | None:
        """Every origin's travel time (s) to the category by the profile, if kept (NaN: none)."""
        return self._times.get((category, profile))

    def _levels(self) -> list[_Level]:
        """Return the village and the municipality level (made on the first call, then kept)."""
        if not self._level_cache:
            village = self.assigned.village_index
            self._level_cache.extend([
                _Level.of("village", village, len(self.assigned.villages), self.assigned),
                _Level.of("municipality", self._mun_of_village[village], len(self._mun_names),
                          self.assigned),
            ])  # fmt: skip
        return self._level_cache

    def _frame(self, level: str, stats: dict[str, np.ndarray], values: OriginValues):
        if level == "village":
            v = self.assigned.villages
            head = {c: v[c].to_numpy() for c in ("village_id", "village_name", "municipality")}
        else:
            head = {"municipality": self._mun_names}
        frame = pd.DataFrame({**head, "category": values.category, "profile": values.profile,
                              **stats})  # fmt: skip
        return frame[frame["origins"] > 0]

    # --- the tables ----------------------------------------------------------------------------
    def village_table(self) -> pd.DataFrame:
        """Per village (and buitengebied), category and profile: the figures over persons."""
        return _concat(self._villages)

    def municipality_table(self) -> pd.DataFrame:
        """Per municipality, category and profile: the figures over persons (CBS's figure)."""
        return _concat(self._municipalities)

    def car_distances(self) -> dict[str, np.ndarray]:
        """Every origin's car distance (m, float32) per category (CBS's profile)."""
        return {c: d for (c, p), d in self._distances.items() if p == CBS_PROFILE}

    def address_table(self) -> gpd.GeoDataFrame:
        """Every origin with its village, weight, method and the distances asked for.

        ``<category>_distance_m`` columns (car) for ``address_outputs="car"``,
        ``<category>_<profile>_distance_m`` for ``"all"``, none for ``"none"``.
        """
        out = origins_table(self.assigned)
        if self.address_outputs == "none":
            return out
        for (category, profile), d in self._distances.items():
            if self.address_outputs == "car":
                if profile == CBS_PROFILE:
                    out[f"{category}_distance_m"] = d
            else:
                out[f"{category}_{profile}_distance_m"] = d
        return out

    def grid_table(self, *, crs: str, cell_m: float = DEFAULT_GRID_M) -> gpd.GeoDataFrame:
        """Square cells of ``cell_m`` (in ``crs``) with the origins in them (WGS84 polygons).

        Per cell: ``origins``, ``weight`` (persons; dwellings for ``addresses``), ``method``
        and, per category, ``<category>_mean_distance_m``: the weighted mean car distance
        of the cell's origins that reach one ("where the people far from a GP live").
        """
        a = self.assigned
        x, y = to_metric(a.origins.lon, a.origins.lat, crs)
        col, row = np.floor(x / cell_m).astype(np.int64), np.floor(y / cell_m).astype(np.int64)
        lo = row.min(initial=0)
        keys, group = np.unique(col * _ROWS + (row - lo), return_inverse=True)  # 1-D: fast
        cells = np.column_stack([keys // _ROWS, keys % _ROWS + lo])
        group = group.ravel()
        n = len(cells)
        out = {
            "cell_id": [f"{c}_{r}" for c, r in cells],
            "origins": np.bincount(group, minlength=n),
            "weight": np.bincount(group, weights=a.weight, minlength=n),
            "method": _group_method(group, n, a.method),
        }
        for category, d in self.car_distances().items():
            dd = d.astype(float)
            out[f"{category}_mean_distance_m"] = _mean(group, n, a.weight, dd, np.isfinite(dd))
        boxes = shapely.box(cells[:, 0] * cell_m, cells[:, 1] * cell_m,
                            (cells[:, 0] + 1) * cell_m, (cells[:, 1] + 1) * cell_m)  # fmt: skip
        grid = gpd.GeoDataFrame(out, geometry=boxes, crs=crs).to_crs(WGS84)
        grid.attrs["cell_m"] = cell_m
        return grid

    def nabijheid(self, level: str) -> pd.DataFrame:
        """CBS Nabijheid columns over persons (car): ``AF_<code>`` km, ``AV<r>_<code>``.

        ``level`` is ``village`` or ``municipality``; ``AF`` is the mean road distance over
        persons in km with one decimal, as CBS publishes it, ``AV<r>`` the mean number of
        facilities within r km.
        """
        cols = self._cbs.get(level, {})
        a = self.assigned
        if level == "village":
            v = a.villages
            head = v[["village_id", "village_name", "municipality"]].reset_index(drop=True)
            group = a.village_index
        else:
            head = pd.DataFrame({"municipality": self._mun_names})
            group = self._mun_of_village[a.village_index]
        head["method"] = _group_method(group, len(head), a.method)
        head["weight"] = np.bincount(group, weights=a.weight, minlength=len(head))
        out = pd.concat([head, pd.DataFrame(cols, index=head.index)], axis=1)
        return out[out["method"].notna()].reset_index(drop=True)


def as_long_table(persons: pd.DataFrame, place: pd.DataFrame | None = None) -> pd.DataFrame:
    """Figures over persons in the long table's columns, for code written for the latter.

    ``distance_m``/``travel_time_s`` are the means over persons and ``population`` the
    persons (the weight for the ``addresses`` method); ``method`` says which. Villages in
    ``place`` (the long place-point table) that have no origins keep their rows there
    (``method=place_point``).
    """
    out = pd.DataFrame({
        "village_id": persons["village_id"], "village_name": persons["village_name"],
        "municipality": persons["municipality"],
        "population": persons["persons"].fillna(persons["weight"]),
        "category": persons["category"], "profile": persons["profile"],
        "distance_m": persons["mean_distance_m"], "travel_time_s": persons["mean_travel_time_s"],
        "nearest_by_distance_id": None, "reason": persons["reason"], "method": persons["method"],
    })  # fmt: skip
    if place is None:
        return out
    rest = place[~place["village_id"].isin(out["village_id"])].assign(method="place_point")
    return pd.concat([out, rest[[c for c in out.columns if c in rest.columns]]],
                     ignore_index=True)  # fmt: skip


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _cbs_columns(lv: _Level, stats: dict[str, np.ndarray], values: OriginValues,
                 rules: CategoryRules, w: np.ndarray) -> dict[str, np.ndarray]:  # fmt: skip
    """``AF_<code>`` (km, 1 decimal) and ``AV<r>_<code>`` over persons, for one category.

    From the level's figures (``stats``) where they hold the ring; a CBS ring that is not
    one of the build's radii is counted here.
    """
    spec = rules.categories[values.category]
    if not spec.cbs:
        return {}
    out = {f"AF_{spec.cbs}": np.round(stats["mean_distance_m"] / 1000.0, 1)}
    for r in spec.cbs_radii_km:
        mean = stats.get(mean_count_column(r))
        if mean is None:
            k = values.rings_km.index(float(r))
            counts = np.bincount(lv.group, weights=w * values.counts[:, k], minlength=lv.n)
            mean = _div(counts, lv.fixed["weight"])
        out[f"AV{r:g}_{spec.cbs}"] = np.round(mean, 1)
    return out


# --- weighted statistics per group, vectorised -----------------------------------------------
def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)


def _mean(group: np.ndarray, n: int, w: np.ndarray, x: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Weighted mean of ``x`` per group over the rows ``ok`` (NaN where no weight)."""
    num = np.bincount(group[ok], weights=(w * x)[ok], minlength=n)
    return _div(num, np.bincount(group[ok], weights=w[ok], minlength=n))


def weighted_quantiles(
    group: np.ndarray, n: int, w: np.ndarray, x: np.ndarray, qs: Sequence[float]
) -> np.ndarray:
    """Weighted quantiles of ``x`` per group (``len(qs) x n``; NaN where no weight).

    The q-quantile is the smallest value whose cumulative weight reaches q of the group's
    weight (rows with NaN ``x`` are left out).
    """
    rows = np.flatnonzero(np.isfinite(x) & (w > 0))
    order = _by_group(_sort_key(group, n), _by_value(x, rows))
    return _sorted_quantiles(group[order], n, w[order], x[order], qs)


def _sort_key(group: np.ndarray, n: int) -> np.ndarray:
    """Return the group ids as 16-bit keys where they fit (numpy radix-sorts those: O(n))."""
    return group.astype(np.uint16) if n <= RADIX_GROUPS else group


def _by_value(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``rows`` ordered by ``x`` (stable: ties keep their row order)."""
    return rows[np.argsort(x[rows], kind="stable")]


def _by_group(key: np.ndarray, by_value: np.ndarray) -> np.ndarray:
    """Rows ordered by ``(group, x)`` from their order by ``x`` (stable).

    The same order as ``rows[np.lexsort((x[rows], group[rows]))]``, in one radix sort of the
    group keys instead of a lexsort (the order by value is shared by every level).
    """
    return by_value[np.argsort(key[by_value], kind="stable")]


def _sorted_quantiles(g: np.ndarray, n: int, wt: np.ndarray, v: np.ndarray,
                      qs: Sequence[float]) -> np.ndarray:  # fmt: skip
    """Weighted quantiles of rows sorted by ``(group, value)`` (see weighted_quantiles)."""
    out = np.full((len(qs), n), np.nan)
    if len(g) == 0:
        return out
    cum = np.cumsum(wt)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ends = np.r_[starts[1:], len(g)] - 1
    ids = g[starts]
    before = np.r_[0.0, cum[:-1]][starts]
    total = cum[ends] - before
    for k, q in enumerate(qs):
        pos = np.searchsorted(cum, before + q * total - 1e-9 * total, side="left")
        out[k, ids] = v[np.clip(pos, starts, ends)]
    return out


@dataclass(frozen=True, eq=False)
class _Level:
    """One level of the figures (villages or municipalities).

    Every origin's group, and the columns that do not depend on the category, computed once
    instead of per category and profile.
    """

    name: str
    group: np.ndarray
    n: int
    key: np.ndarray
    fixed: dict[str, np.ndarray]
    empty: dict[tuple[float, ...], dict[str, np.ndarray]]

    @classmethod
    def of(cls, name: str, group: np.ndarray, n: int, assigned: AssignedOrigins) -> _Level:
        w = assigned.weight
        people = assigned.method != "addresses"
        persons = np.bincount(group[people], weights=w[people], minlength=n)
        fixed = {
            "method": _group_method(group, n, assigned.method),
            "origins": np.bincount(group, minlength=n),
            "dwellings": np.bincount(group, weights=assigned.origins.dwellings, minlength=n),
            "persons": np.where(persons > 0, persons, np.nan),
            "weight": np.bincount(group, weights=w, minlength=n),
        }
        return cls(name, group, n, _sort_key(group, n), fixed, {})

    def no_facility(self, radii_km: Sequence[float]) -> dict[str, np.ndarray]:
        """Return the columns of a category without any facility (the same for all: kept)."""
        key = tuple(radii_km)
        if key not in self.empty:
            weight = self.fixed["weight"]
            nan = np.full(self.n, np.nan)
            out = {**self.fixed, "weight_unreachable": weight.copy(), "mean_distance_m": nan}
            for name in QUANTILES:
                out[f"{name}_distance_m"] = nan
            out["max_distance_m"] = nan
            out["mean_travel_time_s"] = nan
            for name in QUANTILES:
                out[f"{name}_travel_time_s"] = nan
            for r in radii_km:
                out[share_column(r)] = _div(weight, weight)  # everyone beyond every ring
                out[mean_count_column(r)] = _div(np.zeros(self.n), weight)
            out["worst_origin_id"] = np.full(self.n, None, dtype=object)
            out["worst_distance_m"] = nan
            out["reason"] = np.full(self.n, "no_facility", dtype=object)
            self.empty[key] = out
        return self.empty[key]


@dataclass(frozen=True, eq=False)
class _ValueOrders:
    """The origins of one category ordered by distance and by time (shared by the levels)."""

    distance: np.ndarray  # reachable origins by distance
    time: np.ndarray  # origins with a time and a weight, by time

    @classmethod
    def of(cls, values: OriginValues, w: np.ndarray) -> _ValueOrders:
        d, t = values.distance_m, values.travel_time_s
        return cls(_by_value(d, np.flatnonzero(np.isfinite(d))),
                   _by_value(t, np.flatnonzero(np.isfinite(t) & (w > 0))))  # fmt: skip


def _group_figures(lv: _Level, assigned: AssignedOrigins, values: OriginValues,
                   radii_km: Sequence[float],
                   orders: _ValueOrders) -> dict[str, np.ndarray]:  # fmt: skip
    """Compute the columns of one category and profile per group (village, municipality)."""
    if not values.any_facility:
        return lv.no_facility(radii_km)
    group, n = lv.group, lv.n
    w = assigned.weight
    d, t = values.distance_m, values.travel_time_s
    reach = np.isfinite(d)
    weight = lv.fixed["weight"]
    out: dict[str, np.ndarray] = {
        **lv.fixed,
        "weight_unreachable": np.bincount(group[~reach], weights=w[~reach], minlength=n),
        "mean_distance_m": _mean(group, n, w, d, reach),
    }
    by_d = _by_group(lv.key, orders.distance)  # reachable, by (group, distance)
    by_dw = by_d[w[by_d] > 0]
    qd = _sorted_quantiles(group[by_dw], n, w[by_dw], d[by_dw], list(QUANTILES.values()))
    for k, name in enumerate(QUANTILES):
        out[f"{name}_distance_m"] = qd[k]
    worst = _worst(group, n, assigned.origins.origin_id, d, by_d)
    out["max_distance_m"] = worst["worst_distance_m"].copy()  # the worst is the farthest
    out["mean_travel_time_s"] = _mean(group, n, w, t, np.isfinite(t))
    by_t = _by_group(lv.key, orders.time)
    qt = _sorted_quantiles(group[by_t], n, w[by_t], t[by_t], list(QUANTILES.values()))
    for k, name in enumerate(QUANTILES):
        out[f"{name}_travel_time_s"] = qt[k]
    for r in radii_km:
        beyond = ~reach | (d > r * 1000.0)
        out[share_column(r)] = _div(np.bincount(group[beyond], weights=w[beyond], minlength=n),
                                    weight)  # fmt: skip
        k = values.rings_km.index(float(r))
        out[mean_count_column(r)] = _div(
            np.bincount(group, weights=w * values.counts[:, k], minlength=n), weight
        )
    out.update(worst)
    out["reason"] = _group_reason(out, values)
    return out


def _group_method(group: np.ndarray, n: int, method: np.ndarray) -> np.ndarray:
    """Return the weighting method of each group, ``mixed`` when its origins differ."""
    out = np.full(n, None, dtype=object)
    codes, inverse = np.unique(method.astype(str), return_inverse=True)
    seen = np.zeros((n, len(codes)), dtype=bool)
    seen[group, inverse] = True
    one = seen.sum(axis=1) == 1
    out[one] = codes[seen[one].argmax(axis=1)]
    out[seen.sum(axis=1) > 1] = "mixed"
    return out


def _worst(group: np.ndarray, n: int, ids: np.ndarray, d: np.ndarray,
           by_d: np.ndarray) -> dict[str, np.ndarray]:  # fmt: skip
    """Find the origin farthest from a facility in each group (reachable origins only).

    ``by_d``: the reachable origins ordered by ``(group, distance)``, ties in row order; the
    last of each group is its worst (the last of equally far ones, as a stable sort leaves
    them).
    """
    worst_id = np.full(n, None, dtype=object)
    worst_d = np.full(n, np.nan)
    if len(by_d):
        g = group[by_d]
        last = np.r_[g[1:] != g[:-1], True]
        pick = by_d[last]
        worst_id[group[pick]] = ids[pick]
        worst_d[group[pick]] = d[pick]
    return {"worst_origin_id": worst_id, "worst_distance_m": worst_d}


def _group_reason(figures: dict[str, np.ndarray], values: OriginValues) -> np.ndarray:
    """Why a mean is null: ``no_facility``, ``unreachable`` (None when it is not)."""
    mean = figures["mean_distance_m"]
    return null_reasons(mean, values.any_facility, np.ones(len(mean), dtype=bool))
