"""Fetch-or-404 dependencies for path ids of this domain."""

from typing import Annotated

from fastapi import Depends

from app.core.sessions import reader, writer
from app.webhooks.models import WebhookSubscription

SubscriptionDep = Annotated[
    WebhookSubscription,
    Depends(reader(WebhookSubscription, "subscription_id", name="webhook subscription")),
]
SubscriptionForUpdate = Annotated[
    WebhookSubscription,
    Depends(writer(WebhookSubscription, "subscription_id", name="webhook subscription")),
]
