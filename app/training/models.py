"""Training programmes (the catalogue), sessions, enrolments and completions."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint

from app.core.models import (
    CreateModel,
    PatchModel,
    TenantTable,
    UTCDateTime,
    link_owner,
    link_target,
    optional_timestamp_field,
)
from app.core.schema_rules import rules
from app.organisation.models import ExposureLevel, Role, Severity
from app.training.content import PracticeSituationIn

TEXT_MAX = 10_000
TITLE_MAX = 200
EXTERNAL_ID_MAX = 100


class Audience(StrEnum):
    """management: managers and senior management; staff: employees; mixed: both."""

    management = "management"
    staff = "staff"
    mixed = "mixed"


class ManagementLevel(StrEnum):
    """Which managers a management programme is for (issue 20, item 8: management training
    fits the manager's role): all of them, senior management (hoger management) only, or
    team managers (leidinggevenden) only."""

    all = "all"
    senior_management = "senior_management"
    team_manager = "team_manager"


class TrainingProgram(TenantTable, table=True):
    """A programme of the catalogue."""

    __tablename__ = "training_program"
    __table_args__ = (UniqueConstraint("organisation_id", "external_id"),)

    external_id: str | None = Field(default=None, max_length=100)
    title: str = Field(max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    audience: Audience = Field(sa_type=sa.String(16))
    management_level: ManagementLevel = Field(
        default=ManagementLevel.all,
        sa_type=sa.String(32),
        sa_column_kwargs={"server_default": ManagementLevel.all.value},
    )
    min_exposure_level: ExposureLevel = Field(default=ExposureLevel.low, sa_type=sa.String(16))
    max_exposure_level: ExposureLevel = Field(
        default=ExposureLevel.very_high, sa_type=sa.String(16)
    )
    format: str = Field(default="classroom", max_length=100)
    duration_hours: float = Field(default=4.0)
    max_group_size: int = Field(default=12)
    refresher_months: int = Field(default=24)
    physical_safety: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    active: bool = Field(default=True)


class ProgramSkill(SQLModel, table=True):
    """Link: a programme trains a skill."""

    __tablename__ = "program_skill"

    program_id: uuid.UUID = link_owner("training_program")
    skill_id: uuid.UUID = link_target("skill")
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


# Every enrolment but a cancelled one holds its seat (and makes a second one a duplicate);
# a no-show does not count as being trained (managers first).
TRAINING_ENROLMENT = (
    EnrolmentStatus.enrolled,
    EnrolmentStatus.attended,
    EnrolmentStatus.completed,
)


class Enrolment(TenantTable, table=True):
    """An employee's place in a session."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("session_id", "employee_id"),
        # An employee's enrolments (training record, managers first): two equality columns,
        # so SQLite prefers it to the organisation-wide index.
        sa.Index("ix_enrolment_organisation_id_employee_id", "organisation_id", "employee_id"),
    )

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
        # Per employee and programme the latest completion (training record, current skills,
        # managers first), answered from the index alone.
        sa.Index(
            "ix_training_completion_organisation_id_employee_id",
            "organisation_id",
            "employee_id",
            "program_id",
            "completed_on",
        ),
    )

    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    program_id: uuid.UUID = Field(foreign_key="training_program.id", index=True)
    session_id: uuid.UUID | None = Field(
        default=None, foreign_key="training_session.id", index=True
    )
    completed_on: date = Field(index=True)


# --- API schemas: programmes ------------------------------------------------------------


_MANAGEMENT_LEVEL = (
    "For a management programme, which managers it is for: `all`, `senior_management` "
    "(hoger management) or `team_manager` (leidinggevenden); the plan gives each level its "
    "own sessions and audience_fit refuses the other level. Other audiences take `all` only."
)


_PHYSICAL = (
    "Practises physical safety skills (breaking free, holding, safe distance under threat). "
    "A new programme that does not give its own `refresher_months` then takes the "
    "organisation's `physical_refresher_months` (12 unless changed): such skills fade faster."
)


