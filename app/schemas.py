"""Request and response models (OpenAPI documentation and request validation).

GeoJSON responses are written directly by :mod:`app.geojson`; the geojson-pydantic models
here document their shape. Properties are flat scalars; missing values are ``null``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from geojson_pydantic import Feature, FeatureCollection, LineString, MultiPolygon, Point, Polygon
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from accessibility.defaults import DEFAULT_TARGET_SHARE

#: a JSON true or false only (not 0, 1 or "yes")
StrictFlag = Annotated[bool, Strict()]

#: a travel profile of the build (GET /builds lists them; they come from its profiles file)
Profile = Annotated[str, StringConstraints(min_length=1, max_length=50)]
#: OpenAPI text of a profile parameter
PROFILE_DESCRIPTION = (
    "Travel profile of the build (GET /builds lists them, e.g. car, bike, walk; transit in "
    "builds with a GTFS feed); default: car when the build has it, else its first"
)
Direction = Literal["from", "to"]

# Body numbers are strict: a JSON number only (an int is fine), never true/false or "9.5"
# (pydantic's lax mode would read false as 0.0, a point off Africa; JSON bodies only: query
# parameters arrive as text and use plain floats)
Lon = Annotated[float, Strict(), Field(ge=-180.0, le=180.0, description="Longitude (WGS84)")]
Lat = Annotated[float, Strict(), Field(ge=-90.0, le=90.0, description="Latitude (WGS84)")]
LonLat = tuple[Lon, Lat]
PositiveMinutes = Annotated[float, Strict(), Field(gt=0, description="Minutes of travel time")]
PositiveMeters = Annotated[float, Strict(), Field(gt=0, description="Metres of network distance")]


# --- common ------------------------------------------------------------------------------------
class Link(BaseModel):
    """A link (OGC API style)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


# --- health and builds ----------------------------------------------------------------------
class CategoryInfo(BaseModel):
    """A facility category of a build."""

    id: str = Field(examples=["gp"])
    label: str = Field(examples=["GP practice (huisartsenpraktijk)"])
    label_nl: str | None = Field(
        None,
        description="Dutch label (label_nl of the categories file; the web map's default "
        "language); null when the build's categories file gives none",
        examples=["Huisartsenpraktijk"],
    )
    cbs: str | None = Field(None, description="CBS Nabijheid code (AF_<code>)", examples=["ARTSPR"])
    facilities: int = Field(description="Number of facilities of this category in the build")


class BuildInfo(BaseModel):
    """What a loaded build holds."""

    name: str = Field(examples=["demo"])
    default: bool = Field(description="Served when a request gives no build=")
    created: str | None = Field(None, examples=["2026-11-27T22:04:40+00:00"])
    osm_replication_timestamp: str | None = Field(None, examples=["2015-07-27T21:14:01Z"])
    profiles: list[str] = Field(examples=[["car", "bike", "walk"]])
    profile_labels: dict[str, str] = Field(
        default_factory=dict,
        description="Label of each profile (the build's profiles file)",
        examples=[{"car": "Car (auto)", "bike": "Bicycle (fiets)", "walk": "On foot (lopen)"}],
    )
    default_profile: str | None = Field(
        None, description="The profile requests use when they name none", examples=["car"]
    )
    default_method: Literal["persons", "place_point"] = Field(
        "place_point",
        description="persons: figures are means over every person (address) of an area, as "
        "CBS computes them (builds with origins); place_point: the village point alone",
    )
    origins: dict[str, Any] | None = Field(
        None,
        description="Where the persons are: source, number of origins, how they are weighted "
        "(methods: residents, dwellings, addresses)",
    )
    categories: list[CategoryInfo]
    villages: int
    municipalities: int
    bbox: list[float] | None = Field(None, description="minlon, minlat, maxlon, maxlat")
    synthetic_coverage: bool = Field(
        False, description="True when the broadband coverage is a SYNTHETIC sample, not data"
    )
    broadband: dict[str, Any] | None = Field(
        None, description="Broadband summary of the build (thresholds, white villages...)"
    )
    transit: dict[str, Any] | None = Field(
        None,
        description="Public transport (builds with --gtfs): feeds, date, departure window "
        "start, window_min; the indicators then also take profile=transit",
    )
    matrix_index: dict[str, str] = Field(
        default_factory=dict,
        description="Per profile, the contraction-hierarchy index of POST /matrix: ready, "
        "preparing (in the background; the matrix searches meanwhile), unavailable, or none "
        "(not made: network not loaded yet, too large, or no matrix asked yet)",
        examples=[{"car": "ready", "bike": "none", "walk": "none"}],
    )
    attribution: str = Field(examples=["© OpenStreetMap contributors (ODbL 1.0)"])


