"""The web map at ``/`` (HTML), which is also the OGC API landing page (JSON)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.errors import error_responses
from app.routers.links import JSON, link
from app.schemas import LandingPage

router = APIRouter(tags=["service"])

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@cache
def _index_html() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


def landing_page(request: Request) -> LandingPage:
    """Build the OGC API landing page: links to the API description, conformance, data."""
    return LandingPage(
        title="bereik",
        description=("Accessibility of villages to facilities by car, bike and on foot, "
                     "from OpenStreetMap (© OpenStreetMap contributors, ODbL)."),
        links=[
            link(request, "/", "self", JSON, "This document", f="json"),
            link(request, "/openapi.json", "service-desc",
                 "application/vnd.oai.openapi+json;version=3.1", "The API definition"),
            link(request, "/docs", "service-doc", "text/html", "The API documentation"),
            link(request, "/conformance", "conformance", JSON, "Conformance classes"),
            link(request, "/collections", "data", JSON, "The collections"),
            link(request, "/", "alternate", "text/html", "The web map", f="html"),
        ],
    )  # fmt: skip


def _wants_json(request: Request, f: str | None) -> bool:
    if f is not None:
        return f == "json"
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


@router.get(
    "/",
    operation_id="landing_page",
    summary="Web map (HTML) or OGC API landing page (JSON)",
    response_model=None,
    responses={200: {"model": LandingPage,
                     "description": "The web map, or the landing page with f=json or "
                                    "Accept: application/json",
                     "content": {"text/html": {"schema": {"type": "string"}}}},
               **error_responses(400, ogc=True)},
)  # fmt: skip
def index(
    request: Request,
    f: Annotated[Literal["html", "json"] | None, Query(description="html or json")] = None,
) -> Response:
    """Return the web map, or the OGC landing page (``f=json``, ``Accept: ...json``).

    The map draws the villages coloured by one indicator (category and profile switch),
    the facilities and the road network from this API; a click shows isochrones.
    """
    if _wants_json(request, f):
        return JSONResponse(landing_page(request).model_dump(exclude_none=True))
    return HTMLResponse(_index_html())
