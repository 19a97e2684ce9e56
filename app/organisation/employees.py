"""Employees: the list as stored JSON, changes, the still-manages-teams rule and deactivation."""

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import String, Uuid, bindparam, or_, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from app.core.concurrency import etag_for
from app.core.crud import apply_changes, delete_or_conflict, refuse_existing, resolve_ref
from app.core.dates import today
from app.core.errors import Conflict, NotFound
from app.core.models import bulk_update
from app.core.pagination import PageEnd, PageParams, as_uuid, paginate
from app.core.problems import ProblemCode
from app.core.queries import chunks, contains_text, where_given
from app.core.rowcache import RowJsonCache
from app.core.sqljson import joined_words, json_object
from app.core.tenancy import ORG_KEY, bind_organisation, current_organisation_id
from app.organisation.hooks import HOOKS
from app.organisation.models import (
    MANAGER_ROLES,
    Employee,
    EmployeeCreate,
    EmployeePublic,
    EmployeeUpdate,
    FunctionGroup,
    Role,
    Team,
    TeamManager,
    full_name,
)

PATH = "/v1/employees"


def _check_employee_refs(db: Session, team_id: uuid.UUID | None, fg_id: uuid.UUID | None) -> None:
    if team_id is not None:
        resolve_ref(db, Team, team_id, pointer="/team_id", what="team")
    if fg_id is not None:
        resolve_ref(db, FunctionGroup, fg_id, pointer="/function_group_id", what="function group")


def list_employees(
    db: Session,
    *,
    params: PageParams,
    team_id: uuid.UUID | None = None,
    team_external_id: str | None = None,
    function_group_id: uuid.UUID | None = None,
    role: Role | None = None,
    active: bool | None = None,
    external_id: str | None = None,
    q: str | None = None,
) -> tuple[list[str], PageEnd]:
    """Employees with the API's filters; ``q`` matches first and last name, the full name
    and email, case-insensitively.

    Returns each employee as ``EmployeePublic`` JSON text (core/sqljson.py), and the next
    cursor. The page is read as ids and versions first; the JSON of versions seen before
    comes from core/rowcache.py, the rest from one more query.
    """
    stmt: Any = select(_EMPLOYEE_KEY, _EMPLOYEE_VERSION)
    stmt = where_given(
        stmt,
        Employee,
        team_id=team_id,
        function_group_id=function_group_id,
        role=role,
        active=active,
        external_id=external_id,
    )
    if team_external_id is not None:
        stmt = stmt.where(
            col(Employee.team_id).in_(
                select(col(Team.id)).where(col(Team.external_id) == team_external_id)
            )
        )
    if q:
        dialect = db.get_bind().dialect.name
        stmt = stmt.where(
            or_(
                *(
                    contains_text(c, q, dialect)
                    for c in (
                        col(Employee.first_name),
                        col(Employee.last_name),
                        col(Employee.email),
                        # The name as the API writes it (full_name), so an HR officer finds
                        # "Mirjam van der Berg" by her full name and by the surname with its
                        # tussenvoegsel ("van der Berg", "'t Hooft"), which ends it.
                        _FULL_NAME,
                    )
                )
            )
        )
    rows: Sequence[Any]
    rows, cursor = paginate(db, stmt, Employee, params)

    def fetch(keys: list[Any]) -> Sequence[Any]:
        return db.execute(
            select(_EMPLOYEE_KEY, _EMPLOYEE_VERSION, employee_json(db)).where(
                col(Employee.id).in_([as_uuid(k) for k in keys])
            )
        ).all()

    return _EMPLOYEE_JSON.texts([(r[0], r[1]) for r in rows], fetch), cursor


# An employee row's id and version as the driver gives them (no conversion: they are only
# compared and used as keys; a UUID object per row of a page was a tenth of its time), and
# the JSON of versions already written (core/rowcache.py).
_EMPLOYEE_KEY = type_coerce(col(Employee.id), String).label("id")
_EMPLOYEE_VERSION = type_coerce(col(Employee.updated_at), String)
_EMPLOYEE_JSON = RowJsonCache("employee")

# full_name() of organisation/models.py, in SQL: a missing or empty tussenvoegsel is left
# out, so it never makes the whole name NULL (core/sqljson.py).
_FULL_NAME = joined_words(
    [col(Employee.first_name), col(Employee.name_particle), col(Employee.last_name)]
)


