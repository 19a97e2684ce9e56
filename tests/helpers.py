"""Test helpers shared by every domain."""

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event

from app.core import models as core_models
from app.main import create_app

PROBLEM = "application/problem+json"


class StatementCounter:
    """Counts the SQL statements sent to the database (N+1 tests)."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.strip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            return
        self.count += 1
        self.statements.append(statement)


@contextmanager
def count_statements(engine: Engine) -> Iterator[StatementCounter]:
    """``with count_statements(engine) as c: ...; c.count``"""
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def set_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    """Stop the service's one clock (``core.models.utcnow``) at an aware instant; call again
    to move it. A test comparing timestamps of two writes then never depends on the clock
    having ticked between them (nor on it never stepping back)."""

    class Stopped(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> "Stopped":
            moment = at if tz is None else at.astimezone(tz)
            return cls.fromtimestamp(moment.timestamp(), moment.tzinfo)

    monkeypatch.setattr(core_models, "datetime", Stopped)


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem document with this status (and code); return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert "title" in body and "code" in body
    if code is not None:
        assert body["code"] == code, body
    return body


@contextmanager
def sqlite_write_lock_elsewhere(engine: Engine) -> Iterator[None]:
    """SQLite's write lock, held by a connection of its own for the block."""
    conn = sqlite3.connect(str(engine.url.database), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@functools.cache
def built_app() -> FastAPI:
    """The app as ``create_app()`` builds it from the configured settings, built once per
    test process: for the tests that read its routes or its OpenAPI document (cached on the
    app), and for ``live_client``. Building one costs about a second (every route's
    parameter and response models), and the suite used to build dozens in each process. A
    test that needs an app built otherwise, or changes one, builds its own."""
    return create_app()
