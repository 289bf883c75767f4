"""Read an OpenStreetMap extract in one streaming pass with pyosmium.

Reads .osm.pbf, .osm, .osm.bz2 and .osm.gz files from disk; never touches the network.
What comes out is plain arrays and tables: highway ways (node ids and WGS84 coordinates),
points of interest (nodes, and ways/areas by centroid), places and administrative
boundaries, and on request (``buildings=True``) address nodes and building outlines. The
network, facilities, villages and origins modules turn them into the model.
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

from accessibility.crs import WGS84
from accessibility.errors import OsmReadError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")

#: way tags kept for routing (everything else is dropped while reading)
HIGHWAY_KEYS = (
    "highway",
    "name",
    "ref",
    "oneway",
    "oneway:bicycle",
    "junction",
    "maxspeed",
    "access",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "bicycle",
    "foot",
    "service",
    "area",
    "cycleway",
    "cycleway:left",
    "cycleway:right",
    "cycleway:both",
    "sidewalk",
    "route",
    "duration",
    "railway",
    "public_transport",
    "surface",
    "tracktype",
    "smoothness",
    "motorroad",
    # access in one direction only (vehicle:backward=no); the profiles read them
    *(f"{k}:{d}" for k in ("access", "vehicle", "motor_vehicle", "motorcar", "bicycle", "foot")
      for d in ("forward", "backward")),
)  # fmt: skip

#: tag values that make a way without ``highway=*`` routable: ferries and platforms
ROUTABLE_WITHOUT_HIGHWAY = {
    "route": ("ferry",),
    "railway": ("platform",),
    "public_transport": ("platform",),
}
#: node tags that may stop a mode (a bollard, a gate, access=no on a node); a node is kept
#: when it has ``barrier`` or one of the access keys (see profiles.toml ``barriers_*``)
BARRIER_KEYS = ("barrier", "bollard", "kerb", "sensory", "highway")
NODE_ACCESS_KEYS = ("access", "vehicle", "motor_vehicle", "motorcar", "bicycle", "foot")
#: relation ``type`` values read as turn restrictions (``restriction:hgv`` etc. included)
RESTRICTION_TYPE = "restriction"

#: a way needs two located nodes to be a road
MIN_WAY_NODES = 2

#: place=* values read as villages by default (CBS "kernen" are towns, villages and hamlets)
DEFAULT_PLACE_TYPES = ("city", "town", "village", "hamlet")
#: a closed way needs four nodes (the first repeated last) to be a building outline
MIN_RING_NODES = 4
ADDRESS_KEY = "addr:housenumber"


def _empty_addresses(rows: list[tuple] | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows or [], columns=["osm_id", "lon", "lat", "flats"])


def _empty_buildings(geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"osm_id": [], "building": [], "has_address": [], "flats": []},
        geometry=gpd.GeoSeries(geoms, crs=WGS84),
    )


@dataclass(frozen=True)
class Restriction:
    """A turn-restriction relation as tagged: its tags and the way/node ids of its roles.

    Whether it is well formed and which profiles it binds is decided later
    (:mod:`accessibility.turns`); here nothing is dropped but relations of another type.
    """

    osm_id: int
    tags: dict[str, str]
    from_ways: tuple[int, ...]
    via_nodes: tuple[int, ...]
    via_ways: tuple[int, ...]
    to_ways: tuple[int, ...]


def _routable(tags) -> bool:
    """Tell whether a way is a road: ``highway=*``, or a ferry or platform without it."""
    if "highway" in tags:
        return True
    return any(tags.get(k) in values for k, values in ROUTABLE_WITHOUT_HIGHWAY.items())


@dataclass(frozen=True)
class OsmData:
    """What one pass over an extract yields.

    Attributes
    ----------
    path : Path
        The extract.
    way_ids, way_offsets : np.ndarray
        Highway way ids and offsets into the flat node arrays (``len(way_ids) + 1``).
    way_tags : list of dict
        Routing tags per highway way (see :data:`HIGHWAY_KEYS`).
    node_refs, node_lon, node_lat : np.ndarray
        Flat node ids and WGS84 coordinates of all highway ways, way after way.
    pois : pd.DataFrame
        ``osm_type, osm_id, lon, lat, name, tags`` (``tags`` a dict) of every object that
        carries one of the point-of-interest keys.
    places : pd.DataFrame
        ``osm_id, name, place, population_tag, lon, lat`` of ``place=*`` nodes.
    boundaries : gpd.GeoDataFrame
        ``osm_type, osm_id, name, admin_level, geometry`` (WGS84) of administrative areas.
    addresses : pd.DataFrame
        ``osm_id, lon, lat, flats`` of nodes with ``addr:housenumber`` (``flats`` is the
        ``building:flats`` tag or None); empty unless read with ``buildings=True``.
    buildings : gpd.GeoDataFrame
        ``osm_id, building, has_address, flats, geometry`` (WGS84 polygons) of closed ways
        tagged ``building=*``; empty unless read with ``buildings=True``.
    restrictions : list of Restriction
        ``type=restriction*`` relations (turn restrictions), as tagged.
    barriers : dict
        Node id -> tags (:data:`BARRIER_KEYS` and :data:`NODE_ACCESS_KEYS`) of nodes with a
        ``barrier`` or an access tag; which of them stop which profile is profile data.
    replication_timestamp : str or None
        ``osmosis_replication_timestamp`` from the file header.
    stats : dict
        Counts of what was read and skipped (missing node locations, degenerate ways).
    """

    path: Path
    way_ids: np.ndarray
    way_offsets: np.ndarray
    way_tags: list[dict[str, str]]
    node_refs: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    pois: pd.DataFrame
    places: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    replication_timestamp: str | None
    stats: dict[str, int] = field(default_factory=dict)
    addresses: pd.DataFrame = field(default_factory=_empty_addresses)
    buildings: gpd.GeoDataFrame = field(default_factory=lambda: _empty_buildings([]))
    restrictions: list[Restriction] = field(default_factory=list)
    barriers: dict[int, dict[str, str]] = field(default_factory=dict)

    @property
    def n_ways(self) -> int:
        """Number of highway ways (after splitting at missing nodes)."""
        return len(self.way_ids)


def _way_refs(nodes) -> list[int]:
    """Node ids of a way; uses pyosmium's low-level list when available (2x faster)."""
    try:
        lst, data = nodes._list, nodes._pyosmium_data
        get = lst.get
        return [get(data, i).ref for i in range(lst.size(data))]
    except AttributeError:  # pragma: no cover - other pyosmium versions
        return [n.ref for n in nodes]


