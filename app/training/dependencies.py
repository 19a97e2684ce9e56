"""Fetch-or-404 dependencies for path ids of the training domain."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.core.auth import DbSession, ReadPrincipal
from app.core.tenancy import get_scoped
from app.training.models import TrainingProgram, TrainingSession


def _program(
    program_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> TrainingProgram:
    return get_scoped(session, TrainingProgram, program_id, name="training program")


def _training_session(
    session_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> TrainingSession:
    return get_scoped(session, TrainingSession, session_id, name="training session")


TrainingProgramDep = Annotated[TrainingProgram, Depends(_program)]
TrainingSessionDep = Annotated[TrainingSession, Depends(_training_session)]
