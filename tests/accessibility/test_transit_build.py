"""A build with public transport: the real VRN feed on the Heidelberg extract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessibility.layout import BuildLayout
from accessibility.model import load_build
from accessibility.transit.csa import earliest_arrival
from accessibility.transit.feed import Timetable
from accessibility.transit.model import TransitModel, TransitSettings


def test_transit_outputs_and_manifest(transit_build_dir):
    b = load_build(transit_build_dir)
    m = b.manifest["transit"]
    assert m["date"] == "2022-09-01" and m["departure"] == "2022-09-01T07:00"
    assert m["counts"]["stops"] == 354 and m["counts"]["stops_outside_extract"] == 114
    assert b.has_transit and b.indicator_profiles[-1] == "transit"
    t = b.transit
    assert len(t) == len(b.villages) * len(b.categories)
    ok = t["travel_time_median_s"].notna()
    both = ok & t["travel_time_p90_s"].notna()  # p90 is NaN where over 10 % have no trip
    assert (t.loc[both, "travel_time_p90_s"] >= t.loc[both, "travel_time_median_s"]).all()
    assert t["travel_time_p90_s"].notna().sum() < ok.sum()
    assert (t.loc[ok, "travel_time_best_s"] <= t.loc[ok, "travel_time_median_s"]).all()
    # the long table's transit rows carry the median
    long = b.indicators[b.indicators["profile"] == "transit"].set_index(["village_id", "category"])
    tt = t.set_index(["village_id", "category"])
    np.testing.assert_allclose(
        long["travel_time_s"].reindex(tt.index), tt["travel_time_median_s"], atol=0.06
    )  # the CSV has 0.1 s
    # without a car: the best of walk, bike and transit; VF = transit / car
    best = tt[["by_walk_s", "by_bike_s", "by_transit_s"]].min(axis=1)
    np.testing.assert_allclose(tt["no_car_time_s"], best)
    assert (tt["no_car_within_30min"] == (best <= 1800)).all()
    vf = tt["by_transit_s"] / tt["car_time_s"]
    np.testing.assert_allclose(tt["vf_ratio"].dropna(), vf[tt["vf_ratio"].notna()], rtol=5e-3)
    lay = BuildLayout(transit_build_dir)
    wide = pd.read_csv(lay.zonder_auto)
    assert {"school_ov_mediaan_min", "school_zonder_auto_min", "school_vf"} <= set(wide.columns)
    from accessibility.summary import manifest_summary_lines

    text = "\n".join(manifest_summary_lines(b.manifest, transit_build_dir, up_to_date=True))
    assert "public transport: vrn-rhein-neckar-2022-cut on 2022-09-01, window 07:00 + 120" in text
    assert "354 stops (114 outside the extract, left out)" in text
    mun = pd.read_csv(lay.municipalities)
    assert "share_no_car_within_45min" in mun.columns
    assert set(mun["profile"]) == {"car", "bike", "walk", "transit"}


def test_build_figures_equal_a_forward_scan_from_each_village(transit_build_dir):
    """The backward profile search against a forward earliest-arrival scan per departure."""
    b = load_build(transit_build_dir)
    tt = Timetable.load(BuildLayout(transit_build_dir).timetable)
    settings = TransitSettings(window_min=120)
    model = TransitModel.build(tt, b.networks["walk"], settings)
    fac = b.facilities[b.facilities["category"] == "school"]
    v = b.villages
    start = 7 * 3600
    got = model.times_to_nearest(v["lon"].to_numpy(), v["lat"].to_numpy(), fac["lon"].to_numpy(),
                                 fac["lat"].to_numpy(), start_s=start)  # fmt: skip
    from accessibility.routing import router_for
    from accessibility.snapping import locate

    o = locate(model.walk, v["lon"], v["lat"], require=False)
    f = locate(model.walk, fac["lon"], fac["lat"], require=False)
    r = router_for(model.walk, [model.stop_snap, o, f])
    s_nodes, o_nodes = r.nodes(0, len(model.stop_snap)), r.nodes(1, len(o))
    walk_s = settings.max_walk_min * 60
    access = r.one_to_many(o_nodes, s_nodes, weight="travel_time_s", limit=walk_s)
    to_fac, _ = r.nearest_source(r.nodes(2, len(f))[f.ok], weight="travel_time_s")
    egress = np.where(model.stop_snap.ok & (to_fac[s_nodes] <= walk_s), to_fac[s_nodes], np.inf)
    checked = 0
    for i in np.flatnonzero(o.ok):
        for k in range(0, 120, 11):
            d = got.departures_s[k]
            begin = np.where(model.stop_snap.ok, d + access[i], np.inf)
            # walk-only trips are one walk (direct): to a facility from a ride's stop only
            arr, _ = earliest_arrival(model.conns, model.footpaths, begin, until=d + 7200,
                                      vehicle_only=True)  # fmt: skip
            by_ride = arr + egress
            direct = to_fac[o_nodes[i]] if to_fac[o_nodes[i]] <= walk_s else np.inf
            want = min(direct, float(np.min(by_ride)) - d)
            want = want if want <= 7200 else np.inf
            assert got.by_departure_s[i, k] == pytest.approx(want, abs=1e-6)
            checked += 1
    assert checked > 100


def test_isochrone_costs_equal_the_window_figures_at_one_departure(transit_build_dir):
    """Village costs of a transit isochrone (forward scan + stop walks) against the model's
    door-to-door times (backward profile scan) with the village as the only facility."""
    import datetime as dt

    from accessibility.transit.requests import transit_router

    b = load_build(transit_build_dir)
    router = transit_router(b)
    lon, lat = 8.6935, 49.4095  # Heidelberg, Bismarckplatz
    v = b.villages
    pts = np.column_stack([v["lon"], v["lat"]])
    iso = router.isochrones(lon, lat, minutes=[20, 40, 60], at=dt.datetime(2022, 9, 1, 8, 0),
                            targets=pts)  # fmt: skip
    c = iso.columns
    assert list(c["departure"]) == ["2022-09-01T08:00"] * 3
    assert list(c["area_m2"]) == sorted(c["area_m2"])  # nested contours grow
    one = TransitModel.build(router.model.timetable, b.networks["walk"],
                             TransitSettings(window_min=1, step_s=60))  # fmt: skip
    for i in range(len(v)):
        t = one.times_to_nearest(np.array([lon]), np.array([lat]), pts[i : i + 1, 0],
                                 pts[i : i + 1, 1], start_s=8 * 3600)  # fmt: skip
        want = t.by_departure_s[0, 0] / 60
        got = c["target_cost"][0][i]
        if np.isfinite(want) and want <= 60:
            assert got == pytest.approx(want, abs=1e-6), v["village_id"].iloc[i]
        else:
            assert not np.isfinite(got) or got > 60
    late = router.isochrones(lon, lat, minutes=[30], at=dt.datetime(2022, 9, 1, 9, 0),
                             direction="to")  # fmt: skip
    assert late.columns["direction"] == ["to"] and late.columns["area_m2"][0] > 1e6


def test_matrix_by_transit_equals_the_window_figures_at_one_departure(transit_build_dir):
    import datetime as dt

    from accessibility.transit.requests import transit_router

    b = load_build(transit_build_dir)
    router = transit_router(b)
    v = b.villages
    pts = np.column_stack([v["lon"], v["lat"]])
    src, dst = pts[:8], pts[8:16]
    res = router.matrix(src, dst, at=dt.datetime(2022, 9, 1, 8, 0))
    assert np.isnan(res.distances_m).all()
    one = TransitModel.build(router.model.timetable, b.networks["walk"],
                             TransitSettings(window_min=1, step_s=60))  # fmt: skip
    checked = 0
    for i in range(len(src)):
        for j in range(len(dst)):
            t = one.times_to_nearest(src[i : i + 1, 0], src[i : i + 1, 1], dst[j : j + 1, 0],
                                     dst[j : j + 1, 1], start_s=8 * 3600)  # fmt: skip
            want = t.by_departure_s[0, 0]
            got = res.durations_s[i, j]
            if np.isfinite(want):
                assert got == pytest.approx(want, abs=1e-6)
                checked += 1
            else:
                assert np.isnan(got)
    assert checked > 5


def test_window_isochrone_is_the_median_over_its_departures(transit_build_dir):
    """Village costs of a window isochrone equal the model's median over the same departures
    (every 5 minutes for the build's two hours)."""
    import datetime as dt

    from accessibility.transit.requests import WINDOW_STEP_MIN, transit_router

    b = load_build(transit_build_dir)
    router = transit_router(b)
    lon, lat = 8.6935, 49.4095
    v = b.villages
    pts = np.column_stack([v["lon"], v["lat"]])
    iso = router.isochrones(lon, lat, minutes=[60], at=dt.datetime(2022, 9, 1, 7, 0),
                            window=True, targets=pts)  # fmt: skip
    assert iso.columns["statistic"] == ["median"] and iso.columns["window_min"] == [120.0]
    settings = TransitSettings(window_min=120, step_s=WINDOW_STEP_MIN * 60)
    model = TransitModel.build(router.model.timetable, b.networks["walk"], settings)
    compared = 0
    for i in range(len(v)):
        t = model.times_to_nearest(np.array([lon]), np.array([lat]), pts[i : i + 1, 0],
                                   pts[i : i + 1, 1], start_s=7 * 3600)  # fmt: skip
        got = iso.columns["target_cost"][0][i] * 60
        if np.isfinite(t.median_s[0]) and t.median_s[0] <= 3600:
            assert got == pytest.approx(t.median_s[0], abs=1e-6), v["village_id"].iloc[i]
            compared += 1
        else:
            assert not np.isfinite(got)
    assert compared >= 10


@pytest.fixture(scope="module")
def transit_persons_build(tmp_path_factory):
    """Heidelberg + VRN with 300 SYNTHETIC addresses (seeded points, 1-4 residents each)."""
    from accessibility.build import run_build
    from accessibility.params import BuildParams
    from tests.conftest import HEIDELBERG, VRN_FEED, VRN_PLACES

    root = tmp_path_factory.mktemp("transit_persons")
    rng = np.random.default_rng(7)
    n = 300
    pd.DataFrame({"address_id": [f"SYN{i:04d}" for i in range(n)],
                  "residents": rng.integers(1, 5, n),
                  "lon": rng.uniform(8.64, 8.72, n), "lat": rng.uniform(49.38, 49.42, n),
                  "note": "SYNTHETIC test addresses"}).to_csv(root / "synthetic-addresses.csv",
                                                              index=False)  # fmt: skip
    out = root / "vrn-persons"
    params = BuildParams(extract=HEIDELBERG, villages=VRN_PLACES, gtfs=(VRN_FEED,),
                         departure="2022-09-01T07:00", addresses=root / "synthetic-addresses.csv",
                         residents_column="residents")  # fmt: skip
    with pytest.warns(UserWarning, match="public transport stops lie outside"):
        run_build(params, out)
    return out


def test_no_car_shares_over_persons_equal_an_oracle(transit_persons_build):
    """Per origin: the fastest of its walk, bike (whole-network matrices) and transit median
    (the model on the origins); per village and municipality the weighted shares."""
    from accessibility.routing import travel_matrix

    b = load_build(transit_persons_build)
    table = pd.read_csv(BuildLayout(transit_persons_build).transit_persons)
    origins = b.origins
    lon, lat = origins.geometry.x.to_numpy(), origins.geometry.y.to_numpy()
    w = origins["weight"].to_numpy(float)
    tt = Timetable.load(BuildLayout(transit_persons_build).timetable)
    model = TransitModel.build(tt, b.networks["walk"], TransitSettings(window_min=120))
    strictly_between = 0
    for cat in ("school_primary", "performing_arts", "hotel"):
        fac = b.facilities[b.facilities["category"] == cat]
        fpts = np.column_stack([fac["lon"], fac["lat"]])
        best = np.full(len(origins), np.inf)
        for prof in ("walk", "bike"):
            m = travel_matrix(b.networks[prof], np.column_stack([lon, lat]), fpts,
                              require=False)  # fmt: skip
            d = np.where(np.isnan(m.durations_s), np.inf, m.durations_s)
            best = np.fmin(best, d.min(axis=1))
        t = model.times_to_nearest(lon, lat, fac["lon"].to_numpy(), fac["lat"].to_numpy(),
                                   start_s=7 * 3600)  # fmt: skip
        best = np.fmin(best, np.nan_to_num(t.median_s, nan=np.inf))
        rows = table[(table["level"] == "village") & (table["category"] == cat)]
        assert rows["origins"].sum() == len(origins)
        for _, r in rows.iterrows():
            mine = (origins["village_id"] == r["id"]).to_numpy()
            for mins in (30, 45, 60):
                want = w[mine & (best <= mins * 60)].sum() / w[mine].sum()
                assert r[f"share_no_car_within_{mins}min"] == pytest.approx(want, abs=1e-4)
                strictly_between += 0.01 < want < 0.99
        whole = table[(table["level"] == "municipality") & (table["category"] == cat)]
        assert whole["weight"].sum() == pytest.approx(w.sum())
    assert strictly_between >= 5  # the shares are not all 0 or 1: the test can tell
    empty = table[table["category"] == "gp"]  # no GP in the extract
    assert (empty["share_no_car_within_60min"] == 0).all() and empty[
        "share_no_service"
    ].isna().all()
    assert b.manifest["transit"]["persons"]["origins"] == len(origins)


def test_persons_figures_by_transit_through_the_api(transit_persons_build):
    from app.main import create_app
    from tests.app.app_helpers import TestClient, make_settings

    table = pd.read_csv(BuildLayout(transit_persons_build).transit_persons, dtype={"id": str})
    with TestClient(create_app(make_settings(build=str(transit_persons_build)))) as c:
        r = c.get("/villages", params={"category": "school_primary", "profile": "transit",
                                       "method": "persons"})  # fmt: skip
        assert r.status_code == 200, r.text
        props = {f["properties"]["village_id"]: f["properties"] for f in r.json()["features"]}
        rows = table[(table["level"] == "village") & (table["category"] == "school_primary")]
        for _, row in rows[rows["id"] != "buitengebied"].iterrows():
            p = props[row["id"]]
            assert p["method"] == "persons"
            assert p["share_no_car_within_45min"] == pytest.approx(row["share_no_car_within_45min"],
                                                                   abs=1e-3)  # fmt: skip
        r = c.get("/municipalities", params={"category": "school_primary", "profile": "transit",
                                             "method": "persons"})  # fmt: skip
        assert r.status_code == 200, r.text
