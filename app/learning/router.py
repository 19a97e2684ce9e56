"""HTTP routes: skills, function-group needs, team goals, personal goals, team needs."""

from fastapi import APIRouter, Response

from app.core.auth import ReadPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.errors import Violation
from app.core.resource import Docs, Resource, validated
from app.core.responses import READ, READ_ONE, WRITE, WRITE_ONE
from app.core.sessions import ReadSession, WriteSession
from app.learning import organisation_goals, service
from app.learning.models import (
    Alignment,
    AlignmentCheck,
    FunctionGroupNeeds,
    FunctionGroupNeedsUpdate,
    PersonalGoal,
    PersonalGoalCheck,
    PersonalGoalCreate,
    PersonalGoalPublic,
    PersonalGoalUpdate,
    Skill,
    SkillCreate,
    SkillPublic,
    SkillUpdate,
    TeamGoal,
    TeamGoalCreate,
    TeamGoalPublic,
    TeamGoalUpdate,
    TeamLearningNeeds,
)
from app.organisation.dependencies import FunctionGroupDep, FunctionGroupForUpdate, TeamDep
from app.organisation.models import Employee

router = APIRouter()


def _personal_public(goal: object) -> PersonalGoalPublic:
    return PersonalGoalPublic.model_validate(goal, from_attributes=True)


SKILLS = Resource(
    model=Skill,
    id_param="skill_id",
    schemas=(SkillCreate, SkillUpdate, SkillPublic),
    public=validated(SkillPublic),
    create=lambda db, data, _: service.create_skill(db, data=data),
    update=lambda db, skill, data, _: service.update_skill(db, skill=skill, data=data),
    delete=lambda db, skill: service.delete_skill(db, skill=skill),
    docs=Docs(
        create="Add an organisation's own skill; `code` must be new in the organisation.",
        read="One skill.",
        update="Relabel or retire a skill; 409 when retiring a built-in skill or one still in use.",
        delete="Delete an unused own skill; the nine built-in skills cannot be deleted (409).",
    ),
)
TEAM_GOALS = Resource(
    model=TeamGoal,
    id_param="team_goal_id",
    schemas=(TeamGoalCreate, TeamGoalUpdate, TeamGoalPublic),
    public=lambda db, goal, _: service.team_goals_public(db, [goal])[0],
    create=lambda db, data, _: service.create_team_goal(db, data=data),
    update=lambda db, goal, data, _: service.update_team_goal(db, goal=goal, data=data),
    delete=lambda db, goal: service.delete_team_goal(db, goal=goal),
    docs=Docs(
        create="Create a team objective for one skill, optionally derived from norms or the "
        "protocol.",
        read="One team objective.",
        update="Change a team objective; archiving it makes the personal goals it served "
        "`unaligned`.",
        delete="Delete a team objective no personal goal refers to (409: archive it instead).",
    ),
)
PERSONAL_GOALS = Resource(
    model=PersonalGoal,
    id_param="personal_goal_id",
    schemas=(PersonalGoalCreate, PersonalGoalUpdate, PersonalGoalPublic),
    public=validated(PersonalGoalPublic),
    create=lambda db, data, principal: service.create_personal_goal(
        db, org=principal.organisation, data=data
    ),
    update=lambda db, goal, data, principal: service.update_personal_goal(
        db, org=principal.organisation, goal=goal, data=data
    ),
    delete=lambda db, goal: service.delete_personal_goal(db, goal=goal),
    docs=Docs(
        create="Create a personal goal serving an active team objective (else 409 "
        "`goal-not-aligned`).",
        read="One personal goal with its alignment.",
        update="Change a personal goal; a new skill or team goal, or reopening it, re-runs the "
        "rule.",
        delete="Delete a personal goal (set status `dropped` to keep it in the history instead).",
    ),
)


# --- skills -----------------------------------------------------------------------------


service.SKILL_LIST.add_route(router)
SKILLS.add_routes(router)


# --- function-group needs ---------------------------------------------------------------


