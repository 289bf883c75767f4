"""The builds a running service serves, loaded read-only once at start-up.

A build that cannot be loaded is recorded with the reason (``/health`` reports it) instead
of stopping the service.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessibility.crs import WGS84, to_wgs84
from accessibility.errors import AccessibilityError, BuildNotFoundError
from accessibility.isochrones import prepare_network
from accessibility.layout import edges_layer
from accessibility.model import Build, load_build
from app.errors import BuildUnavailableError, NotFoundError

logger = logging.getLogger("bereik.app")


def safe_reason(exc: BaseException) -> str:
    """Why a build did not load, in words a client may see: no path, no exception text."""
    if isinstance(exc, BuildNotFoundError):
        return "the build folder is missing, incomplete or damaged: run `bereik build`"
    if isinstance(exc, OSError):
        return "the build's files cannot be read (permissions or disk)"
    return "the build's files are damaged or from another version: rebuild it"


@dataclass(eq=False)
class ServedBuild:
    """One loaded build and the layers derived from it (computed once, then cached)."""

    name: str
    build: Build
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def village_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Village lon, lat, population (NaN unknown) and ids as arrays (cached)."""
        with self._lock:
            if "village_arrays" not in self._cache:
                v = self.build.villages
                self._cache["village_arrays"] = (
                    v.geometry.x.to_numpy(dtype=float),
                    v.geometry.y.to_numpy(dtype=float),
                    pd.to_numeric(v["population"]).to_numpy(dtype=float, na_value=np.nan),
                    v["village_id"].astype(str).to_numpy(dtype=object),
                )
            return self._cache["village_arrays"]

    def edges(self, profile: str) -> gpd.GeoDataFrame:
        """Return the edges of a profile's network in WGS84 (map backdrop, QGIS)."""
        self.build.check_profile(profile)
        key = edges_layer(profile)
        with self._lock:
            if key not in self._cache:
                net = self.build.networks[profile]
                self._cache[key] = gpd.GeoDataFrame(
                    {
                        "edge_id": range(net.n_edges),
                        "highway": net.edge_highway.astype(str),
                        "name": net.edge_name.astype(str),
                        "length_m": net.edge_length_m,
                        "speed_kph": net.edge_speed_kph,
                        "travel_time_s": net.edge_time_s,
                        # v -> u (a bike pushed against a one-way street)
                        "travel_time_backward_s": net.edge_time_backward_s,
                        "oneway": ~(net.edge_forward & net.edge_backward),
                    },
                    geometry=net.edge_lines_wgs84(),
                    crs=WGS84,
                )
            return self._cache[key]

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        """Return ``make()``, computed once per served build under ``key``."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def edges_bounds(self, profile: str) -> list[float]:
        """WGS84 bounds of a profile's roads, every vertex (cached; no edge table built)."""
        self.build.check_profile(profile)
        key = f"bounds_{profile}"
        with self._lock:
            if key not in self._cache:
                net = self.build.networks[profile]
                lon, lat = to_wgs84(net.coord_x, net.coord_y, net.crs)
                self._cache[key] = [round(float(v), 6) for v in
                                    (lon.min(), lat.min(), lon.max(), lat.max())]  # fmt: skip
            return self._cache[key]

    def warm_up(self) -> None:
        """Read the default profile's network and build its request indexes now.

        The first request is then not the slow one; the other profiles load on theirs.
        """
        prepare_network(self.build.network())
        if self.build.has_transit:  # the timetable, and the walks from every stop both ways
            router = self.build.transit_router()
            for reverse in (False, True):
                router.stop_walks(reverse=reverse)


@dataclass
class BuildRegistry:
    """Builds by name; ``default`` is the one requests get without ``build=``."""

    builds: dict[str, ServedBuild] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    default: str | None = None

    def warm_up_in_background(self) -> threading.Thread:
        """Warm every build up (:meth:`ServedBuild.warm_up`) in a daemon thread.

        The service answers at once; a request that needs a network meanwhile waits for
        it (the network loads once, under a lock). A failure is logged, never raised.
        """

        def run() -> None:
            for name, served in list(self.builds.items()):
                started = time.perf_counter()
                try:
                    served.warm_up()
                except Exception:  # logged: the request that needs it reports it
                    logger.exception("warming up build %r failed", name)
                    continue
                logger.info("build %r warmed up in %.1f s", name, time.perf_counter() - started)

        thread = threading.Thread(target=run, name="bereik-warm-up", daemon=True)
        thread.start()
        return thread

    @classmethod
    def load(cls, paths: dict[str, Path], *, warm_up: bool = True) -> BuildRegistry:
        """Load every build of ``paths`` (name -> folder); failures are recorded, not raised.

        ``warm_up=False`` leaves the networks for :meth:`warm_up_in_background` (the
        service) or for the first request.
        """
        reg = cls()
        for name, path in paths.items():
            try:
                served = ServedBuild(name=name, build=load_build(path, name=name))
                if warm_up:
                    served.warm_up()
            except (AccessibilityError, OSError, ValueError) as exc:
                reg.missing[name] = safe_reason(exc)  # the path and the text: the log only
                logger.warning("build %r not loaded from %s: %s", name, path, exc)
                continue
            reg.builds[name] = served
            logger.info("loaded build %r from %s", name, path)
        configured = list(paths)
        reg.default = configured[0] if configured and configured[0] in reg.builds else None
        if reg.default is None and reg.builds:
            reg.default = next(iter(reg.builds))
        return reg

    def get(self, name: str | None = None) -> ServedBuild:
        """Return the build called ``name`` (the default build when None).

        Raises
        ------
        BuildUnavailableError
            When no build is loaded at all (503).
        NotFoundError
            When ``name`` is not a loaded build (404).
        """
        if not self.builds:
            raise BuildUnavailableError(self.unavailable_message())
        if name is None:
            return self.builds[self.default or next(iter(self.builds))]
        if name not in self.builds:
            why = f" ({self.missing[name]})" if name in self.missing else ""
            msg = f"unknown build {name!r}{why}; expected one of {', '.join(self.builds)}"
            raise NotFoundError(msg)
        return self.builds[name]

    def unavailable_message(self) -> str:
        """Why no build is served, and how to fix it."""
        if not self.missing:
            return (
                "no build configured: set BEREIK_BUILD=PATH (or BEREIK_BUILDS=NAME=PATH,...) "
                "and run `bereik build` first"
            )
        reasons = "; ".join(f"{n}: {r}" for n, r in self.missing.items())
        return f"no build loaded ({reasons}); run `bereik build`, then restart the service"
