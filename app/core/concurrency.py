"""ETags on single resources, ``If-Match`` on PATCH/DELETE (412 on mismatch) and
``If-None-Match`` on GET (304 when unchanged)."""

import hashlib
import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import Header, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.dates import today
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


def etag_for(
    id_: uuid.UUID, updated_at: datetime, day: date | None = None, *, derived: str = ""
) -> str:
    """A strong ETag that changes whenever the row's ``updated_at`` changes (and ``day``,
    when the answer also derives from the calendar day; ``derived``, when it also shows
    state computed from other rows, such as a training plan's ``stale``)."""
    raw = f"{id_}:{updated_at.isoformat()}" + (f":{day.isoformat()}" if day else "")
    raw += f":{derived}" if derived else ""
    return '"' + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest() + '"'


def etag_of(obj: TimestampedTable) -> str:
    """The ETag of a row (see ``etag_for``), with today's date where its answer needs it."""
    day = today() if obj.answer_depends_on_today else None
    return etag_for(obj.id, obj.updated_at, day)


def set_etag(response: Response, obj: TimestampedTable) -> None:
    """Send the resource's ETag with a single-resource response."""
    response.headers["ETag"] = etag_of(obj)


IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=200,
        description="`*` creates only: the request is refused (412) if the resource exists.",
    ),
]


def check_if_match(
    if_match: str | None, obj: TimestampedTable | None, *, current: str | None = None
) -> None:
    """Refuse the change when ``If-Match`` names another version (RFC 9110 13.1.1).

    With no current version (``obj`` is None: a PUT that would create) no tag matches,
    not even ``*``: a client that read a row someone deleted must not bring it back.
    ``current``: the resource's ETag when it is not the row's own (``etag_for(derived=)``).
    """
    if if_match is None:
        return
    if obj is None:
        raise PreconditionFailed(
            "There is no current version for If-Match to name (it was deleted, or never "
            "existed); nothing was created. Read the collection again, or send no If-Match "
            "to create it.",
            code="etag-mismatch",
        )
    current = current or etag_of(obj)
    # The weak form of the current tag matches too, against RFC 9110's strong comparison: a
    # compressing proxy may weaken the tag a client saw, which could then never write.
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed(
        "The resource changed since you read it; fetch it again and retry.",
        code="etag-mismatch",
        current_etag=current,
    )


def check_if_none_match(if_none_match: str | None, obj: TimestampedTable | None) -> None:
    """Refuse a create-or-replace when ``If-None-Match`` matches the current version
    (RFC 9110 13.1.2): ``*`` makes a PUT create only, a tag makes it skip that version."""
    if if_none_match is None or obj is None:
        return
    wanted = _tags(if_none_match)
    if "*" in wanted or etag_of(obj) in wanted:
        raise PreconditionFailed(
            "The resource exists (If-None-Match matched its current version); nothing was changed.",
            current_etag=etag_of(obj),
        )


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


# What a 304 keeps of the 200 it replaces (RFC 9110 15.4.5).
_KEPT_ON_304 = frozenset({b"etag", b"cache-control", b"vary", b"content-location", b"date"})


class NotModifiedMiddleware:
    """``If-None-Match`` on GET and HEAD: a 200 whose ``ETag`` matches becomes a bodiless 304.

    One place for every resource that sends an ETag: a client polling a resource it has
    (an HR platform re-reading an employee) gets 304 instead of the same body again. The
    comparison is weak (RFC 9110 13.1.2): ``W/`` is ignored, ``*`` matches any ETag.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(b"if-none-match")
        if raw is None:
            await self.app(scope, receive, send)
            return
        wanted = _tags(raw.decode("latin-1"))
        replaced = False

        async def conditional(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 200:
                etag = dict(message.get("headers", [])).get(b"etag")
                if etag is not None and ("*" in wanted or etag.decode("latin-1") in wanted):
                    replaced = True
                    headers = [(k, v) for k, v in message["headers"] if k in _KEPT_ON_304]
                    await send({"type": "http.response.start", "status": 304, "headers": headers})
                    await send({"type": "http.response.body", "body": b""})
                    return
            if replaced:
                return  # the 200's body: a 304 has none
            await send(message)

        await self.app(scope, receive, conditional)
