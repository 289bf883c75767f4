"""ASGI middleware of the service.

- :class:`HeadAsGet`: ``HEAD`` answered like ``GET`` without the body. FastAPI routes declare
  ``GET`` only, so a ``HEAD`` was a 405; HTTP (RFC 9110, 9.3.2) and OGC API Features (Part 1,
  7.5) expect every ``GET`` resource to answer ``HEAD`` with the same status and headers.
- :class:`BodyLimit`: a request body over the limit is a 413 before anything parses it.
- :class:`SafeHeaders`: ``X-Content-Type-Options: nosniff`` on every response, and a
  ``Cache-Control`` that suits the route (see :func:`cache_control`).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Run a ``HEAD`` request as ``GET`` and send the headers only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass every request on; a ``HEAD`` as ``GET`` with the body dropped."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def _error(status: int, detail: str) -> tuple[Message, Message]:
    body = json.dumps({"detail": detail}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()),
                         (b"connection", b"close")]}  # fmt: skip
    return start, {"type": "http.response.body", "body": body, "more_body": False}


class BodyLimit:
    """Refuse a request body larger than ``max_bytes`` with a 413, before it is parsed.

    A ``Content-Length`` over the limit is refused at once, without reading the body. A
    body sent without one (chunked) is read here, at most ``max_bytes`` of it: over the
    limit it is refused, else handed on as it came. Nothing larger than the limit is ever
    held in memory.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = int(max_bytes)

    def _message(self, size: int | None) -> str:
        got = f"{size:,} bytes" if size is not None else "more"
        return (f"request body of {got} is over the limit max_request_bytes="
                f"{self.max_bytes:,} (setting BEREIK_MAX_REQUEST_BYTES)")  # fmt: skip

    async def _refuse(self, send: Send, size: int | None) -> None:
        for message in _error(413, self._message(size)):
            await send(message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length; read a body without one up to the limit."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._refuse(send, int(declared))
                return
            await self.app(scope, receive, send)
            return
        body, messages = 0, []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += len(message.get("body", b""))
            if body > self.max_bytes:
                await self._refuse(send, None)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def cache_control(method: str, path: str, status: int) -> bytes:
    """Return the ``Cache-Control`` of a response.

    Errors, ``POST`` answers, ``/health`` and ``/builds`` are never stored (they change, or
    are one client's); the vendored static files keep a day; every other ``GET`` answers
    from a read-only build and may be kept five minutes (a new build is a restart).
    """
    if status >= 400 or method not in ("GET", "HEAD") or path in ("/health", "/builds"):  # noqa: PLR2004
        return b"no-store"
    if path.startswith("/static/"):
        return b"public, max-age=86400"
    return b"public, max-age=300"


class SafeHeaders:
    """Add ``X-Content-Type-Options: nosniff`` and a fitting ``Cache-Control``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response start, unless the route set them."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if b"cache-control" not in names:
                    rule = cache_control(scope["method"], scope.get("path", ""), message["status"])
                    headers.append((b"cache-control", rule))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
