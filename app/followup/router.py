"""HTTP routes: follow-up items, practice reviews, team meetings, HRM conversations."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.core.auth import WritePrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.dates import today
from app.core.pagination import Page, PageQuery
from app.core.responses import CREATED, CREATED_MANY, READ, READ_ONE, WRITE, WRITE_ONE
from app.core.sessions import ReadSession, WriteSession
from app.followup import service
from app.followup.dependencies import (
    FollowUpItemDep,
    FollowUpItemForUpdate,
    HrmConversationDep,
    HrmConversationForUpdate,
    PracticeReviewDep,
    PracticeReviewForUpdate,
    TeamMeetingDep,
    TeamMeetingForUpdate,
)
from app.followup.models import (
    FollowUpItemCreate,
    FollowUpItemPublic,
    FollowUpItemUpdate,
    FollowUpKind,
    FollowUpSourceFilter,
    FollowUpStatus,
    HrmConversationCreate,
    HrmConversationKind,
    HrmConversationPublic,
    HrmConversationUpdate,
    PracticeReviewCreate,
    PracticeReviewPublic,
    PracticeReviewUpdate,
    SessionFollowUpCreate,
    TeamMeetingCreate,
    TeamMeetingPublic,
    TeamMeetingUpdate,
)

HeldFrom = Annotated[date | None, Query(description="Held on or after this date.")]
HeldTo = Annotated[date | None, Query(description="Held on or before this date.")]

router = APIRouter()


# --- follow-up items --------------------------------------------------------------------


@router.get("/follow-up-items", tags=["follow-up-items"], responses=READ)
def list_follow_up_items(
    db: ReadSession,
    params: PageQuery,
    owner_employee_id: uuid.UUID | None = None,
    owner_team_id: uuid.UUID | None = None,
    team_id: Annotated[
        uuid.UUID | None,
        Query(description="Items owned by the team or by one of its members."),
    ] = None,
    source: Annotated[
        FollowUpSourceFilter | None, Query(description="`none`: items raised on their own.")
    ] = None,
    training_session_id: uuid.UUID | None = None,
    practice_review_id: uuid.UUID | None = None,
    kind: FollowUpKind | None = None,
    status: FollowUpStatus | None = None,
    overdue: Annotated[
        bool | None, Query(description="`true`: open and past the due date.")
    ] = None,
) -> Page[FollowUpItemPublic]:
    """Action, learning and attention points; filter by owner, team, source, status, overdue."""
    day = today()
    rows, cursor = service.list_follow_up_items(
        db,
        params=params,
        today=day,
        owner_employee_id=owner_employee_id,
        owner_team_id=owner_team_id,
        team_id=team_id,
        source=source,
        training_session_id=training_session_id,
        practice_review_id=practice_review_id,
        kind=kind,
        status=status,
        overdue=overdue,
    )
    return Page(items=[service.follow_up_public(r, day) for r in rows], next_cursor=cursor)


@router.post("/follow-up-items", tags=["follow-up-items"], status_code=201, responses=CREATED)
def create_follow_up_item(
    data: FollowUpItemCreate, db: WriteSession, response: Response
) -> FollowUpItemPublic:
    """Create an item owned by an employee or a team, optionally from a session or review."""
    item = service.create_follow_up_item(db, data=data)
    set_etag(response, item)
    response.headers["Location"] = f"/v1/follow-up-items/{item.id}"
    return service.follow_up_public(item, today())


@router.post(
    "/training-sessions/{session_id}/follow-up-items",
    tags=["follow-up-items"],
    status_code=201,
    responses=CREATED_MANY,
)
def record_session_follow_up(
    session_id: uuid.UUID,
    data: SessionFollowUpCreate,
    db: WriteSession,
    response: Response,
) -> list[FollowUpItemPublic]:
    """Record several items from one training session at once: all are stored, or none."""
    items = service.record_session_follow_up(db, session_id=session_id, data=data)
    # Several new resources: Location is the list of the session's items they are in.
    response.headers["Location"] = f"/v1/follow-up-items?training_session_id={session_id}"
    day = today()
    return [service.follow_up_public(i, day) for i in items]


@router.get("/follow-up-items/{item_id}", tags=["follow-up-items"], responses=READ_ONE)
def get_follow_up_item(item: FollowUpItemDep, response: Response) -> FollowUpItemPublic:
    """One follow-up item."""
    set_etag(response, item)
    return service.follow_up_public(item, today())


@router.patch("/follow-up-items/{item_id}", tags=["follow-up-items"], responses=WRITE_ONE)
def update_follow_up_item(
    item: FollowUpItemForUpdate,
    data: FollowUpItemUpdate,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> FollowUpItemPublic:
    """Change an item; `status: done` records `done_at`, reopening clears it."""
    check_if_match(if_match, item)
    item = service.update_follow_up_item(db, item=item, data=data)
    set_etag(response, item)
    return service.follow_up_public(item, today())


@router.delete(
    "/follow-up-items/{item_id}", tags=["follow-up-items"], status_code=204, responses=WRITE
)
def delete_follow_up_item(
    item: FollowUpItemForUpdate, db: WriteSession, if_match: IfMatch = None
) -> Response:
    """Delete an item entered by mistake (otherwise set `status: cancelled`)."""
    check_if_match(if_match, item)
    service.delete_follow_up_item(db, item=item)
    return Response(status_code=204)


# --- practice reviews -------------------------------------------------------------------


@router.get("/practice-reviews", tags=["practice-reviews"], responses=READ)
def list_practice_reviews(
    db: ReadSession,
    params: PageQuery,
    team_id: uuid.UUID | None = None,
    held_from: HeldFrom = None,
    held_to: HeldTo = None,
) -> Page[PracticeReviewPublic]:
    """Practice reviews with their skill ratings; filter by team and period."""
    rows, cursor = service.list_practice_reviews(
        db, params=params, team_id=team_id, held_from=held_from, held_to=held_to
    )
    return Page(items=service.practice_reviews_public(db, rows), next_cursor=cursor)


@router.post("/practice-reviews", tags=["practice-reviews"], status_code=201, responses=CREATED)
def create_practice_review(
    data: PracticeReviewCreate, principal: WritePrincipal, db: WriteSession, response: Response
) -> PracticeReviewPublic:
    """Record a held review; `next_review_on` defaults to held_on + the review interval."""
    review = service.create_practice_review(
        db, data=data, settings=principal.organisation.settings, today=today()
    )
    set_etag(response, review)
    response.headers["Location"] = f"/v1/practice-reviews/{review.id}"
    return service.practice_reviews_public(db, [review])[0]


@router.get("/practice-reviews/{review_id}", tags=["practice-reviews"], responses=READ_ONE)
def get_practice_review(
    review: PracticeReviewDep, db: ReadSession, response: Response
) -> PracticeReviewPublic:
    """One practice review with its ratings and participants."""
    set_etag(response, review)
    return service.practice_reviews_public(db, [review])[0]


@router.patch("/practice-reviews/{review_id}", tags=["practice-reviews"], responses=WRITE_ONE)
def update_practice_review(
    review: PracticeReviewForUpdate,
    data: PracticeReviewUpdate,
    principal: WritePrincipal,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> PracticeReviewPublic:
    """Change a review; `ratings` and `participant_ids`, when given, replace the lists."""
    check_if_match(if_match, review)
    review = service.update_practice_review(
        db,
        review=review,
        data=data,
        settings=principal.organisation.settings,
        today=today(),
    )
    set_etag(response, review)
    return service.practice_reviews_public(db, [review])[0]


@router.delete(
    "/practice-reviews/{review_id}", tags=["practice-reviews"], status_code=204, responses=WRITE
)
def delete_practice_review(
    review: PracticeReviewForUpdate, db: WriteSession, if_match: IfMatch = None
) -> Response:
    """Delete a review; follow-up items from it stay, without a source."""
    check_if_match(if_match, review)
    service.delete_practice_review(db, review=review)
    return Response(status_code=204)


# --- team meetings ----------------------------------------------------------------------


@router.get("/team-meetings", tags=["team-meetings"], responses=READ)
def list_team_meetings(
    db: ReadSession,
    params: PageQuery,
    team_id: uuid.UUID | None = None,
    held_from: HeldFrom = None,
    held_to: HeldTo = None,
    safe_resilient_work_on_agenda: bool | None = None,
) -> Page[TeamMeetingPublic]:
    """Team meetings with their agendas; filter by team, period and the fixed agenda item."""
    rows, cursor = service.list_team_meetings(
        db,
        params=params,
        team_id=team_id,
        held_from=held_from,
        held_to=held_to,
        safe_resilient_work_on_agenda=safe_resilient_work_on_agenda,
    )
    return Page(items=service.team_meetings_public(db, rows), next_cursor=cursor)


@router.post("/team-meetings", tags=["team-meetings"], status_code=201, responses=CREATED)
def create_team_meeting(
    data: TeamMeetingCreate, db: WriteSession, response: Response
) -> TeamMeetingPublic:
    """Record a held meeting; an item of kind `safe_resilient_work` marks the fixed item."""
    meeting = service.create_team_meeting(db, data=data, today=today())
    set_etag(response, meeting)
    response.headers["Location"] = f"/v1/team-meetings/{meeting.id}"
    return service.team_meetings_public(db, [meeting])[0]


@router.get("/team-meetings/{meeting_id}", tags=["team-meetings"], responses=READ_ONE)
def get_team_meeting(
    meeting: TeamMeetingDep, db: ReadSession, response: Response
) -> TeamMeetingPublic:
    """One team meeting with its agenda."""
    set_etag(response, meeting)
    return service.team_meetings_public(db, [meeting])[0]


@router.patch("/team-meetings/{meeting_id}", tags=["team-meetings"], responses=WRITE_ONE)
def update_team_meeting(
    meeting: TeamMeetingForUpdate,
    data: TeamMeetingUpdate,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> TeamMeetingPublic:
    """Change a meeting; `agenda_items`, when given, replaces the agenda."""
    check_if_match(if_match, meeting)
    meeting = service.update_team_meeting(db, meeting=meeting, data=data, today=today())
    set_etag(response, meeting)
    return service.team_meetings_public(db, [meeting])[0]


@router.delete(
    "/team-meetings/{meeting_id}", tags=["team-meetings"], status_code=204, responses=WRITE
)
def delete_team_meeting(
    meeting: TeamMeetingForUpdate, db: WriteSession, if_match: IfMatch = None
) -> Response:
    """Delete a meeting and its agenda."""
    check_if_match(if_match, meeting)
    service.delete_team_meeting(db, meeting=meeting)
    return Response(status_code=204)


# --- HRM conversations ------------------------------------------------------------------


@router.get("/hrm-conversations", tags=["hrm-conversations"], responses=READ)
def list_hrm_conversations(
    db: ReadSession,
    params: PageQuery,
    employee_id: uuid.UUID | None = None,
    manager_id: uuid.UUID | None = None,
    kind: HrmConversationKind | None = None,
    theme_discussed: bool | None = None,
    held_from: HeldFrom = None,
    held_to: HeldTo = None,
) -> Page[HrmConversationPublic]:
    """HRM cycle conversations; filter by employee, manager, kind, theme and period."""
    rows, cursor = service.list_hrm_conversations(
        db,
        params=params,
        employee_id=employee_id,
        manager_id=manager_id,
        kind=kind,
        theme_discussed=theme_discussed,
        held_from=held_from,
        held_to=held_to,
    )
    return Page(items=service.hrm_conversations_public(db, rows), next_cursor=cursor)


@router.post("/hrm-conversations", tags=["hrm-conversations"], status_code=201, responses=CREATED)
def create_hrm_conversation(
    data: HrmConversationCreate, db: WriteSession, response: Response
) -> HrmConversationPublic:
    """Record a held conversation; the manager must be responsible for the employee (409)."""
    conv = service.create_hrm_conversation(db, data=data, today=today())
    set_etag(response, conv)
    response.headers["Location"] = f"/v1/hrm-conversations/{conv.id}"
    return service.hrm_conversations_public(db, [conv])[0]


@router.get("/hrm-conversations/{conversation_id}", tags=["hrm-conversations"], responses=READ_ONE)
def get_hrm_conversation(
    conv: HrmConversationDep, db: ReadSession, response: Response
) -> HrmConversationPublic:
    """One HRM conversation with the personal goals discussed."""
    set_etag(response, conv)
    return service.hrm_conversations_public(db, [conv])[0]


@router.patch(
    "/hrm-conversations/{conversation_id}", tags=["hrm-conversations"], responses=WRITE_ONE
)
def update_hrm_conversation(
    conv: HrmConversationForUpdate,
    data: HrmConversationUpdate,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> HrmConversationPublic:
    """Change a conversation; the manager and goal rules are checked again."""
    check_if_match(if_match, conv)
    conv = service.update_hrm_conversation(db, conv=conv, data=data, today=today())
    set_etag(response, conv)
    return service.hrm_conversations_public(db, [conv])[0]


@router.delete(
    "/hrm-conversations/{conversation_id}",
    tags=["hrm-conversations"],
    status_code=204,
    responses=WRITE,
)
def delete_hrm_conversation(
    conv: HrmConversationForUpdate, db: WriteSession, if_match: IfMatch = None
) -> Response:
    """Delete a conversation."""
    check_if_match(if_match, conv)
    service.delete_hrm_conversation(db, conv=conv)
    return Response(status_code=204)
