"""The FastAPI application: ``create_app(settings)``; ``app`` is what uvicorn serves.

``uvicorn app.main:app`` reads the settings from ``BEREIK_*`` variables (and ``.env``) when
it first looks up ``app`` (module ``__getattr__``), not when this module is imported.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.config import Settings
from app.errors import add_exception_handlers, is_ogc_path
from app.middleware import BodyLimit, HeadAsGet, HeavyWork, SafeHeaders
from app.routers import (
    basemap,
    broadband,
    catchments,
    collections,
    compare,
    docs,
    facilities,
    health,
    isochrones,
    matrix,
    municipalities,
    planning,
    report,
    scenarios,
    transit,
    villages,
    web,
)
from app.routers.web import STATIC_DIR
from app.state import BuildRegistry

logger = logging.getLogger("bereik.app")

DESCRIPTION = """
Accessibility of villages to facilities (GP, school, supermarket, ...) by car, bike and on
foot, computed from OpenStreetMap. Layers are GeoJSON (RFC 7946, WGS84, 6 decimals) and
OGC API Features collections that QGIS loads directly (`/collections`); isochrones,
catchments and travel matrices are computed per request, within the limits listed by
`GET /builds`. Errors are `{"detail": "..."}` with a 4xx status that says what to fix.

Map data © OpenStreetMap contributors, available under the Open Database License (ODbL).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Create the service.

    Parameters
    ----------
    settings
        The settings; default: read from ``BEREIK_*`` environment variables and ``.env``.

    Notes
    -----
    The lifespan loads the configured builds read-only into ``app.state.registry``; a build
    that is missing is reported by ``/health`` (503) instead of stopping the service.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.registry = BuildRegistry.load(settings.build_paths(), warm_up=False)
        if not app.state.registry.builds:
            logger.warning(app.state.registry.unavailable_message())
        # start answering now: a large network loads and indexes in the background
        app.state.registry.warm_up_in_background()
        yield

    app = FastAPI(
        title="bereik",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        root_path=settings.root_path,
        license_info={"name": "MIT"},
        docs_url=None,  # /docs and /redoc: app.routers.docs, from vendored files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.registry = BuildRegistry()  # until the lifespan has loaded the builds
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
        )
    add_exception_handlers(app)
    for module in (web, docs, health, collections, villages, facilities, municipalities,
                   isochrones, catchments, matrix, scenarios, planning, compare, broadband,
                   basemap, report, transit):  # fmt: skip
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(HeavyWork, max_active=settings.max_heavy_requests,
                       timeout_s=settings.request_timeout_s)  # fmt: skip
    app.add_middleware(HeadAsGet)
    app.add_middleware(SafeHeaders)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    _finish_openapi(app, settings)
    return app


def _finish_openapi(app: FastAPI, settings: Settings) -> None:
    """Put what FastAPI cannot know into the OpenAPI document.

    The page size bounds of the settings go into one shared ``limit`` parameter
    (``components/parameters/limit``, where QGIS reads them to size its pages), and the OGC
    resources lose the 422 FastAPI adds: they answer a bad parameter with a 400.
    """
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            for path, item in schema.get("paths", {}).items():
                ogc = is_ogc_path(path)
                for op in item.values():
                    if ogc and isinstance(op, dict):
                        op.get("responses", {}).pop("422", None)
                    params = op.get("parameters", []) if isinstance(op, dict) else []
                    for i, param in enumerate(params):
                        if param.get("name") == "limit" and param.get("in") == "query":
                            params[i] = {"$ref": "#/components/parameters/limit"}
            # one shared definition, where QGIS reads the page size (as OGC's own template)
            schema.setdefault("components", {}).setdefault("parameters", {})["limit"] = {
                "name": "limit", "in": "query", "required": False,
                "style": "form", "explode": False,
                "description": "Features per page",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.max_items,
                           "default": min(settings.default_items, settings.max_items)},
            }  # fmt: skip
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def __getattr__(name: str) -> FastAPI:
    """``app.main.app``, created on first access (so importing this module reads no env)."""
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
