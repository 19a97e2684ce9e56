"""HTTP routes: organisation, API keys, teams, function groups, employees."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.core.auth import AdminPrincipal, ReadPrincipal
from app.core.concurrency import IfMatch, check_if_match, etag_for, set_etag
from app.core.dates import today
from app.core.db import run_read
from app.core.errors import NotFound
from app.core.pagination import Page, PageQuery
from app.core.resource import Docs, Resource, add_external_id_routes, validated
from app.core.responses import CREATED, READ, READ_ONE, WRITE, WRITE_ONE
from app.core.sessions import AdminOnly, ReadSession, WriteSession
from app.core.sqljson import page_body
from app.organisation import service
from app.organisation.dependencies import (
    ApiKeyDep,
    ApiKeyForUpdate,
    EmployeeForUpdate,
)
from app.organisation.models import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    Employee,
    EmployeeCreate,
    EmployeePublic,
    EmployeeUpdate,
    FunctionGroup,
    FunctionGroupCreate,
    FunctionGroupPublic,
    FunctionGroupUpdate,
    OrganisationPublic,
    OrganisationUpdate,
    Role,
    Team,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)

ExternalId = Annotated[str | None, Query(max_length=100, description="The HR platform's own id.")]

router = APIRouter()

TEAMS = Resource(
    model=Team,
    id_param="team_id",
    schemas=(TeamCreate, TeamUpdate, TeamPublic),
    public=lambda db, team, _: service.teams_public(db, [team])[0],
    create=lambda db, data, _: service.create_team(db, data=data),
    update=lambda db, team, data, _: service.update_team(db, team=team, data=data),
    delete=lambda db, team: service.delete_team(db, team=team),
    docs=Docs(
        create="Create a team; `manager_ids` must be employees with a manager role.",
        read="One team with its managers.",
        update="Change a team; `manager_ids`, when given, replaces the list.",
        delete="Delete a team without employees or history.",
    ),
)
FUNCTION_GROUPS = Resource(
    model=FunctionGroup,
    id_param="function_group_id",
    schemas=(FunctionGroupCreate, FunctionGroupUpdate, FunctionGroupPublic),
    public=lambda db, fg, principal: service.function_group_public(
        fg, principal.organisation.settings, today()
    ),
    create=lambda db, data, _: service.create_function_group(db, data=data),
    update=lambda db, fg, data, _: service.update_function_group(db, fg=fg, data=data),
    delete=lambda db, fg: service.delete_function_group(db, fg=fg),
    docs=Docs(
        create="Create a function group; its exposure level follows from likelihood x impact.",
        read="One function group with its exposure score and level.",
        update="Change a function group; new likelihood/impact changes its exposure and default "
        "needs.",
        delete="Delete a function group nobody belongs to.",
    ),
)


# Only the routes by external id are made from this description: the others are written
# out below (the list and the read are the hottest routes and answer JSON the database wrote).
EMPLOYEES = Resource(
    model=Employee,
    id_param="employee_id",
    schemas=(EmployeeCreate, EmployeeUpdate, EmployeePublic),
    public=validated(EmployeePublic),
    create=lambda db, data, _: service.create_employee(db, data=data),
    update=lambda db, emp, data, _: service.update_employee(db, employee=emp, data=data),
    delete=lambda db, emp: service.delete_employee(db, employee=emp),
    docs=Docs(create="", read="", update="", delete=""),
)

# Employees first: routes are matched in order, and these are the hottest.
# --- employees --------------------------------------------------------------------------


@router.get("/employees", tags=["employees"], responses=READ, response_model=Page[EmployeePublic])
async def list_employees(
    db: ReadSession,
    params: PageQuery,
    team_id: uuid.UUID | None = None,
    team_external_id: Annotated[
        str | None, Query(max_length=100, description="The team's HR key (its external id).")
    ] = None,
    function_group_id: uuid.UUID | None = None,
    role: Role | None = None,
    active: bool | None = None,
    external_id: ExternalId = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Search in names and email.")
    ] = None,
) -> Response:
    """Employees; filter by team (id or HR key), function group, role, active, external id
    or `q`."""
    items, cursor = await run_read(
        service.list_employees,
        db,
        params=params,
        team_id=team_id,
        team_external_id=team_external_id,
        function_group_id=function_group_id,
        role=role,
        active=active,
        external_id=external_id,
        q=q,
    )
    # Each row's JSON was written by the database (core/sqljson.py); here it is only joined.
    return Response(page_body(items, cursor), media_type="application/json")


@router.post("/employees", tags=["employees"], status_code=201, responses=CREATED)
def create_employee(data: EmployeeCreate, db: WriteSession, response: Response) -> EmployeePublic:
    """Create an employee; `external_id` and `email` are unique in the organisation."""
    emp = service.create_employee(db, data=data)
    set_etag(response, emp)
    response.headers["Location"] = f"/v1/employees/{emp.id}"
    return EmployeePublic.model_validate(emp, from_attributes=True)


add_external_id_routes(EMPLOYEES, router)


@router.get(
    "/employees/{employee_id}",
    tags=["employees"],
    responses=READ_ONE,
    response_model=EmployeePublic,
)
async def get_employee(employee_id: uuid.UUID, db: ReadSession) -> Response:
    """One employee."""
    body, etag = await run_read(service.employee_public_json, db, employee_id=employee_id)
    return Response(body, media_type="application/json", headers={"ETag": etag})


@router.patch("/employees/{employee_id}", tags=["employees"], responses=WRITE_ONE)
def update_employee(
    employee: EmployeeForUpdate,
    data: EmployeeUpdate,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> EmployeePublic:
    """Change an employee; moving them to another team re-checks their personal goals.

    Deactivating them (`active: false`) cancels their enrolments in sessions that have not
    started. Someone who manages a team keeps a manager role: 409 `still-manages-teams`.
    """
    check_if_match(if_match, employee)
    employee = service.update_employee(db, employee=employee, data=data)
    set_etag(response, employee)
    return EmployeePublic.model_validate(employee, from_attributes=True)


@router.delete("/employees/{employee_id}", tags=["employees"], status_code=204, responses=WRITE)
def delete_employee(
    employee: EmployeeForUpdate, db: WriteSession, if_match: IfMatch = None
) -> Response:
    """Delete an employee without history; otherwise 409: deactivate instead."""
    check_if_match(if_match, employee)
    service.delete_employee(db, employee=employee)
    return Response(status_code=204)


# --- organisation -----------------------------------------------------------------------


@router.get("/organisation", tags=["organisation"], responses=READ_ONE)
def get_organisation(principal: ReadPrincipal, response: Response) -> OrganisationPublic:
    """The caller's organisation and its settings (rule severities, review interval)."""
    set_etag(response, principal.organisation)
    return service.organisation_public(principal.organisation)


