"""Health, readiness, CORS, the command line, and the OpenAPI contract."""

import inspect
from typing import Any

import pytest
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from app import cli
from app.core.config import Settings
from app.core.db import Database
from app.core.engine import make_engine
from app.core.sessions import SESSION_DEPENDENCIES
from app.main import create_app
from tests.conftest import Tenant
from tests.core.conftest import AppFactory
from tests.database import SavepointDatabase
from tests.helpers import assert_problem, built_app

ORIGIN = "https://app.veerkracht.example"


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_every_route_is_built_before_the_first_request(
    savepoint_database: SavepointDatabase, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastAPI builds an included router's routes when a request first reaches it; the app
    # registers its routes itself (app/api.py add_routes), each built as it is registered,
    # so no request of a new worker pays for it.
    built: list[str] = []
    populate = fastapi_routing._populate_api_route_state

    def counting(route: object, path: str, *args: object, **kwargs: object) -> None:
        built.append(path)
        populate(route, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fastapi_routing, "_populate_api_route_state", counting)
    application = create_app(database=savepoint_database)
    with TestClient(application, raise_server_exceptions=False) as c:
        assert "/v1/employees" in built and "/v1/reports/overview" in built
        built.clear()
        # The first and the last domain routers, and one in between.
        for path in ("/v1/organisation", "/v1/reports/overview", "/v1/team-meetings"):
            assert c.get(path, headers=tenant.admin).status_code == 200
        assert built == []


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    application = create_app(database=Database(unreachable, connections=2, acquire_timeout=5))
    with TestClient(application, raise_server_exceptions=False) as client:
        r = client.get("/readyz")
        body = assert_problem(r, 503, "not-ready")
        assert "127.0.0.1" not in r.text  # no connection details
        assert body["detail"]
        assert client.get("/healthz").status_code == 200  # alive all the same


def test_cors_from_settings(make_client: AppFactory, tenant: Tenant) -> None:
    c = make_client(Settings(cors_origins=[ORIGIN]))
    preflight = c.options(
        "/v1/teams",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, If-Match, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    r = c.get("/v1/teams", headers={**tenant.read, "Origin": ORIGIN})
    assert r.headers["access-control-allow-origin"] == ORIGIN
    exposed = {h.strip() for h in r.headers["access-control-expose-headers"].split(",")}
    # What a browser client needs to read: versions, new resources, replays, downloads.
    assert {
        "ETag",
        "Location",
        "Retry-After",
        "Idempotent-Replayed",
        "Content-Disposition",
    } <= exposed
    # Refusals of the request middleware (here 415) are readable by the frontend too.
    refused = c.post(
        "/v1/teams",
        headers={**tenant.write, "Origin": ORIGIN, "Content-Type": "text/plain"},
        content=b"x",
    )
    assert refused.status_code == 415
    assert refused.headers["access-control-allow-origin"] == ORIGIN
    # Another origin gets nothing.
    other = c.get("/v1/teams", headers={**tenant.read, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_without_configured_origins(client: TestClient, tenant: Tenant) -> None:
    r = client.get("/v1/teams", headers={**tenant.read, "Origin": ORIGIN})
    assert "access-control-allow-origin" not in r.headers


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEERKRACHT_CORS_ORIGINS", f'["{ORIGIN}"]')
    monkeypatch.setenv("VEERKRACHT_MAX_BODY_BYTES", "2048")
    settings = Settings()
    assert settings.cors_origins == [ORIGIN]
    assert settings.max_body_bytes == 2048
    assert Settings.model_fields["database_url"].default == "sqlite:///./veerkracht.db"


def test_create_organisation_prints_a_working_admin_key(
    capsys: pytest.CaptureFixture[str], live_client: TestClient
) -> None:
    assert cli.main(["create-organisation", "Stichting Buurtwerk Noord"]) == 0
    out = capsys.readouterr().out
    key = next(w for w in out.split() if w.startswith("vk_"))
    headers = {"Authorization": f"Bearer {key}"}
    org = live_client.get("/v1/organisation", headers=headers).json()
    assert org["name"] == "Stichting Buurtwerk Noord"
    keys = live_client.get("/v1/api-keys", headers=headers).json()["items"]
    assert [k["scope"] for k in keys] == ["admin"]


# --- the OpenAPI document -------------------------------------------------------------

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return built_app().openapi()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_error_response_is_a_problem_document(openapi: dict[str, Any]) -> None:
    # A 409 is a RefusalProblem (with violations), a 422 an InvalidProblem (with errors).
    shape = {"409": "RefusalProblem", "422": "InvalidProblem"}
    for path, method, op in _operations(openapi):
        assert "500" in op["responses"], (method, path)
        for status, response in op["responses"].items():
            if status[0] in "45":
                ref = f"#/components/schemas/{shape.get(status, 'Problem')}"
                content = response["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                schema = content["application/problem+json"]["schema"]
                assert schema == {"$ref": ref}, (method, path, status)
    schemas = openapi["components"]["schemas"]
    assert {"Problem", "FieldError", "Violation"} <= schemas.keys()
    assert "HTTPValidationError" not in schemas


def test_operation_ids_are_the_route_function_names(openapi: dict[str, Any]) -> None:
    app = built_app()
    names = {
        (route.path, method.lower()): route.original_route.endpoint.__name__
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        for method in route.methods or ()
    }
    ids = [op["operationId"] for _, _, op in _operations(openapi)]
    assert len(ids) == len(set(ids)), "operationIds must be unique across domains"
    for path, method, op in _operations(openapi):
        assert op["operationId"] == names[(path, method)]
    assert {"list_employees", "create_team", "get_function_group", "revoke_api_key"} <= set(ids)


def test_tags_per_resource_grouped_per_domain(openapi: dict[str, Any]) -> None:
    for path, method, op in _operations(openapi):
        assert op.get("tags"), (method, path)
    tag_names = [t["name"] for t in openapi["tags"]]
    used = {t for _, _, op in _operations(openapi) for t in op["tags"]}
    assert set(tag_names) == used
    groups = {g["name"]: g["tags"] for g in openapi["x-tagGroups"]}
    # In route order (employees first: the hottest routes are matched first).
    assert sorted(groups["Organisation"]) == sorted(
        ["organisation", "api-keys", "teams", "function-groups", "employees"]
    )
    assert "operations" in groups["Operations"]
    assert sorted(t for g in groups.values() for t in g) == sorted(tag_names)


def test_a_dependency_runs_in_a_thread_only_to_use_the_database() -> None:
    # FastAPI runs a sync dependency in the thread pool: a hop of tens of microseconds and a
    # thread taken from the requests that need one. A check or a declaration (a scope rule,
    # a query parameter's documentation) is async; a sync dependency takes the session.
    def walk(dependant: Any, where: str, found: list[str]) -> None:
        for sub in dependant.dependencies:
            call = sub.call
            runs_in_thread = call is not None and not (
                inspect.iscoroutinefunction(call)
                or inspect.isasyncgenfunction(call)
                or inspect.iscoroutinefunction(type(call).__call__)  # HTTPBearer and kin
            )
            if runs_in_thread and not any(s.call in SESSION_DEPENDENCIES for s in sub.dependencies):
                found.append(f"{where}: {call.__module__}.{call.__qualname__}")
            walk(sub, where, found)

    found: list[str] = []
    checked = 0
    for route in iter_route_contexts(built_app().routes):
        if isinstance(route.original_route, APIRoute):
            walk(route.dependant, f"{sorted(route.methods)} {route.path}", found)
            checked += 1
    assert found == []
    assert checked > 100


def test_every_route_declares_one_kind_of_session(openapi: dict[str, Any]) -> None:
    # Each route says in its signature which session it uses (ReadSession or WriteSession,
    # core/sessions.py), one kind per request, declared with scope="function": with the
    # default scope FastAPI sends the response before the commit runs.
    def walk(dependant: Any, where: str, found: set[Any]) -> None:
        for sub in dependant.dependencies:
            if sub.call in SESSION_DEPENDENCIES:
                assert sub.scope == "function", f"{where}: use ReadSession or WriteSession"
                found.add(sub.call)
            walk(sub, where, found)

    without: list[str] = []
    checked = 0
    for route in iter_route_contexts(built_app().routes):
        if isinstance(route.original_route, APIRoute):
            where = f"{sorted(route.methods)} {route.path}"
            found: set[Any] = set()
            walk(route.dependant, where, found)
            assert len(found) <= 1, f"{where}: declares both a read and a write session"
            if not found:
                without.append(where)
            checked += 1
    assert checked > 20
    # Health, the problem pages and the documentation pages need no key; GET /organisation
    # answers from the key's own cached row.
    assert without == [
        "['GET'] /healthz",
        "['GET'] /readyz",
        "['GET'] /problems",
        "['GET'] /problems/{code}",
        "['GET'] /v1/organisation",
        "['GET'] /docs",
        "['GET'] /redoc",
    ]
