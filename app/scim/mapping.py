"""Employees and teams as SCIM Users and Groups, and back.

| SCIM (User) | employee |
|---|---|
| ``userName`` | ``user_name`` (0013, unique per organisation), else as ``user_name_of`` |
| ``externalId`` | ``scim_external_id`` (the identity provider's own key) |
| ``name.givenName``, ``middleName``, ``familyName`` | first name, tussenvoegsel, last name |
| ``displayName`` | the full name (read-only) |
| ``emails[0].value`` | ``email`` (one address, answered as ``type: work``) |
| ``active`` | ``active`` |
| enterprise ``employeeNumber`` | ``external_id`` (the HR key of /v1) |
| enterprise ``department``, ``manager`` | the team's name and first manager (read-only) |
| veerkracht ``functionGroup``, ``role`` | function group (by external id or name), role |
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from scim2_models import Meta
from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from app.core.concurrency import etag_of
from app.core.queries import uuid_text
from app.organisation import service as organisation_service
from app.organisation.models import (
    EXTERNAL_ID_MAX,
    Employee,
    FunctionGroup,
    Role,
    Team,
)
from app.scim.errors import ScimError
from app.scim.schemas import (
    Email,
    EmployeeRole,
    EnterpriseUser,
    GroupMember,
    GroupMembership,
    Manager,
    Name,
    ScimGroup,
    ScimUser,
    VeerkrachtEmployee,
)


def user_name_of(emp: Employee) -> str:
    """The userName of an employee (RFC 7643 section 4.1.1: every User has one).

    The identity provider's own, once it has named the employee. Before that (an employee
    made through /v1 or an import) their work email, which is what Entra ID's and Okta's
    userName usually is, so the provider finds them by userName and takes them over
    instead of making a second employee of the same person; else their employee number;
    else their id. ``USER_NAME`` is the same rule in SQL, for filters, sorting and the
    uniqueness check.
    """
    return emp.user_name or emp.email or emp.external_id or str(emp.id)


# RFC 7644 §3.6: a User the provider deleted answers 404 and is in no list, also when the
# employee is kept for their history (``service.delete_user``).
# Deleted: marked by the DELETE and still inactive. Whatever brings them back into service
# makes them a User again, whether it clears the mark (/v1: update_employee) or not (an
# import's `actief`, a set-based upsert).
DELETED = sa.and_(col(Employee.deprovisioned_at).is_not(None), col(Employee.active).is_(False))
PROVISIONED = sa.not_(DELETED)


def is_deleted(emp: Employee) -> bool:
    """Whether the provider deleted the employee (``DELETED``, for a loaded row)."""
    return emp.deprovisioned_at is not None and not emp.active


USER_NAME = func.coalesce(
    col(Employee.user_name),
    col(Employee.email),
    col(Employee.external_id),
    uuid_text(col(Employee.id)),
)


@dataclass
class Related:
    """What users need beside their own rows: teams, function groups, team managers."""

    teams: dict[uuid.UUID, Team] = field(default_factory=dict)
    function_groups: dict[uuid.UUID, FunctionGroup] = field(default_factory=dict)
    managers: dict[uuid.UUID, list[Employee]] = field(default_factory=dict)


def related(db: Session, employees: Sequence[Employee]) -> Related:
    """Teams, function groups and team managers of these employees, in four queries."""
    team_ids = {e.team_id for e in employees if e.team_id}
    fg_ids = {e.function_group_id for e in employees if e.function_group_id}
    out = Related()
    if team_ids:
        out.teams = {t.id: t for t in db.exec(select(Team).where(col(Team.id).in_(team_ids)))}
        by_team = organisation_service.manager_ids_by_team(db, team_ids)
        ids = {m for ms in by_team.values() for m in ms}
        people = {
            e.id: e for e in db.exec(select(Employee).where(col(Employee.id).in_(ids), PROVISIONED))
        }
        out.managers = defaultdict(list)
        for team_id, manager_ids in by_team.items():
            out.managers[team_id] = [people[m] for m in manager_ids if m in people]
    if fg_ids:
        out.function_groups = {
            f.id: f for f in db.exec(select(FunctionGroup).where(col(FunctionGroup.id).in_(fg_ids)))
        }
    return out


def _meta(kind: str, obj: Employee | Team, base: str) -> Meta:
    return Meta(
        resource_type=kind,
        created=obj.created_at,
        last_modified=obj.updated_at,
        location=f"{base}/{kind}s/{obj.id}",
        version=etag_of(obj),
    )


def user_of(emp: Employee, rel: Related, base: str) -> ScimUser:
    """An employee as a SCIM User (every attribute; the caller narrows it)."""
    team = rel.teams.get(emp.team_id) if emp.team_id else None
    fg = rel.function_groups.get(emp.function_group_id) if emp.function_group_id else None
    managers = rel.managers.get(team.id, []) if team else []
    boss = next((m for m in managers if m.id != emp.id), None)
    user = ScimUser(
        id=str(emp.id),
        external_id=emp.scim_external_id,
        user_name=user_name_of(emp),
        name=Name(
            given_name=emp.first_name,
            middle_name=emp.name_particle,
            family_name=emp.last_name,
        ),
        display_name=emp.full_name,
        emails=[Email(value=emp.email, type="work")] if emp.email else None,
        active=emp.active,
        groups=[
            GroupMembership(value=str(team.id), ref=f"{base}/Groups/{team.id}", display=team.name)
        ]
        if team
        else None,
        meta=_meta("User", emp, base),
    )
    user[EnterpriseUser] = EnterpriseUser(
        employee_number=emp.external_id,
        department=team.name if team else None,
        manager=Manager(
            value=str(boss.id), ref=f"{base}/Users/{boss.id}", display_name=boss.full_name
        )
        if boss
        else None,
    )
    user[VeerkrachtEmployee] = VeerkrachtEmployee(
        function_group=(fg.external_id or fg.name) if fg else None,
        role=EmployeeRole(str(emp.role)),
    )
    return user


def group_of(team: Team, members: Sequence[Employee], base: str) -> ScimGroup:
    """A team as a SCIM Group with its members."""
    return ScimGroup(
        id=str(team.id),
        external_id=team.scim_external_id,
        display_name=team.name,
        members=[
            GroupMember(value=str(m.id), ref=f"{base}/Users/{m.id}", type="User")
            for m in members
        ] or None,
        meta=_meta("Group", team, base),
    )  # fmt: skip


def _function_group_id(db: Session, wanted: str) -> uuid.UUID:
    found = db.exec(
        select(FunctionGroup.id).where(
            or_(
                col(FunctionGroup.external_id) == wanted,
                func.lower(col(FunctionGroup.name)) == wanted.lower(),
            )
        )
    ).first()
    if found is None:
        raise ScimError(
            f"No function group with external id or name '{wanted}': create it through "
            "/v1/function-groups first.",
            scim_type="invalidValue",
        )
    return found


def bounded(value: str | None, limit: int, attribute: str) -> str | None:
    """A value kept only for SCIM, refused when longer than its column (the /v1 fields are
    checked by their schemas): SQLite would store it whole, PostgreSQL refuse it."""
    if value is not None and len(value) > limit:
        raise ScimError(f"{attribute} is longer than {limit} characters.", scim_type="invalidValue")
    return value


def employee_fields(db: Session, user: ScimUser, *, complete: bool = False) -> dict[str, Any]:
    """The employee columns a SCIM User sets; POST, PUT and PATCH all end here.

    ``complete``: the User is the whole new state (PATCH applied to the current one), so a
    missing Veerkracht extension was removed: no function group, the default role. A PUT
    without it keeps both (Okta replaces users with what its own profile maps)."""
    name = user.name
    if name is None or not name.given_name or not name.family_name:
        raise ScimError(
            "name.givenName and name.familyName are required.", scim_type="invalidValue"
        )
    emails = user.emails or []
    email = emails[0] if emails else None
    # One address is kept: the first (Entra ID and Okta send their work address only).
    if user.user_name is not None and not user.user_name.strip():
        # Required (RFC 7643 §4.1.1): empty, the User would answer its derived name while
        # filters, which read the column, found none.
        raise ScimError("userName must not be empty.", scim_type="invalidValue")
    fields: dict[str, Any] = {
        "user_name": user.user_name,  # at most USER_NAME_MAX: ScimUser says so
        "scim_external_id": bounded(user.external_id, EXTERNAL_ID_MAX, "externalId"),
        "first_name": name.given_name,
        "name_particle": name.middle_name or None,
        "last_name": name.family_name,
        "email": str(email.value).lower() if email and email.value else None,
    }
    # Without `active` a new employee is active and an existing one keeps what they are.
    if user.active is not None:
        fields["active"] = bool(user.active)
    enterprise = user[EnterpriseUser]
    fields["external_id"] = (enterprise.employee_number or None) if enterprise else None
    extension = user[VeerkrachtEmployee]
    if extension is None and complete:
        extension = VeerkrachtEmployee(function_group=None, role=None)
    if extension is not None and extension.function_group:
        fields["function_group_id"] = _function_group_id(db, extension.function_group)
    elif extension is not None:
        fields["function_group_id"] = None
    if extension is not None:
        role = extension.role
        fields["role"] = role.value if role is not None else Role.employee
    return fields
