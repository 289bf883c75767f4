"""The `bereik` command line: build, info, export (and serve, from the app package).

Every subcommand is one library call; errors are one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

DEFAULT_EXTRACT = Path("data/samples/liechtenstein-2015-07-27.osm.pbf")
#: SYNTHETIC coverage for the embedded sample (see data/README.md); real data: --coverage
DEFAULT_COVERAGE = Path("data/samples/synthetic-coverage-liechtenstein.tif")
DEFAULT_BUILDS_DIR = Path("data/builds")
DEFAULT_NAME = "demo"


def _floats(text: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        msg = f"expected comma-separated numbers such as 1,3,5; got {text!r}"
        raise argparse.ArgumentTypeError(msg) from exc
    if not vals or any(v <= 0 for v in vals):
        msg = f"expected positive numbers such as 1,3,5; got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return vals


def _profiles(text: str) -> tuple[str, ...]:
    from accessibility.profiles import PROFILES

    vals = tuple(v.strip() for v in text.split(",") if v.strip())
    bad = [v for v in vals if v not in PROFILES]
    if bad or not vals:
        msg = f"unknown profile(s) {bad or text!r}; expected a subset of {','.join(PROFILES)}"
        raise argparse.ArgumentTypeError(msg)
    return vals


def make_parser() -> argparse.ArgumentParser:
    """Make the argument parser (also used to document the commands)."""
    p = argparse.ArgumentParser(
        prog="bereik",
        description="Accessibility of villages to facilities, from OpenStreetMap.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser(
        "build",
        help="build networks, facilities, villages and indicators from an OSM extract",
        description=(
            "Turn an OSM extract (.osm.pbf/.osm/.osm.bz2/.osm.gz) into a build folder: "
            "indicators.csv/.parquet, municipalities.csv, nabijheid.csv, bereik.gpkg, "
            "networks and manifest.json. Without EXTRACT, builds the embedded sample."
        ),
    )
    b.add_argument(
        "extract",
        nargs="?",
        type=Path,
        default=DEFAULT_EXTRACT,
        help=f"OSM extract (default: {DEFAULT_EXTRACT})",
    )
    b.add_argument(
        "--name",
        default=None,
        help=f"build name under --builds-dir (default: {DEFAULT_NAME!r} for the "
        "embedded sample, else the extract's file stem)",
    )
    b.add_argument("--out", type=Path, default=None, help="build folder (overrides --name)")
    b.add_argument(
        "--builds-dir",
        type=Path,
        default=DEFAULT_BUILDS_DIR,
        help=f"folder of named builds (default: {DEFAULT_BUILDS_DIR})",
    )
    b.add_argument(
        "--facilities",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="facilities CSV/GeoJSON/GeoPackage (category,lon,lat[,id,name]); "
        "repeatable; the DUO school CSV is read as is",
    )
    b.add_argument(
        "--facilities-category",
        default=None,
        metavar="CAT",
        help="category for facility rows without one",
    )
    b.add_argument(
        "--facilities-crs",
        default=None,
        metavar="CRS",
        help="CRS of x,y columns in facility CSVs (e.g. EPSG:28992)",
    )
    b.add_argument(
        "--no-osm-facilities",
        action="store_true",
        help="use only the --facilities files, not the OSM POIs",
    )
    b.add_argument(
        "--villages",
        type=Path,
        default=None,
        metavar="FILE",
        help="villages CSV (id,name,population,lon,lat) or GeoJSON/GeoPackage "
        "points/polygons; default: OSM place=city/town/village/hamlet",
    )
    b.add_argument(
        "--villages-crs", default=None, metavar="CRS", help="CRS of x,y columns in a villages CSV"
    )
    b.add_argument(
        "--boundaries",
        type=Path,
        default=None,
        metavar="FILE",
        help="municipality polygons (name/statnaam column); default: OSM "
        "boundary=administrative at --admin-level",
    )
    b.add_argument(
        "--admin-level",
        default="8",
        help="OSM admin_level of municipalities (default 8, the Dutch gemeente)",
    )
    b.add_argument(
        "--categories",
        type=Path,
        default=None,
        metavar="FILE",
        help="category rules (TOML); default: the bundled categories.toml",
    )
    b.add_argument(
        "--profiles",
        type=_profiles,
        default=("car", "bike", "walk"),
        help="comma-separated subset of car,bike,walk (default: all)",
    )
    b.add_argument(
        "--radii-km",
        type=_floats,
        default=(1.0, 3.0, 5.0),
        help="radii of the count_<r>km columns (default 1,3,5)",
    )
    b.add_argument(
        "--max-snap-m",
        type=float,
        default=500.0,
        help="villages farther from any road get reason not_on_network (default 500)",
    )
    b.add_argument(
        "--coverage",
        type=Path,
        default=None,
        metavar="FILE",
        help="broadband coverage: raster of Mbit/s (GeoTIFF), polygons "
        "(GeoJSON/GeoPackage/Shapefile) or address points (CSV/GeoPackage); "
        "the embedded sample uses a SYNTHETIC raster",
    )
    b.add_argument(
        "--coverage-speed-column",
        default=None,
        metavar="COL",
        help="speed attribute (Mbit/s) of vector/CSV coverage (default: detected)",
    )
    b.add_argument(
        "--coverage-crs",
        default=None,
        metavar="CRS",
        help="CRS for coverage without one (e.g. x,y columns in a CSV)",
    )
    b.add_argument(
        "--thresholds-mbps",
        type=_floats,
        default=(30.0, 100.0),
        help="EU broadband thresholds basic,nga in Mbit/s (default 30,100): "
        "below the first is a white area",
    )
    b.add_argument(
        "--no-coverage",
        action="store_true",
        help="build the embedded sample without its synthetic coverage",
    )
    b.add_argument("--force", action="store_true", help="rebuild even when up to date")
    b.add_argument("--quiet", action="store_true", help="no progress bars or summary")

    i = sub.add_parser(
        "info",
        help="print the summary of a build",
        description="Print the summary table of a build (by name or path).",
    )
    i.add_argument("build", nargs="?", default=DEFAULT_NAME, help="build name or folder")
    i.add_argument("--builds-dir", type=Path, default=DEFAULT_BUILDS_DIR)

    sc = sub.add_parser(
        "scenario",
        help="what if facilities close or open: indicators before/after per village",
        description=(
            "Recompute the affected categories with facilities closed and/or opened, on the "
            "build's networks; print per category how many villages got worse or better "
            "and write the per-village changes (CSV)."
        ),
    )
    sc.add_argument("build", help="build name or folder")
    sc.add_argument(
        "--close",
        action="append",
        default=[],
        metavar="FACILITY_ID",
        help="facility id to close (repeatable), e.g. node/761534771",
    )
    sc.add_argument(
        "--open",
        dest="open_",
        action="append",
        default=[],
        metavar="CATEGORY,LON,LAT[,NAME]",
        help="facility to open (repeatable), e.g. gp,9.5215,47.1410,New practice",
    )
    sc.add_argument(
        "--profiles",
        type=_profiles,
        default=None,
        help="profiles to recompute (default: all of the build)",
    )
    sc.add_argument("--output", type=Path, default=None, help="CSV of the per-village changes")
    sc.add_argument("--builds-dir", type=Path, default=DEFAULT_BUILDS_DIR)

    cp = sub.add_parser(
        "compare",
        help="compare two builds (e.g. two years): change per village, category, profile",
        description=(
            "Join the indicators of two builds by village id and report what got worse: "
            "the province's test that proximity 'at least stayed the same'."
        ),
    )
    cp.add_argument("old", help="the earlier build (name or folder)")
    cp.add_argument("new", help="the later build (name or folder)")
    cp.add_argument(
        "--profile",
        default="car",
        choices=["car", "bike", "walk"],
        help="profile of the printed summary (the CSV has all)",
    )
    cp.add_argument("--output", type=Path, default=None, help="CSV of the per-village changes")
    cp.add_argument("--builds-dir", type=Path, default=DEFAULT_BUILDS_DIR)

    e = sub.add_parser(
        "export",
        help="export a build's network as GraphML or GeoPackage (osmnx conventions)",
        description="Export the network of one profile for osmnx/networkx/QGIS users.",
    )
    e.add_argument("build", help="build name or folder")
    e.add_argument("--profile", default="car", choices=["car", "bike", "walk"])
    e.add_argument("--format", default="graphml", choices=["graphml", "gpkg"])
    e.add_argument("--output", type=Path, required=True, help="file to write")
    e.add_argument("--builds-dir", type=Path, default=DEFAULT_BUILDS_DIR)
    return p


def _cmd_build(args: argparse.Namespace) -> int:
    from accessibility.errors import InputFileError
    from accessibility.params import BuildParams, FacilityFile, hash_inputs, manifest_summary_lines
    from accessibility.store import build_key, is_up_to_date, read_manifest

    name = args.name or (
        DEFAULT_NAME if args.extract == DEFAULT_EXTRACT else args.extract.name.split(".")[0]
    )
    out = args.out or (args.builds_dir / name)
    if len(args.thresholds_mbps) != 2:  # noqa: PLR2004
        msg = f"--thresholds-mbps takes two numbers basic,nga; got {args.thresholds_mbps}"
        raise InputFileError(msg)
    coverage = args.coverage
    if coverage is None and args.extract == DEFAULT_EXTRACT and not args.no_coverage:
        coverage = DEFAULT_COVERAGE
    params = BuildParams(
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
        radii_km=args.radii_km,
        max_snap_m=args.max_snap_m,
        coverage=coverage,
        coverage_speed_column=args.coverage_speed_column,
        coverage_crs=args.coverage_crs,
        basic_mbps=args.thresholds_mbps[0],
        nga_mbps=args.thresholds_mbps[-1],
    )
    # fast path: unchanged inputs and parameters need neither the geodata stack nor work
    if not args.force and is_up_to_date(out, build_key(hash_inputs(params), params.parameters())):
        if not args.quiet:
            print("\n".join(manifest_summary_lines(read_manifest(out), out, up_to_date=True)))
        return 0
    from accessibility.build import run_build, summary_lines

    result = run_build(params, out, force=args.force, progress=not args.quiet)
    if not args.quiet:
        print("\n".join(summary_lines(result)))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from accessibility.params import manifest_summary_lines
    from accessibility.store import read_manifest, resolve_build

    path = resolve_build(args.build, args.builds_dir)
    print("\n".join(manifest_summary_lines(read_manifest(path), path, up_to_date=True)))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    import osmnx as ox

    from accessibility.network import Network
    from accessibility.store import resolve_build

    path = resolve_build(args.build, args.builds_dir)
    net_file = path / f"network_{args.profile}.npz"
    if not net_file.exists():
        from accessibility.errors import BuildNotFoundError

        msg = f"{path}: no {args.profile} network in this build"
        raise BuildNotFoundError(msg)
    G = Network.load(net_file).to_networkx()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(args.output.name + ".tmp")
    if args.format == "graphml":
        ox.save_graphml(G, tmp)
    else:
        ox.save_graph_geopackage(G, tmp)
    tmp.replace(args.output)
    print(f"wrote {args.output} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)")
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
        changes.to_csv(tmp, index=False)
        tmp.replace(output)
        print(f"wrote {output} ({len(changes)} rows)")


def _cmd_scenario(args: argparse.Namespace) -> int:
    from accessibility.build import load_build
    from accessibility.scenarios import run_scenario
    from accessibility.store import resolve_build

    build = load_build(resolve_build(args.build, args.builds_dir))
    opened = [_parse_open(t) for t in args.open_]
    changes = run_scenario(build, close=args.close, open_=opened, profiles=args.profiles)
    prof = "car" if "car" in set(changes["profile"]) else str(changes["profile"].iloc[0])
    _print_changes(changes, args.output, prof)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from accessibility.build import load_build
    from accessibility.scenarios import compare_builds
    from accessibility.store import resolve_build

    old = load_build(resolve_build(args.old, args.builds_dir))
    new = load_build(resolve_build(args.new, args.builds_dir))
    _print_changes(compare_builds(old, new), args.output, args.profile)
    return 0


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"bereik: warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bereik` command."""
    parser = make_parser()
    args = parser.parse_args(argv)
    warnings.formatwarning = _format_warning
    from accessibility.errors import AccessibilityError
    from broadband.errors import BroadbandError

    handlers = {
        "build": _cmd_build,
        "info": _cmd_info,
        "export": _cmd_export,
        "scenario": _cmd_scenario,
        "compare": _cmd_compare,
    }
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
