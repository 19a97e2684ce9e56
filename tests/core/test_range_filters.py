"""One naming for range filters: ``<field>_from`` / ``<field>_to``, both inclusive (issue 19).

The older names (``updated_since``, ``starts_before``, ``since``/``until``) are still
accepted with their old meaning for a deprecation period, and the contract marks them so.
"""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.dates import rfc3339
from app.core.models import utcnow
from tests.conftest import Tenant
from tests.factories.core import make_team
from tests.factories.training import make_program, make_session
from tests.helpers import built_app

# Query parameters that bound a time but are not ranges: a feed cursor (`after`).
NOT_RANGES = {"after"}
OLD_RANGE_WORDS = ("since", "until", "before", "after")


def _ids(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def test_every_range_filter_is_named_from_and_to_and_old_names_are_deprecated() -> None:
    spec = built_app().openapi()
    offenders = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                name = param["name"]
                if param["in"] != "query" or name in NOT_RANGES:
                    continue
                if name.endswith(OLD_RANGE_WORDS) and not param.get("deprecated"):
                    offenders.append(f"{method.upper()} {path} ?{name}")
    assert not offenders, offenders


def test_updated_from_and_to_bound_a_list_inclusively(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    old, recent = make_team(db), make_team(db)
    old.updated_at = utcnow() - timedelta(days=10)
    db.add(old)
    db.flush()
    r = client.get(
        "/v1/teams", headers=tenant.read, params={"updated_from": rfc3339(recent.updated_at)}
    )
    assert _ids(r) == [str(recent.id)]
    r = client.get("/v1/teams", headers=tenant.read, params={"updated_to": rfc3339(old.updated_at)})
    assert _ids(r) == [str(old.id)]
    # The old name keeps working.
    r = client.get(
        "/v1/teams", headers=tenant.read, params={"updated_since": rfc3339(recent.updated_at)}
    )
    assert _ids(r) == [str(recent.id)]


def test_sessions_starts_to_includes_its_bound_and_starts_before_does_not(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    program = make_program(db)
    early = make_session(db, program=program)
    late = make_session(db, program=program, starts_at=early.starts_at + timedelta(days=7))
    bound = rfc3339(late.starts_at)
    r = client.get("/v1/training-sessions", headers=tenant.read, params={"starts_to": bound})
    assert _ids(r) == [str(early.id), str(late.id)]
    r = client.get("/v1/training-sessions", headers=tenant.read, params={"starts_before": bound})
    assert _ids(r) == [str(early.id)]
    r = client.get("/v1/training-sessions", headers=tenant.read, params={"starts_from": bound})
    assert _ids(r) == [str(late.id)]


def test_audit_created_from_and_to_include_their_bounds(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/teams", headers=tenant.write, json={"name": "Grens"})
    assert created.status_code == 201, created.text
    events = client.get(
        "/v1/audit-events", headers=tenant.admin, params={"resource_type": "team"}
    ).json()["items"]
    at = events[-1]["created_at"]
    assert at.endswith("Z")

    def listed(**params: str) -> list[str]:
        r = client.get(
            "/v1/audit-events", headers=tenant.admin, params={"resource_type": "team", **params}
        )
        return _ids(r)

    assert listed(created_from=at) == [events[-1]["id"]]
    assert events[-1]["id"] in listed(created_to=at)
    # The deprecated names keep their meaning: `until` excludes its bound.
    assert events[-1]["id"] not in listed(until=at)
    assert listed(since=at) == [events[-1]["id"]]
