"""Norms, versioned aggression protocols, acknowledgements and team discussions."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from app.core.models import TenantTable, UTCDateTime, optional_timestamp_field

TITLE_MAX = 200
TEXT_MAX = 10_000


class NormLevel(StrEnum):
    """green: desired; orange: emotional, may escalate, still acceptable; red: unacceptable."""

    green = "green"
    orange = "orange"
    red = "red"


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

    protocol_id: uuid.UUID = Field(
        sa_column=Column(
            sa.Uuid, sa.ForeignKey("protocol.id", ondelete="CASCADE"), primary_key=True
        )
    )
    norm_id: uuid.UUID = Field(
        sa_column=Column(sa.Uuid, sa.ForeignKey("norm.id"), primary_key=True, index=True)
    )
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)


class ProtocolAcknowledgement(TenantTable, table=True):
    """An employee read this protocol version (once: unique per protocol and employee)."""

    __tablename__ = "protocol_acknowledgement"
    __table_args__ = (UniqueConstraint("protocol_id", "employee_id"),)

    protocol_id: uuid.UUID = Field(foreign_key="protocol.id", index=True)
    employee_id: uuid.UUID = Field(foreign_key="employee.id", index=True)
    read_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class TeamDiscussion(TenantTable, table=True):
    """A team discussed this protocol version in a team meeting (werkoverleg)."""

    __tablename__ = "team_discussion"

    protocol_id: uuid.UUID = Field(foreign_key="protocol.id", index=True)
    team_id: uuid.UUID = Field(foreign_key="team.id", index=True)
    discussed_on: date
    notes: str | None = Field(default=None, max_length=TEXT_MAX)
