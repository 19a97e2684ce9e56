"""Import kinds of the organisation: function groups, teams (with managers) and employees.

Import order for a new organisation: function groups, teams, employees, then teams again
with ``manager_external_ids`` (managers must exist as employees with a manager role).
"""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import col

from app.core.models import bulk_update, utcnow
from app.core.queries import chunks
from app.imports.cells import boolean, choice, email, id_list, integer, parse_date, text
from app.imports.kinds import (
    CHUNK,
    Context,
    Directory,
    Kind,
    Outcome,
    changed_links,
    in_,
    lookup_by_key,
    replace_links,
    table_of,
    upsert,
)
from app.imports.parsing import Column, Record, RowError
from app.organisation import service as organisation_service
from app.organisation.hooks import HOOKS
from app.organisation.models import (
    EXTERNAL_ID_MAX,
    MANAGER_ROLES,
    NAME_MAX,
    TEXT_MAX,
    Employee,
    FunctionGroup,
    Role,
    Team,
    TeamManager,
)

EXTERNAL_ID_ALIASES = ("externalid", "extern id", "externe id", "id", "code")

# --- function groups --------------------------------------------------------------------

FUNCTION_GROUP_COLUMNS = (
    Column(
        "external_id",
        (*EXTERNAL_ID_ALIASES, "functiegroepcode", "function group code"),
        text(EXTERNAL_ID_MAX, required=True),
        required=True,
    ),
    Column("name", ("naam", "functiegroep", "function group"), text(NAME_MAX, required=True), True),
    Column("description", ("omschrijving", "beschrijving"), text(TEXT_MAX)),
    Column("likelihood", ("kans", "waarschijnlijkheid"), integer(1, 5, required=True), True),
    Column("impact", ("effect", "ernst", "gevolg"), integer(1, 5, required=True), True),
    Column(
        "risk_assessed_on",
        (
            "risicoanalyse",
            "datum risicoanalyse",
            "risicoanalyse op",
            "risk assessed",
            "beoordeeld op",
        ),
        parse_date,
    ),
)


def _no_references(_ctx: Context, _records: list[Record]) -> list[RowError]:
    return []


def _write_function_groups(ctx: Context, records: list[Record]) -> Outcome:
    fields = [c.field for c in FUNCTION_GROUP_COLUMNS if c.field in ctx.columns]
    fields.remove("external_id")
    return upsert(
        ctx,
        table_of(FunctionGroup),
        records,
        key="external_id",
        fields=fields,
        defaults={"description": None, "risk_assessed_on": None, "custom_needs": False},
    ).outcome


FUNCTION_GROUPS = Kind(
    name="function-groups",
    columns=FUNCTION_GROUP_COLUMNS,
    key="external_id",
    resolve=_no_references,
    write=_write_function_groups,
    summary="Function groups with likelihood and impact (kans x effect, each 1-5).",
)

# --- teams ------------------------------------------------------------------------------

TEAM_COLUMNS = (
    Column(
        "external_id",
        (*EXTERNAL_ID_ALIASES, "teamcode", "team code", "team id"),
        text(EXTERNAL_ID_MAX, required=True),
        required=True,
    ),
    Column("name", ("naam", "teamnaam", "team name"), text(NAME_MAX, required=True), True),
    Column(
        "manager_external_ids",
        ("managers", "manager", "leidinggevenden", "leidinggevende", "manager ids"),
        id_list(),
    ),
)


