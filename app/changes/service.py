"""Reading the change feed by cursor, and its retention (issue 17, docs/changes.md).

The cursor is the position ``(txid, seq)`` of the last event handed out. On PostgreSQL a
sequence value can commit after a higher one (a long import takes seq 1..8000, a short
write takes 8001 and commits first), so a reader must never hand out an event while an
older transaction could still add events before it. Events are ordered by the writing
transaction's id, then seq, and only events of transactions older than the oldest one
still in flight *in this database* are visible (``HORIZON_SQL``): every transaction of this
database below that horizon has ended, so nothing can ever appear behind the cursor.
On SQLite writers are serialised (the write lock is held from the first write to the
commit), so seq order is commit order and ``txid`` is 0.
"""

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.changes.models import ChangeEvent, ChangeEventPublic
from app.changes.outbox import NOT_ANNOUNCED
from app.core.config import get_settings
from app.core.errors import Gone, InvalidInput
from app.core.models import render, utcnow
from app.core.tenancy import current_organisation_id

DEFAULT_LIMIT = 100
# Resources whose routes need the admin scope: users (emails, roles), API keys, identity
# providers (their role mapping). Webhook subscriptions, made by an admin, receive them.
ADMIN_ONLY = frozenset({"user", "api_key", "identity_provider"})
MAX_LIMIT = 200


