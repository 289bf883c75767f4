"""Geometry and statistics helpers for benchmarks/service/run.py (no I/O, no servers).

* seeded random points ON the car roads of a bereik network (uniform by road length);
* polygons from WGS84 GeoJSON to a metric CRS, intersection over union (IoU);
* the roads both polygons cover (road samples every 20 m: which roads each one reaches,
  independent of how much land beside the roads each method adds);
* holes: Valhalla's default ``denoise=1`` keeps only the largest ring of a contour, so its
  polygons never have holes; :func:`fill_holes` does the same to bereik's for the analysis.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from shapely.geometry import shape

WGS84 = "EPSG:4326"
#: the metric CRS in which areas and IoU are computed (UTM 32N covers Liechtenstein)
METRIC_CRS = "EPSG:32632"
#: highway classes counted as built-up ("urban") in the speed analysis
URBAN_CLASSES = ("residential", "living_street", "service", "unclassified")
#: spacing of the road samples of :func:`road_samples` (metres)
ROAD_SAMPLE_M = 20.0


def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def _geometry_index(net) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative length over the flat coordinate arrays, and each edge's geometry length."""
    seg = np.hypot(np.diff(net.coord_x), np.diff(net.coord_y))
    cum = np.r_[0.0, np.cumsum(seg)]
    glen = cum[net.edge_geom_end] - cum[net.edge_geom_start]
    return cum, glen


def _along(net, cum: np.ndarray, edge: np.ndarray, offset: np.ndarray):
    """x, y of the points ``offset`` metres along the geometry of ``edge`` (vectorised)."""
    start = net.edge_geom_start[edge]
    end = net.edge_geom_end[edge]
    target = cum[start] + offset
    p = np.searchsorted(cum, target, side="right") - 1
    p = np.clip(p, start, np.maximum(end - 1, start))
    q = np.minimum(p + 1, end)
    seg = cum[q] - cum[p]
    frac = np.divide(target - cum[p], seg, out=np.zeros_like(target), where=seg > 0)
    frac = np.clip(frac, 0.0, 1.0)
    x = net.coord_x[p] + frac * (net.coord_x[q] - net.coord_x[p])
    y = net.coord_y[p] + frac * (net.coord_y[q] - net.coord_y[p])
    return x, y


