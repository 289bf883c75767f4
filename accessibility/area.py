"""The study area: report only its villages and residents, route beyond its border.

``bereik build drenthe.osm.pbf --area Drenthe --buffer-km 20`` keeps the villages, the
addresses (origins) and the municipalities inside the area, and the roads and facilities
within the area plus the buffer, so that a border village finds its GP across the
provincial border while only area residents are reported. The area is a polygon file
(GeoJSON, GeoPackage, ...: the union of its features) or the name of an administrative
boundary in the extract.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from accessibility.crs import WGS84, to_metric, to_wgs84
from accessibility.errors import InputFileError
from accessibility.inputs import open_vector_file
from accessibility.osm import OsmData


@dataclass(frozen=True, eq=False)
class Area:
    """The area (what is reported) and the area plus buffer (what is routed), WGS84."""

    name: str
    polygon: shapely.Geometry
    buffered: shapely.Geometry
    buffer_km: float

    def inside(self, lon: np.ndarray, lat: np.ndarray, *, buffered: bool = False) -> np.ndarray:
        """Which points lie in the area (or in the area plus buffer)."""
        geom = self.buffered if buffered else self.polygon
        return shapely.contains_xy(geom, np.asarray(lon, float), np.asarray(lat, float))


def resolve_area(spec: str | Path, boundaries: gpd.GeoDataFrame, *, buffer_km: float,
                 crs: str, option: str = "--area") -> Area:  # fmt: skip
    """Resolve ``spec``, a polygon file or a boundary name of the extract, to an Area.

    ``option`` names the command-line option in the error messages.

    Raises
    ------
    InputFileError
        A file that holds no polygon, or a name that no boundary of the extract has (the
        message lists some that it has).
    """
    p = Path(spec)
    if p.suffix and p.exists():
        gdf = open_vector_file(p, what="area").to_crs(WGS84)
        polys = gdf.geometry[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
        if polys.empty:
            msg = f"{p}: the {option} file holds no polygon"
            raise InputFileError(msg)
        name, polygon = p.stem, shapely.union_all(polys.to_numpy())
    else:
        name, polygon = str(spec), _boundary(str(spec), boundaries, option)
    if not buffer_km >= 0:
        msg = f"--buffer-km must be a number of km >= 0, got {buffer_km!r}"
        raise InputFileError(msg)
    shapely.prepare(polygon)
    buffered = _buffer(polygon, buffer_km * 1000.0, crs)
    shapely.prepare(buffered)
    return Area(name=name, polygon=polygon, buffered=buffered, buffer_km=buffer_km)


_SHOWN_NAMES = 12  # boundary names listed when a name is unknown


def _boundary(name: str, boundaries: gpd.GeoDataFrame, option: str) -> shapely.Geometry:
    hit = boundaries[boundaries["name"].astype(str).str.casefold() == name.casefold()]
    if hit.empty:
        known = sorted(set(boundaries["name"].astype(str)))
        shown = ", ".join(known[:_SHOWN_NAMES]) + (", ..." if len(known) > _SHOWN_NAMES else "")
        msg = (f"no administrative boundary named {name!r} in the extract (it has: "
               f"{shown or 'none'}); pass a polygon file with {option} FILE")  # fmt: skip
        raise InputFileError(msg)
    if "admin_level" in hit.columns and len(hit) > 1:  # the widest level: Drenthe, not a ward
        levels = hit["admin_level"].astype(str).str.extract(r"(\d+)")[0].astype(float)
        hit = hit[levels == levels.min()]
    return shapely.union_all(hit.geometry.to_numpy())


def _buffer(polygon: shapely.Geometry, metres: float, crs: str) -> shapely.Geometry:
    """``polygon`` grown by ``metres`` in the metric ``crs`` (back in WGS84)."""
    if metres == 0:
        return polygon
    metric = shapely.transform(polygon, lambda x, y: to_metric(x, y, crs), interleaved=False)
    grown = shapely.buffer(metric, metres, quad_segs=4)
    return shapely.transform(grown, lambda x, y: to_wgs84(x, y, crs), interleaved=False)


def clip_osm(osm: OsmData, area: Area) -> OsmData:
    """Keep the extract's roads and points of interest within the area plus buffer.

    A way is kept when one of its nodes lies in the buffered area; places, addresses and
    buildings are kept in the area itself (they are what is reported). Counts go to
    ``stats`` (``*_outside_area``).
    """
    keep_node = area.inside(osm.node_lon, osm.node_lat, buffered=True)
    starts = osm.way_offsets[:-1]
    keep_way = np.add.reduceat(keep_node.astype(np.int64), starts) > 0 if len(starts) else keep_node
    ways = np.flatnonzero(keep_way)
    lens = osm.way_offsets[ways + 1] - osm.way_offsets[ways]
    pos = np.repeat(osm.way_offsets[ways] - np.r_[0, np.cumsum(lens)[:-1]], lens) + np.arange(
        lens.sum()
    )
    pois = osm.pois[area.inside(osm.pois["lon"], osm.pois["lat"], buffered=True)]
    places = osm.places[area.inside(osm.places["lon"], osm.places["lat"])]
    addresses = osm.addresses[area.inside(osm.addresses["lon"], osm.addresses["lat"])]
    centres = osm.buildings.geometry.representative_point()
    buildings = osm.buildings[area.inside(centres.x, centres.y)]
    stats = {
        **osm.stats,
        "ways_outside_area": int((~keep_way).sum()),
        "pois_outside_area": len(osm.pois) - len(pois),
        "places_outside_area": len(osm.places) - len(places),
        "addresses_outside_area": len(osm.addresses) - len(addresses)
        + len(osm.buildings) - len(buildings),
    }  # fmt: skip
    return replace(
        osm,
        way_ids=osm.way_ids[ways],
        way_offsets=np.r_[0, np.cumsum(lens)].astype(np.int64),
        way_tags=[osm.way_tags[i] for i in ways],
        node_refs=osm.node_refs[pos],
        node_lon=osm.node_lon[pos],
        node_lat=osm.node_lat[pos],
        pois=pois.reset_index(drop=True),
        places=places.reset_index(drop=True),
        addresses=addresses.reset_index(drop=True),
        buildings=buildings.reset_index(drop=True),
        stats=stats,
    )
