"""The alignment rule for personal goals, re-evaluated when a team goal or a team changes."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.core.errors import RuleViolation
from app.learning.models import (
    OPEN_PERSONAL_GOAL_STATUSES,
    Alignment,
    PersonalGoal,
    PersonalGoalCreate,
    Skill,
    TeamGoal,
    TeamGoalStatus,
)
from app.learning.skills import body_ref, usable_skill
from app.organisation.models import (
    Employee,
    Organisation,
    Team,
)


@dataclass(frozen=True)
class AlignmentResult:
    """The verdict of the alignment rule: the team goal served, or the violation."""

    aligned_team_goal_id: uuid.UUID | None
    violation: dict[str, Any] | None

    @property
    def aligned(self) -> bool:
        return self.violation is None


def check_alignment(
    db: Session,
    *,
    employee: Employee,
    skill_id: uuid.UUID,
    team_goal_id: uuid.UUID | None,
) -> AlignmentResult:
    """Run the alignment rule (seed step 3: check each personal goal against the team's
    objectives): an *active* goal of the employee's *own* team with the same skill; a given
    ``team_goal_id`` must be exactly such a goal. Raises 404 for an unknown skill or team goal.
    """
    skill = body_ref(db, Skill, skill_id, pointer="/skill_id", what="skill")
    chosen = (
        body_ref(db, TeamGoal, team_goal_id, pointer="/team_goal_id", what="team goal")
        if team_goal_id is not None
        else None
    )
    objectives: list[tuple[TeamGoal, str]] = []
    if employee.team_id is not None:
        objectives = [
            (g, code)
            for g, code in db.exec(
                select(TeamGoal, Skill.code)
                .join(Skill, col(Skill.id) == col(TeamGoal.skill_id))
                .where(
                    col(TeamGoal.team_id) == employee.team_id,
                    col(TeamGoal.status) == TeamGoalStatus.active,
                )
                .order_by(col(TeamGoal.id))
            ).all()
        ]
    if chosen is not None:
        if chosen.team_id != employee.team_id:
            reason, why = "team-goal-of-other-team", "the chosen team goal is another team's"
        elif chosen.status != TeamGoalStatus.active:
            reason, why = "team-goal-not-active", f"the chosen team goal is {chosen.status}"
        elif chosen.skill_id != skill_id:
            reason, why = "team-goal-other-skill", "the chosen team goal is about another skill"
        else:
            return AlignmentResult(aligned_team_goal_id=chosen.id, violation=None)
    elif employee.team_id is None:
        reason, why = "no-team", "the employee belongs to no team"
    else:
        match = next((g for g, _ in objectives if g.skill_id == skill_id), None)
        if match is not None:
            return AlignmentResult(aligned_team_goal_id=match.id, violation=None)
        reason, why = "no-active-team-goal", "no active objective of the team has this skill"
    team = db.get(Team, employee.team_id) if employee.team_id is not None else None
    listed = "; ".join(f"{code} ({g.description[:120]})" for g, code in objectives) or "none"
    message = (
        f"A personal goal for '{skill.code}' must serve an active objective of "
        f"{employee.full_name}'s own team ({team.name if team else 'no team'}): {why}. "
        f"The team's active objectives: {listed}."
    )
    violation: dict[str, Any] = {
        "rule": "alignment",
        "message": message,
        "reason": reason,
        "employee_id": str(employee.id),
        "team_id": str(employee.team_id) if employee.team_id else None,
        "team_name": team.name if team else None,
        "skill_id": str(skill.id),
        "skill_code": skill.code,
        "team_goal_id": str(team_goal_id) if team_goal_id else None,
        "team_objectives": [
            {
                "team_goal_id": str(g.id),
                "skill_id": str(g.skill_id),
                "skill_code": code,
                "description": g.description,
            }
            for g, code in objectives
        ],
    }
    return AlignmentResult(aligned_team_goal_id=None, violation=violation)


def refuse_unaligned(result: AlignmentResult) -> None:
    """Raise the 409 ``goal-not-aligned`` problem for an unaligned verdict."""
    assert result.violation is not None
    raise RuleViolation(
        result.violation["message"], code="goal-not-aligned", violations=[result.violation]
    )


def create_personal_goal(
    db: Session, *, org: Organisation, data: PersonalGoalCreate
) -> PersonalGoal:
    """Store a personal goal that serves a team objective; an unaligned one is refused (409
    ``goal-not-aligned``) unless the organisation allows unaligned goals, then flagged.
    """
    employee = body_ref(db, Employee, data.employee_id, pointer="/employee_id", what="employee")
    usable_skill(db, data.skill_id, pointer="/skill_id")
    result = check_alignment(
        db, employee=employee, skill_id=data.skill_id, team_goal_id=data.team_goal_id
    )
    if not result.aligned and not org.settings.allow_unaligned_personal_goals:
        refuse_unaligned(result)
    goal = PersonalGoal(
        employee_id=employee.id,
        skill_id=data.skill_id,
        description=data.description,
        team_goal_id=data.team_goal_id,
        status=data.status,
        alignment=Alignment.aligned if result.aligned else Alignment.unaligned,
        aligned_team_goal_id=result.aligned_team_goal_id,
    )
    db.add(goal)
    db.flush()
    return goal


# --- re-evaluation ----------------------------------------------------------------------


def reevaluate_personal_goals(db: Session, *, goals: Sequence[PersonalGoal]) -> int:
    """Run the alignment rule again over stored goals after the team or its goals changed.

    Never refuses and never deletes: a goal that no longer serves an active objective of the
    employee's current team becomes ``unaligned``; one that does again becomes ``aligned``.
    Four queries at most, whatever the number of goals. Returns how many goals changed.
    """
    if not goals:
        return 0
    employee_ids = {g.employee_id for g in goals}
    team_of = dict(
        db.exec(
            select(Employee.id, Employee.team_id).where(col(Employee.id).in_(employee_ids))
        ).all()
    )
    team_ids = {t for t in team_of.values() if t is not None}
    active: dict[tuple[uuid.UUID, uuid.UUID], list[uuid.UUID]] = defaultdict(list)
    if team_ids:
        for tg_id, t_id, s_id in db.exec(
            select(TeamGoal.id, TeamGoal.team_id, TeamGoal.skill_id)
            .where(
                col(TeamGoal.team_id).in_(team_ids),
                col(TeamGoal.status) == TeamGoalStatus.active,
            )
            .order_by(col(TeamGoal.id))
        ).all():
            active[(t_id, s_id)].append(tg_id)
    changed = 0
    for goal in goals:
        team_id = team_of.get(goal.employee_id)
        candidates = active.get((team_id, goal.skill_id), []) if team_id else []
        if goal.team_goal_id is not None:
            target = goal.team_goal_id if goal.team_goal_id in candidates else None
        elif goal.aligned_team_goal_id in candidates:
            target = goal.aligned_team_goal_id
        else:
            target = candidates[0] if candidates else None
        alignment = Alignment.aligned if target is not None else Alignment.unaligned
        if (goal.alignment, goal.aligned_team_goal_id) != (alignment, target):
            goal.alignment = alignment
            goal.aligned_team_goal_id = target
            changed += 1
    db.flush()
    return changed


def open_goals_touching(db: Session, team_goal: TeamGoal) -> Sequence[PersonalGoal]:
    # Goals that served this team goal, named it, or could serve it (members, same skill).
    members = select(col(Employee.id)).where(col(Employee.team_id) == team_goal.team_id)
    return db.exec(
        select(PersonalGoal).where(
            col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
            or_(
                col(PersonalGoal.aligned_team_goal_id) == team_goal.id,
                col(PersonalGoal.team_goal_id) == team_goal.id,
                (col(PersonalGoal.skill_id) == team_goal.skill_id)
                & col(PersonalGoal.employee_id).in_(members),
            ),
        )
    ).all()


def on_employee_team_changed(
    db: Session, employee: Employee, old_team_id: uuid.UUID | None
) -> None:
    """Hook: an employee moved team, so their open personal goals are judged anew."""
    del old_team_id
    goals = db.exec(
        select(PersonalGoal).where(
            col(PersonalGoal.employee_id) == employee.id,
            col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
        )
    ).all()
    reevaluate_personal_goals(db, goals=goals)
