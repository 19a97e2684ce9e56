"""Migrations and models agree; migrations go down and up; serve refuses an old schema."""

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, inspect, select, update

from app import cli
from app.core import engine as core_engine
from app.core import migrate
from app.core.models import utcnow
from app.organisation.models import Employee
from app.webhooks.models import WebhookDelivery, WebhookSubscription
from app.webhooks.signing import new_secret
from tests.factories.core import make_organisation


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


def test_migrations_go_down_and_up_with_rows_that_reference_each_other(
    fresh_engine: Engine,
) -> None:
    # SQLite rebuilds a table to drop a column (0018 drops two of webhook_subscription's);
    # with foreign keys enforced, dropping the old table under a delivery that references
    # it failed: the references are checked once, at the end, instead.
    migrate.upgrade(fresh_engine)
    with core_engine.new_session(fresh_engine) as db:
        org, *_keys = make_organisation(db, name="Stichting Migratie")
        sub = WebhookSubscription(
            organisation_id=org.id, url="https://hr.example.nl/hook", secret=new_secret()
        )
        db.add(sub)
        db.flush()
        db.add(
            WebhookDelivery(
                organisation_id=org.id,
                subscription_id=sub.id,
                event_id=uuid.uuid4(),
                event_type="webhook.ping",
            )
        )
        db.commit()
    migrate.downgrade(fresh_engine, "0017")
    migrate.upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one() == 1
    assert migrate.schema_diff(fresh_engine) == []


def test_a_migration_that_would_break_references_commits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "postgresql" in os.environ.get("VEERKRACHT_TEST_DATABASE_URL", ""):
        pytest.skip("the check at the end is SQLite's; PostgreSQL checks each statement")
    from app.core.engine import make_engine

    eng = make_engine(f"sqlite:///{tmp_path}/broken.db")
    try:
        migrate.upgrade(eng, "0017")
        # A delivery of a subscription that does not exist, slipped in with the checks off.
        raw = eng.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            raw.driver_connection.execute(  # type: ignore[union-attr]
                "INSERT INTO webhook_delivery (id, organisation_id, subscription_id, event_id,"
                " event_type, status, attempts, created_at, updated_at) VALUES"
                " ('a', 'b', 'nowhere', 'c', 'x', 'pending', 0, '2026-01-01', '2026-01-01')"
            )
            raw.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
        finally:
            raw.close()
        with pytest.raises(RuntimeError, match="referencing nothing"):
            migrate.upgrade(eng)
        assert migrate.current_revision(eng) == "0017"
    finally:
        eng.dispose()


def test_user_names_that_differ_only_in_case_stop_the_migration_that_forbids_them(
    fresh_engine: Engine,
) -> None:
    # Before 0019 the database compared userNames case by case: two provisioning calls that
    # raced could leave such a pair. 0019 names them and changes nothing.
    migrate.upgrade(fresh_engine, "0018")
    with core_engine.new_session(fresh_engine) as db:
        org, *_keys = make_organisation(db, name="Stichting Hoofdletters")
        names = ("Jan.Berg@Example.nl", "jan.berg@example.nl")
        pair = [
            Employee(organisation_id=org.id, first_name="Jan", last_name=f"Berg {n}",
                     user_name=user_name, created_at=utcnow(), updated_at=utcnow())
            for n, user_name in enumerate(names)
        ]  # fmt: skip
        # Written as rows of 0018's table: the model has columns of later revisions.
        at_0018 = inspect(fresh_engine).get_columns("employee")
        db.execute(
            insert(Employee.__table__),  # type: ignore[attr-defined]
            [{c["name"]: getattr(emp, c["name"]) for c in at_0018} for emp in pair],
        )
        db.commit()
        ids = ", ".join(sorted(str(emp.id) for emp in pair))
    with pytest.raises(RuntimeError, match="differs only in case") as stopped:
        migrate.upgrade(fresh_engine)
    assert f"employees {ids}" in str(stopped.value)
    # The names are often email addresses: they stay out of the deploy's log.
    assert "berg@" not in str(stopped.value).lower()
    assert migrate.current_revision(fresh_engine) == "0018"

    with fresh_engine.begin() as conn:
        conn.execute(
            update(Employee).where(Employee.user_name == names[0]).values(user_name="jan.b")
        )
    migrate.upgrade(fresh_engine)
    assert migrate.is_up_to_date(fresh_engine)
    assert migrate.schema_diff(fresh_engine) == []
