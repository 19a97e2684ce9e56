"""The engines: how this service connects to SQLite and PostgreSQL, and the process's own.

Per-dialect settings live here (SQLite's pragmas and its ``BEGIN IMMEDIATE`` for writers,
psycopg 3 and the pool's bounds on PostgreSQL); where the work on a connection runs, and
how many may run at once, is ``app/core/db.py``'s business.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.core.config import get_settings

_engine: Engine | None = None

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _casefold(value: str | None) -> str | None:
    return None if value is None else value.casefold()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLite's lower() and LIKE fold ASCII only ("DANIËLLE" would not find "Daniëlle"):
    # text search compares Python's casefold of both sides (core/queries.contains_text).
    dbapi_conn.create_function("casefold", 1, _casefold, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # Another process's writer (a second worker, the CLI) is waited for in the thread.
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # pysqlite defers BEGIN; an explicit BEGIN IMMEDIATE takes the write lock up front so a
    # read-then-write transaction cannot deadlock into "database is locked" mid-request.
    options = conn.get_execution_options()
    if options.get("sqlite_nowait", False):
        # Work that may be skipped (Database.write_if_free) does not wait for another
        # process's writer: BEGIN IMMEDIATE fails at once with SQLITE_BUSY instead.
        conn.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        return
    immediate = options.get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str | None = None, **kw: Any) -> Engine:
    """Create an engine for a URL with this service's per-dialect settings."""
    settings = get_settings()
    parsed = make_url(url or settings.database_url)
    pool: dict[str, Any] = {}
    if kw.get("poolclass") is not NullPool:
        # The same bounded pool on both databases: its size is the number of slots.
        pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            echo=settings.db_echo,
            hide_parameters=True,  # SQL echo logs no secrets or personal data
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                "isolation_level": None,
            },
            **pool,
            **kw,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        _psycopg(parsed), echo=settings.db_echo, hide_parameters=True, **_postgres(pool, kw)
    )
    _price_random_reads(engine)
    return engine


# Only where the server has no value of its own: a value a DBA gave in postgresql.conf, a
# managed parameter group, ALTER DATABASE or ALTER ROLE has another source, and is kept.
PRICE_RANDOM_READS = (
    "SELECT set_config('random_page_cost', %s, false) FROM pg_settings"
    " WHERE name = 'random_page_cost' AND source = 'default'"
)


def _price_random_reads(engine: Engine) -> None:
    """Each new PostgreSQL connection prices a random page read at
    ``VEERKRACHT_DB_RANDOM_PAGE_COST``, where the server keeps its built-in 4.

    That default prices storage as spinning disks, so the planner walks the primary key of
    a large table rather than read one organisation's rows from its own index
    (docs/performance.md, "First pages of an organisation that joined last"). A statement
    once per connection rather than a startup option: PgBouncer refuses startup options it
    does not track.
    """
    cost = get_settings().db_random_page_cost
    if not cost:
        return

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True  # no transaction left open before the first checkout
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute(PRICE_RANDOM_READS, (str(cost),))
            cursor.close()
        finally:
            dbapi_conn.autocommit = autocommit

    event.listen(engine, "connect", on_connect)


def make_async_engine(sync: Engine) -> AsyncEngine:
    """PostgreSQL: the engine of the async read path (``run_read``) beside ``sync``.

    The same database and pool bounds, psycopg in its async mode, and autocommit: a read
    on this path is one or a few single statements that each see their own snapshot, as
    every statement does under read committed, so BEGIN and COMMIT would only add two round
    trips. (No server-side cursor here: streamed exports run in a session's transaction.)
    """
    settings = get_settings()
    pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    engine = create_async_engine(
        _psycopg(sync.url),
        echo=settings.db_echo,
        hide_parameters=True,
        isolation_level="AUTOCOMMIT",
        **_postgres(pool, {}),
    )
    _price_random_reads(engine.sync_engine)
    return engine


def _psycopg(url: URL) -> URL:
    # A bare postgresql:// URL means psycopg 3 here (SQLAlchemy's default is psycopg2).
    if url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def _postgres(pool: dict[str, Any], kw: dict[str, Any]) -> dict[str, Any]:
    settings = get_settings()
    if not settings.db_server_side_prepare:
        kw.setdefault("connect_args", {})["prepare_threshold"] = None
    if pool:
        # A ping is a round trip on every request; without it a connection lost since its
        # last use fails once (503 problem, core/errors.py) and SQLAlchemy renews the pool.
        pool["pool_pre_ping"] = settings.db_pool_pre_ping
        pool["pool_recycle"] = settings.db_pool_recycle_seconds
    return {**pool, **kw}


def get_engine() -> Engine:
    """The process-wide engine, created on first use."""
    global _engine
    if _engine is None:
        _engine = make_engine()
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Replace the process-wide engine (tests, CLI)."""
    global _engine
    _engine = engine


def new_session(engine: Engine | None = None) -> Session:
    """A session with ``expire_on_commit=False`` so results stay readable after commit.

    For code outside a request (the CLI, the demo); requests use ``Database``.
    """
    return Session(engine or get_engine(), expire_on_commit=False)


Renewers = tuple[tuple[Engine, Callable[[Any], None]], ...]


def renew_together(one: Engine, other: Engine) -> Renewers:
    # The two pools reach one server: a lost connection that either finds (a restart, a
    # failover) renews both, so the outage fails one request, not one per pool. Without I/O:
    # the old pool's idle connections are dropped, not closed.
    listeners = (
        (one, _renewer(other)),
        (other, _renewer(one)),
    )
    for engine, listener in listeners:
        event.listen(engine, "handle_error", listener)
    return listeners


def _renewer(other: Engine) -> Callable[[Any], None]:
    def renew(context: Any) -> None:
        if context.is_disconnect:
            other.dispose(close=False)

    return renew


_IMMEDIATE: dict[tuple[int, bool], Engine] = {}


def immediate(engine: Engine, *, nowait: bool = False) -> Engine:
    # The same engine and pool, with the options that make _sqlite_begin take the write lock
    # (and, with nowait, fail at once where another process holds it).
    found = _IMMEDIATE.get((id(engine), nowait))
    if found is None or found.pool is not engine.pool:
        found = engine.execution_options(sqlite_immediate=True, sqlite_nowait=nowait)
        _IMMEDIATE[(id(engine), nowait)] = found
    return found
