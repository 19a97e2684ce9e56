"""Norms, versioned aggression protocols, acknowledgements and team discussions."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import AwareDatetime, field_validator
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from app.core.models import (
    CreateModel,
    PatchModel,
    TenantTable,
    UTCDateTime,
    link_owner,
    link_target,
    optional_timestamp_field,
)

TITLE_MAX = 200
TEXT_MAX = 10_000
SECTIONS_MAX = 100
NORM_IDS_MAX = 200
NAME_MAX = 200
EXTERNAL_ID_MAX = 100


def _strip(value: str | None) -> str | None:
    # A title of only spaces is as empty as no title. Stripped after the length bounds are
    # checked, as the schema states them: stripped first, a 201-character title with a
    # space was taken although the contract says at most 200 (issue 19, schemathesis).
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise ValueError("may not be empty or only spaces")
    return value


# --- norms ------------------------------------------------------------------------------


class NormLevel(StrEnum):
    """green: desired; orange: emotional, may escalate, still acceptable; red: unacceptable."""

    green = "green"
    orange = "orange"
    red = "red"


ACCEPTABLE_LEVELS = frozenset({NormLevel.green, NormLevel.orange})


class NormStatus(StrEnum):
    draft = "draft"
    active = "active"
    retired = "retired"


class Norm(TenantTable, table=True):
    """A behaviour norm (seed step 1); with ``team_id`` a team norm within the organisation's."""

    __tablename__ = "norm"

    title: str = Field(max_length=TITLE_MAX, index=True)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    level: NormLevel = Field(sa_type=sa.String(16))
    response: str | None = Field(default=None, max_length=TEXT_MAX)
    aftercare: str | None = Field(default=None, max_length=TEXT_MAX)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="team.id", index=True)
    status: NormStatus = Field(default=NormStatus.active, sa_type=sa.String(16))


class NormBase(SQLModel):
    title: str = Field(
        min_length=1,
        max_length=TITLE_MAX,
        description="The behaviour, e.g. 'Schreeuwen' or 'Dreigen met geweld'.",
    )
    description: str | None = Field(
        default=None, max_length=TEXT_MAX, description="What the behaviour looks like."
    )
    level: NormLevel = Field(
        description="green: desired; orange: emotional, may escalate, still acceptable; "
        "red: unacceptable."
    )
    response: str | None = Field(
        default=None, max_length=TEXT_MAX, description="How staff respond in the moment."
    )
    aftercare: str | None = Field(
        default=None,
        max_length=TEXT_MAX,
        description="How it is handled afterwards: report, talk, sanction, police report.",
    )
    team_id: uuid.UUID | None = Field(
        default=None,
        description="Set for a team norm that sharpens the organisation norm; null for an "
        "organisation norm.",
    )
    status: NormStatus = NormStatus.active

    _strip_title = field_validator("title", mode="after")(_strip)


class NormCreate(NormBase, CreateModel):
    pass


class NormUpdate(PatchModel):
    title: str = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    level: NormLevel = Field(default=None)
    response: str | None = Field(default=None, max_length=TEXT_MAX)
    aftercare: str | None = Field(default=None, max_length=TEXT_MAX)
    team_id: uuid.UUID | None = None
    status: NormStatus = Field(default=None)

    _strip_title = field_validator("title", mode="after")(_strip)


class NormPublic(NormBase):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


# --- protocols --------------------------------------------------------------------------


class ProtocolStatus(StrEnum):
    draft = "draft"
    published = "published"
    superseded = "superseded"


class Protocol(TenantTable, table=True):
    """A version of the aggression protocol (seed step 2)."""

    __tablename__ = "protocol"
    __table_args__ = (
        UniqueConstraint("organisation_id", "version"),
        # At most one published protocol per organisation, enforced by the database so two
        # concurrent publishes cannot both win.
        sa.Index(
            "uq_protocol_one_published",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("status = 'published'"),
            postgresql_where=sa.text("status = 'published'"),
        ),
    )

    title: str = Field(max_length=TITLE_MAX)
    version: int
    summary: str | None = Field(default=None, max_length=TEXT_MAX)
    status: ProtocolStatus = Field(default=ProtocolStatus.draft, sa_type=sa.String(16))
    published_at: datetime | None = optional_timestamp_field()
    # Together with published_at this says which version was in force at any moment, so
    # "was the protocol read before the session?" can be answered for past sessions too.
    superseded_at: datetime | None = optional_timestamp_field()


class SectionKind(StrEnum):
    agreement = "agreement"
    tip = "tip"
    suggestion = "suggestion"
    procedure = "procedure"


class ProtocolSection(TenantTable, table=True):
    """An ordered section of a protocol: an agreement, tip, suggestion or procedure."""

    __tablename__ = "protocol_section"
    __table_args__ = (UniqueConstraint("protocol_id", "position"),)

    protocol_id: uuid.UUID = Field(
        sa_column=Column(
            sa.Uuid, sa.ForeignKey("protocol.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    position: int
    kind: SectionKind = Field(sa_type=sa.String(16))
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=TEXT_MAX)
    pillar: int | None = None


class ProtocolNorm(SQLModel, table=True):
    """Link: a protocol includes a norm."""

    __tablename__ = "protocol_norm"

    protocol_id: uuid.UUID = link_owner("protocol")
    norm_id: uuid.UUID = link_target("norm")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class SectionIn(CreateModel):
    """One section of a protocol; its position is its place in the list."""

    kind: SectionKind
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=TEXT_MAX)
    pillar: int | None = Field(
        default=None,
        ge=1,
        le=4,
        description="1 dienstverlening en veilig werken, 2 risico's en preventie, "
        "3 de-escaleren en veilig handelen, 4 afhandeling en nazorg.",
    )

    _strip_text = field_validator("title", "body", mode="after")(_strip)


class SectionPublic(SQLModel):
    id: uuid.UUID = Field(
        description="The section of this version; a team goal names it as its "
        "`source_protocol_section_id`. A draft's sections get new ids when they are replaced."
    )
    position: int
    kind: SectionKind
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=TEXT_MAX)
    pillar: int | None = None


