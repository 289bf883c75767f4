"""Build parameters and their cache key: light imports only (the up-to-date check is fast).

``bereik build`` with unchanged inputs answers "up to date" without importing the heavy
geodata stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessibility.errors import InputFileError
from accessibility.profiles import PROFILES
from accessibility.store import file_sha256

DEFAULT_CATEGORIES_FILE = Path(__file__).with_name("categories.toml")
DEFAULT_RADII_KM = (1.0, 3.0, 5.0)
DEFAULT_MAX_SNAP_M = 500.0


@dataclass(frozen=True)
class FacilityFile:
    """A user facilities file and how to read it."""

    path: Path
    category: str | None = None
    xy_crs: str | None = None


@dataclass(frozen=True)
class BuildParams:
    """Everything that determines a build (and its cache key)."""

    extract: Path
    facilities: tuple[FacilityFile, ...] = ()
    osm_facilities: bool = True
    villages: Path | None = None
    villages_crs: str | None = None
    boundaries: Path | None = None
    admin_level: str = "8"
    categories: Path | None = None
    profiles: tuple[str, ...] = PROFILES
    radii_km: tuple[float, ...] = DEFAULT_RADII_KM
    max_snap_m: float = DEFAULT_MAX_SNAP_M
    coverage: Path | None = None
    coverage_speed_column: str | None = None
    coverage_crs: str | None = None
    basic_mbps: float = 30.0
    nga_mbps: float = 100.0

    def input_files(self) -> dict[str, Path]:
        """Named input files (hashed into the key and the manifest)."""
        files = {"extract": self.extract}
        for i, f in enumerate(self.facilities):
            files[f"facilities[{i}]"] = f.path
        if self.villages:
            files["villages"] = self.villages
        if self.boundaries:
            files["boundaries"] = self.boundaries
        if self.coverage:
            files["coverage"] = self.coverage
        files["categories"] = self.categories or DEFAULT_CATEGORIES_FILE
        return files

    def parameters(self) -> dict[str, Any]:
        """Non-file parameters (JSON-able)."""
        return {
            "osm_facilities": self.osm_facilities,
            "facility_files": [
                {"category": f.category, "xy_crs": f.xy_crs} for f in self.facilities
            ],
            "villages_crs": self.villages_crs,
            "admin_level": self.admin_level,
            "profiles": list(self.profiles),
            "radii_km": list(self.radii_km),
            "max_snap_m": self.max_snap_m,
            "coverage_speed_column": self.coverage_speed_column,
            "coverage_crs": self.coverage_crs,
            "thresholds_mbps": [self.basic_mbps, self.nga_mbps],
        }


def hash_inputs(params: BuildParams) -> dict[str, str]:
    """SHA-256 of every input file; a clear error for a missing one."""
    out = {}
    for name, given in params.input_files().items():
        p = Path(given)
        if not p.is_file():
            if name == "extract":
                from accessibility.osm import check_extract

                check_extract(p)
            msg = f"{p}: {name} file not found"
            raise InputFileError(msg)
        out[name] = file_sha256(p)
    return out


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
        lines.append(
            f"  network {p}: {s['nodes']} nodes, {s['edges']} edges "
            f"({s['nodes_dropped_outside_largest_component']} nodes outside the largest "
            "strongly connected component dropped)"
        )
    summ = m.get("summary", {})
    prof = summ.get("profile", "car")
    lines.append(f"  {'category':<18}{'facilities':>11}{'mean ' + prof + ' km':>13}  worst village")
    for cat, e in summ.get("categories", {}).items():
        if e["mean_distance_m"] is None:
            mean, worst = "-", "- (no facility)" if not e["facilities"] else "- (unreachable)"
        else:
            mean = f"{e['mean_distance_m'] / 1000:.1f}"
            worst = f"{e['worst_village']} {e['worst_distance_m'] / 1000:.1f} km"
        lines.append(f"  {cat:<18}{e['facilities']:>11}{mean:>13}  {worst}")
    bb = m.get("broadband")
    if bb:
        label = " (SYNTHETIC sample, not real coverage data)" if bb.get("synthetic") else ""
        lines.append(
            f"  broadband{label}: {bb['villages_white']} of {c['villages']} villages in a white "
            f"area (< {bb['thresholds_mbps'][0]:g} Mbit/s); double disadvantage: "
            f"{', '.join(bb['double_disadvantage'][:8]) or 'none'}"
        )
    return lines
