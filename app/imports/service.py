"""Running an import: parse, resolve, decide all-or-nothing or partial, write; and export.

``run_import`` is the one entry point (the route and the benchmark call it). It never
writes row by row: see ``kinds.upsert``. All-or-nothing is the default: every error of
every row is collected first, and one error means a 422 listing them all, with nothing
written. ``partial`` writes the valid rows and reports the others.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.core.errors import InvalidInput
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.imports import catalogue, employees, goals, incidents, mappings, people
from app.imports.kinds import Context, Kind, table_of
from app.imports.models import ImportKind, ImportMode, ImportResult, RowErrorPublic
from app.imports.parsing import Column, RowError, find_duplicates, parse_body
from app.organisation.models import Employee, FunctionGroup, Organisation, Team, TeamManager

KINDS: dict[ImportKind, Kind] = {
    ImportKind.function_groups: people.FUNCTION_GROUPS,
    ImportKind.teams: people.TEAMS,
    ImportKind.employees: employees.EMPLOYEES,
    ImportKind.training_programs: catalogue.TRAINING_PROGRAMS,
    ImportKind.training_completions: catalogue.TRAINING_COMPLETIONS,
    ImportKind.team_goals: goals.TEAM_GOALS,
    ImportKind.personal_goals: goals.PERSONAL_GOALS,
    ImportKind.incidents: incidents.INCIDENTS,
    ImportKind.import_mappings: mappings.IMPORT_MAPPINGS,
}


def run_import(
    db: Session,
    *,
    org: Organisation,
    kind: ImportKind,
    body: bytes,
    content_type: str,
    dry_run: bool = False,
    partial: bool = False,
    deactivate_missing: bool = False,
) -> ImportResult:
    """Import a CSV or JSON body of one kind for the organisation (see module doc)."""
    spec = KINDS[kind]
    if deactivate_missing and kind is not ImportKind.employees:
        raise InvalidInput(
            "deactivate_missing applies to employee imports only.",
            code="invalid-option",
            errors=[{"pointer": "/query/deactivate_missing", "detail": "employees only"}],
        )
    # The benchmark and scripts call this without a request: scope the session here too.
    bind_organisation(db, org.id)
    parsed = parse_body(
        body, content_type, import_columns(db, org=org, kind=kind), kind=kind.value, key=spec.key
    )
    ctx = Context(
        session=db,
        org=org,
        now=utcnow(),
        dry_run=dry_run,
        partial=partial,
        columns=parsed.columns,
        deactivate_missing=deactivate_missing,
        keys_seen=frozenset(parsed.keys_seen),
    )
    errors = list(parsed.errors)
    records = parsed.records
    if spec.key is not None:
        errors += find_duplicates(parsed.row_keys, ctx.header(spec.key))
        records = _without(records, errors)
    errors += spec.resolve(ctx, records)
    records = _without(records, errors)
    failed_rows = {e.row for e in errors}
    errors.sort(key=lambda e: e.row)
    if errors and not partial:
        raise InvalidInput(
            f"{len(failed_rows)} of {parsed.total} rows have errors; nothing was written. "
            "Fix them, or send ?mode=partial to import the valid rows.",
            code="import-rejected",
            errors=[e.as_dict() for e in errors],
            total=parsed.total,
            failed=len(failed_rows),
        )
    outcome = spec.write(ctx, records)
    deactivated = outcome.deactivated
    changes = outcome.changes
    if deactivate_missing:
        missing = employees.deactivate_missing(ctx, parsed.keys_seen)
        deactivated += missing.deactivated
        outcome.warnings += missing.warnings
        if changes is not None and missing.changes is not None:
            changes.deactivated += missing.changes.deactivated
    return ImportResult(
        kind=kind,
        dry_run=dry_run,
        mode=ImportMode.partial if partial else ImportMode.all_or_nothing,
        format=parsed.format,
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        total=parsed.total,
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        deactivated=deactivated,
        failed=len(failed_rows),
        errors=[RowErrorPublic(**e.as_dict()) for e in errors],
        warnings=[*parsed.warnings, *outcome.warnings],
        ignored_columns=parsed.ignored_columns,
        changes=changes,
    )


def import_columns(db: Session, *, org: Organisation, kind: ImportKind) -> tuple[Column, ...]:
    """The columns an import of the kind takes for the organisation (its own role words)."""
    spec = KINDS[kind]
    return spec.columns_for(db, org.id) if spec.columns_for else spec.columns


def _without(records: Sequence[Any], errors: Iterable[RowError]) -> list[Any]:
    bad = {e.row for e in errors}
    return [r for r in records if r.row not in bad] if bad else list(records)


# --- export -----------------------------------------------------------------------------

EXPORT_CHUNK = 2000


def export_rows(
    db: Session, *, org: Organisation, kind: ImportKind
) -> tuple[list[str], Iterator[list[Any]]]:
    """The organisation's rows of a kind in the import's own columns (round trip)."""
    bind_organisation(db, org.id)
    header = [c.field for c in KINDS[kind].columns]
    rows = (
        ["|".join(v) if isinstance(v, list) else v for v in (row.get(f) for f in header)]
        for row in EXPORTERS[kind](db, org)
    )
    return header, rows


# Exports hold the rows the import can take back: those with the key (`external_id`) it
# upserts by. A row made through the API without one has no key to find it again.


def _export_function_groups(db: Session, org: Organisation) -> Iterable[dict[str, Any]]:
    t = table_of(FunctionGroup)
    stmt = (
        select(t)
        .where(t.c.organisation_id == org.id, t.c.external_id.is_not(None))
        .order_by(t.c.id)
    )
    for row in db.execute(stmt).mappings():
        yield dict(row)


def _export_teams(db: Session, org: Organisation) -> Iterable[dict[str, Any]]:
    t, tm, e = table_of(Team), table_of(TeamManager), table_of(Employee)
    managers: dict[Any, list[str]] = {}
    stmt = (
        select(tm.c.team_id, e.c.external_id)
        .join(e, e.c.id == tm.c.employee_id)
        .where(tm.c.organisation_id == org.id, e.c.external_id.is_not(None))
        .order_by(e.c.external_id)
    )
    for team_id, ext in db.execute(stmt):
        managers.setdefault(team_id, []).append(ext)
    stmt2 = (
        select(t)
        .where(t.c.organisation_id == org.id, t.c.external_id.is_not(None))
        .order_by(t.c.id)
    )
    for row in db.execute(stmt2).mappings():
        yield {**row, "manager_external_ids": managers.get(row["id"], [])}


def _export_employees(db: Session, org: Organisation) -> Iterable[dict[str, Any]]:
    e, t, fg = table_of(Employee), table_of(Team), table_of(FunctionGroup)
    stmt = (
        select(
            e,
            t.c.external_id.label("team_external_id"),
            fg.c.external_id.label("function_group_external_id"),
        )
        .outerjoin(t, t.c.id == e.c.team_id)
        .outerjoin(fg, fg.c.id == e.c.function_group_id)
        .where(
            e.c.organisation_id == org.id,
            e.c.erased_at.is_(None),
            e.c.external_id.is_not(None),
        )
        .order_by(e.c.id)
        .execution_options(yield_per=EXPORT_CHUNK)
    )
    for row in db.execute(stmt).mappings():
        yield dict(row)


Exporter = Callable[[Session, Organisation], Iterable[dict[str, Any]]]
EXPORTERS: dict[ImportKind, Exporter] = {
    ImportKind.function_groups: _export_function_groups,
    ImportKind.teams: _export_teams,
    ImportKind.employees: _export_employees,
    ImportKind.training_programs: catalogue.export_programs,
    ImportKind.training_completions: catalogue.export_completions,
    ImportKind.team_goals: goals.export_team_goals,
    ImportKind.personal_goals: goals.export_personal_goals,
    ImportKind.incidents: incidents.export_incidents,
    ImportKind.import_mappings: mappings.export_mappings,
}
