"""Write a build's tables, networks and GeoPackage into a folder (named by BuildLayout).

The pipeline (:mod:`accessibility.build`) computes; this module only writes, into the
temporary folder that :class:`accessibility.store.AtomicBuildDir` renames into place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from accessibility.crs import WGS84
from accessibility.errors import NoCrsError
from accessibility.layout import BuildLayout, edges_layer
from accessibility.network import Network
from accessibility.precision import round_frame
from accessibility.profiles import preferred_profile
from accessibility.qgis_style import graduated_qml
from accessibility.wide import municipalities_wide, villages_wide, wide_column

#: GeoPackage version written: GDAL 3.6 and QGIS 3.22 (Debian 12) warn on 1.4 (GDAL >= 3.7's
#: default), not on 1.2
GPKG_VERSION = "1.2"
#: the geometry column of every feature layer (``layer_styles`` names it)
GEOMETRY_COLUMN = "geom"
#: the table QGIS reads layer styles from
LAYER_STYLES = "layer_styles"


@dataclass(frozen=True)
class BuildTables:
    """Everything a build writes besides the manifest and the broadband files."""

    villages: pd.DataFrame
    village_polygons: gpd.GeoDataFrame | None
    facilities: pd.DataFrame
    indicators: pd.DataFrame
    municipalities: pd.DataFrame
    boundaries: gpd.GeoDataFrame
    networks: Mapping[str, Network]
    gpkg_edges: bool = True  # the edges_<profile> layers in bereik.gpkg


def write_persons(lay: BuildLayout, figures, *, crs: str) -> None:
    """Write the figures over persons (:class:`accessibility.residents.ResidentFigures`)."""
    figures.grid_table(crs=crs).to_parquet(lay.persons_grid)
    write_csv(figures.village_table(), lay.persons_villages)
    write_csv(figures.municipality_table(), lay.persons_municipalities)
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
    write_csv(place, lay.nabijheid_place_point)
    if figures is None:
        write_csv(place, lay.nabijheid)
        return
    persons = figures.nabijheid("village")
    rest = place[~place["village_id"].isin(persons["village_id"])]
    rest = rest.rename(columns={"population": "weight"})
    both = pd.concat([persons, rest[[c for c in persons.columns if c in rest.columns]]],
                     ignore_index=True)  # fmt: skip
    write_csv(both, lay.nabijheid)
    write_csv(figures.nabijheid("municipality"), lay.nabijheid_municipalities)


def points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    """Turn a table with ``lon``/``lat`` columns into WGS84 points."""
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=WGS84)


def write_tables(lay: BuildLayout, t: BuildTables) -> None:
    """Write the tables (CSV, Parquet), the networks and the GeoPackage layers.

    ``villages.parquet`` (the service's input) keeps the village fields; ``villages.csv`` and
    the GeoPackage ``villages`` layer add the indicators, one column each
    (:func:`accessibility.wide.villages_wide`).
    """
    gv = points(t.villages)
    gf = points(t.facilities)
    gv.to_parquet(lay.villages)
    wide = villages_wide(t.villages, t.indicators)
    write_csv(wide, lay.villages_csv)
    gf.to_parquet(lay.facilities)
    if t.village_polygons is not None:
        t.village_polygons.to_parquet(lay.village_polygons)
    if len(t.boundaries):
        t.boundaries.to_parquet(lay.municipality_polygons)
    t.indicators.to_parquet(lay.indicators, index=False)
    write_csv(t.indicators, lay.indicators_csv)
    write_csv(t.municipalities, lay.municipalities)
    for p, net in t.networks.items():
        net.save(lay.network(p))
    _write_geopackage(lay, t, points(wide), gf)


def _write_geopackage(
    lay: BuildLayout, t: BuildTables, gv: gpd.GeoDataFrame, gf: gpd.GeoDataFrame
) -> None:
    """Write the GeoPackage: every feature layer in WGS84 with a spatial index.

    The long tables go in without geometry (GPKG attribute tables); the villages get their
    QGIS style.
    """
    gpkg = lay.geopackage
    gpkg_layer(gv, gpkg, "villages")  # the first layer creates the file (GeoPackage 1.2)
    write_layer_style(gpkg, "villages", _style_column(gv, t.indicators))
    gpkg_layer(gf, gpkg, "facilities")
    gpkg_layer(t.indicators, gpkg, "indicators")
    gpkg_layer(t.municipalities, gpkg, "municipality_indicators")
    if len(t.boundaries):
        cats = list(t.indicators["category"].drop_duplicates())
        profs = list(t.indicators["profile"].drop_duplicates())
        wide = municipalities_wide(t.municipalities, categories=cats, profiles=profs)
        gm = t.boundaries.rename(columns={"name": "municipality"}).merge(wide, on="municipality")
        gpkg_layer(gm, gpkg, "municipalities")
    for p, net in t.networks.items() if t.gpkg_edges else ():
        gpkg_layer(network_edges(net, wgs84=True), gpkg, edges_layer(p))


def _style_column(villages: pd.DataFrame, indicators: pd.DataFrame) -> str:
    """Return the distance column the villages are styled by.

    The first category (in table order) with a value for the default profile (car if built),
    else the first category's.
    """
    profile = preferred_profile(list(indicators["profile"].drop_duplicates())) or ""
    cats = list(indicators["category"].drop_duplicates())
    columns = [wide_column(c, profile, "distance_m") for c in cats]
    present = [c for c in columns if c in villages.columns and villages[c].notna().any()]
    return (present or columns or ["distance_m"])[0]


def network_edges(net: Network, *, wgs84: bool = False) -> gpd.GeoDataFrame:
    """Return the edges of a network as a table with geometry.

    In the network's metric CRS, or (``wgs84``) in WGS84 reprojected from the coordinate
    arrays.
    """
    return gpd.GeoDataFrame(
        {
            "u": net.node_osmid[net.edge_u],
            "v": net.node_osmid[net.edge_v],
            "osmid": net.edge_way_id,
            "highway": net.edge_highway.astype(str),
            "name": net.edge_name.astype(str),
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
        geometry=net.edge_lines_wgs84() if wgs84 else net.edge_lines,
        crs=WGS84 if wgs84 else net.crs,
    )


def network_graph_layers(net: Network) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return a network's nodes and edges as osmnx writes an undirected graph to GeoPackage.

    The tables ``osmnx.convert.graph_to_gdfs(osmnx.convert.to_undirected(G))`` gives for
    ``G = net.to_networkx()`` (made from the arrays: no networkx, seconds for a province):
    nodes ``osmid, x, y, lon, lat``; one edge per road piece ``u, v, key, osmid, length,
    speed_kph, travel_time, highway, oneway, reversed, name, from, to``, drawn from ``u`` to
    ``v`` in a direction it may be used (``reversed`` when against the way's direction;
    ``travel_time`` of that direction). In the network's metric CRS, as osmnx keeps ``x``/``y``
    and the geometry in one CRS.
    """
    n = net.n_junctions  # copies of restricted junctions are not exported
    lon, lat = net.node_lonlat
    nodes = gpd.GeoDataFrame(
        {
            "osmid": net.node_osmid[:n],
            "x": net.node_x[:n],
            "y": net.node_y[:n],
            "lon": lon[:n],
            "lat": lat[:n],
        },
        geometry=gpd.points_from_xy(net.node_x[:n], net.node_y[:n]),
        crs=net.crs,
    )
    e = np.flatnonzero(net.edge_forward | net.edge_backward)
    fwd = net.edge_forward[e]
    tail = np.where(fwd, net.edge_u[e], net.edge_v[e])
    head = np.where(fwd, net.edge_v[e], net.edge_u[e])
    u, v = net.node_osmid[tail], net.node_osmid[head]
    pair = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v)})
    lines = net.edge_lines[e]
    edges = gpd.GeoDataFrame(
        {
            "u": u,
            "v": v,
            "key": pair.groupby(["a", "b"]).cumcount().to_numpy(),
            "osmid": net.edge_way_id[e],
            "length": net.edge_length_m[e],
            "speed_kph": net.edge_speed_kph[e],
            "travel_time": net.edge_time(e, fwd),
            "highway": net.edge_highway[e].astype(str),
            "oneway": ~(net.edge_forward[e] & net.edge_backward[e]),
            "reversed": ~fwd,
            "name": pd.Series(net.edge_name[e], dtype=object).replace("", None),
            "from": u,
            "to": v,
        },
        geometry=np.where(fwd, lines, shapely.reverse(lines)),
        crs=net.crs,
    )
    return nodes, edges


