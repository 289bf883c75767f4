"""The API documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), and ``/favicon.ico``.

FastAPI's own pages load their scripts from a CDN and are blank offline; these load the
copies vendored under ``app/static/vendor/`` (see the README there) from this service. The
app is created with ``docs_url=None, redoc_url=None``; none of these routes is in the
OpenAPI schema.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

from app.routers.web import STATIC_DIR

router = APIRouter(include_in_schema=False)

SWAGGER_UI = "/static/vendor/swagger-ui"
REDOC = "/static/vendor/redoc"
FAVICON = STATIC_DIR / "vendor" / "swagger-ui" / "favicon-32x32.png"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
REDOC_CSP = "img-src 'self' data:"


def _root_path(request: Request) -> str:
    """Return the prefix the service is mounted under (read as FastAPI's docs routes do)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI of the API, from the vendored swagger-ui-dist."""
    root = _root_path(request)
    return get_swagger_ui_html(
        openapi_url=root + (request.app.openapi_url or "/openapi.json"),
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{root}{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{root}/favicon.ico",
        oauth2_redirect_url=root + OAUTH2_REDIRECT,
        init_oauth=request.app.swagger_ui_init_oauth,
        swagger_ui_parameters=request.app.swagger_ui_parameters,
    )


@router.get(OAUTH2_REDIRECT, response_class=HTMLResponse)
def swagger_ui_oauth2_redirect() -> HTMLResponse:
    """Return the page Swagger UI's "Authorize" comes back to (as FastAPI serves it)."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc of the API, from the vendored redoc bundle, without Google Fonts."""
    root = _root_path(request)
    page = get_redoc_html(
        openapi_url=root + (request.app.openapi_url or "/openapi.json"),
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{REDOC}/redoc.standalone.js",
        redoc_favicon_url=f"{root}/favicon.ico",
        with_google_fonts=False,
    )
    # The bundle's "API docs by Redocly" footer loads its logo from cdn.redoc.ly (and hides
    # it when that fails): images only from this service, so the browser never asks.
    page.headers["Content-Security-Policy"] = REDOC_CSP
    return page


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Return the service's icon (Swagger UI's 32x32 PNG; browsers take a PNG here)."""
    return FileResponse(FAVICON, media_type="image/png")
