"""The basemap (water, land use, built-up areas, places) from a hand-made extract and the sample.

The hand-made plan lies in Drenthe (RD New is chosen), about 67 m per 0.001 degree of
longitude and 111 m per 0.001 degree of latitude::

    lake (relation, natural=water) with an island (inner way)   forest way      river line
    a pond of 10 x 10 m (too small)      two residential blocks 20 m apart      places
    a forest relation whose only member is missing from the file (broken)
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from accessibility.basemap import (
    KINDS,
    MIN_AREA_M2,
    PLACE_RANKS,
    build_basemap,
    load_basemap,
)
from accessibility.crs import RD_NEW, WGS84
from accessibility.layout import BuildLayout
from tests.conftest import LIECHTENSTEIN

LON0, LAT0 = 6.60, 52.95
#: closed rings (lon, lat) by way id, and open lines
RINGS = {
    10: [(6.600, 52.950), (6.606, 52.950), (6.606, 52.953), (6.600, 52.953)],  # lake outer
    11: [(6.602, 52.951), (6.6035, 52.951), (6.6035, 52.952), (6.602, 52.952)],  # island
    20: [(6.610, 52.950), (6.613, 52.950), (6.613, 52.952), (6.610, 52.952)],  # forest
    30: [(6.620, 52.950), (6.62015, 52.950), (6.62015, 52.95009), (6.620, 52.95009)],  # pond
    40: [(6.630, 52.950), (6.6345, 52.950), (6.6345, 52.9527), (6.630, 52.9527)],  # houses
    41: [(6.6348, 52.950), (6.6393, 52.950), (6.6393, 52.9527), (6.6348, 52.9527)],  # houses
    50: [(6.640, 52.955), (6.6415, 52.955), (6.6415, 52.9559), (6.640, 52.9559)],  # both tags
}
RIVER = [(6.600, 52.960), (6.605, 52.96001), (6.610, 52.960), (6.615, 52.963), (6.620, 52.962)]
WAY_TAGS = {
    20: {"landuse": "forest", "name": "Het Bos"},
    30: {"natural": "water", "name": "Poel"},
    40: {"landuse": "residential"},
    41: {"landuse": "residential"},
    50: {"natural": "water", "landuse": "forest"},
}
PLACES = [
    (901, 6.611, 52.955, {"place": "village", "name": "Anloo"}),
    (902, 6.631, 52.951, {"place": "city", "name": "Grunn", "name:nl": "Groningen"}),
    (903, 6.615, 52.957, {"place": "hamlet"}),  # no name: left out
    (904, 6.616, 52.958, {"place": "locality", "name": "Het Veld"}),  # not a settlement
]


def _tags(tags: dict[str, str]) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


def _xml() -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    ways: dict[int, list[int]] = {}
    nid = 1
    for wid, ring in RINGS.items():
        ids = []
        for lo, la in ring:
            out.append(f'<node id="{nid}" version="1" lat="{la}" lon="{lo}"/>')
            ids.append(nid)
            nid += 1
        ways[wid] = [*ids, ids[0]]
    river = []
    for lo, la in RIVER:
        out.append(f'<node id="{nid}" version="1" lat="{la}" lon="{lo}"/>')
        river.append(nid)
        nid += 1
    for pid, lo, la, tags in PLACES:
        out.append(f'<node id="{pid}" version="1" lat="{la}" lon="{lo}">{_tags(tags)}</node>')
    for wid, refs in ways.items():
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        out.append(f'<way id="{wid}" version="1">{nds}{_tags(WAY_TAGS.get(wid, {}))}</way>')
    nds = "".join(f'<nd ref="{r}"/>' for r in river)
    out.append(f'<way id="60" version="1">{nds}'
               f'{_tags({"waterway": "river", "name": "Drentsche Aa"})}</way>')  # fmt: skip
    lake = {"type": "multipolygon", "natural": "water", "name": "Zwanemeer"}
    out.append(f'<relation id="1" version="1"><member type="way" ref="10" role="outer"/>'
               f'<member type="way" ref="11" role="inner"/>{_tags(lake)}</relation>')  # fmt: skip
    broken = {"type": "multipolygon", "landuse": "forest"}  # its way is not in the file
    out.append(f'<relation id="2" version="1"><member type="way" ref="999" role="outer"/>'
               f"{_tags(broken)}</relation>")  # fmt: skip
    out.append("</osm>")
    return "\n".join(out)


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    p = tmp_path_factory.mktemp("basemap") / "plan.osm"
    p.write_text(_xml(), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def toy(plan):
    return build_basemap(plan)


def _metric_area(geom) -> float:
    return float(gpd.GeoSeries([geom], crs=WGS84).to_crs(RD_NEW).area.iloc[0])


def _ring_area(way: int) -> float:
    return _metric_area(shapely.Polygon(RINGS[way]))


def test_exact_kinds_of_the_hand_made_plan(toy):
    f = toy.features
    assert list(f.columns) == ["kind", "name", "rank", "geometry"]
    assert f.crs == WGS84
    assert toy.counts() == {"built_up": 1, "farmland": 0, "grass": 0, "forest": 1, "wetland": 0,
                            "residential": 2, "industrial": 0, "water": 2, "waterway": 1,
                            "place": 2}  # fmt: skip
    # drawing order: the kinds as KINDS lists them
    order = [KINDS.index(k) for k in f["kind"]]
    assert order == sorted(order)


def test_the_lake_keeps_its_island_and_its_name(toy):
    f = toy.features
    lake = f[f["name"] == "Zwanemeer"]
    assert list(lake["kind"]) == ["water"]
    geom = lake.geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1
    assert len(geom.geoms[0].interiors) == 1  # the island is a hole
    expected = _ring_area(10) - _ring_area(11)
    assert _metric_area(geom) == pytest.approx(expected, rel=0.01)
    assert _ring_area(11) > MIN_AREA_M2  # kept because it is big enough


def test_water_wins_over_forest_and_only_water_and_places_are_named(toy):
    f = toy.features
    both = f[f.intersects(shapely.Polygon(RINGS[50]).centroid)]
    assert list(both["kind"]) == ["water"]  # natural=water + landuse=forest
    forest = f[f["kind"] == "forest"]
    assert forest["name"].isna().all()  # "Het Bos" is not drawn as a label
    assert forest.geometry.iloc[0].area == pytest.approx(shapely.Polygon(RINGS[20]).area, rel=0.01)
    named = f[f["name"].notna()]
    assert set(named["kind"]) <= {"water", "waterway", "place"}
    assert f.loc[f["kind"] != "place", "rank"].isna().all()


def test_the_river_is_a_named_line(toy):
    river = toy.features[toy.features["kind"] == "waterway"]
    assert list(river["name"]) == ["Drentsche Aa"]
    line = river.geometry.iloc[0]
    assert line.geom_type == "LineString"
    # the 1 m kink near (6.605, 52.96001) is simplified away; the real bend stays
    assert len(line.coords) == len(RIVER) - 1


def test_places_named_in_dutch_and_ranked(toy):
    places = toy.features[toy.features["kind"] == "place"].set_index("name")
    assert sorted(places.index) == ["Anloo", "Groningen"]  # name:nl first
    assert places.loc["Groningen", "rank"] == PLACE_RANKS["city"] == 1
    assert places.loc["Anloo", "rank"] == PLACE_RANKS["village"] == 3
    assert set(places.geometry.geom_type) == {"Point"}
    assert places.loc["Anloo"].geometry.coords[0] == pytest.approx((6.611, 52.955))
    # cities are drawn last (on top)
    assert list(toy.features["name"].iloc[-2:]) == ["Anloo", "Groningen"]


def test_skipped_objects_are_counted(toy):
    s = toy.stats
    assert s["areas_broken"] == 1  # the forest relation without its way
    assert s["areas_too_small"] == 1  # the 10 x 10 m pond
    assert s["places_unnamed"] == 1
    assert s["areas_read"] == 6 and s["lines_read"] == 1 and s["places_read"] == 2
    assert toy.manifest()["features"] == toy.counts()
    assert "Poel" not in set(toy.features["name"].dropna())


def test_built_up_outline_merges_blocks_across_a_street(toy):
    f = toy.features
    built = f[f["kind"] == "built_up"].geometry.iloc[0]
    assert len(built.geoms) == 1  # one settlement, not two blocks
    blocks = _ring_area(40) + _ring_area(41)
    assert blocks < _metric_area(built) < blocks * 1.1


def test_within_keeps_the_features_touching_the_area(plan):
    area = shapely.box(6.609, 52.949, 6.6145, 52.956)  # the forest and Anloo
    bm = build_basemap(plan, within=area, crs=RD_NEW)
    assert sorted(bm.features["kind"]) == ["forest", "place"]
    assert bm.stats["outside_area"] > 0


def test_write_and_load(toy, tmp_path):
    lay = BuildLayout(tmp_path)
    assert load_basemap(lay.basemap) is None  # a build made before basemaps
    toy.write(lay)
    back = load_basemap(lay.basemap)
    assert back is not None and back.crs == WGS84
    assert list(back["kind"]) == list(toy.features["kind"])
    assert str(back["rank"].dtype) == "Int8"
    layers = dict(pyogrio.list_layers(lay.geopackage))
    assert layers == {"basemap_areas": "MultiPolygon", "basemap_lines": "LineString",
                      "basemap_places": "Point"}  # fmt: skip


def test_an_empty_extract_gives_an_empty_basemap(tmp_path):
    p = tmp_path / "roads.osm"
    p.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" version="1" lat="52.9" '
                 'lon="6.5"/></osm>')  # fmt: skip
    bm = build_basemap(p)
    assert len(bm.features) == 0 and bm.counts() == dict.fromkeys(KINDS, 0)
    assert list(bm.features.columns) == ["kind", "name", "rank", "geometry"]


# --- the real sample ----------------------------------------------------------------------------
#: the water area of the Liechtenstein sample (the Rhine's riverbank, lakes, reservoirs):
#: 5.92 km² measured (2015 extract, 5 m simplification, 0.1 ha minimum)
LIECHTENSTEIN_WATER_KM2 = (5.6, 6.2)


@pytest.fixture(scope="module")
def liechtenstein():
    return build_basemap(LIECHTENSTEIN, crs="EPSG:32632")


def test_liechtenstein_has_the_rhine_and_its_villages(liechtenstein):
    f = liechtenstein.features
    water = f[f["kind"] == "water"]
    assert "Rhein" in set(water["name"])  # the riverbank (no name:nl)
    assert "Rijn" in set(f.loc[f["kind"] == "waterway", "name"])  # the river line's name:nl
    places = f[f["kind"] == "place"].set_index("name")
    assert {"Vaduz", "Schaan", "Balzers", "Triesen", "Eschen", "Mauren"} <= set(places.index)
    assert places.loc["Vaduz", "rank"] == 3  # place=village in 2015
    assert places.loc["Malbun", "rank"] == 5  # hamlet
    km2 = water.to_crs("EPSG:32632").area.sum() / 1e6
    assert LIECHTENSTEIN_WATER_KM2[0] < km2 < LIECHTENSTEIN_WATER_KM2[1], km2


def test_liechtenstein_counts_and_size(liechtenstein, tmp_path):
    c = liechtenstein.counts()
    assert c["place"] == 19 and c["waterway"] == 161  # 15 villages, 4 hamlets; streams
    assert c["forest"] > 100 and c["residential"] > 10 and c["built_up"] > 5
    assert liechtenstein.stats["areas_broken"] == 3  # forest relations cut at the border
    assert shapely.is_valid(liechtenstein.features.geometry.to_numpy()).all()
    lon0, lat0, lon1, lat1 = liechtenstein.features.total_bounds
    assert 9.4 < lon0 < lon1 < 9.75 and 46.9 < lat0 < lat1 < 47.6  # ways cross the border
    p = tmp_path / "basemap.parquet"
    liechtenstein.features.to_parquet(p)
    assert p.stat().st_size < 400_000  # about 220 kB


def test_small_slivers_and_holes_are_dropped(liechtenstein):
    f = liechtenstein.features
    areas = f[f.geom_type == "MultiPolygon"].to_crs("EPSG:32632")
    parts = shapely.get_parts(areas.geometry.to_numpy())
    assert shapely.area(parts).min() >= MIN_AREA_M2
    holes = [shapely.Polygon(r) for p in parts for r in p.interiors]
    assert not holes or min(h.area for h in holes) >= MIN_AREA_M2
    assert np.isin(f["kind"], KINDS).all()


# --- the build stage ----------------------------------------------------------------------------
def test_the_build_writes_the_basemap(demo_build):
    lay = BuildLayout(demo_build.path)
    f = load_basemap(lay.basemap)
    counts = demo_build.manifest["counts"]["basemap"]
    assert counts["features"] == f["kind"].value_counts().reindex(KINDS, fill_value=0).to_dict()
    assert counts["features"]["place"] == 19 and counts["areas_broken"] == 3
    assert "basemap" in demo_build.manifest["timings_s"]
    layers = dict(pyogrio.list_layers(lay.geopackage))
    assert {k: layers[k] for k in ("basemap_areas", "basemap_lines", "basemap_places")} == {
        "basemap_areas": "MultiPolygon",
        "basemap_lines": "LineString",
        "basemap_places": "Point",
    }
    places = pyogrio.read_dataframe(lay.geopackage, layer="basemap_places")
    assert len(places) == 19 and places.crs == WGS84


def test_a_failing_basemap_does_not_fail_the_build(tmp_path, monkeypatch):
    import accessibility.build as build_mod
    from accessibility.build import run_build
    from accessibility.params import BuildParams

    def boom(*args, **kwargs):
        msg = "broken geometry library"
        raise RuntimeError(msg)

    monkeypatch.setattr(build_mod, "build_basemap", boom)
    with pytest.warns(UserWarning, match="basemap left out: broken geometry library"):
        res = run_build(BuildParams(extract=LIECHTENSTEIN, profiles=("car",)), tmp_path / "b")
    assert res.manifest["counts"]["basemap"]["failed"] == "broken geometry library"
    assert not (tmp_path / "b" / "basemap.parquet").exists()
    assert len(res.indicators) > 0
