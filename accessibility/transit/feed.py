"""Read GTFS feeds into the connections of one service day (what the transit router scans).

A feed is a zip or a folder with ``stops.txt``, ``routes.txt``, ``trips.txt``,
``stop_times.txt`` and ``calendar.txt`` and/or ``calendar_dates.txt``. Times are local
service-day times and may pass 24:00 (``25:10:00`` is 01:10 the next morning): a trip of the
day before that runs past midnight is kept, shifted by a day, and so is a trip of the next day
when the window passes midnight.

What cannot be used is either one clear error (a file missing, no service on the date, no
stop with coordinates) or counted in :attr:`Timetable.warnings` and left out (a stop without
coordinates, a stop time without a time, ``frequencies.txt`` rows).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd

from accessibility.errors import TransitFeedError

REQUIRED = ("stops.txt", "routes.txt", "trips.txt", "stop_times.txt")
CALENDARS = ("calendar.txt", "calendar_dates.txt")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_S = 86_400


@dataclass(frozen=True, eq=False)
class Timetable:
    """The elementary connections (one vehicle, stop to next stop) of a time range.

    Times are seconds after midnight of ``date`` (local time of the feed). ``conn_*`` arrays
    are sorted by departure; ``conn_trip`` indexes ``trips`` (a trip of another day is its own
    row, ``day`` -1 or 1), ``conn_from``/``conn_to`` index ``stops``.
    """

    date: dt.date
    stops: pd.DataFrame  # stop_id, stop_name, lon, lat, feed
    routes: pd.DataFrame  # route_id, route_short_name, route_long_name, route_type, feed
    trips: pd.DataFrame  # trip_id, route (row of routes), day, feed
    conn_dep: np.ndarray
    conn_arr: np.ndarray
    conn_from: np.ndarray
    conn_to: np.ndarray
    conn_trip: np.ndarray
    warnings: dict[str, int] = field(default_factory=dict)
    feeds: tuple[str, ...] = ()

    @property
    def n_stops(self) -> int:
        """Stops (platforms) with coordinates."""
        return len(self.stops)

    @property
    def n_connections(self) -> int:
        """Elementary connections in the time range."""
        return len(self.conn_dep)

    def conn_route(self) -> np.ndarray:
        """Route row of every connection."""
        return self.trips["route"].to_numpy()[self.conn_trip]

    def save(self, path: Path) -> None:
        """Write the timetable as one compressed ``.npz`` (tables as columns)."""
        arrays = {
            "date": np.array([self.date.isoformat()]),
            "feeds": np.array(self.feeds or ("",)),
            "conn": np.stack(
                [self.conn_dep, self.conn_arr, self.conn_from, self.conn_to, self.conn_trip]
            ).astype(np.int32),
            "warn_keys": np.array(list(self.warnings) or [""]),
            "warn_values": np.array(list(self.warnings.values()) or [0], dtype=np.int64),
        }
        for name, df in (("stops", self.stops), ("routes", self.routes), ("trips", self.trips)):
            for col in df.columns:
                values = df[col].to_numpy()
                arrays[f"{name}__{col}"] = values.astype(str) if values.dtype == object else values
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> Timetable:
        """Read a timetable written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            tables: dict[str, dict[str, np.ndarray]] = {"stops": {}, "routes": {}, "trips": {}}
            for key in z.files:
                if "__" in key:
                    name, col = key.split("__", 1)
                    tables[name][col] = z[key]
            conn = z["conn"]
            warnings = {str(k): int(v) for k, v in zip(z["warn_keys"], z["warn_values"],
                                                       strict=True) if str(k)}  # fmt: skip
            return cls(
                date=dt.date.fromisoformat(str(z["date"][0])),
                stops=pd.DataFrame(tables["stops"]),
                routes=pd.DataFrame(tables["routes"]),
                trips=pd.DataFrame(tables["trips"]),
                conn_dep=conn[0], conn_arr=conn[1], conn_from=conn[2], conn_to=conn[3],
                conn_trip=conn[4], warnings=warnings,
                feeds=tuple(str(f) for f in z["feeds"] if str(f)),
            )  # fmt: skip


