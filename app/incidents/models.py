"""Incidents of client aggression, the employees involved and their aftercare (pillar 4).

An incident's description and its aftercare are sensitive personal data (AVG art. 9-like
care): they are read only with a key that has the ``sensitive`` permission, never shown in
lists, cleared when an employee involved is erased and purged after the retention period.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Self

import sqlalchemy as sa
from pydantic import AwareDatetime, ConfigDict, model_validator
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from app.core.models import CreateModel, PatchModel, TenantTable, UTCDateTime, link_owner
from app.core.schema_rules import not_given_when, rules

TEXT_MAX = 10_000
EXTERNAL_ID_MAX = 100
INVOLVED_MAX = 50


class IncidentCategory(StrEnum):
    """What happened (the categories of the field's incident-reporting forms)."""

    verbal_aggression = "verbal_aggression"
    threat = "threat"
    intimidation = "intimidation"
    discrimination = "discrimination"
    damage_to_property = "damage_to_property"
    physical = "physical"


class CrossedLevel(StrEnum):
    """The level of the norm that was crossed: an incident is orange or red behaviour."""

    orange = "orange"
    red = "red"


class Involvement(StrEnum):
    """affected: the aggression was aimed at them (they get aftercare); witness: saw it."""

    affected = "affected"
    witness = "witness"


class AftercareKind(StrEnum):
    """first_care: the same day; follow_up_conversation: within a week (the defaults)."""

    first_care = "first_care"
    follow_up_conversation = "follow_up_conversation"


class AftercareStatus(StrEnum):
    """pending until recorded as offered, given or declined (each counts as done)."""

    pending = "pending"
    offered = "offered"
    given = "given"
    declined = "declined"


# --- tables ------------------------------------------------------------------------------


class Incident(TenantTable, table=True):
    """An occurrence of aggression against employees of one team."""

    __tablename__ = "incident"
    __table_args__ = (
        UniqueConstraint("organisation_id", "external_id"),
        sa.CheckConstraint("severity BETWEEN 1 AND 5", name="severity_range"),
        # The risk analysis, the evidence for selection and the reports read the last two
        # years of an organisation's incidents.
        sa.Index("ix_incident_organisation_id_occurred_at", "organisation_id", "occurred_at"),
    )

    external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    team_id: uuid.UUID = Field(foreign_key="team.id", index=True)
    function_group_id: uuid.UUID = Field(foreign_key="function_group.id", index=True)
    # A norm crossed by incidents cannot be deleted (409); retire it instead.
    norm_id: uuid.UUID = Field(foreign_key="norm.id", index=True)
    # Copied from the norm when registered: the history keeps the level that was crossed.
    norm_level: CrossedLevel = Field(sa_type=sa.String(16))
    category: IncidentCategory = Field(sa_type=sa.String(32))
    severity: int
    police_informed: bool = Field(default=False)
    description: str | None = Field(default=None, max_length=TEXT_MAX)


class IncidentEmployee(SQLModel, table=True):
    """Link: an employee involved in an incident, affected or as a witness."""

    __tablename__ = "incident_employee"

    incident_id: uuid.UUID = link_owner("incident")
    employee_id: uuid.UUID = Field(
        sa_column=Column(sa.Uuid, sa.ForeignKey("employee.id"), primary_key=True, index=True)
    )
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    involvement: Involvement = Field(sa_type=sa.String(16))


class Aftercare(TenantTable, table=True):
    """One step of aftercare for one affected employee of an incident."""

    answer_depends_on_today = True  # `overdue` (core/models.py)
    __tablename__ = "aftercare"
    __table_args__ = (
        UniqueConstraint("incident_id", "employee_id", "kind"),
        # Overdue aftercare: pending and due before today, per organisation.
        sa.Index(
            "ix_aftercare_organisation_id_status_due_on", "organisation_id", "status", "due_on"
        ),
    )

    incident_id: uuid.UUID = Field(
        sa_column=Column(sa.Uuid, sa.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False)
    )
    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    kind: AftercareKind = Field(sa_type=sa.String(32))
    due_on: date
    status: AftercareStatus = Field(default=AftercareStatus.pending, sa_type=sa.String(16))
    recorded_on: date | None = None
    notes: str | None = Field(default=None, max_length=TEXT_MAX)


# --- schemas -----------------------------------------------------------------------------


class InvolvedEmployee(SQLModel):
    employee_id: uuid.UUID
    involvement: Involvement = Involvement.affected


class InvolvedEmployeeIn(InvolvedEmployee, CreateModel):
    pass


def _no_duplicates(involved: list[InvolvedEmployeeIn] | None) -> None:
    if involved is None:
        return
    ids = [i.employee_id for i in involved]
    if len(ids) != len(set(ids)):
        raise ValueError("an employee is listed twice")


class IncidentCreate(CreateModel):
    """A new incident; every affected employee gets aftercare scheduled."""

    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=EXTERNAL_ID_MAX,
        description="The report's number in the incident-reporting system.",
    )
    occurred_at: AwareDatetime = Field(description="When it happened; not in the future.")
    team_id: uuid.UUID
    function_group_id: uuid.UUID = Field(
        description="The function group of the work in which it happened (the risk analysis)."
    )
    norm_id: uuid.UUID = Field(description="The norm that was crossed: an orange or red norm.")
    category: IncidentCategory
    severity: int = Field(ge=1, le=5, description="Effect on the employees, 1 (slight) - 5.")
    police_informed: bool = False
    description: str | None = Field(
        default=None,
        max_length=TEXT_MAX,
        description="What happened. Sensitive: only keys with `sensitive` read it back.",
    )
    involved: list[InvolvedEmployeeIn] = Field(
        min_length=1,
        max_length=INVOLVED_MAX,
        description="Employees of the team involved; `affected` ones get aftercare.",
    )

    @model_validator(mode="after")
    def _unique(self) -> Self:
        _no_duplicates(self.involved)
        return self


