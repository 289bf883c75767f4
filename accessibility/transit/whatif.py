"""What-if for public transport: remove a route or a stop, or add a simple line.

A change edits the build's timetable (its connections), then the villages' figures are
computed again for one category and compared with the build's: which villages lose or gain,
by how much (median over the departure window), and who falls beyond a threshold.

An added line is SYNTHETIC: a route along given points (existing stops or new ones), a
vehicle every ``headway_min`` from ``first`` to ``last``, running at ``speed_kph`` over the
straight line between stops times :data:`DETOUR` (no timetable exists for it). Its trips,
route and new stops say ``synthetic`` in their ids and names, and so does the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from accessibility.errors import ParameterError
from accessibility.transit.feed import Timetable
from accessibility.transit.model import TransitModel

#: road length over straight-line length of an added line (rural roads, as 1.3 is common)
DETOUR = 1.3
#: speed of an added line's vehicles, stops included (km/h): a regional bus
DEFAULT_LINE_SPEED_KPH = 30.0
SYNTHETIC = "synthetic"
_EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class NewLine:
    """A simple synthetic line: stops (existing ids or ``(lon, lat)``), headway, service hours."""

    stops: tuple[str | tuple[float, float], ...]
    headway_min: float
    first: dt.time = dt.time(6, 0)
    last: dt.time = dt.time(20, 0)
    speed_kph: float = DEFAULT_LINE_SPEED_KPH
    name: str = "new line"
    both_ways: bool = True

    def __post_init__(self) -> None:
        if len(self.stops) < 2:  # noqa: PLR2004 - a line joins two stops at least
            msg = "a new line needs at least two stops"
            raise ParameterError(msg)
        for name in ("headway_min", "speed_kph"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                msg = f"{name} of a new line must be a positive number, got {v!r}"
                raise ParameterError(msg)
        if self.last <= self.first:
            msg = f"a new line's last departure {self.last} must be after its first {self.first}"
            raise ParameterError(msg)


@dataclass(frozen=True)
class TransitChange:
    """Routes and stops taken out, lines added (any of them may be empty)."""

    remove_routes: tuple[str, ...] = ()
    remove_stops: tuple[str, ...] = ()
    add_lines: tuple[NewLine, ...] = field(default_factory=tuple)

    @property
    def synthetic(self) -> bool:
        """True when the change adds a (synthetic) line."""
        return bool(self.add_lines)


def apply_change(tt: Timetable, change: TransitChange) -> Timetable:
    """Return the timetable with the change applied (the input is not modified).

    Raises
    ------
    ParameterError
        For a route or stop the timetable does not have (the message lists some that it has).
    """
    keep = np.ones(tt.n_connections, bool)
    if change.remove_routes:
        rows = _route_rows(tt, change.remove_routes)
        keep &= ~np.isin(tt.conn_route(), rows)
    if change.remove_stops:
        stops = _stop_rows(tt, change.remove_stops)
        keep &= ~(np.isin(tt.conn_from, stops) | np.isin(tt.conn_to, stops))
    out = _subset(tt, keep)
    for line in change.add_lines:
        out = _add_line(out, line)
    return out


def _route_rows(tt: Timetable, names: Sequence[str]) -> np.ndarray:
    r = tt.routes
    rows = []
    for name in names:
        hit = np.flatnonzero((r["route_id"].astype(str) == name)
                             | (r["route_short_name"].astype(str) == name))  # fmt: skip
        if len(hit) == 0:
            known = ", ".join(sorted(set(r["route_short_name"].astype(str)))[:12])
            msg = f"unknown route {name!r}; the timetable has (short names) {known}"
            raise ParameterError(msg)
        rows.extend(hit.tolist())
    return np.asarray(rows)


def _stop_rows(tt: Timetable, ids: Sequence[str]) -> np.ndarray:
    index = pd.Index(tt.stops["stop_id"].astype(str))
    rows = index.get_indexer(list(ids))
    if (rows < 0).any():
        bad = [i for i, r in zip(ids, rows, strict=True) if r < 0]
        msg = (f"unknown stop id(s) {', '.join(map(repr, bad[:5]))}; GET /transit/stops "
               "lists the stops")  # fmt: skip
        raise ParameterError(msg)
    return rows


def _subset(tt: Timetable, keep: np.ndarray) -> Timetable:
    return Timetable(
        date=tt.date, stops=tt.stops, routes=tt.routes, trips=tt.trips,
        conn_dep=tt.conn_dep[keep], conn_arr=tt.conn_arr[keep], conn_from=tt.conn_from[keep],
        conn_to=tt.conn_to[keep], conn_trip=tt.conn_trip[keep], warnings=tt.warnings,
        feeds=tt.feeds,
    )  # fmt: skip


def _add_line(tt: Timetable, line: NewLine) -> Timetable:
    """Add the line's stops (new ones at their coordinates), route, trips and connections."""
    stops = tt.stops
    rows, lon, lat = [], [], []
    new = []
    for k, s in enumerate(line.stops):
        if isinstance(s, str):
            r = int(_stop_rows(tt, [s])[0])
            rows.append(r)
            lon.append(float(stops["lon"].iloc[r]))
            lat.append(float(stops["lat"].iloc[r]))
        else:
            rows.append(len(stops) + len(new))
            lon.append(float(s[0]))
            lat.append(float(s[1]))
            new.append({"stop_id": f"{SYNTHETIC}:{line.name}:{k + 1}",
                        "stop_name": f"{line.name} stop {k + 1} ({SYNTHETIC})",
                        "lon": float(s[0]), "lat": float(s[1]), "feed": SYNTHETIC})  # fmt: skip
    stops = pd.concat([stops, pd.DataFrame(new)], ignore_index=True) if new else stops
    route = len(tt.routes)
    routes = pd.concat([tt.routes, pd.DataFrame([{
        "route_id": f"{SYNTHETIC}:{line.name}", "route_short_name": line.name,
        "route_long_name": f"{line.name} ({SYNTHETIC})", "route_type": "3",
        "feed": SYNTHETIC}])], ignore_index=True)  # fmt: skip
    hop = _hop_seconds(np.asarray(lon), np.asarray(lat), line.speed_kph)
    order = [np.asarray(rows)] + ([np.asarray(rows[::-1])] if line.both_ways else [])
    hops = [hop] + ([hop[::-1]] if line.both_ways else [])
    first = line.first.hour * 3600 + line.first.minute * 60
    last = line.last.hour * 3600 + line.last.minute * 60
    starts = np.arange(first, last + 1, line.headway_min * 60)
    trips, dep, arr, fr, to, trip = [], [], [], [], [], []
    n_trips = len(tt.trips)
    for way, (seq, h) in enumerate(zip(order, hops, strict=True)):
        t_at = np.concatenate([[0.0], np.cumsum(h)])
        for s0 in starts:
            tid = n_trips + len(trips)
            trips.append({"trip_id": f"{SYNTHETIC}:{line.name}:{way}:{int(s0)}",
                          "route": route, "day": 0, "feed": SYNTHETIC})  # fmt: skip
            dep.append(s0 + t_at[:-1])
            arr.append(s0 + t_at[1:])
            fr.append(seq[:-1])
            to.append(seq[1:])
            trip.append(np.full(len(seq) - 1, tid))
    all_trips = pd.concat([tt.trips, pd.DataFrame(trips)], ignore_index=True)
    all_trips = all_trips.astype({"route": np.int32, "day": np.int32})
    cd = np.concatenate([tt.conn_dep, *[np.round(d) for d in dep]]).astype(np.int32)
    ca = np.concatenate([tt.conn_arr, *[np.round(a) for a in arr]]).astype(np.int32)
    cf = np.concatenate([tt.conn_from, *fr]).astype(np.int32)
    ct = np.concatenate([tt.conn_to, *to]).astype(np.int32)
    cr = np.concatenate([tt.conn_trip, *trip]).astype(np.int32)
    o = np.lexsort((ca, cd))
    return Timetable(date=tt.date, stops=stops, routes=routes, trips=all_trips,
                     conn_dep=cd[o], conn_arr=ca[o], conn_from=cf[o], conn_to=ct[o],
                     conn_trip=cr[o], warnings=tt.warnings,
                     feeds=(*tt.feeds, SYNTHETIC))  # fmt: skip


