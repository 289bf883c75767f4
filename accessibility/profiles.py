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
#: where a route may turn round (``u_turns`` in profiles.toml)
U_TURN_MODES = ("anywhere", "dead_ends")
#: the profile summaries and the API prefer this one when a build has it
PREFERRED_PROFILE = "car"


#: way classes that are not a highway=* value (see :func:`way_class`)
FERRY_CLASS = "ferry"
PLATFORM_CLASS = "platform"
#: one-way roads whose one-way is implied (no pushing a bike against them)
IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})


@dataclass(frozen=True)
class WayRule:
    """How one way is used by a profile: allowed directions, speeds and fixed times.

    ``speed_kph`` is the speed forward (and backward unless ``speed_backward_kph`` is
    given: a bike pushed against a one-way street). ``duration_s`` is the time to travel
    the whole way when its timetable is tagged (a ferry's ``duration``; the network then
    uses length / duration as the speed). ``penalty_s`` is a fixed time added once each
    time the way is used (boarding a ferry).
    """

    forward: bool
    backward: bool
    speed_kph: float
    speed_backward_kph: float | None = None
    duration_s: float | None = None
    penalty_s: float = 0.0

    @property
    def backward_speed_kph(self) -> float:
        """The speed against the way's direction (``speed_kph`` unless another is given)."""
        return self.speed_kph if self.speed_backward_kph is None else self.speed_backward_kph


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
    tag_max_speeds_kph: dict[str, dict[str, float]] = field(default_factory=dict)
    timetabled: frozenset[str] = frozenset()
    penalties_s: dict[str, float] = field(default_factory=dict)
    push_speed_kph: float | None = None
    push_speeds_kph: dict[str, float] = field(default_factory=dict)
    push_highways: frozenset[str] = frozenset()
    push_access: tuple[str, ...] = ("foot", "access")
    push_oneway: bool = False
    push_if: tuple[dict[str, Any], ...] = ()
    default: bool = True
    restrictions: tuple[str, ...] = ()
    restriction_except: tuple[str, ...] = ()
    u_turns: str = "anywhere"
    access_no: frozenset[str] = frozenset()
    barriers_block: frozenset[str] = frozenset()
    barriers_pass: frozenset[str] = frozenset()
    barrier_exempt: tuple[dict[str, Any], ...] = ()

    def blocks(self, tags: dict[str, str]) -> bool:
        """Tell whether a node with these tags stops this mode (one may not pass it).

        In this order: ``barrier_exempt`` tables pass; the access keys on the node decide
        when tagged; else a ``barrier`` value in ``barriers_block`` ("*": any) and not in
        ``barriers_pass`` stops.
        """
        if any(_excluded(tags, rule) for rule in self.barrier_exempt):
            return False
        allowed = _access(tags, self.access, self.access_no)
        if allowed is not None:
            return not allowed
        barrier = tags.get("barrier")
        if barrier is None or barrier in self.barriers_pass:
            return False
        return barrier in self.barriers_block or "*" in self.barriers_block

    def way_rule(self, tags: dict[str, str]) -> WayRule | None:
        """How this profile may use a way with these tags; None when it may not.

        In this order: the way's class (:func:`way_class`), ``areas``, ``exclude``, the
        access keys (a forbidding value always wins), then riding (``highways``, or
        ``highways_if_allowed`` with an allowing value), else pushing (``push_*``).
        """
        cls = way_class(tags)
        if cls is None or (tags.get("area") == "yes" and not self.areas):
            return None
        if any(_excluded(tags, rule) for rule in self.exclude):
            return None
        # access per direction: <key>:forward / <key>:backward before <key> (as OSRM)
        af = _access(tags, _directional(self.access, "forward"), self.access_no)
        ab = _access(tags, _directional(self.access, "backward"), self.access_no)
        allowed = True if True in (af, ab) else (False if af is ab is False else None)
        dismount = any(_excluded(tags, rule) for rule in self.push_if)
        if allowed is False and not dismount:  # bicycle=dismount outranks vehicle=no
            return None
        penalty = float(self.penalties_s.get(cls, 0.0))
        ride = cls in self.highways or (cls in self.highways_if_allowed and allowed is True)
        push = (
            self.push_speed_kph is not None
            and cls not in self.timetabled
            and _access(tags, self.push_access) is not False
        )
        pushing = (
            WayRule(True, True, self._push_speed(tags, cls), penalty_s=penalty) if push else None
        )
        usable = ride or cls in self.highways_if_allowed or cls in self.push_highways
        if usable and dismount:
            return pushing  # bicycle=dismount: walking beside the bike both ways, or not at all
        if not ride:
            return pushing if cls in self.push_highways else None
        fwd, bwd = _oneway(tags, self.oneway)
        fwd, bwd = fwd and af is not False, bwd and ab is not False
        if not (fwd or bwd):
            return None
        if cls in self.timetabled:
            speed = self.speeds_kph.get(cls, self.speed_kph)
            duration = parse_duration(tags.get("duration"))
            return WayRule(fwd, bwd, speed, duration_s=duration, penalty_s=penalty)
        speed = self._speed(tags, cls)
        if push and self.push_oneway and fwd != bwd and not _implied_oneway(tags, cls):
            walking = self._push_speed(tags, cls)
            if fwd:  # against the one-way: pushing on foot
                return WayRule(True, True, speed, speed_backward_kph=walking, penalty_s=penalty)
            return WayRule(True, True, walking, speed_backward_kph=speed, penalty_s=penalty)
        return WayRule(fwd, bwd, speed, penalty_s=penalty)

    def _speed(self, tags: dict[str, str], cls: str) -> float:
        speed = parse_maxspeed(tags.get("maxspeed")) if self.maxspeed else None
        speed = self._capped(tags, speed or self.speeds_kph.get(cls, self.speed_kph))
        if self.max_speed_kph is not None:
            speed = min(speed, self.max_speed_kph)
        return speed * self.speed_factor

    def _push_speed(self, tags: dict[str, str], cls: str) -> float:
        """Return the speed walking beside the bike: the class's push speed, capped by the tags."""
        return self._capped(tags, self.push_speeds_kph.get(cls, self.push_speed_kph or 0.0))

    def _capped(self, tags: dict[str, str], speed: float) -> float:
        """Apply ``tag_max_speeds_kph``: the lowest cap of any tag value the way has."""
        for key, caps in self.tag_max_speeds_kph.items():
            value = tags.get(key)
            if value is not None and value in caps:
                speed = min(speed, caps[value])
        return speed

    def as_dict(self) -> dict[str, Any]:
        """Return the record as plain JSON-able data (the manifest and the API show it)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = sorted(v) if isinstance(v, frozenset) else v
        for key in ("access", "exclude", "push_access", "push_if", "restrictions",
                    "restriction_except", "barrier_exempt"):  # fmt: skip
            out[key] = list(getattr(self, key))
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

    @property
    def defaults(self) -> list[str]:
        """The profiles a build makes without ``--profiles`` (``default = true``)."""
        return [n for n, p in self.profiles.items() if p.default]

    def select(self, names: tuple[str, ...] | list[str] | None) -> tuple[Profile, ...]:
        """Return the profiles called ``names`` (every default profile when None), checked."""
        if names is None:
            return tuple(self.profiles[n] for n in self.defaults)
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
    raw = dict(_read_specs(DEFAULT_PROFILES_FILE))
    path = Path(extra)
    for name, spec in _read_specs(path).items():
        base = spec.get("base")
        if base is not None and (base not in raw or base == name):
            others = ", ".join(n for n in raw if n != name)
            msg = f"{path}: profile {name!r} has base {base!r}, expected one of {others}"
            raise InputFileError(msg)
        # a table named like a profile changes that profile's keys (its base is kept)
        raw[name] = spec if base is not None or name not in raw else _merge(raw[name], spec)
    profiles = {n: _make_profile(n, s, path) for n, s in _resolve(raw, path).items()}
    return ProfileSet(profiles=profiles, sources=(DEFAULT_PROFILES_FILE, path))


def _resolve(raw: dict[str, dict[str, Any]], path: Path) -> dict[str, dict[str, Any]]:
    """Apply every ``base``: a profile is its base's keys with its own over them.

    Bases are resolved at the end, so a change to ``car`` in a user file also reaches
    ``cbs`` (whose base is ``car``).
    """
    done: dict[str, dict[str, Any]] = {}

    def resolve(name: str, seen: tuple[str, ...]) -> dict[str, Any]:
        if name not in done:
            spec = raw[name]
            base = spec.get("base")
            if base is None:
                done[name] = spec
            elif base not in raw or base in seen:
                msg = f"{path}: profile {name!r} has base {base!r}, expected one of "
                msg += ", ".join(n for n in raw if n not in (*seen, name))
                raise InputFileError(msg)
            else:
                done[name] = _merge(resolve(base, (*seen, name)), spec)
        return done[name]

    return {n: resolve(n, ()) for n in raw}


def _merge(base: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` over ``base``; the tables of speeds and penalties merged key by key."""
    out = {**base, **spec}
    for key in _TABLES:
        if key in base and key in spec:
            out[key] = {**base[key], **spec[key]}
    if "tag_max_speeds_kph" in base and "tag_max_speeds_kph" in spec:
        b, s = base["tag_max_speeds_kph"], spec["tag_max_speeds_kph"]
        out["tag_max_speeds_kph"] = {k: {**b.get(k, {}), **s.get(k, {})} for k in {**b, **s}}
    return out


