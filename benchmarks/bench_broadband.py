#!/usr/bin/env python
"""Benchmark of the broadband overlay: 600x600 raster (100 m cells, 60x60 km, EPSG:28992)
with 5,000 random village points, best of 3 (``time.perf_counter``).

Run from the repository root::

    python benchmarks/bench_broadband.py

Prints a small markdown table. The raster is random synthetic data written to a temporary
directory; nothing is downloaded and nothing is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from broadband import (
    read_coverage,
    white_area_overlay,
    white_area_polygons,
)

X0, Y0 = 200_000.0, 580_000.0  # upper-left corner, roughly north-west of Drenthe
CELL_M = 100.0


def best_of(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time in seconds over ``repeat`` runs, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def write_raster(path: Path, size: int, seed: int, *, smooth: bool = False) -> None:
    """Speckled random speeds (log-uniform 1..1000 Mbit/s, the worst case for polygonising)
    or, with ``smooth``, speeds decaying with distance from 40 random towns; 2 % nodata."""
    rng = np.random.default_rng(seed)
    if smooth:
        towns = rng.uniform(0, size, (40, 2))
        rows, cols = np.mgrid[0:size, 0:size] + 0.5
        dist_cells = np.min([np.hypot(rows - r, cols - c) for r, c in towns], axis=0)
        speeds = (1000.0 * np.exp(-dist_cells * CELL_M / 1500.0) + 2.0).astype(np.float32)
    else:
        speeds = np.exp(rng.uniform(0.0, np.log(1000.0), (size, size))).astype(np.float32)
    speeds[rng.random((size, size)) < 0.02] = -1.0
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:28992",
        "transform": Affine(CELL_M, 0.0, X0, 0.0, -CELL_M, Y0),
        "nodata": -1.0,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(speeds, 1)
        dst.update_tags(synthetic="true", description="SYNTHETIC benchmark raster")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=600, help="raster cells per side (600)")
    parser.add_argument("--points", type=int, default=5000, help="village points (5000)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (3)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    extent_m = args.size * CELL_M
    rng = np.random.default_rng(args.seed)
    xs = rng.uniform(X0, X0 + extent_m, args.points)
    ys = rng.uniform(Y0 - extent_m, Y0, args.points)
    villages = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs="EPSG:28992")
    villages_wgs84 = villages.to_crs("EPSG:4326")

    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.tif"
        write_raster(path, args.size, args.seed)
        t_read, coverage = best_of(lambda: read_coverage(path), args.repeat)
        rows.append(("read_coverage (GeoTIFF)", t_read, f"{args.size}x{args.size} cells"))
        t_overlay, result = best_of(lambda: white_area_overlay(villages, coverage), args.repeat)
        counts = result["broadband_class"].value_counts().to_dict()
        rows.append(
            ("white_area_overlay, points in EPSG:28992", t_overlay, f"{args.points} points")
        )
        t_wgs, _ = best_of(lambda: white_area_overlay(villages_wgs84, coverage), args.repeat)
        rows.append(("white_area_overlay, points in EPSG:4326", t_wgs, "includes reprojection"))
        outlines = gpd.GeoDataFrame(geometry=villages.buffer(400.0).iloc[:500], crs=villages.crs)
        t_shares, _ = best_of(
            lambda: white_area_overlay(villages.iloc[:500], coverage, village_polygons=outlines),
            args.repeat,
        )
        rows.append(("white_area_overlay, area shares", t_shares, "500 outlines of r=400 m"))
        t_poly, polys = best_of(lambda: white_area_polygons(coverage), args.repeat)
        rows.append(
            ("white_area_polygons (simplify 50 m)", t_poly, f"speckled: {len(polys)} polygons")
        )
        smooth = Path(tmp) / "smooth.tif"
        write_raster(smooth, args.size, args.seed, smooth=True)
        smooth_cov = read_coverage(smooth)
        t_smooth, spolys = best_of(lambda: white_area_polygons(smooth_cov), args.repeat)
        rows.append(
            ("white_area_polygons (simplify 50 m)", t_smooth, f"smooth: {len(spolys)} polygons")
        )

    print(f"## broadband benchmark ({dt.date.today().isoformat()})\n")
    print(
        f"Machine: {platform.platform()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}\n"
    )
    print(f"Raster {args.size}x{args.size} x {CELL_M:g} m (EPSG:28992), best of {args.repeat}.\n")
    print("| step | best time (ms) | note |")
    print("|---|---:|---|")
    for name, seconds, note in rows:
        print(f"| {name} | {seconds * 1000:.1f} | {note} |")
    print(f"\nClasses of the {args.points} points: {dict(sorted(counts.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