def _resolve_teams(ctx: Context, records: list[Record]) -> list[RowError]:
    if "manager_external_ids" not in ctx.columns:
        return []
    wanted = {m for r in records for m in r.values["manager_external_ids"]}
    found = lookup_by_key(ctx, table_of(Employee), "external_id", sorted(wanted), "role", "active")
    errors = []
    column = ctx.header("manager_external_ids")
    for r in records:
        ids: list[uuid.UUID] = []
        for ext in r.values["manager_external_ids"]:
            emp = found.get(ext)
            if emp is None:
                errors.append(RowError(r.row, column, ext, f"no employee with external id {ext!r}"))
            elif emp.role not in MANAGER_ROLES:
                errors.append(
                    RowError(
                        r.row,
                        column,
                        ext,
                        f"employee {ext!r} has role {emp.role!r}; team managers must be "
                        "team_manager (leidinggevende) or senior_management (directie)",
                    )
                )
            else:
                ids.append(emp.id)
        r.values["manager_ids"] = ids
    return errors


def _write_teams(ctx: Context, records: list[Record]) -> Outcome:
    table = table_of(Team)
    managers: dict[Any, list[uuid.UUID]] = {}
    if "manager_external_ids" in ctx.columns:
        # Managers are part of the team: a new list makes the team "updated" (as PATCH does).
        managers = changed_links(
            ctx,
            table,
            records,
            key="external_id",
            wanted="manager_ids",
            link=table_of(TeamManager),
            owner="team_id",
            target="employee_id",
        )
    done = upsert(
        ctx, table, records, key="external_id", fields=["name"], force_update=set(managers)
    )
    replace_links(
        ctx,
        table_of(TeamManager),
        owner="team_id",
        target="employee_id",
        links={done.ids[ext]: ids for ext, ids in managers.items()},
    )
    return done.outcome


TEAMS = Kind(
    name="teams",
    columns=TEAM_COLUMNS,
    key="external_id",
    resolve=_resolve_teams,
    write=_write_teams,
    summary="Teams, optionally with their managers' external ids (`|`-separated).",
)

# --- employees --------------------------------------------------------------------------

ROLE_ALIASES = {
    "medewerker": "employee",
    "werknemer": "employee",
    "staff": "employee",
    "leidinggevende": "team_manager",
    "teamleider": "team_manager",
    "teammanager": "team_manager",
    "manager": "team_manager",
    "directie": "senior_management",
    "directeur": "senior_management",
    "bestuurder": "senior_management",
    "hoger management": "senior_management",
    "senior management": "senior_management",
}

EMPLOYEE_COLUMNS = (
    Column(
        "external_id",
        (
            *EXTERNAL_ID_ALIASES,
            "personeelsnummer",
            "personeelsnr",
            "medewerkernummer",
            "employee number",
            "employee id",
        ),
        text(EXTERNAL_ID_MAX, required=True),
        required=True,
    ),
    Column(
        "first_name",
        ("voornaam", "roepnaam", "firstname", "given name"),
        text(NAME_MAX, required=True),
        True,
    ),
    Column(
        "name_particle",
        ("tussenvoegsel", "tussenvoegsels", "voorvoegsel", "particle", "infix"),
        text(50),
    ),
    Column(
        "last_name",
        ("achternaam", "geslachtsnaam", "lastname", "surname", "family name"),
        text(NAME_MAX, required=True),
        True,
    ),
    Column("email", ("e-mail", "e-mailadres", "emailadres", "mail"), email),
    Column(
        "team_external_id",
        ("team", "teamcode", "team code", "afdeling", "team id"),
        text(EXTERNAL_ID_MAX),
    ),
    Column(
        "function_group_external_id",
        ("functiegroep", "function group", "functiegroepcode", "function group code"),
        text(EXTERNAL_ID_MAX),
    ),
    Column("role", ("rol", "functierol"), choice(Role, ROLE_ALIASES, default=Role.employee)),
    Column("active", ("actief", "in dienst actief"), boolean(default=True)),
    Column(
        "started_on",
        ("in dienst", "datum in dienst", "indienst", "startdatum", "start date", "hire date"),
        parse_date,
    ),
)
EMPLOYEE_FIELDS = {
    "first_name": "first_name",
    "name_particle": "name_particle",
    "last_name": "last_name",
    "email": "email",
    "team_external_id": "team_id",
    "function_group_external_id": "function_group_id",
    "role": "role",
    "started_on": "started_on",
}


