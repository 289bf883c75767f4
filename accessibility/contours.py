"""Contour drawing: sampled costs -> a min-cost raster -> nested contour polygons.

Valhalla's grid idea, vectorised. :mod:`accessibility.isochrones` samples the reached roads
(points with their travel cost) and hands them to :func:`contour_polygons`:

1. the samples give a per-cell minimum-cost raster (at most :data:`MAX_GRID_CELLS` cells,
   see :func:`check_grid`);
2. the reached cells grow by :data:`GROW_CELLS` (the land along a road), each step priced
   at one more cell of travel at the pace the cell was reached with (:func:`_grown_costs`),
   so land is added only where the limit leaves time for it: the contour stops at the
   last reached cell of a road instead of painting a cell beyond it;
3. contour k is ``grown cost <= limit_k``, closed by :data:`CLOSE_CELLS` (small gaps
   between nearby roads) and every enclosed hole filled (``fill_holes``, default; else only
   holes below :data:`MAX_HOLE_CELLS` cells);
4. ``rasterio.features.shapes`` turns each mask into polygons, which are simplified
   (``cell_m / 2``) and kept valid;
5. :func:`polygons_to_wgs84` reprojects them to WGS84 and unions each with the next
   smaller contour, so contours NEST (every raster step is monotone in the mask, and the
   union undoes what simplifying and reprojecting move).

Buffering and unioning road segments with GEOS gives nicer edges but takes seconds to
minutes; this takes milliseconds. Which points lie in the polygons is
:mod:`accessibility.areas`.
"""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine
from rasterio.features import shapes
from scipy import ndimage

from accessibility.budget import checkpoint
from accessibility.crs import to_wgs84
from accessibility.errors import RequestTooLargeError

#: Reached cells grow by this many cells (4-neighbour steps): the land along a road. Each
#: step costs one more cell of travel at the pace its cell was reached with, so a contour
#: grows only where its limit leaves time for that (see :func:`_grown_costs`).
GROW_CELLS = 1
#: Closing radius (cells): gaps between reached roads up to about twice this are closed.
CLOSE_CELLS = 2
#: Holes (unreached pockets inside a contour) smaller than this many cells are filled.
MAX_HOLE_CELLS = 16
#: Largest raster one request may allocate (cells); beyond it ``cell_m`` is too small.
MAX_GRID_CELLS = 16_000_000

_EIGHT = np.ones((3, 3), dtype=bool)
#: stands for an unreached cell's cost (inf) where costs are subtracted
_FAR = 1e30


# --- raster masks ------------------------------------------------------------------------------
def _dilate(mask: np.ndarray, cells: int) -> np.ndarray:
    """Binary dilation by a 4-neighbour cross, ``cells`` times (numpy shifts; fast)."""
    for _ in range(cells):
        m = mask
        mask = m.copy()
        mask[1:] |= m[:-1]
        mask[:-1] |= m[1:]
        mask[:, 1:] |= m[:, :-1]
        mask[:, :-1] |= m[:, 1:]
    return mask


def _erode(mask: np.ndarray, cells: int) -> np.ndarray:
    """Binary erosion by a 4-neighbour cross, ``cells`` times (the mask keeps off borders)."""
    for _ in range(cells):
        m = mask
        mask = m.copy()
        mask[1:] &= m[:-1]
        mask[:-1] &= m[1:]
        mask[:, 1:] &= m[:, :-1]
        mask[:, :-1] &= m[:, 1:]
    return mask


def _fill_small_holes(mask: np.ndarray, *, max_cells: float = MAX_HOLE_CELLS) -> np.ndarray:
    """Fill background pockets of fewer than ``max_cells`` cells not touching the border.

    One labelling pass (``ndimage.binary_fill_holes`` iterates dilations: several times
    slower on a request's grid).
    """
    labels, n = ndimage.label(~mask, structure=_EIGHT)
    if n == 0:
        return mask
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    small = sizes < max_cells
    small[0] = False
    small[border] = False
    return mask | small[labels]


def _cell_steps(raster: np.ndarray) -> np.ndarray:
    """Cost of one cell of travel at the pace each cell was reached with (0: none or unreached).

    The upwind estimate of the cost gradient: per axis the larger drop to a cheaper
    4-neighbour, combined as ``hypot(drop_x, drop_y)``. Along a road that is its cost per
    cell (a diagonal road drops on both axes); where no neighbour is cheaper (the origin,
    a cell reached only across a corner) it is 0, so the cell grows as far as the limit
    allows anyway.
    """
    unreached = np.isinf(raster)
    # a finite stand-in for unreached cells: no inf - inf (nan), which is slow to handle
    costs = np.where(unreached, _FAR, raster)
    dcol = costs[:, 1:] - costs[:, :-1]  # a cell minus its left neighbour
    drow = costs[1:] - costs[:-1]  # a cell minus the one above it
    dx = np.zeros(raster.shape)
    np.maximum(dcol, 0.0, out=dx[:, 1:])  # drop to the left neighbour
    np.maximum(dx[:, :-1], -dcol, out=dx[:, :-1])  # or to the right one
    dy = np.zeros(raster.shape)
    np.maximum(drow, 0.0, out=dy[1:])
    np.maximum(dy[:-1], -drow, out=dy[:-1])
    step = np.sqrt(dx * dx + dy * dy)
    step[unreached] = 0.0  # grows nothing (inf + 0)
    return step


