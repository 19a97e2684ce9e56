"""Behind a pooler in transaction mode, no statement is prepared on the server (scaling)."""

import pytest
from sqlalchemy import Engine, text

from app.core.config import get_settings
from app.core.engine import make_engine


@pytest.mark.parametrize("prepare", [True, False])
def test_server_side_prepare_follows_the_setting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, prepare: bool
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL server's")
    monkeypatch.setattr(get_settings(), "db_server_side_prepare", prepare)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as conn:
            for _ in range(8):  # psycopg prepares a statement from its fifth run on
                conn.execute(text("SELECT 1 + 1"))
            prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    finally:
        other.dispose()
    assert (prepared > 0) is prepare
