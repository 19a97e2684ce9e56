"""Fetch-or-404 dependencies for path ids of the selection domain."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.core.auth import DbSession, ReadPrincipal
from app.core.tenancy import get_scoped
from app.selection.models import TrainingPlan


def _plan(
    plan_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> TrainingPlan:
    return get_scoped(session, TrainingPlan, plan_id, name="training plan")


PlanDep = Annotated[TrainingPlan, Depends(_plan)]
