"""Public-transport reference from Valhalla's multimodal costing, built from a real GTFS feed.

    .venv-peers/bin/python benchmarks/valhalla_transit.py SPEC.json OUT.json
    .venv-peers/bin/python benchmarks/valhalla_transit.py SPEC ISO.json --isochrone LON LAT 10 20
    .venv-peers/bin/python benchmarks/valhalla_transit.py --example-spec SPEC.json [--n 20]

Runs in the peers' Python 3.12 venv (``PYENV_VERSION=3.12.1 python3 -m venv .venv-peers &&
.venv-peers/bin/pip install pyvalhalla osrm-bindings libfaketime``); the standard library only
at module level. SPEC: ``{"pbf", "gtfs" (a .zip or a folder), "workdir", "date_time"
("2022-09-01T08:00", local time of the feed), "pairs": [[lon1, lat1, lon2, lat2], ...]}`` and
optionally ``"costing_options"`` (merged over :data:`COSTING_OPTIONS`), ``"threads"`` and
``"build_date"`` (see below). OUT: ``valhalla_version``, ``tiles_seconds`` (of the build that
made the cached tiles), ``tiles_cached``, ``transit`` (departures and stop pairs dropped, from
the build logs), ``costing_options`` and per pair ``time_s`` (arrival minus ``date_time``, the
walks, waits and rides), ``transit_legs`` (vehicles boarded), ``walk_s``, ``ride_s`` (transit
maneuvers: the wait at the stop and the ride), ``length_m``, ``lines``, ``steps`` (the walks
and rides in order: a walk's ``time_s`` and ``length_m``; a ride's line, first and last stop,
stops passed and ``time_s`` with the wait), ``error``.

The build is Valhalla's own order: the feed is unzipped into ``mjolnir.transit_feeds_dir``
(one sub-folder per feed), ``valhalla_ingest_transit`` writes protobuf stop pairs into
``mjolnir.transit_dir``, ``valhalla_convert_transit`` turns them into level-3 transit tiles
there, and ``valhalla_build_tiles`` builds the road graph from the PBF and connects the transit
tiles to it (its ``transit`` stage). The tiles are cached in ``workdir/<hash>/``, keyed by the
SHA-256 of the PBF and of the feed, the pyvalhalla version and the build date, so a second run
only routes. Work files belong under ``benchmarks/.work/`` (git-ignored).

Quirks of Valhalla's transit that a cross-check must know (read from its sources, 3.9):

* **The build date.** ``valhalla_convert_transit`` keeps a departure only on the days from the
  *clock's* date (in America/New_York) to 59 days later: a bit mask of 60 days from that
  date, plus a day-of-week mask from ``calendar.txt``. A past feed, and one like VRN's whose
  ``calendar.txt`` rows have no weekday set (every day comes from ``calendar_dates.txt``),
  loses every departure ("There were N stop pairs with invalid service dates", "0
  departures"). So the converter runs under libfaketime (the ``libfaketime`` wheel ships the
  library) with the clock at noon UTC of ``build_date`` (default: the date of ``date_time``);
  requests must then fall within ``build_date`` .. ``build_date`` + 59 days. Without the wheel
  this only works for dates in the real 60-day window, and the script says so.
* **Time zones.** There is no time-zone database offline (``mjolnir.timezone`` points at an
  absent file, as in the other peers' configs), and stops.txt has no ``stop_timezone``, so
  every road and transit node has time zone 0: ``date_time`` is taken as given and compared
  with the GTFS times of day as given, i.e. both are the feed's local time (Europe/Berlin,
  CEST on 2022-09-01), with no UTC conversion and no DST step anywhere. (By its code, with time
  zones on the transit nodes but not on the roads, Valhalla would shift the clock by the UTC
  offset when walking onto a platform.) The answer has no departure or arrival clock times for
  the same reason.
* **What is minimised.** The search is a label-setting A* over a generalised cost, not an
  earliest-arrival search: costs are made equal to time where Valhalla allows it
  (:data:`COSTING_OPTIONS`: pedestrian ``mode_factor`` 1 instead of 1.5, neutral way factors,
  no step penalty; transit ``use_bus``/``use_rail``/``use_transfers`` 0.5, i.e. factor 1, no
  transfer cost or penalty). Left: a hard-coded 300 cost units (not seconds) when the operator
  changes, and a 30 s minimum change between two vehicles at one stop. Walking time is length
  over ``walking_speed`` (5 km/h = 1.389 m/s here) plus Valhalla's per-intersection crossing
  seconds; no elevation is built (no hill factor). Boarding adds no time; the wait is in the
  transit maneuver's time.
* **Walks.** The trip walks from the origin (snapped to the nearest walkable edge) to a stop
  and from the last stop to the destination; each of these walks is limited by the
  pedestrian ``transit_start_end_max_distance`` (Valhalla's default 2,415 m), walks between
  stops also by ``transit_transfer_max_distance`` (805 m). A pure walk longer than the first limit
  is impossible, and a destination with no stop within it fails (error 440) when it is over
  2 km from the origin. bereik's transit defaults (15 min to/from a stop, 5 min between stops)
  are 1,250 m and 417 m at 5 km/h: set them in SPEC ``costing_options.pedestrian`` to match.
* **Isochrones.** ``/isochrone`` supports ``costing: multimodal`` (Valhalla's multimodal
  Dijkstra), with the same ``date_time`` and costing options.
"""

