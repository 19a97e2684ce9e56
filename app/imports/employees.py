"""The employees import kind: an HR platform's export (AFAS, Nmbrs, Youforce) as it is.

Columns that overlap take the one of higher precedence (``Roepnaam`` over ``Voornaam``,
``Team`` over ``Afdeling``, ``Personeelsnummer`` over ``ID``: the order of each column's
names below). ``Functie`` and role words are translated with the organisation's mappings
(``mappings.py``); ``Leidinggevende`` sets the team's managers (``leaders.py``);
``Datum uit dienst`` deactivates today or on its day (the worker's daily pass).
"""

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.dates import day_of
from app.core.models import bulk_update, utcnow
from app.core.queries import chunks
from app.imports import checks, leaders
from app.imports.cells import boolean, email, parse_date, text
from app.imports.kinds import (
    CHUNK,
    Context,
    Directory,
    Kind,
    Outcome,
    in_,
    lookup_by_key,
    table_of,
    upsert,
)
from app.imports.mappings import Mappings
from app.imports.models import ChangedPerson, ImportChanges
from app.imports.parsing import Column, Record, RowError
from app.imports.people import EXTERNAL_ID_ALIASES
from app.organisation import service as organisation_service
from app.organisation.hooks import HOOKS
from app.organisation.models import (
    EXTERNAL_ID_MAX,
    NAME_MAX,
    Employee,
    FunctionGroup,
    Role,
    Team,
    full_name,
)

# Each column's names in order of precedence: when a file has two of them, the first wins.
EMPLOYEE_COLUMNS = (
    Column(
        "external_id",
        (
            "personeelsnummer",
            "pers.nr.",
            "personeelsnr",
            "medewerkernummer",
            "employee number",
            "employee id",
            *EXTERNAL_ID_ALIASES,
        ),
        text(EXTERNAL_ID_MAX, required=True),
        required=True,
    ),
    # Not required as columns: a file with only personeelsnummer and e-mail changes e-mail
    # addresses; a new employee's row needs both names (checked per row).
    Column(
        "first_name",
        ("roepnaam", "voornaam", "voornamen", "firstname", "given name"),
        text(NAME_MAX, required=True),
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
    ),
    Column(
        "email",
        (
            "e-mail werk",
            "zakelijk e-mailadres",
            "werk e-mail",
            "e-mail",
            "e-mailadres",
            "emailadres",
            "mail",
        ),
        email,
    ),
    Column(
        "team_external_id",
        ("team", "teamcode", "team code", "team id", "afdeling", "afdelingscode"),
        text(EXTERNAL_ID_MAX),
    ),
    Column(
        "function_group_external_id",
        ("functiegroep", "function group", "functiegroepcode", "function group code"),
        text(EXTERNAL_ID_MAX),
    ),
    Column("function", ("functie", "functienaam", "job title"), text(NAME_MAX)),
    # Built-in role words here; an import adds the organisation's own (columns_for).
    Column("role", ("rol", "functierol"), Mappings.builtin().role_converter()),
    Column(
        "manager_external_id",
        ("leidinggevende", "personeelsnummer leidinggevende", "manager", "manager id"),
        text(EXTERNAL_ID_MAX),
    ),
    Column("active", ("actief", "in dienst actief"), boolean(default=True)),
    Column(
        "started_on",
        ("in dienst", "datum in dienst", "indienst", "startdatum", "start date", "hire date"),
        parse_date,
    ),
    Column(
        "ended_on",
        ("datum uit dienst", "uit dienst", "einddatum", "datum einde dienstverband", "end date"),
        parse_date,
    ),
)
# File field -> employee column, for the fields written as they are.
EMPLOYEE_FIELDS = {
    "first_name": "first_name",
    "name_particle": "name_particle",
    "last_name": "last_name",
    "email": "email",
    "team_external_id": "team_id",
    "role": "role",
    "started_on": "started_on",
    "ended_on": "ended_on",
}
NAME_FIELDS = ("first_name", "last_name")


