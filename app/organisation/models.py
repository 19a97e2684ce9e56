"""Organisations (the tenant), API keys, teams, function groups and employees."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, EmailStr, computed_field, field_validator
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint

from app.core.models import (
    CreateModel,
    PatchModel,
    TenantTable,
    TimestampedTable,
    link_owner,
    link_target,
    optional_timestamp_field,
    timestamp_field,
)

NAME_MAX = 200
EXTERNAL_ID_MAX = 100
TEXT_MAX = 10_000


# --- organisation and its settings -------------------------------------------------------


class Severity(StrEnum):
    """How an enrolment rule acts: refuse, warn, or skip."""

    error = "error"
    warning = "warning"
    off = "off"


class RuleSeverities(BaseModel):
    """Severity per configurable enrolment rule (DOMAIN.md, "Further checks")."""

    model_config = ConfigDict(extra="forbid")

    managers_first: Severity = Severity.error
    protocol_ready: Severity = Severity.error
    comparable_functions: Severity = Severity.warning
    exposure_fit: Severity = Severity.warning
    audience_fit: Severity = Severity.error


class OrganisationSettings(BaseModel):
    """The organisation's own choices; defaults follow DOMAIN.md."""

    model_config = ConfigDict(extra="forbid")

    rule_severities: RuleSeverities = Field(default_factory=RuleSeverities)
    allow_unaligned_personal_goals: bool = False
    review_interval_months: int = Field(default=3, ge=1, le=24)
    meetings_without_item_threshold: int = Field(default=3, ge=1, le=24)
    risk_assessment_valid_years: int = Field(default=4, ge=1, le=10)
    # Aftercare after an incident (pillar 4): first care the same day, a follow-up
    # conversation within a week; incident details are kept five years (app/incidents).
    aftercare_first_care_days: int = Field(default=0, ge=0, le=7)
    aftercare_follow_up_days: int = Field(default=7, ge=1, le=60)
    incident_retention_years: int = Field(default=5, ge=1, le=30)


class RuleSeveritiesUpdate(PatchModel):
    managers_first: Severity = Field(default=None)
    protocol_ready: Severity = Field(default=None)
    comparable_functions: Severity = Field(default=None)
    exposure_fit: Severity = Field(default=None)
    audience_fit: Severity = Field(default=None)


class OrganisationSettingsUpdate(PatchModel):
    """A partial settings change; omitted fields keep their value."""

    rule_severities: RuleSeveritiesUpdate = Field(default=None)
    allow_unaligned_personal_goals: bool = Field(default=None)
    review_interval_months: int = Field(default=None, ge=1, le=24)
    meetings_without_item_threshold: int = Field(default=None, ge=1, le=24)
    risk_assessment_valid_years: int = Field(default=None, ge=1, le=10)
    aftercare_first_care_days: int = Field(default=None, ge=0, le=7)
    aftercare_follow_up_days: int = Field(default=None, ge=1, le=60)
    incident_retention_years: int = Field(default=None, ge=1, le=30)


class Organisation(TimestampedTable, table=True):
    """The tenant: every other row belongs to exactly one organisation."""

    __tablename__ = "organisation"

    name: str = Field(max_length=NAME_MAX)
    settings_json: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column("settings", JSON, nullable=False)
    )

    @property
    def settings(self) -> OrganisationSettings:
        return OrganisationSettings.model_validate(self.settings_json or {})


class OrganisationPublic(SQLModel):
    id: uuid.UUID
    name: str
    settings: OrganisationSettings
    created_at: datetime
    updated_at: datetime


class OrganisationUpdate(PatchModel):
    name: str = Field(default=None, min_length=1, max_length=NAME_MAX)
    settings: OrganisationSettingsUpdate = Field(default=None)


# --- API keys ---------------------------------------------------------------------------


class Scope(StrEnum):
    """What a key may do; each includes the ones before it."""

    read = "read"
    write = "write"
    admin = "admin"


SCOPE_RANK = {Scope.read: 0, Scope.write: 1, Scope.admin: 2}


