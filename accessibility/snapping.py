"""Snap points to the nearest network edge (not node), keeping the snap distance.

On long rural roads the nearest *node* can be kilometres away while the road passes the
village; snapping to the nearest edge and keeping the offset along it avoids that error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from accessibility.defaults import DEFAULT_MAX_SNAP_M
from accessibility.network import Network


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
    finite = np.isfinite(x) & np.isfinite(y)
    pts = shapely.points(x, y)
    if finite.any():
        qi = np.flatnonzero(finite)
        (ii, ti), d = net.edge_tree.query_nearest(
            pts[qi], max_distance=max_snap_m, return_distance=True, all_matches=False
        )
        edge[qi[ii]] = ti
        dist[qi[ii]] = d
    ok = edge >= 0
    offset = np.full(n, np.nan)
    sx = np.full(n, np.nan)
    sy = np.full(n, np.nan)
    if ok.any():
        lines = net.edge_lines[edge[ok]]
        along = shapely.line_locate_point(lines, pts[ok])
        geom_len = shapely.length(lines)
        # network length and geometry length agree; scale anyway so offsets never exceed it
        scale = np.divide(
            net.edge_length_m[edge[ok]], geom_len, out=np.ones_like(geom_len), where=geom_len > 0
        )
        offset[ok] = np.clip(along * scale, 0.0, net.edge_length_m[edge[ok]])
        sp_ = shapely.line_interpolate_point(lines, along)
        sx[ok] = shapely.get_x(sp_)
        sy[ok] = shapely.get_y(sp_)
    return Snapped(edge=edge, offset_m=offset, snap_distance_m=dist, ok=ok, x=sx, y=sy)
