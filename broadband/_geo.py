"""Private geometry helpers: metric CRSs, vectorised sampling and class polygons."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio.features
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from broadband._shapes import present
from broadband.classify import BASIC, NGA, UNKNOWN, WHITE, Thresholds, classify_speed
from broadband.sources import Coverage

#: Classes with a known speed, best last; used as integer codes 0, 1, 2.
KNOWN_CLASSES: tuple[str, str, str] = (WHITE, BASIC, NGA)
_NO_CLASS = 255  # uint8 code of unknown cells

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]


def is_metre_crs(crs: CRS) -> bool:
    """Tell whether ``crs`` is projected with axes in metres."""
    if not crs.is_projected:
        return False
    return all((axis.unit_name or "").lower() in ("metre", "meter", "m") for axis in crs.axis_info)


def metric_crs(crs: CRS, bounds: tuple[float, float, float, float]) -> CRS:
    """``crs`` itself if it is in metres, else the UTM zone of ``bounds`` (given in ``crs``)."""
    if is_metre_crs(crs):
        return crs
    minx, miny, maxx, maxy = bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        msg = f"cannot choose a metric CRS for empty or non-finite bounds {bounds!r}"
        raise ValueError(msg)
    utm = gpd.GeoSeries([shapely.box(minx, miny, maxx, maxy)], crs=crs).estimate_utm_crs()
    return CRS.from_user_input(utm)


def classes_of(mbps: FloatArray, not_white: BoolArray, thresholds: Thresholds) -> npt.NDArray[Any]:
    """Classify speeds; features flagged ``not_white`` are at least ``basic``."""
    cls = classify_speed(mbps, thresholds)
    lift = not_white & ((cls == WHITE) | (cls == UNKNOWN))
    cls[lift] = BASIC
    return cls


def point_xy(geoms: ObjArray) -> tuple[FloatArray, FloatArray]:
    """Coordinates of point geometries (NaN for missing/empty)."""
    geoms = np.asarray(geoms, dtype=object)
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not usable.all():  # get_x raises on empty points
        geoms = np.where(usable, geoms, None)
    xs = shapely.get_x(geoms).astype(np.float64)
    ys = shapely.get_y(geoms).astype(np.float64)
    return xs, ys


def sample_raster(coverage: Coverage, xs: FloatArray, ys: FloatArray) -> FloatArray:
    """Cell values at coordinates (in the coverage CRS); NaN outside the grid or on nodata.

    Fully vectorised: one inverse-affine evaluation on the coordinate arrays and one fancy
    index into the in-memory band.
    """
    array, transform = coverage.array, coverage.transform
    assert array is not None and transform is not None
    if transform.b == 0 and transform.d == 0:
        # North-up grid: divide instead of multiplying by the inverse to keep cell borders
        # exact (x on a border belongs to the cell to its right / below).
        cols = (xs - transform.c) / transform.a
        rows = (ys - transform.f) / transform.e
    else:
        inv = ~transform
        cols = inv.a * xs + inv.b * ys + inv.c
        rows = inv.d * xs + inv.e * ys + inv.f
    n_rows, n_cols = array.shape
    with np.errstate(invalid="ignore"):
        ci = np.floor(cols)
        ri = np.floor(rows)
        inside = np.isfinite(ci) & np.isfinite(ri)
        inside &= (ci >= 0) & (ci < n_cols) & (ri >= 0) & (ri < n_rows)
    out = np.full(xs.shape, np.nan, dtype=np.float64)
    out[inside] = array[ri[inside].astype(np.intp), ci[inside].astype(np.intp)]
    return out


def sample_polygons(coverage: Coverage, geoms: ObjArray) -> tuple[FloatArray, BoolArray]:
    """Best speed of the polygons containing each point (``gpd.sjoin``, boundary included)."""
    frame = coverage.frame
    assert frame is not None
    n = len(geoms)
    mbps = np.full(n, np.nan, dtype=np.float64)
    not_white = np.zeros(n, dtype=bool)
    pts = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms, crs=coverage.crs).values, crs=coverage.crs)
    pts = pts.loc[present(pts.geometry)]
    if len(pts) == 0:
        return mbps, not_white
    joined = gpd.sjoin(pts, frame, how="inner", predicate="intersects")
    if len(joined) == 0:
        return mbps, not_white
    grouped = joined.groupby(level=0)
    best = grouped["max_mbps"].max()  # NaN only if all matches are NaN
    flagged = grouped["not_white"].any()
    pos = best.index.to_numpy()
    mbps[pos] = best.to_numpy(dtype=np.float64)
    not_white[flagged.index.to_numpy()] = flagged.to_numpy(dtype=bool)
    return mbps, not_white


def _point_table(coverage: Coverage, mcrs: CRS) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Coverage points with information, deduplicated by location (best speed wins)."""
    frame = coverage.frame
    assert frame is not None
    informative = frame["max_mbps"].notna() | frame["not_white"]
    pts = frame.loc[informative]
    if pts.crs is not None and not CRS.from_user_input(pts.crs).equals(mcrs):
        pts = pts.to_crs(mcrs)
    xs, ys = point_xy(pts.geometry.to_numpy())
    table = pd.DataFrame(
        {
            "x": xs,
            "y": ys,
            "max_mbps": pts["max_mbps"].to_numpy(dtype=np.float64),
            "not_white": pts["not_white"].to_numpy(dtype=bool),
        }
    )
    table = table.loc[np.isfinite(table["x"]) & np.isfinite(table["y"])]
    agg = table.groupby(["x", "y"], sort=False).agg(
        max_mbps=("max_mbps", "max"), not_white=("not_white", "any")
    )
    xy = np.column_stack(
        [agg.index.get_level_values(0).to_numpy(), agg.index.get_level_values(1).to_numpy()]
    ).astype(np.float64)
    return xy, agg["max_mbps"].to_numpy(dtype=np.float64), agg["not_white"].to_numpy(dtype=bool)


