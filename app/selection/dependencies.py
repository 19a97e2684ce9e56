"""Fetch-or-404 dependencies for path ids of the selection domain."""

from typing import Annotated

from fastapi import Depends

from app.core.sessions import reader, writer
from app.selection.models import TrainingPlan

PlanDep = Annotated[TrainingPlan, Depends(reader(TrainingPlan, "plan_id", name="training plan"))]
PlanForUpdate = Annotated[
    TrainingPlan, Depends(writer(TrainingPlan, "plan_id", name="training plan"))
]
