"""Fetch-or-404 dependencies for path ids of the follow-up domain."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.core.auth import DbSession, ReadPrincipal
from app.core.tenancy import get_scoped
from app.followup.models import FollowUpItem, HrmConversation, PracticeReview, TeamMeeting


def _item(
    item_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> FollowUpItem:
    return get_scoped(session, FollowUpItem, item_id, name="follow-up item")


def _review(
    review_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> PracticeReview:
    return get_scoped(session, PracticeReview, review_id, name="practice review")


def _meeting(
    meeting_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> TeamMeeting:
    return get_scoped(session, TeamMeeting, meeting_id, name="team meeting")


def _conversation(
    conversation_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> HrmConversation:
    return get_scoped(session, HrmConversation, conversation_id, name="HRM conversation")


FollowUpItemDep = Annotated[FollowUpItem, Depends(_item)]
PracticeReviewDep = Annotated[PracticeReview, Depends(_review)]
TeamMeetingDep = Annotated[TeamMeeting, Depends(_meeting)]
HrmConversationDep = Annotated[HrmConversation, Depends(_conversation)]
