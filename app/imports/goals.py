"""Import kinds of the learning domain: team goals and personal goals (alignment rule).

Goals carry no external id: a team goal is identified by team and skill, a personal goal
by employee and skill (the latest such goal is updated, whatever its status, so importing
the same file twice changes nothing). Personal goals go through the alignment rule: one
that serves no active objective of the employee's own team is refused with the learning
domain's own explanation (``check_alignment``), unless the organisation allows unaligned
goals, in which case it is stored, flagged, and a warning says so.
"""

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, col

from app.core.ids import uuid7
from app.core.queries import chunks, unique_chunks
from app.imports.cells import choice, normalise_header, parse_date, text
from app.imports.kinds import (
    CHUNK,
    Context,
    Directory,
    Kind,
    Outcome,
    in_,
    lookup_by_key,
    table_of,
)
from app.imports.parsing import Column, Record, RowError
from app.learning import service as learning_service
from app.learning.models import (
    OPEN_PERSONAL_GOAL_STATUSES,
    Alignment,
    PersonalGoal,
    PersonalGoalStatus,
    Skill,
    TeamGoal,
    TeamGoalStatus,
)
from app.organisation.models import Employee, Organisation, Team

SKILL_COLUMN = Column(
    "skill_code",
    ("skill", "vaardigheid", "vaardigheidscode", "skill code"),
    text(64, required=True),
    True,
)
DESCRIPTION_COLUMN = Column(
    "description",
    ("omschrijving", "doel", "leerdoel", "beschrijving"),
    text(10_000, required=True),
    True,
)


def skill_finder(ctx: Context) -> tuple[Callable[[str], Any], list[str]]:
    """Every skill of the organisation in one query: a function finding (id, retired) by
    code, or by Dutch label (case, accents and punctuation ignored) when one skill has it;
    and the codes, for messages."""
    t = table_of(Skill)
    rows = ctx.session.execute(
        select(t.c.code, t.c.id, t.c.retired, t.c.label_nl).where(t.c.organisation_id == ctx.org_id)
    ).all()
    by_code = {code: (id_, retired) for code, id_, retired, _label in rows}
    by_label: dict[str, list[tuple[Any, bool]]] = {}
    for _code, id_, retired, label in rows:
        by_label.setdefault(normalise_header(label), []).append((id_, retired))

    def find(value: str) -> Any:
        found = by_code.get(value)
        if found is None:
            labelled = by_label.get(normalise_header(value), [])
            found = labelled[0] if len(labelled) == 1 else None
        return found

    return find, sorted(by_code)


def _skills(ctx: Context, records: list[Record]) -> list[RowError]:
    # A retired skill takes no new goals.
    find, codes = skill_finder(ctx)
    column = ctx.header("skill_code")
    errors = []
    for r in records:
        code = r.values["skill_code"]
        found = find(code)
        if found is None:
            errors.append(
                RowError(r.row, column, code, f"no skill {code!r} (known: {', '.join(codes)})")
            )
        elif found[1]:
            errors.append(RowError(r.row, column, code, "is a retired skill; choose a current one"))
        else:
            r.values["skill_id"] = found[0]
    return errors


def _duplicates(records: list[Record], key: Callable[[Record], Any], what: str) -> list[RowError]:
    first: dict[Any, int] = {}
    errors = []
    for r in records:
        k = key(r)
        if k in first:
            errors.append(
                RowError(r.row, None, None, f"the same {what} is already on row {first[k]}")
            )
        else:
            first[k] = r.row
    return errors


def _latest(
    ctx: Context, table: sa.Table, owner: str, owner_ids: list[uuid.UUID], fields: list[str]
) -> dict[tuple[uuid.UUID, uuid.UUID], Any]:
    # The latest goal per (owner, skill): ids are time-ordered, so the highest id wins.
    out: dict[tuple[uuid.UUID, uuid.UUID], Any] = {}
    for part in unique_chunks(owner_ids, CHUNK):
        stmt = (
            select(table.c.id, table.c[owner], table.c.skill_id, *(table.c[f] for f in fields))
            .where(table.c.organisation_id == ctx.org_id, in_(ctx, table.c[owner], part))
            .order_by(table.c.id)
        )
        for row in ctx.session.execute(stmt).all():
            out[(row[1], row.skill_id)] = row
    return out


