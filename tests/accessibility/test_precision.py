"""Rounding at the edge: each column by its name (accessibility.precision)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility.precision import round_frame, rounding_for


@pytest.mark.parametrize(
    ("column", "rule"),
    [("lon", (6, False)), ("lat", (6, False)), ("population", (0, True)),
     ("population_inside", (0, True)), ("distance_m", (1, False)),
     ("supermarket_car_travel_time_s", (1, False)), ("snap_distance_m_car", (1, False)),
     ("max_mbps", (1, False)), ("speed_kph", (1, False)), ("area_m2", (0, False)),
     ("share_beyond_5km", (4, False)), ("gp_car_share_beyond_1km", (4, False)),
     ("count_5km", None), ("village_id", None), ("villages", None), ("minutes", None)],
)  # fmt: skip
def test_rules_by_column_name(column, rule):
    assert rounding_for(column) == rule


def test_round_frame_rounds_by_name_and_keeps_the_rest():
    df = gpd.GeoDataFrame(
        {"village_id": ["a", "b"], "population": [5933.0, np.nan],
         "distance_m": [604.3667041576514, np.nan], "max_mbps": [101.93265533447266, 98.04],
         "lon": [9.51031234, 9.5], "count_1km": [3, 0], "double_disadvantage": [True, False],
         "share_white": [1 / 3, 0.0]},
        geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs="EPSG:4326",
    )  # fmt: skip
    out = round_frame(df)
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == df.crs
    assert out["population"].dtype == "Int64"
    assert out["population"].tolist()[0] == 5933 and out["population"].isna().tolist()[1]
    assert out["distance_m"].tolist()[0] == 604.4 and np.isnan(out["distance_m"].iloc[1])
    assert out["max_mbps"].tolist() == [101.9, 98.0]
    assert out["lon"].tolist() == [9.510312, 9.5]
    assert out["share_white"].tolist() == [0.3333, 0.0]
    assert out["count_1km"].tolist() == [3, 0] and out["double_disadvantage"].tolist() == [
        True,
        False,
    ]
    assert out["village_id"].tolist() == ["a", "b"]
    assert df["distance_m"].iloc[0] == 604.3667041576514  # the input is left alone
    assert isinstance(round_frame(pd.DataFrame(df.drop(columns="geometry"))), pd.DataFrame)


def test_round_scalar_rounds_as_round_frame_does():
    from accessibility.precision import round_scalar

    values = {"distance_m": 0.15, "area_m2": 812.5, "population": 5229.6, "share_x": 0.123456,
              "lon": 9.12345678, "name": "x", "villages": 3}  # fmt: skip
    frame = round_frame(pd.DataFrame({k: [v] for k, v in values.items()}))
    for k, v in values.items():
        assert round_scalar(v, k) == frame[k].iloc[0]
    assert round_scalar(None, "distance_m") is None
    assert np.isnan(round_scalar(float("nan"), "distance_m"))
    assert round_scalar(True, "population") is True
    assert isinstance(round_scalar(12.7, "population"), int)
