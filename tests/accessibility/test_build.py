"""`bereik build` end to end on the real Liechtenstein extract."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest

from accessibility.build import run_build
from accessibility.crs import to_metric
from accessibility.errors import BuildNotFoundError
from accessibility.indicators import indicator_columns
from accessibility.model import load_build
from accessibility.params import BuildParams, FacilityFile
from accessibility.snapping import snap_points
from app.cli import main as cli_main
from tests.conftest import LIECHTENSTEIN, ROOT

GOLDEN = ROOT / "tests" / "data" / "expected" / "indicators_liechtenstein.csv"


def test_build_outputs_and_manifest(demo_build):
    b = demo_build
    files = {p.name for p in b.path.iterdir()}
    assert {
        "manifest.json",
        "villages.csv",
        "indicators.csv",
        "indicators.parquet",
        "municipalities.csv",
        "nabijheid.csv",
        "bereik.gpkg",
        "villages.parquet",
        "facilities.parquet",
        "network_car.npz",
        "network_bike.npz",
        "network_walk.npz",
    } <= files
    m = b.manifest
    assert m["osm_replication_timestamp"] == "2015-07-27T21:14:01Z"
    assert m["crs"] == "EPSG:32632"
    assert m["inputs"]["extract"]["sha256"] == pytest.approx(m["inputs"]["extract"]["sha256"])
    assert len(m["inputs"]["extract"]["sha256"]) == 64
    assert m["counts"]["villages"] == 19
    assert m["counts"]["villages_with_population"] == 12
    assert m["counts"]["facilities"] == {
        "school": 19,
        "supermarket": 11,
        "childcare": 8,
        "swimming_pool": 5,
        "pharmacy": 3,
        "hospital": 1,
        "library": 1,
        # categories added toward CBS's list (docs/categories.md)
        "sports_ground": 90,
        "restaurant": 46,
        "cafetaria": 14,
        "hotel": 12,
        "museum": 10,
        "groceries_other": 10,
        "fire_station": 6,
        "cafe": 5,
        "train_station": 4,
        "attraction_park": 1,
        "cinema": 1,
        "performing_arts": 1,
        "sports_hall": 1,
    }
    assert m["attribution"].startswith("© OpenStreetMap contributors")
    assert set(m["libraries"]) >= {"numpy", "scipy", "osmium"}
    layers = {name for name, _ in pyogrio.list_layers(b.path / "bereik.gpkg")}
    assert layers == {
        "villages",  # one feature per village with the indicators as columns
        "facilities",
        "indicators",  # the long table, without geometry (tests/accessibility/test_geopackage)
        "municipalities",  # one feature per municipality
        "municipality_indicators",  # municipalities.csv, without geometry
        "edges_car",
        "edges_bike",
        "edges_walk",
        "white_areas",
        "residents",  # the addresses with their weights and car distances (origins)
        "layer_styles",  # the villages' QGIS style
        "basemap_areas",  # the basemap (tests/accessibility/test_basemap.py)
        "basemap_lines",
        "basemap_places",
    }


def test_indicator_table_contract(demo_build):
    ind = demo_build.indicators
    assert list(ind.columns) == indicator_columns()
    assert len(ind) == 19 * len(demo_build.categories) * 3
    # no GP in this extract: null with a reason, never 0 or a cap
    gp = ind[ind["category"] == "gp"]
    assert gp["distance_m"].isna().all() and gp["travel_time_s"].isna().all()
    assert set(gp["reason"]) == {"no_facility"}
    sup = ind[ind["category"] == "supermarket"]
    assert sup["distance_m"].notna().all() and sup["reason"].isna().all()
    assert (sup["distance_m"] > 0).all()
    # municipalities from OSM admin_level=8
    v = demo_build.villages.set_index("village_name")
    assert v.loc["Vaduz", "municipality"] == "Vaduz"
    assert v.loc["Malbun", "municipality"] == "Triesenberg"
    assert v.loc["Nendeln", "municipality"] == "Eschen"


def test_distances_bounded_by_geometry_and_networkx(demo_build):
    """Engine distances against two independent checks.

    1. never shorter than the straight line between the snapped points;
    2. networkx on the exported osmnx graph, from the snapped edges' end nodes: the engine
       value lies within the lengths of the two snapped edges of the node-to-node value.
    """
    b = demo_build
    net = b.networks["car"]
    G = net.to_networkx(geometry=False)
    ind = b.indicators
    sup = ind[(ind["category"] == "supermarket") & (ind["profile"] == "car")]
    fac = b.facilities.drop_duplicates("facility_id").set_index("facility_id")
    vil = b.villages.set_index("village_id")
    for row in sup.itertuples():
        f = fac.loc[row.nearest_by_distance_id]
        vx, vy = to_metric(
            np.array([vil.loc[row.village_id, "lon"], f["lon"]]),
            np.array([vil.loc[row.village_id, "lat"], f["lat"]]),
            net.crs,
        )
        s = snap_points(net, vx, vy)
        straight = np.hypot(s.x[1] - s.x[0], s.y[1] - s.y[0])
        assert row.distance_m >= straight - 1e-6
        ev, ef = s.edge
        slack = net.edge_length_m[ev] + net.edge_length_m[ef]
        ids = net.node_osmid
        best = min(
            nx.shortest_path_length(G, int(ids[a]), int(ids[c]), weight="length")
            for a in (net.edge_u[ev], net.edge_v[ev])
            for c in (net.edge_u[ef], net.edge_v[ef])
            if nx.has_path(G, int(ids[a]), int(ids[c]))
        )
        assert abs(row.distance_m - best) <= slack + 1e-6


def test_golden_indicators(demo_build):
    """Regression guard: the sample's indicators as checked in (see tests/data/README.md)."""
    got = demo_build.indicators
    exp = pd.read_csv(GOLDEN)
    assert len(got) == len(exp)
    key = ["village_id", "category", "profile"]
    m = got.merge(exp, on=key, suffixes=("", "_exp"))
    assert len(m) == len(exp)
    for col in ("distance_m", "travel_time_s", "snap_distance_m"):
        np.testing.assert_allclose(
            m[col].astype(float),
            m[f"{col}_exp"].astype(float),
            rtol=1e-6,
            atol=1e-3,
            equal_nan=True,
        )
    for col in ("nearest_by_distance_id", "count_1km", "count_3km", "count_5km", "reason"):
        a = m[col].astype(object).where(m[col].notna(), "").astype(str)
        e = m[f"{col}_exp"].astype(object).where(m[f"{col}_exp"].notna(), "").astype(str)
        if col.startswith("count_"):
            a, e = a.str.replace(".0", "", regex=False), e.str.replace(".0", "", regex=False)
        assert (a == e).all(), col