@cache
def _bundled() -> ProfileSet:
    specs = _resolve(_read_specs(DEFAULT_PROFILES_FILE), DEFAULT_PROFILES_FILE)
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
_LISTS = (
    "highways", "highways_if_allowed", "access", "exclude", "timetabled", "push_highways",
    "push_access", "push_if", "restrictions", "restriction_except", "access_no", "barriers_block",
    "barriers_pass", "barrier_exempt",
)  # fmt: skip
_RULES = ("exclude", "push_if", "barrier_exempt")
_SPEEDS = ("speed_kph", "max_speed_kph", "speed_factor", "push_speed_kph")
_TABLES = ("speeds_kph", "push_speeds_kph", "penalties_s")  # class = number
_BOOLS = ("areas", "maxspeed", "push_oneway", "default")


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
    for key in _RULES:
        if not all(isinstance(r, dict) and r and _valid_rule(r) for r in spec.get(key, [])):
            msg = (
                f'{where}: {key} must be a list of tables such as {{ service = "parking" }} '
                '(a value, a list of values, "*" or { not = [values] })'
            )
            raise InputFileError(msg)
    for key in _BOOLS:
        if key in spec and not isinstance(spec[key], bool):
            msg = f"{where}: {key} must be true or false, got {spec[key]!r}"
            raise InputFileError(msg)
    tables = {k: spec[k] for k in _TABLES if k in spec}
    caps = spec.get("tag_max_speeds_kph", {})
    if not isinstance(caps, dict) or not all(isinstance(t, dict) for t in caps.values()):
        msg = f"{where}: tag_max_speeds_kph must be tables of value = km/h per tag key"
        raise InputFileError(msg)
    tables |= {f"tag_max_speeds_kph.{k}": t for k, t in caps.items()}
    for key, table in tables.items():
        if not isinstance(table, dict):
            msg = f"{where}: {key} must be a table of class = number"
            raise InputFileError(msg)
    if "oneway" in spec and spec["oneway"] not in ONEWAY_MODES:
        msg = f"{where}: oneway must be one of {', '.join(ONEWAY_MODES)}, got {spec['oneway']!r}"
        raise InputFileError(msg)
    if "u_turns" in spec and spec["u_turns"] not in U_TURN_MODES:
        msg = f"{where}: u_turns must be one of {', '.join(U_TURN_MODES)}, got {spec['u_turns']!r}"
        raise InputFileError(msg)
    speeds = {k: spec[k] for k in _SPEEDS if k in spec}
    for key, table in tables.items():
        speeds |= {f"{key}.{k}": v for k, v in table.items()}
    for key, v in speeds.items():
        low = 0 if key.startswith("penalties_s.") else None  # a penalty may be 0
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or not (v >= 0 if low == 0 else v > 0)
            or v == float("inf")
        ):
            msg = f"{where}: {key} must be a number {'>= 0' if low == 0 else '> 0'}, got {v!r}"
            raise InputFileError(msg)