@lru_cache(maxsize=4)
def _employee_json(dialect: str) -> ColumnElement[str]:
    # The row's EmployeePublic shape, written by the database (core/sqljson.py).
    columns = {name: col(getattr(Employee, name)) for name in EmployeePublic.model_fields}
    return json_object(dialect, EmployeePublic, columns, computed={"full_name": _FULL_NAME})


def employee_json(db: Session) -> ColumnElement[str]:
    """The column that holds an employee row as ``EmployeePublic`` JSON text."""
    return _employee_json(db.get_bind().dialect.name)


@lru_cache(maxsize=4)
def _one_employee_json(dialect: str) -> Any:
    # Built once: the hottest read would otherwise spend longer building the statement
    # than running it. The organisation filter is still added per execution (core/tenancy).
    return select(_employee_json(dialect), col(Employee.updated_at)).where(
        col(Employee.id) == bindparam("employee_id", type_=Uuid())
    )


def employee_public_json(db: Session, *, employee_id: uuid.UUID) -> tuple[str, str]:
    """One employee as ``EmployeePublic`` JSON text, and its ETag; 404 when not ours."""
    stmt = _one_employee_json(db.get_bind().dialect.name)
    row = db.execute(stmt, {"employee_id": employee_id}).first()
    if row is None:
        raise NotFound(resource="employee", id_=employee_id)
    return row[0], etag_for(employee_id, row[1])


def create_employee(
    db: Session, *, data: EmployeeCreate, provisioned: dict[str, Any] | None = None
) -> Employee:
    """A new employee; team and function group must be the organisation's own.

    ``provisioned``: the columns only SCIM provisioning writes (``user_name``,
    ``scim_external_id``; app/scim), stored in the same insert."""
    _check_employee_refs(db, data.team_id, data.function_group_id)
    refuse_existing(db, Employee, PATH, external_id=data.external_id, email=data.email)
    emp = Employee(**data.model_dump(), **(provisioned or {}))
    if emp.ended_on is not None and emp.ended_on <= today():
        emp.active = False
    db.add(emp)
    db.flush()
    return emp


def update_employee(db: Session, *, employee: Employee, data: EmployeeUpdate) -> Employee:
    """Change an employee; moving team re-evaluates their personal goals."""
    if employee.erased_at is not None:
        # Erasure (AVG/GDPR) is final: the row stays only so history remains countable.
        raise Conflict(
            "This employee's personal data was erased; the record can no longer be changed.",
            code="employee-erased",
        )
    changes = data.model_dump(exclude_unset=True)
    _check_employee_refs(db, changes.get("team_id"), changes.get("function_group_id"))
    refuse_existing(
        db,
        Employee,
        PATH,
        exclude=employee.id,
        external_id=changes.get("external_id"),
        email=changes.get("email"),
    )
    if "role" in changes and changes["role"] not in MANAGER_ROLES:
        _refuse_if_managing(db, employee, changes["role"])
    old_team = employee.team_id
    ended = changes.get("ended_on")
    if ended is not None and ended <= today() and changes.get("active", employee.active):
        # Datum uit dienst today or earlier: out of service now (a later day: the worker).
        changes["active"] = False
    if changes.get("active") and employee.deprovisioned_at is not None:
        # Back in service: no longer someone the identity provider deleted (app/scim), so
        # its Users list them again, and it may take them over by userName.
        changes["deprovisioned_at"] = None
    changed = apply_changes(employee, changes)
    db.flush()
    if "team_id" in changed:
        # Personal goals are re-checked against the new team's (the alignment rule).
        for hook in HOOKS.employee_team_changed:
            hook(db, employee, old_team)
    if "active" in changed and not employee.active:
        employees_deactivated(db, employee_ids=[employee.id])
    return employee


def _refuse_if_managing(db: Session, employee: Employee, role: Role) -> None:
    managed = managed_teams(db, employee_ids=[employee.id]).get(employee.id)
    refusal = still_manages_teams(managed, role)
    if managed is not None and refusal is not None:
        raise Conflict(
            refusal,
            code=STILL_MANAGES_TEAMS,
            errors=[{"pointer": "/role", "detail": "still manages a team"}],
            team_ids=[str(t) for t in managed.team_ids],
        )


# --- the still-manages-teams rule (issue 2) ---------------------------------------------
# Team managers must have a manager role. A PATCH of one employee and an import of a whole
# file both judge a role change with these two functions.

STILL_MANAGES_TEAMS: ProblemCode = "still-manages-teams"


@dataclass(frozen=True, slots=True)
class ManagedTeams:
    """An employee who manages teams, and those teams: what a refusal names."""

    employee_id: uuid.UUID
    external_id: str | None
    full_name: str
    team_ids: tuple[uuid.UUID, ...]
    team_names: tuple[str, ...]


