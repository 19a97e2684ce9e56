"""Import kind ``incidents``: the CSV export of an incident-reporting system (issue 21).

Reporting systems (the field's "meldsystemen") export one report a row: a number, a date
and time, the department, the function, what kind of aggression, how serious, and the
staff involved by personnel number. A report already imported (same number) is counted as
unchanged and left alone: the service is where aftercare is recorded afterwards, and a
re-import of last year's export must not undo it. Every row is checked as the API checks a
registration; one bad row and nothing is written (or ``mode=partial``).
"""

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import insert, select
from sqlmodel import Session

from app.core.dates import CALENDAR_ZONE
from app.core.ids import uuid7_many
from app.core.queries import chunks
from app.imports.cells import boolean, choice, id_list, integer, required_date, text
from app.imports.kinds import (
    CHUNK,
    Context,
    Directory,
    Kind,
    Outcome,
    lookup_by_key,
    table_of,
)
from app.imports.parsing import Column, Record, RowError
from app.incidents.aftercare import due_on
from app.incidents.models import (
    Aftercare,
    AftercareKind,
    AftercareStatus,
    CrossedLevel,
    Incident,
    IncidentCategory,
    IncidentEmployee,
    Involvement,
)
from app.organisation.models import Employee, FunctionGroup, Organisation, Team
from app.policy.models import Norm, NormLevel

CATEGORY_ALIASES = {
    "verbale agressie": "verbal_aggression",
    "verbaal": "verbal_aggression",
    "schelden": "verbal_aggression",
    "bedreiging": "threat",
    "dreigen": "threat",
    "intimidatie": "intimidation",
    "discriminatie": "discrimination",
    "vernieling": "damage_to_property",
    "materiele schade": "damage_to_property",
    "schade aan eigendommen": "damage_to_property",
    "fysiek": "physical",
    "fysieke agressie": "physical",
    "fysiek geweld": "physical",
}
# Without a time the report counts at noon: its Dutch calendar day is then never in doubt.
DEFAULT_TIME = time(12, 0)

INCIDENT_COLUMNS = (
    Column(
        "external_id",
        ("meldingsnummer", "meldnummer", "melding", "incidentnummer", "nummer", "id"),
        text(100, required=True),
        required=True,
    ),
    Column(
        "occurred_on",
        ("datum", "datum incident", "incidentdatum", "date", "occurred"),
        required_date,
        required=True,
    ),
    Column("occurred_time", ("tijd", "tijdstip", "time"), text(8)),
    Column("team", ("afdeling", "team code", "teamcode"), text(200, required=True), True),
    Column(
        "function_group",
        ("functiegroep", "functie", "function group"),
        text(200, required=True),
        required=True,
    ),
    Column(
        "norm",
        ("overschreden norm", "gedragsregel", "grens"),
        text(200, required=True),
        required=True,
    ),
    Column(
        "category",
        ("categorie", "soort", "aard", "soort agressie"),
        choice(IncidentCategory, CATEGORY_ALIASES, default=None),
        required=True,
    ),
    Column("severity", ("ernst", "zwaarte"), integer(1, 5, required=True), required=True),
    Column(
        "police_informed",
        ("politie", "politie ingelicht", "politie geinformeerd"),
        boolean(default=False),
    ),
    Column("description", ("omschrijving", "toedracht", "beschrijving"), text(10_000)),
    Column(
        "affected",
        ("getroffen", "getroffen medewerkers", "slachtoffer", "slachtoffers"),
        id_list(50),
    ),
    Column("witnesses", ("getuigen", "getuige"), id_list(50)),
)


def _parse_time(value: str | None) -> time | None:
    if not value:
        return DEFAULT_TIME
    try:
        return time.fromisoformat(value if len(value) > 4 else value.zfill(5))
    except ValueError:
        return None


