"""Exceptions raised by the accessibility engine.

Every exception derives from :class:`AccessibilityError`; most also derive from a builtin so
callers can catch them the usual way (r5py style). Messages name the bad value and the fix.
"""

from __future__ import annotations


class AccessibilityError(Exception):
    """Base class of all bereik engine errors."""


class OsmReadError(ValueError, AccessibilityError):
    """An OSM extract is missing, empty, truncated or not an OSM file."""


class InputFileError(ValueError, AccessibilityError):
    """A user file (facilities, villages, boundaries) cannot be read or lacks columns."""


class NoCrsError(ValueError, AccessibilityError):
    """Geodata without a coordinate reference system where one is required."""


class UnknownCategoryError(KeyError, AccessibilityError):
    """A facility category that is not defined in the category rules."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class UnknownVillageError(KeyError, AccessibilityError):
    """A village id that is not in the build."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownFacilityError(KeyError, AccessibilityError):
    """A facility id that is not in the build."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownProfileError(KeyError, AccessibilityError):
    """A travel profile that is not defined (profiles files) or not in the build."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownMethodError(ValueError, AccessibilityError):
    """A figure method (persons, place_point) that the build does not have."""


class PointOutsideNetworkError(ValueError, AccessibilityError):
    """A point lies farther from any road of the profile than the snap limit."""


class EmptyNetworkError(ValueError, AccessibilityError):
    """The extract holds no road usable by a profile."""


class BuildNotFoundError(FileNotFoundError, AccessibilityError):
    """A build folder does not exist or is incomplete."""


class WideTableError(ValueError, AccessibilityError):
    """A long table that cannot be made wide (a row twice, or two columns of one name)."""


class ParameterError(ValueError, AccessibilityError):
    """A parameter out of range or malformed (a negative radius, an unknown objective)."""


class RequestTooLargeError(ValueError, AccessibilityError):
    """A request would need more memory than its limits allow, even at the coarsest grid."""


class UnknownMunicipalityError(KeyError, AccessibilityError):
    """A municipality that is not in the build."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ReportUnavailableError(RuntimeError, AccessibilityError):
    """A report format that cannot be made here (the PDF without WeasyPrint's libraries)."""


class TransitFeedError(ValueError, AccessibilityError):
    """A GTFS feed that cannot be used: missing files, no service on the date, no stops."""
