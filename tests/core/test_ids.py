"""UUIDv7 ids: time-ordered and monotonic within the process, one by one or in bulk."""

import uuid

from app.core.ids import uuid7, uuid7_hex_many, uuid7_many


def _is_v7(u: uuid.UUID) -> bool:
    return u.version == 7 and u.variant == uuid.RFC_4122


def test_bulk_ids_continue_the_sequence_of_single_ids() -> None:
    # 9,000 ids overflow the 12-bit counter twice: the millisecond moves on, order holds.
    before = uuid7()
    many = uuid7_many(9000)
    between = uuid7()
    few = uuid7_many(3)
    after = uuid7()
    sequence = [before, *many, between, *few, after]
    assert sequence == sorted(sequence) and len(set(sequence)) == len(sequence)
    assert all(_is_v7(u) for u in sequence)
    assert uuid7_many(0) == []


def test_bulk_ids_in_hex_are_the_same_sequence() -> None:
    # The hex form (core.queries.id_pairs) is no second generator: the same v7 ids, in order.
    before = uuid7()
    hexed = [uuid.UUID(h) for h in uuid7_hex_many(5000)]
    after = uuid7()
    sequence = [before, *hexed, after]
    assert sequence == sorted(sequence) and len(set(sequence)) == len(sequence)
    assert all(_is_v7(u) for u in hexed)
    assert all(len(h) == 32 for h in uuid7_hex_many(3)) and uuid7_hex_many(0) == []
