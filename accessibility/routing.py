"""Request-time routing: locate WGS84 points on a network and compute travel matrices.

What OSRM's *Table* service does, on the compiled engine: the sources and destinations are
snapped to their nearest edge and become virtual nodes of one augmented graph
(:class:`accessibility.engine.VirtualGraph`, the model of :func:`~accessibility.engine.augment`
built for one request: only the weight and direction a search needs, on a network CSR
cached per network), then ONE ``scipy.sparse.csgraph.dijkstra`` call per weight runs from
the smaller side (sources on the forward graph, or destinations on the reversed graph).
There are no per-pair searches and no networkx.

``distances_m`` is the length of the SHORTEST route and ``durations_s`` the duration of the
FASTEST route; the two can be different routes (a long fast road against a short slow one),
as in OSRM when asked for both annotations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessibility.crs import to_metric, to_wgs84  # cached transformers
from accessibility.defaults import DEFAULT_MAX_SNAP_M
from accessibility.engine import WEIGHTS, add_virtual_nodes
from accessibility.errors import PointOutsideNetworkError
from accessibility.network import Network
from accessibility.snapping import Snapped, snap_points

#: Costs below this are artefacts of zero-length virtual arcs (``MIN_ARC_WEIGHT`` each).
ZERO_COST = 1e-6
#: Largest dense block (rows x nodes, float64) one dijkstra call may return (~160 MB).
MAX_DIJKSTRA_CELLS = 20_000_000


@dataclass(frozen=True, eq=False)
class MatrixResult:
    """Travel costs between every source and every destination.

    Attributes
    ----------
    distances_m : np.ndarray
        ``n x m`` length in metres of the SHORTEST route from source i to destination j;
        NaN where j cannot be reached from i.
    durations_s : np.ndarray
        ``n x m`` duration in seconds of the FASTEST route (not necessarily the route of
        ``distances_m``); NaN where unreachable.
    sources_snapped, destinations_snapped : np.ndarray
        ``n x 2`` / ``m x 2`` WGS84 lon/lat of the points where the inputs were snapped to
        the network (routing starts and ends there).
    source_snap_distance_m, destination_snap_distance_m : np.ndarray
        Straight-line distance from each input point to its snapped location (metres); the
        matrix does not include it.
    """

    distances_m: np.ndarray
    durations_s: np.ndarray
    sources_snapped: np.ndarray
    destinations_snapped: np.ndarray
    source_snap_distance_m: np.ndarray
    destination_snap_distance_m: np.ndarray


def check_max_snap(max_snap_m: float) -> float:
    """Return ``max_snap_m`` as a float, or raise ValueError when it is not finite and > 0."""
    value = float(max_snap_m)
    if not np.isfinite(value) or value <= 0:
        msg = f"max_snap_m must be a finite number of metres > 0, got {max_snap_m!r}"
        raise ValueError(msg)
    return value


def _lonlat_arrays(lon: object, lat: object, *, what: str) -> tuple[np.ndarray, np.ndarray]:
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    if lon_a.ndim != 1 or lon_a.shape != lat_a.shape:
        msg = (
            f"lon and lat must be 1-D arrays of the same length, got shapes "
            f"{lon_a.shape} and {lat_a.shape}"
        )
        raise ValueError(msg)
    bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a))
    bad |= (np.abs(lon_a) > 180) | (np.abs(lat_a) > 90)  # noqa: PLR2004 - degrees
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{what} {i}: got lon {float(lon_a[i])!r}, lat {float(lat_a[i])!r}, expected "
            "finite WGS84 degrees with -180 <= lon <= 180 and -90 <= lat <= 90 (lon first)"
        )
        raise ValueError(msg)
    return lon_a, lat_a


def locate(
    net: Network,
    lon: Sequence[float] | np.ndarray | float,
    lat: Sequence[float] | np.ndarray | float,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    what: str = "point",
    require: bool = True,
) -> Snapped:
    """Snap WGS84 points to their nearest edge of ``net``.

    Parameters
    ----------
    net
        The network of one profile.
    lon, lat
        WGS84 degrees (scalars or 1-D arrays of equal length).
    max_snap_m
        Largest allowed straight-line distance from a point to the network (metres).
    what
        What the points are, for error messages (``"source"``, ``"destination"``...).
    require
        When True (default) a point beyond ``max_snap_m`` is an error; when False it gets
        ``ok=False`` in the result (the caller skips it).

    Returns
    -------
    Snapped
        Edge, offset along it, snap distance and snapped location (metric CRS of ``net``).

    Raises
    ------
    PointOutsideNetworkError
        When ``require`` and a point lies farther than ``max_snap_m`` from every road; the
        message names the first such point (index and lon/lat).
    ValueError
        For non-finite or out-of-range coordinates or a bad ``max_snap_m``.
    """
    max_snap_m = check_max_snap(max_snap_m)
    lon_a, lat_a = _lonlat_arrays(lon, lat, what=what)
    x, y = to_metric(lon_a, lat_a, net.crs)
    snapped = snap_points(net, x, y, max_snap_m=max_snap_m)
    if require and not snapped.ok.all():
        i = int(np.flatnonzero(~snapped.ok)[0])
        msg = (
            f"{what} {i} (lon {lon_a[i]:.6f}, lat {lat_a[i]:.6f}) is farther than "
            f"{max_snap_m:g} m from any road of the {net.profile} network; check the "
            "coordinates (lon first, WGS84) or raise the snap limit"
        )
        raise PointOutsideNetworkError(msg)
    return snapped


def snapped_lonlat(net: Network, snapped: Snapped) -> np.ndarray:
    """``k x 2`` WGS84 lon/lat of the snapped locations (NaN where not snapped)."""
    out = np.full((len(snapped), 2), np.nan)
    if snapped.ok.any():
        lon, lat = to_wgs84(snapped.x[snapped.ok], snapped.y[snapped.ok], net.crs)
        out[snapped.ok, 0] = lon
        out[snapped.ok, 1] = lat
    return out


def _rows(graph: sp.csr_matrix, indices: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Costs ``indices x targets`` (inf where unreachable), batched to bound memory."""
    n = graph.shape[0]
    batch = max(1, MAX_DIJKSTRA_CELLS // max(n, 1))
    out = np.empty((len(indices), len(targets)))
    for i in range(0, len(indices), batch):
        d = dijkstra(graph, directed=True, indices=indices[i : i + batch])
        out[i : i + batch] = np.atleast_2d(d)[:, targets]
    return out


def _lonlat_table(points: object, *, what: str) -> np.ndarray:
    a = np.asarray(points, dtype=float)
    if a.ndim != 2 or a.shape[1] != 2 or a.shape[0] == 0:  # noqa: PLR2004 - lon, lat
        msg = f"{what}s must be a non-empty k x 2 array of lon/lat, got shape {a.shape}"
        raise ValueError(msg)
    return a


def travel_matrix(
    net: Network,
    sources_lonlat: Sequence[Sequence[float]] | np.ndarray,
    destinations_lonlat: Sequence[Sequence[float]] | np.ndarray,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> MatrixResult:
    """Shortest distance and fastest duration from every source to every destination.

    Parameters
    ----------
    net
        The network of one profile.
    sources_lonlat, destinations_lonlat
        ``n x 2`` and ``m x 2`` WGS84 lon/lat.
    max_snap_m
        Largest allowed distance from a point to the network (metres).

    Returns
    -------
    MatrixResult
        ``distances_m`` (shortest route) and ``durations_s`` (fastest route), ``n x m``,
        NaN where unreachable, plus where and how far each point was snapped.

    Raises
    ------
    PointOutsideNetworkError
        When a source or destination lies beyond ``max_snap_m`` from every road.
    ValueError
        For malformed coordinates.

    Notes
    -----
    Both groups become virtual nodes of one augmented graph (so a source and a destination
    on the same street are routed along it), then one Dijkstra per weight runs from the
    smaller side: sources on the forward graph, or destinations on the reversed graph. The
    network itself is neither modified nor copied. Memory is ``min(n, m) x nodes`` floats,
    split into batches of at most :data:`MAX_DIJKSTRA_CELLS`.
    """
    src = _lonlat_table(sources_lonlat, what="source")
    dst = _lonlat_table(destinations_lonlat, what="destination")
    s_snap = locate(net, src[:, 0], src[:, 1], max_snap_m=max_snap_m, what="source")
    d_snap = locate(net, dst[:, 0], dst[:, 1], max_snap_m=max_snap_m, what="destination")
    g = add_virtual_nodes(net, [s_snap, d_snap])
    s_nodes = g.nodes(0, len(s_snap))
    d_nodes = g.nodes(1, len(d_snap))
    out = {}
    for w in WEIGHTS:
        if len(s_nodes) <= len(d_nodes):
            cost = _rows(g.csr(w), s_nodes, d_nodes)
        else:
            cost = _rows(g.csr(w, reverse=True), d_nodes, s_nodes).T
        cost = np.where(np.isfinite(cost), cost, np.nan)
        cost[cost < ZERO_COST] = 0.0
        out[w] = np.ascontiguousarray(cost)
    return MatrixResult(
        distances_m=out["length_m"],
        durations_s=out["travel_time_s"],
        sources_snapped=snapped_lonlat(net, s_snap),
        destinations_snapped=snapped_lonlat(net, d_snap),
        source_snap_distance_m=s_snap.snap_distance_m.copy(),
        destination_snap_distance_m=d_snap.snap_distance_m.copy(),
    )
