"""Time-based events: written by ``veerkracht worker`` when their day comes (issue 17).

Nothing is written at the moment a follow-up item becomes overdue, so no transaction can
announce it: the worker looks once a day (and at its start) for what has come due and is
not yet announced, and writes the event then.

- ``follow_up_item.overdue`` (the item): an open item's ``due_on`` has passed;
- ``practice_review.due`` (the team's latest review): its ``next_review_on`` has come;
- ``function_group.risk_assessment_due``: ``risk_assessed_on`` + the organisation's
  validity (4 years by default) has come;
- ``training_completion.lapsed`` (the completion): ``completed_on`` + the programme's
  ``refresher_months`` has come and the employee has no later completion of it (a skill
  lapsed: the training record changed, so ``employee.training_record_changed`` with the
  reason ``completion_lapsed`` comes with it).

An event is written once per resource and due day: not again while one of the same type
exists that was written on or after that day (a new due date is a new event). That
memory is the feed itself, so it is consulted only while it holds: while the due day, or
the resource's last change when that is later, is within the feed's retention. Past it,
an announcement the retention deleted is not made again (every 30 days, for ever), and a
resource due that long ago and unchanged since is not announced at all (its own events,
and the lists, carry the due date). A change to it brings one announcement more.
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.changes.derived import employee_keys
from app.changes.models import ChangeEvent
from app.changes.outbox import event_rows
from app.core.config import get_settings
from app.core.dates import add_months, start_of
from app.core.models import utcnow
from app.core.queries import chunks
from app.followup.models import FollowUpItem, FollowUpStatus, PracticeReview
from app.organisation.models import FunctionGroup, Organisation
from app.training.models import TrainingCompletion, TrainingProgram


class Due(NamedTuple):
    """A time-based event that may be due: what comes due, on which (Dutch) day."""

    type: str
    organisation_id: uuid.UUID
    resource_type: str
    resource_id: uuid.UUID
    day: date
    changed_at: datetime  # the last change of what the day is computed from
    data: dict[str, Any]


_TABLE: sa.Table = ChangeEvent.__table__  # type: ignore[attr-defined]


def _overdue_items(db: Session, today: date) -> Iterable[Due]:
    stmt = select(FollowUpItem).where(
        col(FollowUpItem.status) == FollowUpStatus.open,
        col(FollowUpItem.due_on) < today,
    )
    for item in db.exec(stmt):
        assert item.due_on is not None
        yield Due(
            "follow_up_item.overdue",
            item.organisation_id,
            "follow_up_item",
            item.id,
            item.due_on + timedelta(days=1),
            item.updated_at,
            {"due_on": item.due_on.isoformat(), "kind": item.kind, "status": item.status},
        )


def _reviews_due(db: Session, today: date) -> Iterable[Due]:
    latest = (
        select(col(PracticeReview.team_id), sa.func.max(PracticeReview.held_on).label("held"))
        .group_by(col(PracticeReview.team_id))
        .subquery()
    )
    stmt = (
        select(PracticeReview)
        .join(
            latest,
            sa.and_(
                col(PracticeReview.team_id) == latest.c.team_id,
                col(PracticeReview.held_on) == latest.c.held,
            ),
        )
        .where(col(PracticeReview.next_review_on) <= today)
    )
    for review in db.exec(stmt):
        yield Due(
            "practice_review.due",
            review.organisation_id,
            "practice_review",
            review.id,
            review.next_review_on,
            review.updated_at,
            {"team_id": str(review.team_id), "next_review_on": review.next_review_on.isoformat()},
        )


def _risk_assessments_due(db: Session, today: date) -> Iterable[Due]:
    orgs = {org.id: org for org in db.exec(select(Organisation))}
    stmt = select(FunctionGroup).where(col(FunctionGroup.risk_assessed_on).is_not(None))
    for group in db.exec(stmt):
        assert group.risk_assessed_on is not None
        org = orgs.get(group.organisation_id)
        years = org.settings.risk_assessment_valid_years if org is not None else 4
        due = add_months(group.risk_assessed_on, 12 * years)
        if due <= today:
            yield Due(
                "function_group.risk_assessment_due",
                group.organisation_id,
                "function_group",
                group.id,
                due,
                # The organisation's validity moves the day too.
                max(group.updated_at, org.updated_at) if org is not None else group.updated_at,
                {"risk_assessed_on": group.risk_assessed_on.isoformat(), "due_on": due.isoformat()},
            )


def _lapsed(db: Session, today: date) -> Iterable[Due]:
    rows = db.exec(
        select(
            TrainingCompletion,
            col(TrainingProgram.refresher_months),
            col(TrainingProgram.updated_at),
        ).join(TrainingProgram, col(TrainingProgram.id) == col(TrainingCompletion.program_id))
    ).all()
    latest: dict[tuple[uuid.UUID, uuid.UUID], tuple[TrainingCompletion, int, datetime]] = {}
    for completion, months, program_changed in rows:
        key = (completion.employee_id, completion.program_id)
        if key not in latest or latest[key][0].completed_on < completion.completed_on:
            latest[key] = (completion, months, program_changed)
    for completion, months, program_changed in latest.values():
        lapses = add_months(completion.completed_on, months)
        if lapses <= today:
            yield Due(
                "training_completion.lapsed",
                completion.organisation_id,
                "training_completion",
                completion.id,
                lapses,
                # The programme's refresher_months moves the day too.
                max(completion.updated_at, program_changed),
                {
                    "employee_id": str(completion.employee_id),
                    "program_id": str(completion.program_id),
                    "lapsed_on": lapses.isoformat(),
                },
            )


def _announced_since(db: Session, due: list[Due]) -> set[tuple[str, uuid.UUID]]:
    """(type, resource) pairs already announced on or after their due day."""
    found: set[tuple[str, uuid.UUID]] = set()
    by_type: dict[str, list[Due]] = {}
    for d in due:
        by_type.setdefault(d.type, []).append(d)
    for type_, items in by_type.items():
        ids = [d.resource_id for d in items]
        for part in chunks(ids, 500):
            stmt = sa.select(_TABLE.c.resource_id, _TABLE.c.occurred_at).where(
                _TABLE.c.type == type_, _TABLE.c.resource_id.in_(part)
            )
            when = {d.resource_id: d.day for d in items}
            for rid, at in db.connection().execute(stmt):
                stamp = at if at.tzinfo else at.replace(tzinfo=UTC)
                if stamp >= start_of(when[rid]):  # the due day is a Dutch day
                    found.add((type_, rid))
    return found


def announce_due(db: Session, *, today: date) -> int:
    """Write the time-based events whose day has come (all organisations); returns how many.

    The caller commits. ``db`` is not bound to an organisation: the worker's session.
    """
    # Any event written from here on is kept past the end of today: the feed still holds
    # every announcement made since (purge: older than now - retention).
    held_since = start_of(today + timedelta(days=1)) - timedelta(
        days=get_settings().change_retention_days
    )
    due = [
        d
        for d in (
            *_overdue_items(db, today),
            *_reviews_due(db, today),
            *_risk_assessments_due(db, today),
            *_lapsed(db, today),
        )
        if max(start_of(d.day), d.changed_at) >= held_since
    ]
    if not due:
        return 0
    done = _announced_since(db, due)
    new = [d for d in due if (d.type, d.resource_id) not in done]
    if not new:
        return 0
    conn = db.connection()
    events = [
        (d.type, d.organisation_id, d.resource_type, d.resource_id, None, d.data) for d in new
    ]
    events += _records_lapsed(conn, new)
    conn.execute(sa.insert(_TABLE), event_rows(conn, events, utcnow()))
    return len(new)


def _records_lapsed(conn: sa.Connection, new: list[Due]) -> list[Any]:
    # A lapsed skill changes the employee's training record, as a recorded completion does:
    # the same employee event, so the employee-status sync and its readers see it.
    lapsed: dict[uuid.UUID, uuid.UUID] = {}
    for d in new:
        if d.type == "training_completion.lapsed":
            lapsed[uuid.UUID(str(d.data["employee_id"]))] = d.organisation_id
    if not lapsed:
        return []
    keys = employee_keys(conn, list(lapsed))
    return [
        (
            "employee.training_record_changed",
            org,
            "employee",
            employee_id,
            keys.get(employee_id),
            {"employee_id": str(employee_id), "reasons": ["completion_lapsed"]},
        )
        for employee_id, org in lapsed.items()
    ]