from __future__ import annotations

import argparse
import copy
import csv
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "valhalla-transit"
#: bump when the build steps change, so old caches are not reused
BUILD_VERSION = 1
#: costs equal to time as far as Valhalla's options go (see the module docstring)
COSTING_OPTIONS = {
    "pedestrian": {
        "walking_speed": 5.0,  # km/h = 1.389 m/s
        "mode_factor": 1.0,
        "maneuver_penalty": 0,
        "walkway_factor": 1.0,
        "sidewalk_factor": 1.0,
        "alley_factor": 1.0,
        "driveway_factor": 1.0,
        "step_penalty": 0,
        "use_tracks": 0.5,
        "use_living_streets": 0.5,
    },
    "transit": {
        "use_bus": 0.5,
        "use_rail": 0.5,
        "use_transfers": 0.5,
        "transfer_cost": 0,
        "transfer_penalty": 0,
    },
}
#: Valhalla maneuver types (directions.proto): 30 board, 31 change vehicles at the stop, 32
#: remain on the same vehicle (a line changing its name); every other transit one is a boarding
BOARD, TRANSFER, REMAIN_ON = 30, 31, 32
#: the example: Heidelberg's extract, the VRN cut and stop pairs in this box (lon, lat)
EXAMPLE = {
    "pbf": ROOT / "data" / "samples" / "heidelberg-2024-09-08.osm.pbf",
    "gtfs": Path("/work/shared/data/gtfs/vrn-rhein-neckar-2022-cut.gtfs.zip"),
    "date_time": "2022-09-01T08:00",
    "box": (8.64, 49.38, 8.72, 49.42),
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (relative names and contents, sorted)."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        if path.is_dir():
            h.update(str(p.relative_to(path)).encode() + b"\0")
        with p.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _unpack_feed(gtfs: Path, dest: Path) -> None:
    """The feed as one folder ``dest`` holding its .txt files (from a zip or a folder)."""
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    if gtfs.is_dir():
        shutil.copytree(gtfs, tmp)
    else:
        with zipfile.ZipFile(gtfs) as zf:
            zf.extractall(tmp)
    stops = sorted(tmp.rglob("stops.txt"), key=lambda p: len(p.parts))
    if not stops:
        shutil.rmtree(tmp)
        msg = f"no stops.txt in {gtfs}"
        raise RuntimeError(msg)
    shutil.move(stops[0].parent, dest)  # the folder with the feed, even if zipped in a folder
    shutil.rmtree(tmp, ignore_errors=True)


def _faketime_lib() -> Path | None:
    """libfaketime's shared library from the ``libfaketime`` wheel, if installed."""
    from importlib.util import find_spec

    spec = find_spec("libfaketime")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        hits = sorted(Path(folder).rglob("libfaketime.so*"))
        if hits:
            return hits[0]
    return None


def _run(cmd: list[str], log_path: Path, env: dict | None = None) -> float:
    """Run a build tool, its output to ``log_path``; the wall time in seconds."""
    t = time.perf_counter()
    with log_path.open("w") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        tail = " | ".join(log_path.read_text(errors="replace").strip().splitlines()[-5:])
        msg = f"{Path(cmd[0]).name} failed ({proc.returncode}), see {log_path}: {tail}"
        raise RuntimeError(msg)
    return dt


def _transit_stats(folder: Path) -> dict:
    """What the ingest and convert logs say about the feed (departures kept and dropped)."""
    out: dict = {"departures": 0, "stops": 0, "transit_edges": 0}
    conv = (folder / "convert.log").read_text(errors="replace")
    for m in re.finditer(r"added (\d+) stops, \d+ shapes, \d+ routes, and (\d+) departures", conv):
        out["stops"] += int(m.group(1))
        out["departures"] += int(m.group(2))
    for m in re.finditer(r"added (\d+) transit edges", conv):
        out["transit_edges"] += int(m.group(1))
    m = re.search(r"There were (\d+) stop pairs with invalid service dates", conv)
    out["stop_pairs_invalid_dates"] = int(m.group(1)) if m else 0
    ingest = (folder / "ingest.log").read_text(errors="replace")
    per_tile = dict(re.findall(r"(\S+\.pbf) had (\d+) stop pairs", ingest))  # logged twice
    out["stop_pairs"] = sum(int(n) for n in per_tile.values())
    build = (folder / "build.log").read_text(errors="replace")
    m = re.search(r"Adding (\d+) transit tiles to the local graph", build)
    out["transit_tiles_connected"] = int(m.group(1)) if m else 0
    return out


def prepare(spec: dict) -> dict:
    """Build (or find cached) road and transit tiles; the config path and build facts."""
    from importlib.metadata import version

    import valhalla

    pbf, gtfs = Path(spec["pbf"]).resolve(), Path(spec["gtfs"]).resolve()
    build_date = spec.get("build_date") or spec["date_time"][:10]
    lib = _faketime_lib()
    if lib is None:  # the real clock: only a date in the 60 days from today can be asked
        ny_today = datetime.now(tz=ZoneInfo("America/New_York")).date()
        if not ny_today <= date.fromisoformat(build_date) <= ny_today + timedelta(days=59):
            msg = (
                f"{build_date} is outside Valhalla's 60-day transit window from today "
                f"({ny_today}) and libfaketime is not installed: .venv-peers/bin/pip install "
                "libfaketime"
            )
            raise RuntimeError(msg)
        build_date = ny_today.isoformat()
    date.fromisoformat(build_date)  # fails early on a bad date
    key = {
        "pbf_sha256": _sha256(pbf),
        "gtfs_sha256": _sha256(gtfs),
        "pyvalhalla": version("pyvalhalla"),
        "build_date": build_date,
        "build_version": BUILD_VERSION,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    work = Path(spec.get("workdir") or WORK) / digest
    marker = work / "prepared.json"
    if marker.exists():
        done = json.loads(marker.read_text())
        if done.get("key") == key:
            log(f"cached tiles in {work}")
            return {**done, "config": str(work / "valhalla.json"), "cached": True}
    shutil.rmtree(work, ignore_errors=True)
    feeds, transit, tiles = work / "feeds", work / "transit", work / "tiles"
    for d in (feeds, transit, tiles):
        d.mkdir(parents=True)
    _unpack_feed(gtfs, feeds / "gtfs")

    sys.path.insert(0, str(Path(__file__).resolve().parent / "service"))
    from peers import offline_config  # the service benchmark's Valhalla set-up

    threads = int(spec.get("threads", os.cpu_count() or 2))
    cfg = offline_config(work, tiles, threads)
    cfg["mjolnir"]["transit_feeds_dir"] = str(feeds)
    cfg["mjolnir"]["transit_dir"] = str(transit)
    build_cfg = copy.deepcopy(cfg)
    build_cfg["logging"] = {"type": "std_out", "color": False}  # the build logs are read back
    (work / "build.json").write_text(json.dumps(build_cfg, indent=1))
    (work / "valhalla.json").write_text(json.dumps(cfg, indent=1))

    bindir = Path(valhalla.__file__).parent / "bin"
    env = dict(os.environ)
    if lib is not None:
        env |= {
            "LD_PRELOAD": str(lib),
            "FAKETIME": f"@{build_date} 12:00:00",  # noon UTC: the same date in New York
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "TZ": "UTC",
        }
    cfg_arg = ["-c", str(work / "build.json")]
    seconds = {}
    log("valhalla_ingest_transit")
    seconds["ingest_transit"] = _run(
        [str(bindir / "valhalla_ingest_transit"), *cfg_arg, "-j", str(threads)],
        work / "ingest.log",
    )
    log(f"valhalla_convert_transit (clock at {build_date})")
    seconds["convert_transit"] = _run(
        [str(bindir / "valhalla_convert_transit"), *cfg_arg, "-j", str(threads)],
        work / "convert.log",
        env,
    )
    log("valhalla_build_tiles")
    seconds["build_tiles"] = _run(
        [str(bindir / "valhalla_build_tiles"), *cfg_arg, "-j", str(threads), str(pbf)],
        work / "build.log",
    )
    done = {
        "key": key,
        "build_date": build_date,
        "tiles_seconds": sum(seconds.values()),
        "stages_seconds": seconds,
        "transit": _transit_stats(work),
        "faketime": lib is not None,
    }
    marker.write_text(json.dumps(done, indent=1))
    return {**done, "config": str(work / "valhalla.json"), "cached": False}


def _summarise(trip: dict) -> dict:
    """time_s, transit_legs, walk_s, ride_s, length_m, lines and steps of one /route answer."""
    walk = ride = 0.0
    legs, lines, steps = 0, [], []
    for leg in trip["legs"]:
        for m in leg["maneuvers"]:
            if m.get("travel_mode") == "transit":
                ride += m["time"]
                info = m.get("transit_info", {})
                stops = [s.get("name") for s in info.get("transit_stops", [])]
                if m["type"] != REMAIN_ON:
                    legs += 1
                    lines.append(info.get("short_name"))
                steps.append({"mode": "transit", "line": info.get("short_name"),
                              "from": stops[0] if stops else None,
                              "to": stops[-1] if stops else None,
                              "stops": max(len(stops) - 1, 0), "time_s": m["time"]})  # fmt: skip
            else:
                walk += m["time"]
                if steps and steps[-1]["mode"] == "walk":
                    steps[-1]["time_s"] += m["time"]
                    steps[-1]["length_m"] += 1000 * m["length"]
                elif m["time"] > 0 or m["length"] > 0:
                    steps.append({"mode": "walk", "time_s": m["time"],
                                  "length_m": 1000 * m["length"]})  # fmt: skip
    s = trip["summary"]
    return {"time_s": s["time"], "transit_legs": legs, "walk_s": walk, "ride_s": ride,
            "length_m": 1000 * s["length"], "lines": lines, "steps": steps,
            "error": None}  # fmt: skip


def _error(exc: Exception) -> dict:
    return {"time_s": None, "transit_legs": 0, "walk_s": 0.0, "ride_s": 0.0, "length_m": None,
            "lines": [], "steps": [], "error": str(exc)}  # fmt: skip


def run(spec: dict, isochrone: tuple[float, float, list[float]] | None = None) -> dict:
    """Prepare the tiles and answer the SPEC's pairs (or one isochrone)."""
    import valhalla

    prep = prepare(spec)
    options = _merge(COSTING_OPTIONS, spec.get("costing_options", {}))
    actor = valhalla.Actor(prep["config"])
    when = {"type": 1, "value": spec["date_time"]}  # 1: depart at, local time
    out = {
        "valhalla_version": prep["key"]["pyvalhalla"],
        "tiles_seconds": prep["tiles_seconds"],
        "tiles_cached": prep["cached"],
        "stages_seconds": prep["stages_seconds"],
        "build_date": prep["build_date"],
        "transit": prep["transit"],
        "date_time": spec["date_time"],
        "costing_options": options,
    }
    t = time.perf_counter()
    if isochrone is not None:
        lon, lat, minutes = isochrone
        req = {"locations": [{"lon": lon, "lat": lat}], "costing": "multimodal",
               "date_time": when, "costing_options": options,
               "contours": [{"time": m} for m in minutes], "polygons": True}  # fmt: skip
        try:
            res = json.loads(actor.isochrone(json.dumps(req)))
            out["isochrone"] = {"lon": lon, "lat": lat, "minutes": minutes,
                                "features": res["features"], "error": None}  # fmt: skip
        except RuntimeError as exc:
            out["isochrone"] = {"lon": lon, "lat": lat, "minutes": minutes, "features": [],
                                "error": str(exc)}  # fmt: skip
    else:
        results = []
        for lon1, lat1, lon2, lat2 in spec.get("pairs", []):
            req = {"locations": [{"lon": lon1, "lat": lat1}, {"lon": lon2, "lat": lat2}],
                   "costing": "multimodal", "date_time": when,
                   "costing_options": options}  # fmt: skip
            try:
                results.append(_summarise(json.loads(actor.route(json.dumps(req)))["trip"]))
            except RuntimeError as exc:
                results.append(_error(exc))
        out["pairs"] = results
    out["query_seconds"] = time.perf_counter() - t
    return out


def _haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)  # fmt: skip
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def example_spec(n: int, seed: int, min_m: float = 1000.0) -> dict:
    """Seeded pairs of the feed's stops in the Heidelberg box, at least ``min_m`` apart."""
    gtfs = EXAMPLE["gtfs"]
    with zipfile.ZipFile(gtfs) as zf, zf.open("stops.txt") as fh:
        rows = list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8-sig")))
    x0, y0, x1, y1 = EXAMPLE["box"]
    xy = {(round(float(r["stop_lon"]), 6), round(float(r["stop_lat"]), 6)) for r in rows}
    pts = sorted((x, y) for x, y in xy if x0 <= x <= x1 and y0 <= y <= y1)
    rng = random.Random(seed)
    pairs: list[list[float]] = []
    while len(pairs) < n:
        a, b = rng.sample(pts, 2)
        if _haversine_m(*a, *b) >= min_m:
            pairs.append([*a, *b])
    return {"pbf": str(EXAMPLE["pbf"]), "gtfs": str(gtfs), "workdir": str(WORK),
            "date_time": EXAMPLE["date_time"], "pairs": pairs}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spec", type=Path, help="SPEC.json (read; written with --example-spec)")
    ap.add_argument("out", type=Path, nargs="?", help="OUT.json")
    ap.add_argument("--isochrone", nargs="+", type=float, metavar="LON LAT MINUTES",
                    help="one multimodal isochrone instead of the pairs")  # fmt: skip
    ap.add_argument("--example-spec", action="store_true",
                    help="write SPEC: Heidelberg, the VRN cut, seeded stop pairs")  # fmt: skip
    ap.add_argument("--n", type=int, default=20, help="pairs of --example-spec")
    ap.add_argument("--seed", type=int, default=7, help="seed of --example-spec")
    args = ap.parse_args(argv)
    if args.example_spec:
        args.spec.write_text(json.dumps(example_spec(args.n, args.seed), indent=1))
        return 0
    if args.out is None:
        ap.error("OUT.json is required")
    iso = None
    if args.isochrone is not None:
        if len(args.isochrone) < 3:
            ap.error("--isochrone LON LAT MINUTES [MINUTES ...]")
        iso = (args.isochrone[0], args.isochrone[1], args.isochrone[2:])
    out = run(json.loads(args.spec.read_text()), iso)
    args.out.write_text(json.dumps(out, indent=1))
    if "pairs" in out:
        ok = [p["time_s"] for p in out["pairs"] if p["time_s"] is not None]
        log(f"{len(ok)}/{len(out['pairs'])} pairs answered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
