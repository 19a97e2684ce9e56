"""HTTP routes: webhook subscriptions, their delivery log and ping (admin only)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.core.resource import Docs, Resource
from app.core.responses import CREATED_MANY
from app.core.sessions import AdminOnly, WriteSession, reader, writer
from app.webhooks import service
from app.webhooks.models import (
    WebhookDelivery,
    WebhookDeliveryPublic,
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

SubscriptionDep = Annotated[
    WebhookSubscription,
    Depends(reader(WebhookSubscription, "subscription_id", name="webhook subscription")),
]
SubscriptionForUpdate = Annotated[
    WebhookSubscription,
    Depends(writer(WebhookSubscription, "subscription_id", name="webhook subscription")),
]


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
