"""Render the results of benchmarks/addresses.py as docs/benchmarks-addresses.md (markdown)."""

from __future__ import annotations

import itertools
import math

from report import ratio, s

STAGE_NAMES = {
    "read": "read (origins_from_file)",
    "assign": "assign (assign_origins)",
    "indicators_extra": "indicator pass, extra",
    "write": "write (write_persons + manifest)",
}
LEAST_NAMES = {"read": "read", "project": "project", "snap": "snap (KD-tree build + query)",
               "lookup": "lookup", "write": "write"}  # fmt: skip


#: what each part of the indicator pass's extra is (code as of this benchmark)
WHY = {
    "address counts within rings": "`indicators._origin_values` asks "
    "`Router.counts_within(addresses, facilities)`; `engine.count_within` runs one bounded "
    "`dijkstra` per facility (from the smaller side) over the whole graph, and scipy fills a "
    "dense row of every node (network + villages + facilities + addresses) per facility, then "
    "every address column is compared with every ring: facilities x nodes, whatever the ring",
    "village counts within rings (bigger graph)": "the villages' `_counts` runs the same "
    "searches from the facilities again, now on a graph with one node per address more "
    "(the two calls could be one)",
    "snap the addresses": "`snapping.snap_points`: shapely `STRtree.query_nearest` over the "
    "network's edges for every address at once, in file order (not spatially sorted), then "
    "`line_locate_point` and "
    "`line_interpolate_point`",
    "nearest-facility searches (bigger graph)": "`Router.nearest_source`, two weights per "
    "category with facilities, on a graph with one node per address more",
    "aggregation over persons (ResidentFigures.add)": "per category and level: sums, "
    "weighted quantiles (sorted by distance and by time), the worst address",
    "virtual nodes + CSR matrices (bigger graph)": "`router_for(batch=True)`: the addresses "
    "become virtual nodes that split their edges, and every CSR matrix is one sort of all arcs",
}


def slope(x1: float, y1: float, x2: float, y2: float) -> float | None:
    """Log-log slope between two points (None when a value is not positive)."""
    if min(x1, y1, x2, y2) <= 0 or x1 == x2:
        return None
    return math.log(y2 / y1) / math.log(x2 / x1)


def e(x: float | None) -> str:
    """A growth exponent."""
    return "-" if x is None else f"{x:.2f}"


def gb(mb: float | None) -> str:
    """MiB as GiB with 2 decimals."""
    return "-" if mb is None else f"{mb / 1024:.2f}"


def _pairs(sizes: list[int]) -> list[tuple[int, int]]:
    pairs = list(itertools.pairwise(sizes))
    if len(sizes) > 2:  # the end points too
        pairs.append((sizes[0], sizes[-1]))
    return pairs


def _least_by_size(results: dict) -> dict[int, dict]:
    return {r["size"]: r for r in results.get("least", [])}


