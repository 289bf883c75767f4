"""Supply against demand (accessibility.supply): a hand-checked toy and PySAL access as oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessibility.errors import AccessibilityError
from accessibility.supply import (
    E2SFCA_WEIGHTS,
    SupplyResult,
    aggregate,
    e2sfca_zones,
    two_stage_fca,
)

# The toy: 3 demand points (100, 200, 300 persons), 2 supply points (2 and 3 GPs),
# catchment 10 minutes. Pairs (demand, supply, minutes); the last lies beyond the catchment.
#
#   demand 0 --2--  supply 0  --8-- demand 1 --4-- supply 1 --9-- demand 2
#   demand 2 --12-- supply 0 (beyond 10: ignored)
TOY_D = np.array([0, 1, 1, 2, 2])
TOY_S = np.array([0, 0, 1, 1, 0])
TOY_COST = np.array([2.0, 8.0, 4.0, 9.0, 12.0])
TOY_P = np.array([100.0, 200.0, 300.0])
TOY_S_CAP = np.array([2.0, 3.0])
TOY_CATCHMENT = 10.0
# zones: <= 3 -> 1.0, <= 6 -> 0.68, <= 9 -> 0.22 (9 lies ON the last bound: inclusive)
TOY_ZONES = ((3.0, 1.0), (6.0, 0.68), (9.0, 0.22))


def _toy(**kw) -> SupplyResult:
    return two_stage_fca(TOY_D, TOY_S, TOY_COST, TOY_P, TOY_S_CAP, TOY_CATCHMENT, **kw)


def test_2sfca_toy_by_hand():
    res = _toy()
    # step 1: supply 0 reaches demand 0 and 1: 100 + 200 = 300 persons -> R0 = 2/300
    #         supply 1 reaches demand 1 and 2: 200 + 300 = 500 persons -> R1 = 3/500
    assert res.demand_in_reach == pytest.approx([300.0, 500.0], rel=1e-12)
    assert res.ratio == pytest.approx([2 / 300, 3 / 500], rel=1e-12)
    # step 2: A0 = R0, A1 = R0 + R1, A2 = R1 (supply 0 at 12 min is beyond the catchment)
    assert res.access == pytest.approx([2 / 300, 2 / 300 + 3 / 500, 3 / 500], rel=1e-12)
    assert res.access_per_1000 == pytest.approx([20 / 3, 20 / 3 + 6, 6], rel=1e-12)
    # classic 2SFCA hands out every reached GP exactly once: sum P_i A_i = 2 + 3
    assert float(TOY_P @ res.access) == pytest.approx(5.0, rel=1e-12)


def test_e2sfca_toy_by_hand():
    res = _toy(zones=TOY_ZONES)
    # weights: cost 2 -> 1.0, 8 -> 0.22, 4 -> 0.68, 9 -> 0.22 (on the bound), 12 -> 0
    # step 1: D0 = 100 * 1.0 + 200 * 0.22 = 144      -> R0 = 2 / 144
    #         D1 = 200 * 0.68 + 300 * 0.22 = 202     -> R1 = 3 / 202
    assert res.demand_in_reach == pytest.approx([144.0, 202.0], rel=1e-12)
    assert res.ratio == pytest.approx([2 / 144, 3 / 202], rel=1e-12)
    # step 2: A0 = 1.0 R0, A1 = 0.22 R0 + 0.68 R1, A2 = 0.22 R1
    expected = [2 / 144, 0.22 * 2 / 144 + 0.68 * 3 / 202, 0.22 * 3 / 202]
    assert res.access == pytest.approx(expected, rel=1e-12)


def test_e2sfca_zones_are_luo_qi_thirds():
    assert E2SFCA_WEIGHTS == (1.0, 0.68, 0.22)
    assert e2sfca_zones(9.0) == ((3.0, 1.0), (6.0, 0.68), (9.0, 0.22))
    assert e2sfca_zones(30) == ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
    # the toy's zones are the thirds of 9: the same answer through the helper
    via_helper = _toy(zones=e2sfca_zones(9.0))
    np.testing.assert_allclose(via_helper.access, _toy(zones=TOY_ZONES).access, rtol=1e-15)


def test_cost_beyond_last_zone_weighs_nothing():
    # zones end at 5 inside a catchment of 10: the 8- and 9-minute pairs weigh 0
    res = _toy(zones=((5.0, 1.0),))
    # D0 = 100 (demand 0 at 2 min); D1 = 200 (demand 1 at 4 min)
    assert res.demand_in_reach == pytest.approx([100.0, 200.0])
    assert res.access == pytest.approx([2 / 100, 3 / 200, 0.0])


def test_catchment_bound_is_inclusive():
    # catchment 9: the 9-minute pair (demand 2 - supply 1) is in, the 12-minute one still out
    inside = two_stage_fca(TOY_D, TOY_S, TOY_COST, TOY_P, TOY_S_CAP, 9.0)
    np.testing.assert_allclose(inside.access, _toy().access, rtol=1e-15)
    # just below 9 demand 2 drops out: supply 1 serves demand 1 alone (3 / 200)
    below = two_stage_fca(TOY_D, TOY_S, TOY_COST, TOY_P, TOY_S_CAP, 8.999)
    assert below.access == pytest.approx([2 / 300, 2 / 300 + 3 / 200, 0.0])


def test_capacity_none_is_one_each():
    res = two_stage_fca(TOY_D, TOY_S, TOY_COST, TOY_P, None, TOY_CATCHMENT)
    assert res.ratio == pytest.approx([1 / 300, 1 / 500])


def test_empty_pair_table():
    res = two_stage_fca([], [], [], TOY_P, TOY_S_CAP, TOY_CATCHMENT)
    assert np.isnan(res.ratio).all() and len(res.ratio) == 2
    assert res.demand_in_reach.tolist() == [0.0, 0.0]
    assert res.access.tolist() == [0.0, 0.0, 0.0]


def test_supply_nobody_reaches_gets_nan_ratio_and_access_stays_finite():
    # a third supply point (capacity 5) without any pair, a fourth only beyond the catchment
    d = np.append(TOY_D, 0)
    s = np.append(TOY_S, 3)
    cost = np.append(TOY_COST, 11.0)
    res = two_stage_fca(d, s, cost, TOY_P, [2.0, 3.0, 5.0, 7.0], TOY_CATCHMENT)
    assert res.ratio[:2] == pytest.approx([2 / 300, 3 / 500])
    assert np.isnan(res.ratio[2:]).all()
    assert res.demand_in_reach[2:].tolist() == [0.0, 0.0]
    assert np.isfinite(res.access).all()
    np.testing.assert_allclose(res.access, _toy().access, rtol=1e-15)


def test_zero_demand():
    res = two_stage_fca(TOY_D, TOY_S, TOY_COST, np.zeros(3), TOY_S_CAP, TOY_CATCHMENT)
    assert np.isnan(res.ratio).all()
    assert res.access.tolist() == [0.0, 0.0, 0.0]


def test_zero_demand_point_shares_in_a_served_supply_point():
    # demand 1 has no persons: supply 0 serves demand 0 alone, and demand 1 still reaches it
    res = two_stage_fca(TOY_D, TOY_S, TOY_COST, [100.0, 0.0, 300.0], TOY_S_CAP, TOY_CATCHMENT)
    assert res.ratio == pytest.approx([2 / 100, 3 / 300])
    assert res.access == pytest.approx([2 / 100, 2 / 100 + 3 / 300, 3 / 300])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"catchment": -5.0}, "catchment"),
        ({"catchment": 0.0}, "catchment"),
        ({"catchment": np.inf}, "catchment"),
        ({"catchment": "far"}, "catchment"),
        ({"cost": [2.0, 8.0, np.nan, 9.0, 12.0]}, "cost must be finite"),
        ({"cost": [2.0, -8.0, 4.0, 9.0, 12.0]}, "cost must be >= 0"),
        ({"cost": [2.0, 8.0, 4.0]}, "equally long"),
        ({"demand_idx": [0, 1, 1, 2, 3]}, "demand_idx must lie in"),
        ({"supply_idx": [0, 0, 1, 1, 2]}, "supply_idx must lie in"),
        ({"supply_idx": [0, 0, -1, 1, 0]}, "supply_idx must lie in"),
        ({"demand_idx": [0.0, 1.0, 1.0, 2.0, 2.0]}, "integer"),
        ({"demand_idx": [0, 1, 1, 1, 2], "supply_idx": [0, 0, 1, 1, 0]}, "twice"),
        ({"demand": [100.0, -1.0, 300.0]}, "demand must be >= 0"),
        ({"demand": [100.0, np.inf, 300.0]}, "demand must be finite"),
        ({"capacity": [2.0, np.nan]}, "capacity must be finite"),
        ({"capacity": [2.0]}, "supply_idx must lie in"),
        ({"zones": ((6.0, 1.0), (3.0, 0.68))}, "increasing"),
        ({"zones": ((0.0, 1.0),)}, "increasing"),
        ({"zones": ((3.0, -1.0),)}, "weights must be >= 0"),
        ({"zones": ()}, "non-empty"),
        ({"zones": (3.0, 1.0)}, "pairs"),
        ({"zones": ((3.0, 1.0, 2.0),)}, "pairs"),
    ],
)
def test_bad_arguments_raise(change, match):
    args = {
        "demand_idx": TOY_D, "supply_idx": TOY_S, "cost": TOY_COST, "demand": TOY_P,
        "capacity": TOY_S_CAP, "catchment": TOY_CATCHMENT,
    }  # fmt: skip
    zones = change.pop("zones", None)
    args.update(change)
    with pytest.raises(AccessibilityError, match=match) as err:
        two_stage_fca(*args.values(), zones=zones)
    assert isinstance(err.value, AccessibilityError) and isinstance(err.value, ValueError)


def test_aggregate_person_weighted_sorted_by_group():
    access = np.array([0.002, 0.004, 0.001, 0.5])
    persons = np.array([100.0, 300.0, 50.0, 0.0])
    groups = ["Zuidwolde", "Assen", "Zuidwolde", "Eext"]
    out = aggregate(access, persons, groups, name="village")
    assert list(out.columns) == ["village", "persons", "access", "access_per_1000"]
    assert out["village"].tolist() == ["Assen", "Eext", "Zuidwolde"]
    assert out["persons"].tolist() == [300.0, 0.0, 150.0]
    # Zuidwolde: (100 * 0.002 + 50 * 0.001) / 150 = 0.25 / 150
    assert out["access"].iloc[0] == pytest.approx(0.004)
    assert np.isnan(out["access"].iloc[1])  # nobody lives there
    assert out["access"].iloc[2] == pytest.approx(0.25 / 150)
    assert out["access_per_1000"].iloc[2] == pytest.approx(250 / 150)


def test_aggregate_of_the_toy_gives_capacity_per_person():
    res = _toy()
    out = aggregate(res.access, TOY_P, ["M", "M", "M"])
    # everyone reaches some GP and every GP is reached: 5 GPs / 600 persons
    assert out["access"].tolist() == pytest.approx([5 / 600], rel=1e-12)
    assert out["access_per_1000"].tolist() == pytest.approx([5000 / 600], rel=1e-12)


def test_aggregate_bad_arguments():
    with pytest.raises(ValueError, match="equally long") as err:
        aggregate([0.1, 0.2], [1.0, 2.0], ["a"])
    assert isinstance(err.value, AccessibilityError)
    with pytest.raises(ValueError, match="access must be finite") as err:
        aggregate([np.nan], [1.0], ["a"])
    assert isinstance(err.value, AccessibilityError)


# --- PySAL access as the oracle ---------------------------------------------------------------

# access 1.1.10 calls DataFrame.set_index(inplace=True), deprecated in pandas 3.1 (its code,
# not ours); nothing else is let through
_PYSAL_WARNINGS = pytest.mark.filterwarnings(
    "ignore:The inplace keyword in DataFrame.set_index:pandas.errors.Pandas4Warning"
)


def _random_instance(seed: int = 20260301):
    """50 demand, 10 supply points, about 40 % of the pairs listed, costs 0..35 minutes.

    Some costs sit exactly on the zone bounds and the catchment (5, 10, 15, 20): PySAL
    compares with <= as well, so those must agree too.
    """
    rng = np.random.default_rng(seed)
    n_d, n_s = 50, 10
    d, s = np.nonzero(rng.random((n_d, n_s)) < 0.4)
    cost = rng.uniform(0.0, 35.0, len(d))
    on_bound = rng.choice(len(d), 12, replace=False)
    cost[on_bound] = np.resize([5.0, 10.0, 15.0, 20.0], 12)
    demand = rng.integers(50, 5000, n_d).astype(float)
    capacity = rng.integers(1, 8, n_s).astype(float)
    return d, s, cost, demand, capacity


def _pysal(d, s, cost, demand, capacity):
    access = pytest.importorskip("access")
    return access, access.Access(
        demand_df=pd.DataFrame({"geoid": np.arange(len(demand)), "pop": demand}),
        demand_index="geoid",
        demand_value="pop",
        supply_df=pd.DataFrame({"geoid": np.arange(len(capacity)), "doc": capacity}),
        supply_index="geoid",
        supply_value="doc",
        cost_df=pd.DataFrame({"origin": d, "dest": s, "cost": cost}),
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )


def _theirs(series: pd.DataFrame, n: int) -> np.ndarray:
    """PySAL's values by demand row; NaN (no pair within the catchment) is our 0."""
    return series.iloc[:, 0].reindex(np.arange(n)).fillna(0.0).to_numpy()