class Limits(BaseModel):
    """The limits of expensive requests (settings ``BEREIK_MAX_*``)."""

    max_minutes: float
    max_meters: float
    max_contours: int
    max_locations: int
    max_matrix_cells: int
    max_snap_m: float
    max_items: int


class Health(BaseModel):
    """Service status: the builds loaded and those that failed."""

    status: Literal["ok"] = "ok"
    version: str
    builds: list[str] = Field(examples=[["demo"]])
    default_build: str | None = Field(examples=["demo"])
    missing: dict[str, str] = Field(
        default_factory=dict, description="Configured builds that could not be loaded, and why"
    )


class BuildList(BaseModel):
    """The builds served, their contents, and the request limits."""

    builds: list[BuildInfo]
    limits: Limits
    tile_url: str | None = Field(None, description="Optional background tiles of the web map")
    tile_attribution: str


# --- OGC API Features ------------------------------------------------------------------------
class LandingPage(BaseModel):
    """OGC API landing page."""

    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """OGC API conformance classes implemented."""

    conformsTo: list[str]


class SpatialExtent(BaseModel):
    """Bounding box of a collection."""

    bbox: list[list[float]]
    crs: str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class Extent(BaseModel):
    """Extent of a collection."""

    spatial: SpatialExtent | None = None


class Collection(BaseModel):
    """One OGC API Features collection."""

    id: str = Field(examples=["villages"])
    title: str
    description: str
    itemType: Literal["feature"] = "feature"
    crs: list[str] = ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
    storageCrs: str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    extent: Extent | None = None
    links: list[Link]


class Collections(BaseModel):
    """All collections of a build."""

    collections: list[Collection]
    links: list[Link]


# --- GeoJSON properties (documentation of the responses) ------------------------------------
class OpenProperties(BaseModel):
    """Flat scalar properties; columns beyond the documented ones pass through."""

    model_config = ConfigDict(extra="allow")


class VillageProperties(OpenProperties):
    """A village; extra columns of the build's table (broadband...) pass through."""

    village_id: str = Field(examples=["node/240079149"])
    village_name: str | None = Field(examples=["Schaan"])
    place: str | None = Field(None, examples=["village"])
    population: float | None = Field(examples=[5933])
    municipality: str | None = Field(examples=["Schaan"])
    category: str | None = Field(None, description="With category= and profile=")
    profile: str | None = Field(None, description="With category= and profile=")
    distance_m: float | None = Field(None, description="Road distance to the nearest facility")
    travel_time_s: float | None = Field(None, description="Travel time to the nearest facility")
    nearest_by_distance_id: str | None = None
    nearest_by_time_id: str | None = None
    snap_distance_m: float | None = None
    reason: str | None = Field(
        None,
        description="Why distance_m is null: no_facility, unreachable or not_on_network",
        examples=["no_facility"],
    )


class VillageDetailProperties(OpenProperties):
    """One village with every indicator, flat.

    For each category ``C`` of the build and each profile ``P`` (car, bike, walk):
    ``C_P_distance_m``, ``C_P_travel_time_s`` (null when unreachable),
    ``C_P_nearest_by_distance_id``, ``C_P_nearest_by_time_id``, ``C_P_snap_distance_m``,
    ``C_P_reason`` (no_facility / unreachable / not_on_network, else null) and
    ``C_P_count_<r>km`` (facilities within r km by road), e.g. ``supermarket_car_distance_m``.
    """

    village_id: str = Field(examples=["node/240079149"])
    village_name: str | None = Field(examples=["Schaan"])
    population: float | None = None
    municipality: str | None = None


class FacilityProperties(OpenProperties):
    """A facility."""

    facility_id: str = Field(examples=["node/315636896"])
    category: str = Field(examples=["supermarket"])
    name: str | None = Field(None, examples=["Coop"])
    source: str | None = Field(None, examples=["osm"])


