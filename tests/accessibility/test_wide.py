"""The long indicator tables made wide (accessibility.wide), on hand-made tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from accessibility.errors import WideTableError
from accessibility.wide import municipalities_wide, villages_wide

VILLAGES = pd.DataFrame(
    {
        "village_id": ["V1", "V2", "V3"],
        "village_name": ["Een", "Twee", "Drie"],
        "population": [100.0, np.nan, 50.0],
        "lon": [6.5, 6.6, 6.7],
        "lat": [52.8, 52.9, 53.0],
    }
)


def _row(vid, cat, prof, dist, time, c1, snap, reason=None):
    return {
        "village_id": vid, "village_name": "x", "municipality": "M", "population": 1.0,
        "category": cat, "profile": prof, "distance_m": dist, "travel_time_s": time,
        "nearest_by_distance_id": None if dist is None else f"node/{vid}{cat}",
        "nearest_by_time_id": None if dist is None else f"node/{vid}{cat}",
        "count_1km": c1, "count_3km": c1 + 1, "snap_distance_m": snap, "reason": reason,
    }  # fmt: skip


def _indicators() -> pd.DataFrame:
    """Two categories (gp before school), two profiles; V3 has no rows (not in the table)."""
    rows = [
        _row("V1", "gp", "car", 1500.0, 120.0, 0, 10.0),
        _row("V1", "gp", "bike", 1400.0, 340.0, 0, 12.0),
        _row("V1", "school", "car", 800.0, 60.0, 1, 10.0),
        _row("V1", "school", "bike", 700.0, 170.0, 1, 12.0),
        _row("V2", "gp", "car", None, None, 0, 600.0, "not_on_network"),
        _row("V2", "gp", "bike", 5000.0, 1200.0, 0, 30.0),
        _row("V2", "school", "car", None, None, 0, 600.0, "not_on_network"),
        # V2 school bike missing: a null, never 0
    ]
    df = pd.DataFrame(rows)
    for c in ("count_1km", "count_3km"):
        df[c] = df[c].astype("Int64")
    return df


def test_villages_wide_columns_order_and_values():
    w = villages_wide(VILLAGES, _indicators())
    assert list(w.columns[:5]) == list(VILLAGES.columns)  # the village fields first, in order
    assert list(w.columns[5:7]) == ["snap_distance_m_car", "snap_distance_m_bike"]
    per_pair = ["distance_m", "travel_time_s", "count_1km", "count_3km", "reason"]
    expected = [f"{c}_{p}_{f}" for c in ("gp", "school") for p in ("car", "bike") for f in per_pair]
    assert list(w.columns[7:]) == expected
    assert len(w) == 3 and list(w["village_id"]) == ["V1", "V2", "V3"]
    v = w.set_index("village_id")
    assert v.loc["V1", "gp_car_distance_m"] == 1500.0
    assert v.loc["V1", "school_bike_travel_time_s"] == 170.0
    assert v.loc["V1", "school_car_count_1km"] == 1 and v.loc["V1", "school_car_count_3km"] == 2
    assert np.isnan(v.loc["V2", "gp_car_distance_m"])
    assert v.loc["V2", "gp_car_reason"] == "not_on_network"
    assert pd.isna(v.loc["V1", "gp_car_reason"])
    assert v.loc["V2", "snap_distance_m_car"] == 600.0
    assert v.loc["V2", "snap_distance_m_bike"] == 30.0
    # a missing pair and a village without rows are null, never 0
    assert np.isnan(v.loc["V2", "school_bike_distance_m"])
    assert pd.isna(v.loc["V2", "school_bike_count_1km"])
    assert v.loc["V3", ["gp_car_distance_m", "gp_car_count_1km"]].isna().all()
    assert w["gp_car_distance_m"].dtype == np.float64
    assert w["school_bike_travel_time_s"].dtype == np.float64
    assert w["gp_car_count_1km"].dtype == "Int64"


def test_villages_wide_order_reasons_and_nearest():
    ind = _indicators()
    w = villages_wide(VILLAGES, ind, categories=["school"], profiles=["bike"], nearest=True)
    assert list(w.columns[5:]) == [
        "snap_distance_m_bike",
        "school_bike_distance_m", "school_bike_travel_time_s",
        "school_bike_nearest_by_distance_id", "school_bike_nearest_by_time_id",
        "school_bike_count_1km", "school_bike_count_3km", "school_bike_reason",
    ]  # fmt: skip
    assert w.loc[0, "school_bike_nearest_by_distance_id"] == "node/V1school"
    no_reasons = ind[ind["reason"].isna()]
    assert not any(c.endswith("_reason") for c in villages_wide(VILLAGES, no_reasons).columns)
    # an unknown category gives null columns of the field's type
    w = villages_wide(VILLAGES, ind, categories=["pharmacy"], profiles=["car"])
    assert w["pharmacy_car_distance_m"].isna().all()
    assert w["pharmacy_car_distance_m"].dtype == np.float64


def test_villages_wide_keeps_a_geodataframe():
    gdf = gpd.GeoDataFrame(
        VILLAGES, geometry=gpd.points_from_xy(VILLAGES["lon"], VILLAGES["lat"]), crs="EPSG:4326"
    )
    w = villages_wide(gdf, _indicators())
    assert isinstance(w, gpd.GeoDataFrame) and w.crs == gdf.crs and len(w) == 3


def test_villages_wide_refuses_duplicates_and_clashes():
    ind = _indicators()
    with pytest.raises(WideTableError, match="more than once"):
        villages_wide(VILLAGES, pd.concat([ind, ind.iloc[:1]], ignore_index=True))
    with pytest.raises(WideTableError, match="already columns"):
        villages_wide(VILLAGES.assign(gp_car_distance_m=1.0), ind)
    # gp by post_car and gp_post by car both give gp_post_car_...
    clash = ind.assign(category=ind["category"].replace({"school": "gp_post"}),
                       profile=ind["profile"].replace({"bike": "post_car"}))  # fmt: skip
    with pytest.raises(WideTableError, match="same wide column name"):
        villages_wide(VILLAGES, clash)


MUNICIPALITIES = pd.DataFrame(
    {
        "municipality": ["A", "A", "B", "B"],
        "category": ["gp", "school", "gp", "school"],
        "profile": ["car"] * 4,
        "villages": [2, 2, 1, 1],
        "population": [150.0, 150.0, np.nan, np.nan],
        "weighting": ["population", "population", "unweighted", "unweighted"],
        "mean_distance_m": [1200.0, 800.0, np.nan, 3000.0],
        "villages_unreachable": [0, 0, 1, 0],
        "share_beyond_1km": [0.5, 0.0, 1.0, 1.0],
        "worst_village_id": ["V1", "V2", "V3", "V3"],
    }
)


def test_municipalities_wide_population_once():
    w = municipalities_wide(MUNICIPALITIES, categories=["school", "gp"])
    fields = ["mean_distance_m", "villages_unreachable", "share_beyond_1km", "worst_village_id"]
    assert list(w.columns) == [
        "municipality", "villages", "population", "weighting",
        *[f"school_car_{f}" for f in fields], *[f"gp_car_{f}" for f in fields],
    ]  # fmt: skip
    m = w.set_index("municipality")
    assert list(m.index) == ["A", "B"]
    assert m.loc["A", "population"] == 150.0 and m.loc["B", "villages"] == 1
    assert m.loc["A", "gp_car_mean_distance_m"] == 1200.0
    assert np.isnan(m.loc["B", "gp_car_mean_distance_m"])
    assert m.loc["B", "school_car_share_beyond_1km"] == 1.0
    assert m.loc["B", "gp_car_worst_village_id"] == "V3"
    varying = MUNICIPALITIES.assign(population=[150.0, 160.0, np.nan, np.nan])
    with pytest.raises(WideTableError, match="population"):
        municipalities_wide(varying)


def test_public_transport_widens_the_time_only():
    """Transit rows carry the median time and a reason: no length, counts or road snap."""
    transit = pd.DataFrame([
        _row("V1", "gp", "transit", None, 900.0, 0, None),
        _row("V2", "gp", "transit", None, None, 0, None, "no_service"),
    ])  # fmt: skip
    transit[["count_1km", "count_3km"]] = pd.NA
    long = pd.concat([_indicators(), transit], ignore_index=True)
    for c in ("count_1km", "count_3km"):
        long[c] = long[c].astype("Int64")
    w = villages_wide(VILLAGES, long)
    cols = [c for c in w.columns if "transit" in c]
    assert cols == [
        f"{c}_transit_{f}" for c in ("gp", "school") for f in ("travel_time_s", "reason")
    ]
    assert "gp_car_distance_m" in w.columns and "snap_distance_m_car" in w.columns
    v = w.set_index("village_id")
    assert v.loc["V1", "gp_transit_travel_time_s"] == 900.0
    assert v.loc["V2", "gp_transit_reason"] == "no_service"
    assert pd.isna(v.loc["V1", "school_transit_travel_time_s"])  # a missing pair: null
