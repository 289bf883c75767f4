"""Cross-check bereik per profile (car, bike, walk) against OSRM and Valhalla, on real extracts.

    .venv/bin/python benchmarks/crosscheck.py [--extract NAME] [--out docs/crosscheck.md]

1. **Distances against OSRM.** Origins (Liechtenstein: its place nodes; Heidelberg: seeded
   random points on its roads) x every OSM facility bereik's categories find. bereik:
   :func:`accessibility.routing.travel_matrix` (shortest distance). OSRM: its bundled
   ``car.lua``, ``bicycle.lua`` and ``foot.lua``, copied at run time into a work folder and
   switched to ``weight_name = 'distance'`` with zero turn penalties (see
   ``benchmarks/osrm_table.py``), MLD, one Table with distances. Per profile: the share of
   pairs within max(150 m, 5 %) of OSRM against a target, the median and 90th percentile of
   the relative difference, nearest-facility agreement, and the pairs out of tolerance,
   routed again by OSRM (the worst, then a seeded sample) and sorted into classes (snapping,
   ways one profile leaves out, bike pushing, platforms, ferries, restricted access, barriers
   on nodes, turn restrictions, ...).
2. **Isochrones against Valhalla.** From 10 seeded points per extract, 10 and 20 minutes:
   bereik's :func:`accessibility.isochrones.isochrones` polygons and Valhalla's (``auto``,
   ``bicycle``, ``pedestrian``; the bike and walk speeds set to bereik's), compared on points
   every 20 m along the profile's roads: |reached by both| / |reached by either|; and the
   travel times of both on the same trips.

The peers need Python 3.12 (abi3 wheels): ``PYENV_VERSION=3.12.1 python3 -m venv .venv-peers
&& .venv-peers/bin/pip install osrm-bindings pyvalhalla`` (or point ``BEREIK_PEERS_PYTHON``
at another such interpreter). ``--bereik-ref HEAD`` measures ``accessibility/`` as committed
rather than the working tree. On 2 cores both extracts take well under a minute. This file
is also the Valhalla helper run in that venv (``crosscheck.py valhalla SPEC.json OUT.json``),
so at module level it imports the standard library only. Work files go to
``benchmarks/.work/crosscheck/``.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "crosscheck"
#: Python 3.12+ with osrm-bindings and pyvalhalla (``BEREIK_PEERS_PYTHON`` overrides)
PEERS_PY = Path(os.environ.get("BEREIK_PEERS_PYTHON", ROOT / ".venv-peers" / "bin" / "python"))
OSRM_SCRIPT = ROOT / "benchmarks" / "osrm_table.py"
SAMPLES = ROOT / "data" / "samples"

EXTRACTS = {
    "liechtenstein": {"pbf": SAMPLES / "liechtenstein-2015-07-27.osm.pbf", "origins": "places"},
    "heidelberg": {
        "pbf": SAMPLES / "heidelberg-2024-09-08.osm.pbf",
        "origins": "random",
        "n_origins": 200,
    },
}
#: bereik profile -> (OSRM profile, Valhalla costing)
PEERS = {"car": ("car", "auto"), "bike": ("bicycle", "bicycle"), "walk": ("foot", "pedestrian")}
#: share of pairs within tolerance wanted per profile
TARGETS = {"car": 0.99, "bike": 0.95, "walk": 0.98}
TOL_M, TOL_REL = 150.0, 0.05
ISO_MINUTES = (10, 20)
ISO_TARGET = 0.9
ISO_POINTS = 10
#: isochrone points are origins within this distance of every profile's network
ISO_MAX_SNAP_M = 100.0
SAMPLE_STEP_M = 20.0
SEED = 20261202
#: targets per Valhalla matrix request (its default limit is 2,500 pairs)
MATRIX_CHUNK = 2000
MAX_SNAP_M = 5000.0
#: a point snapped this much farther apart by the two engines counts as a snapping difference
SNAP_DIFF_M = 25.0
#: pairs out of tolerance routed again per profile to classify them (the worst, then a
#: sample): enough for every such pair of both extracts, so the class counts are exact
MAX_ROUTES = 2500
WORST_SHOWN = 8
RANDOM_SNAP_M = 150.0
#: per profile: node access keys (most specific first) and the barriers OSRM's car passes
#: (None: every barrier but yes/wall/fence passes, as in bicycle.lua and foot.lua)
NODE_ACCESS = {
    "car": (
        ("motorcar", "motor_vehicle", "vehicle", "access"),
        {
            "cattle_grid",
            "border_control",
            "toll_booth",
            "sally_port",
            "no",
            "entrance",
            "height_restrictor",
            "arch",
            "gate",
            "lift_gate",
        },
    ),
    "bike": (("bicycle", "vehicle", "access"), None),
    "walk": (("foot", "access"), None),
}
NODE_BLOCKING = {"no", "agricultural", "forestry", "emergency", "psv", "private", "delivery"}
#: way access values OSRM's stock profiles route through only to start or end there
RESTRICTED_ACCESS = {"private", "delivery", "destination", "customers", "permit", "residents"}
#: the roads random origins are put on: public roads every profile uses
ORIGIN_ROADS = {"primary", "secondary", "tertiary", "unclassified", "residential",
                "living_street"}  # fmt: skip


#: OSRM's access policy in the distance copies: "bereik" (bereik's documented choices on
#: private/destination roads for cars and cycleways for walkers) or "stock"; --osrm-policy
POLICY = "bereik"

#: which bereik code is measured (set by main)
STATE = {"code": "unknown"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# =========================================================================================
# peer side (runs in .venv-peers, Python 3.12): Valhalla tiles and isochrones
# =========================================================================================
def valhalla_isochrones(spec: dict) -> dict:
    """Build Valhalla tiles of ``spec['pbf']`` and answer every isochrone request.

    ``spec``: ``pbf``, ``workdir``, ``requests`` (``{"lon", "lat", "costing", "minutes",
    "costing_options"}``). Out: ``version``, ``build_s`` and per request the GeoJSON features
    (or ``error``).
    """
    from importlib.metadata import version

    import valhalla

    work = Path(spec["workdir"])
    tiles = work / "tiles"
    key = {"pbf": str(Path(spec["pbf"]).resolve()), "version": version("pyvalhalla")}
    marker = work / "prepared.json"
    fresh = not (marker.exists() and json.loads(marker.read_text()) == key)
    if fresh and work.exists():
        shutil.rmtree(work)
    tiles.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent / "service"))
    from peers import offline_config  # the service benchmark's Valhalla set-up

    cfg = offline_config(work, tiles, int(spec.get("threads", 2)))
    cfg_path = work / "valhalla.json"
    build_s = None
    cfg_path.write_text(json.dumps(cfg))
    if fresh:
        exe = Path(valhalla.__file__).parent / "bin" / "valhalla_build_tiles"
        t = time.perf_counter()
        proc = subprocess.run(
            [str(exe), "-c", str(cfg_path), spec["pbf"]],
            capture_output=True,
            text=True,
            check=False,
        )
        build_s = time.perf_counter() - t
        if proc.returncode != 0:
            raise RuntimeError("valhalla_build_tiles failed: " + proc.stderr[-500:])
        marker.write_text(json.dumps(key))
    actor = valhalla.Actor(str(cfg_path))
    out = []
    for q in spec["requests"]:
        req = {
            "locations": [{"lat": q["lat"], "lon": q["lon"]}],
            "costing": q["costing"],
            "costing_options": {q["costing"]: q.get("costing_options", {})},
            "contours": [{"time": m} for m in q["minutes"]],
            "polygons": True,
        }
        try:
            fc = json.loads(actor.isochrone(json.dumps(req)))
            out.append({"features": fc["features"]})
        except RuntimeError as exc:
            out.append({"error": str(exc)})
    routes = []
    for q in spec.get("routes", []):
        req = {
            "locations": [{"lon": q["from"][0], "lat": q["from"][1]},
                          {"lon": q["to"][0], "lat": q["to"][1]}],
            "costing": q["costing"],
            "costing_options": {q["costing"]: q.get("costing_options", {})},
        }  # fmt: skip
        try:
            summary = json.loads(actor.route(json.dumps(req)))["trip"]["summary"]
            routes.append({"time_s": summary["time"], "length_m": 1000 * summary["length"]})
        except RuntimeError as exc:
            routes.append({"error": str(exc)})
    matrices = []
    for q in spec.get("matrices", []):
        times: list = []
        try:
            for a in range(0, len(q["to"]), MATRIX_CHUNK):  # one search per chunk: fast
                req = {
                    "sources": [{"lon": q["from"][0], "lat": q["from"][1]}],
                    "targets": [{"lon": x, "lat": y} for x, y in q["to"][a : a + MATRIX_CHUNK]],
                    "costing": q["costing"],
                    "costing_options": {q["costing"]: q.get("costing_options", {})},
                }
                row = json.loads(actor.matrix(json.dumps(req)))["sources_to_targets"][0]
                times += [c.get("time") for c in row]
            matrices.append({"time_s": times})
        except RuntimeError as exc:
            matrices.append({"error": str(exc)})
    return {"version": key["version"], "build_s": build_s, "results": out, "routes": routes,
            "matrices": matrices}  # fmt: skip


# =========================================================================================
# bereik side (main venv, Python 3.11+)
# =========================================================================================
def _haversine(lon1, lat1, lon2, lat2):
    import numpy as np

    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


def _peer(cmd: list[str], spec: dict, name: str) -> dict:
    """Run a peer helper with a JSON spec in the peers venv; return its JSON answer."""
    WORK.mkdir(parents=True, exist_ok=True)
    sp, op = WORK / f"{name}.in.json", WORK / f"{name}.out.json"
    sp.write_text(json.dumps(spec))
    proc = subprocess.run(
        [str(PEERS_PY), *cmd, str(sp), str(op)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    if proc.returncode != 0:
        msg = f"{name} failed: {(proc.stderr or proc.stdout)[-800:]}"
        raise RuntimeError(msg)
    return json.loads(op.read_text())


def _osrm(extract: str, pbf: Path, profile: str, src, dst, routes=None, nearest=None) -> dict:
    spec = {
        "pbf": str(pbf),
        "workdir": str(WORK / f"osrm-{extract}-{profile}"),
        "threads": 2,
        "repeats": 1,
        "sources": src,
        "destinations": dst,
        "profile": PEERS[profile][0],
        "weight": "distance",
        "policy": POLICY,
        "reuse": True,
        "routes": routes or [],
        "nearest": nearest or [],
    }
    return _peer([str(OSRM_SCRIPT)], spec, f"osrm-{extract}-{profile}")


def _arr(m):
    import numpy as np

    return np.array([[np.nan if x is None else x for x in row] for row in m], dtype=float)


def _random_road_points(osm, xy, nets, n: int):
    """``n`` seeded random points on ordinary public roads (independent of the profiles).

    Uniform over the bounding box of the :data:`ORIGIN_ROADS` ways, kept within
    :data:`RANDOM_SNAP_M` of one and moved onto it; a point farther than 500 m from some
    profile's network (a build's snap limit) is drawn again.
    """
    import numpy as np
    import shapely

    from accessibility.defaults import DEFAULT_MAX_SNAP_M
    from accessibility.snapping import snap_points

    x_all, y_all = xy
    ways = [k for k, t in enumerate(osm.way_tags)
            if t.get("highway") in ORIGIN_ROADS and t.get("access") not in ("private", "no")
            and osm.way_offsets[k + 1] - osm.way_offsets[k] >= 2]  # fmt: skip
    counts = np.array([osm.way_offsets[k + 1] - osm.way_offsets[k] for k in ways])
    idx = np.concatenate([np.arange(osm.way_offsets[k], osm.way_offsets[k + 1]) for k in ways])
    lines = shapely.linestrings(
        np.column_stack([x_all[idx], y_all[idx]]), indices=np.repeat(np.arange(len(ways)), counts)
    )
    tree = shapely.STRtree(lines)
    x0, y0, x1, y1 = shapely.total_bounds(lines)
    rng = np.random.default_rng(SEED)
    xs, ys = [], []
    while len(xs) < n:
        pts = shapely.points(rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n))
        (pi, li), _ = tree.query_nearest(pts, max_distance=RANDOM_SNAP_M, return_distance=True,
                                         all_matches=False)  # fmt: skip
        on = shapely.line_interpolate_point(
            lines[li], shapely.line_locate_point(lines[li], pts[pi])
        )
        px, py = shapely.get_x(on), shapely.get_y(on)
        ok = np.logical_and.reduce(
            [snap_points(net, px, py, max_snap_m=DEFAULT_MAX_SNAP_M).ok for net in nets.values()]
        )
        xs += px[ok].tolist()
        ys += py[ok].tolist()
    return np.array(xs[:n]), np.array(ys[:n])


class Extract:
    """An extract read once: networks, facilities, origins, OSM way lookups, restrictions."""

    def __init__(self, name: str) -> None:
        import numpy as np

        from accessibility.crs import choose_metric_crs, to_metric, to_wgs84
        from accessibility.defaults import DEFAULT_MAX_SNAP_M
        from accessibility.facilities import facilities_from_osm, load_categories
        from accessibility.network import build_network, project_osm
        from accessibility.osm import read_osm
        from accessibility.profiles import load_profiles
        from accessibility.snapping import snap_points
        from accessibility.villages import villages_from_osm

        self.name = name
        cfg = EXTRACTS[name]
        self.pbf = Path(cfg["pbf"])
        rules = load_categories()
        t = time.perf_counter()
        osm = read_osm(self.pbf, poi_keys=rules.keys)
        self.osm = osm
        self.crs = choose_metric_crs(osm.node_lon, osm.node_lat)
        xy = project_osm(osm, self.crs)
        self.profiles = load_profiles()
        self.nets = {
            p: build_network(osm, self.profiles.check(p), crs=self.crs, xy=xy) for p in PEERS
        }
        log(
            f"{name}: read and built car/bike/walk networks in {time.perf_counter() - t:.1f} s "
            + ", ".join(f"{p} {n.n_nodes:,} nodes" for p, n in self.nets.items())
        )
        fac = facilities_from_osm(osm.pois, rules)
        uniq = fac.drop_duplicates("facility_id").reset_index(drop=True)
        # as a build does: a facility beyond the snap limit of a profile's roads is left out
        x, y = to_metric(uniq["lon"].to_numpy(float), uniq["lat"].to_numpy(float), self.crs)
        near = np.logical_and.reduce(
            [snap_points(n, x, y, max_snap_m=DEFAULT_MAX_SNAP_M).ok for n in self.nets.values()]
        )
        self.facilities_dropped = int((~near).sum())
        self.facilities = uniq[near].reset_index(drop=True)
        self.fac_rows = fac[fac["facility_id"].isin(self.facilities["facility_id"])]
        self.dst = self.facilities[["lon", "lat"]].to_numpy(float)
        if cfg["origins"] == "places":
            v = villages_from_osm(osm.places)
            self.origin_names = v["village_name"].tolist()
            self.src = v[["lon", "lat"]].to_numpy(float)
            self.origin_kind = f"{len(v)} OSM place nodes (villages)"
        else:
            n = int(cfg["n_origins"])
            x, y = _random_road_points(osm, xy, self.nets, n)
            lon, lat = to_wgs84(x, y, self.crs)
            self.src = np.column_stack([lon, lat])
            self.origin_names = [f"random {i}" for i in range(n)]
            self.origin_kind = (
                f"{n} seeded random points (seed {SEED}) uniform over the bounding box of the "
                f"extract's {', '.join(sorted(ORIGIN_ROADS))} ways (public ones), kept within "
                f"{RANDOM_SNAP_M:g} m of such a way and moved onto it (the points depend on the "
                "OSM data alone, not on bereik's profiles, so reruns compare the same trips)"
            )
        log(
            f"{name}: {len(self.src)} origins x {len(self.dst)} facilities "
            f"({fac['category'].nunique()} categories)"
        )
        self.net_ways = {p: set(n.edge_way_id.tolist()) for p, n in self.nets.items()}
        self._pairs = None
        self._restrictions = None
        self._way_index = None
        self._node_tags = None
        self._full_tags = None
        self._restricted: dict[str, dict[int, str]] = {}

    # --- OSM lookups for classifying ----------------------------------------------------
    def ways_of_pair(self, a: int, b: int) -> list[int]:
        """Indices into ``osm.way_ids`` of the highway ways with consecutive nodes a, b."""
        import numpy as np

        if self._pairs is None:
            o = self.osm
            refs = o.node_refs
            last = np.zeros(len(refs), dtype=bool)
            last[o.way_offsets[1:] - 1] = True
            i = np.flatnonzero(~last[:-1])
            wi = np.searchsorted(o.way_offsets, i, side="right") - 1
            lo = np.minimum(refs[i], refs[i + 1])
            hi = np.maximum(refs[i], refs[i + 1])
            pairs: dict[tuple[int, int], list[int]] = {}
            for key, k in zip(zip(lo.tolist(), hi.tolist(), strict=True), wi.tolist(), strict=True):
                pairs.setdefault(key, []).append(k)
            self._pairs = pairs
        return self._pairs.get((min(a, b), max(a, b)), [])

    @property
    def way_index(self) -> dict[int, int]:
        """OSM way id -> index of its (first) run in ``osm.way_ids``."""
        if self._way_index is None:
            ids = self.osm.way_ids.tolist()
            self._way_index = {w: k for k, w in reversed(list(enumerate(ids)))}
        return self._way_index

    def way_tags(self, way_id: int) -> dict[str, str]:
        """All OSM tags of a highway way (``read_osm`` keeps the routing keys only)."""
        if self._full_tags is None:
            import osmium

            fp = osmium.FileProcessor(str(self.pbf), osmium.osm.WAY).with_filter(
                osmium.filter.KeyFilter("highway")
            )
            self._full_tags = {w.id: dict(w.tags) for w in fp}
        tags = self._full_tags.get(way_id)
        return tags if tags is not None else self.osm.way_tags[self.way_index[way_id]]

    def way_probe(self, way_id: int) -> tuple[list[float], tuple[int, int]]:
        """The middle of a way's first segment (lon, lat) and that segment's two nodes."""
        o = self.osm
        k = o.way_offsets[self.way_index[way_id]]
        lon = float((o.node_lon[k] + o.node_lon[k + 1]) / 2)
        lat = float((o.node_lat[k] + o.node_lat[k + 1]) / 2)
        return [lon, lat], (int(o.node_refs[k]), int(o.node_refs[k + 1]))

    def blocking_nodes(self, profile: str) -> dict[int, str]:
        """Nodes OSRM's stock profile will not pass (barrier or access tag on the node)."""
        if self._node_tags is None:
            import osmium

            keys = ("barrier", "access", "foot", "bicycle", "vehicle", "motor_vehicle", "motorcar")
            fp = osmium.FileProcessor(str(self.pbf), osmium.osm.NODE).with_filter(
                osmium.filter.KeyFilter(*keys)
            )
            self._node_tags = {n.id: dict(n.tags) for n in fp}
        keys, barriers_ok = NODE_ACCESS[profile]
        out = {}
        for nid, tags in self._node_tags.items():
            value = next((tags[k] for k in keys if k in tags), None)
            barrier = tags.get("barrier")
            if value in NODE_BLOCKING or (
                value is None
                and barrier is not None
                and (
                    barrier in {"yes", "wall", "fence"}
                    or (barriers_ok is not None and barrier not in barriers_ok)
                )
            ):
                shown = ",".join(f"{k}={v}" for k, v in tags.items() if k in keys or k == "barrier")
                out[nid] = f"node/{nid} ({shown})"
        return out

    def restricted_ways(self, profile: str) -> dict[int, str]:
        """Ways of the profile's network whose access OSRM counts as restricted (local only)."""
        if profile not in self._restricted:
            keys = NODE_ACCESS[profile][0]
            if POLICY == "bereik" and profile == "car":  # the copy drives them freely
                keys = ()
            out = {}
            for w in self.net_ways[profile]:
                tags = self.osm.way_tags[self.way_index[w]]
                value = next((tags[k] for k in keys if k in tags), None)
                if value in RESTRICTED_ACCESS:
                    out[w] = f"way/{w} " + _way_label(tags)
            self._restricted[profile] = out
        return self._restricted[profile]

    def route_nodes(self, nodes: list[int], ways: list[int]) -> list[int]:
        """Every OSM node of a route given by its junctions and the ways between them.

        In the order of travel; a junction joining two steps is listed once.
        """
        out: list[int] = []
        for _, _, seg in self.route_steps(nodes, ways):
            out += seg[1:] if out and out[-1] == seg[0] else seg
        return out

    def route_steps(self, nodes: list[int], ways: list[int]) -> list[tuple[int, bool, list[int]]]:
        """Per step between junctions: the way, whether it runs along the way's direction,
        and its OSM nodes in the order of travel (both junctions included)."""
        o = self.osm
        out = []
        for a, b, w in zip(nodes[:-1], nodes[1:], ways[1:-1], strict=True):
            k = self.way_index.get(w)
            if k is None:
                continue
            refs = o.node_refs[o.way_offsets[k] : o.way_offsets[k + 1]].tolist()
            if a in refs and b in refs:
                ia, ib = refs.index(a), refs.index(b)
                seg = refs[ia : ib + 1] if ia <= ib else refs[ib : ia + 1][::-1]
                out.append((w, ia <= ib, seg))
        return out

    def restrictions_at(self, via: int) -> list[tuple[str, int, int, int, str]]:
        """Turn restrictions ``(kind=value, from way, via node, to way, except)`` at a node."""
        if self._restrictions is None:
            import osmium

            found: dict[int, list] = {}

            class _Relations(osmium.SimpleHandler):
                def relation(self, r) -> None:
                    tags = dict(r.tags)
                    if tags.get("type") != "restriction":
                        return
                    fr = [m.ref for m in r.members if m.role == "from" and m.type == "w"]
                    to = [m.ref for m in r.members if m.role == "to" and m.type == "w"]
                    vn = [m.ref for m in r.members if m.role == "via" and m.type == "n"]
                    if len(fr) == 1 and len(to) == 1 and len(vn) == 1:  # via ways: not checked
                        for k, v in tags.items():
                            if k.startswith("restriction"):
                                found.setdefault(vn[0], []).append(
                                    (f"{k}={v}", fr[0], vn[0], to[0], tags.get("except", ""))
                                )

            _Relations().apply_file(str(self.pbf))
            self._restrictions = found
        return self._restrictions.get(via, [])