class MunicipalityProperties(OpenProperties):
    """A municipality; with category= and profile= its aggregates of that indicator."""

    municipality: str = Field(examples=["Vaduz"])
    villages: int
    population: float | None
    mean_distance_m: float | None = Field(None, description="Population-weighted mean")
    mean_travel_time_s: float | None = None


class IsochroneProperties(BaseModel):
    """One contour of one location."""

    location_index: int = Field(description="Index of the location in the request (0 for GET)")
    lon: float
    lat: float
    profile: str
    direction: Direction
    contour: float = Field(description="The contour value, in minutes or metres (see unit)")
    unit: Literal["minutes", "meters"]
    minutes: float | None = Field(description="Travel time contour (null for distances)")
    meters: float | None = Field(description="Distance contour (null for times)")
    area_m2: float
    population: float | None = Field(description="Population of the villages inside")
    villages: int = Field(description="Number of villages inside")
    snap_distance_m: float = Field(description="Distance from the location to the road")
    cell_m: float | None = Field(
        default=None,
        description="Grid cell of the polygon (m): the setting, or coarser when the reached "
        "area is too large for it (drawn coarser, never refused)",
    )


class CatchmentProperties(BaseModel):
    """The area within reach of a facility category, and who lives in it."""

    kind: Literal["catchment"] = "catchment"
    category: str
    profile: str
    direction: Direction
    minutes: float
    area_m2: float
    facilities: int = Field(description="Facilities of the category used (on the network)")
    villages_inside: int
    villages_outside: int
    population_inside: float | None
    population_outside: float | None
    cell_m: float | None = Field(default=None, description="Grid cell of the polygon (m)")


class CatchmentVillageProperties(BaseModel):
    """A village of a catchment response: inside or outside."""

    kind: Literal["village"] = "village"
    village_id: str
    village_name: str | None
    municipality: str | None
    population: float | None
    inside: bool = Field(description="Network travel time within the limit")
    travel_time_s: float | None = Field(
        default=None, description="To (or from) the nearest facility; null beyond the limit"
    )


class _OgcMembers(BaseModel):
    numberMatched: int | None = None
    numberReturned: int | None = None
    links: list[Link] | None = None


AnyPolygon = Polygon | MultiPolygon
AnyGeometry = Point | LineString | Polygon | MultiPolygon


class VillageCollection(FeatureCollection[Feature[Point, VillageProperties]]):
    """Villages as GeoJSON points."""


class VillageFeature(Feature[Point, VillageDetailProperties]):
    """One village with all its indicators as flat properties."""


class FacilityCollection(FeatureCollection[Feature[Point, FacilityProperties]]):
    """Facilities as GeoJSON points."""


class MunicipalityCollection(FeatureCollection[Feature[AnyPolygon, MunicipalityProperties]]):
    """Municipalities as GeoJSON (multi)polygons (geometry null when the build has none)."""


class IsochroneCollection(FeatureCollection[Feature[AnyPolygon, IsochroneProperties]]):
    """One (multi)polygon per contour and location."""


class CatchmentCollection(
    FeatureCollection[Feature[AnyPolygon | Point, CatchmentProperties | CatchmentVillageProperties]]
):
    """A catchment: its polygon (``layer=area``) or every village as a point (``villages``)."""


class ItemCollection(FeatureCollection[Feature[AnyGeometry, OpenProperties]], _OgcMembers):
    """A page of a collection (OGC API Features): features plus paging members and links."""


class ItemFeature(Feature[AnyGeometry, OpenProperties]):
    """One feature of a collection, with its links."""

    links: list[Link] | None = None


# --- requests ------------------------------------------------------------------------------
class _WithDeparture(BaseModel):
    """A body with an optional ``departure`` (profile=transit): an ISO date-time text."""

    @field_validator("departure", mode="before", check_fields=False)
    @classmethod
    def _departure_text(cls, value: object) -> object:
        if not isinstance(value, str):  # null or a number: leave it out for none
            msg = "must be a date and time like 2022-09-01T08:00 (leave it out for none)"
            raise ValueError(msg)
        return value


