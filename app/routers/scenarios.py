"""What-if scenarios: a facility closes or opens; which villages get worse or better."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import BuildDep, SettingsDep
from app.errors import error_responses
from app.limits import check_scenario
from app.queries import scenario
from app.schemas import ScenarioRequest, ScenarioResponse

router = APIRouter(prefix="/scenarios", tags=["scenarios"])


@router.post(
    "",
    operation_id="post_scenario",
    summary="What if facilities close or open",
    response_model=ScenarioResponse,
    responses=error_responses(400, 404, 422, 503),
)
def post_scenario(sb: BuildDep, settings: SettingsDep, body: ScenarioRequest) -> ScenarioResponse:
    """Recompute the affected categories with facilities closed and/or opened.

    Uses the build's networks (nothing is stored). ``summary``: per category, the villages
    and population that got ``worse``, ``better``, ``lost`` (no longer reachable) or
    ``gained`` access, and whether proximity "at least stayed the same";
    ``changes``: every village before and after. Unknown facility ids or categories are a
    404; a new facility off the road network is a 422.
    """
    check_scenario(settings, len(body.close) + len(body.open))
    return scenario(sb, profile=body.profile, close=body.close, open_=body.open)
