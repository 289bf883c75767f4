"""What-if scenarios and build comparison, checked against the routing matrix as oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessibility.crs import to_metric
from accessibility.errors import (
    InputFileError,
    PointOutsideNetworkError,
    UnknownCategoryError,
    UnknownFacilityError,
)
from accessibility.routing import router_for, travel_matrix
from accessibility.scenarios import (
    NewFacility,
    _changes,
    change_summary,
    compare_builds,
    run_scenario,
    what_if,
)
from accessibility.snapping import snap_points
from app.cli import main as cli_main


def _matrix_min(build, village_ids, facilities):
    """Shortest car distance from each village to the nearest of ``facilities`` (oracle)."""
    v = build.villages.set_index("village_id").loc[village_ids]
    res = travel_matrix(build.networks["car"], v[["lon", "lat"]].to_numpy(),
                        facilities[["lon", "lat"]].to_numpy())  # fmt: skip
    return np.nanmin(res.distances_m, axis=1)


def test_closing_a_supermarket(demo_build):
    b = demo_build
    ind = b.indicators.query("category == 'supermarket' and profile == 'car'")
    target = ind.set_index("village_name").loc["Triesenberg", "nearest_by_distance_id"]
    ch = run_scenario(b, close=[target], profiles=["car"])
    assert set(ch["category"]) == {"supermarket"} and set(ch["profile"]) == {"car"}
    served = ch["nearest_by_distance_id_before"] == target
    # villages served by another shop keep exactly their value
    same = ch[~served]
    np.testing.assert_allclose(same["distance_m_after"], same["distance_m_before"])
    assert (same["status"] == "same").all()
    # villages served by the closed shop now go to the next one: the matrix says how far
    hit = ch[served]
    assert len(hit) >= 1 and (hit["status"] == "worse").all()
    rest = b.facilities.query("category == 'supermarket' and facility_id != @target")
    oracle = _matrix_min(b, hit["village_id"].tolist(), rest.drop_duplicates("facility_id"))
    np.testing.assert_allclose(hit["distance_m_after"], oracle, atol=0.5)
    assert (hit["nearest_by_distance_id_after"] != target).all()
    s = change_summary(ch).iloc[0]
    assert s["villages_worse"] == len(hit) and not s["stayed_the_same_or_better"]


def test_opening_a_gp_where_there_was_none(demo_build):
    b = demo_build
    vaduz = b.villages.set_index("village_name").loc["Vaduz"]
    ch = run_scenario(b, open_=[NewFacility("gp", vaduz["lon"], vaduz["lat"], "Praxis")])
    car = ch[ch["profile"] == "car"]
    assert (car["status"] == "gained").all()
    assert car["reason_before"].eq("no_facility").all() and car["reason_after"].isna().all()
    new = pd.DataFrame({"lon": [vaduz["lon"]], "lat": [vaduz["lat"]]})
    oracle = _matrix_min(b, car["village_id"].tolist(), new)
    np.testing.assert_allclose(car["distance_m_after"], oracle, atol=0.5)
    assert (car["nearest_by_distance_id_after"] == "scenario:1").all()
    assert change_summary(ch)["population_gained"].iloc[0] == pytest.approx(
        b.villages["population"].sum()
    )


def test_scenario_errors(demo_build):
    with pytest.raises(UnknownFacilityError, match="unknown facility id"):
        run_scenario(demo_build, close=["node/1"])
    with pytest.raises(InputFileError, match="nothing to change"):
        run_scenario(demo_build)
    with pytest.raises(UnknownCategoryError, match="'bakery'"):
        run_scenario(demo_build, open_=[NewFacility("bakery", 9.52, 47.14)])
    with pytest.raises(PointOutsideNetworkError, match="place it on a road"):
        run_scenario(demo_build, open_=[NewFacility("gp", 9.40, 47.30)])


def test_compare_a_build_with_itself_and_status_rules(demo_build):
    ch = compare_builds(demo_build, demo_build, method="place_point")
    assert (ch["status"] == "same").all() and len(ch) == len(demo_build.indicators)
    # with origins, the default compares the means over persons (buitengebied included);
    # a village without any origin (Malbun) keeps its point's figure
    ch = compare_builds(demo_build, demo_build)
    pv = demo_build.persons_villages
    alone = demo_build.indicators[~demo_build.indicators["village_id"].isin(pv["village_id"])]
    assert (ch["status"] == "same").all() and len(ch) == len(pv) + len(alone) > len(pv)
    assert "Malbun" in set(ch["village_name"])
    before = pd.DataFrame({
        "village_id": list("abcde"), "village_name": list("ABCDE"), "municipality": "M",
        "population": [10.0, 20.0, 30.0, 40.0, 50.0], "category": "gp", "profile": "car",
        "distance_m": [1000.0, 1000.0, np.nan, 1000.0, 1000.0],
        "travel_time_s": 60.0, "nearest_by_distance_id": "x", "reason": None,
    })  # fmt: skip
    after = before.copy()
    after["distance_m"] = [1200.0, 900.0, 500.0, np.nan, 1000.2]
    got = _changes(before, after).set_index("village_id")["status"].to_dict()
    assert got == {"a": "worse", "b": "better", "c": "gained", "d": "lost", "e": "same"}


def test_cli_scenario_and_compare(demo_build, tmp_path, capsys):
    out = tmp_path / "changes.csv"
    ind = demo_build.indicators.query("category == 'supermarket' and profile == 'car'")
    target = ind["nearest_by_distance_id"].iloc[0]
    rc = cli_main(["scenario", str(demo_build.path), "--close", target, "--profiles", "car",
                   "--output", str(out)])  # fmt: skip
    assert rc == 0
    text = capsys.readouterr().out
    assert "supermarket" in text and f"wrote {out}" in text
    assert len(pd.read_csv(out)) == len(ind)
    assert cli_main(["scenario", str(demo_build.path), "--open", "gp,abc"]) == 2
    assert "--open expects CATEGORY,LON,LAT" in capsys.readouterr().err
    assert cli_main(["compare", str(demo_build.path), str(demo_build.path)]) == 0
    assert "stayed_the_same_or_better" in capsys.readouterr().out


def test_scenario_counts_persons(demo_build):
    """Closing a supermarket, counted address by address against an independent oracle:
    each address's distance to every remaining supermarket by one-to-many searches."""
    ind = demo_build.indicators.query("category == 'supermarket' and profile == 'car'")
    target = ind["nearest_by_distance_id"].value_counts().index[0]
    r = what_if(demo_build, close=[target], profiles=["car"])
    p = r.persons.set_index("category").loc["supermarket"]
    o = demo_build.origins
    w = o["weight"].to_numpy(dtype=float)
    before = o["supermarket_distance_m"].to_numpy(dtype=float)  # written by the build
    net = demo_build.network("car")
    fac = demo_build.facilities.query("category == 'supermarket' and facility_id != @target")
    so = snap_points(net, *to_metric(o.geometry.x, o.geometry.y, net.crs), max_snap_m=500)
    sf = snap_points(net, *to_metric(fac["lon"], fac["lat"], net.crs), max_snap_m=500)
    router = router_for(net, [so, sf])
    d = router.one_to_many(router.nodes(0, len(so)), router.nodes(1, len(sf))[sf.ok],
                           weight="length_m")  # fmt: skip
    after = np.where(so.ok, d.min(axis=1), np.inf)
    worse = after - before > 0.5
    assert p["weight"] == pytest.approx(w.sum())
    assert p["weight_worse"] == pytest.approx(w[worse].sum(), rel=1e-9) and w[worse].sum() > 0
    assert p["weight_better"] == 0 and p["weight_lost"] == 0
    gone = (before <= 5000) & (after > 5000)
    assert p["newly_beyond_5km"] == pytest.approx(w[gone].sum(), rel=1e-9)
