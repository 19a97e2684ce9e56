"""The request's database session, its kind declared in the route's signature.

- ``ReadSession``: a unit of work that only reads: no write lock on SQLite, no row locks on
  PostgreSQL. For GET routes and for checks and dry runs that answer without writing.
  Needs a key with the ``read`` scope.
- ``WriteSession``: a unit of work committed once, before the response is sent (rolled
  back on any error). Rows fetched through ``get_scoped`` (and the ``writer`` dependencies
  below) are locked, so an ``If-Match`` check sees the version it changes and concurrent
  writers of one row take turns. Needs the ``write`` scope.

The kind decides the scope a key needs, so a route names no principal it does not use.
Operations that need more add a route dependency: ``dependencies=[AdminOnly]`` (admin); a
check that reads but belongs to writers takes the writer's principal (``WritePrincipal``).

A request has one session: a route whose dependencies declare both kinds fails at once
(``RuntimeError``), and tests/core/test_sessions.py checks every route of the app.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from sqlmodel import Session

from app.core.auth import (
    Principal,
    current_principal,
    insufficient_scope,
    request_session,
    require_scope,
    require_sensitive,
)
from app.core.errors import Forbidden
from app.core.models import TenantTable
from app.core.roles import Reach
from app.core.tenancy import get_scoped
from app.organisation.models import Scope

T = TypeVar("T", bound=TenantTable)

ReadScope = Annotated[Principal, Depends(require_scope(Scope.read))]
WriteScope = Annotated[Principal, Depends(require_scope(Scope.write))]


def _session(principal_type: Any, *, read_only: bool, doc: str) -> Callable[..., Any]:
    """A request-session dependency for the principal ``principal_type`` resolves."""

    async def session(request: Request, principal: principal_type) -> AsyncIterator[Session]:
        async with request_session(request, principal, read_only=read_only) as db:
            yield db

    session.__doc__ = doc
    return session


read_session = _session(ReadScope, read_only=True, doc="The request's read-only session.")
write_session = _session(WriteScope, read_only=False, doc="The request's writing session.")
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
AdminOnly = Depends(require_scope(Scope.admin))


def _whole_organisation(
    principal_type: Any, allowed: Callable[[Reach], bool], refusal: str
) -> Callable[..., Any]:
    """A route dependency: the principal, unless it is a person whose reach is not ``allowed``."""

    async def check(principal: principal_type) -> Principal:
        checked: Principal = principal
        if checked.reach is not None and not allowed(checked.reach):
            raise Forbidden(refusal, code="role-forbids")
        return checked

    return check


# Answers that cover the whole organisation and are not narrowed row by row (the change
# feed, employee status in bulk) are for API keys and the HR roles only: a team manager,
# trainer or employee would see beyond their reach.
OrganisationWide = Depends(
    _whole_organisation(
        ReadScope,
        lambda reach: reach.sees_everything,
        "This answer covers the whole organisation: it is for HR roles and API keys.",
    )
)
# Writes made set-based (imports) are past the per-row check of a role's changes
# (identity/reach.py): only who may change every row may make them. Seeing everything is
# not enough: hr_viewer beside team_manager reads everyone but writes only their people's
# goals.
OrganisationWideWrite = Depends(
    _whole_organisation(
        WriteScope,
        lambda reach: reach.writes_everything,
        "This writes across the whole organisation: it is for hr_admin and API keys.",
    )
)


def reader(model: type[T], param: str, *, name: str | None = None) -> Callable[..., T]:
    """A fetch-or-404 dependency for the path parameter ``param``, in a ``ReadSession``."""

    def fetch(id_: Annotated[uuid.UUID, Path(alias=param)], db: ReadSession) -> T:
        return get_scoped(db, model, id_, name=name)

    return fetch


def writer(model: type[T], param: str, *, name: str | None = None) -> Callable[..., T]:
    """The same in a ``WriteSession``: the row is locked for the rest of the request."""

    def fetch(id_: Annotated[uuid.UUID, Path(alias=param)], db: WriteSession) -> T:
        return get_scoped(db, model, id_, name=name)

    return fetch


async def _scim_only(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    # SCIM provisioning (app/scim) takes keys with the `scim` scope and nothing else: not
    # an admin key, not a signed-in person. (That scope is refused on /v1: SCOPE_RANK.)
    if principal.scope != Scope.scim or principal.api_key_id is None:
        raise insufficient_scope(
            "/scim/v2 takes an API key with scope 'scim' only; an admin creates one with "
            'POST /v1/api-keys {"scope": "scim"}.',
            needs="scim",
        )
    return principal


ScimScope = Annotated[Principal, Depends(_scim_only)]


scim_read_session = _session(
    ScimScope, read_only=True, doc="The read-only session of a SCIM request."
)
scim_write_session = _session(
    ScimScope, read_only=False, doc="The writing session of a SCIM request."
)
ScimReadSession = Annotated[Session, Depends(scim_read_session, scope="function")]
ScimWriteSession = Annotated[Session, Depends(scim_write_session, scope="function")]

SESSION_DEPENDENCIES: tuple[Callable[..., Any], ...] = (
    read_session,
    write_session,
    scim_read_session,
    scim_write_session,
)
# Incident details and aftercare (app/incidents): the key's `sensitive` permission, whatever
# its scope.
SensitiveOnly = Depends(require_sensitive)
