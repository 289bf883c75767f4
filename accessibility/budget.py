"""Work that stops when it should: a time budget and a cancel flag, checked between steps.

A compiled search cannot be interrupted from outside, but the work of one request is many
of them (a search per source of a matrix, per location of an isochrone, per candidate of a
suggestion, per category of a scenario). Those loops call :func:`checkpoint`, which raises
:class:`WorkStoppedError` once the request's :class:`Budget` has run out of time or was
cancelled (the client went away). The budget is a context variable: the service sets it
around a request (threads it starts see it); the command line sets none, and then a
checkpoint costs one lookup.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from accessibility.errors import AccessibilityError


class WorkStoppedError(AccessibilityError):
    """The request's work was stopped: over its time budget, or its client went away."""


class Budget:
    """A deadline (monotonic seconds; None: none) and a cancel flag of one request."""

    def __init__(self, seconds: float | None, *, message: str = "") -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + float(seconds)
        limit = "no" if seconds is None else f"{seconds:g} s"
        self.message = message or f"the work took longer than its time budget ({limit})"
        self._cancelled = threading.Event()
        self._why = ""

    def cancel(self, why: str) -> None:
        """Stop the work at its next checkpoint (from any thread)."""
        self._why = why
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """Tell whether :meth:`cancel` was called."""
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise WorkStoppedError when cancelled or past the deadline."""
        if self._cancelled.is_set():
            raise WorkStoppedError(self._why or "the work was cancelled")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise WorkStoppedError(self.message)


_CURRENT: ContextVar[Budget | None] = ContextVar("bereik_budget", default=None)


def current() -> Budget | None:
    """Return the budget of the work running in this context (None: unbounded)."""
    return _CURRENT.get()


@contextmanager
def bounded(b: Budget) -> Iterator[Budget]:
    """Run the block (and the threads it starts) under the budget ``b``."""
    token = _CURRENT.set(b)
    try:
        yield b
    finally:
        _CURRENT.reset(token)


def checkpoint() -> None:
    """Raise WorkStoppedError when the current work's budget is spent or cancelled."""
    b = _CURRENT.get()
    if b is not None:
        b.check()
