"""Facility rules, user facility/village files (incl. the DUO school CSV), municipalities."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from accessibility.errors import InputFileError, NoCrsError, UnknownCategoryError
from accessibility.facilities import (
    facilities_from_file,
    facilities_from_osm,
    load_categories,
    match_categories,
)
from accessibility.osm import read_osm
from accessibility.villages import (
    assign_municipality,
    boundaries_from_file,
    parse_population,
    villages_from_file,
)
from tests.conftest import DRENTHE


@pytest.fixture(scope="module")
def rules():
    return load_categories()


def test_default_categories(rules):
    assert rules.names[:3] == ["gp", "gp_post", "pharmacy"]
    for c in (
        "supermarket",
        "school_primary",
        "school_secondary",
        "school",
        "childcare",
        "library",
        "swimming_pool",
        "hospital",
    ):
        assert c in rules.names
    assert rules.categories["gp"].cbs == "ARTSPR"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"amenity": "doctors"}, {"gp"}),
        ({"healthcare": "doctor", "healthcare:speciality": "dermatology"}, set()),
        (
            {"amenity": "school", "isced:level": "1;2"},
            {"school_primary", "school_secondary", "school"},
        ),
        ({"amenity": "school"}, {"school"}),  # unknown level: generic school only
        ({"amenity": "school", "school:nl": "basisschool"}, {"school_primary", "school"}),
        ({"shop": "supermarket"}, {"supermarket"}),
        ({"shop": "convenience"}, {"groceries_other"}),  # not a supermarket
        ({"amenity": "pharmacy"}, {"pharmacy"}),
        ({"leisure": "swimming_pool"}, set()),  # a garden pool is no public facility
        ({"leisure": "sports_centre", "sport": "swimming"}, {"swimming_pool"}),
    ],
)
def test_tag_rules(rules, tags, expected):
    assert set(match_categories(tags, rules)) == expected


def test_facilities_from_osm_one_row_per_category(rules):
    pois = pd.DataFrame(
        [("node", 1, 6.5, 52.8, "De Bron", {"amenity": "school", "isced:level": "1;2"})],
        columns=["osm_type", "osm_id", "lon", "lat", "name", "tags"],
    )
    f = facilities_from_osm(pois, rules)
    assert sorted(f["category"]) == ["school", "school_primary", "school_secondary"]
    assert set(f["facility_id"]) == {"node/1"}


#: the categories as they were before the CBS extension: name, label, CBS code, CBS radii
#: (consumers depend on them; docs/categories.md)
EXISTING_CATEGORIES = [
    ("gp", "GP practice (huisartsenpraktijk)", "ARTSPR", (1, 3, 5)),
    ("gp_post", "GP out-of-hours post (huisartsenpost)", "ARTSPO", ()),
    ("pharmacy", "Pharmacy (apotheek)", "APOTH", ()),
    ("hospital", "Hospital (ziekenhuis)", "ZIEK_I", (5, 10, 20)),
    ("supermarket", "Supermarket", "SUPERM", (1, 3, 5)),
    ("school_primary", "Primary school (basisonderwijs)", "ONDBAS", (1, 3, 5)),
    ("school_secondary", "Secondary school (voortgezet onderwijs)", "ONDVRT", (3, 5, 10)),
    ("school", "School of any level (includes schools whose level is not tagged)", "", ()),
    ("childcare", "Childcare (kinderdagverblijf)", "KDV", (1, 3, 5)),
    ("library", "Library (bibliotheek)", "BIBLIO", ()),
    ("swimming_pool", "Public swimming pool (zwembad)", "ZWEMB", ()),
]

#: the categories added toward CBS's list: name, CBS code, CBS radii
CBS_CATEGORIES = [
    ("groceries_other", "DAGLMD", (1, 3, 5)),
    ("department_store", "WARENH", (5, 10, 20)),
    ("cafe", "CAFE", (1, 3, 5)),
    ("cafetaria", "CAFTAR", (1, 3, 5)),
    ("restaurant", "RESTAU", (1, 3, 5)),
    ("hotel", "HOTEL", (5, 10, 20)),
    ("after_school_care", "BSO", (1, 3, 5)),
    ("school_vmbo", "ONDVMB", (3, 5, 10)),
    ("school_havo_vwo", "ONDHV", (3, 5, 10)),
    ("train_station", "TREINST", ()),
    ("motorway_ramp", "OPRITH", ()),
    ("ice_rink", "IJSBAAN", ()),
    ("cinema", "BIOS", (5, 10, 20)),
    ("museum", "MUSEUM", (5, 10, 20)),
    ("performing_arts", "PODIUM", (5, 10, 20)),
    ("sauna", "SAUNA", ()),
    ("attraction_park", "ATTRAC", (10, 20, 50)),
    ("sports_ground", "", ()),
    ("sports_hall", "", ()),
    ("fire_station", "BRANDW", ()),
]


def test_cbs_categories_come_after_the_existing_ones_unchanged(rules):
    n_old = len(EXISTING_CATEGORIES)
    got = [(c.name, c.label, c.cbs, c.cbs_radii_km) for c in rules.categories.values()]
    assert got[:n_old] == EXISTING_CATEGORIES
    assert [(c[0], c[2], c[3]) for c in got[n_old:]] == CBS_CATEGORIES
    codes = [c.cbs for c in rules.categories.values() if c.cbs]
    assert len(codes) == len(set(codes))  # one column set per code in nabijheid.csv
    for c in list(rules.categories.values())[n_old:]:
        assert c.label.endswith(")") and "(" in c.label  # English (Dutch), as the others


def test_rule_first_keys_are_ones_the_reader_can_afford(rules):
    """The reader collects every object carrying a rule's first key (accessibility/osm.py).

    highway and building are on most ways; railway (signals, switches, tracks) costs
    13-20 % more reading time on the Heidelberg extract (docs/categories.md).
    """
    assert not {"building", "railway"} & set(rules.keys)
    # highway only for motorway junctions: the reader never takes roads as candidates
    assert [r for c in rules.categories.values() for r in c.rules if "highway" in r] == [
        {"highway": "motorway_junction"}
    ]
    assert {"tourism", "train", "railway:ref"} <= set(rules.keys)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        # daily shopping
        ({"highway": "motorway_junction", "ref": "31"}, {"motorway_ramp"}),
        ({"highway": "motorway", "ref": "A28"}, set()),
        ({"shop": "bakery", "name": "Bakkerij Bolhuis"}, {"groceries_other"}),
        ({"shop": "butcher"}, {"groceries_other"}),
        ({"shop": "greengrocer", "organic": "yes"}, {"groceries_other"}),
        ({"shop": "cheese"}, {"groceries_other"}),
        ({"shop": "supermarket", "brand": "Albert Heijn"}, {"supermarket"}),
        ({"shop": "alcohol", "name": "Gall & Gall"}, set()),
        ({"shop": "farm", "name": "Boerderijwinkel"}, set()),
        ({"shop": "department_store", "name": "de Bijenkorf"}, {"department_store"}),
        ({"shop": "variety_store", "brand": "HEMA"}, set()),
        ({"shop": "mall"}, set()),
        # hospitality
        ({"amenity": "pub", "name": "Café De Kastelein"}, {"cafe"}),
        ({"amenity": "bar"}, {"cafe"}),
        (
            {"amenity": "fast_food", "cuisine": "friture", "name": "Cafetaria 't Hoekje"},
            {"cafetaria"},
        ),
        ({"amenity": "cafe", "cuisine": "coffee_shop"}, {"cafetaria"}),  # lunchroom
        ({"amenity": "ice_cream"}, {"cafetaria"}),
        ({"amenity": "restaurant", "cuisine": "regional"}, {"restaurant"}),
        ({"tourism": "hotel", "stars": "3", "amenity": "restaurant"}, {"hotel", "restaurant"}),
        ({"tourism": "motel"}, {"hotel"}),
        ({"tourism": "guest_house", "guest_house": "bed_and_breakfast"}, set()),
        ({"tourism": "hostel"}, set()),
        ({"tourism": "camp_site"}, set()),
        # childcare
        (
            {"amenity": "childcare", "after_school": "yes", "name": "BSO De Boomhut"},
            {"childcare", "after_school_care"},
        ),
        ({"amenity": "kindergarten", "after_school": "yes"}, {"childcare", "after_school_care"}),
        ({"amenity": "childcare", "name": "KDV Dikkertje Dap"}, {"childcare"}),
        ({"amenity": "childcare", "after_school": "no"}, {"childcare"}),
        # education
        ({"amenity": "school", "school:nl": "vmbo"}, {"school", "school_secondary", "school_vmbo"}),
        (
            {"amenity": "school", "school:NL": "havo;vwo"},
            {"school", "school_secondary", "school_havo_vwo"},
        ),
        (
            {"amenity": "school", "school:nl": "vmbo;havo"},
            {"school", "school_secondary", "school_vmbo", "school_havo_vwo"},
        ),
        ({"amenity": "school", "isced:level": "2;3"}, {"school", "school_secondary"}),
        ({"amenity": "college", "school:nl": "vmbo"}, set()),
        # traffic
        (
            {"railway": "station", "public_transport": "station", "train": "yes", "name": "Assen"},
            {"train_station"},
        ),
        ({"public_transport": "station", "train": "yes"}, {"train_station"}),
        ({"railway": "halt", "railway:ref": "Nd H1"}, {"train_station"}),
        (
            {
                "railway": "station",
                "public_transport": "station",
                "subway": "yes",
                "station": "subway",
                "train": "yes",
            },
            set(),
        ),
        ({"railway": "station", "railway:ref": "X", "station": "light_rail"}, set()),
        ({"public_transport": "station", "bus": "yes"}, set()),  # a bus station
        ({"railway": "tram_stop", "railway:ref": "X"}, set()),
        ({"railway": "station"}, set()),  # neither train=yes nor railway:ref: not collected
        # culture and recreation
        ({"leisure": "ice_rink", "sport": "ice_skating", "name": "Kunstijsbaan"}, {"ice_rink"}),
        ({"leisure": "ice_rink", "seasonal": "winter", "name": "IJsvereniging"}, set()),
        ({"amenity": "cinema"}, {"cinema"}),
        ({"tourism": "museum", "name": "Drents Museum"}, {"museum"}),
        ({"tourism": "attraction", "historic": "castle"}, set()),
        ({"amenity": "theatre", "theatre:type": "amphi"}, {"performing_arts"}),
        ({"amenity": "concert_hall"}, {"performing_arts"}),
        ({"amenity": "arts_centre"}, set()),
        ({"leisure": "sauna"}, {"sauna"}),
        ({"leisure": "sauna", "access": "private"}, set()),  # the sauna of a holiday home
        ({"tourism": "zoo", "zoo": "wildlife_park", "name": "Wildlands"}, {"attraction_park"}),
        ({"tourism": "theme_park"}, {"attraction_park"}),
        ({"leisure": "indoor_play"}, {"attraction_park"}),
        ({"tourism": "zoo", "zoo": "petting_zoo", "name": "Kinderboerderij"}, set()),
        ({"leisure": "playground"}, set()),
        ({"leisure": "pitch", "sport": "soccer"}, {"sports_ground"}),
        ({"leisure": "stadium"}, {"sports_ground"}),
        ({"leisure": "pitch", "sport": "tennis", "access": "private"}, set()),
        ({"leisure": "sports_hall", "sport": "volleyball;basketball"}, {"sports_hall"}),
        ({"leisure": "sports_centre", "building": "yes", "sport": "multi"}, {"sports_hall"}),
        ({"leisure": "pitch", "indoor": "yes", "sport": "futsal"}, {"sports_hall"}),
        ({"leisure": "sports_centre", "building": "yes", "sport": "swimming"}, {"swimming_pool"}),
        ({"leisure": "sports_centre", "sport": "multi"}, set()),  # an area: hall or ground?
        ({"leisure": "fitness_centre"}, set()),
        ({"amenity": "fire_station", "name": "Brandweer Assen"}, {"fire_station"}),
        ({"emergency": "fire_hydrant"}, set()),
        # near misses of the existing categories stay out of the new ones
        ({"amenity": "dentist", "healthcare": "dentist"}, set()),
        ({"amenity": "doctors", "healthcare:speciality": "dentist"}, set()),
        ({"leisure": "swimming_pool", "access": "private"}, set()),
    ],
)
def test_cbs_category_rules(rules, tags, expected):
    assert set(match_categories(tags, rules)) == expected


def test_reader_collects_the_new_first_keys(tmp_path, rules):
    """read_osm + the rules: stations by train=yes or railway:ref, hotels by tourism."""
    pois = {
        1: {"railway": "station", "public_transport": "station", "train": "yes"},
        2: {"railway": "halt", "railway:ref": "Asn"},
        3: {"railway": "station"},  # neither key: the reader does not collect it
        4: {"railway": "signal"},
        5: {"tourism": "hotel"},
        6: {"amenity": "fast_food"},
    }
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, tags in pois.items():
        xml.append(f'<node id="{i}" version="1" lat="52.99" lon="{6.5 + i / 1000}">')
        xml += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        xml.append("</node>")
    xml += ['<node id="10" version="1" lat="52.98" lon="6.5"/>',
            '<node id="11" version="1" lat="52.98" lon="6.51"/>',
            '<way id="20" version="1"><nd ref="10"/><nd ref="11"/>',
            '<tag k="highway" v="residential"/></way>', "</osm>"]  # fmt: skip
    p = tmp_path / "poi.osm"
    p.write_text("\n".join(xml))
    osm = read_osm(p, poi_keys=rules.keys)
    assert sorted(osm.pois["osm_id"]) == [1, 2, 5, 6]
    f = facilities_from_osm(osm.pois, rules)
    assert sorted(zip(f["facility_id"], f["category"], strict=True)) == [
        ("node/1", "train_station"),
        ("node/2", "train_station"),
        ("node/5", "hotel"),
        ("node/6", "cafetaria"),
    ]


def test_user_rules_file(tmp_path):
    p = tmp_path / "cats.toml"
    p.write_text('[categories.bakery]\nlabel = "Bakker"\nrules = [{ shop = "bakery" }]\n')
    r = load_categories(p)
    assert r.names == ["bakery"] and r.keys == ("shop",)
    bad = tmp_path / "bad.toml"
    bad.write_text("[categories.x\n")
    with pytest.raises(InputFileError, match="not valid TOML"):
        load_categories(bad)


def test_csv_lonlat(tmp_path, rules):
    p = tmp_path / "huisartsen.csv"
    p.write_text(
        "id,name,category,lon,lat\nA1,Praktijk Zuid,gp,6.55,52.99\n"
        "A2,Praktijk Noord,gp,6.56,53.01\n"
    )
    f = facilities_from_file(p, rules)
    assert list(f["facility_id"]) == ["huisartsen:A1", "huisartsen:A2"]
    assert list(f["category"]) == ["gp", "gp"]
    assert f["lon"].tolist() == [6.55, 6.56]


def test_csv_xy_needs_crs(tmp_path, rules):
    p = tmp_path / "rd.csv"
    p.write_text("category;x;y\ngp;233000;557000\n")
    with pytest.raises(NoCrsError, match="--facilities-crs"):
        facilities_from_file(p, rules)
    f = facilities_from_file(p, rules, xy_crs="EPSG:28992")
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True).transform(
        233000, 557000
    )
    assert (f["lon"].iloc[0], f["lat"].iloc[0]) == pytest.approx((lon, lat), abs=1e-9)
    assert 6.5 < lon < 6.6 and 52.9 < lat < 53.1  # near Assen


def test_unknown_category_and_missing_columns(tmp_path, rules):
    p = tmp_path / "x.csv"
    p.write_text("category,lon,lat\nbakery,6.5,52.9\n")
    with pytest.raises(UnknownCategoryError, match=r"'bakery'.*expected one of gp"):
        facilities_from_file(p, rules)
    q = tmp_path / "y.csv"
    q.write_text("category,longitude,latitude\ngp,6.5,52.9\n")
    with pytest.raises(InputFileError, match="missing coordinate columns"):
        facilities_from_file(q, rules)
    r = tmp_path / "z.csv"
    r.write_text("name,lon,lat\nA,6.5,52.9\n")
    with pytest.raises(InputFileError, match="no `category` column"):
        facilities_from_file(r, rules)
    s = tmp_path / "swapped.csv"
    s.write_text("category,lon,lat\ngp,233000,557000\n")
    with pytest.raises(InputFileError, match="outside WGS84 range"):
        facilities_from_file(s, rules)


def test_rows_without_coordinates_are_counted_not_silently_dropped(tmp_path, rules):
    p = tmp_path / "f.csv"
    p.write_text("category,lon,lat\ngp,6.5,52.9\ngp,,\nsupermarket,6.6,52.8\n")
    with pytest.warns(UserWarning, match="1 of 3 rows have no coordinates"):
        f = facilities_from_file(p, rules)
    assert len(f) == 2


def test_duo_school_file(rules):
    with pytest.warns(UserWarning, match="PC4 centroid"):
        f = facilities_from_file(DRENTHE / "duo_basisscholen_drenthe.csv", rules)
    assert len(f) == 253
    assert set(f["category"]) == {"school_primary"}
    assert f["facility_id"].iloc[0] == "duo_basisscholen_drenthe:32JK00"
    assert f["name"].iloc[0] == "BBS de Verwondering"
    assert f["lon"].between(6.1, 7.1).all() and f["lat"].between(52.6, 53.2).all()


def test_duo_file_in_cp1252(tmp_path, rules):
    text = (DRENTHE / "duo_basisscholen_drenthe.csv").read_text(encoding="utf-8")
    p = tmp_path / "duo_basisscholen_cp1252.csv"
    p.write_bytes(text.encode("cp1252", errors="replace"))
    with pytest.warns(UserWarning, match="PC4"):
        f = facilities_from_file(p, rules)
    assert len(f) == 253


def test_geojson_facilities(tmp_path, rules):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"category": "supermarket", "id": 7, "name": "Coop"},
                "geometry": {"type": "Point", "coordinates": [6.51, 52.86]},
            }
        ],
    }
    p = tmp_path / "shops.geojson"
    p.write_text(json.dumps(fc))
    f = facilities_from_file(p, rules)
    assert f.iloc[0][["facility_id", "category", "name"]].tolist() == [
        "shops:7",
        "supermarket",
        "Coop",
    ]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("5229", 5229),
        ("5'229", 5229),
        ("1 357", 1357),
        ("4.284", 4284),
        ("about 300", None),
        (None, None),
        ("-5", None),
    ],
)
def test_parse_population(raw, value):
    got = parse_population(raw)
    assert np.isnan(got) if value is None else got == value


def test_villages_csv(tmp_path):
    p = tmp_path / "kernen.csv"
    p.write_text(
        "id,name,population,lon,lat\nWP1,Zorgvlied,420,6.2535,52.9215\n"
        "WP2,Drijber,510,6.5495,52.7878\n"
    )
    v, polys = villages_from_file(p)
    assert polys is None
    assert v["village_id"].tolist() == ["WP1", "WP2"]
    assert v["population"].tolist() == [420.0, 510.0]


def test_villages_duplicate_ids_rejected(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("id,name,lon,lat\nA,X,6.5,52.9\nA,Y,6.6,52.9\n")
    with pytest.raises(InputFileError, match="'A' occurs more than once"):
        villages_from_file(p)


def test_villages_polygons_give_points_and_polygons(tmp_path):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "K1", "name": "Kern", "population": 900},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[6.50, 52.85], [6.52, 52.85], [6.52, 52.87], [6.50, 52.87], [6.50, 52.85]]
                    ],
                },
            }
        ],
    }
    p = tmp_path / "kernen.geojson"
    p.write_text(json.dumps(fc))
    v, polys = villages_from_file(p)
    assert v["lon"].iloc[0] == pytest.approx(6.51, abs=0.01)
    assert len(polys) == 1 and polys.geometry.iloc[0].geom_type == "Polygon"


def test_woonplaatsen_and_municipalities_of_drenthe():
    v, _ = villages_from_file(DRENTHE / "woonplaatsen_2016.geojson")
    assert len(v) == 213 and v["population"].isna().all()
    b = boundaries_from_file(DRENTHE / "gemeenten_2025.geojson")
    assert len(b) == 12
    v["municipality"] = assign_municipality(v, b, admin_level=None)
    mun = dict(zip(v["village_name"], v["municipality"], strict=True))
    # the province's worst-served GP villages in 2014 and their municipalities
    assert mun["Zorgvlied"] == "Westerveld"
    assert mun["Drijber"] == "Midden-Drenthe"
    assert mun["Assen"] == "Assen"
    assert v["municipality"].notna().mean() > 0.95


def test_boundaries_without_crs_or_name(tmp_path):
    p = tmp_path / "b.geojson"
    p.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": 1},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]],
                        },
                    }
                ],
            }
        )
    )
    with pytest.raises(InputFileError, match="no name column"):
        boundaries_from_file(p)
    with pytest.raises(InputFileError, match="not found"):
        boundaries_from_file(tmp_path / "none.gpkg")


# --- files and options refused with one line, before any work (issue 14) ------------------------
@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"category,lon,lat\ngp,9.5,47.1\x81\n", "not UTF-8 or Windows-1252 text (byte 0x81"),
        (b"PK\x03\x04\x14\x00\x06\x00binary\x00xl/workbook.xml", "(an Excel workbook?)"),
        (b"\x00\x01\x02 category,lon,lat", "not a text CSV but a binary file"),
    ],
)
def test_a_csv_that_is_not_text_is_one_clear_error(tmp_path, content, words):
    from accessibility.inputs import read_text_csv

    p = tmp_path / "facilities.csv"
    p.write_bytes(content)
    with pytest.raises(InputFileError, match=words.replace("(", r"\(").replace("?)", r"\?\)")):
        read_text_csv(p)


def test_windows_1252_is_still_read(tmp_path):
    from accessibility.inputs import read_text_csv

    p = tmp_path / "f.csv"
    p.write_bytes("category,lon,lat,name\ngp,9.5,47.1,Praxis M\u00fcller\n".encode("cp1252"))
    assert read_text_csv(p)["name"].iloc[0] == "Praxis M\u00fcller"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--facilities-crs", "EPSG:99999"], "unknown CRS 'EPSG:99999'"),
        (["--villages-crs", "EPSG:0"], "unknown CRS 'EPSG:0'"),
        (["--max-snap-m", "-5"], "--max-snap-m: expected a finite number > 0"),
        (["--radii-km", "nan"], "--radii-km: expected positive numbers"),
        (["--buffer-km", "inf"], "--buffer-km: expected a finite number > 0"),
    ],
)
def test_bad_build_options_exit_2_with_one_line(tmp_path, capsys, argv, words):
    from app.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["build", "--out", str(tmp_path / "b"), *argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("field", ["max_snap_m", "buffer_km", "radii_km"])
def test_build_params_refuse_numbers_no_build_can_use(field):
    from accessibility.errors import ParameterError
    from accessibility.params import BuildParams

    value = (float("nan"),) if field == "radii_km" else -1.0
    with pytest.raises(ParameterError, match=field):
        BuildParams(extract=DRENTHE, **{field: value})
