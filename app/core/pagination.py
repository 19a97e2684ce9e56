"""Cursor pagination, ``updated_since`` and field filters, shared by every list.

Rows are ordered by their time-ordered UUID primary key, so the cursor is simply the last
id seen: a keyset that never repeats or skips a row, even while rows are being inserted.
"""

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import Select
from sqlmodel import Session, col

from app.core.errors import InvalidInput
from app.core.models import TimestampedTable

T = TypeVar("T")
M = TypeVar("M", bound=TimestampedTable)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next (null: last)."""

    items: list[T]
    next_cursor: str | None = Field(default=None, max_length=100)


class PageParams(BaseModel):
    """``limit``, ``cursor`` and ``updated_since``, parsed once for every list."""

    limit: int = DEFAULT_LIMIT
    after: uuid.UUID | None = None
    updated_since: datetime | None = None


def encode_cursor(last_id: uuid.UUID) -> str:
    """Opaque cursor for the row after ``last_id``."""
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    """The id a cursor points after; a malformed cursor is a 422 problem."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "The cursor is not one this API issued.",
            code="invalid-cursor",
            errors=[{"pointer": "/query/cursor", "detail": "malformed cursor"}],
        ) from exc


# The list query parameters, declared once for every list (and the reports' pages).
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1-200.")]
Cursor = Annotated[
    str | None, Query(max_length=100, description="`next_cursor` of the previous page.")
]
UpdatedSince = Annotated[
    AwareDatetime | None,
    Query(description="Only rows changed at or after this RFC 3339 time (for sync)."),
]


def page_params(
    limit: int = DEFAULT_LIMIT, cursor: str | None = None, updated_since: datetime | None = None
) -> PageParams:
    """The common list parameters, parsed (a malformed cursor is a 422 problem)."""
    return PageParams(
        limit=limit, after=decode_cursor(cursor) if cursor else None, updated_since=updated_since
    )


async def _page_query(
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None, updated_since: UpdatedSince = None
) -> PageParams:
    # async: it only parses, and a sync dependency costs every list a thread-pool hop.
    return page_params(limit, cursor, updated_since)


# The query parameters of every list: `limit`, `cursor`, `updated_since`.
PageQuery = Annotated[PageParams, Depends(_page_query)]


def paginate(
    db: Session, stmt: Select[Any], model: type[M], params: PageParams
) -> tuple[Sequence[M], str | None]:
    """Run a select of ``model`` one page at a time; returns rows and the next cursor."""
    id_col = col(model.id)
    if params.after is not None:
        stmt = stmt.where(id_col > params.after)
    if params.updated_since is not None:
        stmt = stmt.where(col(model.updated_at) >= params.updated_since)
    stmt = stmt.order_by(id_col).limit(params.limit + 1)
    rows = list(db.exec(stmt).all())  # type: ignore[call-overload]
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor(rows[-1].id)
    return rows, next_cursor
