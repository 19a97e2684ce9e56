"""Factories for skills, function-group needs, team goals and personal goals."""

import itertools
from typing import Any

from sqlmodel import Session, select

from app.core.tenancy import current_organisation_id
from app.learning.models import (
    Alignment,
    FunctionGroupNeed,
    NeedPriority,
    PersonalGoal,
    Skill,
    TeamGoal,
    TeamGoalStatus,
)
from app.organisation.models import Employee, FunctionGroup, Team

_seq = itertools.count(1)


def skill(session: Session, code: str) -> Skill:
    """A skill of the session's organisation by code (the nine built-in ones always exist)."""
    org_id = current_organisation_id(session)
    return session.exec(
        select(Skill).where(Skill.code == code, Skill.organisation_id == org_id)
    ).one()


def make_skill(session: Session, **overrides: Any) -> Skill:
    n = next(_seq)
    row = Skill(
        **{
            "code": f"eigen_vaardigheid_{n}",
            "label_nl": f"Eigen vaardigheid {n}",
            "label_en": f"Own skill {n}",
            "pillar": 3,
            **overrides,
        }
    )
    session.add(row)
    session.flush()
    return row


def make_team_goal(
    session: Session, *, team: Team, skill_row: Skill | None = None, **overrides: Any
) -> TeamGoal:
    """An active team goal (default skill: de-escalation)."""
    target = skill_row or skill(session, "deescalation")
    goal = TeamGoal(
        **{
            "team_id": team.id,
            "skill_id": target.id,
            "description": f"Het team de-escaleert samen ({next(_seq)})",
            "status": TeamGoalStatus.active,
            "organisation_id": team.organisation_id,
            **overrides,
        }
    )
    session.add(goal)
    session.flush()
    return goal


def make_personal_goal(
    session: Session,
    *,
    employee: Employee,
    team_goal: TeamGoal | None = None,
    skill_row: Skill | None = None,
    **overrides: Any,
) -> PersonalGoal:
    """A stored personal goal, aligned with ``team_goal`` when given (no rule is run)."""
    skill_id = skill_row.id if skill_row else team_goal.skill_id if team_goal else None
    assert skill_id is not None, "give a team goal or a skill"
    goal = PersonalGoal(
        **{
            "employee_id": employee.id,
            "skill_id": skill_id,
            "description": "Ik wil rustig blijven als een cliënt boos wordt",
            "alignment": Alignment.aligned if team_goal else Alignment.unaligned,
            "aligned_team_goal_id": team_goal.id if team_goal else None,
            "organisation_id": employee.organisation_id,
            **overrides,
        }
    )
    session.add(goal)
    session.flush()
    return goal


def set_needs(
    session: Session, fg: FunctionGroup, needs: list[tuple[Skill, NeedPriority]]
) -> list[FunctionGroupNeed]:
    """Give a function group its own needs (``custom_needs``)."""
    rows = [
        FunctionGroupNeed(
            function_group_id=fg.id,
            skill_id=s.id,
            priority=p,
            organisation_id=fg.organisation_id,
        )
        for s, p in needs
    ]
    session.add_all(rows)
    fg.custom_needs = True
    session.flush()
    return rows
