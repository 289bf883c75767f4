"""Snap points to the nearest network edge (not node), keeping the snap distance.

On long rural roads the nearest *node* can be kilometres away while the road passes the
village; snapping to the nearest edge and keeping the offset along it avoids that error.
:func:`snap_points` works on metric coordinates (the build's villages and facilities);
:func:`locate` checks WGS84 input and turns points off the roads into an error (requests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from accessibility.crs import outside_wgs84, to_metric, to_wgs84
from accessibility.defaults import DEFAULT_MAX_SNAP_M
from accessibility.errors import PointOutsideNetworkError
from accessibility.network import Network

#: cell size of the spatial order in which points are snapped (metres)
_SORT_CELL_M = 1000.0


@dataclass(frozen=True)
class Snapped:
    """Points snapped to edges.

    Attributes
    ----------
    edge : np.ndarray
        Edge index per point (-1 where the point is farther than the limit).
    offset_m : np.ndarray
        Distance along the edge from its node ``u`` (network metres).
    snap_distance_m : np.ndarray
        Straight-line distance from the point to the edge (NaN beyond the limit).
    ok : np.ndarray
        True where the point was within ``max_snap_m`` of an edge.
    x, y : np.ndarray
        The snapped location (metric CRS of the network), NaN where not ok.
    """

    edge: np.ndarray
    offset_m: np.ndarray
    snap_distance_m: np.ndarray
    ok: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    def take(self, i: np.ndarray) -> Snapped:
        """Return the points at positions ``i`` (an index array or a mask)."""
        return Snapped(self.edge[i], self.offset_m[i], self.snap_distance_m[i], self.ok[i],
                       self.x[i], self.y[i])  # fmt: skip


def snap_points(
    net: Network, x: np.ndarray, y: np.ndarray, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> Snapped:
    """Snap metric points (in ``net.crs``) to their nearest edge, vectorised.

    Points farther than ``max_snap_m`` from every edge get ``ok=False``; use
    :func:`accessibility.routing.locate` to turn that into an error.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    edge = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    offset = np.full(n, np.nan)
    sx = np.full(n, np.nan)
    sy = np.full(n, np.nan)
    qi = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if len(qi):
        # nearby queries one after another: the grid's cells stay in cache; every query's
        # answer is its own, whatever the order
        qi = qi[np.lexsort((np.floor(y[qi] / _SORT_CELL_M), np.floor(x[qi] / _SORT_CELL_M)))]
        grid = net.edge_index
        near = grid.nearest(x[qi], y[qi], max_snap_m)
        hit = near.edge >= 0
        qi, e, seg, t = qi[hit], near.edge[hit], near.segment[hit], near.t[hit]
        edge[qi], dist[qi] = e, near.distance_m[hit]
        along, geom_len = grid.along(seg, t)
        # network length and geometry length agree; scale anyway so offsets never exceed it
        length = net.edge_length_m[e]
        scale = np.divide(length, geom_len, out=np.ones_like(geom_len), where=geom_len > 0)
        offset[qi] = np.clip(along * scale, 0.0, length)
        sx[qi], sy[qi] = grid.position(seg, t)
    ok = edge >= 0
    return Snapped(edge=edge, offset_m=offset, snap_distance_m=dist, ok=ok, x=sx, y=sy)


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
    bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a)) | outside_wgs84(lon_a, lat_a)
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


def lonlat_table(points: object, *, name: str) -> np.ndarray:
    """Check a ``k x 2`` table of WGS84 lon/lat (k >= 1) called ``name``; return an array."""
    a = np.asarray(points, dtype=float)
    if a.ndim != 2 or a.shape[1] != 2 or a.shape[0] == 0:  # noqa: PLR2004 - lon, lat
        msg = f"{name} must be a non-empty k x 2 array of lon/lat, got shape {a.shape}"
        raise ValueError(msg)
    return a
