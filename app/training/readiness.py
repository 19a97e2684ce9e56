"""Protocol readiness before the training, not at booking (seed step 2: "voorafgaand aan
de training"; issue 20, item 4).

Booking a session that starts later never waits for the protocol: an employee who has not
yet read it (nor discussed it in their team) is enrolled and shown as
``awaiting_readiness``, and the session lists whom to remind. What counts is readiness at
the session's start: completing the session applies ``protocol_ready`` to each attendee,
as read at that moment. Severity ``error``: the attendee does not complete (their
enrolment stays ``attended`` with the result recorded); ``warning``: they complete and the
result is recorded on the enrolment.
"""

import uuid
from collections.abc import Collection
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.core.dates import rfc3339
from app.core.models import utcnow
from app.organisation.models import Employee, Organisation, Severity
from app.policy import service as policy_service
from app.training.models import (
    TRAINING_ENROLMENT,
    Enrolment,
    RuleResult,
    TrainingSession,
)

AWAITING = "awaiting_readiness"


def awaiting_readiness(
    employee: Employee,
    training_session: TrainingSession,
    protocol_version: int | None,
    severity_at_start: Severity,
) -> RuleResult:
    """The booking-time note for someone not yet ready for a session that starts later."""
    when = rfc3339(training_session.starts_at)
    what = (
        f"protocol version {protocol_version}"
        if protocol_version is not None
        else "the protocol (none is published yet)"
    )
    return RuleResult(
        rule=AWAITING,
        severity=Severity.warning,
        message=f"{employee.full_name} has not yet read {what} and their team has not "
        f"discussed it: they should before the session starts ({when}); then protocol_ready "
        f"decides ({severity_at_start}).",
        details={
            "protocol_version": protocol_version,
            "decided_by": "protocol_ready",
            "decided_at": when,
            "severity_at_start": str(severity_at_start),
        },
    )


def not_ready_at_start(
    employee_name: str, protocol_version: int | None, severity: Severity, starts_at: datetime
) -> RuleResult:
    """``protocol_ready`` as applied when the session is completed."""
    what = (
        f"protocol version {protocol_version}"
        if protocol_version is not None
        else "a protocol (none was published)"
    )
    outcome = "not completed" if severity == Severity.error else "completed with this warning"
    return RuleResult(
        rule="protocol_ready",
        severity=severity,
        message=f"{employee_name} had not read {what}, nor discussed it in their team, when "
        f"the session started ({rfc3339(starts_at)}): {outcome}.",
        details={"protocol_version": protocol_version, "at": rfc3339(starts_at)},
    )


def unready_at_start(
    db: Session, *, training_session: TrainingSession, employee_ids: Collection[uuid.UUID]
) -> tuple[int | None, set[uuid.UUID]]:
    """The protocol version in force at the session's start and, of ``employee_ids``, those
    not ready for it then (one query)."""
    if not employee_ids:
        return None, set()
    version, ready = policy_service.ready_ids_at(
        db, employee_ids=list(employee_ids), at=training_session.starts_at
    )
    return version, set(employee_ids) - ready


# --- the reminder list --------------------------------------------------------------------


class ReadinessReminder(BaseModel):
    """An enrolled employee who still has to read (or discuss) the protocol."""

    enrolment_id: uuid.UUID
    employee_id: uuid.UUID
    employee_name: str
    team_id: uuid.UUID | None


class SessionReadiness(BaseModel):
    """Protocol readiness of a session's participants, for reminding them before it starts."""

    session_id: uuid.UUID
    starts_at: datetime
    at: datetime = Field(
        description="When readiness was read: now, or the session's start once it started."
    )
    started: bool
    protocol_version: int | None = Field(
        description="The version in force at `at` (null: none published)."
    )
    severity: Severity = Field(description="protocol_ready's severity, applied at completion.")
    enrolled: int = Field(description="Participants (enrolments not cancelled or no-show).")
    ready: int
    to_remind: list[ReadinessReminder] = Field(
        description="Participants not ready at `at`, by name: remind them before the start."
    )


def session_readiness(
    db: Session, *, org: Organisation, training_session: TrainingSession
) -> SessionReadiness:
    """Who of the session's participants is protocol-ready, and whom to remind (two
    queries, whatever the number of participants)."""
    ts = training_session
    now = utcnow()
    at = min(now, ts.starts_at)
    rows = db.exec(
        select(Enrolment, Employee)
        .join(Employee, col(Employee.id) == col(Enrolment.employee_id))
        .where(col(Enrolment.session_id) == ts.id, col(Enrolment.status).in_(TRAINING_ENROLMENT))
    ).all()
    version, ready = policy_service.ready_ids_at(db, employee_ids=[e.id for _, e in rows], at=at)
    reminders = sorted(
        (
            ReadinessReminder(
                enrolment_id=enrolment.id,
                employee_id=employee.id,
                employee_name=employee.full_name,
                team_id=employee.team_id,
            )
            for enrolment, employee in rows
            if employee.id not in ready
        ),
        key=lambda r: (r.employee_name, str(r.employee_id)),
    )
    return SessionReadiness(
        session_id=ts.id,
        starts_at=ts.starts_at,
        at=at,
        started=ts.starts_at <= now,
        protocol_version=version,
        severity=org.settings.rule_severities.protocol_ready,
        enrolled=len(rows),
        ready=len(rows) - len(reminders),
        to_remind=reminders,
    )


# --- at the session's start ---------------------------------------------------------------


def decide_at_start(
    db: Session,
    *,
    org: Organisation,
    training_session: TrainingSession,
    attendee_ids: Collection[uuid.UUID],
) -> set[uuid.UUID]:
    """Apply ``protocol_ready`` to the attendees as they were at the session's start.

    The booking-time ``awaiting_readiness`` notes are settled: dropped for those who became
    ready, replaced by the ``protocol_ready`` result for those who did not. Returned are
    the attendees it refuses to complete (severity error). Two queries, whatever the
    number of attendees.
    """
    severity = org.settings.rule_severities.protocol_ready
    ts = training_session
    if not attendee_ids:
        return set()
    unready: set[uuid.UUID] = set()
    version: int | None = None
    if severity != Severity.off:
        version, unready = unready_at_start(db, training_session=ts, employee_ids=attendee_ids)
    rows = db.exec(
        select(Enrolment, Employee)
        .join(Employee, col(Employee.id) == col(Enrolment.employee_id))
        .where(col(Enrolment.session_id) == ts.id, col(Enrolment.employee_id).in_(attendee_ids))
    ).all()
    for enrolment, employee in rows:
        kept = [w for w in enrolment.warnings if w.get("rule") != AWAITING]
        if employee.id in unready:
            result = not_ready_at_start(employee.full_name, version, severity, ts.starts_at)
            kept.append(result.model_dump(mode="json"))
        if kept != enrolment.warnings:
            enrolment.warnings = kept
    db.flush()
    return unready if severity == Severity.error else set()
