"""Where a new facility helps most: maximal coverage, p-median and set cover.

Three objectives, the existing facilities of the category kept fixed
(:data:`OBJECTIVES`), each solved on the sparse table of demand-to-candidate costs that
:meth:`accessibility.placement.SitingProblem.site_costs` builds from bounded searches:

- ``coverage`` (MCLP): the ``count`` sites that bring the most persons newly within the
  threshold;
- ``median`` (p-median): the ``count`` sites that lower the persons' total distance most.
  Costs are capped at the search bound: a person with no facility within it counts as
  that far, and a site farther than the bound helps nobody;
- ``cover`` (set cover, AccessMod's "add sites until 95 % are covered"): the fewest sites
  after which ``target_share`` of all persons are within the threshold (or every person a
  candidate can reach, when the target cannot be met).

Every objective is solved greedily (each step adds the site with the largest gain) and,
when the model is small enough, exactly as a sparse integer programme with HiGHS (through
``scipy.optimize.milp``: no extra package, the constraint matrices built without a Python
loop per variable) within a time budget. The answer says which it is: ``exact`` (proven
optimal), ``best_found`` (the solver's best when the time ran out) or ``greedy``, with
the gap to the solver's bound when it has one. PySAL spopt (PuLP + CBC, dense) is the peer
the tests check the optima against. The sites are then valued exactly, one search per site
added in order: the persons each brings within the threshold are what a scenario opening
it finds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from accessibility.defaults import (
    DEFAULT_SEARCH_FACTOR,
    DEFAULT_SUGGEST_BUDGET_S,
    DEFAULT_TARGET_SHARE,
    MAX_EXACT_PAIRS,
    MAX_SUGGEST_SITES,
    OBJECTIVES,
)
from accessibility.errors import ParameterError
from accessibility.placement import SiteCosts, SitingProblem

_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class _Model:
    """The numbers every solver works on: per demand point and per pair, sparse."""

    weight: np.ndarray  # per demand point (0 where not on the network)
    current: np.ndarray  # cost to the nearest existing facility (inf: none)
    pairs: SiteCosts
    n_candidates: int
    threshold: float

    @cached_property
    def cover(self) -> sp.csr_matrix:
        """Candidates x demand: 1 where the candidate brings a demand point newly within.

        Built once per model: the greedy step, the programme, the cover's need and the
        order of the sites all read it.
        """
        p = self.pairs
        m = (p.cost <= self.threshold) & (self.current[p.demand] > self.threshold)
        data = np.ones(int(m.sum()))
        return sp.csr_matrix((data, (p.candidate[m], p.demand[m])),
                             shape=(self.n_candidates, len(self.weight)))  # fmt: skip

    def savings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs that lower a point's capped cost: candidate, demand point, new cost."""
        p = self.pairs
        cap = np.minimum(self.current, p.bound)
        m = p.cost < cap[p.demand]
        return p.candidate[m], p.demand[m], p.cost[m]


@dataclass(frozen=True, eq=False)
class _Answer:
    sites: np.ndarray  # candidate indices
    value: float  # the model's objective value
    method: str  # exact or greedy
    bound: float | None  # the optimum is at most (max) / at least (min) this
    note: str = ""


@dataclass(frozen=True, eq=False)
class Suggestion:
    """Suggested sites in the order they were added, and how the answer was found.

    ``sites``: per site its rank, candidate id, name, lon/lat, the persons it brings
    newly within the threshold (exact), the villages those persons live in, and the mean
    cost and share within the threshold once it and the sites before it open.
    ``summary``: objective, method (``exact`` or ``greedy``), the model's objective value,
    the bound and gap to the optimum when known, the figures before and after.
    """

    sites: pd.DataFrame
    summary: dict = field(default_factory=dict)


