"""Fetch-or-404 dependencies for path ids of the training domain."""

from typing import Annotated

from fastapi import Depends

from app.core.sessions import reader, writer
from app.training.models import TrainingSession

TrainingSessionDep = Annotated[
    TrainingSession, Depends(reader(TrainingSession, "session_id", name="training session"))
]
TrainingSessionForUpdate = Annotated[
    TrainingSession, Depends(writer(TrainingSession, "session_id", name="training session"))
]