def _decode_linestrings(wkbs: list[str | bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (k x 2) and point counts of WKB linestrings, decoded with numpy.

    pyosmium writes little-endian 2D WKB (hex); anything else goes through shapely.
    """
    if not wkbs:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    raw = [bytes.fromhex(w) if isinstance(w, str) else w for w in wkbs]
    simple = all(r[0] == 1 and r[1:5] == b"\x02\x00\x00\x00" for r in raw)
    if not simple:
        lines = shapely.from_wkb(raw)
        return shapely.get_coordinates(lines), shapely.get_num_coordinates(lines)
    counts = np.array([int.from_bytes(r[5:9], "little") for r in raw], dtype=np.int64)
    coords = np.frombuffer(b"".join(r[9:] for r in raw), dtype="<f8").reshape(-1, 2)
    return coords, counts


def check_extract(path: str | Path) -> Path:
    """Check that ``path`` names a readable, non-empty OSM file; return it as a Path.

    Raises
    ------
    OsmReadError
        With one line naming the file and the problem.
    """
    p = Path(path)
    name = p.name.lower()
    if not p.exists():
        msg = f"{p}: no such file (expected an OSM extract such as drenthe-latest.osm.pbf)"
        raise OsmReadError(msg)
    if p.is_dir():
        msg = f"{p}: is a folder, expected an OSM extract file (.osm.pbf, .osm, .osm.bz2)"
        raise OsmReadError(msg)
    if not name.endswith(SUPPORTED_SUFFIXES):
        msg = (
            f"{p}: unsupported file type {p.suffix!r}, expected one of "
            f"{', '.join(SUPPORTED_SUFFIXES)}"
        )
        raise OsmReadError(msg)
    if p.stat().st_size == 0:
        msg = f"{p}: the file is empty (0 bytes); download the extract again"
        raise OsmReadError(msg)
    return p


def _header(p: Path):
    import osmium

    try:
        reader = osmium.io.Reader(str(p), osmium.osm.osm_entity_bits.NOTHING)
        try:
            return reader.header()
        finally:
            reader.close()
    except (RuntimeError, ValueError) as exc:
        msg = f"{p}: not a readable OSM file ({exc})"
        raise OsmReadError(msg) from exc


_PROGRESS_STEP = 20000  # objects per progress-bar update


class _OsmCollector:
    """Rows gathered in one streaming pass, with one method per OSM element kind.

    :func:`read_osm` hands every object of the file to :meth:`node`, :meth:`way` or
    :meth:`area`; :meth:`result` turns the rows into an :class:`OsmData`. The methods run
    once per object, so they keep attribute lookups and allocations to what is needed.

    Parameters
    ----------
    poi_keys : tuple of str
        Tag keys that make an object a point of interest.
    place_types : tuple of str
        ``place=*`` values kept as places.
    buildings : bool
        Also collect address nodes and building outlines (origins of residents).
    """

    def __init__(
        self, poi_keys: tuple[str, ...], place_types: tuple[str, ...], *, buildings: bool = False
    ) -> None:
        import osmium

        # highway is on every road: as a POI key it only collects motorway junctions
        self.poi_key_set = set(poi_keys) - {"highway"}
        self.junctions = "highway" in poi_keys
        self.place_set = set(place_types)
        self.wkb = osmium.geom.WKBFactory()
        self.all_nodes = osmium.geom.use_nodes.ALL
        self.location_errors = (osmium.InvalidLocationError, RuntimeError)
        self.way_ids: list[int] = []
        self.way_tags: list[dict[str, str]] = []
        self.refs: list[int] = []
        self.way_wkb: list[str | bytes] = []  # one linestring per way run, decoded at the end
        self.poi_rows: list[tuple] = []
        self.place_rows: list[tuple] = []
        self.bnd_rows: list[tuple] = []
        self.restrictions: list[Restriction] = []
        self.barriers: dict[int, dict[str, str]] = {}
        self.buildings = buildings
        self.addr_rows: list[tuple] = []
        self.building_rows: list[tuple] = []
        self.building_wkb: list[str | bytes] = []
        self.stats = {
            "highway_ways": 0,
            "missing_locations": 0,
            "ways_split_at_missing": 0,
            "ways_dropped_too_short": 0,
            "poi_areas_unassembled": 0,
        }
        if buildings:
            self.stats.update(buildings_not_closed=0, buildings_missing_locations=0)

    def node(self, obj) -> None:
        """Collect a located node as a place and/or a point of interest.

        Parameters
        ----------
        obj : osmium.osm.Node
            A tagged node from the file processor.
        """
        loc = obj.location
        if not loc.valid():
            return
        tags = obj.tags
        if "barrier" in tags or any(k in tags for k in NODE_ACCESS_KEYS):
            keep = (*BARRIER_KEYS, *NODE_ACCESS_KEYS)
            self.barriers[obj.id] = {k: tags[k] for k in keep if k in tags}
        if "place" in tags and tags["place"] in self.place_set:
            self.place_rows.append(
                (obj.id, tags.get("name"), tags["place"], tags.get("population"), loc.lon, loc.lat)
            )
        if any(k in tags for k in self.poi_key_set) or (
            self.junctions and tags.get("highway") == "motorway_junction"
        ):
            self.poi_rows.append(("node", obj.id, loc.lon, loc.lat, tags.get("name"), dict(tags)))
        if self.buildings and ADDRESS_KEY in tags:
            self.addr_rows.append((obj.id, loc.lon, loc.lat, tags.get("building:flats")))

    def way(self, obj) -> None:
        """Collect a way as a highway and/or, when open, a point of interest at its centroid.

        Closed point-of-interest ways come back as areas (see :meth:`area`).

        Parameters
        ----------
        obj : osmium.osm.Way
            A tagged way, with node locations, from the file processor.
        """
        tags = obj.tags
        if _routable(tags):
            self._highway(obj, tags)
        if any(k in tags for k in self.poi_key_set) and not obj.is_closed():
            self._poi_way(obj, tags)
        if self.buildings and "building" in tags:
            self._building(obj, tags)

    def _building(self, obj, tags) -> None:
        """Keep a closed building way: its type, address and flats tags and its outline."""
        if not obj.is_closed() or len(obj.nodes) < MIN_RING_NODES:
            self.stats["buildings_not_closed"] += 1
            return
        try:
            self.building_wkb.append(self.wkb.create_linestring(obj, use_nodes=self.all_nodes))
        except self.location_errors:
            self.stats["buildings_missing_locations"] += 1
            return
        self.building_rows.append(
            (obj.id, tags["building"], ADDRESS_KEY in tags, tags.get("building:flats"))
        )

    def _highway(self, obj, tags) -> None:
        """Keep a highway way: routing tags, node ids and its coordinates as WKB."""
        stats = self.stats
        stats["highway_ways"] += 1
        wt = {k: tags[k] for k in HIGHWAY_KEYS if k in tags}
        nodes = obj.nodes
        if len(nodes) < MIN_WAY_NODES:
            stats["ways_dropped_too_short"] += 1
            return
        try:  # fast path: coordinates in C++ as WKB, refs in one pass
            self.way_wkb.append(self.wkb.create_linestring(obj, use_nodes=self.all_nodes))
        except self.location_errors:
            self._way_runs(obj.id, wt, nodes)
        else:
            self.way_ids.append(obj.id)
            self.way_tags.append(wt)
            self.refs.extend(_way_refs(nodes))

    def _way_runs(self, wid: int, tags: dict[str, str], nodes) -> None:
        """Slow path for a way with missing node locations: split it into valid runs."""
        stats = self.stats
        run_refs: list[int] = []
        run_xy: list[tuple[float, float]] = []
        runs = []
        for n in nodes:
            loc = n.location
            if loc.valid():
                run_refs.append(n.ref)
                run_xy.append((loc.lon, loc.lat))
            else:
                stats["missing_locations"] += 1
                runs.append((run_refs, run_xy))
                run_refs, run_xy = [], []
        runs.append((run_refs, run_xy))
        if sum(1 for r, _ in runs if r) > 1:
            stats["ways_split_at_missing"] += 1
        for r, xy in runs:
            if len(r) < MIN_WAY_NODES:
                if r:
                    stats["ways_dropped_too_short"] += 1
                continue
            self.way_ids.append(wid)
            self.way_tags.append(tags)
            self.refs.extend(r)
            self.way_wkb.append(shapely.to_wkb(shapely.linestrings(xy)))

    def _poi_way(self, obj, tags) -> None:
        """Keep an open way as a point of interest at the mean of its located nodes."""
        pts = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
        if pts:
            lo, la = np.mean(np.asarray(pts), axis=0)
            self.poi_rows.append(
                ("way", obj.id, float(lo), float(la), tags.get("name"), dict(tags))
            )

    def relation(self, obj) -> None:
        """Collect a turn-restriction relation (its tags and the ids of its members).

        Parameters
        ----------
        obj : osmium.osm.Relation
            A tagged relation from the file processor.
        """
        tags = obj.tags
        if not tags.get("type", "").startswith(RESTRICTION_TYPE):
            return
        roles: dict[tuple[str, str], list[int]] = {}
        for m in obj.members:
            roles.setdefault((m.role, m.type), []).append(m.ref)
        self.restrictions.append(
            Restriction(
                osm_id=obj.id,
                tags=dict(tags),
                from_ways=tuple(roles.get(("from", "w"), ())),
                via_nodes=tuple(roles.get(("via", "n"), ())),
                via_ways=tuple(roles.get(("via", "w"), ())),
                to_ways=tuple(roles.get(("to", "w"), ())),
            )
        )

    def area(self, obj) -> None:
        """Collect an area as a point of interest (centroid) and/or an admin boundary.

        Parameters
        ----------
        obj : osmium.osm.Area
            An area assembled from a closed way or a multipolygon/boundary relation.
        """
        tags = obj.tags
        is_poi = any(k in tags for k in self.poi_key_set)
        is_bnd = tags.get("boundary") == "administrative" and "name" in tags
        if not (is_poi or is_bnd):
            return
        try:
            geom = shapely.from_wkb(self.wkb.create_multipolygon(obj))
        except (RuntimeError, shapely.errors.GEOSException):
            self.stats["poi_areas_unassembled"] += 1
            return
        osm_type = "way" if obj.from_way() else "relation"
        if is_poi:
            c = geom.centroid if geom.is_valid else geom.representative_point()
            self.poi_rows.append((osm_type, obj.orig_id(), c.x, c.y, tags.get("name"), dict(tags)))
        if is_bnd:
            self.bnd_rows.append(
                (osm_type, obj.orig_id(), tags.get("name"), tags.get("admin_level"), geom)
            )

    def result(self, path: Path, timestamp: str | None, n_read: int) -> OsmData:
        """Assemble what was collected into an :class:`OsmData`.

        Parameters
        ----------
        path : Path
            The extract (for the result and for error messages).
        timestamp : str or None
            Replication timestamp from the file header.
        n_read : int
            Number of objects the file processor yielded (for the error message).

        Raises
        ------
        OsmReadError
            When no highway way with coordinates was found.
        """
        if not self.way_ids:
            msg = (
                f"{path}: no highway=* ways with coordinates found ({n_read} tagged objects "
                "read); is this the right extract?"
            )
            raise OsmReadError(msg)
        way_offsets, coords = self._way_coordinates(path)
        pois, places, boundaries = self._tables()
        stats = self.stats
        stats["pois"] = len(pois)
        stats["places"] = len(places)
        stats["boundaries"] = len(boundaries)
        stats["turn_restrictions"] = len(self.restrictions)
        stats["barrier_nodes"] = len(self.barriers)
        extra = {}
        if self.buildings:
            extra = {"addresses": _empty_addresses(self.addr_rows),
                     "buildings": self._building_table()}  # fmt: skip
            stats["address_nodes"] = len(extra["addresses"])
            stats["buildings"] = len(extra["buildings"])
        return OsmData(
            path=path,
            way_ids=np.asarray(self.way_ids, dtype=np.int64),
            way_offsets=way_offsets,
            way_tags=self.way_tags,
            node_refs=np.asarray(self.refs, dtype=np.int64),
            node_lon=np.ascontiguousarray(coords[:, 0], dtype=np.float64),
            node_lat=np.ascontiguousarray(coords[:, 1], dtype=np.float64),
            pois=pois,
            places=places,
            boundaries=boundaries,
            replication_timestamp=timestamp,
            stats=stats,
            restrictions=self.restrictions,
            barriers=self.barriers,
            **extra,
        )

    def _building_table(self) -> gpd.GeoDataFrame:
        """Return the building outlines as WGS84 polygons with their tags."""
        coords, counts = _decode_linestrings(self.building_wkb)
        rings = shapely.linearrings(coords, indices=np.repeat(np.arange(len(counts)), counts))
        out = _empty_buildings(shapely.polygons(rings))
        cols = list(zip(*self.building_rows, strict=True)) or [[], [], [], []]
        for name, values in zip(("osm_id", "building", "has_address", "flats"), cols, strict=True):
            out[name] = list(values)
        return out

    def _way_coordinates(self, path: Path) -> tuple[np.ndarray, np.ndarray]:
        """Way offsets into the flat node arrays and the (k x 2) node coordinates."""
        coords, counts = _decode_linestrings(self.way_wkb)
        if len(coords) != len(self.refs):  # pragma: no cover - would be a pyosmium change
            msg = (
                f"{path}: internal error, {len(coords)} coordinates for {len(self.refs)} way nodes"
            )
            raise OsmReadError(msg)
        return np.r_[0, np.cumsum(counts)].astype(np.int64), coords

    def _tables(self) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
        """Points of interest (deduplicated), places and boundaries as tables."""
        pois = pd.DataFrame(
            self.poi_rows, columns=["osm_type", "osm_id", "lon", "lat", "name", "tags"]
        )
        pois = pois.drop_duplicates(subset=["osm_type", "osm_id"]).reset_index(drop=True)
        places = pd.DataFrame(
            self.place_rows, columns=["osm_id", "name", "place", "population_tag", "lon", "lat"]
        )
        boundaries = gpd.GeoDataFrame(
            self.bnd_rows,
            columns=["osm_type", "osm_id", "name", "admin_level", "geometry"],
            geometry="geometry",
            crs=WGS84,
        )
        return pois, places, boundaries


def _progress_bar():
    """Open a tqdm bar that counts objects read."""
    from tqdm import tqdm

    return tqdm(desc="read OSM", unit=" obj", unit_scale=True, leave=False)


def _file_processor(p: Path, poi_keys: tuple[str, ...], *, buildings: bool = False):
    """Build a pyosmium FileProcessor yielding tagged objects with locations, and areas.

    Only objects with a highway (or a ferry or platform tag), place, boundary, relation type
    or point-of-interest key get through (and
    ``building`` / ``addr:housenumber`` with ``buildings``); areas are assembled for
    boundaries and points of interest only (building outlines come from their ways).
    """
    import osmium

    extra = ("building", ADDRESS_KEY) if buildings else ()
    # type: restriction relations; barrier and access keys: nodes that may stop a mode
    routable = ("highway", *ROUTABLE_WITHOUT_HIGHWAY, "type", "barrier", *NODE_ACCESS_KEYS)
    keys = tuple(sorted({*routable, "place", "boundary", *poi_keys, *extra}))
    area_keys = [k for k in poi_keys if k != "highway"]  # no areas for roads
    return (
        osmium.FileProcessor(str(p))
        .with_locations()
        .with_areas(osmium.filter.KeyFilter("boundary", *area_keys))
        .with_filter(osmium.filter.EmptyTagFilter())
        .with_filter(osmium.filter.KeyFilter(*keys))
    )


def feed(fp: Any, handler: Any, *, bar: Any = None) -> int:
    """Hand every object of a pyosmium ``FileProcessor`` to its ``handler`` method.

    ``handler`` has ``node``, ``way``, ``area`` and ``relation``; ``bar`` (tqdm) advances
    every :data:`_PROGRESS_STEP` objects. Returns how many objects were read.
    """
    node, way, area = handler.node, handler.way, handler.area  # bound once, not per object
    relation = handler.relation
    n_obj = 0
    for obj in fp:
        n_obj += 1
        if bar is not None and n_obj % _PROGRESS_STEP == 0:
            bar.update(_PROGRESS_STEP)
        if obj.is_node():
            node(obj)
        elif obj.is_way():
            way(obj)
        elif obj.is_area():
            area(obj)
        elif obj.is_relation():
            relation(obj)
    return n_obj


def read_osm(
    path: str | Path,
    *,
    poi_keys: tuple[str, ...] = ("amenity", "shop", "healthcare", "leisure"),
    place_types: tuple[str, ...] = DEFAULT_PLACE_TYPES,
    buildings: bool = False,
    progress: bool = False,
) -> OsmData:
    """Read highways, POIs, places and admin boundaries from an extract in one pass.

    Parameters
    ----------
    path
        An .osm.pbf, .osm, .osm.bz2 or .osm.gz file.
    poi_keys
        Tag keys that make an object a facility candidate (see ``categories.toml``).
    place_types
        ``place=*`` values read as villages.
    buildings
        Also read address nodes and building outlines (the origins of residents).
    progress
        Show a progress bar (objects read).

    Raises
    ------
    OsmReadError
        Missing, empty, truncated or non-OSM file; or a file without any highway.
    """
    p = check_extract(path)
    timestamp = _header(p).get("osmosis_replication_timestamp") or None
    collector = _OsmCollector(poi_keys, place_types, buildings=buildings)
    bar = _progress_bar() if progress else None
    fp = _file_processor(p, poi_keys, buildings=buildings)
    n_obj = 0
    try:
        n_obj = feed(fp, collector, bar=bar)
    except (RuntimeError, ValueError, OSError) as exc:
        msg = f"{p}: cannot read the OSM data, the file looks truncated or corrupt ({exc})"
        raise OsmReadError(msg) from exc
    finally:
        if bar is not None:
            bar.update(n_obj % _PROGRESS_STEP)
            bar.close()
    return collector.result(p, timestamp, n_obj)