@dataclass(frozen=True)
class Position:
    """Where a reader is in the feed: after event (txid, seq) made at ``at``."""

    txid: int
    seq: int
    at: datetime

    def encode(self) -> str:
        """The opaque cursor for this position."""
        raw = f"{self.txid}.{self.seq}.{int(self.at.timestamp())}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, *, pointer: str = "/query/after") -> "Position":
        """The position a cursor names; a malformed cursor is a 422 problem."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            txid, seq, epoch = (int(part) for part in raw.split("."))
            return cls(txid, seq, datetime.fromtimestamp(epoch, UTC))
        except (binascii.Error, ValueError, UnicodeDecodeError, OverflowError) as exc:
            raise InvalidInput(
                "The cursor is not one this API issued.",
                code="invalid-cursor",
                errors=[{"pointer": pointer, "detail": "malformed cursor"}],
            ) from exc

    def check_retention(self, now: datetime) -> None:
        """Refuse (410) a position older than the retention: events after it may be gone."""
        retention = timedelta(days=get_settings().change_retention_days)
        if self.at < now - retention:
            raise Gone(
                f"The cursor is older than the feed's retention ({retention.days} days): "
                "events after it may have been deleted. Resync with the lists, then read "
                "the feed from its start (no `after`).",
                code="cursor-expired",
            )


# The horizon: the oldest transaction in flight in this database when the statement's
# snapshot was taken. Transaction ids are the server's, so the snapshot's own xmin would
# let a long transaction in another database on the same server hold this feed back. The
# in-progress ids of the snapshot (pg_snapshot_xip) are taken less those a backend of
# another database holds (a transaction writes to one database only; backend_xid is the
# 32-bit form of the same id, and ids in flight are never 2^32 apart); with none left, the
# snapshot's xmax. An id that ended between the snapshot and the read of pg_stat_activity
# is not found there and so still counts: it can hold the horizon back, never skip an event.
HORIZON_SQL = """(
    SELECT coalesce(min(x::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x
    WHERE x::text::bigint % 4294967296 NOT IN (
        SELECT backend_xid::text::bigint FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL
          AND datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
    )
)"""


def _visible(db: Session) -> sa.ColumnElement[bool]:
    """Events of transactions that can no longer be joined by an older one (module doc)."""
    return _visible_on(db.get_bind().dialect.name)


def _visible_on(dialect: str) -> sa.ColumnElement[bool]:
    if dialect != "postgresql":
        return sa.true()
    horizon: sa.ColumnElement[int] = sa.literal_column(HORIZON_SQL)
    # The reader's own transaction, when it has written (only tests read and write in one
    # transaction; a ReadSession has no transaction id).
    own: sa.ColumnElement[int] = sa.literal_column(
        "coalesce(pg_current_xact_id_if_assigned()::text::bigint, -1)"
    )
    return sa.or_(col(ChangeEvent.txid) < horizon, col(ChangeEvent.txid) == own)


def _type_filter(types: Sequence[str]) -> sa.ColumnElement[bool]:
    """An exact event type (``enrolment.completed``) or a resource type (``employee``)."""
    exact = [t for t in types if "." in t]
    resources = [t for t in types if "." not in t]
    return sa.or_(col(ChangeEvent.type).in_(exact), col(ChangeEvent.resource_type).in_(resources))


def events_after(
    db: Session,
    *,
    organisation_id: uuid.UUID,
    after: tuple[int, int],
    types: Sequence[str] = (),
    limit: int,
    hidden: frozenset[str] = frozenset(),
) -> list[ChangeEvent]:
    """Up to ``limit`` visible events after position ``(txid, seq)``, in feed order, but
    none of the resource types in ``hidden``."""
    stmt = select(ChangeEvent).where(
        col(ChangeEvent.organisation_id) == organisation_id,
        _visible(db),
        sa.tuple_(col(ChangeEvent.txid), col(ChangeEvent.seq))
        > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])),
    )
    if types:
        stmt = stmt.where(_type_filter(types))
    if hidden:
        stmt = stmt.where(col(ChangeEvent.resource_type).not_in(sorted(hidden)))
    stmt = stmt.order_by(col(ChangeEvent.txid), col(ChangeEvent.seq)).limit(limit)
    return list(db.exec(stmt).all())


def event_document(event: ChangeEvent) -> dict[str, Any]:
    """An event as the feed and webhooks show it (``ChangeEventPublic``), JSON-ready."""
    deleted = event.type.endswith(".deleted")
    return render(ChangeEventPublic, event, deleted=deleted).model_dump(mode="json")


def read_changes(
    db: Session,
    *,
    organisation_id: uuid.UUID,
    after: str | None,
    types: Sequence[str] = (),
    limit: int = DEFAULT_LIMIT,
    now: datetime,
    admin: bool = False,
) -> tuple[list[ChangeEvent], str, bool]:
    """A page of the feed after the cursor: events, the next cursor and whether more wait.

    The admin-only resources (``ADMIN_ONLY``) are in it for a caller with the admin scope
    only: their routes answer others 403, and the feed must not show them what those hide.

    A cursor older than the retention is refused with 410: events after it may be gone.
    """
    position = Position.decode(after) if after else None
    if position is not None:
        position.check_retention(now)
    start = (position.txid, position.seq) if position is not None else (0, 0)
    rows = events_after(
        db,
        organisation_id=organisation_id,
        after=start,
        types=types,
        limit=limit + 1,
        hidden=frozenset() if admin else ADMIN_ONLY,
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    # A reader that has seen everything visible is up to date now: its cursor ages from
    # here (an event committed later is newer than that, so retention cannot have taken it).
    if rows:
        last = rows[-1]
        assert last.seq is not None
        at = last.occurred_at if has_more else now
        next_cursor = Position(last.txid, last.seq, at).encode()
    elif position is not None:
        next_cursor = Position(position.txid, position.seq, now).encode()
    else:
        next_cursor = Position(0, 0, now).encode()
    return rows, next_cursor, has_more


@cache
def _position_statement(dialect: str) -> sa.Select[int, int | None]:
    # Every list's first page asks for the position (its sync token), so the statement is
    # built once per dialect and runs as plain SQL: built per call and run through the ORM,
    # a query of microseconds cost many times that (docs/performance.md). The organisation
    # is a bound parameter, always given by the caller: the tenant filter is written here,
    # not added.
    return (
        sa.select(col(ChangeEvent.txid), col(ChangeEvent.seq))
        .where(
            col(ChangeEvent.organisation_id) == sa.bindparam("organisation_id"),
            _visible_on(dialect),
        )
        .order_by(col(ChangeEvent.txid).desc(), col(ChangeEvent.seq).desc())
        .limit(1)
    )


def visible_end(db: Session, *, organisation_id: uuid.UUID) -> tuple[int, int]:
    """``(txid, seq)`` of the feed's visible end now: every event committed later, and every
    event of a transaction still in flight (on PostgreSQL one may commit below events
    already committed), comes after it."""
    stmt = _position_statement(db.get_bind().dialect.name)
    last = db.connection().execute(stmt, {"organisation_id": organisation_id}).first()
    if last is None or last[1] is None:
        return 0, 0
    return last[0], last[1]


def current_position(db: Session, *, organisation_id: uuid.UUID) -> str:
    """A cursor at the feed's visible end now (what a reader up to date would hold)."""
    txid, seq = visible_end(db, organisation_id=organisation_id)
    return Position(txid, seq, utcnow()).encode()


def changed_after(db: Session, resource_type: str, token: str, *, pointer: str) -> Any:
    """A subquery of the ids of ``resource_type`` with an event after the position ``token``.

    Every event counts, visible or not yet: the rows a list reads are those committed, and
    an event of a row changed by a transaction still running only makes the row come once
    more, later. A token older than the retention is a 410 (events after it may be gone).
    """
    position = Position.decode(token, pointer=pointer)
    position.check_retention(utcnow())
    return (
        select(col(ChangeEvent.resource_id))
        .where(
            col(ChangeEvent.resource_type) == resource_type,
            sa.tuple_(col(ChangeEvent.txid), col(ChangeEvent.seq))
            > sa.tuple_(sa.literal(position.txid), sa.literal(position.seq)),
        )
        .scalar_subquery()
    )


class FeedSync:
    """The feed as the lists' sync token (``core/pagination.py`` ``ListSync``)."""

    def announces(self, table_name: str, /) -> bool:
        return table_name not in NOT_ANNOUNCED

    def position(self, db: Session, /) -> str:
        return current_position(db, organisation_id=current_organisation_id(db))

    def readable(self, token: str, /) -> bool:
        try:
            Position.decode(token)
        except InvalidInput:
            return False
        return True

    def changed_after(self, db: Session, table_name: str, token: str, /) -> Any:
        return changed_after(db, table_name, token, pointer="/query/sync_token")


def scrub_mentions(db: Session, *, resource_types: Sequence[str], mentioned: uuid.UUID) -> int:
    """An erasure: earlier events of these resource types whose data names ``mentioned``
    lose their data and key, as those of the rows it changes do (outbox): also of rows
    deleted since, or whose text was cleared before, which it cannot change."""
    table: sa.Table = ChangeEvent.__table__  # type: ignore[attr-defined]
    result = db.connection().execute(
        sa.update(table)
        .where(
            table.c.organisation_id == current_organisation_id(db),
            table.c.resource_type.in_(list(resource_types)),
            table.c.data.is_not(None),
            sa.cast(table.c.data, sa.Text).contains(str(mentioned)),
        )
        .values(data=None, external_id=None)
    )
    return int(result.rowcount or 0)


def purge(db: Session, *, now: datetime) -> int:
    """Delete events older than the retention (the worker runs this); returns how many."""
    cutoff = now - timedelta(days=get_settings().change_retention_days)
    result = db.execute(sa.delete(ChangeEvent).where(col(ChangeEvent.occurred_at) < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
