"""Aftercare per affected employee: first care the same day, a follow-up conversation within
a week (the organisation's settings), recorded as offered, given or declined (pillar 4)."""

import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from app.core.crud import apply_changes
from app.core.dates import day_of
from app.core.errors import Conflict, InvalidInput
from app.core.models import render
from app.core.pagination import PageEnd, PageParams, paginate
from app.core.problems import ProblemCode
from app.core.queries import where_given
from app.incidents.models import (
    Aftercare,
    AftercareKind,
    AftercarePublic,
    AftercareStatus,
    AftercareUpdate,
    Incident,
)
from app.organisation.models import OrganisationSettings

PENDING = AftercareStatus.pending


def due_on(occurred_at: datetime, kind: AftercareKind, settings: OrganisationSettings) -> date:
    """When this aftercare is due: days after the incident's (Dutch) calendar day."""
    days = (
        settings.aftercare_first_care_days
        if kind == AftercareKind.first_care
        else settings.aftercare_follow_up_days
    )
    return day_of(occurred_at) + timedelta(days=days)


def is_overdue(row: Aftercare, today: date) -> bool:
    """Still pending after its due date (due today is not yet overdue)."""
    return row.status == PENDING and row.due_on < today


def aftercare_public(row: Aftercare, today: date) -> AftercarePublic:
    """The API shape, with whether it is overdue."""
    return render(AftercarePublic, row, overdue=is_overdue(row, today))


def schedule(
    db: Session,
    *,
    incident: Incident,
    employee_ids: Sequence[uuid.UUID],
    settings: OrganisationSettings,
) -> None:
    """Both steps of aftercare for each of these affected employees."""
    db.add_all(
        Aftercare(
            incident_id=incident.id,
            employee_id=employee_id,
            kind=kind,
            due_on=due_on(incident.occurred_at, kind, settings),
        )
        for employee_id in employee_ids
        for kind in AftercareKind
    )


def reconcile(
    db: Session,
    *,
    incident: Incident,
    employee_ids: Sequence[uuid.UUID],
    settings: OrganisationSettings,
) -> None:
    """After a change: aftercare for the affected employees only, every step's due day
    following the incident's time. A step recorded before the incident's day refuses the
    change (409 ``recorded-before-incident``): aftercare lies between the incident and today.
    """
    rows = db.exec(select(Aftercare).where(col(Aftercare.incident_id) == incident.id)).all()
    wanted = set(employee_ids)
    have = {r.employee_id for r in rows}
    start = day_of(incident.occurred_at)
    for row in rows:
        if row.employee_id not in wanted:
            db.delete(row)
            continue
        if row.recorded_on is not None and row.recorded_on < start:
            raise Conflict(
                f"Aftercare was recorded on {row.recorded_on.isoformat()}, before the incident's "
                f"new day {start.isoformat()}; set that step back to pending first.",
                code="recorded-before-incident",
                errors=[{"pointer": "/occurred_at", "detail": "after recorded aftercare"}],
            )
        apply_changes(row, {"due_on": due_on(incident.occurred_at, row.kind, settings)})
    schedule(
        db,
        incident=incident,
        employee_ids=[e for e in employee_ids if e not in have],
        settings=settings,
    )


def delete_of(db: Session, *, incident_ids: Collection[uuid.UUID]) -> None:
    """Remove the aftercare of these incidents."""
    if incident_ids:
        db.execute(delete(Aftercare).where(col(Aftercare.incident_id).in_(list(incident_ids))))


def _recorded_on(message: str, code: ProblemCode) -> InvalidInput:
    return InvalidInput(message, code=code, errors=[{"pointer": "/recorded_on", "detail": message}])


def update_aftercare(
    db: Session, *, row: Aftercare, data: AftercareUpdate, today: date
) -> Aftercare:
    """Record a step: `offered`, `given` or `declined` on `recorded_on` (default today);
    back to `pending` clears the day. Not before the incident, not in the future."""
    changes = data.model_dump(exclude_unset=True)
    status = changes.get("status", row.status)
    if status == PENDING:
        if changes.get("recorded_on") is not None:
            raise _recorded_on("Pending aftercare has no recorded day.", "recorded-on-pending")
        changes["recorded_on"] = None
    else:
        if "recorded_on" in changes and changes["recorded_on"] is None:
            raise _recorded_on(
                "Recorded aftercare keeps its day; set status pending to undo it.",
                "recorded-on-required",
            )
        recorded = changes.get("recorded_on") or row.recorded_on or today
        incident = db.get(Incident, row.incident_id)
        start = day_of(incident.occurred_at) if incident is not None else recorded
        if recorded > today or recorded < start:
            raise _recorded_on(
                "Aftercare is recorded on a day between the incident and today.",
                "recorded-out-of-range",
            )
        changes["recorded_on"] = recorded
    apply_changes(row, changes)
    db.flush()
    return row


def list_aftercare(
    db: Session,
    *,
    params: PageParams,
    today: date,
    incident_id: uuid.UUID | None = None,
    employee_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    kind: AftercareKind | None = None,
    status: AftercareStatus | None = None,
    overdue: bool | None = None,
) -> tuple[Sequence[Aftercare], PageEnd]:
    """Aftercare with the API's filters; ``overdue=true``: pending after the due date."""
    stmt = where_given(
        select(Aftercare),
        Aftercare,
        incident_id=incident_id,
        employee_id=employee_id,
        kind=kind,
        status=status,
    )
    if team_id is not None:
        stmt = stmt.where(
            col(Aftercare.incident_id).in_(
                select(col(Incident.id)).where(col(Incident.team_id) == team_id)
            )
        )
    if overdue is not None:
        pending = col(Aftercare.status) == PENDING
        if overdue:
            stmt = stmt.where(pending, col(Aftercare.due_on) < today)
        else:
            stmt = stmt.where(or_(~pending, col(Aftercare.due_on) >= today))
    return paginate(db, stmt, Aftercare, params)
