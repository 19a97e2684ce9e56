"""The app's ``Database`` on the test's one connection: every unit of work a savepoint.

Tests run each test inside one transaction that is rolled back at the end. The app gets
this ``Database`` (``create_app(database=...)``): it keeps the real slots, writer turns and
thread hops of ``app.core.db.Database`` and differs only in where a unit of work's session
comes from (the test's session, each unit in a savepoint of its own) and in ending it
without closing. A refused request therefore rolls back only its own savepoint, not what
the test set up.

On PostgreSQL it reads through the threaded path: the async read path's own connections
could not see the test's transaction. Tests of that path use the real engine
(``live_client``: tests/core/test_read_path.py, test_lost_connection.py, the reliability
servers).
"""

from sqlalchemy import Engine
from sqlmodel import Session

from app.core.config import get_settings
from app.core.db import Database


class SavepointDatabase(Database):
    """Units of work on the test's session (see module doc)."""

    def __init__(self, engine: Engine, session: Session | None) -> None:
        settings = get_settings()
        super().__init__(
            engine,
            connections=settings.db_connections,
            acquire_timeout=settings.db_acquire_timeout_seconds,
            sqlite_readers=settings.db_sqlite_readers,
        )
        self.test_session = session

    @property
    def async_engine(self) -> None:
        return None

    def _new_session(self, *, read_only: bool, nowait: bool = False) -> Session:
        session = self.test_session
        # Set for the length of a test (conftest.savepoint_database): a request outside one
        # is a fault of the test's fixtures.
        assert session is not None, "no test session: a request outside a test"
        # Keep what the test set up (tenant, factories) in the outer transaction.
        session.commit()
        session.info.clear()
        return session

    def finish(self, session: Session, *, commit: bool) -> None:
        if commit:
            try:
                session.commit()
            except BaseException:
                session.rollback()
                raise
        else:
            session.rollback()