def _norms(ctx: Context) -> dict[str, list[tuple[uuid.UUID, str, uuid.UUID | None]]]:
    """Norms by title (case-insensitive): (id, level, team)."""
    t = table_of(Norm)
    out: dict[str, list[tuple[uuid.UUID, str, uuid.UUID | None]]] = {}
    stmt = select(t.c.id, t.c.title, t.c.level, t.c.team_id).where(
        t.c.organisation_id == ctx.org_id
    )
    for id_, title, level, team_id in ctx.session.execute(stmt).all():
        out.setdefault(title.casefold(), []).append((id_, level, team_id))
    return out


def _resolve(ctx: Context, records: list[Record]) -> list[RowError]:
    teams = Directory.load(ctx, Team)
    groups = Directory.load(ctx, FunctionGroup)
    norms = _norms(ctx)
    numbers = [
        n for r in records for n in (*r.values.get("affected", []), *r.values.get("witnesses", []))
    ]
    people = lookup_by_key(ctx, table_of(Employee), "external_id", numbers, "team_id")
    existing = lookup_by_key(
        ctx, table_of(Incident), "external_id", [r.values["external_id"] for r in records]
    )
    errors: list[RowError] = []

    def fail(r: Record, field: str | None, value: Any, message: str) -> None:
        column = ctx.header(field) if field else None
        errors.append(RowError(r.row, column, None if value is None else str(value), message))

    for r in records:
        v = r.values
        v["exists"] = v["external_id"] in existing
        if v["exists"]:
            # Left alone (module doc): checked against today's teams, an incident whose
            # people have moved on since would fail the re-import of its own export.
            continue
        team_id = teams.find(v["team"])
        if team_id is None:
            fail(r, "team", v["team"], f"no team with external id or name {v['team']!r}")
        fg_id = groups.find(v["function_group"])
        if fg_id is None:
            fail(r, "function_group", v["function_group"], "no function group with that code")
        at_time = _parse_time(v.get("occurred_time"))
        if at_time is None:
            fail(r, "occurred_time", v.get("occurred_time"), "is not a time; use HH:MM")
        else:
            v["occurred_at"] = datetime.combine(v["occurred_on"], at_time, tzinfo=CALENDAR_ZONE)
            if v["occurred_at"] > ctx.now:
                fail(r, "occurred_on", v["occurred_on"].isoformat(), "is in the future")
        matches = norms.get(v["norm"].casefold(), [])
        # A team norm of the incident's team wins over the organisation's norm of that title.
        matches = sorted(matches, key=lambda m: m[2] != team_id)
        norm = next((m for m in matches if m[2] in (None, team_id)), None)
        if norm is None:
            fail(r, "norm", v["norm"], "no norm with this title for the team")
        elif norm[1] not in (NormLevel.orange, NormLevel.red):
            fail(r, "norm", v["norm"], "is a green norm; an incident crosses an orange or red one")
        else:
            v["norm_id"], v["norm_level"] = norm[0], CrossedLevel(norm[1])
        involved: dict[uuid.UUID, Involvement] = {}
        for field, involvement in (
            ("affected", Involvement.affected),
            ("witnesses", Involvement.witness),
        ):
            for number in v.get(field, []):
                person = people.get(number)
                if person is None:
                    fail(r, field, number, f"no employee with personnel number {number!r}")
                elif team_id is not None and person.team_id != team_id:
                    fail(r, field, number, "is not a member of the incident's team")
                elif person.id in involved:
                    fail(r, field, number, "is listed twice")
                else:
                    involved[person.id] = involvement
        if not v.get("affected") and not v.get("witnesses"):
            fail(r, "affected", None, "names no employee involved")
        v["involved"], v["team_id"], v["function_group_id"] = involved, team_id, fg_id
    return errors


