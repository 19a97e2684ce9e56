"""Time-ordered UUIDs (version 7, RFC 9562).

Ids sort by creation time, so keyset pagination on the primary key alone gives a stable
order in which rows inserted during a scan appear at the end: no gaps, no repeats.
"""

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_RAND_B = (1 << 62) - 1
_MS = (1 << 48) - 1


def _next_stamp() -> tuple[int, int]:
    """(milliseconds, counter) of the next id; call with ``_lock`` held."""
    global _last_ms, _counter
    ms = time.time_ns() // 1_000_000
    if ms <= _last_ms:
        _counter += 1
        if _counter > 0xFFF:
            _last_ms += 1
            _counter = 0
        ms = _last_ms
    else:
        _last_ms = ms
        _counter = 0
    return ms, _counter


def _make(ms: int, counter: int, rand_b: int) -> uuid.UUID:
    value = (ms & _MS) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand_b & _RAND_B
    return uuid.UUID(int=value)


def uuid7() -> uuid.UUID:
    """A new UUIDv7; monotonic within this process (12-bit counter in rand_a)."""
    with _lock:
        ms, counter = _next_stamp()
    return _make(ms, counter, int.from_bytes(os.urandom(8), "big"))


def uuid7_many(n: int) -> list[uuid.UUID]:
    """``n`` new UUIDv7s in increasing order, for bulk inserts (imports, the audit trail).

    The same ids as ``n`` calls of ``uuid7()`` in a row would give (one millisecond, the
    counter running on), for a third of the time: one lock, one clock read and one read of
    randomness for the lot.
    """
    return [uuid.UUID(int=value) for value in _uuid7_values(n)]


def uuid7_hex_many(n: int) -> list[str]:
    """``uuid7_many(n)`` as 32 hex digits each, for ids that go straight into SQL text
    (``core.queries.id_pairs``): half the time, without a UUID object per id."""
    return [f"{value:032x}" for value in _uuid7_values(n)]


def _uuid7_values(n: int) -> list[int]:
    global _last_ms, _counter
    if n <= 0:
        return []
    random = os.urandom(8 * n)
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms, first = _last_ms, _counter + 1
        else:
            first = 0
        last = first + n - 1
        _last_ms, _counter = ms + last // 0x1000, last % 0x1000
    head = (0x7 << 76) | (0b10 << 62)
    return [
        head
        | (((ms + k // 0x1000) & _MS) << 80)
        | ((k % 0x1000) << 64)
        | (int.from_bytes(random[8 * i : 8 * i + 8], "big") & _RAND_B)
        for i, k in enumerate(range(first, last + 1))
    ]