@router.get(
    "/function-groups/{function_group_id}/needs", tags=["function-groups"], responses=READ_ONE
)
def get_function_group_needs(
    fg: FunctionGroupDep, db: ReadSession, response: Response
) -> FunctionGroupNeeds:
    """The skills a function group needs: its own (`custom`) or by exposure (`default`)."""
    set_etag(response, fg)
    return service.function_group_needs(db, fg=fg)


@router.put(
    "/function-groups/{function_group_id}/needs", tags=["function-groups"], responses=WRITE_ONE
)
def set_function_group_needs(
    fg: FunctionGroupForUpdate,
    data: FunctionGroupNeedsUpdate,
    db: WriteSession,
    response: Response,
    if_match: IfMatch = None,
) -> FunctionGroupNeeds:
    """Set the organisation's own needs for a function group (replaces the whole list)."""
    check_if_match(if_match, fg)
    needs = service.set_function_group_needs(db, fg=fg, data=data)
    set_etag(response, fg)
    return needs


@router.delete(
    "/function-groups/{function_group_id}/needs",
    tags=["function-groups"],
    status_code=204,
    responses=WRITE,
)
def reset_function_group_needs(
    fg: FunctionGroupForUpdate, db: WriteSession, if_match: IfMatch = None
) -> Response:
    """Drop the organisation's own needs: the defaults by exposure level apply again."""
    check_if_match(if_match, fg)
    service.reset_function_group_needs(db, fg=fg)
    return Response(status_code=204)


# --- team goals -------------------------------------------------------------------------


service.TEAM_GOAL_LIST.add_route(router)
TEAM_GOALS.add_routes(router)


# --- personal goals ---------------------------------------------------------------------


service.PERSONAL_GOAL_LIST.add_route(router)
PERSONAL_GOALS.add_routes(router)


@router.post(
    "/personal-goals/check",
    tags=["personal-goals"],
    responses=READ,
)
def check_personal_goal(
    data: PersonalGoalCheck, principal: ReadPrincipal, db: ReadSession
) -> AlignmentCheck:
    """Run the alignment rule without storing anything (for the goal form)."""
    employee = service.body_ref(
        db, Employee, data.employee_id, pointer="/employee_id", what="employee"
    )
    result = service.check_alignment(
        db, employee=employee, skill_id=data.skill_id, team_goal_id=data.team_goal_id
    )
    allowed = result.aligned or principal.organisation.settings.allow_unaligned_personal_goals
    return AlignmentCheck(
        alignment=Alignment.aligned if result.aligned else Alignment.unaligned,
        aligned_team_goal_id=result.aligned_team_goal_id,
        allowed=allowed,
        violations=[Violation.model_validate(result.violation)] if result.violation else [],
    )


# --- team learning needs ----------------------------------------------------------------


@router.get("/teams/{team_id}/learning-needs", tags=["teams"], responses=READ)
def get_team_learning_needs(team: TeamDep, db: ReadSession) -> TeamLearningNeeds:
    """Per skill: members needing it, team goals covering it, personal goals targeting it."""
    return service.team_learning_needs(db, team=team)


# --- organisation-level goals (issue 20, item 9) --------------------------------------------

ORGANISATION_GOALS = Resource(
    model=organisation_goals.OrganisationGoal,
    id_param="organisation_goal_id",
    schemas=(
        organisation_goals.OrganisationGoalCreate,
        organisation_goals.OrganisationGoalUpdate,
        organisation_goals.OrganisationGoalPublic,
    ),
    public=validated(organisation_goals.OrganisationGoalPublic),
    create=lambda db, data, _: organisation_goals.create_goal(db, data=data),
    update=lambda db, goal, data, _: organisation_goals.update_goal(db, goal=goal, data=data),
    delete=lambda db, goal: organisation_goals.delete_goal(db, goal=goal),
    docs=Docs(
        create="Add an objective of the organisation as a whole; team goals serve it "
        "(`organisation_goal_id`).",
        read="One organisation goal.",
        update="Change an organisation goal (`status: archived` to retire it).",
        delete="Delete an organisation goal no team goal serves; otherwise 409: archive it.",
    ),
)


organisation_goals.ORGANISATION_GOAL_LIST.add_route(router)
ORGANISATION_GOALS.add_routes(router)
