"""Public transport of a build (``bereik build --gtfs``): feed, stops, routes and what-if."""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from accessibility.defaults import TRANSIT_PROFILE
from accessibility.transit.whatif import NewLine, TransitChange, compare_change
from app.deps import BuildDep
from app.errors import error_responses
from app.geojson import feature_collection_text, geojson_response
from app.geojson import records as json_records
from app.state import ServedBuild

router = APIRouter(prefix="/transit", tags=["public transport"])

#: most lines one what-if may add, and stops per added line
MAX_LINES = 5
MAX_LINE_STOPS = 100


def _router(sb: ServedBuild):
    sb.build.pick_indicator_profile(TRANSIT_PROFILE)  # a 422 saying how, without a feed
    return sb.build.transit_router()


@router.get("", operation_id="get_transit", summary="The build's public transport",
            responses=error_responses(404, 422, 503))  # fmt: skip
def get_transit(sb: BuildDep) -> dict[str, Any]:
    """Return the feeds, service day, departure window, settings, counts and warnings.

    ``counts.stops_outside_extract`` are stops farther than 500 m from the walk network:
    left out, not an error.
    """
    sb.build.pick_indicator_profile(TRANSIT_PROFILE)
    return sb.build.manifest["transit"]


@router.get("/stops", operation_id="get_transit_stops", summary="Stops of the timetable",
            responses=error_responses(404, 422, 503))  # fmt: skip
def get_stops(sb: BuildDep) -> Response:
    """Every stop with coordinates: id, name, feed, and whether it lies on the walk network."""
    m = _router(sb).model
    s = m.timetable.stops
    gdf = gpd.GeoDataFrame(s[["stop_id", "stop_name", "feed"]].assign(
        on_walk_network=m.stop_snap.ok), geometry=gpd.points_from_xy(s["lon"], s["lat"]),
        crs="EPSG:4326")  # fmt: skip
    return geojson_response(feature_collection_text(gdf, id_column="stop_id"))


@router.get("/routes", operation_id="get_transit_routes", summary="Routes and their trips",
            responses=error_responses(404, 422, 503))  # fmt: skip
def get_routes(sb: BuildDep) -> list[dict[str, Any]]:
    """Routes of the timetable with the number of trips on the build's day."""
    tt = _router(sb).model.timetable
    trips = np.bincount(tt.trips["route"].to_numpy(), minlength=len(tt.routes))
    r = tt.routes.assign(trips=trips)
    return json_records(r[["route_id", "route_short_name", "route_long_name", "route_type",
                           "feed", "trips"]])  # fmt: skip


class LineSpec(BaseModel):
    """A simple SYNTHETIC line along stops (ids) or points ([lon, lat]), with a headway."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field("new line", min_length=1, max_length=50)
    stops: list[str | tuple[float, float]] = Field(min_length=2, max_length=MAX_LINE_STOPS)
    headway_min: float = Field(gt=0, le=1440, description="Minutes between departures")
    first: dt.time = Field(dt.time(6, 0), description="First departure (local time)")
    last: dt.time = Field(dt.time(20, 0), description="Last departure (local time)")
    speed_kph: float = Field(30.0, gt=0, le=200, description="Speed, stops included")
    both_ways: bool = True


class TransitScenarioRequest(BaseModel):
    """Routes or stops taken out, lines added; the villages' figures of one category."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"category": "school", "remove_routes": ["RNV 24"],
                                         "threshold_min": 45}]},
    )  # fmt: skip
    category: str = Field(description="Facility category (GET /builds lists them)")
    remove_routes: list[str] = Field(
        default_factory=list, max_length=100,
        description="Route ids or short names (GET /transit/routes)")  # fmt: skip
    remove_stops: list[str] = Field(default_factory=list, max_length=1000,
                                    description="Stop ids (GET /transit/stops)")  # fmt: skip
    add_lines: list[LineSpec] = Field(default_factory=list, max_length=MAX_LINES)
    threshold_min: float | None = Field(
        None, gt=0, le=600, description="Also say who crosses this many minutes")  # fmt: skip


@router.post("/scenarios", operation_id="post_transit_scenario",
             summary="What if a route or stop goes, or a line is added",
             responses=error_responses(400, 404, 422, 503))  # fmt: skip
def post_scenario(sb: BuildDep, body: TransitScenarioRequest) -> Response:
    """Every village's median travel time by public transport before and after the change.

    ``effect`` is ``loses``, ``gains`` or ``same``; ``lost_service``/``new_service`` where no
    trip within the limits remains or appears; with ``threshold_min``, ``falls_beyond`` and
    ``comes_within``. An added line is SYNTHETIC (``synthetic: true`` in the answer).
    """
    b = sb.build
    cat = b.check_category(body.category)
    model = _router(sb).model
    change = TransitChange(
        remove_routes=tuple(body.remove_routes), remove_stops=tuple(body.remove_stops),
        add_lines=tuple(NewLine(stops=tuple(ln.stops), headway_min=ln.headway_min,
                                first=ln.first, last=ln.last, speed_kph=ln.speed_kph,
                                name=ln.name, both_ways=ln.both_ways)
                        for ln in body.add_lines),
    )  # fmt: skip
    fac = b.facilities[b.facilities["category"] == cat]
    villages = b.villages.assign(lon=b.villages.geometry.x, lat=b.villages.geometry.y)
    start = b.manifest["transit"]["departure"]
    start_s = dt.datetime.fromisoformat(start).hour * 3600 + dt.datetime.fromisoformat(
        start).minute * 60  # fmt: skip
    ind = b.indicators
    stored = ind[(ind["profile"] == TRANSIT_PROFILE) & (ind["category"] == cat)]
    before = stored.set_index("village_id")["travel_time_s"].reindex(villages["village_id"])
    result = compare_change(model, change, villages, fac, start_s=start_s,
                            threshold_min=body.threshold_min,
                            before_s=before.to_numpy(dtype=float))  # fmt: skip
    t = result.table
    gdf = gpd.GeoDataFrame(t, geometry=b.villages.geometry.to_numpy(), crs="EPSG:4326")
    pop = t["population"].fillna(0)
    summary = {
        "category": cat, "profile": TRANSIT_PROFILE, "departure_window_start": start,
        "villages_losing": int((t["effect"] == "loses").sum()),
        "population_losing": float(pop[t["effect"] == "loses"].sum()),
        "villages_gaining": int((t["effect"] == "gains").sum()),
        "population_gaining": float(pop[t["effect"] == "gains"].sum()),
        "villages_losing_service": int(t["lost_service"].sum()),
        "villages_gaining_service": int(t["new_service"].sum()),
    }  # fmt: skip
    members = {"summary": summary, "synthetic": result.synthetic,
               "note": ("an added line is SYNTHETIC: straight line x 1.3 at its speed, no "
                        "real timetable") if result.synthetic else None}  # fmt: skip
    return geojson_response(feature_collection_text(gdf, id_column="village_id",
                                                    members=members))  # fmt: skip
