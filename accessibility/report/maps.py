"""Static maps of the report: villages coloured by distance, over roads (matplotlib, no tiles).

One :class:`MapFrame` per report fixes the extent (the municipality, or every village and
municipality of the build) and renders what lies under every map once, as an image: water
and built-up areas of the build's ``basemap.parquet`` when it has one, the roads of the
profile's network, the municipality outlines. Each theme map draws that image, then the
villages in the distance classes of the web map and the QGIS style
(:data:`accessibility.qgis_style.DISTANCE_CLASSES`) and the facilities. Only matplotlib's
object API and its Agg canvas are used: no pyplot state, no backend switch, no downloads.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke

from accessibility.crs import WGS84
from accessibility.model import Build
from accessibility.qgis_style import DISTANCE_CLASSES, NO_DATA_COLOUR
from accessibility.report.text import text

#: pixels per inch of every map (sharp in print at the page's width, small in the HTML)
DPI = 150
#: width of a map in inches (the A4 page's text width) and the limits of its height; an
#: area taller than :data:`HALF_FROM` times its width gets maps of half the width, two a row
WIDTH_IN = 7.0
HALF_WIDTH_IN = 3.45
HALF_FROM = 1.4
MIN_HEIGHT_IN, MAX_HEIGHT_IN = 3.8, 8.5
#: half-width maps stay low enough for two beside each other under a heading and notes
MAX_HALF_HEIGHT_IN = 7.0
#: margin around what the map shows, as a share of its size, and the smallest extent (m)
MARGIN = 0.06
MIN_EXTENT_M = 3000.0
#: villages labelled by name: all up to this many, else only the farthest few
LABEL_ALL_UP_TO = 30
LABEL_FARTHEST = 8
#: basemap kinds drawn under the roads (basemap.parquet's ``kind``)
#: (accessibility.basemap.KINDS); other kinds (forest, farmland, ...) are left out: their
#: greens would read as the distance classes
WATER_KINDS = frozenset({"water"})
WATERWAY_KINDS = frozenset({"waterway"})
BUILT_KINDS = frozenset({"built_up", "residential", "industrial"})
#: basemap place rank of a hamlet (1 city .. 5 hamlet): not labelled
PLACE_RANK_HAMLET = 5
_WATER, _BUILT = "#b7d4ea", "#e4dfd9"
_ROAD = "#a3a3a3"
_ROAD_WIDTH = {"motorway": 1.0, "trunk": 1.0, "primary": 0.9, "secondary": 0.7, "tertiary": 0.6}
_OUTLINE, _OUTLINE_OWN = "#b9a9c9", "#5b4a6b"


@dataclass(frozen=True)
class MapFrame:
    """The extent of every map of a report (metric CRS) and the image drawn under them."""

    crs: str
    x0: float
    x1: float
    y0: float
    y1: float
    width_in: float
    height_in: float
    background: np.ndarray  # RGBA, width_in x height_in at DPI

    @property
    def half(self) -> bool:
        """True when the maps are half the page's width (a tall area: two maps a row)."""
        return self.width_in < WIDTH_IN

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(x0, x1, y0, y1)`` as matplotlib's ``imshow`` takes it."""
        return self.x0, self.x1, self.y0, self.y1


def read_basemap(build: Build, crs: str) -> gpd.GeoDataFrame | None:
    """Read the build's basemap (``kind``, ``name``, ``rank``) in ``crs``; None without one."""
    from accessibility.basemap import load_basemap

    path = build.layout.basemap
    try:
        gdf = load_basemap(path)
    except (OSError, ValueError) as exc:
        warnings.warn(f"{path}: not drawn under the report's maps ({exc})", stacklevel=2)
        return None
    if gdf is None or not len(gdf):
        return None
    if "kind" not in gdf.columns:
        warnings.warn(f"{path}: no 'kind' column; not drawn under the report's maps", stacklevel=2)
        return None
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    return gdf.to_crs(crs)


def map_frame(build: Build, *, profile: str, municipality: str | None) -> MapFrame:
    """Fix the maps' extent and render what lies under them (basemap, roads, outlines)."""
    net = build.networks[profile]
    crs = net.crs
    villages = build.villages.to_crs(crs)
    polys = None
    if build.municipality_polygons is not None and len(build.municipality_polygons):
        polys = build.municipality_polygons.to_crs(crs)
    if municipality is not None:
        villages = villages[villages["municipality"] == municipality]
        own = polys[polys["name"] == municipality] if polys is not None else None
        shown = [villages.total_bounds] + (
            [own.total_bounds] if own is not None and len(own) else []
        )
    else:
        shown = [villages.total_bounds] + ([polys.total_bounds] if polys is not None else [])
    b = np.array([s for s in shown if np.isfinite(s).all()])
    x0, y0 = b[:, 0].min(), b[:, 1].min()
    x1, y1 = b[:, 2].max(), b[:, 3].max()
    x0, x1, y0, y1, width_in, height_in = _fit(x0, x1, y0, y1)
    frame = MapFrame(crs, x0, x1, y0, y1, width_in, height_in, np.zeros((1, 1, 4), dtype=np.uint8))
    background = _render_background(
        frame, build, profile=profile, polys=polys, municipality=municipality
    )
    return MapFrame(crs, x0, x1, y0, y1, width_in, height_in, background)


