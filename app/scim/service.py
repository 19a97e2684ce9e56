"""SCIM operations on employees and teams, through the organisation domain's services.

Every write goes through ``app.organisation.service`` (create_employee, update_employee,
delete_employee, create_team, update_team, delete_team): the same rules (still manages
teams, erased people, deactivation cancelling enrolments in sessions not started), the
same audit trail and change feed (written from the session's flush), the same tenancy.
No SCIM write touches a table any other way.
"""

import uuid
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from scim2_models import Context, PatchOp, SCIMException, ScimPolicy
from sqlmodel import Session, col, or_, select

from app.core.crud import apply_changes
from app.core.dates import today
from app.core.errors import Conflict, NotFound
from app.core.models import touch, utcnow
from app.core.queries import folded
from app.core.tenancy import get_scoped
from app.organisation import service as organisation_service
from app.organisation.models import (
    EXTERNAL_ID_MAX,
    Employee,
    EmployeeCreate,
    EmployeeUpdate,
    Team,
    TeamCreate,
)
from app.organisation.models import TeamUpdate as TeamChange
from app.scim.errors import ScimError
from app.scim.mapping import (
    DELETED,
    PROVISIONED,
    USER_NAME,
    bounded,
    employee_fields,
    group_of,
    is_deleted,
    related,
    user_name_of,
    user_of,
)
from app.scim.schemas import (
    EMPLOYEE_URN,
    ENTERPRISE_URN,
    GROUP_URN,
    USER_URN,
    ScimGroup,
    ScimUser,
)

# Entra ID removes members with a `value` array and creates the entry a path filter names
# (`emails[type eq "work"].value`); both are what its documented requests need.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def scim_invalid(exc: ValidationError | SCIMException) -> ScimError:
    """A refused SCIM payload as a SCIM error (the first problem named)."""
    if isinstance(exc, SCIMException):
        return ScimError(exc.detail, scim_type=exc.scim_type or "invalidValue", status=exc.status)
    errors = exc.errors()
    if not errors:
        return ScimError("The payload is not valid.", scim_type="invalidValue")
    first = errors[0]
    ctx: dict[str, Any] = dict(first.get("ctx") or {})
    scim_type = ctx.get("scim_type") or (
        "invalidSyntax" if first["type"] in ("missing", "model_type") else "invalidValue"
    )
    where = ".".join(str(p) for p in first.get("loc", ()) if not str(p).startswith("function"))
    detail = f"{first['msg']}" + (f" ({where})" if where else "")
    return ScimError(detail[:1000], scim_type=scim_type, status=int(ctx.get("status", 400)))


KNOWN_SCHEMAS = {
    ScimUser: {USER_URN.lower(), ENTERPRISE_URN.lower(), EMPLOYEE_URN.lower()},
    ScimGroup: {GROUP_URN.lower()},
}


def _refuse_unknown_schemas(model: type[ScimUser] | type[ScimGroup], body: dict[str, Any]) -> None:
    # Unknown attributes are ignored (identity providers send what their own mapping has);
    # a schema we do not implement is refused: its data would silently go nowhere.
    named = body.get("schemas")
    urns = [u for u in named if isinstance(u, str)] if isinstance(named, list) else []
    urns += [k for k in body if k.lower().startswith("urn:")]
    unknown = sorted({u for u in urns if u.lower() not in KNOWN_SCHEMAS[model]})
    if unknown:
        raise ScimError(
            f"Unknown schema {', '.join(unknown)}; see /scim/v2/Schemas.", scim_type="invalidValue"
        )


def parse_resource(model: type[ScimUser] | type[ScimGroup], body: Any, ctx: Context) -> Any:
    """A request body as a SCIM resource; 400 with the right scimType when it is not one."""
    if not isinstance(body, dict):
        raise ScimError("The body must be a JSON object.", scim_type="invalidSyntax")
    _refuse_unknown_schemas(model, body)
    try:
        return model.model_validate(body, scim_ctx=ctx, scim_policy=POLICY)
    except (ValidationError, SCIMException) as exc:
        raise scim_invalid(exc) from None


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(resource=what, id_=value) from None


# --- users ------------------------------------------------------------------------------


def get_employee(db: Session, id_: str) -> Employee:
    """The employee a SCIM User id names; 404 when it is not this organisation's, or when
    the provider deleted it (RFC 7644 §3.6, kept for its history: ``delete_user``)."""
    emp = get_scoped(db, Employee, _uuid(id_, "user"), name="user")
    if is_deleted(emp):
        raise NotFound(resource="user", id_=emp.id)
    return emp


