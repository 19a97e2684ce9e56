"""Issue 21's targets: the risk analysis and the recommendations with 20,000 incidents.

The benchmark organisation (10,000 employees) gets 20,000 incidents spread over the last
two years, each with one or two employees of its team involved, inserted with Core
``executemany`` in the shape the service writes them. Then, one at a time: the risk
analysis of every function group, and the whole organisation's recommendations, beside the
same recommendations measured before the incidents existed (what the evidence costs).
"""

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from app.core.dates import today
from app.core.ids import uuid7
from app.core.tenancy import bind_organisation
from app.incidents import service as incidents_service
from app.incidents.models import Incident, IncidentCategory, IncidentEmployee
from app.organisation.models import Employee, OrganisationSettings
from app.policy.models import Norm
from app.selection.models import PlanScope
from app.selection.ranking import recommend
from bench import data

INCIDENTS = 20_000
TARGET_S = 1.0


def _timed(engine: Engine, org_id: uuid.UUID, work: Callable[[Session], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        with Session(engine) as session:
            bind_organisation(session, org_id)
            started = time.perf_counter()
            work(session)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _recommend(session: Session) -> None:
    assert recommend(session, scope=PlanScope(), on=today()).items


def _risk(session: Session) -> None:
    assert incidents_service.risk_analyses(
        session, today=today(), settings=OrganisationSettings()
    ).items


def _insert_incidents(engine: Engine, org_id: uuid.UUID, n: int) -> None:
    rng = random.Random(21)
    now = datetime.now(UTC)
    with engine.connect() as conn:
        people = conn.execute(
            select(col(Employee.id), col(Employee.team_id), col(Employee.function_group_id)).where(
                col(Employee.organisation_id) == org_id,
                col(Employee.team_id).is_not(None),
                col(Employee.function_group_id).is_not(None),
            )
        ).all()
    by_team: dict[uuid.UUID, list[Any]] = {}
    for p in people:
        by_team.setdefault(p.team_id, []).append(p)
    teams = sorted(by_team)
    stamp = {"organisation_id": org_id, "created_at": now, "updated_at": now}
    norms = [
        {**stamp, "id": uuid7(), "title": title, "level": level, "status": "active"}
        for title, level in (("Schelden", "orange"), ("Dreigen", "red"))
    ]
    categories = list(IncidentCategory)
    incidents, links = [], []
    for i in range(n):
        members = by_team[rng.choice(teams)]
        affected = rng.sample(members, k=min(len(members), 1 + (i % 5 == 0)))
        category = rng.choice(categories)
        red = category != IncidentCategory.verbal_aggression
        incident_id = uuid7()
        incidents.append(
            {
                **stamp,
                "id": incident_id,
                "external_id": f"M-{i}",
                "occurred_at": now - timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60)),
                "team_id": affected[0].team_id,
                "function_group_id": affected[0].function_group_id,
                "norm_id": norms[red]["id"],
                "norm_level": "red" if red else "orange",
                "category": category.value,
                "severity": rng.randint(1, 5),
                "police_informed": False,
                "description": "Bench",
            }
        )
        links += [
            {
                "incident_id": incident_id,
                "employee_id": a.id,
                "organisation_id": org_id,
                "involvement": "affected",
            }
            for a in affected
        ]
    with engine.begin() as conn:
        conn.execute(insert(Norm), norms)
        conn.execute(insert(Incident), incidents)
        conn.execute(insert(IncidentEmployee), links)
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")


def incidents_benchmark(
    report: Any, db: str, _url: str, engine: Engine, org: data.BenchOrg, args: argparse.Namespace
) -> None:
    """Risk analysis and recommendations of the whole organisation with 20,000 incidents."""
    repeat = max(3, args.repeat)
    before = _timed(engine, org.org_id, _recommend, repeat)
    _insert_incidents(engine, org.org_id, INCIDENTS)
    risk = _timed(engine, org.org_id, _risk, repeat)
    after = _timed(engine, org.org_id, _recommend, repeat)
    size = f"{args.employees:,} empl., {INCIDENTS:,} incidents"
    report.add(
        db, f"risk analysis ({size})", f"median {risk * 1000:.0f} ms", "< 1000 ms", risk < TARGET_S
    )
    report.add(
        db,
        f"recommendations ({size})",
        f"median {after * 1000:.0f} ms ({after / before:.2f}x without incidents, "
        f"{before * 1000:.0f} ms)",
        "< 1000 ms",
        after < TARGET_S,
    )