def read_feeds(
    paths: Sequence[str | Path], date: dt.date, *, start_s: int, end_s: int
) -> Timetable:
    """Read one or more GTFS feeds: the connections departing in ``[start_s, end_s]``.

    Raises
    ------
    TransitFeedError
        A feed that is missing, not a zip or folder, lacks a required file, has no stop
        with coordinates, or has no service on ``date``; or no connection in the range.
    """
    parts = [_read_one(Path(p), i, date, start_s, end_s, tag=_tag(Path(p), i, paths))
             for i, p in enumerate(paths)]  # fmt: skip
    if not parts:
        msg = "no GTFS feed given"
        raise TransitFeedError(msg)
    return _merge(parts, date, start_s, end_s)


def check_feeds(paths: Sequence[str | Path], date: dt.date) -> None:
    """Refuse, before any other work, a feed that lacks a file or has no service on ``date``."""
    for p in paths:
        with _Files(Path(p)) as files:
            if active_services(files, date):
                continue
            first, last = service_range(files)
            msg = (f"GTFS feed {p}: no service on {date.isoformat()} (its calendar runs from "
                   f"{first} to {last}); choose a --departure date inside it")  # fmt: skip
            raise TransitFeedError(msg)


def _tag(p: Path, i: int, paths: Sequence[str | Path]) -> str:
    stem = p.name.removesuffix(".zip").removesuffix(".gtfs")
    names = [Path(q).name for q in paths]
    return stem if names.count(p.name) == 1 else f"{stem}-{i + 1}"


@dataclass
class _Part:
    tag: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    conns: pd.DataFrame
    warnings: dict[str, int]


class _Files:
    """The text files of a feed, from a zip or a folder."""

    def __init__(self, p: Path) -> None:
        self.path = p
        if not p.exists():
            msg = f"GTFS feed {p}: not found"
            raise TransitFeedError(msg)
        if p.is_dir():
            self.names = {q.name for q in p.iterdir() if q.is_file()}
            self.zip = None
        elif zipfile.is_zipfile(p):
            self.zip = zipfile.ZipFile(p)
            # feeds zipped with their folder: files one level down
            self.names = {Path(n).name for n in self.zip.namelist() if not n.endswith("/")}
            self.members = {Path(n).name: n for n in self.zip.namelist() if not n.endswith("/")}
        else:
            msg = f"GTFS feed {p}: neither a zip file nor a folder"
            raise TransitFeedError(msg)
        missing = [n for n in REQUIRED if n not in self.names]
        if not any(n in self.names for n in CALENDARS):
            missing.append(" or ".join(CALENDARS))
        if missing:
            msg = f"GTFS feed {p}: missing {', '.join(missing)}"
            raise TransitFeedError(msg)

    def __enter__(self) -> _Files:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.zip is not None:
            self.zip.close()

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str, columns: Sequence[str], required: Sequence[str] = ()) -> pd.DataFrame:
        if not self.has(name):
            return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
        raw = (self.zip.read(self.members[name]) if self.zip is not None
               else (self.path / name).read_bytes())  # fmt: skip
        try:
            df = pd.read_csv(BytesIO(raw), dtype=str, keep_default_na=False,
                             encoding="utf-8-sig", skipinitialspace=True)  # fmt: skip
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            msg = f"GTFS feed {self.path}: {name} cannot be read as CSV ({exc})"
            raise TransitFeedError(msg) from exc
        df.columns = [c.strip() for c in df.columns]
        lacking = [c for c in required if c not in df.columns]
        if lacking:
            msg = f"GTFS feed {self.path}: {name} lacks the column(s) {', '.join(lacking)}"
            raise TransitFeedError(msg)
        for c in columns:
            if c not in df.columns:
                df[c] = ""
        return df[list(columns)]


def parse_times(values: pd.Series) -> np.ndarray:
    """Seconds after midnight of ``H:MM:SS`` texts (hours may pass 24); -1 where empty/bad."""
    parts = values.str.strip().str.split(":", expand=True)
    if parts.shape[1] != len(("h", "m", "s")):
        return np.full(len(values), -1, dtype=np.int64)
    nums = parts.apply(pd.to_numeric, errors="coerce")
    secs = nums[0] * 3600 + nums[1] * 60 + nums[2]
    return secs.fillna(-1).astype(np.int64).to_numpy()


