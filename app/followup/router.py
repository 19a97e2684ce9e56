"""HTTP routes: follow-up items, practice reviews, team meetings, HRM conversations."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.core.dates import today
from app.core.pagination import Page, PageQuery
from app.core.resource import Docs, Resource
from app.core.responses import CREATED_MANY, READ
from app.core.sessions import ReadSession, WriteSession
from app.followup import service
from app.followup.models import (
    FollowUpItem,
    FollowUpItemCreate,
    FollowUpItemPublic,
    FollowUpItemUpdate,
    FollowUpKind,
    FollowUpSourceFilter,
    FollowUpStatus,
    HrmConversation,
    HrmConversationCreate,
    HrmConversationPublic,
    HrmConversationUpdate,
    PracticeReview,
    PracticeReviewCreate,
    PracticeReviewPublic,
    PracticeReviewUpdate,
    SessionFollowUpCreate,
    TeamMeeting,
    TeamMeetingCreate,
    TeamMeetingPublic,
    TeamMeetingUpdate,
)

router = APIRouter()


FOLLOW_UP_ITEMS = Resource(
    model=FollowUpItem,
    id_param="item_id",
    name="follow-up item",
    schemas=(FollowUpItemCreate, FollowUpItemUpdate, FollowUpItemPublic),
    public=lambda db, item, _: service.follow_up_public(item, today()),
    create=lambda db, data, _: service.create_follow_up_item(db, data=data),
    update=lambda db, item, data, _: service.update_follow_up_item(db, item=item, data=data),
    delete=lambda db, item: service.delete_follow_up_item(db, item=item),
    docs=Docs(
        create="Create an item owned by an employee or a team, optionally from a session, "
        "review or incident.",
        read="One follow-up item.",
        update="Change an item; `status: done` records `done_at`, reopening clears it.",
        delete="Delete an item entered by mistake (otherwise set `status: cancelled`).",
    ),
)
PRACTICE_REVIEWS = Resource(
    model=PracticeReview,
    id_param="review_id",
    schemas=(PracticeReviewCreate, PracticeReviewUpdate, PracticeReviewPublic),
    public=lambda db, review, _: service.practice_reviews_public(db, [review])[0],
    create=lambda db, data, principal: service.create_practice_review(
        db, data=data, settings=principal.organisation.settings, today=today()
    ),
    update=lambda db, review, data, principal: service.update_practice_review(
        db, review=review, data=data, settings=principal.organisation.settings, today=today()
    ),
    delete=lambda db, review: service.delete_practice_review(db, review=review),
    docs=Docs(
        create="Record a held review; `next_review_on` defaults to held_on + the review interval.",
        read="One practice review with its ratings and participants.",
        update="Change a review; `ratings` and `participant_ids`, when given, replace the lists.",
        delete="Delete a review; follow-up items from it stay, without a source.",
    ),
)
TEAM_MEETINGS = Resource(
    model=TeamMeeting,
    id_param="meeting_id",
    schemas=(TeamMeetingCreate, TeamMeetingUpdate, TeamMeetingPublic),
    public=lambda db, meeting, _: service.team_meetings_public(db, [meeting])[0],
    create=lambda db, data, _: service.create_team_meeting(db, data=data, today=today()),
    update=lambda db, meeting, data, _: service.update_team_meeting(
        db, meeting=meeting, data=data, today=today()
    ),
    delete=lambda db, meeting: service.delete_team_meeting(db, meeting=meeting),
    docs=Docs(
        create="Record a held meeting; an item of kind `safe_resilient_work` marks the fixed item.",
        read="One team meeting with its agenda.",
        update="Change a meeting; `agenda_items`, when given, replaces the agenda.",
        delete="Delete a meeting and its agenda.",
    ),
)
HRM_CONVERSATIONS = Resource(
    model=HrmConversation,
    id_param="conversation_id",
    name="HRM conversation",
    schemas=(HrmConversationCreate, HrmConversationUpdate, HrmConversationPublic),
    public=lambda db, conv, _: service.hrm_conversations_public(db, [conv])[0],
    create=lambda db, data, _: service.create_hrm_conversation(db, data=data, today=today()),
    update=lambda db, conv, data, _: service.update_hrm_conversation(
        db, conv=conv, data=data, today=today()
    ),
    delete=lambda db, conv: service.delete_hrm_conversation(db, conv=conv),
    docs=Docs(
        create="Record a held conversation; the manager must be responsible for the employee "
        "(409).",
        read="One HRM conversation with the personal goals discussed.",
        update="Change a conversation; the manager and goal rules are checked again.",
        delete="Delete a conversation.",
    ),
)


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
    incident_id: uuid.UUID | None = None,
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
        incident_id=incident_id,
        kind=kind,
        status=status,
        overdue=overdue,
    )
    return Page.of([service.follow_up_public(r, day) for r in rows], cursor)


FOLLOW_UP_ITEMS.add_routes(router)


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


# --- practice reviews -------------------------------------------------------------------


service.PRACTICE_REVIEW_LIST.add_route(
    router, "/practice-reviews", name="list_practice_reviews", tags=["practice-reviews"]
)


PRACTICE_REVIEWS.add_routes(router)


# --- team meetings ----------------------------------------------------------------------


service.TEAM_MEETING_LIST.add_route(
    router, "/team-meetings", name="list_team_meetings", tags=["team-meetings"]
)


TEAM_MEETINGS.add_routes(router)


# --- HRM conversations ------------------------------------------------------------------


service.HRM_CONVERSATION_LIST.add_route(
    router, "/hrm-conversations", name="list_hrm_conversations", tags=["hrm-conversations"]
)


HRM_CONVERSATIONS.add_routes(router)
