"""Who needs a facility and where one could go: the shared ground of location questions.

"Where should the new GP post go", "which school can close with the least harm" and "how
many practices per 1,000 persons" all start from the same three things, built here from a
loaded build:

- :class:`Demand`: the points that need the facility, each with a weight. The build's
  origins (residents, dwellings or addresses, weighted as in the build) where it has them,
  else the village points weighted by population (a village without one weighs 0).
- :class:`Candidates`: where a new facility could go: the villages that have none of the
  category nearby, a regular grid clipped to the roads, or the points of a user file.
- :class:`SitingProblem`: demand, candidates and the category's facilities placed on one
  profile's network, with the searches every question needs: each demand point's cost to
  the nearest facility, the sparse table of candidate-to-demand costs within a bound
  (bounded searches from the candidates, never an all-pairs matrix), and the exact costs
  once sites open or facilities close.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from accessibility import engine
from accessibility.budget import checkpoint
from accessibility.crs import to_metric
from accessibility.defaults import (
    CANDIDATE_VILLAGE_FREE_M,
    DEFAULT_MAX_CANDIDATES,
)
from accessibility.errors import InputFileError, ParameterError
from accessibility.inputs import check_lonlat, pick_column, read_point_table
from accessibility.model import Build
from accessibility.routing import router_for
from accessibility.scenario_local import snapped_of
from accessibility.snapping import Snapped, snap_points, snapped_lonlat

#: cost per weight: what a cost of that weight is measured in
COST_UNITS = {"length_m": "m", "travel_time_s": "s"}
#: most demand x candidate cost cells one batch of searches may hold (float64: 32 MB)
_BATCH_CELLS = 4_000_000
_GRID_SPEC = re.compile(r"^grid:(\d+(?:\.\d+)?)(km|m)$")


@dataclass(frozen=True, eq=False)
class Demand:
    """Points that need a facility, with how many each stands for.

    ``kind`` is ``origins`` (the build's residents, dwellings or addresses) or
    ``villages`` (the village points by population); ``unit`` what a weight counts.
    """

    kind: str
    unit: str
    point_id: np.ndarray
    village_id: np.ndarray
    village_name: np.ndarray
    municipality: np.ndarray
    weight: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def __len__(self) -> int:
        return len(self.point_id)


def demand_of(build: Build) -> Demand:
    """Return the build's demand: its origins where it has them, else its villages."""
    o = build.origins
    if o is not None and len(o):
        methods = set(o["method"].astype(str)) if "method" in o else set()
        unit = "dwellings" if methods == {"addresses"} else "persons"
        return Demand(
            kind="origins",
            unit=unit,
            point_id=o["origin_id"].astype(str).to_numpy(),
            village_id=o["village_id"].astype(str).to_numpy(),
            village_name=o["village_name"].astype(str).to_numpy(),
            municipality=o["municipality"].fillna("").astype(str).to_numpy(),
            weight=pd.to_numeric(o["weight"], errors="coerce").fillna(0).to_numpy(float),
            lon=o.geometry.x.to_numpy(dtype=float),
            lat=o.geometry.y.to_numpy(dtype=float),
        )
    v = build.villages
    return Demand(
        kind="villages",
        unit="persons",
        point_id=v["village_id"].astype(str).to_numpy(),
        village_id=v["village_id"].astype(str).to_numpy(),
        village_name=v["village_name"].astype(str).to_numpy(),
        municipality=v["municipality"].fillna("").astype(str).to_numpy(),
        weight=pd.to_numeric(v["population"], errors="coerce").fillna(0).to_numpy(float),
        lon=v["lon"].to_numpy(dtype=float),
        lat=v["lat"].to_numpy(dtype=float),
    )


@dataclass(frozen=True, eq=False)
class Candidates:
    """Places where a new facility could go (WGS84); ``source`` says how they were made."""

    source: str
    candidate_id: np.ndarray
    name: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def __len__(self) -> int:
        return len(self.candidate_id)


def candidates_for(
    build: Build,
    spec: str,
    *,
    category: str,
    profile: str,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
) -> Candidates:
    """Make the candidate sites of ``spec``.

    Parameters
    ----------
    spec
        ``villages``: the village points with no facility of ``category`` within
        :data:`accessibility.defaults.CANDIDATE_VILLAGE_FREE_M` by road (``profile``);
        ``grid:1km`` (or ``grid:500m``): the centres of a regular grid over the network,
        each moved onto its nearest road within half a cell (cells without a road are
        dropped); anything else: a CSV (``lon,lat`` or ``x,y``) or vector file of points,
        with optional ``id`` and ``name`` columns.
    max_candidates
        More candidates than this is an error that names the limit.

    Raises
    ------
    ParameterError
        A grid spec that does not parse, no candidate at all, or too many.
    InputFileError
        A candidates file that cannot be read.
    """
    grid = _GRID_SPEC.match(spec.strip())
    if spec.strip() == "villages":
        out = _village_candidates(build, category, profile)
    elif grid:
        size = float(grid.group(1)) * (1000.0 if grid.group(2) == "km" else 1.0)
        out = _grid_candidates(build, profile, size, max_candidates)
    elif spec.startswith("grid"):
        msg = f"candidates {spec!r}: expected grid:<size>km or grid:<size>m, e.g. grid:1km"
        raise ParameterError(msg)
    else:
        out = _file_candidates(Path(spec))
    if len(out) == 0:
        msg = f"no candidate sites from {spec!r} for {category} ({profile})"
        raise ParameterError(msg)
    if len(out) > max_candidates:
        msg = (f"{len(out):,} candidate sites from {spec!r}, more than the limit of "
               f"{max_candidates:,}; use a coarser grid or fewer points")  # fmt: skip
        raise ParameterError(msg)
    return out


def _village_candidates(build: Build, category: str, profile: str) -> Candidates:
    ind = build.indicators
    rows = ind[(ind["category"] == category) & (ind["profile"] == profile)]
    d = rows.set_index("village_id")["distance_m"]
    v = build.villages
    dist = v["village_id"].map(d).to_numpy(dtype=float)
    free = ~(dist <= CANDIDATE_VILLAGE_FREE_M)  # NaN: no facility reachable at all
    v = v[free]
    return Candidates(
        source="villages",
        candidate_id=v["village_id"].astype(str).to_numpy(),
        name=v["village_name"].astype(str).to_numpy(),
        lon=v["lon"].to_numpy(dtype=float),
        lat=v["lat"].to_numpy(dtype=float),
    )


def _grid_candidates(build: Build, profile: str, size_m: float, most: int) -> Candidates:
    if not size_m > 0:
        msg = f"grid cell size must be > 0, got {size_m:g} m"
        raise ParameterError(msg)
    net = build.network(profile)
    x0, x1 = float(net.node_x.min()), float(net.node_x.max())
    y0, y1 = float(net.node_y.min()), float(net.node_y.max())
    nx, ny = int((x1 - x0) // size_m) + 1, int((y1 - y0) // size_m) + 1
    if nx * ny > 50 * most:  # far too many cells even before dropping those without roads
        msg = (f"grid:{size_m:g}m has {nx * ny:,} cells over the network, far more than the "
               f"limit of {most:,} candidates; use a coarser grid")  # fmt: skip
        raise ParameterError(msg)
    col, row = np.meshgrid(np.arange(nx), np.arange(ny))
    col, row = col.ravel(), row.ravel()
    s = snap_points(net, x0 + (col + 0.5) * size_m, y0 + (row + 0.5) * size_m,
                    max_snap_m=size_m / 2)  # fmt: skip
    keep = np.flatnonzero(s.ok)
    lonlat = snapped_lonlat(net, s)[keep]
    label = f"{size_m / 1000:g}km" if size_m >= 1000 else f"{size_m:g}m"  # noqa: PLR2004
    ids = np.array([f"grid{label}_{c}_{r}" for c, r in zip(col[keep], row[keep], strict=True)])
    return Candidates(f"grid:{label}", ids, ids.copy(), lonlat[:, 0], lonlat[:, 1])


def _file_candidates(path: Path) -> Candidates:
    table = read_point_table(path, xy_crs=None, what="candidates", crs_option="x,y in EPSG")
    ok = np.isfinite(table.lon) & np.isfinite(table.lat)
    check_lonlat(path, table.lon[ok], table.lat[ok])
    attrs = table.attrs[ok].reset_index(drop=True)
    id_col = pick_column(attrs.columns, ("id", "candidate_id", "site_id"))
    name_col = pick_column(attrs.columns, ("name", "naam"))
    n = len(attrs)
    ids = attrs[id_col].astype(str).to_numpy() if id_col else np.array(
        [f"{path.stem}_{i + 1}" for i in range(n)])  # fmt: skip
    if len(set(ids)) < n:
        msg = f"{path}: candidate ids repeat; give every row its own id"
        raise InputFileError(msg)
    names = attrs[name_col].astype(str).to_numpy() if name_col else ids.copy()
    return Candidates(f"file:{path.name}", ids, names, table.lon[ok], table.lat[ok])


@dataclass(frozen=True, eq=False)
class SiteCosts:
    """Costs from demand points to candidate sites within a bound, as a sparse table.

    One row per pair (``demand``, ``candidate``) whose cost is at most ``bound``; a pair
    missing from the table is farther (or unreachable).
    """

    demand: np.ndarray
    candidate: np.ndarray
    cost: np.ndarray
    bound: float


class SitingProblem:
    """Demand, candidates and one category's facilities placed on one profile's network.

    Costs are of ``weight`` (``length_m``: metres, ``travel_time_s``: seconds) from a
    demand point to a facility, as the build's indicators measure them. A demand point or
    candidate farther than the build's snap limit from every road is not placed: its
    costs are infinite.
    """

    def __init__(self, build: Build, demand: Demand, candidates: Candidates, *,
                 category: str, profile: str, weight: str = "length_m") -> None:  # fmt: skip
        if weight not in COST_UNITS:
            msg = f"weight must be one of {', '.join(COST_UNITS)}, got {weight!r}"
            raise ParameterError(msg)
        self.build, self.demand, self.candidates = build, demand, candidates
        self.category = build.check_category(category)
        self.profile = build.check_profile(profile)
        self.weight = weight
        self.net = build.network(profile)
        self.max_snap_m = float(build.manifest["parameters"]["max_snap_m"])
        fac = build.facilities
        rows = np.flatnonzero((fac["category"] == category).to_numpy())
        self.facility_id = fac["facility_id"].astype(str).to_numpy()[rows]
        self.facility_name = fac["name"].fillna("").astype(str).to_numpy()[rows]
        facilities = snapped_of(build, "facilities", self.net, self.max_snap_m).take(rows)
        groups = [self._demand_snapped(), self._snap(candidates.lon, candidates.lat), facilities]
        self.demand_ok = groups[0].ok
        self.candidate_ok = groups[1].ok
        self.facility_ok = groups[2].ok
        self.router = router_for(self.net, groups)
        self.demand_nodes = self.router.nodes(0, len(demand))
        self.candidate_nodes = self.router.nodes(1, len(candidates))
        self.facility_nodes = self.router.nodes(2, len(rows))
        self._current: np.ndarray | None = None

    @property
    def unit(self) -> str:
        """What a cost is measured in (``m`` or ``s``)."""
        return COST_UNITS[self.weight]

    def _snap(self, lon: np.ndarray, lat: np.ndarray) -> Snapped:
        x, y = to_metric(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float),
                         self.net.crs)  # fmt: skip
        return snap_points(self.net, x, y, max_snap_m=self.max_snap_m)

    def _demand_snapped(self) -> Snapped:
        what = "origins" if self.demand.kind == "origins" else "villages"
        if what == "villages" and len(self.demand) != len(self.build.villages):
            return self._snap(self.demand.lon, self.demand.lat)
        return snapped_of(self.build, what, self.net, self.max_snap_m)

    def current(self) -> np.ndarray:
        """Each demand point's cost to the nearest facility of the category (inf: none)."""
        if self._current is None:
            self._current = self.costs_with(np.array([], dtype=np.int64))
        return self._current

    def costs_with(self, sites: np.ndarray, *, closed: np.ndarray | None = None) -> np.ndarray:
        """Each demand point's cost to the nearest facility once ``sites`` open, exact.

        ``sites`` are candidate indices; ``closed``: indices of facilities (of this
        problem's category) that close. One search over the whole network.
        """
        keep = np.ones(len(self.facility_nodes), dtype=bool)
        if closed is not None:
            keep[np.asarray(closed, dtype=np.int64)] = False
        opened = self.candidate_nodes[np.asarray(sites, dtype=np.int64)]
        sources = np.concatenate([self.facility_nodes[keep & self.facility_ok], opened])
        out = np.full(len(self.demand), np.inf)
        if len(sources):
            cost, _ = self.router.nearest_source(sources, weight=self.weight)
            out = cost[self.demand_nodes].astype(float)
        out[~self.demand_ok] = np.inf
        return out

    @property
    def _local(self) -> bool:
        """Searches on the circle of their bound only: road lengths on a large network."""
        return self.weight == "length_m" and self.net.n_nodes >= engine.LOCAL_MIN_NODES

    @cached_property
    def _demand_index(self) -> np.ndarray:
        """Demand point of every node of the router (-1: none), made once."""
        index = np.full(self.router.n_nodes, -1, dtype=np.int64)
        ok = np.flatnonzero(self.demand_ok)
        index[self.demand_nodes[ok]] = ok
        return index

    def costs_after_opening(self, site: int, before: np.ndarray) -> np.ndarray:
        """Each demand point's cost once candidate ``site`` opens, given the costs ``before``.

        Exact: only a cost below the one before can change a point, so on a large network
        the search from the site is bounded by the largest finite cost before (a point
        with none reachable before needs the whole network).
        """
        reach = before[np.isfinite(before) & (self.demand.weight > 0)]
        whole = np.isinf(before[self.demand_ok & (self.demand.weight > 0)]).any()
        if not self._local or whole or len(reach) == 0 or not self.candidate_ok[site]:
            return np.minimum(before, self.costs_with(np.array([site])))
        bound = float(reach.max())
        lg = self.router.local_graph(self.weight, reverse=True, radius=bound)
        nodes, d = lg.search(int(self.candidate_nodes[site]), bound)
        i = self._demand_index[nodes]
        hit = i >= 0
        out = before.copy()
        out[i[hit]] = np.minimum(out[i[hit]], d[hit])
        return out

    def site_costs(self, bound: float) -> SiteCosts:
        """Return the sparse table of demand-to-candidate costs up to ``bound``.

        On a large network (road lengths) one search per candidate on the circle of
        ``bound`` around it (:class:`accessibility.engine.LocalGraph`, built once);
        otherwise searches from the smaller side in batches, each bounded by ``bound``.
        """
        if self._local:
            return self._local_site_costs(bound)
        d_idx = np.flatnonzero(self.demand_ok)
        c_idx = np.flatnonzero(self.candidate_ok)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        step = max(1, _BATCH_CELLS // max(len(d_idx), 1))
        for start in range(0, len(c_idx), step):
            checkpoint()
            chunk = c_idx[start : start + step]
            cost = self.router.one_to_many(self.demand_nodes[d_idx], self.candidate_nodes[chunk],
                                           weight=self.weight, limit=bound)  # fmt: skip
            i, j = np.nonzero(cost <= bound)
            parts.append((d_idx[i], chunk[j], cost[i, j]))
        if not parts:
            empty = np.array([], dtype=np.int64)
            return SiteCosts(empty, empty.copy(), np.array([], dtype=float), float(bound))
        d, c, v = (np.concatenate(x) for x in zip(*parts, strict=True))
        return SiteCosts(d, c, v.astype(float), float(bound))

    def _local_site_costs(self, bound: float) -> SiteCosts:
        lg = self.router.local_graph(self.weight, reverse=True, radius=bound)
        index = self._demand_index
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for j in np.flatnonzero(self.candidate_ok):
            checkpoint()
            nodes, d = lg.search(int(self.candidate_nodes[j]), bound)
            i = index[nodes]
            hit = (i >= 0) & (d <= bound)
            parts.append((i[hit], np.full(int(hit.sum()), j, dtype=np.int64), d[hit]))
        if not parts:
            empty = np.array([], dtype=np.int64)
            return SiteCosts(empty, empty.copy(), np.array([], dtype=float), float(bound))
        d, c, v = (np.concatenate(x) for x in zip(*parts, strict=True))
        return SiteCosts(d, c, v.astype(float), float(bound))