def active_services(files: _Files, day: dt.date) -> set[str]:
    """Service ids running on ``day`` (calendar.txt weekdays and dates, calendar_dates.txt)."""
    cal = files.read("calendar.txt", ("service_id", *WEEKDAYS, "start_date", "end_date"))
    stamp = day.strftime("%Y%m%d")
    wd = WEEKDAYS[day.weekday()]
    on = cal[(cal[wd].str.strip() == "1") & (cal["start_date"] <= stamp)
             & (cal["end_date"] >= stamp)]  # fmt: skip
    active = set(on["service_id"])
    dates = files.read("calendar_dates.txt", ("service_id", "date", "exception_type"))
    today = dates[dates["date"].str.strip() == stamp]
    active |= set(today.loc[today["exception_type"].str.strip() == "1", "service_id"])
    active -= set(today.loc[today["exception_type"].str.strip() == "2", "service_id"])
    return active


def service_range(files: _Files) -> tuple[str, str]:
    """First and last date the feed's calendars mention (YYYY-MM-DD), for error messages."""
    cal = files.read("calendar.txt", ("start_date", "end_date"))
    dates = files.read("calendar_dates.txt", ("date", "exception_type"))
    added = dates.loc[dates["exception_type"].str.strip() == "1", "date"]
    days = sorted(d for d in [*cal["start_date"], *cal["end_date"], *added] if d.strip())
    if not days:
        return ("none", "none")
    return tuple(f"{d[:4]}-{d[4:6]}-{d[6:8]}" for d in (days[0], days[-1]))  # type: ignore[return-value]


def _read_one(p: Path, index: int, date: dt.date, start_s: int, end_s: int, *, tag: str) -> _Part:
    with _Files(p) as files:
        return _read_files(files, p, date, start_s, end_s, tag=tag)


def _read_files(files: _Files, p: Path, date: dt.date, start_s: int, end_s: int, *,
                tag: str) -> _Part:  # fmt: skip
    warnings: dict[str, int] = {}
    stops = _stops(files, warnings)
    routes = files.read("routes.txt", ("route_id", "route_short_name", "route_long_name",
                                       "route_type"), required=("route_id",))  # fmt: skip
    trips_all = files.read("trips.txt", ("route_id", "service_id", "trip_id"),
                           required=("route_id", "service_id", "trip_id"))  # fmt: skip
    check_feeds([p], date)
    days = {d: active_services(files, date + dt.timedelta(days=d)) for d in (-1, 0, 1)}
    if files.has("frequencies.txt"):
        warnings["frequencies_rows_ignored"] = len(files.read("frequencies.txt", ("trip_id",)))
    st = files.read("stop_times.txt", ("trip_id", "arrival_time", "departure_time", "stop_id",
                                       "stop_sequence"),
                    required=("trip_id", "stop_id", "stop_sequence"))  # fmt: skip
    conns, trips = _connections(st, trips_all, stops, days, start_s, end_s, warnings)
    routes = routes.assign(feed=tag)
    trips["route"] = pd.Index(routes["route_id"]).get_indexer(trips["route_id"])
    trips = trips.assign(feed=tag)
    return _Part(tag, stops.assign(feed=tag), routes, trips, conns, warnings)


def _stops(files: _Files, warnings: dict[str, int]) -> pd.DataFrame:
    raw = files.read("stops.txt", ("stop_id", "stop_name", "stop_lat", "stop_lon",
                                   "location_type"), required=("stop_id",))  # fmt: skip
    kind = raw["location_type"].str.strip()
    raw = raw[kind.isin(["", "0"])]  # stops and platforms; stations are only their parents
    lat = pd.to_numeric(raw["stop_lat"], errors="coerce")
    lon = pd.to_numeric(raw["stop_lon"], errors="coerce")
    ok = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
    if (~ok).any():
        warnings["stops_without_coordinates"] = int((~ok).sum())
    if not ok.any():
        msg = f"GTFS feed {files.path}: no stop has coordinates (stop_lat, stop_lon)"
        raise TransitFeedError(msg)
    return pd.DataFrame({"stop_id": raw["stop_id"][ok].to_numpy(),
                         "stop_name": raw["stop_name"][ok].to_numpy(),
                         "lon": lon[ok].to_numpy(float),
                         "lat": lat[ok].to_numpy(float)})  # fmt: skip


