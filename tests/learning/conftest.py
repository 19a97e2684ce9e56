"""Fixtures of the learning tests: two teams, a member of the first, a team objective."""

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from app.learning.models import TeamGoal
from app.organisation.models import Employee, Organisation, Team
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.learning import make_team_goal


@dataclass
class Teams:
    home: Team
    other: Team
    member: Employee
    goal: TeamGoal  # active, home team, skill deescalation


@pytest.fixture
def teams(db: Session, tenant: Tenant) -> Teams:
    home, other = make_team(db, name="Jongerenwerk Noord"), make_team(db, name="Crisisdienst")
    fg = make_function_group(db, likelihood=4, impact=3)
    member = make_employee(db, team_id=home.id, function_group_id=fg.id)
    goal = make_team_goal(db, team=home, description="Samen de-escaleren bij dreiging")
    return Teams(home=home, other=other, member=member, goal=goal)


def allow_unaligned(org: Organisation, allowed: bool = True) -> None:
    """Switch the organisation setting ``allow_unaligned_personal_goals``."""
    org.settings_json = {**org.settings_json, "allow_unaligned_personal_goals": allowed}
