"""Car, bike and walk shortest distances of the real sample against OSRM, per profile.

``benchmarks/crosscheck.py`` compares like with like: OSRM's bundled ``car.lua``,
``bicycle.lua`` and ``foot.lua``, patched at run time to minimise distance with no turn
costs, against bereik's shortest distances, every village x every facility. The report with
the targets and the classes of difference is ``docs/crosscheck.md``; this test holds the
agreement measured on the Liechtenstein sample, with a margin, so that a regression shows.
The floors sit below the targets where a known class of difference is open (see there).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "crosscheck.py"
pytestmark = [pytest.mark.peers, pytest.mark.slow]

#: share of pairs within max(150 m, 5 %) of OSRM: at least this (measured minus a margin)
FLOORS = {"car": 0.97, "bike": 0.97, "walk": 0.90}


@pytest.fixture(scope="module")
def crosscheck(osrm_python, tmp_path_factory):
    """The script as a module, its peer calls going to the test's OSRM venv."""
    spec = importlib.util.spec_from_file_location("crosscheck", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.PEERS_PY = Path(osrm_python)
    mod.WORK = tmp_path_factory.mktemp("crosscheck")
    return mod


@pytest.fixture(scope="module")
def liechtenstein(crosscheck):
    return crosscheck.Extract("liechtenstein")


@pytest.mark.parametrize("profile", ["car", "bike", "walk"])
def test_shortest_distances_agree_with_osrm(crosscheck, liechtenstein, profile):
    d = crosscheck.distances(liechtenstein, profile)
    assert d["both"] == d["pairs"]  # every village reaches every facility in both engines
    assert d["share_within"] >= FLOORS[profile], d["classes"]
    assert d["median_rel"] < 0.01
    assert d["nearest_same"] >= 0.9
    # every pair out of tolerance routed again was put in a class
    assert sum(d["classes"].values()) >= d["classified"]