def _connections(st, trips_all, stops, days, start_s, end_s, warnings):
    """Consecutive timed stops of every running trip -> connections within the range."""
    st = st.assign(dep=parse_times(st["departure_time"]), arr=parse_times(st["arrival_time"]))
    st["dep"] = np.where(st["dep"] < 0, st["arr"], st["dep"])
    st["arr"] = np.where(st["arr"] < 0, st["dep"], st["arr"])
    untimed = st["dep"] < 0
    stop_row = pd.Index(stops["stop_id"]).get_indexer(st["stop_id"])
    unknown = (stop_row < 0) & ~untimed
    if untimed.any():
        warnings["stop_times_without_time"] = int(untimed.sum())
    if unknown.any():
        warnings["stop_times_at_stops_without_coordinates"] = int(unknown.sum())
    st = st.assign(stop=stop_row, seq=pd.to_numeric(st["stop_sequence"], errors="coerce"))
    st = st[~untimed & ~unknown].sort_values(["trip_id", "seq"], kind="stable")
    frames, trip_rows = [], []
    for day, services in days.items():
        run = trips_all[trips_all["service_id"].isin(services)]
        if run.empty:
            continue
        sub = st[st["trip_id"].isin(run["trip_id"])]
        trip = sub["trip_id"].to_numpy()
        same = trip[:-1] == trip[1:]
        shift = day * DAY_S
        c = pd.DataFrame({"trip_id": trip[:-1][same],
                          "dep": sub["dep"].to_numpy()[:-1][same] + shift,
                          "arr": sub["arr"].to_numpy()[1:][same] + shift,
                          "from": sub["stop"].to_numpy()[:-1][same],
                          "to": sub["stop"].to_numpy()[1:][same]})  # fmt: skip
        c = c[(c["dep"] >= start_s) & (c["dep"] <= end_s) & (c["arr"] >= c["dep"])]
        c["day"] = day
        frames.append(c)
        trip_rows.append(run.assign(day=day)[["trip_id", "route_id", "day"]])
    conns = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["trip_id", "dep", "arr", "from", "to", "day"])  # fmt: skip
    trips = pd.concat(trip_rows, ignore_index=True) if trip_rows else pd.DataFrame(
        columns=["trip_id", "route_id", "day"])  # fmt: skip
    key = pd.MultiIndex.from_frame(trips[["trip_id", "day"]])
    used = key.get_indexer(pd.MultiIndex.from_frame(conns[["trip_id", "day"]]))
    keep = np.unique(used)
    trips = trips.iloc[keep].reset_index(drop=True)
    conns = conns.assign(trip=np.searchsorted(keep, used))
    return conns, trips


def _merge(parts: list[_Part], date: dt.date, start_s: int, end_s: int) -> Timetable:
    stop_off = np.cumsum([0, *[len(p.stops) for p in parts]])
    route_off = np.cumsum([0, *[len(p.routes) for p in parts]])
    trip_off = np.cumsum([0, *[len(p.trips) for p in parts]])
    conns = pd.concat([p.conns.assign(**{"from": p.conns["from"] + stop_off[i],
                                         "to": p.conns["to"] + stop_off[i],
                                         "trip": p.conns["trip"] + trip_off[i]})
                       for i, p in enumerate(parts)], ignore_index=True)  # fmt: skip
    if conns.empty:
        msg = (f"the GTFS feed(s) have no departure between {_clock(start_s)} and "
               f"{_clock(end_s)} on {date.isoformat()}")  # fmt: skip
        raise TransitFeedError(msg)
    conns = conns.sort_values(["dep", "arr"], kind="stable")
    trips = pd.concat([p.trips.assign(route=p.trips["route"] + route_off[i])
                       for i, p in enumerate(parts)], ignore_index=True)  # fmt: skip
    warnings: dict[str, int] = {}
    for p in parts:
        for k, v in p.warnings.items():
            warnings[k] = warnings.get(k, 0) + v
    i32 = np.int32
    return Timetable(
        date=date,
        stops=pd.concat([p.stops for p in parts], ignore_index=True),
        routes=pd.concat([p.routes for p in parts], ignore_index=True),
        trips=trips[["trip_id", "route", "day", "feed"]].astype({"route": i32, "day": i32}),
        conn_dep=conns["dep"].to_numpy(i32), conn_arr=conns["arr"].to_numpy(i32),
        conn_from=conns["from"].to_numpy(i32), conn_to=conns["to"].to_numpy(i32),
        conn_trip=conns["trip"].to_numpy(i32), warnings=warnings,
        feeds=tuple(p.tag for p in parts),
    )  # fmt: skip


def _clock(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"