def _resolve_reference(
    ctx: Context,
    records: list[Record],
    field_name: str,
    target: str,
    model: Any,
    what: str,
) -> list[RowError]:
    if field_name not in ctx.columns:
        return []
    directory = Directory.load(ctx, model)
    column = ctx.header(field_name)
    errors = []
    # A file names few teams and function groups, each on many rows: find each once.
    found_for: dict[str, uuid.UUID | None] = {}
    for r in records:
        value = r.values.pop(field_name)
        if value is None:
            r.values[target] = None
            continue
        if value in found_for:
            found = found_for[value]
        else:
            found = found_for[value] = directory.find(value)
        if found is None:
            errors.append(
                RowError(r.row, column, value, f"no {what} with external id (or name) {value!r}")
            )
            continue
        r.values[target] = found
    return errors


def _resolve_employees(ctx: Context, records: list[Record]) -> list[RowError]:
    errors = _resolve_reference(ctx, records, "team_external_id", "team_id", Team, "team")
    errors += _resolve_reference(
        ctx,
        records,
        "function_group_external_id",
        "function_group_id",
        FunctionGroup,
        "function group",
    )
    if "email" in ctx.columns:
        errors += _email_conflicts(ctx, records)
    if "role" in ctx.columns:
        errors += _demotions(ctx, records)
    for r in records:
        r.values.setdefault("active", True)
    return errors


def _demotions(ctx: Context, records: list[Record]) -> list[RowError]:
    # Rule still-manages-teams, judged as PATCH /v1/employees/{id} judges it: a row may not
    # give a non-manager role to someone who still manages a team. One query for the whole
    # file: the organisation's team managers (a row per team link, however long the file).
    demoting = [r for r in records if r.values["role"] not in MANAGER_ROLES]
    if not demoting:
        return []
    managers = {
        m.external_id: m
        for m in organisation_service.managed_teams(ctx.session).values()
        if m.external_id is not None
    }
    errors = []
    column = ctx.header("role")
    for r in demoting:
        managed = managers.get(r.values["external_id"])
        if managed is None:
            continue
        refusal = organisation_service.still_manages_teams(managed, r.values["role"])
        if refusal is not None:
            errors.append(
                RowError(
                    r.row,
                    column,
                    r.values["role"],
                    refusal,
                    code=organisation_service.STILL_MANAGES_TEAMS,
                )
            )
    return errors


def _email_conflicts(ctx: Context, records: list[Record]) -> list[RowError]:
    # E-mail is unique per organisation: twice in the file, or owned by someone else
    # (who is not in the file changing theirs), is refused per row before any write.
    column = ctx.header("email")
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for r in records:
        addr = r.values["email"]
        if addr is None:
            continue
        if addr in seen:
            errors.append(RowError(r.row, column, addr, f"also on row {seen[addr]}"))
        else:
            seen[addr] = r.row
    in_file = {r.values["external_id"]: r.values["email"] for r in records}
    owners = _email_owners(ctx, list(seen))
    for r in records:
        addr = r.values["email"]
        owner = owners.get(addr) if addr is not None else None
        if owner is None or owner.external_id == r.values["external_id"]:
            continue
        if owner.external_id in in_file and in_file[owner.external_id] != addr:
            continue
        who = owner.external_id or str(owner.id)
        errors.append(RowError(r.row, column, addr, f"is already used by employee {who}"))
    return errors


