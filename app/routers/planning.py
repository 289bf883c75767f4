"""Location questions: where to open, which closure hurts least, supply and fairness.

Adapters only: :mod:`accessibility.planning` computes; this module checks the limits and
shapes the answers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from accessibility.defaults import DEFAULT_CATCHMENT_MIN
from app.deps import BuildDep, SettingsDep
from app.errors import error_responses
from app.geojson import records
from app.limits import check_at_most, check_minutes
from app.schemas import (
    PROFILE_DESCRIPTION,
    AccessResponse,
    ClosuresResponse,
    FairnessResponse,
    Profile,
    SuggestRequest,
    SuggestResponse,
)

router = APIRouter(tags=["planning"])

Category = Annotated[
    str, Query(description="Facility category", examples=["pharmacy"], max_length=100)
]
ProfileQuery = Annotated[Profile | None, Query(description=PROFILE_DESCRIPTION)]
WithinKm = Annotated[
    float, Query(gt=0, description="Road distance within which a person is served (km)")
]


@router.post(
    "/suggest",
    operation_id="post_suggest",
    summary="Where new facilities of a category help most",
    response_model=SuggestResponse,
    responses=error_responses(400, 404, 422, 503),
)
def post_suggest(sb: BuildDep, settings: SettingsDep, body: SuggestRequest) -> SuggestResponse:
    """Suggest sites for new facilities, the existing ones kept.

    ``coverage``: the ``count`` sites that bring the most persons newly within
    ``within_km`` by road; ``median``: those that lower the total distance most; ``cover``:
    the fewest sites until ``target_share`` of all persons are within. Solved exactly
    (HiGHS) within the time budget, else greedily: ``summary.method`` says which and
    ``gap`` how far from the optimum it may be. Each site is then valued exactly: the
    persons it brings within are what a scenario opening it finds. Persons are the
    build's origins where it has them, else its villages by population.
    """
    from accessibility.planning import suggest_sites

    check_at_most(settings, "within_km", body.within_km, "max_within_km")
    if body.count is not None:
        check_at_most(settings, "count", body.count, "max_suggest_sites")
    budget = settings.max_suggest_seconds
    if body.time_budget_s is not None:
        budget = check_at_most(settings, "time_budget_s", body.time_budget_s,
                               "max_suggest_seconds")  # fmt: skip
    count = body.count if body.count is not None or body.objective == "cover" else 1
    if body.objective == "cover" and count is None:
        count = settings.max_suggest_sites
    out = suggest_sites(
        sb.build, category=body.category, within_km=body.within_km, profile=body.profile,
        objective=body.objective, count=count, candidates=body.candidates,
        target_share=body.target_share, time_budget_s=budget,
        max_candidates=settings.max_suggest_candidates,
    )  # fmt: skip
    return SuggestResponse(summary=out.summary, sites=records(out.sites))


@router.get(
    "/closures",
    operation_id="get_closures",
    summary="What closing each facility of a category alone would do",
    response_model=ClosuresResponse,
    responses=error_responses(404, 422, 503),
)
def get_closures(
    sb: BuildDep,
    settings: SettingsDep,
    category: Category,
    within_km: WithinKm,
    profile: ProfileQuery = None,
) -> ClosuresResponse:
    """Rank the closure of every facility of a category, least harmful first.

    Per facility: the persons whose nearest it is, those of them that fall beyond
    ``within_km``, those left without any facility, and how much farther they go. Exact:
    one search over each facility's own region.
    """
    from accessibility.planning import closures

    check_at_most(settings, "within_km", within_km, "max_within_km")
    table = closures(sb.build, category=category, within_km=within_km, profile=profile)
    return ClosuresResponse(
        category=category, profile=str(table["profile"].iloc[0]), within_km=within_km,
        unit=str(table["unit"].iloc[0]),
        closures=records(table.drop(columns=["category", "profile", "unit"])),
    )  # fmt: skip


@router.get(
    "/access",
    operation_id="get_access",
    summary="Supply against demand: capacity per 1,000 persons within a catchment",
    response_model=AccessResponse,
    responses=error_responses(404, 422, 503),
)
def get_access(
    sb: BuildDep,
    settings: SettingsDep,
    category: Category,
    catchment_minutes: Annotated[
        float, Query(gt=0, description="Travel time within which a facility is used")
    ] = DEFAULT_CATCHMENT_MIN,
    method: Annotated[
        Literal["e2sfca", "2sfca"],
        Query(description="e2sfca: weights 1, 0.68, 0.22 over the thirds; 2sfca: weight 1"),
    ] = "e2sfca",
    by: Annotated[
        Literal["municipality", "village", "facility"], Query(description="Rows per")
    ] = "municipality",
    profile: ProfileQuery = None,
) -> AccessResponse:
    """Share each facility over the persons in reach: the two-step floating catchment.

    E2SFCA (default) or 2SFCA: each facility's capacity (1 each) shared over the persons
    within ``catchment_minutes``, summed per person, then per village or municipality;
    per facility its persons in reach.
    """
    from accessibility.planning import supply_access

    check_minutes(settings, catchment_minutes)
    t = supply_access(sb.build, category=category, catchment_minutes=catchment_minutes,
                      profile=profile, method=method)  # fmt: skip
    table = {"municipality": t.municipalities, "village": t.villages,
             "facility": t.facilities}[by]  # fmt: skip
    return AccessResponse(summary=t.summary, rows=records(table))


@router.get(
    "/fairness",
    operation_id="get_fairness",
    summary="How evenly the distance to a facility is spread over persons",
    response_model=FairnessResponse,
    responses=error_responses(404, 422, 503),
)
def get_fairness(
    sb: BuildDep, category: Category, profile: ProfileQuery = None
) -> FairnessResponse:
    """Measure how evenly the road distance to the nearest facility is spread over persons.

    Per municipality and for the whole build (``all``): Gini and Palma ratio, the gap
    between the best- and worst-served tenth, and the share beyond each ring (1, 3, 5 km).
    """
    from accessibility.planning import fairness

    return FairnessResponse(rows=records(fairness(sb.build, category=category, profile=profile)))