def test_municipality_aggregates(demo_build):
    mun = demo_build.municipalities
    ind = demo_build.indicators
    row = mun[
        (mun["municipality"] == "Triesenberg")
        & (mun["category"] == "supermarket")
        & (mun["profile"] == "car")
    ].iloc[0]
    sub = ind[
        (ind["municipality"] == "Triesenberg")
        & (ind["category"] == "supermarket")
        & (ind["profile"] == "car")
    ]
    # only Triesenberg itself has a population: the weighted mean is its distance
    known = sub[sub["population"].notna()]
    assert len(known) == 1
    # municipalities.csv holds figures to 0.1 m (accessibility.precision)
    assert row["mean_distance_m"] == pytest.approx(known["distance_m"].iloc[0], abs=0.05)
    assert row["weighting"] == "population"
    assert row["worst_village_name"] == sub.loc[sub["distance_m"].idxmax(), "village_name"]
    assert row["share_beyond_5km"] == 0.0


def test_cbs_wide_table(demo_build):
    nab = pd.read_csv(demo_build.path / "nabijheid_place_point.csv")
    assert {
        "AF_ARTSPR",
        "AV1_ARTSPR",
        "AV3_ARTSPR",
        "AV5_ARTSPR",
        "AF_SUPERM",
        "AV1_SUPERM",
        "AF_ONDBAS",
        "AF_ONDVRT",
        "AV10_ONDVRT",
    } <= set(nab.columns)
    car = demo_build.indicators.query("category == 'supermarket' and profile == 'car'")
    d = dict(zip(car["village_id"], car["distance_m"], strict=True))
    for r in nab.itertuples():
        assert pytest.approx(round(d[r.village_id] / 1000, 1)) == r.AF_SUPERM
    assert nab["AF_ARTSPR"].isna().all()
    assert (nab["method"] == "place_point").all()


