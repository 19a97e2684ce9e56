"""The outbox table of the change feed and the feed's public shapes (issue 17).

A ``change_event`` row is written in the transaction that made the change (see
``outbox.py``), so a change and its event commit or roll back together. ``seq`` orders
events within a transaction; ``txid`` is the writing transaction's id on PostgreSQL (0 on
SQLite, where writers are serialised): the feed orders by ``(txid, seq)`` and hands out
only events of transactions older than every one still in flight (docs/changes.md).
"""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from app.core.models import UTCDateTime, utcnow

TYPE_MAX = 80
RESOURCE_TYPE_MAX = 64
EXTERNAL_ID_MAX = 100


class ChangeEvent(SQLModel, table=True):
    """One change of one resource (or one derived status change), in commit order."""

    __tablename__ = "change_event"
    __table_args__ = (
        sa.Index("ix_change_event_organisation_id_txid_seq", "organisation_id", "txid", "seq"),
        sa.Index(
            "ix_change_event_organisation_id_resource_type_resource_id",
            "organisation_id",
            "resource_type",
            "resource_id",
        ),
        {"sqlite_autoincrement": True},
    )

    seq: int | None = Field(
        default=None,
        sa_column=Column(
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
    )
    txid: int = Field(sa_type=sa.BigInteger, default=0)
    id: uuid.UUID = Field(unique=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    type: str = Field(max_length=TYPE_MAX)
    resource_type: str = Field(max_length=RESOURCE_TYPE_MAX)
    resource_id: uuid.UUID
    external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    # The resource's new state; null for a tombstone (and after an erasure).
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ChangeEventPublic(SQLModel):
    """One event of the change feed."""

    id: uuid.UUID = Field(description="The event's id (also the webhook-id of its delivery).")
    type: str = Field(
        max_length=TYPE_MAX,
        description="`<resource_type>.created|updated|deleted`, or a derived status event "
        "such as `enrolment.completed` or `employee.readiness_changed`.",
    )
    occurred_at: datetime = Field(description="When the change was made.")
    resource_type: str = Field(max_length=RESOURCE_TYPE_MAX, description="e.g. `employee`.")
    resource_id: uuid.UUID
    external_id: str | None = Field(
        default=None, max_length=EXTERNAL_ID_MAX, description="The HR platform's key, if any."
    )
    deleted: bool = Field(description="A tombstone: the resource no longer exists.")
    data: dict[str, Any] | None = Field(
        description="The resource's state after the change (its stored public fields); "
        "null for a tombstone and for an erased employee's events."
    )


class ChangePage(SQLModel):
    """One page of the change feed."""

    items: list[ChangeEventPublic]
    next_cursor: str = Field(
        max_length=100,
        description="Pass as `after` for the next page, also when this one is empty: the "
        "feed never ends, a poll resumes from here.",
    )
    has_more: bool = Field(description="More events are available now.")
