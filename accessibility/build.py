"""`bereik build`: from an OSM extract (and user files) to a build folder.

Stages: read OSM (one pyosmium pass) -> networks per profile -> facilities -> villages and
municipalities -> snapping and indicators -> write tables, networks and GeoPackage.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessibility.crs import WGS84, choose_metric_crs
from accessibility.errors import BuildNotFoundError, InputFileError
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
from accessibility.network import Network, build_network, project_osm
from accessibility.osm import read_osm
from accessibility.params import BuildParams, FacilityFile, hash_inputs, manifest_summary_lines
from accessibility.profiles import check_profile
from accessibility.store import (
    SCHEMA_VERSION,
    AtomicBuildDir,
    build_key,
    is_up_to_date,
    library_versions,
    read_manifest,
    write_json_atomic,
)
from accessibility.villages import (
    assign_municipality,
    boundaries_from_file,
    villages_from_file,
    villages_from_osm,
)

__all__ = [
    "Build",
    "BuildParams",
    "BuildResult",
    "FacilityFile",
    "load_build",
    "run_build",
    "summary_lines",
]


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
) -> BuildResult:
    """Build (or reuse) the build folder ``out_dir`` for ``params``.

    Returns immediately with ``up_to_date=True`` when ``out_dir`` already holds a build with
    the same cache key (unless ``force``).
    """
    for p in params.profiles:
        check_profile(p)
    out = Path(out_dir)
    hashes = hash_inputs(params)
    key = build_key(hashes, params.parameters())
    if not force and is_up_to_date(out, key):
        return BuildResult(path=out, manifest=read_manifest(out), up_to_date=True)

    timings: dict[str, float] = {}
    stages = ["read OSM", "networks", "facilities", "villages", "indicators", "write"]
    if params.coverage is not None:
        stages.insert(-1, "broadband")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(stages), desc="build", unit="stage", leave=True)

    def stage(name: str) -> None:
        if bar is not None:
            bar.set_description(f"build: {name}")

    t = time.perf_counter()

    def done(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = round(now - t, 3)
        t = now
        if bar is not None:
            bar.update(1)

    try:
        return _run_stages(params, out, key, hashes, stage, done, timings, bar)
    finally:
        if bar is not None:
            bar.close()


def _run_stages(params, out, key, hashes, stage, done, timings, bar) -> BuildResult:
    rules = load_categories(params.categories)
    stage("read OSM")
    osm = read_osm(params.extract, poi_keys=rules.keys, progress=bar is not None)
    done("read OSM")

    stage("networks")
    crs = choose_metric_crs(osm.node_lon, osm.node_lat)
    xy = project_osm(osm, crs)
    networks = {p: build_network(osm, p, crs=crs, xy=xy) for p in params.profiles}
    done("networks")

    stage("facilities")
    facilities = _facilities(params, osm.pois, rules)
    done("facilities")

    stage("villages")
    villages, village_polys, boundaries = _villages(params, osm)
    done("villages")

    stage("indicators")
    ind, cbs_counts, reports = village_indicators(
        networks,
        villages,
        facilities,
        rules,
        radii_km=params.radii_km,
        max_snap_m=params.max_snap_m,
    )
    mun = municipality_indicators(ind, radii_km=params.radii_km)
    nabij = cbs_nabijheid_table(ind, cbs_counts, villages, rules)
    for r in reports:
        facilities[f"snap_distance_m_{r.profile}"] = r.facility_snap_distance_m
    done("indicators")

    broadband = None
    if params.coverage is not None:
        stage("broadband")
        broadband = _broadband(params, villages, village_polys, ind)
        villages = broadband.villages
        done("broadband")

    stage("write")
    manifest = {
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
        "categories": {n: {"label": c.label, "cbs": c.cbs} for n, c in rules.categories.items()},
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
    if broadband is not None:
        manifest["broadband"] = broadband.manifest
    with AtomicBuildDir(out) as tmp:
        _write_tables(
            tmp, villages, village_polys, facilities, ind, mun, nabij, boundaries, networks
        )
        if broadband is not None:
            broadband.write(tmp)
        manifest["timings_s"] = timings
        write_json_atomic(tmp / "manifest.json", manifest)
    done("write")
    write_json_atomic(out / "manifest.json", manifest)
    return BuildResult(path=out, manifest=manifest, indicators=ind, timings_s=timings)


@dataclass
class _BroadbandResult:
    villages: pd.DataFrame
    white_areas: gpd.GeoDataFrame
    double_disadvantage: pd.DataFrame
    municipalities: pd.DataFrame
    manifest: dict[str, Any]

    def write(self, tmp: Path) -> None:
        self.white_areas.to_parquet(tmp / "white_areas.parquet")
        self.white_areas.to_file(tmp / "bereik.gpkg", layer="white_areas", driver="GPKG")
        self.double_disadvantage.to_csv(tmp / "double_disadvantage.csv", index=False)
        self.municipalities.to_csv(tmp / "municipalities_broadband.csv")


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
    gv = _points(villages)
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


def _facilities(params: BuildParams, pois: pd.DataFrame, rules: CategoryRules) -> pd.DataFrame:
    parts = []
    if params.osm_facilities:
        parts.append(facilities_from_osm(pois, rules))
    for f in params.facilities:
        parts.append(facilities_from_file(f.path, rules, category=f.category, xy_crs=f.xy_crs))
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
        villages["municipality"] = assign_municipality(villages, boundaries, admin_level=None)
    else:
        boundaries = osm.boundaries
        if "admin_level" in boundaries.columns:
            boundaries = boundaries[boundaries["admin_level"].astype(str) == params.admin_level]
        boundaries = boundaries[["name", "geometry"]].reset_index(drop=True)
        villages["municipality"] = assign_municipality(villages, boundaries, admin_level=None)
    cols = ["village_id", "village_name", "place", "population", "municipality", "lon", "lat"]
    return villages[cols], polys, boundaries


def _points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=WGS84)


def _write_tables(
    tmp: Path,
    villages: pd.DataFrame,
    village_polys: gpd.GeoDataFrame | None,
    facilities: pd.DataFrame,
    ind: pd.DataFrame,
    mun: pd.DataFrame,
    nabij: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    networks: dict[str, Network],
) -> None:
    gv = _points(villages)
    gf = _points(facilities)
    gv.to_parquet(tmp / "villages.parquet")
    villages.to_csv(tmp / "villages.csv", index=False)
    gf.to_parquet(tmp / "facilities.parquet")
    if village_polys is not None:
        village_polys.to_parquet(tmp / "village_polygons.parquet")
    if len(boundaries):
        boundaries.to_parquet(tmp / "municipalities.parquet")
    ind.to_parquet(tmp / "indicators.parquet", index=False)
    ind.to_csv(tmp / "indicators.csv", index=False)
    mun.to_csv(tmp / "municipalities.csv", index=False)
    nabij.to_csv(tmp / "nabijheid.csv", index=False)
    for p, net in networks.items():
        net.save(tmp / f"network_{p}.npz")
    gpkg = tmp / "bereik.gpkg"
    _gpkg_layer(gv, gpkg, "villages")
    _gpkg_layer(gf, gpkg, "facilities")
    gi = ind.merge(villages[["village_id", "lon", "lat"]], on="village_id", how="left")
    _gpkg_layer(_points(gi).drop(columns=["lon", "lat"]), gpkg, "indicators")
    if len(boundaries):
        gm = boundaries.rename(columns={"name": "municipality"}).merge(mun, on="municipality")
        _gpkg_layer(gm, gpkg, "municipalities")
    for p, net in networks.items():
        edges = gpd.GeoDataFrame(
            {
                "u": net.node_osmid[net.edge_u],
                "v": net.node_osmid[net.edge_v],
                "osmid": net.edge_way_id,
                "highway": net.edge_highway,
                "name": net.edge_name,
                "length_m": net.edge_length_m,
                "speed_kph": net.edge_speed_kph,
                "travel_time_s": net.edge_time_s,
                "forward": net.edge_forward,
                "backward": net.edge_backward,
            },
            geometry=net.edge_lines,
            crs=net.crs,
        )
        # in the network's metric CRS (QGIS reprojects on the fly; measuring works at once);
        # no spatial index: it doubles the write time of a province's edges, and QGIS builds
        # one on demand (Layer Properties > Source > Create spatial index)
        _gpkg_layer(edges, gpkg, f"edges_{p}", spatial_index=False)


def _gpkg_layer(
    gdf: gpd.GeoDataFrame, path: Path, layer: str, *, spatial_index: bool = True
) -> None:
    """Write one GeoPackage layer through Arrow (several times faster than row by row)."""
    gdf.to_file(
        path,
        layer=layer,
        driver="GPKG",
        engine="pyogrio",
        use_arrow=True,
        layer_options={"SPATIAL_INDEX": "YES" if spatial_index else "NO"},
    )


@dataclass(frozen=True, eq=False)
class Build:
    """A build folder loaded read-only (what the API and the CLI serve from)."""

    path: Path
    manifest: dict[str, Any]
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    indicators: pd.DataFrame
    municipalities: pd.DataFrame
    municipality_polygons: gpd.GeoDataFrame | None
    networks: dict[str, Network]
    white_areas: gpd.GeoDataFrame | None = None
    double_disadvantage: pd.DataFrame | None = None

    @property
    def synthetic_coverage(self) -> bool:
        """True when the build's broadband coverage is a SYNTHETIC sample."""
        return bool(self.manifest.get("broadband", {}).get("synthetic", False))

    @property
    def name(self) -> str:
        """The build's name (its folder name)."""
        return self.path.name

    @property
    def profiles(self) -> list[str]:
        """Profiles with a network in this build."""
        return list(self.networks)

    @property
    def categories(self) -> list[str]:
        """Facility categories of this build."""
        return list(self.manifest.get("categories", {}))


