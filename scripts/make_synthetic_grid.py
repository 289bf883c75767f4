#!/usr/bin/env python
"""Write a SYNTHETIC street-grid OSM file for benchmarks and scale tests.

The file is NOT OpenStreetMap data. It is an ``n x n`` grid of highway nodes about
``--spacing-m`` apart (default 100 m), centred inside Drenthe (default lon 6.5, lat 52.85),
so that ``bereik build`` picks RD New (EPSG:28992) as it would for real Drenthe data. Every
grid node is a junction (rows and columns are ways), so the car network of an ``n x n``
grid has exactly ``n * n`` nodes and about ``4 n^2`` arcs.

What the grid holds (deterministic for a given ``--seed``):

* rows and columns as ways; the border and every 10th row/column ``highway=tertiary``
  (every 20th with ``maxspeed=60``), the others ``highway=residential``; rows and columns
  with index 5 mod 10 (rows) or 3 mod 10 (columns) are ``oneway=yes``, alternating in
  direction (some rows also ``oneway:bicycle=no``); every 25th row carries ``maxspeed=20``.
  The border is always a two-way tertiary, so the car network is strongly connected;
* ``highway=footway`` diagonals (walk only) through grid nodes ``(i, i + c)`` for every
  ``c`` divisible by 20: they add walk arcs but no nodes;
* node positions jittered by up to ``--jitter-m`` (default 10 m) so that distances are not
  full of ties;
* one ``place=village`` node with a ``population`` per 20 x 20 block of grid nodes, placed
  off the roads near the block centre;
* points of interest as nodes, off the roads at random places: ``amenity=doctors`` (one per
  1,200 grid nodes), ``shop=supermarket`` (one per 1,500) and ``amenity=school`` with
  ``isced:level=1`` (one per 1,000), at least 3 of each.

Every way, village and POI carries ``note=synthetic ...``; the file header's generator says
SYNTHETIC; the file name is ``synthetic-grid-<n>x<n>.osm.pbf``.

Examples
--------
A 400 x 400 grid (160,000 nodes) in the current folder, then a build of it::

    python scripts/make_synthetic_grid.py 400
    bereik build synthetic-grid-400x400.osm.pbf --force

The scale series used by ``benchmarks/run.py``::

    for n in 100 200 400 600 1000; do
        python scripts/make_synthetic_grid.py $n --out-dir benchmarks/.work/grids
    done
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NOTE = "synthetic street grid made by scripts/make_synthetic_grid.py, not OpenStreetMap data"
GENERATOR = "bereik scripts/make_synthetic_grid.py (SYNTHETIC street grid, not OSM data)"
METRES_PER_DEG_LAT = 111_320.0
BLOCK = 20  # grid nodes per village block side
MIN_SIDE = 2
#: POI tags and how many grid nodes there are per POI
POI_KINDS: tuple[tuple[str, dict[str, str], int], ...] = (
    ("GP", {"amenity": "doctors"}, 1200),
    ("Supermarket", {"shop": "supermarket"}, 1500),
    ("Primary school", {"amenity": "school", "isced:level": "1"}, 1000),
)
MAX_WAY_NODES = 2000  # the OSM API limit; longer rows/columns are split
# the street pattern: which rows/columns (index modulo 10/20/25) get which tags
TERTIARY_EVERY = 10
MAXSPEED60_EVERY = 20
ONEWAY_ROW, ONEWAY_COL = 5, 3  # index mod 10 of one-way rows / columns
SLOW_ROW = (25, 12)  # rows with index mod 25 == 12 get maxspeed=20


def grid_file_name(n: int) -> str:
    """File name of an ``n x n`` grid: ``synthetic-grid-<n>x<n>.osm.pbf``."""
    return f"synthetic-grid-{n}x{n}.osm.pbf"


def row_tags(i: int, n: int) -> tuple[dict[str, str], bool]:
    """Tags of row ``i`` and whether its nodes run west to east (False: reversed)."""
    tags = {"note": NOTE, "name": f"Synthetic row {i}"}
    if i in (0, n - 1) or i % TERTIARY_EVERY == 0:
        tags["highway"] = "tertiary"
        if i % MAXSPEED60_EVERY == 0:
            tags["maxspeed"] = "60"
        return tags, True
    tags["highway"] = "residential"
    if i % SLOW_ROW[0] == SLOW_ROW[1]:
        tags["maxspeed"] = "20"
    if i % 10 == ONEWAY_ROW:
        tags["oneway"] = "yes"
        if i % 20 == ONEWAY_ROW:
            tags["oneway:bicycle"] = "no"
        return tags, i % 20 == ONEWAY_ROW
    return tags, True


def col_tags(j: int, n: int) -> tuple[dict[str, str], bool]:
    """Tags of column ``j`` and whether its nodes run south to north (False: reversed)."""
    tags = {"note": NOTE, "name": f"Synthetic column {j}"}
    if j in (0, n - 1) or j % TERTIARY_EVERY == 0:
        tags["highway"] = "tertiary"
        if j % MAXSPEED60_EVERY == 0:
            tags["maxspeed"] = "60"
        return tags, True
    tags["highway"] = "residential"
    if j % 10 == ONEWAY_COL:
        tags["oneway"] = "yes"
        return tags, j % 20 == ONEWAY_COL
    return tags, True


def _chunks(ids: list[int]) -> list[list[int]]:
    """Split a long way into pieces of at most MAX_WAY_NODES nodes sharing end nodes."""
    if len(ids) <= MAX_WAY_NODES:
        return [ids]
    step = MAX_WAY_NODES - 1
    return [ids[k : k + MAX_WAY_NODES] for k in range(0, len(ids) - 1, step)]


@dataclass(frozen=True)
class GridLayout:
    """Where everything of a grid lies (WGS84 degrees), as :func:`write_grid` writes it.

    ``lon``/``lat`` are ``n x n`` (row ``i``, column ``j``; node id ``i * n + j + 1``);
    villages are given in grid coordinates too (``v_fi``/``v_fj``: fractional row and
    column), so that other generators (``scripts/make_synthetic_addresses.py``) can place
    things relative to the same streets and villages.
    """

    n: int
    lon: np.ndarray
    lat: np.ndarray
    v_fi: np.ndarray
    v_fj: np.ndarray
    v_lon: np.ndarray
    v_lat: np.ndarray
    v_pop: np.ndarray
    pois: list[tuple[str, dict[str, str], np.ndarray, np.ndarray]]
    dlon: float
    dlat: float


def grid_layout(
    n: int,
    *,
    spacing_m: float = 100.0,
    lon0: float = 6.5,
    lat0: float = 52.85,
    jitter_m: float = 10.0,
    seed: int = 42,
) -> GridLayout:
    """Compute the node, village and POI positions of the ``n x n`` grid (deterministic)."""
    rng = np.random.default_rng(seed)
    dlat = spacing_m / METRES_PER_DEG_LAT
    dlon = spacing_m / (METRES_PER_DEG_LAT * math.cos(math.radians(lat0)))
    half = (n - 1) / 2.0
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    jit = rng.uniform(-jitter_m, jitter_m, size=(2, n, n)) / spacing_m
    lat = lat0 + (ii - half + jit[0]) * dlat
    lon = lon0 + (jj - half + jit[1]) * dlon

    def frac_pos(fi: np.ndarray, fj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return lon0 + (fj - half) * dlon, lat0 + (fi - half) * dlat

    # villages: near the centre of each BLOCK x BLOCK block, off the roads
    nb = max(1, n // BLOCK)
    bi, bj = np.meshgrid(np.arange(nb), np.arange(nb), indexing="ij")
    size = n / nb
    vi = (bi.ravel() + 0.5) * size - 0.5 + rng.uniform(-0.3, 0.3, nb * nb)
    vj = (bj.ravel() + 0.5) * size - 0.5 + rng.uniform(-0.3, 0.3, nb * nb)
    vi = np.clip(vi, 0, n - 1)
    vj = np.clip(vj, 0, n - 1)
    v_lon, v_lat = frac_pos(vi, vj)
    v_pop = rng.integers(50, 5000, nb * nb)

    pois = []
    for label, tags, per in POI_KINDS:
        k = max(3, round(n * n / per))
        fi = rng.uniform(0, n - 1, k)
        fj = rng.uniform(0, n - 1, k)
        plon, plat = frac_pos(fi, fj)
        pois.append((label, tags, plon, plat))
    return GridLayout(n, lon, lat, vi, vj, v_lon, v_lat, v_pop, pois, dlon, dlat)


def write_grid(
    path: Path,
    n: int,
    *,
    spacing_m: float = 100.0,
    lon0: float = 6.5,
    lat0: float = 52.85,
    jitter_m: float = 10.0,
    seed: int = 42,
) -> dict[str, int]:
    """Write the grid to ``path`` (atomically) and return counts of what it holds."""
    import osmium

    g = grid_layout(n, spacing_m=spacing_m, lon0=lon0, lat0=lat0, jitter_m=jitter_m, seed=seed)
    lat_f = g.lat.ravel().tolist()
    lon_f = g.lon.ravel().tolist()
    nb = max(1, n // BLOCK)
    v_lon, v_lat, v_pop, pois = g.v_lon, g.v_lat, g.v_pop, g.pois

    header = osmium.io.Header()
    header.set("generator", GENERATOR)
    tmp = path.with_name(path.name + ".tmp.osm.pbf")
    path.parent.mkdir(parents=True, exist_ok=True)
    Node = osmium.osm.mutable.Node
    Way = osmium.osm.mutable.Way
    counts = {"grid_nodes": n * n, "villages": nb * nb, "ways": 0}
    with osmium.SimpleWriter(str(tmp), header=header, overwrite=True) as w:
        for k in range(n * n):
            w.add_node(Node(id=k + 1, location=(lon_f[k], lat_f[k])))
        nid = n * n
        for k in range(nb * nb):
            nid += 1
            w.add_node(Node(id=nid, location=(float(v_lon[k]), float(v_lat[k])), tags={
                "place": "village", "name": f"Synthetic village {k + 1}",
                "population": str(int(v_pop[k])), "note": NOTE,
            }))  # fmt: skip
        for label, tags, plon, plat in pois:
            counts[label] = len(plon)
            for k in range(len(plon)):
                nid += 1
                t = {**tags, "name": f"Synthetic {label.lower()} {k + 1}", "note": NOTE}
                w.add_node(Node(id=nid, location=(float(plon[k]), float(plat[k])), tags=t))
        wid = 0
        for i in range(n):
            tags, forward = row_tags(i, n)
            ids = [i * n + j + 1 for j in range(n)]
            for part in _chunks(ids if forward else ids[::-1]):
                wid += 1
                w.add_way(Way(id=wid, nodes=part, tags=tags))
        for j in range(n):
            tags, forward = col_tags(j, n)
            ids = [i * n + j + 1 for i in range(n)]
            for part in _chunks(ids if forward else ids[::-1]):
                wid += 1
                w.add_way(Way(id=wid, nodes=part, tags=tags))
        for c in range(-(n - 2), n - 1):
            if c % 20:
                continue
            ids = [i * n + i + c + 1 for i in range(max(0, -c), min(n, n - c))]
            for part in _chunks(ids):
                wid += 1
                w.add_way(
                    Way(
                        id=wid,
                        nodes=part,
                        tags={"highway": "footway", "name": f"Synthetic path {c}", "note": NOTE},
                    )
                )
        counts["ways"] = wid
    tmp.replace(path)
    return counts


def make_parser() -> argparse.ArgumentParser:
    """Command-line arguments."""
    p = argparse.ArgumentParser(
        prog="make_synthetic_grid.py",
        description=(
            "Write a SYNTHETIC n x n street-grid OSM file (synthetic-grid-<n>x<n>.osm.pbf) "
            "inside Drenthe, with villages and POIs (GPs, supermarkets, primary schools), "
            "for benchmarks and scale tests. Not OpenStreetMap data."
        ),
        epilog="Example: python scripts/make_synthetic_grid.py 400 --out-dir /tmp",
    )
    p.add_argument("n", type=int, help="grid side: n x n highway nodes (e.g. 400 = 160,000)")
    p.add_argument("--out-dir", type=Path, default=Path(),
                   help="folder to write to (default: current folder)")  # fmt: skip
    p.add_argument("--output", type=Path, default=None,
                   help="exact output file (overrides --out-dir and the default name)")  # fmt: skip
    p.add_argument("--spacing-m", type=float, default=100.0,
                   help="distance between neighbouring grid nodes (default 100)")  # fmt: skip
    p.add_argument("--lon", type=float, default=6.5, help="centre longitude (default 6.5)")
    p.add_argument("--lat", type=float, default=52.85, help="centre latitude (default 52.85)")
    p.add_argument("--jitter-m", type=float, default=10.0,
                   help="random displacement of grid nodes, at most (default 10)")  # fmt: skip
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = make_parser().parse_args(argv)
    if args.n < MIN_SIDE:
        print("make_synthetic_grid.py: error: n must be at least 2", file=sys.stderr)
        return 2
    if args.spacing_m <= 0 or args.jitter_m < 0 or args.jitter_m >= args.spacing_m / 2:
        print("make_synthetic_grid.py: error: need spacing > 0 and 0 <= jitter < spacing/2",
              file=sys.stderr)  # fmt: skip
        return 2
    out = args.output or args.out_dir / grid_file_name(args.n)
    if out.exists() and not args.force:
        print(f"{out} exists (use --force to overwrite)")
        return 0
    t = time.perf_counter()
    counts = write_grid(out, args.n, spacing_m=args.spacing_m, lon0=args.lon, lat0=args.lat,
                        jitter_m=args.jitter_m, seed=args.seed)  # fmt: skip
    desc = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    print(f"wrote {out} (SYNTHETIC): {desc} in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
