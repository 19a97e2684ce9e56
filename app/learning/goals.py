"""Team goals, personal goals (changes, lists) and a team's learning-needs overview."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.core.crud import apply_changes, delete_or_conflict, set_links
from app.core.errors import Conflict, NotFound
from app.core.listing import Clauses, ListFilters, Listing, rendered_with_links
from app.core.models import touch
from app.learning.alignment import (
    check_alignment,
    open_goals_touching,
    reevaluate_personal_goals,
    refuse_unaligned,
)
from app.learning.models import (
    OPEN_PERSONAL_GOAL_STATUSES,
    Alignment,
    NeedPriority,
    PersonalGoal,
    PersonalGoalPublic,
    PersonalGoalStatus,
    PersonalGoalUpdate,
    Skill,
    TeamGoal,
    TeamGoalCreate,
    TeamGoalNorm,
    TeamGoalPublic,
    TeamGoalStatus,
    TeamGoalUpdate,
    TeamLearningNeeds,
    TeamSkillNeed,
)
from app.learning.needs import needs_by_function_group
from app.learning.organisation_goals import OrganisationGoal
from app.learning.skills import body_ref, sort_key, usable_skill
from app.organisation.models import (
    Employee,
    Organisation,
    Team,
)
from app.policy.models import Norm, ProtocolSection


def update_personal_goal(
    db: Session, *, org: Organisation, goal: PersonalGoal, data: PersonalGoalUpdate
) -> PersonalGoal:
    """Change a personal goal; a new skill or team goal, or reopening it, re-runs the rule."""
    changes = data.model_dump(exclude_unset=True)
    skill_id = changes.get("skill_id", goal.skill_id)
    team_goal_id = changes.get("team_goal_id", goal.team_goal_id)
    status = changes.get("status", goal.status)
    reopened = (
        status in OPEN_PERSONAL_GOAL_STATUSES and goal.status not in OPEN_PERSONAL_GOAL_STATUSES
    )
    recheck = skill_id != goal.skill_id or team_goal_id != goal.team_goal_id or reopened
    if recheck:
        if skill_id != goal.skill_id or reopened:
            # A retired skill takes no new or reopened goals (it could not be retired
            # while one was open).
            usable_skill(db, skill_id, pointer="/skill_id" if "skill_id" in changes else "/status")
        employee = db.get(Employee, goal.employee_id)
        assert employee is not None
        result = check_alignment(
            db, employee=employee, skill_id=skill_id, team_goal_id=team_goal_id
        )
        if not result.aligned and not org.settings.allow_unaligned_personal_goals:
            refuse_unaligned(result)
        changes["alignment"] = Alignment.aligned if result.aligned else Alignment.unaligned
        changes["aligned_team_goal_id"] = result.aligned_team_goal_id
    apply_changes(goal, changes)
    db.flush()
    return goal


class PersonalGoalFilters(ListFilters):
    clauses: ClassVar[Clauses] = {
        # The goals of the team's current members.
        "team_id": lambda team_id: col(PersonalGoal.employee_id).in_(
            select(col(Employee.id)).where(col(Employee.team_id) == team_id)
        ),
        "team_goal_id": lambda goal_id: col(PersonalGoal.aligned_team_goal_id) == goal_id,
    }

    employee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = Field(
        default=None, description="Goals of the team's current members."
    )
    skill_id: uuid.UUID | None = None
    team_goal_id: uuid.UUID | None = Field(
        default=None, description="Goals serving this team objective."
    )
    status: PersonalGoalStatus | None = None
    alignment: Alignment | None = None


PERSONAL_GOAL_LIST = Listing(
    model=PersonalGoal,
    filters=PersonalGoalFilters,
    public=PersonalGoalPublic,
    doc="Personal learning goals; filter by employee, team, skill, team goal, status, alignment.",
)


def delete_personal_goal(db: Session, *, goal: PersonalGoal) -> None:
    """Delete a personal goal nothing refers to (drop it otherwise: status ``dropped``)."""
    delete_or_conflict(
        db,
        goal,
        "The personal goal is referenced (e.g. by an HRM conversation); set status "
        "'dropped' instead.",
        code="still-referenced",
    )


# --- team goals -------------------------------------------------------------------------


def _check_sources(
    db: Session,
    *,
    section_id: uuid.UUID | None,
    norm_ids: Sequence[uuid.UUID] | None,
) -> None:
    if section_id is not None:
        body_ref(
            db,
            ProtocolSection,
            section_id,
            pointer="/source_protocol_section_id",
            what="protocol section",
        )
    if norm_ids:
        found = set(db.exec(select(Norm.id).where(col(Norm.id).in_(set(norm_ids)))).all())
        for i, nid in enumerate(norm_ids):
            if nid not in found:
                raise NotFound(
                    f"No norm with id {nid} in this organisation.",
                    errors=[{"pointer": f"/source_norm_ids/{i}", "detail": "unknown norm"}],
                )


def _set_norms(db: Session, goal: TeamGoal, norm_ids: Sequence[uuid.UUID]) -> bool:
    return set_links(db, col(TeamGoalNorm.team_goal_id), col(TeamGoalNorm.norm_id), goal, norm_ids)


# Team goals with their source norms, in one query whatever the count.
team_goals_public = rendered_with_links(
    TeamGoalPublic, "source_norm_ids", col(TeamGoalNorm.team_goal_id), col(TeamGoalNorm.norm_id)
)


class TeamGoalFilters(ListFilters):
    team_id: uuid.UUID | None = None
    skill_id: uuid.UUID | None = None
    status: TeamGoalStatus | None = None


TEAM_GOAL_LIST = Listing(
    model=TeamGoal,
    filters=TeamGoalFilters,
    public=TeamGoalPublic,
    render=team_goals_public,
    doc="Team objectives; filter by team, skill or status.",
)


def _check_organisation_goal(db: Session, goal_id: uuid.UUID | None) -> None:
    if goal_id is not None:
        body_ref(db, OrganisationGoal, goal_id, pointer="/organisation_goal_id",
                 what="organisation goal")  # fmt: skip


def create_team_goal(db: Session, *, data: TeamGoalCreate) -> TeamGoal:
    """A team objective for one skill; members' unaligned goals for it become aligned."""
    body_ref(db, Team, data.team_id, pointer="/team_id", what="team")
    usable_skill(db, data.skill_id, pointer="/skill_id")
    _check_sources(db, section_id=data.source_protocol_section_id, norm_ids=data.source_norm_ids)
    _check_organisation_goal(db, data.organisation_goal_id)
    goal = TeamGoal(**data.model_dump(exclude={"source_norm_ids"}))
    db.add(goal)
    db.flush()
    _set_norms(db, goal, data.source_norm_ids)
    db.flush()
    if goal.status == TeamGoalStatus.active:
        reevaluate_personal_goals(db, goals=open_goals_touching(db, goal))
    return goal


