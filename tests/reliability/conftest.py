"""Shared helpers of the reliability tests."""

import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from app.main import create_app
from tests.database import SavepointDatabase

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


_APP: FastAPI | None = None


_DATABASE: SavepointDatabase | None = None


@pytest.fixture
def app_under_test(engine: Engine, db: Session) -> FastAPI:
    """The root fixture's app, built once per process: these tests make hundreds of them.

    Building the app costs more than most tests here; each test still gets its own session
    (one savepoint per request, exactly like tests/conftest.py).
    """
    global _APP, _DATABASE
    if _APP is None or _DATABASE is None:
        _DATABASE = SavepointDatabase(engine, db)
        _APP = create_app(database=_DATABASE)
    _DATABASE.test_session = db
    return _APP
