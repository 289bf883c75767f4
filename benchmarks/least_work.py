"""The least work any implementation of `bereik build` must do: the whole-build baseline.

Exactly: one pyosmium pass collecting highway way node refs and coordinates (plus the
village and POI nodes), a CSR graph per profile (no simplification: every OSM node of a
way is a graph node; parallel arcs collapsed to the cheapest), one
``scipy.sparse.csgraph.dijkstra(min_only=True)`` pass per category and profile (length in
metres, on the reversed graph, villages and POIs snapped to their nearest graph node with a
KD-tree), and one CSV out (village, profile, category, distance_m).

It knows only what the synthetic grid holds (``scripts/make_synthetic_grid.py``): highway
classes, ``oneway``, three POI categories. It is a floor to measure ``bereik build``
against, not a product: no edge snapping, no travel times, no counts within radii, no
Parquet or GeoPackage, no checks.

Usage::

    python benchmarks/least_work.py synthetic-grid-400x400.osm.pbf out.csv
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np
import osmium
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

CAR = {"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
       "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified", "road",
       "residential", "living_street", "service"}  # fmt: skip
BIKE = CAR - {"motorway", "motorway_link", "trunk", "trunk_link"} | {"cycleway", "path",
                                                                     "track"}  # fmt: skip
WALK = BIKE | {"footway", "pedestrian", "steps"}
PROFILES = {"car": CAR, "bike": BIKE, "walk": WALK}
CATEGORIES = {
    "gp": lambda t: t.get("amenity") == "doctors",
    "supermarket": lambda t: t.get("shop") == "supermarket",
    "school_primary": lambda t: t.get("amenity") == "school" and t.get("isced:level") == "1",
}


def read(path: str) -> dict:
    """One pyosmium pass: highway ways (refs, lon, lat), villages and POI nodes."""
    refs: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    way_len: list[int] = []
    way_hw: list[str] = []
    way_oneway: list[bool] = []
    places: list[tuple[str, float, float]] = []
    pois: list[tuple[str, float, float]] = []
    fp = (osmium.FileProcessor(path).with_locations()
          .with_filter(osmium.filter.KeyFilter("highway", "place", "amenity", "shop")))  # fmt: skip
    for obj in fp:
        tags = obj.tags
        if obj.is_way():
            hw = tags.get("highway")
            if hw is None:
                continue
            k = 0
            for n in obj.nodes:
                loc = n.location
                refs.append(n.ref)
                lon.append(loc.lon)
                lat.append(loc.lat)
                k += 1
            way_len.append(k)
            way_hw.append(hw)
            way_oneway.append(tags.get("oneway") == "yes")
        elif obj.is_node():
            loc = obj.location
            if tags.get("place") == "village":
                places.append((f"node/{obj.id}", loc.lon, loc.lat))
            else:
                for cat, rule in CATEGORIES.items():
                    if rule(tags):
                        pois.append((cat, loc.lon, loc.lat))
    return {"refs": np.asarray(refs, np.int64), "lon": np.asarray(lon),
            "lat": np.asarray(lat), "way_len": np.asarray(way_len, np.int64),
            "way_hw": np.asarray(way_hw), "way_oneway": np.asarray(way_oneway),
            "places": places, "pois": pois}  # fmt: skip


def main(argv: list[str]) -> int:
    """Run the baseline on ``argv[0]``, write ``argv[1]``; print stage seconds to stderr."""
    t0 = time.perf_counter()
    d = read(argv[0])
    t_read = time.perf_counter()
    tr = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    x, y = tr.transform(d["lon"], d["lat"])
    node_ids, node_of = np.unique(d["refs"], return_inverse=True)
    n = len(node_ids)
    nx_ = np.zeros(n)
    ny_ = np.zeros(n)
    nx_[node_of], ny_[node_of] = x, y
    starts = np.r_[0, np.cumsum(d["way_len"])[:-1]]
    seg_way = np.repeat(np.arange(len(d["way_len"])), d["way_len"])
    is_seg = np.ones(len(node_of), bool)
    is_seg[starts + d["way_len"] - 1] = False  # no segment from a way's last node
    a = np.flatnonzero(is_seg)
    seg_len = np.hypot(x[a + 1] - x[a], y[a + 1] - y[a])
    seg_w = seg_way[a]
    tree = cKDTree(np.column_stack([nx_, ny_]))
    vlon = np.array([p[1] for p in d["places"]])
    vlat = np.array([p[2] for p in d["places"]])
    vx, vy = tr.transform(vlon, vlat)
    _, vnode = tree.query(np.column_stack([vx, vy]))
    pcat = np.array([p[0] for p in d["pois"]])
    px, py = tr.transform(np.array([p[1] for p in d["pois"]]), np.array([p[2] for p in d["pois"]]))
    _, pnode = tree.query(np.column_stack([px, py]))
    t_prep = time.perf_counter()
    rows = []
    for prof, allowed in PROFILES.items():
        use = np.isin(d["way_hw"][seg_w], list(allowed))
        one = d["way_oneway"][seg_w] & (prof != "walk")
        u, v, w = node_of[a][use], node_of[a + 1][use], seg_len[use]
        back = ~one[use]
        # reversed graph: arc head -> tail, so a search from POIs gives cost *to* them
        t = np.concatenate([v, u[back]])
        h = np.concatenate([u, v[back]])
        w = np.concatenate([w, w[back]])
        key = t * n + h
        order = np.argsort(key)
        key, w = key[order], w[order]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        w = np.minimum.reduceat(w, first)  # parallel arcs: keep the cheapest
        key = key[first]
        indptr = np.r_[0, np.cumsum(np.bincount(key // n, minlength=n))]
        g = sp.csr_matrix((w, key % n, indptr), shape=(n, n))
        for cat in CATEGORIES:
            src = np.unique(pnode[pcat == cat])
            dist = dijkstra(g, directed=True, indices=src, min_only=True)
            dv = dist[vnode]
            rows.extend(zip([p[0] for p in d["places"]], [prof] * len(dv), [cat] * len(dv),
                            np.round(dv, 1).tolist(), strict=True))  # fmt: skip
    t_route = time.perf_counter()
    with Path(argv[1]).open("w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["village_id", "profile", "category", "distance_m"])
        wr.writerows(rows)
    t_end = time.perf_counter()
    print(f"read {t_read - t0:.3f} prep {t_prep - t_read:.3f} route {t_route - t_prep:.3f} "
          f"write {t_end - t_route:.3f} nodes {n} villages {len(vnode)} pois {len(pnode)}",
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