# --- distances ---------------------------------------------------------------------------
def _bereik_paths(net, s_snap, d_snap, pairs) -> dict:
    """bereik's shortest route of each pair ``(i, j)``, traced on the graph its matrix uses.

    The snapped points are placed on the network as the matrix places them (junction
    copies of turn restrictions and barriers included), so the route is the one measured.
    Per pair: ``(nodes, ways, uturns)``: the OSM ids of the junctions passed, the way ids
    (``ways[k]`` enters junction ``k``, ``ways[k + 1]`` leaves it; the first and last are
    the origin's and the facility's), and where the route turns back on the edge it came
    along (``(OSM node id or None for a placed point, lon, lat)``). None without a
    route.
    """
    import numpy as np
    from scipy.sparse.csgraph import dijkstra

    from accessibility.crs import to_wgs84
    from accessibility.routing import router_for

    router = router_for(net, [s_snap, d_snap])
    vg = router.graph
    s_nodes = router.nodes(0, len(s_snap))
    d_nodes = router.nodes(1, len(d_snap))
    # every arc of the graph with its edge and direction along it (None: a snapped point's
    # link to the junction it lies on), the cheapest of parallel arcs kept
    a = net.arcs
    tail_v, head_v, (cost_v,) = vg.virtual_arcs(["length_m"])
    e = vg.piece_edge
    f, bk = net.edge_forward[e], net.edge_backward[e]
    _, ce, cf, _ = vg._copy_pieces()  # the copies' arcs, as virtual_arcs adds them
    n_link = len(vg.link_edge)
    edges = np.concatenate([a["edge"], e[f], e[bk], ce, vg.link_edge, vg.link_edge]).tolist()
    fwd = np.concatenate([a["forward"], np.ones(f.sum()), np.zeros(bk.sum()), cf,
                          np.full(2 * n_link, 2)]).astype(int).tolist()  # fmt: skip
    tails = np.concatenate([a["tail"], tail_v]).tolist()
    heads = np.concatenate([a["head"], head_v]).tolist()
    costs = np.concatenate([a["length_m"], cost_v])
    arc_edge = {}
    for k in np.argsort(-costs, kind="stable").tolist():
        arc_edge[(tails[k], heads[k])] = (edges[k], fwd[k])
    csr = router.csr("length_m")
    n_net = net.n_nodes
    deg = np.bincount(
        np.concatenate([net.edge_u, net.edge_v])[np.tile(net.edge_u != net.edge_v, 2)],
        minlength=n_net,
    )
    copy_base = np.arange(n_net)
    if len(net.node_copy_of):
        copy_base[n_net - len(net.node_copy_of) :] = net.node_copy_of
    out = {}
    by_origin: dict[int, list[int]] = {}
    for i, j in pairs:
        by_origin.setdefault(i, []).append(j)
    for i, js in by_origin.items():
        dist, pred = dijkstra(csr, indices=int(s_nodes[i]), return_predecessors=True)
        for j in js:
            t = int(d_nodes[j])
            if not np.isfinite(dist[t]):
                out[(i, j)] = None
                continue
            seq = [t]
            while seq[-1] != s_nodes[i]:
                seq.append(int(pred[seq[-1]]))
            seq = seq[::-1]
            arc_e = [arc_edge[(u, v)] for u, v in itertools.pairwise(seq)]
            nodes, ways, uturns = [], [int(net.edge_way_id[arc_e[0][0]])], []
            last = arc_e[0] if arc_e[0][1] != 2 else None  # the last arc along an edge
            for k in range(1, len(seq) - 1):
                g, (e_out, d_out) = seq[k], arc_e[k]
                if d_out != 2:
                    back = last and last[0] == e_out and last[1] != d_out
                    dead_end = g < n_net and deg[copy_base[g]] <= 1
                    if back and net.edge_u[e_out] != net.edge_v[e_out] and not dead_end:
                        osm_id = int(net.node_osmid[g]) if g < n_net else None
                        xy = (
                            (net.node_x[g], net.node_y[g])
                            if g < n_net
                            else router.point_xy[g - n_net]
                        )
                        lon, lat = to_wgs84(np.array([xy[0]]), np.array([xy[1]]), net.crs)
                        uturns.append((osm_id, float(lon[0]), float(lat[0])))
                    last = (e_out, d_out)
                if g < n_net:
                    nodes.append(int(net.node_osmid[g]))
                    ways.append(int(net.edge_way_id[e_out]))
            out[(i, j)] = (nodes, ways, uturns)
    return out


