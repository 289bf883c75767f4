"""Peer helper for benchmarks/service/run.py: Valhalla and OSRM, in a Python 3.12 venv.

pyvalhalla and osrm-bindings ship abi3 wheels for Python 3.12 and newer only, so this file
runs in a separate venv (``.venv-valhalla`` by default) as a subprocess of ``run.py``; it is
never imported by it. It does the work that needs the packages themselves; the HTTP servers
(``valhalla_service``, ``osrm-routed``) are binaries that ``run.py`` starts directly.

Subcommands (each but the loop reads its arguments from a JSON file and writes one)::

    python peers.py versions        OUT.json
    python peers.py valhalla-prepare SPEC.json OUT.json   # config + valhalla_build_tiles
    python peers.py osrm-prepare     SPEC.json OUT.json   # osrm-extract/partition/customize
    python peers.py valhalla-actor-loop CONFIG            # Actor.isochrone timings, stdin/stdout
    python peers.py osrm-table-loop  SPEC.json            # osrm.OSRM Table timings, stdin/stdout
    python peers.py osrm-shortest    SPEC.json OUT.json   # Table with a distance-weighted car.lua

Only time.perf_counter is used for timing.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _run(cmd: list[str], log: Path) -> float:
    """Run a command, append its output to ``log``, return the wall time in seconds."""
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}\n")
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        msg = f"{Path(cmd[0]).name} failed ({proc.returncode}): " + " | ".join(tail)
        raise RuntimeError(msg)
    return dt


def versions(_spec: dict) -> dict:
    """Python and peer package versions, and whether each peer imports."""
    out: dict = {"python": sys.version.split()[0]}
    for dist, module in (("pyvalhalla", "valhalla"), ("osrm-bindings", "osrm")):
        try:
            __import__(module)
            out[module] = {"ok": True, "version": _version(dist)}
        except Exception as exc:
            out[module] = {"ok": False, "reason": f"import {module} failed: {exc}"}
    return out


def offline_config(work: Path, tiles: Path, threads: int) -> dict:
    """A Valhalla config for tiles in ``tiles`` on an offline machine.

    ``valhalla.get_config`` deep-copied, then the files that do not exist offline (admin,
    timezone, traffic, landmarks, transit) point into ``work``; the admin database is off.
    """
    import valhalla

    cfg = copy.deepcopy(valhalla.get_config(tile_extract="", tile_dir=str(tiles)))
    mj = cfg["mjolnir"]
    for key in ("traffic_extract", "admin", "landmarks", "timezone", "transit_dir",
                "transit_feeds_dir"):  # fmt: skip
        mj[key] = str(work / f"absent-{key}")
    mj["data_processing"]["use_admin_db"] = False
    mj["concurrency"] = threads
    return cfg


def valhalla_prepare(spec: dict) -> dict:
    """Write a Valhalla config for ``spec['workdir']`` and build the tiles of ``spec['pbf']``.

    The config comes from ``valhalla.get_config(tile_extract="", tile_dir=...)`` (deep-copied
    before editing): the HTTP service listens on 127.0.0.1 only, files that do not exist on
    an offline machine (admin, timezone, traffic, landmarks, transit) point into the work
    folder, and the matrix pair limit is raised so one N x N speed check fits.
    """
    import valhalla

    work = Path(spec["workdir"])
    if work.exists():
        shutil.rmtree(work)
    tiles = work / "tiles"
    tiles.mkdir(parents=True)
    cfg = offline_config(work, tiles, int(spec.get("threads", 1)))
    svc = cfg["httpd"]["service"]
    svc["listen"] = f"tcp://127.0.0.1:{int(spec['port'])}"
    svc["loopback"] = f"ipc://{work / 'loopback'}"
    svc["interrupt"] = f"ipc://{work / 'interrupt'}"
    svc["drain_seconds"] = 0  # stop at once when the benchmark ends
    svc["shutdown_seconds"] = 0
    cfg["service_limits"]["auto"]["max_matrix_location_pairs"] = int(
        spec.get("max_matrix_location_pairs", 10_000)
    )
    cfg_path = work / "valhalla.json"
    cfg_path.write_text(json.dumps(cfg, indent=1))
    bindir = Path(valhalla.__file__).parent / "bin"
    build_s = _run(
        [str(bindir / "valhalla_build_tiles"), "-c", str(cfg_path), spec["pbf"]], work / "build.log"
    )
    return {
        "config": str(cfg_path),
        "service_bin": str(bindir / "valhalla_service"),
        "build_tiles_s": build_s,
        "tiles_bytes": sum(p.stat().st_size for p in tiles.rglob("*") if p.is_file()),
        "version": _version("pyvalhalla"),
    }


def osrm_prepare(spec: dict) -> dict:
    """osrm-extract (bundled car.lua), osrm-partition and osrm-customize (MLD), timed."""
    import osrm

    pkg = Path(osrm.__file__).parent
    bindir = pkg / "bin"
    work = Path(spec["workdir"])
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    pbf = work / "input.osm.pbf"
    shutil.copyfile(spec["pbf"], pbf)
    base = work / "input.osrm"
    threads = str(spec.get("threads", 1))
    log = work / "prepare.log"
    out = {
        "extract_s": _run(
            [
                str(bindir / "osrm-extract"),
                "-p",
                str(pkg / "share" / "profiles" / "car.lua"),
                str(pbf),
                "-t",
                threads,
            ],
            log,
        ),
        "partition_s": _run([str(bindir / "osrm-partition"), str(base), "-t", threads], log),
        "customize_s": _run([str(bindir / "osrm-customize"), str(base), "-t", threads], log),
    }
    out.update(
        base=str(base), routed_bin=str(bindir / "osrm-routed"), version=_version("osrm-bindings")
    )
    return out


def valhalla_actor_loop(config: str) -> int:
    """Serve ``valhalla.Actor.isochrone`` timings over stdin/stdout, one JSON line each.

    First line out: ``{"load_s": ...}``. Then for every line in (``{"lon", "lat",
    "minutes"}``) one line out: ``{"s": seconds}`` (``null`` when Valhalla raised). The time
    is taken here around the call, so the pipe is not in it.
    """
    import valhalla

    t = time.perf_counter()
    actor = valhalla.Actor(config)
    print(json.dumps({"load_s": time.perf_counter() - t}), flush=True)
    for line in sys.stdin:
        q = json.loads(line)
        req = {
            "locations": [{"lat": q["lat"], "lon": q["lon"]}],
            "costing": "auto",
            "contours": [{"time": m} for m in q["minutes"]],
            "polygons": True,
        }
        t = time.perf_counter()
        try:
            actor.isochrone(json.dumps(req))
            dt = time.perf_counter() - t
        except RuntimeError:
            dt = None
        print(json.dumps({"s": dt}), flush=True)
    return 0


def osrm_table_loop(spec_path: str) -> int:
    """Serve ``osrm.OSRM(...).Table`` timings over stdin/stdout, one JSON line each.

    The spec (``base``, ``sources``, ``destinations``) is read once; first line out:
    ``{"load_s": ...}``; then one ``{"s": seconds}`` per line in (the time of one Table of
    all sources x destinations, taken here around the call).
    """
    import osrm

    spec = json.loads(Path(spec_path).read_text())
    t = time.perf_counter()
    engine = osrm.OSRM(storage_config=spec["base"], algorithm="MLD", use_shared_memory=False)
    load_s = time.perf_counter() - t
    src = [tuple(p) for p in spec["sources"]]
    dst = [tuple(p) for p in spec["destinations"]]
    params = osrm.TableParameters(
        coordinates=src + dst,
        sources=list(range(len(src))),
        destinations=list(range(len(src), len(src) + len(dst))),
        annotations=["duration", "distance"],
    )
    print(json.dumps({"load_s": load_s}), flush=True)
    for _line in sys.stdin:
        t = time.perf_counter()
        engine.Table(params)
        print(json.dumps({"s": time.perf_counter() - t}), flush=True)
    return 0


def osrm_shortest(spec: dict) -> dict:
    """OSRM Table distances of the SHORTEST routes, for a like-with-like distance check.

    OSRM's Table ``distance`` annotation is the length of the route it chose, which for the
    bundled ``car.lua`` is the fastest ("routability") route; bereik's ``distances_m`` is the
    shortest route. A copy of ``car.lua`` with ``weight_name = 'distance'`` (an option the
    profile itself documents) makes OSRM choose the shortest route too; everything else
    (which roads, access, oneway, turn restrictions, snapping) stays as in ``car.lua``.
    """
    import osrm

    pkg = Path(osrm.__file__).parent
    bindir = pkg / "bin"
    profiles = pkg / "share" / "profiles"
    work = Path(spec["workdir"])
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    text = (profiles / "car.lua").read_text()
    needle = "weight_name                     = 'routability',"
    if needle not in text:
        msg = "car.lua has no routability weight_name line to switch to distance"
        raise RuntimeError(msg)
    lua = work / "car_distance.lua"
    lua.write_text(
        f"package.path = '{profiles}/?.lua;' .. package.path\n"
        + text.replace(needle, "weight_name                     = 'distance',")
    )
    pbf = work / "input.osm.pbf"
    shutil.copyfile(spec["pbf"], pbf)
    base = work / "input.osrm"
    log = work / "prepare.log"
    _run([str(bindir / "osrm-extract"), "-p", str(lua), str(pbf), "-t", "1"], log)
    _run([str(bindir / "osrm-partition"), str(base), "-t", "1"], log)
    _run([str(bindir / "osrm-customize"), str(base), "-t", "1"], log)
    engine = osrm.OSRM(storage_config=str(base), algorithm="MLD", use_shared_memory=False)
    src = [tuple(p) for p in spec["sources"]]
    dst = [tuple(p) for p in spec["destinations"]]
    res = engine.Table(
        osrm.TableParameters(
            coordinates=src + dst,
            sources=list(range(len(src))),
            destinations=list(range(len(src), len(src) + len(dst))),
            annotations=["distance"],
        )
    )
    return {"distances": [list(row) for row in res["distances"]]}


COMMANDS = {
    "versions": versions,
    "valhalla-prepare": valhalla_prepare,
    "osrm-prepare": osrm_prepare,
    "osrm-shortest": osrm_shortest,
}


def main(argv: list[str]) -> int:
    """Dispatch one subcommand: ``peers.py CMD [SPEC.json] OUT.json``."""
    if len(argv) == 2 and argv[0] == "valhalla-actor-loop":
        return valhalla_actor_loop(argv[1])
    if len(argv) == 2 and argv[0] == "osrm-table-loop":
        return osrm_table_loop(argv[1])
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: peers.py {{{','.join(COMMANDS)}}} [SPEC.json] OUT.json", file=sys.stderr)
        return 2
    cmd, *rest = argv
    spec = json.loads(Path(rest[0]).read_text()) if len(rest) == 2 else {}
    out = COMMANDS[cmd](spec)
    Path(rest[-1]).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
