"""A hand-computed organisation for the report tests (see the figures in test_figures.py)."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session

from app.followup.models import FollowUpStatus
from app.learning.models import Alignment, FunctionGroupNeed, PersonalGoalStatus, TeamGoalStatus
from app.organisation.models import Employee, FunctionGroup, Role, Team
from app.training.models import Audience
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.followup import (
    acknowledge,
    complete,
    discuss,
    make_conversation,
    make_item,
    make_meeting,
    make_personal_goal,
    make_program,
    make_review,
    make_team_goal,
    publish_protocol,
    skill,
)

TODAY = date(2026, 6, 15)


@dataclass
class Fixture:
    t1: Team
    t2: Team
    t3: Team
    fg_a: FunctionGroup
    fg_b: FunctionGroup
    people: dict[str, Employee]


@pytest.fixture
def fixture_org(db: Session, tenant: Tenant) -> Fixture:
    """Seven active employees in two teams, one empty team, one senior manager.

    T1 'Team Één' (FG-A, default needs of a low exposure: 3 skills): M1 (manager), A1, A2.
    T2 '=Team Twee' (FG-B, custom need: de-escalation): M2 (manager), B1, B2, B3 inactive.
    T3 'Team Drie': nobody. S: senior management, no team.
    """
    fg_a = make_function_group(db, name="Ambulant", likelihood=2, impact=2)
    fg_b = make_function_group(db, name="Crisisdienst", likelihood=5, impact=4, custom_needs=True)
    deesc = skill(db, "deescalation")
    contact, naming, peer = (
        skill(db, "contact_bad_news"),
        skill(db, "naming_discomfort"),
        skill(db, "peer_support"),
    )
    db.add(FunctionGroupNeed(function_group_id=fg_b.id, skill_id=deesc.id))
    s = make_employee(db, first_name="Sjoerd", role=Role.senior_management)
    m1 = make_employee(db, first_name="Gülşen", role=Role.team_manager, function_group_id=fg_a.id)
    m2 = make_employee(db, first_name="Renée", role=Role.team_manager, function_group_id=fg_b.id)
    t1 = make_team(db, name="Team Één", managers=[m1])
    t2 = make_team(db, name="=Team Twee", managers=[m2])
    t3 = make_team(db, name="Team Drie")
    m1.team_id, m2.team_id = t1.id, t2.id
    a1 = make_employee(db, first_name="A1", team_id=t1.id, function_group_id=fg_a.id)
    a2 = make_employee(db, first_name="A2", team_id=t1.id, function_group_id=fg_a.id)
    b1 = make_employee(db, first_name="B1", team_id=t2.id, function_group_id=fg_b.id)
    b2 = make_employee(db, first_name="B2", team_id=t2.id, function_group_id=fg_b.id)
    b3 = make_employee(db, first_name="B3", team_id=t2.id, function_group_id=fg_b.id, active=False)
    db.flush()

    # Protocol: A1 read it, T2 discussed it (B3 is inactive and never counts).
    protocol = publish_protocol(db, published=date(2026, 1, 1))
    acknowledge(db, protocol, a1, date(2026, 2, 1))
    acknowledge(db, protocol, b3, date(2026, 2, 1))
    discuss(db, protocol, t2, date(2026, 3, 1))

    # Trainings.
    pm = make_program(db, skills=[contact], audience=Audience.management, refresher_months=24)
    pb = make_program(db, skills=[contact, naming], refresher_months=24)
    pd = make_program(db, skills=[deesc], refresher_months=12)
    complete(db, s, pm, date(2026, 1, 10))
    complete(db, m1, pm, date(2026, 2, 10))
    complete(db, a1, pb, date(2026, 3, 1))
    complete(db, a2, pb, date(2026, 1, 20))  # before M1's management training
    complete(db, b1, pd, date(2024, 1, 1))  # an older round of the same programme
    complete(db, b1, pd, date(2025, 7, 1))  # current until 2026-07-01: refresher due
    complete(db, b2, pd, date(2025, 6, 15))  # ran out today: not current, not due
    complete(db, m1, pd, date(2025, 9, 13))  # runs out on today + 90 days: due
    complete(db, s, pd, date(2025, 9, 14))  # one day later: not yet due

    # Goals.
    make_team_goal(db, t1, contact)
    make_team_goal(db, t1, naming)
    make_team_goal(db, t1, peer, status=TeamGoalStatus.archived)
    make_team_goal(db, t3, peer)
    make_personal_goal(db, a1, contact, status=PersonalGoalStatus.agreed)
    make_personal_goal(db, a2, peer, alignment=Alignment.unaligned)
    make_personal_goal(db, a2, contact, status=PersonalGoalStatus.dropped)
    make_personal_goal(db, b3, deesc)
    make_personal_goal(db, b1, deesc, status=PersonalGoalStatus.achieved)

    # Follow-up items.
    make_item(db, owner=t1, due_on=date(2026, 6, 14))  # overdue
    make_item(db, owner=a1, due_on=TODAY)  # due today: not overdue
    make_item(db, owner=b1, due_on=date(2026, 6, 1), status=FollowUpStatus.done)
    make_item(db, owner=s)  # no team, no due date
    make_item(db, owner=t3, due_on=date(2026, 6, 16))

    # Practice reviews: T1's next review is today (not overdue); T2 never reviewed.
    make_review(db, t1, date(2026, 3, 15))

    # Meetings (threshold 3; period 2025-06-15 .. 2026-06-15).
    make_meeting(db, t1, date(2026, 1, 10), with_item=True)
    for month in (2, 3, 4):
        make_meeting(db, t1, date(2026, month, 10), with_item=False)
    make_meeting(db, t2, date(2026, 5, 1), with_item=True)
    make_meeting(db, t2, date(2026, 5, 15), with_item=False)
    make_meeting(db, t2, date(2025, 5, 1), with_item=True)  # before the period
    make_meeting(db, t3, date(2026, 1, 1), with_item=False)
    make_meeting(db, t3, date(2026, 2, 1), with_item=False)

    # HRM conversations (theme within 12 months: since 2025-06-15).
    make_conversation(db, a1, m1, date(2025, 6, 15))
    make_conversation(db, a2, m1, date(2025, 6, 14))
    make_conversation(db, b1, m2, date(2026, 1, 1), theme_discussed=False)
    make_conversation(db, b2, m2, date(2026, 2, 1))
    make_conversation(db, m1, s, date(2026, 3, 1))
    db.flush()
    people = {"s": s, "m1": m1, "m2": m2, "a1": a1, "a2": a2, "b1": b1, "b2": b2, "b3": b3}
    return Fixture(t1=t1, t2=t2, t3=t3, fg_a=fg_a, fg_b=fg_b, people=people)
