"""Profiles as data: the bundled profiles.toml, user files that add or change profiles, and
an e-bike built end to end (its distances are the bike's, its times 15/20 of the bike's)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from accessibility.build import run_build
from accessibility.errors import InputFileError, UnknownProfileError
from accessibility.model import load_build
from accessibility.params import BuildParams
from accessibility.profiles import (
    Profile,
    WayRule,
    load_profiles,
    parse_duration,
    preferred_profile,
    resolve_profile,
    way_class,
    way_rule,
)
from app.cli import main as cli_main
from tests.conftest import EXTRA_PROFILES, LIECHTENSTEIN

RESIDENTIAL = {"highway": "residential"}


def test_bundled_profiles_are_car_bike_walk():
    ps = load_profiles()
    assert ps.names == ["car", "bike", "walk", "cbs"]
    assert ps.defaults == ["car", "bike", "walk"]  # cbs only when named
    assert [p.name for p in ps.select(None)] == ["car", "bike", "walk"]
    assert [p.name for p in ps.select(["car", "cbs"])] == ["car", "cbs"]
    car, bike, walk = (ps.check(n) for n in ps.defaults)
    assert car.speeds_kph["residential"] == 30 and car.speed_factor == 0.95
    assert car.max_speed_kph == 130 and car.maxspeed and car.oneway == "vehicle"
    assert bike.speed_kph == 15 and bike.oneway == "bicycle" and not bike.maxspeed
    assert walk.speed_kph == 5 and walk.oneway == "ignore" and walk.areas
    assert bike.highways < walk.highways  # walking uses every bike road and more
    with pytest.raises(UnknownProfileError, match=r"'plane'.*car, bike, walk"):
        ps.check("plane")


def test_a_user_file_adds_an_ebike_that_copies_the_bike(tmp_path):
    ps = load_profiles(EXTRA_PROFILES)
    assert ps.names[:3] == ["car", "bike", "walk"] and "ebike" in ps.names
    bike, ebike = ps.check("bike"), ps.check("ebike")
    assert ebike.highways == bike.highways and ebike.access == bike.access
    assert ebike.speed_kph == 20 and bike.speed_kph == 15
    assert way_rule(RESIDENTIAL, ebike).speed_kph == 20
    # like the bike: rides a footway only with bicycle=yes, else pushes at 4 km/h
    assert way_rule({"highway": "footway"}, ebike) == WayRule(True, True, 4.0)
    assert way_rule({"highway": "footway", "bicycle": "yes"}, ebike).speed_kph == 20
    assert way_rule({"route": "ferry"}, ebike).speed_kph == 5  # the bike's ferry speed
    scooter = ps.check("mobility_scooter")
    assert way_rule({"highway": "footway"}, scooter).speed_kph == 5
    assert way_rule({"highway": "steps"}, scooter) is None
    assert way_rule({"highway": "cycleway"}, scooter).speed_kph == 12
    # nobody pushes a scootmobiel: one-way streets stay one-way, dismount is no footway
    assert way_rule({**RESIDENTIAL, "oneway": "yes"}, scooter) == WayRule(True, False, 12.0)
    assert way_rule({"highway": "platform"}, scooter).speed_kph == 5
    assert way_rule({"route": "ferry"}, scooter).penalty_s == 300


def test_a_user_file_changes_one_key_of_a_bundled_profile(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text(
        "[profiles.car]\nspeed_factor = 1.0\n[profiles.car.speeds_kph]\nresidential = 20\n"
    )
    car = load_profiles(f).check("car")
    assert car.speed_factor == 1.0 and car.speeds_kph["residential"] == 20
    assert car.speeds_kph["motorway"] == 100  # the other classes are kept
    assert way_rule(RESIDENTIAL, car).speed_kph == 20
    assert way_rule({**RESIDENTIAL, "maxspeed": "50"}, car).speed_kph == 50
    assert load_profiles().check("car").speed_factor == 0.95  # the bundled set is untouched


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[profiles.ebike]\nbase = 'bike'\nspeed_kmh = 20\n", "unknown key(s) speed_kmh"),
        ("[profiles.ebike]\nbase = 'bicycle'\n", "base 'bicycle'"),
        ("[profiles.ebike]\nbase = 'bike'\nspeed_kph = -20\n", "speed_kph must be a number > 0"),
        ("[profiles.ebike]\nbase = 'bike'\noneway = 'sometimes'\n", "oneway must be one of"),
        ("[profiles.boat]\nlabel = 'Boat'\n", "has no highways"),
        ("[profiles.van]\nhighways = ['track']\n", "no speed for track"),
        ("[profiles.Ebike]\nbase = 'bike'\n", "lower_snake_case"),
        ("[profiles.ebike]\nbase = 'bike'\nhighways = 'cycleway'\n", "highways must be a list"),
        ("[profiles.ebike\n", "not valid TOML"),
        ("[ebike]\nspeed_kph = 20\n", "expected only [profiles.<name>] tables"),
    ],
)
def test_bad_profiles_files_are_one_clear_error(tmp_path, text, words):
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(InputFileError, match=r".*p\.toml") as info:
        load_profiles(f)
    assert words in str(info.value)


def test_missing_profiles_file(tmp_path):
    with pytest.raises(InputFileError, match="profiles file not found"):
        load_profiles(tmp_path / "nope.toml")


def test_preferred_profile():
    assert preferred_profile(["bike", "car"]) == "car"
    assert preferred_profile(["ebike", "walk"]) == "ebike"
    assert preferred_profile([]) is None


def test_ebike_build_end_to_end(ebike_build_dir):
    b = load_build(ebike_build_dir)
    assert b.profiles == ["car", "bike", "ebike"] and b.default_profile == "car"
    assert b.profile_labels["ebike"].startswith("E-bike")
    assert b.manifest["profiles"]["ebike"]["speed_kph"] == 20
    assert b.manifest["inputs"]["profiles_file"]["path"].endswith("profiles-extra.toml")
    bike, ebike = b.network("bike"), b.network("ebike")
    assert np.array_equal(bike.edge_u, ebike.edge_u) and np.array_equal(bike.edge_v, ebike.edge_v)
    ind = b.indicators.set_index(["village_id", "category", "profile"]).sort_index()
    by_bike = ind.xs("bike", level="profile")
    by_ebike = ind.xs("ebike", level="profile")
    # same roads: the same shortest distances and counts
    np.testing.assert_array_equal(by_bike["distance_m"], by_ebike["distance_m"])
    np.testing.assert_array_equal(by_bike["count_3km"], by_ebike["count_3km"])
    # riding takes 15/20 of the bike's time, pushing (4 km/h) and surface caps the same:
    # every time is between 15/20 of the bike's and the bike's
    t_bike, t_ebike = by_bike["travel_time_s"], by_ebike["travel_time_s"]
    assert (t_bike.isna() == t_ebike.isna()).all() and t_ebike.notna().sum() > 50
    t_bike, t_ebike = t_bike.dropna(), t_ebike.dropna()
    assert (t_ebike >= t_bike * 15 / 20 * (1 - 1e-9)).all()
    assert (t_ebike <= t_bike * (1 + 1e-9)).all()
    assert (t_ebike < t_bike * 0.99).mean() > 0.9  # nearly every trip is mostly ridden


def test_the_profiles_file_is_part_of_the_build_key(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[profiles.ebike]\nbase = 'bike'\nspeed_kph = 20\n")
    params = BuildParams(extract=LIECHTENSTEIN, profiles=("ebike",), profiles_file=f)
    out = tmp_path / "b"
    first = run_build(params, out)
    assert not first.up_to_date
    assert run_build(params, out).up_to_date
    f.write_text("[profiles.ebike]\nbase = 'bike'\nspeed_kph = 25\n")
    again = run_build(BuildParams(extract=LIECHTENSTEIN, profiles=("ebike",), profiles_file=f), out)
    assert not again.up_to_date
    assert again.manifest["profiles"]["ebike"]["speed_kph"] == 25


def test_cli_profiles_and_bad_profile_names(tmp_path, capsys):
    assert cli_main(["profiles", "--profiles-file", str(EXTRA_PROFILES)]) == 0
    out = capsys.readouterr().out
    assert "ebike" in out and "20 km/h" in out and "mobility_scooter" in out
    rc = cli_main(["build", str(LIECHTENSTEIN), "--out", str(tmp_path / "b"), "--quiet",
                   "--profiles", "car,ebike"])  # fmt: skip
    assert rc == 2  # ebike exists only with its file
    assert "unknown profile 'ebike'" in capsys.readouterr().err
    rc = cli_main(["build", str(LIECHTENSTEIN), "--out", str(tmp_path / "b"), "--quiet",
                   "--profiles", "ebike", "--profiles-file", str(EXTRA_PROFILES)])  # fmt: skip
    assert rc == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["parameters"]["profiles"] == ["ebike"]
    assert cli_main(["export", str(tmp_path / "b"), "--profile", "car",
                     "--output", str(tmp_path / "x.graphml")]) == 2  # fmt: skip
    assert "profile 'car' is not in build 'b'" in capsys.readouterr().err


def test_profile_record_round_trips_to_json():
    car = load_profiles().check("car")
    d = json.loads(json.dumps(car.as_dict()))
    assert d["name"] == "car" and d["speeds_kph"]["motorway"] == 100
    assert isinstance(car, Profile) and d["exclude"][0]["service"][0] == "parking_aisle"


# --- way rules: ferries, pushing, surfaces, platforms, tracks, cbs ---------------------------
def test_way_class():
    assert way_class(RESIDENTIAL) == "residential"
    assert way_class({"route": "ferry"}) == "ferry"
    assert way_class({"route": "ferry", "highway": "service"}) == "ferry"
    assert way_class({"railway": "platform"}) == "platform"
    assert way_class({"public_transport": "platform"}) == "platform"
    assert way_class({"highway": "platform"}) == "platform"
    assert way_class({"highway": "footway", "public_transport": "platform"}) == "footway"
    assert way_class({"railway": "rail"}) is None and way_class({"route": "bus"}) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("00:20", 1200), ("1:30", 5400), ("01:30:15", 5415), ("45", 2700), ("7.5", 450),
     ("PT1H30M", 5400), ("pt20m", 1200), (None, None), ("", None), ("ca. 20 min", None),
     ("00:00", None)],
)  # fmt: skip
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


def test_ferries_for_every_mode():
    ferry = {"route": "ferry"}
    for name in ("car", "bike", "walk", "cbs"):
        # 5 km/h (OSRM's ferry speed), 300 s to board (Valhalla's ferry_cost), both ways
        assert way_rule(ferry, name) == WayRule(True, True, 5.0, penalty_s=300.0), name
    timed = way_rule({**ferry, "duration": "00:25"}, "car")
    assert timed == WayRule(True, True, 5.0, duration_s=1500.0, penalty_s=300.0)
    # a timetable, not traffic: no speed_factor, maxspeed or surface caps on a ferry
    assert way_rule({**ferry, "maxspeed": "30", "surface": "mud"}, "car").speed_kph == 5.0
    # carried unless forbidden (OSRM's car.lua): a passenger ferry is motor_vehicle=no
    passengers = {**ferry, "motor_vehicle": "no", "bicycle": "yes", "foot": "yes"}
    assert way_rule(passengers, "car") is None and way_rule(passengers, "cbs") is None
    assert way_rule({**ferry, "motorcar": "no"}, "car") is None
    assert way_rule(passengers, "bike").penalty_s == 300 and way_rule(passengers, "walk")
    assert way_rule({**ferry, "bicycle": "no"}, "bike") is None
    assert way_rule({**ferry, "foot": "no"}, "walk") is None
    assert way_rule({**ferry, "foot": "no"}, "bike") is not None  # the bike rides on
    assert way_rule({**ferry, "oneway": "yes"}, "car") == WayRule(True, False, 5.0, penalty_s=300.0)


def test_bike_pushes_where_it_may_not_ride():
    footway = {"highway": "footway"}
    assert way_rule(footway, "bike") == WayRule(True, True, 4.0)  # OSRM's walking_speed
    assert way_rule({"highway": "pedestrian"}, "bike") == WayRule(True, True, 4.0)
    assert way_rule({"railway": "platform"}, "bike") == WayRule(True, True, 4.0)
    assert way_rule({"highway": "steps"}, "bike") == WayRule(True, True, 2.0)  # carried
    assert way_rule({"highway": "steps", "bicycle": "yes"}, "bike").speed_kph == 2.0
    assert way_rule({**footway, "bicycle": "yes"}, "bike") == WayRule(True, True, 15.0)
    # pushing never lets the bike where bicycle=no or foot=no (or access=no)
    assert way_rule({**footway, "bicycle": "no"}, "bike") is None
    assert way_rule({**footway, "foot": "no"}, "bike") is None
    assert way_rule({**footway, "access": "no"}, "bike") is None
    assert way_rule({"highway": "steps", "foot": "private"}, "bike") is None
    assert way_rule({"highway": "corridor"}, "bike") is None  # not a push class
    # pushing is walking: capped by the surface like riding (sand 3), never sped up
    assert way_rule({**footway, "surface": "sand"}, "bike").speed_kph == 3.0


def test_bike_pushes_against_one_way_streets():
    one_way = {**RESIDENTIAL, "oneway": "yes"}
    assert way_rule(one_way, "bike") == WayRule(True, True, 15.0, speed_backward_kph=4.0)
    reverse = {**RESIDENTIAL, "oneway": "-1"}
    assert way_rule(reverse, "bike") == WayRule(True, True, 4.0, speed_backward_kph=15.0)
    assert way_rule(one_way, "bike").backward_speed_kph == 4.0
    assert way_rule(RESIDENTIAL, "bike").backward_speed_kph == 15.0
    # no pushing where walking is forbidden, nor against roundabouts
    assert way_rule({**one_way, "foot": "no"}, "bike") == WayRule(True, False, 15.0)
    roundabout = {"highway": "tertiary", "junction": "roundabout"}
    assert way_rule(roundabout, "bike") == WayRule(True, False, 15.0)
    # a contraflow cycle lane: ridden both ways
    assert way_rule({**one_way, "cycleway": "opposite_lane"}, "bike") == WayRule(True, True, 15.0)
    # the car never pushes
    assert way_rule(one_way, "car") == WayRule(True, False, 30 * 0.95)


def test_bicycle_dismount_means_pushing_both_ways():
    dismount = {"highway": "tertiary", "oneway": "yes", "bicycle": "dismount"}
    assert way_rule(dismount, "bike") == WayRule(True, True, 4.0)
    assert way_rule({"highway": "footway", "bicycle": "dismount"}, "bike") == WayRule(
        True, True, 4.0
    )
    assert way_rule({**dismount, "foot": "no"}, "bike") is None
    assert way_rule({"highway": "motorway", "bicycle": "dismount"}, "bike") is None
    # the most specific key decides: dismount outranks vehicle=no/private (Heidelberg's
    # Philosophenweg: footway, vehicle=private, bicycle=dismount)
    walkway = {"highway": "footway", "vehicle": "private", "bicycle": "dismount"}
    assert way_rule(walkway, "bike") == WayRule(True, True, 4.0)
    assert way_rule({"highway": "service", "vehicle": "no", "bicycle": "dismount"}, "bike")
    assert way_rule({"highway": "service", "vehicle": "no"}, "bike") is None


def test_motorroad_is_for_motor_vehicles_only():
    road = {"highway": "primary", "motorroad": "yes"}
    assert way_rule(road, "car") is not None
    assert way_rule(road, "bike") is None and way_rule(road, "walk") is None


def test_surface_tracktype_and_smoothness_cap_the_speed():
    track = {"highway": "track"}
    assert way_rule(track, "bike").speed_kph == 15.0
    assert way_rule({**track, "surface": "asphalt"}, "bike").speed_kph == 15.0
    assert way_rule({**track, "surface": "gravel"}, "bike").speed_kph == 6.0  # OSRM
    assert way_rule({**track, "surface": "compacted"}, "bike").speed_kph == 10.0
    assert way_rule({**track, "tracktype": "grade3"}, "bike").speed_kph == 10.0
    assert way_rule({**track, "tracktype": "grade2", "surface": "sand"}, "bike").speed_kph == 3.0
    assert way_rule({**RESIDENTIAL, "surface": "paving_stones"}, "bike").speed_kph == 15.0
    assert way_rule({**RESIDENTIAL, "smoothness": "very_bad"}, "bike").speed_kph == 6.0
    assert way_rule({**RESIDENTIAL, "smoothness": "impassable"}, "bike") is None
    assert way_rule({"highway": "path", "surface": "gravel"}, "walk").speed_kph == 3.75
    # the car: OSRM's caps, then the speed factor
    gravel_road = {"highway": "unclassified", "maxspeed": "80", "surface": "gravel"}
    assert way_rule(gravel_road, "car").speed_kph == pytest.approx(40 * 0.95)
    assert way_rule({**gravel_road, "surface": "asphalt"}, "car").speed_kph == pytest.approx(76)
    # an e-bike at 20 km/h is capped on gravel like the bike
    ebike = load_profiles(EXTRA_PROFILES).check("ebike")
    assert way_rule({**track, "surface": "gravel"}, ebike).speed_kph == 6.0


def test_walk_uses_platforms_areas_steps_and_corridors():
    for tags in (
        {"railway": "platform"},
        {"public_transport": "platform"},
        {"highway": "platform"},
        {"railway": "platform", "area": "yes"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "corridor"},
        {"highway": "steps"},
        {"highway": "pier"},
        {"highway": "track"},
        {"highway": "living_street"},
        {"highway": "bridleway"},
    ):
        assert way_rule(tags, "walk") == WayRule(True, True, 5.0), tags
    assert way_rule({"railway": "platform", "foot": "no"}, "walk") is None
    assert way_rule({"highway": "trunk"}, "walk") is None  # as OSRM: only with foot=yes
    assert way_rule({"highway": "trunk", "foot": "yes"}, "walk").speed_kph == 5
    assert way_rule({"highway": "via_ferrata"}, "walk") is None
    assert way_rule({"highway": "motorway"}, "walk") is None
    assert way_rule({"railway": "platform"}, "car") is None
    assert way_rule({"highway": "pedestrian", "area": "yes"}, "bike") is None  # areas: walk


def test_car_on_tracks_and_paths_with_explicit_access():
    track = {"highway": "track"}
    assert way_rule(track, "car") is None
    for access in ({"motor_vehicle": "yes"}, {"motorcar": "yes"}, {"access": "yes"},
                   {"motorcar": "destination"}, {"motor_vehicle": "designated"}):  # fmt: skip
        assert way_rule({**track, **access}, "car") == WayRule(True, True, 20 * 0.95), access
    assert way_rule({**track, "access": "yes", "motor_vehicle": "no"}, "car") is None
    assert way_rule({**track, "motor_vehicle": "agricultural"}, "car") is None
    grade4 = {**track, "motor_vehicle": "yes", "tracktype": "grade4"}
    assert way_rule(grade4, "car").speed_kph == pytest.approx(20 * 0.95)  # cap 25 > 20
    assert way_rule({**grade4, "surface": "mud"}, "car").speed_kph == pytest.approx(10 * 0.95)
    path = {"highway": "path", "motor_vehicle": "yes"}
    assert way_rule(path, "car") == WayRule(True, True, 10 * 0.95)
    # destination is access (CBS measures to the destination)
    assert way_rule({**RESIDENTIAL, "motor_vehicle": "destination"}, "car") is not None
    assert way_rule({**RESIDENTIAL, "access": "destination"}, "car") is not None
    # a pedestrian street with delivery access stays closed to cars
    assert way_rule({"highway": "pedestrian", "motor_vehicle": "delivery"}, "car") is None
    assert way_rule({"highway": "footway", "motorcar": "yes"}, "car") is None


def test_cbs_keeps_paved_roads_only():
    cbs = load_profiles().check("cbs")
    car = load_profiles().check("car")
    assert cbs.label.startswith("Car on paved roads") and not cbs.default
    assert cbs.highways == car.highways and cbs.speeds_kph == car.speeds_kph
    assert way_rule(RESIDENTIAL, "cbs") == way_rule(RESIDENTIAL, "car")
    assert way_rule({**RESIDENTIAL, "surface": "paving_stones"}, "cbs") is not None
    assert way_rule({"highway": "service", "service": "parking_aisle"}, "cbs") is None
    for surface in ("unpaved", "gravel", "compacted", "ground", "grass", "sand", "dirt"):
        tags = {"highway": "unclassified", "surface": surface}
        assert way_rule(tags, "cbs") is None and way_rule(tags, "car") is not None, surface
    # an unpaved tracktype on any road, unless the surface says paved
    assert way_rule({"highway": "unclassified", "tracktype": "grade3"}, "cbs") is None
    paved3 = {"highway": "unclassified", "tracktype": "grade3", "surface": "asphalt"}
    assert way_rule(paved3, "cbs") is not None
    # tracks (with car access) only when tagged paved
    track = {"highway": "track", "motor_vehicle": "yes"}
    assert way_rule(track, "car") is not None and way_rule(track, "cbs") is None
    assert way_rule({**track, "surface": "asphalt"}, "cbs") == WayRule(True, True, 20 * 0.95)
    assert way_rule({**track, "surface": "concrete:plates"}, "cbs") is not None
    assert way_rule({**track, "tracktype": "grade1"}, "cbs") is not None
    assert way_rule({**track, "tracktype": "grade1", "surface": "gravel"}, "cbs") is None
    assert way_rule({**track, "tracktype": "grade2"}, "cbs") is None


def test_a_user_change_to_car_reaches_cbs(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[profiles.car]\nspeed_factor = 1.0\n[profiles.cbs]\nlabel = 'CBS'\n")
    ps = load_profiles(f)
    assert ps.check("cbs").speed_factor == 1.0 and ps.check("cbs").label == "CBS"
    assert ps.defaults == ["car", "bike", "walk"]  # cbs stays out of the default set
    assert way_rule({"highway": "track", "motorcar": "yes"}, ps.check("cbs")) is None


def test_a_user_profile_may_turn_pushing_and_penalties(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text(
        "[profiles.cargo]\nbase = 'bike'\npush_highways = ['footway']\npush_speed_kph = 3\n"
        "[profiles.cargo.push_speeds_kph]\nfootway = 2.5\n"
        "[profiles.cargo.penalties_s]\nferry = 600\n"
        "[profiles.cargo.tag_max_speeds_kph.surface]\ngravel = 4\n"
    )
    cargo = load_profiles(f).check("cargo")
    assert cargo.push_speeds_kph == {"steps": 2.0, "footway": 2.5}  # merged with the bike's
    assert cargo.tag_max_speeds_kph["surface"]["gravel"] == 4
    assert cargo.tag_max_speeds_kph["surface"]["sand"] == 3  # the bike's others kept
    assert way_rule({"highway": "footway"}, cargo) == WayRule(True, True, 2.5)
    assert way_rule({"highway": "steps"}, cargo) is None  # no longer a push class
    assert way_rule({**RESIDENTIAL, "oneway": "yes"}, cargo).speed_backward_kph == 3
    assert way_rule({"route": "ferry"}, cargo).penalty_s == 600


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("push_highways = ['footway']\n", "has no push_speed_kph"),
        ("push_speed_kph = 0\n", "push_speed_kph must be a number > 0"),
        ("[profiles.x.penalties_s]\nferry = -1\n", "penalties_s.ferry must be a number >= 0"),
        ("[profiles.x.tag_max_speeds_kph]\nsurface = 5\n", "tag_max_speeds_kph must be"),
        ("[profiles.x.tag_max_speeds_kph.surface]\nmud = 'slow'\n", "surface.mud must be"),
        ("default = 'no'\n", "default must be true or false"),
        ("exclude = [{ surface = { but = 'x' } }]\n", "exclude must be a list of tables"),
        ("push_if = ['dismount']\n", "push_if must be a list of tables"),
    ],
)
def test_bad_new_keys_are_one_clear_error(tmp_path, text, words):
    f = tmp_path / "p.toml"
    f.write_text("[profiles.x]\nhighways = ['track']\nspeed_kph = 10\n" + text)
    with pytest.raises(InputFileError, match=r".*p\.toml") as info:
        load_profiles(f)
    assert words in str(info.value)


def test_waytule_positional_construction_still_works():
    r = WayRule(True, False, 30.0)
    assert (r.speed_backward_kph, r.duration_s, r.penalty_s) == (None, None, 0.0)
    assert r.backward_speed_kph == 30.0


def test_a_bus_road_is_not_for_cars():
    bus_road = {"highway": "service", "access": "psv"}
    assert way_rule(bus_road, "car") is None
    assert way_rule({**bus_road, "motor_vehicle": "yes"}, "car") is not None
    assert way_rule(bus_road, "bike") is not None  # as OSRM's bicycle.lua
    assert resolve_profile("car").blocks({"barrier": "bus_trap"})
    assert resolve_profile("car").blocks({"access": "psv"})


def test_access_in_one_direction():
    # Heidelberg way/156597596: closed to vehicles against its drawing direction
    road = {"highway": "unclassified", "vehicle:backward": "agricultural"}
    assert way_rule(road, "car") == WayRule(True, False, 38.0)
    assert way_rule(road, "walk") == WayRule(True, True, 5.0)
    # a bike may be pushed where riding that way is closed (walking is not)
    assert way_rule(road, "bike") == WayRule(True, True, 15.0, speed_backward_kph=4.0)
    # the directional key is the more specific one
    assert way_rule({**road, "vehicle": "no", "vehicle:forward": "yes"}, "car") == WayRule(
        True, False, 38.0
    )
    assert way_rule({**road, "vehicle:forward": "no"}, "car") is None
    assert way_rule({"highway": "unclassified", "motor_vehicle:forward": "no", "oneway": "-1"},
                    "car") == WayRule(False, True, 38.0)  # fmt: skip
