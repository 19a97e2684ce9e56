"""HTTP routes: the audit trail and the erasure of an employee (admin only)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from app.audit import service
from app.audit.models import RESOURCE_TYPE_MAX, AuditAction, AuditEventPublic
from app.core.concurrency import set_etag
from app.core.errors import problem_responses
from app.core.pagination import Page, PageQuery
from app.core.responses import with_headers
from app.core.sessions import AdminOnly, ReadSession, WriteSession
from app.core.tenancy import get_scoped
from app.organisation.models import Employee, EmployeePublic

router = APIRouter()


@router.get(
    "/audit-events",
    tags=["audit-events"],
    responses=problem_responses(401, 403, 422),
    dependencies=[AdminOnly],
)
def list_audit_events(
    db: ReadSession,
    params: PageQuery,
    resource_type: Annotated[
        str | None, Query(max_length=RESOURCE_TYPE_MAX, description="Table name, e.g. `employee`.")
    ] = None,
    resource_id: uuid.UUID | None = None,
    action: AuditAction | None = None,
    api_key_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    created_from: Annotated[
        AwareDatetime | None, Query(description="Only changes at or after this time.")
    ] = None,
    created_to: Annotated[
        AwareDatetime | None, Query(description="Only changes at or before this time.")
    ] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(deprecated=True, description="Deprecated: use `created_from`."),
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        Query(
            deprecated=True,
            description="Deprecated: use `created_to` (`until` excludes this time itself).",
        ),
    ] = None,
) -> Page[AuditEventPublic]:
    """Who changed what and when (admin): field names only, never values."""
    rows, cursor = service.list_events(
        db,
        params=params,
        resource_type=resource_type,
        resource_id=resource_id,
        action=action,
        api_key_id=api_key_id,
        user_id=user_id,
        created_from=created_from or since,
        created_to=created_to,
        until=until,
    )
    return Page.of([AuditEventPublic.model_validate(r, from_attributes=True) for r in rows], cursor)


@router.post(
    "/employees/{employee_id}/erase",
    tags=["employees"],
    responses=with_headers(
        problem_responses(401, 403, 404, 409), 200, "The erased employee", etag=True, location=False
    ),
    dependencies=[AdminOnly],
)
def erase_employee(employee_id: uuid.UUID, db: WriteSession, response: Response) -> EmployeePublic:
    """Erase a deactivated employee's personal data (admin); their training history stays."""
    employee = service.erase_employee(db, employee=get_scoped(db, Employee, employee_id))
    set_etag(response, employee)
    return EmployeePublic.model_validate(employee, from_attributes=True)