class TrainingProgramBase(SQLModel):
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    provider: str | None = Field(default=None, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    audience: Audience = Field(
        description="management: team managers and senior management; staff: employees; "
        "mixed: both."
    )
    management_level: ManagementLevel = Field(
        default=ManagementLevel.all, description=_MANAGEMENT_LEVEL
    )
    min_exposure_level: ExposureLevel = Field(
        default=ExposureLevel.low, description="Lowest function-group exposure it suits."
    )
    max_exposure_level: ExposureLevel = Field(
        default=ExposureLevel.very_high, description="Highest function-group exposure it suits."
    )
    format: str = Field(
        default="classroom",
        min_length=1,
        max_length=100,
        description="e.g. classroom, role_play_with_actor, e_learning, simulation.",
    )
    duration_hours: float = Field(default=4.0, gt=0, le=1000)
    max_group_size: int = Field(default=12, ge=1, le=1000)
    refresher_months: int = Field(
        default=24,
        ge=1,
        le=240,
        description="How long a completion keeps the skills current (24 for conversation and "
        "de-escalation, 12 with physical safety skills).",
    )
    physical_safety: bool = Field(default=False, description=_PHYSICAL)
    active: bool = True


_NORMS = "Norms it practises (responding to the behaviour, its aftercare)."
_SECTIONS = "Sections of the protocol it practises."
_SITUATIONS = "Practice situations it uses, per function group (null: every group)."


# The rule of _check_management_level (programmes.py), said in the schema as well.
_LEVEL_FOR_MANAGEMENT_ONLY = {
    "not": {
        "required": ["management_level", "audience"],
        "properties": {
            "management_level": {"enum": ["senior_management", "team_manager"]},
            "audience": {"not": {"const": "management"}},
        },
    }
}


class TrainingProgramCreate(TrainingProgramBase, CreateModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=rules(_LEVEL_FOR_MANAGEMENT_ONLY))

    refresher_months: int | None = Field(  # type: ignore[assignment]
        default=None,
        ge=1,
        le=240,
        description="How long a completion keeps the skills current; omitted or null: the "
        "organisation's `physical_refresher_months` (12 unless changed) when "
        "`physical_safety`, else its `default_refresher_months` (24 unless changed).",
    )

    skill_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    norm_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100, description=_NORMS)
    protocol_section_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description=_SECTIONS
    )
    practice_situations: list[PracticeSituationIn] = Field(
        default_factory=list, max_length=100, description=_SITUATIONS
    )


