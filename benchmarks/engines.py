"""Nearest-facility engines, side by side on one graph and one POI set.

Every engine answers the same question: for every node of the graph, the network cost
(travel time in seconds by default, or metres) to the nearest POI. They all get the same
graph: bereik's network of a profile with the villages and POIs placed on it as virtual
nodes by ``accessibility.routing.router_for(..., batch=True)`` (the routing seam, the code
path ``bereik build`` uses), so the answers must agree to rounding; ``check`` says by how much
they do.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.crs import choose_metric_crs, to_metric
from accessibility.facilities import facilities_from_osm, load_categories
from accessibility.network import arcs_to_csr, build_network
from accessibility.osm import read_osm
from accessibility.routing import router_for
from accessibility.snapping import snap_points
from accessibility.villages import villages_from_osm

WEIGHTS = {"travel_time_s": "s", "length_m": "m"}  # weight -> unit


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    """Run ``fn`` ``repeats`` times; return (best seconds, all seconds, last result)."""
    times = []
    res = None
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t)
    return min(times), times, res


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 (pandana's C++ code prints straight to it)."""
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(null)
        os.close(saved)


@dataclass
class Dataset:
    """One input, prepared: network, snapped villages and POIs, augmented graph."""

    name: str
    kind: str  # "real" or "synthetic"
    path: str
    profile: str
    category: str
    weight: str
    net: Any
    villages: Any
    facilities: Any
    sv: Any
    sf: Any
    prep_s: dict[str, float] = field(default_factory=dict)
    graph: Any = None
    village_nodes: np.ndarray | None = None
    poi_nodes: np.ndarray | None = None


def prepare(path: str, name: str, kind: str, *, profile: str = "car",
            category: str = "supermarket", weight: str = "travel_time_s") -> Dataset:  # fmt: skip
    """Read the extract and build the ``profile`` network as ``bereik build`` does."""
    rules = load_categories()
    t = time.perf_counter()
    osm = read_osm(path, poi_keys=rules.keys)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    net = build_network(osm, profile, crs=crs)
    t_net = time.perf_counter() - t
    fac = facilities_from_osm(osm.pois, rules)
    fac = fac[fac["category"] == category].reset_index(drop=True)
    vil = villages_from_osm(osm.places).reset_index(drop=True)
    t = time.perf_counter()
    vx, vy = to_metric(vil["lon"].to_numpy(), vil["lat"].to_numpy(), crs)
    fx, fy = to_metric(fac["lon"].to_numpy(), fac["lat"].to_numpy(), crs)
    sv = snap_points(net, vx, vy)
    sf = snap_points(net, fx, fy)
    t_snap = time.perf_counter() - t
    return Dataset(name=name, kind=kind, path=str(path), profile=profile, category=category,
                   weight=weight, net=net, villages=vil, facilities=fac, sv=sv, sf=sf,
                   prep_s={"read_osm": t_read, "build_network": t_net,
                           "snap": t_snap})  # fmt: skip


# --- engines ---------------------------------------------------------------------------------
@dataclass
class Engine:
    """An engine ready to query: what building it cost, the query, how to read its answer."""

    prep_s: float
    prep_label: str
    query: Callable[[], Any]
    to_dist: Callable[[Any], np.ndarray]
    max_repeats: int = 1_000_000
    extra: dict = field(default_factory=dict)