def _resolve_reference(
    ctx: Context,
    records: list[Record],
    field_name: str,
    target: str,
    model: Any,
    what: str,
    overruled: frozenset[int] = frozenset(),
) -> list[RowError]:
    """``field_name`` (an external id or name) as ``target`` (an id); rows in ``overruled``
    take theirs from another column, so a value they name that is not found is no error."""
    if field_name not in ctx.columns:
        return []
    directory = Directory.load(ctx, model)
    column = ctx.header(field_name)
    errors = []
    # A file names few teams and function groups, each on many rows: find each once.
    found_for: dict[str, Any] = {}
    for r in records:
        value = r.values.pop(field_name)
        if value is None:
            r.values[target] = None
            continue
        if value not in found_for:
            found_for[value] = directory.find(value)
        if found_for[value] is None:
            if r.row not in overruled:
                message = f"no {what} with external id (or name) {value!r}"
                errors.append(RowError(r.row, column, value, message))
            continue
        r.values[target] = found_for[value]
    return errors


def _resolve_functions(ctx: Context, records: list[Record], maps: Mappings) -> list[RowError]:
    # `Functie` through the organisation's mappings: a mapped value wins over a
    # `Functiegroep` cell (in many exports that is a pay grade); an unmapped one falls back
    # to the Functiegroep cell, then to a function group with that code or name.
    if "function" not in ctx.columns:
        return []
    directory = Directory.load(ctx, FunctionGroup)
    column = ctx.header("function")
    errors = []
    for r in records:
        value = r.values.pop("function")
        if value is None:
            r.values.setdefault("function_group_id", None)
            continue
        found = maps.function_group(value)
        if found is None and r.values.get("function_group_id") is not None:
            continue
        found = found or directory.find(value)
        if found is None:
            errors.append(
                RowError(
                    r.row,
                    column,
                    value,
                    f"Functie {value!r} is not mapped to a function group (mapped: "
                    f"{maps.known_functions()}); map it with POST /v1/import-mappings "
                    "(kind function) or an import-mappings file",
                )
            )
            continue
        r.values["function_group_id"] = found
    return errors


def _end_dates(ctx: Context, records: list[Record]) -> None:
    # Datum uit dienst today or earlier: deactivated now; later: on that day (worker).
    if "ended_on" not in ctx.columns:
        return
    today = day_of(ctx.now)
    for r in records:
        ended = r.values["ended_on"]
        if ended is not None and ended <= today:
            r.values["active"] = False


def _new_without_names(ctx: Context, records: list[Record]) -> list[RowError]:
    missing = [f for f in NAME_FIELDS if f not in ctx.columns]
    if not missing:
        return []
    stored = lookup_by_key(
        ctx, table_of(Employee), "external_id", [r.values["external_id"] for r in records]
    )
    names = " and ".join(missing)
    return [
        RowError(
            r.row,
            ctx.header("external_id"),
            r.values["external_id"],
            f"no employee with this number yet, and the file has no {names} column to "
            "create one (a file without name columns only changes existing employees)",
        )
        for r in records
        if r.values["external_id"] not in stored
    ]


def resolve_employees(ctx: Context, records: list[Record]) -> list[RowError]:
    """Every reference and rule of the employee rows, before anything is written."""
    maps = Mappings.load(ctx.session, ctx.org_id)
    errors = _new_without_names(ctx, records)
    errors += _resolve_reference(ctx, records, "team_external_id", "team_id", Team, "team")
    # A mapped Functie wins over the Functiegroep cell, which is then often a pay grade
    # that names no function group: not an error on those rows.
    mapped = frozenset(
        r.row
        for r in records
        if "function" in ctx.columns
        and r.values.get("function") is not None
        and maps.function_group(r.values["function"]) is not None
    )
    errors += _resolve_reference(
        ctx,
        records,
        "function_group_external_id",
        "function_group_id",
        FunctionGroup,
        "function group",
        overruled=mapped,
    )
    errors += _resolve_functions(ctx, records, maps)
    if "email" in ctx.columns:
        errors += checks.email_conflicts(ctx, records)
    bad = {e.row for e in errors}
    if "role" in ctx.columns:
        errors += checks.demotions(ctx, [r for r in records if r.row not in bad])
    if writes_active(ctx):
        # Before the managers' check: a manager this file deactivates cannot lead a team.
        for r in records:
            r.values.setdefault("active", True)
        _end_dates(ctx, records)
    if "manager_external_id" in ctx.columns:
        # A manager counts as in the file only by a row that will be written: one named by
        # a failed row (partial mode) is not there to lead anyone.
        bad = {e.row for e in errors}
        errors += leaders.check(ctx, [r for r in records if r.row not in bad])
    return errors


