"""A list page is one range of its organisation's index, and PostgreSQL is told that
reading it costs what it costs on today's storage (docs/performance.md, "First pages of an
organisation that joined last")."""

import asyncio

import pytest
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlmodel import SQLModel

from app.core.config import get_settings
from app.core.engine import make_async_engine, make_engine
from app.core.models import TenantTable


# SQLite cannot read back the index on lower(user_name) (migration 0019); it is not this one.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_every_tenant_table_has_an_organisation_id_index(engine: Engine) -> None:
    tenant_tables = [
        m.local_table.name
        for m in SQLModel._sa_registry.mappers
        if issubclass(m.class_, TenantTable)
    ]
    assert "audit_event" in tenant_tables and "employee" in tenant_tables
    found = inspect(engine)
    for table in tenant_tables:
        indexes = [tuple(ix["column_names"]) for ix in found.get_indexes(table) if not ix["unique"]]
        assert ("organisation_id", "id") in indexes, (table, indexes)
        # The index on the organisation alone is its prefix, and would only cost writes.
        assert ("organisation_id",) not in indexes, (table, indexes)


def _random_page_cost(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW random_page_cost")).scalar_one())
    finally:
        engine.dispose()


def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL planner setting")


@pytest.mark.parametrize(("setting", "expected"), [(1.1, "1.1"), (2.0, "2"), (0, None)])
def test_random_page_cost_follows_the_setting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, setting: float, expected: str | None
) -> None:
    _postgres_only(engine)
    url = engine.url.render_as_string(hide_password=False)
    # 0 leaves the server's: what a connection without any statement of ours gets.
    server = _random_page_cost(create_engine(url))
    monkeypatch.setattr(get_settings(), "db_random_page_cost", setting)
    assert _random_page_cost(make_engine(url)) == (expected or server)


def test_a_value_the_database_was_given_is_kept(
    engine: Engine, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgres_only(engine)
    monkeypatch.setattr(get_settings(), "db_random_page_cost", 1.1)
    assert _random_page_cost(make_engine(fresh_database_url)) == "1.1"
    name = make_url(fresh_database_url).database
    with engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET random_page_cost = 3'))
        conn.commit()
    assert _random_page_cost(make_engine(fresh_database_url)) == "3"


def test_the_async_read_path_prices_random_reads_alike(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgres_only(engine)
    monkeypatch.setattr(get_settings(), "db_random_page_cost", 1.1)
    reads = make_async_engine(engine)

    async def cost() -> str:
        try:
            async with reads.connect() as conn:
                return str((await conn.execute(text("SHOW random_page_cost"))).scalar_one())
        finally:
            await reads.dispose()

    assert asyncio.run(cost()) == "1.1"
