"""No N+1 in any report (issue 9): an organisation of 20 teams costs the same SQL
statements as one of 2.

A report here is every GET route of the app that answers neither a ``Page`` (the lists,
tests/performance/test_lists.py) nor one resource (a path ending in its id, or the
organisation and the current protocol): the aggregates under /v1/reports, protocol
readiness, a team's learning needs, the training recommendations, an employee's training
record, a function group's needs, the exports, the evaluation report and a session's
briefing, readiness and reflections. A new one fails
``test_every_report_is_measured`` until it has a case in ``CASES``. The stored plan of
the whole organisation and its computation are measured too: they grow with the teams.
"""

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.pagination import Page
from app.imports.models import ImportKind
from app.organisation.models import Team
from app.reports import figures
from app.reports import service as reports_service
from tests.conftest import Tenant
from tests.helpers import StatementCounter, built_app
from tests.performance.seed import Bulk, Organisation, seed_organisation
from tests.performance.statements import explain, measure
from tests.reliability.registry import PARAM

FEW, MANY = 2, 20
# GET routes answering one resource although their path does not end in its id.
SINGLE = {"/v1/organisation", "/v1/protocols/current", "/v1/me"}


def report_routes(app: FastAPI) -> list[str]:
    """GET paths under /v1 that are neither a list (``Page``) nor one resource."""
    out = set()
    for route in iter_route_contexts(app.routes):
        path, model = route.path or "", getattr(route, "response_model", None)
        if not path.startswith("/v1/") or "GET" not in (route.methods or ()):
            continue
        if isinstance(model, type) and issubclass(model, Page):
            continue
        if path in SINGLE or path.endswith("}"):
            continue
        out.add(path)
    return sorted(out)


@dataclass(frozen=True)
class Case:
    """One way to call a report; path parameters come from the seeded organisation."""

    route: str
    query: dict[str, str] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)
    csv: bool = False
    method: str = "GET"
    # Scoped to the first team or function group: ``team_id`` or ``function_group_id``.
    scope: str | None = None
    # A report of the whole organisation is bigger for more teams (proof that the seed
    # reaches it); one of a team, an employee or a function group is not.
    grows: bool = True

    @property
    def id(self) -> str:
        extra = [f"{k}={v}" for k, v in {**self.path, **self.query}.items()]
        if self.scope:
            extra.append(self.scope)
        if self.csv:
            extra.append("csv")
        return f"{self.method} {self.route}" + (f" [{', '.join(extra)}]" if extra else "")

    def url(self, org: Organisation, **fixed: str) -> str:
        ids = {
            **fixed,
            "team_id": str(org.team_ids[0]),
            "employee_id": str(org.staff_ids[0]),
            "function_group_id": str(org.function_group_ids[0]),
            "session_id": str(org.session_id),
        }
        return PARAM.sub(lambda m: self.path.get(m.group(1)) or ids[m.group(1)], self.route)

    def params(self, org: Organisation) -> dict[str, str]:
        if self.scope == "team_id":
            return {**self.query, "team_id": str(org.team_ids[0])}
        if self.scope == "function_group_id":
            return {**self.query, "function_group_id": str(org.function_group_ids[0])}
        return self.query


_PLAN_BODY = {"scope": {}, "starts_on": (date.today() + timedelta(days=7)).isoformat()}

CASES = [
    Case("/v1/reports/overview"),
    Case("/v1/reports/overview", csv=True),
    Case("/v1/reports/teams"),
    Case("/v1/reports/teams", csv=True),
    Case("/v1/reports/refreshers-due"),
    Case("/v1/reports/refreshers-due", csv=True),
    Case("/v1/protocols/current/readiness"),
    Case("/v1/teams/{team_id}/learning-needs", grows=False),
    Case("/v1/training-recommendations"),
    Case("/v1/training-recommendations", scope="team_id", grows=False),
    Case("/v1/training-recommendations", scope="function_group_id", grows=False),
    Case("/v1/employees/{employee_id}/training-record", grows=False),
    Case("/v1/function-groups/{function_group_id}/needs", grows=False),
    *(Case("/v1/exports/{kind}", path={"kind": kind.value}) for kind in ImportKind),
    Case("/v1/risk-analysis"),
    Case("/v1/function-groups/{function_group_id}/risk-analysis", grows=False),
    Case("/v1/reports/incidents"),
    Case("/v1/reports/incidents", csv=True),
    Case("/v1/reports/aftercare-compliance"),
    Case("/v1/reports/aftercare-compliance", csv=True),
    # The plan of the whole organisation: computed (POST) and read back (GET).
    Case("/v1/training-plans", method="POST"),
    Case("/v1/training-plans/{plan_id}"),
    Case("/v1/reports/training-evaluations"),
    # A session all staff are enrolled in: more teams, more participants.
    Case("/v1/training-sessions/{session_id}/briefing"),
    Case("/v1/training-sessions/{session_id}/readiness"),
    Case("/v1/training-sessions/{session_id}/reflections"),
    # The change feed: one page of events, whatever the organisation's size.
    Case("/v1/changes", grows=False),
]


