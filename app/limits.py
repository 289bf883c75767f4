"""Bounds of expensive requests: each check raises a 422 that names the limit and its setting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.config import Settings
from app.errors import InvalidParameterError, LimitExceededError


def _over_message(what: str, value: float, limit_name: str, limit: float) -> str:
    return (
        f"{what}={value:g} is over the limit {limit_name}={limit:g} "
        f"(setting BEREIK_{limit_name.upper()})"
    )


@dataclass(frozen=True)
class Contours:
    """Validated isochrone contours: either minutes or metres, ascending, unique."""

    values: tuple[float, ...]
    unit: str  # "minutes" or "meters"

    @property
    def minutes(self) -> list[float] | None:
        """The contours when they are minutes."""
        return list(self.values) if self.unit == "minutes" else None

    @property
    def meters(self) -> list[float] | None:
        """The contours when they are metres."""
        return list(self.values) if self.unit == "meters" else None


def parse_numbers(name: str, text: str) -> list[float]:
    """Parse ``"5,10,15"`` into ``[5.0, 10.0, 15.0]``; positive finite numbers only."""
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        vals = []
    if not vals or not all(0 < v < float("inf") for v in vals):
        msg = f"{name} must be positive numbers separated by commas, e.g. 5,10,15; got {text!r}"
        raise InvalidParameterError(msg)
    return vals


def check_contours(
    settings: Settings,
    *,
    minutes: Sequence[float] | None = None,
    meters: Sequence[float] | None = None,
) -> Contours:
    """Check one list of contours against ``max_contours``, ``max_minutes``/``max_meters``."""
    if (minutes is None) == (meters is None):
        msg = "give either minutes or meters, not both: e.g. minutes=5,10,15 or meters=500,1000"
        raise InvalidParameterError(msg)
    unit, vals = ("minutes", minutes) if minutes is not None else ("meters", meters)
    values = tuple(sorted({float(v) for v in vals or ()}))
    if not values or values[0] <= 0:
        msg = f"{unit} must be positive numbers; got {list(vals or ())!r}"
        raise InvalidParameterError(msg)
    if len(values) > settings.max_contours:
        msg = _over_message(f"number of contours ({unit})", len(values), "max_contours",
                            settings.max_contours)  # fmt: skip
        raise LimitExceededError(msg)
    top, limit_name = (
        (settings.max_minutes, "max_minutes") if unit == "minutes"
        else (settings.max_meters, "max_meters")
    )  # fmt: skip
    if values[-1] > top:
        msg = _over_message(unit, values[-1], limit_name, top)
        raise LimitExceededError(msg)
    return Contours(values=values, unit=unit)


def check_minutes(settings: Settings, minutes: float) -> float:
    """Check one travel time (catchments) against ``max_minutes``."""
    if minutes > settings.max_minutes:
        msg = _over_message("minutes", minutes, "max_minutes", settings.max_minutes)
        raise LimitExceededError(msg)
    return minutes


def check_locations(settings: Settings, n: int) -> int:
    """Check the number of locations of one request against ``max_locations``."""
    if n > settings.max_locations:
        msg = _over_message("number of locations", n, "max_locations", settings.max_locations)
        raise LimitExceededError(msg)
    return n


def check_matrix(settings: Settings, n_sources: int, n_destinations: int) -> int:
    """Check a matrix size (sources x destinations) against ``max_matrix_cells``."""
    cells = n_sources * n_destinations
    if cells > settings.max_matrix_cells:
        msg = (
            f"matrix of {n_sources} sources x {n_destinations} destinations = {cells} cells "
            f"is over the limit max_matrix_cells={settings.max_matrix_cells} "
            "(setting BEREIK_MAX_MATRIX_CELLS)"
        )
        raise LimitExceededError(msg)
    return cells


def check_scenario(settings: Settings, n_changes: int) -> int:
    """Check the number of facilities closed plus opened against ``max_scenario_changes``."""
    if n_changes > settings.max_scenario_changes:
        msg = (
            f"{n_changes} facilities closed or opened is over the limit "
            f"max_scenario_changes={settings.max_scenario_changes} "
            "(setting BEREIK_MAX_SCENARIO_CHANGES)"
        )
        raise LimitExceededError(msg)
    return n_changes


def check_page(settings: Settings, limit: int | None) -> int:
    """Check a collection page size against ``max_items`` (default ``default_items``)."""
    if limit is None:
        return min(settings.default_items, settings.max_items)
    if limit > settings.max_items:
        msg = _over_message("limit", limit, "max_items", settings.max_items)
        raise LimitExceededError(msg)
    return limit


def check_at_most(settings: Settings, what: str, value: float, limit_name: str) -> float:
    """Check ``value`` against the setting ``limit_name`` (a 422 naming both when over)."""
    limit = getattr(settings, limit_name)
    if value > limit:
        raise LimitExceededError(_over_message(what, value, limit_name, limit))
    return value