def test_up_to_date_force_and_atomic_failure(tmp_path, monkeypatch):
    out = tmp_path / "b"
    params = BuildParams(extract=LIECHTENSTEIN, profiles=("car",))
    first = run_build(params, out)
    assert not first.up_to_date
    again = run_build(params, out)
    assert again.up_to_date and again.manifest["key"] == first.manifest["key"]
    changed = run_build(BuildParams(extract=LIECHTENSTEIN, profiles=("car",), radii_km=(2.0,)), out)
    assert not changed.up_to_date
    assert "count_2km" in pd.read_parquet(out / "indicators.parquet").columns
    before = (out / "manifest.json").read_text()

    import accessibility.build as build_mod

    def boom(*a, **k):
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(build_mod, "write_tables", boom)
    with pytest.raises(OSError, match="disk full"):
        run_build(params, out, force=True)
    assert (out / "manifest.json").read_text() == before  # last good build kept
    assert load_build(out).manifest["parameters"]["radii_km"] == [2.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.bereik-lock", "b"]  # no temp left


def test_user_facilities_and_villages(tmp_path):
    gps = tmp_path / "huisartsen.csv"
    gps.write_text(
        "id,name,category,lon,lat\nV1,Praxis Vaduz,gp,9.5215,47.1410\n"
        "S1,Praxis Schaan,gp,9.5095,47.1650\n"
    )
    kernen = tmp_path / "kernen.csv"
    kernen.write_text(
        "id,name,population,lon,lat\nK1,Vaduz,5229,9.5228,47.1393\n"
        "K2,Triesen,4913,9.5275,47.1070\nK3,Far away,10,9.40,47.30\n"
    )
    res = run_build(
        BuildParams(
            extract=LIECHTENSTEIN,
            profiles=("car", "walk"),
            facilities=(FacilityFile(gps),),
            villages=kernen,
            osm_facilities=False,
        ),
        tmp_path / "b",
    )
    ind = res.indicators.set_index(["village_id", "category", "profile"])
    assert ind.loc[("K1", "gp", "car"), "nearest_by_distance_id"] == "huisartsen:V1"
    assert ind.loc[("K1", "gp", "walk"), "distance_m"] < 500
    assert ind.loc[("K2", "gp", "car"), "distance_m"] > 2000
    assert ind.loc[("K3", "gp", "car"), "reason"] == "not_on_network"
    assert np.isnan(ind.loc[("K3", "gp", "car"), "distance_m"])
    assert ind.loc[("K1", "supermarket", "car"), "reason"] == "no_facility"
    assert res.manifest["counts"]["facilities"] == {"gp": 2}
    nab = pd.read_csv(tmp_path / "b" / "nabijheid_place_point.csv").set_index("village_id")
    assert nab.loc["K1", "AF_ARTSPR"] == pytest.approx(
        round(ind.loc[("K1", "gp", "car"), "distance_m"] / 1000, 1)
    )


def test_cli_build_info_export(tmp_path, capsys):
    out = tmp_path / "demo"
    assert (
        cli_main(["build", str(LIECHTENSTEIN), "--out", str(out), "--profiles", "car", "--quiet"])
        == 0
    )
    assert cli_main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "villages: 19 (12 with population" in text and "supermarket" in text
    g = tmp_path / "car.graphml"
    assert cli_main(["export", str(out), "--profile", "car", "--output", str(g)]) == 0
    import osmnx as ox

    G = ox.load_graphml(g)
    counts = json.loads((out / "manifest.json").read_text())["counts"]["networks"]["car"]
    assert G.number_of_nodes() == counts["nodes"]
    # the GeoPackage export (osmnx's layers and columns; osmnx's own writer crashed on osmid)
    x = tmp_path / "out" / "car.gpkg"
    assert cli_main(["export", str(out), "--profile", "car", "--format", "gpkg",
                     "--output", str(x)]) == 0  # fmt: skip
    assert f"({counts['nodes']} nodes, {counts['edges']} edges)" in capsys.readouterr().out
    assert sorted(p.name for p in x.parent.iterdir()) == ["car.gpkg"]  # no temporary left
    nodes = pyogrio.read_dataframe(x, layer="nodes")
    edges = pyogrio.read_dataframe(x, layer="edges")
    assert len(nodes) == counts["nodes"] and len(edges) == counts["edges"]
    assert {"osmid", "x", "y", "lon", "lat"} <= set(nodes.columns) and nodes["osmid"].is_unique
    assert {"u", "v", "key", "osmid", "length", "travel_time", "oneway"} <= set(edges.columns)
    assert set(edges["u"]) | set(edges["v"]) <= set(nodes["osmid"])
    assert str(edges.crs) == str(nodes.crs) == "EPSG:32632"  # osmnx: x, y and geometry agree
    np.testing.assert_allclose(nodes["x"], nodes.geometry.x)
    with closing(sqlite3.connect(x)) as con:
        assert con.execute("PRAGMA user_version").fetchone() == (10200,)  # GeoPackage 1.2
        rtree = con.execute("SELECT table_name FROM gpkg_extensions "
                            "WHERE extension_name = 'gpkg_rtree_index'").fetchall()  # fmt: skip
    assert sorted(rtree) == [("edges",), ("nodes",)]
    assert cli_main(["info", str(tmp_path / "nope")]) == 2
    assert "no build at" in capsys.readouterr().err


def test_load_build_errors(tmp_path):
    with pytest.raises(BuildNotFoundError, match="not a bereik build"):
        load_build(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(BuildNotFoundError, match="damaged manifest"):
        load_build(tmp_path)


def test_broadband_in_the_build_is_labelled_synthetic(demo_build):
    b = demo_build
    bb = b.manifest["broadband"]
    assert bb["synthetic"] is True and bb["kind"] == "raster"
    assert bb["thresholds_mbps"] == [30.0, 100.0]
    v = b.villages.set_index("village_name")
    assert {
        "max_mbps",
        "broadband_class",
        "share_white",
        "share_basic",
        "share_nga",
        "double_disadvantage",
        "broadband_source",
    } <= set(v.columns)
    assert (v["broadband_source"] == "SYNTHETIC sample, not real coverage data").all()
    # classes follow the sampled speed and the EU thresholds
    for r in v.itertuples():
        exp = "white" if r.max_mbps < 30 else "basic" if r.max_mbps < 100 else "nga"
        assert r.broadband_class == exp
    # double disadvantage: white AND beyond 5 km by car from a supermarket (or 3 km from a
    # primary school; GP and primary school have no facility here, so they do not count)
    ind = b.indicators.query("profile == 'car' and category == 'supermarket'")
    far = set(ind.loc[ind["distance_m"] > 5000, "village_name"])
    white = set(v.index[v["broadband_class"] == "white"])
    assert set(v.index[v["double_disadvantage"]]) == far & white
    assert bb["double_disadvantage"] == sorted(far & white)
    dd = pd.read_csv(b.path / "double_disadvantage.csv")
    assert list(dd["village_name"]) == bb["double_disadvantage"]
    import geopandas as gpd

    wa = gpd.read_parquet(b.path / "white_areas.parquet")
    assert wa["synthetic"].all() and wa.crs.to_epsg() == 4326
    assert wa["area_m2"].sum() / 1e6 == pytest.approx(bb["white_area_km2"], rel=1e-3)


def test_networks_load_on_first_use_and_damage_is_found_at_once(demo_build, tmp_path):
    import shutil

    from accessibility.errors import BuildNotFoundError
    from accessibility.model import load_build

    b = load_build(demo_build.path)
    assert list(b.networks) == ["car", "bike", "walk"] and b.networks.loaded() == []
    assert b.network("car").n_nodes == demo_build.networks["car"].n_nodes
    assert b.networks.loaded() == ["car"]  # bike and walk still unread
    copy = tmp_path / "copy"
    shutil.copytree(demo_build.path, copy)
    walk = copy / "network_walk.npz"
    walk.write_bytes(walk.read_bytes()[:1000])  # truncated
    with pytest.raises(BuildNotFoundError, match="damaged"):
        load_build(copy)


def test_gpkg_edges_option(tmp_path):
    """--gpkg-edges: auto keeps the road layers up to GPKG_EDGES_AUTO_MAX edges (the
    sample), no leaves them out (the manifest says so), yes forces them."""
    from types import SimpleNamespace

    import pyogrio

    from accessibility.build import gpkg_edges_wanted, run_build
    from accessibility.defaults import GPKG_EDGES_AUTO_MAX
    from accessibility.errors import InputFileError
    from accessibility.params import BuildParams

    small = {"car": SimpleNamespace(n_edges=GPKG_EDGES_AUTO_MAX // 2)}
    big = {**small, "walk": SimpleNamespace(n_edges=GPKG_EDGES_AUTO_MAX)}
    assert gpkg_edges_wanted("auto", small) and not gpkg_edges_wanted("auto", big)
    assert gpkg_edges_wanted("yes", big) and not gpkg_edges_wanted("no", small)
    with pytest.raises(InputFileError, match="gpkg_edges"):
        gpkg_edges_wanted("maybe", small)
    out = tmp_path / "no-edges"
    run_build(BuildParams(extract=LIECHTENSTEIN, profiles=("car",), origins=False,
                          gpkg_edges="no"), out)  # fmt: skip
    layers = set(pyogrio.list_layers(out / "bereik.gpkg")[:, 0])
    assert "villages" in layers and "edges_car" not in layers
    assert json.loads((out / "manifest.json").read_text())["counts"]["gpkg_edges"] is False