def targets(results: dict) -> list[str]:
    """One line per target: met or not, with the numbers."""
    t = results["targets"]
    runs = {r["size"]: r for r in results["runs"]}
    lines = []
    r = runs.get(t["size"])
    if r is None:
        return [f"- no run with {t['size']:,} addresses: the targets are not evaluated"]
    ok = "MET" if r["total_s"] < t["seconds"] else "NOT MET"
    lines.append(f"- under {t['seconds']:.0f} s for {t['size']:,} addresses: **{ok}** "
                 f"({s(r['total_s'])} s: " + ", ".join(
                     f"{STAGE_NAMES[k].split(' (')[0]} {s(r['stages_s'][k])}" for k in
                     ("read", "assign", "indicators_extra", "write")) + ")")  # fmt: skip
    ok = "MET" if r["peak_rss_mb"] / 1024 < t["rss_gb"] else "NOT MET"
    lines.append(f"- under {t['rss_gb']:.0f} GB for {t['size']:,} addresses: **{ok}** (peak "
                 f"RSS of the whole process {gb(r['peak_rss_mb'])} GiB, networks, villages "
                 f"and facilities included; {gb(r['peak_rss_mb'] - r['rss_base_mb'])} GiB "
                 "above the peak of the same pass without addresses)")  # fmt: skip
    sizes = sorted(runs)
    below = [n for n in sizes if n < t["size"]]
    if below:
        n0 = below[-1]
        r0 = runs[n0]
        ex = slope(n0, r0["total_s"], t["size"], r["total_s"])
        ok = "MET" if ex is not None and ex <= t["linear_exponent"] else "NOT MET"
        per = ", ".join(
            f"{STAGE_NAMES[k].split(' (')[0]} "
            f"{e(slope(n0, r0['stages_s'][k], t['size'], r['stages_s'][k]))}"
            for k in STAGE_NAMES
        )
        lines.append(f"- linear growth (log-log slope at most {t['linear_exponent']}) from "
                     f"{n0:,} to {t['size']:,} addresses: **{ok}** (total {e(ex)}; per stage "
                     f"{per})")  # fmt: skip
    lw = _least_by_size(results).get(t["size"])
    if lw:
        lines.append(f"- ratio to the least work at {t['size']:,} addresses: "
                     f"**{ratio(r['total_s'], lw['total_s'])}** ({s(r['total_s'])} s against "
                     f"{s(lw['total_s'])} s; peak memory {gb(r['peak_rss_mb'])} against "
                     f"{gb(lw['peak_rss_mb'])} GiB)")  # fmt: skip
    return lines