def _grown_costs(raster: np.ndarray, cells: int = GROW_CELLS) -> np.ndarray:
    """Per-cell cost raster grown by ``cells`` 4-neighbour steps, each priced at one cell.

    Every cell takes the cheaper of its own cost and, for each 4-neighbour, that
    neighbour's cost plus its :func:`_cell_steps` (the cost of going one cell further at
    the same pace; 0 at the origin, whose own cell always grows). So ``grown <= limit``
    adds the land along a road where the limit leaves time for one more cell, and nothing
    beyond the last cell a road is reached in: a walk that ends
    mid-road is not drawn a whole cell (or more) farther. Thresholding one raster at every
    limit keeps the contours nested.
    """
    cost = raster.copy()
    step = _cell_steps(raster)
    for k in range(cells):
        reach = cost + step
        grown = cost.copy()
        carry = k + 1 < cells  # the next ring needs each cell's step too
        carried = step.copy() if carry else step
        for dst, src in (
            (np.s_[1:], np.s_[:-1]),
            (np.s_[:-1], np.s_[1:]),
            (np.s_[:, 1:], np.s_[:, :-1]),
            (np.s_[:, :-1], np.s_[:, 1:]),
        ):
            if carry:
                better = reach[src] < grown[dst]
                carried[dst] = np.where(better, step[src], carried[dst])
            np.minimum(grown[dst], reach[src], out=grown[dst])
        cost, step = grown, carried
    return cost


def _contour_mask(grown: np.ndarray, limit: float, *, fill_holes: bool = True) -> np.ndarray:
    """Cells of one contour: grown cost within the limit, closed, holes filled (monotone).

    ``grown`` is :func:`_grown_costs` of the min-cost raster. ``fill_holes``: fill every
    enclosed pocket (fields and woods between reached roads, as Valhalla's ``denoise``
    keeps only outer rings), else only pockets under :data:`MAX_HOLE_CELLS` cells. Every
    step is monotone in the mask, so contours still nest.
    """
    mask = _dilate(grown <= limit, CLOSE_CELLS)
    mask = _erode(mask, CLOSE_CELLS)
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return mask
    # fill holes in the bounding box (plus one empty cell around: what touches it is outside)
    r0, r1 = max(rows[0] - 1, 0), rows[-1] + 2
    c0, c1 = max(cols[0] - 1, 0), cols[-1] + 2
    box = mask[r0:r1, c0:c1]
    mask[r0:r1, c0:c1] = _fill_small_holes(box, max_cells=np.inf if fill_holes else MAX_HOLE_CELLS)
    return mask


# --- masks -> polygons -------------------------------------------------------------------------
def _polygonise(mask: np.ndarray, x0: float, y1: float, cell_m: float) -> shapely.Geometry:
    """Polygon/MultiPolygon of the True cells (4-connected regions, holes kept).

    ``x0, y1`` is the upper-left corner of the grid; only the bounding box of the True
    cells is handed to ``rasterio.features.shapes``.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return shapely.Polygon()
    sub = np.ascontiguousarray(mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    transform = Affine(cell_m, 0.0, x0 + cols[0] * cell_m, 0.0, -cell_m, y1 - rows[0] * cell_m)
    polys = []
    for geom, _ in shapes(sub.view(np.uint8), mask=sub, connectivity=4, transform=transform):
        rings = [shapely.linearrings(np.asarray(r, dtype=float)) for r in geom["coordinates"]]
        polys.append(shapely.polygons(rings[0], holes=rings[1:] or None))
    if not polys:
        return shapely.Polygon()
    return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygonal part of a (made-valid) geometry."""
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _simplify(geom: shapely.Geometry, tolerance: float) -> shapely.Geometry:
    """Douglas-Peucker; topology-preserving only when the fast one breaks validity."""
    out = shapely.simplify(geom, tolerance, preserve_topology=False)
    if out.is_empty or not out.is_valid:
        out = shapely.simplify(geom, tolerance, preserve_topology=True)
    if not out.is_valid:
        out = _polygonal(shapely.make_valid(out))
    return out


