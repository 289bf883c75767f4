"""The pipeline of `bereik build`: from an OSM extract (and user files) to a build folder.

Stages: read OSM (one pyosmium pass) -> networks per profile -> facilities -> villages and
municipalities -> snapping and indicators -> (broadband) -> basemap (a second, lighter pass
for the web map's background; never fails the build) -> write (:mod:`accessibility.writer`,
into the files :class:`accessibility.layout.BuildLayout` names). The read model of a finished
build is :mod:`accessibility.model`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessibility.area import Area, clip_osm, resolve_area
from accessibility.basemap import Basemap, build_basemap, empty_basemap
from accessibility.crs import WGS84, choose_metric_crs
from accessibility.defaults import GPKG_EDGES_AUTO_MAX, GPKG_EDGES_CHOICES
from accessibility.errors import InputFileError
from accessibility.facilities import (
    FACILITY_COLUMNS,
    CategoryRules,
    facilities_from_file,
    facilities_from_osm,
    load_categories,
)
from accessibility.indicators import (
    cbs_nabijheid_table,
    municipality_indicators,
    village_indicators,
)
from accessibility.layout import BuildLayout
from accessibility.network import Network, build_network, project_osm
from accessibility.osm import read_osm
from accessibility.params import BuildParams
from accessibility.profiles import preferred_profile
from accessibility.residents import (
    CBS_PROFILE,
    ResidentFigures,
    as_long_table,
    weighted_quantiles,
)
from accessibility.sanity import (
    check_inside,
    check_some,
    check_villages_on_network,
    extract_bounds,
)
from accessibility.store import (
    SCHEMA_VERSION,
    AtomicBuildDir,
    BuildLock,
    file_list,
    is_up_to_date,
    library_versions,
    read_manifest,
    write_json_atomic,
)
from accessibility.summary import manifest_summary_lines
from accessibility.transit.feed import check_feeds
from accessibility.transit.stage import run_transit
from accessibility.villages import (
    assign_municipality,
    boundaries_from_file,
    villages_from_file,
    villages_from_osm,
)
from accessibility.writer import (
    BuildTables,
    gpkg_layer,
    points,
    write_csv,
    write_nabijheid,
    write_persons,
    write_tables,
)

__all__ = ["BuildResult", "run_build", "summary_lines"]


@dataclass
class BuildResult:
    """What a build produced (also when it was already up to date)."""

    path: Path
    manifest: dict[str, Any]
    up_to_date: bool = False
    indicators: pd.DataFrame | None = None
    timings_s: dict[str, float] = field(default_factory=dict)


def run_build(
    params: BuildParams,
    out_dir: str | Path,
    *,
    force: bool = False,
    progress: bool = False,
    verify: bool = False,
) -> BuildResult:
    """Build (or reuse) the build folder ``out_dir`` for ``params``.

    Returns immediately with ``up_to_date=True`` when ``out_dir`` already holds a build with
    the same cache key and every file the manifest lists at its size (``verify``: and its
    SHA-256), unless ``force``. A damaged build is rebuilt.

    Raises
    ------
    BuildLockedError
        When another build is writing ``out_dir``.
    """
    out = Path(out_dir)
    hashes, key = params.cache_key()
    with BuildLock(out):  # a second build of this folder stops here, before any work
        if not force and is_up_to_date(out, key, verify=verify):
            return BuildResult(path=out, manifest=read_manifest(out), up_to_date=True)
        return _build(params, out, key, hashes, progress=progress)


def _build(params: BuildParams, out: Path, key: str, hashes: dict[str, str], *,
           progress: bool) -> BuildResult:  # fmt: skip
    names = ["read OSM", "networks", "facilities", "villages", "indicators", "write"]
    if params.origins_source is not None:
        names.insert(4, "origins")
    if params.gtfs:
        names.insert(names.index("indicators") + 1, "transit")
    if params.coverage is not None:
        names.insert(-1, "broadband")
    names.insert(-1, "basemap")
    with _Stages(names, progress=progress) as stages:
        return _run_stages(params, out, key, hashes, stages)


class _Stages:
    """Timings of the named build stages and their progress bar (tqdm, when asked)."""

    def __init__(self, names: list[str], *, progress: bool) -> None:
        self.timings: dict[str, float] = {}
        self.bar = None
        if progress:
            from tqdm import tqdm

            self.bar = tqdm(total=len(names), desc="build", unit="stage", leave=True)

    def __enter__(self) -> _Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage (kept only when it succeeds) and advance the bar."""
        if self.bar is not None:
            self.bar.set_description(f"build: {name}")
        t = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t, 3)
        if self.bar is not None:
            self.bar.update(1)


