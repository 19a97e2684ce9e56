"""Reflection before training (seed: "Reflecteer voorafgaand aan de training"; issue 20,
item 2).

Per enrolment the participant records a short preparation: which of their own personal
goals they bring and which situation they want to practise. Only a reflection recorded
before the session starts counts. The rule ``reflected_before_training`` (severity
configurable like the other rules, default ``warning``) is applied when the session is
completed, like ``protocol_ready``: ``error`` keeps a participant without one from
completing, ``warning`` records it on the enrolment. ``session_reflections`` lists the
enrolled people still without one, to ask them before the session.
"""

import uuid
from collections.abc import Collection, Sequence

from sqlmodel import Session, col, select

from app.core.crud import apply_changes, no_duplicate_ids, resolve_ref, resolve_refs
from app.core.dates import rfc3339
from app.core.errors import Conflict, RuleViolation
from app.core.listing import ListFilters, Listing
from app.learning.models import PersonalGoal, PersonalGoalStatus
from app.organisation.models import Employee, Organisation, Severity
from app.training import sessions
from app.training.method_models import (
    SessionReflections,
    TrainingReflection,
    TrainingReflectionCreate,
    TrainingReflectionPublic,
    TrainingReflectionUpdate,
    WithoutReflection,
)
from app.training.models import (
    TRAINING_ENROLMENT,
    Enrolment,
    EnrolmentStatus,
    RuleResult,
    TrainingSession,
)

RULE = "reflected_before_training"


def own_goal_ids(
    db: Session, *, employee_id: uuid.UUID, goal_ids: Sequence[uuid.UUID], rule: str
) -> list[str]:
    """The goals as stored, after checking each exists (422) and is the participant's own
    and not dropped (409 ``goal-of-another-employee``)."""
    no_duplicate_ids(goal_ids, pointer=f"/{_FIELD[rule]}/{{i}}", what="personal goal")
    goals = resolve_refs(
        db,
        PersonalGoal,
        goal_ids,
        pointer=f"/{_FIELD[rule]}/{{i}}",
        what="personal goal",
    )
    foreign = [
        g
        for g in goal_ids
        if goals[g].employee_id != employee_id or goals[g].status == PersonalGoalStatus.dropped
    ]
    if foreign:
        raise RuleViolation(
            "Only the participant's own personal goals (not dropped) can be named.",
            code="goal-of-another-employee",
            violations=[
                {
                    "rule": rule,
                    "message": "Each personal goal must be the participant's own and not dropped.",
                    "personal_goal_ids": [str(g) for g in foreign],
                }
            ],
        )
    return [str(g) for g in goal_ids]


_FIELD = {RULE: "personal_goal_ids", "evaluation_goals": "achieved_goal_ids"}


def _goal_ids(db: Session, *, employee_id: uuid.UUID, goal_ids: Sequence[uuid.UUID]) -> list[str]:
    return own_goal_ids(db, employee_id=employee_id, goal_ids=goal_ids, rule=RULE)


def create_reflection(db: Session, *, data: TrainingReflectionCreate) -> TrainingReflection:
    """Record a participant's preparation for a planned session (one per enrolment)."""
    enrolment = resolve_ref(
        db, Enrolment, data.enrolment_id, pointer="/enrolment_id", what="enrolment"
    )
    if enrolment.status == EnrolmentStatus.cancelled:
        raise Conflict(
            "The enrolment is cancelled; enrol the employee again first.",
            code="enrolment-cancelled",
        )
    ts = db.get(TrainingSession, enrolment.session_id)
    assert ts is not None
    sessions.require_planned(ts)
    existing = db.exec(
        select(TrainingReflection.id).where(col(TrainingReflection.enrolment_id) == enrolment.id)
    ).first()
    if existing is not None:
        raise Conflict(
            "This enrolment has a reflection already; change that one.",
            code="already-exists",
            errors=[{"pointer": "/enrolment_id", "detail": f"reflection {existing}"}],
        )
    reflection = TrainingReflection(
        enrolment_id=enrolment.id,
        session_id=enrolment.session_id,
        employee_id=enrolment.employee_id,
        personal_goal_ids=_goal_ids(
            db, employee_id=enrolment.employee_id, goal_ids=data.personal_goal_ids
        ),
        situation=data.situation,
        question=data.question,
    )
    db.add(reflection)
    db.flush()
    return reflection


