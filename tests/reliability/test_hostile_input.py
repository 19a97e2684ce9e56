"""The hostile corpus fired at every field of every write endpoint (issue 10).

Endpoints come from the app and their valid bodies from ``registry.ROUTES``, so a new
write endpoint is covered as soon as it is registered (the isolation test insists).
Each field of the request schema, and each leaf of the valid body (nested items too),
gets every value of ``hostile.CORPUS``. Never a 5xx; a value marked ``refuse`` is
answered 4xx and leaves every table as it was; any other value is refused the same way
or, when accepted, kept exactly as sent.
"""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.audit.models import AuditEvent
from tests.conftest import Tenant
from tests.helpers import built_app
from tests.reliability.conftest import total_rows
from tests.reliability.hostile import CORPUS, TEN_MB, Hostile
from tests.reliability.registry import ROUTES, api_routes, prepared_call

_APP = built_app()
_SPEC = _APP.openapi()
WRITES = [
    f"{m} {p}"
    for m, p in api_routes(_APP)
    if m in ("POST", "PUT", "PATCH") and f"{m} {p}" in ROUTES and ROUTES[f"{m} {p}"].body
]
VERBATIM = {
    "emoji",
    "right-to-left override",
    "zero-width and combining",
    "SQL metacharacters",
    "HTML/script",
    "format string and path",
}
_MARK = "__hostile_value__"


def _schema_fields(method: str, path: str) -> list[str]:
    """Top-level properties of the JSON request body's schema."""
    body = _SPEC["paths"][path][method.lower()].get("requestBody", {})
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    for option in schema.get("anyOf", [schema]):
        ref = option.get("$ref")
        if ref:
            component = _SPEC["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            return list(component.get("properties", {}))
    return []


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list) and value:
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path] if path else []


def _with(body: Any, path: tuple[Any, ...], raw: str) -> bytes:
    """The body as JSON with the raw JSON text ``raw`` at ``path``."""
    doc = json.loads(json.dumps(body))
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = _MARK
    return json.dumps(doc).replace(json.dumps(_MARK), raw, 1).encode()


def _audit_count(db: Session) -> int:
    return db.connection().execute(select(func.count()).select_from(AuditEvent)).scalar_one()


@pytest.mark.parametrize("route", WRITES)
def test_hostile_values_in_every_field(
    route: str, client: TestClient, db: Session, tenant: Tenant
) -> None:
    p = prepared_call(route, client, tenant)
    method, template, url, body = p.method, p.template, p.url, p.body
    assert body is not None
    paths = _leaves(body)
    if isinstance(body, dict):
        paths += [(f,) for f in _schema_fields(method, template) if (f,) not in paths]
    headers = {**tenant.admin, "Content-Type": "application/json"}
    failures: list[str] = []
    sent = 0

    def fire(path: tuple[Any, ...], value: Hostile) -> Any:
        nonlocal sent
        sent += 1
        r = client.request(method, url, content=_with(body, path, value.raw), headers=headers)
        where = "/".join(map(str, path))
        if r.status_code >= 500:
            failures.append(f"{where} <- {value.name}: {r.status_code} {r.text[:200]}")
        return r

    for n, path in enumerate(paths):
        where = "/".join(map(str, path))
        before = total_rows(db)
        values = [v for v in CORPUS if v.refuse] + ([TEN_MB] if n == 0 else [])
        for value in values:
            r = fire(path, value)
            if not 400 <= r.status_code < 500:
                failures.append(f"{where} <- {value.name}: accepted ({r.status_code})")
        if total_rows(db) != before:
            failures.append(f"{where}: a refused value was stored")
        for value in (v for v in CORPUS if not v.refuse):
            audited = _audit_count(db)
            r = fire(path, value)
            if 400 <= r.status_code < 500 and _audit_count(db) != audited:
                failures.append(f"{where} <- {value.name}: refused but written")
            elif r.status_code < 300 and value.name in VERBATIM and len(path) == 1:
                kept = r.json().get(path[0]) if r.content and isinstance(r.json(), dict) else None
                if isinstance(kept, str) and kept != value.text:
                    failures.append(f"{where} <- {value.name}: stored as {kept!r}")
    print(f"{route}: {sent} hostile requests over {len(paths)} fields")  # noqa: T201 (figures)
    assert not failures, "\n".join(failures)