def _write_goals(
    ctx: Context,
    table: sa.Table,
    owner: str,
    records: list[Record],
    fields: list[str],
    defaults: dict[str, Any],
) -> tuple[Outcome, list[tuple[uuid.UUID, uuid.UUID]]]:
    """Insert or update goals by (owner, skill); returns the counts and what changed."""
    outcome = Outcome()
    touched: list[tuple[uuid.UUID, uuid.UUID]] = []
    existing = _latest(ctx, table, owner, [r.values[owner] for r in records], fields)
    inserts, updates = [], []
    for r in records:
        key = (r.values[owner], r.values["skill_id"])
        values = {f: r.values[f] for f in fields}
        row = existing.get(key)
        if row is None:
            inserts.append(
                {
                    **defaults,
                    **values,
                    owner: key[0],
                    "skill_id": key[1],
                    "id": uuid7(),
                    "organisation_id": ctx.org_id,
                    "created_at": ctx.now,
                    "updated_at": ctx.now,
                }
            )
        elif any(getattr(row, f) != v for f, v in values.items()):
            updates.append(
                {"b_id": row.id, "b_updated_at": ctx.now} | {f"b_{f}": v for f, v in values.items()}
            )
        else:
            outcome.unchanged += 1
            continue
        touched.append(key)
    outcome.created, outcome.updated = len(inserts), len(updates)
    if not ctx.dry_run:
        if inserts:
            ctx.session.execute(insert(table), inserts)
        if updates:
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({f: bindparam(f"b_{f}") for f in (*fields, "updated_at")})
            )
            ctx.session.execute(stmt, updates)
    return outcome, touched


# --- team goals -------------------------------------------------------------------------

TEAM_GOAL_STATUS_ALIASES = {"actief": "active", "behaald": "achieved", "gearchiveerd": "archived"}
TEAM_GOAL_COLUMNS = (
    Column(
        "team_external_id",
        ("team", "teamcode", "team code", "team id"),
        text(100, required=True),
        True,
    ),
    SKILL_COLUMN,
    DESCRIPTION_COLUMN,
    Column("target_on", ("streefdatum", "doeldatum", "target date", "uiterlijk"), parse_date),
    Column(
        "status",
        ("status",),
        choice(TeamGoalStatus, TEAM_GOAL_STATUS_ALIASES, default=TeamGoalStatus.active),
    ),
)


def _resolve_team_goals(ctx: Context, records: list[Record]) -> list[RowError]:
    teams = Directory.load(ctx, Team)
    column = ctx.header("team_external_id")
    errors = _skills(ctx, records)
    for r in records:
        value = r.values["team_external_id"]
        found = teams.find(value)
        if found is None:
            errors.append(
                RowError(r.row, column, value, f"no team with external id (or name) {value!r}")
            )
        else:
            r.values["team_id"] = found
    ok = [r for r in records if "team_id" in r.values and "skill_id" in r.values]
    errors += _duplicates(
        ok, lambda r: (r.values["team_id"], r.values["skill_id"]), "team and skill"
    )
    return errors


def _write_team_goals(ctx: Context, records: list[Record]) -> Outcome:
    fields = ["description"] + [f for f in ("target_on", "status") if f in ctx.columns]
    for r in records:
        r.values.setdefault("status", TeamGoalStatus.active.value)
    outcome, touched = _write_goals(
        ctx,
        table_of(TeamGoal),
        "team_id",
        records,
        fields,
        {
            "target_on": None,
            "status": TeamGoalStatus.active.value,
            "source_protocol_section_id": None,
        },
    )
    if touched and not ctx.dry_run:
        outcome.warnings += _reevaluate(ctx, touched)
    return outcome


def _reevaluate(ctx: Context, touched: list[tuple[uuid.UUID, uuid.UUID]]) -> list[str]:
    # New, achieved or archived team objectives change which personal goals are aligned:
    # the learning domain re-runs its rule over the open goals of those teams and skills.
    teams = list({t for t, _ in touched})
    skills = list({s for _, s in touched})
    members = select(col(Employee.id)).where(col(Employee.team_id).in_(teams))
    goals = ctx.session.scalars(
        select(PersonalGoal).where(
            col(PersonalGoal.status).in_(OPEN_PERSONAL_GOAL_STATUSES),
            col(PersonalGoal.skill_id).in_(skills),
            col(PersonalGoal.employee_id).in_(members),
        )
    ).all()
    changed = learning_service.reevaluate_personal_goals(ctx.session, goals=goals)
    return [f"{changed} personal goals changed alignment after these team goals"] if changed else []