def user(db: Session, emp: Employee, base: str) -> ScimUser:
    """One employee as a SCIM User."""
    return user_of(emp, related(db, [emp]), base)


def users(db: Session, emps: list[Employee], base: str) -> list[ScimUser]:
    """Employees as SCIM Users, their teams and function groups read once for all."""
    rel = related(db, emps)
    return [user_of(e, rel, base) for e in emps]


def _refuse_taken_user_name(db: Session, user_name: str | None, emp: Employee | None) -> None:
    if not user_name:
        return
    # Compared with every User's userName as answered, the derived ones included: a new
    # user named as an employee the provider has not named yet is someone else's name.
    stmt = select(Employee.id).where(folded(USER_NAME) == folded(sa.literal(user_name)))
    if emp is not None:
        stmt = stmt.where(col(Employee.id) != emp.id)
    if db.exec(stmt).first() is not None:
        raise ScimError(
            f"Another user already has userName '{user_name}'.", scim_type="uniqueness", status=409
        )


def _write_employee(db: Session, emp: Employee | None, fields: dict[str, Any]) -> Employee:
    scim_only: dict[str, Any] = {
        k: fields.pop(k) for k in ("user_name", "scim_external_id") if k in fields
    }
    user_name = scim_only.get("user_name")
    _release_from_deleted(db, emp, user_name, fields.get("email"))
    if emp is not None and user_name and user_name.casefold() == user_name_of(emp).casefold():
        # The name the employee already answers (a PATCH or PUT writes the whole User back):
        # unchanged, so not checked again, and a derived one stays derived rather than
        # stored (it follows the email until the provider gives a name of its own).
        if emp.user_name is None:
            del scim_only["user_name"]
    else:
        _refuse_taken_user_name(db, user_name, emp)
    try:
        if emp is None:
            data = EmployeeCreate(**fields)
            return organisation_service.create_employee(db, data=data, provisioned=scim_only)
        # Set first, so the update writes them in its own UPDATE (one audit event); the
        # update runs even without other changes, for its rules (an erased employee).
        apply_changes(emp, scim_only)
        changes = {k: v for k, v in fields.items() if getattr(emp, k) != v}
        return organisation_service.update_employee(
            db, employee=emp, data=EmployeeUpdate(**changes)
        )
    except ValidationError as exc:
        raise scim_invalid(exc) from None


def create_user(db: Session, *, body: Any) -> Employee:
    """A new employee from a SCIM User, or the deleted one of its employee number back."""
    resource = parse_resource(ScimUser, body, Context.RESOURCE_CREATION_REQUEST)
    fields = employee_fields(db, resource)
    kept = _deleted_with_number(db, fields.get("external_id"))
    if kept is None:
        return _write_employee(db, None, fields)
    # A rehire: the provider deleted the user and now creates one with the same employee
    # number, the HR key. That is the person kept for their training history, back as the
    # POST says. Only the number says so: a userName, often an address, is in time given
    # to someone else, and the record kept certifies its person's skills.
    back: dict[str, Any] = {"active": True, **fields}
    if kept.ended_on is not None and kept.ended_on <= today():
        back["ended_on"] = None  # or the worker's daily pass deactivates them again
    kept.deprovisioned_at = None
    return _write_employee(db, kept, back)


def _deleted_with_number(db: Session, employee_number: str | None) -> Employee | None:
    if not employee_number:
        return None
    stmt = select(Employee).where(DELETED, col(Employee.external_id) == employee_number)
    # Locked: of two POSTs racing to bring them back, the second then sees them back and
    # is refused as any second user of a taken employee number is.
    return db.exec(stmt.with_for_update()).first()


def _release_from_deleted(
    db: Session, emp: Employee | None, user_name: str | None, email: str | None
) -> None:
    """RFC 7644 §3.6: a deleted User counts in no conflict. The userName or address that a
    User takes from an employee the provider deleted (kept for their history), that
    employee gives up, in an audited change of its own."""
    taken = [folded(sa.literal(v)) for v in {user_name, email} if v]
    if not taken:
        return
    stmt = select(Employee).where(
        DELETED,  # never someone in service, whatever brought them back
        col(Employee.erased_at).is_(None),  # erasure took both already
        or_(folded(USER_NAME).in_(taken), folded(col(Employee.email)).in_(taken)),
    )
    if emp is not None:
        stmt = stmt.where(col(Employee.id) != emp.id)
    for deleted in db.exec(stmt.with_for_update()):
        apply_changes(deleted, {"user_name": None})
        organisation_service.update_employee(db, employee=deleted, data=EmployeeUpdate(email=None))


