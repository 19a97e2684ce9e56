"""Cursor pagination, ``updated_from``/``_to`` and ``sync_token``, shared by every list.

Rows are ordered by their time-ordered UUID primary key, so the cursor is the last id
seen: a keyset that never repeats or skips a row, even while rows are being inserted.

``updated_from`` compares the time a row was written, which is not when it became
visible: a row of a long transaction can carry a time before a poll that could not see it
yet. The sync token does not have that gap (issue 17): the first page of a scan takes the
change feed's position before it reads (``ListSync.position``), every later page of the
scan carries that same position inside its cursor, and each page answers it as
``sync_token``. Passed back as ``?sync_token=``, a list then holds exactly the rows with a
change event after that position: every change the scan could not have seen is such an
event, because the feed's position never passes a transaction still in flight
(docs/changes.md). The feed lives in ``app/changes``, which core cannot import; it
registers itself here from ``app/domains.py``.
"""

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, Protocol, Self, TypeVar

from fastapi import Depends, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Select
from sqlmodel import Session, col

from app.core.errors import InvalidInput
from app.core.models import TimestampedTable
from app.core.queries import where_range

T = TypeVar("T")
M = TypeVar("M", bound=TimestampedTable)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# A cursor is the last id of a page, its 16 bytes in unpadded base64url (22 characters),
# then, on lists the feed covers, `.` and the scan's sync position. Every string of this
# shape is taken (issue 19: nothing the document declares is refused as malformed): a
# position that does not read as one is replaced by the feed's position now.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{22}(\.[A-Za-z0-9_-]{1,77})?$"


@dataclass(frozen=True)
class PageEnd:
    """What a page says besides its rows: where the next starts, and the scan's sync token."""

    next_cursor: str | None
    sync_token: str | None = None


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next (null: last)."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None,
        max_length=100,
        pattern=CURSOR_PATTERN,
        examples=["AZokVOUGcACNXdgRJrTDCA"],
    )
    sync_token: str | None = Field(
        default=None,
        max_length=100,
        description="The change feed's position when this scan began (the same on every "
        "page of it). Keep the one of your last complete scan and pass it as `sync_token` "
        "to get exactly the rows changed since: unlike `updated_from` it never misses a "
        "row of a transaction that was still running. Null on lists the feed does not "
        "cover (reports, the audit trail, deliveries).",
    )

    @classmethod
    def of(cls, items: list[T], end: PageEnd) -> Self:
        """The page of ``items`` that ``paginate`` ended with ``end``."""
        return cls(items=items, next_cursor=end.next_cursor, sync_token=end.sync_token)


class PageParams(BaseModel):
    """``limit``, ``cursor``, ``updated_from``/``_to`` and ``sync_token``, parsed once."""

    limit: int = DEFAULT_LIMIT
    after: uuid.UUID | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    # The sync token to filter by (rows changed after it) ...
    sync_token: str | None = None
    # ... and the position this scan began at, carried in the cursor from its first page.
    scan_position: str | None = None


class ListSync(Protocol):
    """The change feed as lists use it (``app/changes`` registers it; core cannot import it)."""

    def announces(self, table_name: str, /) -> bool:
        """Whether changes of this table are in the feed (so a list of it can sync)."""
        ...

    def position(self, db: Session, /) -> str:
        """The feed's position now, as a sync token; no change still running is behind it."""
        ...

    def readable(self, token: str, /) -> bool:
        """Whether ``token`` reads as a position of the feed (one carried in a cursor)."""
        ...

    def changed_after(self, db: Session, table_name: str, token: str, /) -> Any:
        """A subquery of the ids of ``table_name`` with a change event after ``token``.

        A malformed token is a 422 problem, one older than the feed's retention a 410.
        """
        ...


@dataclass
class _Registered:
    sync: ListSync | None = None


_REGISTERED = _Registered()


def register_sync(sync: ListSync) -> None:
    """Let lists carry and take sync tokens (``app/domains.py`` calls this)."""
    _REGISTERED.sync = sync


def as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    """An id read raw (text, as the driver gives it on a page that skips the conversion)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def encode_cursor(last_id: uuid.UUID | str, scan_position: str | None = None) -> str:
    """Opaque cursor for the row after ``last_id`` (``as_uuid``), carrying the scan's sync
    position."""
    key = base64.urlsafe_b64encode(as_uuid(last_id).bytes).decode().rstrip("=")
    return f"{key}.{scan_position}" if scan_position else key


def decode_cursor(cursor: str) -> tuple[uuid.UUID, str | None]:
    """The id a cursor points after and its scan's position; malformed is a 422 problem."""
    key, _, position = cursor.partition(".")
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
        return uuid.UUID(bytes=raw), position or None
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "The cursor is not one this API issued.",
            code="invalid-cursor",
            errors=[{"pointer": "/query/cursor", "detail": "malformed cursor"}],
        ) from exc