def render(results: dict) -> str:
    """The whole report."""
    m = results["machine"]
    st = results["settings"]
    runs = sorted(results["runs"], key=lambda r: r["size"])
    sizes = [r["size"] for r in runs]
    least = _least_by_size(results)
    prep = results.get("prep", {})
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v != "not installed")
    lines = [
        "# Benchmarks: the address stage (figures over persons)",
        "",
        "Generated by `python benchmarks/addresses.py`; do not edit by hand (rerun instead). "
        "Raw numbers: `benchmarks/.work/addresses/results.json`.",
        "",
        f"Everything here is **SYNTHETIC**: the {st['grid']}x{st['grid']} street grid "
        "(`scripts/make_synthetic_grid.py`), the addresses with their residents "
        "(`scripts/make_synthetic_addresses.py`: next to the grid's streets, 85 % clustered "
        "around its villages, 15 % scattered, 1-5 residents each) and the "
        f"municipalities (a {_mun(st)} tiling of the grid). They measure scale, not realism. "
        "The Netherlands has about 9 million addresses; the issue asks for 1 million in "
        "under 60 s and 4 GB, growing linearly.",
        "",
        "## Machine",
        "",
        f"- {m['date']}; {m['platform']}; {m['cpu']}; {m['cores']} cores (shared with other "
        "jobs while measuring: expect a few per cent of noise)",
        f"- Python {m['python']}; {libs}",
        f"- code: {m['git']}",
        "- one run per size, each in a fresh child process; seconds are `time.perf_counter` "
        "wall time; peak memory is the child's `ru_maxrss` (`os.wait4`), numpy and C "
        "allocations included",
        "",
        "## Targets",
        "",
        *targets(results),
        "",
        "## What was measured",
        "",
        f"The grid's car network ({_nodes(prep)}), its {prep.get('villages', '?')} villages "
        f"and its facilities ({_fac(prep)}) are prepared once, as `bereik build` makes them, "
        "and loaded by every child. Per size, what the build adds with `--addresses FILE "
        "--residents-column residents --boundaries MUNICIPALITIES`:",
        "",
        "- **read**: `origins.origins_from_file` of the GeoParquet file;",
        "- **assign**: `origins.assign_origins` (the municipality of each address, the nearest "
        "village within 2 km in the same municipality, else the municipality's buitengebied; "
        "the weights) and the empty `residents.ResidentFigures`;",
        "- **indicator pass, extra**: `indicators.village_indicators` on the same networks, "
        "villages and facilities, once without and once with `origins=` (the figures); the "
        "difference is what the addresses cost there: snapping them, the bigger graph every "
        "search runs on (one virtual node per address), the counts within the rings per "
        "address, the lookups and the aggregation over persons (`ResidentFigures.add`);",
        "- **write**: `writer.write_persons` (`persons_villages.csv`, "
        "`persons_municipalities.csv`, `addresses.parquet`, the GeoPackage `residents` "
        "layer), `writer.write_nabijheid` (`nabijheid.csv`, `nabijheid_municipalities.csv`, "
        "`nabijheid_place_point.csv`) and the manifest's origins section "
        "(`build._origins_manifest`).",
        "",
        f"Profiles: **{', '.join(st['profiles'])}** only (CBS measures on the car network, and "
        "`addresses.parquet` keeps the car distances); every further profile repeats the "
        "indicator work, so a build with car, bike and walk pays the *indicator pass, extra* "
        f"about three times. Rings {', '.join(f'{r:g}' for r in st['radii_km'])} km. The "
        "bundled categories: the grid has GPs, supermarkets and primary schools (also "
        "counted as *school*); the others have no facility and cost only their aggregation.",
        "",
        "The **least work** (`child_least` in `benchmarks/addresses.py`) reads the address "
        "points, projects them, snaps each to its nearest graph node with a "
        "`scipy.spatial.cKDTree` (built over the grid's nodes, counted), looks up its distance "
        "in the `dijkstra(min_only=True)` result of each category on the reversed CSR and "
        "writes the distances (Parquet). The searches themselves are needed for the villages "
        "anyway: timed, not counted. No municipalities, villages, weights, travel times, "
        "counts within rings or statistics: it is a floor, not a product.",
        "",
        "## The address stage: seconds per stage",
        "",
        "| addresses | " + " | ".join(STAGE_NAMES.values()) + " | total | µs per address "
        "| peak RSS (GiB) | above the pass without addresses (GiB) | least work | ratio |",
        "|---:|" + "---:|" * (len(STAGE_NAMES) + 6),
    ]
    for r in runs:
        lw = least.get(r["size"])
        lines.append(
            f"| {r['size']:,} | " + " | ".join(s(r["stages_s"][k]) for k in STAGE_NAMES)
            + f" | **{s(r['total_s'])}** | {r['total_s'] / r['size'] * 1e6:.0f} | "
            f"{gb(r['peak_rss_mb'])} | {gb(r['peak_rss_mb'] - r['rss_base_mb'])} | "
            f"{s(lw['total_s']) if lw else '-'} | "
            f"{ratio(r['total_s'], lw['total_s']) if lw else '-'} |"
        )  # fmt: skip
    lines += [
        "",
        "Seconds. *above the pass without addresses*: the child's peak after the address "
        "stage minus its peak after the indicator pass without addresses (the networks, "
        "villages and facilities, and that pass's own working memory).",
        "",
        "### Growth exponents (log-log slope of seconds against addresses)",
        "",
        "| from -> to | " + " | ".join(STAGE_NAMES.values()) + " | total | peak RSS above "
        "the pass without addresses | least work |",
        "|---|" + "---:|" * (len(STAGE_NAMES) + 3),
    ]
    by = {r["size"]: r for r in runs}
    for a, b in _pairs(sizes):
        ra, rb = by[a], by[b]
        la, lb = least.get(a), least.get(b)
        mem_a, mem_b = ra["peak_rss_mb"] - ra["rss_base_mb"], rb["peak_rss_mb"] - rb["rss_base_mb"]
        stages = " | ".join(e(slope(a, ra["stages_s"][k], b, rb["stages_s"][k]))
                            for k in STAGE_NAMES)  # fmt: skip
        lines.append(
            f"| {a:,} -> {b:,} | {stages} | **{e(slope(a, ra['total_s'], b, rb['total_s']))}** "
            f"| {e(slope(a, mem_a, b, mem_b))} | "
            f"{e(slope(a, la['total_s'], b, lb['total_s'])) if la and lb else '-'} |"
        )
    lines += [
        "",
        "1.0 is linear; below 1 the fixed costs (per village, per category, per network) still "
        "dominate.",
        "",
        "## The indicator pass with and without addresses",
        "",
        "| addresses | without | with | extra | " + " | ".join(_bd_names(runs)) + " |",
        "|---:|---:|---:|---:|" + "---:|" * len(_bd_names(runs)),
    ]
    for r in runs:
        parts = " | ".join(s(r["breakdown"].get(k)) for k in _bd_names(runs))
        lines.append(f"| {r['size']:,} | {s(r['indicators_without_s'])} | "
                     f"{s(r['indicators_with_s'])} | **{s(r['stages_s']['indicators_extra'])}** "
                     f"| {parts} |")  # fmt: skip
    lines += [
        "",
        "Seconds, from timers around the calls (`StreetRouter.nearest_source`, "
        "`StreetRouter.counts_within`, `indicators.router_for`, `indicators.snap_points`, "
        "`indicators._origin_values`, `ResidentFigures.add`), with minus without. The "
        "villages' distances are the same in both passes (largest difference "
        + ", ".join(f"{r['village_distance_max_abs_diff_m']:.2g} m" for r in runs)
        + "; the same villages unreachable: "
        + ", ".join("yes" if r["village_unreachable_same"] else "NO" for r in runs)
        + ").",
        "",
    ]
    big = runs[-1]
    extra = big["stages_s"]["indicators_extra"]
    if extra > 0:
        lines.append(f"Where the extra {s(extra)} s go at {big['size']:,} addresses:")
        lines.append("")
        for k, v in sorted(big["breakdown"].items(), key=lambda kv: -kv[1]):
            why = WHY.get(k)
            lines.append(f"- {k}: {s(v)} s ({100 * v / extra:.0f} %)" + (f": {why}" if why else ""))
        lines.append("")
    lines += [
        "## The writes",
        "",
        "| addresses | " + " | ".join(_write_names(runs)) + " | manifest (origins) | total |",
        "|---:|" + "---:|" * (len(_write_names(runs)) + 2),
    ]
    for r in runs:
        w = r["write"]["seconds"]
        lines.append(f"| {r['size']:,} | " + " | ".join(s(w.get(k)) for k in _write_names(runs))
                     + f" | {s(r.get('manifest_s'))} | {s(r['stages_s']['write'])} |")  # fmt: skip
    lines += [
        "",
        "Seconds (the timers nest: `address_table` builds the frame that "
        "`GeoDataFrame.to_parquet` and the GeoPackage layer write). Files at "
        f"{big['size']:,} addresses (MB): "
        + ", ".join(f"{k} {v}" for k, v in big.get("files_mb", {}).items())
        + ".",
        "",
        "## The least work",
        "",
        "| addresses | " + " | ".join(LEAST_NAMES.values()) + " | total | peak RSS (GiB) | "
        "searches (shared with the villages, not counted) |",
        "|---:|" + "---:|" * (len(LEAST_NAMES) + 3),
    ]
    for n in sizes:
        lw = least.get(n)
        if not lw:
            continue
        lines.append(f"| {n:,} | " + " | ".join(s(lw["stages_s"][k]) for k in LEAST_NAMES)
                     + f" | **{s(lw['total_s'])}** | {gb(lw['peak_rss_mb'])} | "
                     f"{s(lw['searches_shared_s'])} ({lw['searches']} categories) |")  # fmt: skip
    lines += ["", "## Memory through a run", ""]
    lines.append("| addresses | " + " | ".join(p["at"] for p in big["marks"]) + " |")
    lines.append("|---:|" + "---:|" * len(big["marks"]))
    for r in runs:
        lines.append(f"| {r['size']:,} | " + " | ".join(gb(p["maxrss_mb"]) for p in r["marks"])
                     + " |")  # fmt: skip
    lines += ["", "Peak resident memory so far (GiB) at each point of the child.", ""]
    prof = results.get("profile")
    if prof and "profile" in prof:
        p = prof["profile"]
        lines += [
            f"## Where the time goes: cProfile of {prof['size']:,} addresses",
            "",
            "A separate run under `cProfile` (slower than the timed runs) from reading the "
            "addresses to the last write, the indicator pass with addresses included (so "
            "also the village work it shares); full listing in "
            f"`{p['file']}`. Top functions by own time:",
            "",
            "| function | calls | own s | cumulative s |",
            "|---|---:|---:|---:|",
        ]
        for row in p["by_tottime"][:15]:
            lines.append(f"| `{row['function']}` | {row['calls']:,} | {s(row['tottime_s'])} | "
                         f"{s(row['cumtime_s'])} |")  # fmt: skip
        lines += ["", "By cumulative time (bereik's own functions):", "",
                  "| function | calls | own s | cumulative s |",
                  "|---|---:|---:|---:|"]  # fmt: skip
        shown = 0
        for row in p["by_cumtime"]:
            if not _lib(row["function"]):
                continue
            lines.append(f"| `{row['function']}` | {row['calls']:,} | {s(row['tottime_s'])} | "
                         f"{s(row['cumtime_s'])} |")  # fmt: skip
            shown += 1
            if shown >= 20:
                break
        lines.append("")
    lines += _before(results)
    lines.append(f"Whole benchmark run: {s(results.get('total_s'))} s.")
    return "\n".join(lines) + "\n"