def _run_stages(params: BuildParams, out: Path, key: str, hashes: dict[str, str],
                stages: _Stages) -> BuildResult:  # fmt: skip
    rules = load_categories(params.categories)
    if params.gtfs:  # a feed without service on the day fails now, not after the networks
        check_feeds(params.gtfs, params.departure_time.date())
    with stages.stage("read OSM"):
        osm = read_osm(params.extract, poi_keys=rules.keys, progress=stages.bar is not None,
                       buildings=params.origins_source == "osm")  # fmt: skip
        crs = choose_metric_crs(osm.node_lon, osm.node_lat)
        area = None
        if params.area is not None:
            area = resolve_area(params.area, osm.boundaries, buffer_km=params.buffer_km, crs=crs)
            osm = clip_osm(osm, area)
    with stages.stage("networks"):
        xy = project_osm(osm, crs)
        networks = {p.name: build_network(osm, p, crs=crs, xy=xy)
                    for p in params.selected_profiles}  # fmt: skip
    bounds = extract_bounds(osm.node_lon, osm.node_lat)
    with stages.stage("facilities"):
        facilities = _in_area(_facilities(params, osm.pois, rules, bounds), area, buffered=True)
        facilities, left_out = _facilities_within(params, facilities, osm.boundaries, crs)
    with stages.stage("villages"):
        villages, village_polys, boundaries = _villages(params, osm)
        if params.villages is not None:
            check_inside(params.villages, villages["lon"], villages["lat"], bounds,
                         what="villages", crs_option="--villages-crs")  # fmt: skip
        villages, village_polys = _villages_in_area(villages, village_polys, area)
    figures = None
    if params.origins_source is not None:
        with stages.stage("origins"):
            figures = _origins(params, osm, villages, village_polys, boundaries, crs, rules,
                               area)  # fmt: skip
    with stages.stage("indicators"):
        ind, mun, nabij, reports = _indicators(params, networks, villages, facilities, rules,
                                               figures)  # fmt: skip
        check_villages_on_network(ind["reason"].to_numpy(), len(villages),
                                  str(params.villages or params.extract))  # fmt: skip
    transit = None
    if params.gtfs:
        with stages.stage("transit"):
            transit = run_transit(params, networks["walk"], villages, facilities, rules, ind,
                                  figures=figures)  # fmt: skip
            ind = pd.concat([ind, transit.long], ignore_index=True)
            mun = pd.concat([mun, transit.municipalities], ignore_index=True)
    broadband = None
    if params.coverage is not None:
        with stages.stage("broadband"):
            remote = ind if figures is None else as_long_table(figures.village_table(), ind)
            broadband = _broadband(params, villages, village_polys, remote)
            villages = broadband.villages
    with stages.stage("basemap"):
        basemap = _basemap(params, crs, area)
    with stages.stage("write"):
        manifest = _manifest(params, out, key, hashes, osm, crs, rules, networks, facilities,
                             villages, ind, reports)  # fmt: skip
        if broadband is not None:
            manifest["broadband"] = broadband.manifest
        if transit is not None:
            manifest["transit"] = transit.manifest
        manifest["counts"]["basemap"] = basemap.manifest()
        if figures is not None:
            manifest["origins"] = _origins_manifest(params, figures)
        if params.facilities_within is not None:
            manifest["counts"]["facilities_left_out"] = left_out
        if area is not None:
            manifest["area"] = {"name": area.name, "buffer_km": area.buffer_km,
                                "bounds": [round(v, 6) for v in area.polygon.bounds]}  # fmt: skip
        edges = gpkg_edges_wanted(params.gpkg_edges, networks)
        manifest["counts"]["gpkg_edges"] = edges  # False: `bereik export` gives the roads
        tables = BuildTables(villages, village_polys, facilities, ind, mun, boundaries,
                             networks, gpkg_edges=edges)  # fmt: skip
        with AtomicBuildDir(out) as tmp:
            lay = BuildLayout(tmp)
            write_tables(lay, tables)
            write_nabijheid(lay, nabij, figures)
            if figures is not None:
                write_persons(lay, figures, crs=crs)
            if broadband is not None:
                broadband.write(lay)
            if transit is not None:
                transit.write(lay)
            basemap.write(lay)
            manifest["timings_s"] = stages.timings
            manifest["files"] = file_list(tmp)
            write_json_atomic(lay.manifest, manifest)
    write_json_atomic(BuildLayout(out).manifest, manifest)  # with the write stage's timing
    return BuildResult(path=out, manifest=manifest, indicators=ind, timings_s=stages.timings)