def sample_points(
    coverage: Coverage, geoms: ObjArray, *, max_distance_m: float
) -> tuple[FloatArray, BoolArray]:
    """Speed of the nearest informative coverage point within ``max_distance_m``."""
    n = len(geoms)
    mbps = np.full(n, np.nan, dtype=np.float64)
    not_white = np.zeros(n, dtype=bool)
    if n == 0:
        return mbps, not_white
    mcrs = metric_crs(coverage.crs, coverage.bounds)
    query = gpd.GeoSeries(geoms, crs=coverage.crs)
    if not mcrs.equals(coverage.crs):
        query = query.to_crs(mcrs)
    qx, qy = point_xy(query.to_numpy())
    ok = np.isfinite(qx) & np.isfinite(qy)
    xy, speeds, flags = _point_table(coverage, mcrs)
    if len(xy) == 0 or not ok.any():
        return mbps, not_white
    tree = cKDTree(xy)
    bound = max_distance_m * (1.0 + 1e-9) + 1e-9
    dist, idx = tree.query(np.column_stack([qx[ok], qy[ok]]), k=1, distance_upper_bound=bound)
    found = np.isfinite(dist) & (dist <= max_distance_m + 1e-9)
    where = np.flatnonzero(ok)[found]
    mbps[where] = speeds[idx[found]]
    not_white[where] = flags[idx[found]]
    return mbps, not_white


def sample(
    coverage: Coverage, geoms: ObjArray, *, max_distance_m: float
) -> tuple[FloatArray, BoolArray]:
    """Speed (Mbit/s, NaN = unknown) and not-white flag at points given in the coverage CRS."""
    if coverage.kind == "raster":
        xs, ys = point_xy(geoms)
        return sample_raster(coverage, xs, ys), np.zeros(len(geoms), dtype=bool)
    if coverage.kind == "polygons":
        mbps, not_white = sample_polygons(coverage, geoms)
    else:
        mbps, not_white = sample_points(coverage, geoms, max_distance_m=max_distance_m)
    # Only white-flag sources set not_white; their speeds are 0.0 (white) or NaN, and a
    # non-white feature beats a white one, so its (unknown) speed is reported.
    mbps[not_white] = np.nan
    return mbps, not_white


