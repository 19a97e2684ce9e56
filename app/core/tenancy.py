"""Tenant scoping by construction.

A request's session carries its organisation in ``session.info``. Every ORM SELECT, UPDATE
and DELETE that touches a ``TenantTable`` subclass then gets ``organisation_id = :org``
added (``with_loader_criteria``), and every new tenant row is stamped with it before flush.
Code that forgets to filter by organisation therefore still cannot see or change another
organisation's rows, and code that names the wrong organisation is refused.
"""

import uuid
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnClause, column, event, text
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.core.db import READ_ONLY
from app.core.errors import NotFound
from app.core.models import TenantTable

ORG_KEY = "organisation_id"

T = TypeVar("T", bound=TenantTable)


def bind_organisation(db: Session, organisation_id: uuid.UUID) -> None:
    """Scope every later statement of this session to one organisation."""
    db.info[ORG_KEY] = organisation_id


def current_organisation_id(db: Session) -> uuid.UUID:
    """The organisation this session is scoped to."""
    org_id = db.info.get(ORG_KEY)
    if org_id is None:
        raise RuntimeError("session is not bound to an organisation")
    assert isinstance(org_id, uuid.UUID)
    return org_id


def take_turn(db: Session, rule: str) -> None:
    """Hold the organisation's turn at ``rule`` until the transaction ends (PostgreSQL).

    For a rule that checks rows another transaction may be writing (write skew): run side
    by side, neither sees the other's uncommitted rows, both pass, and together they break
    the rule. Every writer the rule is about takes the turn before it checks, so the
    second checks what the first committed. A transaction-scoped advisory lock: no row is
    locked, and SQLite, whose writers take turns anyway, needs none.
    """
    if db.get_bind().dialect.name == "postgresql":
        key = f"{rule}:{current_organisation_id(db)}"
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


_ANALYSIS_COLUMN: ColumnClause[Any] = column("organisation_id")


def _organisation_column(cls: Any) -> Any:
    # SQLAlchemy first calls the criterion with the (non-mapped) TenantTable itself to
    # analyse the lambda, then with each mapped subclass a statement touches; only the
    # latter reach the SQL.
    table = getattr(cls, "__table__", None)
    return table.c.organisation_id if table is not None else _ANALYSIS_COLUMN


@lru_cache(maxsize=4096)
def _criteria(org_id: uuid.UUID) -> Any:
    # One option for the whole TenantTable family, built once per organisation and process:
    # options are immutable, and a single one keeps each statement's cache key cheap.
    return with_loader_criteria(
        TenantTable, lambda cls: _organisation_column(cls) == org_id, include_aliases=True
    )


@event.listens_for(Session, "do_orm_execute")
def _scope_to_organisation(state: ORMExecuteState) -> None:
    info = state.session.info
    org_id = info.get(ORG_KEY)
    if org_id is None or state.is_column_load or state.is_relationship_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(_criteria(org_id))


@event.listens_for(Session, "before_flush")
def _stamp_organisation(db: Session, _ctx: Any, _instances: Any) -> None:
    org_id = db.info.get(ORG_KEY)
    if org_id is None:
        return
    for obj in db.new:
        if isinstance(obj, TenantTable):
            if obj.organisation_id is None:
                obj.organisation_id = org_id
            elif obj.organisation_id != org_id:
                raise RuntimeError("refusing to write a row of another organisation")


def get_scoped(db: Session, model: type[T], id_: uuid.UUID, *, name: str | None = None) -> T:
    """Fetch one row of the caller's organisation, or raise ``NotFound`` (API: 404).

    Another organisation's row is answered exactly like a missing one. In a request that
    writes, the row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's writers are
    serialised already): an ``If-Match`` check, or a replacement of the row's children,
    then sees the version it changes, and concurrent writers of one row take turns.
    """
    writes = db.info.get(READ_ONLY) is False
    obj = db.get(model, id_, with_for_update=True if writes else None)
    if obj is None or obj.organisation_id != current_organisation_id(db):
        raise NotFound(resource=name or model.__tablename__, id_=id_)  # type: ignore[arg-type]
    return obj
