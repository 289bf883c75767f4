"""OSRM peer for benchmarks/run.py: MLD preprocessing and one Table query, timed.

Runs inside a Python 3.12 venv that has ``osrm-bindings`` (abi3 wheels need 3.12+), started
by ``benchmarks/run.py`` as a subprocess, never imported by it. Input is a JSON file::

    {"pbf": "...", "workdir": "...", "threads": 1, "repeats": 3,
     "sources": [[lon, lat], ...], "destinations": [[lon, lat], ...],
     "profile": "car", "weight": "stock", "routes": [[i, j], ...]}

Output (JSON on the path given as the second argument): seconds for ``osrm-extract``
(with the bundled ``car.lua``), ``osrm-partition``, ``osrm-customize``, loading the engine
and the Table query (best of ``repeats``), plus the ``durations`` (s) and ``distances`` (m)
matrices, sources x destinations (``null`` where OSRM found no route), and where OSRM
snapped each point (``source_locations`` / ``destination_locations``, lon/lat, and
``source_snap_m`` / ``destination_snap_m``).

Optional keys (used by ``benchmarks/crosscheck.py``):

- ``profile``: ``car`` (default), ``bicycle`` or ``foot``, the bundled ``.lua`` profile.
- ``weight``: ``stock`` (default: the profile as shipped) or ``distance``: a run-time copy
  of the profile that minimises DISTANCE (``weight_name = 'distance'``) with every turn
  penalty and turn weight zero (``turn_penalty``, ``u_turn_penalty``,
  ``traffic_signal_penalty``, ``oncoming_turn_penalty``, ``mode_change_penalty``; the turn
  function's weight and duration end at 0, save the stock penalty for entering a way of
  restricted access). Nothing of it is kept in the repository.
- ``policy`` (with ``weight: distance``): ``stock`` (default) or ``bereik``: the copy also
  takes bereik's documented access choices (:data:`POLICY_PATCHES`), so that what is
  compared is the routing on one road policy.
- ``routes``: pairs ``[source index, destination index]`` answered by the Route service
  too: ``routes`` in the output holds per pair its ``distance``, the OSM ``nodes`` of the
  route and the travel ``modes`` of its steps (``driving``, ``cycling``, ``pushing bike``,
  ``walking``, ``ferry``...).
- ``nearest``: points ``[lon, lat]`` answered by the Nearest service: ``nearest`` in the
  output holds per point the OSM ``nodes`` of the segment OSRM snaps it to and the
  ``distance`` (m); a point on a way OSRM's profile leaves out snaps elsewhere.
- ``reuse``: keep the prepared files of an earlier run on the same ``workdir`` (same
  extract, profile and weight) and only query.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path


def _run(cmd: list[str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        msg = f"{Path(cmd[0]).name} failed ({proc.returncode}): " + " | ".join(tail)
        raise RuntimeError(msg)
    return dt


#: profile settings set to 0 in the shortest-distance copy (seconds or weight of turns)
ZERO_PENALTIES = ("u_turn_penalty", "traffic_signal_penalty", "turn_penalty",
                  "oncoming_turn_penalty", "mode_change_penalty")  # fmt: skip
#: replaces the stock ``process_turn`` in the copy: no turn costs anything
_TURN_WRAPPER = """
local stock_process_turn = process_turn
process_turn = function(profile, turn)
  stock_process_turn(profile, turn)
  turn.weight = 0
  turn.duration = 0
  -- as the stock routability weight does: entering a way of restricted access (private,
  -- destination, delivery...) from a public one costs the most a turn may, so such ways
  -- are used to start or end there, not as a short cut
  if not turn.source_restricted and turn.target_restricted then
    turn.weight = constants.max_turn_weight
  end
end

