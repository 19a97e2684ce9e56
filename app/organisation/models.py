"""Organisations (the tenant), API keys, teams, function groups and employees."""

import copy
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import EmailStr, computed_field, field_validator
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
from app.organisation.settings import DEFAULT_BANDS as DEFAULT_BANDS
from app.organisation.settings import ExposureBands as ExposureBands
from app.organisation.settings import ExposureLevel as ExposureLevel
from app.organisation.settings import OrganisationSettings as OrganisationSettings
from app.organisation.settings import OrganisationSettingsUpdate as OrganisationSettingsUpdate
from app.organisation.settings import RuleSeverities as RuleSeverities
from app.organisation.settings import RuleSeveritiesUpdate as RuleSeveritiesUpdate
from app.organisation.settings import Severity as Severity

NAME_MAX = 200
EXTERNAL_ID_MAX = 100
USER_NAME_MAX = 320
TEXT_MAX = 10_000
COMPARABLE_GROUP_MAX = 100
_COMPARABLE_GROUP = (
    "The set of comparable function groups this one belongs to (e.g. 'jeugd ambulant'): "
    "function groups with the same label are trained together and pass the "
    "comparable_functions rule whatever their exposure; null: it compares by exposure level "
    "(the fallback), and only with other groups in no set."
)


# --- organisation and its settings (app/organisation/settings.py) -------------------------


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

    def column_values(self) -> dict[str, Any]:
        """The row's column values, the settings copied: what outlives the session it was
        read in (a remembered key, a sign-in). ``from_column_values`` makes a row again."""
        values = {a.key: getattr(self, a.key) for a in sa.inspect(Organisation).column_attrs}
        values["settings_json"] = copy.deepcopy(values["settings_json"])
        return values

    @classmethod
    def from_column_values(cls, values: Mapping[str, Any]) -> "Organisation":
        """A detached copy: it cannot expire or lazy-load, and shares no settings."""
        return cls(**{**values, "settings_json": copy.deepcopy(values["settings_json"])})


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
    """What a key may do: read, write and admin each include the ones before them; scim is
    SCIM provisioning only (/scim/v2) and nothing else."""

    read = "read"
    write = "write"
    admin = "admin"
    # SCIM provisioning only (app/scim): ranked below `read`, so every /v1 route refuses
    # it (403), and /scim/v2 accepts nothing else.
    scim = "scim"


SCOPE_RANK = {Scope.scim: -1, Scope.read: 0, Scope.write: 1, Scope.admin: 2}


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
    # The identity provider's own key of the group (SCIM `externalId`, app/scim); the HR
    # platform's key stays `external_id`.
    scim_external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)


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


EXPOSURE_ORDER = [
    ExposureLevel.low,
    ExposureLevel.moderate,
    ExposureLevel.high,
    ExposureLevel.very_high,
]
EXPOSURE_RANK = {level: i for i, level in enumerate(EXPOSURE_ORDER)}


def exposure_level(score: int, bands: ExposureBands) -> ExposureLevel:
    """The level of a risk score in the organisation's bands (defaults: low 1-4, moderate
    5-9, high 10-16, very_high 17-25, DOMAIN.md)."""
    return bands.level(score)


class Grouping(StrEnum):
    """What put people in one session: their set of comparable function groups, their
    exposure level (the fallback for groups in no set), or their management level."""

    function_groups = "function_groups"
    exposure_level = "exposure_level"
    management_level = "management_level"


def comparable_key(
    comparable_group: str | None, level: ExposureLevel | None
) -> tuple[Grouping, str | None]:
    """What a function group is compared by (comparable functions, issue 20 item 6): its set
    of comparable groups first, its exposure level only when it is in no set. Two groups are
    comparable exactly when their keys are equal, so a group in a set never counts as
    comparable with one outside it, whatever their levels."""
    if comparable_group is not None:
        return Grouping.function_groups, comparable_group
    return Grouping.exposure_level, level