@_PYSAL_WARNINGS
def test_2sfca_agrees_with_pysal_access():
    d, s, cost, demand, capacity = _random_instance()
    _, model = _pysal(d, s, cost, demand, capacity)
    theirs = _theirs(model.two_stage_fca(name="2sfca", max_cost=20.0), len(demand))
    ours = two_stage_fca(d, s, cost, demand, capacity, 20.0)
    assert (theirs > 0).sum() >= 40  # a real comparison, not zeros against zeros
    np.testing.assert_allclose(ours.access, theirs, rtol=1e-9, atol=0)


@_PYSAL_WARNINGS
def test_e2sfca_agrees_with_pysal_access():
    d, s, cost, demand, capacity = _random_instance()
    access, model = _pysal(d, s, cost, demand, capacity)
    zones = ((5.0, 1.0), (10.0, 0.68), (15.0, 0.22))
    fn = access.weights.step_fn(dict(zones))
    theirs = model.enhanced_two_stage_fca(name="e2sfca", max_cost=20.0, weight_fn=fn)
    ours = two_stage_fca(d, s, cost, demand, capacity, 20.0, zones=zones)
    assert np.count_nonzero(ours.access) >= 40
    np.testing.assert_allclose(ours.access, _theirs(theirs, len(demand)), rtol=1e-9, atol=0)
    # step 1 on its own: PySAL's weighted catchment is our demand in reach
    pairs = pd.DataFrame({"origin": d, "dest": s, "cost": cost})
    pop = pd.DataFrame({"geoid": np.arange(len(demand)), "pop": demand})
    in_reach = access.fca.weighted_catchment(
        pop, pairs, 20.0, cost_source="origin", cost_dest="dest", cost_cost="cost",
        loc_index="geoid", loc_value="pop", weight_fn=fn,
    )  # fmt: skip
    reached = in_reach.index.to_numpy()
    np.testing.assert_allclose(ours.demand_in_reach[reached], in_reach.to_numpy(), rtol=1e-12)


@_PYSAL_WARNINGS
def test_default_e2sfca_zones_agree_with_pysal_default_weights():
    # PySAL's default E2SFCA weights are step_fn({10: 1, 20: 0.68, 30: 0.22}): thirds of 30
    d, s, cost, demand, capacity = _random_instance(7)
    _, model = _pysal(d, s, cost, demand, capacity)
    theirs = _theirs(model.enhanced_two_stage_fca(name="e2", max_cost=30.0), len(demand))
    ours = two_stage_fca(d, s, cost, demand, capacity, 30.0, zones=e2sfca_zones(30.0))
    np.testing.assert_allclose(ours.access, theirs, rtol=1e-9, atol=0)
