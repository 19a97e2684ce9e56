"""A PostgreSQL connection lost between requests (a restart, a failover) costs one 503.

Pooled connections are not pinged before use (VEERKRACHT_DB_POOL_PRE_PING, off by default):
the request that meets a dead connection gets a retryable problem, SQLAlchemy renews the
pool, and the next request works.
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from app.core.engine import get_engine
from tests.conftest import Tenant


def _terminate_pooled_connections(engine: Engine) -> int:
    # A connection outside the app's pool ends every other session of this database, as a
    # restart would; the pool keeps its (now dead) connections.
    outsider = create_engine(engine.url, poolclass=NullPool)
    try:
        with outsider.connect() as conn:
            ended = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        return int(ended)
    finally:
        outsider.dispose()


# Teams are read in a worker thread; employees on the async read path (core/db.py run_read),
# through a pool of its own.
@pytest.mark.parametrize("path", ["/v1/teams", "/v1/employees"])
def test_a_lost_connection_fails_once_with_a_problem_then_recovers(
    live_client: TestClient, live_tenant: Tenant, is_postgres: bool, path: str
) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no server connection to lose")
    engine = get_engine()
    assert not engine.pool._pre_ping  # type: ignore[attr-defined]  # the default under test
    assert live_client.get(path, headers=live_tenant.read).status_code == 200
    assert _terminate_pooled_connections(engine) >= 1

    first = live_client.get(path, headers=live_tenant.read)
    assert first.status_code == 503, first.text
    assert first.headers["content-type"].startswith("application/problem+json")
    assert first.headers["retry-after"] == "1"
    assert first.json()["status"] == 503

    again = live_client.get(path, headers=live_tenant.read)
    assert again.status_code == 200, again.text