def _hop_seconds(lon: np.ndarray, lat: np.ndarray, speed_kph: float) -> np.ndarray:
    """Seconds between consecutive points: great-circle metres x DETOUR at ``speed_kph``."""
    p1, p2 = np.radians(lat[:-1]), np.radians(lat[1:])
    dl = np.radians(lon[1:] - lon[:-1])
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    metres = 2 * _EARTH_M * np.arcsin(np.sqrt(a))
    return np.maximum(metres * DETOUR / (speed_kph / 3.6), 60.0)


@dataclass(frozen=True, eq=False)
class TransitComparison:
    """Per village: the median travel time before and after a change (seconds)."""

    table: pd.DataFrame
    synthetic: bool


def compare_change(
    model: TransitModel,
    change: TransitChange,
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    start_s: float,
    threshold_min: float | None = None,
    before_s: np.ndarray | None = None,
) -> TransitComparison:
    """Figures of one category's facilities before and after ``change``, per village.

    ``facilities``: those of one category. ``threshold_min``: also say who crosses it.
    ``before_s``: the villages' medians as the build has them (NaN: none); computed when
    not given.
    """
    after_model = TransitModel.build(apply_change(model.timetable, change), model.walk,
                                     model.settings)  # fmt: skip
    lon, lat = villages["lon"].to_numpy(float), villages["lat"].to_numpy(float)
    flon, flat = facilities["lon"].to_numpy(float), facilities["lat"].to_numpy(float)
    if before_s is None:
        before_s = model.times_to_nearest(lon, lat, flon, flat, start_s=start_s).median_s
    after = after_model.times_to_nearest(lon, lat, flon, flat, start_s=start_s)
    table = _table(villages, np.asarray(before_s, dtype=float), after.median_s, threshold_min)
    return TransitComparison(table, change.synthetic)


def _table(villages, before: np.ndarray, after: np.ndarray, threshold_min) -> pd.DataFrame:
    df = villages[["village_id", "village_name", "municipality", "population"]].copy()
    df["median_before_s"] = before
    df["median_after_s"] = after
    b = np.where(np.isnan(before), np.inf, before)
    a = np.where(np.isnan(after), np.inf, after)
    both = np.isfinite(a) & np.isfinite(b)
    df["change_s"] = np.subtract(a, b, out=np.full(len(a), np.nan), where=both)
    df["effect"] = np.select([a > b + 0.5, a < b - 0.5], ["loses", "gains"], "same")
    df["lost_service"] = np.isfinite(b) & ~np.isfinite(a)
    df["new_service"] = ~np.isfinite(b) & np.isfinite(a)
    if threshold_min is not None:
        lim = threshold_min * 60
        df["falls_beyond"] = (b <= lim) & (a > lim)
        df["comes_within"] = (b > lim) & (a <= lim)
    return df
