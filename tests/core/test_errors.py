"""Every 4xx and 5xx is an RFC 9457 problem document with a stable code."""

import json
import logging
import uuid
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.core.config import Settings
from app.core.errors import integrity_kind, unique_fields
from app.core.logging import JsonFormatter
from app.core.sessions import WriteSession
from app.organisation.models import Employee
from tests.conftest import Tenant
from tests.core.conftest import AppFactory
from tests.helpers import assert_problem


def test_validation_errors_point_at_the_fields(client: TestClient, tenant: Tenant) -> None:
    r = client.post(
        "/v1/employees",
        headers=tenant.write,
        json={"last_name": "", "email": "geen-email", "role": "baas", "extra": 1},
    )
    body = assert_problem(r, 422, "validation-error")
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"/first_name", "/last_name", "/email", "/role", "/extra"} <= pointers
    assert all(e["detail"] for e in body["errors"])
    assert body["instance"] == "/v1/employees"


def test_errors_about_the_whole_body_point_at_the_whole_document(
    client: TestClient, tenant: Tenant
) -> None:
    # RFC 6901: "" is the whole document; "/" and "/8" would name members "" and "8".
    bad_json = client.post(
        "/v1/teams",
        content=b'{"name":',
        headers={**tenant.write, "Content-Type": "application/json"},
    )
    [error] = assert_problem(bad_json, 422)["errors"]
    assert error["pointer"] == "" and "not valid JSON" in error["detail"]
    assert "at character 8" in error["detail"]
    for body in ([1, 2], {"kind": "action_point", "description": "x"}):
        path = "/v1/teams" if isinstance(body, list) else "/v1/follow-up-items"
        errors = assert_problem(client.post(path, json=body, headers=tenant.write), 422)["errors"]
        assert [e["pointer"] for e in errors] == [""], errors


def test_validation_errors_in_query_and_path(client: TestClient, tenant: Tenant) -> None:
    body = assert_problem(client.get("/v1/teams?limit=0", headers=tenant.read), 422)
    assert body["errors"][0]["pointer"] == "/query/limit"
    body = assert_problem(client.get("/v1/teams/not-a-uuid", headers=tenant.read), 422)
    assert body["errors"][0]["pointer"] == "/path/team_id"
    body = assert_problem(
        client.post(
            "/v1/teams",
            headers={**tenant.write, "Content-Type": "application/json"},
            content=b"{nope",
        ),
        422,
    )
    assert body["errors"]


