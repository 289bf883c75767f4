"""Nearest-edge lookups on a network's own coordinate arrays: a grid of line segments.

Every edge geometry is a run of coordinates (``coord_x/coord_y`` from ``edge_geom_start``
to ``edge_geom_end``); segment ``k`` joins coordinates ``k`` and ``k + 1`` of one edge. The
grid files each segment (long ones piece by piece) under the square cells its bounding box
touches: the occupied cells' keys, and per cell its segment numbers (int32, CSR). About 30
bytes a segment, lengths included, where shapely geometries and an STRtree over them took
about 350 bytes an edge and seconds to build.

A query is exact: the nearest point of a segment lies in its bounding box, so a segment
within ``r`` of a point is filed under a cell within ``r`` of that point. Points look in
the cells within one cell first; the others once within an upper bound taken from the
nearest occupied cell. Ties (a point on a junction) go to the lowest edge index, then the
first segment along the edge: the answer never depends on the order of the points.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

#: cell size in multiples of the median segment extent, and its bounds (metres)
_CELL_PER_SEGMENT, _MIN_CELL_M, _MAX_CELL_M = 1.0, 25.0, 1000.0
#: far points search the occupied cells of a ball, not a square, beyond this many cells
_SQUARE_CELLS = 8
#: (point, segment) pairs compared at once: bounds the memory of a large query
_MAX_PAIRS = 4_000_000
#: cell key: column * _ROWS + row (more rows than any extent has cells)
_ROWS = 1 << 31
#: segments filed at once
_FILE_CHUNK = 250_000
#: how far a piece's bounding box is widened before filing (metres)
_PAD_M = 1e-6


@dataclass(frozen=True)
class Nearest:
    """The nearest edge of each point (``edge`` -1 beyond the limit) and where on it.

    ``segment`` is the number of the nearest segment in the grid, ``t`` the position
    of the nearest point on that segment (0 at its start, 1 at its end) and ``distance_m``
    the straight-line distance (NaN beyond the limit).
    """

    edge: np.ndarray
    segment: np.ndarray
    t: np.ndarray
    distance_m: np.ndarray


class SegmentGrid:
    """Square cells of a network's edge segments (see the module docstring)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, start: np.ndarray, end: np.ndarray):
        self.x, self.y, self.start, self.end = x, y, start, end
        self.origin = np.array([x.min(), y.min()]) - 1.0 if len(x) else np.zeros(2)
        n_seg = end - start  # segments per edge
        offsets = np.r_[0, np.cumsum(n_seg)]
        edge = np.repeat(np.arange(len(start), dtype=np.int32), n_seg)
        first = start[edge] + np.arange(offsets[-1]) - offsets[:-1][edge]
        first = first.astype(np.int32 if len(x) < np.iinfo(np.int32).max else np.int64)
        self.seg_edge, self.seg_first = edge, first
        extent = np.maximum(np.abs(x[first + 1] - x[first]), np.abs(y[first + 1] - y[first]))
        typical = float(np.median(extent)) if len(extent) else 0.0
        self.cell = float(np.clip(_CELL_PER_SEGMENT * typical, _MIN_CELL_M, _MAX_CELL_M))
        keys, self.members = self._file(first)
        # one key per occupied cell and where its segments start in ``members`` (CSR)
        self.cell_keys, starts = np.unique(keys, return_index=True)
        self.cell_start = np.r_[starts, len(keys)]

    def _file(self, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted cell keys and, for each, the segment filed under it (one row per pair).

        A long segment is filed piece by piece (pieces no longer than a cell, each under the
        cells of its own bounding box), so a diagonal kilometre costs tens of cells, not the
        hundreds of its whole bounding box. Filed in chunks of segments, so the work arrays
        stay small next to the result.
        """
        parts = [self._file_chunk(first[i : i + _FILE_CHUNK], i)
                 for i in range(0, len(first), _FILE_CHUNK)]  # fmt: skip
        keys = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        members = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int32)
        del parts
        order = np.argsort(keys, kind="stable")
        return keys[order], members[order]

    def _file_chunk(self, first: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
        """Cell keys and segment numbers of the segments ``offset + i`` (unsorted)."""
        x, y = self.x, self.y
        ax, ay, bx, by = x[first], y[first], x[first + 1], y[first + 1]
        extent = np.maximum(np.abs(bx - ax), np.abs(by - ay))
        pieces = np.maximum(1, np.ceil(extent / self.cell)).astype(np.int64)
        seg = np.repeat(np.arange(len(first), dtype=np.int64), pieces)
        j = np.arange(len(seg)) - np.repeat(np.r_[0, np.cumsum(pieces)[:-1]], pieces)
        t0, t1 = j / pieces[seg], (j + 1) / pieces[seg]
        px0, px1 = ax[seg] + t0 * (bx - ax)[seg], ax[seg] + t1 * (bx - ax)[seg]
        py0, py1 = ay[seg] + t0 * (by - ay)[seg], ay[seg] + t1 * (by - ay)[seg]
        pad = _PAD_M  # the pieces' ends are rounded: never lose the cell a point lies on
        c0 = self._cell_of(np.minimum(px0, px1) - pad, 0)
        c1 = self._cell_of(np.maximum(px0, px1) + pad, 0)
        r0 = self._cell_of(np.minimum(py0, py1) - pad, 1)
        r1 = self._cell_of(np.maximum(py0, py1) + pad, 1)
        nrow = r1 - r0 + 1
        count = (c1 - c0 + 1) * nrow
        piece = np.repeat(np.arange(len(seg)), count)
        k = np.arange(count.sum()) - np.repeat(np.r_[0, np.cumsum(count)[:-1]], count)
        keys = (c0[piece] + k // nrow[piece]) * _ROWS + r0[piece] + k % nrow[piece]
        members = seg[piece]
        keep = np.r_[True, (keys[1:] != keys[:-1]) | (members[1:] != members[:-1])]
        # neighbouring pieces share their cells
        return keys[keep], (members[keep] + offset).astype(np.int32)

    def _cell_of(self, v: np.ndarray, axis: int) -> np.ndarray:
        """Cell column (axis 0) or row (axis 1) of coordinates: never negative in the extent."""
        return np.floor((np.asarray(v) - self.origin[axis]) / self.cell).astype(np.int64)

    def prepare(self) -> SegmentGrid:
        """Build now what queries build on first use (the far-point tree, the lengths)."""
        _ = self._cells, self.cum_m
        return self

    @property
    def nbytes(self) -> int:
        """Bytes held by the grid's own arrays."""
        own = (self.cell_keys, self.cell_start, self.members, self.seg_edge, self.seg_first)
        return sum(a.nbytes for a in own)

    @cached_property
    def _cells(self) -> cKDTree:
        """Return a KD-tree of the occupied cells' centres (built on the first far query)."""
        col, row = np.divmod(self.cell_keys, _ROWS)
        return cKDTree((np.column_stack([col, row]) + 0.5) * self.cell + self.origin)

    def nearest(self, px: np.ndarray, py: np.ndarray, max_distance: float) -> Nearest:
        """Find the nearest edge within ``max_distance`` of every point (finite coordinates).

        First the cells within one cell of each point; the points still without an answer
        get an upper bound from the nearest occupied cell (its centre's distance plus one
        and a half diagonals: a segment passes within that) and search once within that
        bound, the near ones by the cells of a square, the far ones by the occupied cells of
        a ball.
        """
        n = len(px)
        out = Nearest(np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64),
                      np.full(n, np.nan), np.full(n, np.nan))  # fmt: skip
        first = min(self.cell, max_distance)
        pending = self._settle(px, py, np.arange(n), np.full(n, first), out, self._square)
        if len(pending) == 0 or first >= max_distance:
            return out
        # a cell is filed under a piece whose bounding box (at most a cell a side) meets it:
        # that piece lies within half the cell's diagonal plus a whole diagonal of its centre
        bound = 1.5 * np.sqrt(2.0) * self.cell
        nearest_cell, _ = self._cells.query(np.column_stack([px[pending], py[pending]]))
        r = np.minimum(nearest_cell + bound, max_distance)
        near = r <= _SQUARE_CELLS * self.cell
        self._settle(px, py, pending[near], r[near], out, self._square)
        self._settle(px, py, pending[~near], r[~near], out, self._ball)
        return out

    def _settle(self, px, py, pts: np.ndarray, r: np.ndarray, out: Nearest,
                candidates) -> np.ndarray:  # fmt: skip
        """Settle the points that have a segment within their ``r``; return the others."""
        if len(pts) == 0:
            return pts
        span = 2 * np.ceil(r.max() / self.cell) + 1  # cells a side of the largest square
        step = max(1, int(_MAX_PAIRS // (span * span * 4)))
        found = np.zeros(len(pts), dtype=bool)
        for i in range(0, len(pts), step):
            found[i : i + step] = self._settle_chunk(
                px, py, pts[i : i + step], r[i : i + step], out, candidates
            )
        return pts[~found]

    def _settle_chunk(self, px, py, pts, r, out: Nearest, candidates) -> np.ndarray:
        qx, qy = px[pts], py[pts]
        which, seg = candidates(qx, qy, r)  # pairs come by point
        found = np.zeros(len(pts), dtype=bool)
        if len(which) == 0:
            return found
        d, t = self._distance(qx[which], qy[which], seg)
        starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
        group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(which)]))
        least = np.minimum.reduceat(d, starts)
        # ties: the lowest segment number, which is the lowest edge, then the first along it
        is_min = d == least[group]
        pick = np.minimum.reduceat(np.where(is_min, seg, len(self.seg_edge)), starts)
        first = np.flatnonzero(is_min & (seg == pick[group]))
        head = first[np.r_[True, which[first][1:] != which[first][:-1]]]
        head = head[d[head] <= r[which[head]]]
        p, s = pts[which[head]], seg[head]
        out.edge[p] = self.seg_edge[s]
        out.segment[p] = s
        out.t[p] = t[head]
        out.distance_m[p] = d[head]
        found[which[head]] = True
        return found

    def _square(self, qx, qy, r) -> tuple[np.ndarray, np.ndarray]:
        """(point, segment) pairs of the segments filed in the cells within ``r``."""
        c0, c1 = self._cell_of(qx - r, 0), self._cell_of(qx + r, 0)
        r0, r1 = self._cell_of(qy - r, 1), self._cell_of(qy + r, 1)
        nrow = r1 - r0 + 1
        count = (c1 - c0 + 1) * nrow
        point = np.repeat(np.arange(len(qx)), count)
        k = np.arange(count.sum()) - np.repeat(np.r_[0, np.cumsum(count)[:-1]], count)
        keys = (c0[point] + k // nrow[point]) * _ROWS + r0[point] + k % nrow[point]
        at = np.searchsorted(self.cell_keys, keys)
        hit = at < len(self.cell_keys)
        hit[hit] = self.cell_keys[at[hit]] == keys[hit]
        at = at[hit]
        return self._pairs(point[hit], self.cell_start[at], self.cell_start[at + 1])

    def _ball(self, qx, qy, r) -> tuple[np.ndarray, np.ndarray]:
        """Return (point, segment) pairs of the occupied cells near each point.

        Those whose centre lies within ``r`` plus half a diagonal: every cell that a segment
        within ``r`` passes through.
        """
        hits = self._cells.query_ball_point(np.column_stack([qx, qy]), r + self.cell * np.sqrt(0.5))
        lens = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        cells = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=lens.sum())
        point = np.repeat(np.arange(len(qx)), lens)
        return self._pairs(point, self.cell_start[cells], self.cell_start[cells + 1])

    def _pairs(self, point, lo, hi) -> tuple[np.ndarray, np.ndarray]:
        """Expand each point's slices ``lo:hi`` of :attr:`members` into (point, segment).

        A segment filed under several of the cells comes more than once: harmless.
        """
        lens = hi - lo
        which = np.repeat(point, lens)
        idx = np.arange(lens.sum()) - np.repeat(np.r_[0, np.cumsum(lens)[:-1]] - lo, lens)
        return which, self.members[idx]

    def _distance(self, qx, qy, seg) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each point to its segment, and the nearest point's position t."""
        k = self.seg_first[seg]
        ax, ay = self.x[k], self.y[k]
        dx, dy = self.x[k + 1] - ax, self.y[k + 1] - ay
        ll = dx * dx + dy * dy
        t = np.divide((qx - ax) * dx + (qy - ay) * dy, ll, out=np.zeros_like(ll), where=ll > 0)
        t = np.clip(t, 0.0, 1.0)
        return np.hypot(qx - (ax + t * dx), qy - (ay + t * dy)), t

    @cached_property
    def cum_m(self) -> np.ndarray:
        """Cumulative length over the flat coordinate arrays (one float a point).

        Differences within an edge's run of coordinates are lengths along that edge.
        """
        return np.r_[0.0, np.cumsum(np.hypot(np.diff(self.x), np.diff(self.y)))]

    def along(self, segment: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the geometry length from the edge's start to each point, and the edge's.

        The point is (``segment``, ``t``) as :meth:`nearest` gives it.
        """
        cum, k = self.cum_m, self.seg_first[segment]
        e = self.seg_edge[segment]
        here = np.hypot(self.x[k + 1] - self.x[k], self.y[k + 1] - self.y[k])
        return cum[k] - cum[self.start[e]] + t * here, self.edge_length(e)

    def edge_length(self, edge: np.ndarray) -> np.ndarray:
        """Return the geometry length of each edge (metres, along its coordinates)."""
        return self.cum_m[self.end[edge]] - self.cum_m[self.start[edge]]

    def position(self, segment: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the x, y of the points (``segment``, ``t``)."""
        k = self.seg_first[segment]
        x, y = self.x, self.y
        return x[k] + t * (x[k + 1] - x[k]), y[k] + t * (y[k + 1] - y[k])