def _basemap(params: BuildParams, crs: str, area: Area | None) -> Basemap:
    """Return the extract's basemap (the area's, with its buffer).

    Never fails the build: whatever goes wrong leaves the basemap empty, with a warning and
    the reason in the manifest (``counts.basemap.failed``).
    """
    try:
        return build_basemap(params.extract, crs=crs,
                             within=None if area is None else area.buffered)  # fmt: skip
    except Exception as exc:  # a background map is not worth a failed build
        warnings.warn(f"basemap left out: {exc}", stacklevel=2)
        return Basemap(empty_basemap(), {"failed": str(exc)})


def _indicators(params, networks, villages, facilities, rules, figures=None):
    """Compute the long table, municipality aggregates, the CBS table, facility snapping.

    Adds each profile's facility snap distance to ``facilities`` (a column per profile).
    """
    ind, cbs_counts, reports = village_indicators(
        networks, villages, facilities, rules,
        radii_km=params.radii_km, max_snap_m=params.max_snap_m, origins=figures,
    )  # fmt: skip
    mun = municipality_indicators(ind, radii_km=params.radii_km)
    nabij = cbs_nabijheid_table(ind, cbs_counts, villages, rules)
    for r in reports:
        facilities[f"snap_distance_m_{r.profile}"] = r.facility_snap_distance_m
    return ind, mun, nabij, reports


def gpkg_edges_wanted(choice: str, networks: Mapping[str, Network]) -> bool:
    """Whether bereik.gpkg gets the edges_<profile> layers (``--gpkg-edges``).

    ``auto``: yes up to :data:`GPKG_EDGES_AUTO_MAX` edges over all profiles (the sample,
    a municipality), no beyond (a province, where they would be most of the write time).
    """
    if choice not in GPKG_EDGES_CHOICES:
        msg = f"gpkg_edges must be one of {', '.join(GPKG_EDGES_CHOICES)}, got {choice!r}"
        raise InputFileError(msg)
    if choice != "auto":
        return choice == "yes"
    return sum(net.n_edges for net in networks.values()) <= GPKG_EDGES_AUTO_MAX