def test_every_report_is_measured() -> None:
    routes = report_routes(built_app())
    assert "/v1/reports/overview" in routes  # the discovery itself still works
    missing = sorted(set(routes) - {c.route for c in CASES})
    assert not missing, f"add a Case to tests/performance/test_reports.py CASES: {missing}"


def _call(client: TestClient, case: Case, tenant: Tenant, org: Organisation) -> Any:
    headers = {**tenant.admin, **({"Accept": "text/csv"} if case.csv else {})}
    fixed = {}
    if "{plan_id}" in case.route:
        plan = client.post("/v1/training-plans", json=_PLAN_BODY, headers=tenant.admin)
        assert plan.status_code == 201, plan.text
        fixed["plan_id"] = plan.json()["id"]
    url = case.url(org, **fixed)
    if case.method == "POST":
        return lambda: client.post(url, json=_PLAN_BODY, headers=headers)
    return lambda: client.get(url, params=case.params(org), headers=headers)


def _report_statements(
    case: Case,
    client: TestClient,
    db: Session,
    engine: Engine,
    tenants: tuple[Tenant, Tenant],
) -> tuple[StatementCounter, StatementCounter]:
    """The statements of the report for an organisation of ``FEW`` and one of ``MANY`` teams."""
    few, many = tenants
    small_call = _call(client, case, few, seed_organisation(Bulk(db, few.id), teams=FEW))
    large_call = _call(client, case, many, seed_organisation(Bulk(db, many.id), teams=MANY))
    bodies: list[str] = []

    def run(call: Any) -> None:
        r = call()
        assert r.status_code in (200, 201), r.text
        bodies.append(r.text)

    run(small_call)  # once-per-key work (last_used_at) is not part of the report
    run(large_call)
    small = measure(engine, db, lambda: run(small_call))
    large = measure(engine, db, lambda: run(large_call))
    if case.grows:
        assert len(bodies[-1]) > len(bodies[-2]), "the seed does not reach this report"
    return small, large


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_statements_do_not_grow_with_the_teams(
    case: Case,
    client: TestClient,
    db: Session,
    engine: Engine,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    small, large = _report_statements(case, client, db, engine, (tenant, other_tenant))
    assert small.count == large.count, explain(f"{FEW} teams", small, f"{MANY} teams", large)


def test_the_check_sees_a_query_per_team(
    monkeypatch: pytest.MonkeyPatch,
    client: TestClient,
    db: Session,
    engine: Engine,
    tenant: Tenant,
    other_tenant: Tenant,
) -> None:
    """A report that loads each team on its own: the check must see more statements."""
    collect = figures.collect

    def per_team(session: Session, **kwargs: Any) -> Any:
        collected = collect(session, **kwargs)
        for team_id, _, _ in collected.teams:
            session.get(Team, team_id)
        return collected

    monkeypatch.setattr(reports_service, "collect", per_team)
    case = Case("/v1/reports/overview")
    small, large = _report_statements(case, client, db, engine, (tenant, other_tenant))
    assert large.count - small.count == MANY - FEW, explain("few", small, "many", large)


def test_the_seed_reaches_the_reports(client: TestClient, db: Session, tenant: Tenant) -> None:
    """The seeded organisation fills every section a report has (else nothing is measured)."""
    org = seed_organisation(Bulk(db, tenant.id), teams=FEW)
    overview = client.get("/v1/reports/overview", headers=tenant.admin).json()
    text = json.dumps(overview)
    assert overview["teams"] == FEW, text
    due = client.get("/v1/reports/refreshers-due", headers=tenant.admin).json()
    assert len(due["items"]) >= FEW, due
    record = client.get(
        f"/v1/employees/{org.staff_ids[0]}/training-record", headers=tenant.admin
    ).json()
    assert record, record
