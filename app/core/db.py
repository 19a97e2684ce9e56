"""Where database work runs: the engine, connection slots and the request's session.

The design, in one paragraph (docs/architecture.md says the same at more length): the event
loop never touches the database. Every statement, commit and rollback runs in a worker
thread. Before a request (or any other unit of work) may use a connection it takes a
*connection slot* on the event loop: an asyncio semaphore with exactly as many places as
the pool has connections (``db_pool_size + db_max_overflow``). Waiting for a slot costs no
thread and no connection, so requests beyond the pool queue there, cheaply and in order,
and one that waits longer than ``db_acquire_timeout_seconds`` is answered ``503`` with
``Retry-After``. A thread that holds a slot therefore never waits for the pool, and the
thread pool is larger than the pool (checked at start), so a slot holder always gets a
thread: the two cannot starve each other into a deadlock. Nothing holds two slots at once.
On SQLite, whose writers take turns anyway, a write also takes the process's writer turn
(an asyncio lock) before its slot, so queued writers wait on the loop, not in busy-waiting
threads that hold connections.

One transaction per request: the session dependency commits once on success, before the
response is sent, and rolls back on any error, so a failed request writes nothing and a
2xx is only sent for a committed change.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings, get_settings
from app.core.errors import ServiceUnavailable
from app.core.problems import ProblemCode

_engine: Engine | None = None

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
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
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str | None = None, **kw: Any) -> Engine:
    """Create an engine for a URL with this service's per-dialect settings."""
    settings = get_settings()
    url = url or settings.database_url
    parsed = make_url(url)
    pool: dict[str, Any] = {}
    if kw.get("poolclass") is not NullPool:
        # The same bounded pool on both databases: its size is the number of slots.
        pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            echo=settings.db_echo,
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
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if not settings.db_server_side_prepare:
        kw.setdefault("connect_args", {})["prepare_threshold"] = None
    if pool:
        # A ping is a round trip on every request; without it a connection lost since its
        # last use fails once (503 problem, core/errors.py) and SQLAlchemy renews the pool.
        pool["pool_pre_ping"] = settings.db_pool_pre_ping
        pool["pool_recycle"] = settings.db_pool_recycle_seconds
    return create_engine(url, echo=settings.db_echo, **pool, **kw)


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


# session.info key: True when the unit of work only reads (tenancy.get_scoped locks the
# rows it fetches only in a writing one).
READ_ONLY = "read_only"
# session.info key: the Database the session came from (run_read ends it through it).
_DATABASE = "database"

P = ParamSpec("P")
R = TypeVar("R")


class DatabaseBusy(ServiceUnavailable):
    """No connection became free within ``db_acquire_timeout_seconds``: 503, retry."""

    code: ProblemCode = "database-busy"


@dataclass
class _LoopState:
    # asyncio primitives belong to one event loop; a process normally has one, tests have
    # one per TestClient, so each loop gets its own (with the same sizes).
    slots: asyncio.Semaphore
    writer: asyncio.Lock = field(default_factory=asyncio.Lock)


