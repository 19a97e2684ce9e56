"""Factories for organisations, teams, function groups and employees."""

import itertools
import uuid
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from app.core.tenancy import bind_organisation
from app.domains import register_domains
from app.organisation import service
from app.organisation.models import (
    ApiKey,
    ApiKeyCreate,
    Employee,
    FunctionGroup,
    Organisation,
    Role,
    Scope,
    Team,
    TeamManager,
)

_seq = itertools.count(1)


def make_organisation(
    session: Session, *, name: str = "Stichting Test"
) -> tuple[Organisation, str, str, str]:
    """An organisation and its admin, write and read keys; binds the session to it."""
    # The services' cross-domain hooks (seed skills, ...), as create_app() registers them.
    register_domains()
    org, admin = service.create_organisation(session, name=name)
    # The tests' admin key also has the `sensitive` permission (incident details, aftercare),
    # so the route registry can call every route with it; tests/incidents checks keys without.
    session.execute(
        update(ApiKey).where(col(ApiKey.organisation_id) == org.id).values(sensitive=True)
    )
    write = service.create_api_key(session, data=ApiKeyCreate(name="write", scope=Scope.write)).key
    read = service.create_api_key(session, data=ApiKeyCreate(name="read", scope=Scope.read)).key
    bind_organisation(session, org.id)
    return org, admin, write, read


def make_team(
    session: Session, *, managers: list[Employee] | None = None, **overrides: Any
) -> Team:
    n = next(_seq)
    team = Team(**{"name": f"Team {n}", "external_id": f"T-{n}", **overrides})
    session.add(team)
    session.flush()
    for m in managers or []:
        session.add(
            TeamManager(team_id=team.id, employee_id=m.id, organisation_id=team.organisation_id)
        )
    session.flush()
    return team


def make_function_group(session: Session, **overrides: Any) -> FunctionGroup:
    n = next(_seq)
    fg = FunctionGroup(
        **{
            "name": f"Functiegroep {n}",
            "external_id": f"FG-{n}",
            "likelihood": 2,
            "impact": 2,
            **overrides,
        }
    )
    session.add(fg)
    session.flush()
    return fg


def make_employee(session: Session, **overrides: Any) -> Employee:
    n = next(_seq)
    data: dict[str, Any] = {
        "first_name": "Sanne",
        "last_name": f"de Vries {n}",
        "external_id": f"E-{n}",
        "email": f"medewerker{n}-{uuid.uuid4().hex[:6]}@example.nl",
        "role": Role.employee,
    }
    data.update(overrides)
    emp = Employee(**data)
    session.add(emp)
    session.flush()
    return emp


def manage(session: Session, team: Team, manager: Employee) -> None:
    """Make ``manager`` a manager of ``team``."""
    session.add(
        TeamManager(team_id=team.id, employee_id=manager.id, organisation_id=team.organisation_id)
    )
    session.flush()