class IsochroneRequest(_WithDeparture):
    """Isochrones for several locations at once: give ``minutes`` or ``meters``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [{"required": ["minutes"]}, {"required": ["meters"]}],
            "examples": [
                {
                    "locations": [[9.5209, 47.1410], [9.5103, 47.1663]],
                    "profile": "car",
                    "minutes": [5, 10],
                    "direction": "from",
                },
                {"locations": [[9.5209, 47.1410]], "profile": "walk", "meters": [500, 1000]},
            ],
        },
    )

    locations: list[LonLat] = Field(min_length=1, description="[lon, lat] pairs (WGS84)")
    profile: Profile | None = Field(None, description=PROFILE_DESCRIPTION)
    minutes: list[PositiveMinutes] | SkipJsonSchema[None] = Field(
        None, min_length=1, description="Travel-time contours (give this or meters)"
    )
    meters: list[PositiveMeters] | SkipJsonSchema[None] = Field(
        None, min_length=1, description="Distance contours (give this or minutes)"
    )
    direction: Direction = Field(
        "from", description="from: reachable from the location; to: can reach the location"
    )
    departure: dt.datetime | SkipJsonSchema[None] = Field(
        None,
        description="profile=transit only: the departure (from) or arrival deadline "
        "(to), local time of the feed, on the build's timetable day",
    )
    window: StrictFlag = Field(
        False,
        description="profile=transit only: the median over the build's departure window "
        "from departure (every 5 minutes)",
    )

    @field_validator("minutes", "meters", mode="before")
    @classmethod
    def _no_null(cls, value: object) -> object:
        if value is None:  # explicit null; leave the key out instead
            msg = "must be a list of numbers (leave it out to use the other unit)"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_unit(self) -> IsochroneRequest:
        if (self.minutes is None) == (self.meters is None):
            msg = "give either minutes or meters (one list of contours), not both or neither"
            raise ValueError(msg)
        return self


class MatrixRequest(_WithDeparture):
    """Sources and destinations as [lon, lat] pairs."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "profile": "car",
                    "sources": [[9.5228, 47.1393], [9.5103, 47.1663]],
                    "destinations": [[9.5208, 47.1401], [9.5450, 47.1859]],
                },
            ]
        },
    )

    profile: Profile | None = Field(None, description=PROFILE_DESCRIPTION)
    sources: list[LonLat] = Field(min_length=1)
    destinations: list[LonLat] = Field(min_length=1)
    departure: dt.datetime | SkipJsonSchema[None] = Field(
        None,
        description="profile=transit only: the departure, local time of the feed, on "
        "the build's timetable day",
    )


class SnappedLocation(BaseModel):
    """A requested location and where it joined the network."""

    location: list[float] = Field(description="As requested: [lon, lat]")
    snapped: list[float] | None = Field(
        description="On the nearest road: [lon, lat]; null when not on the network"
    )
    snap_distance_m: float | None = Field(
        description="Straight line from the location to the road (m, not in the costs)"
    )
    reason: str | None = Field(
        default=None,
        description="Why the point's row or column is null: not_on_network (farther than "
        "max_snap_m from every road of the profile); null when the point was routed",
    )


class MatrixResponse(BaseModel):
    """Network distance and travel time from each source (row) to each destination."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "profile": "car",
                    "distances_m": [[412.3, None]],
                    "durations_s": [[49.5, None]],
                    "sources": [
                        {"location": [9.5228, 47.1393], "snapped": [9.522811, 47.139288],
                         "snap_distance_m": 1.4}
                    ],
                    "destinations": [
                        {"location": [9.5208, 47.1401], "snapped": [9.520833, 47.140104],
                         "snap_distance_m": 8.4},
                        {"location": [9.545, 47.1859], "snapped": [9.545061, 47.185797],
                         "snap_distance_m": 12.2},
                    ],
                }
            ]
        }
    )  # fmt: skip

    profile: str
    distances_m: list[list[float | None]] = Field(description="null where unreachable")
    durations_s: list[list[float | None]] = Field(description="null where unreachable")
    sources: list[SnappedLocation]
    destinations: list[SnappedLocation]


def geojson_200(
    model: Any,
    example: dict[str, Any] | None = None,
    *,
    csv: bool = False,
    examples: dict[str, dict[str, Any]] | None = None,
) -> dict[int | str, Any]:
    """``responses=`` entry documenting a GeoJSON body (and optionally CSV with ``f=csv``).

    Use with ``response_class=GeoJSONResponse`` so the model lands under
    ``application/geo+json``. ``examples``: several named examples instead of one.
    """
    content: dict[str, Any] = {"application/geo+json": {}}
    if example is not None:
        content["application/geo+json"]["example"] = example
    if examples:
        content["application/geo+json"]["examples"] = {
            name: {"value": value} for name, value in examples.items()
        }
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {200: {"model": model, "description": "GeoJSON (RFC 7946, WGS84)",
                  "content": content}}  # fmt: skip


class OpenFacility(BaseModel):
    """A facility that opens in a scenario."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=100, examples=["gp"])
    lon: Lon
    lat: Lat
    name: str = Field("", max_length=200)


