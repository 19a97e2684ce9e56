"""Norms: levels, team norms within the organisation norm, references and limits."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.policy.models import Norm
from tests.conftest import Tenant
from tests.factories.core import make_team
from tests.factories.policy import make_norm, make_protocol
from tests.helpers import assert_problem


def norm_json(**overrides: object) -> dict[str, object]:
    return {
        "title": "Schreeuwen",
        "description": "Met luide stem roepen of schelden.",
        "level": "orange",
        "response": "Benoem het gedrag, blijf rustig en begrens.",
        "aftercare": "Bespreek het kort na met een collega.",
        **overrides,
    }


def test_create_get_update_and_list_norms(client: TestClient, tenant: Tenant) -> None:
    r = client.post("/v1/norms", headers=tenant.write, json=norm_json())
    assert r.status_code == 201, r.text
    norm = r.json()
    assert norm["level"] == "orange" and norm["status"] == "active" and norm["team_id"] is None
    assert r.headers["Location"] == f"/v1/norms/{norm['id']}"

    got = client.get(f"/v1/norms/{norm['id']}", headers=tenant.read)
    assert got.status_code == 200 and "ETag" in got.headers

    r = client.patch(
        f"/v1/norms/{norm['id']}",
        headers={**tenant.write, "If-Match": got.headers["ETag"]},
        json={"level": "red"},
    )
    assert r.status_code == 200 and r.json()["level"] == "red"
    stale = client.patch(
        f"/v1/norms/{norm['id']}",
        headers={**tenant.write, "If-Match": got.headers["ETag"]},
        json={"level": "green"},
    )
    assert_problem(stale, 412, "etag-mismatch")

    client.post("/v1/norms", headers=tenant.write, json=norm_json(title="Groeten", level="green"))
    reds = client.get("/v1/norms?level=red", headers=tenant.read).json()["items"]
    assert [n["title"] for n in reds] == ["Schreeuwen"]


def test_read_key_cannot_create_a_norm(client: TestClient, tenant: Tenant) -> None:
    assert_problem(client.post("/v1/norms", headers=tenant.read, json=norm_json()), 403)


def test_team_norm_may_not_soften_a_red_organisation_norm(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    team = make_team(db)
    org_norm = make_norm(db, title="Dreigen met geweld", level="red")
    r = client.post(
        "/v1/norms",
        headers=tenant.write,
        json=norm_json(title="  dreigen MET geweld ", level="orange", team_id=str(team.id)),
    )
    body = assert_problem(r, 409, "team-norm-softens-organisation-norm")
    assert "Dreigen met geweld" in body["detail"]
    assert body["violations"][0]["organisation_norm_id"] == str(org_norm.id)
    assert db.exec(select(Norm).where(Norm.team_id == team.id)).first() is None


def test_team_norm_may_sharpen_the_organisation_norm(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    team = make_team(db)
    make_norm(db, title="Schreeuwen", level="orange")
    r = client.post(
        "/v1/norms",
        headers=tenant.write,
        json=norm_json(title="Schreeuwen", level="red", team_id=str(team.id)),
    )
    assert r.status_code == 201, r.text
    team_norms = client.get(f"/v1/norms?team_id={team.id}", headers=tenant.read).json()
    assert [n["level"] for n in team_norms["items"]] == ["red"]
    org_only = client.get("/v1/norms?organisation_only=true", headers=tenant.read).json()
    assert [n["level"] for n in org_only["items"]] == ["orange"]


def test_a_retired_organisation_norm_does_not_bind_teams(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    team = make_team(db)
    make_norm(db, title="Schelden", level="red", status="retired")
    r = client.post(
        "/v1/norms",
        headers=tenant.write,
        json=norm_json(title="Schelden", level="orange", team_id=str(team.id)),
    )
    assert r.status_code == 201, r.text


def test_updating_a_team_norm_to_acceptable_is_refused(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    team = make_team(db)
    make_norm(db, title="Vernielen van eigendommen", level="red")
    team_norm = make_norm(db, title="Vernielen van eigendommen", level="red", team_id=team.id)
    r = client.patch(f"/v1/norms/{team_norm.id}", headers=tenant.write, json={"level": "green"})
    assert_problem(r, 409, "team-norm-softens-organisation-norm")
    db.expire_all()
    assert db.get(Norm, team_norm.id).level == "red"  # type: ignore[union-attr]


def test_organisation_norm_cannot_turn_red_under_accepting_team_norms(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    team = make_team(db)
    team_norm = make_norm(db, title="Schreeuwen", level="orange", team_id=team.id)
    r = client.post("/v1/norms", headers=tenant.write, json=norm_json(level="red"))
    body = assert_problem(r, 409, "team-norm-softens-organisation-norm")
    assert body["violations"][0]["team_norm_id"] == str(team_norm.id)


def test_unknown_or_foreign_team_is_422(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Session
) -> None:
    from app.core.tenancy import bind_organisation

    bind_organisation(db, other_tenant.id)
    foreign_team = make_team(db)
    bind_organisation(db, tenant.id)
    r = client.post("/v1/norms", headers=tenant.write, json=norm_json(team_id=str(foreign_team.id)))
    body = assert_problem(r, 422, "unknown-reference")
    assert body["errors"][0]["pointer"] == "/team_id"
    assert client.get("/v1/norms", headers=tenant.read).json()["items"] == []


def test_another_organisations_norm_is_404(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Session
) -> None:
    from app.core.tenancy import bind_organisation

    bind_organisation(db, other_tenant.id)
    foreign = make_norm(db)
    assert_problem(client.get(f"/v1/norms/{foreign.id}", headers=tenant.read), 404, "not-found")
    assert_problem(
        client.patch(f"/v1/norms/{foreign.id}", headers=tenant.write, json={"level": "red"}), 404
    )
    assert_problem(client.delete(f"/v1/norms/{foreign.id}", headers=tenant.write), 404)


def test_string_limits_and_empty_title_are_422(client: TestClient, tenant: Tenant) -> None:
    body = assert_problem(
        client.post("/v1/norms", headers=tenant.write, json=norm_json(title="x" * 201)), 422
    )
    assert body["errors"][0]["pointer"] == "/title"
    body = assert_problem(
        client.post("/v1/norms", headers=tenant.write, json=norm_json(title="   ")), 422
    )
    assert body["errors"][0]["pointer"] == "/title"
    body = assert_problem(
        client.post("/v1/norms", headers=tenant.write, json=norm_json(response="x" * 10_001)), 422
    )
    assert body["errors"][0]["pointer"] == "/response"
    body = assert_problem(
        client.post("/v1/norms", headers=tenant.write, json=norm_json(level="purple")), 422
    )
    assert body["errors"][0]["pointer"] == "/level"


def test_delete_norm_unless_a_protocol_includes_it(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    free = make_norm(db)
    used = make_norm(db)
    make_protocol(db, norm_ids=[used.id])
    assert client.delete(f"/v1/norms/{free.id}", headers=tenant.write).status_code == 204
    assert_problem(
        client.delete(f"/v1/norms/{used.id}", headers=tenant.write), 409, "norm-in-protocol"
    )
    assert db.get(Norm, used.id) is not None
