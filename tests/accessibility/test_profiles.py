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
from accessibility.profiles import Profile, load_profiles, preferred_profile, way_rule
from app.cli import main as cli_main
from tests.conftest import EXTRA_PROFILES, LIECHTENSTEIN

RESIDENTIAL = {"highway": "residential"}


def test_bundled_profiles_are_car_bike_walk():
    ps = load_profiles()
    assert ps.names == ["car", "bike", "walk"]
    car, bike, walk = (ps.check(n) for n in ps.names)
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
    assert way_rule({"highway": "footway"}, ebike) is None  # like the bike: needs bicycle=yes
    scooter = ps.check("mobility_scooter")
    assert way_rule({"highway": "footway"}, scooter).speed_kph == 5
    assert way_rule({"highway": "steps"}, scooter) is None
    assert way_rule({"highway": "cycleway"}, scooter).speed_kph == 12


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
    # same roads: the same shortest distances and counts; every time is 15/20 of the bike's
    np.testing.assert_array_equal(by_bike["distance_m"], by_ebike["distance_m"])
    np.testing.assert_array_equal(by_bike["count_3km"], by_ebike["count_3km"])
    np.testing.assert_allclose(by_ebike["travel_time_s"], by_bike["travel_time_s"] * 15 / 20,
                               rtol=1e-9, equal_nan=True)  # fmt: skip
    assert by_ebike["travel_time_s"].notna().sum() > 50


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
