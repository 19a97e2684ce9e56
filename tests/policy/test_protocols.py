"""Protocols: versions, sections, lifecycle (draft -> published -> superseded), bad input."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.core.tenancy import bind_organisation
from app.policy.models import Protocol, ProtocolSection
from tests.conftest import Tenant
from tests.factories.policy import make_norm, make_protocol, section
from tests.helpers import assert_problem, count_statements, set_clock
from tests.policy.helpers import create_protocol, publish, section_json


def test_create_assigns_increasing_versions_and_keeps_section_order(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    norm = make_norm(db, title="Fysiek geweld", level="red")
    first = create_protocol(
        client,
        tenant,
        summary="Zo gaan wij om met agressie.",
        sections=[
            section_json(kind="agreement", title="Norm", pillar=1),
            section_json(kind="tip", title="Tip", pillar=3),
            section_json(kind="procedure", title="Melden", pillar=None),
        ],
        norm_ids=[str(norm.id)],
    )
    second = create_protocol(client, tenant)
    assert (first["version"], second["version"]) == (1, 2)
    assert first["status"] == "draft" and first["published_at"] is None
    assert [(s["position"], s["kind"], s["pillar"]) for s in first["sections"]] == [
        (1, "agreement", 1),
        (2, "tip", 3),
        (3, "procedure", None),
    ]
    assert first["norm_ids"] == [str(norm.id)]
    got = client.get(f"/v1/protocols/{first['id']}", headers=tenant.read).json()
    assert got == first


def test_version_is_per_organisation(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    create_protocol(client, tenant)
    create_protocol(client, tenant)
    assert create_protocol(client, other_tenant)["version"] == 1


def test_publish_supersedes_the_previous_version(client: TestClient, tenant: Tenant) -> None:
    v1 = publish(client, tenant, create_protocol(client, tenant)["id"])
    assert v1["status"] == "published" and v1["published_at"] is not None
    current = client.get("/v1/protocols/current", headers=tenant.read)
    assert current.status_code == 200 and current.json()["id"] == v1["id"]

    v2 = publish(client, tenant, create_protocol(client, tenant)["id"])
    old = client.get(f"/v1/protocols/{v1['id']}", headers=tenant.read).json()
    assert old["status"] == "superseded" and old["superseded_at"] is not None
    assert client.get("/v1/protocols/current", headers=tenant.read).json()["id"] == v2["id"]
    listed = client.get("/v1/protocols?status=published", headers=tenant.read).json()["items"]
    assert [p["id"] for p in listed] == [v2["id"]]


def test_no_current_protocol_is_a_404_problem(client: TestClient, tenant: Tenant) -> None:
    create_protocol(client, tenant)  # a draft is not current
    assert_problem(
        client.get("/v1/protocols/current", headers=tenant.read), 404, "no-current-protocol"
    )


def test_publishing_again_is_harmless(client: TestClient, tenant: Tenant) -> None:
    v1 = publish(client, tenant, create_protocol(client, tenant)["id"])
    again = publish(client, tenant, v1["id"])
    assert again["status"] == "published" and again["published_at"] == v1["published_at"]


def test_superseded_and_older_versions_cannot_be_published(
    client: TestClient, tenant: Tenant
) -> None:
    v1 = create_protocol(client, tenant)
    v2 = create_protocol(client, tenant)
    publish(client, tenant, v2["id"])
    r = client.post(f"/v1/protocols/{v1['id']}/publish", headers=tenant.write)
    assert_problem(r, 409, "newer-version-published")
    v3 = publish(client, tenant, create_protocol(client, tenant)["id"])
    r = client.post(f"/v1/protocols/{v2['id']}/publish", headers=tenant.write)
    assert_problem(r, 409, "protocol-superseded")
    assert client.get("/v1/protocols/current", headers=tenant.read).json()["id"] == v3["id"]


def test_a_protocol_without_sections_cannot_be_published(
    client: TestClient, tenant: Tenant
) -> None:
    empty = create_protocol(client, tenant, sections=[])
    r = client.post(f"/v1/protocols/{empty['id']}/publish", headers=tenant.write)
    assert_problem(r, 409, "protocol-has-no-sections")


def test_only_drafts_can_be_edited_or_deleted(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    published = publish(client, tenant, create_protocol(client, tenant)["id"])
    r = client.patch(f"/v1/protocols/{published['id']}", headers=tenant.write, json={"title": "X"})
    assert_problem(r, 409, "protocol-not-draft")
    assert_problem(
        client.delete(f"/v1/protocols/{published['id']}", headers=tenant.write),
        409,
        "protocol-not-draft",
    )
    after = client.get(f"/v1/protocols/{published['id']}", headers=tenant.read).json()
    assert after == published


def test_edit_a_draft_replaces_sections_and_norms(
    client: TestClient, tenant: Tenant, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = make_norm(db), make_norm(db)
    created = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    set_clock(monkeypatch, created)
    draft = create_protocol(client, tenant, norm_ids=[str(a.id)])
    assert datetime.fromisoformat(draft["updated_at"]) == created
    set_clock(monkeypatch, created + timedelta(minutes=5))
    r = client.get(f"/v1/protocols/{draft['id']}", headers=tenant.read)
    r = client.patch(
        f"/v1/protocols/{draft['id']}",
        headers={**tenant.write, "If-Match": r.headers["ETag"]},
        json={
            "title": "Agressieprotocol 2027",
            "sections": [section_json(title="Een"), section_json(title="Twee", kind="tip")],
            "norm_ids": [str(b.id)],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["title"] == "Agressieprotocol 2027" and body["norm_ids"] == [str(b.id)]
    assert [(s["position"], s["title"]) for s in body["sections"]] == [(1, "Een"), (2, "Twee")]
    assert datetime.fromisoformat(body["updated_at"]) == created + timedelta(minutes=5)


def test_delete_a_draft(client: TestClient, tenant: Tenant, db: Session) -> None:
    draft = create_protocol(client, tenant)
    assert client.delete(f"/v1/protocols/{draft['id']}", headers=tenant.write).status_code == 204
    assert_problem(client.get(f"/v1/protocols/{draft['id']}", headers=tenant.read), 404)
    count = db.scalar(select(func.count()).select_from(ProtocolSection))
    assert count == 0


def test_empty_or_oversized_sections_are_422_with_a_pointer(
    client: TestClient, tenant: Tenant
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sections": [section_json(), section_json(body="")]}, "/sections/1/body"),
        ({"sections": [section_json(title="   ")]}, "/sections/0/title"),
        ({"sections": [section_json(body="x" * 10_001)]}, "/sections/0/body"),
        ({"sections": [section_json(title="x" * 201)]}, "/sections/0/title"),
        ({"sections": [section_json(pillar=5)]}, "/sections/0/pillar"),
        ({"sections": [section_json(kind="poem")]}, "/sections/0/kind"),
        ({"sections": [section_json()] * 101}, "/sections"),
        ({"title": "x" * 201}, "/title"),
        ({"summary": "x" * 10_001}, "/summary"),
    ]
    for overrides, pointer in cases:
        body = {"title": "Agressieprotocol", **overrides}
        problem = assert_problem(client.post("/v1/protocols", headers=tenant.write, json=body), 422)
        assert pointer in [e["pointer"] for e in problem["errors"]], (pointer, problem)
    draft = create_protocol(client, tenant)
    r = client.patch(
        f"/v1/protocols/{draft['id']}", headers=tenant.write, json={"sections": [{"kind": "tip"}]}
    )
    assert "/sections/0/title" in [e["pointer"] for e in assert_problem(r, 422)["errors"]]
    assert client.get("/v1/protocols", headers=tenant.read).json()["items"] == [draft]


def test_unknown_or_foreign_norm_ids_are_422_and_change_nothing(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Session
) -> None:
    mine = make_norm(db)
    bind_organisation(db, other_tenant.id)
    foreign = make_norm(db)
    bind_organisation(db, tenant.id)
    r = client.post(
        "/v1/protocols",
        headers=tenant.write,
        json={
            "title": "P",
            "sections": [section_json()],
            "norm_ids": [str(mine.id), str(foreign.id)],
        },
    )
    problem = assert_problem(r, 422, "unknown-reference")
    assert problem["errors"][0]["pointer"] == "/norm_ids/1"
    assert (
        db.scalar(
            select(func.count())
            .select_from(Protocol)
            .where(col(Protocol.organisation_id) == tenant.id)
        )
        == 0
    )


def test_another_organisations_protocol_is_404(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Session
) -> None:
    bind_organisation(db, other_tenant.id)
    foreign = make_protocol(db, publish=True)
    bind_organisation(db, tenant.id)
    for method, path in [
        ("GET", f"/v1/protocols/{foreign.id}"),
        ("PATCH", f"/v1/protocols/{foreign.id}"),
        ("DELETE", f"/v1/protocols/{foreign.id}"),
        ("POST", f"/v1/protocols/{foreign.id}/publish"),
        ("GET", f"/v1/protocols/{foreign.id}/acknowledgements"),
    ]:
        kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
        r = client.request(method, path, headers=tenant.write, **kwargs)
        assert_problem(r, 404, "not-found")
    assert_problem(client.get("/v1/protocols/current", headers=tenant.read), 404)


def test_read_key_cannot_publish(client: TestClient, tenant: Tenant) -> None:
    draft = create_protocol(client, tenant)
    r = client.post(f"/v1/protocols/{draft['id']}/publish", headers=tenant.read)
    assert_problem(r, 403, "insufficient-scope")


def test_list_pages_with_sections_in_bounded_queries(
    client: TestClient, tenant: Tenant, db: Session, engine: Any
) -> None:
    for _ in range(3):
        make_protocol(db, sections=[section() for _ in range(3)])
    client.get("/v1/protocols", headers=tenant.read)  # warm-up: the key's last_used_at
    with count_statements(engine) as few:
        client.get("/v1/protocols", headers=tenant.read)
    for _ in range(10):
        make_protocol(db, sections=[section() for _ in range(3)])
    db.commit()  # the set-up's change events are written now, not inside the count
    with count_statements(engine) as many:
        r = client.get("/v1/protocols", headers=tenant.read)
    assert len(r.json()["items"]) == 13
    assert many.count == few.count


def test_publish_honours_if_match(client: TestClient, tenant: Tenant) -> None:
    draft = create_protocol(client, tenant)
    etag = client.get(f"/v1/protocols/{draft['id']}", headers=tenant.read).headers["ETag"]
    client.patch(f"/v1/protocols/{draft['id']}", headers=tenant.write, json={"title": "Nieuw"})
    r = client.post(
        f"/v1/protocols/{draft['id']}/publish", headers={**tenant.write, "If-Match": etag}
    )
    assert_problem(r, 412, "etag-mismatch")
    assert (
        client.get(f"/v1/protocols/{draft['id']}", headers=tenant.read).json()["status"] == "draft"
    )


def test_sections_show_the_ids_team_goals_refer_to(client: TestClient, tenant: Tenant) -> None:
    # A client builds a team goal on a section of the protocol using the API alone.
    protocol = create_protocol(
        client, tenant, sections=[section_json(), section_json(title="Meld elk incident")]
    )
    published = publish(client, tenant, protocol["id"])
    ids = [s["id"] for s in published["sections"]]
    assert len(set(ids)) == 2
    assert (
        client.get("/v1/protocols/current", headers=tenant.read).json()["sections"]
        == (published["sections"])
    )
    team = client.post("/v1/teams", headers=tenant.write, json={"name": "Wijkteam"}).json()
    skills = client.get("/v1/skills?limit=200", headers=tenant.read).json()["items"]
    goal = client.post(
        "/v1/team-goals",
        headers=tenant.write,
        json={
            "team_id": team["id"],
            "skill_id": skills[0]["id"],
            "description": "Iedereen meldt elk incident dezelfde dag",
            "source_protocol_section_id": ids[1],
        },
    )
    assert goal.status_code == 201, goal.text
    assert goal.json()["source_protocol_section_id"] == ids[1]
