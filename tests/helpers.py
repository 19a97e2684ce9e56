"""Test helpers shared by every domain."""

import functools
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, tzinfo
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event, text

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


def wait_until_waiting(engine: Engine, request: Future[Any], waiters: int) -> None:
    """Until ``waiters`` transactions of this database wait for a lock: the one ``request``
    sent among them (the test fails if it answers instead of waiting)."""
    assert waits_for_lock(engine, request, waiters), request.result().text


def waits_for_lock(engine: Engine, request: Future[Any], waiters: int) -> bool:
    """Whether ``request`` comes to wait for a lock (``waiters`` transactions of this
    PostgreSQL database waiting, it among them) rather than answer: watched until one of
    the two, so the test waits for a state, not for a time."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()"
    )
    with engine.connect() as watch:
        for _ in range(3000):
            found = watch.execute(waiting).scalar_one()
            watch.rollback()  # pg_stat_activity is a snapshot per transaction
            if request.done() or found >= waiters:
                break
            threading.Event().wait(0.01)
    return not request.done()