class Database:
    """Runs database work off the event loop, within the pool's bounds (module doc)."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        connections: int,
        acquire_timeout: float,
    ) -> None:
        self._engine = engine
        self.connections = connections
        self.acquire_timeout = acquire_timeout
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )
        # Units of work holding a slot right now, in this process.
        self.in_flight = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        """The process's database with the configured pool and acquire timeout."""
        return cls(
            connections=settings.db_connections,
            acquire_timeout=settings.db_acquire_timeout_seconds,
        )

    @property
    def engine(self) -> Engine:
        # Resolved on use: the CLI and the tests choose the process-wide engine late.
        return self._engine or get_engine()

    # --- slots -----------------------------------------------------------------------

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState(asyncio.Semaphore(self.connections))
        return state

    def _writers_take_turns(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def slot(self, *, write: bool) -> AsyncIterator[None]:
        """Hold one connection's place (and on SQLite a writer's turn) for a unit of work.

        Waits on the event loop, at most ``acquire_timeout`` seconds in all; then
        ``DatabaseBusy`` (503 with Retry-After). The writer's turn is taken before the slot,
        always in that order, so a queued writer never sits on a slot a reader could use.
        """
        state = self._state()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.acquire_timeout
        writer = write and self._writers_take_turns()
        try:
            async with asyncio.timeout_at(deadline):
                if writer:
                    await state.writer.acquire()
                try:
                    await state.slots.acquire()
                except BaseException:
                    if writer:
                        state.writer.release()
                    raise
        except TimeoutError:
            raise DatabaseBusy(
                "Every database connection is in use; retry shortly.",
                headers={"Retry-After": "1"},
            ) from None
        self.in_flight += 1
        try:
            yield
        except asyncio.CancelledError:
            # Cancelled (a shutdown past its grace period): a worker thread may still be in
            # the database with this slot's connection. It stays counted, so the shutdown
            # knows not to wait for it (main.py), and its slot is not handed on.
            raise
        except BaseException:
            self._give_back(state, writer)
            raise
        else:
            self._give_back(state, writer)

    def _give_back(self, state: _LoopState, writer: bool) -> None:
        self.in_flight -= 1
        state.slots.release()
        if writer:
            state.writer.release()

    async def drained(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no unit of work holds a slot; True if none."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.in_flight and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return not self.in_flight

    # --- sessions --------------------------------------------------------------------

    def open(self, *, read_only: bool) -> Session:
        """A new session for one unit of work (no I/O: the connection comes with the first
        statement). Only call it while holding a slot."""
        session = self._new_session(read_only=read_only)
        session.info[READ_ONLY] = read_only
        session.info[_DATABASE] = self
        return session

    def _new_session(self, *, read_only: bool) -> Session:
        engine = self.engine
        if not read_only and engine.dialect.name == "sqlite":
            # Take SQLite's write lock at BEGIN (see _sqlite_begin).
            engine = _immediate(engine)
        return Session(engine, expire_on_commit=False)

    def finish(self, db: Session, *, commit: bool) -> None:
        """End the unit of work: commit (or roll back) and give the connection back."""
        try:
            if commit:
                db.commit()
            else:
                db.rollback()
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()

    @asynccontextmanager
    async def session(self, *, read_only: bool) -> AsyncIterator[Session]:
        """A slot and a session for a unit of work that spans several thread hops.

        Committed on success, rolled back on error, in the thread pool; the slot is given
        back only after the connection is (a cancelled wait for the thread still lets the
        thread finish first: anyio does not abandon it).
        """
        async with self.slot(write=not read_only):
            session = self.open(read_only=read_only)
            try:
                yield session
            except asyncio.CancelledError:
                # A worker thread may still be using the session: ending it here would
                # collide with that thread. Its transaction is never committed.
                raise
            except BaseException:
                await self._end(session, commit=False)
                raise
            else:
                await self._end(session, commit=True)

    async def _end(self, db: Session, *, commit: bool) -> None:
        if db.info.get(_ENDED):
            return
        if db.in_transaction():
            await run_in_threadpool(self.finish, db, commit=commit)
        else:
            # Nothing started (or run_read ended it already): closing does no I/O.
            self.finish(db, commit=commit)

    async def read(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run ``fn(session, *args, **kwargs)`` in a read-only transaction of its own."""
        async with self.slot(write=False):
            return await run_in_threadpool(self._run_once, False, fn, *args, **kwargs)

    async def write(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run ``fn(session, *args, **kwargs)`` in a transaction of its own, committed."""
        async with self.slot(write=True):
            return await run_in_threadpool(self._run_once, True, fn, *args, **kwargs)

    def _run_once(self, write: bool, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        # One thread hop for the whole unit: open, work, commit or roll back, close.
        session = self.open(read_only=not write)
        try:
            result = fn(session, *args, **kwargs)
        except BaseException:
            self.finish(session, commit=False)
            raise
        # A read ends with a commit too: it changes nothing, and unlike a rollback it leaves
        # the loaded objects readable (expire_on_commit=False).
        self.finish(session, commit=True)
        return result


# session.info key: the transaction was ended early (run_read), nothing is left to end.
_ENDED = "ended"


async def run_read(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call ``fn`` (the database work of an async read route) in the thread pool.

    The request's session is the first argument. The read's transaction ends in the same
    hop (it has nothing to commit, and PostgreSQL's read committed gives each statement its
    own snapshot anyway), which saves the session dependency a second hop just to end it.
    """
    session = args[0]
    if not isinstance(session, Session):
        raise TypeError("run_read: the request's session comes first")
    database = session.info.get(_DATABASE)
    if database is None or not session.info.get(READ_ONLY):
        return await run_in_threadpool(fn, *args, **kwargs)
    return await run_in_threadpool(_read_and_end, database, session, partial(fn, *args, **kwargs))


def _read_and_end(database: Database, db: Session, read: Callable[[], R]) -> R:
    try:
        result = read()
    except BaseException:
        database.finish(db, commit=False)
        db.info[_ENDED] = True
        raise
    database.finish(db, commit=True)
    db.info[_ENDED] = True
    return result


_IMMEDIATE: dict[int, Engine] = {}


def _immediate(engine: Engine) -> Engine:
    # The same engine and pool, with the option that makes _sqlite_begin take the write lock.
    found = _IMMEDIATE.get(id(engine))
    if found is None or found.pool is not engine.pool:
        found = engine.execution_options(sqlite_immediate=True)
        _IMMEDIATE[id(engine)] = found
    return found