def _restriction_hits(ex: Extract, profile: str, nodes, ways) -> list[str]:
    """Turn restrictions bereik's route breaks (those OSRM's profile honours)."""
    mode_key = {"car": "restriction:motorcar", "bike": "restriction:bicycle"}.get(profile)
    if mode_key is None:  # foot.lua: use_turn_restrictions = false
        return []
    exc = {"car": ("motorcar", "motor_vehicle"), "bike": ("bicycle",)}[profile]
    hits = []
    for k, via in enumerate(nodes):
        for kind, fr, _, to, except_ in ex.restrictions_at(via):
            key, value = kind.split("=", 1)
            if key not in ("restriction", mode_key) or any(e in except_ for e in exc):
                continue
            if ways[k] != fr:
                continue
            w_out = ways[k + 1]
            if (value.startswith("no_") and w_out == to) or (
                value.startswith("only_") and w_out != to
            ):
                hits.append(f"{value} at node/{via} (way/{fr} -> way/{to})")
    return hits


_TAG_KEYS = (
    "motorroad",
    "access",
    "bicycle",
    "foot",
    "motor_vehicle",
    "motorcar",
    "vehicle",
    "area",
    "service",
    "oneway",
    "oneway:bicycle",
    "railway",
    "public_transport",
)


def _way_label(tags: dict[str, str]) -> str:
    acc = ",".join(f"{k}={v}" for k, v in tags.items() if k in _TAG_KEYS)
    return f"highway={tags.get('highway', '?')}" + (f" ({acc})" if acc else "")


