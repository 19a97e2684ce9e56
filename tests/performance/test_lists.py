"""No N+1 in any list (issue 9): a page of 100 rows costs the same SQL statements as a page
of 5.

Every GET route of the app that answers a ``Page`` is found from the app itself; each needs
a seeder in ``seed.SEEDERS`` (more than 100 rows of its resource, each with its own related
rows) and its path parameters come from the reliability registry's makers, so a new list
fails ``test_every_list_has_a_seeder`` until it is measured here.
"""

import uuid
from collections.abc import Iterable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.pagination import Page
from app.organisation import teams as organisation_teams
from tests.conftest import Tenant
from tests.helpers import StatementCounter, built_app
from tests.performance.seed import SEEDERS, Bulk
from tests.performance.statements import explain, measure
from tests.reliability.registry import ROUTES, World

ROWS = 110
SMALL, LARGE = 5, 100


def list_routes(app: FastAPI) -> list[str]:
    """Every GET path under /v1 whose response is a ``Page``."""
    out = set()
    for route in iter_route_contexts(app.routes):
        model = getattr(route, "response_model", None)
        if (
            (route.path or "").startswith("/v1/")
            and "GET" in (route.methods or ())
            and isinstance(model, type)
            and issubclass(model, Page)
        ):
            out.add(route.path or "")
    return sorted(out)


LISTS = list_routes(built_app())


def test_every_list_has_a_seeder() -> None:
    assert len(LISTS) >= 20, LISTS  # the discovery itself still works
    missing = sorted(set(LISTS) - set(SEEDERS))
    stale = sorted(set(SEEDERS) - set(LISTS))
    assert not missing, f"add a seeder to tests/performance/seed.py SEEDERS: {missing}"
    assert not stale, f"these SEEDERS entries name no list any more: {stale}"


def _page_statements(
    route: str, client: TestClient, db: Session, engine: Engine, tenant: Tenant
) -> tuple[StatementCounter, StatementCounter]:
    """The statements of a page of ``SMALL`` and of ``LARGE`` rows of a seeded list."""
    call = ROUTES.get(f"GET {route}")
    assert call is not None, f"add GET {route} to tests/reliability/registry.py ROUTES"
    w = World(client, tenant)
    url = call.url(w, route)
    query = call.query(w) if call.query else {}
    SEEDERS[route](Bulk(db, tenant.id), w, ROWS)

    def page(limit: int) -> None:
        r = client.get(url, params={**query, "limit": limit}, headers=tenant.admin)
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == limit, "the seeder made too few rows"

    page(1)  # once-per-key work (last_used_at) is not part of the page
    return measure(engine, db, lambda: page(SMALL)), measure(engine, db, lambda: page(LARGE))


@pytest.mark.parametrize("route", LISTS)
def test_statements_do_not_grow_with_the_page(
    route: str, client: TestClient, db: Session, engine: Engine, tenant: Tenant
) -> None:
    assert route in SEEDERS, f"no seeder for {route}"
    small, large = _page_statements(route, client, db, engine, tenant)
    assert small.count == large.count, explain(f"limit={SMALL}", small, f"limit={LARGE}", large)


def test_the_check_sees_an_n_plus_1(
    monkeypatch: pytest.MonkeyPatch,
    client: TestClient,
    db: Session,
    engine: Engine,
    tenant: Tenant,
) -> None:
    """Managers loaded one team at a time: the check must see more statements."""
    batched = organisation_teams.manager_ids_by_team

    def one_by_one(session: Session, team_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
        out: dict[uuid.UUID, Any] = {}
        for team_id in team_ids:
            out.update(batched(session, [team_id]))
        return out

    monkeypatch.setattr(organisation_teams, "manager_ids_by_team", one_by_one)
    small, large = _page_statements("/v1/teams", client, db, engine, tenant)
    assert large.count - small.count == LARGE - SMALL, explain("5", small, "100", large)