def setup_bereik(ds: Dataset, repeats: int) -> Engine:
    """bereik through the routing seam, as ``bereik build`` runs it.

    Preparation ("augment"): ``router_for(net, [villages, POIs], batch=True)`` places the
    points as virtual nodes and builds every CSR matrix; the query is
    ``Router.nearest_source``.
    """
    place = lambda: router_for(ds.net, [ds.sv, ds.sf], batch=True)  # noqa: E731
    t_aug, aug_all, router = timed(place, max(1, repeats // 2))
    ds.graph = router
    ds.village_nodes = router.nodes(0, len(ds.sv))
    ds.poi_nodes = router.nodes(1, len(ds.sf))[ds.sf.ok]
    # inside: one arcs_to_csr call (collapse parallel arcs, build one CSR matrix)
    tail, head, w, n = graph_arcs(ds)
    t_csr, _, _ = timed(lambda: arcs_to_csr(tail, head, w, n), 3)
    query = lambda: router.nearest_source(ds.poi_nodes, weight=ds.weight)  # noqa: E731
    return Engine(t_aug, "augment", query,
                  lambda res: res[0],
                  extra={"prep_all_s": aug_all, "arcs_to_csr_s": t_csr})  # fmt: skip


def graph_arcs(ds: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Forward arcs (tail, head, weight) of the augmented graph, parallel arcs collapsed."""
    R = ds.graph.csr(ds.weight, reverse=True).tocoo()
    return (R.col.astype(np.int64), R.row.astype(np.int64), R.data.astype(np.float64),
            ds.graph.n_nodes)  # fmt: skip


def setup_scipy_floor(ds: Dataset, repeats: int) -> Engine:
    """The floor: one compiled ``dijkstra(min_only=True)`` on a prebuilt reversed CSR.

    ``prep_s`` is the least work to get that CSR from arcs (one coo -> csr conversion of
    one weight, duplicates already collapsed), for comparison with ``augment``.
    """
    tail, head, w, n = graph_arcs(ds)
    t_csr, csr_all, _ = timed(lambda: sp.csr_matrix((w, (head, tail)), shape=(n, n)), repeats)
    csr = ds.graph.csr(ds.weight, reverse=True)
    return Engine(t_csr, "coo->csr",
                  lambda: dijkstra(csr, directed=True, indices=ds.poi_nodes, min_only=True),
                  lambda res: res, extra={"prep_all_s": csr_all})  # fmt: skip


def setup_networkx(ds: Dataset, repeats: int, *, multigraph: bool = False) -> Engine:
    """networkx ``multi_source_dijkstra_path_length`` on the reversed arcs.

    In an ``nx.DiGraph`` (networkx at its fastest), or with ``multigraph`` in an
    ``nx.MultiDiGraph``, the graph type osmnx users route on (networkx then takes the
    cheapest of the parallel edges at every step).
    """
    import networkx as nx

    tail, head, w, n = graph_arcs(ds)

    def build() -> Any:
        G = nx.MultiDiGraph() if multigraph else nx.DiGraph()
        G.add_nodes_from(range(n))
        G.add_weighted_edges_from(zip(head.tolist(), tail.tolist(), w.tolist(), strict=True))
        return G

    t_b, _, G = timed(build, 1)
    src = set(ds.poi_nodes.tolist())

    def to_dist(res: dict) -> np.ndarray:
        dist = np.full(n, np.inf)
        dist[np.fromiter(res.keys(), np.int64, len(res))] = np.fromiter(res.values(), float,
                                                                          len(res))  # fmt: skip
        return dist

    return Engine(t_b, "MultiDiGraph" if multigraph else "DiGraph",
                  lambda: nx.multi_source_dijkstra_path_length(G, src, weight="weight"),
                  to_dist, max_repeats=repeats)  # fmt: skip


def setup_igraph(ds: Dataset, repeats: int) -> Engine:
    """igraph ``distances`` from a super-source joined to every POI by 0-cost arcs."""
    import igraph as ig

    tail, head, w, n = graph_arcs(ds)
    s = n

    def build() -> Any:
        e = np.concatenate(
            [
                np.column_stack([head, tail]),
                np.column_stack([np.full(len(ds.poi_nodes), s), ds.poi_nodes]),
            ]
        )
        G = ig.Graph(n=n + 1, edges=e, directed=True)
        G.es["weight"] = np.concatenate([w, np.zeros(len(ds.poi_nodes))]).tolist()
        return G

    t_b, _, G = timed(build, 1)
    return Engine(t_b, "Graph", lambda: G.distances(source=[s], weights="weight", mode="out"),
                  lambda res: np.asarray(res[0][:n], dtype=float))  # fmt: skip


def race(engines: dict[str, Engine], rounds: int) -> dict[str, dict]:
    """Time the queries round-robin (one of each per round), so load spikes on a shared
    machine hit every engine alike; best of the rounds. The last answer gives ``dist``.
    """
    times: dict[str, list[float]] = {k: [] for k in engines}
    last: dict[str, Any] = {}
    for r in range(rounds):
        for name, e in engines.items():
            if r >= e.max_repeats:
                continue
            t = time.perf_counter()
            last[name] = e.query()
            times[name].append(time.perf_counter() - t)
    out = {}
    for name, e in engines.items():
        out[name] = {"prep_s": e.prep_s, "prep_label": e.prep_label,
                     "query_s": min(times[name]), "query_all_s": times[name],
                     "dist": e.to_dist(last[name]), **e.extra}  # fmt: skip
    return out


def max_search(ds: Dataset) -> float:
    """A bound known before any search: twice the bounding-box diagonal (at the lowest
    speed of the network when the weight is a travel time)."""
    net = ds.net
    diag = float(np.hypot(np.ptp(net.node_x), np.ptp(net.node_y)))
    if ds.weight == "length_m":
        return float(np.ceil(2 * diag / 1000.0) * 1000.0)
    slowest = float(net.edge_speed_kph.min()) / 3.6
    return float(np.ceil(2 * diag / slowest / 60.0) * 60.0)


def pandana_network(ds: Dataset, weight: str) -> tuple[float, Any]:
    """Seconds to build pandana's Network (contraction hierarchy) on ``weight``, and it."""
    import pandana
    import pandas as pd

    R = ds.graph.csr(weight, reverse=True).tocoo()
    sv, sf, net = ds.sv, ds.sf, ds.net
    x = np.concatenate([net.node_x, np.nan_to_num(sv.x), np.nan_to_num(sf.x)])
    y = np.concatenate([net.node_y, np.nan_to_num(sv.y), np.nan_to_num(sf.y)])
    with quiet_stdout():
        t = time.perf_counter()
        N = pandana.Network(pd.Series(x), pd.Series(y), pd.Series(R.col.astype(np.int64)),
                            pd.Series(R.row.astype(np.int64)), pd.DataFrame({"w": R.data}),
                            twoway=False)  # fmt: skip
        dt = time.perf_counter() - t
    return dt, N


def run_pandana(ds: Dataset, repeats: int, max_dist: float) -> dict:
    """pandana ``Network`` (contraction hierarchy), ``set_pois``, ``nearest_pois``.

    pandana routes on the forward graph (node -> POI) and snaps POI x/y to the nearest node:
    the POIs are given at the coordinates of their virtual nodes. It needs a maximum search
    distance up front (``max_dist``); beyond it returns ``max_dist``.
    """
    import pandas as pd

    t_b, N = pandana_network(ds, ds.weight)
    x = np.concatenate([ds.net.node_x, np.nan_to_num(ds.sv.x), np.nan_to_num(ds.sf.x)])
    y = np.concatenate([ds.net.node_y, np.nan_to_num(ds.sv.y), np.nan_to_num(ds.sf.y)])
    with quiet_stdout():
        px, py = pd.Series(x[ds.poi_nodes]), pd.Series(y[ds.poi_nodes])
        t_p, _p_all, _ = timed(lambda: N.set_pois("poi", max_dist, 1, px, py), 1)
        t_q, q_all, res = timed(lambda: N.nearest_pois(max_dist, "poi", num_pois=1), repeats)
    d = res[1].to_numpy(dtype=float)
    dist = np.where(d >= max_dist, np.inf, d)
    return {"prep_s": t_b, "prep_label": "Network (CH)", "set_pois_s": t_p,
            "query_s": t_q, "query_all_s": q_all, "dist": dist,
            "max_dist": max_dist}  # fmt: skip


def check(reference: np.ndarray, other: np.ndarray) -> dict:
    """Agreement with the reference distances over all nodes."""
    rf = np.isfinite(reference)
    of = np.isfinite(other)
    both = rf & of
    diff = np.abs(reference[both] - other[both])
    return {
        "compared": int(both.sum()),
        "max_abs_diff": float(diff.max()) if len(diff) else 0.0,
        "reachability_mismatch": int((rf != of).sum()),
    }


def summary(times: list[float]) -> dict:
    """Best and median of a list of timings."""
    return {"best": min(times), "median": statistics.median(times), "n": len(times)}
