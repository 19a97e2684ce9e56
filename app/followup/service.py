"""Follow-up items, practice reviews, team meetings and HRM conversations: rules and queries."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from app.core.crud import apply_changes, resolve_ref, unknown_reference
from app.core.dates import add_months
from app.core.errors import Conflict, InvalidInput, RuleViolation
from app.core.models import TenantTable, utcnow
from app.core.pagination import PageParams, paginate
from app.core.queries import where_given, where_range
from app.core.tenancy import current_organisation_id, get_scoped
from app.followup.models import (
    AgendaItem,
    AgendaItemKind,
    AgendaItemPublic,
    FollowUpItem,
    FollowUpItemCreate,
    FollowUpItemPublic,
    FollowUpItemUpdate,
    FollowUpKind,
    FollowUpSource,
    FollowUpSourceFilter,
    FollowUpStatus,
    HrmConversation,
    HrmConversationCreate,
    HrmConversationGoal,
    HrmConversationKind,
    HrmConversationPublic,
    HrmConversationUpdate,
    PracticeReview,
    PracticeReviewCreate,
    PracticeReviewParticipant,
    PracticeReviewPublic,
    PracticeReviewRating,
    PracticeReviewUpdate,
    SessionFollowUpCreate,
    SkillRating,
    TeamMeeting,
    TeamMeetingAgendaItem,
    TeamMeetingCreate,
    TeamMeetingPublic,
    TeamMeetingUpdate,
)
from app.learning.models import PersonalGoal, Skill
from app.organisation.models import Employee, OrganisationSettings, Role, Team, TeamManager
from app.training.models import SessionStatus, TrainingSession

# --- shared helpers ---------------------------------------------------------------------

T = TypeVar("T", bound=TenantTable)


def _resolve_many(
    session: Session, model: type[T], ids: Sequence[uuid.UUID], *, pointer: str, what: str
) -> dict[uuid.UUID, T]:
    """Resolve many body ids in one query; the first unknown one is a 422 naming its place.

    ``pointer`` is a format string with ``{i}``, the index of the id in ``ids``.
    """
    unique = list(dict.fromkeys(ids))
    found: dict[uuid.UUID, T] = {}
    if unique:
        rows = session.exec(select(model).where(col(model.id).in_(unique)))
        found = {row.id: row for row in rows}
    for i, id_ in enumerate(ids):
        if id_ not in found:
            raise unknown_reference(pointer.format(i=i), what, id_)
    return found


def _not_in_future(held_on: date, today: date) -> None:
    # A review, meeting or conversation is recorded once held; plans live elsewhere.
    if held_on > today:
        raise InvalidInput(
            f"held_on {held_on.isoformat()} is in the future; record it once it was held.",
            code="held-on-in-future",
            errors=[{"pointer": "/held_on", "detail": "must not be in the future"}],
        )


def _no_duplicates(ids: Sequence[uuid.UUID], *, pointer: str, what: str) -> None:
    seen: set[uuid.UUID] = set()
    for i, id_ in enumerate(ids):
        if id_ in seen:
            raise InvalidInput(
                f"The same {what} is given twice.",
                code="duplicate-reference",
                errors=[{"pointer": pointer.format(i=i), "detail": f"duplicate {what}"}],
            )
        seen.add(id_)


# --- follow-up items --------------------------------------------------------------------


def is_overdue(item: FollowUpItem, today: date) -> bool:
    """Open and past its due date (an item due today is not yet overdue)."""
    return item.status == FollowUpStatus.open and item.due_on is not None and item.due_on < today


def follow_up_public(item: FollowUpItem, today: date) -> FollowUpItemPublic:
    """The API shape of a follow-up item, with its source and whether it is overdue."""
    source = None
    if item.training_session_id is not None:
        source = FollowUpSource.training_session
    elif item.practice_review_id is not None:
        source = FollowUpSource.practice_review
    return FollowUpItemPublic(
        id=item.id,
        kind=item.kind,
        description=item.description,
        source=source,
        training_session_id=item.training_session_id,
        practice_review_id=item.practice_review_id,
        owner_employee_id=item.owner_employee_id,
        owner_team_id=item.owner_team_id,
        due_on=item.due_on,
        status=item.status,
        done_at=item.done_at,
        overdue=is_overdue(item, today),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def list_follow_up_items(
    session: Session,
    *,
    params: PageParams,
    today: date,
    owner_employee_id: uuid.UUID | None = None,
    owner_team_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    source: FollowUpSourceFilter | None = None,
    training_session_id: uuid.UUID | None = None,
    practice_review_id: uuid.UUID | None = None,
    kind: FollowUpKind | None = None,
    status: FollowUpStatus | None = None,
    overdue: bool | None = None,
) -> tuple[Sequence[FollowUpItem], str | None]:
    """Items with the API's filters; ``team_id`` matches the team's items and its members'."""
    stmt = where_given(
        select(FollowUpItem),
        FollowUpItem,
        owner_employee_id=owner_employee_id,
        owner_team_id=owner_team_id,
        training_session_id=training_session_id,
        practice_review_id=practice_review_id,
        kind=kind,
        status=status,
    )
    if team_id is not None:
        members = select(col(Employee.id)).where(col(Employee.team_id) == team_id)
        stmt = stmt.where(
            or_(
                col(FollowUpItem.owner_team_id) == team_id,
                col(FollowUpItem.owner_employee_id).in_(members),
            )
        )
    if source == FollowUpSourceFilter.training_session:
        stmt = stmt.where(col(FollowUpItem.training_session_id).is_not(None))
    elif source == FollowUpSourceFilter.practice_review:
        stmt = stmt.where(col(FollowUpItem.practice_review_id).is_not(None))
    elif source == FollowUpSourceFilter.none:
        stmt = stmt.where(
            col(FollowUpItem.training_session_id).is_(None),
            col(FollowUpItem.practice_review_id).is_(None),
        )
    if overdue is not None:
        is_open = col(FollowUpItem.status) == FollowUpStatus.open
        due_on = col(FollowUpItem.due_on)
        # Spelled out both ways: NOT on a NULL due date would drop items without one.
        if overdue:
            stmt = stmt.where(is_open, due_on.is_not(None), due_on < today)
        else:
            stmt = stmt.where(or_(~is_open, due_on.is_(None), due_on >= today))
    return paginate(session, stmt, FollowUpItem, params)


