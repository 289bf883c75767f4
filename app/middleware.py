"""ASGI middleware of the service: ``HEAD`` answered like ``GET`` without the body.

FastAPI routes declare ``GET`` only, so a ``HEAD`` was a 405; HTTP (RFC 9110, 9.3.2) and OGC
API Features (Part 1, 7.5) expect every ``GET`` resource to answer ``HEAD`` with the same
status and headers (``Content-Length`` and ``Content-Type`` included).
"""

from __future__ import annotations

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