@router.patch("/organisation", tags=["organisation"], responses=WRITE_ONE)
def update_organisation(
    data: OrganisationUpdate,
    principal: AdminPrincipal,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> OrganisationPublic:
    """Rename the organisation or change settings (admin); omitted settings are kept."""
    org = service.lock_organisation(db)
    check_if_match(if_match, org)
    org = service.update_organisation(db, org=org, data=data)
    set_etag(response, org)
    return service.organisation_public(org)


# --- API keys ---------------------------------------------------------------------------


service.API_KEY_LIST.add_route(router, dependencies=[AdminOnly])


@router.post(
    "/api-keys",
    tags=["api-keys"],
    status_code=status.HTTP_201_CREATED,
    responses=CREATED,
    dependencies=[AdminOnly],
)
def create_api_key(data: ApiKeyCreate, db: WriteSession, response: Response) -> ApiKeyCreated:
    """Create a key (admin). The response is the only time the `key` is shown: store it."""
    created = service.create_api_key(db, data=data)
    response.headers["ETag"] = etag_for(created.id, created.updated_at)
    response.headers["Location"] = f"/v1/api-keys/{created.id}"
    return created


@router.get(
    "/api-keys/{api_key_id}", tags=["api-keys"], responses=READ_ONE, dependencies=[AdminOnly]
)
def get_api_key(key: ApiKeyDep, response: Response) -> ApiKeyPublic:
    """One key (admin): name, scope, prefix and last use; the secret is never shown again.

    A revoked (deleted) key is `404` here, as any deleted resource; the list keeps it, with
    its `revoked_at`, as the record of which keys existed."""
    if key.revoked_at is not None:
        raise NotFound(resource="API key")
    set_etag(response, key)
    return ApiKeyPublic.model_validate(key, from_attributes=True)


@router.delete(
    "/api-keys/{api_key_id}",
    tags=["api-keys"],
    status_code=204,
    responses=WRITE,
    dependencies=[AdminOnly],
)
def revoke_api_key(key: ApiKeyForUpdate, db: WriteSession, if_match: IfMatch = None) -> Response:
    """Revoke a key (admin): from now on it is answered 401, and `GET` of it is 404.

    Revoking twice is harmless; with `If-Match`, a key changed (or revoked) since is 412."""
    check_if_match(if_match, key)
    service.revoke_api_key(db, key=key)
    return Response(status_code=204)


# --- teams ------------------------------------------------------------------------------


service.TEAM_LIST.add_route(router)
TEAMS.add_routes(router)
add_external_id_routes(TEAMS, router)


# --- function groups --------------------------------------------------------------------


@router.get("/function-groups", tags=["function-groups"], responses=READ)
def list_function_groups(
    principal: ReadPrincipal,
    db: ReadSession,
    params: PageQuery,
    external_id: ExternalId = None,
    risk_assessment_due: Annotated[
        bool | None,
        Query(description="Only those whose risk assessment is (true) or is not (false) due."),
    ] = None,
) -> Page[FunctionGroupPublic]:
    """Function groups with their exposure to aggression (likelihood x impact); filter by
    external id or whether their risk assessment is due."""
    settings, day = principal.organisation.settings, today()
    rows, cursor = service.list_function_groups(
        db,
        params=params,
        external_id=external_id,
        due=(risk_assessment_due, settings, day) if risk_assessment_due is not None else None,
    )
    return Page.of([service.function_group_public(r, settings, day) for r in rows], cursor)


FUNCTION_GROUPS.add_routes(router)
add_external_id_routes(FUNCTION_GROUPS, router)
