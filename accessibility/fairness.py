"""How evenly distance is spread over persons: Gini, Palma ratio, tenth gap, shares beyond.

A mean distance can stay the same while the far-off get farther. These figures look at
the spread over persons (every value weighted by the persons it stands for, e.g. an
address's residents), the way income inequality is measured, with distance in place of
income and the *farthest* as the worst off.

Conventions
-----------
- **Unreachable** persons (distance inf or NaN: no facility reachable) have no distance to
  spread: :func:`weighted_gini`, :func:`palma_ratio` and :func:`tenth_gap` leave them out,
  and :func:`fairness_table` counts them separately (``persons_unreachable``).
  :func:`share_beyond` counts them as beyond every ring.
- Weights are persons: finite and >= 0, fractional allowed; a weight of 0 drops the row.
  Distances must not be negative.
- **Gini** is the population form ``G = sum_ij w_i w_j |x_i - x_j| / (2 W^2 mean)``
  (no small-sample correction): 0 when everyone is equally far (also when everyone is at
  0), 0.5 for two persons at 0 and 1000 m, approaching 1 when one person bears all.
- **Quantile groups** split persons fractionally: with persons sorted from nearest to
  farthest, the nearest 40 % is the first ``0.4 W`` of the cumulative weight ``W``, and a
  point whose persons straddle the boundary is split (half its persons in, half out).
  Equal distances are interchangeable, so ties need no rule.
- **Palma ratio**: the income Palma ratio (the income of the richest 10 % over that of the
  poorest 40 %) transposed to distance: the total distance borne by the farthest 10 % of
  persons over that borne by the nearest 40 %. Everyone equally far gives 0.25 (a tenth of
  the persons over four tenths); higher is more unequal. When the nearest 40 % bear no
  distance, it is inf if the farthest 10 % bear some, and NaN if nobody travels at all.
- **Tenth gap**: mean distance of the farthest 10 % minus that of the nearest 10 % (m).
- Every figure is NaN where no person (with a distance) is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessibility.defaults import DEFAULT_RADII_KM
from accessibility.errors import InputFileError, ParameterError

__all__ = [
    "NEAREST_SHARE",
    "TENTH",
    "WHOLE_LABEL",
    "fairness_table",
    "palma_ratio",
    "share_beyond",
    "tenth_gap",
    "weighted_gini",
]

#: the farthest (worst-served) tenth of Palma's numerator and of the tenth gap's two ends
TENTH = 0.1
#: the nearest (best-served) share of Palma's denominator
NEAREST_SHARE = 0.4
#: label of the single row of :func:`fairness_table` without groups (the whole province)
WHOLE_LABEL = "all"
#: its column
WHOLE_COLUMN = "group"
#: the figures of :func:`fairness_table`, before the ``share_beyond_<r>km`` columns
FIGURE_COLUMNS = (
    "persons",
    "persons_unreachable",
    "mean_distance_m",
    "gini",
    "palma",
    "tenth_gap_m",
)


@dataclass(frozen=True, eq=False)
class _Persons:
    """Reachable distances sorted ascending with their (positive) weights; the rest's weight."""

    x: np.ndarray
    w: np.ndarray
    unreachable: float

    @property
    def reachable(self) -> float:
        """Persons with a distance."""
        return float(self.w.sum())

    def mass(self, lo: float, hi: float) -> float:
        """Distance borne by the persons between cumulative weights ``lo`` and ``hi``."""
        end = np.cumsum(self.w)
        start = end - self.w
        part = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)
        return float(np.dot(part, self.x))


def weighted_gini(values: np.ndarray, weight: np.ndarray) -> float:
    """Gini coefficient of distance over persons (0: everyone equally far).

    Parameters
    ----------
    values
        Distance per point (m); inf or NaN is unreachable and left out.
    weight
        Persons per point.

    Returns
    -------
    float
        ``sum_ij w_i w_j |x_i - x_j| / (2 W^2 mean)``; 0 when every distance is 0, NaN
        without reachable persons.
    """
    return _gini(_persons(values, weight))