class ApiKey(TenantTable, table=True):
    """An organisation's API key. Only a SHA-256 of the secret is stored."""

    __tablename__ = "api_key"

    name: str = Field(max_length=NAME_MAX)
    prefix: str = Field(max_length=32, unique=True)
    key_hash: str = Field(max_length=128)
    scope: Scope = Field(sa_type=sa.String(16))
    # The `sensitive` permission, beside the scope rank: may read incident descriptions and
    # aftercare (app/incidents). An admin key does not have it unless it was given it.
    sensitive: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    revoked_at: datetime | None = optional_timestamp_field()
    last_used_at: datetime | None = optional_timestamp_field()
    # Without onupdate: recording last_used_at (telemetry, core/auth.py) is not a new
    # version of the key; revoking it is, and says so with touch().
    updated_at: datetime = timestamp_field(index=True)


class ApiKeyCreate(CreateModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    scope: Scope = Scope.read
    sensitive: bool = Field(
        default=False,
        description="The `sensitive` permission: may read incident descriptions and aftercare "
        "(with `read`) and record aftercare (with `write`). Not implied by `admin`.",
    )


class ApiKeyPublic(SQLModel):
    id: uuid.UUID
    name: str
    prefix: str
    scope: Scope
    sensitive: bool
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ApiKeyCreated(ApiKeyPublic):
    """Returned once, at creation: the only time the secret is shown."""

    key: str


# --- teams ------------------------------------------------------------------------------


class Team(TenantTable, table=True):
    """A team (afdeling/team) with its managers."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("organisation_id", "external_id"),)

    name: str = Field(max_length=NAME_MAX)
    external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)


class TeamManager(SQLModel, table=True):
    """Link: an employee manages a team (a team may have several, a manager several teams)."""

    __tablename__ = "team_manager"

    team_id: uuid.UUID = link_owner("team")
    employee_id: uuid.UUID = link_target("employee")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class TeamBase(SQLModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)


class TeamCreate(TeamBase, CreateModel):
    manager_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class TeamUpdate(PatchModel):
    name: str = Field(default=None, min_length=1, max_length=NAME_MAX)
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    manager_ids: list[uuid.UUID] = Field(default=None, max_length=100)


class TeamPublic(TeamBase):
    id: uuid.UUID
    manager_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


# --- function groups --------------------------------------------------------------------


class ExposureLevel(StrEnum):
    """Exposure to aggression from likelihood x impact (DOMAIN.md)."""

    low = "low"
    moderate = "moderate"
    high = "high"
    very_high = "very_high"


EXPOSURE_ORDER = [
    ExposureLevel.low,
    ExposureLevel.moderate,
    ExposureLevel.high,
    ExposureLevel.very_high,
]
EXPOSURE_RANK = {level: i for i, level in enumerate(EXPOSURE_ORDER)}


def exposure_level(score: int) -> ExposureLevel:
    """low 1-4, moderate 5-9, high 10-16, very_high 17-25 (DOMAIN.md)."""
    if score <= 4:
        return ExposureLevel.low
    if score <= 9:
        return ExposureLevel.moderate
    if score <= 16:
        return ExposureLevel.high
    return ExposureLevel.very_high


class FunctionGroup(TenantTable, table=True):
    """A group of comparable functions and how much aggression it meets."""

    __tablename__ = "function_group"
    __table_args__ = (
        UniqueConstraint("organisation_id", "external_id"),
        sa.CheckConstraint("likelihood BETWEEN 1 AND 5", name="likelihood_range"),
        sa.CheckConstraint("impact BETWEEN 1 AND 5", name="impact_range"),
    )

    name: str = Field(max_length=NAME_MAX)
    external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    likelihood: int
    impact: int
    risk_assessed_on: date | None = None
    # Set once the organisation chose this group's needs itself (learning domain); until
    # then the defaults by exposure level apply.
    custom_needs: bool = Field(default=False)

    @property
    def exposure_score(self) -> int:
        return self.likelihood * self.impact

    @property
    def exposure_level(self) -> ExposureLevel:
        return exposure_level(self.exposure_score)


class FunctionGroupBase(SQLModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    likelihood: int = Field(ge=1, le=5, description="Kans: how likely aggression is, 1-5.")
    impact: int = Field(ge=1, le=5, description="Effect: how severe it tends to be, 1-5.")
    risk_assessed_on: date | None = None


class FunctionGroupCreate(FunctionGroupBase, CreateModel):
    pass


class FunctionGroupUpdate(PatchModel):
    name: str = Field(default=None, min_length=1, max_length=NAME_MAX)
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    likelihood: int = Field(default=None, ge=1, le=5)
    impact: int = Field(default=None, ge=1, le=5)
    risk_assessed_on: date | None = None


class FunctionGroupPublic(FunctionGroupBase):
    id: uuid.UUID
    exposure_score: int
    exposure_level: ExposureLevel
    risk_assessment_due: bool = Field(
        description="True when the risk analysis is missing or older than the organisation's "
        "validity (default 4 years)."
    )
    created_at: datetime
    updated_at: datetime


# --- employees --------------------------------------------------------------------------


class Role(StrEnum):
    """employee (medewerker), team_manager (leidinggevende), senior_management (directie)."""

    employee = "employee"
    team_manager = "team_manager"
    senior_management = "senior_management"


MANAGER_ROLES = frozenset({Role.team_manager, Role.senior_management})


def full_name(first_name: str | None, name_particle: str | None, last_name: str | None) -> str:
    """A Dutch name as the API writes it: first name, tussenvoegsel, last name, the empty and
    missing parts left out ("Jan", "van der", "Berg" -> "Jan van der Berg")."""
    return " ".join(p for p in (first_name, name_particle, last_name) if p)


class Employee(TenantTable, table=True):
    """A person of the organisation. Never deleted once they have history; deactivated."""

    __tablename__ = "employee"
    __table_args__ = (
        UniqueConstraint("organisation_id", "external_id"),
        UniqueConstraint("organisation_id", "email"),
        sa.Index("ix_employee_organisation_id_team_id_id", "organisation_id", "team_id", "id"),
        # The first page of an unfiltered list (organisation, ordered by id) without a sort
        # of every employee of the organisation (migration 0009).
        sa.Index("ix_employee_organisation_id_id", "organisation_id", "id"),
    )

    external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)
    first_name: str = Field(max_length=NAME_MAX)
    name_particle: str | None = Field(default=None, max_length=50)
    last_name: str = Field(max_length=NAME_MAX)
    email: str | None = Field(default=None, max_length=320)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="team.id", index=True)
    function_group_id: uuid.UUID | None = Field(
        default=None, foreign_key="function_group.id", index=True
    )
    role: Role = Field(default=Role.employee, sa_type=sa.String(32), index=True)
    # No index: nearly everyone is active, so it never narrows a search, and without
    # statistics SQLite chose it anyway, reading every active employee per joined row
    # (refreshers due: 5.4 s -> 13 ms without it; migration 0009).
    active: bool = Field(default=True)
    started_on: date | None = None
    erased_at: datetime | None = optional_timestamp_field()

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.name_particle, self.last_name)


class EmployeeBase(SQLModel):
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    first_name: str = Field(min_length=1, max_length=NAME_MAX)
    name_particle: str | None = Field(
        default=None, max_length=50, description="Tussenvoegsel, e.g. 'van der'."
    )
    last_name: str = Field(min_length=1, max_length=NAME_MAX)
    email: EmailStr | None = Field(default=None, max_length=320)
    team_id: uuid.UUID | None = None
    function_group_id: uuid.UUID | None = None
    role: Role = Role.employee
    active: bool = True
    started_on: date | None = None

    @field_validator("email", mode="after")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.lower() if v else v


class EmployeeCreate(EmployeeBase, CreateModel):
    pass


class EmployeeUpdate(PatchModel):
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    first_name: str = Field(default=None, min_length=1, max_length=NAME_MAX)
    name_particle: str | None = Field(default=None, max_length=50)
    last_name: str = Field(default=None, min_length=1, max_length=NAME_MAX)
    email: EmailStr | None = Field(default=None, max_length=320)
    team_id: uuid.UUID | None = None
    function_group_id: uuid.UUID | None = None
    role: Role = Field(default=None)
    active: bool = Field(default=None)
    started_on: date | None = None

    @field_validator("email", mode="after")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.lower() if v else v


class EmployeePublic(EmployeeBase):
    id: uuid.UUID
    email: str | None = None
    erased_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.name_particle, self.last_name)
