"""The method around a session (issue 20): the participant's reflection before it and the
evaluation after it. Tables and API schemas; the services are ``reflections.py`` and
``evaluations.py``.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint

from app.core.models import CreateModel, PatchModel, TenantTable
from app.organisation.models import Severity

NOTE_MAX = 2000
GOALS_MAX = 20


# --- reflection before training (seed: "Reflecteer voorafgaand aan de training") ----------


class TrainingReflection(TenantTable, table=True):
    """A participant's preparation for a session: the goals they bring and the situation
    they want to practise. One per enrolment."""

    __tablename__ = "training_reflection"
    __table_args__ = (UniqueConstraint("enrolment_id"),)

    enrolment_id: uuid.UUID = Field(foreign_key="enrolment.id")
    session_id: uuid.UUID = Field(foreign_key="training_session.id", index=True)
    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    personal_goal_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    situation: str = Field(max_length=NOTE_MAX)
    question: str | None = Field(default=None, max_length=NOTE_MAX)


class TrainingReflectionCreate(CreateModel):
    enrolment_id: uuid.UUID = Field(description="The participant's enrolment (not cancelled).")
    personal_goal_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=GOALS_MAX,
        description="Their own personal goals (not dropped) they bring to the training.",
    )
    situation: str = Field(
        min_length=1,
        max_length=NOTE_MAX,
        description="The practice situation they want to work on, e.g. 'a client who will "
        "not leave the front desk'.",
    )
    question: str | None = Field(
        default=None, max_length=NOTE_MAX, description="What they want to ask or learn."
    )


class TrainingReflectionUpdate(PatchModel):
    personal_goal_ids: list[uuid.UUID] = Field(default=None, max_length=GOALS_MAX)
    situation: str = Field(default=None, min_length=1, max_length=NOTE_MAX)
    question: str | None = Field(default=None, max_length=NOTE_MAX)


class TrainingReflectionPublic(SQLModel):
    id: uuid.UUID
    enrolment_id: uuid.UUID
    session_id: uuid.UUID
    employee_id: uuid.UUID
    personal_goal_ids: list[uuid.UUID]
    situation: str
    question: str | None
    created_at: datetime = Field(
        description="When it was recorded: before the session's start it counts for the "
        "rule reflected_before_training."
    )
    updated_at: datetime


class WithoutReflection(BaseModel):
    enrolment_id: uuid.UUID
    employee_id: uuid.UUID
    employee_name: str


class SessionReflections(BaseModel):
    """Who of a session's participants prepared, and whom to ask for a reflection."""

    session_id: uuid.UUID
    starts_at: datetime
    severity: Severity = Field(
        description="reflected_before_training's severity, applied when the session is completed."
    )
    enrolled: int
    reflected: int = Field(description="Participants with a reflection recorded before the start.")
    without_reflection: list[WithoutReflection]


# --- evaluation after training --------------------------------------------------------------


class Attendance(StrEnum):
    """present and partly complete the session; absent does not."""

    present = "present"
    partly = "partly"
    absent = "absent"


def json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class TrainingEvaluation(TenantTable, table=True):
    """A participant's evaluation of a session: attendance, their feedback and the
    trainer's note. One per enrolment."""

    __tablename__ = "training_evaluation"
    __table_args__ = (
        UniqueConstraint("enrolment_id"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    enrolment_id: uuid.UUID = Field(foreign_key="enrolment.id")
    session_id: uuid.UUID = Field(foreign_key="training_session.id", index=True)
    program_id: uuid.UUID = Field(foreign_key="training_program.id", index=True)
    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    attendance: Attendance = Field(sa_type=sa.String(16))
    rating: int | None = Field(default=None)
    helped: str | None = Field(default=None, max_length=NOTE_MAX)
    practise_more: str | None = Field(default=None, max_length=NOTE_MAX)
    trainer_note: str | None = Field(default=None, max_length=NOTE_MAX)
    achieved_goal_ids: list[str] = json_list()


class TrainingEvaluationCreate(CreateModel):
    enrolment_id: uuid.UUID
    attendance: Attendance = Field(description="present, partly or absent (absent: not completed).")
    rating: int | None = Field(default=None, ge=1, le=5, description="The participant's 1-5.")
    helped: str | None = Field(default=None, max_length=NOTE_MAX, description="What helped.")
    practise_more: str | None = Field(
        default=None, max_length=NOTE_MAX, description="What they want to practise more."
    )
    trainer_note: str | None = Field(
        default=None, max_length=NOTE_MAX, description="The trainer's note on this participant."
    )
    achieved_goal_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=GOALS_MAX,
        description="Personal goals of the participant reached with this training: marked "
        "achieved when the session is completed.",
    )


class TrainingEvaluationUpdate(PatchModel):
    attendance: Attendance = Field(default=None)
    rating: int | None = Field(default=None, ge=1, le=5)
    helped: str | None = Field(default=None, max_length=NOTE_MAX)
    practise_more: str | None = Field(default=None, max_length=NOTE_MAX)
    trainer_note: str | None = Field(default=None, max_length=NOTE_MAX)
    achieved_goal_ids: list[uuid.UUID] = Field(default=None, max_length=GOALS_MAX)


class TrainingEvaluationPublic(SQLModel):
    id: uuid.UUID
    enrolment_id: uuid.UUID
    session_id: uuid.UUID
    program_id: uuid.UUID
    employee_id: uuid.UUID
    attendance: Attendance
    rating: int | None
    helped: str | None
    practise_more: str | None
    trainer_note: str | None
    achieved_goal_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


class GoalProgress(TenantTable, table=True):
    """A session practised a personal goal: written when the session is completed, for
    each completing participant's open goals on the programme's skills."""

    __tablename__ = "goal_progress"
    __table_args__ = (UniqueConstraint("personal_goal_id", "session_id"),)

    personal_goal_id: uuid.UUID = Field(foreign_key="personal_goal.id", index=True)
    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    session_id: uuid.UUID = Field(foreign_key="training_session.id", index=True)
    program_id: uuid.UUID = Field(foreign_key="training_program.id")
    skill_id: uuid.UUID = Field(foreign_key="skill.id")
    practised_on: date
    achieved: bool = Field(default=False, description="The evaluation marked it achieved.")


class GoalProgressPublic(SQLModel):
    id: uuid.UUID
    personal_goal_id: uuid.UUID
    employee_id: uuid.UUID
    session_id: uuid.UUID
    program_id: uuid.UUID
    skill_id: uuid.UUID
    practised_on: date
    achieved: bool
    created_at: datetime
