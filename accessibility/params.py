"""Build parameters and their cache key: light imports only (the up-to-date check is fast).

``bereik build`` with unchanged inputs answers "up to date" without importing the heavy
geodata stack. Defaults come from :mod:`accessibility.defaults`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from accessibility.defaults import (
    DEFAULT_ADDRESS_OUTPUTS,
    DEFAULT_ADMIN_LEVEL,
    DEFAULT_ASSIGN_RADIUS_KM,
    DEFAULT_BUFFER_KM,
    DEFAULT_CATEGORIES_FILE,
    DEFAULT_GPKG_EDGES,
    DEFAULT_MAX_SNAP_M,
    DEFAULT_PROFILES_FILE,
    DEFAULT_RADII_KM,
    DEFAULT_THRESHOLDS_MBPS,
    DEFAULT_TRANSIT_WINDOW_MIN,
)
from accessibility.errors import InputFileError, ParameterError
from accessibility.profiles import Profile, ProfileSet, load_profiles
from accessibility.store import build_key, file_sha256

#: the longest departure window of a public transport build (minutes: a day)
MAX_WINDOW_MIN = 1440.0


@dataclass(frozen=True)
class FacilityFile:
    """A user facilities file and how to read it."""

    path: Path
    category: str | None = None
    xy_crs: str | None = None


@dataclass(frozen=True)
class BuildParams:
    """Everything that determines a build (and its cache key).

    ``profiles`` names the profiles to build; None builds every profile of the bundled
    ``profiles.toml`` and of ``profiles_file`` (which adds or changes profiles).

    Origins (where people live, for the figures over persons): ``addresses`` (a file, with
    ``residents_column``), else ``population`` (a raster), else the extract's addresses and
    residential buildings; ``origins=False`` keeps the village points only.
    """

    extract: Path
    facilities: tuple[FacilityFile, ...] = ()
    osm_facilities: bool = True
    villages: Path | None = None
    villages_crs: str | None = None
    boundaries: Path | None = None
    admin_level: str = DEFAULT_ADMIN_LEVEL
    categories: Path | None = None
    profiles: tuple[str, ...] | None = None
    profiles_file: Path | None = None
    radii_km: tuple[float, ...] = DEFAULT_RADII_KM
    max_snap_m: float = DEFAULT_MAX_SNAP_M
    coverage: Path | None = None
    coverage_speed_column: str | None = None
    coverage_crs: str | None = None
    basic_mbps: float = DEFAULT_THRESHOLDS_MBPS[0]
    nga_mbps: float = DEFAULT_THRESHOLDS_MBPS[1]
    origins: bool = True
    addresses: Path | None = None
    addresses_crs: str | None = None
    residents_column: str | None = None
    population: Path | None = None
    assign_radius_km: float = DEFAULT_ASSIGN_RADIUS_KM
    address_outputs: str = DEFAULT_ADDRESS_OUTPUTS
    gpkg_edges: str = DEFAULT_GPKG_EDGES
    area: str | None = None
    buffer_km: float = DEFAULT_BUFFER_KM
    facilities_within: str | None = None
    gtfs: tuple[Path, ...] = ()
    departure: str | None = None
    window_min: float = DEFAULT_TRANSIT_WINDOW_MIN

    def __post_init__(self) -> None:
        """Refuse numbers no build can use, before any work (one message, the field named)."""
        numbers = {"max_snap_m": self.max_snap_m, "assign_radius_km": self.assign_radius_km,
                   "buffer_km": self.buffer_km, "basic_mbps": self.basic_mbps,
                   "nga_mbps": self.nga_mbps}  # fmt: skip
        numbers.update({f"radii_km[{i}]": r for i, r in enumerate(self.radii_km)})
        for name, value in numbers.items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                msg = f"{name} must be a finite number > 0, got {value!r}"
                raise ParameterError(msg)
        if not self.radii_km:
            msg = "radii_km needs at least one radius"
            raise ParameterError(msg)
        self._check_transit()

    def _check_transit(self) -> None:
        if not self.gtfs:
            return
        if self.departure is None:
            msg = "--gtfs needs --departure, the start of the departure window (2026-03-10T07:00)"
            raise ParameterError(msg)
        self.departure_time  # noqa: B018  (parses, or a ParameterError)
        w = self.window_min
        if not (isinstance(w, (int, float)) and math.isfinite(w) and 0 < w <= MAX_WINDOW_MIN):
            msg = f"window_min must be > 0 and at most {MAX_WINDOW_MIN:g} minutes, got {w!r}"
            raise ParameterError(msg)

    @property
    def departure_time(self) -> dt.datetime:
        """The start of the departure window (local time of the feeds)."""
        try:
            return dt.datetime.fromisoformat(str(self.departure))
        except ValueError:
            msg = f"departure {self.departure!r} is not a date and time like 2026-03-10T07:00"
            raise ParameterError(msg) from None

    @property
    def transit_start_s(self) -> int:
        """Seconds after midnight of the window's start."""
        t = self.departure_time
        return t.hour * 3600 + t.minute * 60 + t.second

    @property
    def area_file(self) -> Path | None:
        """The area as a polygon file, when ``area`` names one (else a boundary name)."""
        return _polygon_file(self.area)

    @property
    def facilities_within_file(self) -> Path | None:
        """``facilities_within`` as a polygon file, when it names one (else a boundary)."""
        return _polygon_file(self.facilities_within)

    @property
    def origins_source(self) -> str | None:
        """Where origins come from: ``file``, ``raster``, ``osm``, or None (village points)."""
        if not self.origins:
            return None
        if self.addresses is not None:
            return "file"
        return "raster" if self.population is not None else "osm"

    @cached_property
    def profile_set(self) -> ProfileSet:
        """The bundled profiles with ``profiles_file`` applied."""
        return load_profiles(self.profiles_file)

    @cached_property
    def selected_profiles(self) -> tuple[Profile, ...]:
        """The profiles to build (UnknownProfileError for a name the set lacks).

        Public transport (``gtfs``) walks on the walk network: it is added when not named.
        """
        chosen = self.profile_set.select(self.profiles)
        if self.gtfs and "walk" not in {p.name for p in chosen}:
            chosen = (*chosen, self.profile_set.check("walk"))
        return chosen

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
        if self.origins_source == "file":
            files["addresses"] = self.addresses
        if self.origins_source == "raster":
            files["population"] = self.population
        if self.area_file is not None:
            files["area"] = self.area_file
        if self.facilities_within_file is not None:
            files["facilities_within"] = self.facilities_within_file
        files["categories"] = self.categories or DEFAULT_CATEGORIES_FILE
        files["profiles"] = DEFAULT_PROFILES_FILE
        if self.profiles_file:
            files["profiles_file"] = self.profiles_file
        for i, g in enumerate(self.gtfs):
            files[f"gtfs[{i}]"] = g
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
            "profiles": [p.name for p in self.selected_profiles],
            "radii_km": list(self.radii_km),
            "max_snap_m": self.max_snap_m,
            "coverage_speed_column": self.coverage_speed_column,
            "coverage_crs": self.coverage_crs,
            "thresholds_mbps": [self.basic_mbps, self.nga_mbps],
            "origins": self.origins_source,
            "addresses_crs": self.addresses_crs,
            "residents_column": self.residents_column,
            "assign_radius_km": self.assign_radius_km,
            "address_outputs": self.address_outputs,
            "gpkg_edges": self.gpkg_edges,
            "area": _spec(self.area),
            "buffer_km": self.buffer_km if self.area is not None else None,
            "facilities_within": _spec(self.facilities_within),
            "departure": self.departure if self.gtfs else None,
            "window_min": self.window_min if self.gtfs else None,
        }

    def cache_key(self) -> tuple[dict[str, str], str]:
        """SHA-256 of every input file, and the build's cache key."""
        hashes = hash_inputs(self)
        return hashes, build_key(hashes, self.parameters())


def _polygon_file(spec: str | None) -> Path | None:
    """``spec`` as a polygon file when it names an existing file with a suffix."""
    if spec is None:
        return None
    p = Path(spec)
    return p if p.suffix and p.exists() else None


def _spec(spec: str | None) -> str | None:
    return None if spec is None else str(spec)


def hash_inputs(params: BuildParams) -> dict[str, str]:
    """SHA-256 of every input file; a clear error for a missing one."""
    out = {}
    for name, given in params.input_files().items():
        p = Path(given)
        if name.startswith("gtfs[") and p.is_dir():
            out[name] = folder_sha256(p)
            continue
        if not p.is_file():
            if name == "extract":
                from accessibility.osm import check_extract

                check_extract(p)
            msg = f"{p}: {name} file not found"
            raise InputFileError(msg)
        out[name] = file_sha256(p)
    return out


def folder_sha256(p: Path) -> str:
    """SHA-256 over the names and hashes of a folder's files (a GTFS feed as a folder)."""
    h = hashlib.sha256()
    for f in sorted(q for q in p.iterdir() if q.is_file()):
        h.update(f.name.encode() + b"\0" + file_sha256(f).encode())
    return h.hexdigest()
