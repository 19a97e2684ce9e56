"""Factories for follow-up rows, and the few rows of other domains the reports read.

The training, learning and policy rows are made straight from their tables so these tests
depend on the schema only, not on another domain's service.
"""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.followup.models import (
    AgendaItemKind,
    FollowUpItem,
    FollowUpKind,
    HrmConversation,
    HrmConversationKind,
    PracticeReview,
    TeamMeeting,
    TeamMeetingAgendaItem,
)
from app.learning.models import Alignment, PersonalGoal, Skill, TeamGoal
from app.organisation.models import Employee, Team
from app.policy.models import Protocol, ProtocolAcknowledgement, ProtocolStatus, TeamDiscussion
from app.training.models import (
    Audience,
    ProgramSkill,
    SessionStatus,
    TrainingCompletion,
    TrainingProgram,
    TrainingSession,
)
from tests.factories.policy import took_part

_seq = itertools.count(1)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


# --- other domains' rows ------------------------------------------------------------------


def skill(session: Session, code: str) -> Skill:
    """The organisation's skill with this code (the nine built-in ones exist already)."""
    found = session.exec(select(Skill).where(col(Skill.code) == code)).first()
    if found is not None:
        return found
    row = Skill(code=code, label_nl=code, label_en=code)
    session.add(row)
    session.flush()
    return row


def make_program(
    session: Session,
    *,
    skills: list[Skill] | None = None,
    audience: Audience = Audience.staff,
    refresher_months: int = 24,
    **overrides: Any,
) -> TrainingProgram:
    n = next(_seq)
    program = TrainingProgram(
        **{
            "title": f"Training {n}",
            "audience": audience,
            "refresher_months": refresher_months,
            **overrides,
        }
    )
    session.add(program)
    session.flush()
    for s in skills or []:
        session.add(
            ProgramSkill(
                program_id=program.id, skill_id=s.id, organisation_id=program.organisation_id
            )
        )
    session.flush()
    return program


def make_session(
    session: Session,
    *,
    program: TrainingProgram | None = None,
    on: date | None = None,
    status: SessionStatus = SessionStatus.completed,
) -> TrainingSession:
    program = program or make_program(session)
    day = on or date.today() - timedelta(days=7)
    row = TrainingSession(
        program_id=program.id,
        starts_at=_at(day),
        ends_at=_at(day) + timedelta(hours=4),
        capacity=12,
        status=status,
    )
    session.add(row)
    session.flush()
    return row


def complete(
    session: Session, employee: Employee, program: TrainingProgram, on: date
) -> TrainingCompletion:
    row = TrainingCompletion(employee_id=employee.id, program_id=program.id, completed_on=on)
    session.add(row)
    session.flush()
    return row


def make_team_goal(session: Session, team: Team, skill_row: Skill, **overrides: Any) -> TeamGoal:
    goal = TeamGoal(
        **{"team_id": team.id, "skill_id": skill_row.id, "description": "Teamdoel", **overrides}
    )
    session.add(goal)
    session.flush()
    return goal


def make_personal_goal(
    session: Session,
    employee: Employee,
    skill_row: Skill,
    *,
    alignment: Alignment = Alignment.aligned,
    **overrides: Any,
) -> PersonalGoal:
    goal = PersonalGoal(
        **{
            "employee_id": employee.id,
            "skill_id": skill_row.id,
            "description": "Ik wil rustiger blijven bij dreiging",
            "alignment": alignment,
            **overrides,
        }
    )
    session.add(goal)
    session.flush()
    return goal


def publish_protocol(session: Session, *, published: date | None = None) -> Protocol:
    n = next(_seq)
    day = published or date.today() - timedelta(days=60)
    protocol = Protocol(
        title="Agressieprotocol",
        version=n,
        status=ProtocolStatus.published,
        published_at=_at(day),
    )
    session.add(protocol)
    session.flush()
    return protocol


def acknowledge(
    session: Session, protocol: Protocol, employee: Employee, read_on: date | None = None
) -> None:
    day = read_on or date.today() - timedelta(days=1)
    session.add(
        ProtocolAcknowledgement(protocol_id=protocol.id, employee_id=employee.id, read_at=_at(day))
    )
    session.flush()


def discuss(session: Session, protocol: Protocol, team: Team, on: date | None = None) -> None:
    discussion = TeamDiscussion(
        protocol_id=protocol.id,
        team_id=team.id,
        discussed_on=on or date.today() - timedelta(days=1),
    )
    session.add(discussion)
    session.flush()
    took_part(session, discussion)


# --- follow-up rows -----------------------------------------------------------------------


def make_item(
    session: Session,
    *,
    owner: Employee | Team,
    due_on: date | None = None,
    **overrides: Any,
) -> FollowUpItem:
    data: dict[str, Any] = {
        "kind": FollowUpKind.action_point,
        "description": f"Actiepunt {next(_seq)}",
        "due_on": due_on,
    }
    if isinstance(owner, Team):
        data["owner_team_id"] = owner.id
    else:
        data["owner_employee_id"] = owner.id
    data.update(overrides)
    item = FollowUpItem(**data)
    session.add(item)
    session.flush()
    return item


def make_review(
    session: Session, team: Team, held_on: date, next_review_on: date | None = None
) -> PracticeReview:
    from app.core.dates import add_months

    review = PracticeReview(
        team_id=team.id, held_on=held_on, next_review_on=next_review_on or add_months(held_on, 3)
    )
    session.add(review)
    session.flush()
    return review


def make_meeting(session: Session, team: Team, held_on: date, *, with_item: bool) -> TeamMeeting:
    meeting = TeamMeeting(team_id=team.id, held_on=held_on, safe_resilient_work_on_agenda=with_item)
    session.add(meeting)
    session.flush()
    session.add(
        TeamMeetingAgendaItem(
            meeting_id=meeting.id,
            position=1,
            kind=AgendaItemKind.safe_resilient_work if with_item else AgendaItemKind.general,
            title="Veilig en veerkrachtig werken" if with_item else "Roosters",
        )
    )
    session.flush()
    return meeting


def make_conversation(
    session: Session,
    employee: Employee,
    manager: Employee,
    held_on: date,
    *,
    theme_discussed: bool = True,
    kind: HrmConversationKind = HrmConversationKind.progress,
) -> HrmConversation:
    conv = HrmConversation(
        employee_id=employee.id,
        manager_id=manager.id,
        held_on=held_on,
        kind=kind,
        theme_discussed=theme_discussed,
    )
    session.add(conv)
    session.flush()
    return conv


def uid() -> str:
    return str(uuid.uuid4())
