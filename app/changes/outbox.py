"""The transactional outbox: every change of a transaction becomes change events at commit.

The audit trail (``app/audit/trail.py``) already sees every insert, update and delete of a
tenant row, through the unit of work and through bulk statements, and notes each changed
row in the session (``trail.touched``). One ``before_commit`` listener here turns those
notes into ``change_event`` rows on the same connection, just before the transaction
commits: a change and its event commit or roll back together, and no domain does anything
to be announced.

Per row and transaction there is one event, carrying the row's state at commit: a row that
exists was ``created`` (first seen as an insert) or ``updated``; one that is gone was
``deleted`` (a tombstone, no data), unless it was also created in this transaction (then
nothing is announced). Derived status events (``derived.py``) are added from the same
notes. The state is the resource's stored public fields (those of its ``...Public``
schema); secrets and hashes never are, and an erasure scrubs the earlier events of every
row it changed (``data`` and ``external_id`` become null).
"""

import sys
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel import Session as SQLModelSession
from sqlmodel import SQLModel

from app.audit.models import AuditAction
from app.audit.trail import TOUCHED_KEY, Touched
from app.changes import bulk
from app.changes.derived import Derived, derived_events
from app.changes.derived import kept_state as kept_derived
from app.changes.derived import reads_state as reads_derived
from app.changes.models import ChangeEvent
from app.changes.readiness import kept_state as kept_readiness
from app.changes.readiness import readiness_events
from app.changes.readiness import reads_state as reads_readiness
from app.core.ids import uuid7_many
from app.core.models import utcnow
from app.core.queries import chunks

# Bookkeeping, not resources anyone syncs (and a subscription announcing its own delivery
# progress would feed itself).
# Aftercare is sensitive personal data (issue 21): who was cared for after an incident is
# read only with the `sensitive` permission, and the feed is read by any read key.
NOT_ANNOUNCED = frozenset(
    {"audit_event", "change_event", "webhook_subscription", "webhook_delivery", "aftercare"}
)
# Sensitive columns of announced tables: an incident is announced, what happened is not.
_SENSITIVE = frozenset({("incident", "description")})
# Never in an event, whatever the table: credentials and what leads to them.
_NEVER = frozenset({"key_hash", "prefix", "secret", "secret_hash", "organisation_id"})
_CHUNK = 500
# Rows whose events are built and inserted together: memory is bounded by this, and each
# chunk is one INSERT (tests/imports count an import's statements).
_EVENT_CHUNK = 10_000

_TABLE: sa.Table = ChangeEvent.__table__  # type: ignore[attr-defined]


class Change:
    """One row's change in a committing transaction, with its state at commit."""

    __slots__ = ("fields", "first", "key", "organisation_id", "state")

    def __init__(self, key: tuple[str, uuid.UUID], touched: Touched) -> None:
        self.key = key
        self.organisation_id = touched.organisation_id
        self.first = touched.first
        self.fields = touched.fields
        self.state: dict[str, Any] | None = None

    @property
    def resource_type(self) -> str:
        return self.key[0]

    @property
    def resource_id(self) -> uuid.UUID:
        return self.key[1]


@cache
def public_columns(table_name: str) -> tuple[str, ...]:
    """The columns of ``table_name`` an event shows: those its ``...Public`` schema has.

    A table without a public schema (link rows) shows its columns; never a secret.
    """
    table = SQLModel.metadata.tables[table_name]
    names = [
        c.name
        for c in table.columns
        if c.name not in _NEVER and "hash" not in c.name and (table_name, c.name) not in _SENSITIVE
    ]
    for mapper in SQLModel._sa_registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__tablename__", None) != table_name:
            continue
        public = getattr(sys.modules[cls.__module__], f"{cls.__name__}Public", None)
        if public is not None:
            return tuple(n for n in names if n == "id" or n in public.model_fields)
    return tuple(names)