return {"""


#: ``"policy": "bereik"``: the copy takes bereik's documented choices where the two
#: engines differ by policy, not by routing (docs/crosscheck.md says which and why):
#: a car never uses access=private and uses destination/delivery/customers roads freely
#: (OSRM: private and those only to start or end there); a walker may use cycleways,
#: bridleways, corridors and highway=road (Dutch law lets pedestrians use a fietspad
#: where there is no footway; OSRM's foot.lua leaves them out)
#: access values bereik's car takes as access (profiles.py YES_VALUES) that car.lua
#: blacklists unless "restricted"
_BEREIK_CAR_ALLOWS = ("destination", "delivery", "customers", "official")


def _allow_in_blacklist(m: re.Match) -> str:
    block = m.group(0)
    for value in _BEREIK_CAR_ALLOWS:
        block = re.sub(rf"\n\s*'{value}',?", "", block)
    return block


POLICY_PATCHES = {
    "car": [
        (r"restricted_access_tag_list = Set \{[^}]*\}", "restricted_access_tag_list = Set { }"),
        (r"access_tag_blacklist = Set \{[^}]*\}", _allow_in_blacklist),
    ],
    "foot": [
        (r"(\n(\s*)footway(\s*)= walking_speed,)",
         r"\1\n\2cycleway\3= walking_speed,\n\2bridleway\3= walking_speed,"
         r"\n\2corridor\3= walking_speed,\n\2road\3= walking_speed,"),
    ],
}  # fmt: skip


def _apply_policy(text: str, profile: str) -> str:
    """Apply :data:`POLICY_PATCHES` of ``profile`` (each must match exactly once)."""
    for pattern, repl in POLICY_PATCHES.get(profile, []):
        text, n = re.subn(pattern, repl, text, count=1)
        if n != 1:
            msg = f"{profile}.lua: policy patch {pattern!r} did not match"
            raise RuntimeError(msg)
    return text


def distance_profile(stock: Path, work: Path, *, policy: str = "stock") -> Path:
    """Write a copy of ``stock`` that minimises distance with no turn costs; return it.

    ``weight_name`` becomes ``'distance'`` (an option the profiles document: every way's
    weight is then its length), the penalties of :data:`ZERO_PENALTIES` become 0 and the
    turn function ends with weight and duration 0, so nothing but length is minimised;
    except that entering a way of restricted access (``private``, ``destination``...) from
    a public one keeps the largest turn weight, as the stock ``routability`` weight does
    (otherwise the shortest route would cut through private roads). Access, oneway, turn
    restrictions, barriers, ferries and snapping stay as in the stock profile.
    """
    text = stock.read_text()
    text, n = re.subn(r"^(\s*)weight_name(\s*)=\s*'[a-z_]+'", r"\1weight_name\2= 'distance'",
                      text, flags=re.MULTILINE)  # fmt: skip
    if n != 1:
        msg = f"{stock.name}: expected one active weight_name line, found {n}"
        raise RuntimeError(msg)
    for key in ZERO_PENALTIES:
        text = re.sub(rf"^(\s*){key}(\s*)=\s*[0-9.]+", rf"\1{key}\2= 0", text, flags=re.MULTILINE)
    head, sep, tail = text.rpartition("\nreturn {")
    if not sep:
        msg = f"{stock.name}: no final 'return {{' to wrap process_turn before"
        raise RuntimeError(msg)
    text = head + "\n" + _TURN_WRAPPER + tail
    if policy == "bereik":
        text = _apply_policy(text, stock.stem)
    out = work / f"{stock.stem}_distance.lua"
    # the copy lives outside the profiles folder: find lib/*.lua there
    out.write_text(f"package.path = '{stock.parent}/?.lua;' .. package.path\n" + text)
    return out


def _routes(osrm, engine, src: list, dst: list, pairs: list) -> list[dict]:
    """Route service for each ``[i, j]``: distance, OSM nodes and step modes."""
    out = []
    for i, j in pairs:
        params = osrm.RouteParameters(coordinates=[src[i], dst[j]], steps=True,
                                      annotations=["nodes"], overview="false")  # fmt: skip
        try:
            r = engine.Route(params)
        except RuntimeError as exc:
            out.append({"pair": [i, j], "error": str(exc)})
            continue
        route = r["routes"][0]
        nodes, modes = [], []
        for leg in route["legs"]:
            nodes += [int(n) for n in leg["annotation"]["nodes"]]
            modes += [str(st["mode"]) for st in leg["steps"]]
        out.append({"pair": [i, j], "distance": float(route["distance"]), "nodes": nodes,
                    "modes": sorted(set(modes))})  # fmt: skip
    return out


def _waypoints(items) -> tuple[list, list]:
    locs, snaps = [], []
    for w in items:
        loc = w["location"]
        locs.append([float(loc[0]), float(loc[1])])
        snaps.append(float(w["distance"]))
    return locs, snaps


def main(argv: list[str]) -> int:
    """Preprocess, query, write the result JSON."""
    import osrm

    spec = json.loads(Path(argv[0]).read_text())
    pkg = Path(osrm.__file__).parent
    bindir = pkg / "bin"
    profile = pkg / "share" / "profiles" / f"{spec.get('profile', 'car')}.lua"
    work = Path(spec["workdir"])
    base = work / "input.osrm"
    threads = str(spec.get("threads", 1))
    out: dict = {"osrm_bindings": version("osrm-bindings"), "threads": int(threads)}
    done = work / "prepared.json"  # what the work folder holds, written after customize
    patch = hashlib.sha256((_TURN_WRAPPER + str(ZERO_PENALTIES)).encode()).hexdigest()[:16]
    key = {"pbf": str(Path(spec["pbf"]).resolve()), "profile": profile.name,
           "weight": spec.get("weight", "stock"), "patch": patch,
           "policy": spec.get("policy", "stock"), "policy_patch": str(POLICY_PATCHES),
           "allows": _BEREIK_CAR_ALLOWS}  # fmt: skip
    if not (spec.get("reuse") and done.exists() and json.loads(done.read_text()) == key):
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        if spec.get("weight", "stock") == "distance":
            profile = distance_profile(profile, work, policy=spec.get("policy", "stock"))
        pbf = work / "input.osm.pbf"
        shutil.copyfile(spec["pbf"], pbf)
        out["extract_s"] = _run([str(bindir / "osrm-extract"), "-p", str(profile), str(pbf),
                                 "-t", threads])  # fmt: skip
        out["partition_s"] = _run([str(bindir / "osrm-partition"), str(base), "-t", threads])
        out["customize_s"] = _run([str(bindir / "osrm-customize"), str(base), "-t", threads])
        done.write_text(json.dumps(key))

    t = time.perf_counter()
    engine = osrm.OSRM(storage_config=str(base), algorithm="MLD", use_shared_memory=False)
    out["load_s"] = time.perf_counter() - t

    src = [tuple(p) for p in spec["sources"]]
    dst = [tuple(p) for p in spec["destinations"]]
    params = osrm.TableParameters(
        coordinates=src + dst,
        sources=list(range(len(src))),
        destinations=list(range(len(src), len(src) + len(dst))),
        annotations=["duration", "distance"],
    )
    best = float("inf")
    res = None
    for _ in range(int(spec.get("repeats", 3))):
        t = time.perf_counter()
        res = engine.Table(params)
        best = min(best, time.perf_counter() - t)
    out["table_s"] = best
    out["durations"] = [list(row) for row in res["durations"]]
    out["distances"] = [list(row) for row in res["distances"]]
    try:
        out["source_locations"], out["source_snap_m"] = _waypoints(res["sources"])
        out["destination_locations"], out["destination_snap_m"] = _waypoints(res["destinations"])
    except (KeyError, TypeError, IndexError):
        pass  # an older binding without waypoints in the Table answer
    if spec.get("routes"):
        out["routes"] = _routes(osrm, engine, src, dst, spec["routes"])
    if spec.get("nearest"):
        out["nearest"] = []
        for p in spec["nearest"]:
            w = engine.Nearest(osrm.NearestParameters(coordinates=[tuple(p)]))["waypoints"][0]
            out["nearest"].append({"nodes": [int(n) for n in w["nodes"]],
                                   "distance": float(w["distance"])})  # fmt: skip
    out["profile"] = key["profile"]
    out["weight"] = key["weight"]
    out["n_sources"] = len(src)
    out["n_destinations"] = len(dst)
    Path(argv[1]).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
