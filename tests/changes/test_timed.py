"""Time-based events are written by the worker when their day comes (moved clock)."""

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session, col, select, update

from app.changes import service as changes_service
from app.changes import timed
from app.changes.models import ChangeEvent
from app.core.config import get_settings
from app.core.dates import CALENDAR_ZONE
from app.followup.models import FollowUpItem, FollowUpKind, FollowUpStatus, PracticeReview
from app.organisation.models import FunctionGroup
from app.training.models import TrainingCompletion
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.training import make_program

TODAY = date.today()


def _types(db: Session, resource_id: uuid.UUID) -> list[str]:
    stmt = select(ChangeEvent).where(col(ChangeEvent.resource_id) == resource_id)
    return [
        e.type
        for e in db.exec(stmt).all()
        if "." in e.type and e.type.split(".")[1] not in ("created", "updated", "deleted")
    ]


def test_an_open_item_is_announced_overdue_the_day_after_its_due_date(
    db: Session, tenant: Tenant
) -> None:
    due = TODAY - timedelta(days=10)
    employee = make_employee(db)
    item = FollowUpItem(
        kind=FollowUpKind.action_point,
        description="Nagesprek plannen",
        owner_employee_id=employee.id,
        due_on=due,
    )
    done = FollowUpItem(
        kind=FollowUpKind.action_point,
        description="Klaar",
        owner_employee_id=employee.id,
        due_on=due,
        status=FollowUpStatus.done,
    )
    db.add_all([item, done])
    db.flush()
    timed.announce_due(db, today=due)
    assert _types(db, item.id) == []
    timed.announce_due(db, today=due + timedelta(days=1))
    assert _types(db, item.id) == ["follow_up_item.overdue"]
    timed.announce_due(db, today=due + timedelta(days=2))  # once, not every day
    assert _types(db, item.id) == ["follow_up_item.overdue"]
    assert _types(db, done.id) == []


