"""Evaluation after training (issue 20, item 3).

Per enrolment, once the session started: attendance (``present``, ``partly``, ``absent``),
the participant's feedback (a 1-5 rating, what helped, what to practise more), the
trainer's note, and the personal goals reached. Attendance sets the enrolment's status
(present and partly: ``attended``; absent: ``no_show``, so not completed). Completing the
session records progress on the personal goals it practised (``goal_progress``): each
completing participant's open goals on the programme's skills and the goals their
reflection brought; the open goals the evaluation names as reached are marked ``achieved``
(a goal dropped meanwhile stays dropped). ``report`` sums the evaluations per programme.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from app.core.crud import apply_changes, resolve_ref
from app.core.dates import start_of
from app.core.errors import Conflict
from app.core.listing import ListFilters, Listing
from app.core.models import utcnow
from app.learning.models import OPEN_PERSONAL_GOAL_STATUSES, PersonalGoal, PersonalGoalStatus
from app.training import reflections
from app.training.method_models import (
    Attendance,
    GoalProgress,
    GoalProgressPublic,
    TrainingEvaluation,
    TrainingEvaluationCreate,
    TrainingEvaluationPublic,
    TrainingEvaluationUpdate,
    TrainingReflection,
)
from app.training.models import (
    Enrolment,
    EnrolmentStatus,
    ProgramSkill,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)

GOALS_RULE = "evaluation_goals"
# What the session's completion fixes: changed only while the session is planned.
_FIXED_AT_COMPLETION = frozenset({"attendance", "achieved_goal_ids"})
_ENROLMENT_STATUS = {
    Attendance.present: EnrolmentStatus.attended,
    Attendance.partly: EnrolmentStatus.attended,
    Attendance.absent: EnrolmentStatus.no_show,
}


def _session_open_for_evaluation(ts: TrainingSession, changes: Collection[str]) -> None:
    if ts.status == SessionStatus.cancelled:
        raise Conflict("A cancelled session is not evaluated.", code="session-cancelled")
    if ts.starts_at > utcnow():
        raise Conflict("A session is evaluated once it has started.", code="session-not-started")
    fixed = sorted(_FIXED_AT_COMPLETION & set(changes))
    if ts.status == SessionStatus.completed and fixed:
        raise Conflict(
            f"The session is completed: {', '.join(fixed)} can no longer change "
            "(the feedback and the trainer's note still can).",
            code="session-closed",
        )


def _refuse_cancelled(enrolment: Enrolment) -> None:
    # A cancelled enrolment holds no seat and passed no rule since: attendance recorded on
    # it would bring it back past both (and complete it with the session).
    if enrolment.status == EnrolmentStatus.cancelled:
        raise Conflict("The enrolment is cancelled.", code="enrolment-cancelled")


def _apply_attendance(enrolment: Enrolment, attendance: Attendance) -> None:
    _refuse_cancelled(enrolment)
    if enrolment.status != EnrolmentStatus.completed:
        enrolment.status = _ENROLMENT_STATUS[attendance]


def create_evaluation(db: Session, *, data: TrainingEvaluationCreate) -> TrainingEvaluation:
    """Evaluate one participant of a session that started (one per enrolment)."""
    enrolment = resolve_ref(
        db, Enrolment, data.enrolment_id, pointer="/enrolment_id", what="enrolment"
    )
    _refuse_cancelled(enrolment)
    ts = db.get(TrainingSession, enrolment.session_id)
    assert ts is not None
    _session_open_for_evaluation(ts, data.model_fields_set)
    existing = db.exec(
        select(TrainingEvaluation.id).where(col(TrainingEvaluation.enrolment_id) == enrolment.id)
    ).first()
    if existing is not None:
        raise Conflict(
            "This enrolment is evaluated already; change that evaluation.",
            code="already-exists",
            errors=[{"pointer": "/enrolment_id", "detail": f"evaluation {existing}"}],
        )
    achieved = reflections.own_goal_ids(
        db, employee_id=enrolment.employee_id, goal_ids=data.achieved_goal_ids, rule=GOALS_RULE
    )
    evaluation = TrainingEvaluation(
        **data.model_dump(exclude={"achieved_goal_ids", "enrolment_id"}),
        enrolment_id=enrolment.id,
        session_id=ts.id,
        program_id=ts.program_id,
        employee_id=enrolment.employee_id,
        achieved_goal_ids=achieved,
    )
    _apply_attendance(enrolment, data.attendance)
    db.add(evaluation)
    db.flush()
    return evaluation


def update_evaluation(
    db: Session, *, evaluation: TrainingEvaluation, data: TrainingEvaluationUpdate
) -> TrainingEvaluation:
    """Change an evaluation; attendance and goals reached only before completion."""
    changes = data.model_dump(exclude_unset=True)
    ts = db.get(TrainingSession, evaluation.session_id)
    assert ts is not None
    _session_open_for_evaluation(ts, changes)
    if "achieved_goal_ids" in changes:
        changes["achieved_goal_ids"] = reflections.own_goal_ids(
            db,
            employee_id=evaluation.employee_id,
            goal_ids=data.achieved_goal_ids,
            rule=GOALS_RULE,
        )
    if "attendance" in changes:
        enrolment = db.get(Enrolment, evaluation.enrolment_id)
        assert enrolment is not None
        _apply_attendance(enrolment, changes["attendance"])
    apply_changes(evaluation, changes)
    db.flush()
    return evaluation


def delete_evaluation(db: Session, *, evaluation: TrainingEvaluation) -> None:
    ts = db.get(TrainingSession, evaluation.session_id)
    assert ts is not None
    if ts.status == SessionStatus.completed:
        raise Conflict(
            "The session is completed; its evaluations stay (change one instead).",
            code="session-closed",
        )
    db.delete(evaluation)
    db.flush()


class TrainingEvaluationFilters(ListFilters):
    session_id: uuid.UUID | None = None
    program_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = None


TRAINING_EVALUATION_LIST = Listing(
    model=TrainingEvaluation,
    filters=TrainingEvaluationFilters,
    public=TrainingEvaluationPublic,
    doc="Evaluations after training; filter by session, programme or employee.",
)


class GoalProgressFilters(ListFilters):
    employee_id: uuid.UUID | None = None
    personal_goal_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None


GOAL_PROGRESS_LIST = Listing(
    model=GoalProgress,
    filters=GoalProgressFilters,
    public=GoalProgressPublic,
    doc="Progress on personal goals: one row per goal a completed session practised (the\n"
    "participant's open goals on the programme's skills and those their reflection\n"
    "brought), `achieved` when the evaluation named it reached.",
)


# --- at completion --------------------------------------------------------------------------


def record_progress(
    db: Session,
    *,
    training_session: TrainingSession,
    completing: Collection[uuid.UUID],
    day: date,
) -> None:
    """Progress on the goals the session practised, for each completing participant, and
    the goals their evaluation reached marked achieved. Four queries at most."""
    if not completing:
        return
    ts = training_session
    skill_ids = select(col(ProgramSkill.skill_id)).where(
        col(ProgramSkill.program_id) == ts.program_id
    )
    brought: set[uuid.UUID] = set()
    for ids in db.exec(
        select(col(TrainingReflection.personal_goal_ids)).where(
            col(TrainingReflection.session_id) == ts.id,
            col(TrainingReflection.employee_id).in_(completing),
        )
    ):
        brought.update(uuid.UUID(i) for i in ids)
    achieved: set[uuid.UUID] = set()
    for ids in db.exec(
        select(col(TrainingEvaluation.achieved_goal_ids)).where(
            col(TrainingEvaluation.session_id) == ts.id,
            col(TrainingEvaluation.employee_id).in_(completing),
        )
    ):
        achieved.update(uuid.UUID(i) for i in ids)
    goals = db.exec(
        select(PersonalGoal).where(
            col(PersonalGoal.employee_id).in_(completing),
            or_(
                col(PersonalGoal.id).in_(brought | achieved),
                col(PersonalGoal.skill_id).in_(skill_ids)
                & col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
            ),
        )
    ).all()
    for goal in goals:
        reached = goal.id in achieved
        db.add(
            GoalProgress(
                personal_goal_id=goal.id,
                employee_id=goal.employee_id,
                session_id=ts.id,
                program_id=ts.program_id,
                skill_id=goal.skill_id,
                practised_on=day,
                achieved=reached,
            )
        )
        # Only an open goal becomes achieved: one dropped after its evaluation stays
        # dropped (the progress row still says what the evaluation named reached).
        if reached and goal.status in OPEN_PERSONAL_GOAL_STATUSES:
            goal.status = PersonalGoalStatus.achieved
    db.flush()


# --- the report per programme ---------------------------------------------------------------


class ProgramEvaluation(BaseModel):
    program_id: uuid.UUID
    program_title: str
    sessions_completed: int
    evaluations: int
    present: int
    partly: int
    absent: int
    average_rating: float | None = Field(description="Mean of the participants' 1-5 ratings.")
    ratings: dict[str, int] = Field(description="How many gave each rating, '1' to '5'.")
    goals_practised: int = Field(description="Goal progress recorded by its sessions.")
    goals_achieved: int
    practise_more: list[str] = Field(
        description="What participants want to practise more, newest first (at most 20)."
    )


class EvaluationReport(BaseModel):
    items: list[ProgramEvaluation]


def report(
    db: Session, *, program_id: uuid.UUID | None = None, starts_from: date | None = None
) -> EvaluationReport:
    """Evaluations per programme (sessions starting on or after ``starts_from``); a fixed
    number of queries, whatever the number of programmes or evaluations."""
    sessions = select(col(TrainingSession.id)).where(
        col(TrainingSession.status) != SessionStatus.cancelled
    )
    if starts_from is not None:
        start = start_of(starts_from)  # the Dutch day
        sessions = sessions.where(col(TrainingSession.starts_at) >= start)
    if program_id is not None:
        sessions = sessions.where(col(TrainingSession.program_id) == program_id)
    programs = db.exec(
        select(TrainingProgram.id, TrainingProgram.title, func.count(col(TrainingSession.id)))
        .join(TrainingSession, col(TrainingSession.program_id) == col(TrainingProgram.id))
        .where(
            col(TrainingSession.id).in_(sessions),
            col(TrainingSession.status) == SessionStatus.completed,
        )
        .group_by(col(TrainingProgram.id), col(TrainingProgram.title))
    ).all()
    rows = db.exec(
        select(
            col(TrainingEvaluation.program_id),
            col(TrainingEvaluation.attendance),
            col(TrainingEvaluation.rating),
            func.count(),
        )
        .where(col(TrainingEvaluation.session_id).in_(sessions))
        .group_by(
            col(TrainingEvaluation.program_id),
            col(TrainingEvaluation.attendance),
            col(TrainingEvaluation.rating),
        )
    ).all()
    progress = db.exec(
        select(col(GoalProgress.program_id), col(GoalProgress.achieved), func.count())
        .where(col(GoalProgress.session_id).in_(sessions))
        .group_by(col(GoalProgress.program_id), col(GoalProgress.achieved))
    ).all()
    wishes = db.exec(
        select(col(TrainingEvaluation.program_id), col(TrainingEvaluation.practise_more))
        .where(
            col(TrainingEvaluation.session_id).in_(sessions),
            col(TrainingEvaluation.practise_more).is_not(None),
        )
        .order_by(col(TrainingEvaluation.created_at).desc(), col(TrainingEvaluation.id).desc())
    ).all()

    by_program: dict[uuid.UUID, ProgramEvaluation] = {}
    titles = {pid: title for pid, title, _ in programs}
    completed = {pid: n for pid, _, n in programs}
    evaluated = {r[0] for r in rows} | {p[0] for p in progress}
    for pid in sorted(set(titles) | evaluated, key=str):
        by_program[pid] = ProgramEvaluation(
            program_id=pid,
            program_title=titles.get(pid, ""),
            sessions_completed=completed.get(pid, 0),
            evaluations=0,
            present=0,
            partly=0,
            absent=0,
            average_rating=None,
            ratings={str(n): 0 for n in range(1, 6)},
            goals_practised=0,
            goals_achieved=0,
            practise_more=[],
        )
    sums: dict[uuid.UUID, int] = defaultdict(int)
    for pid, attendance, rating, n in rows:
        item = by_program[pid]
        item.evaluations += n
        setattr(item, str(attendance), getattr(item, str(attendance)) + n)
        if rating is not None:
            item.ratings[str(rating)] += n
            sums[pid] += rating * n
    for pid, reached, n in progress:
        by_program[pid].goals_practised += n
        if reached:
            by_program[pid].goals_achieved += n
    for pid, text in wishes:
        if text and len(by_program[pid].practise_more) < 20:
            by_program[pid].practise_more.append(text)
    for pid, item in by_program.items():
        rated = sum(item.ratings.values())
        item.average_rating = round(sums[pid] / rated, 2) if rated else None
    if any(not i.program_title for i in by_program.values()):
        missing = [pid for pid, i in by_program.items() if not i.program_title]
        for pid, title in db.exec(
            select(TrainingProgram.id, TrainingProgram.title).where(
                col(TrainingProgram.id).in_(missing)
            )
        ):
            by_program[pid].program_title = title
    return EvaluationReport(items=sorted(by_program.values(), key=lambda i: i.program_title))
