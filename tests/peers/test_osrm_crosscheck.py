"""Car distances of the real sample against OSRM (car.lua, MLD), side by side.

The two engines differ on purpose in places (see docs/crosscheck.md): OSRM minimises
duration with its own speed model and turn penalties and reports the *distance of the
fastest route*; bereik reports the *shortest distance* and the fastest free-flow time.
The tolerances below are the measured agreement on this extract, with margin.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import LIECHTENSTEIN

# the benchmarks' OSRM runner (extract, partition, customize with car.lua; one Table)
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "osrm_table.py"
CATEGORIES = ["supermarket", "school", "pharmacy", "childcare"]
pytestmark = [pytest.mark.peers, pytest.mark.slow]


@pytest.fixture(scope="module")
def osrm_table(demo_build, osrm_python, tmp_path_factory):
    """One OSRM Table: all villages x every facility of the checked categories."""
    work = tmp_path_factory.mktemp("osrm")
    fac = demo_build.facilities
    fac = fac[fac["category"].isin(CATEGORIES)].drop_duplicates("facility_id")
    spec = {
        "pbf": str(LIECHTENSTEIN), "workdir": str(work / "work"), "repeats": 1,
        "sources": demo_build.villages[["lon", "lat"]].to_numpy().tolist(),
        "destinations": fac[["lon", "lat"]].to_numpy().tolist(),
    }  # fmt: skip
    (work / "in.json").write_text(json.dumps(spec))
    subprocess.run([str(osrm_python), str(SCRIPT), str(work / "in.json"), str(work / "out.json")],
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    r = json.loads((work / "out.json").read_text())

    def arr(m):
        return np.array([[np.nan if x is None else x for x in row] for row in m], dtype=float)

    return fac["facility_id"].to_numpy(), arr(r["distances"]), arr(r["durations"])


@pytest.mark.parametrize("category", CATEGORIES)
def test_car_distances_agree_with_osrm(demo_build, osrm_table, category):
    b = demo_build
    v = b.villages
    f = b.facilities[b.facilities["category"] == category].drop_duplicates("facility_id")
    ids, d_all, t_all = osrm_table
    cols = np.flatnonzero(np.isin(ids, f["facility_id"].to_numpy()))
    D, T = d_all[:, cols], t_all[:, cols]
    f = f.set_index("facility_id").loc[ids[cols]].reset_index()
    ind = b.indicators
    sub = ind[(ind["category"] == category) & (ind["profile"] == "car")]
    sub = sub.set_index("village_id").loc[v["village_id"]]
    ours = sub["distance_m"].to_numpy()
    theirs = np.nanmin(D, axis=1)
    rel = np.abs(ours - theirs) / theirs
    assert np.median(rel) < 0.05
    assert np.quantile(rel, 0.9) < 0.2
    assert rel.max() < 0.35
    # ours is the shortest distance: rarely longer than the distance of OSRM's fastest route
    assert np.mean(ours <= theirs * 1.02 + 25.0) >= 0.9
    # the fastest facility is the same one for (almost) every village
    fastest = f["facility_id"].to_numpy()[np.nanargmin(T, axis=1)]
    assert np.mean(fastest == sub["nearest_by_time_id"].to_numpy()) >= 0.85
    # free-flow times: shorter than OSRM's (turn penalties, signals, 0.8 x maxspeed)
    ratio = sub["travel_time_s"].to_numpy() / np.nanmin(T, axis=1)
    assert 0.6 < np.median(ratio) < 0.95
