"""Engine and the per-request session.

SQLite (embedded default) gets foreign keys, WAL and a busy timeout; PostgreSQL uses
psycopg 3 with a bounded pool. One transaction per request: the session dependency
commits once on success, before the response is sent, and rolls back on any error, so a
failed request writes nothing and a 2xx is only sent for a committed change.
"""

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.config import get_settings

_engine: Engine | None = None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # pysqlite defers BEGIN; an explicit BEGIN IMMEDIATE takes the write lock up front so a
    # read-then-write transaction cannot deadlock into "database is locked" mid-request.
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str | None = None, **kw: Any) -> Engine:
    """Create an engine for a URL with this service's per-dialect settings."""
    settings = get_settings()
    url = url or settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            echo=settings.db_echo,
            connect_args={"check_same_thread": False, "timeout": 10, "isolation_level": None},
            **kw,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if kw.get("poolclass") is NullPool:
        return create_engine(url, echo=settings.db_echo, **kw)
    return create_engine(
        url,
        echo=settings.db_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # A ping is a round trip on every request; without it a connection lost since its
        # last use fails once (503 problem, core/errors.py) and SQLAlchemy renews the pool.
        pool_pre_ping=settings.db_pool_pre_ping,
        pool_recycle=settings.db_pool_recycle_seconds,
        **kw,
    )


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
    """A session with ``expire_on_commit=False`` so results stay readable after commit."""
    return Session(engine or get_engine(), expire_on_commit=False)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# session.info key: True when the request only reads (core/auth.py records last_used_at
# in its own short transaction then, so a read never takes the write lock).
READ_ONLY = "read_only"
_STATE_KEY = "db_session"


async def get_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency: one transaction per request, committed before the response.

    Use it through ``SessionDep`` (``DbSession`` in core/auth.py): its ``scope="function"``
    makes FastAPI run the commit after the route function and the response serialisation
    but BEFORE the response is sent, so a failing commit (a unique violation found only at
    commit, a lost connection) is answered by the error handlers (409, 503) instead of
    being lost after a 2xx already went out. With the default request scope FastAPI sends
    the response first and runs the exit code afterwards.

    It is async because opening a session does no I/O (the connection is taken at the first
    statement); only the commit or rollback goes to the thread pool: one hop, not two.
    """
    existing = getattr(request.state, _STATE_KEY, None)
    if isinstance(existing, Session):
        # Declared twice in one request (e.g. once without the scope): one transaction.
        yield existing
        return
    read_only = request.method in SAFE_METHODS or getattr(request.state, "read_only", False)
    engine = get_engine()
    if not read_only and engine.dialect.name == "sqlite":
        # Take SQLite's write lock at BEGIN (see _sqlite_begin) for requests that write.
        engine = _immediate(engine)
    session = new_session(engine)
    session.info[READ_ONLY] = read_only
    setattr(request.state, _STATE_KEY, session)
    try:
        yield session
    except BaseException:
        await _finish_soon(session, commit=False)
        raise
    else:
        await _finish_soon(session, commit=True)
    finally:
        setattr(request.state, _STATE_KEY, None)


def _cannot_wait(session: Session) -> bool:
    # A read on SQLite is an in-process call that never waits for a lock (WAL: readers do
    # not wait for writers); a thread-pool hop costs more than the read itself.
    return bool(session.info.get(READ_ONLY)) and session.get_bind().dialect.name == "sqlite"


async def _finish_soon(session: Session, *, commit: bool) -> None:
    # Ending a transaction that cannot wait (none started, or a SQLite read) is done here;
    # anything else may wait on the network or a lock and goes to the thread pool, so the
    # event loop never stalls.
    if not session.in_transaction() or _cannot_wait(session):
        _finish(session, commit=commit)
    else:
        await run_in_threadpool(_finish, session, commit=commit)


P = ParamSpec("P")
R = TypeVar("R")


async def run_read(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call ``fn`` (database work of an async read route) where it costs least.

    The request's session is the first argument. A SQLite read runs right here: one hop to
    the thread pool costs more than the query. Everything else (PostgreSQL, a write) runs
    in the thread pool, where waiting on the network or a lock does not stall the loop.
    A read's transaction ends in that same hop (it has nothing to commit, and PostgreSQL's
    read committed gives each statement its own snapshot anyway), which saves the session
    dependency a second hop just to end it.
    """
    session = args[0]
    if not isinstance(session, Session):
        raise TypeError("run_read: the request's session comes first")
    if _cannot_wait(session):
        return fn(*args, **kwargs)
    if session.info.get(READ_ONLY):
        return await run_in_threadpool(_read_and_end, session, partial(fn, *args, **kwargs))
    return await run_in_threadpool(fn, *args, **kwargs)


def _read_and_end(session: Session, read: Callable[[], R]) -> R:
    try:
        return read()
    finally:
        _finish(session, commit=False)


def _finish(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def dry_run(request: Request) -> None:
    """Route dependency for a POST that only reads (a check, a dry run): no write lock.

    Declare it in the route's ``dependencies=[Depends(dry_run)]`` (resolved before the
    session): on SQLite the transaction then starts without taking the write lock, so
    checks do not queue behind each other and behind real writes.
    """
    request.state.read_only = True


_IMMEDIATE: dict[int, Engine] = {}


def _immediate(engine: Engine) -> Engine:
    # The same engine and pool, with the option that makes _sqlite_begin take the write lock.
    found = _IMMEDIATE.get(id(engine))
    if found is None or found.pool is not engine.pool:
        found = engine.execution_options(sqlite_immediate=True)
        _IMMEDIATE[id(engine)] = found
    return found


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
