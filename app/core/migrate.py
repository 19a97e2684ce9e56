"""Running and checking Alembic migrations from code (CLI, serve, tests)."""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic config for this project; with ``engine``, migrations run on it."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for migrations (here, and ``alembic`` run by hand).

    On SQLite, a batch migration rebuilds a table: it copies it and drops the old one, and
    with foreign keys enforced, dropping a table that other rows still reference fails (a
    webhook subscription with deliveries, say). SQLite ignores the pragma inside a
    transaction, so enforcement is switched off before BEGIN, every reference is checked
    once before the commit instead (``foreign_key_check``), and it is switched on again
    before the connection goes back to the pool.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.dbapi_connection
        if sqlite and raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"the migration would leave rows referencing nothing: {broken[:5]}"
                        )
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision``."""
    with migration_connection(engine) as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the database schema down to ``revision``."""
    with migration_connection(engine) as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def head_revision() -> str | None:
    """The newest migration in the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    """True when the database schema matches the code's newest migration."""
    return current_revision(engine) == head_revision()


@contextmanager
def _expression_indexes_unread() -> Iterator[None]:
    # SQLite's reflection cannot read an index on an expression (``lower(user_name)``,
    # migration 0019) back, so SQLAlchemy and Alembic warn and leave it out of the
    # comparison. Expected here: PostgreSQL compares it, and on SQLite the tests of the
    # rule it keeps show that it is there.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        yield


def schema_diff(engine: Engine) -> list[object]:
    """What autogenerate would change: empty when models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from sqlmodel import SQLModel

    from app import models  # noqa: F401  (registers every table)

    with engine.connect() as conn, _expression_indexes_unread():
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, SQLModel.metadata))


def _drift_on_fresh_database(server_url: str | None) -> list[object]:
    """Upgrade a brand-new database to head and return the drift; never touches existing data.

    With a PostgreSQL server URL a temporary database is created there and dropped again.
    """
    import tempfile
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.core.engine import make_engine

    if server_url is None or make_url(server_url).get_backend_name() == "sqlite":
        engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/diff.db")
        try:
            upgrade(engine)
            return schema_diff(engine)
        finally:
            engine.dispose()
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"veerkracht_drift_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        return schema_diff(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":  # python -m app.core.migrate [SERVER_URL]: show model/migration drift
    import pprint
    import sys

    drift = _drift_on_fresh_database(sys.argv[1] if len(sys.argv) > 1 else None)
    sys.stdout.write(pprint.pformat(drift) + "\n")
    sys.exit(1 if drift else 0)
