"""Test fixtures: a migrated database (SQLite or PostgreSQL), a rolled-back transaction per
test, and an HTTP client against the real app.

``VEERKRACHT_TEST_DATABASE_URL`` selects the server: a PostgreSQL URL makes the suite create
a fresh database on that server and drop it afterwards; unset, a SQLite file in a temporary
directory is used.
"""

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Tests roll back what they write, so a key remembered by one test could outlive its
# organisation: the principal cache is off here and tested on its own
# (tests/core/test_principal_cache.py). Set before the app reads its settings.
os.environ.setdefault("VEERKRACHT_AUTH_CACHE_SECONDS", "0")

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core import engine as core_engine
from app.core import migrate
from app.core.config import get_settings
from app.core.engine import make_engine
from app.main import create_app
from app.organisation.models import Organisation
from tests.database import SavepointDatabase
from tests.factories.core import make_organisation
from tests.helpers import built_app


def server_url() -> str | None:
    return os.environ.get("VEERKRACHT_TEST_DATABASE_URL") or None


# CI runs the suite twice on one commit, on SQLite and then on PostgreSQL (.ci/run), and
# says so to the second run. There a test that never touches the suite's database (no
# ``database_url`` among its fixtures: parsing, the OpenAPI document, the CLI's demo on its
# own SQLite file) or a test's SQLite variant would only repeat what the first run found:
# they are skipped, which keeps CI within its time. Any other run runs everything.
SQLITE_RUN_DONE = os.environ.get("VEERKRACHT_TEST_SQLITE_RUN_DONE") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not (SQLITE_RUN_DONE and (server_url() or "").startswith("postgresql")):
        return
    repeated = pytest.mark.skip(reason="ran in this commit's SQLite run; needs no PostgreSQL")
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "backend" in callspec.params:
            # Chooses its database itself (tests/reliability/test_crash_safety.py).
            if callspec.params["backend"] == "sqlite":
                item.add_marker(repeated)
        elif "database_url" not in getattr(item, "fixturenames", ()):
            item.add_marker(repeated)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this test run; dropped at the end on PostgreSQL."""
    server = server_url()
    if server is None or server.startswith("sqlite"):
        path = tmp_path_factory.mktemp("db") / "test.db"
        yield f"sqlite:///{path}"
        return
    url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"veerkracht_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Database work on a thread whose event loop is running: what the app must never do (a
# pool checkout, a lock or SQLite's busy wait there stalls every request of the process;
# docs/concurrency.md). Pool checkouts, statements and transaction ends of the suite's
# engine are watched for every test, whatever route it calls.
_ON_THE_LOOP: list[str] = []


def _on_a_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False  # a worker thread, or the test's own thread
    return True


def _watch_statements(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
    if _on_a_running_loop():
        _ON_THE_LOOP.append(" ".join(statement.split())[:160])


def _watch(what: str) -> Callable[..., None]:
    def listener(*_args: object) -> None:
        if _on_a_running_loop():
            _ON_THE_LOOP.append(what)

    return listener


@pytest.fixture(autouse=True)
def _identity_providers_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # The suite's identity providers (tests/identity/idp.py) serve on 127.0.0.1, which the
    # service refuses to call by default (SSRF); the tests of that refusal switch it back.
    monkeypatch.setattr(get_settings(), "oidc_allow_private_issuers", True)


@pytest.fixture(autouse=True)
def _no_database_work_on_the_event_loop() -> Iterator[None]:
    seen = len(_ON_THE_LOOP)
    yield
    assert _ON_THE_LOOP[seen:] == [], "database work ran on the event loop"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The migrated database: built by ``alembic upgrade head``, so migrations are tested."""
    eng = make_engine(database_url)
    migrate.upgrade(eng)
    event.listen(eng, "before_cursor_execute", _watch_statements)
    event.listen(eng.pool, "checkout", _watch("pool checkout"))
    event.listen(eng, "commit", _watch("commit"))
    event.listen(eng, "rollback", _watch("rollback"))
    core_engine.set_engine(eng)
    yield eng
    core_engine.set_engine(None)
    eng.dispose()