def replace_user(db: Session, *, emp: Employee, body: Any) -> Employee:
    """PUT: the employee becomes what the SCIM User says (read-only parts excepted)."""
    resource = parse_resource(ScimUser, body, Context.RESOURCE_REPLACEMENT_REQUEST)
    return _write_employee(db, emp, employee_fields(db, resource))


def patch_user(db: Session, *, emp: Employee, body: Any, base: str) -> Employee:
    """PATCH: the operations applied to the current User, the result written back."""
    current = user(db, emp, base)
    patch = _parse_patch(ScimUser, _quirks(body, derived=DERIVED_USER_PATHS))
    try:
        patch.patch(current, scim_policy=POLICY)
    except (ValidationError, SCIMException) as exc:
        raise scim_invalid(exc) from None
    return _write_employee(db, emp, employee_fields(db, current, complete=True))


def delete_user(db: Session, *, emp: Employee) -> None:
    """DELETE: removed when the employee has no history; otherwise deactivated and kept,
    but gone for the provider (RFC 7644 §3.6: 404 afterwards, in no list)."""
    try:
        organisation_service.delete_employee(db, employee=emp)
    except Conflict:
        # Training history is kept (issue 22): the same deactivation as `active: false`,
        # in the same UPDATE as the mark (one audit event, one change in the feed). One
        # already inactive (or erased, which nothing may change) only gets the mark.
        emp.deprovisioned_at = utcnow()
        if emp.active:
            organisation_service.update_employee(
                db, employee=emp, data=EmployeeUpdate(active=False)
            )
        else:
            db.flush()


# A User's attributes derived here (read-only): the full name, and the team's name and
# manager. Entra ID's default mapping for a new application writes department and manager:
# refused, they would take the rest of its PATCH with them (a leaver's `active: false`).
_ENTERPRISE = ENTERPRISE_URN.lower()
DERIVED_USER_PATHS = ("displayname", f"{_ENTERPRISE}:department", f"{_ENTERPRISE}:manager")


def _derived(path: str, derived: tuple[str, ...]) -> bool:
    path = path.lower()
    return any(path == d or path.startswith(f"{d}.") for d in derived)


def _quirks(body: Any, *, derived: tuple[str, ...] = ()) -> Any:
    """What identity providers send beside RFC 7644, made plain before parsing.

    - ``derived`` attributes (a user's ``displayName``, ``department``, ``manager``) are
      dropped from operations rather than refused (RFC 7643: read-only values are ignored),
      whether named by the path, as a key of a path-less value, or inside the extension's;
    - Entra ID removes members with ``[{"$ref": null, "value": "..."}]``: the null keys
      are dropped, so the entries select by ``value`` alone.
    """
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        return body
    kept = []
    for op in body["Operations"]:
        if not isinstance(op, dict):
            kept.append(op)
            continue
        if _derived(str(op.get("path", "")), derived):
            continue
        value = op.get("value")
        if "path" not in op and isinstance(value, dict):
            op = {**op, "value": _without_derived(value, derived)}
        elif str(op.get("path", "")).lower() == _ENTERPRISE and isinstance(value, dict):
            op = {**op, "value": _without_derived(value, derived, prefix=f"{_ENTERPRISE}:")}
        if isinstance(value, list):
            op = {**op, "value": [_without_nulls(item) for item in value]}
        kept.append(op)
    return {**body, "Operations": kept} if kept else body


def _without_derived(value: dict[str, Any], derived: tuple[str, ...], prefix: str = "") -> Any:
    kept: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if _derived(path, derived):
            continue
        if path.lower() == _ENTERPRISE and isinstance(item, dict):
            item = _without_derived(item, derived, prefix=f"{_ENTERPRISE}:")
        kept[key] = item
    return kept


def _without_nulls(item: Any) -> Any:
    return {k: v for k, v in item.items() if v is not None} if isinstance(item, dict) else item


def _parse_patch(model: type[ScimUser] | type[ScimGroup], body: Any) -> Any:
    if not isinstance(body, dict):
        raise ScimError("The body must be a JSON object.", scim_type="invalidSyntax")
    try:
        return PatchOp[model].model_validate(  # type: ignore[valid-type]
            body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
        )
    except (ValidationError, SCIMException) as exc:
        raise scim_invalid(exc) from None


# --- groups -----------------------------------------------------------------------------