def _resolve_owners(
    session: Session,
    owners: Sequence[tuple[uuid.UUID | None, uuid.UUID | None]],
    *,
    pointer_prefix: str,
) -> None:
    """Each owner is an employee or team of this organisation; 422 naming the first unknown."""
    emp_ids = {e for e, _ in owners if e is not None}
    team_ids = {t for _, t in owners if t is not None}
    emps = set(session.exec(select(col(Employee.id)).where(col(Employee.id).in_(emp_ids))).all())
    teams = set(session.exec(select(col(Team.id)).where(col(Team.id).in_(team_ids))).all())
    for i, (emp_id, team_id) in enumerate(owners):
        where = pointer_prefix.format(i=i)
        if emp_id is not None and emp_id not in emps:
            raise unknown_reference(f"{where}/owner_employee_id", "employee", emp_id)
        if team_id is not None and team_id not in teams:
            raise unknown_reference(f"{where}/owner_team_id", "team", team_id)


def create_follow_up_item(session: Session, *, data: FollowUpItemCreate) -> FollowUpItem:
    """A new item; owner and source must be the organisation's own."""
    _resolve_owners(session, [(data.owner_employee_id, data.owner_team_id)], pointer_prefix="")
    if data.training_session_id is not None:
        resolve_ref(
            session,
            TrainingSession,
            data.training_session_id,
            pointer="/training_session_id",
            what="training session",
        )
    if data.practice_review_id is not None:
        resolve_ref(
            session,
            PracticeReview,
            data.practice_review_id,
            pointer="/practice_review_id",
            what="practice review",
        )
    item = FollowUpItem(**data.model_dump())
    session.add(item)
    session.flush()
    return item


def record_session_follow_up(
    session: Session, *, session_id: uuid.UUID, data: SessionFollowUpCreate
) -> list[FollowUpItem]:
    """Record several items from one training session: all of them, or none (one request)."""
    training = get_scoped(session, TrainingSession, session_id, name="training_session")
    if training.status == SessionStatus.cancelled:
        raise Conflict(
            "The training session was cancelled; it has nothing to follow up.",
            code="session-cancelled",
        )
    _resolve_owners(
        session,
        [(i.owner_employee_id, i.owner_team_id) for i in data.items],
        pointer_prefix="/items/{i}",
    )
    items = [FollowUpItem(**i.model_dump(), training_session_id=training.id) for i in data.items]
    session.add_all(items)
    session.flush()
    return items


