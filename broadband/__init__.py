"""Broadband coverage ("white areas") for the bereik accessibility service.

Reads coverage data (rasters of Mbit/s, polygons, address points), classifies speeds into
the EU classes ``white`` (< 30 Mbit/s), ``basic`` (30 to < 100) and ``nga`` (>= 100), overlays
villages with it and combines the result with facility accessibility ("double
disadvantage": remote *and* offline).

Library only: no web framework imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public names and the module that defines them; imported on first use (PEP 562), so that
# `import broadband.errors` (the CLI's error handling) does not load the geodata stack.
_EXPORTS = {
    "CLASSES": "classify", "Thresholds": "classify", "classify_speed": "classify",
    "BroadbandError": "errors", "BroadbandInputError": "errors",
    "CoverageFileError": "errors", "NoCrsError": "errors", "SpeedColumnError": "errors",
    "ThresholdError": "errors",
    "double_disadvantage": "overlay", "flag_double_disadvantage": "overlay",
    "municipality_broadband": "overlay", "white_area_overlay": "overlay",
    "white_area_polygons": "overlay",
    "Coverage": "sources", "read_coverage": "sources",
}  # fmt: skip

if TYPE_CHECKING:  # pragma: no cover
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


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"broadband.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    msg = f"module 'broadband' has no attribute {name!r}"
    raise AttributeError(msg)


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
