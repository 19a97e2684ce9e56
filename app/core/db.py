"""Where database work runs: the engine, connection slots and the request's session.

The design, in one paragraph (docs/concurrency.md says the same at more length): nothing
that can wait blocks the event loop. Every statement, commit and rollback runs in a worker
thread, except the hot reads on PostgreSQL (``run_read``), which use psycopg's async mode
on the loop, where every wait is an await. Before a request (or any other unit of work) may
use a connection it takes a *connection slot* on the event loop: an asyncio semaphore with
exactly as many places as the pool has connections (``db_pool_size + db_max_overflow``).
Waiting for a slot costs no thread and no connection, so requests beyond the pool queue
there, cheaply and in order, and one that waits longer than ``db_acquire_timeout_seconds``
is answered ``503`` with ``Retry-After``. A slot holder therefore never waits for a pool
(the async read path's pool has the same bounds, and the slots count both), and the
thread pool is larger than the pool (checked at start), so a slot holder always gets a
thread: the two cannot starve each other into a deadlock. Nothing holds two slots at once.
On SQLite, whose writers take turns anyway, a write also takes the process's writer turn
(an asyncio lock) before its slot, so queued writers wait on the loop, not in busy-waiting
threads that hold connections; a request's read takes one of a few readers' turns
(``db_sqlite_readers``), since its work is this process's CPU and more at once only contend
for the interpreter.

One transaction per request: the session dependency commits once on success, before the
response is sent, and rolls back on any error, so a failed request writes nothing and a
2xx is only sent for a committed change.
"""

import asyncio
import logging
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.concurrency import run_in_threadpool

from app.core.config import Settings, get_settings
from app.core.engine import Renewers, get_engine, immediate, make_async_engine, renew_together
from app.core.errors import ServiceUnavailable
from app.core.problems import ProblemCode

log = logging.getLogger("veerkracht.db")

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
    # SQLite: a read unit takes one of these turns before its slot (``db_sqlite_readers``).
    readers: asyncio.Semaphore
    writer: asyncio.Lock = field(default_factory=asyncio.Lock)


