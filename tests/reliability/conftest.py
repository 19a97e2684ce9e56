"""Shared helpers of the reliability tests."""

import uuid

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

# Telemetry that any authenticated request may touch; not data of the organisation.
_VOLATILE = {("api_key", "last_used_at")}


def snapshot(db: Session, organisation_id: uuid.UUID) -> dict[str, frozenset[str]]:
    """Every row of one organisation in every table, to prove a request changed nothing.

    Read through the connection (Core), so the session's tenant scoping does not apply.
    """
    conn = db.connection()
    out: dict[str, frozenset[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        if "organisation_id" not in table.columns:
            continue
        cols = [c for c in table.columns if (table.name, c.name) not in _VOLATILE]
        rows = conn.execute(select(*cols).where(table.c.organisation_id == organisation_id))
        out[table.name] = frozenset(repr(tuple(row)) for row in rows)
    return out


def total_rows(db: Session) -> dict[str, int]:
    """Row count of every table (all organisations)."""
    conn = db.connection()
    return {
        t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
        for t in SQLModel.metadata.sorted_tables
    }
