"""HTTP routes: training programmes, sessions, enrolments, records and refreshers due."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status
from pydantic import AwareDatetime

from app.core.auth import ReadPrincipal, WritePrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.csv import csv_openapi, json_or_csv
from app.core.dates import today
from app.core.dutch import CsvLanguageQuery
from app.core.pagination import Page, PageQuery
from app.core.resource import Docs, Resource
from app.core.responses import CREATED, READ, READ_ONE, WRITE, WRITE_ONE
from app.core.sessions import ReadSession, WriteSession
from app.organisation.dependencies import EmployeeDep
from app.training import readiness, service
from app.training.dependencies import (
    TrainingSessionDep,
    TrainingSessionForUpdate,
)
from app.training.models import (
    EnrolmentCheck,
    EnrolmentCreate,
    EnrolmentPublic,
    EnrolmentUpdate,
    RefreshersDueReport,
    SessionCompletion,
    SessionStatus,
    TrainingProgram,
    TrainingProgramCreate,
    TrainingProgramPublic,
    TrainingProgramUpdate,
    TrainingRecord,
    TrainingSession,
    TrainingSessionCreate,
    TrainingSessionPublic,
    TrainingSessionUpdate,
)
from app.training.readiness import SessionReadiness

ExternalId = Annotated[str | None, Query(max_length=100, description="The HR platform's own id.")]
OnDate = Annotated[
    date | None,
    Query(
        description="The reference day; default today. On a day in the past, the record as "
        "it stood then: trainings completed later count for nothing."
    ),
]


router = APIRouter()

TRAINING_PROGRAMS = Resource(
    model=TrainingProgram,
    id_param="program_id",
    schemas=(TrainingProgramCreate, TrainingProgramUpdate, TrainingProgramPublic),
    public=lambda db, program, _: service.programs_public(db, [program])[0],
    create=lambda db, data, _: service.create_program(db, data=data),
    update=lambda db, program, data, _: service.update_program(db, program=program, data=data),
    delete=lambda db, program: service.delete_program(db, program=program),
    docs=Docs(
        create="Add a programme to the catalogue, with the skills it trains.",
        read="One programme of the catalogue.",
        update="Change a programme; `skill_ids`, when given, replaces its skills. `audience` and "
        "`management_level` are fixed once it has enrolments or completions (409).",
        delete="Delete a programme without sessions or completions; otherwise 409: deactivate it.",
    ),
)
TRAINING_SESSIONS = Resource(
    model=TrainingSession,
    id_param="session_id",
    schemas=(TrainingSessionCreate, TrainingSessionUpdate, TrainingSessionPublic),
    public=lambda db, ts, _: service.session_public(ts),
    create=lambda db, data, _: service.create_session(db, data=data),
    update=lambda db, ts, data, _: service.update_session(db, training_session=ts, data=data),
    delete=lambda db, ts: service.delete_session(db, training_session=ts),
    docs=Docs(
        create="Schedule a session of a programme; `capacity` defaults to its group size.",
        read="One session with its seats taken and left.",
        update="Change a planned session; `status: cancelled` cancels it and all its enrolments. "
        "409 `enrolment-refused` when a new time or the cancellation would put enrolled staff "
        "before their managers.",
        delete="Delete a session that never had enrolments; otherwise 409: cancel it.",
    ),
)


# --- programmes ----------------------------------------------------------------------------


service.TRAINING_PROGRAM_LIST.add_route(router)
TRAINING_PROGRAMS.add_routes(router)


# --- sessions ------------------------------------------------------------------------------


@router.get("/training-sessions", tags=["training-sessions"], responses=READ)
def list_training_sessions(
    db: ReadSession,
    params: PageQuery,
    program_id: uuid.UUID | None = None,
    status: SessionStatus | None = None,
    starts_from: Annotated[
        AwareDatetime | None, Query(description="Sessions starting at or after this time.")
    ] = None,
    starts_to: Annotated[
        AwareDatetime | None, Query(description="Sessions starting at or before this time.")
    ] = None,
    starts_before: Annotated[
        AwareDatetime | None,
        Query(
            deprecated=True,
            description="Deprecated: use `starts_to` (`starts_before` excludes this time).",
        ),
    ] = None,
) -> Page[TrainingSessionPublic]:
    """Scheduled sessions; filter by programme, status or start time."""
    rows, cursor = service.list_sessions(
        db,
        params=params,
        program_id=program_id,
        status=status,
        starts_from=starts_from,
        starts_to=starts_to,
        starts_before=starts_before,
    )
    return Page.of([service.session_public(r) for r in rows], cursor)


TRAINING_SESSIONS.add_routes(router)


@router.post(
    "/training-sessions/{session_id}/complete", tags=["training-sessions"], responses=WRITE_ONE
)
def complete_training_session(
    ts: TrainingSessionForUpdate,
    principal: WritePrincipal,
    db: WriteSession,
    response: Response,
    data: Annotated[SessionCompletion | None, Body()] = None,
) -> TrainingSessionPublic:
    """Mark a session completed: attendees (not no-shows) complete the programme.
    `protocol_ready` decides on readiness at the session's start: with severity error an
    attendee who was not ready does not complete (enrolment stays `attended`, the result
    in its `warnings`); with warning they complete and it is recorded."""
    ts = service.complete_session(
        db,
        session_id=ts.id,
        completed_on=data.completed_on if data else None,
        org=principal.organisation,
    )
    set_etag(response, ts)
    return service.session_public(ts)


@router.get("/training-sessions/{session_id}/readiness", tags=["training-sessions"], responses=READ)
def get_session_readiness(
    ts: TrainingSessionDep, principal: ReadPrincipal, db: ReadSession
) -> SessionReadiness:
    """Protocol readiness of the participants: whom to remind to read the protocol (or
    discuss it in their team) before the session starts. After the start it shows
    readiness at the start, which `protocol_ready` applies when the session is completed."""
    return readiness.session_readiness(db, org=principal.organisation, training_session=ts)


# --- enrolments ----------------------------------------------------------------------------


def _enrolment_public(enrolment: object) -> EnrolmentPublic:
    return EnrolmentPublic.model_validate(enrolment, from_attributes=True)


service.ENROLMENT_LIST.add_route(
    router,
    "/training-sessions/{session_id}/enrolments",
    name="list_enrolments",
    tags=["enrolments"],
    within=(TrainingSessionDep, "session_id"),
)


@router.post(
    "/training-sessions/{session_id}/enrolments",
    tags=["enrolments"],
    status_code=status.HTTP_201_CREATED,
    responses=CREATED,
)
def create_enrolment(
    ts: TrainingSessionForUpdate,
    data: EnrolmentCreate,
    principal: WritePrincipal,
    db: WriteSession,
    response: Response,
) -> EnrolmentPublic:
    """Enrol an employee. Broken rules of severity error refuse it (409
    `enrolment-refused` with `violations`); warnings are returned in `warnings`."""
    enrolment, _warnings = service.enrol(
        db, org=principal.organisation, session_id=ts.id, employee_id=data.employee_id
    )
    set_etag(response, enrolment)
    response.headers["Location"] = f"/v1/training-sessions/{ts.id}/enrolments/{enrolment.id}"
    return _enrolment_public(enrolment)


@router.post(
    "/training-sessions/{session_id}/enrolments/check",
    tags=["enrolments"],
    responses=WRITE,
)
def check_enrolment(
    principal: WritePrincipal, ts: TrainingSessionDep, data: EnrolmentCreate, db: ReadSession
) -> EnrolmentCheck:
    """Evaluate the enrolment rules for an employee without enrolling (a dry run)."""
    return service.check(
        db, org=principal.organisation, session_id=ts.id, employee_id=data.employee_id
    )


@router.get(
    "/training-sessions/{session_id}/enrolments/{enrolment_id}",
    tags=["enrolments"],
    responses=READ_ONE,
)
def get_enrolment(
    ts: TrainingSessionDep, enrolment_id: uuid.UUID, db: ReadSession, response: Response
) -> EnrolmentPublic:
    """One enrolment of a session."""
    enrolment = service.get_enrolment(db, training_session=ts, enrolment_id=enrolment_id)
    set_etag(response, enrolment)
    return _enrolment_public(enrolment)


@router.patch(
    "/training-sessions/{session_id}/enrolments/{enrolment_id}",
    tags=["enrolments"],
    responses=WRITE_ONE,
)
def update_enrolment(
    ts: TrainingSessionForUpdate,
    enrolment_id: uuid.UUID,
    data: EnrolmentUpdate,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> EnrolmentPublic:
    """Record `attended` or `no_show`, or `cancelled` (frees the seat; 409
    `enrolment-refused` when a manager's seat is what their staff's later sessions rely on)."""
    enrolment = service.get_enrolment(db, training_session=ts, enrolment_id=enrolment_id)
    check_if_match(if_match, enrolment)
    enrolment = service.update_enrolment(
        db, enrolment=enrolment, training_session=ts, status=data.status
    )
    set_etag(response, enrolment)
    return _enrolment_public(enrolment)


# --- training records and refreshers ------------------------------------------------------------


@router.get("/employees/{employee_id}/training-record", tags=["training-records"], responses=READ)
def get_training_record(
    employee: EmployeeDep, db: ReadSession, on: OnDate = None
) -> TrainingRecord:
    """An employee's completed trainings, which skills are current, refreshers due in the
    next 90 days and upcoming sessions."""
    return service.training_record(db, employee=employee, on=on or today())


CSV_FIELDS = (
    "employee_id",
    "employee_name",
    "team_id",
    "program_id",
    "program_title",
    "completed_on",
    "due_on",
    "overdue",
)


@router.get(
    "/reports/refreshers-due",
    dependencies=[CsvLanguageQuery],
    tags=["reports"],
    response_model=RefreshersDueReport,
    responses={**READ, **csv_openapi("Refreshers due, as JSON or (Accept: text/csv) CSV.")},
)
def report_refreshers_due(
    request: Request,
    db: ReadSession,
    within_days: Annotated[int, Query(ge=0, le=730, description="Look-ahead in days.")] = 90,
    on: OnDate = None,
) -> RefreshersDueReport | Response:
    """Employees whose trainings lapse within `within_days` (overdue included);
    `Accept: text/csv` for a spreadsheet."""
    day = on or today()
    items = service.refreshers_due(db, within_days=within_days, on=day)
    return json_or_csv(
        request,
        json=lambda: RefreshersDueReport(on=day, within_days=within_days, items=items),
        rows=lambda: ([getattr(item, f) for f in CSV_FIELDS] for item in items),
        header=CSV_FIELDS,
        filename=f"refreshers-due-{day.isoformat()}",
    )
