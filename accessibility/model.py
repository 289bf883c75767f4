"""A build folder loaded read-only: what the service, scenarios and comparisons work on.

:func:`load_build` reads the files :class:`accessibility.layout.BuildLayout` names (the
pipeline in :mod:`accessibility.build` writes them). A :class:`Build` answers which
profiles and categories it has, with one message each for a name it lacks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from accessibility.defaults import TRANSIT_PROFILE
from accessibility.errors import (
    BuildNotFoundError,
    UnknownCategoryError,
    UnknownMethodError,
    UnknownProfileError,
)
from accessibility.layout import BuildLayout
from accessibility.network import Network
from accessibility.profiles import preferred_profile
from accessibility.store import check_files, read_manifest, recover

#: how a figure is made: the mean over persons (origins), or the village point alone
METHODS = ("persons", "place_point")


TRANSIT = TRANSIT_PROFILE


class LazyNetworks(Mapping[str, Network]):
    """The networks of a build by profile, each read from its file on first use.

    A service answering only car requests never reads the bike and walk networks, and a
    large build starts in the time of its tables. The files are checked when the build is
    loaded (present, every array named), so a damaged build is still found at once.
    """

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = dict(paths)
        self._loaded: dict[str, Network] = {}
        self._lock = threading.Lock()
        for path in self._paths.values():
            Network.check_file(path)

    def __getitem__(self, profile: str) -> Network:
        if profile not in self._paths:
            raise KeyError(profile)
        with self._lock:
            if profile not in self._loaded:
                self._loaded[profile] = Network.load(self._paths[profile])
            return self._loaded[profile]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def loaded(self) -> list[str]:
        """Return the profiles read so far."""
        return list(self._loaded)


@dataclass(frozen=True, eq=False)
class Build:
    """A build folder loaded read-only (what the API and the CLI serve from)."""

    path: Path
    manifest: dict[str, Any]
    villages: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    indicators: pd.DataFrame
    municipalities: pd.DataFrame
    municipality_polygons: gpd.GeoDataFrame | None
    networks: Mapping[str, Network]
    white_areas: gpd.GeoDataFrame | None = None
    double_disadvantage: pd.DataFrame | None = None
    persons_villages: pd.DataFrame | None = None
    persons_municipalities: pd.DataFrame | None = None
    origins: gpd.GeoDataFrame | None = None
    persons_grid: gpd.GeoDataFrame | None = None
    transit: pd.DataFrame | None = None
    transit_persons: pd.DataFrame | None = None
    served_as: str | None = None
    #: made on first use, then kept: the public transport router (``transit_router``)
    _lazy: dict[str, Any] = field(default_factory=dict, repr=False)
    _lazy_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def transit_router(self):
        """Return the public transport router (timetable on the walk network), made once.

        Raises
        ------
        UnknownProfileError
            When the build has no public transport (the message says how to add it).
        """
        from accessibility.transit.requests import transit_router

        with self._lazy_lock:
            if "transit_router" not in self._lazy:
                self._lazy["transit_router"] = transit_router(self)
            return self._lazy["transit_router"]

    @property
    def name(self) -> str:
        """The build's name: as served (``NAME=PATH``), else its folder name."""
        return self.served_as or self.path.name

    @property
    def layout(self) -> BuildLayout:
        """Where the build's files are."""
        return BuildLayout(self.path)

    @property
    def profiles(self) -> list[str]:
        """Profiles with a network in this build."""
        return list(self.networks)

    @property
    def profile_labels(self) -> dict[str, str]:
        """Label of each profile (from the build's profiles file; the name if unlabelled)."""
        known = self.manifest.get("profiles", {})
        return {p: known.get(p, {}).get("label", p) for p in self.profiles}

    @property
    def has_transit(self) -> bool:
        """True when the build has public transport (``bereik build --gtfs``)."""
        return "transit" in self.manifest

    @property
    def indicator_profiles(self) -> list[str]:
        """Profiles of the indicator tables: the networks', plus ``transit`` if built."""
        return [*self.profiles, *([TRANSIT] if self.has_transit else [])]

    def pick_indicator_profile(self, profile: str | None) -> str:
        """Return ``profile`` when the indicator tables have it (transit too), else the default."""
        if profile == TRANSIT and self.has_transit:
            return profile
        if profile == TRANSIT:
            msg = (f"build {self.name!r} has no public transport; build it with --gtfs FEED "
                   f"--departure DATETIME (profiles: {', '.join(self.profiles)})")  # fmt: skip
            raise UnknownProfileError(msg)
        return self.pick_profile(profile)

    @property
    def default_profile(self) -> str:
        """The profile used when a request names none: car if built, else the first."""
        return preferred_profile(self.profiles) or ""

    @property
    def categories(self) -> list[str]:
        """Facility categories of this build."""
        return list(self.manifest.get("categories", {}))

    @property
    def synthetic_coverage(self) -> bool:
        """True when the build's broadband coverage is a SYNTHETIC sample."""
        return bool(self.manifest.get("broadband", {}).get("synthetic", False))

    @property
    def has_persons(self) -> bool:
        """True when the build has origins: figures over persons exist."""
        return self.persons_villages is not None

    @property
    def default_method(self) -> str:
        """``persons`` (mean over persons) when the build has origins, else ``place_point``."""
        return "persons" if self.has_persons else "place_point"

    def pick_method(self, method: str | None) -> str:
        """Return ``method`` checked (``persons``, ``place_point``), or the default when None."""
        if method is None:
            return self.default_method
        if method not in METHODS or (method == "persons" and not self.has_persons):
            known = ", ".join(m for m in METHODS if m != "persons" or self.has_persons)
            msg = f"method {method!r} is not in build {self.name!r}; expected one of {known}"
            raise UnknownMethodError(msg)
        return method

    def check_profile(self, profile: str) -> str:
        """Return ``profile`` when this build has a network for it, else UnknownProfileError."""
        if profile == TRANSIT and self.has_transit:
            msg = (
                f"profile 'transit' has no road network for this request in build "
                f"{self.name!r}; by public transport ask /villages, /municipalities, "
                "/isochrones, /catchments, /matrix, /scenarios or /transit (road profiles: "
                + ", ".join(self.profiles)
                + ")"
            )
            raise UnknownProfileError(msg)
        if profile not in self.networks:
            msg = (
                f"profile {profile!r} is not in build {self.name!r}; "
                f"expected one of {', '.join(self.profiles)}"
            )
            raise UnknownProfileError(msg)
        return profile

    def check_category(self, category: str) -> str:
        """Return ``category`` when this build defines it, else UnknownCategoryError."""
        if category not in self.manifest.get("categories", {}):
            msg = (
                f"unknown facility category {category!r} in build {self.name!r}; "
                f"expected one of {', '.join(self.categories)}"
            )
            raise UnknownCategoryError(msg)
        return category

    def pick_profile(self, profile: str | None) -> str:
        """Return ``profile`` checked (see :meth:`check_profile`), or the default when None."""
        return self.default_profile if profile is None else self.check_profile(profile)

    def network(self, profile: str | None = None) -> Network:
        """Return the network of ``profile`` (default: :attr:`default_profile`)."""
        return self.networks[self.pick_profile(profile)]

    def loaded_networks(self) -> dict[str, Network]:
        """Return the networks read so far, by profile (never reads one)."""
        nets = self.networks
        names = nets.loaded() if isinstance(nets, LazyNetworks) else list(nets)
        return {p: nets[p] for p in names}


