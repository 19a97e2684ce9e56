"""First pages of an organisation that joined a shared database last (docs/performance.md,
"First pages of an organisation that joined last"). Runs before the other parts, so that
its organisations' audit trails are the table's only rows.

Twenty organisations write their audit trails interleaved, then the benchmark organisation
writes its own: every one of its ids comes after all of theirs, as for a tenant that
joined last. Then, one at a time and side by side: the first page of the audit trail of
the late organisation and of one of the twenty, each through the service (what the API
runs) and written by hand as the plain ``WHERE organisation_id = ? ORDER BY id LIMIT``.
The target: the late organisation's first page costs no more than twice an interleaved
one's; where its rows lie in the table should not matter.
"""

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Uuid, bindparam, insert, text
from sqlmodel import Session

from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.core.ids import uuid7_many
from app.core.pagination import PageParams
from app.core.tenancy import bind_organisation
from app.organisation.models import Organisation
from bench import data

OTHERS = 20
LIMIT = 100
_BY_HAND = text(
    "SELECT * FROM audit_event WHERE organisation_id = :org ORDER BY id LIMIT :limit"
).bindparams(bindparam("org", type_=Uuid))


def _insert_events(engine: Engine, orgs: list[uuid.UUID], n: int) -> None:
    """``n`` audit events, the organisations taking turns, in id order."""
    now = datetime.now(UTC)
    batch = 50_000
    with engine.begin() as conn:
        for start in range(0, n, batch):
            ids = uuid7_many(min(batch, n - start))
            conn.execute(
                insert(AuditEvent),
                [
                    {
                        "id": id_,
                        "organisation_id": orgs[(start + i) % len(orgs)],
                        "created_at": now,
                        "updated_at": now,
                        "resource_type": "employee",
                        "resource_id": id_,
                        "action": "update",
                        "changed_fields": ["email"],
                    }
                    for i, id_ in enumerate(ids)
                ],
            )
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE audit_event")


def _median_ms(work: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _first_pages(engine: Engine, org_id: uuid.UUID, repeat: int) -> tuple[float, float]:
    """Milliseconds of the first page: through the service, and by hand."""
    with Session(engine) as session:
        bind_organisation(session, org_id)
        params = PageParams(limit=LIMIT)

        def app() -> None:
            rows, _end = audit_service.list_events(session, params=params)
            assert len(rows) == LIMIT

        def by_hand() -> None:
            rows = session.connection().execute(_BY_HAND, {"org": org_id, "limit": LIMIT + 1})
            assert len(rows.all()) == LIMIT + 1

        return _median_ms(app, repeat), _median_ms(by_hand, repeat)


def pages_benchmark(
    report: Any, db: str, _url: str, engine: Engine, org: data.BenchOrg, args: argparse.Namespace
) -> None:
    """First pages of the audit trail of a late and of an interleaved organisation."""
    others = [uuid.uuid4() for _ in range(OTHERS)]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Organisation.__table__),  # type: ignore[attr-defined]
            [
                {"id": o, "name": f"buur {i}", "settings": {}, "created_at": now,
                 "updated_at": now}
                for i, o in enumerate(others)
            ],
        )  # fmt: skip
    before = 200_000 if args.quick else 1_000_000
    _insert_events(engine, others, before)
    _insert_events(engine, [org.org_id], 20_000)
    repeat = max(7, args.repeat)
    late_app, late_hand = _first_pages(engine, org.org_id, repeat)
    mixed_app, mixed_hand = _first_pages(engine, others[0], repeat)
    size = f"{before:,} rows of {OTHERS} others before it"
    report.add(
        db,
        f"audit first page, late org ({size})",
        f"{late_app:.2f} ms = {late_app / mixed_app:.2f}x an interleaved org's "
        f"({mixed_app:.2f} ms)",
        "<= 2x interleaved",
        late_app <= 2 * mixed_app,
    )
    report.add(
        db,
        "  by hand (ORDER BY id LIMIT): late / interleaved",
        f"{late_hand:.2f} / {mixed_hand:.2f} ms = {late_hand / mixed_hand:.2f}x",
    )
