"""HTTP routes: training recommendations and training plans."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import ValidationError
from sqlmodel import Session

from app.core.auth import WritePrincipal
from app.core.concurrency import IfMatch, check_if_match
from app.core.dates import today
from app.core.errors import InvalidInput
from app.core.responses import CREATED, READ, READ_ONE, WRITE, WRITE_ONE
from app.core.sessions import ReadSession, WriteSession
from app.selection import ranking, service
from app.selection.dependencies import PlanDep, PlanForUpdate
from app.selection.models import (
    PlanScope,
    TrainingPlan,
    TrainingPlanCreate,
    TrainingPlanPublic,
    TrainingPlanSchedule,
    TrainingRecommendations,
)

router = APIRouter()


@router.get("/training-recommendations", tags=["training-recommendations"], responses=READ)
def list_training_recommendations(
    db: ReadSession,
    team_id: Annotated[uuid.UUID | None, Query(description="Only this team.")] = None,
    function_group_id: Annotated[
        uuid.UUID | None, Query(description="Only this function group.")
    ] = None,
    on: Annotated[
        date | None, Query(description="Judge skills current on this day (default today).")
    ] = None,
) -> TrainingRecommendations:
    """Catalogue programmes ranked by the open need they cover in a team, a function group
    or (neither) the whole organisation, each with its reasons."""
    try:
        scope = PlanScope(team_id=team_id, function_group_id=function_group_id)
    except ValidationError:
        raise InvalidInput(
            "Give team_id or function_group_id, not both.",
            code="validation-error",
            errors=[{"pointer": "/query/function_group_id", "detail": "not with team_id"}],
        ) from None
    service.check_scope(db, scope, pointer="/query")
    return ranking.recommend(db, scope=scope, on=on or today())


@router.post(
    "/training-plans",
    tags=["training-plans"],
    status_code=status.HTTP_201_CREATED,
    responses=CREATED,
)
def create_training_plan(
    data: TrainingPlanCreate, db: WriteSession, response: Response
) -> TrainingPlanPublic:
    """Compute and store a phased plan: management first, then staff in groups of
    comparable functions, highest exposure first; uncovered needs listed."""
    plan = service.create_plan(db, data=data)
    response.headers["Location"] = f"/v1/training-plans/{plan.id}"
    return _answer(db, plan, response)


def _answer(db: Session, plan: TrainingPlan, response: Response) -> TrainingPlanPublic:
    public = service.plan_public(db, plan)
    response.headers["ETag"] = service.plan_etag(plan, stale=public.stale)
    return public


def _check_if_match(db: Session, if_match: str | None, plan: TrainingPlan) -> None:
    current = service.plan_etag(plan, stale=service.plan_stale(db, plan))
    check_if_match(if_match, plan, current=current)


service.TRAINING_PLAN_LIST.add_route(router)


@router.get("/training-plans/{plan_id}", tags=["training-plans"], responses=READ_ONE)
def get_training_plan(plan: PlanDep, db: ReadSession, response: Response) -> TrainingPlanPublic:
    """A plan with its phases, groups and members; `stale` says whether to recompute."""
    return _answer(db, plan, response)


@router.post("/training-plans/{plan_id}/schedule", tags=["training-plans"], responses=WRITE_ONE)
def schedule_training_plan(
    plan: PlanForUpdate,
    data: TrainingPlanSchedule,
    principal: WritePrincipal,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> TrainingPlanPublic:
    """Create the plan's sessions and enrolments through the enrolment rules, all or
    nothing; 409 `plan-stale` when its data changed (compute a new plan)."""
    _check_if_match(db, if_match, plan)
    plan = service.schedule_plan(db, org=principal.organisation, plan=plan, data=data)
    return _answer(db, plan, response)


@router.delete(
    "/training-plans/{plan_id}", tags=["training-plans"], status_code=204, responses=WRITE
)
def delete_training_plan(
    plan: PlanForUpdate, db: WriteSession, if_match: IfMatch = None
) -> Response:
    """Delete a plan; sessions it scheduled stay."""
    _check_if_match(db, if_match, plan)
    service.delete_plan(db, plan=plan)
    return Response(status_code=204)
