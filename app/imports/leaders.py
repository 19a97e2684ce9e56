"""`Leidinggevende` in an employees file: the manager's personnel number sets the team's
managers.

An HR export names each employee's manager. A team's managers become the people its rows
name, leaving out what the managers' own rows name (a team leader's row names their own
manager, who leads the team leaders, not the team); a team whose rows all belong to the
people named keeps what they name. The managers must be employees with a manager role
(stored, or given one by the same file). Teams whose list changes are replaced and
counted in a warning; teams the file does not name are left alone.
"""

import uuid
from typing import Any

from sqlalchemy import select

from app.core.models import bulk_update
from app.core.queries import chunks
from app.imports.kinds import CHUNK, Context, in_, lookup_by_key, replace_links, table_of
from app.imports.parsing import Record, RowError
from app.organisation.models import MANAGER_ROLES, Employee, Role, Team, TeamManager

MANAGER_ROLE_VALUES = {r.value for r in MANAGER_ROLES}
ROLE_VALUES = {r.value for r in Role}


def _roles(ctx: Context, records: list[Record], wanted: set[str]) -> dict[str, str]:
    """The role of each wanted personnel number: the file's (role column), else stored."""
    stored = lookup_by_key(ctx, table_of(Employee), "external_id", sorted(wanted), "role")
    roles = {k: row.role for k, row in stored.items()}
    for r in records:
        key = r.values["external_id"]
        if key not in wanted:
            continue
        if "role" in ctx.columns and r.values["role"] in ROLE_VALUES:
            roles[key] = r.values["role"]
        else:  # a new employee without a role column gets the default role
            roles.setdefault(key, Role.employee.value)
    return roles


def check(ctx: Context, records: list[Record]) -> list[RowError]:
    """Row errors for managers who do not exist or have no manager role."""
    if "team_external_id" not in ctx.columns:
        return []
    wanted = {m for r in records if (m := r.values["manager_external_id"]) is not None}
    if not wanted:
        return []
    in_file = {r.values["external_id"] for r in records}
    roles = _roles(ctx, records, wanted)
    column = ctx.header("manager_external_id")
    errors = []
    for r in records:
        m = r.values["manager_external_id"]
        if m is None or m == r.values["external_id"]:
            continue
        role = roles.get(m)
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