class FunctionGroup(TenantTable, table=True):
    """A group of comparable functions and how much aggression it meets."""

    answer_depends_on_today = True  # `risk_assessment_due` (core/models.py)
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
    # Comparable functions (seed step 3; issue 20, item 6): groups with the same label form
    # one set of comparable function groups; a group without one compares by exposure level.
    comparable_group: str | None = Field(default=None, max_length=COMPARABLE_GROUP_MAX)
    # Set once the organisation chose this group's needs itself (learning domain); until
    # then the defaults by exposure level apply.
    custom_needs: bool = Field(default=False)

    @property
    def exposure_score(self) -> int:
        return self.likelihood * self.impact

    # The level depends on the organisation's bands (settings.exposure_bands): there is no
    # property that could quietly use the defaults.
    def level(self, bands: ExposureBands) -> ExposureLevel:
        """Its exposure level in these bands."""
        return bands.level(self.exposure_score)

    def comparable_key(self, bands: ExposureBands) -> tuple[Grouping, str | None]:
        """What it is compared by: its set of comparable groups, else its level."""
        return comparable_key(self.comparable_group, self.level(bands))


class FunctionGroupBase(SQLModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    likelihood: int = Field(ge=1, le=5, description="Kans: how likely aggression is, 1-5.")
    impact: int = Field(ge=1, le=5, description="Effect: how severe it tends to be, 1-5.")
    risk_assessed_on: date | None = None
    comparable_group: str | None = Field(
        default=None, min_length=1, max_length=COMPARABLE_GROUP_MAX, description=_COMPARABLE_GROUP
    )


class FunctionGroupCreate(FunctionGroupBase, CreateModel):
    pass


class FunctionGroupUpdate(PatchModel):
    name: str = Field(default=None, min_length=1, max_length=NAME_MAX)
    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    likelihood: int = Field(default=None, ge=1, le=5)
    impact: int = Field(default=None, ge=1, le=5)
    risk_assessed_on: date | None = None
    comparable_group: str | None = Field(
        default=None, min_length=1, max_length=COMPARABLE_GROUP_MAX, description=_COMPARABLE_GROUP
    )


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


def employment_ended(active: bool, ended_on: date | None, today: date) -> str | None:
    """Why someone is no longer employed (deactivated, or past their end date, even before
    the worker's daily pass deactivates them); None while they are. A team's new manager
    must be employed: the teams API and both imports ask this."""
    if not active:
        return "deactivated"
    if ended_on is not None and ended_on <= today:
        return f"out of service since {ended_on.isoformat()}"
    return None


class Employee(TenantTable, table=True):
    """A person of the organisation. Never deleted once they have history; deactivated."""

    __tablename__ = "employee"
    __table_args__ = (
        UniqueConstraint("organisation_id", "external_id"),
        UniqueConstraint("organisation_id", "email"),
        # A SCIM userName is unique in the organisation whatever its case (RFC 7643 §4.1.1:
        # caseExact false). The service checks first; this index refuses the second of two
        # provisioning calls that raced past the check (migration 0019). ``lower`` folds as
        # ``folded`` does on PostgreSQL; on SQLite, where writers are serialised, it folds
        # ASCII only and the check in the service does the rest.
        sa.Index(
            "uq_employee_organisation_id_user_name",
            "organisation_id",
            sa.func.lower(sa.column("user_name")),
            unique=True,
        ),
        sa.Index("ix_employee_organisation_id_team_id_id", "organisation_id", "team_id", "id"),
        # (organisation_id, id), every tenant table's, serves the first page of an
        # unfiltered list (core/models.py; here since migration 0009).
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
    # Datum uit dienst: on this day (or at once, when it has come) the employee is
    # deactivated; the worker's daily pass deactivates the future ones (app/changes/timed.py).
    ended_on: date | None = None
    erased_at: datetime | None = optional_timestamp_field()
    # SCIM provisioning (app/scim): the identity provider's `userName` (unique in the
    # organisation) and its own key `externalId`; the HR key stays `external_id`, which
    # SCIM calls `employeeNumber`. Not part of the /v1 representation.
    user_name: str | None = Field(default=None, max_length=USER_NAME_MAX)
    scim_external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)
    # A SCIM DELETE of someone with history (RFC 7644 §3.6): gone for the identity
    # provider (404, in no list) while the employee stays, deactivated, for that history,
    # until a POST of their employee number or their return to service (migration 0021).
    deprovisioned_at: datetime | None = optional_timestamp_field()

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
    ended_on: date | None = Field(
        default=None,
        description="Datum uit dienst: today or earlier deactivates the employee at once, a "
        "later day deactivates them on that day (the worker's daily pass).",
    )

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
    ended_on: date | None = None

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
