"""On SQLite a few reads run at once, and writes never wait for them (core/db.py ``slot``).

A read on SQLite is this process's own CPU work in a worker thread: with 20 at once the
threads and the event loop took turns for the interpreter, and one worker served a team's
page 1.3x slower than with 2 (docs/performance.md). So read units take one of
``db_sqlite_readers`` turns before their connection slot, as writers take the one writer's
turn; the rest wait on the event loop, holding neither a slot nor a thread.
"""

import asyncio
import threading

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import Database
from app.core.engine import make_engine

WAIT_SECONDS = 30  # a unit that never arrives fails the test instead of hanging it


def test_sqlite_reads_take_turns_and_a_write_does_not_wait_for_them(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's reads are the server's work: they use every slot")
    readers = get_settings().db_sqlite_readers
    engine = make_engine(database_url)
    database = Database(engine, connections=20, acquire_timeout=WAIT_SECONDS)
    inside = threading.Semaphore(0)
    release = threading.Event()

    def hold(db: Session) -> None:
        db.execute(text("SELECT 1"))
        inside.release()
        assert release.wait(WAIT_SECONDS)

    def write(db: Session) -> int:
        return int(db.execute(text("SELECT 1")).scalar_one())

    async def scenario() -> None:
        reads = [asyncio.create_task(database.read(hold)) for _ in range(readers + 3)]
        try:
            for _ in range(readers):
                assert await asyncio.to_thread(inside.acquire, timeout=WAIT_SECONDS)
            # Every other read has run up to its first wait by now; let the loop go round.
            for _ in range(10):
                await asyncio.sleep(0)
            assert database.in_flight == readers, "more reads than turns hold a slot"
            # A write has its own turn: the readers holding theirs do not keep it waiting.
            assert await asyncio.wait_for(database.write(write), WAIT_SECONDS) == 1
        finally:
            release.set()
        await asyncio.gather(*reads)
        assert database.in_flight == 0

    try:
        asyncio.run(scenario())
    finally:
        engine.dispose()