class ScenarioRequest(BaseModel):
    """Facilities to close (by id) and to open (by category and location)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "close": ["node/761534771"],
                    "open": [{"category": "supermarket", "lon": 9.6084, "lat": 47.1028,
                              "name": "Malbun"}],
                    "profile": "car",
                }
            ]
        },
    )  # fmt: skip

    close: list[str] = Field(default_factory=list, description="Facility ids (GET /facilities)")
    open: list[OpenFacility] = Field(default_factory=list)
    profile: Profile | None = Field(None, description=PROFILE_DESCRIPTION)


class ScenarioSummary(BaseModel):
    """Per category: villages and population that got worse, better, lost or gained access."""

    category: str
    profile: str
    villages: int
    villages_worse: int
    population_worse: float
    villages_lost: int
    population_lost: float
    villages_better: int
    population_better: float
    villages_gained: int
    population_gained: float
    villages_same: int
    population_same: float
    max_increase_m: float | None = Field(description="Largest increase of distance (m)")
    stayed_the_same_or_better: bool = Field(
        description="True when no village got worse or lost access (the province's test)"
    )


class VillageChange(BaseModel):
    """One village and category before and after the scenario."""

    village_id: str
    village_name: str | None
    municipality: str | None
    population: float | None
    category: str
    profile: str
    distance_m_before: float | None
    distance_m_after: float | None
    distance_m_change: float | None
    travel_time_s_before: float | None
    travel_time_s_after: float | None
    travel_time_s_change: float | None
    nearest_by_distance_id_before: str | None
    nearest_by_distance_id_after: str | None
    status: Literal["same", "better", "worse", "lost", "gained"]


class PersonsChange(OpenProperties):
    """Per category: the persons a scenario moves (builds with origins).

    ``weight`` is persons (method ``residents`` or ``dwellings``) or dwellings (method
    ``addresses``); ``newly_beyond_<r>km`` / ``newly_within_<r>km`` per ring of the build.
    """

    category: str
    profile: str
    method: str = Field(examples=["dwellings"])
    weight: float
    weight_worse: float = Field(description="Persons whose distance grew (or who lost access)")
    weight_better: float
    weight_lost: float = Field(description="Persons who can no longer reach the category")
    weight_gained: float


class ScenarioResponse(BaseModel):
    """The summary per category, the change per village, and the persons moved."""

    summary: list[ScenarioSummary]
    changes: list[VillageChange]
    persons: list[PersonsChange] | None = Field(
        None,
        description="Per category, the persons who get worse or better (builds with "
        "origins), e.g. newly_beyond_5km: persons no longer within 5 km",
    )


class DoubleDisadvantageProperties(OpenProperties):
    """A village that is both remote from facilities (car) and in a broadband white area."""

    village_id: str = Field(examples=["node/347290636"])
    village_name: str | None = Field(None, examples=["Malbun"])
    municipality: str | None = Field(None, examples=["Triesenberg"])
    population: float | None = None
    remote_categories: str = Field(examples=["supermarket"])
    reason: str = Field(examples=["supermarket: 7.8 km > 5 km"])
    excess_km: float = Field(description="Sum over remote categories of km beyond the limit")
    max_mbps: float | None = None
    score: float = Field(description="population (unknown: 0) x excess_km; ranks the list")
    rank: int
    synthetic: bool = Field(description="True when the coverage is a SYNTHETIC sample")


class DoubleDisadvantageCollection(FeatureCollection[Feature[Point, DoubleDisadvantageProperties]]):
    """The ranked double-disadvantage list as GeoJSON points."""


# --- location questions (issue 13) ---------------------------------------------------------
#: candidate sites over the API: the villages without the facility, or a grid over the roads
#: (files are the command line's: the service reads no path a request names)
CANDIDATES_PATTERN = r"^(villages|grid:\d+(\.\d+)?(km|m))$"
Objective = Literal["coverage", "median", "cover"]


class SuggestRequest(BaseModel):
    """Where new facilities of a category would help most."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"category": "pharmacy", "within_km": 3, "count": 2,
                                         "objective": "coverage", "candidates": "villages"}]},
    )  # fmt: skip

    category: str = Field(min_length=1, max_length=100, examples=["gp"])
    within_km: float = Field(gt=0, description="Road distance within which a person is served")
    objective: Objective = Field(
        "coverage",
        description="coverage: most persons newly within; median: least total distance; "
        "cover: fewest sites until target_share is within",
    )
    count: int | None = Field(
        None, ge=1, description="Sites to add (default 1; cover: as many as needed)"
    )
    candidates: str = Field(
        "villages", pattern=CANDIDATES_PATTERN,
        description="villages (without the facility within 1 km) or grid:<size>km|m",
    )  # fmt: skip
    target_share: float = Field(
        DEFAULT_TARGET_SHARE, gt=0, le=1, description="cover: share to bring within"
    )
    time_budget_s: float | None = Field(
        None,
        ge=0,
        description="Seconds for the exact solver (default: the setting "
        "max_suggest_seconds, also its most; 0: greedy only)",
    )
    profile: Profile | None = Field(None, description=PROFILE_DESCRIPTION)


