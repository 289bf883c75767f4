"""What a build says about itself, read from its manifest alone (no tables: fast).

``bereik build`` prints these lines when it finishes (or finds the build up to date) and
``bereik info`` prints them for any build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def manifest_summary_lines(manifest: dict[str, Any], path: Path, *, up_to_date: bool) -> list[str]:
    """Summary lines from a manifest alone (no table reads: fast for "up to date")."""
    m = manifest
    c = m["counts"]
    lines = [
        f"build {m['name']} ({'up to date' if up_to_date else 'built'}): {path}",
        f"  OSM timestamp {m.get('osm_replication_timestamp')}, CRS {m['crs']}",
        f"  villages: {c['villages']} ({c['villages_with_population']} with population, "
        f"{c['villages_without_municipality']} outside any municipality)",
    ]
    for p, s in c["networks"].items():
        rules = ""
        if s.get("turn_restrictions_applied") or s.get("barriers_blocking"):
            rules = (f"; {s.get('turn_restrictions_applied', 0)} turn restrictions "
                     f"({s.get('turn_restrictions_malformed', 0)} malformed left out), "
                     f"{s.get('barriers_blocking', 0)} barriers")  # fmt: skip
        lines.append(
            f"  network {p}: {s['nodes']} nodes, {s['edges']} edges "
            f"({s['nodes_dropped_outside_largest_component']} nodes outside the largest "
            f"strongly connected component dropped){rules}"
        )
    area = m.get("area")
    if area:
        lines.append(f"  area: {area['name']} (roads and facilities up to "
                     f"{area['buffer_km']:g} km beyond it)")  # fmt: skip
    within = m.get("parameters", {}).get("facilities_within")
    if within:
        lines.append(f"  facilities within {within} only: {c.get('facilities_left_out', 0)} "
                     "beyond it left out")  # fmt: skip
    origins = m.get("origins")
    if origins:
        methods = ", ".join(f"{n} {k}" for k, n in origins["methods"].items())
        lines.append(
            f"  origins: {origins['origins']} ({origins['source']}; weighted by {methods}); "
            f"{origins['counts'].get('in_buitengebied', 0)} in a buitengebied"
        )
    transit = m.get("transit")
    if transit:
        tc, st = transit["counts"], transit["settings"]
        lines.append(
            f"  public transport: {', '.join(transit['feeds'])} on {transit['date']}, window "
            f"{transit['departure'][-5:]} + {st['window_min']:g} min; {tc['stops']} stops "
            f"({tc['stops_outside_extract']} outside the extract, left out), "
            f"{tc['connections']:,} connections, {tc['trips']:,} trips"
            + (f"; feed warnings: {', '.join(f'{k} {v}' for k, v in transit['warnings'].items())}"
               if transit.get("warnings") else "")
        )  # fmt: skip
    summ = m.get("summary", {})
    prof = summ.get("profile", "car")
    persons = (origins or {}).get("summary", {}).get("categories", {})
    head = f"  {'category':<18}{'facilities':>11}{'mean ' + prof + ' km':>13}"
    lines.append(head + (f"{'per person':>12}" if persons else "") + "  worst village")
    for cat, e in summ.get("categories", {}).items():
        if e["mean_distance_m"] is None:
            mean, worst = "-", "- (no facility)" if not e["facilities"] else "- (unreachable)"
        else:
            mean = f"{e['mean_distance_m'] / 1000:.1f}"
            worst = f"{e['worst_village']} {e['worst_distance_m'] / 1000:.1f} km"
        per = ""
        if persons:
            d = persons.get(cat, {}).get("mean_distance_m")
            per = f"{'-' if d is None else f'{d / 1000:.1f}':>12}"
        lines.append(f"  {cat:<18}{e['facilities']:>11}{mean:>13}{per}  {worst}")
    bb = m.get("broadband")
    if bb:
        label = " (SYNTHETIC sample, not real coverage data)" if bb.get("synthetic") else ""
        lines.append(
            f"  broadband{label}: {bb['villages_white']} of {c['villages']} villages in a white "
            f"area (< {bb['thresholds_mbps'][0]:g} Mbit/s); double disadvantage: "
            f"{', '.join(bb['double_disadvantage'][:8]) or 'none'}"
        )
    return lines
