"""Travel profiles as data: which OSM ways a mode uses, access, one-way rules, speeds.

Every profile is a record of ``profiles.toml`` (beside this module; documented there and in
docs/profiles.md). A user file passed with ``bereik build --profiles-file FILE`` adds
profiles or changes bundled ones, so a new mode (an e-bike, a mobility scooter) is data, not
code. :func:`load_profiles` reads and checks them; :meth:`Profile.way_rule` says how a
profile uses one way. Light imports only: the up-to-date check of a build loads this module.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from accessibility.defaults import DEFAULT_PROFILES_FILE
from accessibility.errors import InputFileError, UnknownProfileError

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
#: access tag values that forbid or allow (OSM semantics, the same for every profile)
NO_VALUES = frozenset(
    {"no", "private", "agricultural", "forestry", "use_sidepath", "emergency", "military"}
)
YES_VALUES = frozenset(
    {"yes", "designated", "permissive", "destination", "customers", "delivery", "official",
     "public"}
)  # fmt: skip
ONEWAY_FWD = frozenset({"yes", "true", "1"})
ONEWAY_BWD = frozenset({"-1", "reverse"})
#: one-way handling of a profile (see profiles.toml)
ONEWAY_MODES = ("vehicle", "bicycle", "ignore")
#: the profile summaries and the API prefer this one when a build has it
PREFERRED_PROFILE = "car"


@dataclass(frozen=True)
class WayRule:
    """How one way is used by a profile: allowed directions and speed (km/h)."""

    forward: bool
    backward: bool
    speed_kph: float


@dataclass(frozen=True, eq=False)
class Profile:
    """One travel profile (a record of ``profiles.toml``; see there for each field)."""

    name: str
    label: str
    highways: frozenset[str]
    highways_if_allowed: frozenset[str] = frozenset()
    access: tuple[str, ...] = ("access",)
    oneway: str = "vehicle"
    areas: bool = False
    exclude: tuple[dict[str, Any], ...] = ()
    speed_kph: float | None = None
    speeds_kph: dict[str, float] = field(default_factory=dict)
    maxspeed: bool = False
    max_speed_kph: float | None = None
    speed_factor: float = 1.0

    def way_rule(self, tags: dict[str, str]) -> WayRule | None:
        """How this profile may use a way with these tags; None when it may not."""
        hw = tags.get("highway")
        if hw is None or (tags.get("area") == "yes" and not self.areas):
            return None
        if any(_excluded(tags, rule) for rule in self.exclude):
            return None
        allowed = _access(tags, self.access)
        if allowed is False:
            return None
        if hw not in self.highways and not (hw in self.highways_if_allowed and allowed is True):
            return None
        fwd, bwd = _oneway(tags, self.oneway)
        return WayRule(fwd, bwd, self._speed(tags, hw))

    def _speed(self, tags: dict[str, str], highway: str) -> float:
        speed = parse_maxspeed(tags.get("maxspeed")) if self.maxspeed else None
        speed = speed or self.speeds_kph.get(highway, self.speed_kph)
        if self.max_speed_kph is not None:
            speed = min(speed, self.max_speed_kph)
        return speed * self.speed_factor

    def as_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON-able data (the manifest and the API show it)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = sorted(v) if isinstance(v, frozenset) else v
        out["access"] = list(self.access)
        out["exclude"] = list(self.exclude)
        return out


@dataclass(frozen=True)
class ProfileSet:
    """The profiles of the bundled file and an optional user file, in file order."""

    profiles: dict[str, Profile]
    sources: tuple[Path, ...] = ()

    @property
    def names(self) -> list[str]:
        """Profile names in file order (bundled first, then the user's new ones)."""
        return list(self.profiles)

    def check(self, name: str) -> Profile:
        """Return the profile called ``name``; UnknownProfileError when there is none."""
        if name not in self.profiles:
            msg = f"unknown profile {name!r}, expected one of {', '.join(self.names)}"
            raise UnknownProfileError(msg)
        return self.profiles[name]

    def select(self, names: tuple[str, ...] | list[str] | None) -> tuple[Profile, ...]:
        """Return the profiles called ``names`` (every profile when None), checked."""
        if names is None:
            return tuple(self.profiles.values())
        if not names:
            msg = f"no profile given, expected some of {', '.join(self.names)}"
            raise UnknownProfileError(msg)
        return tuple(self.check(n) for n in names)


def load_profiles(extra: str | Path | None = None) -> ProfileSet:
    """Read the bundled profiles, then add or change them with the user file ``extra``.

    Raises
    ------
    InputFileError
        A missing or invalid file (not TOML, unknown keys, bad values), naming the file and
        the profile.
    """
    if extra is None:
        return _bundled()
    specs = dict(_read_specs(DEFAULT_PROFILES_FILE))
    path = Path(extra)
    for name, spec in _read_specs(path).items():
        base = spec.get("base", name if name in specs else None)
        if base is not None and base not in specs:
            msg = f"{path}: profile {name!r} has base {base!r}, expected one of {', '.join(specs)}"
            raise InputFileError(msg)
        specs[name] = _merge(specs[base], spec) if base else spec
    profiles = {n: _make_profile(n, s, path) for n, s in specs.items()}
    return ProfileSet(profiles=profiles, sources=(DEFAULT_PROFILES_FILE, path))


def _merge(base: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` over ``base``; ``speeds_kph`` merged class by class."""
    out = {**base, **spec}
    if "speeds_kph" in base and "speeds_kph" in spec:
        out["speeds_kph"] = {**base["speeds_kph"], **spec["speeds_kph"]}
    return out


@cache
def _bundled() -> ProfileSet:
    specs = _read_specs(DEFAULT_PROFILES_FILE)
    profiles = {n: _make_profile(n, s, DEFAULT_PROFILES_FILE) for n, s in specs.items()}
    return ProfileSet(profiles=profiles, sources=(DEFAULT_PROFILES_FILE,))


def resolve_profile(profile: str | Profile) -> Profile:
    """Return a Profile as given, or the bundled profile of that name."""
    return profile if isinstance(profile, Profile) else _bundled().check(profile)


def way_rule(tags: dict[str, str], profile: str | Profile) -> WayRule | None:
    """How ``profile`` (a Profile, or the name of a bundled one) may use a way with ``tags``."""
    return resolve_profile(profile).way_rule(tags)


def preferred_profile(names: list[str] | tuple[str, ...]) -> str | None:
    """Pick the profile summaries show: car when there is one, else the first (or None)."""
    if PREFERRED_PROFILE in names:
        return PREFERRED_PROFILE
    return names[0] if names else None


# --- reading and checking the TOML ---------------------------------------------------------
_KEYS = {f.name for f in fields(Profile)} - {"name"} | {"base"}
_LISTS = ("highways", "highways_if_allowed", "access", "exclude")
_SPEEDS = ("speed_kph", "max_speed_kph", "speed_factor")


def _read_specs(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"{path}: profiles file not found"
        raise InputFileError(msg) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path}: not valid TOML ({exc})"
        raise InputFileError(msg) from exc
    specs = data.get("profiles")
    if not isinstance(specs, dict) or not specs or set(data) - {"profiles"}:
        msg = f"{path}: expected only [profiles.<name>] tables, found {', '.join(data) or 'none'}"
        raise InputFileError(msg)
    for name, spec in specs.items():
        _check_spec(path, name, spec)
    return specs


def _check_spec(path: Path, name: str, spec: object) -> None:
    where = f"{path}: profile {name!r}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        msg = f"{where}: the name must be lower_snake_case (e.g. ebike)"
        raise InputFileError(msg)
    if not isinstance(spec, dict):
        msg = f"{where}: expected a table of keys, got {spec!r}"
        raise InputFileError(msg)
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        known = ", ".join(sorted(_KEYS))
        msg = f"{where}: unknown key(s) {', '.join(unknown)}; expected some of {known}"
        raise InputFileError(msg)
    for key in _LISTS:
        if key in spec and not isinstance(spec[key], list):
            msg = f"{where}: {key} must be a list, got {spec[key]!r}"
            raise InputFileError(msg)
    if not all(isinstance(r, dict) and r for r in spec.get("exclude", [])):
        msg = f'{where}: exclude must be a list of tables such as {{ service = "parking" }}'
        raise InputFileError(msg)
    if not isinstance(spec.get("speeds_kph", {}), dict):
        msg = f"{where}: speeds_kph must be a table of class = km/h"
        raise InputFileError(msg)
    if "oneway" in spec and spec["oneway"] not in ONEWAY_MODES:
        msg = f"{where}: oneway must be one of {', '.join(ONEWAY_MODES)}, got {spec['oneway']!r}"
        raise InputFileError(msg)
    speeds = {k: spec[k] for k in _SPEEDS if k in spec} | {
        f"speeds_kph.{k}": v for k, v in spec.get("speeds_kph", {}).items()
    }
    for key, v in speeds.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < float("inf"):
            msg = f"{where}: {key} must be a number > 0, got {v!r}"
            raise InputFileError(msg)


def _make_profile(name: str, spec: dict[str, Any], path: Path) -> Profile:
    highways = frozenset(spec.get("highways", []))
    if not highways:
        msg = f"{path}: profile {name!r} has no highways (or a base to take them from)"
        raise InputFileError(msg)
    speeds = {k: float(v) for k, v in spec.get("speeds_kph", {}).items()}
    speed = spec.get("speed_kph")
    slow = sorted(h for h in highways | set(spec.get("highways_if_allowed", [])) if h not in speeds)
    if speed is None and slow:
        msg = f"{path}: profile {name!r} has no speed for {', '.join(slow)}; set speed_kph"
        raise InputFileError(msg)
    max_speed = spec.get("max_speed_kph")
    return Profile(
        name=name,
        label=str(spec.get("label", name)),
        highways=highways,
        highways_if_allowed=frozenset(spec.get("highways_if_allowed", [])),
        access=tuple(spec.get("access", ["access"])),
        oneway=spec.get("oneway", "vehicle"),
        areas=bool(spec.get("areas", False)),
        exclude=tuple(spec.get("exclude", [])),
        speed_kph=None if speed is None else float(speed),
        speeds_kph=speeds,
        maxspeed=bool(spec.get("maxspeed", False)),
        max_speed_kph=None if max_speed is None else float(max_speed),
        speed_factor=float(spec.get("speed_factor", 1.0)),
    )


# --- OSM tag rules ---------------------------------------------------------------------------
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


def _excluded(tags: dict[str, str], rule: dict[str, Any]) -> bool:
    """Tell whether every key of ``rule`` has its value (one of a list; "*" any) in ``tags``."""
    for key, wanted in rule.items():
        value = tags.get(key)
        if value is None:
            return False
        if wanted != "*" and value not in (wanted if isinstance(wanted, list) else [wanted]):
            return False
    return True


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


def _oneway(tags: dict[str, str], mode: str) -> tuple[bool, bool]:
    """Return the allowed directions (forward, backward) of a way under one-way ``mode``."""
    if mode == "ignore":
        return True, True
    if mode == "bicycle":
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
    ow = tags.get("oneway", "").lower()
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
