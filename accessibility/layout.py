"""The files of a build folder, named in one place.

The writer (:mod:`accessibility.writer`), the reader (:mod:`accessibility.model`), the
command line (export, info) and the service all find a build's files through
:class:`BuildLayout`; no other module spells a file name. The names are a contract (users
open them in QGIS and spreadsheets): see the README's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
GEOPACKAGE = "bereik.gpkg"
#: a profile's road network is the GeoPackage layer and OGC collection ``edges_<profile>``
EDGES_PREFIX = "edges_"


@dataclass(frozen=True)
class BuildLayout:
    """Where each file of the build folder ``root`` lives."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # --- identity ----------------------------------------------------------------------------
    @property
    def manifest(self) -> Path:
        """Inputs with SHA-256, parameters, counts, library versions, timings (JSON)."""
        return self.root / MANIFEST

    # --- tables (CSV for spreadsheets, (Geo)Parquet for programs) ------------------------------
    @property
    def villages(self) -> Path:
        """Villages as GeoParquet (WGS84 points)."""
        return self.root / "villages.parquet"

    @property
    def villages_csv(self) -> Path:
        """Villages as CSV (with broadband columns when the build has coverage)."""
        return self.root / "villages.csv"

    @property
    def village_polygons(self) -> Path:
        """Village areas, when the villages file had polygons (GeoParquet)."""
        return self.root / "village_polygons.parquet"

    @property
    def facilities(self) -> Path:
        """Facilities as GeoParquet (WGS84 points), one row per facility and category."""
        return self.root / "facilities.parquet"

    @property
    def indicators(self) -> Path:
        """The long indicator table (village x category x profile) as Parquet."""
        return self.root / "indicators.parquet"

    @property
    def indicators_csv(self) -> Path:
        """The long indicator table as CSV."""
        return self.root / "indicators.csv"

    @property
    def municipalities(self) -> Path:
        """Municipality aggregates per category and profile (CSV)."""
        return self.root / "municipalities.csv"

    @property
    def municipality_polygons(self) -> Path:
        """Municipality polygons (GeoParquet), when the build has boundaries."""
        return self.root / "municipalities.parquet"

    @property
    def nabijheid(self) -> Path:
        """CBS Nabijheid columns per village: over persons where origins exist (CSV)."""
        return self.root / "nabijheid.csv"

    @property
    def nabijheid_place_point(self) -> Path:
        """CBS Nabijheid columns measured from each village's place point (CSV)."""
        return self.root / "nabijheid_place_point.csv"

    # --- figures over persons (builds with origins) ---------------------------------------------
    @property
    def persons_villages(self) -> Path:
        """Per village (and buitengebied), category, profile: figures over persons (CSV)."""
        return self.root / "persons_villages.csv"

    @property
    def persons_municipalities(self) -> Path:
        """Per municipality, category, profile: figures over persons, CBS's figure (CSV)."""
        return self.root / "persons_municipalities.csv"

    @property
    def nabijheid_municipalities(self) -> Path:
        """CBS Nabijheid columns over persons, per municipality (CSV)."""
        return self.root / "nabijheid_municipalities.csv"

    @property
    def persons_grid(self) -> Path:
        """Square cells: persons and their mean car distance per category (GeoParquet)."""
        return self.root / "persons_grid.parquet"

    @property
    def addresses(self) -> Path:
        """Every origin: village, weight, method (and distances) (GeoParquet, WGS84)."""
        return self.root / "addresses.parquet"

    # --- broadband (builds made with coverage) ---------------------------------------------------
    @property
    def white_areas(self) -> Path:
        """White-area polygons (GeoParquet)."""
        return self.root / "white_areas.parquet"

    @property
    def double_disadvantage(self) -> Path:
        """The ranked list of villages both remote and offline (CSV)."""
        return self.root / "double_disadvantage.csv"

    @property
    def municipalities_broadband(self) -> Path:
        """Broadband shares per municipality (CSV)."""
        return self.root / "municipalities_broadband.csv"

    # --- the basemap (the web map's offline background) ----------------------------------------
    @property
    def basemap(self) -> Path:
        """Water, land use, built-up areas and place names of the extract (GeoParquet, WGS84)."""
        return self.root / "basemap.parquet"

    # --- networks and the GeoPackage -----------------------------------------------------------
    # --- public transport (builds with --gtfs) -------------------------------------------------
    @property
    def timetable(self) -> Path:
        """The connections of the departure day, stops, routes and trips (``.npz``)."""
        return self.root / "transit_timetable.npz"

    @property
    def transit(self) -> Path:
        """Village x category: public transport times and the "without a car" measures (CSV)."""
        return self.root / "transit.csv"

    @property
    def transit_municipalities(self) -> Path:
        """Municipality x category: shares within 30/45/60 minutes without a car, VF (CSV)."""
        return self.root / "transit_municipalities.csv"

    @property
    def transit_persons(self) -> Path:
        """Over persons (builds with origins): shares within 30/45/60 min without a car (CSV)."""
        return self.root / "transit_persons.csv"

    @property
    def zonder_auto(self) -> Path:
        """Per village, wide, Dutch names: public transport and "zonder auto" minutes (CSV)."""
        return self.root / "zonder_auto.csv"

    def network(self, profile: str) -> Path:
        """Return the routable network file of ``profile`` (arrays, load in milliseconds)."""
        return self.root / f"network_{profile}.npz"

    @property
    def geopackage(self) -> Path:
        """The GeoPackage for QGIS (layers named by :func:`edges_layer` and the tables)."""
        return self.root / GEOPACKAGE


def edges_layer(profile: str) -> str:
    """Name of the GeoPackage layer and OGC collection of a profile's road network."""
    return f"{EDGES_PREFIX}{profile}"