def _valid_rule(rule: dict[str, Any]) -> bool:
    """Tell whether every value of an exclude / push_if table is a form we understand."""

    def values(v: object) -> bool:
        return isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))

    return all(
        values(v) or (isinstance(v, dict) and set(v) == {"not"} and values(v["not"]))
        for v in rule.values()
    )


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
    push_highways = frozenset(spec.get("push_highways", []))
    push_speed = spec.get("push_speed_kph")
    if push_speed is None and (push_highways or spec.get("push_if") or spec.get("push_oneway")):
        msg = f"{path}: profile {name!r} pushes (push_highways, push_if, push_oneway) "
        msg += "but has no push_speed_kph"
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
        tag_max_speeds_kph={
            k: {v: float(x) for v, x in t.items()}
            for k, t in spec.get("tag_max_speeds_kph", {}).items()
        },
        timetabled=frozenset(spec.get("timetabled", [])),
        penalties_s={k: float(v) for k, v in spec.get("penalties_s", {}).items()},
        push_speed_kph=None if push_speed is None else float(push_speed),
        push_speeds_kph={k: float(v) for k, v in spec.get("push_speeds_kph", {}).items()},
        push_highways=push_highways,
        push_access=tuple(spec.get("push_access", ["foot", "access"])),
        push_oneway=bool(spec.get("push_oneway", False)),
        push_if=tuple(spec.get("push_if", [])),
        default=bool(spec.get("default", True)),
        restrictions=tuple(spec.get("restrictions", [])),
        restriction_except=tuple(spec.get("restriction_except", [])),
        u_turns=spec.get("u_turns", "anywhere"),
        access_no=frozenset(spec.get("access_no", [])),
        barriers_block=frozenset(spec.get("barriers_block", [])),
        barriers_pass=frozenset(spec.get("barriers_pass", [])),
        barrier_exempt=tuple(spec.get("barrier_exempt", [])),
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