def update_follow_up_item(
    session: Session, *, item: FollowUpItem, data: FollowUpItemUpdate, now: datetime | None = None
) -> FollowUpItem:
    """Change an item; `done` records when, reopening or cancelling clears it."""
    changes = data.model_dump(exclude_unset=True)
    if "owner_employee_id" in changes or "owner_team_id" in changes:
        # Naming one owner replaces the other: an item always has exactly one.
        emp = changes.get("owner_employee_id")
        team = changes.get("owner_team_id")
        if (emp is None) == (team is None):
            raise InvalidInput(
                "Give exactly one of owner_employee_id and owner_team_id.",
                code="one-owner",
                errors=[{"pointer": "/owner_employee_id", "detail": "exactly one owner"}],
            )
        _resolve_owners(session, [(emp, team)], pointer_prefix="")
        changes["owner_employee_id"], changes["owner_team_id"] = emp, team
    if "status" in changes and changes["status"] != item.status:
        done = changes["status"] == FollowUpStatus.done
        changes["done_at"] = (now or utcnow()) if done else None
    apply_changes(item, changes)
    session.flush()
    return item


def delete_follow_up_item(session: Session, *, item: FollowUpItem) -> None:
    """Delete an item (entered by mistake; otherwise cancel it)."""
    session.delete(item)
    session.flush()


# --- practice reviews -------------------------------------------------------------------


def default_next_review_on(held_on: date, settings: OrganisationSettings) -> date:
    """held_on + the organisation's review interval (seed: discuss periodically)."""
    return add_months(held_on, settings.review_interval_months)


def _check_next_review(held_on: date, next_review_on: date) -> None:
    if next_review_on <= held_on:
        raise InvalidInput(
            "next_review_on must be after held_on.",
            code="next-review-before-held",
            errors=[{"pointer": "/next_review_on", "detail": "must be after held_on"}],
        )


def _set_ratings(session: Session, review: PracticeReview, ratings: Sequence[SkillRating]) -> None:
    skill_ids = [r.skill_id for r in ratings]
    _no_duplicates(skill_ids, pointer="/ratings/{i}/skill_id", what="skill")
    _resolve_many(session, Skill, skill_ids, pointer="/ratings/{i}/skill_id", what="skill")
    session.execute(
        delete(PracticeReviewRating).where(col(PracticeReviewRating.review_id) == review.id)
    )
    session.add_all(
        PracticeReviewRating(
            review_id=review.id, skill_id=r.skill_id, rating=r.rating, notes=r.notes
        )
        for r in ratings
    )


def _set_participants(
    session: Session, review: PracticeReview, participant_ids: Sequence[uuid.UUID]
) -> None:
    _resolve_many(
        session, Employee, participant_ids, pointer="/participant_ids/{i}", what="employee"
    )
    session.execute(
        delete(PracticeReviewParticipant).where(
            col(PracticeReviewParticipant.review_id) == review.id
        )
    )
    session.add_all(
        PracticeReviewParticipant(
            review_id=review.id, employee_id=eid, organisation_id=review.organisation_id
        )
        for eid in dict.fromkeys(participant_ids)
    )


def list_practice_reviews(
    session: Session,
    *,
    params: PageParams,
    team_id: uuid.UUID | None = None,
    held_from: date | None = None,
    held_to: date | None = None,
) -> tuple[Sequence[PracticeReview], str | None]:
    """Reviews, by team and period."""
    stmt = select(PracticeReview)
    stmt = where_given(stmt, PracticeReview, team_id=team_id)
    stmt = where_range(stmt, col(PracticeReview.held_on), at_least=held_from, at_most=held_to)
    return paginate(session, stmt, PracticeReview, params)


