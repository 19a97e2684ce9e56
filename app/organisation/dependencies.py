"""Fetch-or-404 dependencies for path ids of this domain."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.core.auth import AdminPrincipal, DbSession, ReadPrincipal
from app.core.tenancy import get_scoped
from app.organisation.models import ApiKey, Employee, FunctionGroup, Team


def _team(team_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal) -> Team:
    return get_scoped(session, Team, team_id)


def _function_group(
    function_group_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> FunctionGroup:
    return get_scoped(session, FunctionGroup, function_group_id, name="function group")


def _employee(
    employee_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> Employee:
    return get_scoped(session, Employee, employee_id)


def _api_key(
    api_key_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: AdminPrincipal
) -> ApiKey:
    return get_scoped(session, ApiKey, api_key_id, name="API key")


TeamDep = Annotated[Team, Depends(_team)]
FunctionGroupDep = Annotated[FunctionGroup, Depends(_function_group)]
EmployeeDep = Annotated[Employee, Depends(_employee)]
ApiKeyDep = Annotated[ApiKey, Depends(_api_key)]
