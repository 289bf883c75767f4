"""Write a build's tables, networks and GeoPackage into a folder (named by BuildLayout).

The pipeline (:mod:`accessibility.build`) computes; this module only writes, into the
temporary folder that :class:`accessibility.store.AtomicBuildDir` renames into place.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from accessibility.crs import WGS84
from accessibility.layout import BuildLayout, edges_layer
from accessibility.network import Network


@dataclass(frozen=True)
class BuildTables:
    """Everything a build writes besides the manifest and the broadband files."""

    villages: pd.DataFrame
    village_polygons: gpd.GeoDataFrame | None
    facilities: pd.DataFrame
    indicators: pd.DataFrame
    municipalities: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    networks: dict[str, Network]


def write_persons(lay: BuildLayout, figures, *, crs: str) -> None:
    """Write the figures over persons (:class:`accessibility.residents.ResidentFigures`)."""
    figures.grid_table(crs=crs).to_parquet(lay.persons_grid)
    figures.village_table().to_csv(lay.persons_villages, index=False)
    figures.municipality_table().to_csv(lay.persons_municipalities, index=False)
    addresses = figures.address_table()
    addresses.to_parquet(lay.addresses)
    if figures.address_outputs != "none":
        gpkg_layer(addresses, lay.geopackage, "residents")


def write_nabijheid(lay: BuildLayout, place: pd.DataFrame, figures=None) -> None:
    """Write the CBS Nabijheid tables.

    ``nabijheid.csv`` holds CBS's figures: over persons for every village (and buitengebied)
    with origins, from the place point for the villages without (``method`` says which;
    ``weight`` is the persons, dwellings or addresses, or the place's population);
    ``nabijheid_municipalities.csv`` the same per municipality (builds with origins);
    ``nabijheid_place_point.csv`` every village measured from its place point.
    """
    place = place.copy()
    place.insert(place.columns.get_loc("population"), "method", "place_point")
    place.to_csv(lay.nabijheid_place_point, index=False)
    if figures is None:
        place.to_csv(lay.nabijheid, index=False)
        return
    persons = figures.nabijheid("village")
    rest = place[~place["village_id"].isin(persons["village_id"])]
    rest = rest.rename(columns={"population": "weight"})
    both = pd.concat([persons, rest[[c for c in persons.columns if c in rest.columns]]],
                     ignore_index=True)  # fmt: skip
    both.to_csv(lay.nabijheid, index=False)
    figures.nabijheid("municipality").to_csv(lay.nabijheid_municipalities, index=False)


def points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    """Turn a table with ``lon``/``lat`` columns into WGS84 points."""
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=WGS84)


def write_tables(lay: BuildLayout, t: BuildTables) -> None:
    """Write the tables (CSV, Parquet), the networks and the GeoPackage layers."""
    gv = points(t.villages)
    gf = points(t.facilities)
    gv.to_parquet(lay.villages)
    t.villages.to_csv(lay.villages_csv, index=False)
    gf.to_parquet(lay.facilities)
    if t.village_polygons is not None:
        t.village_polygons.to_parquet(lay.village_polygons)
    if len(t.boundaries):
        t.boundaries.to_parquet(lay.municipality_polygons)
    t.indicators.to_parquet(lay.indicators, index=False)
    t.indicators.to_csv(lay.indicators_csv, index=False)
    t.municipalities.to_csv(lay.municipalities, index=False)
    for p, net in t.networks.items():
        net.save(lay.network(p))
    _write_geopackage(lay, t, gv, gf)


def _write_geopackage(
    lay: BuildLayout, t: BuildTables, gv: gpd.GeoDataFrame, gf: gpd.GeoDataFrame
) -> None:
    gpkg = lay.geopackage
    gpkg_layer(gv, gpkg, "villages")
    gpkg_layer(gf, gpkg, "facilities")
    gi = t.indicators.merge(t.villages[["village_id", "lon", "lat"]], on="village_id", how="left")
    gpkg_layer(points(gi).drop(columns=["lon", "lat"]), gpkg, "indicators")
    if len(t.boundaries):
        gm = t.boundaries.rename(columns={"name": "municipality"}).merge(
            t.municipalities, on="municipality"
        )
        gpkg_layer(gm, gpkg, "municipalities")
    for p, net in t.networks.items():
        # in the network's metric CRS (QGIS reprojects on the fly; measuring works at once);
        # no spatial index: it doubles the write time of a province's edges, and QGIS builds
        # one on demand (Layer Properties > Source > Create spatial index)
        gpkg_layer(network_edges(net), gpkg, edges_layer(p), spatial_index=False)


def network_edges(net: Network) -> gpd.GeoDataFrame:
    """Return the edges of a network as a table with geometry (the network's metric CRS)."""
    return gpd.GeoDataFrame(
        {
            "u": net.node_osmid[net.edge_u],
            "v": net.node_osmid[net.edge_v],
            "osmid": net.edge_way_id,
            "highway": net.edge_highway,
            "name": net.edge_name,
            "length_m": net.edge_length_m,
            "speed_kph": net.edge_speed_kph,
            "travel_time_s": net.edge_time_s,
            "speed_backward_kph": (
                net.edge_speed_backward_kph
                if len(net.edge_speed_backward_kph)
                else net.edge_speed_kph
            ),
            "travel_time_backward_s": net.edge_time_backward_s,
            "forward": net.edge_forward,
            "backward": net.edge_backward,
        },
        geometry=net.edge_lines,
        crs=net.crs,
    )


def gpkg_layer(gdf: gpd.GeoDataFrame, path, layer: str, *, spatial_index: bool = True) -> None:
    """Write one GeoPackage layer through Arrow (several times faster than row by row)."""
    gdf.to_file(
        path,
        layer=layer,
        driver="GPKG",
        engine="pyogrio",
        use_arrow=True,
        layer_options={"SPATIAL_INDEX": "YES" if spatial_index else "NO"},
    )