def _write(ctx: Context, records: list[Record]) -> Outcome:
    outcome = Outcome()
    new = [r for r in records if not r.values["exists"]]
    outcome.unchanged = len(records) - len(new)
    outcome.created = len(new)
    if ctx.dry_run or not new:
        return outcome
    settings = ctx.org.settings
    for part in chunks(new, CHUNK):
        incidents, links, care = [], [], []
        for r, incident_id in zip(part, uuid7_many(len(part)), strict=True):
            v = r.values
            row = {
                "id": incident_id,
                "organisation_id": ctx.org_id,
                "created_at": ctx.now,
                "updated_at": ctx.now,
                "external_id": v["external_id"],
                "occurred_at": v["occurred_at"],
                "team_id": v["team_id"],
                "function_group_id": v["function_group_id"],
                "norm_id": v["norm_id"],
                "norm_level": v["norm_level"].value,
                "category": v["category"],
                "severity": v["severity"],
                "police_informed": v.get("police_informed") or False,
                "description": v.get("description"),
            }
            incidents.append(row)
            for employee_id, involvement in v["involved"].items():
                links.append(
                    {
                        "incident_id": incident_id,
                        "employee_id": employee_id,
                        "organisation_id": ctx.org_id,
                        "involvement": involvement.value,
                    }
                )
                if involvement == Involvement.affected:
                    care += [
                        _aftercare(
                            ctx,
                            incident_id,
                            employee_id,
                            kind,
                            due_on(v["occurred_at"], kind, settings),
                        )
                        for kind in AftercareKind
                    ]
        ctx.session.execute(insert(table_of(Incident)), incidents)
        if links:
            ctx.session.execute(insert(table_of(IncidentEmployee)), links)
        if care:
            for row, new_id in zip(care, uuid7_many(len(care)), strict=True):
                row["id"] = new_id
            ctx.session.execute(insert(table_of(Aftercare)), care)
    return outcome


def _aftercare(
    ctx: Context, incident_id: uuid.UUID, employee_id: uuid.UUID, kind: AftercareKind, day: date
) -> dict[str, Any]:
    return {
        "organisation_id": ctx.org_id,
        "created_at": ctx.now,
        "updated_at": ctx.now,
        "incident_id": incident_id,
        "employee_id": employee_id,
        "kind": kind.value,
        "due_on": day,
        "status": AftercareStatus.pending.value,
        "recorded_on": None,
        "notes": None,
    }


INCIDENTS = Kind(
    name="incidents",
    columns=INCIDENT_COLUMNS,
    key="external_id",
    resolve=_resolve,
    write=_write,
    summary="Incident reports from a reporting system: number, date (and time), team, "
    "function group, norm (title), category, severity 1-5, police, description, affected "
    "and witnesses as `|`-separated personnel numbers. Known numbers are left unchanged.",
)


def export_incidents(db: Session, org: Organisation) -> Iterator[dict[str, Any]]:
    """Incidents in the import's columns, without descriptions (sensitive) and names."""
    i, t, fg, n = table_of(Incident), table_of(Team), table_of(FunctionGroup), table_of(Norm)
    e, link = table_of(Employee), table_of(IncidentEmployee)
    people: dict[uuid.UUID, dict[str, list[str]]] = {}
    stmt = (
        select(link.c.incident_id, link.c.involvement, e.c.external_id)
        .join(e, e.c.id == link.c.employee_id)
        .where(link.c.organisation_id == org.id, e.c.external_id.is_not(None))
        .order_by(e.c.external_id)
    )
    for incident_id, involvement, number in db.execute(stmt).all():
        field = "affected" if involvement == Involvement.affected else "witnesses"
        people.setdefault(incident_id, {}).setdefault(field, []).append(number)
    stmt2 = (
        select(
            i,
            sa.func.coalesce(t.c.external_id, t.c.name).label("team"),
            sa.func.coalesce(fg.c.external_id, fg.c.name).label("function_group"),
            n.c.title.label("norm"),
        )
        .join(t, t.c.id == i.c.team_id)
        .join(fg, fg.c.id == i.c.function_group_id)
        .join(n, n.c.id == i.c.norm_id)
        .where(i.c.organisation_id == org.id)
        .order_by(i.c.id)
    )
    for row in db.execute(stmt2).mappings():
        local = row["occurred_at"].astimezone(CALENDAR_ZONE)
        yield {
            **row,
            "description": None,
            "occurred_on": local.date(),
            "occurred_time": local.strftime("%H:%M"),
            **people.get(row["id"], {}),
        }
