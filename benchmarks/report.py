"""Render the results of benchmarks/run.py as docs/benchmarks.md (markdown)."""

from __future__ import annotations

import math

ENGINES = ("bereik", "scipy_floor", "igraph", "networkx", "pandana")
UNITS = {"travel_time_s": "s", "length_m": "m"}
TARGET_NODES = 360_000
TARGET_NX = 30.0
TARGET_FLOOR = 1.5
TARGET_BUILD = 2.0
BORDERLINE = 0.15  # within 15 % of a threshold: say that the run-to-run noise decides


def borderline(value: float, threshold: float) -> str:
    """A warning when ``value`` is too close to ``threshold`` to call it on one run."""
    if abs(value / threshold - 1.0) <= BORDERLINE:
        return (" - borderline: within the run-to-run noise of this shared machine, "
                "another run may fall on the other side")  # fmt: skip
    return ""


def s(x: float | None) -> str:
    """Seconds, 3 significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    if x >= 0.001:
        return f"{x:.3g}"
    return f"{x:.2g}"


def ratio(a: float | None, b: float | None) -> str:
    """``a / b`` as ``12.3x``."""
    if a is None or b is None or b <= 0:
        return "-"
    r = a / b
    return f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def q(e: dict | None) -> float | None:
    """Query seconds of an engine result (None when skipped)."""
    return None if not e or "skipped" in e else e["query_s"]


def _target_row(results: dict) -> dict | None:
    syn = [r for r in results["nearest"] if r["kind"] == "synthetic"]
    if not syn:
        return None
    return min(syn, key=lambda r: abs(r["nodes"] - TARGET_NODES))


def targets(results: dict) -> list[str]:
    """One line per target: met or not, with the numbers."""
    lines = []
    r = _target_row(results)
    if r is None:
        lines.append("- nearest-facility targets: no synthetic run, not evaluated")
    else:
        e = r["engines"]
        b, f = e["bereik"], e["scipy_floor"]
        at = f"at {r['nodes']:,} nodes ({r['name']})"
        if abs(r["nodes"] - TARGET_NODES) > 0.2 * TARGET_NODES:
            at += f" - NOTE: the target is stated at {TARGET_NODES:,} nodes; this run has none"
        nxq = q(e.get("networkx"))
        mq = q(e.get("networkx_multi"))
        if nxq is None:
            lines.append(f"- >= {TARGET_NX:.0f}x faster than networkx {at}: not measured "
                         f"({e.get('networkx', {}).get('skipped', 'skipped')})")  # fmt: skip
        else:
            r_q = nxq / b["query_s"]
            r_st = nxq / (b["query_s"] + b["prep_s"])
            ok = "MET" if r_q >= TARGET_NX else "NOT MET"
            ok2 = "met" if r_st >= TARGET_NX else "not met"
            lines.append(
                f"- >= {TARGET_NX:.0f}x faster than networkx {at}: **{ok}** for the query "
                f"({r_q:.1f}x against networkx on an `nx.DiGraph`; the scipy floor itself is "
                f"{nxq / f['query_s']:.1f}x, bereik's query also returns which POI won"
                + (
                    f"; against the osmnx-style `nx.MultiDiGraph` {mq / b['query_s']:.1f}x"
                    if mq
                    else ""
                )
                + "); counting `augment` too (one per profile, "
                f"shared by all categories and both weights) {r_st:.1f}x, {ok2}"
                + borderline(r_q, TARGET_NX)
            )
        r_q = b["query_s"] / f["query_s"]
        r_st = (b["query_s"] + b["prep_s"]) / (f["query_s"] + f["prep_s"])
        ok = "MET" if r_q <= TARGET_FLOOR else "NOT MET"
        ok2 = "met" if r_st <= TARGET_FLOOR else "not met"
        lines.append(
            f"- within {TARGET_FLOOR}x of the raw scipy floor {at}: **{ok}** for the query "
            f"({r_q:.2f}x); `augment` + query vs one coo->csr + floor query {r_st:.1f}x, "
            f"{ok2}: `augment` takes {s(b['prep_s'])} s, {ratio(b['prep_s'], b['query_s'])} "
            "the query (see *Where bereik's time goes*)" + borderline(r_q, TARGET_FLOOR)
        )
    bld = results.get("build")
    if not bld:
        lines.append("- whole build within 2x of the least work: not run")
    else:
        ok = "MET" if bld["ratio"] <= TARGET_BUILD else "NOT MET"
        note = "" if bld["grid"] == 400 else (
            f" - NOTE: the target is stated for the 400x400 grid; this run used "
            f"{bld['grid']}x{bld['grid']}")  # fmt: skip
        lines.append(
            f"- whole `bereik build` (car, bike, walk) of the {bld['grid']}x{bld['grid']} grid "
            f"within {TARGET_BUILD:.0f}x of the least work: **{ok}** "
            f"({s(min(bld['bereik_s']))} s vs {s(min(bld['least_work_s']))} s, "
            f"{bld['ratio']:.1f}x){note}" + borderline(bld["ratio"], TARGET_BUILD)
        )
    return lines


def render(results: dict) -> str:
    """The whole markdown document."""
    m = results["machine"]
    L: list[str] = []
    a = L.append
    a("# Benchmarks")
    a("")
    a("Generated by `python benchmarks/run.py" + (" --quick" if results["quick"] else "")
      + "`; do not edit by hand (rerun instead). Raw numbers: `benchmarks/.work/results"
      + ("-quick" if results["quick"] else "") + ".json`.")  # fmt: skip
    a("")
    a("The synthetic grids are **SYNTHETIC** street grids (`scripts/make_synthetic_grid.py`), "
      "labelled as such everywhere below; they measure scale, not realism. The real extract "
      "is the bundled Liechtenstein OSM extract of 2015-07-27.")  # fmt: skip
    a("")
    a("## Machine")
    a("")
    a(f"- {m['date']}; {m['platform']}; {m['cpu']}; {m['cores']} cores (shared with other "
      "jobs while measuring: expect a few per cent of noise)")  # fmt: skip
    a(f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["libraries"].items()))
    if m.get("git"):
        a(f"- code: {m['git']}")
    a(f"- every engine on one thread (`OMP_NUM_THREADS={m['omp_num_threads']}` for pandana); "
      "timings are `time.perf_counter` wall seconds, best of the repeats given per "
      "table")  # fmt: skip
    a("")

    a("## Targets")
    a("")
    L.extend(targets(results))
    a("")

    # --- nearest facility: seconds -----------------------------------------------------------
    a("## Nearest facility: every node's distance to the nearest POI")
    a("")
    w = results["settings"]["weight"]
    unit = UNITS[w]
    a("Same graph and same POIs for every engine: bereik's car network of the extract with the "
      "villages and the supermarkets placed on it as virtual nodes through the routing seam "
      "(`accessibility.routing.router_for(..., batch=True)`, shown as *augment*: virtual nodes "
      f"and every CSR matrix); weight `{w}`. *query* is `Router.nearest_source`, the search "
      "alone; the other columns say what each engine must build first (not repeated per "
      "query).")  # fmt: skip
    a("")
    a(
        "| dataset | nodes | arcs | POIs | bereik augment | bereik query | scipy coo->csr "
        "| scipy floor | igraph | networkx DiGraph | networkx MultiDiGraph | pandana query "
        "| pandana set_pois | pandana build |"
    )
    a("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results["nearest"]:
        e = r["engines"]
        pdn = e.get("pandana", {})
        a(f"| {r['name']} | {r['nodes_augmented']:,} | {r['arcs_augmented']:,} | {r['pois']} "
          f"| {s(e['bereik']['prep_s'])} | {s(e['bereik']['query_s'])} "
          f"| {s(e['scipy_floor']['prep_s'])} | {s(e['scipy_floor']['query_s'])} "
          f"| {s(q(e.get('igraph')))} | {s(q(e.get('networkx')))} "
          f"| {s(q(e.get('networkx_multi')))} | {s(q(pdn))} "
          f"| {s(pdn.get('set_pois_s'))} | {s(pdn.get('prep_s'))} |")  # fmt: skip
    a("")
    st = results["settings"]
    a("Seconds. The queries of bereik, scipy, igraph and networkx run interleaved, one of each "
      "per round, so that load from other jobs on this shared machine hits them alike; best "
      f"of {st['repeats']} rounds (networkx: of its first "
      f"{min(st['repeats'], st['networkx_repeats'])}). `augment` best of "
      f"{max(1, st['repeats'] // 2)}; pandana query best of "
      f"{min(st['repeats'], st['pandana_repeats'])}, after the others; graph builds once "
      "(igraph and networkx graph-building times are in the results JSON).")  # fmt: skip
    a("")
    a("### Ratios")
    a("")
    a("| dataset | bereik query / floor | bereik (augment + query) / (coo->csr + floor) "
      "| networkx / bereik query | networkx / bereik (augment + query) "
      "| networkx MultiDiGraph / bereik query | networkx / floor | igraph / bereik query "
      "| pandana query / bereik query |")  # fmt: skip
    a("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results["nearest"]:
        e = r["engines"]
        b, f = e["bereik"], e["scipy_floor"]
        st = b["query_s"] + b["prep_s"]
        a(f"| {r['name']} | {ratio(b['query_s'], f['query_s'])} "
          f"| {ratio(st, f['query_s'] + f['prep_s'])} "
          f"| {ratio(q(e.get('networkx')), b['query_s'])} | {ratio(q(e.get('networkx')), st)} "
          f"| {ratio(q(e.get('networkx_multi')), b['query_s'])} "
          f"| {ratio(q(e.get('networkx')), f['query_s'])} "
          f"| {ratio(q(e.get('igraph')), b['query_s'])} "
          f"| {ratio(q(e.get('pandana')), b['query_s'])} |")  # fmt: skip
    a("")
    a("### Do the engines agree?")
    a("")
    a(f"Largest absolute difference ({'seconds' if unit == 's' else 'metres'}) from the scipy "
      "floor over all nodes both reach, and the number of nodes one reaches and the other "
      "does not.")  # fmt: skip
    a("")
    a("| dataset | bereik | igraph | networkx | networkx MultiDiGraph | pandana (float32) |")
    a("|---|---:|---:|---:|---:|---:|")
    for r in results["nearest"]:
        cells = []
        for k in ("bereik", "igraph", "networkx", "networkx_multi", "pandana"):
            e = r["engines"].get(k) or {}
            if "skipped" in e or "max_abs_diff" not in e:
                cells.append("not run")
            else:
                c = f"{e['max_abs_diff']:.3g} {unit}"
                if e["reachability_mismatch"]:
                    c += f", {e['reachability_mismatch']} reach mismatches"
                if e.get("beyond_max_dist"):
                    c += f", {e['beyond_max_dist']} beyond max_dist"
                cells.append(c)
        a(f"| {r['name']} | " + " | ".join(cells) + " |")
    a("")
    skipped = [(r["name"], k, e["skipped"]) for r in results["nearest"]
               for k, e in r["engines"].items() if "skipped" in e]  # fmt: skip
    if skipped:
        a("Skipped: " + "; ".join(f"{k} on {n}: {why}" for n, k, why in skipped) + ".")
        a("")
    a("Preparation (not part of any engine's time; bereik's own OSM read and network build):")
    a("")
    a("| dataset | read_osm | build_network (car) | snap villages + POIs to edges |")
    a("|---|---:|---:|---:|")
    for r in results["nearest"]:
        p = r["prep_s"]
        a(f"| {r['name']} | {s(p['read_osm'])} | {s(p['build_network'])} | {s(p['snap'])} |")
    a("")

    # --- OSRM -----------------------------------------------------------------------------------
    a("## OSRM: Table villages x supermarkets (car)")
    a("")
    if not results["osrm"]:
        a(f"Not run: {results.get('osrm_python', 'skipped')}.")
    else:
        a("OSRM (osrm-bindings, MLD, bundled `car.lua`, "
          f"{results['settings']['osrm_threads']} thread(s)) preprocesses the extract itself and "
          "snaps the villages' and supermarkets' lon/lat to its own network. bereik: the two "
          "nearest-facility queries (time and length) that give the same villages their "
          "nearest supermarket, on the already augmented graph.")  # fmt: skip
        a("")
        a(
            "| dataset | osrm-extract | osrm-partition | osrm-customize | load | Table "
            "| bereik 2 queries | villages x POIs | same nearest (by time) | time OSRM/bereik "
            "(median) | time rel. diff median / p90 | distance rel. diff median / p90 |"
        )
        a("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in results["osrm"]:
            if "skipped" in r:
                a(f"| {r['name']} | skipped: {r['skipped']} |||||||||||")
                continue
            a(f"| {r['name']} | {s(r['extract_s'])} | {s(r['partition_s'])} "
              f"| {s(r['customize_s'])} | {s(r['load_s'])} | {s(r['table_s'])} "
              f"| {s(r['bereik_two_queries_s'])} | {r['villages']} x {r['pois']} "
              f"| {r['same_nearest_share']:.0%} | {r['time_median_ratio']:.2f} "
              f"| {r['time_rel_diff_median']:.0%} / {r['time_rel_diff_p90']:.0%} "
              f"| {r['dist_rel_diff_median']:.0%} / {r['dist_rel_diff_p90']:.0%} |")  # fmt: skip
        a("")
        a("Seconds; Table best of 3. OSRM answers a different question on a different model, "
          "so differences are expected, not errors: `car.lua` drives slower than bereik's "
          "profile (it scales the highway speeds down and adds turn and traffic-signal "
          "penalties) and has its own access/oneway rules; its distances are those of the "
          "*fastest* route, bereik's of the *shortest*; it snaps to the nearest segment of its "
          "edge-expanded graph. The synthetic grid has a 4-way junction at every node, which "
          "makes the edge-expanded graph (one node per road segment, one arc per allowed turn) "
          "large: that is what `osrm-customize` spends its time on.")  # fmt: skip
    a("")

    # --- whole build ------------------------------------------------------------------------------
    bld = results.get("build")
    a("## Whole build vs the least work")
    a("")
    if not bld:
        a("Not run.")
    else:
        a(f"`bereik build {bld['file']} --force --quiet` (car, bike, walk; SYNTHETIC grid, "
          f"{bld['nodes']:,} nodes) against `benchmarks/least_work.py` on the same file: one "
          "pyosmium pass, a CSR graph per profile without simplification, one scipy "
          "`min_only` pass per category and profile (3 categories, length only, nearest-node "
          "snapping), a CSV out. Both timed as subprocesses (interpreter start and imports "
          "included).")  # fmt: skip
        a("")
        a("| | seconds (all runs) | best |")
        a("|---|---|---:|")
        a(
            f"| bereik build | {', '.join(s(x) for x in bld['bereik_s'])} "
            f"| {s(min(bld['bereik_s']))} |"
        )
        a(
            f"| least work | {', '.join(s(x) for x in bld['least_work_s'])} "
            f"| {s(min(bld['least_work_s']))} |"
        )
        a(f"| ratio | | {bld['ratio']:.1f}x |")
        a("")
        a("bereik's own stage timings of its last run (`manifest.json`, seconds): "
          + ", ".join(f"{k} {s(v)}" for k, v in bld["bereik_stages_s"].items())
          + f". Least-work stages of its last run: {bld['least_work_stages']}.")  # fmt: skip
        a("")
        a("bereik does more than the least work, by design: edge snapping with virtual nodes "
          "for villages and facilities, graph simplification and the largest strongly "
          "connected component, both length and travel time for every category in "
          "`categories.toml`, counts within radii (bounded searches), Parquet tables, a "
          "GeoPackage with villages, facilities, indicators and the edges of every profile, "
          "and a manifest. The ratio says what that costs.")  # fmt: skip
    a("")

    # --- hotspots ---
    a("## Where bereik's time goes")
    a("")
    a("`augment` (once per profile) against the query it serves, and one `arcs_to_csr` call "
      "on the same arcs (collapse parallel arcs to the cheapest, build one CSR matrix; "
      "`augment` needs a forward and a reverse matrix per weight):")  # fmt: skip
    a("")
    a("| dataset | augment | one arcs_to_csr | query | augment / query |")
    a("|---|---:|---:|---:|---:|")
    for r in results["nearest"]:
        b = r["engines"]["bereik"]
        a(f"| {r['name']} | {s(b['prep_s'])} | {s(b.get('arcs_to_csr_s'))} "
          f"| {s(b['query_s'])} | {ratio(b['prep_s'], b['query_s'])} |")  # fmt: skip
    a("")
    bd = (results.get("build") or {}).get("breakdown")
    if bd:
        a(f"One whole `bereik build` of the {results['build']['grid']}x"
          f"{results['build']['grid']} grid (in-process, timers around the calls; "
          f"{s(bd['total_s'])} s in all; stages: "
          + ", ".join(f"{k} {s(v)}" for k, v in bd["stages_s"].items()) + "):")  # fmt: skip
        a("")
        a("| call | seconds | calls | share of the build |")
        a("|---|---:|---:|---:|")
        for k, v in sorted(bd["calls"].items(), key=lambda kv: -kv[1]["s"]):
            a(f"| {k} | {s(v['s'])} | {v['n']} | {v['s'] / bd['total_s']:.0%} |")
        if bd.get("missing"):
            a("")
            a("Not timed (not in this version of the engine): " + ", ".join(bd["missing"])
              + ".")  # fmt: skip
        a("")

    # --- notes ------------------------------------------------------------------------------------
    a("## Notes")
    a("")
    a("- **bereik** = `augment` (villages and POIs become virtual nodes splitting their edges; "
      "builds forward and reverse CSR matrices for both weights) + `nearest_source` "
      "(`scipy.sparse.csgraph.dijkstra(min_only=True, return_predecessors=True)`: also says "
      "which POI won). `augment` runs once per profile and serves every category and both "
      "weights of a build, so it is reported apart from the query.")  # fmt: skip
    a("- **scipy floor** = `dijkstra(csr_reversed, indices=poi_nodes, min_only=True)` on the "
      "same prebuilt reversed CSR, no predecessors: the least one compiled pass can do. "
      "*coo->csr* is the least work to get that matrix from the arcs (one weight).")  # fmt: skip
    a("- **igraph** = `Graph.distances` from a super-source tied to every POI by 0-cost arcs "
      "(igraph has no multi-source call); **networkx** = "
      "`multi_source_dijkstra_path_length` on an `nx.DiGraph` of the reversed arcs "
      "(networkx at its fastest) and on an `nx.MultiDiGraph` of the same arcs (the graph "
      "type osmnx users route on; networkx then takes the cheapest parallel edge at every "
      "step). They all get the very same arcs, so their answers must match to "
      "rounding.")  # fmt: skip
    a("- **pandana** builds a contraction hierarchy (`Network`), snaps the POIs' x/y to the "
      "nearest node (`set_pois`; the POIs are given at their virtual nodes' coordinates, so "
      "the snapping is the same), needs a maximum search cost up front (here twice the "
      "network's bounding-box diagonal, at the network's lowest speed for travel times) and "
      "rounds every arc weight to an integer number of thousandths (`DISTANCEMULTFACT` = "
      "1000 in its C++ code) and hands back float32: differences of a few hundredths, "
      "summed over the arcs of a path, are that rounding. It routes node -> POI on the "
      "forward graph.")  # fmt: skip
    pl = [(r["name"], r["engines"]["pandana"]) for r in results["nearest"]
          if "build_length_weight_s" in r["engines"].get("pandana", {})]  # fmt: skip
    for name, e in pl:
        a(f"- Why travel time is the weight here: on the {name} (SYNTHETIC) pandana's "
          f"contraction hierarchy took {s(e['prep_s'])} s on travel times but "
          f"{s(e['build_length_weight_s'])} s on lengths. A street grid has no road hierarchy "
          "by length (every block is alike) and contraction hierarchies degrade badly on it; "
          "the faster tertiary roads give one by time, as real networks do. bereik, scipy, "
          "igraph and networkx do not care which weight it is.")  # fmt: skip
    a("- **OSRM** snaps by itself and uses its own car model; see its section.")
    a("- bereik snaps villages and facilities to the nearest *edge* and splits it; the "
      "least-work baseline snaps to the nearest *node*, so their village distances differ "
      "by up to about one block (100 m) on the grid.")  # fmt: skip
    a("")
    a("## Other benchmarks")
    a("")
    a(
        "- the service (HTTP isochrones and IoU against Valhalla, the matrix against OSRM): "
        "`docs/benchmarks-service.md`, made by `benchmarks/service/run.py`;"
    )
    a(
        "- the broadband overlay: `docs/benchmarks-broadband.md`, made by "
        "`benchmarks/bench_broadband.py`;"
    )
    a(
        "- the address stage (figures over persons: 10k, 100k and 1M SYNTHETIC addresses on "
        "the 1M-node grid, against the least work): `docs/benchmarks-addresses.md`, made by "
        "`benchmarks/addresses.py`;"
    )
    a(
        "- the scale series (build, serve start, memory and request latencies on SYNTHETIC "
        "grids of 40k to 2M nodes, beside Valhalla and OSRM on the real sample; the targets "
        "of issue 12): `docs/benchmarks-scale.md`, made by `benchmarks/scale.py`;"
    )
    a(
        "- the location questions (suggested sites and every closure of a category on "
        "SYNTHETIC grids of 62k to 1M nodes with up to 100k addresses, against spopt and one "
        "scenario per closure; the targets of issue 13): `docs/benchmarks-planning.md`, made "
        "by `benchmarks/planning.py`."
    )
    a("")
    a("## Reproduce")
    a("")
    a("```sh")
    a(".venv/bin/pip install -e '.[bench]'      # pandana, igraph")
    a("PYENV_VERSION=3.12.1 python3 -m venv .venv-peers && .venv-peers/bin/pip install "
      "osrm-bindings   # optional: OSRM (Python 3.12+ only)")  # fmt: skip
    a(".venv/bin/python benchmarks/run.py --quick   # < 2 minutes, no OSRM")
    a(".venv/bin/python benchmarks/run.py           # full: grids 10k..1M nodes, OSRM, "
      "whole build (~10 min)")  # fmt: skip
    a("```")
    a("")
    a("The grids are made on first use by `scripts/make_synthetic_grid.py` into "
      "`benchmarks/.work/grids/` (git-ignored). Options: `--sizes`, `--repeats`, "
      "`--no-osrm`, `--osrm-grid`, `--build-grid`; see `--help`.")  # fmt: skip
    tot = results.get("total_s")
    if tot:
        a("")
        a(f"This run took {tot / 60:.1f} minutes.")
    return "\n".join(L) + "\n"
