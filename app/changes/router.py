"""HTTP routes: the change feed (read scope)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.changes import service, status
from app.changes.models import ChangeEventPublic, ChangePage
from app.changes.status import EmployeeStatusPage
from app.core.dates import today
from app.core.errors import problem_responses
from app.core.models import utcnow
from app.core.pagination import PageQuery
from app.core.sessions import OrganisationWide, ReadScope, ReadSession
from app.core.tenancy import current_organisation_id
from app.organisation.models import SCOPE_RANK, Scope

router = APIRouter(dependencies=[OrganisationWide])


@router.get("/changes", tags=["changes"], responses=problem_responses(401, 403, 410, 422))
def list_changes(
    db: ReadSession,
    principal: ReadScope,
    after: Annotated[
        str | None,
        Query(
            max_length=100,
            description="`next_cursor` of the previous page; omit to start "
            "at the oldest event kept.",
        ),
    ] = None,
    types: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Comma-separated event types (`enrolment.completed`) or resource "
            "types (`employee`: all of its events).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT, description="1-200.")] = (
        service.DEFAULT_LIMIT
    ),
) -> ChangePage:
    """Every change of the organisation in commit order, from a cursor; never skips one."""
    wanted = [t.strip() for t in (types or "").split(",") if t.strip()]
    rows, cursor, has_more = service.read_changes(
        db,
        organisation_id=current_organisation_id(db),
        after=after,
        types=wanted,
        limit=limit,
        now=utcnow(),
        admin=SCOPE_RANK[principal.scope] >= SCOPE_RANK[Scope.admin],
    )
    items = [ChangeEventPublic.model_validate(service.event_document(r)) for r in rows]
    return ChangePage(items=items, next_cursor=cursor, has_more=has_more)


@router.get("/employee-status", tags=["changes"], responses=problem_responses(401, 403, 410, 422))
def list_employee_status(
    db: ReadSession,
    params: PageQuery,
    team_id: uuid.UUID | None = None,
    function_group_id: uuid.UUID | None = None,
    changed_after: Annotated[
        str | None,
        Query(
            max_length=100,
            deprecated=True,
            description="Deprecated: the same as `sync_token`.",
        ),
    ] = None,
) -> EmployeeStatusPage:
    """Per employee: protocol readiness, needed skills current until when, trainings due,
    open follow-up items; one request per page."""
    return status.employee_status(
        db,
        params=params,
        organisation_id=current_organisation_id(db),
        team_id=team_id,
        function_group_id=function_group_id,
        changed_after=changed_after,
        on=today(),
    )
