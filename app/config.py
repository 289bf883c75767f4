"""Service settings, read from ``BEREIK_*`` environment variables and an optional ``.env``.

Nothing is read at import time: :func:`app.main.create_app` builds a :class:`Settings` when
it is not given one, and tests pass ``Settings(_env_file=None, ...)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from accessibility.defaults import (
    DEFAULT_BUILD,
    DEFAULT_CELL_M,
    DEFAULT_MAX_SNAP_M,
    MATRIX_INDEX_BACKGROUND_MAX_NODES,
    MATRIX_INDEX_MAX_NODES,
)
from accessibility.isochrones import CELL_M_RANGE, MAX_CONTOURS
from accessibility.store import build_ref


def _split_csv(value: object) -> object:
    """Split ``"a, b,,c"`` into ``["a", "b", "c"]`` (lists pass through)."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class Settings(BaseSettings):
    """Settings of the bereik service (environment prefix ``BEREIK_``).

    Every expensive request is bounded by one of the ``max_*`` settings; a request over a
    limit gets a 422 that names the limit and this setting.
    """

    model_config = SettingsConfigDict(
        env_prefix="BEREIK_", env_file=".env", extra="ignore", frozen=True
    )

    # --- data ------------------------------------------------------------------------------
    build: str | None = Field(
        str(DEFAULT_BUILD),
        description="Folder of the default build (served under its folder name); empty: none.",
    )
    builds: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "More builds as comma-separated NAME=PATH pairs, e.g. "
            "'drenthe2024=data/builds/d2024,drenthe2025=data/builds/d2025'. The first one is "
            "the default when BEREIK_BUILD is empty."
        ),
    )

    # --- limits of expensive requests --------------------------------------------------------
    max_minutes: float = Field(60.0, gt=0, description="Largest isochrone/catchment contour.")
    max_meters: float = Field(30_000.0, gt=0, description="Largest distance contour (m).")
    max_contours: int = Field(
        6, ge=1, le=MAX_CONTOURS, description="Most contours in one isochrone request."
    )
    max_locations: int = Field(10, ge=1, description="Most locations in one isochrone POST.")
    max_matrix_cells: int = Field(2_500, ge=1, description="Most sources x destinations.")
    matrix_index_max_nodes: int = Field(
        MATRIX_INDEX_MAX_NODES,
        ge=0,
        description=(
            "Matrices on networks of at most this many nodes use a contraction-hierarchy "
            "index, made on the first matrix of a profile (0: never; larger networks search)."
        ),
    )
    matrix_index_background_max_nodes: int = Field(
        MATRIX_INDEX_BACKGROUND_MAX_NODES,
        ge=0,
        description=(
            "Networks of at most this many nodes (above matrix_index_max_nodes) get the index "
            "made in the background, started by the first matrix; they search until it is "
            "ready (state in GET /builds). 0: never."
        ),
    )
    max_scenario_changes: int = Field(
        20, ge=1, description="Most facilities closed plus opened in one scenario request."
    )
    max_suggest_candidates: int = Field(
        2_000, ge=1, description="Most candidate sites one /suggest may weigh."
    )
    max_suggest_sites: int = Field(10, ge=1, description="Most sites one /suggest may add.")
    max_suggest_seconds: float = Field(
        5.0, ge=0, description="Time budget of /suggest's exact solver (s); then greedy."
    )
    max_within_km: float = Field(
        50.0, gt=0, description="Largest within_km of /suggest and /closures (km)."
    )
    max_snap_m: float = Field(
        DEFAULT_MAX_SNAP_M, gt=0, description="Farthest a point may lie from a road."
    )
    max_items: int = Field(10_000, ge=1, description="Largest `limit` of a collection page.")
    max_heavy_requests: int = Field(
        4,
        ge=1,
        description="Most expensive requests (isochrones, matrices, scenarios...) "
        "computed at once; one more gets a 503 with Retry-After at once.",
    )
    request_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Time budget of an expensive request (s); its work stops "
        "there (503), and when its client goes away.",
    )
    max_request_bytes: int = Field(
        1_000_000, ge=1_000, description="Largest request body (bytes); more is a 413."
    )
    default_items: int = Field(1_000, ge=1, description="`limit` when a request gives none.")
    isochrone_cell_m: float = Field(
        DEFAULT_CELL_M,
        ge=CELL_M_RANGE[0],
        le=CELL_M_RANGE[1],
        description="Grid cell of isochrone polygons (m); smaller is finer and slower.",
    )
    isochrone_fill_holes: bool = Field(
        True,
        description=(
            "Fill enclosed holes of isochrone/catchment polygons (land between reached "
            "roads counts as served, like Valhalla's denoise); false keeps large holes."
        ),
    )

    # --- web ---------------------------------------------------------------------------------
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed by CORS, comma-separated ('*' for any); empty: no CORS.",
    )
    tile_url: str | None = Field(
        None,
        description=(
            "Optional XYZ tile URL template for the web map background, e.g. "
            "'https://tile.openstreetmap.org/{z}/{x}/{y}.png'. Empty: the road network only."
        ),
    )
    tile_attribution: str = Field(
        "© OpenStreetMap contributors", description="Attribution shown with the tiles."
    )
    root_path: str = Field("", description="Path prefix when served behind a proxy.")
    public_url: str = Field(
        "",
        description="The service's public address (e.g. https://bereik.drenthe.nl/api): the "
        "base of the links it returns. Empty: the request's Host when it is an allowed host, "
        "else links relative to the server.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1", "testserver"],
        description="Host names whose Host header the links may use when public_url is "
        "empty, comma-separated ('*': any; a forged Host then reaches the links).",
    )

    @field_validator("builds", "cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("builds")
    @classmethod
    def _name_path_pairs(cls, value: list[str]) -> list[str]:
        names = set()
        for item in value:
            name, sep, path = (v.strip() for v in item.partition("="))
            if not sep or not name or not path:
                msg = f"BEREIK_BUILDS entry {item!r} is not NAME=PATH"
                raise ValueError(msg)
            if name in names:
                msg = f"BEREIK_BUILDS: build name {name!r} occurs twice"
                raise ValueError(msg)
            names.add(name)
        return value

    @field_validator("build", "tile_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def build_paths(self) -> dict[str, Path]:
        """Return the configured builds by name, the default first.

        ``build`` counts when it was set explicitly, or when ``builds`` is empty (then the
        default ``data/builds/demo`` is served). A name in ``builds`` wins over the folder
        name of ``build``.
        """
        out: dict[str, Path] = {}
        if self.build and (not self.builds or "build" in self.model_fields_set):
            p = Path(self.build)
            out[p.name or str(p)] = p
        out.update(build_ref(item) for item in self.builds)
        return out
