"""Recording the audit trail, generically, for every domain.

One ``after_flush`` listener turns every ORM insert, update and delete of a tenant row
into an ``audit_event`` row, written on the same connection in the same transaction: a
change and its audit event are committed, or rolled back, together. Domains do nothing to
be audited.

Statements that bypass the unit of work but go through ``session.execute`` are recorded
by a second listener (``do_orm_execute``) when the rows they touch can be known: a bulk
``insert`` whose parameters carry the ids, an ``update``/``delete`` with a WHERE clause
(its ids are selected first, within the organisation), and an executemany ``update`` whose
WHERE is ``id = :param``. Anything else (raw SQL, statements on ``session.connection()``)
must call ``record()`` itself.

Only field NAMES are kept, never values: no secret, no API key, no personal data.
"""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard

import sqlalchemy as sa
from sqlalchemy import event, insert
from sqlalchemy.orm import Session, UOWTransaction

from app.audit.models import AuditAction, AuditEvent
from app.core.ids import uuid7
from app.core.logging import request_id_var
from app.core.models import TenantTable, utcnow
from app.core.queries import id_pairs
from app.core.roles import ACTOR_KEY, ACTOR_USER
from app.core.tenancy import ORG_KEY
from app.organisation.models import Organisation

# session.info key: {(resource_type, id): action} overriding the action the listener
# would infer (erasure is an update that must read as "erase").
_ACTION_OVERRIDES = "audit_action_overrides"
# Timestamps change on every write and say nothing about what changed.
_NOT_A_CHANGE = frozenset({"id", "created_at", "updated_at", "organisation_id"})

_Key = tuple[str, uuid.UUID]
# session.info key: what this transaction changed, for the change feed (app/changes):
# {(resource_type, id): Touched}. Cleared when the transaction ends.
TOUCHED_KEY = "changes_touched"


class Touched:
    """The first action on one row in a transaction, its changed field names, and
    whether it was erased."""

    __slots__ = ("erased", "fields", "first", "organisation_id")

    def __init__(self, organisation_id: uuid.UUID, action: AuditAction) -> None:
        self.organisation_id = organisation_id
        self.first = action
        self.erased = False
        # Shared between the rows of one bulk statement, never changed in place: a copy
        # per row cost an import of 100,000 employees some 70 MB.
        self.fields: frozenset[str] = frozenset()


def touched(db: Session) -> dict[_Key, Touched]:
    """The rows this session's transaction changed so far (the change feed reads it)."""
    found: dict[_Key, Touched] = db.info.setdefault(TOUCHED_KEY, {})
    return found


def _note(
    db: Session,
    org_id: uuid.UUID,
    resource_type: str,
    ids: Iterable[uuid.UUID],
    action: AuditAction,
    fields: Iterable[str],
) -> None:
    rows = touched(db)
    names = frozenset(fields)
    for rid in ids:
        entry = rows.get((resource_type, rid))
        if entry is None:
            entry = rows[(resource_type, rid)] = Touched(org_id, action)
        entry.erased = entry.erased or action is AuditAction.erase
        if not names <= entry.fields:
            entry.fields = entry.fields | names if entry.fields else names


# Inserted with Core on the flush's own connection: adding ORM objects during a flush is
# not allowed, and Core keeps the listener from seeing (and auditing) its own rows.
_TABLE: sa.Table = AuditEvent.__table__  # type: ignore[attr-defined]


def mark_action(db: Session, obj: TenantTable, action: AuditAction) -> None:
    """Record the next flushed change of ``obj`` under ``action`` instead of the inferred one."""
    overrides: dict[_Key, AuditAction] = db.info.setdefault(_ACTION_OVERRIDES, {})
    overrides[(obj.__tablename__, obj.id)] = action  # type: ignore[index]