def suggest(
    problem: SitingProblem,
    *,
    objective: str = "coverage",
    count: int | None = 1,
    threshold: float,
    target_share: float = DEFAULT_TARGET_SHARE,
    search_bound: float | None = None,
    time_budget_s: float = DEFAULT_SUGGEST_BUDGET_S,
) -> Suggestion:
    """Suggest sites for new facilities of the problem's category.

    Parameters
    ----------
    problem
        Demand, candidates and existing facilities placed on one profile's network.
    objective
        One of :data:`OBJECTIVES`.
    count
        Sites to add (``coverage``, ``median``); ``cover`` adds as many as needed, at
        most ``count`` when given (default :data:`~accessibility.defaults.MAX_SUGGEST_SITES`).
    threshold
        Cost within which a person counts as served (metres or seconds, the problem's
        weight).
    target_share
        ``cover``: the share of all persons to bring within ``threshold``.
    search_bound
        Costs are searched up to this bound (default: the threshold for ``coverage`` and
        ``cover``, :data:`~accessibility.defaults.DEFAULT_SEARCH_FACTOR` times it for
        ``median``).
    time_budget_s
        Seconds the exact solver may take; 0: greedy only.

    Raises
    ------
    ParameterError
        An unknown objective or a parameter out of range.
    """
    _check(objective, count, threshold, target_share, time_budget_s)
    if search_bound is None:
        search_bound = threshold * (DEFAULT_SEARCH_FACTOR if objective == "median" else 1.0)
    if not search_bound >= threshold:
        msg = f"search_bound ({search_bound:g}) must be at least the threshold ({threshold:g})"
        raise ParameterError(msg)
    started = time.perf_counter()
    weight = np.where(problem.demand_ok, problem.demand.weight, 0.0)
    model = _Model(weight, problem.current(), problem.site_costs(search_bound),
                   len(problem.candidates), float(threshold))  # fmt: skip
    answer = _solve(model, objective, count, target_share, time_budget_s)
    solved_s = time.perf_counter() - started
    sites = _value_sites(problem, model, answer.sites)
    summary = _summary(problem, model, answer, objective, sites, target_share)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    summary["solve_seconds"] = round(solved_s, 3)
    return Suggestion(sites=sites, summary=summary)


def _check(objective: str, count: int | None, threshold: float, target_share: float,
           budget: float) -> None:  # fmt: skip
    if objective not in OBJECTIVES:
        msg = f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}"
        raise ParameterError(msg)
    if count is not None and not 1 <= count <= MAX_SUGGEST_SITES:
        msg = f"count must be between 1 and {MAX_SUGGEST_SITES}, got {count}"
        raise ParameterError(msg)
    if objective != "cover" and count is None:
        msg = f"the {objective} objective needs a count of sites"
        raise ParameterError(msg)
    if not (np.isfinite(threshold) and threshold > 0):
        msg = f"the threshold must be a finite number > 0, got {threshold!r}"
        raise ParameterError(msg)
    if not 0 < target_share <= 1:
        msg = f"target_share must be in (0, 1], got {target_share!r}"
        raise ParameterError(msg)
    if not (np.isfinite(budget) and budget >= 0):
        msg = f"the time budget must be a finite number of seconds >= 0, got {budget!r}"
        raise ParameterError(msg)


def _solve(model: _Model, objective: str, count: int | None, target_share: float,
           budget: float) -> _Answer:  # fmt: skip
    if objective == "coverage":
        greedy = _greedy_coverage(model.cover, model.weight, int(count))
        return _exact_or(greedy, model, budget, lambda: _mip_coverage(model, int(count)))
    if objective == "median":
        greedy = _greedy_median(model, int(count))
        return _exact_or(greedy, model, budget, lambda: _mip_median(model, int(count)))
    need = _cover_need(model, target_share)
    most = MAX_SUGGEST_SITES if count is None else int(count)
    greedy = _greedy_cover(model.cover, model.weight, need, most)
    return _exact_or(greedy, model, budget, lambda: _mip_cover(model, need, most),
                     maximise=False)  # fmt: skip


