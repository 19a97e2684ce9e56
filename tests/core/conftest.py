"""Fixtures of the foundation tests: apps with other settings, and throw-away databases."""

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.core import engine as core_engine
from app.core.config import Settings
from app.core.engine import make_engine
from app.main import create_app
from tests.database import SavepointDatabase

AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(savepoint_database: SavepointDatabase) -> Iterator[AppFactory]:
    """``make_client(settings, setup=fn)``: a client of an app built with other settings.

    Requests use the test's session, as with ``client``; ``setup(app)`` may add routes.
    """
    clients: list[TestClient] = []

    def factory(
        settings: Settings | None = None, setup: Callable[[FastAPI], None] | None = None
    ) -> TestClient:
        application = create_app(settings or Settings(), database=savepoint_database)
        if setup is not None:
            setup(application)
        c = TestClient(application, raise_server_exceptions=False)
        c.__enter__()
        clients.append(c)
        return c

    yield factory
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def fresh_database_url(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database on the test server (a new SQLite file, or a new PostgreSQL
    database that is dropped afterwards), for migration and start-up tests."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fresh') / 'fresh.db'}"
        return
    url = engine.url
    name = f"veerkracht_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(url.render_as_string(hide_password=False))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def fresh_engine(fresh_database_url: str) -> Iterator[Engine]:
    """An engine on ``fresh_database_url``, disposed afterwards."""
    eng = make_engine(fresh_database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def swap_engine(engine: Engine) -> Iterator[Callable[[Engine], None]]:
    """Make another engine the process-wide one for a test; the test engine comes back."""

    def swap(other: Engine) -> None:
        core_engine.set_engine(other)

    yield swap
    core_engine.set_engine(engine)
