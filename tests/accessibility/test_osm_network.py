"""Reading OSM files and building per-profile networks (tiny hand-written extracts)."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer

from accessibility.crs import RD_NEW, choose_metric_crs
from accessibility.errors import EmptyNetworkError, OsmReadError
from accessibility.network import Network, build_network, project_osm
from accessibility.osm import read_osm
from accessibility.profiles import load_profiles, parse_maxspeed, resolve_profile, way_rule
from app.cli import main as cli_main
from tests.conftest import AMSTERDAM, LIECHTENSTEIN

# node id -> (lon, lat): a small street pattern near Beilen (Drenthe)
NODES = {
    1: (6.5000, 52.8600),
    2: (6.5010, 52.8600),
    3: (6.5020, 52.8600),
    4: (6.5030, 52.8600),
    5: (6.5020, 52.8610),
    6: (6.5020, 52.8590),
    7: (6.5100, 52.8700),
    8: (6.5110, 52.8700),
}
WAYS = [
    # id, nodes, tags
    (10, [1, 2, 3], {"highway": "residential", "name": "Brink"}),  # 2 is interstitial
    (11, [3, 4], {"highway": "residential", "oneway": "yes", "maxspeed": "50"}),
    (12, [5, 3, 6], {"highway": "tertiary"}),
    (13, [4, 5], {"highway": "footway"}),
    (14, [6, 1], {"highway": "service", "access": "private"}),
    (15, [7, 8], {"highway": "residential"}),  # detached: outside the largest component
    (16, [4, 6], {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}),
]


def osm_xml(nodes=NODES, ways=WAYS, extra: str = "") -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, (lon, lat) in nodes.items():
        out.append(f'<node id="{i}" version="1" lat="{lat}" lon="{lon}"/>')
    out.append(extra)
    for wid, refs, tags in ways:
        out.append(f'<way id="{wid}" version="1">')
        out += [f'<nd ref="{r}"/>' for r in refs]
        out += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        out.append("</way>")
    out.append("</osm>")
    return "\n".join(out)


@pytest.fixture
def tiny_osm(tmp_path):
    p = tmp_path / "tiny.osm"
    p.write_text(osm_xml())
    return p


def _len_m(a: int, b: int) -> float:
    t = Transformer.from_crs("EPSG:4326", RD_NEW, always_xy=True)
    (x0, y0), (x1, y1) = t.transform(*NODES[a]), t.transform(*NODES[b])
    return float(np.hypot(x1 - x0, y1 - y0))


def _net(path, profile, keep=True):
    osm = read_osm(path)
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    return build_network(osm, profile, crs=crs, keep_largest_component=keep)


def _edges(net: Network) -> dict[tuple[int, int], tuple[float, bool, bool]]:
    ids = net.node_osmid
    return {
        (int(ids[u]), int(ids[v])): (float(length), bool(f), bool(b))
        for u, v, length, f, b in zip(
            net.edge_u,
            net.edge_v,
            net.edge_length_m,
            net.edge_forward,
            net.edge_backward,
            strict=True,
        )
    }


def test_car_network_simplified_oneway_access_and_component(tiny_osm):
    net = _net(tiny_osm, "car")
    assert net.crs == RD_NEW  # inside the Netherlands
    e = _edges(net)
    # node 2 is folded into the 1-3 edge; footway 4-5 and private 6-1 are not for cars
    assert set(e) == {(1, 3), (3, 4), (5, 3), (3, 6), (4, 6)}
    assert e[(1, 3)][0] == pytest.approx(_len_m(1, 2) + _len_m(2, 3), rel=1e-9)
    assert e[(3, 4)][1:] == (True, False)  # oneway
    assert e[(4, 6)][1:] == (True, False)
    # node 1 is a dead end reachable both ways: kept; 7-8 dropped and counted
    assert net.stats["nodes_dropped_outside_largest_component"] == 2
    assert net.stats["edges_dropped_outside_largest_component"] == 1
    # speeds: maxspeed=50 on the oneway, default 30 for residential
    spd = dict(
        zip(
            zip(
                net.node_osmid[net.edge_u].tolist(),
                net.node_osmid[net.edge_v].tolist(),
                strict=True,
            ),
            net.edge_speed_kph,
            strict=True,
        )
    )
    f = load_profiles().check("car").speed_factor  # limits times the calibration factor
    assert spd[(3, 4)] == 50.0 * f and spd[(1, 3)] == 30.0 * f and spd[(5, 3)] == 50.0 * f


def test_largest_strongly_connected_component_only(tmp_path):
    # without the footway, node 4 can be entered (3->4) but only left by 4->6, fine; a
    # oneway spur into a dead end is not strongly connected and is dropped
    ways = [*WAYS, (17, [4, 7], {"highway": "residential", "oneway": "yes"})]
    p = tmp_path / "spur.osm"
    p.write_text(osm_xml(ways=ways))
    net = _net(p, "car")
    assert 7 not in set(net.node_osmid.tolist())
    full = _net(p, "car", keep=False)
    assert 7 in set(full.node_osmid.tolist())


def test_bike_and_walk_profiles(tiny_osm):
    net = _net(tiny_osm, "bike")
    bike = _edges(net)
    assert bike[(4, 6)][1:] == (True, True)  # oneway:bicycle=no
    # oneway=yes: ridden forward at 15 km/h, pushed back against it at walking pace
    assert bike[(3, 4)][1:] == (True, True)
    i = int(np.flatnonzero(net.edge_way_id == 11)[0])
    assert (net.edge_speed_kph[i], net.edge_speed_backward_kph[i]) == (15.0, 4.0)
    assert net.edge_time_backward_s[i] == pytest.approx(net.edge_length_m[i] / (4 / 3.6))
    # footway without bicycle=yes: pushed both ways
    assert bike[(4, 5)][1:] == (True, True)
    j = int(np.flatnonzero(net.edge_way_id == 13)[0])
    assert (net.edge_speed_kph[j], net.edge_speed_backward_kph[j]) == (4.0, 4.0)
    walk = _edges(_net(tiny_osm, "walk"))
    assert (4, 5) in walk and all(f and b for _, f, b in walk.values())
    assert (6, 1) not in walk and (1, 6) not in walk  # access=private


def test_travel_time_from_speed(tiny_osm):
    net = _net(tiny_osm, "walk")
    np.testing.assert_allclose(net.edge_time_s, net.edge_length_m / (5.0 / 3.6))


def test_osmnx_compatible_graph_and_exports(tiny_osm, tmp_path):
    import osmnx as ox

    net = _net(tiny_osm, "car")
    G = net.to_networkx()
    assert isinstance(G, nx.MultiDiGraph)
    assert G.graph["crs"] == RD_NEW
    assert G.number_of_nodes() == net.n_nodes and G.number_of_edges() == net.n_arcs
    d = G.get_edge_data(3, 4)[0]
    assert {"osmid", "length", "speed_kph", "travel_time", "geometry"} <= set(d)
    assert not G.has_edge(4, 3)
    assert nx.shortest_path_length(G, 1, 4, weight="length") == pytest.approx(
        _len_m(1, 2) + _len_m(2, 3) + _len_m(3, 4)
    )
    nodes, edges = ox.graph_to_gdfs(G)
    assert len(edges) == net.n_arcs and str(nodes.crs) == RD_NEW
    ox.save_graphml(G, tmp_path / "g.graphml")
    H = ox.load_graphml(tmp_path / "g.graphml")
    assert H.number_of_edges() == G.number_of_edges()


def test_graph_geopackage_layers_are_osmnx_undirected_layers(tiny_osm, tmp_path):
    """bereik's nodes/edges layers hold what osmnx's own GeoPackage of the graph would."""
    import osmnx as ox

    from accessibility.writer import network_graph_layers, write_network_geopackage

    for profile in ("car", "bike"):
        net = _net(tiny_osm, profile)
        nodes, edges = network_graph_layers(net)
        G = net.to_networkx()
        ox_nodes, ox_edges = ox.convert.graph_to_gdfs(ox.convert.to_undirected(G))
        ox_edges = ox_edges.reset_index()
        assert list(nodes.columns) == ["osmid", *ox_nodes.columns.drop("osmid")]
        assert set(edges.columns) == set(ox_edges.columns)
        assert sorted(nodes["osmid"]) == sorted(ox_nodes.index)
        assert len(edges) == len(ox_edges) == net.n_edges

        def pieces(e):
            ends = zip(np.minimum(e["u"], e["v"]), np.maximum(e["u"], e["v"]), strict=True)
            return sorted(zip(ends, e["osmid"], e["length"].round(6), e["oneway"], strict=True))

        assert pieces(edges) == pieces(ox_edges)
        one_way = edges[edges["oneway"]]  # drawn and timed in the direction it may be used
        back = ox_edges.set_index(["from", "to", "osmid"]).loc[
            list(zip(one_way["from"], one_way["to"], one_way["osmid"], strict=True))
        ]
        np.testing.assert_allclose(one_way["travel_time"], back["travel_time"])
        assert list(one_way["reversed"]) == list(back["reversed"])
        # osmnx rebuilds the graph from them
        H = ox.convert.graph_from_gdfs(
            nodes.set_index("osmid"), edges.set_index(["u", "v", "key"]), graph_attrs=G.graph
        )
        assert H.number_of_nodes() == G.number_of_nodes()
        assert write_network_geopackage(net, tmp_path / f"{profile}.gpkg") == (
            len(nodes),
            len(edges),
        )


def test_network_save_load_roundtrip(tiny_osm, tmp_path):
    net = _net(tiny_osm, "bike")
    net.save(tmp_path / "n.npz")
    back = Network.load(tmp_path / "n.npz")
    assert back.profile == "bike" and back.crs == net.crs and back.stats == net.stats
    np.testing.assert_array_equal(back.edge_length_m, net.edge_length_m)
    assert (back.csr("travel_time_s") != net.csr("travel_time_s")).nnz == 0
    for k in Network._ARRAYS + Network._OPTIONAL:  # every array, dtype included
        a, b = getattr(net, k), getattr(back, k)
        assert a.dtype == b.dtype and np.array_equal(a.astype(str) if a.dtype.kind == "U"
                                                     else a, b), k  # fmt: skip


def test_network_file_is_compact_and_format_2_still_loads(demo_build, tmp_path):
    """Format 3 stores text as distinct values + int32 codes and indices as int32 (the
    sample's car file shrinks by 45 %); a format-2 file (text as is) loads the same."""
    import json

    net = demo_build.networks["car"]
    net.save(tmp_path / "n3.npz")
    with np.load(tmp_path / "n3.npz") as z:
        assert z["edge_name__codes"].dtype == np.int32 and z["edge_u"].dtype == np.int32
        assert len(z["edge_highway__values"]) < 30
    arrays = {k: getattr(net, k) for k in Network._ARRAYS + Network._OPTIONAL}
    meta = {"profile": net.profile, "crs": net.crs, "stats": net.stats, "format_version": 2}
    np.savez(tmp_path / "n2.npz", meta=np.array(json.dumps(meta)), **arrays)
    assert (tmp_path / "n3.npz").stat().st_size < 0.6 * (tmp_path / "n2.npz").stat().st_size
    for f in ("n2.npz", "n3.npz"):
        back = Network.load(tmp_path / f)
        for k in Network._ARRAYS + Network._OPTIONAL:
            assert np.array_equal(getattr(back, k), getattr(net, k)), (f, k)
            assert getattr(back, k).dtype.kind == getattr(net, k).dtype.kind, (f, k)


def test_compressed_xml_formats(tmp_path):
    text = osm_xml().encode()
    (tmp_path / "a.osm.bz2").write_bytes(bz2.compress(text))
    (tmp_path / "a.osm.gz").write_bytes(gzip.compress(text))
    for name in ("a.osm.bz2", "a.osm.gz"):
        assert read_osm(tmp_path / name).n_ways == len(WAYS)


def test_missing_node_locations_split_the_way(tmp_path):
    ways = [(20, [1, 2, 99, 3, 4], {"highway": "residential"})]
    p = tmp_path / "clipped.osm"
    p.write_text(osm_xml(ways=ways))
    osm = read_osm(p)
    assert osm.stats["missing_locations"] == 1
    assert osm.stats["ways_split_at_missing"] == 1
    assert osm.n_ways == 2  # 1-2 and 3-4, never a straight 2-3 shortcut


def test_real_extracts_read():
    osm = read_osm(LIECHTENSTEIN)
    assert osm.replication_timestamp == "2015-07-27T21:14:01Z"
    assert osm.stats["highway_ways"] == 4667  # 4660 highways and 7 railway platforms
    assert sum("highway" not in t for t in osm.way_tags) == 7
    assert len(osm.restrictions) == 3
    assert len(osm.places) == 19
    assert set(osm.boundaries["name"]) >= {"Vaduz", "Schaan", "Balzers", "Triesenberg"}
    ams = read_osm(AMSTERDAM)
    assert choose_metric_crs(ams.node_lon, ams.node_lat) == RD_NEW
    assert choose_metric_crs(osm.node_lon, osm.node_lat) == "EPSG:32632"
    xy = project_osm(osm, "EPSG:32632")
    car = build_network(osm, "car", crs="EPSG:32632", xy=xy)
    walk = build_network(osm, "walk", crs="EPSG:32632", xy=xy)
    assert 3000 < car.n_nodes < walk.n_nodes
    assert car.edge_length_m.sum() < walk.edge_length_m.sum()


def test_no_road_for_a_profile(tmp_path):
    p = tmp_path / "foot.osm"
    p.write_text(osm_xml(ways=[(30, [1, 2], {"highway": "footway"})]))
    with pytest.raises(EmptyNetworkError, match="no road usable by profile 'car'"):
        _net(p, "car")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.osm.pbf", None, "no such file"),
        ("empty.osm.pbf", b"", "the file is empty"),
        ("garbage.osm.pbf", b"this is not protobuf at all" * 10, "not a readable OSM file"),
        ("page.osm", b"<html><body>404</body></html>", "not a readable OSM file"),
        ("roads.csv", b"a,b\n1,2\n", "unsupported file type"),
        ("nothing.osm", osm_xml(ways=[]).encode(), "no highway"),
    ],
)
def test_bad_extracts_give_one_clear_line(tmp_path, capsys, name, content, message):
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(OsmReadError, match=message) as info:
        read_osm(p)
    assert str(p) in str(info.value)
    rc = cli_main(["build", str(p), "--out", str(tmp_path / "b"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("bereik: error:") and message in err[0]
    assert not (tmp_path / "b").exists()


def test_truncated_pbf(tmp_path, capsys):
    p = tmp_path / "cut.osm.pbf"
    p.write_bytes(LIECHTENSTEIN.read_bytes()[:300_000])
    with pytest.raises(OsmReadError, match="truncated or corrupt"):
        read_osm(p)
    assert cli_main(["build", str(p), "--out", str(tmp_path / "b"), "--quiet"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_maxspeed_parsing_and_way_rules():
    assert parse_maxspeed("50") == 50.0
    assert parse_maxspeed("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_maxspeed("NL:urban") == 50.0 and parse_maxspeed("NL:rural") == 80.0
    assert parse_maxspeed("60;30") == 30.0
    assert parse_maxspeed("signals") is None and parse_maxspeed(None) is None
    assert way_rule({"highway": "motorway"}, "car").backward is False
    assert way_rule({"highway": "motorway"}, "bike") is None
    assert way_rule({"highway": "residential", "motor_vehicle": "no"}, "car") is None
    assert (
        way_rule({"highway": "residential", "access": "private", "motor_vehicle": "yes"}, "car")
        is not None
    )
    assert way_rule({"highway": "footway", "bicycle": "designated"}, "bike") is not None
    rb = way_rule({"highway": "primary", "junction": "roundabout"}, "car")
    assert (rb.forward, rb.backward) == (True, False)
    assert way_rule({"highway": "residential", "oneway": "-1"}, "walk").backward is True


def test_ferry_and_platform_ways(tmp_path):
    """A ferry timed by its duration tag (plus the boarding penalty once, however many
    edges the crossing has) and a railway platform without highway=*."""
    ways = [
        (10, [1, 2, 3], {"highway": "residential"}),
        # the crossing 3 -> 4 -> 7; 4 is shared with the quay street, so two edges
        (20, [3, 4, 7], {"route": "ferry", "duration": "00:12", "motor_vehicle": "no"}),
        (21, [4, 5], {"highway": "residential"}),
        (22, [7, 8], {"highway": "residential"}),
        (30, [5, 6], {"railway": "platform", "public_transport": "platform"}),
        (31, [6, 1], {"highway": "residential"}),
    ]
    p = tmp_path / "ferry.osm"
    p.write_text(osm_xml(ways=ways))
    bike = _net(p, "bike", keep=False)
    ferry = bike.edge_way_id == 20
    assert list(bike.edge_highway[ferry]) == ["ferry", "ferry"]
    boarding = resolve_profile("bike").penalties_s["ferry"]
    assert bike.edge_time_s[ferry].sum() == pytest.approx(12 * 60 + boarding)
    assert bike.edge_time_backward_s[ferry].sum() == pytest.approx(12 * 60 + boarding)
    assert 20 not in _net(p, "car", keep=False).edge_way_id  # motor_vehicle=no
    walk = _net(p, "walk", keep=False)
    assert "platform" in set(walk.edge_highway) and 30 in walk.edge_way_id
    assert 30 not in _net(p, "car", keep=False).edge_way_id


def test_heidelberg_ferry_end_to_end():
    """The Neckar ferry way 178569594 (PT3M): 215 m across by ferry, 980 m over the nearest
    bridge; the fastest trip still takes the bridge (3 min crossing + 5 min boarding)."""
    import dataclasses

    from accessibility.routing import travel_matrix

    osm = read_osm(Path(__file__).parents[2] / "data" / "samples" / "heidelberg-2024-09-08.osm.pbf")
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    src, dst = [(8.673925, 49.411283)], [(8.672672, 49.409726)]
    bike = resolve_profile("bike")
    r = travel_matrix(build_network(osm, bike, crs=crs), src, dst)
    no_ferry = dataclasses.replace(bike, highways=bike.highways - {"ferry"})
    r0 = travel_matrix(build_network(osm, no_ferry, crs=crs), src, dst)
    assert r.distances_m[0, 0] == pytest.approx(214.8, abs=0.5)
    assert r0.distances_m[0, 0] == pytest.approx(979.9, abs=0.5)
    assert r.durations_s[0, 0] == pytest.approx(r0.durations_s[0, 0], abs=1.0)
    assert r.durations_s[0, 0] < 3 * 60 + 300