class Database:
    """Runs database work off the event loop, within the pool's bounds (module doc)."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        connections: int,
        acquire_timeout: float,
        sqlite_readers: int | None = None,
    ) -> None:
        self._engine = engine
        self.connections = connections
        self.acquire_timeout = acquire_timeout
        # SQLite: request reads at once (``db_sqlite_readers``; see ``slot``).
        self.sqlite_readers = sqlite_readers or get_settings().db_sqlite_readers
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )
        # Units of work holding a slot right now, in this process.
        self.in_flight = 0
        # The async read path's engine, per sync engine (None: reads hop to a thread).
        self._async: tuple[Engine, AsyncEngine | None] | None = None
        self._renewers: Renewers = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        """The process's database with the configured pool and acquire timeout."""
        return cls(
            connections=settings.db_connections,
            acquire_timeout=settings.db_acquire_timeout_seconds,
            sqlite_readers=settings.db_sqlite_readers,
        )

    @property
    def engine(self) -> Engine:
        # Resolved on use: the CLI and the tests choose the process-wide engine late.
        return self._engine or get_engine()

    @property
    def async_engine(self) -> AsyncEngine | None:
        """PostgreSQL: the engine ``run_read`` reads through without a thread (module doc).

        None on SQLite (its driver would only run the same calls in a thread of its own)
        and when ``db_async_reads`` is off.
        """
        engine = self.engine
        if self._async is None or self._async[0] is not engine:
            self._unlink()  # the process-wide engine was replaced (CLI, tests)
            async_engine = None
            if engine.dialect.name == "postgresql" and get_settings().db_async_reads:
                async_engine = make_async_engine(engine)
                self._renewers = renew_together(engine, async_engine.sync_engine)
            self._async = (engine, async_engine)
        return self._async[1]

    async def dispose(self) -> None:
        """Close the async read path's pooled connections (the app's shutdown)."""
        if self._async is not None and self._async[1] is not None:
            self._unlink()
            await self._async[1].dispose()
        self._async = None

    def _unlink(self) -> None:
        for engine, listener in self._renewers:
            event.remove(engine, "handle_error", listener)
        self._renewers = ()

    # --- slots -----------------------------------------------------------------------

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState(
                asyncio.Semaphore(self.connections),
                asyncio.Semaphore(self.sqlite_readers),
            )
        return state

    def _units_take_turns(self) -> bool:
        # SQLite: writers take turns anyway (one write lock per database); request reads
        # take a few turns, since a read there is this process's own CPU work, not the
        # database server's: a few at once serve pages faster than many (figures:
        # docs/performance.md).
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def slot(
        self, *, write: bool, wait: bool = True, brief: bool = False
    ) -> AsyncIterator[None]:
        """Hold one connection's place (and on SQLite a turn) for a unit of work.

        Waits on the event loop, at most ``acquire_timeout`` seconds in all (not at all with
        ``wait=False``); then ``DatabaseBusy`` (503 with Retry-After). On SQLite the writer's
        turn, or for a request's read one of the readers' turns, is taken before the slot,
        always in that order, so a queued unit never sits on a slot another could use, and a
        long write never keeps the readers from their turns. A ``brief`` read (a key's
        look-up, the readiness ping: ``read``) takes no turn, so long reads holding every
        turn (exports, large reports) never hold up authentication or ``/readyz``.
        """
        state = self._state()
        loop = asyncio.get_running_loop()
        # wait=False: a deadline of now cancels any acquire that would have to suspend
        # (queue behind a holder or a waiter), while one that is free completes at once.
        deadline = loop.time() + (self.acquire_timeout if wait else 0.0)
        turn: asyncio.Lock | asyncio.Semaphore | None = None
        if self._units_take_turns():
            turn = state.writer if write else (None if brief else state.readers)
        try:
            async with asyncio.timeout_at(deadline):
                if turn is not None:
                    await turn.acquire()
                try:
                    await state.slots.acquire()
                except BaseException:
                    if turn is not None:
                        turn.release()
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
            # knows not to wait for it (main.py), and its slot (and turn) is not handed on.
            raise
        except BaseException:
            self._give_back(state, turn)
            raise
        else:
            self._give_back(state, turn)

    def _give_back(self, state: _LoopState, turn: asyncio.Lock | asyncio.Semaphore | None) -> None:
        self.in_flight -= 1
        state.slots.release()
        if turn is not None:
            turn.release()

    async def drained(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no unit of work holds a slot; True if none."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.in_flight and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return not self.in_flight

    # --- sessions --------------------------------------------------------------------

    def open(self, *, read_only: bool, nowait: bool = False) -> Session:
        """A new session for one unit of work (no I/O: the connection comes with the first
        statement). Only call it while holding a slot. ``nowait``: see write_if_free."""
        session = self._new_session(read_only=read_only, nowait=nowait)
        session.info[READ_ONLY] = read_only
        session.info[_DATABASE] = self
        return session

    def _new_session(self, *, read_only: bool, nowait: bool = False) -> Session:
        engine = self.engine
        if not read_only and engine.dialect.name == "sqlite":
            # Take SQLite's write lock at BEGIN (see _sqlite_begin).
            engine = immediate(engine, nowait=nowait)
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
        """Run ``fn(session, *args, **kwargs)`` in a read-only transaction of its own: a brief
        look-up (a key, an Idempotency-Key record, the readiness ping), which on SQLite takes
        no readers' turn (``slot``)."""
        async with self.slot(write=False, brief=True):
            return await run_in_threadpool(self._run_once, False, fn, *args, **kwargs)

    async def write(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run ``fn(session, *args, **kwargs)`` in a transaction of its own, committed."""
        async with self.slot(write=True):
            return await run_in_threadpool(self._run_once, True, fn, *args, **kwargs)

    async def write_if_free(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run ``fn`` in a write of its own only if it can start at once; False if skipped.

        For work that may wait for a later request (telemetry such as a key's last use): it
        never queues for a connection, for the writer's turn of an import running in this
        process, for another process's write lock (SQLite) or for a row lock held by another
        transaction (PostgreSQL: an import deactivating users holds theirs until it commits),
        so the request it rides on is never held up by it, nor failed: an error (a lost
        connection, a broken statement) is logged and the work left to a later request.
        """
        try:
            async with self.slot(write=True, wait=False):
                return await run_in_threadpool(self._run_if_free, fn, args, kwargs)
        except DatabaseBusy:
            return False
        except Exception as exc:
            log.warning(
                "deferred work failed", extra={"work": fn.__qualname__, "error": str(exc)[:300]}
            )
            return False

    def _run_if_free(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> bool:
        session = self.open(read_only=False, nowait=True)
        try:
            self._unit(session, _without_lock_waits, fn, *args, **kwargs)
        except OperationalError as exc:
            if _would_wait(exc):
                return False
            raise
        return True

    def _run_once(self, write: bool, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        # One thread hop for the whole unit: open, work, commit or roll back, close.
        return self._unit(self.open(read_only=not write), fn, *args, **kwargs)

    def _unit(self, session: Session, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        # fn(session, ...), then commit; roll back on any error. The session is closed.
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


async def run_read(
    fn: Callable[Concatenate[Session, P], R], db: Session, *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run ``fn(db, ...)``, the database work of an async read route, and end the read.

    On PostgreSQL through the async driver, on the event loop with no thread at all: the
    same sync code runs in a greenlet (SQLAlchemy's ``run_sync``) on a session that carries
    the request's organisation, so the tenant criteria apply as everywhere
    (core/tenancy.py), and the request's connection slot bounds its pool checkout, which
    therefore never waits. Elsewhere in the thread pool, in one hop with the end of the
    read's transaction (it has nothing to commit).
    """
    database = db.info.get(_DATABASE)
    if database is None or not db.info.get(READ_ONLY):
        return await run_in_threadpool(fn, db, *args, **kwargs)
    engine = database.async_engine
    if engine is None or db.in_transaction():
        return await run_in_threadpool(
            _read_and_end, database, db, partial(fn, db, *args, **kwargs)
        )
    # The request's own session never started (no I/O yet): closing it costs nothing.
    db.info[_ENDED] = True
    database.finish(db, commit=False)
    async with AsyncSession(engine, expire_on_commit=False) as unit:
        scoped = unit.sync_session  # SQLModel's Session, with the request's organisation
        scoped.info.update(db.info)
        return await unit.run_sync(lambda _: fn(scoped, *args, **kwargs))


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


def _without_lock_waits(db: Session, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    # write_if_free on PostgreSQL: a row lock held elsewhere fails the work at once. (SQLite
    # takes its one lock at BEGIN, without waiting either: _sqlite_begin.) 0 would mean "no
    # limit": 1 ms is the shortest limit the server takes.
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL lock_timeout = '1ms'"))
    return fn(db, *args, **kwargs)


def _would_wait(exc: OperationalError) -> bool:
    """The lock was held elsewhere: SQLite's "database is locked" (busy timeout 0), or
    PostgreSQL's ``lock_not_available`` (lock_timeout)."""
    if getattr(exc.orig, "sqlstate", None) == "55P03":
        return True
    # The extended result code (SQLITE_BUSY_RECOVERY, ...): its low byte is the primary one.
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