def practice_reviews_public(
    session: Session, reviews: Sequence[PracticeReview]
) -> list[PracticeReviewPublic]:
    """Reviews with their ratings and participants, in three queries whatever the count."""
    ids = [r.id for r in reviews]
    ratings: dict[uuid.UUID, list[SkillRating]] = defaultdict(list)
    people: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if ids:
        for row in session.exec(
            select(PracticeReviewRating)
            .where(col(PracticeReviewRating.review_id).in_(ids))
            .order_by(col(PracticeReviewRating.id))
        ):
            ratings[row.review_id].append(
                SkillRating(skill_id=row.skill_id, rating=row.rating, notes=row.notes)
            )
        org_id = reviews[0].organisation_id
        for review_id, employee_id in session.execute(
            select(
                col(PracticeReviewParticipant.review_id), col(PracticeReviewParticipant.employee_id)
            )
            .where(
                col(PracticeReviewParticipant.organisation_id) == org_id,
                col(PracticeReviewParticipant.review_id).in_(ids),
            )
            .order_by(col(PracticeReviewParticipant.employee_id))
        ):
            people[review_id].append(employee_id)
    return [
        PracticeReviewPublic(
            id=r.id,
            team_id=r.team_id,
            held_on=r.held_on,
            next_review_on=r.next_review_on,
            summary=r.summary,
            ratings=ratings.get(r.id, []),
            participant_ids=people.get(r.id, []),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in reviews
    ]


def create_practice_review(
    session: Session, *, data: PracticeReviewCreate, settings: OrganisationSettings, today: date
) -> PracticeReview:
    """A held review; the next one is due after the organisation's interval unless given."""
    resolve_ref(session, Team, data.team_id, pointer="/team_id", what="team")
    _not_in_future(data.held_on, today)
    next_review_on = data.next_review_on or default_next_review_on(data.held_on, settings)
    _check_next_review(data.held_on, next_review_on)
    review = PracticeReview(
        team_id=data.team_id,
        held_on=data.held_on,
        next_review_on=next_review_on,
        summary=data.summary,
    )
    session.add(review)
    session.flush()
    _set_ratings(session, review, data.ratings)
    _set_participants(session, review, data.participant_ids)
    session.flush()
    return review


def update_practice_review(
    session: Session,
    *,
    review: PracticeReview,
    data: PracticeReviewUpdate,
    settings: OrganisationSettings,
    today: date,
) -> PracticeReview:
    """Change a review; a new held_on without next_review_on moves the next one along."""
    changes = data.model_dump(exclude_unset=True, exclude={"ratings", "participant_ids"})
    held_on = changes.get("held_on", review.held_on)
    _not_in_future(held_on, today)
    if "held_on" in changes and "next_review_on" not in changes:
        changes["next_review_on"] = default_next_review_on(held_on, settings)
    _check_next_review(held_on, changes.get("next_review_on", review.next_review_on))
    apply_changes(review, changes)
    if data.ratings is not None:
        _set_ratings(session, review, data.ratings)
        review.updated_at = utcnow()
    if data.participant_ids is not None:
        _set_participants(session, review, data.participant_ids)
        review.updated_at = utcnow()
    session.flush()
    return review


def delete_practice_review(session: Session, *, review: PracticeReview) -> None:
    """Delete a review; its follow-up items stay, without a source."""
    session.delete(review)
    session.flush()


# --- team meetings ----------------------------------------------------------------------


def list_team_meetings(
    session: Session,
    *,
    params: PageParams,
    team_id: uuid.UUID | None = None,
    held_from: date | None = None,
    held_to: date | None = None,
    safe_resilient_work_on_agenda: bool | None = None,
) -> tuple[Sequence[TeamMeeting], str | None]:
    """Meetings, by team, period and whether the fixed item was on the agenda."""
    stmt = select(TeamMeeting)
    stmt = where_given(
        stmt,
        TeamMeeting,
        team_id=team_id,
        safe_resilient_work_on_agenda=safe_resilient_work_on_agenda,
    )
    stmt = where_range(stmt, col(TeamMeeting.held_on), at_least=held_from, at_most=held_to)
    return paginate(session, stmt, TeamMeeting, params)


def team_meetings_public(
    session: Session, meetings: Sequence[TeamMeeting]
) -> list[TeamMeetingPublic]:
    """Meetings with their agendas, in one query whatever the count."""
    ids = [m.id for m in meetings]
    agendas: dict[uuid.UUID, list[AgendaItemPublic]] = defaultdict(list)
    if ids:
        for row in session.exec(
            select(TeamMeetingAgendaItem)
            .where(col(TeamMeetingAgendaItem.meeting_id).in_(ids))
            .order_by(col(TeamMeetingAgendaItem.meeting_id), col(TeamMeetingAgendaItem.position))
        ):
            agendas[row.meeting_id].append(
                AgendaItemPublic(kind=row.kind, title=row.title, notes=row.notes)
            )
    return [
        TeamMeetingPublic(
            id=m.id,
            team_id=m.team_id,
            held_on=m.held_on,
            notes=m.notes,
            agenda_items=agendas.get(m.id, []),
            safe_resilient_work_on_agenda=m.safe_resilient_work_on_agenda,
            created_at=m.created_at,
            updated_at=m.updated_at,
        )
        for m in meetings
    ]


def _set_agenda(session: Session, meeting: TeamMeeting, items: Sequence[AgendaItem]) -> None:
    session.execute(
        delete(TeamMeetingAgendaItem).where(col(TeamMeetingAgendaItem.meeting_id) == meeting.id)
    )
    session.add_all(
        TeamMeetingAgendaItem(
            meeting_id=meeting.id, position=pos, kind=i.kind, title=i.title or "", notes=i.notes
        )
        for pos, i in enumerate(items, start=1)
    )
    # Derived, never set by the client: the fixed item of seed step 3 is on the agenda.
    meeting.safe_resilient_work_on_agenda = any(
        i.kind == AgendaItemKind.safe_resilient_work for i in items
    )


def create_team_meeting(session: Session, *, data: TeamMeetingCreate, today: date) -> TeamMeeting:
    """A held team meeting with its agenda."""
    resolve_ref(session, Team, data.team_id, pointer="/team_id", what="team")
    _not_in_future(data.held_on, today)
    meeting = TeamMeeting(team_id=data.team_id, held_on=data.held_on, notes=data.notes)
    session.add(meeting)
    session.flush()
    _set_agenda(session, meeting, data.agenda_items)
    session.flush()
    return meeting


def update_team_meeting(
    session: Session, *, meeting: TeamMeeting, data: TeamMeetingUpdate, today: date
) -> TeamMeeting:
    """Change a meeting; a new agenda re-derives whether the fixed item was on it."""
    changes = data.model_dump(exclude_unset=True, exclude={"agenda_items"})
    _not_in_future(changes.get("held_on", meeting.held_on), today)
    apply_changes(meeting, changes)
    if data.agenda_items is not None:
        _set_agenda(session, meeting, data.agenda_items)
        meeting.updated_at = utcnow()
    session.flush()
    return meeting


def delete_team_meeting(session: Session, *, meeting: TeamMeeting) -> None:
    """Delete a meeting and its agenda."""
    session.delete(meeting)
    session.flush()


# --- HRM conversations ------------------------------------------------------------------


def responsible_manager_ids(session: Session, employee: Employee) -> list[uuid.UUID]:
    """The employee's team managers and the active senior management (seed step 4)."""
    org_id = current_organisation_id(session)
    team_managers = (
        select(col(TeamManager.employee_id))
        .where(
            col(TeamManager.organisation_id) == org_id,
            col(TeamManager.team_id) == employee.team_id,
        )
        .scalar_subquery()
    )
    stmt = (
        select(col(Employee.id))
        .where(
            col(Employee.id) != employee.id,
            or_(
                (col(Employee.role) == Role.senior_management) & col(Employee.active),
                col(Employee.id).in_(team_managers),
            ),
        )
        .order_by(col(Employee.id))
    )
    return list(session.exec(stmt).all())


def _check_manager(session: Session, employee: Employee, manager_id: uuid.UUID) -> None:
    manager = resolve_ref(session, Employee, manager_id, pointer="/manager_id", what="employee")
    allowed = responsible_manager_ids(session, employee)
    if manager.id in allowed:
        return
    raise RuleViolation(
        f"{manager.full_name} is not responsible for {employee.full_name}: the HRM "
        "conversation is held by one of the employee's team managers or by senior management.",
        code="manager-not-responsible",
        violations=[
            {
                "rule": "hrm_manager_responsible",
                "message": "The manager must be one of the employee's team managers or "
                "senior management.",
                "manager_id": str(manager.id),
                "allowed_manager_ids": [str(a) for a in allowed],
            }
        ],
    )


def _check_goals(session: Session, employee: Employee, goal_ids: Sequence[uuid.UUID]) -> None:
    _no_duplicates(goal_ids, pointer="/personal_goal_ids/{i}", what="personal goal")
    goals = _resolve_many(
        session, PersonalGoal, goal_ids, pointer="/personal_goal_ids/{i}", what="personal goal"
    )
    foreign = [gid for gid in goal_ids if goals[gid].employee_id != employee.id]
    if foreign:
        raise RuleViolation(
            f"Only {employee.full_name}'s own personal goals can be discussed in their HRM "
            "conversation.",
            code="goal-of-another-employee",
            violations=[
                {
                    "rule": "hrm_goals_of_employee",
                    "message": "Each personal goal discussed must belong to the employee.",
                    "personal_goal_ids": [str(g) for g in foreign],
                }
            ],
        )


def _set_goals(session: Session, conv: HrmConversation, goal_ids: Iterable[uuid.UUID]) -> None:
    session.execute(
        delete(HrmConversationGoal).where(col(HrmConversationGoal.conversation_id) == conv.id)
    )
    session.add_all(
        HrmConversationGoal(
            conversation_id=conv.id, personal_goal_id=gid, organisation_id=conv.organisation_id
        )
        for gid in goal_ids
    )


def list_hrm_conversations(
    session: Session,
    *,
    params: PageParams,
    employee_id: uuid.UUID | None = None,
    manager_id: uuid.UUID | None = None,
    kind: HrmConversationKind | None = None,
    theme_discussed: bool | None = None,
    held_from: date | None = None,
    held_to: date | None = None,
) -> tuple[Sequence[HrmConversation], str | None]:
    """Conversations with the API's filters."""
    stmt = select(HrmConversation)
    stmt = where_given(
        stmt,
        HrmConversation,
        employee_id=employee_id,
        manager_id=manager_id,
        kind=kind,
        theme_discussed=theme_discussed,
    )
    stmt = where_range(stmt, col(HrmConversation.held_on), at_least=held_from, at_most=held_to)
    return paginate(session, stmt, HrmConversation, params)


def hrm_conversations_public(
    session: Session, conversations: Sequence[HrmConversation]
) -> list[HrmConversationPublic]:
    """Conversations with their goals, in one query whatever the count."""
    ids = [c.id for c in conversations]
    goals: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if ids:
        org_id = conversations[0].organisation_id
        for conv_id, goal_id in session.execute(
            select(
                col(HrmConversationGoal.conversation_id), col(HrmConversationGoal.personal_goal_id)
            )
            .where(
                col(HrmConversationGoal.organisation_id) == org_id,
                col(HrmConversationGoal.conversation_id).in_(ids),
            )
            .order_by(col(HrmConversationGoal.personal_goal_id))
        ):
            goals[conv_id].append(goal_id)
    return [
        HrmConversationPublic(
            id=c.id,
            employee_id=c.employee_id,
            manager_id=c.manager_id,
            held_on=c.held_on,
            kind=c.kind,
            theme_discussed=c.theme_discussed,
            personal_goal_ids=goals.get(c.id, []),
            notes=c.notes,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in conversations
    ]


def create_hrm_conversation(
    session: Session, *, data: HrmConversationCreate, today: date
) -> HrmConversation:
    """A held conversation; the manager must be responsible, the goals the employee's own."""
    employee = resolve_ref(
        session, Employee, data.employee_id, pointer="/employee_id", what="employee"
    )
    _not_in_future(data.held_on, today)
    _check_manager(session, employee, data.manager_id)
    _check_goals(session, employee, data.personal_goal_ids)
    conv = HrmConversation(**data.model_dump(exclude={"personal_goal_ids"}))
    session.add(conv)
    session.flush()
    _set_goals(session, conv, data.personal_goal_ids)
    session.flush()
    return conv


def update_hrm_conversation(
    session: Session, *, conv: HrmConversation, data: HrmConversationUpdate, today: date
) -> HrmConversation:
    """Change a conversation; the manager and goal rules are checked again."""
    changes = data.model_dump(exclude_unset=True, exclude={"personal_goal_ids"})
    employee = get_scoped(session, Employee, conv.employee_id)
    _not_in_future(changes.get("held_on", conv.held_on), today)
    if "manager_id" in changes:
        _check_manager(session, employee, changes["manager_id"])
    apply_changes(conv, changes)
    if data.personal_goal_ids is not None:
        _check_goals(session, employee, data.personal_goal_ids)
        _set_goals(session, conv, data.personal_goal_ids)
        conv.updated_at = utcnow()
    session.flush()
    return conv


def delete_hrm_conversation(session: Session, *, conv: HrmConversation) -> None:
    """Delete a conversation."""
    session.delete(conv)
    session.flush()
