"""Import kinds of the organisation: function groups and teams (with managers).

Employees are in ``employees.py``.

Import order for a new organisation: function groups, teams, employees, then teams again
with ``manager_external_ids`` (managers must exist as employees with a manager role, and
still be employed: not deactivated, not past their end date).
"""

import uuid
from typing import Any

from app.core.dates import day_of
from app.imports import leaders
from app.imports.cells import id_list, integer, parse_date, text
from app.imports.kinds import (
    Context,
    Kind,
    Outcome,
    changed_links,
    lookup_by_key,
    replace_links,
    table_of,
    upsert,
)
from app.imports.parsing import Column, Record, RowError
from app.organisation.models import (
    COMPARABLE_GROUP_MAX,
    EXTERNAL_ID_MAX,
    MANAGER_ROLES,
    NAME_MAX,
    TEXT_MAX,
    Employee,
    FunctionGroup,
    Team,
    TeamManager,
    employment_ended,
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
    # Comparable functions (issue 20, item 6): the set of comparable function groups.
    Column(
        "comparable_group",
        ("vergelijkbare functies", "functiecluster", "cluster", "comparable group"),
        text(COMPARABLE_GROUP_MAX),
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
        defaults={
            "description": None,
            "risk_assessed_on": None,
            "comparable_group": None,
            "custom_needs": False,
        },
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
    found = lookup_by_key(
        ctx, table_of(Employee), "external_id", sorted(wanted), "role", "active", "ended_on"
    )
    today = day_of(ctx.now)
    leaving = {
        k: reason
        for k, emp in found.items()
        if (reason := employment_ended(emp.active, emp.ended_on, today)) is not None
    }
    # A manager the team already has may stay after they leave (leaders.py, as the API).
    kept: dict[Any, set[uuid.UUID]] = {}
    if leaving:
        teams = lookup_by_key(
            ctx, table_of(Team), "external_id", [r.values["external_id"] for r in records]
        )
        current = leaders.current_managers(ctx, {t.id for t in teams.values()})
        kept = {k: current.get(t.id, set()) for k, t in teams.items()}
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
                        code="not-a-manager",
                    )
                )
            elif ext in leaving and emp.id not in kept.get(r.values["external_id"], ()):
                # Rule: a team's new manager is employed (leaders.py, as for Leidinggevende).
                message = leaders.inactive_manager(ext, leaving[ext])
                errors.append(RowError(r.row, column, ext, message, code="not-a-manager"))
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
