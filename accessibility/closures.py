"""Which facility can close with the least harm: every closure of a category in one batch.

For each facility of a category, what closing it alone would do to the persons who use it:
how many fall beyond the threshold, how many lose every facility, how much farther they go
on average. Sorted least harmful first, so the merge or closure a planner can defend is at
the top.

One search gives every node of the network its nearest facility and the cost to it. Closing
facility ``f`` changes only the nodes whose nearest is ``f`` (its region). A new shortest
path from another facility to a node of that region enters the region for the last time
over an arc ``u -> w`` from a node ``u`` outside it; the cost to ``u`` is already known (its
nearest facility is not ``f``) and the rest of the path lies inside the region. So each
closure is one search over its own region, started from those entry arcs: all closures
together search the network about once. :func:`rank_closures` is exact; the tests check
it against a whole-network search per closure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.budget import checkpoint
from accessibility.placement import SitingProblem


def costs_after_each_closure(problem: SitingProblem) -> tuple[np.ndarray, np.ndarray, list]:
    """Each demand point's cost now, its nearest facility, and its cost after each closure.

    Returns ``before`` (per demand point, inf: none), ``nearest`` (index into the
    problem's facilities, -1: none) and, per facility, ``(demand indices whose nearest it
    is, their costs once it closes)``.
    """
    router = problem.router
    rev = router.csr(problem.weight, reverse=True)
    placed = np.flatnonzero(problem.facility_ok)
    fnodes = problem.facility_nodes[placed]
    n = rev.shape[0]
    cost, src = router.nearest_source(fnodes, weight=problem.weight)
    cost = np.asarray(cost, dtype=float)
    label = np.full(n, -1, dtype=np.int64)  # facility index of each node's region
    has = np.isfinite(cost) & (src >= 0)
    node_to_fac = np.full(n, -1, dtype=np.int64)
    node_to_fac[fnodes] = placed
    label[has] = node_to_fac[src[has]]
    dnodes = problem.demand_nodes
    before = np.where(problem.demand_ok, cost[dnodes], np.inf)
    nearest = np.where(problem.demand_ok & np.isfinite(before), label[dnodes], -1)
    n_fac = len(problem.facility_nodes)
    regions = _Regions(rev, cost, label, n_fac)
    after = []
    users = _grouped(nearest, n_fac, np.arange(len(nearest)))
    for f in range(n_fac):
        checkpoint()
        dem = users.arrays[0][users.bounds[f] : users.bounds[f + 1]]
        if len(dem) == 0:
            after.append((dem, np.array([], dtype=float)))
            continue
        new = regions.search(f)
        after.append((dem, new[regions.position[dnodes[dem]]]))
    return before, nearest, after


class _Regions:
    """The nodes of each facility's region, the arcs inside it and the arcs entering it."""

    def __init__(self, rev: sp.csr_matrix, cost: np.ndarray, label: np.ndarray,
                 n_fac: int) -> None:  # fmt: skip
        n = rev.shape[0]
        order = np.argsort(label, kind="stable")
        self.bounds = np.searchsorted(label[order], np.arange(n_fac + 1))
        self.position = np.empty(n, dtype=np.int64)  # a node's place in its region
        self.position[order] = np.arange(n) - self.bounds[np.maximum(label[order], 0)]
        heads = np.repeat(np.arange(n), np.diff(rev.indptr))  # reverse graph: u -> w
        tails = rev.indices.astype(np.int64)
        lu, lw = label[heads], label[tails]
        inside = (lu == lw) & (lu >= 0)
        self.inner = _grouped(lw[inside], n_fac, heads[inside], tails[inside], rev.data[inside])
        entry = (lw >= 0) & (lu != lw) & np.isfinite(cost[heads])
        seed = cost[heads[entry]] + rev.data[entry]
        self.entry = _grouped(lw[entry], n_fac, tails[entry], seed)

    def search(self, f: int) -> np.ndarray:
        """Costs of the region's nodes (in region order) once facility ``f`` closes."""
        k = int(self.bounds[f + 1] - self.bounds[f])
        if k == 0:
            return np.array([], dtype=float)
        u, w, c = (a[self.inner.bounds[f] : self.inner.bounds[f + 1]] for a in self.inner.arrays)
        t, s = (a[self.entry.bounds[f] : self.entry.bounds[f + 1]] for a in self.entry.arrays)
        if len(t) == 0:
            return np.full(k, np.inf)
        t_pos = self.position[t]
        best = pd.Series(s).groupby(t_pos).min()  # one arc per entered node, the cheapest
        rows = np.concatenate([self.position[u], np.full(len(best), k)])
        cols = np.concatenate([self.position[w], best.index.to_numpy()])
        data = np.concatenate([c, best.to_numpy()])
        g = sp.csr_matrix((data, (rows, cols)), shape=(k + 1, k + 1))
        d = dijkstra(g, directed=True, indices=k)
        return d[:k]