def test_unknown_route_is_404(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/nothing-here"), 404, "not-found")
    assert "/v1/nothing-here" in body["detail"]


def test_wrong_method_is_405(client: TestClient, tenant: Tenant) -> None:
    r = client.delete("/v1/organisation", headers=tenant.admin)
    assert_problem(r, 405, "method-not-allowed")
    assert "GET" in r.headers["Allow"]


def test_oversize_body_by_content_length_is_413(make_client: AppFactory, tenant: Tenant) -> None:
    c = make_client(Settings(max_body_bytes=100))
    r = c.post("/v1/teams", headers=tenant.write, json={"name": "x" * 200})
    assert_problem(r, 413, "payload-too-large")
    ok = c.post("/v1/teams", headers=tenant.write, json={"name": "Wijkteam"})
    assert ok.status_code == 201


def test_oversize_chunked_body_is_413(make_client: AppFactory, tenant: Tenant) -> None:
    # No Content-Length: the limit is counted while the body streams in.
    c = make_client(Settings(max_body_bytes=100))

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 10
        yield b'"}'

    r = c.post(
        "/v1/teams",
        headers={**tenant.write, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in r.request.headers
    assert_problem(r, 413, "payload-too-large")


def test_wrong_content_type_is_415(client: TestClient, tenant: Tenant) -> None:
    r = client.post(
        "/v1/teams",
        headers={**tenant.write, "Content-Type": "text/plain"},
        content=b'{"name": "Wijkteam"}',
    )
    assert_problem(r, 415, "unsupported-media-type")
    form = client.post("/v1/teams", headers=tenant.write, data={"name": "Wijkteam"})
    assert_problem(form, 415, "unsupported-media-type")
    # application/json with a charset, and +json types, are fine.
    ok = client.post(
        "/v1/teams",
        headers={**tenant.write, "Content-Type": "application/json; charset=utf-8"},
        content=b'{"name": "Wijkteam"}',
    )
    assert ok.status_code == 201


def _failing_route(app: FastAPI) -> None:
    @app.get("/v1/test-boom")
    def boom() -> None:
        raise RuntimeError("secret-internal-detail at /srv/app/thing.py line 12")


def test_unhandled_error_is_500_without_internals(make_client: AppFactory, caplog: object) -> None:
    c = make_client(setup=_failing_route)
    r = c.get("/v1/test-boom", headers={"X-Request-ID": "boom-1"})
    body = assert_problem(r, 500, "internal-error")
    assert "secret" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    assert body["instance"] == "/v1/test-boom"
    assert r.headers["X-Request-ID"] == "boom-1"


def _commit_time_duplicate(app: FastAPI) -> None:
    @app.post("/v1/test-duplicate", status_code=201)
    def duplicate(db: WriteSession, email: str) -> dict[str, str]:
        # Added without a flush: the unique violation surfaces only at the commit.
        db.add(Employee(first_name="Kim", last_name="Jansen", email=email))
        return {"status": "created"}


def test_commit_failure_is_a_problem_not_a_2xx(live_tenant: Tenant) -> None:
    from app.main import create_app

    app = create_app()
    _commit_time_duplicate(app)
    email = f"kim-{uuid.uuid4().hex[:8]}@example.nl"
    with TestClient(app, raise_server_exceptions=False) as c:
        first = c.post(f"/v1/test-duplicate?email={email}", headers=live_tenant.write)
        assert first.status_code == 201, first.text
        second = c.post(f"/v1/test-duplicate?email={email}", headers=live_tenant.write)
        body = assert_problem(second, 409, "already-exists")
        assert body["errors"][0]["pointer"] == "/email"
        listed = c.get("/v1/employees", headers=live_tenant.read).json()["items"]
        assert [e["email"] for e in listed] == [email]


def test_request_id_is_honoured_or_generated(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "hr-sync-42"})
    assert given.headers["X-Request-ID"] == "hr-sync-42"
    generated = client.get("/healthz")
    assert len(generated.headers["X-Request-ID"]) == 32
    # An unusable id (too long, odd characters) is replaced rather than echoed.
    odd = client.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 200})
    assert odd.headers["X-Request-ID"] != "a b\tc" + "x" * 200
    assert len(odd.headers["X-Request-ID"]) == 32
    # Problems carry it too.
    assert client.get("/v1/nope", headers={"X-Request-ID": "r-1"}).headers["X-Request-ID"] == "r-1"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_json_log_lines_carry_the_request_id(make_client: AppFactory) -> None:
    c = make_client(setup=_failing_route)
    handler = _Collect()
    root = logging.getLogger("veerkracht")
    root.addHandler(handler)
    try:
        c.get("/healthz", headers={"X-Request-ID": "log-test-1"})
        c.get("/v1/test-boom", headers={"X-Request-ID": "log-test-2"})
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in handler.lines]
    access = [x for x in lines if x["logger"] == "veerkracht.access"]
    assert {"request_id": "log-test-1", "path": "/healthz", "status": 200}.items() <= access[
        0
    ].items()
    assert {"request_id": "log-test-2", "status": 500}.items() <= access[1].items()
    error = next(x for x in lines if x["logger"] == "veerkracht.errors")
    assert error["request_id"] == "log-test-2"
    assert "secret-internal-detail" in error["exc_info"]  # in the log, never in the response
    assert all({"time", "level", "message"} <= x.keys() for x in lines)


def _integrity_error(db: Session, *rows: object) -> IntegrityError:
    try:
        with db.begin_nested():
            for row in rows:
                db.add(row)
                db.flush()
    except IntegrityError as exc:
        return exc
    raise AssertionError("the database accepted the rows")


def test_integrity_errors_are_classified_on_this_database(db: Session, tenant: Tenant) -> None:
    dup = _integrity_error(
        db,
        Employee(first_name="A", last_name="B", email="dup@example.nl", external_id="X-1"),
        Employee(first_name="C", last_name="D", email="dup@example.nl"),
    )
    assert (integrity_kind(dup), unique_fields(dup)) == ("unique", ["email"])
    dup = _integrity_error(
        db,
        Employee(first_name="A", last_name="B", external_id="X-2"),
        Employee(first_name="C", last_name="D", external_id="X-2"),
    )
    assert (integrity_kind(dup), unique_fields(dup)) == ("unique", ["external_id"])
    dangling = _integrity_error(
        db, Employee(first_name="A", last_name="B", team_id=uuid.UUID(int=1))
    )
    assert integrity_kind(dangling) == "foreign_key"


def _dangling_reference(app: FastAPI) -> None:
    @app.post("/v1/test-dangling", status_code=201)
    def dangling(db: WriteSession) -> dict[str, str]:
        db.add(Employee(first_name="A", last_name="B", team_id=uuid.UUID(int=1)))
        db.flush()
        return {"status": "created"}


def test_foreign_key_violation_is_409(make_client: AppFactory, tenant: Tenant) -> None:
    c = make_client(setup=_dangling_reference)
    body = assert_problem(
        c.post("/v1/test-dangling", headers=tenant.write), 409, "integrity-conflict"
    )
    assert "INSERT" not in str(body) and "constraint" not in str(body).lower()