TEAM_GOALS = Kind(
    name="team-goals",
    columns=TEAM_GOAL_COLUMNS,
    key=None,
    resolve=_resolve_team_goals,
    write=_write_team_goals,
    summary="Team objectives: team, skill code, description, target date, status.",
)

# --- personal goals ---------------------------------------------------------------------

PERSONAL_GOAL_STATUS_ALIASES = {
    "concept": "draft",
    "afgesproken": "agreed",
    "behaald": "achieved",
    "vervallen": "dropped",
}
PERSONAL_GOAL_COLUMNS = (
    Column(
        "employee_external_id",
        ("personeelsnummer", "medewerker", "employee", "employee id", "medewerkernummer"),
        text(100, required=True),
        True,
    ),
    SKILL_COLUMN,
    DESCRIPTION_COLUMN,
    Column(
        "status",
        ("status",),
        choice(PersonalGoalStatus, PERSONAL_GOAL_STATUS_ALIASES, default=PersonalGoalStatus.draft),
    ),
)


def _resolve_personal_goals(ctx: Context, records: list[Record]) -> list[RowError]:
    errors = _skills(ctx, records)
    people = lookup_by_key(
        ctx,
        table_of(Employee),
        "external_id",
        [r.values["employee_external_id"] for r in records],
        "team_id",
    )
    column = ctx.header("employee_external_id")
    for r in records:
        emp = people.get(r.values["employee_external_id"])
        if emp is None:
            errors.append(
                RowError(
                    r.row,
                    column,
                    r.values["employee_external_id"],
                    "no employee with this external id",
                )
            )
        else:
            r.values["employee_id"] = emp.id
            r.values["team_id"] = emp.team_id
    ok = [r for r in records if "employee_id" in r.values and "skill_id" in r.values]
    errors += _duplicates(
        ok, lambda r: (r.values["employee_id"], r.values["skill_id"]), "employee and skill"
    )
    errors += _align(ctx, ok)
    return errors


def _align(ctx: Context, records: list[Record]) -> list[RowError]:
    # A row that updates a stored goal follows update_personal_goal: the rule runs again
    # only when the row reopens the goal, and then against the team goal chosen for it;
    # otherwise the goal keeps its alignment (a re-imported export changes nothing).
    stored = _latest(
        ctx,
        table_of(PersonalGoal),
        "employee_id",
        [r.values["employee_id"] for r in records],
        ["team_goal_id", "status", "alignment", "aligned_team_goal_id"],
    )
    new, reopened = [], []
    for r in records:
        goal = stored.get((r.values["employee_id"], r.values["skill_id"]))
        if goal is None:
            new.append(r)
        elif goal.status not in OPEN_PERSONAL_GOAL_STATUSES and (
            r.values.get("status", goal.status) in OPEN_PERSONAL_GOAL_STATUSES
        ):
            reopened.append((r, goal.team_goal_id))
        else:
            r.values["alignment"] = goal.alignment
            r.values["aligned_team_goal_id"] = goal.aligned_team_goal_id
    return _align_new(ctx, new) + _run_rule(ctx, reopened)


def _align_new(ctx: Context, records: list[Record]) -> list[RowError]:
    # The common case in bulk: an active objective of the employee's own team with the same
    # skill (the oldest, as check_alignment picks). Every other row goes through the
    # learning domain's check_alignment itself, which explains the refusal.
    t = table_of(TeamGoal)
    teams = list({r.values["team_id"] for r in records if r.values["team_id"] is not None})
    objective: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
    for part in chunks(teams, CHUNK):
        stmt = (
            select(t.c.id, t.c.team_id, t.c.skill_id)
            .where(
                t.c.organisation_id == ctx.org_id,
                t.c.status == TeamGoalStatus.active.value,
                in_(ctx, t.c.team_id, part),
            )
            .order_by(t.c.id)
        )
        for id_, team_id, skill_id in ctx.session.execute(stmt).all():
            objective.setdefault((team_id, skill_id), id_)
    unaligned = []
    for r in records:
        goal = objective.get((r.values["team_id"], r.values["skill_id"]))
        r.values["aligned_team_goal_id"] = goal
        r.values["alignment"] = Alignment.aligned.value if goal else Alignment.unaligned.value
        if goal is None:
            unaligned.append((r, None))
    return _run_rule(ctx, unaligned)