def raster_class_polygons(
    coverage: Coverage, thresholds: Thresholds, *, only: str | None = None
) -> gpd.GeoDataFrame:
    """Polygonise the class map of a raster coverage (nodata excluded).

    Returns a frame with ``cls`` (class name) and non-overlapping polygons, each a
    4-connected region of one class, restricted to class ``only`` when given.
    """
    array, transform = coverage.array, coverage.transform
    assert array is not None and transform is not None
    empty = gpd.GeoDataFrame({"cls": pd.Series([], dtype=object)}, geometry=[], crs=coverage.crs)
    cls = classify_speed(array, thresholds)
    codes = np.full(array.shape, _NO_CLASS, dtype=np.uint8)
    for code, name in enumerate(KNOWN_CLASSES):
        codes[cls == name] = code
    valid = codes != _NO_CLASS if only is None else codes == KNOWN_CLASSES.index(only)
    if not valid.any():
        return empty
    shapes = rasterio.features.shapes(codes, mask=valid, transform=transform, connectivity=4)
    # Build all rings and polygons in two vectorised calls (shapely.geometry.shape is slow
    # for polygons with many holes, e.g. nodata cells inside a white area).
    coords: list[npt.NDArray[np.float64]] = []
    ring_of_coord: list[npt.NDArray[np.intp]] = []
    poly_of_ring: list[int] = []
    names: list[str] = []
    n_rings = 0
    for poly_id, (geojson, value) in enumerate(shapes):
        names.append(KNOWN_CLASSES[int(value)])
        for ring in geojson["coordinates"]:
            xy = np.asarray(ring, dtype=np.float64)
            coords.append(xy)
            ring_of_coord.append(np.full(len(xy), n_rings, dtype=np.intp))
            poly_of_ring.append(poly_id)
            n_rings += 1
    if not names:
        return empty
    rings = shapely.linearrings(np.concatenate(coords), indices=np.concatenate(ring_of_coord))
    geoms = shapely.polygons(rings, indices=np.asarray(poly_of_ring, dtype=np.intp))
    return gpd.GeoDataFrame({"cls": names}, geometry=geoms, crs=coverage.crs)


