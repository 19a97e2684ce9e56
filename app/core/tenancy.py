"""Tenant scoping by construction.

A request's session carries its organisation in ``session.info``. Every ORM SELECT, UPDATE
and DELETE that touches a ``TenantTable`` subclass then gets ``organisation_id = :org``
added (``with_loader_criteria``), and every new tenant row is stamped with it before flush.
Code that forgets to filter by organisation therefore still cannot see or change another
organisation's rows, and code that names the wrong organisation is refused.
"""

import uuid
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.core.errors import NotFound
from app.core.models import TenantTable

ORG_KEY = "organisation_id"
_CRITERIA_KEY = "_tenant_criteria"

T = TypeVar("T", bound=TenantTable)


def bind_organisation(session: Session, organisation_id: uuid.UUID) -> None:
    """Scope every later statement of this session to one organisation."""
    session.info[ORG_KEY] = organisation_id


def current_organisation_id(session: Session) -> uuid.UUID:
    """The organisation this session is scoped to."""
    org_id = session.info.get(ORG_KEY)
    if org_id is None:
        raise RuntimeError("session is not bound to an organisation")
    assert isinstance(org_id, uuid.UUID)
    return org_id


def _tenant_classes() -> list[type[TenantTable]]:
    from sqlmodel import SQLModel

    return [m.class_ for m in SQLModel._sa_registry.mappers if issubclass(m.class_, TenantTable)]


def _criteria(org_id: uuid.UUID) -> tuple[Any, ...]:
    # One option per tenant table (a non-mapped SQLModel base cannot carry the criterion),
    # built once per session and reused by every statement of the request.
    return tuple(
        with_loader_criteria(cls, lambda c: c.organisation_id == org_id, include_aliases=True)
        for cls in _tenant_classes()
    )


@event.listens_for(Session, "do_orm_execute")
def _scope_to_organisation(state: ORMExecuteState) -> None:
    info = state.session.info
    org_id = info.get(ORG_KEY)
    if org_id is None or state.is_column_load or state.is_relationship_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    cached = info.get(_CRITERIA_KEY)
    if cached is None or cached[0] != org_id:
        cached = (org_id, _criteria(org_id))
        info[_CRITERIA_KEY] = cached
    state.statement = state.statement.options(*cached[1])


@event.listens_for(Session, "before_flush")
def _stamp_organisation(session: Session, _ctx: Any, _instances: Any) -> None:
    org_id = session.info.get(ORG_KEY)
    if org_id is None:
        return
    for obj in session.new:
        if isinstance(obj, TenantTable):
            if obj.organisation_id is None:
                obj.organisation_id = org_id
            elif obj.organisation_id != org_id:
                raise RuntimeError("refusing to write a row of another organisation")


def get_scoped(session: Session, model: type[T], id_: uuid.UUID, *, name: str | None = None) -> T:
    """Fetch one row of the caller's organisation, or raise ``NotFound`` (API: 404).

    Another organisation's row is answered exactly like a missing one.
    """
    obj = session.get(model, id_)
    if obj is None or obj.organisation_id != current_organisation_id(session):
        raise NotFound(resource=name or model.__tablename__, id_=id_)  # type: ignore[arg-type]
    return obj
