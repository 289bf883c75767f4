"""Links of OGC API responses (URLs that keep the request's ``build=``).

Their base is the configured ``public_url``; without one the request's own address when its
``Host`` is an allowed host; otherwise the links are relative to the server (``/collections``):
a forged ``Host`` header never reaches a link.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from app.deps import Page
from app.geojson import GEOJSON_MEDIA_TYPE

JSON = "application/json"


def base(request: Request) -> str:
    """Return the base of every link (no trailing slash): see the module doc."""
    settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = (request.url.hostname or "").strip("[]").lower()
    allowed = settings.allowed_hosts
    if "*" in allowed or host in (h.strip("[]").lower() for h in allowed):
        return str(request.base_url).rstrip("/")
    return (request.scope.get("root_path") or "").rstrip("/")


def url(request: Request, path: str, **params: Any) -> str:
    """Return the URL of ``path``, with ``params`` and the request's build."""
    query = {k: v for k, v in params.items() if v is not None}
    if "build" in request.query_params:
        query.setdefault("build", request.query_params["build"])
    href = base(request) + path
    return f"{href}?{urlencode(query)}" if query else href


def here(request: Request, **params: Any) -> str:
    """Return the URL of this request (``params`` replace its query parameters)."""
    path = request.url.path.removeprefix(request.scope.get("root_path") or "")
    query = dict(request.query_params)
    query.update({k: str(v) for k, v in params.items()})
    href = base(request) + path
    return f"{href}?{urlencode(query)}" if query else href


def link(request: Request, path: str, rel: str, type_: str = JSON, title: str | None = None,
         **params: Any) -> dict[str, Any]:  # fmt: skip
    """Return one link object."""
    out = {"href": url(request, path, **params), "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def page_links(request: Request, page: Page, matched: int) -> list[dict[str, Any]]:
    """Return the ``self``, ``next`` and ``prev`` links of a page of items."""
    links = [{"href": here(request), "rel": "self", "type": GEOJSON_MEDIA_TYPE}]
    if page.offset + page.limit < matched:
        nxt = here(request, offset=page.offset + page.limit, limit=page.limit)
        links.append({"href": nxt, "rel": "next", "type": GEOJSON_MEDIA_TYPE})
    if page.offset > 0:
        prv = here(request, offset=max(page.offset - page.limit, 0), limit=page.limit)
        links.append({"href": prv, "rel": "prev", "type": GEOJSON_MEDIA_TYPE})
    return links