def load_build(path: str | Path, *, name: str | None = None) -> Build:
    """Load a build folder (tables and networks) read-only; ``name``: the name it is served as.

    Raises
    ------
    BuildNotFoundError
        When the folder is missing, incomplete or damaged.
    """
    recover(path)  # a swap cut between its two renames (no atomic exchange): undo it
    lay = BuildLayout(Path(path))
    manifest = read_manifest(lay.root)
    check_files(lay.root, manifest)  # sizes: a truncated or missing file is refused now
    try:
        return Build(
            path=lay.root,
            manifest=manifest,
            villages=gpd.read_parquet(lay.villages),
            facilities=gpd.read_parquet(lay.facilities),
            indicators=pd.read_parquet(lay.indicators),
            municipalities=_read_csv(lay.municipalities),
            municipality_polygons=_optional(gpd.read_parquet, lay.municipality_polygons),
            networks=LazyNetworks(
                {prof: lay.network(prof) for prof in manifest["parameters"]["profiles"]}
            ),
            white_areas=_optional(gpd.read_parquet, lay.white_areas),
            double_disadvantage=_optional(
                lambda p: _read_csv(p, dtype={"village_id": str}), lay.double_disadvantage
            ),
            persons_villages=_optional(_read_persons, lay.persons_villages),
            persons_municipalities=_optional(_read_persons, lay.persons_municipalities),
            origins=_optional(gpd.read_parquet, lay.addresses),
            persons_grid=_optional(gpd.read_parquet, lay.persons_grid),
            transit=_optional(lambda p: _read_csv(p, dtype={"village_id": str}), lay.transit),
            transit_persons=_optional(
                lambda p: _read_csv(p, dtype={"id": str}), lay.transit_persons
            ),
            served_as=name,
        )
    except (OSError, ValueError, KeyError) as exc:
        msg = (
            f"{lay.root}: incomplete or damaged build ({exc}); rebuild with `bereik build --force`"
        )
        raise BuildNotFoundError(msg) from exc


def _read_persons(path: Path) -> pd.DataFrame:
    return _read_csv(path, dtype={"village_id": str, "worst_origin_id": str})


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    """Read a build's CSV (the quotes that kept formulas from running taken off)."""
    from accessibility.writer import unescape_formulas

    return unescape_formulas(pd.read_csv(path, **kwargs))


def _optional(read, path: Path):
    """``read(path)`` when the file exists, else None (files only some builds have)."""
    return read(path) if path.exists() else None