class TrainingProgramUpdate(PatchModel):
    """A partial change; `skill_ids`, `norm_ids`, `protocol_section_ids` and
    `practice_situations`, when given, each replace their list."""

    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    title: str = Field(default=None, min_length=1, max_length=TITLE_MAX)
    provider: str | None = Field(default=None, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    audience: Audience = Field(default=None)
    management_level: ManagementLevel = Field(default=None, description=_MANAGEMENT_LEVEL)
    min_exposure_level: ExposureLevel = Field(default=None)
    max_exposure_level: ExposureLevel = Field(default=None)
    format: str = Field(default=None, min_length=1, max_length=100)
    duration_hours: float = Field(default=None, gt=0, le=1000)
    max_group_size: int = Field(default=None, ge=1, le=1000)
    refresher_months: int = Field(default=None, ge=1, le=240)
    physical_safety: bool = Field(default=None, description=_PHYSICAL)
    active: bool = Field(default=None)
    skill_ids: list[uuid.UUID] = Field(default=None, max_length=50)
    norm_ids: list[uuid.UUID] = Field(default=None, max_length=100, description=_NORMS)
    protocol_section_ids: list[uuid.UUID] = Field(
        default=None, max_length=100, description=_SECTIONS
    )
    practice_situations: list[PracticeSituationIn] = Field(
        default=None, max_length=100, description=_SITUATIONS
    )


class TrainingProgramPublic(TrainingProgramBase):
    id: uuid.UUID
    skill_ids: list[uuid.UUID]
    norm_ids: list[uuid.UUID] = Field(description=_NORMS)
    protocol_section_ids: list[uuid.UUID] = Field(description=_SECTIONS)
    practice_situations: list[PracticeSituationIn] = Field(description=_SITUATIONS)
    created_at: datetime
    updated_at: datetime


# --- API schemas: sessions --------------------------------------------------------------


class TrainingSessionCreate(CreateModel):
    program_id: uuid.UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime = Field(description="Must be after `starts_at`.")
    location: str | None = Field(default=None, max_length=300)
    trainer: str | None = Field(default=None, max_length=TITLE_MAX)
    capacity: int | None = Field(
        default=None, ge=1, le=1000, description="Seats; defaults to the programme's group size."
    )


class TrainingSessionUpdate(PatchModel):
    """A partial change. `status: cancelled` cancels the session and all its enrolments."""

    starts_at: AwareDatetime = Field(default=None)
    ends_at: AwareDatetime = Field(default=None)
    location: str | None = Field(default=None, max_length=300)
    trainer: str | None = Field(default=None, max_length=TITLE_MAX)
    capacity: int = Field(default=None, ge=1, le=1000)
    status: Literal["cancelled"] = Field(
        default=None, description="Only `cancelled`; complete with POST .../complete."
    )


class TrainingSessionPublic(SQLModel):
    id: uuid.UUID
    program_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    location: str | None
    trainer: str | None
    capacity: int
    enrolled_count: int = Field(description="Seats taken (enrolments not cancelled).")
    seats_left: int
    status: SessionStatus
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SessionCompletion(CreateModel):
    """Completing a session: attendees (enrolled or attended, not no-shows) complete it."""

    completed_on: date | None = Field(
        default=None, description="Defaults to the day the session ends."
    )


# --- API schemas: rules and enrolments --------------------------------------------------


class RuleResult(BaseModel):
    """One enrolment rule the employee does not meet, with how strongly it applies."""

    rule: str = Field(
        max_length=100,
        description="managers_first, protocol_ready, comparable_functions, exposure_fit, "
        "audience_fit, capacity, duplicate, session_open, employee_active; "
        "awaiting_readiness (never refuses): booked for a session that starts later while "
        "the protocol is still unread, protocol_ready decides at the start.",
    )
    severity: Severity = Field(description="error refuses the enrolment; warning is recorded.")
    message: str = Field(max_length=4000)
    details: dict[str, Any] = Field(default_factory=dict)


class EnrolmentCreate(CreateModel):
    employee_id: uuid.UUID


class EnrolmentUpdate(PatchModel):
    """Record attendance, a no-show, or cancel (which frees the seat)."""

    status: Literal["attended", "no_show", "cancelled"]


class EnrolmentPublic(SQLModel):
    id: uuid.UUID
    session_id: uuid.UUID
    employee_id: uuid.UUID
    status: EnrolmentStatus
    warnings: list[RuleResult] = Field(
        description="Rules with severity `warning` the enrolment did not meet at booking "
        "(`awaiting_readiness`: the protocol was still unread), and `protocol_ready` as "
        "decided at completion (severity `error`: not completed)."
    )
    created_at: datetime
    updated_at: datetime


class EnrolmentCheck(SQLModel):
    """The outcome of the enrolment rules for one employee, without enrolling."""

    session_id: uuid.UUID
    employee_id: uuid.UUID
    allowed: bool
    errors: list[RuleResult]
    warnings: list[RuleResult]


# --- training record and refreshers -----------------------------------------------------


class CompletionRecord(SQLModel):
    id: uuid.UUID
    program_id: uuid.UUID
    program_title: str
    session_id: uuid.UUID | None
    completed_on: date
    refresher_due_on: date = Field(
        description="completed_on + the programme's refresher_months: from this day on the "
        "completion no longer keeps its skills current."
    )
    current: bool


class SkillRecord(SQLModel):
    skill_id: uuid.UUID
    code: str
    label_nl: str
    current: bool
    lapses_on: date = Field(
        description="The day the skill stops being current (latest over its completions)."
    )
    last_completed_on: date


class RefresherDue(SQLModel):
    """A completed programme whose skills lapse soon (or have lapsed) without a refresher."""

    employee_id: uuid.UUID
    employee_name: str
    team_id: uuid.UUID | None
    program_id: uuid.UUID
    program_title: str
    completed_on: date
    due_on: date
    overdue: bool
    skill_ids: list[uuid.UUID] = Field(description="Skills of the programme that lapse.")


class UpcomingEnrolment(SQLModel):
    enrolment_id: uuid.UUID
    session_id: uuid.UUID
    program_id: uuid.UUID
    program_title: str
    starts_at: datetime
    status: EnrolmentStatus


class TrainingRecord(SQLModel):
    employee_id: uuid.UUID
    employee_name: str
    role: Role
    on: date
    completions: list[CompletionRecord]
    skills: list[SkillRecord]
    refreshers_due: list[RefresherDue]
    upcoming: list[UpcomingEnrolment]


class RefreshersDueReport(SQLModel):
    on: date
    within_days: int
    items: list[RefresherDue]
