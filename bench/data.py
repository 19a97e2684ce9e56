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
from sqlmodel import Session

from app.core.ids import uuid7
from app.core.tenancy import bind_organisation
from app.demo import FIRST_NAMES, LAST_NAMES, PARTICLES
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
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
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
                "name_particle": rng.choice(PARTICLES),
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
    return BenchOrg(
        org_id=org_id,
        admin_key=key,
        team_ids=[t["id"] for t in team_rows],
        employee_ids=[r["id"] for r in emp_rows],
        staff_ids=staff,
    )


def days_ago(n: int) -> date:
    return date.today() - timedelta(days=n)