def _manifest(params, out, key, hashes, osm, crs, rules, networks, facilities, villages, ind,
              reports) -> dict[str, Any]:  # fmt: skip
    """Assemble the manifest: inputs, parameters, profiles, counts, versions, summary."""
    return {
        "name": out.name,
        "key": key,
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": {
            k: {"path": str(v), "sha256": hashes[k]} for k, v in params.input_files().items()
        },
        "parameters": params.parameters(),
        "osm_replication_timestamp": osm.replication_timestamp,
        "crs": crs,
        "categories": {
            n: {"label": c.label, "label_nl": c.label_nl, "cbs": c.cbs}
            for n, c in rules.categories.items()
        },
        "profiles": {p.name: p.as_dict() for p in params.selected_profiles},
        "counts": {
            "osm": osm.stats,
            "networks": {p: n.stats for p, n in networks.items()},
            "facilities": {k: int(v) for k, v in facilities["category"].value_counts().items()},
            "facilities_off_network": {r.profile: int((~r.facility_ok).sum()) for r in reports},
            "villages": len(villages),
            "villages_with_population": int(villages["population"].notna().sum()),
            "villages_without_municipality": int(villages["municipality"].isna().sum()),
        },
        "libraries": library_versions(),
        "attribution": "© OpenStreetMap contributors (ODbL 1.0)",
        "summary": _summary(ind, rules, facilities),
    }


def _in_area(df: pd.DataFrame, area: Area | None, *, buffered: bool = False) -> pd.DataFrame:
    """Keep the rows (``lon``/``lat``) inside the area (or its buffer); all without one."""
    if area is None:
        return df
    keep = area.inside(df["lon"].to_numpy(float), df["lat"].to_numpy(float), buffered=buffered)
    return df[keep].reset_index(drop=True)


def _facilities_within(
    params: BuildParams, facilities: pd.DataFrame, boundaries: gpd.GeoDataFrame, crs: str
) -> tuple[pd.DataFrame, int]:
    """Leave out the facilities outside ``--facilities-within`` (CBS: the national border).

    Returns the facilities kept and how many were left out.
    """
    if params.facilities_within is None:
        return facilities, 0
    within = resolve_area(params.facilities_within, boundaries, buffer_km=0.0, crs=crs,
                          option="--facilities-within")  # fmt: skip
    kept = _in_area(facilities, within)
    return kept.reset_index(drop=True), len(facilities) - len(kept)


def _villages_in_area(
    villages: pd.DataFrame, polys: gpd.GeoDataFrame | None, area: Area | None
) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None]:
    """Only the villages inside the area are reported (their polygons too)."""
    if area is None:
        return villages, polys
    inside = _in_area(villages, area)
    if len(inside) == 0:
        msg = f"no village lies inside the area {area.name!r}; check --area"
        raise InputFileError(msg)
    if polys is not None:
        polys = polys[polys["village_id"].isin(inside["village_id"])].reset_index(drop=True)
    return inside, polys


def _origins(params: BuildParams, osm, villages: pd.DataFrame, village_polys, boundaries,
             crs: str, rules: CategoryRules,
             area: Area | None = None) -> ResidentFigures | None:  # fmt: skip
    """Read the origins, put them in villages and weigh them; the figures start empty.

    None (with a warning) when there is no origin: the build keeps the village points.
    """
    from accessibility.origins import (
        assign_origins,
        origins_from_file,
        origins_from_osm,
        origins_from_raster,
    )

    if params.origins_source == "file":
        origins = origins_from_file(params.addresses, residents_column=params.residents_column,
                                    xy_crs=params.addresses_crs)  # fmt: skip
    elif params.origins_source == "raster":
        origins = origins_from_raster(params.population)
    else:
        origins = origins_from_osm(osm)
    if area is not None and params.origins_source != "osm":  # OSM origins are clipped already
        origins = origins.subset(area.inside(origins.lon, origins.lat), "outside_area")
    if len(origins) == 0:
        warnings.warn(
            f"no origins in the {origins.source} (within the area): the figures are those of "
            "the village points only; pass your addresses with --addresses FILE",
            stacklevel=2,
        )
        return None
    assigned = assign_origins(origins, villages, boundaries, village_polygons=village_polys,
                              radius_m=params.assign_radius_km * 1000.0, crs=crs)  # fmt: skip
    return ResidentFigures(assigned, rules, radii_km=params.radii_km,
                           address_outputs=params.address_outputs,
                           keep_times=("walk", "bike") if params.gtfs else ())  # fmt: skip


