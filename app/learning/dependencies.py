"""Fetch-or-404 dependencies for path ids of the learning domain."""

from typing import Annotated

from fastapi import Depends

from app.core.sessions import reader, writer
from app.learning.models import PersonalGoal, Skill, TeamGoal

SkillDep = Annotated[Skill, Depends(reader(Skill, "skill_id"))]
SkillForUpdate = Annotated[Skill, Depends(writer(Skill, "skill_id"))]
TeamGoalDep = Annotated[TeamGoal, Depends(reader(TeamGoal, "team_goal_id", name="team goal"))]
TeamGoalForUpdate = Annotated[TeamGoal, Depends(writer(TeamGoal, "team_goal_id", name="team goal"))]
PersonalGoalDep = Annotated[
    PersonalGoal, Depends(reader(PersonalGoal, "personal_goal_id", name="personal goal"))
]
PersonalGoalForUpdate = Annotated[
    PersonalGoal, Depends(writer(PersonalGoal, "personal_goal_id", name="personal goal"))
]
