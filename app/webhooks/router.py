"""HTTP routes: webhook subscriptions, their delivery log and ping (admin only)."""

from typing import Annotated

from fastapi import APIRouter, Body, Response

from app.core.concurrency import set_etag
from app.core.resource import Docs, Resource
from app.core.responses import CREATED_MANY, WRITE_ONE
from app.core.sessions import AdminOnly, WriteSession
from app.webhooks import service
from app.webhooks.dependencies import SubscriptionDep, SubscriptionForUpdate
from app.webhooks.models import (
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookSecretRotation,
    WebhookSubscription,
    WebhookSubscriptionCreate,
    WebhookSubscriptionPublic,
    WebhookSubscriptionUpdate,
)

router = APIRouter(dependencies=[AdminOnly])

SUBSCRIPTIONS = Resource(
    model=WebhookSubscription,
    id_param="subscription_id",
    name="webhook subscription",
    schemas=(WebhookSubscriptionCreate, WebhookSubscriptionUpdate, WebhookSubscriptionPublic),
    public=lambda db, sub, _: service.subscription_public(db, sub),
    create=lambda db, data, _: service.create_subscription(db, data=data),
    update=lambda db, sub, data, _: service.update_subscription(db, sub=sub, data=data),
    delete=lambda db, sub: service.delete_subscription(db, sub=sub),
    docs=Docs(
        create="Subscribe a URL to events of the change feed (admin); the answer shows the "
        "signing secret, the only time it is shown.",
        read="One webhook subscription (admin).",
        update="Change URL, event types or description; `active: true` re-enables (admin).",
        delete="Delete a subscription and its delivery log (admin).",
    ),
)
SUBSCRIPTIONS.add_routes(router)

service.SUBSCRIPTION_LIST.add_route(router)


service.DELIVERY_LIST.add_route(
    router,
    "/webhook-subscriptions/{subscription_id}/deliveries",
    name="list_webhook_deliveries",
    tags=["webhook-subscriptions"],
    within=(SubscriptionDep, "subscription_id"),
)


@router.post(
    "/webhook-subscriptions/{subscription_id}/ping",
    tags=["webhook-subscriptions"],
    status_code=201,
    responses=CREATED_MANY,
)
def ping_webhook_subscription(
    sub: SubscriptionForUpdate, db: WriteSession, response: Response
) -> WebhookDeliveryPublic:
    """Queue a signed `webhook.ping` to the URL; the worker sends it (see the log)."""
    delivery: WebhookDelivery = service.ping(db, sub=sub)
    response.headers["Location"] = f"/v1/webhook-subscriptions/{sub.id}/deliveries"
    return WebhookDeliveryPublic.model_validate(delivery, from_attributes=True)


@router.post(
    "/webhook-subscriptions/{subscription_id}/rotate-secret",
    tags=["webhook-subscriptions"],
    responses=WRITE_ONE,
)
def rotate_webhook_secret(
    sub: SubscriptionForUpdate,
    db: WriteSession,
    response: Response,
    data: Annotated[WebhookSecretRotation | None, Body()] = None,
) -> WebhookSubscriptionPublic:
    """A new signing secret, in this answer only (admin). The previous secret keeps
    signing beside it for `previous_secret_hours` (default 24), so the receiver can switch
    without refusing a delivery; `0` ends it at once, as after a leak."""
    sub = service.rotate_secret(db, sub=sub, data=data or WebhookSecretRotation())
    set_etag(response, sub)
    return service.subscription_public(db, sub)
