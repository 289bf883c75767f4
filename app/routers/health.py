"""Service status and the builds it serves."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter

from accessibility.facilities import load_categories
from accessibility.matrix_index import index_state
from accessibility.model import Build
from app import __version__
from app.deps import RegistryDep, SettingsDep
from app.errors import BuildUnavailableError, error_responses
from app.layers import bounds
from app.schemas import BuildInfo, BuildList, CategoryInfo, Health, Limits
from app.state import ServedBuild

router = APIRouter(tags=["service"])


@router.get(
    "/health",
    operation_id="health",
    summary="Service status",
    response_model=Health,
    responses=error_responses(503),
)
async def health(registry: RegistryDep) -> Health:
    """Return 200 when every configured build is loaded, else 503 naming those that are not.

    The reasons are safe to show (no server path, no exception text: those are logged).
    """
    if not registry.builds:
        raise BuildUnavailableError(registry.unavailable_message())
    if registry.missing:
        reasons = "; ".join(f"{n}: {r}" for n, r in registry.missing.items())
        n_all = len(registry.missing) + len(registry.builds)
        serving = ", ".join(registry.builds)
        msg = (f"{len(registry.missing)} of {n_all} configured builds not loaded ({reasons}); "
               f"serving {serving}")  # fmt: skip
        raise BuildUnavailableError(msg)
    return Health(version=__version__, builds=list(registry.builds),
                  default_build=registry.default, missing=registry.missing)  # fmt: skip


@cache
def _bundled_labels() -> dict[str, tuple[str, str]]:
    """Return the bundled categories' (label, label_nl) by id."""
    return {n: (c.label, c.label_nl) for n, c in load_categories().categories.items()}


def _label_nl(category: str, spec: dict) -> str | None:
    """Return the Dutch label of a build's category.

    The build's own, else the bundled table's when the build's category is the bundled one
    (the same English label); None otherwise (the map then shows the English label).
    """
    if spec.get("label_nl"):
        return str(spec["label_nl"])
    label, label_nl = _bundled_labels().get(category, (None, ""))
    return (label_nl or None) if label == spec.get("label", category) else None


def _info(sb: ServedBuild, *, default: bool) -> BuildInfo:
    b, m = sb.build, sb.build.manifest
    counts = b.facilities["category"].value_counts()
    cats = [
        CategoryInfo(
            id=c,
            label=v.get("label", c),
            label_nl=_label_nl(c, v),
            cbs=v.get("cbs") or None,
            facilities=int(counts.get(c, 0)),
        )
        for c, v in m.get("categories", {}).items()
    ]
    return BuildInfo(
        name=sb.name, default=default, created=m.get("created"),
        osm_replication_timestamp=m.get("osm_replication_timestamp"), profiles=b.profiles,
        profile_labels=b.profile_labels, default_profile=b.default_profile or None,
        default_method=b.default_method,
        origins={k: v for k, v in m["origins"].items() if k not in ("summary", "source")}
        if m.get("origins") else None,
        categories=cats, villages=len(b.villages),
        municipalities=int(b.villages["municipality"].nunique()),
        bbox=bounds(b.villages), attribution=m.get("attribution", "© OpenStreetMap contributors"),
        synthetic_coverage=b.synthetic_coverage,
        broadband={k: v for k, v in m["broadband"].items() if k != "coverage"}  # no paths
        if m.get("broadband") else None,
        transit={"feeds": m["transit"]["feeds"], "date": m["transit"]["date"],
                 "departure": m["transit"]["departure"],
                 "window_min": m["transit"]["settings"]["window_min"]}
        if b.has_transit else None,
        matrix_index=_matrix_index(b),
    )  # fmt: skip


def _matrix_index(b: Build) -> dict[str, str]:
    """Return the state of each road profile's matrix index ("none": network not read yet)."""
    loaded = b.loaded_networks()
    return {p: index_state(loaded[p]) if p in loaded else "none" for p in b.networks}


@router.get(
    "/builds",
    operation_id="list_builds",
    summary="Builds, categories, profiles and request limits",
    response_model=BuildList,
)
async def list_builds(registry: RegistryDep, settings: SettingsDep) -> BuildList:
    """Describe the loaded builds, the request limits and the web map's tile settings.

    Per build: categories with facility counts, profiles, villages, extent. The list is
    empty when no build is loaded.
    """
    limits = Limits(**{k: getattr(settings, k) for k in Limits.model_fields})
    return BuildList(
        builds=[_info(sb, default=n == registry.default) for n, sb in registry.builds.items()],
        limits=limits, tile_url=settings.tile_url, tile_attribution=settings.tile_attribution,
    )  # fmt: skip