def managed_teams(
    db: Session, *, employee_ids: Collection[uuid.UUID] | None = None
) -> dict[uuid.UUID, ManagedTeams]:
    """Employees who manage teams, by id, with the teams they manage: one query.

    ``employee_ids`` narrows it to those employees; ``None`` answers for every manager of
    the organisation (an import judges a whole file against them: one row per team link).
    """
    stmt = (
        sa_select(
            col(Employee.id),
            col(Employee.external_id),
            col(Employee.first_name),
            col(Employee.name_particle),
            col(Employee.last_name),
            col(Team.id),
            col(Team.name),
        )
        .join(TeamManager, col(TeamManager.employee_id) == col(Employee.id))
        .join(Team, col(Team.id) == col(TeamManager.team_id))
        .where(col(TeamManager.organisation_id) == current_organisation_id(db))
        .order_by(col(Team.name), col(Team.id))
    )
    if employee_ids is not None:
        stmt = stmt.where(col(TeamManager.employee_id).in_(list(employee_ids)))
    teams: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = defaultdict(list)
    people: dict[uuid.UUID, tuple[str | None, str]] = {}
    for emp_id, external_id, first, particle, last, team_id, team_name in db.execute(stmt):
        people[emp_id] = (external_id, full_name(first, particle, last))
        teams[emp_id].append((team_id, team_name))
    return {
        emp_id: ManagedTeams(
            employee_id=emp_id,
            external_id=external_id,
            full_name=name,
            team_ids=tuple(t for t, _n in teams[emp_id]),
            team_names=tuple(n for _t, n in teams[emp_id]),
        )
        for emp_id, (external_id, name) in people.items()
    }


def still_manages_teams(managed: ManagedTeams | None, role: str) -> str | None:
    """Why ``role`` cannot be given to this employee (rule ``still-manages-teams``: a team
    manager must have a manager role), or None when it can."""
    if managed is None or role in MANAGER_ROLES:
        return None
    count = len(managed.team_ids)
    teams = ", ".join(managed.team_names)
    return (
        f"{managed.full_name} still manages {count} team{'s' if count != 1 else ''} "
        f"({teams}), and a team manager must have role 'team_manager' or "
        f"'senior_management' (rule {STILL_MANAGES_TEAMS}): remove them as manager first "
        "(the team's manager_ids, or manager_external_ids in a teams import), then give "
        f"them role '{role}'."
    )


# --- deactivation ------------------------------------------------------------------------

# Other domains react to employees being deactivated (training cancels their enrolments in
# sessions that have not started) through HOOKS, without this module importing them.


def employees_deactivated(
    db: Session, *, employee_ids: Sequence[uuid.UUID], dry_run: bool = False
) -> list[str]:
    """Run the deactivation hooks for these employees (any number, set-based)."""
    if not employee_ids:
        return []
    notes: list[str] = []
    for hook in HOOKS.employees_deactivated:
        notes += hook(db, employee_ids, dry_run=dry_run)
    return notes


def deactivate_ended(db: Session, *, today: date) -> int:
    """Deactivate active employees whose end date (datum uit dienst) has come, in every
    organisation, running the deactivation hooks as a PATCH does; returns how many.

    The worker's daily pass (``veerkracht worker``); the caller commits.
    """
    stmt = sa_select(col(Employee.id), col(Employee.organisation_id)).where(
        col(Employee.active).is_(True),
        col(Employee.ended_on).is_not(None),
        col(Employee.ended_on) <= today,
    )
    by_org: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for emp_id, org_id in db.execute(stmt):
        by_org[org_id].append(emp_id)
    previous = db.info.get(ORG_KEY)
    try:
        for org_id, ids in by_org.items():
            bind_organisation(db, org_id)
            for part in chunks(ids):
                db.execute(
                    bulk_update(Employee)
                    .where(col(Employee.id).in_(part), col(Employee.active).is_(True))
                    .values(active=False)
                )
            employees_deactivated(db, employee_ids=ids)
    finally:
        if previous is None:
            db.info.pop(ORG_KEY, None)
        else:
            db.info[ORG_KEY] = previous
    return sum(len(ids) for ids in by_org.values())


def delete_employee(db: Session, *, employee: Employee) -> None:
    """Delete an employee without history; one with training history is deactivated instead."""
    delete_or_conflict(
        db,
        employee,
        "The employee has history (trainings, goals, acknowledgements) or manages a team; "
        "deactivate them (active=false) instead.",
        code="employee-has-history",
    )