def palma_ratio(values: np.ndarray, weight: np.ndarray) -> float:
    """Distance borne by the farthest 10 % of persons over that of the nearest 40 %.

    Parameters
    ----------
    values
        Distance per point (m); inf or NaN is unreachable and left out.
    weight
        Persons per point (split fractionally at the 10 % and 40 % boundaries).

    Returns
    -------
    float
        0.25 when everyone is equally far; inf when the nearest 40 % bear no distance and
        the farthest some; NaN when nobody travels or without reachable persons.
    """
    return _palma(_persons(values, weight))


def tenth_gap(values: np.ndarray, weight: np.ndarray) -> float:
    """Mean distance of the farthest 10 % of persons minus that of the nearest 10 % (m).

    Parameters
    ----------
    values
        Distance per point (m); inf or NaN is unreachable and left out.
    weight
        Persons per point (split fractionally at the boundaries).

    Returns
    -------
    float
        The gap in metres; NaN without reachable persons.
    """
    return _tenth_gap(_persons(values, weight))


def share_beyond(
    values: np.ndarray, weight: np.ndarray, rings_m: Sequence[float]
) -> dict[float, float]:
    """Share of persons farther than each ring; the unreachable are beyond every ring.

    Parameters
    ----------
    values
        Distance per point (m); inf or NaN is unreachable.
    weight
        Persons per point.
    rings_m
        Ring radii (m, finite, >= 0); a distance equal to the ring is not beyond it.

    Returns
    -------
    dict
        ``{ring_m: share}`` over all persons, reachable or not; NaN shares without persons.
    """
    return _share_beyond(_persons(values, weight), _rings(rings_m))


def fairness_table(
    frame: pd.DataFrame,
    *,
    value: str,
    weight: str,
    by: Sequence[str] | None = None,
    rings_km: Sequence[float] = DEFAULT_RADII_KM,
) -> pd.DataFrame:
    """Every fairness figure per group (municipality, village) or for the whole area.

    Parameters
    ----------
    frame
        One row per point (address, village).
    value
        Column of the distance (m); inf or null is unreachable.
    weight
        Column of the persons.
    by
        Group columns; None or empty gives a single row, ``group`` = :data:`WHOLE_LABEL`.
    rings_km
        Rings of the ``share_beyond_<r>km`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted (a null group last): the group columns, then
        ``persons, persons_unreachable, mean_distance_m, gini, palma, tenth_gap_m`` and
        ``share_beyond_<r>km`` per ring.
    """
    by = list(by or [])
    missing = [c for c in (*by, value, weight) if c not in frame.columns]
    if missing:
        msg = f"fairness_table: columns {missing} not in the frame, got {list(frame.columns)}"
        raise InputFileError(msg)
    rings_km = [float(r) for r in rings_km]
    _rings([r * 1000.0 for r in rings_km])
    if by:
        keys, groups = by, frame.groupby(by, sort=True, dropna=False)
    else:
        keys, groups = [WHOLE_COLUMN], [((WHOLE_LABEL,), frame)]
    rows = [
        {**dict(zip(keys, key, strict=True)), **_figures(g[value], g[weight], rings_km)}
        for key, g in groups
    ]
    columns = [*keys, *FIGURE_COLUMNS, *(_share_column(r) for r in rings_km)]
    return pd.DataFrame(rows, columns=columns)


def _figures(values: pd.Series, weight: pd.Series, rings_km: list[float]) -> dict[str, float]:
    """Every figure of one group."""
    p = _persons(_floats(values), _floats(weight))
    reach = p.reachable
    shares = _share_beyond(p, np.array(rings_km) * 1000.0)
    return {
        "persons": reach + p.unreachable,
        "persons_unreachable": p.unreachable,
        "mean_distance_m": float(np.dot(p.x, p.w) / reach) if reach > 0 else np.nan,
        "gini": _gini(p),
        "palma": _palma(p),
        "tenth_gap_m": _tenth_gap(p),
        **{_share_column(r): s for r, s in zip(rings_km, shares.values(), strict=True)},
    }


