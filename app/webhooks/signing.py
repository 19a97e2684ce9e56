"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature is
HMAC-SHA256 with the secret's key bytes (the base64 after ``whsec_``), sent as
``webhook-signature: v1,<base64>`` (one such signature per secret in use, separated by a
space, while a rotated secret's overlap lasts). Receivers verify it with any Standard
Webhooks library (tests/webhooks use the reference ``standardwebhooks`` package).
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secrets_in_use(
    secret: str, previous: str | None, previous_expires_at: datetime | None, *, now: datetime
) -> list[str]:
    """The secrets an attempt is signed with at ``now``: the current one, and the previous
    one while its overlap lasts."""
    if previous is not None and previous_expires_at is not None and now < previous_expires_at:
        return [secret, previous]
    return [secret]


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """One signature (``v1,<base64>``) of a delivery attempt with one secret."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(keys: Sequence[str], *, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers and the content type.

    During a secret rotation the attempt carries one signature per secret in use, the new
    one first, separated by a space as the specification allows: a receiver still on the
    previous secret verifies the delivery as before, one on the new secret too.
    """
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in keys
        ),
    }
