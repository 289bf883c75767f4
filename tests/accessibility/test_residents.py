"""Figures over persons (the CBS method): origins, their villages and weights, the means.

The toy network is checkable by hand; weighted quantiles are checked against a brute-force
oracle; the real sample end to end; bad address and raster files give one clear error.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from accessibility.crs import RD_NEW, to_wgs84
from accessibility.errors import InputFileError, NoCrsError
from accessibility.facilities import Category, CategoryRules
from accessibility.indicators import village_indicators
from accessibility.origins import (
    Origins,
    assign_origins,
    origins_from_file,
    origins_from_osm,
    origins_from_raster,
)
from accessibility.osm import read_osm
from accessibility.residents import ResidentFigures, weighted_quantiles
from tests.conftest import AMSTERDAM, X0, Y0

NO_BOUNDARIES = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
RULES = CategoryRules(
    categories={"gp": Category(name="gp", label="GP", cbs="ARTSPR", cbs_radii_km=(1.0,))}
)


def _lonlat(xy: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([X0 + p[0] for p in xy])
    y = np.array([Y0 + p[1] for p in xy])
    return to_wgs84(x, y, RD_NEW)


def _villages(xy, population) -> pd.DataFrame:
    lon, lat = _lonlat(xy)
    return pd.DataFrame({
        "village_id": [f"V{i + 1}" for i in range(len(xy))],
        "village_name": [f"Village {i + 1}" for i in range(len(xy))],
        "place": "village", "population": population, "municipality": None,
        "lon": lon, "lat": lat,
    })  # fmt: skip


def _origins(xy, residents=None, dwellings=None) -> Origins:
    lon, lat = _lonlat(xy)
    n = len(xy)
    return Origins(
        origin_id=np.array([f"o{i}" for i in range(n)], dtype=object), lon=lon, lat=lat,
        dwellings=np.ones(n) if dwellings is None else np.asarray(dwellings, float),
        residents=None if residents is None else np.asarray(residents, float), source="test",
    )  # fmt: skip


@pytest.fixture
def toy_figures(toy_network):
    """Toy network (tests/conftest.py): a GP at node 1; four origins with residents.

    A (90 m along 1-2) 10 residents, 90 m from the GP; B (node 5) 30 residents, 200 m;
    C (node 3: only reached by the one-way 2->3) 5 residents, no route to the GP;
    D (node 6, the isolated pair) 1 resident, outside the 150 m radius of every village.
    """
    villages = _villages([(0, 100), (100, 0)], [np.nan, np.nan])
    origins = _origins([(90, 100), (100, 0), (200, 100), (300, 0)], residents=[10, 30, 5, 1])
    assigned = assign_origins(origins, villages, NO_BOUNDARIES, radius_m=150, crs=RD_NEW)
    lon, lat = _lonlat([(0, 100)])
    gp = pd.DataFrame({"facility_id": ["F"], "category": ["gp"], "name": ["GP"],
                       "source": ["test"], "lon": lon, "lat": lat})  # fmt: skip
    figures = ResidentFigures(assigned, RULES, radii_km=(0.1, 1.0))
    village_indicators({"car": toy_network}, villages, gp, RULES, radii_km=(0.1, 1.0),
                       max_snap_m=50, origins=figures)  # fmt: skip
    return assigned, figures


def test_assignment_by_radius_and_buitengebied(toy_figures):
    assigned, _ = toy_figures
    names = assigned.villages["village_name"].to_numpy()[assigned.village_index]
    assert list(names) == ["Village 1", "Village 2", "Village 2", "buitengebied"]
    assert list(assigned.method) == ["residents"] * 4
    assert assigned.weight.tolist() == [10, 30, 5, 1]


def test_means_over_persons_by_hand(toy_figures):
    _, figures = toy_figures
    v = figures.village_table().set_index("village_name")
    assert v.loc["Village 1", "mean_distance_m"] == pytest.approx(90.0, abs=0.01)
    assert v.loc["Village 1", "weight"] == 10 and v.loc["Village 1", "persons"] == 10
    # Village 2: B reaches the GP at 200 m; C (5 residents) cannot
    assert v.loc["Village 2", "mean_distance_m"] == pytest.approx(200.0, abs=0.01)
    assert v.loc["Village 2", "weight_unreachable"] == 5
    assert v.loc["Village 2", "share_beyond_0.1km"] == pytest.approx(1.0)
    assert v.loc["Village 2", "share_beyond_1km"] == pytest.approx(5 / 35)
    assert v.loc["Village 2", "mean_count_1km"] == pytest.approx(30 / 35)
    assert v.loc["Village 2", "worst_origin_id"] == "o1"
    assert v.loc["buitengebied", "reason"] == "unreachable"
    m = figures.municipality_table().iloc[0]
    assert m["mean_distance_m"] == pytest.approx((10 * 90 + 30 * 200) / 40, abs=0.01)  # 172.5
    assert m["median_distance_m"] == pytest.approx(200.0, abs=0.01)  # cumulative 10, 40 of 40
    assert m["max_distance_m"] == pytest.approx(200.0, abs=0.01)
    assert m["weight_unreachable"] == 6
    # travel time at 36 km/h = 10 m/s
    assert m["mean_travel_time_s"] == pytest.approx(17.25, abs=0.001)


def test_cbs_columns_over_persons(toy_figures):
    _, figures = toy_figures
    nab = figures.nabijheid("village").set_index("village_name")
    assert nab.loc["Village 1", "AF_ARTSPR"] == 0.1  # 90 m in km, one decimal
    assert nab.loc["Village 2", "AV1_ARTSPR"] == pytest.approx(round(30 / 35, 1))
    table = figures.address_table()
    assert table["gp_distance_m"].tolist()[:2] == pytest.approx([90.0, 200.0], abs=0.01)
    assert np.isnan(table["gp_distance_m"].iloc[2])


def test_weighted_quantiles_against_brute_force():
    rng = np.random.default_rng(7)
    group = rng.integers(0, 5, 300)
    x = rng.random(300) * 1000
    x[rng.random(300) < 0.1] = np.nan
    w = rng.integers(0, 4, 300).astype(float)
    got = weighted_quantiles(group, 6, w, x, [0.5, 0.9])
    for g in range(6):
        ok = (group == g) & np.isfinite(x) & (w > 0)
        if not ok.any():
            assert np.isnan(got[:, g]).all()
            continue
        expanded = np.sort(np.repeat(x[ok], w[ok].astype(int)))
        for k, q in enumerate((0.5, 0.9)):
            # the smallest value whose cumulative weight reaches q of the total
            assert got[k, g] == expanded[int(np.ceil(q * len(expanded))) - 1]


def test_weights_from_village_population_and_fallback():
    villages = _villages([(0, 0), (1000, 0)], [300.0, np.nan])
    origins = _origins([(10, 0), (20, 0), (1010, 0)], dwellings=[1, 2, 1])
    a = assign_origins(origins, villages, NO_BOUNDARIES, radius_m=100, crs=RD_NEW)
    # village 1: 300 persons over 3 dwellings; village 2 has no population: 100 per dwelling
    assert a.weight.tolist() == pytest.approx([100.0, 200.0, 100.0])
    assert set(a.method) == {"dwellings"}
    none_known = _villages([(0, 0)], [np.nan])
    b = assign_origins(origins, none_known, NO_BOUNDARIES, radius_m=100, crs=RD_NEW)
    assert set(b.method) == {"addresses"} and b.weight.tolist() == [1.0, 2.0, 1.0]


def test_assignment_by_polygon_and_same_municipality():
    villages = _villages([(0, 0), (500, 0)], [100.0, 100.0])
    villages["municipality"] = ["A", "B"]
    lon, lat = _lonlat([(-50, -50), (600, -50), (600, 50), (-50, 50)])
    square = gpd.GeoSeries.from_xy(lon, lat).union_all().convex_hull
    polys = gpd.GeoDataFrame({"village_id": ["V1"]}, geometry=[square], crs="EPSG:4326")
    origins = _origins([(450, 0), (700, 0)])
    a = assign_origins(origins, villages, NO_BOUNDARIES, village_polygons=polys, radius_m=1000,
                       crs=RD_NEW)  # fmt: skip
    # the polygon wins over the nearer village point; outside every polygon: buitengebied
    assert list(a.villages["village_id"].to_numpy()[a.village_index]) == ["V1", "buitengebied"]
    # without polygons: the nearest village of the origin's own municipality
    west = gpd.GeoDataFrame({"name": ["A"]}, geometry=[square], crs="EPSG:4326")
    b = assign_origins(_origins([(450, 0)]), villages, west, radius_m=1000, crs=RD_NEW)
    assert b.villages["village_id"].to_numpy()[b.village_index][0] == "V1"  # not V2 (in B)


def test_osm_origins_count_an_address_inside_a_building_once():
    osm = read_osm(AMSTERDAM, buildings=True)
    o = origins_from_osm(osm)
    assert o.stats["address_nodes"] == 65
    assert o.stats["address_nodes_in_non_residential_buildings"] == 1
    assert len(o) == o.stats["address_nodes"] + o.stats[
        "residential_buildings_without_address_nodes"]  # fmt: skip
    # no kept building contains a kept address node
    ways = np.char.startswith(o.origin_id.astype(str), "way/")
    kept_ids = {int(i.split("/")[1]) for i in o.origin_id[ways]}
    bld = osm.buildings[osm.buildings["osm_id"].isin(kept_ids)]
    pts = gpd.GeoSeries.from_xy(o.lon[~ways], o.lat[~ways], crs="EPSG:4326")
    assert not pts.within(bld.geometry.union_all()).any()


def test_address_file_with_residents(tmp_path):
    f = tmp_path / "bag.csv"
    f.write_text("identificatie,x,y,inwoners\nA,230000,540000,3\nB,230100,540000,\n"
                 "C,,,2\n")  # fmt: skip
    with pytest.warns(UserWarning):
        o = origins_from_file(f, residents_column="inwoners", xy_crs=RD_NEW)
    assert list(o.origin_id) == ["bag:A", "bag:B"] and o.residents.tolist() == [3.0, 0.0]
    with pytest.raises(NoCrsError, match="--addresses-crs"):
        origins_from_file(f)
    with pytest.raises(InputFileError, match="no column 'residents'"):
        origins_from_file(f, residents_column="residents", xy_crs=RD_NEW)
    f.write_text("id,lon,lat,inwoners\n1,6.5,52.9,-2\n")
    with pytest.raises(InputFileError, match="row 1 has inwoners='-2'"):
        origins_from_file(f, residents_column="inwoners")
    with pytest.raises(InputFileError, match="addresses file not found"):
        origins_from_file(tmp_path / "nope.gpkg")


def _raster(path, data, crs="EPSG:28992"):
    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1],
                       count=1, dtype="float32", crs=crs, nodata=-1,
                       transform=Affine(100, 0, 230000, 0, -100, 540300)) as dst:  # fmt: skip
        dst.write(data.astype("float32"), 1)


def test_population_raster(tmp_path):
    f = tmp_path / "pop.tif"
    _raster(f, np.array([[5, 0, -1], [0, 12, 0], [0, 0, 1]]))
    o = origins_from_raster(f)
    assert o.residents.tolist() == [5.0, 12.0, 1.0]
    assert list(o.origin_id) == ["cell:0_0", "cell:1_1", "cell:2_2"]
    lon, lat = _lonlat([(50 - X0 + 230000, 250 - Y0 + 540000)])  # centre of cell 0,0
    assert o.lon[0] == pytest.approx(lon[0]) and o.lat[0] == pytest.approx(lat[0])
    _raster(f, np.zeros((2, 2)))
    with pytest.raises(InputFileError, match="no cell has a population"):
        origins_from_raster(f)
    _raster(f, np.ones((2, 2)), crs=None)
    with pytest.raises(NoCrsError):
        origins_from_raster(f)
    (tmp_path / "bad.tif").write_bytes(b"not a raster")
    with pytest.raises(InputFileError, match="cannot read as a raster"):
        origins_from_raster(tmp_path / "bad.tif")


def test_sample_build_has_figures_over_persons(demo_build):
    b = demo_build
    assert b.has_persons and b.default_method == "persons"
    o = b.manifest["origins"]
    assert o["kind"] == "osm" and o["origins"] > 1000
    assert set(o["methods"]) == {"dwellings"}
    v = b.persons_villages
    car = v[(v["category"] == "supermarket") & (v["profile"] == "car")]
    # every origin is in exactly one village or buitengebied; weights add up
    assert car["origins"].sum() == o["origins"]
    # the tables hold weights to 0.1 (accessibility.precision): the sum drifts by at most
    # 0.05 a row
    assert car["weight"].sum() == pytest.approx(o["weight"], abs=0.1 + 0.05 * len(car))
    m = b.persons_municipalities
    mcar = m[(m["category"] == "supermarket") & (m["profile"] == "car")]
    assert mcar["weight"].sum() == pytest.approx(o["weight"], abs=0.1 + 0.05 * len(mcar))
    # the municipality mean is the weighted mean of its villages' means
    for mun, grp in car.groupby(car["municipality"].fillna("(outside municipalities)")):
        row = mcar[mcar["municipality"] == mun].iloc[0]
        expect = np.average(grp["mean_distance_m"], weights=grp["weight"])
        assert row["mean_distance_m"] == pytest.approx(expect, abs=0.15)  # both to 0.1 m
    # nabijheid.csv: CBS's figure over persons where a village has origins, else its place
    # point (method says which); every village and buitengebied exactly once
    nab = pd.read_csv(b.path / "nabijheid.csv").set_index("village_id")
    byv = car.set_index("village_id")
    for vid, r in byv.iterrows():
        assert nab.loc[vid, "AF_SUPERM"] == pytest.approx(round(r["mean_distance_m"] / 1000, 1))
        assert nab.loc[vid, "method"] == r["method"]
    place = pd.read_csv(b.path / "nabijheid_place_point.csv").set_index("village_id")
    rest = place.index.difference(byv.index)
    assert nab.index.is_unique and set(nab.index) == set(byv.index) | set(rest)
    assert (nab.loc[rest, "method"] == "place_point").all()
    assert (nab.loc[rest, "AF_SUPERM"] == place.loc[rest, "AF_SUPERM"]).all()
    nm = pd.read_csv(b.path / "nabijheid_municipalities.csv").set_index("municipality")
    for mun, row in mcar.set_index("municipality").iterrows():
        if mun in nm.index:
            assert nm.loc[mun, "AF_SUPERM"] == pytest.approx(
                round(row["mean_distance_m"] / 1000, 1))  # fmt: skip
    addr = gpd.read_parquet(b.path / "addresses.parquet")
    assert len(addr) == o["origins"] and "supermarket_distance_m" in addr.columns


def test_cli_build_with_an_address_file(tmp_path, capsys):
    from app.cli import main as cli_main
    from tests.conftest import LIECHTENSTEIN

    f = tmp_path / "adressen.csv"
    f.write_text("id,lon,lat,inwoners\n1,9.5228,47.1393,4\n2,9.5103,47.1663,2\n"
                 "3,9.6084,47.1028,1\n")  # fmt: skip
    out = tmp_path / "b"
    args = ["build", str(LIECHTENSTEIN), "--out", str(out), "--profiles", "car", "--quiet"]
    assert cli_main([*args, "--addresses", str(f), "--residents-column", "inwoners"]) == 0
    m = pd.read_json(out / "manifest.json", typ="series")
    assert m["origins"]["kind"] == "file" and m["origins"]["methods"] == {"residents": 3}
    assert m["inputs"]["addresses"]["path"].endswith("adressen.csv")
    v = pd.read_csv(out / "persons_municipalities.csv")
    assert v.query("category == 'supermarket'")["weight"].sum() == 7
    assert cli_main([*args, "--residents-column", "inwoners"]) == 2
    assert "--residents-column needs --addresses FILE" in capsys.readouterr().err
    assert cli_main([*args, "--addresses", str(f), "--population", str(f)]) == 2
    assert "not both" in capsys.readouterr().err
    assert cli_main([*args, "--no-origins", "--force"]) == 0
    assert not (out / "persons_villages.csv").exists()


def test_an_extract_without_addresses_builds_village_points_only(tmp_path):
    from accessibility.build import run_build
    from accessibility.params import BuildParams
    from tests.accessibility.test_osm_network import osm_xml

    p = tmp_path / "no-houses.osm"
    village = ('<node id="99" version="1" lat="52.8601" lon="6.5011">'
               '<tag k="place" v="village"/><tag k="name" v="Brink"/></node>')  # fmt: skip
    p.write_text(osm_xml(extra=village))
    with pytest.warns(UserWarning, match="no origins in the OSM addresses"):
        res = run_build(BuildParams(extract=p, profiles=("car",)), tmp_path / "b")
    assert "origins" not in res.manifest
    assert not (tmp_path / "b" / "persons_villages.csv").exists()
    assert res.indicators["village_name"].unique().tolist() == ["Brink"]
