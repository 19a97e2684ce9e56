"""A process keeps the connections it opened: under a load that fills its connection slots
again and again, no request pays for a new connection (config ``db_max_overflow``).

A pool's overflow connection is closed when it is given back while the pool holds its
pool size idle, so with a pool of 10 and 10 overflow (the old defaults) a load whose
connections in use swing by more than 10 (an event loop works in batches) opened and closed
PostgreSQL connections again and again: a new server process each time, and 1.3-1.5x of the
hot reads' throughput (docs/performance.md, item 11).
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
from sqlalchemy import Engine, event

from app.core.config import get_settings
from app.core.engine import make_async_engine, make_engine

HOLD_SECONDS = 30  # a barrier that is never reached fails the test instead of hanging it


def _counter(engine: Engine) -> Callable[[], int]:
    opened: list[object] = []
    event.listen(engine, "connect", lambda conn, _record: opened.append(conn))
    return lambda: len(opened)


def _fill_the_slots(engine: Engine, slots: int) -> None:
    # Every slot's unit of work holds its connection until all of them hold one.
    together = Barrier(slots, timeout=HOLD_SECONDS)

    def unit(_: int) -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            together.wait()

    with ThreadPoolExecutor(max_workers=slots) as threads:
        list(threads.map(unit, range(slots)))


def test_the_threaded_pool_keeps_every_slot_s_connection(database_url: str) -> None:
    slots = get_settings().db_connections
    engine = make_engine(database_url)
    opened = _counter(engine)
    try:
        _fill_the_slots(engine, slots)
        assert opened() == slots
        for _ in range(3):
            _fill_the_slots(engine, slots)
        assert opened() == slots, "a later burst within the slots opened new connections"
    finally:
        engine.dispose()


def test_the_async_read_pool_keeps_every_slot_s_connection(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the async read path is PostgreSQL's (core/db.py run_read)")
    slots = get_settings().db_connections
    engine = make_engine(database_url)
    reads = make_async_engine(engine)
    opened = _counter(reads.sync_engine)

    async def burst() -> None:
        together = asyncio.Barrier(slots)

        async def unit() -> Any:
            async with reads.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
                async with asyncio.timeout(HOLD_SECONDS):
                    await together.wait()

        # A task group: if one unit fails, the others are cancelled and give their
        # connections back before the pool is disposed.
        async with asyncio.TaskGroup() as units:
            for _ in range(slots):
                units.create_task(unit())

    async def bursts() -> None:
        try:
            await burst()
            assert opened() == slots
            for _ in range(3):
                await burst()
            assert opened() == slots, "a later burst within the slots opened new connections"
        finally:
            await reads.dispose()

    try:
        asyncio.run(bursts())
    finally:
        engine.dispose()
