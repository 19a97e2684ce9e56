"""Fetch-or-404 dependencies for path ids of this domain."""

from typing import Annotated

from fastapi import Depends

from app.core.sessions import reader, writer
from app.organisation.models import ApiKey, Employee, FunctionGroup, Team

TeamDep = Annotated[Team, Depends(reader(Team, "team_id"))]
FunctionGroupDep = Annotated[
    FunctionGroup, Depends(reader(FunctionGroup, "function_group_id", name="function group"))
]
FunctionGroupForUpdate = Annotated[
    FunctionGroup, Depends(writer(FunctionGroup, "function_group_id", name="function group"))
]
EmployeeDep = Annotated[Employee, Depends(reader(Employee, "employee_id"))]
EmployeeForUpdate = Annotated[Employee, Depends(writer(Employee, "employee_id"))]
ApiKeyDep = Annotated[ApiKey, Depends(reader(ApiKey, "api_key_id", name="API key"))]
ApiKeyForUpdate = Annotated[ApiKey, Depends(writer(ApiKey, "api_key_id", name="API key"))]
