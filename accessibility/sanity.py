"""Checks that refuse nonsense before it can replace a good build.

A file of points that all lie outside the extract (lat and lon swapped, the wrong CRS, the
wrong region), a facility file that yields no facility, villages of which not one lies on
a road: each stops the build with one line saying what to fix, instead of writing a build
in which every figure is "not on the network" over the last good one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from accessibility.errors import InputFileError

#: points this far (degrees) outside the extract's nodes still count as inside
BOUNDS_MARGIN_DEG = 0.1


def extract_bounds(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float, float, float]:
    """Return ``lon0, lat0, lon1, lat1`` of the extract's nodes."""
    return float(np.min(lon)), float(np.min(lat)), float(np.max(lon)), float(np.max(lat))


def _inside(lon: np.ndarray, lat: np.ndarray, bounds: tuple[float, ...]) -> np.ndarray:
    lon0, lat0, lon1, lat1 = bounds
    m = BOUNDS_MARGIN_DEG
    return (lon >= lon0 - m) & (lon <= lon1 + m) & (lat >= lat0 - m) & (lat <= lat1 + m)


def check_inside(path: str | Path, lon: np.ndarray, lat: np.ndarray,
                 bounds: tuple[float, float, float, float], *, what: str,
                 crs_option: str) -> None:  # fmt: skip
    """Raise when not one point of a file lies inside the extract (with the likely cause).

    Some points outside is normal (a national GP file with a province's extract); none
    inside is not: swapped axes (the hint says so when the swap puts them inside) or
    coordinates in another CRS than assumed.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any() or _inside(lon[ok], lat[ok], bounds).any():
        return
    lon0, lat0, lon1, lat1 = bounds
    swapped = _inside(lat[ok], lon[ok], bounds).mean() > 0.5  # noqa: PLR2004 - most of them
    hint = ("lon and lat look swapped: exchanged, they fall inside" if swapped else
            f"are the coordinates in another CRS? give it with {crs_option}")  # fmt: skip
    msg = (f"{path}: none of its {int(ok.sum()):,} {what} lies inside the extract (lon "
           f"{lon0:.3f} to {lon1:.3f}, lat {lat0:.3f} to {lat1:.3f}); {hint}")  # fmt: skip
    raise InputFileError(msg)


def check_some(path: str | Path, n: int, *, what: str) -> None:
    """Raise when a file yields no point at all (a header-only CSV, every row skipped)."""
    if n == 0:
        msg = f"{path}: the file yields no {what} (only a header, or every row skipped)"
        raise InputFileError(msg)


def check_villages_on_network(reasons: np.ndarray, n_villages: int, source: str) -> None:
    """Raise when not one village lies on the network of any profile."""
    reasons = np.asarray(reasons, dtype=object)
    if n_villages and len(reasons) and (reasons == "not_on_network").all():
        msg = (f"{source}: not one of the {n_villages:,} villages lies within the snap limit "
               "of a road; check their coordinates (lon first, WGS84) or raise "
               "--max-snap-m")  # fmt: skip
        raise InputFileError(msg)