def _is_platform(tags: dict[str, str]) -> bool:
    return (
        tags.get("highway") == "platform"
        or tags.get("public_transport") == "platform"
        or (tags.get("railway") == "platform")
    )


def _left_out_reason(ex: Extract, profile: str, way_id: int) -> str:
    """Why bereik's network of ``profile`` lacks a highway way: the rule of the profile."""
    import dataclasses

    from accessibility.profiles import way_class

    prof = ex.profiles.check(profile)
    tags = ex.osm.way_tags[ex.way_index[way_id]]
    if prof.way_rule(tags) is not None:
        return "a piece bereik's network does not keep (reached only through left-out ways)"
    if prof.exclude and dataclasses.replace(prof, exclude=()).way_rule(tags) is not None:
        for table in prof.exclude:
            if all(k in tags for k in table):
                keys = ", ".join(
                    f"{k}=" + ("/".join(v) if isinstance(v, list) else str(v))
                    for k, v in table.items()
                )
                return f"excluded by the profile ({keys})"
    cls = way_class(tags)
    if tags.get("area") == "yes" and not prof.areas:
        return "area=yes (closed areas are not roads for this profile)"
    if cls in prof.highways_if_allowed:
        return f"highway={cls} without an access tag allowing it"
    if cls not in prof.highways and cls not in prof.highways_if_allowed:
        return f"highway={cls}, not a class of the profile"
    value = next((f"{k}={tags[k]}" for k in prof.access if k in tags), "")
    return f"access forbids ({value})" if value else "profile rule"


#: way access values that close a direction (``vehicle:backward=agricultural``...)
DIRECTION_CLOSED = {"no", "private", "agricultural", "forestry", "emergency", "psv", "bus",
                    "taxi", "military", "use_sidepath"}  # fmt: skip


def _direction_closed(ex: Extract, profile: str, nodes, ways) -> list[str]:
    """Steps of bereik's route along a way whose access tag closes that direction.

    OSRM reads ``<key>:forward`` / ``<key>:backward`` of its access keys (most specific key
    first); bereik's profiles read the plain keys only.
    """
    keys = NODE_ACCESS[profile][0]
    hits = []
    for w, forward, _ in ex.route_steps(nodes, ways):
        tags = ex.way_tags(w)
        suffix = ":forward" if forward else ":backward"
        for k in keys:
            if k + suffix in tags:
                if tags[k + suffix] in DIRECTION_CLOSED:
                    hits.append(f"way/{w} {k}{suffix}={tags[k + suffix]}")
                break
            if k in tags:
                break
    return sorted(set(hits))


def _uturns(ex: Extract, profile: str, path) -> list[str]:
    """Where bereik's route turns back on the edge it came along, and what it gets round.

    A U-turn at a dead end or at a barrier both engines stop at is not counted (OSRM turns
    there too). The junction before the U-turn: a turn restriction there that the detour
    gets round is named.
    """
    nodes, _, uturns = path
    blocked = ex.blocking_nodes(profile)
    out = []
    for osm_id, lon, lat in uturns:
        if osm_id is not None and osm_id in blocked:
            continue
        if osm_id is None:
            out.append(f"at a placed point ({lon:.5f}, {lat:.5f}: another origin or facility)")
            continue
        where = f"at node/{osm_id} ({lon:.5f}, {lat:.5f})"
        k = nodes.index(osm_id) if osm_id in nodes else -1
        prev = nodes[k - 1] if k > 0 else None
        kinds = (
            sorted({kind.split("=", 1)[1] for kind, *_ in ex.restrictions_at(prev)}) if prev else []
        )
        out.append(where + (f", getting round {'/'.join(kinds)} at node/{prev}" if kinds else ""))
    return out


def _classify(ex: Extract, profile: str, pair, b_d, o_d, snaps, o_route, path, osrm_lacks):
    """Classes of difference of one pair (several may apply) and a detail line.

    bereik longer: what OSRM's route uses that bereik's network lacks (ways left out, with
    the profile rule that leaves them out; bike pushing, ferries, platforms). bereik
    shorter: what bereik's route uses that OSRM's network lacks (probed with OSRM's
    Nearest), a way bereik's route takes in a direction an access tag closes, a turn
    restriction it breaks, or a U-turn away from a dead end (OSRM turns only at dead ends
    and barriers). Either way: the two engines snapped a point more than SNAP_DIFF_M apart.
    """
    i, j = pair
    classes, detail = [], []
    (bs, bd), (os_, od) = snaps
    for what, p, q in (("origin", bs[i], os_[i]), ("facility", bd[j], od[j])):
        gap = float(_haversine(p[0], p[1], q[0], q[1]))
        if gap > SNAP_DIFF_M:
            classes.append("snapping")
            detail.append(f"{what} snapped {gap:.0f} m apart")
    if b_d > o_d and o_route and "nodes" in o_route:
        modes = set(o_route["modes"])
        if "ferry" in modes:
            classes.append("ferry")
        if "pushing bike" in modes:
            classes.append("bike pushing")
        outside: dict[str, str] = {}  # label -> reason
        net_ways = ex.net_ways[profile]
        nodes = o_route["nodes"]
        for a, b in itertools.pairwise(nodes):
            wis = ex.ways_of_pair(a, b)
            if not wis:
                outside["a way that is no highway (ferry route, railway platform...)"] = ""
                continue
            ids = [int(ex.osm.way_ids[wi]) for wi in wis]
            if any(w in net_ways for w in ids):
                continue
            w = ids[0]
            label = f"way/{w} " + _way_label(ex.way_tags(w))
            if _is_platform(ex.osm.way_tags[wis[0]]):
                outside["platform " + label] = ""
            else:
                outside[label] = _left_out_reason(ex, profile, w)
        if any(k.startswith("platform") for k in outside):
            classes.append("platform")
        if any(k.startswith("a way that is no highway") for k in outside) and "ferry" not in modes:
            classes.append("OSRM uses a way that is no highway")
        if "bike pushing" not in classes:
            reasons = sorted({r for r in outside.values() if r})
            # a piece kept out only because it hangs on left-out ways: name those instead
            if len(reasons) > 1:
                reasons = [r for r in reasons if not r.startswith("a piece")]
            classes += [f"ways bereik's profile leaves out: {r}" for r in reasons]
        if outside:
            shown = sorted(outside)
            detail.append("OSRM's route uses " + "; ".join(shown[:3])
                          + (f" (+{len(shown) - 3})" if len(shown) > 3 else ""))  # fmt: skip
    if b_d < o_d and path is not None:
        lacking = {w for w in path[1] if w in osrm_lacks}
        if lacking:
            classes.append("ways OSRM's profile leaves out")
            labels = sorted({osrm_lacks[w] for w in lacking})
            detail.append("bereik's route uses " + "; ".join(labels[:3]))
        blocked = ex.blocking_nodes(profile)
        on_route = [blocked[n] for n in ex.route_nodes(path[0], path[1]) if n in blocked]
        if on_route:
            classes.append("barrier or access tag on a node")
            detail.append("bereik's route passes " + "; ".join(sorted(set(on_route))[:2]))
        restricted = {
            ex.restricted_ways(profile)[w] for w in path[1] if w in ex.restricted_ways(profile)
        }
        if restricted:
            classes.append("restricted access (destination, delivery...)")
            detail.append("bereik's route uses " + "; ".join(sorted(restricted)[:2]))
        closed = _direction_closed(ex, profile, path[0], path[1])
        if closed:
            classes.append("access closed in one direction (key:forward/backward)")
            detail.append("bereik's route runs along " + "; ".join(closed[:2]))
        hits = _restriction_hits(ex, profile, path[0], path[1])
        if hits:
            classes.append("turn restriction")
            detail.append("bereik's route breaks " + "; ".join(hits[:2]))
        turns = _uturns(ex, profile, path)
        if turns:
            placed = all(t.startswith("at a placed point") for t in turns)
            classes.append("U-turn at a placed point" if placed else "U-turn away from a dead end")
            detail.append("bereik's route turns back " + "; ".join(turns[:2]))
    if not classes:
        classes.append("unresolved")
    return list(dict.fromkeys(classes)), "; ".join(detail)


def _facility_label(row) -> str:
    name = row["name"]
    named = isinstance(name, str) and name.strip()
    return f"{row['facility_id']} {name.strip()}" if named else str(row["facility_id"])


