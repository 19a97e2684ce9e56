"""The audit trail: who changed what, and when (issue 10).

An event names the API key, the resource (table name and id), the action and the NAMES of
the fields that changed. It never holds a value: no secret, no API key, and nothing of an
employee's personal data, so the trail can be kept after an employee is erased.
"""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from app.core.models import TenantTable

RESOURCE_TYPE_MAX = 64
REQUEST_ID_MAX = 128


class AuditAction(StrEnum):
    """create, update, delete; erase for the anonymisation of an employee."""

    create = "create"
    update = "update"
    delete = "delete"
    erase = "erase"


class AuditEvent(TenantTable, table=True):
    """One change of one row, written in the transaction that made the change."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index(
            "ix_audit_event_organisation_id_resource_type_resource_id",
            "organisation_id",
            "resource_type",
            "resource_id",
        ),
    )

    # Null for changes made outside a request (CLI, demo, migrations of data).
    api_key_id: uuid.UUID | None = Field(default=None, foreign_key="api_key.id", index=True)
    # The signed-in person who made the change (issue 18); null for API keys, CLI and demo.
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", index=True)
    resource_type: str = Field(max_length=RESOURCE_TYPE_MAX)
    resource_id: uuid.UUID
    action: AuditAction = Field(sa_type=sa.String(16))
    changed_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    request_id: str | None = Field(default=None, max_length=REQUEST_ID_MAX)


class AuditEventPublic(SQLModel):
    """An audit event as the API shows it; `created_at` is when the change happened."""

    id: uuid.UUID
    api_key_id: uuid.UUID | None = Field(
        description="The API key that made the change; null for people, CLI and demo."
    )
    user_id: uuid.UUID | None = Field(
        default=None, description="The signed-in user who made the change; null for keys."
    )
    resource_type: str = Field(
        max_length=RESOURCE_TYPE_MAX, description="Table name, e.g. `employee`."
    )
    resource_id: uuid.UUID
    action: AuditAction
    changed_fields: list[str] = Field(
        description="Names of the fields that changed (never their values)."
    )
    request_id: str | None = Field(default=None, max_length=REQUEST_ID_MAX)
    created_at: datetime
    updated_at: datetime
