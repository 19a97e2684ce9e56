"""Factories for training programmes, sessions, enrolments and completions."""

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from app.core.models import utcnow
from app.learning import service as learning_service
from app.organisation.models import Employee
from app.training.models import (
    Audience,
    Enrolment,
    EnrolmentStatus,
    ProgramSkill,
    TrainingCompletion,
    TrainingProgram,
    TrainingSession,
)

_seq = itertools.count(1)


def make_program(
    session: Session, *, skills: tuple[str, ...] = ("deescalation",), **overrides: Any
) -> TrainingProgram:
    """A programme training the skills with these codes (the built-in ones always exist)."""
    n = next(_seq)
    program = TrainingProgram(
        **{
            "title": f"Training {n}",
            "provider": "Trainingsbureau Veilig Werk",
            "audience": Audience.staff,
            "format": "classroom",
            "duration_hours": 4.0,
            "max_group_size": 12,
            "refresher_months": 24,
            **overrides,
        }
    )
    session.add(program)
    session.flush()
    by_code = learning_service.skill_ids_by_code(session)
    for code in skills:
        session.add(
            ProgramSkill(
                program_id=program.id,
                skill_id=by_code[code],
                organisation_id=program.organisation_id,
            )
        )
    session.flush()
    return program


def make_session(
    session: Session,
    *,
    program: TrainingProgram,
    starts_at: datetime | None = None,
    hours: float = 4,
    **overrides: Any,
) -> TrainingSession:
    """A planned session of ``program``, by default in two weeks."""
    start = starts_at or (utcnow() + timedelta(days=14)).replace(microsecond=0)
    ts = TrainingSession(
        **{
            "program_id": program.id,
            "starts_at": start,
            "ends_at": start + timedelta(hours=hours),
            "location": "Leslokaal 2, Hengelo",
            "trainer": "Marieke Hoekstra",
            "capacity": program.max_group_size,
            **overrides,
        }
    )
    session.add(ts)
    session.flush()
    return ts


def make_enrolment(
    session: Session,
    *,
    training_session: TrainingSession,
    employee: Employee,
    status: EnrolmentStatus = EnrolmentStatus.enrolled,
) -> Enrolment:
    """An enrolment written directly (no rules), holding a seat unless cancelled."""
    enrolment = Enrolment(session_id=training_session.id, employee_id=employee.id, status=status)
    session.add(enrolment)
    session.flush()
    if status != EnrolmentStatus.cancelled:
        session.execute(
            update(TrainingSession)
            .where(col(TrainingSession.id) == training_session.id)
            .values(enrolled_count=col(TrainingSession.enrolled_count) + 1)
        )
        session.refresh(training_session)
    return enrolment


def make_completion(
    session: Session,
    *,
    employee: Employee,
    program: TrainingProgram,
    completed_on: date | None = None,
) -> TrainingCompletion:
    completion = TrainingCompletion(
        employee_id=employee.id,
        program_id=program.id,
        completed_on=completed_on or date.today() - timedelta(days=30),
    )
    session.add(completion)
    session.flush()
    return completion
