"""Supply against demand: the two-step floating catchment (2SFCA, E2SFCA) on a cost table.

Distance to the nearest GP says nothing about whether that GP can take more patients. The
two-step floating catchment method (Luo & Wang 2003) weighs every supply point's capacity
against the persons who can reach it:

1. every supply point *j* gets a ratio ``R_j = S_j / sum_k P_k W(c_kj)`` over the demand
   points *k* within the catchment (``c_kj <= catchment``): capacity per person in reach;
2. every demand point *i* sums the ratios it can reach: ``A_i = sum_j R_j W(c_ij)``.

``W`` is 1 within the catchment (classic 2SFCA), or a step table of zones for the enhanced
method (E2SFCA, Luo & Qi 2009): ``((5, 1.0), (10, 0.68), (15, 0.22))`` gives weight 1.0 to a
cost up to 5, 0.68 up to 10, 0.22 up to 15 and 0 beyond the last bound. Every bound is
inclusive (``cost <= bound``), the catchment too. :func:`e2sfca_zones` gives Luo & Qi's
weights (:data:`E2SFCA_WEIGHTS`) over three equal thirds of a catchment.

The input is a sparse long table of demand x supply pairs (only the pairs within reach,
from the network searches), so a province of addresses and a few hundred GPs stays small.
Access is capacity per person (``access_per_1000`` per 1,000 persons); with classic weights
the persons times their access add up to the capacity of every supply point someone reaches.

Conventions
-----------
- A supply point without weighted demand in reach (nobody within the catchment, only
  zero-demand points, or only pairs beyond the last zone) gets ratio **NaN**: capacity
  per nobody is undefined. It adds nothing in step 2, so access is always finite; a demand
  point that reaches no served supply point gets access 0.
- PySAL ``access`` 1.1.10 (``Access.two_stage_fca``, ``enhanced_two_stage_fca``,
  ``weights.step_fn``) uses the same inclusive bounds and gives the same values, with two
  differences of presentation: it leaves out the supply points without demand in reach
  (no ratio at all), and gives NaN, not 0, to a demand point without any pair within the
  catchment. Its default E2SFCA weights, ``step_fn({10: 1, 20: 0.68, 30: 0.22})``, are
  ``e2sfca_zones(30)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessibility.errors import ParameterError

__all__ = [
    "E2SFCA_WEIGHTS",
    "PER_PERSONS",
    "SupplyResult",
    "aggregate",
    "e2sfca_zones",
    "two_stage_fca",
]

#: Luo & Qi (2009) E2SFCA zone weights, nearest zone first, over equal parts of the catchment
E2SFCA_WEIGHTS = (1.0, 0.68, 0.22)
#: access is capacity per person; the reports give it per this many persons
PER_PERSONS = 1000

#: a step table of (upper bound, weight) pairs, bounds increasing, same unit as the cost
Zones = Sequence[tuple[float, float]]


@dataclass(frozen=True, eq=False)
class SupplyResult:
    """What the two steps give.

    Attributes
    ----------
    ratio
        Per supply point: capacity per weighted person in reach (step 1), NaN where no
        weighted demand is in reach.
    access
        Per demand point: the sum of the weighted ratios it reaches (step 2), capacity per
        person; 0 where it reaches no served supply point.
    demand_in_reach
        Per supply point: the weighted demand within its catchment (step 1's denominator).
    """

    ratio: np.ndarray
    access: np.ndarray
    demand_in_reach: np.ndarray

    @property
    def access_per_1000(self) -> np.ndarray:
        """Access per :data:`PER_PERSONS` persons (GPs per 1,000 residents)."""
        return self.access * PER_PERSONS


def e2sfca_zones(catchment: float, weights: Sequence[float] = E2SFCA_WEIGHTS) -> Zones:
    """Split a catchment into equal zones with the given weights (Luo & Qi by default).

    Parameters
    ----------
    catchment
        Maximum cost; the last bound is exactly this.
    weights
        Zone weights, nearest zone first.

    Returns
    -------
    tuple of (upper_bound, weight)
        ``e2sfca_zones(30)`` is ``((10, 1.0), (20, 0.68), (30, 0.22))``.
    """
    catchment = _catchment(catchment)
    bounds = np.linspace(0.0, catchment, len(weights) + 1)[1:]
    return tuple((float(b), float(w)) for b, w in zip(bounds, weights, strict=True))


def two_stage_fca(
    demand_idx: np.ndarray,
    supply_idx: np.ndarray,
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray | None,
    catchment: float,
    *,
    zones: Zones | None = None,
) -> SupplyResult:
    """Weigh supply against the demand in reach: 2SFCA, or E2SFCA with ``zones``.

    Parameters
    ----------
    demand_idx, supply_idx
        Integer row of the demand and the supply point of each pair (no pair twice).
    cost
        Travel cost of each pair (finite, >= 0); pairs beyond the catchment are ignored.
    demand
        Persons per demand point (finite, >= 0); its length is the number of demand points.
    capacity
        Capacity per supply point (finite, >= 0; GPs, FTE, places); its length is the
        number of supply points. None: one each, for ``1 + max(supply_idx)`` supply points.
    catchment
        Maximum cost (inclusive), in the unit of ``cost``.
    zones
        Step table of ``(upper_bound, weight)``, bounds increasing and inclusive, weight 0
        beyond the last; None is classic 2SFCA (weight 1 within the catchment).

    Returns
    -------
    SupplyResult
        Ratio and weighted demand per supply point, access per demand point.

    Raises
    ------
    ParameterError
        For mismatched lengths, indices out of range, a pair twice, negative or non-finite
        values, a catchment that is not > 0, or a malformed zone table.
    """
    demand = _values(demand, "demand")
    d_idx, s_idx, cost = _pairs(demand_idx, supply_idx, cost, len(demand))
    capacity = _capacity(capacity, s_idx)
    _check_range(s_idx, len(capacity), "supply_idx")
    _check_unique(d_idx, s_idx, len(capacity))
    w = _weights(cost, _catchment(catchment), zones)
    demand_in_reach = np.bincount(s_idx, weights=demand[d_idx] * w, minlength=len(capacity))
    served = demand_in_reach > 0
    ratio = np.full(len(capacity), np.nan)
    np.divide(capacity, demand_in_reach, out=ratio, where=served)
    gain = np.where(served, ratio, 0.0)[s_idx] * w
    access = np.bincount(d_idx, weights=gain, minlength=len(demand))
    return SupplyResult(ratio=ratio, access=access, demand_in_reach=demand_in_reach)


def aggregate(
    access: np.ndarray, demand: np.ndarray, groups: Sequence, *, name: str = "group"
) -> pd.DataFrame:
    """Person-weighted mean access per group (village, municipality), sorted by group.

    Parameters
    ----------
    access
        Access per demand point (:attr:`SupplyResult.access`).
    demand
        Persons per demand point.
    groups
        Group label per demand point; a missing label is a group of its own, last.
    name
        Name of the label column.

    Returns
    -------
    pandas.DataFrame
        ``<name>, persons, access, access_per_1000``; access NaN where a group has no persons.
    """
    access = _values(access, "access", nonnegative=False)
    demand = _values(demand, "demand")
    if not len(access) == len(demand) == len(groups):
        msg = (
            f"access, demand and groups must be equally long, "
            f"got {len(access)}, {len(demand)} and {len(groups)}"
        )
        raise ParameterError(msg)
    frame = pd.DataFrame({name: groups, "persons": demand, "_sum": access * demand})
    sums = frame.groupby(name, sort=True, dropna=False)[["persons", "_sum"]].sum()
    persons = sums["persons"].to_numpy()
    mean = np.full(len(sums), np.nan)
    np.divide(sums["_sum"].to_numpy(), persons, out=mean, where=persons > 0)
    out = pd.DataFrame({name: sums.index, "persons": persons, "access": mean})
    out["access_per_1000"] = out["access"] * PER_PERSONS
    return out


def _weights(cost: np.ndarray, catchment: float, zones: Zones | None) -> np.ndarray:
    """Weight of each pair: the zone weight within the catchment, 0 beyond."""
    within = cost <= catchment
    if zones is None:
        return within.astype(float)
    bounds, weights = _zones(zones)
    step = np.append(weights, 0.0)[np.searchsorted(bounds, cost, side="left")]
    return np.where(within, step, 0.0)


def _zones(zones: Zones) -> tuple[np.ndarray, np.ndarray]:
    """Check a step table; return its bounds and weights."""
    try:
        table = np.asarray(zones, dtype=float)
    except (TypeError, ValueError) as exc:
        msg = f"zones must be (upper_bound, weight) pairs, got {zones!r}"
        raise ParameterError(msg) from exc
    if table.size == 0 or table.shape[1:] != (2,):  # an n x 2 table, n > 0
        msg = f"zones must be a non-empty sequence of (upper_bound, weight) pairs, got {zones!r}"
        raise ParameterError(msg)
    bounds, weights = table[:, 0], table[:, 1]
    if not (np.isfinite(table).all() and bounds[0] > 0 and (np.diff(bounds) > 0).all()):
        msg = f"zone bounds must be finite, > 0 and increasing, got {bounds.tolist()}"
        raise ParameterError(msg)
    if (weights < 0).any():
        msg = f"zone weights must be >= 0, got {weights.tolist()}"
        raise ParameterError(msg)
    return bounds, weights


def _catchment(catchment: float) -> float:
    """Check the catchment: a finite number > 0."""
    try:
        value = float(catchment)
    except (TypeError, ValueError) as exc:
        msg = f"catchment must be a number > 0, got {catchment!r}"
        raise ParameterError(msg) from exc
    if not (np.isfinite(value) and value > 0):
        msg = f"catchment must be finite and > 0, got {catchment!r}"
        raise ParameterError(msg)
    return value


def _values(values: np.ndarray, name: str, *, nonnegative: bool = True) -> np.ndarray:
    """Check a 1-D array of finite numbers (>= 0 unless told otherwise)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        msg = f"{name} must be one-dimensional, got shape {arr.shape}"
        raise ParameterError(msg)
    if not np.isfinite(arr).all():
        msg = f"{name} must be finite, got {arr[~np.isfinite(arr)][:3].tolist()}"
        raise ParameterError(msg)
    if nonnegative and (arr < 0).any():
        msg = f"{name} must be >= 0, got {arr[arr < 0][:3].tolist()}"
        raise ParameterError(msg)
    return arr


def _pairs(
    demand_idx: np.ndarray, supply_idx: np.ndarray, cost: np.ndarray, n_demand: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check the pair table: equal lengths, integer indices, finite costs >= 0."""
    d_idx = _index(demand_idx, "demand_idx")
    s_idx = _index(supply_idx, "supply_idx")
    cost = _values(cost, "cost")
    if not len(d_idx) == len(s_idx) == len(cost):
        msg = (
            f"demand_idx, supply_idx and cost must be equally long, "
            f"got {len(d_idx)}, {len(s_idx)} and {len(cost)}"
        )
        raise ParameterError(msg)
    _check_range(d_idx, n_demand, "demand_idx")
    return d_idx, s_idx, cost


def _index(values: np.ndarray, name: str) -> np.ndarray:
    """Check a 1-D integer index array (an empty one of any type is fine)."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        msg = f"{name} must be a one-dimensional integer array, got {arr.dtype} {arr.shape}"
        raise ParameterError(msg)
    return arr.astype(np.int64, copy=False)


def _check_range(index: np.ndarray, n: int, name: str) -> None:
    """Every index must name a row: 0 <= index < n."""
    if len(index) and (index.min() < 0 or index.max() >= n):
        msg = f"{name} must lie in [0, {n}), got {index.min()}..{index.max()}"
        raise ParameterError(msg)


def _check_unique(d_idx: np.ndarray, s_idx: np.ndarray, n_supply: int) -> None:
    """Refuse a pair listed twice (it would count its persons twice)."""
    keys = d_idx * max(n_supply, 1) + s_idx
    twice = len(keys) - len(np.unique(keys))
    if twice:
        msg = f"the pair table lists {twice} demand x supply pair(s) twice, expected each once"
        raise ParameterError(msg)


def _capacity(capacity: np.ndarray | None, s_idx: np.ndarray) -> np.ndarray:
    """Check the capacity; None is one per supply point in the table."""
    if capacity is None:
        return np.ones(int(s_idx.max()) + 1 if len(s_idx) else 0)
    return _values(capacity, "capacity")