def write_network_geopackage(net: Network, path: str | Path) -> tuple[int, int]:
    """Write :func:`network_graph_layers` to a new GeoPackage (layers ``nodes``, ``edges``).

    Returns the number of nodes and edges written.
    """
    Path(path).unlink(missing_ok=True)
    nodes, edges = network_graph_layers(net)
    gpkg_layer(nodes, path, "nodes", crs=None)
    gpkg_layer(edges, path, "edges", crs=None)
    return len(nodes), len(edges)


#: a text cell starting with one of these is a formula to a spreadsheet (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_columns(df: pd.DataFrame) -> list:
    text = pd.api.types.is_object_dtype, pd.api.types.is_string_dtype
    return [c for c in df.columns if any(is_text(df[c]) for is_text in text)]


def _formula_cells(col: pd.Series) -> pd.Series:
    """Mark the text cells that start like a formula (vectorised; non-text: False)."""
    return col.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with ``'`` (OWASP).

    A village named ``=1+2`` or ``@SUM(A1)`` then shows as written in Excel or LibreOffice
    instead of being evaluated; :func:`unescape_formulas` takes the quote off again.
    """
    out = None
    for c in _text_columns(df):
        hit = _formula_cells(df[c])
        if hit.any():
            out = df.copy() if out is None else out
            out[c] = df[c].where(~hit, "'" + df[c].astype(str))
    return df if out is None else out


def unescape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`escape_formulas` on a table read back from a build's CSV."""
    for c in _text_columns(df):
        col = df[c]
        quoted = col.str.startswith("'").fillna(False).astype(bool)
        if quoted.any():
            hit = quoted & _formula_cells(col.str[1:])
            df[c] = col.where(~hit, col.astype(str).str[1:])
    return df


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> None:
    """Write a table as CSV with its figures rounded by column name (0.1 m, 0.1 s, ...).

    See :mod:`accessibility.precision`; the Parquet files the service reads keep full
    precision. Text that a spreadsheet would run as a formula is quoted
    (:func:`escape_formulas`).
    """
    escape_formulas(round_frame(df)).to_csv(path, index=index)