def writes_active(ctx: Context) -> bool:
    """Whether the file sets who is active: it has `actief`, an end date or the names (a
    full row: an employee listed is active, so a returning one is reactivated)."""
    return bool({"active", "ended_on", *NAME_FIELDS} & set(ctx.columns))


def write_employees(ctx: Context, records: list[Record]) -> Outcome:
    """Upsert the rows; deactivations are counted as such and run the hooks."""
    fields = [EMPLOYEE_FIELDS[f] for f in EMPLOYEE_FIELDS if f in ctx.columns]
    if {"function", "function_group_external_id"} & set(ctx.columns):
        fields.append("function_group_id")
    if writes_active(ctx):
        fields.append("active")
    done = upsert(
        ctx,
        table_of(Employee),
        records,
        key="external_id",
        fields=fields,
        unique=("email",),
        defaults={
            "name_particle": None,
            "email": None,
            "team_id": None,
            "function_group_id": None,
            "role": Role.employee.value,
            "started_on": None,
            "ended_on": None,
            "erased_at": None,
            "active": True,
        },
    )
    if "team_id" in fields and not ctx.dry_run:
        _team_changed_hooks(ctx, records, done.previous)
    left: list[Any] = []
    left_keys: list[str] = []
    if done.previous and "active" in fields:
        # Deactivated by their row: the organisation domain's hooks run, as for a PATCH
        # (training cancels their enrolments in sessions that have not started).
        for r in records:
            row = done.previous.get(r.values["external_id"])
            if row is not None and row.active and not r.values["active"]:
                left.append(row.id)
                left_keys.append(r.values["external_id"])
        done.outcome.warnings += organisation_service.employees_deactivated(
            ctx.session, employee_ids=left, dry_run=ctx.dry_run
        )
    done.outcome.deactivated += len(left)
    done.outcome.updated -= len(left)
    if "manager_external_id" in ctx.columns:
        done.outcome.warnings += leaders.set_team_managers(ctx, records, done.ids)
    if ctx.dry_run:
        updated = [k for k in done.previous if k not in set(left_keys)]
        done.outcome.changes = ImportChanges(
            created=_people(ctx, [r for r in records if r.values["external_id"] in done.created]),
            updated=_named(ctx, updated),
            deactivated=_named(ctx, left_keys),
        )
    return done.outcome


def _people(ctx: Context, records: list[Record]) -> list[ChangedPerson]:
    return [
        ChangedPerson(
            external_id=r.values["external_id"],
            name=full_name(
                r.values.get("first_name"), r.values.get("name_particle"), r.values.get("last_name")
            ),
        )
        for r in records
    ]


def _named(ctx: Context, keys: list[str]) -> list[ChangedPerson]:
    """Stored employees by number, with their names (dry run: who would change)."""
    found = lookup_by_key(
        ctx, table_of(Employee), "external_id", keys, "first_name", "name_particle", "last_name"
    )
    return [
        ChangedPerson(
            external_id=k,
            name=full_name(row.first_name, row.name_particle, row.last_name),
        )
        for k in keys
        if (row := found.get(k)) is not None
    ]


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
    stmt = select(
        table.c.id,
        table.c.external_id,
        table.c.first_name,
        table.c.name_particle,
        table.c.last_name,
    ).where(
        table.c.organisation_id == ctx.org_id,
        table.c.active.is_(True),
        table.c.external_id.is_not(None),
    )
    rows = [row for row in ctx.session.execute(stmt) if row.external_id not in keys_seen]
    missing = [row.id for row in rows]
    outcome = Outcome(deactivated=len(missing))
    if ctx.dry_run:
        outcome.changes = ImportChanges(
            created=[],
            updated=[],
            deactivated=[
                ChangedPerson(
                    external_id=row.external_id,
                    name=full_name(row.first_name, row.name_particle, row.last_name),
                )
                for row in rows
            ],
        )
    else:
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


def columns_for(db: Session, organisation_id: uuid.UUID) -> tuple[Column, ...]:
    """The columns, the role column taking the organisation's role words (mappings)."""
    convert = Mappings.load(db, organisation_id).role_converter()
    return tuple(replace(c, convert=convert) if c.field == "role" else c for c in EMPLOYEE_COLUMNS)


EMPLOYEES = Kind(
    name="employees",
    columns=EMPLOYEE_COLUMNS,
    key="external_id",
    resolve=resolve_employees,
    write=write_employees,
    summary="Employees with team, function (group), role, manager and end date (HR exports "
    "as they are).",
    columns_for=columns_for,
)