def _run_rule(ctx: Context, records: Sequence[tuple[Record, uuid.UUID | None]]) -> list[RowError]:
    # Each row with the team goal chosen for it (None: any active objective of the team).
    if not records:
        return []
    employees = {
        e.id: e
        for part in chunks([r.values["employee_id"] for r, _ in records], CHUNK)
        for e in ctx.session.scalars(select(Employee).where(col(Employee.id).in_(part))).all()
    }
    allowed = ctx.org.settings.allow_unaligned_personal_goals
    errors = []
    column = ctx.header("skill_code")
    for r, team_goal_id in records:
        verdict = learning_service.check_alignment(
            ctx.session,
            employee=employees[r.values["employee_id"]],
            skill_id=r.values["skill_id"],
            team_goal_id=team_goal_id,
        )
        r.values["aligned_team_goal_id"] = verdict.aligned_team_goal_id
        r.values["alignment"] = (
            Alignment.aligned.value if verdict.aligned else Alignment.unaligned.value
        )
        if not verdict.aligned and not allowed:
            assert verdict.violation is not None
            errors.append(
                RowError(r.row, column, r.values["skill_code"], verdict.violation["message"])
            )
    return errors


def _write_personal_goals(ctx: Context, records: list[Record]) -> Outcome:
    fields = ["description", "alignment", "aligned_team_goal_id"] + (
        ["status"] if "status" in ctx.columns else []
    )
    outcome, _ = _write_goals(
        ctx,
        table_of(PersonalGoal),
        "employee_id",
        records,
        fields,
        {"team_goal_id": None, "status": PersonalGoalStatus.draft.value},
    )
    flagged = [r.row for r in records if r.values["alignment"] == Alignment.unaligned.value]
    if flagged:
        rows = ", ".join(str(n) for n in flagged[:20]) + (" ..." if len(flagged) > 20 else "")
        outcome.warnings.append(
            f"{len(flagged)} goals serve no active objective of their team and are stored as "
            f"unaligned (the organisation allows this): rows {rows}"
        )
    return outcome


PERSONAL_GOALS = Kind(
    name="personal-goals",
    columns=PERSONAL_GOAL_COLUMNS,
    key=None,
    resolve=_resolve_personal_goals,
    write=_write_personal_goals,
    summary="Personal learning goals: employee, skill code, description, status; each must "
    "serve an active objective of the employee's team (alignment rule).",
)


# --- export -----------------------------------------------------------------------------


def _export(
    db: Session,
    org: Organisation,
    table: sa.Table,
    owner: sa.Table,
    owner_column: str,
    label: str,
) -> Iterator[dict[str, Any]]:
    # Goals whose team or employee has an external id, with it and the skill code; per
    # owner and skill only the latest goal, the one the import's key finds and updates
    # (an older, archived or dropped goal on its own row would make the file's key twice).
    skill = table_of(Skill)
    newer = table.alias("newer")
    stmt = (
        select(table, owner.c.external_id.label(label), skill.c.code.label("skill_code"))
        .join(owner, owner.c.id == table.c[owner_column])
        .join(skill, skill.c.id == table.c.skill_id)
        .where(
            table.c.organisation_id == org.id,
            owner.c.external_id.is_not(None),
            ~sa.exists().where(
                newer.c[owner_column] == table.c[owner_column],
                newer.c.skill_id == table.c.skill_id,
                newer.c.id > table.c.id,
            ),
        )
        .order_by(table.c.id)
    )
    for row in db.execute(stmt).mappings():
        yield dict(row)


def export_team_goals(db: Session, org: Organisation) -> Iterator[dict[str, Any]]:
    """Team goals in the import's format."""
    return _export(db, org, table_of(TeamGoal), table_of(Team), "team_id", "team_external_id")


def export_personal_goals(db: Session, org: Organisation) -> Iterator[dict[str, Any]]:
    """Personal goals in the import's format."""
    return _export(
        db,
        org,
        table_of(PersonalGoal),
        table_of(Employee),
        "employee_id",
        "employee_external_id",
    )
