#!/usr/bin/env python
"""Write a SYNTHETIC address file for a synthetic street grid (benchmarks, scale tests).

The file is NOT real address data (not BAG, not OSM). It holds ``n`` address points for the
grid that ``scripts/make_synthetic_grid.py`` writes with the same grid parameters (side,
``--spacing-m``, ``--lon``/``--lat``, ``--jitter-m``, ``--grid-seed``): the node and village
positions are recomputed from those parameters (``grid_layout``), so no grid file is read.

What the file holds (deterministic for a given ``--seed``):

* ``n`` points next to the grid's streets: each lies on a random grid edge (a row or a
  column between two neighbouring junctions, 5-95 % along it) and is moved sideways off
  the road by ``--offset-m`` (default 5 to 20 m, either side), as a front door is;
* ``1 - --rural-share`` of them (default 85 %) clustered around the grid's villages: a
  village is drawn in proportion to its ``population`` and the point falls around it with
  a normal spread of 1 to 4 grid cells (larger villages spread wider); the rest are
  scattered uniformly over the grid (the rural share, the *buitengebied*);
* columns ``address_id`` (``SYN0000001``...), ``residents`` (1-5 persons: 38 % 1, 33 % 2,
  12 % 3, 12 % 4, 5 % 5, about the Dutch household sizes), ``note`` (says SYNTHETIC) and
  the point geometry (WGS84). The Parquet file also says SYNTHETIC in its key-value
  metadata (``bereik:note``).

The file name is ``synthetic-addresses-<n>-grid-<side>.parquet`` (GeoParquet); ``--csv``
also writes ``synthetic-addresses-<n>-grid-<side>.csv`` (``address_id, residents, lon, lat,
note``). ``--municipalities K`` also writes ``synthetic-municipalities-grid-<side>-<K>x<K>
.geojson``: the grid's extent cut into K x K rectangles named ``Synthetic municipality
<row>-<col>`` (for ``bereik build --boundaries``), equally SYNTHETIC.

Examples
--------
100,000 addresses for the 400 x 400 grid, then a build with them::

    python scripts/make_synthetic_grid.py 400
    python scripts/make_synthetic_addresses.py 100000 --grid-side 400 --municipalities 4
    bereik build synthetic-grid-400x400.osm.pbf --force \\
        --addresses synthetic-addresses-100000-grid-400.parquet --residents-column residents \\
        --boundaries synthetic-municipalities-grid-400-4x4.geojson

The series used by ``benchmarks/addresses.py``::

    for n in 10000 100000 1000000; do
        python scripts/make_synthetic_addresses.py $n --grid-side 1000 \\
            --out-dir benchmarks/.work/addresses --municipalities 10
    done
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

NOTE = "synthetic address made by scripts/make_synthetic_addresses.py, not real address data"
MUNICIPALITY_NOTE = (
    "synthetic municipality made by scripts/make_synthetic_addresses.py, not a real boundary"
)
#: persons per address 1..5 and their shares (about the Dutch household sizes)
RESIDENTS = (1, 2, 3, 4, 5)
RESIDENT_SHARES = (0.38, 0.33, 0.12, 0.12, 0.05)
#: spread of the points around a village, in grid cells: 1 + 3 * sqrt(population / 5000)
SPREAD_MIN, SPREAD_SCALE, SPREAD_POP = 1.0, 3.0, 5000.0
#: how far along its edge a point may lie (fraction), to keep off the junctions
ALONG = (0.05, 0.95)
#: share of the points on rows (the others on columns)
ROW_SHARE = 0.5
MIN_SIDE = 2


def _grid_module():
    """``scripts/make_synthetic_grid.py`` as a module (its ``grid_layout``)."""
    path = Path(__file__).resolve().parent / "make_synthetic_grid.py"
    spec = importlib.util.spec_from_file_location("make_synthetic_grid", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up by name
    spec.loader.exec_module(mod)
    return mod


def addresses_file_name(n: int, side: int, suffix: str = ".parquet") -> str:
    """File name of ``n`` addresses for the ``side x side`` grid."""
    return f"synthetic-addresses-{n}-grid-{side}{suffix}"


def municipalities_file_name(side: int, k: int) -> str:
    """File name of the ``k x k`` synthetic municipalities of the ``side x side`` grid."""
    return f"synthetic-municipalities-grid-{side}-{k}x{k}.geojson"


def make_addresses(
    n: int,
    side: int,
    *,
    rural_share: float = 0.15,
    offset_m: tuple[float, float] = (5.0, 20.0),
    seed: int = 7,
    spacing_m: float = 100.0,
    lon0: float = 6.5,
    lat0: float = 52.85,
    jitter_m: float = 10.0,
    grid_seed: int = 42,
) -> dict[str, np.ndarray]:
    """Return ``address_id, residents, lon, lat`` (and ``village``: -1 rural) as arrays."""
    g = _grid_module().grid_layout(side, spacing_m=spacing_m, lon0=lon0, lat0=lat0,
                                   jitter_m=jitter_m, seed=grid_seed)  # fmt: skip
    rng = np.random.default_rng(seed)
    n_rural = round(n * rural_share)
    n_vil = n - n_rural
    pop = g.v_pop.astype(float)
    village = np.full(n, -1, dtype=np.int64)
    village[:n_vil] = rng.choice(len(pop), size=n_vil, p=pop / pop.sum())
    fi = np.empty(n)
    fj = np.empty(n)
    v = village[:n_vil]
    spread = SPREAD_MIN + SPREAD_SCALE * np.sqrt(pop[v] / SPREAD_POP)
    fi[:n_vil] = g.v_fi[v] + rng.normal(0.0, 1.0, n_vil) * spread
    fj[:n_vil] = g.v_fj[v] + rng.normal(0.0, 1.0, n_vil) * spread
    fi[n_vil:] = rng.uniform(0, side - 1, n_rural)
    fj[n_vil:] = rng.uniform(0, side - 1, n_rural)
    fi = np.clip(fi, 0, side - 1)
    fj = np.clip(fj, 0, side - 1)

    # the edge: a row piece (i, j)-(i, j+1) or a column piece (i, j)-(i+1, j)
    row = rng.random(n) < ROW_SHARE
    i0 = np.where(row, np.rint(fi), np.floor(fi)).astype(np.int64)
    j0 = np.where(row, np.floor(fj), np.rint(fj)).astype(np.int64)
    i0 = np.clip(i0, 0, np.where(row, side - 1, side - 2))
    j0 = np.clip(j0, 0, np.where(row, side - 2, side - 1))
    i1, j1 = i0 + ~row, j0 + row
    t = np.clip(np.where(row, fj - j0, fi - i0), *ALONG)
    a_lon, a_lat = g.lon[i0, j0], g.lat[i0, j0]
    b_lon, b_lat = g.lon[i1, j1], g.lat[i1, j1]
    # sideways off the road, in metres (degrees scaled by the grid's spacing)
    dx = (b_lon - a_lon) / g.dlon
    dy = (b_lat - a_lat) / g.dlat
    norm = np.hypot(dx, dy)
    off = rng.uniform(*offset_m, n) * rng.choice((-1.0, 1.0), n) / spacing_m
    lon = a_lon + t * (b_lon - a_lon) - dy / norm * off * g.dlon
    lat = a_lat + t * (b_lat - a_lat) + dx / norm * off * g.dlat

    residents = rng.choice(RESIDENTS, size=n, p=RESIDENT_SHARES).astype(np.int64)
    ids = np.array([f"SYN{k:07d}" for k in range(1, n + 1)], dtype=object)
    return {"address_id": ids, "residents": residents, "lon": lon, "lat": lat,
            "village": village}  # fmt: skip


def write_addresses(path: Path, cols: dict[str, np.ndarray], *, csv: Path | None = None) -> None:
    """Write the GeoParquet file (atomically) and, when asked, the CSV."""
    import geopandas as gpd
    import pyarrow.parquet as pq

    gdf = gpd.GeoDataFrame(
        {"address_id": cols["address_id"], "residents": cols["residents"], "note": NOTE},
        geometry=gpd.points_from_xy(cols["lon"], cols["lat"]),
        crs="EPSG:4326",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    gdf.to_parquet(tmp, index=False)
    # the note also in the file's key-value metadata, next to GeoParquet's "geo"
    table = pq.read_table(tmp)
    meta = {**(table.schema.metadata or {}), b"bereik:note": NOTE.encode()}
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    tmp.replace(path)
    if csv is not None:
        import pandas as pd

        tmp = csv.with_name(csv.name + ".tmp")
        pd.DataFrame({"address_id": cols["address_id"], "residents": cols["residents"],
                      "lon": np.round(cols["lon"], 7), "lat": np.round(cols["lat"], 7),
                      "note": NOTE}).to_csv(tmp, index=False)  # fmt: skip
        tmp.replace(csv)


def write_municipalities(path: Path, side: int, k: int, *, spacing_m: float = 100.0,
                         lon0: float = 6.5, lat0: float = 52.85, jitter_m: float = 10.0,
                         grid_seed: int = 42) -> None:  # fmt: skip
    """Cut the grid's extent (plus half a cell) into ``k x k`` rectangles; write GeoJSON."""
    import geopandas as gpd
    import shapely

    g = _grid_module().grid_layout(side, spacing_m=spacing_m, lon0=lon0, lat0=lat0,
                                   jitter_m=jitter_m, seed=grid_seed)  # fmt: skip
    x0, x1 = g.lon.min() - g.dlon / 2, g.lon.max() + g.dlon / 2
    y0, y1 = g.lat.min() - g.dlat / 2, g.lat.max() + g.dlat / 2
    xs, ys = np.linspace(x0, x1, k + 1), np.linspace(y0, y1, k + 1)
    names, boxes = [], []
    for r in range(k):
        for c in range(k):
            names.append(f"Synthetic municipality {r + 1}-{c + 1}")
            boxes.append(shapely.box(xs[c], ys[r], xs[c + 1], ys[r + 1]))
    gdf = gpd.GeoDataFrame({"name": names, "note": MUNICIPALITY_NOTE}, geometry=boxes,
                           crs="EPSG:4326")  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.geojson")
    gdf.to_file(tmp, driver="GeoJSON")
    tmp.replace(path)


