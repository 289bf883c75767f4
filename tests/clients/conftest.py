"""The sample build served by a real uvicorn server, for real clients (GDAL, QGIS) to read.

The server runs in a thread of the test process on a free localhost port; a small ASGI
wrapper records every HTTP request it sees, so a test can count a client's requests.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.config import Settings
from app.main import create_app
from tests.serving import serve


class RequestLog:
    """ASGI middleware: records ``(method, path, query)`` of every HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._seen: list[tuple[str, str, str]] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with self._lock:
                self._seen.append((scope["method"], scope["path"],
                                   scope["query_string"].decode("latin-1")))  # fmt: skip
        await self.app(scope, receive, send)

    def take(self) -> list[tuple[str, str, str]]:
        """The requests seen since the last call (and forget them)."""
        with self._lock:
            seen, self._seen = self._seen, []
        return seen


@dataclass
class Served:
    """A running server: its base URL (no trailing slash) and its request log."""

    url: str
    requests: RequestLog
    _matched: dict[str, int] = field(default_factory=dict)

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=60) as r:
            return json.load(r)

    def collections(self) -> list[str]:
        return [c["id"] for c in self.get_json("/collections")["collections"]]

    def number_matched(self, collection: str) -> int:
        """``numberMatched`` of a collection's items (one request, cached)."""
        if collection not in self._matched:
            page = self.get_json(f"/collections/{collection}/items?limit=1")
            self._matched[collection] = int(page["numberMatched"])
        return self._matched[collection]


@pytest.fixture(scope="module")
def served(demo_build) -> Iterator[Served]:
    """The session's sample build (tests/conftest.py's ``demo_build``) served by uvicorn."""
    app = RequestLog(create_app(Settings(_env_file=None, build=str(demo_build.path))))
    with serve(app) as url:
        yield Served(url=url, requests=app)
