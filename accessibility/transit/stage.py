"""The public transport stage of ``bereik build --gtfs``: read, route, tabulate, write."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from accessibility.defaults import DEFAULT_NO_CAR_MINUTES
from accessibility.errors import TransitFeedError
from accessibility.facilities import CategoryRules
from accessibility.layout import BuildLayout
from accessibility.network import Network
from accessibility.params import BuildParams
from accessibility.transit.feed import DAY_S, Timetable, read_feeds
from accessibility.transit.figures import (
    PROFILE,
    long_rows,
    no_car_municipalities,
    no_car_table,
    transit_table,
    zonder_auto_wide,
)
from accessibility.transit.model import TransitModel, TransitSettings
from accessibility.transit.persons import persons_table
from accessibility.writer import write_csv

#: a build keeps the connections of its day up to this time (seconds; 06:00 the next day)
DAY_END_S = DAY_S + 6 * 3600


@dataclass(eq=False)
class TransitOutputs:
    """What the transit stage adds to a build."""

    timetable: Timetable
    table: pd.DataFrame  # village x category: transit times + no-car measures
    long: pd.DataFrame  # rows of the long indicators table, profile "transit"
    municipalities: pd.DataFrame
    wide: pd.DataFrame
    manifest: dict[str, Any]
    persons: pd.DataFrame | None = None

    def write(self, lay: BuildLayout) -> None:
        """Write the timetable, the tables and the Dutch wide table."""
        self.timetable.save(lay.timetable)
        write_csv(self.table, lay.transit)
        if self.persons is not None:
            write_csv(self.persons, lay.transit_persons)
        write_csv(self.municipalities, lay.transit_municipalities)
        write_csv(self.wide, lay.zonder_auto)


def settings_for(params: BuildParams) -> TransitSettings:
    """Return the transit settings of a build (the window from ``--window-min``)."""
    return TransitSettings(window_min=float(params.window_min))


def run_transit(
    params: BuildParams,
    walk: Network,
    villages: pd.DataFrame,
    facilities: pd.DataFrame,
    rules: CategoryRules,
    indicators: pd.DataFrame,
    *,
    figures=None,
) -> TransitOutputs:
    """Read the feeds for the departure day, route every village, add the no-car measures.

    With ``figures`` (the build's origins): also every origin, aggregated over persons.
    """
    settings = settings_for(params)
    start = params.transit_start_s
    # the whole service day (and its night past 24:00): isochrones ask any time of it
    end = max(int(start + settings.scan_seconds), DAY_END_S)
    tt = read_feeds(params.gtfs, params.departure_time.date(), start_s=0, end_s=end)
    model = TransitModel.build(tt, walk, settings)
    check_stops_on_network(model)
    if model.stops_off_network:
        warnings.warn(f"{model.stops_off_network:,} of {tt.n_stops:,} public transport stops "
                      "lie outside the walk network of the extract (farther than 500 m from a "
                      "footway); they are left out", stacklevel=2)  # fmt: skip
    table = transit_table(model, villages, facilities, rules, start_s=start)
    long = long_rows(table, params.radii_km)
    both = pd.concat([indicators, long], ignore_index=True)
    nocar = no_car_table(both)
    merged = table.merge(nocar.drop(columns=["village_name", "municipality", "population"]),
                         on=["village_id", "category"], how="left")  # fmt: skip
    mun = no_car_municipalities(merged)
    mun.insert(2, "profile", PROFILE)
    wide = zonder_auto_wide(nocar, table)
    persons = None
    manifest = _manifest(params, model, table)
    if figures is not None:
        persons = persons_table(figures, model, facilities, rules, start_s=start)
        manifest["persons"] = {"origins": len(figures.assigned),
                               "table": BuildLayout(".").transit_persons.name}  # fmt: skip
    return TransitOutputs(tt, merged, long, _municipality_rows(mun, merged), wide, manifest,
                          persons)  # fmt: skip


def check_stops_on_network(model: TransitModel) -> None:
    """Refuse a feed none of whose stops lies on the extract's walk network (another region).

    Some stops outside the extract are normal (a feed covers more than the extract): they are
    counted and left out.
    """
    n = model.timetable.n_stops
    if n and model.stops_off_network == n:
        msg = (f"none of the {n:,} stops of the GTFS feed(s) lies within 500 m of the walk "
               "network of the extract: a feed of another region, or another extract?")  # fmt: skip
        raise TransitFeedError(msg)


def _municipality_rows(mun: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Add the population-weighted mean of the medians, as the road profiles' rows have."""
    df = table.copy()
    df["municipality"] = df["municipality"].fillna("(outside municipalities)")
    means, unreachable = [], []
    for (_m, _c), g in df.groupby(["municipality", "category"], sort=True):
        t = g["travel_time_median_s"].to_numpy(float)
        pop = g["population"].to_numpy(float)
        w = np.where(np.isfinite(pop) & (pop > 0), pop, 0.0)
        if w.sum() == 0:
            w = np.ones(len(g))
        ok = np.isfinite(t) & (w > 0)
        means.append(float(np.average(t[ok], weights=w[ok])) if ok.any() else np.nan)
        unreachable.append(int((~np.isfinite(t)).sum()))
    out = mun.copy()
    out.insert(6, "mean_travel_time_s", means)
    out.insert(7, "villages_unreachable", unreachable)
    return out


def _manifest(params: BuildParams, model: TransitModel, table: pd.DataFrame) -> dict[str, Any]:
    tt = model.timetable
    reasons = table["reason"].fillna("ok").value_counts().to_dict()
    return {
        "feeds": list(tt.feeds),
        "date": tt.date.isoformat(),
        "departure": params.departure_time.isoformat(timespec="minutes"),
        "settings": model.settings.as_dict(),
        "no_car_minutes": list(DEFAULT_NO_CAR_MINUTES),
        "counts": {
            "stops": tt.n_stops,
            "stops_outside_extract": model.stops_off_network,
            "connections": tt.n_connections,
            "trips": len(tt.trips),
            "routes": int(tt.trips["route"].nunique()),
            "footpaths": len(model.footpaths.target),
        },
        "warnings": dict(tt.warnings),
        "reasons": {str(k): int(v) for k, v in reasons.items()},
        "engine": "bereik connection scan (accessibility.transit.csa)",
    }
