"""Location questions: suggested sites, ranked closures.

Solvers on hand-made sparse models (optimum known by hand, brute force over every subset,
PySAL spopt as a peer), then the whole chain on the sample build, where a suggested site's
claimed gain must equal what a scenario opening it finds, and each closure's effect what a
whole-network search without that facility finds.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from accessibility import suggest as sg
from accessibility.closures import costs_after_each_closure, rank_closures
from accessibility.errors import InputFileError, ParameterError
from accessibility.placement import (
    Candidates,
    SiteCosts,
    SitingProblem,
    candidates_for,
    demand_of,
)
from accessibility.scenarios import NewFacility, what_if


def _model(cost: np.ndarray, weight, current, *, threshold: float, bound: float) -> sg._Model:
    """A model from a dense demand x candidate matrix (pairs beyond ``bound`` dropped)."""
    cost = np.asarray(cost, dtype=float)
    i, j = np.nonzero(cost <= bound)
    pairs = SiteCosts(i, j, cost[i, j], float(bound))
    return sg._Model(np.asarray(weight, dtype=float), np.asarray(current, dtype=float), pairs,
                     cost.shape[1], float(threshold))  # fmt: skip


def _brute(model: sg._Model, objective: str, count: int, target_share: float = 1.0):
    """Best objective value over every subset of candidates (the oracle)."""
    n = model.n_candidates
    dense = np.full((len(model.weight), n), np.inf)
    dense[model.pairs.demand, model.pairs.candidate] = model.pairs.cost
    w, t = model.weight, model.threshold
    cap = np.minimum(model.current, model.pairs.bound)
    best = None
    need = sg._cover_need(model, target_share) if objective == "cover" else 0.0
    sizes = range(n + 1) if objective == "cover" else [count]
    for k in sizes:
        for subset in itertools.combinations(range(n), k):
            near = dense[:, list(subset)].min(axis=1) if subset else np.full(len(w), np.inf)
            if objective == "coverage":
                value = w[(model.current > t) & (near <= t)].sum()
                best = value if best is None else max(best, value)
            elif objective == "median":
                value = (w * (cap - np.minimum(cap, near))).sum()
                best = value if best is None else max(best, value)
            elif w[(model.current > t) & (near <= t)].sum() >= need - 1e-9:
                return float(k)
    return float(best)


def _random_model(seed: int, n_dem: int = 14, n_cand: int = 7) -> sg._Model:
    rng = np.random.default_rng(seed)
    dem = rng.uniform(0, 10_000, (n_dem, 2))
    cand = rng.uniform(0, 10_000, (n_cand, 2))
    cost = np.hypot(*(dem[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    current = np.hypot(*(dem - [5_000, 5_000]).T) * rng.uniform(1.0, 1.5, n_dem)
    current[rng.random(n_dem) < 0.2] = np.inf  # some have no facility at all
    weight = rng.integers(1, 50, n_dem).astype(float)
    return _model(cost, weight, current, threshold=3_000.0, bound=9_000.0)


# --- solvers on hand-made models ----------------------------------------------------------------


def test_coverage_by_hand():
    # five places (persons 3, 3, 2, 2, 1.5), none served now; three candidate sites:
    # A reaches places 0, 2, 3, 4 (8.5 persons), B reaches 0, 1, 4 (7.5), C 1, 2, 3 (7).
    # one site: A (8.5). Two: A + B or A + C or B + C each reach all five: 11.5.
    inf = np.inf
    cost = np.array([
        [100, 100, inf],  # place 0, 3 persons
        [inf, 100, 100],  # place 1, 3 persons
        [100, inf, 100],  # place 2, 2 persons
        [100, inf, 100],  # place 3, 2 persons
        [100, 100, inf],  # place 4, 1.5 persons
    ])  # fmt: skip
    m = _model(cost, [3, 3, 2, 2, 1.5], np.full(5, inf), threshold=500, bound=500)
    one = sg._solve(m, "coverage", 1, 1.0, 5.0)
    assert one.method == "exact" and one.value == pytest.approx(8.5)
    assert list(one.sites) == [0]
    assert sg._solve(m, "coverage", 2, 1.0, 5.0).value == pytest.approx(11.5)
    # place 2 is served already (200 m): A brings 6.5 newly within, B 7.5: B wins
    m = _model(cost, [3, 3, 2, 2, 1.5], [inf, inf, 200, inf, inf], threshold=500, bound=500)
    one = sg._solve(m, "coverage", 1, 1.0, 5.0)
    assert list(one.sites) == [1] and one.value == pytest.approx(7.5)


def test_greedy_falls_short_and_says_so():
    # candidate 0 reaches places 0..3 (1 person each) and 4 (0.5): 4.5, the greedy first
    # pick; candidates 1 and 2 reach 0, 1, 5 and 2, 3, 6 (place 5, 6: 1 person): 3 each.
    # greedy with two sites: 0, then 1 or 2 adds place 5 or 6: 5.5. The optimum: 1 + 2
    # = places 0, 1, 2, 3, 5, 6 = 6.
    inf = np.inf
    cost = np.full((7, 3), inf)
    cost[[0, 1, 2, 3, 4], 0] = 10
    cost[[0, 1, 5], 1] = 10
    cost[[2, 3, 6], 2] = 10
    m = _model(cost, [1, 1, 1, 1, 0.5, 1, 1], np.full(7, inf), threshold=100, bound=100)
    greedy = sg._solve(m, "coverage", 2, 1.0, 0.0)
    assert greedy.method == "greedy" and greedy.value == pytest.approx(5.5)
    exact = sg._solve(m, "coverage", 2, 1.0, 5.0)
    assert exact.method == "exact" and exact.value == pytest.approx(6.0)
    assert sorted(exact.sites) == [1, 2]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("objective", ["coverage", "median", "cover"])
def test_exact_equals_brute_force(seed, objective):
    m = _random_model(seed)
    count = 2 if objective != "cover" else None
    share = 0.9
    ans = sg._solve(m, objective, count, share, 10.0)
    assert ans.method == "exact"
    assert ans.value == pytest.approx(_brute(m, objective, count, share), rel=1e-9, abs=1e-6)
    greedy = sg._solve(m, objective, count, share, 0.0)
    if objective == "cover":
        assert greedy.value >= ans.value
    else:
        assert greedy.value <= ans.value + 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_out_of_time_is_labelled_and_bounded(seed):
    m = _random_model(seed, n_dem=20, n_cand=9)
    best = _brute(m, "coverage", 3)
    ans = sg._run_mip(sg._mip_coverage(m, 3), 1e-9, maximise=True)
    if ans.method != "exact":  # HiGHS stopped at once: never called exact
        assert ans.bound is None or ans.bound >= best - 1e-6
        assert np.isnan(ans.value) or ans.value <= best + 1e-6
    full = sg._run_mip(sg._mip_coverage(m, 3), 10.0, maximise=True)
    assert full.method == "exact" and full.value == pytest.approx(best)
    assert full.bound == pytest.approx(best)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PuLP's 4.0 notices, in spopt
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_spopt_mclp_and_pmedian_agree():
    pytest.importorskip("spopt", reason="PySAL spopt (the test extra) is not installed")
    import pulp
    from spopt.locate import MCLP, PMedian

    rng = np.random.default_rng(7)
    dem = rng.uniform(0, 8_000, (25, 2))
    sites = rng.uniform(0, 8_000, (10, 2))
    cost = np.hypot(*(dem[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    weight = rng.integers(1, 30, 25).astype(float)
    existing = cost[:, 0]  # site 0 is the existing facility
    m = _model(cost[:, 1:], weight, existing, threshold=2_000.0, bound=20_000.0)
    solver = pulp.PULP_CBC_CMD(msg=False)
    mclp = MCLP.from_cost_matrix(cost, weight, service_radius=2_000.0, p_facilities=3,
                                 predefined_facilities_arr=np.array([0])).solve(solver)  # fmt: skip
    ours = sg._solve(m, "coverage", 2, 1.0, 10.0)
    already = weight[existing <= 2_000.0].sum()
    assert ours.value + already == pytest.approx(mclp.problem.objective.value())
    pmed = PMedian.from_cost_matrix(cost, weight, p_facilities=3,
                                    predefined_facilities_arr=np.array([0]))  # fmt: skip
    pmed = pmed.solve(solver)
    ours = sg._solve(m, "median", 2, 1.0, 10.0)
    assert (weight * existing).sum() - ours.value == pytest.approx(pmed.problem.objective.value())


def test_bad_parameters():
    m = _random_model(0)
    with pytest.raises(ParameterError, match="objective must be one of"):
        sg._check("nearest", 1, 1000, 1.0, 1.0)
    with pytest.raises(ParameterError, match="count must be between 1 and"):
        sg._check("coverage", 0, 1000, 1.0, 1.0)
    with pytest.raises(ParameterError, match="threshold"):
        sg._check("coverage", 1, float("nan"), 1.0, 1.0)
    with pytest.raises(ParameterError, match="target_share"):
        sg._check("cover", None, 1000, 1.5, 1.0)
    assert sg._solve(m, "coverage", 1, 1.0, 1.0).value >= 0


# --- on the sample build ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def supermarkets(demo_build):
    cands = candidates_for(demo_build, "villages", category="supermarket", profile="car")
    return SitingProblem(demo_build, demand_of(demo_build), cands, category="supermarket",
                         profile="car")  # fmt: skip


def test_demand_is_the_build_s_origins(demo_build, supermarkets):
    d = supermarkets.demand
    assert d.kind == "origins" and len(d) == len(demo_build.origins)
    stored = demo_build.origins["supermarket_distance_m"].to_numpy(dtype=float)
    now = supermarkets.current()
    both = np.isfinite(stored) & np.isfinite(now)
    # one address shares its OSM node with a supermarket: placed on another edge here
    assert (np.abs(now[both] - stored[both]) < 0.5).mean() > 0.99


def test_villages_candidates_have_no_supermarket_within_a_km(demo_build, supermarkets):
    ind = demo_build.indicators
    d = ind[(ind.category == "supermarket") & (ind.profile == "car")].set_index("village_id")
    got = d.loc[supermarkets.candidates.candidate_id, "distance_m"]
    assert len(got) > 0 and not (got <= 1000).any()
    assert (d["distance_m"].isna() | (d["distance_m"] > 1000)).sum() == len(got)


def test_suggested_gain_equals_a_scenario_opening_it(demo_build, supermarkets):
    s = sg.suggest(supermarkets, objective="coverage", count=2, threshold=3000.0)
    assert s.summary["method"] == "exact" and len(s.sites) == 2
    first = s.sites.iloc[0]
    assert first["newly_within"] > 0
    opened = NewFacility("supermarket", first["lon"], first["lat"], name="suggested")
    res = what_if(demo_build, open_=[opened], profiles=["car"])
    row = res.persons[(res.persons.category == "supermarket") & (res.persons.profile == "car")]
    assert float(row["newly_within_3km"].iloc[0]) == pytest.approx(first["newly_within"], rel=1e-9)
    # the model's value is the persons both sites bring within
    assert s.summary["model_value"] == pytest.approx(s.sites["newly_within"].sum(), rel=1e-9)
    assert s.sites["share_within_after"].is_monotonic_increasing


def test_cover_reaches_the_target_share(supermarkets):
    s = sg.suggest(supermarkets, objective="cover", count=None, threshold=3000.0,
                   target_share=0.95)  # fmt: skip
    assert s.summary["share_within_before"] < 0.95 <= s.summary["share_within_after"]
    fewer = sg.suggest(supermarkets, objective="coverage", count=len(s.sites) - 1,
                       threshold=3000.0)  # fmt: skip
    assert fewer.summary["share_within_after"] < 0.95  # the exact cover needs every site


def test_median_lowers_the_mean(supermarkets):
    s = sg.suggest(supermarkets, objective="median", count=1, threshold=3000.0)
    assert s.summary["mean_after"] < s.summary["mean_before"]
    # no single candidate lowers the (exact) mean more
    best = min(
        np.average(
            np.minimum(supermarkets.costs_with([j]), 1e12), weights=supermarkets.demand.weight
        )
        for j in range(len(supermarkets.candidates))
    )
    assert s.summary["mean_after"] == pytest.approx(best, rel=1e-6)


@pytest.mark.parametrize("category", ["supermarket", "school", "pharmacy"])
def test_each_closure_equals_a_search_without_it(demo_build, category):
    cands = candidates_for(demo_build, "villages", category=category, profile="car")
    p = SitingProblem(demo_build, demand_of(demo_build), cands, category=category, profile="car")
    before, nearest, after = costs_after_each_closure(p)
    assert len(after) == len(p.facility_id)
    for f, (dem, new) in enumerate(after):
        oracle = p.costs_with([], closed=[f])
        assert np.array_equal(np.sort(dem), np.flatnonzero(nearest == f))
        np.testing.assert_allclose(np.nan_to_num(new, posinf=-1),
                                   np.nan_to_num(oracle[dem], posinf=-1), atol=1e-6)  # fmt: skip
        rest = np.setdiff1d(np.arange(len(before)), dem)
        np.testing.assert_allclose(np.nan_to_num(oracle[rest], posinf=-1),
                                   np.nan_to_num(before[rest], posinf=-1), atol=1e-6)  # fmt: skip


def test_closure_ranking_equals_scenarios(demo_build, supermarkets):
    ranked = rank_closures(supermarkets, threshold=3000.0)
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert ranked["newly_beyond"].is_monotonic_increasing
    for fid in ranked["facility_id"].iloc[[0, -1]]:
        res = what_if(demo_build, close=[fid], profiles=["car"])
        row = res.persons[(res.persons.category == "supermarket") & (res.persons.profile == "car")]
        got = ranked.set_index("facility_id").loc[fid]
        assert float(row["newly_beyond_3km"].iloc[0]) == pytest.approx(
            got["newly_beyond"], abs=1e-6
        )
        assert float(row["weight_lost"].iloc[0]) == pytest.approx(got["lose_access"], abs=1e-6)


def test_grid_and_file_candidates(demo_build, tmp_path):
    g = candidates_for(demo_build, "grid:2km", category="supermarket", profile="car")
    assert g.source == "grid:2km" and 20 < len(g) < 200
    assert g.candidate_id[0].startswith("grid2km_")
    f = tmp_path / "sites.csv"
    pd.DataFrame({"id": ["a", "b"], "name": ["Nord", "Süd"], "lon": [9.52, 9.51],
                  "lat": [47.21, 47.08]}).to_csv(f, index=False)  # fmt: skip
    c = candidates_for(demo_build, str(f), category="supermarket", profile="car")
    assert list(c.candidate_id) == ["a", "b"] and list(c.name) == ["Nord", "Süd"]
    with pytest.raises(ParameterError, match="expected grid:<size>km"):
        candidates_for(demo_build, "grid:fine", category="supermarket", profile="car")
    with pytest.raises(ParameterError, match="more than the limit of 10"):
        candidates_for(demo_build, "grid:1km", category="supermarket", profile="car",
                       max_candidates=10)  # fmt: skip
    with pytest.raises(InputFileError, match="not found"):
        candidates_for(demo_build, str(tmp_path / "none.csv"), category="supermarket",
                       profile="car")  # fmt: skip
    assert isinstance(c, Candidates)


def _pairs(t) -> list[tuple[int, int, float]]:
    cost = np.round(t.cost, 6).tolist()
    return sorted(zip(t.demand.tolist(), t.candidate.tolist(), cost, strict=True))


def test_searches_on_the_circle_equal_the_others(demo_build, supermarkets, monkeypatch):
    """The large-network path (one search per candidate on its circle) gives the same table."""
    from accessibility import engine

    want = supermarkets.site_costs(3000.0)
    monkeypatch.setattr(engine, "LOCAL_MIN_NODES", 0)
    cands = candidates_for(demo_build, "grid:1km", category="supermarket", profile="car")
    local = SitingProblem(demo_build, demand_of(demo_build), supermarkets.candidates,
                          category="supermarket", profile="car")  # fmt: skip
    got = local.site_costs(3000.0)
    assert len(got.cost) > 1000 and _pairs(got) == _pairs(want)
    # opening a site: the bounded search from it equals a whole search with it
    grid = SitingProblem(demo_build, demand_of(demo_build), cands, category="supermarket",
                         profile="car")  # fmt: skip
    before = grid.current()
    for site in (0, len(cands) // 2, len(cands) - 1):
        whole = np.minimum(before, grid.costs_with(np.array([site])))
        np.testing.assert_allclose(grid.costs_after_opening(site, before), whole, atol=1e-6)


def test_capacities_from_the_facilities_file_itself(tmp_path):
    """`bereik access --capacities huisartsen.csv --capacity-column fte` (E2SFCA by FTE)."""
    from accessibility import planning
    from accessibility.build import run_build
    from accessibility.model import load_build
    from accessibility.params import BuildParams, FacilityFile
    from tests.conftest import LIECHTENSTEIN

    gps = tmp_path / "huisartsen.csv"
    gps.write_text("id,name,category,lon,lat,fte\nV1,Praxis Vaduz,gp,9.5215,47.1410,3\n"
                   "S1,Praxis Schaan,gp,9.5095,47.1650,1\n")  # fmt: skip
    out = tmp_path / "b"
    run_build(BuildParams(extract=LIECHTENSTEIN, profiles=("car",), facilities=(FacilityFile(gps),),
                          origins=False), out)  # fmt: skip
    b = load_build(out)
    one = planning.supply_access(b, category="gp", catchment_minutes=60, method="2sfca")
    fte = planning.supply_access(b, category="gp", catchment_minutes=60, method="2sfca",
                                 capacities=gps, capacity_column="fte")  # fmt: skip
    assert list(fte.facilities.sort_values("facility_id")["capacity"]) == [1.0, 3.0]
    assert one.summary["capacity_total"] == 2 and fte.summary["capacity_total"] == 4
    # everyone reaches both in an hour: access is capacity per person, twice as much by FTE
    assert fte.summary["per_1000_overall"] == pytest.approx(2 * one.summary["per_1000_overall"])
    with pytest.raises(InputFileError, match="needs columns facility_id and beds"):
        planning.supply_access(b, category="gp", capacities=gps, capacity_column="beds")
    with pytest.raises(ParameterError, match="no column 'fte'"):
        planning.supply_access(b, category="gp", capacity_column="fte")
