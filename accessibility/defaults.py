"""Every default of bereik, in one place (osmnx/tipg ``settings`` style, but constants).

The command line, the build parameters, the library functions and the service settings all
import their defaults from here, so a default is changed once. Paths are relative to the
working folder (the repository root for the embedded sample), except the bundled data files.
"""

from __future__ import annotations

from pathlib import Path

from broadband.classify import Thresholds

_PACKAGE = Path(__file__).resolve().parent

#: facility categories: OSM tag rules -> category (copy, edit, pass with ``--categories``)
DEFAULT_CATEGORIES_FILE = _PACKAGE / "categories.toml"
#: travel profiles: roads, access, one-way, speeds (extend with ``--profiles-file``)
DEFAULT_PROFILES_FILE = _PACKAGE / "profiles.toml"

#: the embedded sample: a real OSM extract (Liechtenstein, 2015; see data/README.md)
DEFAULT_EXTRACT = Path("data/samples/liechtenstein-2015-07-27.osm.pbf")
#: SYNTHETIC broadband coverage of the embedded sample (real data: ``--coverage``)
DEFAULT_COVERAGE = Path("data/samples/synthetic-coverage-liechtenstein.tif")
#: folder of named builds, the embedded sample's build name, and its folder
DEFAULT_BUILDS_DIR = Path("data/builds")
DEFAULT_NAME = "demo"
DEFAULT_BUILD = DEFAULT_BUILDS_DIR / DEFAULT_NAME

#: radii of the ``count_<r>km`` columns (network distance, km)
DEFAULT_RADII_KM = (1.0, 3.0, 5.0)
#: a point farther than this from every road of a profile is not on the network (metres)
DEFAULT_MAX_SNAP_M = 500.0
#: OSM ``admin_level`` of municipalities (8 is the Dutch gemeente)
DEFAULT_ADMIN_LEVEL = "8"
#: EU broadband thresholds basic, NGA (Mbit/s): below the first is a white area
DEFAULT_THRESHOLDS_MBPS = (Thresholds().basic_mbps, Thresholds().nga_mbps)
#: grid cell of isochrone and catchment polygons (metres)
DEFAULT_CELL_M = 50.0
#: an address belongs to the nearest village within this distance (same municipality)
DEFAULT_ASSIGN_RADIUS_KM = 2.0
#: per-address distances in addresses.parquet: none, car (CBS's network) or all profiles
DEFAULT_ADDRESS_OUTPUTS = "car"
#: the road network layers (edges_<profile>) in bereik.gpkg: yes, no, or auto (yes up to
#: GPKG_EDGES_AUTO_MAX edges over all profiles; a province's roads would be most of the
#: build's write time: `bereik export` gives them on request)
#: travel matrices on networks of at most this many nodes use a contraction-hierarchy index
#: (accessibility.matrix_index; prepared on the first matrix, about 0.1 s at 3,000 nodes and
#: 2 s at 50,000); larger networks keep the bounded searches (docs/benchmarks-scale.md)
MATRIX_INDEX_MAX_NODES = 50_000
#: ... and networks of at most this many get one prepared in a background thread that the
#: first matrix starts (matrices search until it is ready: 8 s and 0.2 GB at 160,000 grid
#: nodes, 276 s and 3.3 GB at 1.96M, docs/benchmarks-matrix-index.md)
MATRIX_INDEX_BACKGROUND_MAX_NODES = 1_000_000
DEFAULT_GPKG_EDGES = "auto"
GPKG_EDGES_CHOICES = ("auto", "yes", "no")
GPKG_EDGES_AUTO_MAX = 300_000
#: with --area: roads and facilities this far beyond the area are kept (km), so that a
#: border village finds its GP across the border
DEFAULT_BUFFER_KM = 20.0
#: cell side of the persons grid ("where the people far from a GP live"), metres
DEFAULT_GRID_M = 250.0

#: location questions (``bereik suggest``): a village is a candidate site when no facility
#: of the category lies within this road distance of its point (metres)
CANDIDATE_VILLAGE_FREE_M = 1000.0
#: most candidate sites one question may weigh (more is an error naming this limit)
DEFAULT_MAX_CANDIDATES = 5000
#: the objectives of ``bereik suggest`` / ``POST /suggest`` (accessibility.suggest), here so
#: that the command line lists them without importing the solver
OBJECTIVES = {
    "coverage": "most persons newly within the threshold (maximal coverage)",
    "median": "least total distance over persons (p-median, capped at the search bound)",
    "cover": "fewest sites until the target share is within the threshold (set cover)",
}
#: ``cover``: the share of all persons to bring within the threshold
DEFAULT_TARGET_SHARE = 0.95
#: ``median``: costs are searched up to this many times the threshold
DEFAULT_SEARCH_FACTOR = 3.0
#: seconds the exact solver (PuLP + CBC) may take before the greedy answer is given
DEFAULT_SUGGEST_BUDGET_S = 10.0
#: most sites one suggestion adds
MAX_SUGGEST_SITES = 50
#: integer programmes with more terms than this (about the site-person pairs that can
#: change an answer) are solved greedily only
MAX_EXACT_PAIRS = 400_000
#: supply against demand (``bereik access``): the methods (accessibility.planning)
SUPPLY_METHODS = ("e2sfca", "2sfca")
#: supply against demand (``bereik access``): the travel-time catchment (minutes)
DEFAULT_CATCHMENT_MIN = 15.0

#: public transport (``bereik build --gtfs``): the departure window (minutes), the longest
#: walk to or from a stop and between stops (minutes), the longest trip counted (minutes)
#: and the step between the departures of the window (seconds; Conveyal/R5 use a minute)
DEFAULT_TRANSIT_WINDOW_MIN = 120.0
DEFAULT_TRANSIT_MAX_WALK_MIN = 15.0
DEFAULT_TRANSIT_MAX_TRANSFER_WALK_MIN = 5.0
DEFAULT_TRANSIT_MAX_TRIP_MIN = 120.0
DEFAULT_TRANSIT_STEP_S = 60
#: the "without a car" thresholds of the no-car measures (minutes)
DEFAULT_NO_CAR_MINUTES = (30.0, 45.0, 60.0)
#: the name of the public transport profile (a timetable on the walk network)
TRANSIT_PROFILE = "transit"
