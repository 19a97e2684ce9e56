"""A deterministic synthetic organisation for the benchmarks.

Default size: 10,000 employees, 400 teams, 12 function groups across every exposure
level, 40 programmes, team and personal goals, past completions, a published protocol
with acknowledgements. The organisation and its keys are made by the service itself
(so the seed skills exist); the bulk rows are inserted with SQLAlchemy Core
``executemany`` in the shape the service writes them.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from app.core.ids import uuid7
from app.core.tenancy import bind_organisation
from app.demo import dutch_name
from app.domains import register_domains
from app.organisation import service as organisation_service
from app.organisation.models import Employee, FunctionGroup, Role, Team, TeamManager

# (name, likelihood, impact): three groups per exposure level.
FUNCTION_GROUPS = [
    ("Receptie", 1, 2),
    ("Administratie", 2, 2),
    ("Servicedesk", 1, 4),
    ("Welzijnswerk", 2, 3),
    ("Jongerenwerk", 3, 3),
    ("Buurtwerk", 2, 4),
    ("Schuldhulpverlening", 3, 4),
    ("Ambulante begeleiding", 4, 3),
    ("Beschermd wonen", 4, 4),
    ("Crisisteam", 5, 4),
    ("Nachtopvang", 5, 5),
    ("Veldwerk verslavingszorg", 4, 5),
]


BIG_TEAM_EXTRA = 150


@dataclass
class BenchOrg:
    """What the benchmark needs to address the generated data."""

    org_id: uuid.UUID
    admin_key: str
    team_ids: list[uuid.UUID]
    employee_ids: list[uuid.UUID]
    staff_ids: list[uuid.UUID]
    extras: dict[str, Any] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


def generate(
    engine: Engine, *, employees: int = 10_000, teams: int = 400, seed: int = 20261128
) -> BenchOrg:
    """Create one synthetic organisation; returns its ids and admin key."""
    register_domains()  # a new organisation gets the seed skills, as through the API
    rng = random.Random(seed)
    now = _now()
    with Session(engine, expire_on_commit=False) as session:
        org, key = organisation_service.create_organisation(session, name=f"Bench {seed}")
        bind_organisation(session, org.id)
        session.commit()
    org_id = org.id

    def stamp(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": uuid7(),
            "organisation_id": org_id,
            "created_at": now,
            "updated_at": now,
            **row,
        }

    fg_rows = [
        stamp(
            {
                "name": n,
                "external_id": f"FG-{i:02d}",
                "description": None,
                "likelihood": lk,
                "impact": im,
                "risk_assessed_on": date(2024, 1, 1),
                "custom_needs": False,
            }
        )
        for i, (n, lk, im) in enumerate(FUNCTION_GROUPS)
    ]
    team_rows = [
        stamp({"name": f"Team {i:03d}", "external_id": f"T-{i:03d}"}) for i in range(teams)
    ]
    emp_rows: list[dict[str, Any]] = []
    manager_links: list[dict[str, Any]] = []
    seniors = max(2, employees // 500)
    for n in range(employees):
        first, particle, last = dutch_name(rng)
        if n < seniors:
            role, team, fg = Role.senior_management, None, None
        else:
            # Team 0 is large (a whole location) so a team's list page holds 100 people.
            k = n - seniors
            t = 0 if teams <= k < teams + BIG_TEAM_EXTRA else k % teams
            team = team_rows[t]
            fg = fg_rows[t % len(fg_rows)]
            role = Role.team_manager if n - seniors < teams else Role.employee
        row = stamp(
            {
                "external_id": f"{100000 + n}",
                "first_name": first,
                "name_particle": particle,
                "last_name": last,
                "email": f"medewerker{n}@bench.example",
                "team_id": team["id"] if team else None,
                "function_group_id": fg["id"] if fg else None,
                "role": role.value,
                "active": True,
                "started_on": date(2005 + n % 20, 1 + n % 12, 1),
                "erased_at": None,
            }
        )
        emp_rows.append(row)
        if role is Role.team_manager and team is not None:
            manager_links.append(
                {"team_id": team["id"], "employee_id": row["id"], "organisation_id": org_id}
            )
    with engine.begin() as conn:
        conn.execute(insert(FunctionGroup), fg_rows)
        conn.execute(insert(Team), team_rows)
        for i in range(0, len(emp_rows), 2000):
            conn.execute(insert(Employee), emp_rows[i : i + 2000])
        conn.execute(insert(TeamManager), manager_links)
    staff = [r["id"] for r in emp_rows if r["role"] == Role.employee.value]
    result = BenchOrg(
        org_id=org_id,
        admin_key=key,
        team_ids=[t["id"] for t in team_rows],
        employee_ids=[r["id"] for r in emp_rows],
        staff_ids=staff,
    )
    _domains(engine, result, rng, stamp, emp_rows, team_rows)
    _follow_up(engine, result, rng, stamp, emp_rows, team_rows)
    # Measure the steady state: PostgreSQL with the planner statistics autovacuum keeps.
    # Straight after a bulk load it still believes every table nearly empty and picks
    # nested loops: the overview report took 400-900 ms that way, about 60-100 ms with
    # statistics (docs/performance.md). SQLite keeps none unless asked, so neither do we.
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return result


def _domains(
    engine: Engine,
    org: BenchOrg,
    rng: random.Random,
    stamp: Any,
    emp_rows: list[dict[str, Any]],
    team_rows: list[dict[str, Any]],
) -> None:
    """Protocol and acknowledgements, goals, the catalogue and past completions."""
    from app.learning.models import PersonalGoal, Skill, TeamGoal
    from app.policy.models import Protocol, ProtocolAcknowledgement, ProtocolSection
    from app.training.models import (
        ProgramSkill,
        TrainingCompletion,
        TrainingProgram,
        TrainingSession,
    )

    now = _now()
    with engine.connect() as conn:
        skills = {
            code: sid
            for sid, code in conn.execute(
                select(col(Skill.id), col(Skill.code)).where(
                    col(Skill.organisation_id) == org.org_id
                )
            )
        }
    codes = sorted(skills)
    protocol = stamp(
        {
            "title": "Agressieprotocol",
            "version": 1,
            "summary": "Afspraken en tips",
            "status": "published",
            "published_at": now - timedelta(days=200),
            "superseded_at": None,
        }
    )
    sections = [
        stamp(
            {
                "protocol_id": protocol["id"],
                "position": i,
                "kind": kind,
                "title": f"Pijler {i + 1}",
                "body": "Wat we afspreken.",
                "pillar": i + 1,
            }
        )
        for i, kind in enumerate(["agreement", "tip", "suggestion", "procedure"])
    ]
    acks = [
        stamp(
            {
                "protocol_id": protocol["id"],
                "employee_id": e["id"],
                "read_at": now - timedelta(days=rng.randint(1, 190)),
            }
        )
        for e in emp_rows
        if rng.random() < 0.6
    ]
    team_goals = []
    for t in team_rows:
        for code in rng.sample(codes, 2):
            team_goals.append(
                stamp(
                    {
                        "team_id": t["id"],
                        "skill_id": skills[code],
                        "description": f"Het team oefent {code}",
                        "target_on": None,
                        "status": "active",
                        "source_protocol_section_id": None,
                    }
                )
            )
    goals_by_team: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for g in team_goals:
        goals_by_team.setdefault(g["team_id"], []).append(g)
    personal = []
    for e in emp_rows:
        if e["team_id"] is None or rng.random() > 0.2:
            continue
        goal = rng.choice(goals_by_team[e["team_id"]])
        personal.append(
            stamp(
                {
                    "employee_id": e["id"],
                    "skill_id": goal["skill_id"],
                    "description": "Persoonlijk leerdoel",
                    "team_goal_id": goal["id"],
                    "status": "agreed",
                    "alignment": "aligned",
                    "aligned_team_goal_id": goal["id"],
                }
            )
        )
    levels = ["low", "moderate", "high", "very_high"]
    programs, program_skills = [], []
    for i in range(40):
        audience = "management" if i < 4 else ("mixed" if i < 14 else "staff")
        lo = rng.randint(0, 3)
        hi = rng.randint(lo, 3)
        prog = stamp(
            {
                "external_id": f"P-{i:02d}",
                "title": f"Training {i:02d}",
                "provider": "Bureau Dinsdag",
                "description": None,
                "audience": audience,
                "min_exposure_level": levels[lo],
                "max_exposure_level": levels[hi],
                "format": "classroom",
                "duration_hours": 8.0,
                "max_group_size": rng.choice([8, 10, 12, 16]),
                "refresher_months": rng.choice([12, 24]),
                "active": True,
            }
        )
        programs.append(prog)
        for code in rng.sample(codes, rng.randint(2, 4)):
            program_skills.append(
                {"program_id": prog["id"], "skill_id": skills[code], "organisation_id": org.org_id}
            )
    completions = []
    managers = [e for e in emp_rows if e["role"] != Role.employee.value]
    for m in managers:  # managers first: every manager completed a management programme
        completions.append(
            stamp(
                {
                    "employee_id": m["id"],
                    "program_id": programs[0]["id"],
                    "session_id": None,
                    "completed_on": days_ago(100),
                }
            )
        )
    for e in emp_rows:
        if e["role"] == Role.employee.value and rng.random() < 0.3:
            completions.append(
                stamp(
                    {
                        "employee_id": e["id"],
                        "program_id": rng.choice(programs[14:])["id"],
                        "session_id": None,
                        "completed_on": days_ago(rng.randint(30, 1000)),
                    }
                )
            )
    upcoming = stamp(
        {
            "program_id": programs[20]["id"],
            "starts_at": now + timedelta(days=30),
            "ends_at": now + timedelta(days=30, hours=8),
            "location": "Utrecht",
            "trainer": "Trainingsacteur",
            "capacity": 1000,
            "enrolled_count": 0,
            "status": "planned",
            "completed_at": None,
        }
    )
    with engine.begin() as conn:
        conn.execute(insert(Protocol), [protocol])
        conn.execute(insert(ProtocolSection), sections)
        for table, rows in (
            (ProtocolAcknowledgement, acks),
            (TeamGoal, team_goals),
            (PersonalGoal, personal),
            (TrainingProgram, programs),
            (ProgramSkill, program_skills),
            (TrainingCompletion, completions),
            (TrainingSession, [upcoming]),
        ):
            for i in range(0, len(rows), 2000):
                conn.execute(insert(table), rows[i : i + 2000])
    org.extras["check_session_id"] = upcoming["id"]
    org.extras["protocol_id"] = protocol["id"]


def _follow_up(
    engine: Engine,
    org: BenchOrg,
    rng: random.Random,
    stamp: Any,
    emp_rows: list[dict[str, Any]],
    team_rows: list[dict[str, Any]],
) -> None:
    """Action points, practice reviews, a year of team meetings and HRM conversations.

    Items are owned by employees (from their HRM cycle) and by teams (from their practice
    review), a third of them done (with the moment they were done); a quarter of the teams
    discussed the protocol in a team meeting (readiness without reading it).
    """
    from app.followup.models import FollowUpItem, HrmConversation, PracticeReview, TeamMeeting
    from app.policy.models import TeamDiscussion
    from app.policy.protocols import TEAM_MEMBERS_TOOK_PART

    senior = emp_rows[0]["id"]
    now = _now()
    items, convs = [], []
    for e in emp_rows:
        if rng.random() < 0.3:
            items.append(
                stamp(
                    {
                        "kind": "action_point",
                        "description": "Actiepunt",
                        "owner_employee_id": e["id"],
                        "due_on": days_ago(rng.randint(-60, 120)),
                        "status": rng.choice(["open", "open", "done"]),
                    }
                )
            )
        if rng.random() < 0.7:
            convs.append(
                stamp(
                    {
                        "employee_id": e["id"],
                        "manager_id": senior,
                        "held_on": days_ago(rng.randint(1, 700)),
                        "kind": "progress",
                        "theme_discussed": rng.random() < 0.7,
                    }
                )
            )
    reviews, meetings = [], []
    for t in team_rows:
        held = days_ago(rng.randint(1, 300))
        reviews.append(
            stamp(
                {"team_id": t["id"], "held_on": held, "next_review_on": held + timedelta(days=91)}
            )
        )
        for _ in range(12):
            meetings.append(
                stamp(
                    {
                        "team_id": t["id"],
                        "held_on": days_ago(rng.randint(1, 400)),
                        "safe_resilient_work_on_agenda": rng.random() < 0.5,
                    }
                )
            )
    # Drawn after the rows above, so those stay as they were.
    for review in reviews:
        for _ in range(rng.randint(0, 3)):
            items.append(
                stamp(
                    {
                        "kind": "learning_point",
                        "description": "Leerpunt uit de praktijkbespreking",
                        "practice_review_id": review["id"],
                        "owner_team_id": review["team_id"],
                        "due_on": review["held_on"] + timedelta(days=rng.randint(14, 120)),
                        "status": rng.choice(["open", "open", "done"]),
                    }
                )
            )
    for item in items:  # one shape for the bulk insert
        for key in ("owner_employee_id", "owner_team_id", "practice_review_id"):
            item.setdefault(key, None)
        item["done_at"] = now if item["status"] == "done" else None
    discussions = [
        stamp(
            {
                "protocol_id": org.extras["protocol_id"],
                "team_id": t["id"],
                "discussed_on": days_ago(rng.randint(1, 190)),
                "notes": None,
            }
        )
        for t in team_rows
        if rng.random() < 0.25
    ]
    with engine.begin() as conn:
        for table, rows in (
            (PracticeReview, reviews),
            (FollowUpItem, items),
            (HrmConversation, convs),
            (TeamMeeting, meetings),
            (TeamDiscussion, discussions),
        ):
            for i in range(0, len(rows), 2000):
                conn.execute(insert(table), rows[i : i + 2000])
        conn.execute(TEAM_MEMBERS_TOOK_PART)
        conn.execute(TEAM_MEMBERS_TOOK_PART)


def days_ago(n: int) -> date:
    return date.today() - timedelta(days=n)