# The list query parameters, declared once for every list (and the reports' pages).
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1-200.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=CURSOR_PATTERN,
        description="`next_cursor` of the previous page (22 characters of base64url, then "
        "on lists with a sync token `.` and its position).",
    ),
]
UpdatedFrom = Annotated[
    AwareDatetime | None,
    Query(
        description="Only rows changed at or after this RFC 3339 time. It can miss a row "
        "of a transaction still running when you polled: to miss nothing, use `sync_token`."
    ),
]
UpdatedTo = Annotated[
    AwareDatetime | None,
    Query(description="Only rows last changed at or before this RFC 3339 time."),
]
UpdatedSince = Annotated[
    AwareDatetime | None, Query(deprecated=True, description="Deprecated: use `updated_from`.")
]
SyncToken = Annotated[
    str | None,
    Query(
        max_length=100,
        description="`sync_token` of an earlier scan: only rows changed since (created or "
        "updated; deletions are in the change feed). Misses nothing.",
    ),
]


def page_params(
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    *,
    updated_from: datetime | None = None,
    updated_to: datetime | None = None,
    sync_token: str | None = None,
) -> PageParams:
    """The common list parameters, parsed (a malformed cursor is a 422 problem)."""
    after, scan_position = decode_cursor(cursor) if cursor else (None, None)
    return PageParams(
        limit=limit,
        after=after,
        updated_from=updated_from,
        updated_to=updated_to,
        sync_token=sync_token,
        scan_position=scan_position,
    )


async def _page_query(
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    updated_from: UpdatedFrom = None,
    updated_to: UpdatedTo = None,
    sync_token: SyncToken = None,
    updated_since: UpdatedSince = None,
) -> PageParams:
    # async: it only parses, and a sync dependency costs every list a thread-pool hop.
    return page_params(
        limit,
        cursor,
        updated_from=updated_from or updated_since,
        updated_to=updated_to,
        sync_token=sync_token,
    )


# The query parameters of every list: `limit`, `cursor`, `updated_from`/`updated_to`
# (`updated_since`, deprecated) and `sync_token`.
PageQuery = Annotated[PageParams, Depends(_page_query)]


def _syncing(model: type[M], params: PageParams, *, sync: bool) -> ListSync | None:
    """The feed, when this list can sync; a sync token given to one that cannot is a 422."""
    feed = _REGISTERED.sync
    table_name: str = model.__tablename__  # type: ignore[assignment]
    if sync and feed is not None and feed.announces(table_name):
        return feed
    if params.sync_token is not None:
        raise InvalidInput(
            "This list is not covered by the change feed, so it takes no sync token; "
            "use `updated_from`.",
            code="validation-error",
            errors=[{"pointer": "/query/sync_token", "detail": "not supported by this list"}],
        )
    return None


def paginate(
    db: Session,
    stmt: Select[Any],
    model: type[M],
    params: PageParams,
    *,
    sync: bool = True,
    changed_since: Callable[[Session, str], Any] | None = None,
) -> tuple[Sequence[M], PageEnd]:
    """Run a select of ``model`` one page at a time; returns rows and how the page ends.

    ``sync=False`` for pages that are not the model's records (a report listing employees).
    ``changed_since(db, token)``: the condition a sync token puts on the rows, for a page
    that shows more than the rows' own changes (default: the rows' own change events).
    """
    feed = _syncing(model, params, sync=sync)
    id_col = col(model.id)
    table_name: str = model.__tablename__  # type: ignore[assignment]
    position = None
    if feed is not None:
        # Before the rows are read: a change committed meanwhile is then after it.
        carried = params.scan_position
        position = carried if carried and feed.readable(carried) else feed.position(db)
        if params.sync_token is not None and changed_since is not None:
            stmt = stmt.where(changed_since(db, params.sync_token))
        elif params.sync_token is not None:
            stmt = stmt.where(id_col.in_(feed.changed_after(db, table_name, params.sync_token)))
    if params.after is not None:
        stmt = stmt.where(id_col > params.after)
    stmt = where_range(
        stmt, col(model.updated_at), at_least=params.updated_from, at_most=params.updated_to
    )
    stmt = stmt.order_by(id_col).limit(params.limit + 1)
    rows = list(db.exec(stmt).all())  # type: ignore[call-overload]
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor(rows[-1].id, position)
    return rows, PageEnd(next_cursor, position)
