"""Shared fixtures: toy networks checkable by hand, and the real sample build."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accessibility.crs import RD_NEW
from accessibility.network import Network

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
LIECHTENSTEIN = SAMPLES / "liechtenstein-2015-07-27.osm.pbf"
AMSTERDAM = SAMPLES / "amsterdam-oost-2016.osm.pbf"
SYNTHETIC_COVERAGE = SAMPLES / "synthetic-coverage-liechtenstein.tif"
DRENTHE = SAMPLES / "drenthe"
#: the documented example of a user profiles file (an e-bike at 20 km/h, a mobility scooter)
EXTRA_PROFILES = ROOT / "docs" / "examples" / "profiles-extra.toml"

# RD New origin for toy networks: somewhere in Drenthe (x, y in metres)
X0, Y0 = 230_000.0, 540_000.0


def make_network(
    nodes: dict[int, tuple[float, float]],
    edges: list[tuple],
    *,
    profile: str = "car",
) -> Network:
    """A Network with straight edges between toy nodes (coordinates in metres from X0, Y0).

    ``edges``: ``(u, v)`` two-way at 36 km/h (10 m/s), or ``(u, v, forward, backward,
    speed_kph)``. Lengths are the straight-line lengths.
    """
    ids = sorted(nodes)
    index = {n: i for i, n in enumerate(ids)}
    xs = np.array([X0 + nodes[n][0] for n in ids])
    ys = np.array([Y0 + nodes[n][1] for n in ids])
    eu, ev, fw, bw, sp, gs, cx, cy = [], [], [], [], [], [], [], []
    for e in edges:
        u, v = e[0], e[1]
        f, b, s = (e[2], e[3], e[4]) if len(e) > 2 else (True, True, 36.0)
        eu.append(index[u])
        ev.append(index[v])
        fw.append(f)
        bw.append(b)
        sp.append(s)
        gs.append(len(cx))
        cx += [xs[index[u]], xs[index[v]]]
        cy += [ys[index[u]], ys[index[v]]]
    eu_a, ev_a = np.array(eu), np.array(ev)
    length = np.hypot(xs[ev_a] - xs[eu_a], ys[ev_a] - ys[eu_a])
    m = len(edges)
    return Network(
        profile=profile,
        crs=RD_NEW,
        node_osmid=np.array(ids, dtype=np.int64),
        node_x=xs,
        node_y=ys,
        edge_u=eu_a.astype(np.int64),
        edge_v=ev_a.astype(np.int64),
        edge_length_m=length,
        edge_speed_kph=np.array(sp, dtype=float),
        edge_forward=np.array(fw, dtype=bool),
        edge_backward=np.array(bw, dtype=bool),
        edge_way_id=np.arange(1, m + 1, dtype=np.int64),
        edge_highway=np.array(["residential"] * m),
        edge_name=np.array([""] * m),
        edge_geom_start=np.array(gs, dtype=np.int64),
        edge_geom_end=np.array(gs, dtype=np.int64) + 1,
        coord_x=np.array(cx),
        coord_y=np.array(cy),
    )


@pytest.fixture(scope="session")
def toy_network() -> Network:
    """Six nodes, checkable by hand (metres)::

        1 ---100--- 2 ---100--- 3
        |           |  (2->3 oneway, 30 km/h)
       100         100
        |           |
        4 ---100--- 5           6 (isolated pair 6-7, 50 m)

    Edges 1-2, 1-4, 4-5, 2-5 two-way at 36 km/h (10 m/s); 2->3 oneway at 30 km/h.
    """
    nodes = {
        1: (0, 100),
        2: (100, 100),
        3: (200, 100),
        4: (0, 0),
        5: (100, 0),
        6: (300, 0),
        7: (350, 0),
    }
    edges = [(1, 2), (1, 4), (4, 5), (2, 5), (2, 3, True, False, 30.0), (6, 7)]
    return make_network(nodes, edges)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory):
    """The embedded default (Liechtenstein, with its SYNTHETIC coverage), built once."""
    from accessibility.build import run_build
    from accessibility.model import load_build
    from accessibility.params import BuildParams

    out = tmp_path_factory.mktemp("builds") / "demo"
    run_build(BuildParams(extract=LIECHTENSTEIN, coverage=SYNTHETIC_COVERAGE), out)
    return load_build(out)


@pytest.fixture(scope="session")
def ebike_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample built with car, bike and the ``ebike`` of the example profiles file."""
    from accessibility.build import run_build
    from accessibility.params import BuildParams

    out = tmp_path_factory.mktemp("ebike") / "ebike"
    params = BuildParams(extract=LIECHTENSTEIN, profiles=("car", "bike", "ebike"),
                         profiles_file=EXTRA_PROFILES)  # fmt: skip
    run_build(params, out)
    return out


HEIDELBERG = SAMPLES / "heidelberg-2024-09-08.osm.pbf"
VRN_FEED = SAMPLES / "vrn-rhein-neckar-2022-cut.gtfs.zip"
VRN_PLACES = SAMPLES / "vrn-places-2022.csv"


@pytest.fixture(scope="session")
def transit_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Heidelberg with the real VRN feed (Thursday 2022-09-01 from 07:00, two hours)."""
    from accessibility.build import run_build
    from accessibility.params import BuildParams

    out = tmp_path_factory.mktemp("transit") / "vrn"
    params = BuildParams(extract=HEIDELBERG, villages=VRN_PLACES, origins=False,
                         gtfs=(VRN_FEED,), departure="2022-09-01T07:00")  # fmt: skip
    with pytest.warns(UserWarning, match="114 of 354 public transport stops lie outside"):
        run_build(params, out)
    return out
