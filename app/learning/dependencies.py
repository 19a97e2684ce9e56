"""Fetch-or-404 dependencies for path ids of the learning domain."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.core.auth import DbSession, ReadPrincipal
from app.core.tenancy import get_scoped
from app.learning.models import PersonalGoal, Skill, TeamGoal


def _skill(skill_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal) -> Skill:
    return get_scoped(session, Skill, skill_id)


def _team_goal(
    team_goal_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> TeamGoal:
    return get_scoped(session, TeamGoal, team_goal_id, name="team goal")


def _personal_goal(
    personal_goal_id: Annotated[uuid.UUID, Path()], session: DbSession, _p: ReadPrincipal
) -> PersonalGoal:
    return get_scoped(session, PersonalGoal, personal_goal_id, name="personal goal")


SkillDep = Annotated[Skill, Depends(_skill)]
TeamGoalDep = Annotated[TeamGoal, Depends(_team_goal)]
PersonalGoalDep = Annotated[PersonalGoal, Depends(_personal_goal)]