_MODULES = ("origins.py", "residents.py", "indicators.py", "engine.py", "inputs.py",
            "areas.py", "writer.py", "snapping.py", "network.py", "build.py", "villages.py",
            "routing.py")  # fmt: skip


def _lib(fn: str) -> bool:
    return fn.split(":", maxsplit=1)[0] in _MODULES


def _bd_names(runs: list[dict]) -> list[str]:
    names: list[str] = []
    for r in runs:
        for k in r["breakdown"]:
            if k not in names:
                names.append(k)
    return names


def _write_names(runs: list[dict]) -> list[str]:
    names: list[str] = []
    for r in runs:
        for k in r["write"]["seconds"]:
            if k not in names:
                names.append(k)
    return names


def _mun(st: dict) -> str:
    k = st.get("municipalities_k", "K")
    return f"{k} x {k}"


def _nodes(prep: dict) -> str:
    nodes = prep.get("nodes")
    if not nodes:
        return "prepared earlier"
    return ", ".join(f"{p} {n:,} nodes" for p, n in nodes.items())


def _fac(prep: dict) -> str:
    f = prep.get("facilities")
    if not f:
        return "prepared earlier"
    return ", ".join(f"{v:,} {k}" for k, v in f.items())


def _before(results: dict) -> list[str]:
    """The same sizes measured with other code (``--before``): stage by stage."""
    before = results.get("before")
    if not before:
        return []
    now = {r["size"]: r for r in results["runs"]}
    then = {r["size"]: r for r in before["runs"] if r["size"] in now}
    if not then:
        return []
    lines = [
        "## Before and after",
        "",
        f"The same sizes measured earlier with {before['machine']['git']} "
        f"({before['machine']['date']}), against this run ({results['machine']['git']}). One "
        "run each on a shared machine: the pass *without* addresses runs the same code in "
        "both, so its difference is the noise of the machine, and so are the differences of "
        "the parts whose code did not change.",
        "",
        "| addresses | stage | before (s) | now (s) |",
        "|---:|---|---:|---:|",
    ]
    parts = {**STAGE_NAMES, "total_s": "total"}
    for n, r0 in sorted(then.items()):
        r1 = now[n]
        for k, name in parts.items():
            a = r0["total_s"] if k == "total_s" else r0["stages_s"][k]
            b = r1["total_s"] if k == "total_s" else r1["stages_s"][k]
            lines.append(f"| {n:,} | {'**total**' if k == 'total_s' else name} | {s(a)} | {s(b)} |")
        for k in _bd_names([r0, r1]):
            b0, b1 = r0["breakdown"].get(k), r1["breakdown"].get(k)
            lines.append(f"| {n:,} | indicator pass, extra: {k} | {s(b0)} | {s(b1)} |")
        w0, w1 = r0["indicators_without_s"], r1["indicators_without_s"]
        lines.append(f"| {n:,} | indicator pass without addresses (same code) | {s(w0)} | "
                     f"{s(w1)} |")  # fmt: skip
        lines.append(f"| {n:,} | peak RSS (GiB) | {gb(r0['peak_rss_mb'])} | "
                     f"{gb(r1['peak_rss_mb'])} |")  # fmt: skip
    return [*lines, ""]
