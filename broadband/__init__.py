"""Broadband coverage ("white areas") for the bereik accessibility service.

Reads coverage data (rasters of Mbit/s, polygons, address points), classifies speeds into
the EU classes ``white`` (< 30 Mbit/s), ``basic`` (30 to < 100) and ``nga`` (>= 100), overlays
villages with it and combines the result with facility accessibility ("double
disadvantage": remote *and* offline).

Library only: no web framework imports.
"""

from __future__ import annotations

from broadband.classify import CLASSES, Thresholds, classify_speed
from broadband.errors import (
    BroadbandError,
    BroadbandInputError,
    CoverageFileError,
    NoCrsError,
    SpeedColumnError,
    ThresholdError,
)
from broadband.overlay import (
    double_disadvantage,
    flag_double_disadvantage,
    municipality_broadband,
    white_area_overlay,
    white_area_polygons,
)
from broadband.sources import Coverage, read_coverage

__all__ = [
    "CLASSES",
    "BroadbandError",
    "BroadbandInputError",
    "Coverage",
    "CoverageFileError",
    "NoCrsError",
    "SpeedColumnError",
    "ThresholdError",
    "Thresholds",
    "classify_speed",
    "double_disadvantage",
    "flag_double_disadvantage",
    "municipality_broadband",
    "read_coverage",
    "white_area_overlay",
    "white_area_polygons",
]
