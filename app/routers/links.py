"""Links of OGC API responses (absolute URLs that keep the request's ``build=``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from app.deps import Page
from app.geojson import GEOJSON_MEDIA_TYPE

JSON = "application/json"


def url(request: Request, path: str, **params: Any) -> str:
    """Return the absolute URL of ``path``, with ``params`` and the request's build."""
    query = {k: v for k, v in params.items() if v is not None}
    if "build" in request.query_params:
        query.setdefault("build", request.query_params["build"])
    base = str(request.base_url).rstrip("/") + path
    return f"{base}?{urlencode(query)}" if query else base


def link(request: Request, path: str, rel: str, type_: str = JSON, title: str | None = None,
         **params: Any) -> dict[str, Any]:  # fmt: skip
    """Return one link object."""
    out = {"href": url(request, path, **params), "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def page_links(request: Request, page: Page, matched: int) -> list[dict[str, Any]]:
    """Return the ``self``, ``next`` and ``prev`` links of a page of items."""
    links = [{"href": str(request.url), "rel": "self", "type": GEOJSON_MEDIA_TYPE}]
    if page.offset + page.limit < matched:
        nxt = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        links.append({"href": str(nxt), "rel": "next", "type": GEOJSON_MEDIA_TYPE})
    if page.offset > 0:
        prv = request.url.include_query_params(offset=max(page.offset - page.limit, 0),
                                               limit=page.limit)  # fmt: skip
        links.append({"href": str(prv), "rel": "prev", "type": GEOJSON_MEDIA_TYPE})
    return links
