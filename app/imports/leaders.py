"""`Leidinggevende` in an employees file: the manager's personnel number sets the team's
managers.

An HR export names each employee's manager. A team's managers become the people its rows
name, leaving out what the managers' own rows name (a team leader's row names their own
manager, who leads the team leaders, not the team); a team whose rows all belong to the
people named keeps what they name. The managers must be employees with a manager role
(stored, or given one by the same file) who are still employed after the import: not
deactivated or past their end date, by what is stored or by the same file (its `actief`,
end date, names, or `deactivate_missing`). Teams whose list changes are replaced and
counted in a warning; teams the file does not name are left alone.
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from app.core.dates import day_of
from app.core.models import bulk_update
from app.core.queries import chunks
from app.imports.kinds import CHUNK, Context, in_, lookup_by_key, replace_links, table_of
from app.imports.parsing import Record, RowError
from app.organisation.models import MANAGER_ROLES, Employee, Role, Team, TeamManager

MANAGER_ROLE_VALUES = {r.value for r in MANAGER_ROLES}
ROLE_VALUES = {r.value for r in Role}
State = tuple[str, str | None]  # role, and why inactive (None: active)


def inactive_reason(row: Any, today: date) -> str | None:
    """Why a stored employee (``active``, ``ended_on``) is no longer employed; None if
    they are. An end date today or earlier counts even before the worker's daily pass."""
    if not row.active:
        return "deactivated"
    if row.ended_on is not None and row.ended_on <= today:
        return f"out of service since {row.ended_on.isoformat()}"
    return None


def inactive_manager(number: str, reason: str) -> str:
    """The row error's message for a manager who is no longer employed."""
    return (
        f"employee {number!r} is inactive ({reason}); someone no longer employed cannot lead a team"
    )


def _states(ctx: Context, records: list[Record], wanted: set[str]) -> dict[str, State]:
    """Role, and why inactive (None: active), of each wanted personnel number after this
    import: the file's row (role column; actief, end date or names) over what is stored."""
    stored = lookup_by_key(
        ctx, table_of(Employee), "external_id", sorted(wanted), "role", "active", "ended_on"
    )
    today = day_of(ctx.now)
    states = {k: (row.role, inactive_reason(row, today)) for k, row in stored.items()}
    for r in records:
        key = r.values["external_id"]
        if key not in wanted:
            continue
        # A new employee without a role column gets the default role.
        role, reason = states.get(key, (Role.employee.value, None))
        if "role" in ctx.columns and r.values["role"] in ROLE_VALUES:
            role = r.values["role"]
        # Set when the file says who is active (employees.writes_active: actief, an end
        # date, or names, which reactivate): the state the row writes. A stored end date
        # the file has no column for stays, and the worker's daily pass acts on it.
        if "active" in r.values:
            ended = (
                r.values["ended_on"]
                if "ended_on" in ctx.columns
                else getattr(stored.get(key), "ended_on", None)
            )
            if not r.values["active"]:
                reason = f"made inactive by row {r.row}"
            elif ended is not None and ended <= today:
                reason = f"out of service since {ended.isoformat()}"
            else:
                reason = None
        states[key] = (role, reason)
    if ctx.deactivate_missing:
        # deactivate_missing deactivates whom no row lists (failed rows count as listed).
        for key in wanted - ctx.keys_seen:
            if key in states and states[key][1] is None:
                states[key] = (states[key][0], "not in the file: deactivate_missing")
    return states


def check(ctx: Context, records: list[Record]) -> list[RowError]:
    """Row errors for managers who do not exist, have no manager role or are inactive."""
    if "team_external_id" not in ctx.columns:
        return []
    wanted = {m for r in records if (m := r.values["manager_external_id"]) is not None}
    if not wanted:
        return []
    in_file = {r.values["external_id"] for r in records}
    states = _states(ctx, records, wanted)
    column = ctx.header("manager_external_id")
    errors = []
    for r in records:
        m = r.values["manager_external_id"]
        if m is None or m == r.values["external_id"]:
            continue
        role, reason = states.get(m, (None, None))
        if role is None and m not in in_file:
            errors.append(RowError(r.row, column, m, f"no employee with personnel number {m!r}"))
        elif role is not None and role not in MANAGER_ROLE_VALUES:
            errors.append(
                RowError(
                    r.row,
                    column,
                    m,
                    f"employee {m!r} has role {role!r}; a team's manager must be "
                    "team_manager (leidinggevende) or senior_management (directie)",
                )
            )
        elif reason is not None:
            # Rule: a team's manager is employed (as an unknown manager, a row error).
            errors.append(RowError(r.row, column, m, inactive_manager(m, reason)))
    return errors


def managers_by_team(records: list[Record]) -> dict[uuid.UUID, set[str]]:
    """Each team's managers as personnel numbers, by the rule of the module docstring."""
    rows: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for r in records:
        team, m, own = (
            r.values.get("team_id"),
            r.values["manager_external_id"],
            r.values["external_id"],
        )
        if team is not None and m is not None and m != own:
            rows.setdefault(team, []).append((own, m))
    out: dict[uuid.UUID, set[str]] = {}
    for team, pairs in rows.items():
        named = {m for _own, m in pairs}
        out[team] = {m for own, m in pairs if own not in named} or named
    return out


def set_team_managers(ctx: Context, records: list[Record], ids: dict[Any, uuid.UUID]) -> list[str]:
    """Replace the managers of the teams whose list the file changes; what it did, in words."""
    if "team_external_id" not in ctx.columns:
        return [
            "column Leidinggevende is not used: it sets a team's managers, and the file "
            "has no Team column"
        ]
    wanted = managers_by_team(records)
    if not wanted:
        return []
    numbers = {m for ms in wanted.values() for m in ms}
    stored = lookup_by_key(ctx, table_of(Employee), "external_id", sorted(numbers - set(ids)))
    id_of = {**{k: row.id for k, row in stored.items()}, **ids}
    link = table_of(TeamManager)
    current: dict[uuid.UUID, set[uuid.UUID]] = {}
    for part in chunks(list(wanted), CHUNK):
        stmt = select(link.c.team_id, link.c.employee_id).where(
            link.c.organisation_id == ctx.org_id, in_(ctx, link.c.team_id, part)
        )
        for team_id, employee_id in ctx.session.execute(stmt):
            current.setdefault(team_id, set()).add(employee_id)
    # A team one of whose managers cannot be found keeps its list (check() refuses the
    # rows naming them; this is the backstop): never a list cut short.
    changed = {
        team: sorted(new)
        for team, numbers_ in wanted.items()
        if numbers_ <= id_of.keys()
        and (new := {id_of[m] for m in numbers_}) != current.get(team, set())
    }
    if not changed:
        return []
    if not ctx.dry_run:
        replace_links(ctx, link, owner="team_id", target="employee_id", links=changed)
        teams = table_of(Team)
        for part in chunks(list(changed), CHUNK):
            ctx.session.execute(
                bulk_update(teams, at=ctx.now).where(
                    teams.c.organisation_id == ctx.org_id, in_(ctx, teams.c.id, part)
                )
            )
    verb = "would be" if ctx.dry_run else "were"
    return [
        f"the managers of {len(changed)} team(s) {verb} set from column "
        f"{ctx.header('manager_external_id')!r}"
    ]
