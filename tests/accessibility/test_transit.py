"""Public transport: a toy feed whose answers are known by hand, bad feeds, a brute-force oracle.

The toy (times on Tuesday 2026-03-10; one street, walked at 1 m/s, so seconds = metres)::

    origin  A(0 m)          B(1000 m)          C(2000 m)   D(2300 m) = the facility
      -100 m

    R1  t1  A 08:00 -> B 08:10/08:11 -> C 08:20
        t2  A 08:30 -> B 08:40       -> C 08:50
        tn  A 23:50 -> B 24:10       -> C 24:20   (past midnight)
    R2  t3  B 08:15 -> D 08:35
        t4  B 08:45 -> D 09:05
    stop X has no coordinates (a stop time of t2 uses it); S is a station (a parent).
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import numpy as np
import pytest
from pyproj import Transformer

from accessibility.crs import RD_NEW
from accessibility.errors import TransitFeedError
from accessibility.transit.csa import (
    Connections,
    Footpaths,
    earliest_arrival,
    latest_departure,
    profiles_to_targets,
)
from accessibility.transit.feed import Timetable, read_feeds
from accessibility.transit.model import TransitModel, TransitSettings
from tests.conftest import X0, Y0, make_network

TUESDAY = dt.date(2026, 3, 10)
STOP_X = {"A": 0.0, "B": 1000.0, "C": 2000.0, "D": 2300.0}
_TO_WGS = Transformer.from_crs(RD_NEW, "EPSG:4326", always_xy=True)


def lonlat(x: float) -> tuple[float, float]:
    """WGS84 of a point ``x`` metres along the toy street."""
    return _TO_WGS.transform(X0 + x, Y0)


def hms(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def write_feed(folder, *, drop: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stops = ["stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station",
             "S,Station,,,1,"]  # fmt: skip
    for name, x in STOP_X.items():
        lon, lat = lonlat(x)
        stops.append(f"{name},Stop {name},{lat:.7f},{lon:.7f},0,")
    stops.append("X,No coordinates,,,0,")
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence",
             "t1,08:00:00,08:00:00,A,1", "t1,08:10:00,08:11:00,B,2", "t1,08:20:00,08:20:00,C,3",
             "t2,08:30:00,08:30:00,A,1", "t2,08:35:00,08:35:00,X,2",
             "t2,08:40:00,08:40:00,B,3", "t2,08:50:00,08:50:00,C,4",
             "tn,23:50:00,23:50:00,A,1", "tn,24:10:00,24:10:00,B,2", "tn,24:20:00,24:20:00,C,3",
             "t3,08:15:00,08:15:00,B,1", "t3,08:35:00,08:35:00,D,2",
             "t4,08:45:00,08:45:00,B,1", "t4,09:05:00,09:05:00,D,2",
             "t5,10:00:00,10:00:00,A,1", "t5,10:10:00,10:10:00,B,2"]  # fmt: skip
    files = {
        "agency.txt": ["agency_id,agency_name,agency_url,agency_timezone",
                       "toy,Toy,https://example.org,Europe/Amsterdam"],
        "stops.txt": stops,
        "routes.txt": ["route_id,agency_id,route_short_name,route_long_name,route_type",
                       "R1,toy,1,A-C,3", "R2,toy,2,B-D,3"],
        "trips.txt": ["route_id,service_id,trip_id", "R1,WK,t1", "R1,WK,t2", "R1,WK,tn",
                      "R2,WK,t3", "R2,WK,t4", "R1,SAT,t5"],
        "stop_times.txt": times,
        "calendar.txt": ["service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                         "start_date,end_date",
                         "WK,1,1,1,1,1,0,0,20260301,20260331"],
        "calendar_dates.txt": ["service_id,date,exception_type", "WK,20260312,2",
                               "SAT,20260314,1"],
    }  # fmt: skip
    for name, lines in files.items():
        if name != drop:
            (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def feed(tmp_path):
    write_feed(tmp_path / "toy")
    return tmp_path / "toy"


def toy_street():
    """The toy street: nodes every 100 m from -200 to 3000 m, walked at 3.6 km/h (1 m/s)."""
    xs = list(range(-200, 3001, 100))
    nodes = {i: (float(x), 0.0) for i, x in enumerate(xs)}
    edges = [(i, i + 1, True, True, 3.6) for i in range(len(xs) - 1)]
    return make_network(nodes, edges, profile="walk")


# --- reading feeds ------------------------------------------------------------------------------


def test_feed_reads_the_day_with_times_past_midnight(feed):
    tt = read_feeds([feed], TUESDAY, start_s=0, end_s=hms("30:00"))
    assert list(tt.stops["stop_id"]) == ["A", "B", "C", "D"]  # X dropped, S a station
    assert tt.warnings == {"stops_without_coordinates": 1,
                           "stop_times_at_stops_without_coordinates": 1}  # fmt: skip
    got = {(int(d), int(a)) for d, a in zip(tt.conn_dep, tt.conn_arr, strict=True)}
    assert (hms("24:10"), hms("24:20")) in got  # B -> C of the night trip, 24:10 kept as is
    assert (hms("08:30"), hms("08:40")) in got  # t2 skips X: A -> B directly
    assert (hms("10:00"), hms("10:10")) not in got  # t5 runs on Saturdays only
    assert (hms("00:10"), hms("00:20")) in got  # Monday's night trip, on Tuesday morning
    assert len(tt.conn_dep) == 2 + 2 + 2 + 1 + 1 + 1
    assert list(tt.conn_dep) == sorted(tt.conn_dep)


def test_feed_keeps_the_previous_days_trip_past_midnight(feed):
    tt = read_feeds([feed], TUESDAY + dt.timedelta(days=1), start_s=0, end_s=hms("01:00"))
    got = {(int(d), int(a)) for d, a in zip(tt.conn_dep, tt.conn_arr, strict=True)}
    assert got == {(hms("00:10"), hms("00:20"))}  # Tuesday's 24:10 -> 24:20 on Wednesday
    assert set(tt.trips["day"]) == {-1}


def test_feed_zip_equals_folder_and_round_trips(feed, tmp_path):
    z = tmp_path / "toy.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in feed.iterdir():
            zf.write(f, f"toy/{f.name}")  # zipped with its folder: still found
    a = read_feeds([feed], TUESDAY, start_s=0, end_s=hms("30:00"))
    b = read_feeds([z], TUESDAY, start_s=0, end_s=hms("30:00"))
    np.testing.assert_array_equal(a.conn_dep, b.conn_dep)
    np.testing.assert_array_equal(a.conn_to, b.conn_to)
    a.save(tmp_path / "tt.npz")
    c = Timetable.load(tmp_path / "tt.npz")
    np.testing.assert_array_equal(a.conn_trip, c.conn_trip)
    assert list(c.stops["stop_id"]) == list(a.stops["stop_id"])
    assert c.warnings == a.warnings and c.date == TUESDAY


def test_feed_errors_name_the_problem(feed, tmp_path):
    with pytest.raises(
        TransitFeedError, match=r"no service on 2026-03-12 .*2026-03-01 to 2026-03-31"
    ):
        read_feeds([feed], dt.date(2026, 3, 12), start_s=0, end_s=hms("30:00"))
    with pytest.raises(TransitFeedError, match="no service on 2025-01-07"):
        read_feeds([feed], dt.date(2025, 1, 7), start_s=0, end_s=hms("30:00"))
    with pytest.raises(TransitFeedError, match="no departure between 12:00 and 13:00"):
        read_feeds([feed], TUESDAY, start_s=hms("12:00"), end_s=hms("13:00"))
    broken = tmp_path / "broken"
    write_feed(broken, drop="stop_times.txt")
    with pytest.raises(TransitFeedError, match=r"missing stop_times\.txt"):
        read_feeds([broken], TUESDAY, start_s=0, end_s=1)
    with pytest.raises(TransitFeedError, match="not found"):
        read_feeds([tmp_path / "nope.zip"], TUESDAY, start_s=0, end_s=1)
    (tmp_path / "x.zip").write_text("not a zip")
    with pytest.raises(TransitFeedError, match="neither a zip file nor a folder"):
        read_feeds([tmp_path / "x.zip"], TUESDAY, start_s=0, end_s=1)
    nocoords = tmp_path / "nocoords"
    shutil.copytree(feed, nocoords)
    (nocoords / "stops.txt").write_text("stop_id,stop_name,stop_lat,stop_lon\nA,A,,\n")
    with pytest.raises(TransitFeedError, match="no stop has coordinates"):
        read_feeds([nocoords], TUESDAY, start_s=0, end_s=1)


# --- connection scans ---------------------------------------------------------------------------


def toy_connections(feed) -> tuple[Connections, Footpaths, Timetable]:
    tt = read_feeds([feed], TUESDAY, start_s=0, end_s=hms("30:00"))
    c = Connections(tt.conn_dep.astype(float), tt.conn_arr.astype(float),
                    tt.conn_from.astype(int), tt.conn_to.astype(int), tt.conn_trip.astype(int),
                    n_stops=tt.n_stops, n_trips=len(tt.trips))  # fmt: skip
    walks = Footpaths.from_pairs(4, np.array([2, 3]), np.array([3, 2]), np.array([300.0, 300.0]))
    return c, walks, tt


def test_earliest_arrival_by_hand(feed):
    c, walks, _ = toy_connections(feed)
    start = np.array([hms("07:55"), np.inf, np.inf, np.inf])
    arr, rides = earliest_arrival(c, walks, start, until=hms("30:00"))
    # B 08:10 by t1; C 08:20; D: t1 to C and a 5-minute walk (08:25) beats t1 + t3 (08:35)
    assert list(arr) == [hms("07:55"), hms("08:10"), hms("08:20"), hms("08:25")]
    assert list(rides) == [0, 1, 1, 1]
    by_vehicle, _ = earliest_arrival(c, walks, start, until=hms("30:00"), vehicle_only=True)
    assert by_vehicle[0] == np.inf and by_vehicle[3] == hms("08:35")  # t3 stops at D
    no_walk = Footpaths.empty(4)
    arr, rides = earliest_arrival(c, no_walk, start, until=hms("30:00"))
    assert arr[3] == hms("08:35") and rides[3] == 2  # one transfer at B
    night = np.array([hms("23:45"), np.inf, np.inf, np.inf])
    arr, _ = earliest_arrival(c, walks, night, until=hms("30:00"))
    assert arr[2] == hms("24:20")  # the trip past midnight


def test_profiles_and_latest_departure_by_hand(feed):
    c, walks, _ = toy_connections(feed)
    egress = np.array([np.inf, np.inf, 300.0, 0.0])  # the target is D, a 5-minute walk from C
    p = profiles_to_targets(c, walks, egress)

    def entries(stop):
        return [(p.dep[i], p.arr[i], p.rides[i], p.walk_s[i])
                for i in range(p.ptr[stop], p.ptr[stop + 1])]  # fmt: skip

    # from A: t1 to C and walk (08:25), t2 seated to C and walk (08:55), the night trip
    assert entries(0) == [(hms("08:00"), hms("08:25"), 1, 300.0),
                          (hms("08:30"), hms("08:55"), 1, 300.0),
                          (hms("23:50"), hms("24:25"), 1, 300.0)]  # fmt: skip
    # from B every departure is Pareto-optimal: Monday's night trip at 00:10, t1 08:11,
    # t3 08:15 (to D itself), t2, t4 and Tuesday's night trip
    assert entries(1) == [(hms("00:10"), hms("00:25"), 1, 300.0),
                          (hms("08:11"), hms("08:25"), 1, 300.0),
                          (hms("08:15"), hms("08:35"), 1, 0.0),
                          (hms("08:40"), hms("08:55"), 1, 300.0),
                          (hms("08:45"), hms("09:05"), 1, 0.0),
                          (hms("24:10"), hms("24:25"), 1, 300.0)]  # fmt: skip
    assert p.at(1, hms("08:12")) == hms("08:35")
    assert p.at(1, hms("08:41")) == hms("09:05")
    only_d = np.array([np.inf, np.inf, np.inf, 0.0])  # no walking at all
    no_walk = profiles_to_targets(c, Footpaths.empty(4), only_d)
    assert no_walk.at(0, hms("07:00")) == hms("08:35")  # t1, transfer at B to t3
    assert no_walk.rides[no_walk.ptr[0]] == 2
    # be at D by 09:00: with no walk to D counted from C only t3 is left ...
    deadline = np.array([-np.inf, -np.inf, -np.inf, hms("09:00")])
    late = latest_departure(c, walks, deadline, since=0)
    assert list(late[[0, 1, 3]]) == [hms("08:00"), hms("08:15"), hms("09:00")]
    # ... with the 5-minute walk from C (the caller gives it as C's deadline): t2 at 08:30
    deadline[2] = hms("08:55")
    late = latest_departure(c, walks, deadline, since=0)
    assert list(late) == [hms("08:30"), hms("08:40"), hms("08:55"), hms("09:00")]
    by_vehicle = latest_departure(c, walks, deadline, since=0, vehicle_only=True)
    assert list(by_vehicle) == [hms("08:30"), hms("08:40"), -np.inf, -np.inf]


# --- the transit profile on a walk network --------------------------------------------------------


def test_travel_time_over_the_window_by_hand(feed):
    tt = read_feeds([feed], TUESDAY, start_s=hms("07:00"), end_s=hms("11:00"))
    settings = TransitSettings(window_min=60, step_s=60, max_walk_min=15,
                               max_transfer_walk_min=5, max_trip_min=120)  # fmt: skip
    model = TransitModel.build(tt, toy_street(), settings)
    assert model.stops_off_network == 0
    o = lonlat(-100.0)
    f = lonlat(2300.0)
    r = model.times_to_nearest(np.array([o[0]]), np.array([o[1]]), np.array([f[0]]),
                               np.array([f[1]]), start_s=hms("07:50"))  # fmt: skip
    # by hand: 100 s to A; leave by 07:58:20 for t1 (08:25 at D), by 08:28:20 for t2 (08:55);
    # later nothing: B is 1,100 s away and D 2,400 s, beyond the 15-minute walk
    expected = []
    for k in range(60):
        t = hms("07:50") + 60 * k
        best = np.inf
        if t + 100 <= hms("08:00"):
            best = min(best, hms("08:25") - t)
        elif t + 100 <= hms("08:30"):
            best = min(best, hms("08:55") - t)
        expected.append(best)
    np.testing.assert_allclose(r.by_departure_s[0], expected, atol=0.01)  # 7-decimal stops
    srt = sorted(expected)
    assert r.median_s[0] == pytest.approx(srt[29], abs=0.01)  # the 30th of 60 departures
    assert np.isinf(srt[53]) and np.isnan(r.p90_s[0])  # 21 of 60 departures have no trip
    assert r.best_s[0] == pytest.approx(27 * 60, abs=0.01)
    assert r.transfers[0] == 0 and r.walk_s[0] == pytest.approx(400.0, abs=0.01)
    assert r.uses_transit[0] and r.served[0] and r.reason[0] is None


def test_no_service_and_off_network_reasons(feed):
    tt = read_feeds([feed], TUESDAY, start_s=hms("07:00"), end_s=hms("30:00"))
    settings = TransitSettings(window_min=30, max_walk_min=15, max_trip_min=10)
    model = TransitModel.build(tt, toy_street(), settings)
    pts = [lonlat(-100.0), (lonlat(0.0)[0], lonlat(0.0)[1] + 0.05)]  # 5 km off the street
    f = lonlat(2300.0)
    r = model.times_to_nearest(np.array([p[0] for p in pts]), np.array([p[1] for p in pts]),
                               np.array([f[0]]), np.array([f[1]]),
                               start_s=hms("12:00"))  # fmt: skip
    assert list(r.reason) == ["no_service", "not_on_network"]
    assert np.isnan(r.median_s).all() and not r.served.any()


# --- what-if ---------------------------------------------------------------------------------


def toy_model(feed, **settings):
    tt = read_feeds([feed], TUESDAY, start_s=0, end_s=hms("30:00"))
    base = {"window_min": 60, "max_walk_min": 15, "max_transfer_walk_min": 5}
    return TransitModel.build(tt, toy_street(), TransitSettings(**{**base, **settings}))


def test_removing_a_route_and_adding_a_line_by_hand(feed):
    import pandas as pd

    from accessibility.errors import ParameterError
    from accessibility.transit.whatif import NewLine, TransitChange, apply_change, compare_change

    model = toy_model(feed)
    o, f = lonlat(-100.0), lonlat(2300.0)
    villages = pd.DataFrame({"village_id": ["v"], "village_name": ["V"], "municipality": ["M"],
                             "population": [10.0], "lon": [o[0]], "lat": [o[1]]})  # fmt: skip
    fac = pd.DataFrame({"lon": [f[0]], "lat": [f[1]]})
    gone = compare_change(model, TransitChange(remove_routes=("1",)), villages, fac,
                          start_s=hms("07:50"), threshold_min=60)  # fmt: skip
    row = gone.table.iloc[0]
    assert row["lost_service"] and row["effect"] == "loses" and row["falls_beyond"]
    assert np.isnan(row["median_after_s"]) and not gone.synthetic
    # a line A -> D every 10 minutes from 07:00: 2,300 m x 1.3 at 30 km/h = 358.8 s -> 359 s
    line = NewLine(stops=("A", "D"), headway_min=10, first=dt.time(7, 0),
                   last=dt.time(10, 0), name="X1")  # fmt: skip
    tt = apply_change(model.timetable, TransitChange(add_lines=(line,)))
    assert tt.routes["route_id"].iloc[-1] == "synthetic:X1"
    assert "synthetic" in tt.feeds
    x1 = tt.conn_trip >= len(model.timetable.trips)
    hops = set((tt.conn_arr - tt.conn_dep)[x1].tolist())
    assert len(hops) == 1 and abs(hops.pop() - 358.8) <= 1  # great circle vs RD metres
    hop = int((tt.conn_arr - tt.conn_dep)[x1][0])
    added = compare_change(model, TransitChange(add_lines=(line,)), villages, fac,
                           start_s=hms("07:50"))  # fmt: skip
    assert added.synthetic
    # by hand: leave at t, 100 s to A, next departure at A (every 600 s), 359 s to D
    times = []
    for k in range(60):
        t = hms("07:50") + 60 * k
        board = -(-(t + 100 - hms("07:00")) // 600) * 600 + hms("07:00")
        best = board + hop - t
        if t + 100 <= hms("08:00"):
            best = min(best, hms("08:25") - t)
        elif t + 100 <= hms("08:30"):
            best = min(best, hms("08:55") - t)
        times.append(best)
    assert added.table["median_after_s"].iloc[0] == pytest.approx(sorted(times)[29], abs=0.5)
    assert added.table["effect"].iloc[0] == "gains"
    with pytest.raises(ParameterError, match="unknown route 'R9'"):
        apply_change(model.timetable, TransitChange(remove_routes=("R9",)))
    with pytest.raises(ParameterError, match="at least two stops"):
        NewLine(stops=("A",), headway_min=10)
    new_stop = NewLine(stops=("A", (f[0], f[1])), headway_min=30, name="X2")
    tt = apply_change(model.timetable, TransitChange(add_lines=(new_stop,)))
    assert tt.stops["stop_id"].iloc[-1] == "synthetic:X2:2" and tt.n_stops == 5


def test_change_walks_start_at_every_vehicle_stop_not_only_the_first_reached():
    """A stop first reached on foot still starts change walks when a vehicle stops there."""
    eight = hms("08:00")
    # earliest: trip 0 gets to 1 at 08:00 (walk to 2: 08:01); trip 1 stops at 2 at 08:05,
    # and only from there one may walk on to 3 (one change walk, not 1 -> 2 -> 3)
    c = Connections(np.array([eight - 600.0, eight - 300.0]), np.array([eight, eight + 300.0]),
                    np.array([0, 0]), np.array([1, 2]), np.array([0, 1]), n_stops=4,
                    n_trips=2)  # fmt: skip
    walks = Footpaths.from_pairs(4, np.array([1, 2]), np.array([2, 3]), np.array([60.0, 60.0]))
    arr, rides = earliest_arrival(c, walks, np.array([eight - 900.0, np.inf, np.inf, np.inf]),
                                  until=hms("10:00"))  # fmt: skip
    assert arr[2] == eight + 60 and arr[3] == eight + 360 and rides[3] == 1
    # latest: trip 0 leaves 1 at 08:50 (walk 2 -> 1: be at 2 by 08:49); trip 1 leaves 2 at
    # 08:40, and only to it may one walk from 0
    c = Connections(np.array([hms("08:40"), hms("08:50")]),
                    np.array([hms("08:45"), hms("08:55")]), np.array([2, 1]), np.array([3, 3]),
                    np.array([1, 0]), n_stops=4, n_trips=2)  # fmt: skip
    walks = Footpaths.from_pairs(4, np.array([2, 0]), np.array([1, 2]), np.array([60.0, 60.0]))
    late = latest_departure(c, walks, np.array([-np.inf, -np.inf, -np.inf, hms("09:00")]),
                            since=0)  # fmt: skip
    assert late[2] == hms("08:49") and late[0] == hms("08:40") - 60


def test_profiles_keep_the_trip_with_fewer_vehicles_that_arrives_as_early():
    """From stop 0: a direct vehicle at 08:11 and, a minute later, two vehicles arriving at
    the same second: one waiting at 08:10 takes the direct one (one vehicle, no transfer)."""
    dep = np.array([hms("08:11"), hms("08:12"), hms("08:13")], dtype=float)
    arr = np.array([hms("08:25"), hms("08:13"), hms("08:25")], dtype=float)
    c = Connections(dep, arr, np.array([0, 0, 1]), np.array([2, 1, 2]), np.array([0, 1, 2]),
                    n_stops=3, n_trips=3)  # fmt: skip
    p = profiles_to_targets(c, Footpaths.empty(3), np.array([np.inf, np.inf, 0.0]))
    lo = p.ptr[0]
    i = lo + int(np.searchsorted(p.dep[p.ptr[0] : p.ptr[1]], hms("08:10")))
    assert p.arr[i] == hms("08:25") and p.rides[i] == 1
    assert p.at(0, hms("08:12")) == hms("08:25")  # later: the two vehicles, as early


def test_a_feed_of_another_region_is_refused(feed):
    """Some stops outside the extract are counted; none inside is an error."""
    from accessibility.transit.stage import check_stops_on_network

    tt = read_feeds([feed], TUESDAY, start_s=0, end_s=hms("30:00"))
    check_stops_on_network(TransitModel.build(tt, toy_street()))  # all on the street: fine
    far = make_network({0: (50_000.0, 50_000.0), 1: (50_100.0, 50_000.0)},
                       [(0, 1, True, True, 3.6)], profile="walk")  # fmt: skip
    with pytest.raises(TransitFeedError, match=r"none of the 4 stops .* another region"):
        check_stops_on_network(TransitModel.build(tt, far))
