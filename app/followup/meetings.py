"""Team meetings and their agenda (the fixed safe-and-resilient-work item)."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.core.crud import (
    apply_changes,
    resolve_ref,
)
from app.core.listing import Listing
from app.core.models import render, touch
from app.followup.dates import HeldFilters, refuse_if_in_future
from app.followup.models import (
    AgendaItem,
    AgendaItemKind,
    AgendaItemPublic,
    TeamMeeting,
    TeamMeetingAgendaItem,
    TeamMeetingCreate,
    TeamMeetingPublic,
    TeamMeetingUpdate,
)
from app.organisation.models import Team
from app.policy import service as policy_service


def team_meetings_public(db: Session, meetings: Sequence[TeamMeeting]) -> list[TeamMeetingPublic]:
    """Meetings with their agendas, in one query whatever the count."""
    ids = [m.id for m in meetings]
    agendas: dict[uuid.UUID, list[AgendaItemPublic]] = defaultdict(list)
    if ids:
        for row in db.exec(
            select(TeamMeetingAgendaItem)
            .where(col(TeamMeetingAgendaItem.meeting_id).in_(ids))
            .order_by(col(TeamMeetingAgendaItem.meeting_id), col(TeamMeetingAgendaItem.position))
        ):
            agendas[row.meeting_id].append(render(AgendaItemPublic, row))
    return [render(TeamMeetingPublic, m, agenda_items=agendas.get(m.id, [])) for m in meetings]


def _set_agenda(db: Session, meeting: TeamMeeting, items: Sequence[AgendaItem]) -> None:
    db.execute(
        delete(TeamMeetingAgendaItem).where(col(TeamMeetingAgendaItem.meeting_id) == meeting.id)
    )
    db.add_all(
        TeamMeetingAgendaItem(
            meeting_id=meeting.id, position=pos, kind=i.kind, title=i.title or "", notes=i.notes
        )
        for pos, i in enumerate(items, start=1)
    )
    # Derived, never set by the client: the fixed item of seed step 3 is on the agenda.
    meeting.safe_resilient_work_on_agenda = any(
        i.kind == AgendaItemKind.safe_resilient_work for i in items
    )


def create_team_meeting(db: Session, *, data: TeamMeetingCreate, today: date) -> TeamMeeting:
    """A held team meeting with its agenda."""
    resolve_ref(db, Team, data.team_id, pointer="/team_id", what="team")
    refuse_if_in_future(data.held_on, today)
    meeting = TeamMeeting(team_id=data.team_id, held_on=data.held_on, notes=data.notes)
    db.add(meeting)
    db.flush()
    _set_agenda(db, meeting, data.agenda_items)
    db.flush()
    return meeting


def update_team_meeting(
    db: Session, *, meeting: TeamMeeting, data: TeamMeetingUpdate, today: date
) -> TeamMeeting:
    """Change a meeting; a new agenda re-derives whether the fixed item was on it."""
    changes = data.model_dump(exclude_unset=True, exclude={"agenda_items"})
    refuse_if_in_future(changes.get("held_on", meeting.held_on), today)
    apply_changes(meeting, changes)
    if data.agenda_items is not None:
        _set_agenda(db, meeting, data.agenda_items)
        touch(meeting)
    db.flush()
    # A protocol discussion recorded in this meeting holds only while the meeting fits it.
    policy_service.check_discussions_in_meeting(db, meeting)
    return meeting


def delete_team_meeting(db: Session, *, meeting: TeamMeeting) -> None:
    """Delete a meeting and its agenda."""
    db.delete(meeting)
    db.flush()


class TeamMeetingFilters(HeldFilters):
    team_id: uuid.UUID | None = None
    safe_resilient_work_on_agenda: bool | None = None


TEAM_MEETING_LIST = Listing(
    model=TeamMeeting,
    filters=TeamMeetingFilters,
    public=TeamMeetingPublic,
    render=team_meetings_public,
    doc="Team meetings with their agendas; filter by team, period and the fixed agenda item.",
)