@pytest.fixture
def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()


@pytest.fixture(scope="session")
def _worker_database(engine: Engine) -> SavepointDatabase:
    """One ``SavepointDatabase`` per test process, pointed at each test's session in turn."""
    return SavepointDatabase(engine, None)


@pytest.fixture(scope="session")
def _worker_app(_worker_database: SavepointDatabase) -> FastAPI:
    """The app the ``client`` of every test in this process talks to.

    Built once: FastAPI builds each included router's routes (their parameter and response
    models) on the first request an app gets, which in a fresh app per test was about half
    of the suite's time. Nothing a test changes stays in it: its rows are rolled back, the
    settings the app reads per request are the ones a test may monkeypatch (and
    monkeypatch restores), and each ``TestClient`` runs the lifespan on a loop of its own.
    A test that needs an app built otherwise uses ``make_client`` (tests/core/conftest.py)
    or ``create_app()`` itself.
    """
    return create_app(database=_worker_database)


@pytest.fixture
def savepoint_database(
    _worker_database: SavepointDatabase, db: Session
) -> Iterator[SavepointDatabase]:
    """The app's database on the test's session: one savepoint per unit of work."""
    _worker_database.test_session = db
    try:
        yield _worker_database
    finally:
        _worker_database.test_session = None


@pytest.fixture
def app_under_test(_worker_app: FastAPI, savepoint_database: SavepointDatabase) -> FastAPI:
    """The real app; every request uses the test's session (one savepoint per request)."""
    return _worker_app


@pytest.fixture
def client(app_under_test: FastAPI) -> Iterator[TestClient]:
    with TestClient(app_under_test, raise_server_exceptions=False) as c:
        yield c


@dataclass
class Tenant:
    """An organisation with one key of each scope, and headers to use them."""

    org: Organisation
    admin_key: str
    write_key: str
    read_key: str

    @property
    def id(self) -> uuid.UUID:
        return self.org.id

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    @property
    def write(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.write_key}"}

    @property
    def read(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.read_key}"}


def _tenant(db: Session, name: str) -> Tenant:
    org, admin, write, read = make_organisation(db, name=name)
    # Committed (to the test's savepoint): the set-up's change events are written here,
    # not inside the first request a test measures.
    db.commit()
    return Tenant(org=org, admin_key=admin, write_key=write, read_key=read)


@pytest.fixture
def tenant(db: Session) -> Tenant:
    """Organisation A, with the session bound to it."""
    return _tenant(db, "Stichting A")


@pytest.fixture
def other_tenant(db: Session, tenant: Tenant) -> Tenant:
    """Organisation B; the session stays bound to A."""
    other = _tenant(db, "Stichting B")
    from app.core.tenancy import bind_organisation

    bind_organisation(db, tenant.id)
    return other


@pytest.fixture
def live_client(_live_app: FastAPI) -> Iterator[TestClient]:
    """The app on the real engine: every request commits for real (concurrency tests).

    Rows written through it stay until the test database is dropped; create a fresh
    organisation per test (``live_tenant``) so tests cannot see each other's data.
    """
    with TestClient(_live_app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def _live_app(engine: Engine) -> FastAPI:
    """The app ``live_client`` talks to, built once per test process (``built_app``): each
    ``TestClient`` runs its lifespan on a loop of its own, and the lifespan's end closes
    what the app opened on that loop."""
    return built_app()


@pytest.fixture
def live_tenant(engine: Engine) -> Tenant:
    """A committed organisation with keys of each scope (for ``live_client``)."""
    session = core_engine.new_session(engine)
    try:
        tenant = _tenant(session, f"Stichting Live {uuid.uuid4().hex[:6]}")
        session.commit()
        return tenant
    finally:
        session.close()
