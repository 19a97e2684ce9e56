"""Webhook subscriptions and their delivery log (issue 17, docs/webhooks.md)."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field as PydanticField
from sqlmodel import JSON, Column, Field, SQLModel

from app.core.models import CreateModel, PatchModel, TenantTable, optional_timestamp_field

URL_MAX = 2000
TYPE_MAX = 80
ERROR_MAX = 500


class WebhookSubscription(TenantTable, table=True):
    """Where to deliver which events of the feed, and how far delivery has got."""

    __tablename__ = "webhook_subscription"

    url: str = Field(max_length=URL_MAX)
    description: str | None = Field(default=None, max_length=200)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The signing key (Standard Webhooks: whsec_ + base64); shown once, at creation or in a
    # rotation's answer.
    secret: str = Field(max_length=100)
    # After a rotation the previous key still signs beside the new one until it expires, so
    # a receiver switches keys without refusing a delivery (rotate_secret in service.py).
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = optional_timestamp_field()
    active: bool = True
    disabled_reason: str | None = Field(default=None, max_length=ERROR_MAX)
    # The feed position up to which events have become deliveries (outbox.py ordering).
    after_txid: int = Field(default=0, sa_type=sa.BigInteger)
    after_seq: int = Field(default=0, sa_type=sa.BigInteger)
    failure_streak: int = 0


class DeliveryStatus(StrEnum):
    """pending (due at next_attempt_at), delivered, or failed (back-off exhausted)."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookDelivery(TenantTable, table=True):
    """One event for one subscription: its attempts and outcome (the delivery log)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        sa.UniqueConstraint("subscription_id", "event_id"),
    )

    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscription.id", index=True)
    event_id: uuid.UUID
    event_type: str = Field(max_length=TYPE_MAX)
    # Only a ping carries its own document; an event is read from the feed when it is sent,
    # so an erasure in between reaches the delivery too.
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=sa.String(16))
    attempts: int = 0
    next_attempt_at: datetime | None = optional_timestamp_field()
    last_attempt_at: datetime | None = optional_timestamp_field()
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=ERROR_MAX)


# No control character or white space anywhere in a URL, spelled out: the shorthand `\s`
# means other characters to a client reading the OpenAPI document (JSON Schema's ECMA-262
# dialect) than to the server (Python's and pydantic's, where U+0085 and U+001C-U+001F
# are white space too), and a pattern must accept exactly what the server accepts.
_BLANK = r"\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
HookUrl = Annotated[
    str,
    PydanticField(
        max_length=URL_MAX,
        # A host name, or an IPv6 address in brackets; then a path, query or nothing.
        pattern=(
            rf"^https?://([^{_BLANK}/?#\[\]@]+@)?([^{_BLANK}/?#\[\]@:]+|\[[0-9A-Fa-f:.]+\])"
            rf"(:[0-9]{{1,5}})?([/?#][^{_BLANK}]*)?$"
        ),
        description="Where to POST the events (https in production).",
    ),
]
EventType = Annotated[str, PydanticField(min_length=1, max_length=TYPE_MAX)]


class WebhookSubscriptionCreate(CreateModel):
    url: HookUrl
    description: str | None = Field(default=None, max_length=200)
    event_types: list[EventType] = Field(
        default_factory=list,
        max_length=100,
        description="Event or resource types as in `GET /v1/changes?types=`; empty: all.",
    )


class WebhookSubscriptionUpdate(PatchModel):
    url: HookUrl = Field(default=None)
    description: str | None = Field(default=None, max_length=200)
    event_types: list[EventType] = Field(default=None, max_length=100)
    active: bool = Field(default=None, description="Set true to re-enable a disabled subscription.")


ROTATION_OVERLAP_MAX_HOURS = 7 * 24


class WebhookSecretRotation(CreateModel):
    previous_secret_hours: int = Field(
        default=24,
        ge=0,
        le=ROTATION_OVERLAP_MAX_HOURS,
        description="How many hours the previous secret keeps signing beside the new one, "
        "while the receiver switches; 0 ends it at once (a leaked secret).",
    )


class WebhookSubscriptionPublic(SQLModel):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    active: bool
    disabled_reason: str | None = Field(
        description="Why delivery stopped: the receiver answered 410, or it failed for days."
    )
    failure_streak: int = Field(description="Failed attempts since the last success.")
    secret: str | None = Field(
        default=None,
        description="The signing secret (`whsec_...`): in the answer that creates the "
        "subscription and in the answer of a rotation only, never again.",
    )
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation: until when deliveries also carry a signature with "
        "the previous secret. Null when only the current secret signs."
    )
    created_at: datetime
    updated_at: datetime


class WebhookDeliveryPublic(SQLModel):
    id: uuid.UUID
    event_id: uuid.UUID = Field(description="The change event (also the `webhook-id` header).")
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
