"""Function-group needs: defaults by exposure level (DOMAIN.md) and the organisation's own."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.learning import service
from app.learning.models import NeedPriority
from app.organisation.models import ExposureLevel
from tests.conftest import Tenant
from tests.factories.core import make_function_group
from tests.factories.learning import make_skill, set_needs, skill
from tests.helpers import assert_problem, count_statements

BASICS = {"contact_bad_news", "naming_discomfort", "peer_support"}
MODERATE = BASICS | {"risk_assessment", "tension_control", "redirecting_emotion"}
HIGH = MODERATE | {"deescalation", "manipulative_behaviour", "less_influenceable_behaviour"}

# DOMAIN.md, "Default needs by exposure": every level the basics; moderate and up three
# more; high and up the last three. All required.
TABLE = {
    ExposureLevel.low: BASICS,
    ExposureLevel.moderate: MODERATE,
    ExposureLevel.high: HIGH,
    ExposureLevel.very_high: HIGH,
}


@pytest.mark.parametrize("level", list(ExposureLevel))
def test_default_needs_follow_the_domain_table(level: ExposureLevel) -> None:
    needs = service.default_needs(level)
    assert set(needs) == TABLE[level]
    assert set(needs.values()) == {NeedPriority.required}


def test_needs_by_function_group_defaults_and_custom(
    db: Session, tenant: Tenant, engine: Engine
) -> None:
    low = make_function_group(db, likelihood=2, impact=2)  # 4: low
    high = make_function_group(db, likelihood=4, impact=3)  # 12: high
    custom = make_function_group(db, likelihood=5, impact=5)
    own = make_skill(db)
    set_needs(
        db,
        custom,
        [(skill(db, "peer_support"), NeedPriority.required), (own, NeedPriority.recommended)],
    )
    codes = {v: k for k, v in service.skill_ids_by_code(db).items()}
    with count_statements(engine) as counter:
        needs = service.needs_by_function_group(db)
    assert counter.count <= 3
    assert {codes[s] for s, _ in needs[low.id]} == BASICS
    assert {codes[s] for s, _ in needs[high.id]} == HIGH
    assert needs[custom.id] == [
        (skill(db, "peer_support").id, NeedPriority.required),
        (own.id, NeedPriority.recommended),
    ]
    only = service.needs_by_function_group(db, function_group_ids=[low.id])
    assert list(only) == [low.id]
    assert service.needs_by_function_group(db, function_group_ids=[]) == {}


def test_get_needs_default_then_custom_then_reset(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    fg = make_function_group(db, likelihood=2, impact=3)  # 6: moderate
    url = f"/v1/function-groups/{fg.id}/needs"
    resp = client.get(url, headers=tenant.read)
    assert resp.status_code == 200
    body = resp.json()
    assert body["source"] == "default" and body["exposure_level"] == "moderate"
    assert {n["skill_code"] for n in body["needs"]} == MODERATE

    peer, own = skill(db, "peer_support"), make_skill(db)
    put = {
        "needs": [
            {"skill_id": str(peer.id), "priority": "required"},
            {"skill_id": str(own.id), "priority": "recommended"},
        ]
    }
    resp = client.put(url, headers=tenant.write, json=put)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["source"] == "custom"
    assert [(n["skill_code"], n["priority"]) for n in body["needs"]] == [
        ("peer_support", "required"),
        (own.code, "recommended"),
    ]
    assert client.get(url, headers=tenant.read).json()["source"] == "custom"
    # A stale ETag is refused.
    assert_problem(client.put(url, headers={**tenant.write, "If-Match": '"x"'}, json=put), 412)

    assert client.delete(url, headers=tenant.write).status_code == 204
    body = client.get(url, headers=tenant.read).json()
    assert body["source"] == "default" and {n["skill_code"] for n in body["needs"]} == MODERATE


def test_changing_likelihood_changes_the_defaults(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    fg = make_function_group(db, likelihood=1, impact=2)
    url = f"/v1/function-groups/{fg.id}/needs"
    assert {n["skill_code"] for n in client.get(url, headers=tenant.read).json()["needs"]} == BASICS
    client.patch(
        f"/v1/function-groups/{fg.id}", headers=tenant.write, json={"likelihood": 5, "impact": 4}
    ).raise_for_status()
    body = client.get(url, headers=tenant.read).json()
    assert body["exposure_level"] == "very_high"
    assert {n["skill_code"] for n in body["needs"]} == HIGH


def test_put_needs_bad_input(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    fg = make_function_group(db)
    url = f"/v1/function-groups/{fg.id}/needs"
    peer = skill(db, "peer_support")
    twice = {"needs": [{"skill_id": str(peer.id)}, {"skill_id": str(peer.id)}]}
    assert_problem(client.put(url, headers=tenant.write, json=twice), 422, "duplicate-skill")
    # A skill of another organisation: 404, as if it did not exist.
    theirs = client.get("/v1/skills", headers=other_tenant.read).json()["items"][0]["id"]
    body = assert_problem(
        client.put(url, headers=tenant.write, json={"needs": [{"skill_id": theirs}]}), 404
    )
    assert body["errors"][0]["pointer"] == "/needs/0/skill_id"
    retired = make_skill(db, retired=True)
    resp = client.put(url, headers=tenant.write, json={"needs": [{"skill_id": str(retired.id)}]})
    assert_problem(resp, 409, "skill-retired")
    assert_problem(client.get(url, headers=other_tenant.read), 404)
    assert_problem(client.put(url, headers=tenant.read, json={"needs": []}), 403)
