"""A small organisation worked out by hand (docs/selection.md walks through the numbers).

Skills: C contact_bad_news, N naming_discomfort, P peer_support, R risk_assessment,
T tension_control, E redirecting_emotion, D deescalation, M manipulative_behaviour,
L less_influenceable_behaviour (no programme trains L).

- Team A "Crisisdienst" (manager Jolanda): 5 staff in *Crisisteam* (high, all nine skills),
  2 in *Receptie* (low: C N P). Active team goal: D. The team discussed the protocol.
- Team B "Beschermd Wonen Noord" (manager Ahmed): 3 staff in *Beschermd wonen* (high),
  1 in *Ambulant* (moderate: C N P R T E). Active team goal: C; Ahmed agreed a personal
  goal on C. Nobody in team B is protocol-ready.
- Senior management: Henk. Managers have no function group.
- Catalogue: "Leidinggeven aan veiligheid" (management: C P, groups of 10),
  "Basis" (staff, low-very_high: C N P, groups of 3), "De-escalatie" (staff,
  moderate-very_high: R T E D, groups of 4), "Fysieke veiligheid" (staff, high-very_high:
  D M, groups of 4).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from app.learning.models import PersonalGoalStatus, TeamGoal
from app.organisation.models import Employee, FunctionGroup, Organisation, Role, Team
from app.policy.models import Protocol
from app.training.models import Audience, TrainingProgram
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.learning import make_personal_goal, make_team_goal, skill
from tests.factories.policy import make_acknowledgement, make_protocol, make_team_discussion
from tests.factories.training import make_program

STARTS_ON = date.today() + timedelta(days=30)


@dataclass
class Org:
    org: Organisation
    senior: Employee
    manager_a: Employee
    manager_b: Employee
    team_a: Team
    team_b: Team
    crisis: FunctionGroup  # high
    housing: FunctionGroup  # high
    reception: FunctionGroup  # low
    ambulant: FunctionGroup  # moderate
    crisis_staff: list[Employee]
    reception_staff: list[Employee]
    housing_staff: list[Employee]
    ambulant_staff: list[Employee]
    goal_a: TeamGoal
    goal_b: TeamGoal
    protocol: Protocol
    management: TrainingProgram
    basis: TrainingProgram
    deesc: TrainingProgram
    physical: TrainingProgram
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def staff(self) -> list[Employee]:
        return [
            *self.crisis_staff,
            *self.reception_staff,
            *self.housing_staff,
            *self.ambulant_staff,
        ]


def _people(db: Session, n: int, **kw: object) -> list[Employee]:
    return [make_employee(db, **kw) for _ in range(n)]


@pytest.fixture
def org(db: Session, tenant: Tenant) -> Org:
    crisis = make_function_group(db, name="Crisisteam", likelihood=4, impact=3)
    housing = make_function_group(db, name="Beschermd wonen", likelihood=4, impact=4)
    reception = make_function_group(db, name="Receptie", likelihood=1, impact=2)
    ambulant = make_function_group(db, name="Ambulant", likelihood=2, impact=3)
    senior = make_employee(db, first_name="Henk", last_name="de Boer", role=Role.senior_management)
    manager_a = make_employee(db, first_name="Jolanda", last_name="Smit", role=Role.team_manager)
    manager_b = make_employee(db, first_name="Ahmed", last_name="Bouzid", role=Role.team_manager)
    team_a = make_team(db, name="Crisisdienst", managers=[manager_a])
    team_b = make_team(db, name="Beschermd Wonen Noord", managers=[manager_b])
    manager_a.team_id, manager_b.team_id = team_a.id, team_b.id
    crisis_staff = _people(db, 5, team_id=team_a.id, function_group_id=crisis.id)
    reception_staff = _people(db, 2, team_id=team_a.id, function_group_id=reception.id)
    housing_staff = _people(db, 3, team_id=team_b.id, function_group_id=housing.id)
    ambulant_staff = _people(db, 1, team_id=team_b.id, function_group_id=ambulant.id)
    goal_a = make_team_goal(db, team=team_a, skill_row=skill(db, "deescalation"))
    goal_b = make_team_goal(db, team=team_b, skill_row=skill(db, "contact_bad_news"))
    make_personal_goal(db, employee=manager_b, team_goal=goal_b, status=PersonalGoalStatus.agreed)
    protocol = make_protocol(db, publish=True)
    make_team_discussion(db, protocol=protocol, team=team_a)
    management = make_program(
        db,
        title="Leidinggeven aan veiligheid",
        audience=Audience.management,
        skills=("contact_bad_news", "peer_support"),
        max_group_size=10,
    )
    basis = make_program(
        db,
        title="Basis",
        skills=("contact_bad_news", "naming_discomfort", "peer_support"),
        max_group_size=3,
    )
    deesc = make_program(
        db,
        title="De-escalatie",
        skills=("risk_assessment", "tension_control", "redirecting_emotion", "deescalation"),
        min_exposure_level="moderate",
        max_group_size=4,
    )
    physical = make_program(
        db,
        title="Fysieke veiligheid",
        skills=("deescalation", "manipulative_behaviour"),
        min_exposure_level="high",
        max_group_size=4,
        refresher_months=12,
    )
    db.flush()
    return Org(
        org=tenant.org,
        senior=senior,
        manager_a=manager_a,
        manager_b=manager_b,
        team_a=team_a,
        team_b=team_b,
        crisis=crisis,
        housing=housing,
        reception=reception,
        ambulant=ambulant,
        crisis_staff=crisis_staff,
        reception_staff=reception_staff,
        housing_staff=housing_staff,
        ambulant_staff=ambulant_staff,
        goal_a=goal_a,
        goal_b=goal_b,
        protocol=protocol,
        management=management,
        basis=basis,
        deesc=deesc,
        physical=physical,
    )


def set_severities(session: Session, org: Organisation, **severities: str) -> None:
    """Change the organisation's rule severities (error, warning, off)."""
    settings = dict(org.settings_json)
    settings["rule_severities"] = {**settings.get("rule_severities", {}), **severities}
    org.settings_json = settings
    session.flush()


def make_everyone_ready(session: Session, org: Org) -> None:
    """Team B discusses the protocol and Henk (no team) reads it: everyone is ready."""
    make_team_discussion(session, protocol=org.protocol, team=org.team_b)
    make_acknowledgement(session, protocol=org.protocol, employee=org.senior)
