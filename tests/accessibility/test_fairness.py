"""How evenly distance is spread over persons (accessibility.fairness), computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessibility.errors import AccessibilityError, InputFileError
from accessibility.fairness import (
    NEAREST_SHARE,
    TENTH,
    WHOLE_LABEL,
    fairness_table,
    palma_ratio,
    share_beyond,
    tenth_gap,
    weighted_gini,
)

TEN = np.arange(100.0, 1001.0, 100.0)  # ten persons at 100, 200, ..., 1000 m
ONES = np.ones(10)


def _expand(values, weight) -> np.ndarray:
    """Integer weights as repeated rows, sorted: the persons one by one."""
    return np.sort(np.repeat(np.asarray(values, float), np.asarray(weight, int)))


def _gini_brute(persons: np.ndarray) -> float:
    """Plain O(n^2) Gini: mean absolute difference over all ordered pairs / (2 mean)."""
    diff = np.abs(persons[:, None] - persons[None, :]).mean()
    return float(diff / (2 * persons.mean()))


def test_constants():
    assert (TENTH, NEAREST_SHARE) == (0.1, 0.4)


def test_everyone_equally_far():
    values, weight = np.full(7, 2500.0), np.array([1.0, 3, 0.5, 2, 8, 1, 4])
    assert weighted_gini(values, weight) == 0.0
    assert palma_ratio(values, weight) == pytest.approx(0.25)  # a tenth over four tenths
    assert tenth_gap(values, weight) == pytest.approx(0.0, abs=1e-9)


def test_gini_two_persons_is_half():
    # population convention: sum_ij |xi - xj| / (2 n^2 mean) = 2 * 1000 / (2 * 4 * 500)
    assert weighted_gini([0.0, 1000.0], [1.0, 1.0]) == pytest.approx(0.5)
    assert _gini_brute(np.array([0.0, 1000.0])) == pytest.approx(0.5)


def test_gini_ten_persons_by_hand():
    # sum_ij |i - j| over 1..10 = 2 * (9 + 16 + 21 + 24 + 25 + 24 + 21 + 16 + 9) = 330
    # G = 330 * 100 / (2 * 10^2 * 550) = 0.3
    assert weighted_gini(TEN, ONES) == pytest.approx(0.3, rel=1e-12)


def test_gini_weighted_equals_repeated_rows():
    rng = np.random.default_rng(11)
    values = rng.choice([0.0, 250.0, 800.0, 1200.0, 3100.0, 9000.0], 40)  # with ties
    weight = rng.integers(0, 6, 40)  # zeros too
    expected = _gini_brute(_expand(values, weight))
    assert weighted_gini(values, weight.astype(float)) == pytest.approx(expected, rel=1e-12)
    # persons are a scale: fractional weights in proportion give the same answer
    assert weighted_gini(values, weight * 0.37) == pytest.approx(expected, rel=1e-12)


def test_quantile_figures_equal_repeated_rows():
    rng = np.random.default_rng(5)
    values = rng.uniform(0.0, 8000.0, 25).round(-1)
    weight = rng.integers(1, 9, 25)
    weight[-1] += 10 - weight.sum() % 10  # 10 % and 40 % fall between persons
    persons = _expand(values, weight)
    n = len(persons)
    far, near40 = persons[-n // 10 :], persons[: 4 * n // 10]
    assert palma_ratio(values, weight) == pytest.approx(far.sum() / near40.sum(), rel=1e-12)
    gap = far.mean() - persons[: n // 10].mean()
    assert tenth_gap(values, weight) == pytest.approx(gap, rel=1e-12)


def test_palma_and_tenth_gap_ten_persons_by_hand():
    # farthest 10 %: the person at 1000; nearest 40 %: 100 + 200 + 300 + 400 = 1000
    assert palma_ratio(TEN, ONES) == pytest.approx(1.0, rel=1e-12)
    # nearest 10 %: the person at 100
    assert tenth_gap(TEN, ONES) == pytest.approx(900.0, rel=1e-12)
    # the order of the rows does not matter
    assert palma_ratio(TEN[::-1], ONES) == pytest.approx(1.0, rel=1e-12)


def test_fractional_boundaries_by_hand():
    # 5 persons: 0.5 at 100 m, 1 at 200 m, 3.5 at 400 m (given out of order)
    values, weight = np.array([400.0, 100.0, 200.0]), np.array([3.5, 0.5, 1.0])
    # nearest 40 % = 2 persons: 0.5 x 100 + 1 x 200 + 0.5 x 400 = 450 (the 400 m point split)
    # farthest 10 % = 0.5 person: 0.5 x 400 = 200
    assert palma_ratio(values, weight) == pytest.approx(200 / 450, rel=1e-12)
    # nearest 10 % = the 0.5 person at 100 m; farthest the 0.5 at 400 m
    assert tenth_gap(values, weight) == pytest.approx(300.0, rel=1e-12)
    # gini: pairs 0.5*1*100 + 0.5*3.5*300 + 1*3.5*200 = 1275 over W * sum(wx) = 5 * 1650
    assert weighted_gini(values, weight) == pytest.approx(1275 / 8250, rel=1e-12)


def test_boundary_inside_one_point():
    # 3 persons at 0, 300, 600: the nearest 40 % is 1.2 persons (0 + 0.2 x 300 = 60),
    # the farthest 10 % 0.3 person (0.3 x 600 = 180)
    values, weight = np.array([0.0, 300.0, 600.0]), np.ones(3)
    assert palma_ratio(values, weight) == pytest.approx(180 / 60, rel=1e-12)
    assert tenth_gap(values, weight) == pytest.approx(600.0, rel=1e-12)


def test_palma_when_the_nearest_bear_nothing():
    nine_at_home = np.append(np.zeros(9), 1000.0)
    assert palma_ratio(nine_at_home, ONES) == np.inf
    assert np.isnan(palma_ratio(np.zeros(4), np.ones(4)))  # nobody travels
    assert weighted_gini(np.zeros(4), np.ones(4)) == 0.0
    assert tenth_gap(np.zeros(4), np.ones(4)) == 0.0


def test_unreachable_are_left_out():
    values, weight = [100.0, np.inf, 300.0, np.nan], [1.0, 5.0, 1.0, 2.0]
    # only 100 and 300 remain: 1 x 1 x 200 / (2 x 400)
    assert weighted_gini(values, weight) == pytest.approx(0.25)
    assert tenth_gap(values, weight) == pytest.approx(200.0)
    assert palma_ratio(values, weight) == pytest.approx(0.2 * 300 / (0.8 * 100))


def test_nobody_reachable_gives_nan():
    values, weight = [np.inf, np.nan], [3.0, 1.0]
    for f in (weighted_gini, palma_ratio, tenth_gap):
        assert np.isnan(f(values, weight)), f.__name__
    assert np.isnan(weighted_gini([], []))


def test_share_beyond_counts_unreachable_as_beyond():
    values = [1000.0, 1500.0, np.inf, np.nan, 3000.0]
    weight = [1.0, 2.0, 3.0, 1.0, 3.0]  # 10 persons, 4 of them unreachable
    shares = share_beyond(values, weight, [1000, 2000, 0, 5000])
    # at 1000 m exactly is not beyond 1000 m
    assert shares == pytest.approx({1000.0: 0.9, 2000.0: 0.7, 0.0: 1.0, 5000.0: 0.4})
    assert list(shares) == [1000.0, 2000.0, 0.0, 5000.0]
    assert np.isnan(share_beyond([], [], [1000])[1000.0])


def test_zero_weight_rows_drop_out():
    values = [100.0, 200.0, 50_000.0, np.inf]
    weight = [1.0, 1.0, 0.0, 0.0]
    assert weighted_gini(values, weight) == pytest.approx(weighted_gini([100, 200], [1, 1]))
    assert share_beyond(values, weight, [150]) == pytest.approx({150.0: 0.5})


@pytest.mark.parametrize(
    ("values", "weight", "match"),
    [
        ([100.0, -1.0], [1.0, 1.0], "distances must be >= 0"),
        ([100.0, -np.inf], [1.0, 1.0], "distances must be >= 0"),
        ([100.0, 200.0], [1.0, np.nan], "weight must be finite"),
        ([100.0, 200.0], [1.0, -2.0], "weight must be finite and >= 0"),
        ([100.0, 200.0], [1.0], "equally long"),
        ([[100.0, 200.0]], [[1.0, 1.0]], "1-D"),
    ],
)
def test_bad_arguments_raise(values, weight, match):
    for f in (weighted_gini, palma_ratio, tenth_gap):
        with pytest.raises(AccessibilityError, match=match) as err:
            f(values, weight)
        assert isinstance(err.value, AccessibilityError) and isinstance(err.value, ValueError)


def test_bad_rings_raise():
    for rings in ([-1000], [np.nan]):
        with pytest.raises(ValueError, match="rings") as err:
            share_beyond([100.0], [1.0], rings)
        assert isinstance(err.value, AccessibilityError)


def _frame() -> pd.DataFrame:
    """Municipality A: the ten persons; B: 2 + 2 persons at 500 m and 1 unreachable (null)."""
    a = pd.DataFrame({"municipality": "A", "village": "a", "distance_m": TEN, "persons": ONES})
    b = pd.DataFrame({
        "municipality": "B", "village": ["b1", "b1", "b2"],
        "distance_m": [500.0, 500.0, np.nan], "persons": [2.0, 2.0, 1.0],
    })  # fmt: skip
    return pd.concat([b, a], ignore_index=True)  # B first: the table sorts


def test_fairness_table_per_group():
    out = fairness_table(
        _frame(), value="distance_m", weight="persons", by=["municipality"], rings_km=(1, 0.5)
    )
    assert list(out.columns) == [
        "municipality", "persons", "persons_unreachable", "mean_distance_m", "gini", "palma",
        "tenth_gap_m", "share_beyond_1km", "share_beyond_0.5km",
    ]  # fmt: skip
    a, b = out.iloc[0], out.iloc[1]
    assert out["municipality"].tolist() == ["A", "B"]
    assert (a["persons"], a["persons_unreachable"]) == (10.0, 0.0)
    assert a["mean_distance_m"] == pytest.approx(550.0)
    assert (a["gini"], a["palma"], a["tenth_gap_m"]) == pytest.approx((0.3, 1.0, 900.0))
    # 1000 m is not beyond 1 km; 600..1000 m (5 of 10) are beyond 0.5 km
    assert (a["share_beyond_1km"], a["share_beyond_0.5km"]) == pytest.approx((0.0, 0.5))
    assert (b["persons"], b["persons_unreachable"]) == (5.0, 1.0)
    assert b["mean_distance_m"] == pytest.approx(500.0)
    assert (b["gini"], b["palma"], b["tenth_gap_m"]) == pytest.approx((0.0, 0.25, 0.0))
    assert (b["share_beyond_1km"], b["share_beyond_0.5km"]) == pytest.approx((0.2, 0.2))


def test_fairness_table_whole_area():
    frame = _frame()
    for by in (None, []):
        out = fairness_table(frame, value="distance_m", weight="persons", by=by, rings_km=[1])
        assert len(out) == 1 and out["group"].tolist() == [WHOLE_LABEL]
        row = out.iloc[0]
        assert (row["persons"], row["persons_unreachable"]) == (15.0, 1.0)
        assert row["mean_distance_m"] == pytest.approx((5500 + 4 * 500) / 14)
        persons = _expand([*TEN, 500.0], [*ONES, 4])
        assert row["gini"] == pytest.approx(_gini_brute(persons), rel=1e-12)
        assert row["share_beyond_1km"] == pytest.approx(1 / 15)


def test_fairness_table_two_columns_and_a_null_group():
    frame = _frame()
    frame.loc[frame["village"] == "b2", "village"] = None
    frame["distance_m"] = frame["distance_m"].astype("Float64")  # null is pd.NA here
    out = fairness_table(
        frame, value="distance_m", weight="persons", by=["municipality", "village"]
    )
    assert out[["municipality", "village"]].astype(object).fillna("-").values.tolist() == [
        ["A", "a"], ["B", "b1"], ["B", "-"],
    ]  # fmt: skip
    assert out["persons"].tolist() == [10.0, 4.0, 1.0]
    assert np.isnan(out["gini"].iloc[2])  # nobody there reaches a facility
    assert out["share_beyond_1km"].iloc[2] == 1.0
    assert [c for c in out.columns if c.startswith("share")] == [
        "share_beyond_1km", "share_beyond_3km", "share_beyond_5km",
    ]  # fmt: skip


def test_fairness_table_empty_and_missing_columns():
    empty = _frame().iloc[:0]
    out = fairness_table(empty, value="distance_m", weight="persons", by=["municipality"])
    assert out.empty and "gini" in out.columns
    with pytest.raises(InputFileError, match="residents"):
        fairness_table(_frame(), value="distance_m", weight="residents", by=["municipality"])
