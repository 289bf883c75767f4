"""The ``bereik`` command line: one parser for every subcommand.

Each subcommand is a row of :data:`COMMANDS`: its arguments (one small function) and what it
runs (one library call). Defaults come from :mod:`accessibility.defaults`; profile and
category names are checked by the library against the profile set or the build. Errors of
the libraries are one line on stderr with exit status 2. Only ``serve`` loads the web stack
(lazily), so ``bereik build`` starts fast; the domain packages never import this module.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from accessibility.defaults import (
    CANDIDATE_VILLAGE_FREE_M,
    DEFAULT_ADDRESS_OUTPUTS,
    DEFAULT_ADMIN_LEVEL,
    DEFAULT_ASSIGN_RADIUS_KM,
    DEFAULT_BUFFER_KM,
    DEFAULT_BUILD,
    DEFAULT_BUILDS_DIR,
    DEFAULT_CATCHMENT_MIN,
    DEFAULT_COVERAGE,
    DEFAULT_EXTRACT,
    DEFAULT_GPKG_EDGES,
    DEFAULT_MAX_SNAP_M,
    DEFAULT_NAME,
    DEFAULT_RADII_KM,
    DEFAULT_SUGGEST_BUDGET_S,
    DEFAULT_TARGET_SHARE,
    DEFAULT_THRESHOLDS_MBPS,
    DEFAULT_TRANSIT_WINDOW_MIN,
    GPKG_EDGES_AUTO_MAX,
    GPKG_EDGES_CHOICES,
)

Handler = Callable[[argparse.Namespace], int]
#: a build needs at least this much free disk before it starts (the sample's is ~60 MB)
MIN_FREE_BYTES = 200_000_000


# --- argument types ----------------------------------------------------------------------------
def _floats(text: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        msg = f"expected comma-separated numbers such as 1,3,5; got {text!r}"
        raise argparse.ArgumentTypeError(msg) from exc
    if not vals or not all(math.isfinite(v) and v > 0 for v in vals):
        msg = f"expected positive numbers such as 1,3,5; got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return vals


def _number(text: str, *, zero: bool) -> float:
    """Parse a finite number > 0 (``zero``: >= 0), or say what was expected."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and (value > 0 or (zero and value == 0))):
        msg = f"expected a finite number {'>=' if zero else '>'} 0, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _positive(text: str) -> float:
    """Parse a finite number > 0 (km, metres, minutes)."""
    return _number(text, zero=False)


def _not_negative(text: str) -> float:
    """Parse a finite number >= 0 (seconds)."""
    return _number(text, zero=True)


