"""The follow-up domain's public API, for its router and for other domains.

One module per resource: ``items`` (follow-up items), ``reviews`` (practice reviews),
``meetings`` (team meetings) and ``conversations`` (HRM conversations).
"""

from app.followup.conversations import (
    HRM_CONVERSATION_LIST,
    create_hrm_conversation,
    delete_hrm_conversation,
    hrm_conversations_public,
    responsible_manager_ids,
    update_hrm_conversation,
)
from app.followup.items import (
    create_follow_up_item,
    delete_follow_up_item,
    follow_up_public,
    is_overdue,
    list_follow_up_items,
    record_session_follow_up,
    update_follow_up_item,
)
from app.followup.meetings import (
    TEAM_MEETING_LIST,
    create_team_meeting,
    delete_team_meeting,
    team_meetings_public,
    update_team_meeting,
)
from app.followup.reviews import (
    PRACTICE_REVIEW_LIST,
    create_practice_review,
    default_next_review_on,
    delete_practice_review,
    practice_reviews_public,
    update_practice_review,
)

__all__ = [
    "HRM_CONVERSATION_LIST",
    "PRACTICE_REVIEW_LIST",
    "TEAM_MEETING_LIST",
    "create_follow_up_item",
    "create_hrm_conversation",
    "create_practice_review",
    "create_team_meeting",
    "default_next_review_on",
    "delete_follow_up_item",
    "delete_hrm_conversation",
    "delete_practice_review",
    "delete_team_meeting",
    "follow_up_public",
    "hrm_conversations_public",
    "is_overdue",
    "list_follow_up_items",
    "practice_reviews_public",
    "record_session_follow_up",
    "responsible_manager_ids",
    "team_meetings_public",
    "update_follow_up_item",
    "update_hrm_conversation",
    "update_practice_review",
    "update_team_meeting",
]