def _origins_manifest(params: BuildParams, figures: ResidentFigures) -> dict[str, Any]:
    """Describe the origins and how they were weighed (for the manifest and the API)."""
    a = figures.assigned
    return {
        "source": a.origins.source,
        "kind": params.origins_source,
        "origins": len(a),
        "dwellings": float(a.origins.dwellings.sum()),
        "weight": round(float(a.weight.sum()), 1),
        "methods": {m: int(n) for m, n in zip(*np.unique(a.method.astype(str),
                                                           return_counts=True), strict=True)},
        "assign_radius_km": params.assign_radius_km,
        "counts": {**a.origins.stats, **a.stats},
        "summary": _persons_summary(figures),
    }  # fmt: skip


def _persons_summary(figures: ResidentFigures) -> dict[str, Any]:
    """Per category: the mean car distance over all persons of the build (CBS's figure)."""
    a = figures.assigned
    out: dict[str, Any] = {"profile": CBS_PROFILE, "categories": {}}
    everyone = np.zeros(len(a), dtype=np.int64)
    for name, dist in figures.car_distances().items():
        d = dist.astype(float)
        ok = np.isfinite(d)
        w = a.weight
        mean = float(np.sum(w[ok] * d[ok]) / np.sum(w[ok])) if w[ok].sum() > 0 else None
        p90 = weighted_quantiles(everyone, 1, w, d, [0.9])[0, 0]
        out["categories"][name] = {
            "mean_distance_m": None if mean is None else round(mean, 1),
            "p90_distance_m": None if not np.isfinite(p90) else round(float(p90), 1),
            "weight_unreachable": round(float(w[~ok].sum()), 1),
        }
    return out


@dataclass
class _BroadbandResult:
    villages: pd.DataFrame
    white_areas: gpd.GeoDataFrame
    double_disadvantage: pd.DataFrame
    municipalities: pd.DataFrame
    manifest: dict[str, Any]

    def write(self, lay: BuildLayout) -> None:
        self.white_areas.to_parquet(lay.white_areas)
        gpkg_layer(self.white_areas, lay.geopackage, "white_areas")
        write_csv(self.double_disadvantage, lay.double_disadvantage)
        write_csv(self.municipalities, lay.municipalities_broadband, index=True)


def _broadband(
    params: BuildParams,
    villages: pd.DataFrame,
    village_polys: gpd.GeoDataFrame | None,
    ind: pd.DataFrame,
) -> _BroadbandResult:
    """White-area overlay, white-area polygons and the double-disadvantage list."""
    from broadband import (
        Thresholds,
        double_disadvantage,
        flag_double_disadvantage,
        municipality_broadband,
        read_coverage,
        white_area_overlay,
        white_area_polygons,
    )

    cov = read_coverage(
        params.coverage, speed_column=params.coverage_speed_column, crs=params.coverage_crs
    )
    th = Thresholds(basic_mbps=params.basic_mbps, nga_mbps=params.nga_mbps)
    gv = points(villages)
    polys = None
    if village_polys is not None:
        polys = village_polys.set_index(gv.index)
    ov = white_area_overlay(gv, cov, thresholds=th, village_polygons=polys)
    ov.index = villages["village_id"].to_numpy()
    ov.index.name = "village_id"
    flagged = flag_double_disadvantage(ind, ov)
    dd = double_disadvantage(ind, ov)
    out = villages.copy()
    for col in flagged.columns:
        out[col] = flagged[col].to_numpy()
    # every village row says where its broadband figures come from (synthetic or a file)
    out["broadband_source"] = (
        "SYNTHETIC sample, not real coverage data"
        if cov.synthetic
        else Path(cov.source or params.coverage).name
    )
    white = white_area_polygons(cov, thresholds=th).to_crs(WGS84)
    white["synthetic"] = bool(cov.synthetic)
    mb = municipality_broadband(out)
    manifest = {
        "coverage": str(params.coverage),
        "kind": cov.kind,
        "synthetic": bool(cov.synthetic),
        "thresholds_mbps": [th.basic_mbps, th.nga_mbps],
        "villages_white": int((out["broadband_class"] == "white").sum()),
        "villages_unknown": int((out["broadband_class"] == "unknown").sum()),
        "white_area_km2": round(float(white["area_m2"].sum()) / 1e6, 3),
        "double_disadvantage": dd["village_name"].astype(str).tolist(),
    }
    return _BroadbandResult(out, white, dd, mb, manifest)