def _fit(x0: float, x1: float, y0: float, y1: float):
    """Pad the extent and give it the shape of the figure (equal scale on both axes)."""
    dx, dy = max(x1 - x0, MIN_EXTENT_M), max(y1 - y0, MIN_EXTENT_M)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    dx, dy = dx * (1 + 2 * MARGIN), dy * (1 + 2 * MARGIN)
    width_in = HALF_WIDTH_IN if dy / dx > HALF_FROM else WIDTH_IN
    top = MAX_HALF_HEIGHT_IN if width_in < WIDTH_IN else MAX_HEIGHT_IN
    height_in = min(max(width_in * dy / dx, MIN_HEIGHT_IN), top)
    ratio = height_in / width_in
    if dy / dx > ratio:
        dx = dy / ratio
    else:
        dy = dx * ratio
    return cx - dx / 2, cx + dx / 2, cy - dy / 2, cy + dy / 2, width_in, height_in


def _figure(frame: MapFrame):
    fig = Figure(figsize=(frame.width_in, frame.height_in), dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(frame.x0, frame.x1)
    ax.set_ylim(frame.y0, frame.y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, canvas, ax


def _render_background(
    frame: MapFrame, build: Build, *, profile: str, polys, municipality: str | None
) -> np.ndarray:
    _, canvas, ax = _figure(frame)
    ax.add_patch(_rect(frame, "white"))
    base = read_basemap(build, frame.crs)
    if base is not None:
        areas = base[base.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        for kinds, colour in ((BUILT_KINDS, _BUILT), (WATER_KINDS, _WATER)):
            sub = areas[areas["kind"].astype(str).isin(kinds)]
            if len(sub):
                sub.plot(ax=ax, color=colour, linewidth=0, zorder=1)
        lines = base[
            base["kind"].astype(str).isin(WATERWAY_KINDS)
            & base.geometry.geom_type.isin(["LineString", "MultiLineString"])
        ]
        if len(lines):
            lines.plot(ax=ax, color=_WATER, linewidth=0.8, zorder=1)
    _draw_roads(ax, build, profile, frame)
    if polys is not None:
        polys.boundary.plot(ax=ax, color=_OUTLINE, linewidth=0.8, zorder=3)
        if municipality is not None:
            own = polys[polys["name"] == municipality]
            own.boundary.plot(ax=ax, color=_OUTLINE_OWN, linewidth=1.6, zorder=4)
    if base is not None:
        _place_names(ax, base, build, frame)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def _rect(frame: MapFrame, colour: str):
    from matplotlib.patches import Rectangle

    return Rectangle(
        (frame.x0, frame.y0),
        frame.x1 - frame.x0,
        frame.y1 - frame.y0,
        facecolor=colour,
        edgecolor="none",
        zorder=0,
    )


def _draw_roads(ax, build: Build, profile: str, frame: MapFrame) -> None:
    """Draw the profile's roads in the extent, as straight pieces, wider for main roads."""
    net = build.networks[profile]
    counts = net.edge_geom_end - net.edge_geom_start + 1
    first = np.repeat(net.edge_geom_start, counts - 1)
    step = np.arange(int((counts - 1).sum())) - np.repeat(
        np.r_[0, np.cumsum(counts - 1)[:-1]], counts - 1
    )
    a = first + step
    seg = np.stack(
        [
            np.column_stack([net.coord_x[a], net.coord_y[a]]),
            np.column_stack([net.coord_x[a + 1], net.coord_y[a + 1]]),
        ],
        axis=1,
    )
    classes, which = np.unique(net.edge_highway.astype(str), return_inverse=True)
    class_width = np.array([_ROAD_WIDTH.get(h.removesuffix("_link"), 0.35) for h in classes])
    widths = np.repeat(class_width[which], counts - 1)
    inside = (
        (seg[:, :, 0].max(axis=1) >= frame.x0)
        & (seg[:, :, 0].min(axis=1) <= frame.x1)
        & (seg[:, :, 1].max(axis=1) >= frame.y0)
        & (seg[:, :, 1].min(axis=1) <= frame.y1)
    )
    seg, widths = seg[inside], widths[inside]
    ax.add_collection(
        LineCollection(seg, colors=_ROAD, linewidths=widths, zorder=2, capstyle="round")
    )


def _place_names(ax, base: gpd.GeoDataFrame, build: Build, frame: MapFrame) -> None:
    """Write the names of the basemap's places that are not villages, small and grey.

    Towns and villages; hamlets (rank 5) only when the basemap has no rank column.
    """
    if "name" not in base.columns:
        return
    pts = base[(base["kind"].astype(str) == "place") & (base.geometry.geom_type == "Point")]
    if "rank" in pts.columns:
        pts = pts[pts["rank"].fillna(5) < PLACE_RANK_HAMLET]
    pts = pts[pts["name"].notna() & ~pts["name"].isin(set(build.villages["village_name"]))]
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    inside = (x > frame.x0) & (x < frame.x1) & (y > frame.y0) & (y < frame.y1)
    for xi, yi, name in zip(x[inside], y[inside], pts["name"][inside], strict=True):
        ax.text(
            xi,
            yi,
            str(name),
            fontsize=5.5,
            color="#6b6b6b",
            style="italic",
            ha="center",
            va="center",
            zorder=5,
        )


def class_colours(distance_m: np.ndarray) -> list[str]:
    """Colour of each distance in the distance classes; grey for none (NaN)."""
    out = []
    for d in distance_m:
        if not math.isfinite(d):
            out.append(NO_DATA_COLOUR)
            continue
        out.append(next(c.colour for c in DISTANCE_CLASSES if d < c.upper_m))
    return out


def theme_map(
    frame: MapFrame,
    *,
    x: np.ndarray,
    y: np.ndarray,
    distance_m: np.ndarray,
    population: np.ndarray,
    names: list[str],
    facility_x: np.ndarray,
    facility_y: np.ndarray,
    lang: str,
) -> bytes:
    """One theme's map as PNG: villages (metric ``x``, ``y``) coloured by ``distance_m``.

    Marker area grows with the population (unknown: the smallest); the villages are
    labelled (all of them up to :data:`LABEL_ALL_UP_TO`, else the farthest).
    """
    fig, canvas, ax = _figure(frame)
    # the background has the figure's size in pixels: placed as it is, never resampled
    fig.figimage(frame.background, xo=0, yo=0, origin="upper", zorder=-1)
    pop = np.nan_to_num(np.asarray(population, dtype=float), nan=0.0)
    top = pop.max() if len(pop) and pop.max() > 0 else 1.0
    sizes = 22.0 + 110.0 * np.sqrt(pop / top)
    order = np.argsort(-sizes, kind="stable")  # small villages on top of large ones
    ax.scatter(
        x[order],
        y[order],
        s=sizes[order],
        c=np.array(class_colours(distance_m))[order],
        edgecolors="#222222",
        linewidths=0.6,
        zorder=7,
    )
    ax.scatter(facility_x, facility_y, marker="x", s=12, linewidths=0.9, color="black", zorder=8)
    _labels(ax, x, y, distance_m, names)
    _scale_bar(ax, frame, lang)
    handles = [
        Patch(facecolor=c.colour, edgecolor="#222222", label=c.label) for c in DISTANCE_CLASSES
    ]
    handles.append(
        Patch(facecolor=NO_DATA_COLOUR, edgecolor="#222222", label=text("legend_no_data", lang))
    )
    handles.append(
        Line2D(
            [], [], marker="x", linestyle="none", color="black", label=text("legend_facility", lang)
        )
    )
    ax.legend(handles=handles, loc="upper right", fontsize=6 if frame.half else 7, framealpha=0.9)
    return png(fig, canvas)


def _labels(ax, x, y, distance_m, names) -> None:
    idx = np.arange(len(names))
    if len(names) > LABEL_ALL_UP_TO:
        key = np.nan_to_num(np.asarray(distance_m, dtype=float), nan=np.inf)
        idx = np.argsort(-key, kind="stable")[:LABEL_FARTHEST]
    halo = [withStroke(linewidth=2.2, foreground="white")]
    for i in idx:
        ax.annotate(
            str(names[i]),
            (x[i], y[i]),
            xytext=(5, 3),
            textcoords="offset points",
            fontsize=6.5,
            zorder=9,
            path_effects=halo,
        )


def _scale_bar(ax, frame: MapFrame, lang: str) -> None:
    """Draw a bar of a round number of km, bottom left."""
    from accessibility.report.text import number

    width_m = frame.x1 - frame.x0
    km = next((k for k in (0.5, 1, 2, 5, 10, 20, 50, 100) if k * 1000 >= width_m / 6), 100)
    x = frame.x0 + 0.03 * width_m
    y = frame.y0 + 0.04 * (frame.y1 - frame.y0)
    ax.plot(
        [x, x + km * 1000], [y, y], color="black", linewidth=2.5, zorder=9, solid_capstyle="butt"
    )
    label = f"{number(km, 0 if km >= 1 else 1, lang)} km"
    ax.text(
        x + km * 500,
        y + 0.012 * (frame.y1 - frame.y0),
        label,
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=9,
        path_effects=[withStroke(linewidth=2, foreground="white")],
    )


def png(fig: Figure, canvas: FigureCanvasAgg) -> bytes:
    """Return the figure as PNG bytes (no metadata that changes from run to run)."""
    buf = io.BytesIO()
    canvas.print_png(buf, metadata={"Software": None})
    fig.clear()
    return buf.getvalue()
