"""Fetch-or-404 dependencies for path ids of the follow-up domain."""

from typing import Annotated

from fastapi import Depends

from app.core.sessions import reader, writer
from app.followup.models import FollowUpItem, HrmConversation, PracticeReview, TeamMeeting

FollowUpItemDep = Annotated[
    FollowUpItem, Depends(reader(FollowUpItem, "item_id", name="follow-up item"))
]
FollowUpItemForUpdate = Annotated[
    FollowUpItem, Depends(writer(FollowUpItem, "item_id", name="follow-up item"))
]
PracticeReviewDep = Annotated[
    PracticeReview, Depends(reader(PracticeReview, "review_id", name="practice review"))
]
PracticeReviewForUpdate = Annotated[
    PracticeReview, Depends(writer(PracticeReview, "review_id", name="practice review"))
]
TeamMeetingDep = Annotated[
    TeamMeeting, Depends(reader(TeamMeeting, "meeting_id", name="team meeting"))
]
TeamMeetingForUpdate = Annotated[
    TeamMeeting, Depends(writer(TeamMeeting, "meeting_id", name="team meeting"))
]
HrmConversationDep = Annotated[
    HrmConversation, Depends(reader(HrmConversation, "conversation_id", name="HRM conversation"))
]
HrmConversationForUpdate = Annotated[
    HrmConversation, Depends(writer(HrmConversation, "conversation_id", name="HRM conversation"))
]