# --- public API --------------------------------------------------------------------------------
def check_grid(nrows: int, ncols: int, cell_m: float) -> None:
    """Refuse a raster of more than :data:`MAX_GRID_CELLS` cells.

    Parameters
    ----------
    nrows, ncols
        Size of the raster (cells).
    cell_m
        Cell size (metres), named in the error message.

    Raises
    ------
    RequestTooLargeError
        When ``nrows * ncols`` exceeds :data:`MAX_GRID_CELLS` (``cell_m`` too small for the
        extent).
    """
    if nrows * ncols > MAX_GRID_CELLS:
        msg = (
            f"the isochrone needs a {nrows} x {ncols} grid, more than {MAX_GRID_CELLS} cells; "
            f"got cell_m={cell_m:g}, expected a larger cell size for this extent"
        )
        raise RequestTooLargeError(msg)


def fit_cell(width_m: float, height_m: float, cell_m: float) -> float:
    """Return ``cell_m``, or the smallest doubling of it whose grid over the extent fits.

    A contour over a large reached area (a catchment of a province) is drawn coarser
    rather than refused; the margin cells of :func:`contour_polygons` are counted.
    """
    margin = 2 * (GROW_CELLS + CLOSE_CELLS + 3)
    while (width_m / cell_m + margin) * (height_m / cell_m + margin) > MAX_GRID_CELLS:
        cell_m *= 2
    return cell_m


def contour_polygons(
    x: np.ndarray,
    y: np.ndarray,
    cost: np.ndarray,
    limits: np.ndarray,
    *,
    cell_m: float,
    fill_holes: bool = True,
) -> list[shapely.Geometry]:
    """Polygons (metric CRS) of the cells with cost <= each limit (ascending).

    A cell's cost is the smallest cost of the samples in it; the cells next to it (up to
    :data:`GROW_CELLS`) count at that cost plus one cell of travel at the pace it was
    reached with (:func:`_grown_costs`). So along a straight road reached up to a point,
    the polygon ends within one cell (``cell_m``, plus the simplification) of the last
    reached sample, and covers about one cell of land on either side of the road where
    the limit leaves time for it.

    Parameters
    ----------
    x, y
        Sample points (metric CRS of the network), e.g. along the reached roads.
    cost
        Cost of each sample (seconds or metres); a cell takes the smallest cost in it.
    limits
        Contour limits in the unit of ``cost``, ascending.
    cell_m
        Grid cell size (metres).
    fill_holes
        Fill every enclosed hole (default), else only holes below :data:`MAX_HOLE_CELLS`
        cells.

    Returns
    -------
    list of shapely.Geometry
        One Polygon/MultiPolygon (possibly empty) per limit, in the order of ``limits``,
        simplified by ``cell_m / 2``. The cell masks nest; the polygons nest up to the
        simplification tolerance (:func:`polygons_to_wgs84` makes that exact).

    Raises
    ------
    ValueError
        When the grid would exceed :data:`MAX_GRID_CELLS` cells (see :func:`check_grid`).
    """
    margin = GROW_CELLS + CLOSE_CELLS + 2
    x0 = np.floor(x.min() / cell_m) * cell_m - margin * cell_m
    y1 = np.ceil(y.max() / cell_m) * cell_m + margin * cell_m
    ncols = int(np.ceil((x.max() - x0) / cell_m)) + margin + 1
    nrows = int(np.ceil((y1 - y.min()) / cell_m)) + margin + 1
    check_grid(nrows, ncols, cell_m)
    col = np.floor((x - x0) / cell_m).astype(np.int64)
    row = np.floor((y1 - y) / cell_m).astype(np.int64)
    raster = np.full((nrows, ncols), np.inf)
    np.minimum.at(raster, (row, col), cost)
    grown = _grown_costs(raster)
    out: list[shapely.Geometry] = []
    prev_mask = np.zeros(raster.shape, dtype=bool)
    for limit in limits:
        checkpoint()
        mask = (
            _contour_mask(grown, limit, fill_holes=fill_holes) | prev_mask
        )  # monotone anyway; make it explicit
        out.append(_simplify(_polygonise(mask, x0, y1, cell_m), cell_m / 2))
        prev_mask = mask
    return out


def polygons_to_wgs84(geoms: list[shapely.Geometry], crs: str) -> np.ndarray:
    """Reproject contour polygons (ascending) to WGS84 and make each contain the previous.

    Simplifying each contour on its own moves shared boundaries by up to the tolerance;
    the union with the smaller contour, done after reprojecting (a union in the metric CRS
    would again leave centimetre slivers once vertices move), makes the nesting exact.

    Parameters
    ----------
    geoms
        Polygons in ``crs``, smallest contour first (as :func:`contour_polygons` returns).
    crs
        The metric CRS of ``geoms`` (the network's).

    Returns
    -------
    np.ndarray
        Object array of Polygon/MultiPolygon in EPSG:4326, same order; each contains the
        ones before it.
    """
    out = shapely.transform(
        np.asarray(geoms, dtype=object), lambda x, y: to_wgs84(x, y, crs), interleaved=False
    )
    for k in range(1, len(out)):
        out[k] = _polygonal(shapely.union(out[k], out[k - 1]))
    return out
