"""Exceptions of the service and their HTTP status codes (titiler/tipg style).

``STATUS_CODES`` maps exception classes (the domain libraries' and the service's own) to
status codes; the most specific class in an exception's MRO wins. Every error body is
``{"detail": str}``; only 5xx errors log a traceback.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from accessibility import errors as acc
from accessibility.budget import WorkStoppedError
from broadband import errors as bb

logger = logging.getLogger("bereik.app")
#: longest echo of a bad input value in a 422 message
SHOWN_CHARS = 80
#: longest error message a response carries (a domain error may quote an id it was given)
MAX_DETAIL_CHARS = 1000


class ServiceError(Exception):
    """Base class of the service's own errors."""


class LimitExceededError(ValueError, ServiceError):
    """A request asks for more work than a ``max_*`` setting allows."""


class InvalidParameterError(ValueError, ServiceError):
    """A parameter value that is well-formed but cannot be used (e.g. a bad bbox)."""


class NotFoundError(LookupError, ServiceError):
    """An unknown collection, feature or build name."""


class BuildUnavailableError(RuntimeError, ServiceError):
    """No build is loaded (the service started without data)."""


STATUS_CODES: dict[type[Exception], int] = {
    # the service
    LimitExceededError: 422,
    InvalidParameterError: 422,
    NotFoundError: 404,
    BuildUnavailableError: 503,
    # accessibility
    acc.AccessibilityError: 500,
    acc.UnknownVillageError: 404,
    acc.UnknownCategoryError: 404,  # a category the build does not define
    acc.UnknownFacilityError: 404,
    acc.UnknownMunicipalityError: 404,
    acc.UnknownProfileError: 422,  # a profile value the build has no network for
    acc.UnknownMethodError: 422,  # persons without origins in the build
    acc.PointOutsideNetworkError: 422,
    acc.RequestTooLargeError: 422,  # even the coarsest drawing would not fit its limits
    acc.InputFileError: 422,
    acc.ParameterError: 422,
    WorkStoppedError: 503,  # over the request's time budget (the client went: nobody reads it)
    acc.EmptyNetworkError: 422,
    acc.BuildNotFoundError: 503,
    acc.ReportUnavailableError: 503,  # a PDF without WeasyPrint's system libraries
    # broadband
    bb.BroadbandError: 500,
    bb.ThresholdError: 422,
    bb.BroadbandInputError: 422,
}

#: OpenAPI description of the error body, for ``responses=`` of the routes.
ERROR_BODY: dict[str, Any] = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            }
        }
    }
}


#: paths of the OGC API Features resources, where a bad parameter is a 400 (OGC API
#: Features Part 1, 7.6: "400 Bad Request" for invalid and unknown parameters), not a 422
OGC_PATHS = ("/", "/collections", "/conformance")  # "/": the landing page itself only


def is_ogc_path(path: str) -> bool:
    """Tell whether a path (without the root path) is an OGC API Features resource."""
    return any(path == p or (p != "/" and path.startswith(p + "/")) for p in OGC_PATHS)


def is_ogc_request(request: Request) -> bool:
    """Tell whether a request is for an OGC API Features resource (:data:`OGC_PATHS`)."""
    return is_ogc_path(request.url.path.removeprefix(request.scope.get("root_path", "") or ""))


def _status(request: Request, code: int) -> int:
    """422 becomes 400 on the OGC resources."""
    if code == HTTPStatus.UNPROCESSABLE_ENTITY and is_ogc_request(request):
        return HTTPStatus.BAD_REQUEST
    return code


def error_responses(*codes: int, ogc: bool = False) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting the ``{"detail": str}`` body for ``codes``.

    ``ogc``: an OGC API Features resource, where 400 means an invalid or unknown parameter.
    """
    text = {
        400: (
            "Invalid or unknown parameter, or over a limit (the message names it)"
            if ogc
            else "The body is not valid JSON"
        ),
        404: "Unknown id, collection, build, category or profile",
        422: "Invalid parameter or over a limit (the message names it)",
        503: "No build loaded",
    }
    return {c: {"description": text.get(c, "Error"), **ERROR_BODY} for c in codes}


def status_code_for(exc: BaseException) -> int:
    """Return the status of ``exc``: its most specific class in ``STATUS_CODES``, else 500."""
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


def _detail(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return capped(text)


def capped(text: str) -> str:
    """``text`` cut to :data:`MAX_DETAIL_CHARS` (a 1 MB id does not come back whole)."""
    if len(text) <= MAX_DETAIL_CHARS:
        return text
    return text[:MAX_DETAIL_CHARS] + f"... ({len(text) - MAX_DETAIL_CHARS:,} characters cut)"


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    code = status_code_for(exc)
    if code >= HTTPStatus.INTERNAL_SERVER_ERROR and code != HTTPStatus.SERVICE_UNAVAILABLE:
        logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    headers = {"Retry-After": "5"} if isinstance(exc, WorkStoppedError) else None
    return JSONResponse({"detail": _detail(exc)}, status_code=_status(request, code),
                        headers=headers)  # fmt: skip


HTTP_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str | None:
    """Every method some route accepts on this path (Starlette names the first route's)."""
    routes = request.app.router.routes
    allowed = [
        m for m in HTTP_METHODS
        if any(r.matches({**request.scope, "method": m})[0] == Match.FULL for r in routes)
    ]  # fmt: skip
    return ", ".join(allowed) or None


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        allow = _allowed_methods(request)
        if allow:
            headers["Allow"] = allow
    return JSONResponse({"detail": capped(str(exc.detail))}, status_code=exc.status_code,
                        headers=headers or None)  # fmt: skip


def _location(loc: tuple[Any, ...]) -> str:
    where = {"query": "query parameter", "path": "path parameter", "body": "body"}
    if not loc:
        return "request"
    head, *rest = loc
    name = ".".join(str(p) for p in rest)
    if head in where:
        return f"{where[head]} {name!r}" if name else where[head]
    return ".".join(str(p) for p in loc)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One readable line per validation error: where, what, and the value received."""
    parts = []
    for e in errors:
        msg = f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}"
        if "input" in e and e.get("type") != "missing":
            given = repr(e["input"])
            cut = given[:SHOWN_CHARS] + "..." if len(given) > SHOWN_CHARS else given
            msg += f" (got {cut})"
        parts.append(msg)
    return "; ".join(parts) or "invalid request"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(
        {"detail": capped(validation_message(list(exc.errors())))},
        status_code=_status(request, HTTPStatus.UNPROCESSABLE_ENTITY),
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handlers: domain/service errors, HTTP errors, validation errors."""
    for cls in STATUS_CODES:
        app.add_exception_handler(cls, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
