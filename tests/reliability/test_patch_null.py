"""One rule for ``null`` in every PATCH body (core/models.py ``PatchModel``).

An omitted field keeps its value; ``null`` clears a field the resource may be without; for a
field the resource cannot be without, ``null`` is a 422 problem whose pointer names the
field, and nothing changes. The fields come from the OpenAPI document: every property of
every PATCH body, nested settings included, judged by the resource the PATCH answers with.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.policy.models import ProtocolSection
from tests.conftest import Tenant
from tests.helpers import assert_problem, built_app
from tests.reliability.registry import TODAY, World, prepared_call

DOC = built_app().openapi()
SCHEMAS = DOC["components"]["schemas"]

# Clearing these is refused by a rule, not by the null rule: an item always has exactly
# one owner (docs/followup.md), a rule the body's schema states (core/schema_rules.py), so
# the body is refused as it is read.
RULE_REFUSALS = {
    ("PATCH /v1/follow-up-items/{item_id}", "/owner_employee_id"): "validation-error",
    ("PATCH /v1/follow-up-items/{item_id}", "/owner_team_id"): "validation-error",
    # Recorded aftercare keeps its day; going back to pending clears it (docs/incidents.md).
    ("PATCH /v1/aftercare/{aftercare_id}", "/recorded_on"): "recorded-on-required",
    # Addressed by its HR key, a resource keeps it (a new key is a PATCH by id).
    **{
        (f"PATCH /v1/by-external-id/{path}/{{external_id}}", "/external_id"): "validation-error"
        for path in ("employees", "teams", "function-groups")
    },
}


def _deref(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return SCHEMAS[ref.rsplit("/", 1)[-1]] if ref else schema


def _nullable(schema: dict[str, Any]) -> bool:
    return any(s.get("type") == "null" for s in schema.get("anyOf", ())) or (
        schema.get("type") == "null"
    )


def _fields(
    body: dict[str, Any], resource: dict[str, Any], prefix: str = ""
) -> Iterator[tuple[str, bool, bool]]:
    """(pointer, null accepted by the PATCH body, null possible in the resource)."""
    for name, prop in body.get("properties", {}).items():
        pointer = f"{prefix}/{name}"
        shown = resource.get("properties", {}).get(name, {})
        yield pointer, _nullable(prop), _nullable(shown)
        if "$ref" in prop and "$ref" in shown:  # nested settings: the same rule inside
            yield from _fields(_deref(prop), _deref(shown), pointer)


def _patch_fields() -> list[tuple[str, str, bool, bool]]:
    out = []
    for path, item in DOC["paths"].items():
        op = item.get("patch")
        if op is None:
            continue
        body = _deref(op["requestBody"]["content"]["application/json"]["schema"])
        resource = _deref(op["responses"]["200"]["content"]["application/json"]["schema"])
        for pointer, body_null, resource_null in _fields(body, resource):
            out.append((f"PATCH {path}", pointer, body_null, resource_null))
    return out


FIELDS = _patch_fields()
REQUIRED = [(route, pointer) for route, pointer, _, nullable in FIELDS if not nullable]
NULLABLE = [(route, pointer) for route, pointer, _, nullable in FIELDS if nullable]


def _null_at(pointer: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    *parents, leaf = pointer.strip("/").split("/")
    inner = body
    for part in parents:
        inner = inner.setdefault(part, {})
    inner[leaf] = None
    return body


def test_every_patch_body_accepts_null_exactly_where_the_resource_has_it() -> None:
    assert len(REQUIRED) > 50 and len(NULLABLE) > 20  # every PATCH route is seen
    wrong = [
        f"{route} {pointer}: body {'accepts' if body else 'refuses'} null, the resource "
        f"{'may be' if resource else 'is never'} null"
        for route, pointer, body, resource in FIELDS
        if body != resource
    ]
    assert not wrong, wrong


@pytest.mark.parametrize(("route", "pointer"), REQUIRED)
def test_null_for_a_required_field_is_422_naming_it_and_changes_nothing(
    route: str, pointer: str, client: TestClient, tenant: Tenant
) -> None:
    url = prepared_call(route, client, tenant).url
    before = client.get(url, headers=tenant.admin)
    assert before.status_code == 200, before.text

    r = client.patch(url, headers=tenant.admin, json=_null_at(pointer))
    problem = assert_problem(r, 422, "validation-error")
    assert [e["pointer"] for e in problem["errors"]] == [pointer], problem

    after = client.get(url, headers=tenant.admin)
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]


def _a_value(w: World, db: Session, name: str) -> Any:
    """A valid non-null value for a nullable field, so that clearing it shows."""
    refs = {
        "team_id": "team_id",
        "owner_team_id": "team_id",
        "owner_employee_id": "employee_id",
        "function_group_id": "function_group_id",
        "team_goal_id": "team_goal_id",
        "employee_id": "employee_id",
        "organisation_goal_id": "organisation_goal_id",
    }
    if name in refs:
        return w.id(refs[name])
    if name == "source_protocol_section_id":
        # One of the published version's sections (GET /v1/protocols/{id} shows their ids).
        sections = ProtocolSection.__table__.c  # type: ignore[attr-defined]
        protocol_id = uuid.UUID(w.id("published_protocol_id"))
        query = select(sections.id).where(sections.protocol_id == protocol_id).limit(1)
        return str(db.connection().execute(query).scalar_one())
    if name in ("risk_assessed_on", "started_on", "ended_on", "due_on", "target_on", "recorded_on"):
        return TODAY.isoformat()
    if name == "email":
        return f"nieuw.{uuid.uuid4().hex[:8]}@example.nl"
    if name == "pillar":
        return 2
    return f"Waarde {uuid.uuid4().hex[:8]}"  # names, texts and external ids


@pytest.mark.parametrize(("route", "pointer"), NULLABLE)
def test_null_clears_a_nullable_field(
    route: str, pointer: str, client: TestClient, tenant: Tenant, db: Session
) -> None:
    name = pointer.strip("/")
    p = prepared_call(route, client, tenant)
    w, url = p.world, p.url
    if client.get(url, headers=tenant.admin).json()[name] is None:
        r = client.patch(url, headers=tenant.admin, json={name: _a_value(w, db, name)})
        assert r.status_code == 200, r.text
        assert r.json()[name] is not None

    r = client.patch(url, headers=tenant.admin, json={name: None})
    if (route, pointer) in RULE_REFUSALS:
        assert_problem(r, 422, RULE_REFUSALS[(route, pointer)])
        return
    assert r.status_code == 200, r.text
    assert r.json()[name] is None
    assert client.get(url, headers=tenant.admin).json()[name] is None
