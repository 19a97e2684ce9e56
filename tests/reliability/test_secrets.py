"""Secrets and hygiene (issue 10): API keys never reach the logs, and every response
carries the security headers, errors and documentation included."""

import io
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.logging import JsonFormatter
from app.main import create_app
from tests.conftest import Tenant
from tests.database import SavepointDatabase


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log record of every logger, SQL statements and parameters included."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root, engine_log = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    old_levels = root.level, engine_log.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    engine_log.setLevel(logging.INFO)  # as VEERKRACHT_DB_ECHO would: statements and params
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_levels[0])
        engine_log.setLevel(old_levels[1])


@pytest.fixture
def failing_client(savepoint_database: SavepointDatabase) -> Iterator[TestClient]:
    """The app with one extra route that fails unexpectedly (an unhandled exception)."""
    application = create_app(database=savepoint_database)

    @application.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("something broke")

    with TestClient(application, raise_server_exceptions=False) as c:
        yield c


def _secret_parts(key: str) -> list[str]:
    return [key, key.split("_", 2)[2]]


def test_api_keys_never_appear_in_logs(
    captured_logs: io.StringIO, failing_client: TestClient, tenant: Tenant
) -> None:
    # captured_logs first: SQL echo is decided when the test's connection is opened.
    c = failing_client
    created = c.post("/v1/api-keys", headers=tenant.admin, json={"name": "HR", "scope": "write"})
    assert created.status_code == 201
    new_key = created.json()["key"]
    wrong_secret = tenant.write_key[:-4] + "AAAA"
    calls = [
        ("GET", "/v1/teams", {"Authorization": f"Bearer {new_key}"}, None),
        ("POST", "/v1/teams", {"Authorization": f"Bearer {tenant.write_key}"}, {"name": "X"}),
        ("POST", "/v1/teams", {"Authorization": f"Bearer {tenant.write_key}"}, {"name": ""}),
        ("POST", "/v1/teams", {"Authorization": f"Bearer {tenant.read_key}"}, {"name": "Y"}),
        ("GET", "/v1/teams", {"Authorization": f"Bearer {wrong_secret}"}, None),
        ("GET", "/v1/teams", {"Authorization": f"Bearer vk_{new_key}"}, None),
        ("GET", "/v1/teams", {"Authorization": new_key}, None),
        ("GET", "/v1/boom", {"Authorization": f"Bearer {tenant.admin_key}"}, None),
    ]
    statuses = []
    for method, path, headers, body in calls:
        statuses.append(c.request(method, path, headers=headers, json=body).status_code)
    # Webhook secrets are kept to sign with: stored as they are, never logged either.
    hook = c.post(
        "/v1/webhook-subscriptions",
        headers=tenant.admin,
        json={"url": "https://hooks.example.org/x"},
    )
    assert hook.status_code == 201, hook.text
    rotated = c.post(
        f"/v1/webhook-subscriptions/{hook.json()['id']}/rotate-secret", headers=tenant.admin
    )
    secrets = [hook.json()["secret"], rotated.json()["secret"]]
    revoke = c.get("/v1/api-keys", headers=tenant.admin).json()["items"][-1]["id"]
    c.delete(f"/v1/api-keys/{revoke}", headers=tenant.admin)
    statuses.append(c.get("/v1/teams", headers={"Authorization": f"Bearer {new_key}"}).status_code)
    assert statuses == [200, 201, 422, 403, 401, 401, 401, 500, 401]

    logs = captured_logs.getvalue()
    assert '"status": 500' in logs and "something broke" in logs  # the logs were captured
    assert "SELECT" in logs  # SQL was logged, its parameters hidden
    keys = [new_key, tenant.admin_key, tenant.write_key, tenant.read_key, wrong_secret]
    for key in keys:
        for part in _secret_parts(key):
            assert part not in logs, "an API key (or its secret part) was logged"
    for secret in secrets:
        assert secret.removeprefix("whsec_") not in logs, "a webhook secret was logged"
    assert "Bearer" not in logs and "authorization" not in logs.lower()


def test_key_comparison_is_constant_time() -> None:
    """The check goes through hmac.compare_digest, also when the prefix is unknown."""
    import inspect

    from app.core import auth

    source = inspect.getsource(auth._look_up)
    assert "hmac.compare_digest" in source
    assert 'hash_key("")' in source  # an unknown prefix still pays for one comparison


def _assert_security_headers(r: object, path: str) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff", path
    assert headers["x-frame-options"] == "DENY", path
    assert headers["referrer-policy"] == "no-referrer", path
    assert headers["strict-transport-security"].startswith("max-age="), path
    assert headers["cross-origin-resource-policy"] == "same-origin", path
    assert headers["x-request-id"], path
    if not path.startswith(("/docs", "/redoc")):
        assert "default-src 'none'" in headers["content-security-policy"], path


def test_security_headers_on_every_kind_of_response(
    failing_client: TestClient, tenant: Tenant
) -> None:
    c = failing_client
    json_headers = {**tenant.write, "Content-Type": "application/json"}
    cases = [
        (c.get("/healthz"), 200),
        (c.get("/openapi.json"), 200),
        (c.get("/docs"), 200),
        (c.get("/v1/teams", headers=tenant.read), 200),
        (c.post("/v1/teams", headers=tenant.write, json={"name": "Kop"}), 201),
        (c.get("/v1/teams"), 401),
        (c.post("/v1/teams", headers=tenant.read, json={"name": "Kop"}), 403),
        (c.get("/v1/teams/00000000-0000-0000-0000-000000000000", headers=tenant.read), 404),
        (c.get("/v1/nothing-here"), 404),
        (c.put("/v1/teams", headers=tenant.write, json={}), 405),
        (c.post("/v1/teams", headers=json_headers, content=b"x" * 2_000_000), 413),
        (
            c.post(
                "/v1/teams", headers={**tenant.write, "Content-Type": "text/xml"}, content=b"<a/>"
            ),
            415,
        ),
        (c.post("/v1/teams", headers=tenant.write, json={"name": ""}), 422),
        (c.get("/v1/boom", headers=tenant.read), 500),
    ]
    for r, status in cases:
        path = r.request.url.path
        assert r.status_code == status, (path, r.status_code, r.text[:200])
        _assert_security_headers(r, path)
    for r, _ in cases[5:]:
        assert "Traceback" not in r.text and "something broke" not in r.text