class SuggestedSite(BaseModel):
    """A suggested site, in the order the sites were added, valued exactly."""

    rank: int
    candidate_id: str
    name: str
    lon: float
    lat: float
    newly_within: float = Field(description="Persons this site brings newly within (exact)")
    villages_newly_within: str = Field(description="Their villages: name (persons); ...")
    mean_after: float | None = Field(description="Mean distance (m) once this site opens")
    share_within_after: float | None


class SuggestSummary(BaseModel):
    """How the answer was found, and the figures before and after."""

    category: str
    profile: str
    objective: Objective
    method: Literal["exact", "best_found", "greedy"] = Field(
        description="exact: proven optimal; best_found: the solver's best when its time ran "
        "out; greedy: each step the largest gain"
    )
    note: str
    gap: float | None = Field(description="Share by which the optimum may be better (0: exact)")
    model_value: float | None
    optimum_bound: float | None
    within_km: float
    candidates_from: str
    candidates: int
    demand: str = Field(description="origins (addresses, persons) or villages (by population)")
    demand_unit: str
    persons: float
    mean_before: float | None
    mean_after: float | None
    share_within_before: float | None
    share_within_after: float | None
    sites: int
    seconds: float


class SuggestResponse(BaseModel):
    """Suggested sites and how they were found."""

    summary: SuggestSummary
    sites: list[SuggestedSite]


class Closure(BaseModel):
    """What closing one facility alone would do."""

    rank: int = Field(description="1: least harmful")
    facility_id: str
    name: str
    on_network: bool
    users: float = Field(description="Persons whose nearest facility it is")
    newly_beyond: float = Field(description="Of them, within within_km now and beyond after")
    lose_access: float = Field(description="Persons left without any facility")
    mean_increase_m: float | None
    max_increase_m: float | None
    mean_after_all_m: float | None = Field(description="Mean over all persons after")


class ClosuresResponse(BaseModel):
    """Every closure of a category, least harmful first."""

    category: str
    profile: str
    within_km: float
    unit: str = Field(description="What the person figures count: persons or dwellings")
    closures: list[Closure]


class AccessResponse(BaseModel):
    """Two-step floating catchment: capacity per 1,000 persons within the catchment.

    ``rows`` per municipality or village: ``persons``, ``access`` (capacity per person),
    ``access_per_1000``; per facility: ``capacity``, ``persons_in_reach``,
    ``capacity_per_1000`` (null: nobody in reach).
    """

    summary: dict[str, str | float | None]
    rows: list[dict[str, str | float | None]]


class FairnessRow(BaseModel):
    """How evenly the distance to the nearest facility is spread over persons."""

    municipality: str
    category: str
    profile: str
    persons: float
    persons_unreachable: float
    mean_distance_m: float | None
    gini: float | None
    palma: float | None
    tenth_gap_m: float | None
    unit: str
    model_config = ConfigDict(extra="allow")


class FairnessResponse(BaseModel):
    """Per municipality and for the whole build (municipality ``all``)."""

    rows: list[FairnessRow]
