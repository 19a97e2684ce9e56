"""A small organisation ready for enrolments: one team with a manager, senior management,
staff, a published protocol the team discussed, a management and a staff programme."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.core.models import utcnow
from app.organisation.models import Employee, FunctionGroup, Organisation, Role, Team
from app.policy.models import Protocol
from app.training.models import Audience, TrainingProgram, TrainingSession
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.policy import make_acknowledgement, make_protocol, make_team_discussion
from tests.factories.training import make_program, make_session


@dataclass
class World:
    org: Organisation
    senior: Employee
    manager: Employee
    team: Team
    fg: FunctionGroup
    staff: Employee
    colleague: Employee
    protocol: Protocol
    management: TrainingProgram
    program: TrainingProgram
    management_session: TrainingSession
    staff_session: TrainingSession


def set_severities(session: Session, org: Organisation, **severities: str) -> None:
    """Change the organisation's rule severities (error, warning, off)."""
    settings = dict(org.settings_json)
    settings["rule_severities"] = {**settings.get("rule_severities", {}), **severities}
    org.settings_json = settings
    session.flush()


@pytest.fixture
def world(db: Session, tenant: Tenant) -> World:
    return build_world(db, tenant.org)


def build_world(db: Session, org: Organisation) -> World:
    """Two teams' worth of training: managers, staff, a published and discussed protocol,
    a management session and a later staff session."""
    fg = make_function_group(db, name="Ambulante begeleiding", likelihood=2, impact=3)  # moderate
    senior = make_employee(
        db, first_name="Henk", last_name="Directeur", role=Role.senior_management
    )
    manager = make_employee(
        db, first_name="Jolanda", last_name="Leidinggevende", role=Role.team_manager
    )
    team = make_team(db, name="Ambulant West", managers=[manager])
    manager.team_id = team.id
    staff = make_employee(
        db, first_name="Sanne", last_name="Bakker", team_id=team.id, function_group_id=fg.id
    )
    colleague = make_employee(
        db, first_name="Daan", last_name="Visser", team_id=team.id, function_group_id=fg.id
    )
    protocol = make_protocol(db, publish=True)
    make_team_discussion(db, protocol=protocol, team=team)
    make_acknowledgement(db, protocol=protocol, employee=senior)
    management = make_program(
        db,
        title="Managementworkshop Complete agressie-aanpak",
        audience=Audience.management,
        skills=("naming_discomfort", "peer_support"),
    )
    program = make_program(
        db,
        title="De-escaleren met een trainingsacteur",
        skills=("deescalation", "redirecting_emotion"),
        min_exposure_level="moderate",
        max_exposure_level="very_high",
    )
    start = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    management_session = make_session(db, program=management, starts_at=start)
    staff_session = make_session(db, program=program, starts_at=start + timedelta(days=14))
    return World(
        org=org,
        senior=senior,
        manager=manager,
        team=team,
        fg=fg,
        staff=staff,
        colleague=colleague,
        protocol=protocol,
        management=management,
        program=program,
        management_session=management_session,
        staff_session=staff_session,
    )


def rules_of(results: list[Any]) -> dict[str, Any]:
    """Results by rule name."""
    return {r.rule: r for r in results}
