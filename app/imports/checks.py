"""Rules an employees file is judged by, row by row: unique e-mail, still-manages-teams."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from app.core.queries import chunks
from app.imports.kinds import CHUNK, Context, in_, table_of
from app.imports.parsing import Record, RowError
from app.organisation import service as organisation_service
from app.organisation.models import MANAGER_ROLES, Employee


def demotions(ctx: Context, records: list[Record]) -> list[RowError]:
    """Rows giving a non-manager role to someone who manages a team (still-manages-teams)."""
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


def email_conflicts(ctx: Context, records: list[Record]) -> list[RowError]:
    """Rows whose e-mail is twice in the file, or owned by someone else."""
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