def _exact_or(greedy: _Answer, model: _Model, budget: float, programme, *,
              maximise: bool = True) -> _Answer:  # fmt: skip
    """Return the exact answer when the model is small and HiGHS proves it within ``budget``.

    Otherwise the better of the greedy answer and the solver's best, with the solver's
    bound (the optimum is no better than it).
    """
    if budget <= 0:
        return greedy
    prog = programme()
    if prog is None:  # nothing to choose from: no site helps anyone
        return _Answer(np.array([], dtype=np.int64), 0.0, "exact", 0.0)
    if prog.rows.nnz > MAX_EXACT_PAIRS:  # the pairs that matter: a point a site helps
        note = (f"{prog.rows.nnz:,} terms in the integer programme, more than the exact "
                f"solver's limit of {MAX_EXACT_PAIRS:,}")  # fmt: skip
        return _Answer(greedy.sites, greedy.value, "greedy", None, note)
    found = _run_mip(prog, budget, maximise=maximise)
    if found.method == "exact":
        return found
    note = f"no proven optimum within the time budget of {budget:g} s"
    better = len(found.sites) > 0 and (found.value > greedy.value if maximise
                                       else found.value < greedy.value)  # fmt: skip
    best = found if better else greedy
    return _Answer(best.sites, best.value, best.method, found.bound, note)


# --- greedy -----------------------------------------------------------------------------------


def _best(gain: np.ndarray, chosen: list[int]) -> int:
    """Return the site with the largest gain not chosen yet (-1: no site gains anything)."""
    if chosen:
        gain[chosen] = -1.0
    j = int(np.argmax(gain)) if len(gain) else -1
    return j if j >= 0 and gain[j] > _EPS else -1


def _greedy_coverage(cover: sp.csr_matrix, weight: np.ndarray, count: int, *,
                     need: float = np.inf) -> _Answer:  # fmt: skip
    """Add the site that brings the most persons newly within, ``count`` times at most.

    Stops early when no site adds anyone, or once ``need`` persons are within.
    """
    left = weight.astype(float).copy()
    chosen: list[int] = []
    total = 0.0
    while len(chosen) < count and total < need - _EPS:
        gain = cover @ left
        j = _best(gain, chosen)
        if j < 0:
            break
        chosen.append(j)
        total += float(gain[j])
        left[cover.indices[cover.indptr[j] : cover.indptr[j + 1]]] = 0.0
    return _Answer(np.array(chosen, dtype=np.int64), total, "greedy", None)


def _greedy_median(model: _Model, count: int) -> _Answer:
    cand, dem, cost = model.savings()
    cap = np.minimum(model.current, model.pairs.bound)
    now = cap.copy()
    chosen: list[int] = []
    for _ in range(count):
        save = model.weight[dem] * np.maximum(now[dem] - cost, 0.0)
        j = _best(np.bincount(cand, weights=save, minlength=model.n_candidates), chosen)
        if j < 0:
            break
        chosen.append(j)
        m = cand == j
        now[dem[m]] = np.minimum(now[dem[m]], cost[m])
    value = float((model.weight * (cap - now)).sum())
    return _Answer(np.array(chosen, dtype=np.int64), value, "greedy", None)


def _cover_need(model: _Model, target_share: float) -> float:
    """Persons still to bring within the threshold (at most what the candidates reach)."""
    within = float(model.weight[model.current <= model.threshold].sum())
    need = target_share * float(model.weight.sum()) - within
    reachable = float(model.weight[np.unique(model.cover.indices)].sum())
    return max(0.0, min(need, reachable))


def _greedy_cover(cover: sp.csr_matrix, weight: np.ndarray, need: float, most: int) -> _Answer:
    """Add sites greedily until ``need`` persons are within (at most ``most``)."""
    if need <= _EPS:
        return _Answer(np.array([], dtype=np.int64), 0.0, "greedy", None)
    sites = _greedy_coverage(cover, weight, most, need=need).sites
    return _Answer(sites, float(len(sites)), "greedy", None)


# --- exact: integer programmes for HiGHS (scipy.optimize.milp) ------------------------------------


@dataclass(frozen=True, eq=False)
class _Programme:
    """``min c @ v`` over variables ``v = [x (sites), others]``, x binary, all in [0, 1]."""

    c: np.ndarray
    rows: sp.csr_matrix
    upper: np.ndarray
    sites: np.ndarray  # candidate index of each x
    sign: float  # objective value = sign * c @ v


def _programme(c: np.ndarray, blocks: list[tuple[sp.spmatrix, np.ndarray]], sites: np.ndarray,
               sign: float) -> _Programme:  # fmt: skip
    rows = sp.vstack([b for b, _ in blocks], format="csr")
    return _Programme(c, rows, np.concatenate([u for _, u in blocks]), sites, sign)