def _share(text: str) -> float:
    """Parse a share in (0, 1]."""
    value = _positive(text)
    if value > 1:
        msg = f"expected a share between 0 and 1 (e.g. 0.95), got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _crs(text: str) -> str:
    """Check a coordinate reference system pyproj knows (``EPSG:28992``)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(text)
    except CRSError as exc:
        msg = f"unknown CRS {text!r} (e.g. EPSG:28992 for RD New, EPSG:4326 for lon/lat)"
        raise argparse.ArgumentTypeError(msg) from exc
    return text


def _names(text: str) -> tuple[str, ...]:
    vals = tuple(v.strip() for v in text.split(",") if v.strip())
    if not vals:
        msg = f"expected comma-separated names such as car,bike; got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return vals


def _csv(values: Sequence[object]) -> str:
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


# --- arguments of each subcommand ----------------------------------------------------------------
def _builds_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--builds-dir",
        type=Path,
        default=DEFAULT_BUILDS_DIR,
        help=f"folder of named builds (default: {DEFAULT_BUILDS_DIR})",
    )


def _build_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "extract",
        nargs="?",
        type=Path,
        default=DEFAULT_EXTRACT,
        help=f"OSM extract (default: {DEFAULT_EXTRACT})",
    )
    out = p.add_argument_group("where the build goes")
    out.add_argument(
        "--name",
        default=None,
        help=f"build name under --builds-dir (default: {DEFAULT_NAME!r} for the "
        "embedded sample, else the extract's file stem)",
    )
    out.add_argument("--out", type=Path, default=None, help="build folder (overrides --name)")
    _builds_dir(out)
    out.add_argument("--force", action="store_true", help="rebuild even when up to date")
    out.add_argument(
        "--verify",
        action="store_true",
        help="compare every file's SHA-256 with the manifest before calling a "
        "build up to date (sizes are always compared); a damaged build is rebuilt",
    )
    out.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    _facility_arguments(p.add_argument_group("facilities"))
    _village_arguments(p.add_argument_group("villages and municipalities"))
    _area_arguments(p.add_argument_group("study area"))
    _method_arguments(p.add_argument_group("profiles and indicators"))
    _origin_arguments(p.add_argument_group("residents: origins for the figures over persons"))
    _coverage_arguments(p.add_argument_group("broadband coverage"))
    _transit_arguments(p.add_argument_group("public transport (GTFS)"))


def _facility_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--facilities",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="facilities CSV/GeoJSON/GeoPackage (category,lon,lat[,id,name]); "
        "repeatable; the DUO school CSV is read as is",
    )
    g.add_argument(
        "--facilities-category",
        default=None,
        metavar="CAT",
        help="category for facility rows without one",
    )
    g.add_argument(
        "--facilities-crs",
        type=_crs,
        default=None,
        metavar="CRS",
        help="CRS of x,y columns in facility CSVs (e.g. EPSG:28992)",
    )
    g.add_argument(
        "--no-osm-facilities",
        action="store_true",
        help="use only the --facilities files, not the OSM POIs",
    )
    g.add_argument(
        "--categories",
        type=Path,
        default=None,
        metavar="FILE",
        help="category rules (TOML); default: the bundled categories.toml",
    )


def _village_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--villages",
        type=Path,
        default=None,
        metavar="FILE",
        help="villages CSV (id,name,population,lon,lat) or GeoJSON/GeoPackage "
        "points/polygons; default: OSM place=city/town/village/hamlet",
    )
    g.add_argument(
        "--villages-crs",
        type=_crs,
        default=None,
        metavar="CRS",
        help="CRS of x,y columns in a villages CSV",
    )
    g.add_argument(
        "--boundaries",
        type=Path,
        default=None,
        metavar="FILE",
        help="municipality polygons (name/statnaam column); default: OSM "
        "boundary=administrative at --admin-level",
    )
    g.add_argument(
        "--admin-level",
        default=DEFAULT_ADMIN_LEVEL,
        help=f"OSM admin_level of municipalities (default {DEFAULT_ADMIN_LEVEL}, "
        "the Dutch gemeente)",
    )


def _area_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--area",
        default=None,
        metavar="FILE_OR_NAME",
        help="report only the villages and residents of this area: a polygon file "
        "(GeoJSON/GeoPackage) or an administrative boundary's name in the extract (e.g. "
        "Drenthe); default: the whole extract",
    )
    g.add_argument(
        "--buffer-km",
        type=_positive,
        default=DEFAULT_BUFFER_KM,
        help="with --area: keep roads and facilities this far beyond the area, so border "
        f"villages find facilities across the border (default {DEFAULT_BUFFER_KM:g})",
    )
    g.add_argument(
        "--facilities-within",
        default=None,
        metavar="FILE_OR_NAME",
        help="leave out the facilities outside this polygon file or boundary name of the "
        "extract, as CBS leaves out those across the national border (e.g. Nederland); "
        "roads beyond it are still used; default: keep all",
    )


def _method_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--profiles",
        type=_names,
        default=None,
        metavar="NAMES",
        help="comma-separated profiles to build (default: every profile of the "
        "bundled profiles.toml and of --profiles-file; see `bereik profiles`)",
    )
    _profiles_file(g)
    g.add_argument(
        "--radii-km",
        type=_floats,
        default=DEFAULT_RADII_KM,
        help=f"radii of the count_<r>km columns (default {_csv(DEFAULT_RADII_KM)})",
    )
    g.add_argument(
        "--max-snap-m",
        type=_positive,
        default=DEFAULT_MAX_SNAP_M,
        help="villages farther from any road get reason not_on_network "
        f"(default {DEFAULT_MAX_SNAP_M:g})",
    )


def _origin_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--addresses",
        type=Path,
        default=None,
        metavar="FILE",
        help="address points (CSV lon,lat or x,y; GeoJSON/GeoPackage/GeoParquet), e.g. BAG "
        "verblijfsobjecten; default: the extract's addresses and residential buildings",
    )
    g.add_argument(
        "--addresses-crs",
        type=_crs,
        default=None,
        metavar="CRS",
        help="CRS of x,y columns of --addresses",
    )
    g.add_argument(
        "--residents-column",
        default=None,
        metavar="COL",
        help="residents per address in --addresses (default: the village population divided "
        "over its dwellings)",
    )
    g.add_argument(
        "--population",
        type=Path,
        default=None,
        metavar="RASTER",
        help="a population grid instead of addresses (GeoTIFF of persons per cell, e.g. the "
        "CBS 100 m squares): every populated cell is an origin",
    )
    g.add_argument(
        "--no-origins",
        action="store_true",
        help="village points only: no figures over persons",
    )
    g.add_argument(
        "--assign-radius-km",
        type=_positive,
        default=DEFAULT_ASSIGN_RADIUS_KM,
        help="an address belongs to the nearest village within this distance in its "
        f"municipality, else to the municipality's buitengebied (default "
        f"{DEFAULT_ASSIGN_RADIUS_KM:g}; village polygons win)",
    )
    g.add_argument(
        "--address-outputs",
        choices=["none", "car", "all"],
        default=DEFAULT_ADDRESS_OUTPUTS,
        help="per-address distances in addresses.parquet and the GeoPackage's residents layer: "
        f"none, car (CBS's network) or all profiles (default {DEFAULT_ADDRESS_OUTPUTS})",
    )
    g.add_argument(
        "--gpkg-edges",
        choices=GPKG_EDGES_CHOICES,
        default=DEFAULT_GPKG_EDGES,
        help="the road network layers (edges_<profile>) in bereik.gpkg: yes, no, or auto: yes "
        f"up to {GPKG_EDGES_AUTO_MAX:,} edges over all profiles (a province's roads would be "
        "most of the write time; `bereik export` gives them) "
        f"(default {DEFAULT_GPKG_EDGES})",
    )


def _profiles_file(g: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--profiles-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="TOML file that adds travel profiles or changes bundled ones (e.g. an "
        "e-bike; see docs/examples/profiles-extra.toml)",
    )


def _coverage_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--coverage",
        type=Path,
        default=None,
        metavar="FILE",
        help="broadband coverage: raster of Mbit/s (GeoTIFF), polygons "
        "(GeoJSON/GeoPackage/Shapefile) or address points (CSV/GeoPackage); "
        "the embedded sample uses a SYNTHETIC raster",
    )
    g.add_argument(
        "--coverage-speed-column",
        default=None,
        metavar="COL",
        help="speed attribute (Mbit/s) of vector/CSV coverage (default: detected)",
    )
    g.add_argument(
        "--coverage-crs",
        type=_crs,
        default=None,
        metavar="CRS",
        help="CRS for coverage without one (e.g. x,y columns in a CSV)",
    )
    g.add_argument(
        "--thresholds-mbps",
        type=_floats,
        default=DEFAULT_THRESHOLDS_MBPS,
        help="EU broadband thresholds basic,nga in Mbit/s (default "
        f"{_csv(DEFAULT_THRESHOLDS_MBPS)}): below the first is a white area",
    )
    g.add_argument(
        "--no-coverage",
        action="store_true",
        help="build the embedded sample without its synthetic coverage",
    )


def _transit_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--gtfs",
        type=Path,
        action="append",
        default=[],
        metavar="FEED",
        help="a GTFS feed (zip or folder); repeat for more feeds. Adds the profile 'transit' "
        "(walk + timetable) and the 'without a car' measures; needs --departure",
    )
    g.add_argument(
        "--departure",
        default=None,
        metavar="DATETIME",
        help="start of the departure window, local time of the feed (2026-03-10T07:00)",
    )
    g.add_argument(
        "--window-min",
        type=_positive,
        default=DEFAULT_TRANSIT_WINDOW_MIN,
        metavar="MIN",
        help="length of the departure window in minutes (default "
        f"{DEFAULT_TRANSIT_WINDOW_MIN:g}): the median and p90 are over its minutes",
    )


def _info_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("build", nargs="?", default=DEFAULT_NAME, help="build name or folder")
    _builds_dir(p)


def _profiles_arguments(p: argparse.ArgumentParser) -> None:
    _profiles_file(p)


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("build", help="build name or folder")
    p.add_argument(
        "--profile",
        default=None,
        help="a profile of the build (default: car if built, else the first)",
    )
    p.add_argument(
        "--format",
        default="graphml",
        choices=["graphml", "gpkg"],
        help="graphml: the directed graph (osmnx.load_graphml); gpkg: GeoPackage layers "
        "nodes and edges (one edge per road piece, osmnx's columns), the network's CRS",
    )
    p.add_argument("--output", type=Path, required=True, help="file to write")
    _builds_dir(p)


def _scenario_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("build", help="build name or folder")
    p.add_argument(
        "--close",
        action="append",
        default=[],
        metavar="FACILITY_ID",
        help="facility id to close (repeatable), e.g. node/761534771",
    )
    p.add_argument(
        "--open",
        dest="open_",
        action="append",
        default=[],
        metavar="CATEGORY,LON,LAT[,NAME]",
        help="facility to open (repeatable), e.g. gp,9.5215,47.1410,New practice",
    )
    p.add_argument(
        "--profiles",
        type=_names,
        default=None,
        metavar="NAMES",
        help="profiles to recompute (default: all of the build)",
    )
    p.add_argument("--output", type=Path, default=None, help="CSV of the per-village changes")
    _builds_dir(p)


def _compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="the earlier build (name or folder)")
    p.add_argument("new", help="the later build (name or folder)")
    p.add_argument(
        "--profile",
        default=None,
        help="profile of the printed summary (default: car if built, else the "
        "first; the CSV has all)",
    )
    p.add_argument(
        "--method",
        choices=["persons", "place_point"],
        default=None,
        help="persons: compare the means over persons (default when both builds have "
        "origins); place_point: the village points",
    )
    p.add_argument("--output", type=Path, default=None, help="CSV of the per-village changes")
    _builds_dir(p)


def _planning_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("build", help="build name or folder")
    p.add_argument("--category", required=True, help="facility category, e.g. gp, school")
    p.add_argument("--profile", default=None,
                   help="travel profile (default: car if built, else the first)")  # fmt: skip
    p.add_argument("--output", type=Path, default=None, help="CSV of the table printed")
    _builds_dir(p)


def _suggest_arguments(p: argparse.ArgumentParser) -> None:
    from accessibility.defaults import OBJECTIVES

    _planning_common(p)
    p.add_argument("--within-km", type=_positive, required=True,
                   help="road distance within which a person counts as served (km)")  # fmt: skip
    p.add_argument("--objective", choices=list(OBJECTIVES), default="coverage",
                   help="; ".join(f"{k}: {v}" for k, v in OBJECTIVES.items()))  # fmt: skip
    p.add_argument("--count", type=int, default=None,
                   help="sites to add (default 1; cover: as many as needed)")  # fmt: skip
    p.add_argument("--candidates", default="villages", metavar="SPEC",
                   help="villages (without the facility within "
                   f"{CANDIDATE_VILLAGE_FREE_M / 1000:g} km), grid:1km (a grid over the roads), or "
                   "a CSV/GeoJSON of points (lon,lat[,id,name])")  # fmt: skip
    p.add_argument("--target-share", type=_share, default=DEFAULT_TARGET_SHARE,
                   help="cover: share of persons to bring within --within-km "
                   f"(default {DEFAULT_TARGET_SHARE:g})")  # fmt: skip
    p.add_argument("--time-budget-s", type=_not_negative, default=DEFAULT_SUGGEST_BUDGET_S,
                   help="seconds the exact solver may take before the greedy answer is "
                   f"given (default {DEFAULT_SUGGEST_BUDGET_S:g}; 0: greedy only)")  # fmt: skip
    p.add_argument("--close-one", action="store_true",
                   help="instead: rank the closure of each existing facility alone, least "
                   "harmful first")  # fmt: skip


def _access_arguments(p: argparse.ArgumentParser) -> None:
    from accessibility.defaults import SUPPLY_METHODS

    _planning_common(p)
    p.add_argument("--catchment-minutes", type=_positive, default=DEFAULT_CATCHMENT_MIN,
                   help=f"travel time within which a facility is used (default "
                   f"{DEFAULT_CATCHMENT_MIN:g})")  # fmt: skip
    p.add_argument("--method", choices=list(SUPPLY_METHODS), default="e2sfca",
                   help="e2sfca: weights 1, 0.68, 0.22 over the catchment's thirds (Luo & Qi "
                   "2009); 2sfca: weight 1 throughout")  # fmt: skip
    p.add_argument("--capacity-column", default=None, metavar="COL",
                   help="capacity of each facility (e.g. fte): a column of --capacities, or "
                   "of the build's facilities; default 1 per facility")  # fmt: skip
    p.add_argument(
        "--capacities",
        type=Path,
        default=None,
        metavar="CSV",
        help="CSV of facility_id (or id) and the capacity column (default name: capacity); "
        "the facilities file given to `bereik build` works as it is",
    )
    p.add_argument("--by", choices=["village", "municipality", "facility"],
                   default="municipality", help="the table printed (and written)")  # fmt: skip


def _fairness_arguments(p: argparse.ArgumentParser) -> None:
    _planning_common(p)
    p.add_argument(
        "--radii-km",
        type=_floats,
        default=DEFAULT_RADII_KM,
        help=f"rings of the shares beyond (default {_csv(DEFAULT_RADII_KM)})",
    )


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("build", help="build name or folder")
    p.add_argument(
        "--municipality",
        default=None,
        metavar="NAME",
        help="only this municipality's villages (case-insensitive; default: the whole build)",
    )
    p.add_argument(
        "--compare",
        default=None,
        metavar="OTHER_BUILD",
        help="another build (an earlier year, name or folder): the change per village and "
        "the 'at least the same' verdict per category",
    )
    p.add_argument("--lang", choices=["nl", "en"], default="nl", help="Dutch (default) or English")
    p.add_argument(
        "--profile",
        default=None,
        help="profile of the figures (default: car if built, else the first)",
    )
    p.add_argument(
        "--output",
        type=Path,
        required=True,
        help="rapport.html (self-contained: CSS inline, images as data URIs) or rapport.pdf "
        "(A4, WeasyPrint)",
    )
    _builds_dir(p)


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--build",
        action="append",
        default=None,
        metavar="PATH_OR_NAME",
        help=f"build folder, a build name under --builds-dir, or NAME=PATH; repeat to "
        f"serve several (the first is the default; default: {DEFAULT_BUILD})",
    )
    _builds_dir(p)
    p.add_argument(
        "--build-default",
        action="store_true",
        help=f"when {DEFAULT_BUILD} is missing, build the embedded sample first",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1; 0.0.0.0 for all)",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--workers", type=int, default=1, help="worker processes; each loads the builds (default 1)"
    )
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )


# --- what each subcommand runs -------------------------------------------------------------------
def _run_build(args: argparse.Namespace) -> int:
    from accessibility.store import is_up_to_date, read_manifest
    from accessibility.summary import manifest_summary_lines

    out = args.out or (args.builds_dir / _build_name(args))
    params = _build_params(args)
    # fast path: unchanged inputs and parameters need neither the geodata stack nor work
    _, key = params.cache_key()
    if not args.force and is_up_to_date(out, key, verify=args.verify):
        if not args.quiet:
            print("\n".join(manifest_summary_lines(read_manifest(out), out, up_to_date=True)))
        return 0
    from accessibility.build import run_build, summary_lines

    _check_writable(out)
    result = run_build(params, out, force=args.force, progress=not args.quiet,
                       verify=args.verify)  # fmt: skip
    if not args.quiet:
        print("\n".join(summary_lines(result)))
    return 0


def _build_name(args: argparse.Namespace) -> str:
    if args.name:
        return args.name
    return DEFAULT_NAME if args.extract == DEFAULT_EXTRACT else args.extract.name.split(".")[0]


def _build_params(args: argparse.Namespace):
    from accessibility.errors import InputFileError
    from accessibility.params import BuildParams, FacilityFile

    if len(args.thresholds_mbps) != 2:  # noqa: PLR2004 - basic, nga
        msg = f"--thresholds-mbps takes two numbers basic,nga; got {args.thresholds_mbps}"
        raise InputFileError(msg)
    _check_origin_arguments(args)
    coverage = args.coverage
    if coverage is None and args.extract == DEFAULT_EXTRACT and not args.no_coverage:
        coverage = DEFAULT_COVERAGE
    return BuildParams(
        extract=args.extract,
        facilities=tuple(
            FacilityFile(path=f, category=args.facilities_category, xy_crs=args.facilities_crs)
            for f in args.facilities
        ),
        osm_facilities=not args.no_osm_facilities,
        villages=args.villages,
        villages_crs=args.villages_crs,
        boundaries=args.boundaries,
        admin_level=str(args.admin_level),
        categories=args.categories,
        profiles=args.profiles,
        profiles_file=args.profiles_file,
        radii_km=args.radii_km,
        max_snap_m=args.max_snap_m,
        coverage=coverage,
        coverage_speed_column=args.coverage_speed_column,
        coverage_crs=args.coverage_crs,
        basic_mbps=args.thresholds_mbps[0],
        nga_mbps=args.thresholds_mbps[-1],
        origins=not args.no_origins,
        addresses=args.addresses,
        addresses_crs=args.addresses_crs,
        residents_column=args.residents_column,
        population=args.population,
        assign_radius_km=args.assign_radius_km,
        address_outputs=args.address_outputs,
        gpkg_edges=args.gpkg_edges,
        area=args.area,
        buffer_km=args.buffer_km,
        facilities_within=args.facilities_within,
        gtfs=tuple(args.gtfs),
        departure=args.departure,
        window_min=args.window_min,
    )


def _check_origin_arguments(args: argparse.Namespace) -> None:
    """One source of origins per build; the options that need one name it."""
    from accessibility.errors import InputFileError

    if args.addresses is not None and args.population is not None:
        msg = "give --addresses or --population, not both: one source of origins per build"
        raise InputFileError(msg)
    if args.no_origins and (args.addresses is not None or args.population is not None):
        msg = "--no-origins and --addresses/--population contradict each other"
        raise InputFileError(msg)
    if args.addresses is None and (args.residents_column or args.addresses_crs):
        option = "--residents-column" if args.residents_column else "--addresses-crs"
        msg = f"{option} needs --addresses FILE"
        raise InputFileError(msg)
    if not args.assign_radius_km > 0:
        msg = f"--assign-radius-km must be a positive number of km, got {args.assign_radius_km}"
        raise InputFileError(msg)


def _check_writable(out: Path) -> None:
    """Refuse an output folder that cannot be written, before any work (one line)."""
    from accessibility.errors import InputFileError

    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        msg = f"cannot write the build to {out}: {parent} is not a writable folder"
        raise InputFileError(msg)
    free = shutil.disk_usage(parent).free
    if free < MIN_FREE_BYTES:
        msg = (f"cannot write the build to {out}: only {free / 1e6:,.0f} MB free on that disk "
               f"(at least {MIN_FREE_BYTES / 1e6:,.0f} MB needed)")  # fmt: skip
        raise InputFileError(msg)


def _run_info(args: argparse.Namespace) -> int:
    from accessibility.store import read_manifest, resolve_build
    from accessibility.summary import manifest_summary_lines

    path = resolve_build(args.build, args.builds_dir)
    print("\n".join(manifest_summary_lines(read_manifest(path), path, up_to_date=True)))
    return 0


def _run_profiles(args: argparse.Namespace) -> int:
    from accessibility.profiles import load_profiles

    profiles = load_profiles(args.profiles_file).profiles
    width = max(map(len, profiles)) + 2
    for p in profiles.values():
        print(
            f"{p.name:<{width}}{p.label}: {_speeds_text(p)}; {len(p.highways)} road classes, "
            f"one-way: {p.oneway}"
        )
    return 0


def _speeds_text(p) -> str:
    parts = []
    road = {k: v for k, v in p.speeds_kph.items() if k not in p.timetabled}
    if road:
        lo, hi = min(road.values()), max(road.values())
        parts.append(f"{lo:g}{f'-{hi:g}' if hi > lo else ''} km/h by road class")
    if p.speed_kph:
        parts.append(f"{p.speed_kph:g} km/h" + (" on other classes" if road else ""))
    if p.maxspeed:
        parts.append("or the maxspeed tag")
    text = ", ".join(parts)
    if p.max_speed_kph:
        text += f", at most {p.max_speed_kph:g} km/h"
    text += f", times {p.speed_factor:g}" if p.speed_factor != 1 else ""
    if p.push_speed_kph:
        text += f", pushed at {p.push_speed_kph:g} km/h where it may not ride"
    if p.restrictions:
        text += ", turn restrictions"
    return text


def _run_export(args: argparse.Namespace) -> int:
    from accessibility.model import load_build
    from accessibility.store import resolve_build
    from accessibility.writer import write_network_geopackage

    build = load_build(resolve_build(args.build, args.builds_dir))
    net = build.network(args.profile)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # x.tmp.gpkg, not x.gpkg.tmp: GDAL warns about a GeoPackage not named *.gpkg
    tmp = args.output.with_name(f"{args.output.stem}.tmp{args.output.suffix}")
    if args.format == "graphml":
        import osmnx as ox

        G = net.to_networkx()
        ox.save_graphml(G, tmp)
        n_nodes, n_edges = G.number_of_nodes(), G.number_of_edges()
    else:  # osmnx's layers and columns, bereik's writer (GeoPackage 1.2, spatial indexes)
        n_nodes, n_edges = write_network_geopackage(net, tmp)
    tmp.replace(args.output)
    print(f"wrote {args.output} ({n_nodes} nodes, {n_edges} edges)")
    return 0


def _parse_open(text: str):
    from accessibility.errors import InputFileError
    from accessibility.scenarios import NewFacility

    parts = [p.strip() for p in text.split(",")]
    try:
        cat, lon, lat = parts[0], float(parts[1]), float(parts[2])
    except (IndexError, ValueError) as exc:
        msg = f"--open expects CATEGORY,LON,LAT[,NAME]; got {text!r}"
        raise InputFileError(msg) from exc
    return NewFacility(category=cat, lon=lon, lat=lat, name=",".join(parts[3:]))


def _print_changes(changes, output: Path | None, profile: str) -> None:
    from accessibility.scenarios import change_summary
    from accessibility.writer import write_csv

    summary = change_summary(changes, profile=profile)
    cols = [
        "category",
        "villages_worse",
        "population_worse",
        "villages_lost",
        "villages_better",
        "villages_gained",
        "max_increase_m",
        "stayed_the_same_or_better",
    ]
    print(summary[cols].to_string(index=False))
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(output.name + ".tmp")
        write_csv(changes, tmp)  # figures rounded as in every output
        tmp.replace(output)
        print(f"wrote {output} ({len(changes)} rows)")


def _run_scenario(args: argparse.Namespace) -> int:
    from accessibility.model import load_build
    from accessibility.profiles import preferred_profile
    from accessibility.scenarios import what_if
    from accessibility.store import resolve_build

    build = load_build(resolve_build(args.build, args.builds_dir))
    opened = [_parse_open(t) for t in args.open_]
    result = what_if(build, close=args.close, open_=opened, profiles=args.profiles)
    profile = preferred_profile(list(dict.fromkeys(result.changes["profile"])))
    _print_changes(result.changes, args.output, profile)
    if result.persons is not None:
        _print_persons(result.persons, profile)
    return 0


def _print_persons(persons, profile: str) -> None:
    """Print the persons a scenario moves, a line per category (the summary's profile)."""
    rings = [c for c in persons.columns if c.startswith("newly_beyond_")]
    for r in persons[persons["profile"] == profile].itertuples():
        unit = "dwellings" if r.method == "addresses" else "persons"
        beyond = ", ".join(
            f"{getattr(r, c):,.0f} no longer within {c.removeprefix('newly_beyond_')}"
            for c in rings
        )
        print(f"{r.category} by {r.profile}: {r.weight_worse:,.0f} of {r.weight:,.0f} {unit} "
              f"get farther ({r.weight_lost:,.0f} lose access); {beyond}")  # fmt: skip


def _run_compare(args: argparse.Namespace) -> int:
    from accessibility.model import load_build
    from accessibility.scenarios import compare_builds
    from accessibility.store import resolve_build

    old = load_build(resolve_build(args.old, args.builds_dir))
    new = load_build(resolve_build(args.new, args.builds_dir))
    changes = compare_builds(old, new, method=args.method)
    _print_changes(changes, args.output, new.pick_profile(args.profile))
    return 0


def _write_table(table, output: Path | None) -> None:
    """Write ``table`` as CSV (figures rounded as in every output) when asked."""
    from accessibility.writer import write_csv

    if output is None:
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    write_csv(table, tmp)
    tmp.replace(output)
    print(f"wrote {output} ({len(table)} rows)")


def _load(args: argparse.Namespace):
    from accessibility.model import load_build
    from accessibility.store import resolve_build

    return load_build(resolve_build(args.build, args.builds_dir))


def _run_suggest(args: argparse.Namespace) -> int:
    from accessibility import planning

    build = _load(args)
    if args.close_one:
        table = planning.closures(build, category=args.category, within_km=args.within_km,
                                  profile=args.profile)  # fmt: skip
        cols = ["rank", "facility_id", "name", "users", "newly_beyond", "lose_access",
                "mean_increase_m", "max_increase_m"]  # fmt: skip
        print(
            f"closing one {args.category} facility ({table['profile'].iloc[0]}, "
            f"{table['unit'].iloc[0]} beyond {args.within_km:g} km), least harmful first:"
        )
        print(table[cols].round(1).to_string(index=False))
        _write_table(table, args.output)
        return 0
    count = args.count if args.count is not None else (None if args.objective == "cover" else 1)
    out = planning.suggest_sites(build, category=args.category, within_km=args.within_km,
                                 profile=args.profile, objective=args.objective, count=count,
                                 candidates=args.candidates, target_share=args.target_share,
                                 time_budget_s=args.time_budget_s)  # fmt: skip
    _print_suggestion(out)
    _write_table(out.sites, args.output)
    return 0


def _print_suggestion(out) -> None:
    s = out.summary
    gap = "" if s["gap"] is None else f", gap to the optimum {100 * s['gap']:.1f} %"
    print(
        f"{s['objective']} for {s['category']} by {s['profile']} within {s['within_km']:g} km, "
        f"{s['candidates']} candidates ({s['candidates_from']}), {s['demand_unit']} from "
        f"{s['demand']}: {s['method']}{gap}{'; ' + s['note'] if s['note'] else ''}"
    )
    cols = ["rank", "candidate_id", "name", "lon", "lat", "newly_within", "share_within_after"]
    print(out.sites[cols].round(4).to_string(index=False))
    print(
        f"within {s['within_km']:g} km: {100 * s['share_within_before']:.1f} % -> "
        f"{100 * s['share_within_after']:.1f} % of {s['persons']:,.0f} {s['demand_unit']}; "
        f"mean {s['mean_before']:,.0f} m -> {s['mean_after']:,.0f} m"
    )


def _run_access(args: argparse.Namespace) -> int:
    from accessibility import planning

    build = _load(args)
    t = planning.supply_access(build, category=args.category, profile=args.profile,
                               catchment_minutes=args.catchment_minutes, method=args.method,
                               capacity_column=args.capacity_column,
                               capacities=args.capacities)  # fmt: skip
    s = t.summary
    print(
        f"{s['method']} for {s['category']} by {s['profile']}, catchment "
        f"{s['catchment_minutes']:g} min, capacity {s['capacity']}: "
        f"{s['per_1000_overall']:.3f} per 1,000 {s['unit']} overall"
    )
    table = {"village": t.villages, "municipality": t.municipalities,
             "facility": t.facilities}[args.by]  # fmt: skip
    print(table.drop(columns="access", errors="ignore").round(3).to_string(index=False))
    _write_table(table, args.output)
    return 0


def _run_fairness(args: argparse.Namespace) -> int:
    from accessibility import planning

    build = _load(args)
    table = planning.fairness(build, category=args.category, profile=args.profile,
                              rings_km=args.radii_km)  # fmt: skip
    shown = table.drop(columns=["category", "profile"])
    print(
        f"distance to the nearest {args.category} by {table['profile'].iloc[0]}, over "
        f"{table['unit'].iloc[0]}:"
    )
    print(shown.round(3).to_string(index=False))
    _write_table(table, args.output)
    return 0


#: the report's formats by the output's file suffix
REPORT_FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def _run_report(args: argparse.Namespace) -> int:
    from accessibility.errors import InputFileError
    from accessibility.model import load_build
    from accessibility.report import render_pdf, render_report
    from accessibility.report.figures import resolve_municipality
    from accessibility.store import resolve_build

    fmt = REPORT_FORMATS.get(args.output.suffix.lower())
    if fmt is None:
        msg = f"--output must end in .html or .pdf; got {str(args.output)!r}"
        raise InputFileError(msg)
    if not _writable(args.output):
        return 2
    build = load_build(resolve_build(args.build, args.builds_dir))
    resolve_municipality(build, args.municipality)  # an unknown name fails before the work
    other = load_build(resolve_build(args.compare, args.builds_dir)) if args.compare else None
    html = render_report(build, municipality=args.municipality, compare=other, lang=args.lang,
                         profile=args.profile)  # fmt: skip
    data = render_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    tmp = args.output.with_name(f"{args.output.stem}.tmp{args.output.suffix}")
    try:
        tmp.write_bytes(data)
        tmp.replace(args.output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        print(f"bereik: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} ({fmt.upper()}, {len(data) / 1e6:.1f} MB)")
    return 0


def _writable(output: Path) -> bool:
    """Tell whether ``output`` can be written (its folder made); else print why."""
    try:
        if output.is_dir():
            msg = "is a folder"
        elif output.parent.exists() and not output.parent.is_dir():
            msg = f"{output.parent} is not a folder"
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            msg = "" if os.access(output.parent, os.W_OK) else "folder not writable"
    except OSError as exc:
        msg = exc.strerror or str(exc)
    if msg:
        print(f"bereik: error: cannot write {output}: {msg}", file=sys.stderr)
    return not msg


def _build_default(path: Path) -> None:
    """Build the embedded sample with `bereik build`'s own defaults (startup, not a request)."""
    print(f"bereik: building the embedded sample into {path} (first start)", file=sys.stderr)
    rc = main(["build", "--out", str(path)])
    if rc != 0:
        raise SystemExit(rc)


def _run_serve(args: argparse.Namespace) -> int:
    """Prepare the builds, then run uvicorn on ``app.main:app`` (the web stack loads here)."""
    import uvicorn

    from accessibility.layout import BuildLayout
    from accessibility.store import build_ref

    builds = [build_ref(b, args.builds_dir) for b in (args.build or [str(DEFAULT_BUILD)])]
    for name, path in builds:
        if BuildLayout(path).manifest.exists():
            continue
        if args.build_default and path == DEFAULT_BUILD:
            _build_default(path)
        else:
            print(
                f"bereik: warning: no build {name!r} at {path}; the service starts without "
                "it (GET /health tells); run `bereik build` or use --build-default",
                file=sys.stderr,
            )
    # settings reach every worker through the environment (read by app.config.Settings)
    os.environ["BEREIK_BUILD"] = ""
    os.environ["BEREIK_BUILDS"] = ",".join(f"{n}={p}" for n, p in builds)
    try:
        uvicorn.run(
            "app.main:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
        )
    except ValueError as exc:  # settings from BEREIK_* variables that do not validate
        print(f"bereik: error: {exc}", file=sys.stderr)
        return 2
    return 0


# --- the parser ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """A subcommand: its help, its arguments and what it runs."""

    name: str
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler


COMMANDS = (
    Command(
        "build",
        "build networks, facilities, villages and indicators from an OSM extract",
        "Turn an OSM extract (.osm.pbf/.osm/.osm.bz2/.osm.gz) into a build folder: "
        "indicators.csv/.parquet, municipalities.csv, nabijheid.csv (CBS columns), figures over "
        "persons (with origins), bereik.gpkg, networks and manifest.json. Without EXTRACT, "
        "builds the embedded sample.",
        _build_arguments,
        _run_build,
    ),
    Command(
        "info",
        "print the summary of a build",
        "Print the summary table of a build (by name or path).",
        _info_arguments,
        _run_info,
    ),
    Command(
        "profiles",
        "list the travel profiles (bundled, and those of a profiles file)",
        "List the travel profiles a build can use: the bundled profiles.toml, with the "
        "profiles a --profiles-file adds or changes.",
        _profiles_arguments,
        _run_profiles,
    ),
    Command(
        "export",
        "export a build's network as GraphML or GeoPackage (osmnx conventions)",
        "Export the network of one profile for osmnx/networkx/QGIS users.",
        _export_arguments,
        _run_export,
    ),
    Command(
        "scenario",
        "what if facilities close or open: indicators before/after per village",
        "Recompute the affected categories with facilities closed and/or opened, on the "
        "build's networks; print per category how many villages got worse or better and "
        "write the per-village changes (CSV).",
        _scenario_arguments,
        _run_scenario,
    ),
    Command(
        "compare",
        "compare two builds (e.g. two years): change per village, category, profile",
        "Join the indicators of two builds by village id and report what got worse: the "
        "province's test that proximity 'at least stayed the same'.",
        _compare_arguments,
        _run_compare,
    ),
    Command(
        "suggest",
        "where new facilities help most, or which closure hurts least",
        "Suggest sites for new facilities of a category: the most persons newly within a "
        "road distance (coverage), the least total distance (median) or the fewest sites "
        "until a share is within it (cover), from candidate villages, a grid or a file; "
        "solved exactly (HiGHS) within a time budget, else greedily, and labelled so. With "
        "--close-one: what closing each existing facility alone would do, least harmful "
        "first.",
        _suggest_arguments,
        _run_suggest,
    ),
    Command(
        "access",
        "supply against demand: facilities per 1,000 persons within a catchment (E2SFCA)",
        "The two-step floating catchment: each facility's capacity shared over the persons "
        "within the travel-time catchment, summed per person; per village, municipality "
        "or facility.",
        _access_arguments,
        _run_access,
    ),
    Command(
        "fairness",
        "how evenly the distance to a facility is spread: Gini, Palma, shares beyond",
        "Per municipality and for the whole build: the distribution of the road distance "
        "to the nearest facility of a category over persons: Gini, Palma ratio, the gap "
        "between the best- and worst-served tenth, and the share beyond each ring.",
        _fairness_arguments,
        _run_fairness,
    ),
    Command(
        "report",
        "the report for the council: maps, charts, tables (HTML or PDF, Dutch or English)",
        "Write a self-contained report of a build, or of one municipality: a map per key "
        "facility, the distribution of distances, the share beyond the CBS rings, the "
        "farthest villages, the double-disadvantage list, method and sources; with "
        "--compare the change per village and the 'at least the same' verdict. The output's "
        "suffix picks HTML or PDF.",
        _report_arguments,
        _run_report,
    ),
    Command(
        "serve",
        "run the HTTP service (API, OGC collections and web map)",
        "Serve one or more builds read-only over HTTP: GeoJSON layers, OGC API Features "
        "collections, isochrones, catchments, matrices, and the web map at /. Other "
        "settings come from BEREIK_* environment variables or a .env file.",
        _serve_arguments,
        _run_serve,
    ),
)


def make_parser() -> argparse.ArgumentParser:
    """Make the argument parser of every subcommand (also used to document the commands)."""
    p = argparse.ArgumentParser(
        prog="bereik", description="Accessibility of villages to facilities, from OpenStreetMap."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for c in COMMANDS:
        c.arguments(sub.add_parser(c.name, help=c.help, description=c.description))
    return p


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"bereik: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bereik`` command."""
    args = make_parser().parse_args(argv)
    warnings.formatwarning = _format_warning
    from accessibility.errors import AccessibilityError
    from broadband.errors import BroadbandError

    handlers = {c.name: c.run for c in COMMANDS}
    try:
        return handlers[args.command](args)
    except (AccessibilityError, BroadbandError) as exc:
        print(f"bereik: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        return 0
    except KeyboardInterrupt:
        print("bereik: interrupted; the last complete build was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
