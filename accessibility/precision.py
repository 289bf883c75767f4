"""How many decimals a figure keeps where it leaves bereik (tables, API responses).

The engine computes in float64; a distance of ``604.3667041576514`` m or a bandwidth of
``101.93265533447266`` Mbit/s is noise to a reader and to a diff. Every output (the build's
CSV files and GeoPackage, every API response) goes through :func:`round_frame`, which
rounds each column by its name (units in names make this possible): metres, seconds,
Mbit/s and km/h to 0.1, areas to whole m², shares to 4 decimals, coordinates to 6
(about 0.1 m, the GeoJSON geometries' precision), populations to whole persons (nullable
integers). The table :data:`ROUNDING` is the one place these choices live.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

#: (pattern on the column name, decimals; 0 with ``integer`` -> nullable integer column);
#: the first matching rule wins
ROUNDING: tuple[tuple[str, int, bool], ...] = (
    (r"^(lon|lat)$", 6, False),
    (r"^population(_|$)|^persons$|^dwellings$", 0, True),
    (r"_m2$", 0, False),  # areas
    (r"(^|_)share(_|$)", 4, False),  # 0..1
    (r"_(m|s|mbps|kph)(_|$)", 1, False),  # metres, seconds, Mbit/s, km/h (wide: _m_car)
    (r"(^|_)weight$", 1, False),
)
_RULES = tuple((re.compile(p), d, i) for p, d, i in ROUNDING)


def rounding_for(column: str) -> tuple[int, bool] | None:
    """Return ``(decimals, integer)`` for a column name, or None to leave it as it is."""
    for pattern, decimals, integer in _RULES:
        if pattern.search(column):
            return decimals, integer
    return None


def round_values(values: np.ndarray, column: str) -> np.ndarray:
    """Round a float array as :func:`round_frame` rounds the column ``column``."""
    rule = rounding_for(column)
    return values if rule is None else np.round(values, rule[0])


def round_scalar(value: object, column: str) -> object:
    """Round one value as :func:`round_frame` rounds the column ``column``.

    None, NaN and non-numbers pass unchanged; an integer rule gives an int.
    """
    rule = rounding_for(column)
    if rule is None or isinstance(value, bool | np.bool_):
        return value
    if not isinstance(value, int | float | np.integer | np.floating) or not np.isfinite(value):
        return value
    decimals, integer = rule
    rounded = float(np.round(float(value), decimals))  # as pandas rounds (numpy)
    return int(rounded) if integer else rounded


def round_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with every numeric column rounded as its name says (a new frame).

    Non-numeric and unnamed columns pass unchanged; an integer rule turns a float column
    (NaN for unknown) into a nullable ``Int64`` one.
    """
    out = {}
    for col in df.columns:
        s = df[col]
        rule = rounding_for(str(col))
        numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s)
        if rule is None or not numeric:
            out[col] = s
            continue
        decimals, integer = rule
        rounded = s.round(decimals)
        if integer and not pd.api.types.is_integer_dtype(s.dtype):
            rounded = rounded.astype("Int64")
        out[col] = rounded
    result = pd.DataFrame(out, index=df.index)
    if isinstance(df, gpd.GeoDataFrame):
        return gpd.GeoDataFrame(result, geometry=df.geometry.name, crs=df.crs)
    return result