def _limit_row(n_x: int, n: int, most: float) -> tuple[sp.spmatrix, np.ndarray]:
    """``sum x <= most``."""
    return sp.csr_matrix(np.r_[np.ones(n_x), np.zeros(n - n_x)][None, :]), np.array([most])


def _mip_coverage(model: _Model, count: int) -> _Programme | None:
    """Maximise ``w @ y``: ``y_i <= sum of x_j over sites reaching i``, ``sum x <= count``."""
    cover = model.cover
    sites = np.flatnonzero(np.diff(cover.indptr) > 0)
    dem = np.unique(cover.indices)
    if len(sites) == 0:
        return None
    a = cover[sites][:, dem].T.tocsr()  # demand x sites
    n_x, n_y = len(sites), len(dem)
    link = sp.hstack([-a, sp.identity(n_y)])
    c = np.r_[np.zeros(n_x), -model.weight[dem]]
    blocks = [(link, np.zeros(n_y)), _limit_row(n_x, n_x + n_y, count)]
    return _programme(c, blocks, sites, -1.0)


def _mip_median(model: _Model, count: int) -> _Programme | None:
    """Maximise the saved cost: ``z_ij <= x_j``, one saving per point, ``sum x <= count``."""
    cand, dem, cost = model.savings()
    if len(cand) == 0:
        return None
    cap = np.minimum(model.current, model.pairs.bound)
    save = model.weight[dem] * (cap[dem] - cost)
    sites, col = np.unique(cand, return_inverse=True)
    points, row = np.unique(dem, return_inverse=True)
    n_x, n_z = len(sites), len(cand)
    k = np.arange(n_z)
    one_each = sp.csr_matrix((np.ones(n_z), (row, n_x + k)), shape=(len(points), n_x + n_z))
    link = sp.csr_matrix((np.r_[np.ones(n_z), -np.ones(n_z)], (np.r_[k, k], np.r_[n_x + k, col])),
                         shape=(n_z, n_x + n_z))  # fmt: skip
    blocks = [(one_each, np.ones(len(points))), (link, np.zeros(n_z)),
              _limit_row(n_x, n_x + n_z, count)]  # fmt: skip
    return _programme(np.r_[np.zeros(n_x), -save], blocks, sites, -1.0)


def _mip_cover(model: _Model, need: float, most: int) -> _Programme | None:
    """Minimise ``sum x``: ``y_i <= sum of x_j reaching i``, ``w @ y >= need``, at most ``most``."""
    if need <= _EPS:
        return None
    prog = _mip_coverage(model, most)
    n_x = len(prog.sites)
    n = len(prog.c)
    w = -prog.c[n_x:]  # the persons of each y
    enough = sp.csr_matrix(np.r_[np.zeros(n_x), -w][None, :])
    blocks = [(prog.rows, prog.upper), (enough, np.array([-need * (1 - 1e-9)]))]
    return _programme(np.r_[np.ones(n_x), np.zeros(n - n_x)], blocks, prog.sites, 1.0)


def _run_mip(prog: _Programme, budget: float, *, maximise: bool) -> _Answer:
    """Solve within ``budget`` seconds with HiGHS: ``exact`` when proven, else its best.

    ``bound``: the solver's dual bound (no answer does better), None when it has none.
    """
    n_x = len(prog.sites)
    integrality = np.r_[np.ones(n_x), np.zeros(len(prog.c) - n_x)]
    res = milp(prog.c, integrality=integrality, bounds=Bounds(0, 1),
               constraints=LinearConstraint(prog.rows, -np.inf, prog.upper),
               options={"time_limit": float(budget), "disp": False})  # fmt: skip
    bound = getattr(res, "mip_dual_bound", None)
    bound = None if bound is None or not np.isfinite(bound) else prog.sign * float(bound)
    if res.x is None:
        return _Answer(np.array([], dtype=np.int64), float("nan"), "greedy", bound)
    chosen = np.sort(prog.sites[res.x[:n_x] > 0.5])  # noqa: PLR2004 - binary
    value = prog.sign * float(res.fun)
    if res.status == 0:
        return _Answer(chosen, value, "exact", value)
    if not maximise and bound is not None:  # a count of sites: a whole number
        bound = float(np.ceil(bound - 1e-9))
    return _Answer(chosen, value, "best_found", bound)


