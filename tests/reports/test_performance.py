"""The overview report stays fast for a large organisation (10,000 employees).

Target: median under 250 ms on SQLite. The data are bulk-inserted straight into the
tables (a realistic mix: 500 teams, trainings, goals, items, meetings, conversations).
"""

import os
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, text
from sqlmodel import Session

from app.core.ids import uuid7
from app.followup.models import (
    FollowUpItem,
    HrmConversation,
    PracticeReview,
    TeamMeeting,
)
from app.learning.models import PersonalGoal, TeamGoal
from app.organisation.models import Employee, Role, Team, TeamManager
from app.policy.models import ProtocolAcknowledgement
from app.training.models import Audience, TrainingCompletion
from tests.conftest import Tenant
from tests.factories.core import make_function_group
from tests.factories.followup import make_program, publish_protocol, skill

EMPLOYEES = 10_000
TEAM_SIZE = 20
TARGET_MS = 250.0
TODAY = date.today()


def _rows(org: uuid.UUID, **values: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"id": uuid7(), "organisation_id": org, "created_at": now, "updated_at": now, **values}


def _seed(db: Session, org: uuid.UUID) -> None:
    rng = random.Random(7)
    codes = ["contact_bad_news", "naming_discomfort", "peer_support", "deescalation"]
    skills = [skill(db, c) for c in codes]
    groups = [make_function_group(db, likelihood=1 + i, impact=1 + i) for i in range(5)]
    programs = [
        make_program(db, skills=skills[:2], audience=Audience.management),
        make_program(db, skills=skills[:3]),
        make_program(db, skills=skills[3:], refresher_months=12),
    ]
    protocol = publish_protocol(db)
    teams = [_rows(org, name=f"Team {i:03d}") for i in range(EMPLOYEES // TEAM_SIZE)]
    db.execute(insert(Team), teams)
    employees, links = [], []
    for n in range(EMPLOYEES):
        team = teams[n // TEAM_SIZE]
        role = Role.team_manager if n % TEAM_SIZE == 0 else Role.employee
        if n < 10:
            role = Role.senior_management
        employees.append(
            _rows(
                org,
                first_name="Medewerker",
                last_name=str(n),
                team_id=team["id"],
                function_group_id=groups[n % 5].id,
                role=role,
                active=n % 50 != 0,
            )
        )
        if role == Role.team_manager:
            links.append(
                {"team_id": team["id"], "employee_id": employees[-1]["id"], "organisation_id": org}
            )
    db.execute(insert(Employee), employees)
    db.execute(insert(TeamManager), links)

    def day(max_days: int) -> date:
        return TODAY - timedelta(days=rng.randrange(max_days))

    completions, acks, goals, convs, items = [], [], [], [], []
    for e in employees:
        # Managers take the management programme, most staff one or both staff programmes.
        mine = [programs[0]] if e["role"] != Role.employee else []
        mine += rng.sample(programs[1:], rng.choice([0, 1, 2, 2]))
        for program in mine:
            completions.append(
                _rows(org, employee_id=e["id"], program_id=program.id, completed_on=day(900))
            )
        if rng.random() < 0.6:
            acks.append(
                _rows(
                    org,
                    protocol_id=protocol.id,
                    employee_id=e["id"],
                    read_at=datetime.now(UTC) - timedelta(days=2),
                )
            )
        goals.append(
            _rows(org, employee_id=e["id"], skill_id=rng.choice(skills).id, description="Leerdoel")
        )
        convs.append(
            _rows(
                org,
                employee_id=e["id"],
                manager_id=employees[0]["id"],
                held_on=day(700),
                kind="progress",
                theme_discussed=rng.random() < 0.7,
            )
        )
        if rng.random() < 0.5:
            items.append(
                _rows(
                    org,
                    kind="action_point",
                    description="Actiepunt",
                    owner_employee_id=e["id"],
                    due_on=day(120) + timedelta(days=60),
                    status=rng.choice(["open", "open", "done"]),
                )
            )
    team_goals, reviews, meetings = [], [], []
    for t in teams:
        team_goals.append(_rows(org, team_id=t["id"], skill_id=skills[0].id, description="Doel"))
        held = day(300)
        reviews.append(
            _rows(org, team_id=t["id"], held_on=held, next_review_on=held + timedelta(days=91))
        )
        for _ in range(12):
            meetings.append(
                _rows(
                    org,
                    team_id=t["id"],
                    held_on=day(400),
                    safe_resilient_work_on_agenda=rng.random() < 0.5,
                )
            )
    for model, rows in (
        (TrainingCompletion, completions),
        (ProtocolAcknowledgement, acks),
        (TeamGoal, team_goals),
        (PersonalGoal, goals),
        (HrmConversation, convs),
        (FollowUpItem, items),
        (PracticeReview, reviews),
        (TeamMeeting, meetings),
    ):
        db.execute(insert(model), rows)
    db.flush()


def test_overview_is_fast_for_10000_employees(
    client: TestClient, tenant: Tenant, db: Session, is_postgres: bool
) -> None:
    _seed(db, tenant.id)
    db.execute(text("ANALYZE"))
    wall, cpu = [], []
    for _ in range(7):
        start, start_cpu = time.perf_counter(), time.process_time()
        r = client.get("/v1/reports/overview", headers=tenant.read)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert r.status_code == 200, r.text
    body = r.json()
    assert body["teams"] == EMPLOYEES // TEAM_SIZE
    assert body["protocol_readiness"]["active_employees"] == EMPLOYEES - EMPLOYEES // 50
    median_wall, median_cpu = statistics.median(wall), statistics.median(cpu)
    print(f"overview, {EMPLOYEES} employees: {median_wall:.0f} ms, cpu {median_cpu:.0f} ms")  # noqa: T201
    if is_postgres:
        return  # the target is SQLite's; PostgreSQL's time is printed for comparison
    # SQLite runs in this process: its CPU time is the report's own work, whatever else
    # the machine does. Wall time is only meaningful on a machine that is not saturated.
    assert median_cpu < TARGET_MS, cpu
    if os.getloadavg()[0] < (os.cpu_count() or 1):
        assert median_wall < TARGET_MS, wall