def test_an_announcement_in_the_first_dutch_hour_counts_for_that_day(
    db: Session, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker ran at 00:30 in Amsterdam on the overdue day (still the day before in
    # UTC): a second run that day must find that announcement, not make another.
    day = TODAY - timedelta(days=3)
    item = FollowUpItem(
        kind=FollowUpKind.action_point,
        description="Nagesprek plannen",
        owner_employee_id=make_employee(db).id,
        due_on=day - timedelta(days=1),
    )
    db.add(item)
    db.flush()
    first_hour = datetime.combine(day, time(0, 30), tzinfo=CALENDAR_ZONE).astimezone(UTC)
    monkeypatch.setattr(timed, "utcnow", lambda: first_hour)
    assert timed.announce_due(db, today=day) == 1
    monkeypatch.undo()
    assert timed.announce_due(db, today=day) == 0
    assert _types(db, item.id) == ["follow_up_item.overdue"]


def test_a_lapsed_training_is_announced_unless_renewed(db: Session, tenant: Tenant) -> None:
    employee, colleague = make_employee(db), make_employee(db)
    program = make_program(db, refresher_months=12)
    old = TrainingCompletion(
        employee_id=employee.id, program_id=program.id, completed_on=TODAY - timedelta(days=400)
    )
    renewed_old = TrainingCompletion(
        employee_id=colleague.id, program_id=program.id, completed_on=TODAY - timedelta(days=400)
    )
    renewed = TrainingCompletion(
        employee_id=colleague.id, program_id=program.id, completed_on=TODAY - timedelta(days=30)
    )
    db.add_all([old, renewed_old, renewed])
    db.flush()
    lapses = TODAY - timedelta(days=400)
    lapses = lapses.replace(year=lapses.year + 1)
    timed.announce_due(db, today=lapses - timedelta(days=1))
    assert _types(db, old.id) == []
    timed.announce_due(db, today=lapses)
    assert _types(db, old.id) == ["training_completion.lapsed"]
    assert _types(db, renewed_old.id) == [] and _types(db, renewed.id) == []


def test_a_practice_review_and_a_risk_assessment_come_due(db: Session, tenant: Tenant) -> None:
    team = make_team(db)
    older = PracticeReview(
        team_id=team.id,
        held_on=TODAY - timedelta(days=400),
        next_review_on=TODAY - timedelta(days=35),
    )
    latest = PracticeReview(
        team_id=team.id,
        held_on=TODAY - timedelta(days=200),
        next_review_on=TODAY - timedelta(days=20),
    )
    group = make_function_group(db, risk_assessed_on=TODAY - timedelta(days=365 * 4 + 10))
    db.add_all([older, latest])
    db.flush()
    timed.announce_due(db, today=TODAY - timedelta(days=21))
    assert _types(db, latest.id) == []
    timed.announce_due(db, today=TODAY)
    assert _types(db, latest.id) == ["practice_review.due"]
    assert _types(db, older.id) == []  # a later review replaced it
    assert _types(db, group.id) == ["function_group.risk_assessment_due"]


def test_an_announcement_the_retention_deleted_is_not_made_again(
    db: Session, tenant: Tenant
) -> None:
    # The feed is the worker's memory of what it announced; once the retention has deleted
    # an announcement, that memory is gone, and without the window the item would be
    # announced overdue again every 30 days for as long as it stays open.
    retention = timedelta(days=get_settings().change_retention_days)
    item = FollowUpItem(
        kind=FollowUpKind.action_point,
        description="Incident nabespreken",
        owner_employee_id=make_employee(db).id,
        due_on=TODAY - timedelta(days=100),  # imported late: due long ago, new here
    )
    db.add(item)
    db.flush()
    assert timed.announce_due(db, today=TODAY) == 1
    later = TODAY + retention + timedelta(days=1)
    now = datetime.combine(later, time(12), tzinfo=CALENDAR_ZONE).astimezone(UTC)
    assert changes_service.purge(db, now=now) >= 1
    assert _types(db, item.id) == []
    assert timed.announce_due(db, today=later) == 0
    # Changed since (its owner edits it that day): announced once more, then not again.
    db.execute(update(FollowUpItem).where(col(FollowUpItem.id) == item.id).values(updated_at=now))
    db.expire_all()
    assert timed.announce_due(db, today=later) == 1
    assert timed.announce_due(db, today=later) == 0
    assert _types(db, item.id) == ["follow_up_item.overdue"]


def test_a_due_day_moved_into_the_past_by_another_row_is_announced(
    db: Session, tenant: Tenant
) -> None:
    # The completion itself is old and unchanged; its programme's refresher period is
    # shortened today, so it lapsed a year ago: a change, announced once.
    employee = make_employee(db)
    program = make_program(db, refresher_months=48)
    long_ago = datetime.now(UTC) - timedelta(days=3 * 365)
    completion = TrainingCompletion(
        employee_id=employee.id, program_id=program.id, completed_on=long_ago.date()
    )
    db.add(completion)
    db.flush()
    db.execute(
        update(TrainingCompletion)
        .where(col(TrainingCompletion.id) == completion.id)
        .values(created_at=long_ago, updated_at=long_ago)
    )
    assert timed.announce_due(db, today=TODAY) == 0  # not due: 48 months
    program.refresher_months = 24
    db.flush()
    db.expire_all()
    assert timed.announce_due(db, today=TODAY) == 1
    assert _types(db, completion.id) == ["training_completion.lapsed"]


def test_a_risk_assessment_due_sooner_by_a_new_validity_is_announced(
    db: Session, tenant: Tenant
) -> None:
    # Assessed three years ago, valid four: not due. The organisation makes it two today,
    # so it came due a year ago: the organisation's change, announced once.
    long_ago = datetime.now(UTC) - timedelta(days=3 * 365)
    group = make_function_group(db, risk_assessed_on=long_ago.date())
    db.execute(
        update(FunctionGroup)
        .where(col(FunctionGroup.id) == group.id)
        .values(created_at=long_ago, updated_at=long_ago)
    )
    assert timed.announce_due(db, today=TODAY) == 0
    org = tenant.org
    org.settings_json = {**org.settings_json, "risk_assessment_valid_years": 2}
    db.flush()
    db.expire_all()
    assert timed.announce_due(db, today=TODAY) == 1
    assert _types(db, group.id) == ["function_group.risk_assessment_due"]