# --- valuing the answer exactly ------------------------------------------------------------------


def _value_sites(problem: SitingProblem, model: _Model, sites: np.ndarray) -> pd.DataFrame:
    """Value the chosen sites exactly, in greedy order: one search from each."""
    order = _order(model, sites)
    cand = problem.candidates
    rows = []
    before = problem.current()
    t = model.threshold
    w = model.weight
    for k in range(len(order)):
        after = problem.costs_after_opening(int(order[k]), before)
        newly = (before > t) & (after <= t)
        j = int(order[k])
        rows.append({
            "rank": k + 1,
            "candidate_id": str(cand.candidate_id[j]),
            "name": str(cand.name[j]),
            "lon": float(cand.lon[j]),
            "lat": float(cand.lat[j]),
            "newly_within": float(w[newly].sum()),
            "villages_newly_within": _villages(problem, newly, w),
            "mean_after": _mean(after, w),
            "share_within_after": _share(after, w, t),
        })  # fmt: skip
        before = after
    cols = ["rank", "candidate_id", "name", "lon", "lat", "newly_within",
            "villages_newly_within", "mean_after", "share_within_after"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _order(model: _Model, sites: np.ndarray) -> np.ndarray:
    """Order chosen sites by their gain in the model, largest first (greedy among them)."""
    if len(sites) <= 1:
        return np.asarray(sites, dtype=np.int64)
    sub = model.cover[sites]
    answer = _greedy_coverage(sub, model.weight, len(sites))
    first = [int(sites[i]) for i in answer.sites]
    rest = [int(j) for j in sites if int(j) not in set(first)]
    return np.array(first + rest, dtype=np.int64)


def _villages(problem: SitingProblem, mask: np.ndarray, w: np.ndarray) -> str:
    """``name (persons)`` of each village with persons in ``mask``, most first."""
    if not mask.any():
        return ""
    d = problem.demand
    s = pd.Series(w[mask]).groupby(d.village_name[mask]).sum().sort_values(ascending=False)
    return "; ".join(f"{name} ({v:,.0f})" for name, v in s.items())


def _mean(cost: np.ndarray, w: np.ndarray) -> float:
    ok = np.isfinite(cost) & (w > 0)
    return float(np.average(cost[ok], weights=w[ok])) if ok.any() else float("nan")


def _share(cost: np.ndarray, w: np.ndarray, t: float) -> float:
    total = float(w.sum())
    return float(w[cost <= t].sum() / total) if total > 0 else float("nan")


def _summary(problem: SitingProblem, model: _Model, answer: _Answer, objective: str,
             sites: pd.DataFrame, target_share: float) -> dict:  # fmt: skip
    before = problem.current()
    w = model.weight
    gap = None
    if answer.bound is not None:
        if objective == "cover":
            gap = (answer.value - answer.bound) / answer.value if answer.value else 0.0
        else:
            gap = (answer.bound - answer.value) / answer.bound if answer.bound else 0.0
    last = sites.iloc[-1] if len(sites) else None
    return {
        "objective": objective,
        "method": answer.method,
        "note": answer.note,
        "model_value": answer.value,
        "optimum_bound": answer.bound,
        "gap": gap,
        "threshold": model.threshold,
        "unit": problem.unit,
        "demand": problem.demand.kind,
        "demand_unit": problem.demand.unit,
        "persons": float(w.sum()),
        "candidates": len(problem.candidates),
        "pairs": len(model.pairs.cost),
        "search_bound": model.pairs.bound,
        "target_share": target_share if objective == "cover" else None,
        "mean_before": _mean(before, w),
        "share_within_before": _share(before, w, model.threshold),
        "mean_after": float(last["mean_after"]) if last is not None else _mean(before, w),
        "share_within_after": (
            float(last["share_within_after"])
            if last is not None
            else _share(before, w, model.threshold)
        ),
        "sites": len(sites),
    }
