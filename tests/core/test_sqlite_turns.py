"""On SQLite a few request reads run at once, and nothing else waits for them (core/db.py
``slot``).

A read on SQLite is this process's own CPU work in a worker thread: with 20 at once the
threads and the event loop took turns for the interpreter, and one worker served a team's
page 1.3x slower than with 2 (docs/performance.md). So a request's read session takes one
of ``db_sqlite_readers`` turns before its connection slot, as a write takes the one
writer's turn; the rest wait on the event loop, holding neither a slot nor a thread. Writes
and the brief look-ups (a key, the readiness ping: ``Database.read``) take no readers'
turn, so long reads holding every turn never hold them up.
"""

import asyncio
import threading

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.db import Database, DatabaseBusy

READERS = 2
WAIT_SECONDS = 30  # a unit that never arrives fails the test instead of hanging it


class Holds:
    """Request reads that hold their turn until released, counting those inside."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.inside = threading.Semaphore(0)
        self.release = threading.Event()

    def _hold(self, db: Session) -> None:
        db.execute(text("SELECT 1"))
        self.inside.release()
        assert self.release.wait(WAIT_SECONDS)

    async def read(self) -> None:
        async with self.database.session(read_only=True) as db:
            await run_in_threadpool(self._hold, db)

    async def arrived(self, count: int) -> None:
        for _ in range(count):
            assert await asyncio.to_thread(self.inside.acquire, timeout=WAIT_SECONDS)
        # Every other unit has run up to its first wait by now; let the loop go round.
        for _ in range(10):
            await asyncio.sleep(0)


@pytest.fixture
def database(engine: Engine, is_postgres: bool) -> Database:
    if is_postgres:
        pytest.skip("PostgreSQL's reads are the server's work: they use every slot")
    return Database(engine, connections=20, acquire_timeout=WAIT_SECONDS, sqlite_readers=READERS)


def _one(db: Session) -> int:
    return int(db.execute(text("SELECT 1")).scalar_one())


def test_reads_take_turns_and_writes_and_look_ups_do_not_wait_for_them(
    database: Database,
) -> None:
    async def scenario() -> None:
        holds = Holds(database)
        reads = [asyncio.create_task(holds.read()) for _ in range(READERS + 3)]
        try:
            await holds.arrived(READERS)
            assert database.in_flight == READERS, "more reads than turns hold a slot"
            # A write has its own turn, a look-up (authentication, /readyz) needs none.
            assert await asyncio.wait_for(database.write(_one), WAIT_SECONDS) == 1
            assert await asyncio.wait_for(database.read(_one), WAIT_SECONDS) == 1
        finally:
            holds.release.set()
        await asyncio.gather(*reads)
        assert database.in_flight == 0

    asyncio.run(scenario())


def test_a_read_that_waits_too_long_or_fails_gives_every_turn_back(database: Database) -> None:
    async def scenario() -> None:
        holds = Holds(database)
        held = [asyncio.create_task(holds.read()) for _ in range(READERS)]
        await holds.arrived(READERS)
        database.acquire_timeout = 0.05  # the queued read's deadline, not a speed
        with pytest.raises(DatabaseBusy):
            await holds.read()
        holds.release.set()
        await asyncio.gather(*held)

        with pytest.raises(ZeroDivisionError):
            async with database.session(read_only=True):
                raise ZeroDivisionError

        # Every turn is free again: as many reads as there are turns get in at once.
        database.acquire_timeout = WAIT_SECONDS
        again = Holds(database)
        back = [asyncio.create_task(again.read()) for _ in range(READERS)]
        try:
            await again.arrived(READERS)
            assert database.in_flight == READERS
        finally:
            again.release.set()
        await asyncio.gather(*back)

    asyncio.run(scenario())
