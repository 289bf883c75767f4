"""Dependencies of the routes, as ``Annotated`` aliases (full-stack-fastapi-template style)."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request

from app.config import Settings
from app.errors import InvalidParameterError
from app.layers import LayerFilters
from app.limits import Contours, check_contours, check_page, parse_numbers
from app.schemas import PROFILE_DESCRIPTION, Direction, Profile
from app.state import BuildRegistry, ServedBuild


async def get_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    return request.app.state.settings


async def get_registry(request: Request) -> BuildRegistry:
    """Return the builds loaded at start-up."""
    return request.app.state.registry


SettingsDep = Annotated[Settings, Depends(get_settings)]
#: ``bbox`` of the layer routes (parsed by :func:`app.layers.parse_bbox`)
Bbox = Annotated[
    str | None,
    Query(description="minlon,minlat,maxlon,maxlat (WGS84): features intersecting it",
          examples=["9.47,47.04,9.64,47.27"], max_length=200),
]  # fmt: skip
RegistryDep = Annotated[BuildRegistry, Depends(get_registry)]


async def get_build(
    registry: RegistryDep,
    build: Annotated[
        str | None,
        Query(
            description="Name of the build to use (see GET /builds); default: the first one",
            examples=["demo"],
            max_length=100,
        ),
    ] = None,
) -> ServedBuild:
    """Return the build a request asks for (404 unknown name, 503 when none is loaded)."""
    return registry.get(build)


BuildDep = Annotated[ServedBuild, Depends(get_build)]

#: the query parameter of each layer filter, in the order OpenAPI lists them
FILTER_PARAMS: dict[str, Any] = {
    "municipality": Annotated[
        str | None,
        Query(description="Only this municipality (case-insensitive)", examples=["Vaduz"],
              max_length=200),
    ],
    "category": Annotated[
        str | None,
        Query(description="Facility category (see GET /builds), e.g. gp, supermarket",
              examples=["supermarket"], max_length=100),
    ],
    "profile": Annotated[
        Profile | None,
        Query(description=f"{PROFILE_DESCRIPTION}; attaches an indicator with category=",
              examples=["car"]),
    ],
    "method": Annotated[
        Literal["persons", "place_point"] | None,
        Query(description="persons: the mean over every person (address) of the area, as CBS "
                          "computes it (default where the build has origins); place_point: "
                          "the village point alone (with category=)"),
    ],
    "white": Annotated[
        bool | None,
        Query(description="true: only villages in a broadband white area; false: only outside"),
    ],
    "double_disadvantage": Annotated[
        bool | None,
        Query(description="true: only villages far from services AND without fast internet"),
    ],
}  # fmt: skip


def layer_filters(*names: str) -> Callable[..., LayerFilters]:
    """Build the dependency that reads the layer filters ``names`` into :class:`LayerFilters`.

    Only these query parameters are taken (and documented in OpenAPI): FastAPI reads them
    from the dependency's ``__signature__``. Which filters a layer accepts is checked by
    :func:`app.layers.layer_frame`.
    """
    unknown = sorted(set(names) - set(FILTER_PARAMS))
    if unknown:
        msg = f"unknown filter {', '.join(unknown)}; expected some of {', '.join(FILTER_PARAMS)}"
        raise ValueError(msg)

    async def dependency(**given: Any) -> LayerFilters:
        return LayerFilters(**given)

    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=query)
         for name, query in FILTER_PARAMS.items() if name in names],
        return_annotation=LayerFilters,
    )  # fmt: skip
    return dependency


#: every layer filter (``/collections/{id}/items``; the layer says which apply)
AllFiltersDep = Annotated[LayerFilters, Depends(layer_filters(*FILTER_PARAMS))]


@dataclass(frozen=True)
class Page:
    """Paging of a collection (OGC API Features ``limit``/``offset``)."""

    limit: int
    offset: int


async def get_page(
    settings: SettingsDep,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            description="Features per page (default and maximum: see GET /builds)",
            examples=[100],
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Features to skip", examples=[0])] = 0,
) -> Page:
    """``limit`` checked against ``max_items``."""
    return Page(limit=check_page(settings, limit), offset=offset)


PageDep = Annotated[Page, Depends(get_page)]


@dataclass(frozen=True)
class IsochroneQuery:
    """A GET isochrone request: one location, its contours and travel options."""

    lon: float
    lat: float
    profile: str | None
    direction: str
    contours: Contours
    departure: dt.datetime | None = None
    window: bool = False


async def get_isochrone_query(
    *,
    settings: SettingsDep,
    lon: Annotated[
        float, Query(ge=-180, le=180, description="Longitude (WGS84)", examples=[9.5209])
    ],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude (WGS84)", examples=[47.1410])],
    profile: Annotated[
        Profile | None, Query(description=PROFILE_DESCRIPTION, examples=["car"])
    ] = None,
    minutes: Annotated[
        str | None,
        Query(
            description="Travel-time contours in minutes, comma-separated",
            examples=["5,10,15"],
            max_length=200,
        ),
    ] = None,
    meters: Annotated[
        str | None,
        Query(
            description="Distance contours in metres, comma-separated (instead of minutes)",
            examples=["500,1000"],
            max_length=200,
        ),
    ] = None,
    direction: Annotated[
        Direction, Query(description="from: reachable from the point; to: can reach it")
    ] = "from",
    departure: Annotated[
        dt.datetime | None,
        Query(
            description="profile=transit only: the departure (direction=from) or the "
            "arrival deadline (direction=to), local time of the feed, on the build's "
            "timetable day; default its first departure",
            examples=["2022-09-01T08:00"],
        ),
    ] = None,
    window: Annotated[
        bool,
        Query(
            description="profile=transit only: the median over the build's departure "
            "window from departure (every 5 minutes) instead of one time"
        ),
    ] = False,
) -> IsochroneQuery:
    """Parse and bound the contours (422 naming the limit when over)."""
    contours = check_contours(
        settings,
        minutes=parse_numbers("minutes", minutes) if minutes is not None else None,
        meters=parse_numbers("meters", meters) if meters is not None else None,
    )
    return IsochroneQuery(lon=lon, lat=lat, profile=profile, direction=direction,
                          contours=contours, departure=departure,
                          window=window)  # fmt: skip


IsochroneQueryDep = Annotated[IsochroneQuery, Depends(get_isochrone_query)]


def _query_names(dependant: Any) -> set[str]:
    """Every query parameter a route declares, its dependencies' included."""
    names = {p.alias or p.name for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_parameters(request: Request) -> None:
    """Refuse query parameters the route does not take (OGC API Features: a 400).

    A typo (``limt=5``) would otherwise be ignored silently and the client get a default.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = sorted(k for k in request.query_params if k not in known)
    if unknown:
        shown = ", ".join(repr(k[:40]) for k in unknown[:5])
        msg = f"unknown query parameter {shown}; this request takes: {', '.join(sorted(known))}"
        raise InvalidParameterError(msg)


UnknownParametersDep = Depends(reject_unknown_parameters)