def record(
    db: Session,
    *,
    resource_type: str,
    resource_ids: Iterable[uuid.UUID],
    action: AuditAction,
    changed_fields: Sequence[str] = (),
) -> None:
    """Record changes made with Core/bulk statements, which the flush listener cannot see.

    Call it in the same transaction as the change, once per statement: one audit event per
    id. ``resource_type`` is the table name; ``changed_fields`` names, never values.
    """
    org_id = db.info.get(ORG_KEY)
    if org_id is None:
        raise RuntimeError("record() needs a session bound to an organisation")
    ids = list(resource_ids)
    _note(db, org_id, resource_type, ids, action, changed_fields)
    if ids:
        shared = _shared(org_id, db, resource_type, action, list(changed_fields))
        _insert_many(db.connection(), shared, ids)


def _shared(
    org_id: uuid.UUID,
    db: Session,
    resource_type: str,
    action: AuditAction,
    fields: list[str],
) -> dict[str, Any]:
    """The columns every event of one change has in common (all but id and resource_id)."""
    now = utcnow()
    return {
        "created_at": now,
        "updated_at": now,
        "organisation_id": org_id,
        "api_key_id": db.info.get(ACTOR_KEY),
        "user_id": db.info.get(ACTOR_USER),
        "resource_type": resource_type,
        "action": action.value,
        "changed_fields": fields,
        "request_id": request_id_var.get(),
    }


def _row(
    org_id: uuid.UUID,
    db: Session,
    resource_type: str,
    resource_id: uuid.UUID,
    action: AuditAction,
    fields: list[str],
) -> dict[str, Any]:
    shared = _shared(org_id, db, resource_type, action, fields)
    return {"id": uuid7(), "resource_id": resource_id, **shared}


def _insert_many(
    conn: sa.Connection, shared: dict[str, Any], resource_ids: list[uuid.UUID]
) -> None:
    """One ``INSERT ... SELECT`` for the events of one statement, however many rows it hit:
    only the (id, resource_id) pairs differ per event (``core.queries.id_pairs``)."""
    pairs = id_pairs(conn.dialect, resource_ids)
    constants = [sa.literal(value, _TABLE.c[name].type) for name, value in shared.items()]
    source = sa.select(pairs.id, pairs.resource_id, *constants).select_from(pairs.source)
    conn.execute(insert(_TABLE).from_select(["id", "resource_id", *shared], source))


def _columns(obj: Any) -> list[tuple[str, str]]:
    """(attribute key, column name) of the mapped columns of ``obj``."""
    mapper = sa.inspect(obj).mapper
    return [(attr.key, attr.columns[0].name) for attr in mapper.column_attrs]


def _set_fields(obj: Any) -> list[str]:
    return [
        name
        for key, name in _columns(obj)
        if name not in _NOT_A_CHANGE and getattr(obj, key) is not None
    ]


def _changed_fields(obj: Any) -> list[str]:
    state = sa.inspect(obj)
    return [
        name
        for key, name in _columns(obj)
        if name not in _NOT_A_CHANGE and state.attrs[key].history.has_changes()
    ]


def _owner(obj: Any) -> tuple[uuid.UUID, str, uuid.UUID] | None:
    """Organisation, resource type and id an audited object counts under, or None."""
    if isinstance(obj, AuditEvent):
        return None
    if isinstance(obj, TenantTable):
        return obj.organisation_id, obj.__tablename__, obj.id  # type: ignore[return-value]
    if isinstance(obj, Organisation):
        return obj.id, "organisation", obj.id
    return None


def _link_owner(obj: Any) -> tuple[uuid.UUID, str, uuid.UUID, str] | None:
    """A link row (e.g. team_manager) counts as a change of the row its key starts with."""
    org_id = getattr(obj, "organisation_id", None)
    if org_id is None or isinstance(obj, TenantTable | AuditEvent):
        return None
    table = sa.inspect(obj).mapper.local_table
    first = table.primary_key.columns.values()[0]
    fks = list(first.foreign_keys)
    if not fks:
        return None
    return org_id, fks[0].column.table.name, getattr(obj, first.key), table.name


