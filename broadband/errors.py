"""Exceptions raised by the :mod:`broadband` package.

Every exception derives from :class:`BroadbandError`, so callers can catch all of them at
once, and also from the matching builtin (``ValueError`` or ``KeyError``), so code that
already catches builtins keeps working (the same pattern as r5py).

Messages name the offending value (file, column, threshold) and say how to fix it.
"""

from __future__ import annotations

__all__ = [
    "BroadbandError",
    "BroadbandInputError",
    "CoverageFileError",
    "NoCrsError",
    "SpeedColumnError",
    "ThresholdError",
]


class BroadbandError(Exception):
    """Base class of all errors raised by :mod:`broadband`."""


class CoverageFileError(ValueError, BroadbandError):
    """A coverage file is missing, empty, unreadable, corrupt or of an unsupported kind."""


class NoCrsError(ValueError, BroadbandError):
    """A coverage file or an input frame has no coordinate reference system."""


class SpeedColumnError(KeyError, BroadbandError):
    """The requested (or any auto-detectable) speed column is not present.

    ``KeyError`` normally shows its message with quotes (``str(KeyError("x")) == "'x'"``);
    this class shows the plain message instead.
    """

    def __str__(self) -> str:
        if len(self.args) == 1 and isinstance(self.args[0], str):
            return self.args[0]
        return super().__str__()


class ThresholdError(ValueError, BroadbandError):
    """Speed or distance thresholds are invalid (not positive, not finite, or out of order)."""


class BroadbandInputError(ValueError, BroadbandError):
    """An in-memory input (frame, geometry, coverage kind) cannot be used for the operation."""
