"""The report for the provincial council: a build, or one municipality, as HTML or PDF."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from accessibility.model import Build
from accessibility.report import render_pdf, render_report
from accessibility.report.figures import resolve_municipality
from app.deps import BuildDep, RegistryDep
from app.errors import error_responses

router = APIRouter(prefix="/report", tags=["report"])

MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
#: reports kept ready (a build x municipality x comparison x language x format each)
CACHED_REPORTS = 8


@router.get(
    "",
    operation_id="get_report",
    summary="The report for the council (HTML or PDF, Dutch or English)",
    response_class=Response,
    responses={
        200: {
            "description": "One self-contained document: CSS inline, images as data URIs",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **error_responses(404, 422, 503),
    },
)
def get_report(
    sb: BuildDep,
    registry: RegistryDep,
    municipality: Annotated[
        str | None,
        Query(
            description="Only this municipality (case-insensitive); default: the whole build",
            examples=["Vaduz"],
            max_length=200,
        ),
    ] = None,
    compare: Annotated[
        str | None,
        Query(
            description="Another served build (see GET /builds), e.g. an earlier year: the "
            "change per village and the 'at least the same' verdict",
            examples=["demo"],
            max_length=100,
        ),
    ] = None,
    lang: Annotated[Literal["nl", "en"], Query(description="Dutch or English")] = "nl",
    format: Annotated[  # the query parameter's name
        Literal["html", "pdf"], Query(description="html, or pdf (A4 pages)")
    ] = "html",
) -> Response:
    """Return the report on a build (or one municipality) as one document.

    A map per key facility, the distribution of distances, the share beyond the CBS rings,
    the farthest villages, the double-disadvantage list, the method and sources; with
    ``compare`` the change per village against that build. Every figure comes from the
    build's tables. An unknown municipality or ``compare`` build is a 404 naming those
    there are; a PDF where WeasyPrint's system libraries are missing is a 503. The first
    request for a report takes a few seconds; the last few are kept.
    """
    chosen = resolve_municipality(sb.build, municipality)
    other = registry.get(compare).build if compare is not None else None
    body = _render(sb.build, chosen, other, lang, format, date.today())
    name = _filename(f"bereik-{sb.name}-{chosen or 'all'}-{lang}.{format}")
    return Response(body, media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'inline; filename="{name}"'})  # fmt: skip


@lru_cache(maxsize=CACHED_REPORTS)
def _render(build: Build, municipality: str | None, other: Build | None, lang: str, fmt: str,
            today: date) -> bytes:  # fmt: skip
    """Render a report once (builds are keyed by identity: a reloaded build is a new one)."""
    html = render_report(build, municipality=municipality, compare=other, lang=lang, today=today)
    return render_pdf(html) if fmt == "pdf" else html.encode("utf-8")


def _filename(text: str) -> str:
    """Make an ASCII file name for the Content-Disposition header (Súdwest -> Sudwest)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text)