def distances(ex: Extract, profile: str) -> dict:
    import numpy as np

    from accessibility.routing import travel_matrix
    from accessibility.snapping import locate

    net = ex.nets[profile]
    t = time.perf_counter()
    m = travel_matrix(net, ex.src, ex.dst, max_snap_m=MAX_SNAP_M)
    bereik_s = time.perf_counter() - t
    B = m.distances_m
    src, dst = ex.src.tolist(), ex.dst.tolist()
    r = _osrm(ex.name, ex.pbf, profile, src, dst)
    O = _arr(r["distances"])  # noqa: E741 - OSRM's matrix, beside bereik's B
    both = np.isfinite(B) & np.isfinite(O)
    tol = np.maximum(TOL_M, TOL_REL * np.nan_to_num(O))
    diff = B - O
    within = both & (np.abs(diff) <= tol)
    rel = np.abs(diff[both]) / np.maximum(O[both], 1.0)
    out = {
        "profile": profile,
        "pairs": int(B.size),
        "both": int(both.sum()),
        "only_bereik": int((np.isfinite(B) & ~np.isfinite(O)).sum()),
        "only_osrm": int((~np.isfinite(B) & np.isfinite(O)).sum()),
        "within": int(within.sum()),
        "share_within": float(within.sum() / max(both.sum(), 1)),
        "median_rel": float(np.median(rel)) if len(rel) else None,
        "p90_rel": float(np.quantile(rel, 0.9)) if len(rel) else None,
        "median_signed_m": float(np.median(diff[both])) if both.any() else None,
        "bereik_shorter": int((both & ~within & (diff < 0)).sum()),
        "bereik_longer": int((both & ~within & (diff > 0)).sum()),
        "bereik_matrix_s": bereik_s,
        "target": TARGETS[profile],
        "src_snap_median_m": float(np.median(m.source_snap_distance_m)),
        "dst_snap_median_m": float(np.median(m.destination_snap_distance_m)),
    }
    # nearest facility per origin and category
    same, close, n_oc = 0, 0, 0
    ids = ex.facilities["facility_id"].to_numpy()
    for _cat, g in ex.fac_rows.groupby("category"):
        cols = np.flatnonzero(np.isin(ids, g["facility_id"].to_numpy()))
        Bc = np.where(np.isfinite(B[:, cols]), B[:, cols], np.inf)
        Oc = np.where(np.isfinite(O[:, cols]), O[:, cols], np.inf)
        ok = np.isfinite(Bc).any(axis=1) & np.isfinite(Oc).any(axis=1)
        bmin, omin = Bc[ok].min(axis=1), Oc[ok].min(axis=1)
        same += int((Bc[ok].argmin(axis=1) == Oc[ok].argmin(axis=1)).sum())
        close += int((np.abs(bmin - omin) <= np.maximum(TOL_M, TOL_REL * omin)).sum())
        n_oc += int(ok.sum())
    out.update(
        nearest_n=n_oc, nearest_same=same / max(n_oc, 1), nearest_within=close / max(n_oc, 1)
    )
    # the pairs out of tolerance, largest excess first: bereik's routes, OSRM's routes, probes
    bad = np.argwhere(both & ~within)
    excess = (np.abs(diff) - tol)[bad[:, 0], bad[:, 1]]
    bad = bad[np.argsort(-excess, kind="stable")]
    # the worst few, then a seeded random sample of the rest (so the class counts stand
    # for all pairs out of tolerance, not for the few origins of the largest differences)
    rest = bad[WORST_SHOWN:]
    pick = np.random.default_rng(SEED).permutation(len(rest))[: MAX_ROUTES - WORST_SHOWN]
    bad = np.concatenate([bad[:WORST_SHOWN], rest[np.sort(pick)]]).tolist()
    classes_count: dict[str, int] = {}
    examples: dict[str, dict] = {}
    worst = []
    if bad:
        s_s = locate(net, ex.src[:, 0], ex.src[:, 1], max_snap_m=MAX_SNAP_M)
        d_s = locate(net, ex.dst[:, 0], ex.dst[:, 1], max_snap_m=MAX_SNAP_M)
        shorter = [(i, j) for i, j in bad if B[i, j] < O[i, j]]
        paths = _bereik_paths(net, s_s, d_s, [tuple(p) for p in bad])
        probe_ways = sorted({w for k in shorter if paths[k] for w in paths[k][1] if w >= 0})
        probes = [ex.way_probe(w) for w in probe_ways]
        rr = _osrm(ex.name, ex.pbf, profile, src, dst, routes=bad, nearest=[p for p, _ in probes])
        osrm_lacks = {}  # way id -> label, for ways on bereik's routes OSRM does not route on
        for w, (_, pair), near in zip(probe_ways, probes, rr.get("nearest", []), strict=True):
            if set(near["nodes"]) != set(pair) and near["distance"] > 0.5:
                osrm_lacks[w] = _way_label(ex.way_tags(w))
        o_snap = (np.array(rr["source_locations"]), np.array(rr["destination_locations"]))
        snaps = ((m.sources_snapped, m.destinations_snapped), o_snap)
        for k, ((i, j), route) in enumerate(zip(bad, rr["routes"], strict=True)):
            cls, det = _classify(
                ex, profile, (i, j), B[i, j], O[i, j], snaps, route, paths.get((i, j)), osrm_lacks
            )
            row = {
                "origin": ex.origin_names[i],
                "origin_lonlat": ex.src[i].round(5).tolist(),
                "facility": _facility_label(ex.facilities.iloc[j]),
                "facility_lonlat": ex.dst[j].round(5).tolist(),
                "bereik_m": float(B[i, j]),
                "osrm_m": float(O[i, j]),
                "classes": cls,
                "detail": det,
            }
            for c in cls:
                classes_count[c] = classes_count.get(c, 0) + 1
                if c not in examples or len(cls) < len(examples[c]["classes"]):
                    examples[c] = row  # the pair with the fewest other classes
            if k < WORST_SHOWN:
                worst.append(row)
    out.update(classified=len(bad), classes=classes_count, worst=worst, examples=examples)
    return out


# --- isochrones --------------------------------------------------------------------------
def _road_samples(net):
    import numpy as np
    import shapely

    from accessibility.crs import to_wgs84

    lines = net.edge_lines
    lens = shapely.length(lines)
    n = np.floor(lens / SAMPLE_STEP_M).astype(int) + 1
    rep = np.repeat(np.arange(len(lines)), n)
    d = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)) * SAMPLE_STEP_M
    pts = shapely.line_interpolate_point(lines[rep], d)
    return to_wgs84(shapely.get_x(pts), shapely.get_y(pts), net.crs)


#: Valhalla costing options that leave out preferences bereik does not have (it minimises
#: time, with no turn or maneuver costs, no dislike of bad surfaces, steps, alleys or
#: driveways); with them the calibration then matches the speeds
VALHALLA_NEUTRAL = {
    "bicycle": {"avoid_bad_surfaces": 0.0, "maneuver_penalty": 0, "use_living_streets": 0.5},
    "pedestrian": {"maneuver_penalty": 0, "walkway_factor": 1.0, "sidewalk_factor": 1.0,
                   "alley_factor": 1.0, "driveway_factor": 1.0, "step_penalty": 0,
                   "use_tracks": 0.5, "use_living_streets": 0.5},
}  # fmt: skip
#: a preference with no neutral value (bicycle ``use_roads``: 0 keeps to cycleways and
#: paths, 1 to roads; its cost factors are not time): the calibration takes the value under
#: which Valhalla's routes on the trips are fastest (median time), as bereik's are
VALHALLA_PREFERENCE = {"bicycle": ("use_roads", (0.0, 0.25, 0.5, 0.75, 1.0))}
#: the speed option of each costing that the calibration scales (auto has none to scale)
VALHALLA_SPEED = {"bicycle": "cycling_speed", "pedestrian": "walking_speed"}
#: costings whose speed Valhalla uses in whole km/h (15.44 rides as 15, 15.51 as 16)
VALHALLA_WHOLE_KPH = {"bicycle"}
#: profiles whose road points are also judged by each engine's route time (Valhalla's
#: matrix, bereik's isochrone search), apart from the polygons; the car's 20-minute reach
#: is too large to ask Valhalla cheaply
ROUTE_CHECK = ("bike", "walk")
#: "calibrated" (default) or "stock"; --valhalla-calibration
CALIBRATION = "calibrated"


def _iso_points(ex: Extract):
    import numpy as np

    from accessibility.crs import to_metric
    from accessibility.snapping import snap_points

    # origins near every profile's network (not one on a cut-off road fragment that bereik
    # snaps to the main network hundreds of metres away while Valhalla stays on the fragment)
    x, y = to_metric(ex.src[:, 0], ex.src[:, 1], ex.crs)
    near = np.logical_and.reduce(
        [snap_points(n, x, y, max_snap_m=ISO_MAX_SNAP_M).ok for n in ex.nets.values()]
    )
    cand = np.flatnonzero(near)
    rng = np.random.default_rng(SEED + 1)
    pick = rng.choice(cand, size=min(ISO_POINTS, len(cand)), replace=False)
    return ex.src[np.sort(pick)]