def _email_owners(ctx: Context, addresses: list[str]) -> dict[str, Any]:
    """(email, external_id, id) of the employees using these addresses, by address.

    The id is only shown for an owner without an external id, so only then is it read: a
    re-import finds every address owned, and 10,000 UUIDs cost more than the query.
    """
    t = table_of(Employee)
    unnamed_id = sa.case((t.c.external_id.is_(None), t.c.id)).label("id")
    owners: dict[str, Any] = {}
    for part in chunks(addresses, CHUNK):
        stmt = select(t.c.email, t.c.external_id, unnamed_id).where(
            t.c.organisation_id == ctx.org_id, in_(ctx, t.c.email, part)
        )
        owners.update((row.email, row) for row in ctx.session.execute(stmt))
    return owners


def _write_employees(ctx: Context, records: list[Record]) -> Outcome:
    fields = [EMPLOYEE_FIELDS[f] for f in EMPLOYEE_FIELDS if f in ctx.columns]
    fields.append("active")
    done = upsert(
        ctx,
        table_of(Employee),
        records,
        key="external_id",
        fields=fields,
        defaults={
            "name_particle": None,
            "email": None,
            "team_id": None,
            "function_group_id": None,
            "role": Role.employee.value,
            "started_on": None,
            "erased_at": None,
        },
    )
    if "team_id" in fields and not ctx.dry_run:
        _team_changed_hooks(ctx, records, done.previous)
    if done.previous and "active" in ctx.columns:
        # Deactivated by their row: the organisation domain's hooks run, as for a PATCH
        # (training cancels their enrolments in sessions that have not started; imported
        # above, so its hook is registered also for callers that never load the app).
        left = [
            row.id
            for r in records
            if not r.values["active"]
            and (row := done.previous.get(r.values["external_id"])) is not None
            and row.active
        ]
        done.outcome.warnings += organisation_service.employees_deactivated(
            ctx.session, employee_ids=left, dry_run=ctx.dry_run
        )
    return done.outcome


def _team_changed_hooks(ctx: Context, records: list[Record], previous: dict[Any, Any]) -> None:
    # Moving team re-checks personal goals against the new team (the alignment rule), as
    # a PATCH does. Moves are few: the hooks get ORM objects for just those employees.
    moved = {
        row.id: row.team_id
        for r in records
        if (row := previous.get(r.values["external_id"])) is not None
        and row.team_id != r.values["team_id"]
    }
    if not moved or not HOOKS.employee_team_changed:
        return
    for part in chunks(list(moved), CHUNK):
        stmt = (
            select(Employee)
            .where(col(Employee.id).in_(part))
            .execution_options(populate_existing=True)
        )
        for employee in ctx.session.scalars(stmt):
            for hook in HOOKS.employee_team_changed:
                hook(ctx.session, employee, moved[employee.id])


def deactivate_missing(ctx: Context, keys_seen: set[str]) -> Outcome:
    """Deactivate active employees with an external id that the file does not list.

    Employees created without an external id are not the HR platform's: left alone.
    Rows that failed validation still count as present (their people are still employed).
    The organisation domain's deactivation hooks run for them, as for a PATCH.
    """
    table = table_of(Employee)
    stmt = select(table.c.id, table.c.external_id).where(
        table.c.organisation_id == ctx.org_id,
        table.c.active.is_(True),
        table.c.external_id.is_not(None),
    )
    missing = [row.id for row in ctx.session.execute(stmt) if row.external_id not in keys_seen]
    outcome = Outcome(deactivated=len(missing))
    if not ctx.dry_run:
        now = utcnow()
        for part in chunks(missing, CHUNK):
            ctx.session.execute(
                bulk_update(table, at=now)
                .where(table.c.organisation_id == ctx.org_id, in_(ctx, table.c.id, part))
                .values(active=False)
            )
    outcome.warnings += organisation_service.employees_deactivated(
        ctx.session, employee_ids=missing, dry_run=ctx.dry_run
    )
    return outcome


EMPLOYEES = Kind(
    name="employees",
    columns=EMPLOYEE_COLUMNS,
    key="external_id",
    resolve=_resolve_employees,
    write=_write_employees,
    summary="Employees with team, function group and role (Dutch Excel exports accepted).",
)
