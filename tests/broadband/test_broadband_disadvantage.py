"""double_disadvantage, flag_double_disadvantage and municipality_broadband on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from broadband import (
    BroadbandInputError,
    ThresholdError,
    double_disadvantage,
    flag_double_disadvantage,
    municipality_broadband,
)

NAN = np.nan

# (village_id, name, municipality, population, category, profile, distance_m)
ROWS = [
    # A: gp 2 km too far, school 0.5 km too far -> excess 2.5 km, score 500 * 2.5 = 1250
    ("A", "Aa", "M1", 500, "gp", "car", 7000.0),
    ("A", "Aa", "M1", 500, "supermarket", "car", 4000.0),
    ("A", "Aa", "M1", 500, "school_primary", "car", 3500.0),
    ("A", "Aa", "M1", 500, "gp", "bike", 99000.0),  # other profiles are ignored
    # B: gp 1 km too far, supermarket unreachable -> excess 1 km, score 2000
    ("B", "Bb", "M1", 2000, "gp", "car", 6000.0),
    ("B", "Bb", "M1", 2000, "supermarket", "car", NAN),
    ("B", "Bb", "M1", 2000, "school_primary", "car", 1000.0),
    # C: nearest gp 20 km (two rows, the smaller counts) -> excess 15 km, score 1500
    ("C", "Cc", "M2", 100, "gp", "car", 25000.0),
    ("C", "Cc", "M2", 100, "gp", "car", 20000.0),
    # D: remote but fast internet -> not listed
    ("D", "Dd", "M2", 5000, "gp", "car", 9000.0),
    # E: white but close to everything -> not listed (pharmacy is not a default category)
    ("E", "Ee", "M2", 300, "gp", "car", 1000.0),
    ("E", "Ee", "M2", 300, "pharmacy", "car", 9000.0),
    # F: unknown population -> score 0 but listed; excess 3 km
    ("F", "Ff", "M1", NAN, "gp", "car", 8000.0),
    # G: only bike distances -> no car data, not remote
    ("G", "Gg", "M1", 800, "gp", "bike", 30000.0),
    # H: primary school unreachable only -> remote, excess 0, score 0
    ("H", "Hh", "M2", 50, "school_primary", "car", NAN),
    # I: remote but not in the broadband table -> unknown, not offline
    ("I", "Ii", "M2", 900, "gp", "car", 30000.0),
]


@pytest.fixture
def indicators() -> pd.DataFrame:
    return pd.DataFrame(
        ROWS,
        columns=[
            "village_id",
            "village_name",
            "municipality",
            "population",
            "category",
            "profile",
            "distance_m",
        ],
    )


@pytest.fixture
def broadband_frame() -> pd.DataFrame:
    data = {
        "A": (10.0, "white"),
        "B": (20.0, "white"),
        "C": (5.0, "white"),
        "D": (400.0, "nga"),
        "E": (12.0, "white"),
        "F": (0.0, "white"),
        "G": (3.0, "white"),
        "H": (29.0, "white"),
    }
    frame = pd.DataFrame(
        {
            "max_mbps": [v[0] for v in data.values()],
            "broadband_class": [v[1] for v in data.values()],
        },
        index=pd.Index(list(data), name="village_id"),
    )
    return frame


def test_ranking(indicators: pd.DataFrame, broadband_frame: pd.DataFrame) -> None:
    out = double_disadvantage(indicators, broadband_frame)
    assert out["village_id"].tolist() == ["B", "C", "A", "F", "H"]
    assert out["rank"].tolist() == [1, 2, 3, 4, 5]
    assert out["score"].tolist() == pytest.approx([2000.0, 1500.0, 1250.0, 0.0, 0.0])
    assert out["excess_km"].tolist() == pytest.approx([1.0, 15.0, 2.5, 3.0, 0.0])
    assert out["remote_categories"].tolist() == [
        "gp,supermarket",
        "gp",
        "gp,school_primary",
        "gp",
        "school_primary",
    ]
    assert out["max_mbps"].tolist() == [20.0, 5.0, 10.0, 0.0, 29.0]
    assert out["village_name"].tolist() == ["Bb", "Cc", "Aa", "Ff", "Hh"]
    assert out["municipality"].tolist() == ["M1", "M2", "M1", "M1", "M2"]
    assert np.isnan(out["population"].iloc[3])
    assert out.columns[:5].tolist() == [
        "village_id",
        "village_name",
        "municipality",
        "population",
        "remote_categories",
    ]
    for column in ("excess_km", "max_mbps", "score", "rank"):
        assert column in out.columns


def test_reason_says_unreachable(indicators: pd.DataFrame, broadband_frame: pd.DataFrame) -> None:
    out = double_disadvantage(indicators, broadband_frame).set_index("village_id")
    assert out.loc["B", "reason"] == "gp: 6.0 km > 5 km; supermarket: unreachable by car"
    assert out.loc["H", "reason"] == "school_primary: unreachable by car"
    assert out.loc["A", "reason"] == "gp: 7.0 km > 5 km; school_primary: 3.5 km > 3 km"


def test_custom_remote_km(indicators: pd.DataFrame, broadband_frame: pd.DataFrame) -> None:
    out = double_disadvantage(indicators, broadband_frame, remote_km={"pharmacy": 2.0})
    assert out["village_id"].tolist() == ["E"]
    assert out["excess_km"].iloc[0] == pytest.approx(7.0)
    assert out["score"].iloc[0] == pytest.approx(2100.0)
    stricter = double_disadvantage(indicators, broadband_frame, remote_km={"gp": 10.0})
    assert stricter["village_id"].tolist() == ["C"]


def test_nobody_offline(indicators: pd.DataFrame, broadband_frame: pd.DataFrame) -> None:
    fast = broadband_frame.assign(broadband_class="nga")
    out = double_disadvantage(indicators, fast)
    assert len(out) == 0
    assert "rank" in out.columns


def test_flag_helper(indicators: pd.DataFrame, broadband_frame: pd.DataFrame) -> None:
    flagged = flag_double_disadvantage(indicators, broadband_frame)
    assert flagged.index.equals(broadband_frame.index)
    assert flagged["double_disadvantage"].dtype == bool
    assert flagged.index[flagged["double_disadvantage"]].tolist() == ["A", "B", "C", "F", "H"]
    assert "double_disadvantage" not in broadband_frame.columns  # input untouched


def test_bad_inputs(indicators: pd.DataFrame, broadband_frame: pd.DataFrame) -> None:
    with pytest.raises(ThresholdError, match=r"remote_km\['gp'\].*-1"):
        double_disadvantage(indicators, broadband_frame, remote_km={"gp": -1.0})
    with pytest.raises(BroadbandInputError, match="distance_m"):
        double_disadvantage(indicators.drop(columns="distance_m"), broadband_frame)
    with pytest.raises(BroadbandInputError, match="broadband_class"):
        double_disadvantage(indicators, broadband_frame.drop(columns="broadband_class"))


# --------------------------------------------------------------------------------------------
# municipality_broadband


@pytest.fixture
def village_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "municipality": ["M1", "M1", "M1", "M2"],
            "population": [100.0, 300.0, NAN, 200.0],
            "max_mbps": [10.0, 500.0, NAN, 40.0],
            "broadband_class": ["white", "nga", "unknown", "basic"],
            "share_white": [1.0, 0.0, NAN, 0.25],
            "share_basic": [0.0, 0.0, NAN, 0.75],
            "share_nga": [0.0, 1.0, NAN, 0.0],
        },
        index=["v1", "v2", "v3", "v4"],
    )


def test_municipality_summary(village_table: pd.DataFrame) -> None:
    out = municipality_broadband(village_table)
    assert out.index.tolist() == ["M1", "M2"]
    m1, m2 = out.loc["M1"], out.loc["M2"]
    assert m1["villages"] == 3
    assert m1["population"] == 400.0
    assert (
        m1["villages_white"],
        m1["villages_basic"],
        m1["villages_nga"],
        m1["villages_unknown"],
    ) == (1, 0, 1, 1)
    assert m1["share_white"] == pytest.approx(0.25)
    assert m1["share_basic"] == pytest.approx(0.0)
    assert m1["share_nga"] == pytest.approx(0.75)
    assert m1["share_unknown"] == pytest.approx(0.0)
    assert m1["population_white"] == pytest.approx(100.0)
    # M2 uses the village's area/address shares, not just its class
    assert m2["villages_basic"] == 1
    assert m2["share_white"] == pytest.approx(0.25)
    assert m2["share_basic"] == pytest.approx(0.75)
    assert m2["population_white"] == pytest.approx(50.0)


def test_municipality_summary_without_share_columns(village_table: pd.DataFrame) -> None:
    out = municipality_broadband(
        village_table.drop(columns=["share_white", "share_basic", "share_nga"])
    )
    assert out.loc["M2", "share_basic"] == pytest.approx(1.0)
    assert out.loc["M2", "population_white"] == 0.0
    assert out.loc["M1", "share_white"] == pytest.approx(0.25)


def test_municipality_without_population(village_table: pd.DataFrame) -> None:
    table = village_table.assign(population=NAN)
    out = municipality_broadband(table)
    assert out["share_white"].isna().all()
    assert out.loc["M1", "villages_white"] == 1


def test_municipality_missing_column(village_table: pd.DataFrame) -> None:
    with pytest.raises(BroadbandInputError, match="population"):
        municipality_broadband(village_table.drop(columns="population"))


def test_no_facility_and_off_network_are_not_remote():
    import pandas as pd

    from broadband import double_disadvantage

    ind = pd.DataFrame({
        "village_id": ["a", "a", "b"], "village_name": ["A", "A", "B"],
        "municipality": ["M", "M", "M"], "population": [100.0, 100.0, 50.0],
        "category": ["gp", "supermarket", "gp"], "profile": ["car", "car", "car"],
        "distance_m": [float("nan"), 7000.0, float("nan")],
        "reason": ["no_facility", None, "not_on_network"],
    })  # fmt: skip
    bb = pd.DataFrame({"broadband_class": ["white", "white"], "max_mbps": [5.0, 5.0]},
                      index=pd.Index(["a", "b"], name="village_id"))  # fmt: skip
    out = double_disadvantage(ind, bb)
    assert list(out["village_id"]) == ["a"]
    assert out["remote_categories"].iloc[0] == "supermarket"
    assert out["excess_km"].iloc[0] == 2.0