def update_reflection(
    db: Session, *, reflection: TrainingReflection, data: TrainingReflectionUpdate
) -> TrainingReflection:
    """Change a reflection while its session is planned."""
    ts = db.get(TrainingSession, reflection.session_id)
    assert ts is not None
    sessions.require_planned(ts)
    changes = data.model_dump(exclude_unset=True)
    if "personal_goal_ids" in changes:
        changes["personal_goal_ids"] = _goal_ids(
            db, employee_id=reflection.employee_id, goal_ids=data.personal_goal_ids
        )
    apply_changes(reflection, changes)
    db.flush()
    return reflection


def delete_reflection(db: Session, *, reflection: TrainingReflection) -> None:
    ts = db.get(TrainingSession, reflection.session_id)
    assert ts is not None
    sessions.require_planned(ts)
    db.delete(reflection)
    db.flush()


class TrainingReflectionFilters(ListFilters):
    session_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = None


TRAINING_REFLECTION_LIST = Listing(
    model=TrainingReflection,
    filters=TrainingReflectionFilters,
    public=TrainingReflectionPublic,
    doc="Reflections before training; filter by session or employee.",
)


# --- who prepared -------------------------------------------------------------------------


def _reflected_before(db: Session, ts: TrainingSession) -> set[uuid.UUID]:
    """Employees of the session with a reflection recorded before its start."""
    return set(
        db.exec(
            select(col(TrainingReflection.employee_id)).where(
                col(TrainingReflection.session_id) == ts.id,
                col(TrainingReflection.created_at) <= ts.starts_at,
            )
        )
    )


def session_reflections(
    db: Session, *, org: Organisation, training_session: TrainingSession
) -> SessionReflections:
    """The participants without a reflection (recorded before the start); two queries."""
    ts = training_session
    rows = db.exec(
        select(col(Enrolment.id), Employee)
        .join(Employee, col(Employee.id) == col(Enrolment.employee_id))
        .where(col(Enrolment.session_id) == ts.id, col(Enrolment.status).in_(TRAINING_ENROLMENT))
    ).all()
    reflected = _reflected_before(db, ts)
    missing = sorted(
        (
            WithoutReflection(
                enrolment_id=enrolment_id, employee_id=emp.id, employee_name=emp.full_name
            )
            for enrolment_id, emp in rows
            if emp.id not in reflected
        ),
        key=lambda w: (w.employee_name, str(w.employee_id)),
    )
    return SessionReflections(
        session_id=ts.id,
        starts_at=ts.starts_at,
        severity=org.settings.rule_severities.reflected_before_training,
        enrolled=len(rows),
        reflected=len(rows) - len(missing),
        without_reflection=missing,
    )


def decide_at_completion(
    db: Session,
    *,
    org: Organisation,
    training_session: TrainingSession,
    attendee_ids: Collection[uuid.UUID],
) -> set[uuid.UUID]:
    """Apply ``reflected_before_training`` to the attendees: the result is recorded on the
    enrolment of each without a reflection before the start; returned are those it refuses
    to complete (severity error)."""
    severity = org.settings.rule_severities.reflected_before_training
    if severity == Severity.off or not attendee_ids:
        return set()
    ts = training_session
    missing = set(attendee_ids) - _reflected_before(db, ts)
    if not missing:
        return set()
    outcome = "not completed" if severity == Severity.error else "completed with this warning"
    rows = db.exec(
        select(Enrolment, Employee)
        .join(Employee, col(Employee.id) == col(Enrolment.employee_id))
        .where(col(Enrolment.session_id) == ts.id, col(Enrolment.employee_id).in_(missing))
    ).all()
    for enrolment, employee in rows:
        result = RuleResult(
            rule=RULE,
            severity=severity,
            message=f"{employee.full_name} recorded no reflection before the session started "
            f"(their goals and the situation to practise): {outcome}.",
            details={"at": rfc3339(ts.starts_at)},
        )
        enrolment.warnings = [*enrolment.warnings, result.model_dump(mode="json")]
    db.flush()
    return missing if severity == Severity.error else set()