def polygon_class_layer(
    coverage: Coverage,
    thresholds: Thresholds,
    *,
    bounds: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Non-overlapping class polygons of a polygon coverage.

    Where polygons overlap, the best class wins (nga over basic over white).
    """
    frame = coverage.frame
    assert frame is not None
    if bounds is not None:
        hits = frame.sindex.query(shapely.box(*bounds), predicate="intersects")
        frame = frame.iloc[np.sort(hits)]
    cls = classes_of(
        frame["max_mbps"].to_numpy(dtype=np.float64),
        frame["not_white"].to_numpy(dtype=bool),
        thresholds,
    )
    geoms = frame.geometry.to_numpy()
    out_geoms: list[shapely.Geometry] = []
    out_names: list[str] = []
    better = shapely.Polygon()
    for name in reversed(KNOWN_CLASSES):  # nga, basic, white
        members = geoms[cls == name]
        if len(members) == 0:
            continue
        union = shapely.union_all(members)
        own = union if better.is_empty else shapely.difference(union, better)
        better = union if better.is_empty else shapely.union(better, union)
        for part in shapely.get_parts(own):
            if part.geom_type == "Polygon" and not part.is_empty:
                out_geoms.append(part)
                out_names.append(name)
    return gpd.GeoDataFrame(
        {"cls": pd.Series(out_names, dtype=object)}, geometry=out_geoms, crs=coverage.crs
    )


def _window_cells(
    polys: ObjArray,
    present: BoolArray,
    transform: Any,
    shape: tuple[int, ...],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(polygon index, row, col) of every grid cell in each present polygon's bounding window."""
    n_rows, n_cols = shape
    inv = ~transform
    bounds = shapely.bounds(polys)
    owners: list[npt.NDArray[np.intp]] = []
    cell_rows: list[npt.NDArray[np.intp]] = []
    cell_cols: list[npt.NDArray[np.intp]] = []
    for i in np.flatnonzero(present):
        minx, miny, maxx, maxy = bounds[i]
        xs = np.array([minx, maxx, minx, maxx])
        ys = np.array([miny, miny, maxy, maxy])
        cs = inv.a * xs + inv.b * ys + inv.c
        rs = inv.d * xs + inv.e * ys + inv.f
        c0 = int(np.clip(np.floor(cs.min()), 0, n_cols))
        c1 = int(np.clip(np.floor(cs.max()) + 1, 0, n_cols))
        r0 = int(np.clip(np.floor(rs.min()), 0, n_rows))
        r1 = int(np.clip(np.floor(rs.max()) + 1, 0, n_rows))
        if r1 <= r0 or c1 <= c0:
            continue
        rr, cc = np.mgrid[r0:r1, c0:c1]
        owners.append(np.full(rr.size, i, dtype=np.intp))
        cell_rows.append(rr.ravel())
        cell_cols.append(cc.ravel())
    if not owners:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, empty
    return np.concatenate(owners), np.concatenate(cell_rows), np.concatenate(cell_cols)


def raster_area_by_class(
    coverage: Coverage, polys: ObjArray, thresholds: Thresholds
) -> tuple[FloatArray, FloatArray]:
    """Exact area of each polygon over cells of each known class, and each polygon's area.

    Both in squared coverage-CRS units (only their ratio is meaningful for geographic CRSs).
    Cells of each polygon's bounding window are built as polygons and intersected with it in
    one vectorised call; nodata cells and cells outside the grid count for no class.
    """
    array, transform = coverage.array, coverage.transform
    assert array is not None and transform is not None
    n = len(polys)
    sums = np.zeros((n, 3), dtype=np.float64)
    totals = np.zeros(n, dtype=np.float64)
    present = ~shapely.is_missing(polys) & ~shapely.is_empty(polys)
    if not present.any():
        return sums, totals
    totals[present] = shapely.area(polys[present])
    owner, rows, cols = _window_cells(polys, present, transform, array.shape)
    if len(owner) == 0:
        return sums, totals
    cls = classify_speed(array[rows, cols], thresholds)
    code = np.full(len(cls), -1, dtype=np.intp)
    for k, name in enumerate(KNOWN_CLASSES):
        code[cls == name] = k
    known = code >= 0
    owner, rows, cols, code = owner[known], rows[known], cols[known], code[known]
    if len(owner) == 0:
        return sums, totals
    corner_c = np.stack([cols, cols + 1, cols + 1, cols, cols], axis=1).astype(np.float64)
    corner_r = np.stack([rows, rows, rows + 1, rows + 1, rows], axis=1).astype(np.float64)
    corner_x = transform.a * corner_c + transform.b * corner_r + transform.c
    corner_y = transform.d * corner_c + transform.e * corner_r + transform.f
    cells = shapely.polygons(np.stack([corner_x, corner_y], axis=2))
    # Prepared predicates are cheap: cells well inside a polygon count fully, disjoint cells
    # not at all; only cells on a boundary need an (expensive) intersection.
    shapely.prepare(polys[present])
    owners_geom = polys[owner]
    inside = shapely.contains_properly(owners_geom, cells)
    edge = ~inside & shapely.intersects(owners_geom, cells)
    areas = np.where(inside, abs(transform.a * transform.e - transform.b * transform.d), 0.0)
    areas[edge] = shapely.area(shapely.intersection(owners_geom[edge], cells[edge]))
    np.add.at(sums, (owner, code), areas)
    return sums, totals