def update_team_goal(db: Session, *, goal: TeamGoal, data: TeamGoalUpdate) -> TeamGoal:
    """Change a team goal; a change of status re-evaluates the personal goals it touches
    (archived: they become ``unaligned`` unless another active objective serves them).
    """
    changes = data.model_dump(exclude_unset=True, exclude={"source_norm_ids"})
    _check_sources(
        db,
        section_id=changes.get("source_protocol_section_id"),
        norm_ids=data.source_norm_ids,
    )
    _check_organisation_goal(db, changes.get("organisation_goal_id"))
    old_status = goal.status
    if changes.get("status") == TeamGoalStatus.active and old_status != TeamGoalStatus.active:
        usable_skill(
            db, goal.skill_id, pointer="/status"
        )  # an active objective needs a current skill
    changed = apply_changes(goal, changes)
    if data.source_norm_ids is not None:
        if _set_norms(db, goal, data.source_norm_ids):
            touch(goal)
    db.flush()
    if "status" in changed and old_status != goal.status:
        reevaluate_personal_goals(db, goals=open_goals_touching(db, goal))
    return goal


def delete_team_goal(db: Session, *, goal: TeamGoal) -> None:
    """Delete a team goal no personal goal refers to; archive it otherwise."""
    referenced = db.exec(
        select(PersonalGoal.id)
        .where(
            or_(
                col(PersonalGoal.team_goal_id) == goal.id,
                col(PersonalGoal.aligned_team_goal_id) == goal.id,
            )
        )
        .limit(1)
    ).first()
    if referenced is not None:
        raise Conflict(
            "Personal goals refer to this team goal; archive it (status 'archived') instead, "
            "so they are re-evaluated and kept.",
            code="team-goal-in-use",
        )
    delete_or_conflict(
        db,
        goal,
        "The team goal is still referenced; archive it instead.",
        code="still-referenced",
    )


# --- team learning needs ----------------------------------------------------------------


def team_learning_needs(db: Session, *, team: Team) -> TeamLearningNeeds:
    """Per skill: members needing it, active team goals covering it, open personal goals.

    A fixed number of queries (at most 7), whatever the team size.
    """
    members_by_fg: dict[uuid.UUID | None, int] = dict(
        db.exec(
            select(Employee.function_group_id, func.count())
            .where(col(Employee.team_id) == team.id, col(Employee.active).is_(True))
            .group_by(col(Employee.function_group_id))
        ).all()
    )
    fg_ids = [fg for fg in members_by_fg if fg is not None]
    needs = needs_by_function_group(db, function_group_ids=fg_ids)
    needing: dict[uuid.UUID, int] = defaultdict(int)
    requiring: dict[uuid.UUID, int] = defaultdict(int)
    for fg_id, skill_needs in needs.items():
        for skill_id, priority in skill_needs:
            needing[skill_id] += members_by_fg[fg_id]
            if priority == NeedPriority.required:
                requiring[skill_id] += members_by_fg[fg_id]
    goals: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for goal_id, skill_id in db.exec(
        select(TeamGoal.id, TeamGoal.skill_id)
        .where(col(TeamGoal.team_id) == team.id, col(TeamGoal.status) == TeamGoalStatus.active)
        .order_by(col(TeamGoal.id))
    ).all():
        goals[skill_id].append(goal_id)
    personal = dict(
        db.exec(
            select(PersonalGoal.skill_id, func.count())
            .join(Employee, col(Employee.id) == col(PersonalGoal.employee_id))
            .where(
                col(Employee.team_id) == team.id,
                col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
            )
            .group_by(col(PersonalGoal.skill_id))
        ).all()
    )
    relevant = set(needing) | set(goals) | set(personal)
    skills = db.exec(
        select(Skill).where(or_(col(Skill.retired).is_(False), col(Skill.id).in_(relevant)))
    ).all()
    return TeamLearningNeeds(
        team_id=team.id,
        member_count=sum(members_by_fg.values()),
        members_without_function_group=members_by_fg.get(None, 0),
        skills=[
            TeamSkillNeed(
                skill_id=s.id,
                skill_code=s.code,
                label_nl=s.label_nl,
                label_en=s.label_en,
                pillar=s.pillar,
                members_needing=needing.get(s.id, 0),
                members_requiring=requiring.get(s.id, 0),
                covered_by_team_goal=bool(goals.get(s.id)),
                team_goal_ids=goals.get(s.id, []),
                personal_goal_count=personal.get(s.id, 0),
            )
            for s in sorted(skills, key=sort_key)
        ],
    )