def gpkg_layer(df: pd.DataFrame, path: str | Path, layer: str, *, crs: str | None = WGS84) -> None:
    """Write one GeoPackage layer (through Arrow: several times faster than row by row).

    A GeoDataFrame becomes a feature layer in ``crs`` (WGS84 unless None: every layer of a
    file in one CRS) with an R-tree spatial index; a plain DataFrame an attribute table
    (no geometry). The file is GeoPackage 1.2, which GDAL 3.6 and QGIS 3.22 (Debian 12)
    open without a warning; the version is set when the first layer creates the file.
    """
    options: dict[str, str] = {}
    df = round_frame(df)  # figures as in every output (accessibility.precision)
    if isinstance(df, gpd.GeoDataFrame):
        if df.crs is None:
            msg = f"layer {layer!r} has no CRS; set one before writing it to {path}"
            raise NoCrsError(msg)
        if crs is not None:
            df = df.to_crs(crs)
        options = {"SPATIAL_INDEX": "YES", "GEOMETRY_NAME": GEOMETRY_COLUMN}
    pyogrio.write_dataframe(
        df,
        path,
        layer=layer,
        driver="GPKG",
        use_arrow=True,
        dataset_options={"VERSION": GPKG_VERSION},
        layer_options=options,
    )


def write_layer_style(path: str | Path, layer: str, column: str) -> None:
    """Store the distance-class style of ``layer`` by ``column`` as its QGIS default style.

    A row of the ``layer_styles`` table (created as QGIS creates it: an attribute table),
    which QGIS reads when the layer is added (:func:`accessibility.qgis_style.graduated_qml`).
    """
    row = {
        "f_table_catalog": "",
        "f_table_schema": "",
        "f_table_name": layer,
        "f_geometry_column": GEOMETRY_COLUMN,
        "styleName": f"{layer} by {column}",
        "styleQML": graduated_qml(column),
        "styleSLD": "",
        "useAsDefault": True,
        "description": (
            f"bereik: {layer} coloured by {column} in the web map's distance classes; "
            "grey: no facility or unreachable"
        ),
        "owner": "",
        "ui": "",
        "update_time": pd.Timestamp.now(tz="UTC").floor("s"),
    }
    pyogrio.write_dataframe(
        pd.DataFrame([row]),
        path,
        layer=LAYER_STYLES,
        driver="GPKG",
        use_arrow=True,
        append=Path(path).exists() and LAYER_STYLES in _layers(path),
        dataset_options={"VERSION": GPKG_VERSION},
        layer_options={"FID": "id"},
    )


def _layers(path: str | Path) -> set[str]:
    return {name for name, _ in pyogrio.list_layers(path)}
