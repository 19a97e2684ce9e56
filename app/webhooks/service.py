"""Webhook subscriptions: create, change, delete, ping, and their delivery log (admin)."""

from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.changes import service as changes_service
from app.core.crud import apply_changes
from app.core.dates import rfc3339
from app.core.errors import InvalidInput
from app.core.ids import uuid7
from app.core.listing import ListFilters, Listing
from app.core.models import render, utcnow
from app.core.targets import TargetRefused, check_target
from app.core.tenancy import current_organisation_id
from app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookSecretRotation,
    WebhookSubscription,
    WebhookSubscriptionCreate,
    WebhookSubscriptionPublic,
    WebhookSubscriptionUpdate,
)
from app.webhooks.signing import new_secret, secrets_in_use

# session.info key: {subscription id: secret} of subscriptions created or rotated in this
# request, the only answers that show the secret.
_NEW_SECRETS = "webhook_new_secrets"
PING = "webhook.ping"


def _check_url(url: str) -> None:
    try:
        check_target(url, resolve=False)
    except TargetRefused as exc:
        raise InvalidInput(
            f"Webhooks may not call this URL: {exc}.",
            code="webhook-target-refused",
            errors=[{"pointer": "/url", "detail": str(exc)}],
        ) from exc


def create_subscription(db: Session, *, data: WebhookSubscriptionCreate) -> WebhookSubscription:
    """A new subscription, delivering events committed from now on; its secret is shown once."""
    url = data.url
    _check_url(url)
    # The feed's visible end, not its last row: a transaction in flight on PostgreSQL can
    # commit events below the last committed one, and they are "from now on" too.
    txid, seq = changes_service.visible_end(db, organisation_id=current_organisation_id(db))
    sub = WebhookSubscription(
        url=url,
        description=data.description,
        event_types=list(data.event_types),
        secret=new_secret(),
        after_txid=txid,
        after_seq=seq,
    )
    db.add(sub)
    db.flush()
    db.info.setdefault(_NEW_SECRETS, {})[sub.id] = sub.secret
    return sub


def update_subscription(
    db: Session, *, sub: WebhookSubscription, data: WebhookSubscriptionUpdate
) -> WebhookSubscription:
    """Change URL, types or description; ``active: true`` re-enables a disabled one."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "url" in changes:
        _check_url(changes["url"])
    if changes.get("active") is True:
        changes.update(disabled_reason=None, failure_streak=0)
    apply_changes(sub, changes)
    db.flush()
    return sub


def delete_subscription(db: Session, *, sub: WebhookSubscription) -> None:
    """Delete a subscription and its delivery log."""
    for delivery in db.exec(
        select(WebhookDelivery).where(col(WebhookDelivery.subscription_id) == sub.id)
    ).all():
        db.delete(delivery)
    db.delete(sub)
    db.flush()


def rotate_secret(
    db: Session, *, sub: WebhookSubscription, data: WebhookSecretRotation
) -> WebhookSubscription:
    """A new signing secret, shown once; the previous one signs beside it for a while.

    Only one previous secret is kept: rotating again within the overlap ends the older one.
    """
    now = utcnow()
    overlap = timedelta(hours=data.previous_secret_hours)
    keep_previous = overlap > timedelta(0)
    sub.previous_secret = sub.secret if keep_previous else None
    sub.previous_secret_expires_at = now + overlap if keep_previous else None
    sub.secret = new_secret()
    db.add(sub)
    db.flush()
    db.info.setdefault(_NEW_SECRETS, {})[sub.id] = sub.secret
    return sub


def subscription_public(db: Session, sub: WebhookSubscription) -> WebhookSubscriptionPublic:
    """The API shape; the secret only in the answer of the request that created or rotated
    it; the previous secret's end only while it still signs."""
    secret = db.info.get(_NEW_SECRETS, {}).get(sub.id)
    in_use = secrets_in_use(
        sub.secret, sub.previous_secret, sub.previous_secret_expires_at, now=utcnow()
    )
    expires_at = sub.previous_secret_expires_at if len(in_use) > 1 else None
    return render(
        WebhookSubscriptionPublic, sub, secret=secret, previous_secret_expires_at=expires_at
    )


def ping(db: Session, *, sub: WebhookSubscription) -> WebhookDelivery:
    """Queue a ``webhook.ping`` delivery, sent by the worker like any event."""
    event_id = uuid7()
    delivery = WebhookDelivery(
        subscription_id=sub.id,
        event_id=event_id,
        event_type=PING,
        payload={
            "id": str(event_id),
            "type": PING,
            "occurred_at": rfc3339(utcnow()),
            "data": {"subscription_id": str(sub.id)},
        },
        status=DeliveryStatus.pending,
        next_attempt_at=utcnow(),
    )
    db.add(delivery)
    db.flush()
    return delivery


class DeliveryFilters(ListFilters):
    status: DeliveryStatus | None = None


DELIVERY_LIST = Listing(
    model=WebhookDelivery,
    filters=DeliveryFilters,
    public=WebhookDeliveryPublic,
    doc="The delivery log: each event's attempts, last answer and state (admin).",
)


SUBSCRIPTION_LIST = Listing(
    model=WebhookSubscription,
    filters=ListFilters,
    public=WebhookSubscriptionPublic,
    render=lambda db, rows: [subscription_public(db, r) for r in rows],
    doc="The organisation's webhook subscriptions (admin; secrets are never shown).",
)
