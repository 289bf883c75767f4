"""ASGI middleware of the service.

- :class:`HeadAsGet`: ``HEAD`` answered like ``GET`` without the body. FastAPI routes declare
  ``GET`` only, so a ``HEAD`` was a 405; HTTP (RFC 9110, 9.3.2) and OGC API Features (Part 1,
  7.5) expect every ``GET`` resource to answer ``HEAD`` with the same status and headers.
- :class:`BodyLimit`: a request body over the limit is a 413 before anything parses it.
- :class:`SafeHeaders`: ``X-Content-Type-Options: nosniff`` on every response, and a
  ``Cache-Control`` that suits the route (see :func:`cache_control`).
- :class:`HeavyWork`: expensive routes run at most ``max_active`` at once (more: a fast 503
  with ``Retry-After``), each under a time budget, and stop when their client goes away
  (:mod:`accessibility.budget`); memory goes back to the system when the last one ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import threading

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accessibility.budget import Budget, bounded

logger = logging.getLogger("bereik.app")


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


def _error(status: int, detail: str, *, headers: tuple = ()) -> tuple[Message, Message]:
    body = json.dumps({"detail": detail}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()),
                         (b"connection", b"close"), *headers]}  # fmt: skip
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


#: the routes whose work grows with the request (searches): bounded by :class:`HeavyWork`
HEAVY_PATHS = ("/isochrones", "/catchments", "/matrix", "/scenarios", "/compare", "/suggest",
               "/closures", "/access", "/fairness", "/report",
               "/transit/scenarios")  # fmt: skip
#: seconds a client is told to wait when every slot for expensive work is taken
RETRY_AFTER_S = 2


def _release_memory() -> None:
    """Give freed heap back to the system (glibc keeps it otherwise); no-op elsewhere."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class HeavyWork:
    """Bound the expensive routes: how many at once, how long, and only while wanted.

    At most ``max_active`` requests of :data:`HEAVY_PATHS` compute at once; one more is a
    503 with ``Retry-After`` at once (the cheap routes, ``/health`` first, keep their
    threads). Each runs under a :class:`accessibility.budget.Budget` of ``timeout_s``: its
    loops stop at the next checkpoint when the time is spent (503 naming the setting) or
    when the client disconnects (nobody waits for the answer). When the last one ends, the
    freed memory goes back to the system.
    """

    def __init__(self, app: ASGIApp, *, max_active: int, timeout_s: float) -> None:
        self.app = app
        self.max_active = int(max_active)
        self.timeout_s = float(timeout_s)
        self.active = 0
        self._lock = threading.Lock()

    def _heavy(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            return False
        path = scope.get("path", "").removeprefix(scope.get("root_path") or "")
        return path.startswith(HEAVY_PATHS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Admit, bound and watch one expensive request; pass every other one on."""
        if not self._heavy(scope):
            await self.app(scope, receive, send)
            return
        with self._lock:
            full = self.active >= self.max_active
            if not full:
                self.active += 1
        if full:
            msg = (f"busy: {self.max_active} expensive requests are being computed (setting "
                   f"BEREIK_MAX_HEAVY_REQUESTS); try again in {RETRY_AFTER_S} s")  # fmt: skip
            retry = ((b"retry-after", str(RETRY_AFTER_S).encode()),)
            for message in _error(503, msg, headers=retry):
                await send(message)
            return
        try:
            await self._bounded(scope, receive, send)
        finally:
            with self._lock:
                self.active -= 1
                last = self.active == 0
            if last:
                await anyio.to_thread.run_sync(_release_memory)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        budget = Budget(self.timeout_s, message=(
            f"the request took longer than its time budget of {self.timeout_s:g} s (setting "
            "BEREIK_REQUEST_TIMEOUT_S); ask for less: fewer points, shorter times"))  # fmt: skip
        body: list[Message] = []
        while True:  # the body first (BodyLimit bounds it): then receive only waits for the end
            message = await receive()
            body.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        gone = anyio.Event()

        async def replay() -> Message:
            if body:
                return body.pop(0)
            await gone.wait()
            return {"type": "http.disconnect"}

        async def watch() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    budget.cancel("the client went away")
                    gone.set()
                    return

        if body[-1]["type"] == "http.disconnect":  # gone while sending the body
            budget.cancel("the client went away")
            gone.set()
        async with anyio.create_task_group() as tg:
            if not gone.is_set():
                tg.start_soon(watch)
            with bounded(budget):
                await self.app(scope, replay, send)
            tg.cancel_scope.cancel()
        if budget.cancelled:
            logger.info("%s %s: client went away, work stopped", scope["method"], scope["path"])