def _floats(column: pd.Series) -> np.ndarray:
    """Return a column as floats, null (also a nullable dtype's NA) as NaN."""
    return column.to_numpy(dtype=float, na_value=np.nan)


def _share_column(radius_km: float) -> str:
    """Name of a ring's column, ``share_beyond_1km``, as ``residents.share_column`` spells it.

    Not imported from there: :mod:`accessibility.residents` loads the routing stack.
    """
    return f"share_beyond_{radius_km:g}km"


def _gini(p: _Persons) -> float:
    """Gini over the sorted persons in O(n): each pair once, the nearer before."""
    total, xw = p.reachable, float(np.dot(p.x, p.w))
    if total == 0:
        return np.nan
    if xw == 0:
        return 0.0
    before_w = np.cumsum(p.w) - p.w  # weight of the nearer persons
    before_xw = np.cumsum(p.x * p.w) - p.x * p.w  # their distance
    pairs = float(np.dot(p.w, p.x * before_w - before_xw))  # sum_{j<i} w_i w_j (x_i - x_j)
    return pairs / (total * xw)


def _palma(p: _Persons) -> float:
    """Farthest tenth's distance over the nearest 40 %'s."""
    total = p.reachable
    if total == 0:
        return np.nan
    far = p.mass(total - TENTH * total, total)
    near = p.mass(0.0, NEAREST_SHARE * total)
    if near == 0:
        return np.inf if far > 0 else np.nan
    return far / near


def _tenth_gap(p: _Persons) -> float:
    """Mean of the farthest tenth minus mean of the nearest tenth."""
    total = p.reachable
    if total == 0:
        return np.nan
    tenth = TENTH * total
    return (p.mass(total - tenth, total) - p.mass(0.0, tenth)) / tenth


def _share_beyond(p: _Persons, rings_m: np.ndarray) -> dict[float, float]:
    """Share beyond each ring: the sorted distances give the persons within at once."""
    everyone = p.reachable + p.unreachable
    # summed from the far end: no cancellation leaves -1e-16 where nobody is beyond
    beyond = np.concatenate([np.cumsum(p.w[::-1])[::-1], [0.0]])[
        np.searchsorted(p.x, rings_m, "right")] + p.unreachable  # fmt: skip
    shares = beyond / everyone if everyone > 0 else np.full(len(rings_m), np.nan)
    return {float(r): float(s) for r, s in zip(rings_m, shares, strict=True)}


def _persons(values: np.ndarray, weight: np.ndarray) -> _Persons:
    """Check distances and weights; sort the reachable, weigh the unreachable."""
    x = np.asarray(values, dtype=float)
    w = np.asarray(weight, dtype=float)
    if x.ndim != 1 or x.shape != w.shape:
        msg = f"values and weight must be 1-D and equally long, got {x.shape} and {w.shape}"
        raise ParameterError(msg)
    if not np.isfinite(w).all() or (w < 0).any():
        msg = f"weight must be finite and >= 0, got {w[~(np.isfinite(w) & (w >= 0))][:3].tolist()}"
        raise ParameterError(msg)
    if (x < 0).any():
        msg = f"distances must be >= 0 (inf or NaN: unreachable), got {x[x < 0][:3].tolist()}"
        raise ParameterError(msg)
    reach = np.isfinite(x)
    keep = reach & (w > 0)
    order = np.argsort(x[keep], kind="stable")
    return _Persons(x[keep][order], w[keep][order], float(w[~reach].sum()))


def _rings(rings_m: Sequence[float]) -> np.ndarray:
    """Check ring radii: finite and >= 0."""
    rings = np.asarray(rings_m, dtype=float).reshape(-1)
    if not (np.isfinite(rings).all() and (rings >= 0).all()):
        msg = f"rings must be finite and >= 0, got {rings.tolist()}"
        raise ParameterError(msg)
    return rings
