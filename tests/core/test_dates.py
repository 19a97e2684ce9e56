"""One "today" for every domain: the calendar day in the Netherlands (core/dates.py).

The clock is frozen half an hour after midnight in Amsterdam, when the UTC day is still
the day before: a meeting held today, a risk analysis due today and an item due yesterday
must all be judged by the Dutch day, in every domain alike.
"""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

import app
from app.core import models as core_models
from app.core.dates import rfc3339, today
from app.organisation.models import Organisation
from app.training.models import TrainingCompletion
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.training import make_enrolment, make_program, make_session
from tests.helpers import assert_problem
from tests.policy.helpers import create_protocol, publish
from tests.training.conftest import set_severities

# 00:30 on 29 November in Amsterdam (CET, UTC+1); in UTC still 28 November.
AFTER_DUTCH_MIDNIGHT = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
DUTCH_TODAY = date(2026, 11, 29)

Clock = Callable[[datetime], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the service's one clock (``core.models.utcnow``) at an instant."""

    def freeze(at: datetime) -> None:
        class Frozen(datetime):
            @classmethod
            def now(cls, tz: tzinfo | None = None) -> "Frozen":
                moment = at if tz is None else at.astimezone(tz)
                return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)

        monkeypatch.setattr(core_models, "datetime", Frozen)

    return freeze


@pytest.mark.parametrize(
    ("at", "day"),
    [
        (datetime(2026, 11, 28, 22, 59, tzinfo=UTC), date(2026, 11, 28)),  # 23:59 CET
        (datetime(2026, 11, 28, 23, 0, tzinfo=UTC), date(2026, 11, 29)),  # 00:00 CET
        (datetime(2026, 7, 1, 21, 59, tzinfo=UTC), date(2026, 7, 1)),  # 23:59 CEST
        (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), date(2026, 7, 2)),  # 00:00 CEST
    ],
)
def test_today_turns_at_midnight_in_amsterdam_summer_and_winter(
    clock: Clock, at: datetime, day: date
) -> None:
    clock(at)
    assert today() == day


def test_held_today_in_amsterdam_is_accepted_in_every_domain(
    client: TestClient, db: Session, tenant: Tenant, clock: Clock
) -> None:
    team = make_team(db)
    protocol = publish(client, tenant, create_protocol(client, tenant)["id"])
    clock(AFTER_DUTCH_MIDNIGHT)
    held = {"team_id": str(team.id), "held_on": DUTCH_TODAY.isoformat()}
    tomorrow = {**held, "held_on": "2026-11-30"}

    # Follow-up: a team meeting held tonight is not "in the future".
    r = client.post("/v1/team-meetings", headers=tenant.write, json=held)
    assert r.status_code == 201, r.text
    r = client.post("/v1/team-meetings", headers=tenant.write, json=tomorrow)
    assert assert_problem(r, 422, "held-on-in-future")["errors"][0]["pointer"] == "/held_on"

    # Policy: nor is the team's discussion of the protocol in that meeting.
    url = f"/v1/protocols/{protocol['id']}/team-discussions"
    body = {"team_id": str(team.id), "discussed_on": DUTCH_TODAY.isoformat()}
    r = client.post(url, headers=tenant.write, json=body)
    assert r.status_code == 201, r.text


def test_due_and_overdue_follow_the_dutch_day(
    client: TestClient, db: Session, tenant: Tenant, clock: Clock
) -> None:
    # Organisation: a risk analysis of exactly four years ago is due again today.
    fg = make_function_group(db, risk_assessed_on=date(2022, 11, 29))
    # Follow-up: an item due on 28 November is overdue once the Dutch 29th has begun.
    item = client.post(
        "/v1/follow-up-items",
        headers=tenant.write,
        json={
            "kind": "action_point",
            "description": "Nazorg regelen",
            "owner_employee_id": str(make_employee(db).id),
            "due_on": "2026-11-28",
        },
    )
    assert item.status_code == 201, item.text
    clock(AFTER_DUTCH_MIDNIGHT)

    r = client.get(f"/v1/function-groups/{fg.id}", headers=tenant.read)
    assert r.json()["risk_assessment_due"] is True
    r = client.get(f"/v1/follow-up-items/{item.json()['id']}", headers=tenant.read)
    assert r.json()["overdue"] is True


def test_a_session_ending_after_dutch_midnight_is_completed_on_the_dutch_day(
    client: TestClient, db: Session, tenant: Tenant, clock: Clock
) -> None:
    # Training: an evening session from 20:30 to 00:30 in Amsterdam ends on the 29th.
    # (Protocol readiness is not what this test is about: it only warns here.)
    org = db.get(Organisation, tenant.id)
    assert org is not None
    set_severities(db, org, protocol_ready="warning")
    program = make_program(db)
    ts = make_session(
        db,
        program=program,
        starts_at=datetime(2026, 11, 28, 19, 30, tzinfo=UTC),
        hours=4,
    )
    employee = make_employee(db)
    make_enrolment(db, training_session=ts, employee=employee)
    clock(AFTER_DUTCH_MIDNIGHT + timedelta(minutes=15))

    r = client.post(f"/v1/training-sessions/{ts.id}/complete", headers=tenant.write, json={})
    assert r.status_code == 200, r.text
    completed = db.exec(
        select(TrainingCompletion.completed_on).where(TrainingCompletion.employee_id == employee.id)
    ).all()
    assert completed == [DUTCH_TODAY]


def test_no_module_has_a_today_of_its_own() -> None:
    # The one clock is core.models.utcnow; the one calendar day is core.dates.today.
    root = Path(app.__file__).parent
    own = re.compile(r"\bdate\.today\(|\bdatetime\.now\(")
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in sorted(root.rglob("*.py"))
        if path != root / "core" / "models.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if own.search(line)
    ]
    assert not offenders, f"use app.core.dates.today() or core.models.utcnow(): {offenders}"


def test_an_instant_in_text_is_written_with_z_as_pydantic_writes_it() -> None:
    from datetime import timezone

    at = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert rfc3339(at) == "2026-03-01T08:30:00Z"
    assert rfc3339(at.replace(microsecond=5)) == "2026-03-01T08:30:00.000005Z"
