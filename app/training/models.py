"""Training programmes (the catalogue), sessions, enrolments and completions."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint

from app.core.models import TenantTable, UTCDateTime, optional_timestamp_field
from app.organisation.models import ExposureLevel

TEXT_MAX = 10_000


class Audience(StrEnum):
    """management: managers and senior management; staff: employees; mixed: both."""

    management = "management"
    staff = "staff"
    mixed = "mixed"


class TrainingProgram(TenantTable, table=True):
    """A programme of the catalogue."""

    __tablename__ = "training_program"
    __table_args__ = (UniqueConstraint("organisation_id", "external_id"),)

    external_id: str | None = Field(default=None, max_length=100)
    title: str = Field(max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    audience: Audience = Field(sa_type=sa.String(16))
    min_exposure_level: ExposureLevel = Field(default=ExposureLevel.low, sa_type=sa.String(16))
    max_exposure_level: ExposureLevel = Field(
        default=ExposureLevel.very_high, sa_type=sa.String(16)
    )
    format: str = Field(default="classroom", max_length=100)
    duration_hours: float = Field(default=4.0)
    max_group_size: int = Field(default=12)
    refresher_months: int = Field(default=24)
    active: bool = Field(default=True)


class ProgramSkill(SQLModel, table=True):
    """Link: a programme trains a skill."""

    __tablename__ = "program_skill"

    program_id: uuid.UUID = Field(
        sa_column=Column(
            sa.Uuid, sa.ForeignKey("training_program.id", ondelete="CASCADE"), primary_key=True
        )
    )
    skill_id: uuid.UUID = Field(
        sa_column=Column(sa.Uuid, sa.ForeignKey("skill.id"), primary_key=True, index=True)
    )
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class SessionStatus(StrEnum):
    planned = "planned"
    completed = "completed"
    cancelled = "cancelled"


class TrainingSession(TenantTable, table=True):
    """A scheduled session of a programme."""

    __tablename__ = "training_session"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # The seat count is kept on the row and raised with a guarded UPDATE, so two
        # requests for the last seat can never both succeed (capacity rule).
        sa.CheckConstraint("enrolled_count <= capacity", name="within_capacity"),
    )

    program_id: uuid.UUID = Field(foreign_key="training_program.id", index=True)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    location: str | None = Field(default=None, max_length=300)
    trainer: str | None = Field(default=None, max_length=200)
    capacity: int
    enrolled_count: int = Field(default=0)
    status: SessionStatus = Field(default=SessionStatus.planned, sa_type=sa.String(16), index=True)
    completed_at: datetime | None = optional_timestamp_field()


class EnrolmentStatus(StrEnum):
    enrolled = "enrolled"
    attended = "attended"
    no_show = "no_show"
    completed = "completed"
    cancelled = "cancelled"


class Enrolment(TenantTable, table=True):
    """An employee's place in a session."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("session_id", "employee_id"),)

    session_id: uuid.UUID = Field(foreign_key="training_session.id", index=True)
    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    status: EnrolmentStatus = Field(default=EnrolmentStatus.enrolled, sa_type=sa.String(16))
    warnings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class TrainingCompletion(TenantTable, table=True):
    """A completed training: from a completed session, or imported history."""

    __tablename__ = "training_completion"
    __table_args__ = (
        sa.Index("ix_training_completion_employee_id_program_id", "employee_id", "program_id"),
    )

    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    program_id: uuid.UUID = Field(foreign_key="training_program.id", index=True)
    session_id: uuid.UUID | None = Field(
        default=None, foreign_key="training_session.id", index=True
    )
    completed_on: date = Field(index=True)
