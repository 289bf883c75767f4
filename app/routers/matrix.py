"""Travel matrices: distance and time from every source to every destination."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import BuildDep, SettingsDep
from app.errors import error_responses
from app.limits import check_matrix
from app.queries import matrix
from app.schemas import MatrixRequest, MatrixResponse

router = APIRouter(prefix="/matrix", tags=["matrix"])


@router.post(
    "",
    operation_id="post_matrix",
    summary="Distance and travel time matrix",
    response_model=MatrixResponse,
    responses=error_responses(400, 404, 422, 503),
)
def post_matrix(sb: BuildDep, settings: SettingsDep, body: MatrixRequest) -> MatrixResponse:
    """Return the distances and travel times from every source to every destination.

    ``distances_m[i][j]``: length of the shortest route from source i to destination j;
    ``durations_s[i][j]``: duration of the fastest route (may be another route); null
    where unreachable. Points are snapped to the nearest road (``snap_distance_m``, not
    included in the costs); a point farther than ``max_snap_m`` from every road gets a
    null row (source) or column (destination) and ``reason: not_on_network``, and the
    other cells are answered. ``profile=transit`` (builds with a GTFS feed): durations by
    walk + timetable leaving at ``departure`` (default the timetable's first departure);
    ``distances_m`` null.
    """
    check_matrix(settings, len(body.sources), len(body.destinations))
    return matrix(sb, settings, profile=body.profile, sources=body.sources,
                  destinations=body.destinations, departure=body.departure)  # fmt: skip
