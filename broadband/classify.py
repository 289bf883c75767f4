"""Classification of download speeds into the EU broadband classes.

The classes follow the EU state-aid broadband guidelines:

* ``white``: best available download speed below ``basic_mbps`` (30 Mbit/s);
* ``basic``: at least ``basic_mbps`` and below ``nga_mbps`` (30 to under 100 Mbit/s);
* ``nga``: at least ``nga_mbps`` (100 Mbit/s, "next generation access");
* ``unknown``: no data (NaN) or an invalid (negative) speed.

A speed exactly on a border belongs to the upper class (30.0 is ``basic``, 100.0 is
``nga``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING

from broadband.errors import ThresholdError

if TYPE_CHECKING:  # numpy loads on first classification: Thresholds alone stays light
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "BASIC",
    "CLASSES",
    "NGA",
    "UNKNOWN",
    "WHITE",
    "Thresholds",
    "classify_speed",
]

WHITE = "white"
BASIC = "basic"
NGA = "nga"
UNKNOWN = "unknown"
#: All class names, from worst to best, then ``unknown``.
CLASSES: tuple[str, ...] = (WHITE, BASIC, NGA, UNKNOWN)


def _check_speed(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        msg = f"Thresholds.{name} must be a number in Mbit/s, got {value!r}, expected e.g. 30.0"
        raise ThresholdError(msg)
    mbps = float(value)
    if not math.isfinite(mbps) or mbps <= 0:
        msg = (
            f"Thresholds.{name} must be a finite speed > 0 Mbit/s, got {value!r}, "
            "expected e.g. basic_mbps=30.0, nga_mbps=100.0"
        )
        raise ThresholdError(msg)
    return mbps


@dataclass(frozen=True)
class Thresholds:
    """Speed thresholds (download, Mbit/s) separating the broadband classes.

    Parameters
    ----------
    basic_mbps : float, default 30.0
        Lowest speed that is *not* white (EU: 30 Mbit/s).
    nga_mbps : float, default 100.0
        Lowest speed that counts as next generation access (EU: 100 Mbit/s).

    Raises
    ------
    ThresholdError
        If a threshold is not a finite number > 0 or if ``basic_mbps >= nga_mbps``.
    """

    basic_mbps: float = 30.0
    nga_mbps: float = 100.0

    def __post_init__(self) -> None:
        basic = _check_speed("basic_mbps", self.basic_mbps)
        nga = _check_speed("nga_mbps", self.nga_mbps)
        if basic >= nga:
            msg = (
                f"Thresholds need basic_mbps < nga_mbps, got basic_mbps={self.basic_mbps!r} "
                f"and nga_mbps={self.nga_mbps!r}, expected e.g. basic_mbps=30.0, nga_mbps=100.0"
            )
            raise ThresholdError(msg)
        object.__setattr__(self, "basic_mbps", basic)
        object.__setattr__(self, "nga_mbps", nga)


def classify_speed(
    mbps: npt.ArrayLike, thresholds: Thresholds | None = None
) -> npt.NDArray[np.str_]:
    """Classify download speeds into ``white``/``basic``/``nga``/``unknown``.

    Parameters
    ----------
    mbps : array_like of float
        Best download speeds in Mbit/s (any shape; scalars give a 0-d array). NaN (or
        ``pd.NA``) means no data.
    thresholds : Thresholds, optional
        Class borders; defaults to ``Thresholds()`` (30 and 100 Mbit/s).

    Returns
    -------
    numpy.ndarray of str
        Same shape as ``mbps``. NaN and negative speeds are ``unknown``; a speed equal to a
        threshold belongs to the upper class.

    Examples
    --------
    >>> classify_speed([10.0, 30.0, 99.9, 100.0, float("nan")]).tolist()
    ['white', 'basic', 'basic', 'nga', 'unknown']
    """
    import numpy as np

    th = Thresholds() if thresholds is None else thresholds
    if not isinstance(th, Thresholds):
        msg = f"thresholds must be a Thresholds instance, got {thresholds!r}, expected Thresholds()"
        raise ThresholdError(msg)
    values = np.asarray(mbps, dtype=np.float64)
    known = ~np.isnan(values) & (values >= 0)
    # np.select evaluates conditions in order; NaN compares False everywhere.
    return np.select(
        [~known, values >= th.nga_mbps, values >= th.basic_mbps],
        [UNKNOWN, NGA, BASIC],
        default=WHITE,
    ).astype("<U7")