class ProtocolCreate(CreateModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    summary: str | None = Field(default=None, max_length=TEXT_MAX)
    sections: list[SectionIn] = Field(default_factory=list, max_length=SECTIONS_MAX)
    norm_ids: list[uuid.UUID] = Field(default_factory=list, max_length=NORM_IDS_MAX)

    _strip_title = field_validator("title", mode="after")(_strip)


class ProtocolUpdate(PatchModel):
    """A change to a draft; `sections` and `norm_ids`, when given, replace the lists."""

    title: str = Field(default=None, min_length=1, max_length=TITLE_MAX)
    summary: str | None = Field(default=None, max_length=TEXT_MAX)
    sections: list[SectionIn] = Field(default=None, max_length=SECTIONS_MAX)
    norm_ids: list[uuid.UUID] = Field(default=None, max_length=NORM_IDS_MAX)

    _strip_title = field_validator("title", mode="after")(_strip)


class ProtocolPublic(SQLModel):
    id: uuid.UUID
    title: str = Field(max_length=TITLE_MAX)
    version: int = Field(description="Assigned by the service, increasing per organisation.")
    summary: str | None = Field(default=None, max_length=TEXT_MAX)
    status: ProtocolStatus
    published_at: datetime | None
    superseded_at: datetime | None
    sections: list[SectionPublic]
    norm_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


# --- acknowledgements and team discussions ----------------------------------------------


class ProtocolAcknowledgement(TenantTable, table=True):
    """An employee read this protocol version (once: unique per protocol and employee)."""

    __tablename__ = "protocol_acknowledgement"
    __table_args__ = (UniqueConstraint("protocol_id", "employee_id"),)

    protocol_id: uuid.UUID = Field(foreign_key="protocol.id", index=True)
    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    read_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AcknowledgementCreate(CreateModel):
    employee_id: uuid.UUID
    read_at: AwareDatetime | None = Field(
        default=None, description="When the employee read it; defaults to now."
    )


class AcknowledgementPublic(SQLModel):
    id: uuid.UUID
    protocol_id: uuid.UUID
    employee_id: uuid.UUID
    read_at: datetime
    created_at: datetime
    updated_at: datetime


class TeamDiscussion(TenantTable, table=True):
    """A team discussed this protocol version in a team meeting (werkoverleg)."""

    __tablename__ = "team_discussion"
    __table_args__ = (
        # Readiness asks "did this team discuss this version by then?" per employee.
        sa.Index(
            "ix_team_discussion_protocol_id_team_id", "protocol_id", "team_id", "discussed_on"
        ),
    )

    protocol_id: uuid.UUID = Field(foreign_key="protocol.id")
    team_id: uuid.UUID = Field(foreign_key="team.id", index=True)
    discussed_on: date
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
    # Held as part of this team meeting, with 'Veilig en veerkrachtig werken' on its agenda.
    team_meeting_id: uuid.UUID | None = Field(
        default=None, foreign_key="team_meeting.id", index=True
    )


class TeamDiscussionParticipant(SQLModel, table=True):
    """Link: an employee took part in a team discussion; only they are ready through it."""

    __tablename__ = "team_discussion_participant"

    discussion_id: uuid.UUID = link_owner("team_discussion")
    employee_id: uuid.UUID = link_target("employee")
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


_PARTICIPANTS = (
    "Who took part; only they are protocol-ready through the discussion. Default: the "
    "team's active members when it is recorded."
)
_MEETING = (
    "The team meeting it was held in: of the same team, on `discussed_on`, with "
    "'Veilig en veerkrachtig werken' on its agenda."
)


class TeamDiscussionCreate(CreateModel):
    team_id: uuid.UUID
    discussed_on: date = Field(description="The date of the team meeting.")
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
    participant_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description=_PARTICIPANTS
    )
    team_meeting_id: uuid.UUID | None = Field(default=None, description=_MEETING)


class TeamDiscussionPublic(SQLModel):
    id: uuid.UUID
    protocol_id: uuid.UUID
    team_id: uuid.UUID
    discussed_on: date
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
    participant_ids: list[uuid.UUID] = Field(description=_PARTICIPANTS)
    team_meeting_id: uuid.UUID | None = Field(description=_MEETING)
    created_at: datetime
    updated_at: datetime


# --- readiness ----------------------------------------------------------------------------


class ReadyVia(StrEnum):
    """How an employee became protocol-ready."""

    acknowledged = "acknowledged"
    team_discussion = "team_discussion"


class EmployeeRef(SQLModel):
    id: uuid.UUID
    external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)
    full_name: str = Field(max_length=3 * NAME_MAX)


class TeamReadiness(SQLModel):
    """Protocol readiness of one team's active employees (team null: no team)."""

    team_id: uuid.UUID | None
    team_name: str | None = Field(default=None, max_length=NAME_MAX)
    discussed_on: date | None = Field(
        description="The last team meeting that discussed this version; null if none."
    )
    active_employees: int
    ready: int
    not_ready: int
    acknowledged: int = Field(description="Active employees who read this version themselves.")
    not_ready_employees: list[EmployeeRef]


class ProtocolReadiness(SQLModel):
    """Who is protocol-ready for the current version: read it, or their team discussed it."""

    protocol_id: uuid.UUID
    version: int
    title: str = Field(max_length=TITLE_MAX)
    published_at: datetime | None
    active_employees: int
    ready: int
    not_ready: int
    teams: list[TeamReadiness]
