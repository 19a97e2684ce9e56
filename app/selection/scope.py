"""Who a plan's scope covers, as SQL, and the fingerprint of every input a plan reads."""

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, true
from sqlmodel import Session, col, select

from app.core.tenancy import current_organisation_id
from app.incidents.models import Incident
from app.learning.models import (
    FunctionGroupNeed,
    PersonalGoal,
    Skill,
    TeamGoal,
)
from app.organisation.models import (
    MANAGER_ROLES,
    Employee,
    FunctionGroup,
    Organisation,
    Role,
    Team,
    TeamManager,
)
from app.policy.models import Protocol, ProtocolAcknowledgement, TeamDiscussion
from app.selection.models import PlanScope
from app.training.models import (
    Enrolment,
    ProgramSkill,
    TrainingCompletion,
    TrainingProgram,
    TrainingSession,
)


def scope_condition(scope: PlanScope) -> ColumnElement[bool]:
    """SQL: the employee is in the scope's team or function group (any, for the whole)."""
    if scope.team_id is not None:
        return col(Employee.team_id) == scope.team_id
    if scope.function_group_id is not None:
        return col(Employee.function_group_id) == scope.function_group_id
    return true()


def managers_condition(db: Session, scope: PlanScope) -> ColumnElement[bool]:
    """The managers responsible for the scope's staff (managers first: seed step 4):
    senior management, and the managers of the teams the staff belong to."""
    if scope.team_id is None and scope.function_group_id is None:
        return true()
    if scope.team_id is not None:
        teams: Any = [scope.team_id]
    else:
        teams = select(col(Employee.team_id)).where(
            col(Employee.function_group_id) == scope.function_group_id,
            col(Employee.active).is_(True),
            col(Employee.team_id).is_not(None),
        )
    team_managers = select(col(TeamManager.employee_id)).where(
        col(TeamManager.team_id).in_(teams),
        col(TeamManager.organisation_id) == current_organisation_id(db),
    )
    return or_(
        col(Employee.role) == Role.senior_management,
        and_(col(Employee.role).in_(MANAGER_ROLES), col(Employee.id).in_(team_managers)),
    )


def people_condition(db: Session, scope: PlanScope) -> ColumnElement[bool]:
    """SQL: an active employee of the scope, or one of its responsible managers."""
    return and_(
        col(Employee.active).is_(True),
        or_(scope_condition(scope), managers_condition(db, scope)),
    )


def scope_people_ids(db: Session, scope: PlanScope) -> Select[Any]:
    """The ids of ``people_condition``, as a subquery."""
    return select(col(Employee.id)).where(people_condition(db, scope))


def data_version(db: Session, *, scope: PlanScope) -> str:
    """A fingerprint of every input a plan for this scope is computed from, in one query.

    Per input table the row count and the latest ``updated_at`` (it moves on every change,
    core/models.py; a change of links touches their parent), restricted to the scope's
    people where the rows are theirs. Any insert, change or delete therefore changes the
    fingerprint.
    """
    org = current_organisation_id(db)
    people = select(col(Employee.id)).where(
        col(Employee.organisation_id) == org,
        or_(scope_condition(scope), col(Employee.role).in_(MANAGER_ROLES)),
    )
    whole = scope.team_id is None and scope.function_group_id is None

    def mine(model: Any, employee_col: Any = None) -> list[ColumnElement[bool]]:
        conds = [model.organisation_id == org]
        if employee_col is not None and not whole:
            conds.append(employee_col.in_(people))
        return conds

    def stats(model: Any, *conds: ColumnElement[bool]) -> list[Any]:
        return [
            select(func.count()).select_from(model).where(*conds).scalar_subquery(),
            select(func.max(model.updated_at)).where(*conds).scalar_subquery(),
        ]

    sessions_of_people = select(col(Enrolment.session_id)).where(
        *mine(Enrolment, col(Enrolment.employee_id))
    )
    columns = [
        *stats(
            Employee,
            *mine(Employee),
            or_(scope_condition(scope), col(Employee.role).in_(MANAGER_ROLES)),
        ),
        *stats(Team, *mine(Team)),
        select(func.count()).select_from(TeamManager).where(*mine(TeamManager)).scalar_subquery(),
        *stats(FunctionGroup, *mine(FunctionGroup)),
        *stats(FunctionGroupNeed, *mine(FunctionGroupNeed)),
        *stats(Skill, *mine(Skill)),
        *stats(TeamGoal, *mine(TeamGoal)),
        *stats(PersonalGoal, *mine(PersonalGoal, col(PersonalGoal.employee_id))),
        *stats(TrainingProgram, *mine(TrainingProgram)),
        select(func.count()).select_from(ProgramSkill).where(*mine(ProgramSkill)).scalar_subquery(),
        *stats(TrainingCompletion, *mine(TrainingCompletion, col(TrainingCompletion.employee_id))),
        *stats(Enrolment, *mine(Enrolment, col(Enrolment.employee_id))),
        *stats(
            TrainingSession,
            *mine(TrainingSession),
            col(TrainingSession.id).in_(sessions_of_people),
        ),
        *stats(Protocol, *mine(Protocol)),
        *stats(
            ProtocolAcknowledgement,
            *mine(ProtocolAcknowledgement, col(ProtocolAcknowledgement.employee_id)),
        ),
        *stats(TeamDiscussion, *mine(TeamDiscussion)),
        # Incidents raise needs (issue 21): a new, changed or purged one changes the plan.
        *stats(Incident, *mine(Incident)),
        # The settings: exposure bands and the months of incidents that weigh (issue 20,
        # item 12) change levels and needs.
        select(col(Organisation.updated_at)).where(col(Organisation.id) == org).scalar_subquery(),
    ]
    row = db.execute(select(*columns)).one()
    raw = "|".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in row)
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
