"""Travel profiles: which highways each mode may use, access tags, oneway rules, speeds.

The tables here are the documented defaults (see docs/profiles.md); speeds in km/h.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accessibility.errors import UnknownProfileError

PROFILES = ("car", "bike", "walk")

#: default car speeds per highway class when no usable maxspeed is tagged (km/h)
CAR_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 70.0,
    "primary_link": 50.0,
    "secondary": 60.0,
    "secondary_link": 45.0,
    "tertiary": 50.0,
    "tertiary_link": 40.0,
    "unclassified": 40.0,
    "road": 40.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 20.0,
}
BIKE_SPEED_KPH = 15.0
WALK_SPEED_KPH = 5.0
MAX_CAR_SPEED_KPH = 130.0
#: Car speeds are the limit (maxspeed or class default) times this factor: traffic drives a
#: little below the limit (curves, junctions). 0.95 was calibrated on the Liechtenstein
#: sample, where Valhalla's car routes take 1.046x bereik's unscaled times (and OSRM's
#: car.lua, which drives at 0.8 x maxspeed plus turn costs, 1.28x); see
#: docs/benchmarks-service.md. Bike and walk speeds are used as they are.
CAR_SPEED_FACTOR = 0.95

#: maxspeed values that name a zone instead of a number (country prefix is ignored)
ZONE_SPEEDS_KPH = {
    "urban": 50.0,
    "rural": 80.0,
    "motorway": 130.0,
    "trunk": 100.0,
    "living_street": 15.0,
    "walk": 6.0,
    "zone30": 30.0,
    "zone:30": 30.0,
}

BIKE_HIGHWAYS = frozenset(
    {
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "road",
        "residential",
        "living_street",
        "service",
        "track",
        "cycleway",
        "path",
    }
)
# need an explicit bicycle=yes/designated/permissive
BIKE_IF_ALLOWED = frozenset({"footway", "pedestrian", "bridleway", "trunk", "trunk_link"})
WALK_HIGHWAYS = BIKE_HIGHWAYS | {"footway", "pedestrian", "steps", "bridleway", "corridor"}
WALK_IF_ALLOWED = frozenset({"trunk", "trunk_link"})
CAR_EXCLUDED_SERVICE = frozenset({"parking_aisle", "driveway", "emergency_access", "parking"})

NO_VALUES = frozenset(
    {"no", "private", "agricultural", "forestry", "use_sidepath", "emergency", "military"}
)
YES_VALUES = frozenset(
    {
        "yes",
        "designated",
        "permissive",
        "destination",
        "customers",
        "delivery",
        "official",
        "public",
    }
)
ONEWAY_FWD = frozenset({"yes", "true", "1"})
ONEWAY_BWD = frozenset({"-1", "reverse"})


@dataclass(frozen=True)
class WayRule:
    """How one way is used by a profile: allowed directions and speed (km/h)."""

    forward: bool
    backward: bool
    speed_kph: float


def check_profile(profile: str) -> str:
    """Return ``profile`` when it is car, bike or walk; else raise UnknownProfileError."""
    if profile not in PROFILES:
        msg = f"unknown profile {profile!r}, expected one of {', '.join(PROFILES)}"
        raise UnknownProfileError(msg)
    return profile


def parse_maxspeed(value: str | None) -> float | None:
    """Parse an OSM maxspeed tag to km/h (``"50"``, ``"30 mph"``, ``"NL:urban"``).

    Several values (``"50;30"``) give the lowest; unknown forms give None.
    """
    if not value:
        return None
    speeds = []
    for part in value.split(";"):
        s = part.strip().lower()
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?", s)
        if m:
            v = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
            if v > 0:
                speeds.append(v)
            continue
        zone = s.split(":", 1)[1] if ":" in s else s
        if zone in ZONE_SPEEDS_KPH:
            speeds.append(ZONE_SPEEDS_KPH[zone])
    return min(speeds) if speeds else None


def _access(tags: dict[str, str], keys: tuple[str, ...]) -> bool | None:
    """Most specific access tag wins: True (allowed), False (forbidden), None (untagged)."""
    for k in keys:
        v = tags.get(k)
        if v is None:
            continue
        v = v.split(";")[0].strip().lower()
        if v in NO_VALUES:
            return False
        if v in YES_VALUES:
            return True
    return None


def _oneway(tags: dict[str, str], *, bike: bool) -> tuple[bool, bool]:
    ow = tags.get("oneway", "").lower()
    if bike:
        owb = tags.get("oneway:bicycle", "").lower()
        if owb == "no":
            return True, True
        opposite = any(
            tags.get(k, "").startswith("opposite")
            for k in ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")
        )
        if opposite:
            return True, True
        if owb in ONEWAY_FWD:
            return True, False
        if owb in ONEWAY_BWD:
            return False, True
    if ow in ONEWAY_FWD:
        return True, False
    if ow in ONEWAY_BWD:
        return False, True
    if ow == "no":
        return True, True
    implied = tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") in {
        "motorway",
        "motorway_link",
    }
    return (True, not implied)


def way_rule(tags: dict[str, str], profile: str) -> WayRule | None:
    """How ``profile`` may use a way with these tags; None when it may not."""
    hw = tags.get("highway")
    if hw is None or (tags.get("area") == "yes" and profile != "walk"):
        return None
    if profile == "car":
        if hw not in CAR_SPEEDS_KPH or tags.get("service") in CAR_EXCLUDED_SERVICE:
            return None
        if _access(tags, ("motorcar", "motor_vehicle", "vehicle", "access")) is False:
            return None
        fwd, bwd = _oneway(tags, bike=False)
        speed = parse_maxspeed(tags.get("maxspeed")) or CAR_SPEEDS_KPH[hw]
        return WayRule(fwd, bwd, min(speed, MAX_CAR_SPEED_KPH) * CAR_SPEED_FACTOR)
    if profile == "bike":
        allowed = _access(tags, ("bicycle", "vehicle", "access"))
        if allowed is False:
            return None
        if hw not in BIKE_HIGHWAYS and not (hw in BIKE_IF_ALLOWED and allowed is True):
            return None
        fwd, bwd = _oneway(tags, bike=True)
        return WayRule(fwd, bwd, BIKE_SPEED_KPH)
    if profile == "walk":
        allowed = _access(tags, ("foot", "access"))
        if allowed is False:
            return None
        if hw not in WALK_HIGHWAYS and not (hw in WALK_IF_ALLOWED and allowed is True):
            return None
        return WayRule(True, True, WALK_SPEED_KPH)
    check_profile(profile)
    return None  # pragma: no cover