def _load_states(conn: sa.Connection, changes: Sequence[Change]) -> None:
    """Fill ``state`` of each change whose row still exists (one select per table)."""
    by_type: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        by_type[change.resource_type].append(change)
    for table_name, group in by_type.items():
        table = SQLModel.metadata.tables[table_name]
        columns = [table.c[n] for n in public_columns(table_name)]
        by_id = {c.resource_id: c for c in group}
        for ids in chunks(list(by_id), _CHUNK):
            for row in conn.execute(sa.select(*columns).where(table.c.id.in_(ids))).mappings():
                by_id[row["id"]].state = to_jsonable_python(dict(row))


def _last_external_ids(conn: sa.Connection, gone: list[Change]) -> dict[uuid.UUID, str]:
    """The external ids deleted rows were last announced with (a tombstone names its key)."""
    found: dict[uuid.UUID, str] = {}
    by_type: dict[str, list[uuid.UUID]] = defaultdict(list)
    for change in gone:
        by_type[change.resource_type].append(change.resource_id)
    for rtype, all_ids in by_type.items():
        if "external_id" not in SQLModel.metadata.tables[rtype].c:
            continue
        for ids in chunks(all_ids, _CHUNK):
            stmt = (
                sa.select(_TABLE.c.resource_id, _TABLE.c.external_id)
                .where(
                    _TABLE.c.resource_type == rtype,
                    _TABLE.c.resource_id.in_(ids),
                    _TABLE.c.external_id.is_not(None),
                )
                .order_by(_TABLE.c.seq)
            )
            found.update(dict(tuple(r) for r in conn.execute(stmt)))
    return found


