"""Limits on input: every string has a maximum length in the schema, and hostile query
strings are refused with 4xx on every list and read route (issue 10)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.input_guard import INT_MAX, body_problems, query_problems
from tests.conftest import Tenant
from tests.helpers import assert_problem, built_app
from tests.reliability.conftest import total_rows
from tests.reliability.registry import ROUTES, api_routes, prepared_call

_APP = built_app()
_SPEC = _APP.openapi()
# Strings whose format bounds their length already.
_BOUNDED_FORMATS = {"uuid", "date", "date-time", "email", "binary", "time", "duration"}


def _unbounded_strings(schema: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _unbounded_strings(_SPEC["components"]["schemas"][name], f"{where}", seen)
    out = []
    if schema.get("type") == "string" and "enum" not in schema and "const" not in schema:
        if "maxLength" not in schema and schema.get("format") not in _BOUNDED_FORMATS:
            out.append(where)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            out += _unbounded_strings(option, where, seen)
    for prop, sub in schema.get("properties", {}).items():
        out += _unbounded_strings(sub, f"{where}/{prop}", seen)
    if isinstance(schema.get("items"), dict):
        out += _unbounded_strings(schema["items"], f"{where}/0", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        out += _unbounded_strings(schema["additionalProperties"], f"{where}/*", seen)
    return out


def test_every_input_string_has_a_maximum_length() -> None:
    unbounded = []
    for path, item in _SPEC["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                unbounded += _unbounded_strings(
                    param.get("schema", {}), f"{where} {param['in']}:{param['name']}", set()
                )
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                unbounded += _unbounded_strings(
                    content.get("schema", {}), f"{where} {media}", set()
                )
    assert unbounded == []


def test_guard_finds_every_unstorable_value() -> None:
    body = (
        b'{"a": "x\\u0000", "b": [1e309], "c": {"d": "\\udfff"}, "e": NaN, '
        b'"f": 2147483648, "g": "\\ud83d\\ude00", "h": -2147483648}'
    )
    assert [p["pointer"] for p in body_problems(body)] == ["/a", "/b/0", "/c/d", "/e", "/f"]
    assert body_problems(b'{"a": "\\u00e9", "n": %d}' % INT_MAX) == []
    assert body_problems(b"[" * 50_000 + b"]" * 50_000)[0]["detail"].startswith("The JSON")
    assert query_problems(b"q=ok&external_id=a%00b") == [
        {"pointer": "/query/external_id", "detail": "NUL characters are not allowed."}
    ]


def test_nul_in_a_query_string_is_422_not_500(client: TestClient, tenant: Tenant) -> None:
    body = assert_problem(
        client.get("/v1/employees?q=Sanne%00", headers=tenant.read), 422, "validation-error"
    )
    assert body["errors"][0]["pointer"] == "/query/q"


def test_nul_in_a_body_is_422_and_names_the_field(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    before = total_rows(db)
    r = client.post(
        "/v1/teams",
        headers={**tenant.write, "Content-Type": "application/json"},
        content=b'{"name": "Crisis\\u0000dienst"}',
    )
    assert assert_problem(r, 422, "validation-error")["errors"][0]["pointer"] == "/name"
    assert total_rows(db) == before


READS = [f"GET {p}" for m, p in api_routes(_APP) if m == "GET" and f"GET {p}" in ROUTES]
HOSTILE_QUERY = ["%00", "%ED%A0%80", "x" * 5000, "'%20OR%201=1--", "%3Cscript%3E", "-1", "1e309"]


@pytest.mark.parametrize("route", READS)
def test_hostile_query_parameters_never_fail(
    route: str, client: TestClient, tenant: Tenant
) -> None:
    template = route.split(" ", 1)[1]
    op = _SPEC["paths"][template]["get"]
    names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
    url = prepared_call(route, client, tenant).url
    for name in names:
        for value in HOSTILE_QUERY:
            r = client.get(f"{url}?{name}={value}", headers=tenant.admin)
            assert r.status_code < 500, f"{name}={value[:20]}: {r.status_code} {r.text[:200]}"