def _valhalla(ex: Extract, reqs: list, routes: list, matrices: list | None = None) -> dict:
    spec = {
        "pbf": str(ex.pbf),
        "workdir": str(WORK / f"valhalla-{ex.name}"),
        "threads": 2,
        "requests": reqs,
        "routes": routes,
        "matrices": matrices or [],
    }
    t = time.perf_counter()
    v = _peer([str(Path(__file__).resolve()), "valhalla"], spec, f"valhalla-{ex.name}")
    log(
        f"{ex.name}: Valhalla, {len(reqs)} isochrones, {len(routes)} routes and "
        f"{len(matrices or [])} matrix rows, in "
        f"{time.perf_counter() - t:.1f} s"
        + (f" (tiles built in {v['build_s']:.1f} s)" if v["build_s"] else "")
    )
    return v


def _trip_ratio(legs: list[dict], bereik_s) -> tuple[float, list[dict]]:
    """Median Valhalla time / bereik time over the trips both route, and the trips."""
    import numpy as np

    trips = []
    for leg in legs:
        i, j = leg["trip"]
        if "error" not in leg and np.isfinite(bereik_s[i, j]) and leg["time_s"] > 0:
            trips.append({"bereik_s": float(bereik_s[i, j]), "valhalla_s": float(leg["time_s"]),
                          "valhalla_m": float(leg["length_m"])})  # fmt: skip
    ratios = [t["valhalla_s"] / t["bereik_s"] for t in trips if t["bereik_s"] > 0]
    return (float(np.median(ratios)) if ratios else 1.0), trips


def isochrones(ex: Extract, version_out: dict) -> tuple[list[dict], list[dict], dict]:
    """Isochrones of both engines compared on road points, stock and calibrated Valhalla.

    *stock*: Valhalla's costing with only the speed set to bereik's nominal one (bike 15,
    walk 5 km/h). *calibrated*: :data:`VALHALLA_NEUTRAL`, the :data:`VALHALLA_PREFERENCE`
    value under which Valhalla's routes are fastest, and the speed scaled until
    Valhalla's median time on the trips (every ordered pair of the isochrone points) equals
    bereik's fastest time (as near as Valhalla's whole km/h allow). The car (``auto``) has no
    speed option to scale and stays stock in both.
    """
    import numpy as np
    import shapely

    from accessibility.isochrones import isochrone_result as bereik_iso_result
    from accessibility.isochrones import isochrones as bereik_iso
    from accessibility.routing import travel_matrix

    pts = _iso_points(ex)
    n = len(pts)
    trips = [(i, j) for i in range(n) for j in range(n) if i != j]
    bereik_s = {
        p: travel_matrix(ex.nets[p], pts, pts, max_snap_m=MAX_SNAP_M).durations_s for p in PEERS
    }

    def stock_options(p: str) -> dict:
        costing, prof = PEERS[p][1], ex.profiles.check(p)
        key = VALHALLA_SPEED.get(costing)
        return {key: prof.speed_kph} if key and prof.speed_kph else {}

    def route_reqs(options: dict[str, dict]) -> list[dict]:
        return [{"from": pts[i].tolist(), "to": pts[j].tolist(), "costing": PEERS[p][1],
                 "costing_options": options[p], "profile": p, "trip": [i, j]}
                for p in PEERS for i, j in trips]  # fmt: skip

    def iso_reqs(options: dict[str, dict]) -> list[dict]:
        return [{"lon": float(lon), "lat": float(lat), "costing": PEERS[p][1],
                 "costing_options": options[p], "minutes": list(ISO_MINUTES)}
                for p in PEERS for lon, lat in pts]  # fmt: skip

    def ratios(routes: list[dict], legs: list[dict]) -> dict[str, tuple[float, list]]:
        out = {}
        for p in PEERS:
            mine = [dict(leg, trip=r["trip"]) for r, leg in zip(routes, legs, strict=True)
                    if r["profile"] == p]  # fmt: skip
            out[p] = _trip_ratio(mine, bereik_s[p])
        return out

    samples = {p: _road_samples(ex.nets[p]) for p in ROUTE_CHECK}
    head = "calibrated" if CALIBRATION == "calibrated" else "stock"

    def matrix_reqs(options: dict[str, dict]) -> tuple[list[dict], list]:
        """Valhalla's time from each point to the road points it may reach (ROUTE_CHECK)."""
        reqs, where = [], []
        for p in ROUTE_CHECK:
            key = VALHALLA_SPEED.get(PEERS[p][1])
            kph = max(ex.profiles.check(p).speed_kph or 0, options[p].get(key, 0) if key else 0)
            radius = 1.1 * kph / 3.6 * 60 * max(ISO_MINUTES)
            slon, slat = samples[p]
            for k, (lon, lat) in enumerate(pts):
                idx = np.flatnonzero(_haversine(lon, lat, slon, slat) <= radius)
                reqs.append({"from": [float(lon), float(lat)], "costing": PEERS[p][1],
                             "costing_options": options[p],
                             "to": np.column_stack([slon[idx], slat[idx]]).tolist()})  # fmt: skip
                where.append((p, k, idx))
        return reqs, where

    settings = {"stock": {p: stock_options(p) for p in PEERS}}
    neutral = {p: {**VALHALLA_NEUTRAL.get(PEERS[p][1], {}), **settings["stock"][p]} for p in PEERS}
    runs = {}
    rr = route_reqs(settings["stock"])
    mreqs, mwhere = matrix_reqs(settings["stock"]) if head == "stock" else ([], [])
    v = _valhalla(ex, iso_reqs(settings["stock"]), rr, mreqs)
    runs["stock"] = (v, ratios(rr, v["routes"]))
    calibration: dict = {"tried": {}}
    if CALIBRATION == "calibrated":
        # the speed scaled by the ratio, twice; Valhalla's bicycle costing rounds its speed
        # to whole km/h (its speed tables are per km/h), so there the two whole speeds
        # around nominal x ratio are tried instead; the speed whose median ratio comes
        # closest to 1 is kept
        pref: dict[str, list] = {p: [] for p in PEERS}  # (value, median ratio) tried
        values = max((len(v[1]) for v in VALHALLA_PREFERENCE.values()), default=0)
        for k in range(values):
            opts = copy.deepcopy(neutral)
            for p in PEERS:
                key, vals = VALHALLA_PREFERENCE.get(PEERS[p][1], (None, ()))
                if key and k < len(vals):
                    opts[p][key] = vals[k]
            rr = route_reqs(opts)
            got = ratios(rr, _valhalla(ex, [], rr)["routes"])
            for p in PEERS:
                key, vals = VALHALLA_PREFERENCE.get(PEERS[p][1], (None, ()))
                if key and k < len(vals):
                    pref[p].append((vals[k], got[p][0]))
        for p in PEERS:
            key = VALHALLA_PREFERENCE.get(PEERS[p][1], (None,))[0]
            if key:
                neutral[p][key] = min(pref[p], key=lambda vr: vr[1])[0]
        calibration["preference"] = pref
        rr = route_reqs(neutral)
        first = ratios(rr, _valhalla(ex, [], rr)["routes"])
        seen: dict[str, list[tuple[float, float]]] = {}
        for p in PEERS:
            key = VALHALLA_SPEED.get(PEERS[p][1])
            seen[p] = [(neutral[p][key], first[p][0])] if key else []
        for k in range(2):
            opts = copy.deepcopy(neutral)
            for p in PEERS:
                key = VALHALLA_SPEED.get(PEERS[p][1])
                if not key:
                    continue
                if PEERS[p][1] in VALHALLA_WHOLE_KPH:
                    target = neutral[p][key] * first[p][0]
                    opts[p][key] = float((math.floor, math.ceil)[k](target))
                else:
                    speed, ratio = seen[p][-1]
                    opts[p][key] = round(speed * ratio, 3)
            rr = route_reqs(opts)
            got = ratios(rr, _valhalla(ex, [], rr)["routes"])
            for p in PEERS:
                key = VALHALLA_SPEED.get(PEERS[p][1])
                if key:
                    seen[p].append((opts[p][key], got[p][0]))
        opts = copy.deepcopy(neutral)
        for p in PEERS:
            key = VALHALLA_SPEED.get(PEERS[p][1])
            if key:
                opts[p][key] = min(seen[p], key=lambda vr: abs(vr[1] - 1.0))[0]
        calibration["tried"] = seen
        settings["calibrated"] = opts
        rr = route_reqs(opts)
        mreqs, mwhere = matrix_reqs(opts)
        v = _valhalla(ex, iso_reqs(opts), rr, mreqs)
        runs["calibrated"] = (v, ratios(rr, v["routes"]))
    calibration["options"] = settings
    version_out["pyvalhalla"] = runs["stock"][0]["version"]
    rows, times = [], []
    for setting, (_, got) in runs.items():
        for p in PEERS:
            times += [dict(t, profile=p, setting=setting) for t in got[p][1]]
    for p in PEERS:
        net = ex.nets[p]
        slon, slat = _road_samples(net)
        t_b = 0.0
        for k, (lon, lat) in enumerate(pts):
            t = time.perf_counter()
            try:
                gdf = bereik_iso(
                    net, float(lon), float(lat), minutes=list(ISO_MINUTES), max_snap_m=MAX_SNAP_M
                )
            except Exception as exc:
                rows.append({"profile": p, "lon": lon, "lat": lat, "error": f"bereik: {exc}"})
                continue
            t_b += time.perf_counter() - t
            for setting, (v, _) in runs.items():
                res = v["results"][list(PEERS).index(p) * n + k]
                if "error" in res:
                    rows.append({"profile": p, "setting": setting, "lon": lon, "lat": lat,
                                 "error": res["error"]})  # fmt: skip
                    continue
                vpoly = {}
                for f in res["features"]:
                    geom = shapely.geometry.shape(f["geometry"])
                    if geom.geom_type in ("LineString", "MultiLineString"):
                        geom = shapely.polygonize(shapely.get_parts(geom))
                    vpoly[float(f["properties"]["contour"])] = shapely.make_valid(geom)
                for mins in ISO_MINUTES:
                    bp = gdf.loc[gdf["contour"] == mins, "geometry"].iloc[0]
                    vp = vpoly.get(float(mins))
                    x0, y0, x1, y1 = shapely.union(bp, vp).bounds
                    box = (slon >= x0) & (slon <= x1) & (slat >= y0) & (slat <= y1)
                    inb = shapely.contains_xy(bp, slon[box], slat[box])
                    inv = shapely.contains_xy(vp, slon[box], slat[box])
                    either = int((inb | inv).sum())
                    rows.append(
                        {
                            "profile": p,
                            "setting": setting,
                            "minutes": mins,
                            "lon": float(lon),
                            "lat": float(lat),
                            "jaccard": (inb & inv).sum() / either if either else 1.0,
                            "bereik_only": int((inb & ~inv).sum()),
                            "valhalla_only": int((inv & ~inb).sum()),
                            "both": int((inb & inv).sum()),
                        }
                    )
        log(f"{ex.name}: {p} isochrones (bereik {t_b:.1f} s)")
    # the same road points judged by each engine's own route time, no polygons: what the
    # routing differs in, apart from how the two draw their polygons. bereik's times come
    # from the isochrone's own search (its ``targets`` pricing), the one its polygons are
    # drawn from; a travel matrix with thousands of road points placed on the graph can
    # differ from it (a point placed at a junction with copies, a barrier node, links to
    # the junction both ways: docs/crosscheck.md)
    for (p, k, idx), res in zip(mwhere, runs[head][0]["matrices"], strict=True):
        if "error" in res:
            continue
        slon, slat = samples[p]
        targets = np.column_stack([slon[idx], slat[idx]])
        priced = bereik_iso_result(
            ex.nets[p], float(pts[k][0]), float(pts[k][1]), minutes=[max(ISO_MINUTES)],
            max_snap_m=MAX_SNAP_M, targets=targets,
        )  # fmt: skip
        bt = 60.0 * np.asarray(priced.columns["target_cost"][0], dtype=float)
        vt = np.array([np.inf if t is None else t for t in res["time_s"]], dtype=float)
        for r in rows:
            if (r["profile"], r.get("setting"), r["lon"], r["lat"]) == (
                p,
                head,
                float(pts[k][0]),
                float(pts[k][1]),
            ) and "minutes" in r:
                b, w = bt <= 60 * r["minutes"], vt <= 60 * r["minutes"]
                r["route_jaccard"] = float((b & w).sum() / max((b | w).sum(), 1))
                r["route_bereik_only"] = int((b & ~w).sum())
                r["route_valhalla_only"] = int((w & ~b).sum())
    return rows, times, calibration