def way_class(tags: dict[str, str]) -> str | None:
    """Return the class a profile lists a way under, or None for no routable way.

    ``"ferry"`` for ``route=ferry``; else the ``highway=*`` value; else ``"platform"`` for
    ``railway=platform`` or ``public_transport=platform`` (``highway=platform`` is that class
    by its value).
    """
    if tags.get("route") == "ferry":
        return FERRY_CLASS
    hw = tags.get("highway")
    if hw is not None:
        return hw
    if PLATFORM_CLASS in (tags.get("railway"), tags.get("public_transport")):
        return PLATFORM_CLASS
    return None


def parse_duration(value: str | None) -> float | None:
    """Parse an OSM ``duration`` tag to seconds (None when absent or unusable).

    ``"HH:MM"``, ``"HH:MM:SS"``, minutes as a number (``"30"``, ``"7.5"``) or ISO 8601
    (``"PT1H30M"``).
    """
    if not value:
        return None
    s = value.strip()
    m = re.fullmatch(r"(\d+):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?", s)
    if m:
        seconds = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3) or 0)
    elif re.fullmatch(r"\d+(?:\.\d+)?", s):
        seconds = float(s) * 60
    elif m := re.fullmatch(
        r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?", s.upper()
    ):
        h, mi, sec = (float(g or 0) for g in m.groups())
        seconds = h * 3600 + mi * 60 + sec
    else:
        return None
    return seconds if seconds > 0 else None


def _excluded(tags: dict[str, str], rule: dict[str, Any]) -> bool:
    """Tell whether ``tags`` match every key of ``rule``.

    A key matches its value, one of a list, any value ("*"), or, for ``{ not = [...] }``,
    no value or none of those.
    """
    for key, wanted in rule.items():
        value = tags.get(key)
        if isinstance(wanted, dict):
            unwanted = wanted["not"]
            if value in (unwanted if isinstance(unwanted, list) else [unwanted]):
                return False
            continue
        if value is None:
            return False
        if wanted != "*" and value not in (wanted if isinstance(wanted, list) else [wanted]):
            return False
    return True


def _implied_oneway(tags: dict[str, str], cls: str) -> bool:
    """Tell whether the way is one-way by its kind: a roundabout or a motorway."""
    return tags.get("junction") in IMPLIED_ONEWAY_JUNCTIONS or cls in IMPLIED_ONEWAY_HIGHWAYS


def _directional(keys: tuple[str, ...], direction: str) -> tuple[str, ...]:
    """Access keys for one direction: ``vehicle:backward`` before ``vehicle``, each key."""
    return tuple(k for key in keys for k in (f"{key}:{direction}", key))


def _access(
    tags: dict[str, str], keys: tuple[str, ...], no: frozenset[str] = frozenset()
) -> bool | None:
    """Most specific access tag wins: True (allowed), False (forbidden), None (untagged).

    ``no``: values that forbid this mode besides :data:`NO_VALUES` (``access=psv`` stops a
    car: only buses and taxis may use the road).
    """
    for k in keys:
        v = tags.get(k)
        if v is None:
            continue
        v = v.split(";")[0].strip().lower()
        if v in NO_VALUES or v in no:
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
    return (True, not _implied_oneway(tags, tags.get("highway", "")))
