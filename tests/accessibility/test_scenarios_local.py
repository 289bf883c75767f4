"""Local scenarios (accessibility.scenario_local) against the full recompute as oracle.

Every column of the changes table and of the persons table must equal what
``what_if(..., method="full")`` gives (floats to rtol 1e-9; the changes, differences of two
values, to 1e-6 m or s; the nearest facility's id may differ only on an exact tie, where
both distances are equal). On the demo build, with its searches on the whole graph (a
small network) and forced local as on a large one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessibility import engine, scenario_local
from accessibility.facilities import FACILITY_COLUMNS
from accessibility.indicators import village_indicators
from accessibility.scenarios import NewFacility, _rules_for, what_if


def _force_local(monkeypatch) -> None:
    """Make the network 'large' (local searches), even where a circle holds most of it."""
    monkeypatch.setattr(engine, "LOCAL_MIN_NODES", 0)
    monkeypatch.setattr(scenario_local, "WHOLE_NETWORK_SHARE", 1.0)


@pytest.fixture(params=["as_is", "local"])
def searches(request, monkeypatch):
    """Run each test with the searches as the network's size picks them, and forced local."""
    if request.param == "local":
        _force_local(monkeypatch)
    return request.param


def _nearest(build, category: str, k: int = 0) -> str:
    ind = build.indicators.query("category == @category and profile == 'car'")
    return ind["nearest_by_distance_id"].value_counts().index[k]


def _at(build, name: str, category: str, dlon: float = 0.0) -> NewFacility:
    v = build.villages.set_index("village_name").loc[name]
    return NewFacility(category, float(v["lon"]) + dlon, float(v["lat"]), "new")


def _ids(col: pd.Series) -> np.ndarray:
    return np.array([None if pd.isna(x) else x for x in col], dtype=object)


def assert_same_changes(local: pd.DataFrame, full: pd.DataFrame) -> None:
    """Assert two changes tables are equal (see the module doc for the tolerances)."""
    assert list(local.columns) == list(full.columns)
    assert len(local) == len(full)
    key = ["village_id", "category", "profile"]
    pd.testing.assert_frame_equal(local[key], full[key])
    for col in local.columns:
        a, b = local[col], full[col]
        if a.dtype.kind == "f":
            atol = 1e-6 if col.endswith("_change") else 0.0
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=atol, equal_nan=True, err_msg=col)
        elif col.startswith("nearest_"):
            differ = _ids(a) != _ids(b)
            dist = "distance_m" + col.removeprefix("nearest_by_distance_id")
            # a tie: both facilities are at the same (exact) distance
            np.testing.assert_allclose(local.loc[differ, dist], full.loc[differ, dist], rtol=1e-9)
            assert (differ & (pd.isna(a) != pd.isna(b))).sum() == 0
        else:
            assert (_ids(a) == _ids(b)).all(), col


def assert_same(build, **scenario) -> None:
    """Run a scenario both ways and compare the changes and persons tables."""
    local = what_if(build, **scenario)
    full = what_if(build, method="full", **scenario)
    assert_same_changes(local.changes, full.changes)
    if full.persons is None:
        assert local.persons is None
    else:
        pd.testing.assert_frame_equal(local.persons, full.persons, rtol=1e-9, check_exact=False)
    return local


def test_close_one(demo_build, searches):
    r = assert_same(demo_build, close=[_nearest(demo_build, "supermarket")])
    assert (r.changes["status"] == "worse").sum() > 0
    assert r.persons is not None and (r.persons["weight_worse"] > 0).all()


def test_close_two_of_one_category(demo_build, searches):
    close = [_nearest(demo_build, "supermarket"), _nearest(demo_build, "supermarket", 1)]
    r = assert_same(demo_build, close=close)
    assert set(r.changes["category"]) == {"supermarket"}


def test_open_one(demo_build, searches):
    r = assert_same(demo_build, open_=[_at(demo_build, "Triesen", "supermarket")])
    assert (r.changes["status"] == "better").sum() > 0


def test_open_one_and_close_one(demo_build, searches):
    r = assert_same(demo_build, close=[_nearest(demo_build, "pharmacy")],
                    open_=[_at(demo_build, "Schaan", "pharmacy", 0.001)])  # fmt: skip
    assert {"better", "worse"} <= set(r.changes["status"])