def _tenant_table(table: Any) -> TypeGuard[sa.Table]:
    return (
        isinstance(table, sa.Table)
        and table.name != _TABLE.name
        and "organisation_id" in table.c
        and "id" in table.c
    )


def _value_names(stmt: Any) -> list[str]:
    values = getattr(stmt, "_values", None) or {}
    names = [getattr(k, "name", getattr(k, "key", k)) for k in values]
    return [str(n) for n in names if n not in _NOT_A_CHANGE]


def _id_param(stmt: Any, table: sa.Table) -> str | None:
    """``b_id`` when the WHERE clause is exactly ``table.id = :b_id``."""
    where = stmt.whereclause
    left: Any = getattr(where, "left", None)
    right = getattr(where, "right", None)
    left_table = getattr(left, "table", None)
    is_id = getattr(left, "name", None) == "id" and getattr(left_table, "name", None) == table.name
    if is_id and isinstance(right, sa.BindParameter):
        return str(right.key)
    return None


@event.listens_for(Session, "do_orm_execute")
def _record_statement(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    session, stmt = state.session, state.statement
    org_id = session.info.get(ORG_KEY)
    table = getattr(stmt, "table", None)
    if org_id is None or not _tenant_table(table):
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    if state.is_insert:
        ids = [r["id"] for r in rows if isinstance(r, dict) and r.get("id") is not None]
        fields = sorted({k for r in rows for k in r if k not in _NOT_A_CHANGE})
        record(
            session,
            resource_type=table.name,
            resource_ids=ids,
            action=AuditAction.create,
            changed_fields=fields,
        )
        return
    action = AuditAction.update if state.is_update else AuditAction.delete
    fields = _value_names(stmt) if state.is_update else []
    if state.is_update and not fields:
        return
    if table.name == "api_key" and fields == ["last_used_at"]:
        return  # telemetry (core/auth.py), not a change anyone made
    key = _id_param(stmt, table) if len(rows) > 0 else None
    if key is not None:
        ids = [r[key] for r in rows if key in r]
    elif stmt.whereclause is not None and not rows:
        found = session.connection().execute(
            sa.select(table.c.id).where(stmt.whereclause, table.c.organisation_id == org_id)
        )
        ids = list(found.scalars())
    else:
        return
    record(
        session, resource_type=table.name, resource_ids=ids, action=action, changed_fields=fields
    )


@event.listens_for(Session, "after_flush")
def _record_flush(db: Session, _ctx: UOWTransaction) -> None:
    overrides: dict[_Key, AuditAction] = db.info.get(_ACTION_OVERRIDES, {})
    events: dict[_Key, dict[str, Any]] = {}

    def add(
        org_id: uuid.UUID, rtype: str, rid: uuid.UUID, action: AuditAction, fields: list[str]
    ) -> None:
        key = (rtype, rid)
        if key in events:  # a link row of a row changed in the same flush: one event
            known = events[key]["changed_fields"]
            known += [f for f in fields if f not in known]
            _note(db, org_id, rtype, [rid], AuditAction.update, fields)
            return
        taken = overrides.pop(key, action)
        events[key] = _row(org_id, db, rtype, rid, taken, fields)
        _note(db, org_id, rtype, [rid], taken, fields)

    for objs, action in (
        (db.new, AuditAction.create),
        (db.dirty, AuditAction.update),
        (db.deleted, AuditAction.delete),
    ):
        for obj in objs:
            owner = _owner(obj)
            if owner is not None:
                if action is AuditAction.create:
                    fields = _set_fields(obj)
                elif action is AuditAction.update:
                    fields = _changed_fields(obj)
                    if not fields:
                        continue
                else:
                    fields = []
                add(*owner, action, fields)
                continue
            link = _link_owner(obj)
            if link is not None:
                org_id, rtype, rid, link_name = link
                add(org_id, rtype, rid, AuditAction.update, [link_name])
    if events:
        db.connection().execute(insert(_TABLE), list(events.values()))