def load_build(path: str | Path) -> Build:
    """Load a build folder (tables and networks) read-only.

    Raises
    ------
    BuildNotFoundError
        When the folder is missing, incomplete or damaged.
    """
    p = Path(path)
    manifest = read_manifest(p)
    try:
        villages = gpd.read_parquet(p / "villages.parquet")
        facilities = gpd.read_parquet(p / "facilities.parquet")
        indicators = pd.read_parquet(p / "indicators.parquet")
        municipalities = pd.read_csv(p / "municipalities.csv")
        mp = p / "municipalities.parquet"
        polys = gpd.read_parquet(mp) if mp.exists() else None
        networks = {
            prof: Network.load(p / f"network_{prof}.npz")
            for prof in manifest["parameters"]["profiles"]
        }
        wa = p / "white_areas.parquet"
        white_areas = gpd.read_parquet(wa) if wa.exists() else None
        ddp = p / "double_disadvantage.csv"
        dd = pd.read_csv(ddp, dtype={"village_id": str}) if ddp.exists() else None
    except (OSError, ValueError, KeyError) as exc:
        msg = f"{p}: incomplete or damaged build ({exc}); rebuild with `bereik build --force`"
        raise BuildNotFoundError(msg) from exc
    return Build(
        path=p,
        manifest=manifest,
        villages=villages,
        facilities=facilities,
        indicators=indicators,
        municipalities=municipalities,
        municipality_polygons=polys,
        networks=networks,
        white_areas=white_areas,
        double_disadvantage=dd,
    )


def _summary(ind: pd.DataFrame, rules: CategoryRules, facilities: pd.DataFrame) -> dict:
    """Per category: facilities, mean and worst distance (car if built, else the first)."""
    profiles = list(dict.fromkeys(ind["profile"]))
    prof = "car" if "car" in profiles else (profiles[0] if profiles else "")
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
