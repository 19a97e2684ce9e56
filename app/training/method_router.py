"""HTTP routes of the method around a session (issue 20): reflections before it,
evaluations after it, the trainer's briefing and the evaluation report."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.core.auth import ReadPrincipal
from app.core.resource import Docs, Resource, validated
from app.core.responses import READ
from app.core.sessions import ReadSession
from app.training import briefing, evaluations, reflections
from app.training.briefing import SessionBriefing
from app.training.dependencies import TrainingSessionDep
from app.training.evaluations import EvaluationReport
from app.training.method_models import (
    SessionReflections,
    TrainingEvaluation,
    TrainingEvaluationCreate,
    TrainingEvaluationPublic,
    TrainingEvaluationUpdate,
    TrainingReflection,
    TrainingReflectionCreate,
    TrainingReflectionPublic,
    TrainingReflectionUpdate,
)

router = APIRouter()

# --- reflection before training -----------------------------------------------------------

TRAINING_REFLECTIONS = Resource(
    model=TrainingReflection,
    id_param="reflection_id",
    schemas=(TrainingReflectionCreate, TrainingReflectionUpdate, TrainingReflectionPublic),
    public=validated(TrainingReflectionPublic),
    create=lambda db, data, _: reflections.create_reflection(db, data=data),
    update=lambda db, row, data, _: reflections.update_reflection(db, reflection=row, data=data),
    delete=lambda db, row: reflections.delete_reflection(db, reflection=row),
    docs=Docs(
        create="Record a participant's preparation for a planned session: the personal goals "
        "they bring and the situation they want to practise (one per enrolment). Recorded "
        "before the start it meets `reflected_before_training`.",
        read="One reflection.",
        update="Change a reflection while its session is planned.",
        delete="Delete a reflection while its session is planned.",
    ),
    name="reflection",
)


reflections.TRAINING_REFLECTION_LIST.add_route(router)
TRAINING_REFLECTIONS.add_routes(router)


@router.get(
    "/training-sessions/{session_id}/reflections", tags=["training-sessions"], responses=READ
)
def get_session_reflections(
    ts: TrainingSessionDep, principal: ReadPrincipal, db: ReadSession
) -> SessionReflections:
    """Who of the participants recorded a reflection before the start, and the enrolled
    people still without one (to ask before the session)."""
    return reflections.session_reflections(db, org=principal.organisation, training_session=ts)


# --- evaluation after training ------------------------------------------------------------

TRAINING_EVALUATIONS = Resource(
    model=TrainingEvaluation,
    id_param="evaluation_id",
    schemas=(TrainingEvaluationCreate, TrainingEvaluationUpdate, TrainingEvaluationPublic),
    public=validated(TrainingEvaluationPublic),
    create=lambda db, data, _: evaluations.create_evaluation(db, data=data),
    update=lambda db, row, data, _: evaluations.update_evaluation(db, evaluation=row, data=data),
    delete=lambda db, row: evaluations.delete_evaluation(db, evaluation=row),
    docs=Docs(
        create="Evaluate a participant of a session that started (one per enrolment): "
        "attendance (present, partly, absent; absent makes the enrolment a no-show, not "
        "completed), their rating and feedback, the trainer's note, and the personal goals "
        "reached (marked achieved when the session is completed).",
        read="One evaluation.",
        update="Change an evaluation; attendance and the goals reached only until the "
        "session is completed.",
        delete="Delete an evaluation of a session not yet completed.",
    ),
    name="evaluation",
)


evaluations.TRAINING_EVALUATION_LIST.add_route(router)
TRAINING_EVALUATIONS.add_routes(router)


evaluations.GOAL_PROGRESS_LIST.add_route(
    router, "/goal-progress", name="list_goal_progress", tags=["personal-goals"]
)


@router.get("/reports/training-evaluations", tags=["reports"], responses=READ)
def report_training_evaluations(
    db: ReadSession,
    program_id: uuid.UUID | None = None,
    starts_from: Annotated[
        date | None, Query(description="Only sessions starting on or after this day.")
    ] = None,
) -> EvaluationReport:
    """Evaluations per programme: completed sessions, attendance, ratings, goals practised
    and achieved, and what participants want to practise more."""
    return evaluations.report(db, program_id=program_id, starts_from=starts_from)


# --- the trainer's briefing -----------------------------------------------------------------


@router.get("/training-sessions/{session_id}/briefing", tags=["training-sessions"], responses=READ)
def get_session_briefing(ts: TrainingSessionDep, db: ReadSession) -> SessionBriefing:
    """Everything the trainer prepares with, in one answer: the participants with their
    function groups, reflections and personal goals, their teams' goals on the programme's
    skills and recent practice-review ratings, the protocol sections and norms the
    programme practises and its practice situations for the groups present. A fixed number
    of queries, whatever the number of participants."""
    return briefing.session_briefing(db, training_session=ts)
