"""Import kinds of the training domain: the programme catalogue and historical completions.

Completions are history (trainings followed before the organisation used this service),
so refreshers and remaining needs are right from day one. A completion is identified by
employee, programme and day: importing the same one again is counted as unchanged.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import insert, select
from sqlmodel import Session

from app.core.dates import day_of
from app.core.ids import uuid7
from app.core.queries import chunks
from app.imports.cells import boolean, choice, decimal, id_list, integer, required_date, text
from app.imports.goals import skill_finder
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
from app.learning.models import Skill
from app.organisation.models import EXPOSURE_RANK, Employee, ExposureLevel, Organisation
from app.training import service as training_service
from app.training.models import (
    Audience,
    ManagementLevel,
    ProgramSkill,
    TrainingCompletion,
    TrainingProgram,
)

EXPOSURE_ALIASES = {
    "laag": "low",
    "matig": "moderate",
    "gemiddeld": "moderate",
    "hoog": "high",
    "zeer hoog": "very_high",
    "very high": "very_high",
}
AUDIENCE_ALIASES = {
    "leidinggevenden": "management",
    "leidinggevende": "management",
    "managers": "management",
    "medewerkers": "staff",
    "medewerker": "staff",
    "employees": "staff",
    "gemengd": "mixed",
    "iedereen": "mixed",
}

PROGRAM_COLUMNS = (
    Column(
        "external_id",
        ("externalid", "extern id", "id", "code", "programmacode", "trainingcode"),
        text(100, required=True),
        required=True,
    ),
    Column("title", ("titel", "naam", "name", "training"), text(200, required=True), True),
    Column("provider", ("aanbieder", "trainer", "bureau"), text(200)),
    Column("description", ("omschrijving", "beschrijving"), text(10_000)),
    Column(
        "audience",
        ("doelgroep", "voor"),
        choice(Audience, AUDIENCE_ALIASES, default=None),
        required=True,
    ),
    Column(
        "min_exposure_level",
        ("minimale blootstelling", "blootstelling vanaf", "min exposure"),
        choice(ExposureLevel, EXPOSURE_ALIASES, default=ExposureLevel.low),
    ),
    Column(
        "max_exposure_level",
        ("maximale blootstelling", "blootstelling tot", "max exposure"),
        choice(ExposureLevel, EXPOSURE_ALIASES, default=ExposureLevel.very_high),
    ),
    Column("format", ("vorm", "werkvorm"), text(100)),
    Column("duration_hours", ("duur", "uren", "duur uren", "hours"), decimal(0.25, 1000)),
    Column("max_group_size", ("groepsgrootte", "max deelnemers", "group size"), integer(1, 1000)),
    Column(
        "refresher_months",
        ("opfrissen na maanden", "herhaling maanden", "geldig maanden", "refresher"),
        integer(1, 240),
    ),
    Column(
        "physical_safety",
        ("fysieke veiligheid", "fysiek", "fysieke vaardigheden", "physical"),
        boolean(default=False),
    ),
    Column("active", ("actief",), boolean(default=True)),
    Column("skill_codes", ("vaardigheden", "skills", "vaardigheidscodes", "skill"), id_list(50)),
)
PROGRAM_DEFAULTS: dict[str, Any] = {
    "provider": None,
    "description": None,
    "min_exposure_level": ExposureLevel.low.value,
    "max_exposure_level": ExposureLevel.very_high.value,
    "format": "classroom",
    "duration_hours": 4.0,
    "max_group_size": 12,
    "physical_safety": False,
    "active": True,
}


def _refresher_default(ctx: Context, record: Record) -> dict[str, Any]:
    # A new programme's refresher months are the organisation's own default for its kind
    # (issue 20, item 12; DOMAIN.md, Refreshers), as for one created through the API.
    physical = bool(record.values.get("physical_safety"))
    return {"refresher_months": ctx.org.settings.refresher_months(physical_safety=physical)}


# What the rules read of a new programme for the columns a file leaves out.
_NEW_PROGRAM = {
    "min_exposure_level": ExposureLevel.low.value,
    "max_exposure_level": ExposureLevel.very_high.value,
    "management_level": ManagementLevel.all.value,
    "audience": Audience.staff.value,
}

# Empty optional cells mean "the default", not "nothing": these columns are never null.
NOT_NULL = {"format", "duration_hours", "max_group_size", "refresher_months"}


def _resolve_programs(ctx: Context, records: list[Record]) -> list[RowError]:
    errors: list[RowError] = []
    # A row changes only its file's columns: the rules hold for the programme as it will
    # be, the stored values standing in for the columns the file leaves out (as a PATCH).
    stored = lookup_by_key(
        ctx,
        table_of(TrainingProgram),
        "external_id",
        [r.values["external_id"] for r in records],
        "min_exposure_level",
        "max_exposure_level",
        "audience",
        "management_level",
    )
    # Whom each stored programme trains, where the file changes it: only those programmes
    # are asked whether they are in use (which locks them and takes the managers-first
    # turn), so a nightly catalogue sync that changes no audience waits for nothing.
    fixed = [c for c in ("audience", "management_level") if c in ctx.columns]
    moved = {
        r.row: [c for c in fixed if c in r.values and r.values[c] != getattr(row, c)]
        for r in records
        if (row := stored.get(r.values["external_id"])) is not None
    }
    in_use = training_service.programs_in_use(
        ctx.session,
        [stored[r.values["external_id"]].id for r in records if moved.get(r.row)],
    )
    for r in records:
        defaults = {**PROGRAM_DEFAULTS, **_refresher_default(ctx, r)}
        for f in NOT_NULL:
            if f in r.values and r.values[f] is None:
                r.values[f] = defaults[f]
        row = stored.get(r.values["external_id"])
        # The programme as it will be: the file's values over the stored row's (or, for a
        # new one, over what a new programme gets).
        merged = {**_NEW_PROGRAM, **(row._asdict() if row is not None else {}), **r.values}
        low, high = merged["min_exposure_level"], merged["max_exposure_level"]
        if EXPOSURE_RANK[ExposureLevel(low)] > EXPOSURE_RANK[ExposureLevel(high)]:
            column = (
                "max_exposure_level" if "max_exposure_level" in r.values else "min_exposure_level"
            )
            errors.append(
                RowError(
                    r.row,
                    ctx.header(column),
                    r.values.get(column),
                    f"the minimum exposure level {low!r} would be above the maximum {high!r}",
                )
            )
        if row is not None and row.id in in_use:
            for column in moved[r.row]:
                errors.append(
                    RowError(
                        r.row,
                        ctx.header(column),
                        r.values[column],
                        "the programme has enrolments or completions: whom it trains "
                        "can no longer change (import a new programme instead)",
                        code="program-audience-fixed",
                    )
                )
        level, audience = merged["management_level"], merged["audience"]
        if level != ManagementLevel.all.value and audience != Audience.management.value:
            errors.append(
                RowError(
                    r.row,
                    ctx.header("audience"),
                    audience,
                    f"the programme is for management level {level!r}: only a management "
                    "programme has one (change its management_level through the API first)",
                )
            )
    if "skill_codes" in ctx.columns:
        find, codes = skill_finder(ctx)  # by code, or by Dutch label
        column = ctx.header("skill_codes")
        for r in records:
            ids = []
            for code in r.values["skill_codes"]:
                found = find(code)
                if found is not None:
                    ids.append(found[0])
                else:
                    known = ", ".join(codes)
                    errors.append(
                        RowError(r.row, column, code, f"no skill {code!r} (known: {known})")
                    )
            r.values["skill_ids"] = ids
    return errors


def _write_programs(ctx: Context, records: list[Record]) -> Outcome:
    table = table_of(TrainingProgram)
    fields = [
        c.field for c in PROGRAM_COLUMNS if c.field in ctx.columns and c.field != "skill_codes"
    ]
    fields.remove("external_id")
    skills: dict[Any, list[uuid.UUID]] = {}
    if "skill_codes" in ctx.columns:
        skills = changed_links(
            ctx,
            table,
            records,
            key="external_id",
            wanted="skill_ids",
            link=table_of(ProgramSkill),
            owner="program_id",
            target="skill_id",
        )
    done = upsert(
        ctx,
        table,
        records,
        key="external_id",
        fields=fields,
        defaults=PROGRAM_DEFAULTS,
        row_defaults=lambda record: _refresher_default(ctx, record),
        force_update=set(skills),
    )
    replace_links(
        ctx,
        table_of(ProgramSkill),
        owner="program_id",
        target="skill_id",
        links={done.ids[ext]: ids for ext, ids in skills.items()},
    )
    return done.outcome


TRAINING_PROGRAMS = Kind(
    name="training-programs",
    columns=PROGRAM_COLUMNS,
    key="external_id",
    resolve=_resolve_programs,
    write=_write_programs,
    summary="The training catalogue; skills as `|`-separated skill codes.",
)

# --- completions ------------------------------------------------------------------------

COMPLETION_COLUMNS = (
    Column(
        "employee_external_id",
        ("personeelsnummer", "medewerker", "employee", "employee id", "medewerkernummer"),
        text(100, required=True),
        required=True,
    ),
    Column(
        "program",
        ("programma", "training", "opleiding", "program external id", "programme", "cursus"),
        text(200, required=True),
        required=True,
    ),
    Column(
        "completed_on",
        ("afgerond op", "datum", "behaald op", "afgerond", "datum afgerond", "completed"),
        required_date,
        required=True,
    ),
)


def _resolve_completions(ctx: Context, records: list[Record]) -> list[RowError]:
    programs = Directory.load(ctx, TrainingProgram, "title")
    people = lookup_by_key(
        ctx, table_of(Employee), "external_id", [r.values["employee_external_id"] for r in records]
    )
    errors: list[RowError] = []
    seen: dict[tuple[uuid.UUID, uuid.UUID, date], int] = {}
    for r in records:
        ext = r.values["employee_external_id"]
        emp = people.get(ext)
        if emp is None:
            errors.append(
                RowError(
                    r.row,
                    ctx.header("employee_external_id"),
                    ext,
                    f"no employee with external id {ext!r}",
                )
            )
        name = r.values["program"]
        program = programs.find(name)
        if program is None:
            ambiguous = programs.ambiguous(name)
            why = "two programmes have this title; use the external id" if ambiguous else ""
            errors.append(
                RowError(
                    r.row,
                    ctx.header("program"),
                    name,
                    why or f"no programme with external id or title {name!r}",
                )
            )
        if r.values["completed_on"] > day_of(ctx.now):  # the Dutch calendar day
            errors.append(
                RowError(
                    r.row,
                    ctx.header("completed_on"),
                    r.values["completed_on"].isoformat(),
                    "is in the future; completions are history",
                )
            )
        if emp is None or program is None:
            continue
        key = (emp.id, program, r.values["completed_on"])
        if key in seen:
            errors.append(
                RowError(r.row, None, None, f"the same completion is already on row {seen[key]}")
            )
        seen.setdefault(key, r.row)
        r.values["key"] = key
    return errors


def _write_completions(ctx: Context, records: list[Record]) -> Outcome:
    t = table_of(TrainingCompletion)
    outcome = Outcome()
    for part in chunks(records, CHUNK):
        employee_ids = list({r.values["key"][0] for r in part})
        stmt = select(t.c.employee_id, t.c.program_id, t.c.completed_on).where(
            t.c.organisation_id == ctx.org_id, in_(ctx, t.c.employee_id, employee_ids)
        )
        existing = {tuple(row) for row in ctx.session.execute(stmt).all()}
        new = [r.values["key"] for r in part if r.values["key"] not in existing]
        outcome.unchanged += len(part) - len(new)
        outcome.created += len(new)
        if new and not ctx.dry_run:
            ctx.session.execute(
                insert(t),
                [
                    {
                        "id": uuid7(),
                        "organisation_id": ctx.org_id,
                        "created_at": ctx.now,
                        "updated_at": ctx.now,
                        "employee_id": employee_id,
                        "program_id": program_id,
                        "session_id": None,
                        "completed_on": day,
                    }
                    for employee_id, program_id, day in new
                ],
            )
    return outcome


TRAINING_COMPLETIONS = Kind(
    name="training-completions",
    columns=COMPLETION_COLUMNS,
    key=None,
    resolve=_resolve_completions,
    write=_write_completions,
    summary="Historical completions: employee external id, programme (external id or "
    "title), completed_on.",
)


# --- export -----------------------------------------------------------------------------


def export_programs(db: Session, org: Organisation) -> Iterator[dict[str, Any]]:
    """The catalogue in the import's format, skills as codes."""
    t, ps, sk = table_of(TrainingProgram), table_of(ProgramSkill), table_of(Skill)
    codes: dict[uuid.UUID, list[str]] = defaultdict(list)
    stmt = (
        select(ps.c.program_id, sk.c.code)
        .join(sk, sk.c.id == ps.c.skill_id)
        .where(ps.c.organisation_id == org.id)
        .order_by(sk.c.code)
    )
    for program_id, code in db.execute(stmt).all():
        codes[program_id].append(code)
    for row in db.execute(
        select(t).where(t.c.organisation_id == org.id).order_by(t.c.id)
    ).mappings():
        yield {**row, "skill_codes": codes.get(row["id"], [])}


def export_completions(db: Session, org: Organisation) -> Iterator[dict[str, Any]]:
    """Completions of employees and programmes that have an external id."""
    c, e, p = table_of(TrainingCompletion), table_of(Employee), table_of(TrainingProgram)
    stmt = (
        select(
            e.c.external_id.label("employee_external_id"),
            sa.func.coalesce(p.c.external_id, p.c.title).label("program"),
            c.c.completed_on,
        )
        .join(e, e.c.id == c.c.employee_id)
        .join(p, p.c.id == c.c.program_id)
        .where(c.c.organisation_id == org.id, e.c.external_id.is_not(None))
        .order_by(c.c.id)
    )
    for row in db.execute(stmt).mappings():
        yield dict(row)
