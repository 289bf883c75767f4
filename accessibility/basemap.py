"""The basemap: water, land use, built-up areas and place names from the build's own extract.

The web map needs a background that works offline. This module draws one from the OSM file
the build already reads, in one more streaming pass with pyosmium (areas assembled from
closed ways and ``type=multipolygon`` relations by osmium's area handler, as
:mod:`accessibility.osm` does for points of interest), into a small table of display
geometries: a ``kind`` per feature (:data:`KINDS`), a ``name`` for places and named water,
and a ``rank`` (1 city .. 5 hamlet) for places.

The tag rules are data, in one place: :data:`AREA_RULES`, :data:`LINE_RULES` and
:data:`PLACE_RANKS` (a dict, not a TOML file: the build's cache key covers this module's
source, so a changed rule means a new build). The first kind whose rule matches wins, so
``natural=water`` inside a ``landuse=forest`` relation is water.

Geometries are for display: simplified by :data:`SIMPLIFY_M` in the build's metric CRS,
parts and holes smaller than :data:`MIN_AREA_M2` dropped. A multipolygon osmium cannot
assemble (a ring that does not close, a member missing from the extract) is skipped and
counted, never an error. ``built_up`` is one outline per settlement: the residential and
industrial areas closed by :data:`BUILT_UP_CLOSING_M` (grown, merged, shrunk back), for
the low zoom levels where the land-use patches are too small to read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessibility.crs import WGS84, choose_metric_crs, to_metric, to_wgs84
from accessibility.errors import OsmReadError
from accessibility.layout import BuildLayout
from accessibility.osm import check_extract, feed
from accessibility.writer import gpkg_layer

log = logging.getLogger(__name__)

#: every kind of the basemap, in drawing order (bottom to top); the contract of GET /basemap
KINDS = (
    "built_up", "farmland", "grass", "forest", "wetland", "residential", "industrial",
    "water", "waterway", "place",
)  # fmt: skip
#: area kinds and the tags that make them (a tag matches when its value is listed); the
#: first kind that matches wins
AREA_RULES: dict[str, dict[str, tuple[str, ...]]] = {
    "water": {"natural": ("water",), "waterway": ("riverbank",),
              "landuse": ("reservoir", "basin")},
    "wetland": {"natural": ("wetland",)},
    "forest": {"landuse": ("forest",), "natural": ("wood",)},
    # open green land: Drenthe's heaths (Dwingelderveld, Fochteloërveen) and pastures too
    "grass": {"landuse": ("grass", "meadow", "village_green", "recreation_ground"),
              "leisure": ("park",), "natural": ("grassland", "heath")},
    "farmland": {"landuse": ("farmland", "farmyard", "orchard", "vineyard", "plant_nursery",
                             "greenhouse_horticulture")},
    "residential": {"landuse": ("residential",)},
    "industrial": {"landuse": ("industrial", "commercial", "retail")},
}  # fmt: skip
#: line kinds (open or closed ways; never areas)
LINE_RULES: dict[str, dict[str, tuple[str, ...]]] = {
    "waterway": {"waterway": ("river", "canal", "stream")},
}
#: ``place=*`` nodes kept as labels and their rank (1 most important); a village (a kern of
#: its own) ranks above a suburb (part of a town); nodes without a name are left out
PLACE_RANKS: dict[str, int] = {"city": 1, "town": 2, "village": 3, "suburb": 4, "hamlet": 5}
#: kinds that carry their ``name`` (places always do); the others have none
NAMED_KINDS = ("water", "waterway")
#: the areas whose closed union is the built-up outline
BUILT_UP_FROM = ("residential", "industrial")

#: display tolerance: vertices closer than this to the simplified outline go (metres)
SIMPLIFY_M = 5.0
#: parts and holes of areas below this are dropped (0.1 ha: a 30 x 30 m pond stays)
MIN_AREA_M2 = 1_000.0
#: built-up outline: residential and industrial areas grown and shrunk by this (metres), so
#: blocks across a street merge into one settlement
BUILT_UP_CLOSING_M = 50.0
#: built-up outlines below this (5 ha) are left out
BUILT_UP_MIN_AREA_M2 = 50_000.0
#: the columns of the basemap table, besides ``geometry``
COLUMNS = ("kind", "name", "rank")
#: GeoPackage layers of the basemap, one geometry type each (as QGIS wants a layer)
GPKG_LAYERS = {"basemap_areas": "MultiPolygon", "basemap_lines": "LineString",
               "basemap_places": "Point"}  # fmt: skip

_POLYGON = 3  # shapely type ids
_LINE_NODES = 2  # a line needs two nodes
_TYPE_KEY = "type"
_MULTIPOLYGON = "multipolygon"


def _classify(tags: Any, rules: dict[str, dict[str, tuple[str, ...]]]) -> str | None:
    """Return the first kind of ``rules`` whose tags ``tags`` carry, or None."""
    for kind, keys in rules.items():
        for key, values in keys.items():
            if tags.get(key) in values:
                return kind
    return None


def _tag_pairs() -> list[tuple[str, str]]:
    """Every (key, value) pair a basemap object may carry (osmium's TagFilter)."""
    pairs = [(k, v) for rules in (AREA_RULES, LINE_RULES) for keys in rules.values()
             for k, values in keys.items() for v in values]  # fmt: skip
    return pairs + [("place", p) for p in PLACE_RANKS]


def empty_basemap() -> gpd.GeoDataFrame:
    """Return a basemap table without features (the columns and types of a full one)."""
    return gpd.GeoDataFrame(
        {"kind": pd.Series([], dtype=object), "name": pd.Series([], dtype=object),
         "rank": pd.Series([], dtype="Int8")},
        geometry=gpd.GeoSeries([], crs=WGS84),
    )  # fmt: skip


@dataclass(frozen=True)
class Basemap:
    """A build's basemap and what making it counted.

    Attributes
    ----------
    features : gpd.GeoDataFrame
        ``kind, name, rank, geometry`` (WGS84), in drawing order: kinds as :data:`KINDS`,
        larger areas first, places by rank (hamlets first, cities on top).
    stats : dict
        Objects read and skipped: ``areas_read``, ``areas_broken`` (multipolygons or
        closed ways osmium could not assemble), ``areas_too_small``, ``lines_read``,
        ``lines_missing_locations``, ``places_read``, ``places_unnamed``, ``outside_area``.
    """

    features: gpd.GeoDataFrame
    stats: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Features per kind (every kind, in :data:`KINDS` order)."""
        n = self.features["kind"].value_counts()
        return {k: int(n.get(k, 0)) for k in KINDS}

    def manifest(self) -> dict[str, Any]:
        """Return the manifest entry: features per kind and the counts of what was skipped."""
        return {"features": self.counts(), **self.stats}

    def write(self, lay: BuildLayout) -> None:
        """Write ``basemap.parquet`` and the GeoPackage layers :data:`GPKG_LAYERS`.

        A layer without features is not written (the Heidelberg extract has no lines); a
        basemap that failed is not written at all (the service says the build has none).
        """
        if "failed" in self.stats:
            return
        f = self.features
        f.to_parquet(lay.basemap)
        types = f.geom_type.to_numpy()
        for layer, geom_type in GPKG_LAYERS.items():
            part = f[types == geom_type]
            if len(part):
                gpkg_layer(part, lay.geopackage, layer)


class _BasemapCollector:
    """Rows gathered in one pass: areas and lines as WKB, places as points.

    ``bbox`` (minlon, minlat, maxlon, maxlat): objects whose first node lies outside are
    skipped before their geometry is built (a national extract built for one province).
    """

    def __init__(self, bbox: tuple[float, float, float, float] | None = None) -> None:
        import osmium

        self.wkb = osmium.geom.WKBFactory()
        self.location_errors = (osmium.InvalidLocationError, RuntimeError)
        self.bbox = bbox
        self.area_kind: list[str] = []
        self.area_name: list[str | None] = []
        self.area_wkb: list[str] = []
        self.line_kind: list[str] = []
        self.line_name: list[str | None] = []
        self.line_wkb: list[str] = []
        self.place_rows: list[tuple[float, float, str, int]] = []
        self.expected = {"ways": 0, "relations": 0}
        self.assembled = {"ways": 0, "relations": 0}
        self.stats = {
            "areas_read": 0, "areas_broken": 0, "areas_too_small": 0, "lines_read": 0,
            "lines_missing_locations": 0, "places_read": 0, "places_unnamed": 0,
            "outside_area": 0,
        }  # fmt: skip

    def _outside(self, loc: Any) -> bool:
        """Tell whether a node location lies outside the bbox (counted)."""
        b = self.bbox
        if b is None or not loc.valid():
            return False
        out = not (b[0] <= loc.lon <= b[2] and b[1] <= loc.lat <= b[3])
        self.stats["outside_area"] += out
        return out

    def node(self, obj: Any) -> None:
        """Keep a ``place=*`` node of :data:`PLACE_RANKS` with its name (``name:nl`` first)."""
        tags = obj.tags
        rank = PLACE_RANKS.get(tags.get("place"))
        loc = obj.location
        if rank is None or not loc.valid() or self._outside(loc):
            return
        name = tags.get("name:nl") or tags.get("name")
        if not name:
            self.stats["places_unnamed"] += 1
            return
        self.place_rows.append((loc.lon, loc.lat, name, rank))

    def way(self, obj: Any) -> None:
        """Keep a waterway line; count a closed way that should come back as an area."""
        tags = obj.tags
        if obj.is_closed() and _classify(tags, AREA_RULES) is not None:
            self.expected["ways"] += 1
        kind = _classify(tags, LINE_RULES)
        if kind is None or len(obj.nodes) < _LINE_NODES or self._outside(obj.nodes[0].location):
            return
        try:
            self.line_wkb.append(self.wkb.create_linestring(obj))
        except self.location_errors:
            self.stats["lines_missing_locations"] += 1
            return
        self.line_kind.append(kind)
        self.line_name.append(_name(tags, kind))

    def relation(self, obj: Any) -> None:
        """Count a ``type=multipolygon`` relation that should come back as an area."""
        tags = obj.tags
        if tags.get(_TYPE_KEY) == _MULTIPOLYGON and _classify(tags, AREA_RULES) is not None:
            self.expected["relations"] += 1

    def area(self, obj: Any) -> None:
        """Keep an assembled area of an area kind as WKB (skipped and counted when broken)."""
        tags = obj.tags
        kind = _classify(tags, AREA_RULES)
        if kind is None:
            return
        self.assembled["ways" if obj.from_way() else "relations"] += 1
        first = next(iter(obj.outer_rings()), None)
        if first is None or len(first) == 0:
            self.stats["areas_broken"] += 1
            return
        if self._outside(first[0].location):
            return
        try:
            self.area_wkb.append(self.wkb.create_multipolygon(obj))
        except self.location_errors:
            self.stats["areas_broken"] += 1
            return
        self.area_kind.append(kind)
        self.area_name.append(_name(tags, kind))

    def finish(self) -> None:
        """Count the areas osmium did not assemble (broken rings, members not in the file)."""
        for origin, n in self.expected.items():
            self.stats["areas_broken"] += max(0, n - self.assembled[origin])
        self.stats["areas_read"] = len(self.area_wkb)
        self.stats["lines_read"] = len(self.line_wkb)
        self.stats["places_read"] = len(self.place_rows)

    def rows(self) -> tuple[_Rows, _Rows, _Rows]:
        """Return the areas, lines and places read, as WGS84 geometries."""
        areas = _Rows(_geometries(self.area_wkb), self.area_kind, self.area_name)
        lines = _Rows(_geometries(self.line_wkb), self.line_kind, self.line_name)
        pts = self.place_rows
        xy = np.array([(r[0], r[1]) for r in pts], dtype=float).reshape(-1, 2)
        places = _Rows(shapely.points(xy) if len(xy) else _geometries([]), ["place"] * len(pts),
                       [r[2] for r in pts], [r[3] for r in pts])  # fmt: skip
        return areas, lines, places


@dataclass(frozen=True)
class _Rows:
    """Basemap features on their way to the table: geometries and their columns."""

    geoms: np.ndarray
    kind: Any
    name: Any
    rank: Any = None
    size: Any = None  # area in m² (areas), for the drawing order

    def __post_init__(self) -> None:
        n = len(self.geoms)
        obj = object.__setattr__
        obj(self, "geoms", np.asarray(self.geoms, dtype=object).reshape(n))
        obj(self, "kind", np.asarray(self.kind, dtype=object).reshape(n))
        obj(self, "name", np.asarray(self.name, dtype=object).reshape(n))
        rank = np.full(n, np.nan) if self.rank is None else self.rank
        obj(self, "rank", np.asarray(rank, dtype=float).reshape(n))
        obj(self, "size", np.asarray(np.zeros(n) if self.size is None else self.size, dtype=float))

    def take(self, keep: np.ndarray) -> _Rows:
        """Return the rows where ``keep`` is true."""
        return _Rows(self.geoms[keep], self.kind[keep], self.name[keep], self.rank[keep],
                     self.size[keep])  # fmt: skip

    def with_geoms(self, geoms: np.ndarray, *, size: Any = None) -> _Rows:
        """Return the same rows with other geometries (and sizes)."""
        return _Rows(geoms, self.kind, self.name, self.rank,
                     self.size if size is None else size)  # fmt: skip

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        """Join rows, in the order given."""
        return _Rows(*(np.concatenate([getattr(r, f) for r in parts])
                       for f in ("geoms", "kind", "name", "rank", "size")))  # fmt: skip


def _name(tags: Any, kind: str) -> str | None:
    """``name:nl``, else ``name``, of a kind that carries names; None for the others."""
    if kind not in NAMED_KINDS:
        return None
    return tags.get("name:nl") or tags.get("name") or None


def _read(path: Path, bbox: tuple[float, float, float, float] | None) -> _BasemapCollector:
    """One pyosmium pass over the extract, keeping only basemap tags."""
    import osmium

    pairs = _tag_pairs()
    area_pairs = [(k, v) for keys in AREA_RULES.values() for k, vs in keys.items() for v in vs]
    fp = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas(osmium.filter.TagFilter(*area_pairs))
        .with_filter(osmium.filter.TagFilter(*pairs))
    )
    c = _BasemapCollector(bbox)
    try:
        feed(fp, c)
    except (RuntimeError, ValueError, OSError) as exc:
        msg = f"{path}: cannot read the OSM data for the basemap ({exc})"
        raise OsmReadError(msg) from exc
    c.finish()
    return c


def build_basemap(
    path: str | Path,
    *,
    crs: str | None = None,
    within: shapely.Geometry | None = None,
    simplify_m: float = SIMPLIFY_M,
    min_area_m2: float = MIN_AREA_M2,
) -> Basemap:
    """Read the basemap of an OSM extract: water, land use, built-up areas and places.

    Parameters
    ----------
    path
        The extract (.osm.pbf, .osm, ...), as the build reads it.
    crs
        The metric CRS to simplify in (the build's); default: chosen from the data.
    within
        A WGS84 polygon (the build's buffered area): only features touching it are kept.
    simplify_m, min_area_m2
        Display tolerance and the smallest part or hole kept (see the module notes).

    Raises
    ------
    OsmReadError
        When the file is missing or unreadable (a broken object is skipped, not raised).
    """
    p = check_extract(path)
    bbox = None if within is None else tuple(shapely.bounds(within).tolist())
    c = _read(p, bbox)  # type: ignore[arg-type]
    areas, lines, places = c.rows()
    if within is not None:  # whole features touching the area; the bbox was a first cut
        shapely.prepare(within)
        kept = [r.take(shapely.intersects(within, r.geoms)) for r in (areas, lines, places)]
        c.stats["outside_area"] += sum(len(r.geoms) - len(k.geoms)
                                       for r, k in zip((areas, lines, places), kept,
                                                       strict=True))  # fmt: skip
        areas, lines, places = kept
    crs = crs or _metric_crs([areas.geoms, lines.geoms, places.geoms])
    metric = _display_geometries(areas, lines, crs, simplify_m, min_area_m2, c.stats)
    rows = _Rows.concat([metric.with_geoms(_project(metric.geoms, crs, inverse=True)), places])
    # drawing order: kinds as KINDS, larger areas below smaller, hamlets below cities
    order = np.lexsort((-np.nan_to_num(rows.rank), -rows.size, _kind_index(rows.kind)))
    rows = rows.take(order)
    frame = gpd.GeoDataFrame(
        {"kind": rows.kind, "name": rows.name,
         "rank": pd.array(rows.rank, dtype="Float64").astype("Int8")},
        geometry=gpd.GeoSeries(rows.geoms, crs=WGS84),
    )  # fmt: skip
    log.info("basemap: %s", ", ".join(f"{k} {n}" for k, n in
                                      frame["kind"].value_counts().items()))  # fmt: skip
    return Basemap(frame, c.stats)


def _display_geometries(areas: _Rows, lines: _Rows, crs: str, simplify_m: float,
                        min_area_m2: float, stats: dict[str, int]) -> _Rows:  # fmt: skip
    """Areas and lines simplified in the metric ``crs``, with the built-up outlines."""
    tidy = tidy_areas(_project(areas.geoms, crs), simplify_m, min_area_m2)
    ok = ~shapely.is_missing(tidy)
    stats["areas_too_small"] = int((~ok).sum())
    areas = areas.take(ok).with_geoms(tidy[ok], size=shapely.area(tidy[ok]))
    outlines = built_up_outlines(areas.geoms[np.isin(areas.kind, BUILT_UP_FROM)], simplify_m)
    n = len(outlines)
    built = _Rows(outlines, ["built_up"] * n, [None] * n, size=shapely.area(outlines))
    simple = shapely.simplify(_project(lines.geoms, crs), simplify_m)
    lines = lines.with_geoms(simple).take(~shapely.is_empty(simple))
    return _Rows.concat([built, areas, lines])


def _geometries(wkbs: list[str]) -> np.ndarray:
    """Shapely geometries of pyosmium's (hex) WKB, as an object array."""
    if not wkbs:
        return np.array([], dtype=object)
    return np.asarray(shapely.from_wkb(wkbs), dtype=object)


def _metric_crs(parts: list[np.ndarray]) -> str:
    """Choose the metric CRS for the basemap's geometries (WGS84 if there is nothing)."""
    coords = np.vstack([shapely.get_coordinates(g) for g in parts if len(g)] or [np.zeros((0, 2))])
    if not len(coords):
        return WGS84
    return choose_metric_crs(coords[:, 0], coords[:, 1])


def _project(geoms: np.ndarray, crs: str, *, inverse: bool = False) -> np.ndarray:
    """Geometries from WGS84 into ``crs`` (or back with ``inverse``)."""
    if not len(geoms) or crs == WGS84:
        return geoms
    f = to_wgs84 if inverse else to_metric
    return shapely.transform(geoms, lambda x, y: f(x, y, crs), interleaved=False)


def _kind_index(kind: np.ndarray) -> np.ndarray:
    lookup = {k: i for i, k in enumerate(KINDS)}
    return np.array([lookup[k] for k in kind], dtype=np.int64)


def tidy_areas(geoms: np.ndarray, simplify_m: float, min_area_m2: float) -> np.ndarray:
    """Simplified, valid (multi)polygons without parts or holes below ``min_area_m2``.

    Metric geometries in, MultiPolygons out (None where nothing is left).
    """
    out = np.full(len(geoms), None, dtype=object)
    if not len(geoms):
        return out
    g = shapely.simplify(np.asarray(geoms, dtype=object), simplify_m, preserve_topology=True)
    bad = ~shapely.is_valid(g)
    if bad.any():
        g[bad] = shapely.make_valid(g[bad])
    parts, owner = shapely.get_parts(g, return_index=True)
    parts, sub = shapely.get_parts(parts, return_index=True)  # collections of make_valid
    owner = owner[sub]
    keep = (shapely.get_type_id(parts) == _POLYGON) & (shapely.area(parts) >= min_area_m2)
    parts, owner = parts[keep], owner[keep]
    if not len(parts):
        return out
    rings, part_of = shapely.get_rings(parts, return_index=True)
    shell = np.r_[True, part_of[1:] != part_of[:-1]]
    big = shapely.area(shapely.polygons(rings)) >= min_area_m2
    keep_ring = shell | big
    parts = shapely.polygons(rings[keep_ring], indices=part_of[keep_ring])
    return shapely.multipolygons(parts, indices=owner, out=out)


def built_up_outlines(areas: np.ndarray, simplify_m: float = SIMPLIFY_M) -> np.ndarray:
    """One polygon per settlement: the areas grown, merged and shrunk back (metric).

    Outlines below :data:`BUILT_UP_MIN_AREA_M2` are left out.
    """
    if not len(areas):
        return np.array([], dtype=object)
    d = BUILT_UP_CLOSING_M
    # mitred corners: a block grown and shrunk back keeps its square corners
    grown = shapely.union_all(shapely.buffer(areas, d, join_style="mitre", mitre_limit=2.0))
    closed = shapely.buffer(grown, -d, join_style="mitre", mitre_limit=2.0)
    parts = shapely.get_parts(closed)
    parts = parts[shapely.area(parts) >= BUILT_UP_MIN_AREA_M2]
    tidy = tidy_areas(parts, 2 * simplify_m, MIN_AREA_M2 * 10)
    return tidy[~shapely.is_missing(tidy)]


def load_basemap(path: str | Path) -> gpd.GeoDataFrame | None:
    """Read a build's basemap file; None when the build has none (made before basemaps)."""
    p = Path(path)
    if not p.exists():
        return None
    return gpd.read_parquet(p)


def basemap_mask(
    gdf: gpd.GeoDataFrame,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    kinds: tuple[str, ...] | None = None,
) -> np.ndarray:
    """Rows of a basemap of the ``kinds`` (all when None) touching ``bbox`` (WGS84)."""
    keep = np.ones(len(gdf), dtype=bool)
    if kinds is not None:
        keep &= gdf["kind"].isin(kinds).to_numpy(dtype=bool)
    if bbox is not None:
        geoms = gdf.geometry.to_numpy()
        keep[keep] = shapely.intersects(geoms[keep], shapely.box(*bbox))
    return keep
