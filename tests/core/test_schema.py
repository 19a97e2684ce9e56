"""Migrations and models agree; migrations go down and up; serve refuses an old schema."""

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from app import cli
from app.core import migrate


def test_models_and_migrations_agree(engine: Engine) -> None:
    # ``engine`` was built by ``alembic upgrade head`` (SQLite, or PostgreSQL in CI).
    assert migrate.schema_diff(engine) == []
    assert migrate.is_up_to_date(engine)


def test_downgrade_base_then_upgrade_head(fresh_engine: Engine) -> None:
    migrate.upgrade(fresh_engine)
    assert migrate.current_revision(fresh_engine) == migrate.head_revision()
    migrate.downgrade(fresh_engine, "base")
    assert migrate.current_revision(fresh_engine) is None
    leftover = set(inspect(fresh_engine).get_table_names()) - {"alembic_version"}
    assert leftover == set(), f"downgrade base left tables behind: {leftover}"
    migrate.upgrade(fresh_engine)
    assert migrate.schema_diff(fresh_engine) == []


def test_serve_migrates_sqlite_automatically(
    tmp_path: Path, swap_engine: Callable[[Engine], None]
) -> None:
    from app.core.engine import make_engine

    eng = make_engine(f"sqlite:///{tmp_path}/embedded.db")
    try:
        swap_engine(eng)
        assert migrate.current_revision(eng) is None
        cli.ensure_schema()
        assert migrate.is_up_to_date(eng)
        cli.ensure_schema()  # up to date: nothing to do
    finally:
        eng.dispose()


def test_serve_refuses_an_outdated_postgresql_schema(
    fresh_engine: Engine, swap_engine: Callable[[Engine], None]
) -> None:
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (VEERKRACHT_TEST_DATABASE_URL)")
    swap_engine(fresh_engine)
    with pytest.raises(SystemExit) as empty:
        cli.ensure_schema()
    message = str(empty.value.code)
    assert "has no schema yet" in message and "veerkracht migrate" in message
    assert migrate.current_revision(fresh_engine) is None, "must not migrate a server database"

    migrate.upgrade(fresh_engine, "0001")
    with pytest.raises(SystemExit) as old:
        cli.ensure_schema()
    message = str(old.value.code)
    assert "at migration 0001" in message and str(migrate.head_revision()) in message
    assert migrate.current_revision(fresh_engine) == "0001"

    migrate.upgrade(fresh_engine)
    cli.ensure_schema()  # up to date: starts
