"""Speed classification and thresholds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import broadband
from broadband import (
    BroadbandError,
    CoverageFileError,
    NoCrsError,
    SpeedColumnError,
    ThresholdError,
    Thresholds,
    classify_speed,
)


def test_class_borders_upper_class_wins() -> None:
    speeds = np.array([0.0, 10.0, 29.999, 30.0, 50.0, 99.999, 100.0, 1000.0])
    got = classify_speed(speeds, Thresholds())
    assert got.tolist() == ["white", "white", "white", "basic", "basic", "basic", "nga", "nga"]


def test_nan_negative_and_missing_are_unknown() -> None:
    got = classify_speed([np.nan, -1.0, 50.0])
    assert got.tolist() == ["unknown", "unknown", "basic"]
    nullable = pd.array([None, 5.0], dtype="Float64")
    assert classify_speed(nullable).tolist() == ["unknown", "white"]


def test_shape_is_preserved() -> None:
    got = classify_speed(np.array([[10.0, 30.0], [100.0, np.nan]]))
    assert got.shape == (2, 2)
    assert got[1, 0] == "nga"
    assert got[1, 1] == "unknown"
    assert classify_speed(12.0).item() == "white"


def test_custom_thresholds_move_the_borders() -> None:
    th = Thresholds(basic_mbps=50.0, nga_mbps=1000.0)
    assert classify_speed([49.0, 50.0, 999.0, 1000.0], th).tolist() == [
        "white",
        "basic",
        "basic",
        "nga",
    ]


def test_class_names_are_exact() -> None:
    assert broadband.CLASSES == ("white", "basic", "nga", "unknown")


def test_thresholds_defaults_are_eu() -> None:
    th = Thresholds()
    assert (th.basic_mbps, th.nga_mbps) == (30.0, 100.0)
    with pytest.raises(AttributeError):
        th.basic_mbps = 10.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("basic", "nga", "shown"),
    [
        (100.0, 30.0, "basic_mbps=100.0"),
        (30.0, 30.0, "nga_mbps=30.0"),
        (0.0, 100.0, "0.0"),
        (-5.0, 100.0, "-5.0"),
        (math.nan, 100.0, "nan"),
        (30.0, math.inf, "inf"),
        ("30", 100.0, "'30'"),
        (True, 100.0, "True"),
    ],
)
def test_invalid_thresholds_raise(basic: object, nga: object, shown: str) -> None:
    with pytest.raises(ThresholdError) as info:
        Thresholds(basic_mbps=basic, nga_mbps=nga)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert shown in str(info.value)
    assert "expected" in str(info.value)


def test_classify_rejects_non_thresholds() -> None:
    with pytest.raises(ThresholdError, match="Thresholds"):
        classify_speed([1.0], (30, 100))  # type: ignore[arg-type]


def test_error_hierarchy_matches_builtins() -> None:
    assert issubclass(CoverageFileError, ValueError)
    assert issubclass(NoCrsError, ValueError)
    assert issubclass(SpeedColumnError, KeyError)
    assert issubclass(ThresholdError, ValueError)
    for cls in (CoverageFileError, NoCrsError, SpeedColumnError, ThresholdError):
        assert issubclass(cls, BroadbandError)
    # KeyError would quote the message; SpeedColumnError shows it plainly.
    assert str(SpeedColumnError("no column 'x'")) == "no column 'x'"


def test_public_api_is_exported() -> None:
    for name in (
        "read_coverage",
        "Coverage",
        "Thresholds",
        "classify_speed",
        "white_area_overlay",
        "white_area_polygons",
        "double_disadvantage",
        "municipality_broadband",
        "BroadbandError",
        "CoverageFileError",
        "NoCrsError",
        "SpeedColumnError",
        "ThresholdError",
    ):
        assert name in broadband.__all__
        assert callable(getattr(broadband, name)) or isinstance(getattr(broadband, name), type)