# =========================================================================================
# the report
# =========================================================================================
def _pct(x, nd=1):
    return "-" if x is None else f"{100 * x:.{nd}f} %"


def _machine() -> str:
    from machine import cpu_name  # benchmarks/ is the script's folder

    cpu = cpu_name()
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def _code_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "accessibility"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"commit {head}" + (" with uncommitted changes in accessibility/" if dirty else "")


def render_extract(res: dict) -> str:
    import numpy as np

    L = []
    L.append(f"### {res['extract'].capitalize()} (`{res['pbf']}`)\n")
    L.append(
        f"Measured {res['date']} on {res['machine']}; bereik at {res['code']}; "
        f"osrm-bindings {res['versions'].get('osrm', '?')}, pyvalhalla "
        f"{res['versions'].get('pyvalhalla', '?')}. Run time {res['seconds']:.0f} s.\n"
    )
    L.append(
        f"Origins: {res['origins']}. Destinations: {res['n_facilities']} OSM facilities "
        f"(every object bereik's categories find, {res['n_categories']} categories; "
        f"left out as a build leaves them out: {res['facilities_dropped']} over 500 m from "
        "a road of some profile).\n"
    )
    L.append(
        "**Shortest distances against OSRM** (shortest-distance profiles, no turn costs; "
        f"OSRM access policy: {res.get('osrm_policy', 'stock')}):\n"
    )
    L.append(
        "| profile | pairs routed by both | within max(150 m, 5 %) | target | median rel. diff. "
        "| 90th pct | bereik shorter / longer (out of tol.) | no route: bereik only / OSRM only "
        "| same nearest facility | nearest distance within tol. | median snap origin / facility |"
    )
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for d in res["distances"]:
        ok = "met" if d["share_within"] >= d["target"] else "**not met**"
        L.append(
            f"| {d['profile']} | {d['both']:,} of {d['pairs']:,} | {_pct(d['share_within'])} "
            f"| >= {_pct(d['target'], 0)} ({ok}) | {_pct(d['median_rel'], 2)} "
            f"| {_pct(d['p90_rel'], 1)} | {d['bereik_shorter']:,} / {d['bereik_longer']:,} "
            f"| {d['only_osrm']:,} / {d['only_bereik']:,} "
            f"| {_pct(d['nearest_same'])} | {_pct(d['nearest_within'])} "
            f"| {d['src_snap_median_m']:.0f} m / {d['dst_snap_median_m']:.0f} m |"
        )
    L.append(
        "\n*No route, bereik only*: OSRM routes the pair, bereik does not (and vice versa). "
        "Nearest facility: per origin and category, over the "
        f"{res['distances'][0]['nearest_n']:,} origin x category cells of car.\n"
    )
    L.append(
        "**Classes of difference** of the pairs out of tolerance (each routed again by "
        f"OSRM: the {WORST_SHOWN} worst, then a seeded sample, at most {MAX_ROUTES} per "
        "profile; a pair can be in "
        "several classes):\n"
    )
    L.append("| profile | out of tolerance | classified | classes (pairs) |")
    L.append("|---|---|---|---|")
    for d in res["distances"]:
        n_out = d["bereik_shorter"] + d["bereik_longer"]
        cl = ", ".join(f"{k} {v}" for k, v in sorted(d["classes"].items(), key=lambda kv: -kv[1]))
        L.append(f"| {d['profile']} | {n_out:,} | {d['classified']:,} | {cl or '-'} |")
    L.append("")
    L.append("One example per class (lon, lat; of the pairs in it, one with the fewest other "
             "classes):\n")  # fmt: skip
    L.append("| profile | class | origin | facility | bereik m | OSRM m | detail |")
    L.append("|---|---|---|---|---|---|---|")
    for d in res["distances"]:
        for c, w in sorted(d.get("examples", {}).items(), key=lambda kv: -d["classes"][kv[0]]):
            o, f = w["origin_lonlat"], w["facility_lonlat"]
            L.append(
                f"| {d['profile']} | {c} ({d['classes'][c]}) | {w['origin']} ({o[0]:.5f}, "
                f"{o[1]:.5f}) | {w['facility']} ({f[0]:.5f}, {f[1]:.5f}) | {w['bereik_m']:,.0f} "
                f"| {w['osrm_m']:,.0f} | {w['detail'] or '-'} |"
            )
    L.append("")
    for d in res["distances"]:
        if not d["worst"]:
            continue
        L.append(f"Worst {d['profile']} pairs (lon, lat):\n")
        L.append("| origin | facility | bereik m | OSRM m | classes | detail |")
        L.append("|---|---|---|---|---|---|")
        for w in d["worst"]:
            o, f = w["origin_lonlat"], w["facility_lonlat"]
            L.append(
                f"| {w['origin']} ({o[0]:.5f}, {o[1]:.5f}) | {w['facility']} "
                f"({f[0]:.5f}, {f[1]:.5f}) | {w['bereik_m']:,.0f} | {w['osrm_m']:,.0f} "
                f"| {', '.join(w['classes'])} | {w['detail'] or '-'} |"
            )
        L.append("")
    cal = res.get("valhalla_calibration", {})
    settings = list(cal.get("options", {"stock": {}}))
    head = "calibrated" if "calibrated" in settings else "stock"
    rows = [r for r in res["isochrones"] if "jaccard" in r]
    errs = [r for r in res["isochrones"] if "error" in r]
    n_points = len({(r["lon"], r["lat"]) for r in res["isochrones"]})
    L.append(
        f"**Isochrones against Valhalla** ({n_points} seeded points of the origins within "
        f"{ISO_MAX_SNAP_M:g} m of every profile's network; road points every "
        f"{SAMPLE_STEP_M:g} m along the profile's network; Jaccard = reached by both / "
        f"reached by either; target >= {ISO_TARGET:.2f}; *by route time*: the same road "
        "points within the contour's time by each engine's own route (Valhalla's matrix, "
        "bereik's isochrone search pricing the points; "
        f"{', '.join(ROUTE_CHECK)}), which leaves out how the two draw polygons). "
        f"Valhalla **{head}**"
        + (
            " (its costing options below: preferences bereik does not have left out, the "
            "bike and walk speeds scaled so that its median time on the trips equals "
            "bereik's); the last column is Valhalla stock (only the speed set to bereik's "
            "nominal one):\n"
            if head == "calibrated"
            else " (only the bike and walk speeds set to bereik's nominal ones):\n"
        )
    )
    L.append(
        "| profile | minutes | isochrones | median Jaccard | min | share >= 0.9 "
        "| pooled Jaccard | points bereik only / Valhalla only "
        "| by route time: median Jaccard (points bereik only / Valhalla only) "
        + ("| median Jaccard, Valhalla stock |" if head == "calibrated" else "|")
    )
    L.append("|---|---|---|---|---|---|---|---|---|" + ("---|" if head == "calibrated" else ""))
    for p in PEERS:
        for mins in ISO_MINUTES:
            sel = [r for r in rows if r["profile"] == p and r["minutes"] == mins]
            g = [r for r in sel if r.get("setting", "stock") == head]
            if not g:
                continue
            j = np.array([r["jaccard"] for r in g])
            both = sum(r["both"] for r in g)
            bo = sum(r["bereik_only"] for r in g)
            vo = sum(r["valhalla_only"] for r in g)
            line = (
                f"| {p} | {mins} | {len(g)} | {np.median(j):.3f} | {j.min():.3f} "
                f"| {_pct(float((j >= ISO_TARGET).mean()), 0)} "
                f"| {both / max(both + bo + vo, 1):.3f} | {bo:,} / {vo:,} |"
            )
            rj = [r for r in g if "route_jaccard" in r]
            if rj:
                line += (
                    f" {np.median([r['route_jaccard'] for r in rj]):.3f} "
                    f"({sum(r['route_bereik_only'] for r in rj):,} / "
                    f"{sum(r['route_valhalla_only'] for r in rj):,}) |"
                )
            else:
                line += " - |"
            if head == "calibrated":
                js = [r["jaccard"] for r in sel if r.get("setting") == "stock"]
                line += f" {np.median(js):.3f} |" if js else " - |"
            L.append(line)
    L.append(
        "\nTravel times on the same trips (every ordered pair of the isochrone points; "
        "bereik's fastest time, Valhalla's route time):\n"
    )
    L.append(
        "| profile | Valhalla | trips | Valhalla time / bereik time (median) | 10th-90th pct "
        "| Valhalla km/h on its routes (median) | Valhalla costing options |"
    )
    L.append("|---|---|---|---|---|---|---|")
    for p in PEERS:
        for setting in settings:
            g = [r for r in res.get("trip_times", [])
                 if r["profile"] == p and r.get("setting", "stock") == setting]  # fmt: skip
            if not g:
                continue
            ratio = np.array([r["valhalla_s"] / r["bereik_s"] for r in g if r["bereik_s"] > 0])
            kmh = np.array([3.6 * r["valhalla_m"] / r["valhalla_s"] for r in g])
            opts = cal.get("options", {}).get(setting, {}).get(p, {})
            shown = ", ".join(f"`{k}` {v:g}" if isinstance(v, (int, float)) else f"`{k}` {v}"
                              for k, v in opts.items()) or "defaults"  # fmt: skip
            L.append(
                f"| {p} | {setting} | {len(g)} | {np.median(ratio):.2f} "
                f"| {np.quantile(ratio, 0.1):.2f}-{np.quantile(ratio, 0.9):.2f} "
                f"| {np.median(kmh):.1f} | {shown} |"
            )
    if any(cal.get("preference", {}).values()):
        tried = "; ".join(
            f"{p}: " + ", ".join(f"{v:g} -> {r:.3f}" for v, r in vals)
            for p, vals in cal["preference"].items()
            if vals
        )
        L.append(
            "\nPreference (the value under which Valhalla's routes on the trips are fastest, "
            f"median Valhalla / bereik time; bike: `use_roads`): {tried}."
        )
    if cal.get("tried"):
        steps = "; ".join(
            f"{p}: " + ", ".join(f"{v:g} km/h {r:.3f}" for v, r in tried)
            for p, tried in cal["tried"].items()
            if tried
        )
        L.append(
            "\nCalibration (median Valhalla / bereik time at each speed tried, the one closest "
            f"to 1 kept; Valhalla's bike rides whole km/h only): {steps}."
        )
    for r in errs:
        where = f"({r['lon']:.5f}, {r['lat']:.5f})"
        L.append(f"\n- {r['profile']} ({r.get('setting', 'stock')}) at {where}: {r['error']}")
    L.append("")
    return "\n".join(L)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- crosscheck:{name}:begin -->", f"<!-- crosscheck:{name}:end -->"