def _facilities(params: BuildParams, pois: pd.DataFrame, rules: CategoryRules,
                bounds: tuple[float, float, float, float]) -> pd.DataFrame:  # fmt: skip
    parts = []
    if params.osm_facilities:
        parts.append(facilities_from_osm(pois, rules))
    for f in params.facilities:
        part = facilities_from_file(f.path, rules, category=f.category, xy_crs=f.xy_crs)
        check_some(f.path, len(part), what="facility")
        check_inside(f.path, part["lon"], part["lat"], bounds, what="facilities",
                     crs_option="--facilities-crs")  # fmt: skip
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=FACILITY_COLUMNS)
    fac = pd.concat(parts, ignore_index=True)
    dup = fac.duplicated(subset=["facility_id", "category"])
    if dup.any():
        warnings.warn(
            f"{int(dup.sum())} facilities occur twice with the same id and category "
            f"(e.g. {fac.loc[dup, 'facility_id'].iloc[0]!r}); kept the first",
            stacklevel=2,
        )
        fac = fac[~dup].reset_index(drop=True)
    return fac


def _villages(
    params: BuildParams, osm
) -> tuple[pd.DataFrame, gpd.GeoDataFrame | None, gpd.GeoDataFrame]:
    polys = None
    if params.villages is not None:
        villages, polys = villages_from_file(params.villages, xy_crs=params.villages_crs)
    else:
        villages = villages_from_osm(osm.places)
        if len(villages) == 0:
            msg = (
                f"{params.extract}: no place=city/town/village/hamlet nodes in the extract; "
                "pass your villages with --villages FILE"
            )
            raise InputFileError(msg)
    if params.boundaries is not None:
        boundaries = boundaries_from_file(params.boundaries)
    else:
        boundaries = osm.boundaries
        if "admin_level" in boundaries.columns:
            boundaries = boundaries[boundaries["admin_level"].astype(str) == params.admin_level]
        boundaries = boundaries[["name", "geometry"]].reset_index(drop=True)
    villages["municipality"] = assign_municipality(villages, boundaries, admin_level=None)
    cols = ["village_id", "village_name", "place", "population", "municipality", "lon", "lat"]
    return villages[cols], polys, boundaries


def _summary(ind: pd.DataFrame, rules: CategoryRules, facilities: pd.DataFrame) -> dict:
    """Per category: facilities, mean and worst distance (car if built, else the first)."""
    prof = preferred_profile(list(dict.fromkeys(ind["profile"]))) or ""
    counts = facilities["category"].value_counts()
    out: dict[str, Any] = {"profile": prof, "categories": {}}
    for cat in rules.names:
        sub = ind[(ind["category"] == cat) & (ind["profile"] == prof)]
        d = sub["distance_m"].to_numpy(dtype=float)
        entry: dict[str, Any] = {
            "facilities": int(counts.get(cat, 0)),
            "mean_distance_m": None,
            "worst_village": None,
            "worst_distance_m": None,
        }
        if np.isfinite(d).any():
            i = int(np.nanargmax(d))
            entry.update(
                mean_distance_m=round(float(np.nanmean(d)), 1),
                worst_village=str(sub["village_name"].iloc[i]),
                worst_distance_m=round(float(d[i]), 1),
            )
        out["categories"][cat] = entry
    return out


def summary_lines(result: BuildResult) -> list[str]:
    """Summarise a build: counts per category and the worst villages."""
    return manifest_summary_lines(result.manifest, result.path, up_to_date=result.up_to_date)