def make_parser() -> argparse.ArgumentParser:
    """Command-line arguments."""
    p = argparse.ArgumentParser(
        prog="make_synthetic_addresses.py",
        description=(
            "Write SYNTHETIC address points with residents for a synthetic street grid "
            "(synthetic-addresses-<n>-grid-<side>.parquet), for benchmarks and scale tests. "
            "Not real address data."
        ),
        epilog="Example: python scripts/make_synthetic_addresses.py 100000 --grid-side 400",
    )
    p.add_argument("n", type=int, help="number of addresses (e.g. 1000000)")
    p.add_argument("--grid-side", type=int, required=True,
                   help="side of the make_synthetic_grid.py grid (e.g. 1000)")  # fmt: skip
    p.add_argument("--out-dir", type=Path, default=Path(),
                   help="folder to write to (default: current folder)")  # fmt: skip
    p.add_argument("--output", type=Path, default=None,
                   help="exact Parquet file (overrides --out-dir and the name)")  # fmt: skip
    p.add_argument("--csv", action="store_true", help="also write the CSV")
    p.add_argument("--municipalities", type=int, default=0, metavar="K",
                   help="also write K x K synthetic municipality rectangles (GeoJSON)")  # fmt: skip
    p.add_argument("--rural-share", type=float, default=0.15,
                   help="share scattered, not around villages (default 0.15)")  # fmt: skip
    p.add_argument("--offset-m", type=float, nargs=2, default=(5.0, 20.0), metavar=("MIN", "MAX"),
                   help="sideways distance from the road (default 5 20)")  # fmt: skip
    p.add_argument("--seed", type=int, default=7, help="random seed of the addresses (default 7)")
    g = p.add_argument_group("grid parameters (as given to make_synthetic_grid.py)")
    g.add_argument("--spacing-m", type=float, default=100.0)
    g.add_argument("--lon", type=float, default=6.5)
    g.add_argument("--lat", type=float, default=52.85)
    g.add_argument("--jitter-m", type=float, default=10.0)
    g.add_argument("--grid-seed", type=int, default=42)
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = make_parser().parse_args(argv)
    err = None
    if args.n < 1 or args.grid_side < MIN_SIDE:
        err = "need n >= 1 and --grid-side >= 2"
    elif not 0.0 <= args.rural_share <= 1.0:
        err = "--rural-share must lie in [0, 1]"
    elif not 0.0 <= args.offset_m[0] <= args.offset_m[1] < args.spacing_m / 2:
        err = "need 0 <= --offset-m MIN <= MAX < spacing / 2"
    if err:
        print(f"make_synthetic_addresses.py: error: {err}", file=sys.stderr)
        return 2
    grid = {"spacing_m": args.spacing_m, "lon0": args.lon, "lat0": args.lat,
            "jitter_m": args.jitter_m, "grid_seed": args.grid_seed}  # fmt: skip
    out = args.output or args.out_dir / addresses_file_name(args.n, args.grid_side)
    csv = out.with_suffix(".csv") if args.csv else None
    t = time.perf_counter()
    if out.exists() and (csv is None or csv.exists()) and not args.force:
        print(f"{out} exists (use --force to overwrite)")
    else:
        cols = make_addresses(args.n, args.grid_side, rural_share=args.rural_share,
                              offset_m=tuple(args.offset_m), seed=args.seed, **grid)  # fmt: skip
        write_addresses(out, cols, csv=csv)
        summary = {"addresses": args.n, "residents": int(cols["residents"].sum()),
                   "rural": int((cols["village"] < 0).sum())}  # fmt: skip
        print(f"wrote {out}{' and ' + str(csv) if csv else ''} (SYNTHETIC): "
              f"{json.dumps(summary)} in {time.perf_counter() - t:.1f} s")  # fmt: skip
    if args.municipalities > 0:
        k = args.municipalities
        mpath = (args.output.parent if args.output else args.out_dir) / municipalities_file_name(
            args.grid_side, k
        )
        if mpath.exists() and not args.force:
            print(f"{mpath} exists (use --force to overwrite)")
        else:
            write_municipalities(mpath, args.grid_side, k, **grid)
            print(f"wrote {mpath} (SYNTHETIC): {k * k} municipalities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
