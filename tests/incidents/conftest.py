"""A team with its people, another team, a function group and norms of each level."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.incidents import service
from app.incidents.models import Incident, IncidentCategory, IncidentCreate
from app.organisation.models import (
    ApiKeyCreate,
    Employee,
    FunctionGroup,
    OrganisationSettings,
    Scope,
    Team,
)
from app.organisation.service import create_api_key
from app.policy.models import Norm, NormLevel
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.policy import make_norm

URL = "/v1/incidents"


@dataclass
class Place:
    tenant: Tenant
    team: Team
    other_team: Team
    group: FunctionGroup
    anna: Employee  # team member
    bram: Employee  # team member
    olga: Employee  # of the other team
    orange: Norm
    red: Norm
    green: Norm
    # keys without the `sensitive` permission
    plain_admin: dict[str, str]
    plain_read: dict[str, str]


def _key(db: Session, scope: Scope) -> dict[str, str]:
    created = create_api_key(db, data=ApiKeyCreate(name=f"plain {scope}", scope=scope))
    return {"Authorization": f"Bearer {created.key}"}


@pytest.fixture
def place(db: Session, tenant: Tenant) -> Place:
    team = make_team(db, name="Jongerenwerk Noord")
    other = make_team(db, name="Schuldhulp")
    group = make_function_group(db, name="Jongerenwerker", likelihood=2, impact=3)
    return Place(
        tenant=tenant,
        team=team,
        other_team=other,
        group=group,
        anna=make_employee(db, team_id=team.id, function_group_id=group.id),
        bram=make_employee(db, team_id=team.id, function_group_id=group.id),
        olga=make_employee(db, team_id=other.id, function_group_id=group.id),
        orange=make_norm(db, title="Schelden", level=NormLevel.orange),
        red=make_norm(db, title="Slaan", level=NormLevel.red),
        green=make_norm(db, title="Rustig praten", level=NormLevel.green),
        plain_admin=_key(db, Scope.admin),
        plain_read=_key(db, Scope.read),
    )


def ago(**delta: Any) -> datetime:
    return (datetime.now(UTC) - timedelta(**delta)).replace(microsecond=0)


def body(p: Place, **overrides: Any) -> dict[str, Any]:
    """A valid registration: Anna affected, Bram witness, three days ago."""
    data: dict[str, Any] = {
        "occurred_at": ago(days=3).isoformat(),
        "team_id": str(p.team.id),
        "function_group_id": str(p.group.id),
        "norm_id": str(p.red.id),
        "category": "physical",
        "severity": 4,
        "police_informed": True,
        "description": "Cliënt duwde Anna tegen de deur.",
        "involved": [
            {"employee_id": str(p.anna.id), "involvement": "affected"},
            {"employee_id": str(p.bram.id), "involvement": "witness"},
        ],
    }
    data.update(overrides)
    return data


def make_incident(
    db: Session,
    p: Place,
    *,
    settings: OrganisationSettings | None = None,
    **overrides: Any,
) -> Incident:
    """An incident registered through the service (``body`` with overrides)."""
    data = IncidentCreate.model_validate(body(p, **overrides))
    return service.create_incident(
        db,
        data=data,
        settings=settings or OrganisationSettings(),
        now=datetime.now(UTC),
    )


def post(client: TestClient, p: Place, **overrides: Any) -> Any:
    return client.post(URL, json=body(p, **overrides), headers=p.tenant.write)


__all__ = ["URL", "IncidentCategory", "Place", "ago", "body", "make_incident", "post"]
