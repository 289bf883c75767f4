"""What-if scenarios (a facility closes or opens) and comparisons of two builds.

The province's question is whether proximity "at least stayed the same" for every village:
both functions return, per village x category x profile, the value before and after, the
change, and whether the village got worse. Scenarios reuse the build's loaded networks and
stored values, and recompute only the villages and addresses a change can reach, by searches
on the part of the network around them (:mod:`accessibility.scenario_local`; exact, the full
recompute of the touched categories stays as ``method="full"``), so they are interactive at
any network size. Where the build has origins, :func:`what_if` also counts persons: who gets
worse, who loses access, who falls beyond a ring ("1,240 residents lose their GP within
5 km"), every address valued before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessibility.defaults import TRANSIT_PROFILE
from accessibility.errors import (
    InputFileError,
    PointOutsideNetworkError,
    UnknownFacilityError,
)
from accessibility.facilities import FACILITY_COLUMNS, Category, CategoryRules
from accessibility.indicators import village_indicators
from accessibility.model import Build
from accessibility.residents import as_long_table
from accessibility.scenario_local import after_table, opened_reports

KEY = ["village_id", "category", "profile"]
#: a change smaller than this (metres) is rounding, not a change
TOLERANCE_M = 0.5
#: by public transport a change is a change of the window's median by more than this (s)
TOLERANCE_S = 0.5


@dataclass(frozen=True)
class NewFacility:
    """A facility that opens in a scenario (WGS84)."""

    category: str
    lon: float
    lat: float
    name: str = ""
    facility_id: str = ""


def _changes(before: pd.DataFrame, after: pd.DataFrame, *, by: str = "distance_m") -> pd.DataFrame:
    """Join two long indicator tables and compute the change per row.

    ``by``: the figure whose change is the status (``travel_time_s`` by public transport,
    which has no distance).
    """
    cols = ["distance_m", "travel_time_s", "nearest_by_distance_id", "reason"]
    m = before[["village_id", "village_name", "municipality", "population", "category",
                "profile", *cols]].merge(
        after[[*KEY, *cols]], on=KEY, how="outer", suffixes=("_before", "_after")
    )  # fmt: skip
    for c in ("distance_m", "travel_time_s"):
        m[f"{c}_change"] = m[f"{c}_after"] - m[f"{c}_before"]
    db = m[f"{by}_before"].to_numpy(dtype=float)
    da = m[f"{by}_after"].to_numpy(dtype=float)
    tol = TOLERANCE_M if by == "distance_m" else TOLERANCE_S
    lost = np.isfinite(db) & ~np.isfinite(da)
    gained = ~np.isfinite(db) & np.isfinite(da)
    with np.errstate(invalid="ignore"):
        worse = lost | (np.isfinite(db) & np.isfinite(da) & (da - db > tol))
        better = gained | (np.isfinite(db) & np.isfinite(da) & (db - da > tol))
    m["status"] = np.select(
        [lost, gained, worse, better], ["lost", "gained", "worse", "better"], default="same"
    )
    return m.sort_values(KEY, kind="stable").reset_index(drop=True)


def _rules_for(build: Build, categories: Sequence[str]) -> CategoryRules:
    known = build.manifest.get("categories", {})
    cats = {}
    for c in categories:
        build.check_category(c)
        cats[c] = Category(name=c, label=known[c].get("label", c))
    return CategoryRules(categories=cats)


@dataclass(frozen=True, eq=False)
class ScenarioResult:
    """Per village before/after (:func:`run_scenario`'s table) and, with origins, persons.

    ``persons``: per category and profile, the weight (persons; dwellings for the
    ``addresses`` method) that got ``worse``, ``better``, ``lost`` or ``gained`` access,
    and per ring the weight newly beyond (``newly_beyond_<r>km``) or within it.
    """

    changes: pd.DataFrame
    persons: pd.DataFrame | None


class _Collect:
    """An OriginSink that keeps every origin's distance per category and profile."""

    def __init__(self, origins) -> None:
        self.lon = origins.geometry.x.to_numpy(dtype=float)
        self.lat = origins.geometry.y.to_numpy(dtype=float)
        self.distance: dict[tuple[str, str], np.ndarray] = {}

    def add(self, values) -> None:
        self.distance[(values.category, values.profile)] = values.distance_m


def run_scenario(
    build: Build,
    *,
    close: Sequence[str] = (),
    open_: Sequence[NewFacility] = (),
    profiles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compute indicators before and after closing and/or opening facilities.

    Parameters
    ----------
    build
        A loaded build (its networks and tables are reused, never modified).
    close
        Facility ids to close (``node/123``, ``huisartsen:A1``); all categories of that id.
    open_
        Facilities to open.
    profiles
        Profiles to recompute (default: all of the build).

    Returns
    -------
    pd.DataFrame
        Per village x affected category x profile: ``distance_m_before/after/change``,
        ``travel_time_s_before/after/change``, ``nearest_by_distance_id_before/after``,
        ``reason_before/after`` and ``status`` (``same``, ``better``, ``worse``, ``lost``:
        no longer reachable, ``gained``).

    Raises
    ------
    UnknownCategoryError, InputFileError
        Unknown facility id or category, nothing to change.
    """
    return what_if(build, close=close, open_=open_, profiles=profiles, persons=False).changes


def what_if(
    build: Build,
    *,
    close: Sequence[str] = (),
    open_: Sequence[NewFacility] = (),
    profiles: Sequence[str] | None = None,
    persons: bool = True,
    method: str = "local",
) -> ScenarioResult:
    """Run a scenario: the villages' changes and, where the build has origins, the persons'.

    Parameters and errors as :func:`run_scenario`; ``persons=False`` skips the origins.
    ``method``: ``local`` (default) recomputes only what the change can reach, from the
    build's stored values (:mod:`accessibility.scenario_local`); ``full`` recomputes the
    affected categories from scratch over the whole network (the oracle: the same results,
    but for which facility is named nearest on exact ties).
    """
    if method not in ("local", "full"):
        msg = f"method must be 'local' or 'full', got {method!r}"
        raise ValueError(msg)
    fac = pd.DataFrame(build.facilities[FACILITY_COLUMNS])
    close = list(dict.fromkeys(close))
    unknown = [f for f in close if f not in set(fac["facility_id"])]
    if unknown:
        msg = f"unknown facility id(s) {', '.join(map(repr, unknown))}; see /facilities"
        raise UnknownFacilityError(msg)
    if not close and not open_:
        msg = "nothing to change: give facilities to close and/or to open"
        raise InputFileError(msg)
    affected = list(dict.fromkeys(
        [*fac.loc[fac["facility_id"].isin(close), "category"], *(o.category for o in open_)]
    ))  # fmt: skip
    rules = _rules_for(build, affected)
    new_rows = pd.DataFrame(
        [(o.facility_id or f"scenario:{i + 1}", o.category, o.name or None, "scenario",
          float(o.lon), float(o.lat)) for i, o in enumerate(open_)],
        columns=FACILITY_COLUMNS,
    )  # fmt: skip
    profs = list(profiles) if profiles is not None else build.profiles
    if TRANSIT_PROFILE in profs:  # by public transport: the window's medians, recomputed
        roads = [p for p in profs if p != TRANSIT_PROFILE]
        res = what_if(build, close=close, open_=open_, profiles=roads, persons=persons,
                      method=method) if roads else None  # fmt: skip
        t = _transit_changes(build, affected, fac, close, new_rows)
        changes = t if res is None else pd.concat([res.changes, t], ignore_index=True)
        return ScenarioResult(changes, None if res is None else res.persons)
    params = build.manifest["parameters"]
    radii = tuple(params["radii_km"])
    max_snap = float(params["max_snap_m"])
    ind = build.indicators
    before = ind[ind["category"].isin(affected) & ind["profile"].isin(profs)]
    with_persons = persons and build.origins is not None
    table = None
    if method == "local":
        _check_opened_on_network(new_rows, opened_reports(build, new_rows, profs, max_snap),
                                 max_snap)  # fmt: skip
        res = after_table(build, affected, close, new_rows, profs, persons=with_persons)
        if with_persons:
            table = _persons_changes(res.origins_before, res.origins_after, build.origins,
                                     radii)  # fmt: skip
        return ScenarioResult(_changes(before, res.after), table)
    after_fac = pd.concat([fac[~fac["facility_id"].isin(close)], new_rows], ignore_index=True)
    after_fac = after_fac[after_fac["category"].isin(affected)].reset_index(drop=True)
    nets = {p: build.network(p) for p in profs}
    villages = pd.DataFrame(build.villages.drop(columns="geometry"))
    sinks = (_Collect(build.origins), _Collect(build.origins)) if with_persons else (None, None)
    after, _, reports = village_indicators(nets, villages, after_fac, rules, radii_km=radii,
                                           max_snap_m=max_snap, origins=sinks[1])  # fmt: skip
    _check_opened_on_network(after_fac, reports, max_snap)
    if sinks[0] is not None:
        before_fac = fac[fac["category"].isin(affected)].reset_index(drop=True)
        village_indicators(nets, villages, before_fac, rules, radii_km=radii,
                           max_snap_m=max_snap, origins=sinks[0])  # fmt: skip
        table = _persons_changes(sinks[0].distance, sinks[1].distance, build.origins, radii)
    return ScenarioResult(_changes(before, after), table)


def _transit_changes(build: Build, affected, fac, close, new_rows) -> pd.DataFrame:
    """Return the transit figures of the affected categories with the facilities changed."""
    from accessibility.transit.figures import long_rows, transit_table

    model = build.transit_router().model
    villages = pd.DataFrame(build.villages.drop(columns="geometry"))
    after_fac = pd.concat([fac[~fac["facility_id"].isin(close)], new_rows], ignore_index=True)
    start = dt.datetime.fromisoformat(build.manifest["transit"]["departure"])
    start_s = start.hour * 3600 + start.minute * 60
    radii = tuple(build.manifest["parameters"]["radii_km"])
    rules = _rules_for(build, affected)
    table = transit_table(model, villages, after_fac[after_fac["category"].isin(affected)],
                          rules, start_s=start_s)  # fmt: skip
    ind = build.indicators
    before = ind[ind["category"].isin(affected) & (ind["profile"] == TRANSIT_PROFILE)]
    return _changes(before, long_rows(table, radii), by="travel_time_s")


def _persons_changes(before: dict[tuple[str, str], np.ndarray],
                     after: dict[tuple[str, str], np.ndarray], origins,
                     radii_km) -> pd.DataFrame:  # fmt: skip
    """Per category and profile: the weight that got worse, better, lost or gained access.

    ``before``, ``after``: every origin's distance per ``(category, profile)`` (NaN: none).
    """
    w = origins["weight"].to_numpy(dtype=float)
    method = "+".join(sorted(map(str, pd.unique(origins["method"].astype(str)))))
    rows = []
    for (cat, prof), d0 in before.items():
        d1 = after[(cat, prof)]
        f0, f1 = np.isfinite(d0), np.isfinite(d1)
        with np.errstate(invalid="ignore"):
            lost, gained = f0 & ~f1, ~f0 & f1
            worse = lost | (f0 & f1 & (d1 - d0 > TOLERANCE_M))
            better = gained | (f0 & f1 & (d0 - d1 > TOLERANCE_M))
            row = {"category": cat, "profile": prof, "method": method, "weight": w.sum(),
                   "weight_worse": w[worse].sum(), "weight_better": w[better].sum(),
                   "weight_lost": w[lost].sum(), "weight_gained": w[gained].sum()}  # fmt: skip
            for r in radii_km:
                within0, within1 = f0 & (d0 <= r * 1000.0), f1 & (d1 <= r * 1000.0)
                row[f"newly_beyond_{r:g}km"] = w[within0 & ~within1].sum()
                row[f"newly_within_{r:g}km"] = w[~within0 & within1].sum()
        rows.append(row)
    return pd.DataFrame(rows)


def _check_opened_on_network(facilities: pd.DataFrame, reports, max_snap_m: float) -> None:
    """Raise when an opened facility is off the roads of a recomputed profile."""
    opened = (facilities["source"] == "scenario").to_numpy()
    for r in reports:
        off = opened & ~r.facility_ok
        if off.any():
            row = facilities[off].iloc[0]
            msg = (
                f"new facility {row['facility_id']!r} at ({row['lon']}, {row['lat']}) is farther "
                f"than {max_snap_m:g} m from any road of the {r.profile} network; place it "
                "on a road"
            )
            raise PointOutsideNetworkError(msg)


def compare_builds(old: Build, new: Build, *, method: str | None = None) -> pd.DataFrame:
    """Per village x category x profile in both builds: the change from ``old`` to ``new``.

    Villages are matched by id, so compare builds made with the same villages file (or of
    the same OSM places). Rows present in one build only have a null other side.
    ``method``: ``persons`` (the default when both builds have origins) compares the means
    over persons, buitengebied included, and counts persons (a village without any origin
    keeps its point's figure, as the API serves it); ``place_point`` the villages' points.
    """
    both = old.has_persons and new.has_persons
    method = method or ("persons" if both else "place_point")
    if method == "place_point":
        return _changes(old.indicators, new.indicators)
    for b in (old, new):
        b.pick_method(method)  # one message for a build without origins
    return _changes(as_long_table(old.persons_villages, old.indicators),
                    as_long_table(new.persons_villages, new.indicators))  # fmt: skip


def change_summary(changes: pd.DataFrame, *, profile: str = "car") -> pd.DataFrame:
    """Per category: villages and population that got worse, better, lost or gained access.

    This answers the province's test, "proximity at least stayed the same", per category.
    """
    sub = changes[changes["profile"] == profile]
    rows = []
    for cat, g in sub.groupby("category", sort=False):
        pop = g["population"].fillna(0.0)
        row = {"category": cat, "profile": profile, "villages": len(g)}
        for st in ("worse", "lost", "better", "gained", "same"):
            mask = g["status"] == st
            row[f"villages_{st}"] = int(mask.sum())
            row[f"population_{st}"] = float(pop[mask].sum())
        ch = g["distance_m_change"].to_numpy(dtype=float)
        row["max_increase_m"] = float(np.nanmax(ch)) if np.isfinite(ch).any() else np.nan
        row["stayed_the_same_or_better"] = row["villages_worse"] + row["villages_lost"] == 0
        rows.append(row)
    return pd.DataFrame(rows)
