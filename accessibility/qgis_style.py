"""The QGIS style of the GeoPackage's villages: distance classes, as on the web map.

:data:`DISTANCE_CLASSES` and :data:`NO_DATA_COLOUR` are the one table of the distance
classes. The web map keeps a copy in ``app/static/map.js`` (``DISTANCE_CLASSES`` and
``NO_DATA``; it has no Python to import): change both, or
``tests/accessibility/test_geopackage.py`` fails. :func:`graduated_qml` turns the table into
a QGIS 3.x style (QML) that the writer stores in the GeoPackage's ``layer_styles`` table,
where QGIS finds it when the layer is added.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

__all__ = ["DISTANCE_CLASSES", "NO_DATA_COLOUR", "NO_DATA_LABEL", "DistanceClass",
           "graduated_qml"]  # fmt: skip


@dataclass(frozen=True)
class DistanceClass:
    """Distances below ``upper_m`` (and at least the previous class's) get ``colour``."""

    upper_m: float
    colour: str
    label: str


#: village colours by distance to the nearest facility (ColorBrewer RdYlGn, 5 classes)
DISTANCE_CLASSES: tuple[DistanceClass, ...] = (
    DistanceClass(1000.0, "#1a9850", "< 1 km"),
    DistanceClass(3000.0, "#91cf60", "1 - 3 km"),
    DistanceClass(5000.0, "#fee08b", "3 - 5 km"),
    DistanceClass(10000.0, "#fc8d59", "5 - 10 km"),
    DistanceClass(math.inf, "#d73027", "> 10 km"),
)
#: villages without a value (no facility of the category, unreachable, not on the network)
NO_DATA_COLOUR = "#9e9e9e"
NO_DATA_LABEL = "no facility / unreachable"
#: what the style's expression gives a null: a range of its own, never a distance
_NULL_VALUE = -1.0
#: the upper bound QGIS gets for the last (open) class, in metres
_OPEN_UPPER_M = 1e9
_MARKER_SIZE_MM = 3.0
_OUTLINE = "#333333"


def graduated_qml(
    column: str,
    *,
    classes: Sequence[DistanceClass] = DISTANCE_CLASSES,
    geometry: str = "marker",
) -> str:
    """Return a QGIS style (QML) colouring features by ``column`` in ``classes``.

    A graduated renderer on ``coalesce("<column>", -1)``: the classes of the web map (a
    value belongs to the first class whose upper bound exceeds it, as in ``map.js``) and a
    grey range of its own for null (no facility, unreachable). Choosing another field in
    QGIS's Symbology panel keeps the classes (and leaves nulls undrawn).

    ``geometry`` is ``"marker"`` (villages) or ``"fill"`` (municipalities).
    """
    if geometry not in {"marker", "fill"}:
        msg = f"geometry {geometry!r} is not a QGIS symbol type here; expected marker or fill"
        raise ValueError(msg)
    ranges, symbols = [], []
    lower = 0.0
    for i, c in enumerate(classes):
        upper = _OPEN_UPPER_M if math.isinf(c.upper_m) else math.nextafter(c.upper_m, 0.0)
        # QGIS takes the first range with lower <= value <= upper: the upper bound just
        # below the class limit makes a value of exactly 1000 m fall in "1 - 3 km", as on
        # the web map (distance < limit)
        ranges.append(_range(lower, upper, c.label, i))
        symbols.append(_symbol(i, c.colour, geometry))
        lower = c.upper_m
    n = len(classes)
    ranges.append(_range(_NULL_VALUE, _NULL_VALUE, NO_DATA_LABEL, n))
    symbols.append(_symbol(n, NO_DATA_COLOUR, geometry))
    expression = f'coalesce("{column}", {_NULL_VALUE:g})'
    return "\n".join(
        [
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>",
            '<qgis version="3.22.0-Białowieża" styleCategories="Symbology">',
            f' <renderer-v2 type="graduatedSymbol" attr={quoteattr(expression)}'
            ' graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0"'
            ' forceraster="0" referencescale="-1">',
            "  <ranges>",
            *ranges,
            "  </ranges>",
            "  <symbols>",
            *symbols,
            "  </symbols>",
            '  <classificationMethod id="Custom">',
            '   <symmetricMode enabled="0" symmetrypoint="0" astride="0"/>',
            '   <labelFormat format="%1 - %2" labelprecision="0" trimtrailingzeroes="1"/>',
            "   <parameters><Option/></parameters>",
            "   <extraInformation/>",
            "  </classificationMethod>",
            "  <rotation/>",
            "  <sizescale/>",
            " </renderer-v2>",
            " <blendMode>0</blendMode>",
            " <featureBlendMode>0</featureBlendMode>",
            " <layerOpacity>1</layerOpacity>",
            "</qgis>",
            "",
        ]
    )


def _range(lower: float, upper: float, label: str, symbol: int) -> str:
    return (
        f'   <range lower="{lower!r}" upper="{upper!r}" label={quoteattr(label)}'
        f' symbol="{symbol}" render="true"/>'
    )


def _rgba(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _symbol(name: int, colour: str, geometry: str) -> str:
    if geometry == "marker":
        cls = "SimpleMarker"
        props = {
            "name": "circle", "color": _rgba(colour), "size": f"{_MARKER_SIZE_MM:g}",
            "size_unit": "MM", "outline_color": _rgba(_OUTLINE), "outline_style": "solid",
            "outline_width": "0.3", "outline_width_unit": "MM", "scale_method": "diameter",
        }  # fmt: skip
    else:
        cls = "SimpleFill"
        props = {
            "color": _rgba(colour), "style": "solid", "outline_color": _rgba(_OUTLINE),
            "outline_style": "solid", "outline_width": "0.2", "outline_width_unit": "MM",
        }  # fmt: skip
    options = "".join(
        f'<Option name="{k}" value={quoteattr(v)} type="QString"/>' for k, v in props.items()
    )
    # QGIS 3.22 writes both forms (the Option map and the older prop list); so do we
    legacy = "".join(f'<prop k="{k}" v={quoteattr(v)}/>' for k, v in props.items())
    return (
        f'   <symbol type="{geometry}" name="{name}" alpha="1" clip_to_extent="1"'
        ' force_rhr="0">'
        f'<layer class="{cls}" enabled="1" locked="0" pass="0">'
        f'<Option type="Map">{options}</Option>{legacy}</layer>'
        "</symbol>"
    )