def transaction_id(conn: sa.Connection) -> int:
    """The writing transaction's id on PostgreSQL (xid8 as a number); 0 on SQLite."""
    if conn.dialect.name != "postgresql":
        return 0
    return int(conn.execute(sa.text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())


def _kept_state(change: Change) -> dict[str, Any] | None:
    """What the derived rules will read of the change's state (None: nothing)."""
    # The two modules' rules read disjoint resource types.
    kept = kept_derived(change)
    return kept if kept is not None else kept_readiness(change)


def _write_events(db: Session, changes: list[Change]) -> None:
    """Each row's own event, a chunk of rows at a time, then the derived events.

    Within a chunk, a long run of rows whose state no derived rule reads is announced by
    the database in one statement (``bulk.py``); the other rows take the Python path, in
    order around those runs, so ``seq`` follows the changes either way.
    """
    conn = db.connection()
    now = utcnow()
    for part in chunks(changes, _EVENT_CHUNK):
        pending: list[Change] = []
        for run in _runs(part):
            if not _in_bulk(conn, run, now):
                pending += run
                continue
            _announce(conn, pending, now)
            pending = []
        _announce(conn, pending, now)
    derived = derived_events(conn, changes)
    if isinstance(db, SQLModelSession):  # every session of the app and the CLI
        derived += readiness_events(db, changes)
    if derived:
        conn.execute(sa.insert(_TABLE), event_rows(conn, derived, now))


def _runs(changes: Sequence[Change]) -> list[list[Change]]:
    """The changes in order, cut where the table, the organisation or the verb changes."""
    runs: list[list[Change]] = []
    last: tuple[str, uuid.UUID, bool] | None = None
    for change in changes:
        key = (change.resource_type, change.organisation_id, change.first is AuditAction.create)
        if key != last:
            runs.append([])
            last = key
        runs[-1].append(change)
    return runs


def _in_bulk(conn: sa.Connection, run: list[Change], now: datetime) -> bool:
    """Announce ``run`` with one statement if it is long enough and no derived rule reads
    its states (they stay None); False and nothing written otherwise."""
    first = run[0]
    table_name, columns = first.resource_type, public_columns(first.resource_type)
    if (
        len(run) < bulk.BULK_ROWS
        or not bulk.supported(conn.dialect.name, table_name, columns)
        or any(reads_derived(c) or reads_readiness(c) for c in run)
    ):
        return False
    created = first.first is AuditAction.create
    return bulk.insert_events(
        conn,
        table_name=table_name,
        columns=columns,
        organisation_id=first.organisation_id,
        type_=f"{table_name}.{'created' if created else 'updated'}",
        resource_ids=[c.resource_id for c in run],
        txid=transaction_id(conn),
        now=now,
        # A row created and deleted in the transaction is not announced; one that existed
        # before and is gone needs its tombstone, in order: the Python path writes those.
        all_present=not created,
    )


def _announce(conn: sa.Connection, changes: list[Change], now: datetime) -> None:
    """The Python path: states loaded, events built and inserted, and the states no
    derived rule reads let go (memory: an import of 100,000 employees peaked at 660 MB
    when every state and event was held at once)."""
    if not changes:
        return
    _load_states(conn, changes)
    gone = [c for c in changes if c.state is None and c.first is not AuditAction.create]
    tombstone_keys = _last_external_ids(conn, gone) if gone else {}
    specs: list[Derived] = []
    for change in changes:
        state, org, rtype, rid = (
            change.state,
            change.organisation_id,
            change.resource_type,
            change.resource_id,
        )
        if state is None:
            if change.first is AuditAction.create:
                continue  # created and deleted (or rolled back) in one transaction
            specs.append((f"{rtype}.deleted", org, rtype, rid, tombstone_keys.get(rid), None))
            continue
        verb = "created" if change.first is AuditAction.create else "updated"
        specs.append((f"{rtype}.{verb}", org, rtype, rid, state.get("external_id"), state))
        # The row exists and its event is built: keep only what a derived rule reads.
        change.state = _kept_state(change)
    if specs:
        conn.execute(sa.insert(_TABLE), event_rows(conn, specs, now))


def event_rows(
    conn: sa.Connection, specs: Sequence[Derived], now: datetime
) -> list[dict[str, Any]]:
    """The ``change_event`` rows of these events, written by this transaction at ``now``
    (the outbox's at commit, and the worker's time-based ones)."""
    txid = transaction_id(conn)
    return [
        {
            "id": event_id,
            "txid": txid,
            "organisation_id": org,
            "type": type_,
            "resource_type": rtype,
            "resource_id": rid,
            "external_id": ext,
            "occurred_at": now,
            "data": data,
        }
        for event_id, (type_, org, rtype, rid, ext, data) in zip(
            uuid7_many(len(specs)), specs, strict=True
        )
    ]


def _scrub(conn: sa.Connection, changes: list[Change]) -> None:
    """An erasure: earlier events of every row it changed lose their data and key."""
    by_type: dict[str, list[uuid.UUID]] = defaultdict(list)
    for change in changes:
        by_type[change.resource_type].append(change.resource_id)
    for rtype, all_ids in by_type.items():
        for ids in chunks(all_ids, _CHUNK):
            conn.execute(
                sa.update(_TABLE)
                .where(_TABLE.c.resource_type == rtype, _TABLE.c.resource_id.in_(ids))
                .values(data=None, external_id=None)
            )


def write_outbox(db: Session) -> None:
    """Turn the transaction's noted changes into change events (before it commits)."""
    if db.new or db.dirty or db.deleted:
        db.flush()
    noted: dict[tuple[str, uuid.UUID], Touched] = db.info.pop(TOUCHED_KEY, {})
    changes = [Change(key, t) for key, t in noted.items() if key[0] not in NOT_ANNOUNCED]
    if not changes:
        return
    conn = db.connection()
    if any(t.erased for t in noted.values()):
        _scrub(conn, changes)
    _write_events(db, changes)


@event.listens_for(Session, "before_commit")
def _before_commit(db: Session) -> None:
    # A savepoint's release is not the commit: the outer transaction announces it all.
    if not db.in_nested_transaction():
        write_outbox(db)


@event.listens_for(Session, "after_soft_rollback")
def _forget(db: Session, previous: Any) -> None:
    # A rolled-back transaction announces nothing. A savepoint rolled back keeps what the
    # transaction noted before it: rows are judged by their state at commit anyway.
    if not previous.nested:
        db.info.pop(TOUCHED_KEY, None)