def test_every_facility_of_a_category_closes(demo_build, searches):
    fac = demo_build.facilities.query("category == 'supermarket'")["facility_id"].tolist()
    r = assert_same(demo_build, close=fac)
    on = r.changes["reason_before"].isna()
    assert (r.changes.loc[on, "status"] == "lost").all() and on.any()
    assert (r.changes["reason_after"].isin(["no_facility", "not_on_network"])).all()
    assert (r.persons["weight_lost"] > 0).all()


def test_open_where_there_was_none_and_two_categories(demo_build, searches):
    b = demo_build
    r = assert_same(b, close=[_nearest(b, "pharmacy")],
                    open_=[_at(b, "Vaduz", "gp"), _at(b, "Balzers", "gp")])  # fmt: skip
    gp = r.changes[r.changes["category"] == "gp"]
    assert (gp["status"] == "gained").all() and set(r.changes["category"]) == {"pharmacy", "gp"}


@pytest.mark.parametrize("profiles", [["car"], ["walk", "bike"]])
def test_without_persons(demo_build, searches, profiles):
    r = assert_same(demo_build, close=[_nearest(demo_build, "supermarket")],
                    open_=[_at(demo_build, "Triesen", "supermarket")], profiles=profiles,
                    persons=False)  # fmt: skip
    assert r.persons is None and set(r.changes["profile"]) == set(profiles)


def test_the_whole_after_table_counts_included(demo_build, searches):
    """The local AFTER table equals the full one in every column, counts within rings and
    the nearest by time included."""
    b = demo_build
    close = [_nearest(b, "supermarket")]
    new = _at(b, "Triesen", "supermarket")
    opened = pd.DataFrame([("scenario:1", "supermarket", "new", "scenario", new.lon, new.lat)],
                          columns=FACILITY_COLUMNS)  # fmt: skip
    local = scenario_local.after_table(b, ["supermarket"], close, opened, b.profiles,
                                       counts=True).after  # fmt: skip
    fac = pd.DataFrame(b.facilities[FACILITY_COLUMNS])
    after_fac = pd.concat([fac[~fac["facility_id"].isin(close)], opened], ignore_index=True)
    after_fac = after_fac[after_fac["category"] == "supermarket"].reset_index(drop=True)
    full, _, _ = village_indicators(
        {p: b.network(p) for p in b.profiles}, pd.DataFrame(b.villages.drop(columns="geometry")),
        after_fac, _rules_for(b, ["supermarket"]), radii_km=b.manifest["parameters"]["radii_km"],
        max_snap_m=float(b.manifest["parameters"]["max_snap_m"]),
    )  # fmt: skip
    pd.testing.assert_frame_equal(local, full, rtol=1e-9, check_exact=False)
    before = b.indicators.query("category == 'supermarket'")
    assert not np.array_equal(local["count_5km"].to_numpy(), before["count_5km"].to_numpy())


def test_searches_are_local_and_before_is_kept(demo_build, monkeypatch):
    """Forced local, a closure searches part of the network only; the origins' values of a
    profile the addresses table does not store are computed once and kept with the build."""
    _force_local(monkeypatch)
    seen = []
    towards = scenario_local._Searches.towards

    def spy(self, *args, **kwargs):
        found = towards(self, *args, **kwargs)
        seen.append(None if found.nodes is None else len(found.nodes) / self.n_net)
        return found

    monkeypatch.setattr(scenario_local._Searches, "towards", spy)
    b = demo_build
    what_if(b, close=[_nearest(b, "supermarket")], profiles=["car", "bike"], persons=True)
    assert seen and None not in seen and max(seen) < 1  # never the whole graph
    seen.clear()
    what_if(b, open_=[_at(b, "Triesen", "supermarket")], profiles=["car"], persons=True)
    assert seen and None not in seen and min(seen) < 0.5  # some on a small part of it
    kept = scenario_local._CACHES[b]
    assert ("origins_before", "supermarket", "bike") in kept  # bike: no stored column
    assert ("origins_before", "supermarket", "car") not in kept  # car: the stored one


def test_unknown_method(demo_build):
    with pytest.raises(ValueError, match="method must be"):
        what_if(demo_build, close=[_nearest(demo_build, "supermarket")], method="fast")
