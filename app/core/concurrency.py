"""ETags on single resources and ``If-Match`` on PATCH/DELETE (412 on mismatch)."""

import hashlib
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Header, Response

from app.core.errors import PreconditionFailed
from app.core.models import TimestampedTable

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description="ETag of the version you read; the change is refused (412) if it moved on.",
    ),
]


def etag_for(id_: uuid.UUID, updated_at: datetime) -> str:
    """A strong ETag that changes whenever the row's ``updated_at`` changes."""
    raw = f"{id_}:{updated_at.isoformat()}".encode()
    return '"' + hashlib.blake2b(raw, digest_size=12).hexdigest() + '"'


def etag_of(obj: TimestampedTable) -> str:
    """The ETag of a row (see ``etag_for``)."""
    return etag_for(obj.id, obj.updated_at)


def set_etag(response: Response, obj: TimestampedTable) -> None:
    """Send the resource's ETag with a single-resource response."""
    response.headers["ETag"] = etag_of(obj)


def check_if_match(if_match: str | None, obj: TimestampedTable) -> None:
    """Refuse the change when ``If-Match`` names another version (RFC 9110 13.1.1)."""
    if if_match is None:
        return
    current = etag_of(obj)
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed(
        "The resource changed since you read it; fetch it again and retry.",
        code="etag-mismatch",
        current_etag=current,
    )
