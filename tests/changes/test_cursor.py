"""The cursor never skips a committed change (issue 17, docs/changes.md).

On PostgreSQL a transaction can commit after a later one that took higher sequence values;
the feed must hand out neither transaction's events in an order that a cursor could skip.
The tests drive several connections step by step from one thread (or pause a transaction
at its commit with an event), so the interleaving is the test's, not the scheduler's.
"""

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.changes import outbox
from app.changes import service as changes_service
from app.core import engine as core_engine
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.main import create_app
from app.organisation.models import Team
from tests.conftest import Tenant, server_url

# Other transactions in the test database (the live server's) hold the visibility horizon
# back for a moment; a poll that expects an event keeps reading until this many reads pass.
MAX_READS = 2000


class Reader:
    """A feed client that remembers its cursor, as an HR platform would."""

    def __init__(self, engine: Engine, org_id: uuid.UUID) -> None:
        self.engine, self.org_id = engine, org_id
        self.cursor: str | None = None
        self.seen: Counter[uuid.UUID] = Counter()

    def poll(self) -> list[uuid.UUID]:
        """Read every page now visible; returns the resource ids announced."""
        got: list[uuid.UUID] = []
        with core_engine.new_session(self.engine) as db:
            while True:
                rows, self.cursor, more = changes_service.read_changes(
                    db,
                    organisation_id=self.org_id,
                    after=self.cursor,
                    types=["team", "employee.created"],
                    limit=500,
                    now=utcnow(),
                )
                got += [r.resource_id for r in rows]
                if not more:
                    break
            db.rollback()
        self.seen.update(got)
        return got

    def poll_until(self, done: Callable[[], bool]) -> None:
        for _ in range(MAX_READS):
            if done():
                return
            self.poll()
            threading.Event().wait(0.01)
        raise AssertionError("the feed never showed the committed changes")


def _writer(engine: Engine, org_id: uuid.UUID) -> Session:
    db = core_engine.new_session(engine)
    bind_organisation(db, org_id)
    return db


def _add_team(db: Session, name: str) -> uuid.UUID:
    team = Team(name=name)
    db.add(team)
    db.flush()
    return team.id


@pytest.fixture
def postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("interleaved writers need PostgreSQL (SQLite serialises them)")


@pytest.mark.usefixtures("postgres_only")
def test_a_short_transaction_committed_during_a_long_one_skips_nothing(
    engine: Engine, live_tenant: Tenant
) -> None:
    reader = Reader(engine, live_tenant.id)
    reader.poll_until(lambda: True)
    long_tx, short_tx = _writer(engine, live_tenant.id), _writer(engine, live_tenant.id)
    try:
        # The long transaction writes first (it gets the older transaction id) and takes
        # its sequence values, then waits before COMMIT.
        slow = [_add_team(long_tx, f"lang {i}") for i in range(50)]
        outbox.write_outbox(long_tx)
        # A short transaction starts, takes higher sequence values and commits first.
        quick = _add_team(short_tx, "kort")
        short_tx.commit()
        # A sequence cursor would hand out `quick` now and then skip `slow` for ever.
        reader.poll()
        assert quick not in reader.seen
        long_tx.commit()
        reader.poll_until(lambda: all(reader.seen[t] for t in [*slow, quick]))
    finally:
        long_tx.close()
        short_tx.close()
    assert all(reader.seen[t] == 1 for t in [*slow, quick])


@pytest.mark.usefixtures("postgres_only")
def test_an_older_transaction_committing_last_is_still_announced(
    engine: Engine, live_tenant: Tenant
) -> None:
    reader = Reader(engine, live_tenant.id)
    reader.poll_until(lambda: True)
    first, second = _writer(engine, live_tenant.id), _writer(engine, live_tenant.id)
    try:
        early = _add_team(first, "vroeg")  # the older transaction id
        late = _add_team(second, "laat")
        second.commit()  # the younger commits first ...
        reader.poll()
        assert late not in reader.seen  # ... and waits behind the older one in flight
        outbox.write_outbox(first)
        first.commit()
        reader.poll_until(lambda: reader.seen[early] > 0 and reader.seen[late] > 0)
    finally:
        first.close()
        second.close()
    assert reader.seen[early] == reader.seen[late] == 1


@pytest.mark.usefixtures("postgres_only")
def test_a_transaction_in_another_database_does_not_hold_the_feed_back(
    engine: Engine, live_tenant: Tenant
) -> None:
    # Transaction ids are the server's: a transaction open in the server's other database,
    # older than the write below, is below any horizon taken from the snapshot alone.
    server = server_url()
    assert server is not None  # postgres_only
    other_database = make_url(server).set(drivername="postgresql+psycopg")
    assert other_database.database != engine.url.database
    elsewhere = sa.create_engine(other_database, poolclass=NullPool)
    try:
        with elsewhere.connect() as conn:
            conn.execute(sa.text("SELECT pg_current_xact_id()"))  # takes an id, stays open
            writer = _writer(engine, live_tenant.id)
            try:
                team = _add_team(writer, "na de andere")
                writer.commit()
            finally:
                writer.close()
            reader = Reader(engine, live_tenant.id)
            # Seen while the other database's transaction is still open.
            reader.poll_until(lambda: reader.seen[team] > 0)
            conn.rollback()
    finally:
        elsewhere.dispose()
    assert reader.seen[team] == 1


@pytest.fixture
def paused_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Holds a transaction that announces 1,000+ rows between its outbox and its COMMIT."""
    paused, release = threading.Event(), threading.Event()
    original = outbox.write_outbox

    def write_then_wait(db: Any) -> None:
        many = len(db.info.get(outbox.TOUCHED_KEY, {})) >= 1000
        original(db)
        if many:
            paused.set()
            assert release.wait(120)

    monkeypatch.setattr(outbox, "write_outbox", write_then_wait)
    yield paused, release
    release.set()


def test_an_import_polled_while_it_runs_shows_every_row_exactly_once(
    engine: Engine,
    live_client: TestClient,
    live_tenant: Tenant,
    paused_commit: tuple[threading.Event, threading.Event],
) -> None:
    paused, release = paused_commit
    rows = 8000
    csv = "external_id;first_name;last_name\n" + "".join(
        f"P-{i};Voornaam{i};Achternaam{i}\n" for i in range(rows)
    )
    reader = Reader(engine, live_tenant.id)
    reader.poll()
    answer: dict[str, Any] = {}

    def run_import() -> None:
        headers = {**live_tenant.write, "Content-Type": "text/csv"}
        r = live_client.post("/v1/imports/employees", headers=headers, content=csv.encode())
        answer["status"], answer["body"] = r.status_code, r.text

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert paused.wait(120), answer
        # Rows written, events written, not committed: a poll sees none of them ...
        assert reader.poll() == []
        if engine.dialect.name == "postgresql":
            # ... while a short write commits meanwhile (SQLite would queue it behind the
            # import's write lock).
            with TestClient(create_app(), raise_server_exceptions=False) as other:
                r = other.post("/v1/teams", headers=live_tenant.write, json={"name": "tussendoor"})
                assert r.status_code == 201, r.text
                quick = uuid.UUID(r.json()["id"])
            reader.poll()
        else:
            quick = None
        release.set()
        importer.join(120)
        assert answer.get("status") == 200, answer
        reader.poll_until(lambda: len(reader.seen) >= rows + (quick is not None))
    finally:
        release.set()
        importer.join(120)
    assert len(reader.seen) == rows + (quick is not None)
    assert set(reader.seen.values()) == {1}