class _Grouped:
    def __init__(self, bounds: np.ndarray, arrays: tuple[np.ndarray, ...]) -> None:
        self.bounds, self.arrays = bounds, arrays


def _grouped(key: np.ndarray, n: int, *arrays: np.ndarray) -> _Grouped:
    order = np.argsort(key, kind="stable")
    bounds = np.searchsorted(key[order], np.arange(n + 1))
    return _Grouped(bounds, tuple(a[order] for a in arrays))


def rank_closures(problem: SitingProblem, *, threshold: float) -> pd.DataFrame:
    """Rank the closures of each facility alone, least harmful first.

    Parameters
    ----------
    problem
        The category's facilities and the demand on one profile's network (candidates
        are not used).
    threshold
        The cost within which a person counts as served (metres or seconds).

    Returns
    -------
    pd.DataFrame
        One row per facility: ``facility_id``, ``name``, ``users`` (persons whose nearest
        it is), ``newly_beyond`` (of them, persons within ``threshold`` now and beyond it
        after), ``lose_access`` (no facility reachable after), ``mean_increase`` (over its
        users who still reach one), ``max_increase``, ``mean_after_all`` (the mean over
        all persons after the closure) and ``rank`` (1: least harmful: fewest newly
        beyond, then fewest losing access, then the smallest mean increase).
    """
    before, _, after = costs_after_each_closure(problem)
    w = np.where(problem.demand_ok, problem.demand.weight, 0.0)
    reach = np.isfinite(before) & (w > 0)
    total_w = float(w[reach].sum())
    total_cost = float((w[reach] * before[reach]).sum())
    rows = []
    for f, (dem, new) in enumerate(after):
        old = before[dem]
        wd = w[dem]
        lost = ~np.isfinite(new)
        kept = ~lost
        inc = new[kept] - old[kept]
        beyond = (old <= threshold) & ~(new <= threshold)
        still_w = total_w - float(wd[lost].sum())
        still_cost = (
            total_cost + float((wd[kept] * inc).sum()) - float((wd[lost] * old[lost]).sum())
        )
        rows.append({
            "facility_id": str(problem.facility_id[f]),
            "name": str(problem.facility_name[f]),
            "on_network": bool(problem.facility_ok[f]),
            "users": float(wd.sum()),
            "newly_beyond": float(wd[beyond].sum()),
            "lose_access": float(wd[lost].sum()),
            "mean_increase": _mean(inc, wd[kept]),
            "max_increase": float(inc.max()) if len(inc) else 0.0,
            "mean_after_all": still_cost / still_w if still_w > 0 else float("nan"),
        })  # fmt: skip
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out = out.sort_values(["newly_beyond", "lose_access", "mean_increase", "facility_id"],
                          kind="stable").reset_index(drop=True)  # fmt: skip
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def _mean(values: np.ndarray, weight: np.ndarray) -> float:
    return float(np.average(values, weights=weight)) if weight.sum() > 0 else 0.0