class IncidentUpdate(PatchModel):
    """A partial change; `involved`, when given, replaces the list (aftercare follows)."""

    external_id: str | None = Field(default=None, min_length=1, max_length=EXTERNAL_ID_MAX)
    occurred_at: AwareDatetime = Field(default=None)
    team_id: uuid.UUID = Field(default=None)
    function_group_id: uuid.UUID = Field(default=None)
    norm_id: uuid.UUID = Field(default=None)
    category: IncidentCategory = Field(default=None)
    severity: int = Field(default=None, ge=1, le=5)
    police_informed: bool = Field(default=None)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    involved: list[InvolvedEmployeeIn] = Field(default=None, min_length=1, max_length=INVOLVED_MAX)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        _no_duplicates(self.involved)
        return self


class IncidentSummary(SQLModel):
    """An incident as lists show it: never its description."""

    id: uuid.UUID
    external_id: str | None
    occurred_at: datetime
    team_id: uuid.UUID
    function_group_id: uuid.UUID
    norm_id: uuid.UUID
    norm_level: CrossedLevel
    category: IncidentCategory
    severity: int
    police_informed: bool
    involved: list[InvolvedEmployee]
    created_at: datetime
    updated_at: datetime


class IncidentPublic(IncidentSummary):
    """One incident; the description only for a key with the `sensitive` permission."""

    description: str | None = Field(
        description="Null when absent or when the key lacks the `sensitive` permission "
        "(then `description_withheld` is true)."
    )
    description_withheld: bool


class AftercarePublic(SQLModel):
    id: uuid.UUID
    incident_id: uuid.UUID
    employee_id: uuid.UUID
    kind: AftercareKind
    due_on: date
    status: AftercareStatus
    recorded_on: date | None
    notes: str | None
    overdue: bool = Field(description="Still pending after its due date.")
    created_at: datetime
    updated_at: datetime


class AftercareUpdate(PatchModel):
    """Record the aftercare: offered, given or declined, on a day (default today)."""

    # Pending aftercare has no day (recorded-on-pending): said in the schema too.
    model_config = ConfigDict(
        json_schema_extra=rules(not_given_when("recorded_on", "status", "pending"))
    )

    status: AftercareStatus = Field(default=None)
    recorded_on: date | None = None
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
