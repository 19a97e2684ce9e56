"""Every route is registered on the app itself, flat (app/api.py add_routes).

FastAPI keeps an included router as one node and, on every request, asks each node in turn
for a match: every route of every earlier domain, then the matching domain's routes twice.
Routing then cost a request more the later its domain came (in-process: 0.19 ms for the
first routes, 0.62 ms for the reports, 0.72 ms for a 404). An ``include_router`` slipping
back in would bring that cost back silently. Each route also turns away, before its
pattern, a path that does not start with its literal part (``LiteralPrefixRoute``).
"""

import inspect
import re

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from app.api import _ROUTE_SETTINGS, DOMAIN_ROUTERS, V1_DEPENDENCIES, LiteralPrefixRoute
from app.scim.router import router as scim_router
from tests.helpers import built_app


def test_the_app_holds_plain_routes_only() -> None:
    app = built_app()
    # Routes, and the docs' static assets (one Mount, matched by its prefix, last).
    others = [r for r in app.router.routes if not isinstance(r, Route | Mount)]
    assert others == [], "an included router is back in the app's routes"


def test_every_domain_route_is_served_under_v1_with_the_v1_dependencies_first() -> None:
    app = built_app()
    served = {
        (r.path, frozenset(r.methods)): r for r in app.router.routes if isinstance(r, APIRoute)
    }
    declared = [(d, r) for d in DOMAIN_ROUTERS for r in d.routes if isinstance(r, APIRoute)]
    assert len(declared) > 100
    for _domain, route in declared:
        copy = served[("/v1" + route.path, frozenset(route.methods))]
        assert copy.endpoint is route.endpoint
        assert copy.dependencies == [*V1_DEPENDENCIES, *route.dependencies]
        assert copy.response_model is route.response_model
        assert copy.status_code == route.status_code
    for route in scim_router.routes:
        assert isinstance(route, APIRoute)
        copy = served[(route.path, frozenset(route.methods))]
        assert copy.endpoint is route.endpoint
        assert not copy.include_in_schema
    v1 = {"/v1" + r.path for _d, r in declared}
    assert v1 == {p for p in app.openapi()["paths"] if p.startswith("/v1/")}


def _scope(path: str, method: str, root_path: str = "") -> dict[str, object]:
    return {"type": "http", "path": root_path + path, "root_path": root_path, "method": method}


def test_the_literal_start_check_turns_away_only_what_the_pattern_would() -> None:
    # Every route against a path of every route (parameters filled in) and a few that match
    # none, with and without a root_path: the check must agree with the pattern's verdict.
    app = built_app()
    routes = [r for r in app.router.routes if isinstance(r, LiteralPrefixRoute)]
    assert len(routes) > 100
    paths = {re.sub(r"\{[^}]*\}", "x-1", r.path) for r in routes}
    paths |= {"/", "/v1", "/v1/", "/v1/employeesx", "/scim/v2", "/v1/teams/x-1/"}
    turned_away = 0
    for route in routes:
        for path in paths:
            for root_path in ("", "/api"):
                scope = _scope(path, "GET", root_path)
                verdict = route.matches(scope)[0]
                assert verdict == APIRoute.matches(route, scope)[0], (route.path, path)
                turned_away += not root_path and not path.startswith(route.literal_start)
    assert turned_away > len(routes) * len(paths) // 2  # the check does most of the work


def test_a_registered_route_keeps_every_setting_add_api_route_takes() -> None:
    # A setting FastAPI adds to add_api_route must not be dropped silently on the way.
    taken = set(inspect.signature(APIRouter.add_api_route).parameters)
    combined = {"self", "path", "endpoint", "tags", "dependencies", "responses"}
    assert taken - combined - {"route_class_override"} == set(_ROUTE_SETTINGS)