def random_road_points(net, n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` seeded random points on the roads of ``net``, uniform by road length.

    Returns ``lonlat`` (n x 2, WGS84, rounded to 6 decimals: both services get the same
    numbers), ``edge`` (index), ``way_id`` and ``highway`` of the road each lies on.
    """
    rng = np.random.default_rng(seed)
    cum, glen = _geometry_index(net)
    edge = rng.choice(net.n_edges, size=n, p=glen / glen.sum())
    x, y = _along(net, cum, edge, rng.random(n) * glen[edge])
    lon, lat = _transformer(net.crs, WGS84).transform(x, y)
    return {
        "lonlat": np.round(np.column_stack([lon, lat]), 6),
        "edge": edge,
        "way_id": net.edge_way_id[edge],
        "highway": net.edge_highway[edge].astype(str),
    }


def road_samples(net, step_m: float = ROAD_SAMPLE_M) -> np.ndarray:
    """Points every ``step_m`` along every road of ``net`` (each edge once), in METRIC_CRS."""
    cum, glen = _geometry_index(net)
    k = np.maximum(np.ceil(glen / step_m).astype(np.int64), 1)
    edge = np.repeat(np.arange(net.n_edges), k)
    j = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    offset = (j + 0.5) / k[edge] * glen[edge]
    x, y = _along(net, cum, edge, offset)
    if str(net.crs) != METRIC_CRS:
        x, y = _transformer(net.crs, METRIC_CRS).transform(x, y)
    return np.column_stack([x, y])


class Metric:
    """Turns WGS84 geometries into valid METRIC_CRS geometries (one cached transformer)."""

    def __init__(self) -> None:
        self._tr = _transformer(WGS84, METRIC_CRS)

    def geom(self, g) -> shapely.Geometry:
        """A shapely geometry (WGS84) in METRIC_CRS, made valid."""

        def fn(a: np.ndarray) -> np.ndarray:
            x, y = self._tr.transform(a[:, 0], a[:, 1])
            return np.column_stack([x, y])

        return shapely.make_valid(shapely.transform(g, fn))

    def geojson(self, geometry: dict) -> shapely.Geometry:
        """A GeoJSON geometry dict (WGS84) in METRIC_CRS, made valid."""
        return self.geom(shape(geometry))


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Intersection over union of two areal geometries (0 when both are empty)."""
    union = shapely.area(shapely.union(a, b))
    return float(shapely.area(shapely.intersection(a, b)) / union) if union > 0 else 0.0


def fill_holes(g: shapely.Geometry, max_area_m2: float | None = None) -> shapely.Geometry:
    """Remove the interior rings of ``g`` smaller than ``max_area_m2`` (None: all of them)."""
    out = []
    for part in shapely.get_parts(g):
        if part.geom_type != "Polygon":
            continue
        keep = (
            []
            if max_area_m2 is None
            else [r for r in part.interiors if shapely.area(shapely.Polygon(r)) >= max_area_m2]
        )
        out.append(shapely.Polygon(part.exterior, keep))
    return shapely.union_all(out) if out else shapely.Polygon()


def road_agreement(a: shapely.Geometry, b: shapely.Geometry, roads: np.ndarray) -> dict:
    """Which road samples lie in ``a`` (bereik), in ``b`` (peer), in both.

    ``jaccard`` is the road length in both over the road length in either; ``only_a`` and
    ``only_b`` are the shares of that union covered by one polygon only.
    """
    ia = shapely.contains_xy(a, roads[:, 0], roads[:, 1])
    ib = shapely.contains_xy(b, roads[:, 0], roads[:, 1])
    either = int((ia | ib).sum())
    if either == 0:
        return {"jaccard": float("nan"), "only_a": float("nan"), "only_b": float("nan")}
    return {
        "jaccard": float((ia & ib).sum() / either),
        "only_a": float((ia & ~ib).sum() / either),
        "only_b": float((ib & ~ia).sum() / either),
    }


def stats(values, *, scale: float = 1.0) -> dict[str, float | int]:
    """Median, p10, p90, mean, min, max and n of the finite values (times ``scale``)."""
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)] * scale
    if len(v) == 0:
        return {"n": 0}
    return {
        "n": len(v),
        "median": float(np.median(v)),
        "p10": float(np.percentile(v, 10)),
        "p90": float(np.percentile(v, 90)),
        "mean": float(v.mean()),
        "min": float(v.min()),
        "max": float(v.max()),
    }


def replicate(net, k: int):
    """``k`` disjoint copies of ``net`` in one Network (same coordinates, nodes offset).

    A search from a point reaches exactly what it reaches on ``net`` (the copies are not
    connected), so the time of a request on the copy shows which per-request work grows with
    the size of the whole network rather than with the part that is reached.
    """
    from accessibility.network import Network

    if k == 1:
        return net
    n, m, c = net.n_nodes, net.n_edges, len(net.coord_x)

    def tile(a: np.ndarray) -> np.ndarray:
        return np.tile(a, k)

    on = np.repeat(np.arange(k, dtype=np.int64) * n, m)
    oc = np.repeat(np.arange(k, dtype=np.int64) * c, m)
    return Network(
        profile=net.profile,
        crs=net.crs,
        node_osmid=tile(net.node_osmid),
        node_x=tile(net.node_x),
        node_y=tile(net.node_y),
        edge_u=tile(net.edge_u) + on,
        edge_v=tile(net.edge_v) + on,
        edge_length_m=tile(net.edge_length_m),
        edge_speed_kph=tile(net.edge_speed_kph),
        edge_forward=tile(net.edge_forward),
        edge_backward=tile(net.edge_backward),
        edge_way_id=tile(net.edge_way_id),
        edge_highway=tile(net.edge_highway),
        edge_name=tile(net.edge_name),
        edge_geom_start=tile(net.edge_geom_start) + oc,
        edge_geom_end=tile(net.edge_geom_end) + oc,
        coord_x=tile(net.coord_x),
        coord_y=tile(net.coord_y),
    )