def write_report(out: Path, results: dict[str, dict]) -> None:
    text = out.read_text() if out.exists() else "# Cross-check\n"
    for name, res in results.items():
        b, e = _markers(name)
        block = f"{b}\n{render_extract(res)}\n{e}"
        if b in text and e in text:
            text = re.sub(
                re.escape(b) + ".*?" + re.escape(e), lambda _m, block=block: block, text, flags=re.S
            )
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    out.write_text(text)


def run_extract(name: str) -> dict:
    t0 = time.perf_counter()
    ex = Extract(name)
    versions: dict = {}
    dist = []
    for p in PEERS:
        t = time.perf_counter()
        d = distances(ex, p)
        dist.append(d)
        log(
            f"{name}: {p}: {d['share_within']:.1%} of {d['both']:,} pairs within tolerance "
            f"(target {d['target']:.0%}), median {d['median_rel']:.2%}, "
            f"p90 {d['p90_rel']:.1%}, classes {d['classes']} ({time.perf_counter() - t:.1f} s)"
        )
    answer = json.loads((WORK / f"osrm-{name}-car.out.json").read_text())
    versions["osrm"] = answer.get("osrm_bindings", "?")
    iso, iso_times, calibration = isochrones(ex, versions)
    return {
        "extract": name,
        "pbf": str(ex.pbf.relative_to(ROOT)),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": _machine(),
        "code": STATE["code"],
        "versions": versions,
        "origins": ex.origin_kind,
        "n_facilities": len(ex.dst),
        "facilities_dropped": ex.facilities_dropped,
        "n_categories": int(ex.fac_rows["category"].nunique()),
        "distances": dist,
        "isochrones": iso,
        "trip_times": iso_times,
        "valhalla_calibration": calibration,
        "osrm_policy": POLICY,
        "seconds": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "valhalla":  # the peer side, in .venv-peers
        spec = json.loads(Path(argv[1]).read_text())
        Path(argv[2]).write_text(json.dumps(valhalla_isochrones(spec)))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--extract",
        choices=sorted(EXTRACTS),
        action="append",
        help="only this extract (repeatable; default: all)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "crosscheck.md",
        help="markdown file whose generated sections are replaced",
    )
    ap.add_argument(
        "--bereik-ref",
        metavar="GIT_REF",
        help="measure accessibility/ as committed at this git ref (exported to the "
        "work folder) instead of the working tree, e.g. HEAD",
    )
    ap.add_argument(
        "--osrm-policy",
        choices=("bereik", "stock"),
        default="bereik",
        help="OSRM's access policy in its distance copies: bereik's documented choices "
        "(default) or OSRM's own (see benchmarks/osrm_table.py POLICY_PATCHES)",
    )
    ap.add_argument(
        "--valhalla-calibration",
        choices=("calibrated", "stock"),
        default="calibrated",
        help="Valhalla's isochrones with its costing calibrated to bereik's (preferences "
        "bereik lacks left out, speeds scaled to equal median trip times; default, the stock "
        "figures are shown next to them) or stock only (speeds set to bereik's nominal ones)",
    )
    args = ap.parse_args(argv)
    global POLICY, CALIBRATION  # noqa: PLW0603 - one setting for the whole run, as STATE
    POLICY = args.osrm_policy
    CALIBRATION = args.valhalla_calibration
    if args.bereik_ref:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", args.bereik_ref],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dest = WORK / f"bereik-{sha}"
        if not dest.exists():
            dest.mkdir(parents=True)
            archive = subprocess.run(
                ["git", "archive", sha, "accessibility"], cwd=ROOT, capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        sys.path.insert(0, str(dest))
        STATE["code"] = f"commit {sha} (accessibility/ as committed)"
    else:
        STATE["code"] = _code_state()
    import accessibility

    log(f"bereik from {Path(accessibility.__file__).parent} ({STATE['code']})")
    if not PEERS_PY.exists():
        print(
            f"needs the peers venv {PEERS_PY} (Python 3.12 with osrm-bindings and pyvalhalla): "
            "PYENV_VERSION=3.12.1 python3 -m venv .venv-peers && "
            ".venv-peers/bin/pip install osrm-bindings pyvalhalla",
            file=sys.stderr,
        )
        return 2
    results = {}
    for name in args.extract or list(EXTRACTS):
        results[name] = run_extract(name)
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / f"result-{name}.json").write_text(json.dumps(results[name], default=float))
    write_report(args.out, results)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