def get_team(db: Session, id_: str) -> Team:
    """The team a SCIM Group id names; 404 when it is not this organisation's."""
    return get_scoped(db, Team, _uuid(id_, "group"), name="group")


def members_of(db: Session, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Employee]]:
    """The employees of these teams, by team, in one query."""
    out: dict[uuid.UUID, list[Employee]] = {t: [] for t in team_ids}
    if team_ids:
        stmt = (
            select(Employee)
            .where(col(Employee.team_id).in_(team_ids), PROVISIONED)
            .order_by(col(Employee.id))
        )
        for emp in db.exec(stmt):
            assert emp.team_id is not None
            out[emp.team_id].append(emp)
    return out


def group(db: Session, team: Team, base: str) -> ScimGroup:
    """One team as a SCIM Group."""
    return group_of(team, members_of(db, [team.id])[team.id], base)


def _member_ids(resource: ScimGroup) -> list[uuid.UUID]:
    ids = []
    for member in resource.members or []:
        try:
            ids.append(uuid.UUID(str(member.value)))
        except ValueError:
            raise ScimError(
                f"No user with id '{member.value}'.", scim_type="invalidValue"
            ) from None
    return list(dict.fromkeys(ids))


def _set_members(db: Session, team: Team, wanted: list[uuid.UUID]) -> None:
    current = {e.id: e for e in members_of(db, [team.id])[team.id]}
    joining = [i for i in wanted if i not in current]
    found = {
        e.id: e for e in db.exec(select(Employee).where(col(Employee.id).in_(joining), PROVISIONED))
    }
    missing = [str(i) for i in joining if i not in found]
    if missing:
        raise ScimError(f"No user with id {', '.join(missing)}.", scim_type="invalidValue")
    leaving = [emp for emp_id, emp in current.items() if emp_id not in wanted]
    for emp in leaving:
        organisation_service.update_employee(db, employee=emp, data=EmployeeUpdate(team_id=None))
    for emp_id in joining:
        organisation_service.update_employee(
            db, employee=found[emp_id], data=EmployeeUpdate(team_id=team.id)
        )
    # A Group's members are part of it: its version (ETag, meta.version) must change with
    # them, or an If-Match PUT based on the old member list would silently undo a PATCH.
    if joining or leaving:
        touch(team)
        db.flush()


def _write_team(db: Session, team: Team | None, resource: ScimGroup) -> Team:
    name = resource.display_name or ""
    try:
        if team is None:
            team = organisation_service.create_team(db, data=TeamCreate(name=name))
        elif team.name != name:
            team = organisation_service.update_team(db, team=team, data=TeamChange(name=name))
    except ValidationError as exc:
        raise scim_invalid(exc) from None
    external_id = bounded(resource.external_id, EXTERNAL_ID_MAX, "externalId")
    if apply_changes(team, {"scim_external_id": external_id}):
        db.flush()
    _set_members(db, team, _member_ids(resource))
    return team


def create_group(db: Session, *, body: Any) -> Team:
    """A new team from a SCIM Group; its members move into it."""
    resource = parse_resource(ScimGroup, body, Context.RESOURCE_CREATION_REQUEST)
    return _write_team(db, None, resource)


def replace_group(db: Session, *, team: Team, body: Any) -> Team:
    """PUT: name, externalId and the member list replaced (managers are kept)."""
    resource = parse_resource(ScimGroup, body, Context.RESOURCE_REPLACEMENT_REQUEST)
    return _write_team(db, team, resource)


def patch_group(db: Session, *, team: Team, body: Any, base: str) -> Team:
    """PATCH: the operations applied to the current Group, the result written back."""
    current = group(db, team, base)
    patch = _parse_patch(ScimGroup, _quirks(body))
    try:
        patch.patch(current, scim_policy=POLICY)
    except (ValidationError, SCIMException) as exc:
        raise scim_invalid(exc) from None
    return _write_team(db, team, current)


def delete_group(db: Session, *, team: Team) -> None:
    """DELETE: the members leave the team, then the team goes (409 when it has history)."""
    _set_members(db, team, [])
    # And the employees of the team the provider deleted (no members of the Group any
    # more, still of the team for their history): a Group it emptied is one it may delete.
    for emp in db.exec(select(Employee).where(col(Employee.team_id) == team.id, DELETED)):
        if emp.erased_at is None:
            organisation_service.update_employee(
                db, employee=emp, data=EmployeeUpdate(team_id=None)
            )
        else:  # nothing about them may change, but a team identifies no one
            apply_changes(emp, {"team_id": None})
    db.flush()
    organisation_service.delete_team(db, team=team)
