"""`Leidinggevende` in an employees file: the manager's personnel number sets the team's
managers.

An HR export names each employee's manager. A team's managers become the people its rows
name, leaving out what the managers' own rows name (a team leader's row names their own
manager, who leads the team leaders, not the team); a team whose rows all belong to the
people named keeps what they name. The managers must be employees with a manager role
(stored, or given one by the same file), and a new one must still be employed after the
import: not deactivated or past their end date, by what is stored or by the same file (its
`actief`, end date, names, or `deactivate_missing`). A manager the team already has may
stay, as over the API (organisation/teams.py): the daily export that records a manager's
leaving still names them for their staff. Teams whose list changes are replaced and
counted in a warning; teams the file does not name are left alone.
"""

import uuid
from typing import Any

from sqlalchemy import select

from app.core.dates import day_of
from app.core.models import bulk_update
from app.core.queries import chunks
from app.imports.kinds import CHUNK, Context, in_, lookup_by_key, replace_links, table_of
from app.imports.parsing import Record, RowError
from app.organisation.models import (
    MANAGER_ROLES,
    Employee,
    Role,
    Team,
    TeamManager,
    employment_ended,
)

MANAGER_ROLE_VALUES = {r.value for r in MANAGER_ROLES}
ROLE_VALUES = {r.value for r in Role}
# role; why no longer employed after the import (None: employed); the stored id, if any
State = tuple[str, str | None, uuid.UUID | None]


def inactive_manager(number: str, reason: str) -> str:
    """The row error's message for a manager who is no longer employed."""
    return (
        f"employee {number!r} is inactive ({reason}); someone no longer employed cannot become "
        "a team's manager"
    )


def current_managers(ctx: Context, team_ids: set[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """The managers these teams have now (employee ids): one query per chunk."""
    link = table_of(TeamManager)
    current: dict[uuid.UUID, set[uuid.UUID]] = {}
    for part in chunks(list(team_ids), CHUNK):
        stmt = select(link.c.team_id, link.c.employee_id).where(
            link.c.organisation_id == ctx.org_id, in_(ctx, link.c.team_id, part)
        )
        for team_id, employee_id in ctx.session.execute(stmt):
            current.setdefault(team_id, set()).add(employee_id)
    return current


def _states(ctx: Context, records: list[Record], wanted: set[str]) -> dict[str, State]:
    """Role, why no longer employed and stored id of each wanted personnel number after
    this import: the file's row (role column; actief, end date or names) over what is
    stored."""
    stored = lookup_by_key(
        ctx, table_of(Employee), "external_id", sorted(wanted), "role", "active", "ended_on"
    )
    today = day_of(ctx.now)
    states = {
        k: (row.role, employment_ended(row.active, row.ended_on, today), row.id)
        for k, row in stored.items()
    }
    for r in records:
        key = r.values["external_id"]
        if key not in wanted:
            continue
        # A new employee without a role column gets the default role.
        role, reason, stored_id = states.get(key, (Role.employee.value, None, None))
        if "role" in ctx.columns and r.values["role"] in ROLE_VALUES:
            role = r.values["role"]
        # Set when the file says who is active (employees.writes_active: actief, an end
        # date, or names, which reactivate; an end date today or earlier has already made
        # the row inactive): the state the row writes. A stored end date the file has no
        # column for stays, and the worker's daily pass acts on it.
        if "active" in r.values:
            ended = (
                r.values["ended_on"]
                if "ended_on" in ctx.columns
                else getattr(stored.get(key), "ended_on", None)
            )
            reason = (
                employment_ended(True, ended, today)
                if r.values["active"]
                else f"made inactive by row {r.row}"
            )
        states[key] = (role, reason, stored_id)
    if ctx.deactivate_missing:
        # deactivate_missing deactivates whom no row lists (failed rows count as listed).
        for key in wanted - ctx.keys_seen:
            if key in states and states[key][1] is None:
                role, _, stored_id = states[key]
                states[key] = (role, "not in the file: deactivate_missing", stored_id)
    return states


def check(ctx: Context, records: list[Record]) -> list[RowError]:
    """Row errors for managers who do not exist, have no manager role or are inactive."""
    errors = _check_once(ctx, records)
    # Partial mode writes only the rows that pass, and without the refused ones a team's
    # managers may be others (managers_by_team), who must pass as well: again, until no
    # row is newly refused (each round refuses one more row at least).
    while ctx.partial and errors:
        bad = {e.row for e in errors}
        rest = [r for r in records if r.row not in bad]
        new = [e for e in _check_once(ctx, rest) if e.row not in bad]
        if not new:
            break
        errors += new
    return errors


def _check_once(ctx: Context, records: list[Record]) -> list[RowError]:
    if "team_external_id" not in ctx.columns:
        return []
    wanted = {m for r in records if (m := r.values["manager_external_id"]) is not None}
    if not wanted:
        return []
    in_file = {r.values["external_id"] for r in records}
    states = _states(ctx, records, wanted)
    leaving = any(reason is not None for _role, reason, _id in states.values())
    becoming = managers_by_team(records) if leaving else {}  # each team's managers after
    current = current_managers(ctx, set(becoming)) if leaving else {}
    column = ctx.header("manager_external_id")
    errors = []
    for r in records:
        m = r.values["manager_external_id"]
        if m is None or m == r.values["external_id"]:
            continue
        role, reason, stored_id = states.get(m, (None, None, None))
        team = r.values.get("team_id")
        # Only someone the file makes a team's manager, who is not one already, must be
        # employed: not a team leader's own manager, nor one named by a row without a team.
        if team is None or m not in becoming.get(team, ()) or stored_id in current.get(team, ()):
            reason = None
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
                    code="not-a-manager",
                )
            )
        elif reason is not None:
            # Rule: a team's new manager is employed (the API's 409 not-a-manager).
            errors.append(
                RowError(r.row, column, m, inactive_manager(m, reason), code="not-a-manager")
            )
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
    current = current_managers(ctx, set(wanted))
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
