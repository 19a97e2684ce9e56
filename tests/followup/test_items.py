"""Follow-up items: owners, sources, the atomic batch for a session, and overdue."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.core.dates import today
from app.core.pagination import PageParams
from app.followup import service
from app.followup.models import FollowUpItem, FollowUpStatus
from app.training.models import SessionStatus
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.factories.followup import make_item, make_review, make_session, uid
from tests.helpers import assert_problem

TODAY = today()  # the service's Dutch calendar day, not the machine's


def _count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(FollowUpItem)).one()


def test_create_read_update_and_complete(client: TestClient, tenant: Tenant, db: Session) -> None:
    emp = make_employee(db)
    r = client.post(
        "/v1/follow-up-items",
        headers=tenant.write,
        json={
            "kind": "learning_point",
            "description": "Oefen het benoemen van ongemak in het teamoverleg",
            "owner_employee_id": str(emp.id),
            "due_on": str(TODAY + timedelta(days=14)),
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["source"] is None
    assert body["status"] == "open" and body["overdue"] is False and body["done_at"] is None
    etag = r.headers["ETag"]
    done = client.patch(
        f"/v1/follow-up-items/{body['id']}",
        headers={**tenant.write, "If-Match": etag},
        json={"status": "done"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["done_at"] is not None
    stale = client.patch(
        f"/v1/follow-up-items/{body['id']}",
        headers={**tenant.write, "If-Match": etag},
        json={"status": "open"},
    )
    assert_problem(stale, 412, "etag-mismatch")
    reopened = client.patch(
        f"/v1/follow-up-items/{body['id']}", headers=tenant.write, json={"status": "open"}
    )
    assert reopened.json()["done_at"] is None


def test_owner_is_exactly_one_employee_or_team(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    emp, team = make_employee(db), make_team(db)
    both = {
        "kind": "action_point",
        "description": "x",
        "owner_employee_id": str(emp.id),
        "owner_team_id": str(team.id),
    }
    assert_problem(client.post("/v1/follow-up-items", headers=tenant.write, json=both), 422)
    neither = {"kind": "action_point", "description": "x"}
    assert_problem(client.post("/v1/follow-up-items", headers=tenant.write, json=neither), 422)
    item = client.post(
        "/v1/follow-up-items",
        headers=tenant.write,
        json={"kind": "action_point", "description": "x", "owner_team_id": str(team.id)},
    ).json()
    moved = client.patch(
        f"/v1/follow-up-items/{item['id']}",
        headers=tenant.write,
        json={"owner_employee_id": str(emp.id)},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner_employee_id"] == str(emp.id)
    assert moved.json()["owner_team_id"] is None


def test_references_of_another_organisation_are_unknown(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Session
) -> None:
    from app.core.tenancy import bind_organisation

    bind_organisation(db, other_tenant.id)
    foreign_emp = make_employee(db)
    foreign_session = make_session(db)
    bind_organisation(db, tenant.id)
    emp = make_employee(db)
    r = client.post(
        "/v1/follow-up-items",
        headers=tenant.write,
        json={"kind": "action_point", "description": "x", "owner_employee_id": str(foreign_emp.id)},
    )
    body = assert_problem(r, 422, "unknown-reference")
    assert body["errors"][0]["pointer"] == "/owner_employee_id"
    r = client.post(
        "/v1/follow-up-items",
        headers=tenant.write,
        json={
            "kind": "action_point",
            "description": "x",
            "owner_employee_id": str(emp.id),
            "training_session_id": str(foreign_session.id),
        },
    )
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/training_session_id"
    r = client.post(
        f"/v1/training-sessions/{foreign_session.id}/follow-up-items",
        headers=tenant.write,
        json={
            "items": [
                {"kind": "action_point", "description": "x", "owner_employee_id": str(emp.id)}
            ]
        },
    )
    assert_problem(r, 404)


def test_session_batch_is_atomic(client: TestClient, tenant: Tenant, db: Session) -> None:
    emp, team = make_employee(db), make_team(db)
    training = make_session(db)
    good = {
        "kind": "action_point",
        "description": "Nazorggesprek inplannen",
        "owner_team_id": str(team.id),
    }
    bad = {"kind": "attention_point", "description": "Let op", "owner_employee_id": uid()}
    before = _count(db)
    r = client.post(
        f"/v1/training-sessions/{training.id}/follow-up-items",
        headers=tenant.write,
        json={"items": [good, bad]},
    )
    body = assert_problem(r, 422, "unknown-reference")
    assert body["errors"][0]["pointer"] == "/items/1/owner_employee_id"
    assert _count(db) == before
    learning = {
        "kind": "learning_point",
        "description": "Stem verlagen",
        "owner_employee_id": str(emp.id),
    }
    r = client.post(
        f"/v1/training-sessions/{training.id}/follow-up-items",
        headers=tenant.write,
        json={"items": [good, learning]},
    )
    assert r.status_code == 201, r.text
    assert [i["source"] for i in r.json()] == ["training_session", "training_session"]
    assert {i["training_session_id"] for i in r.json()} == {str(training.id)}
    assert _count(db) == before + 2


def test_cancelled_session_has_nothing_to_follow_up(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    emp = make_employee(db)
    training = make_session(db, status=SessionStatus.cancelled)
    r = client.post(
        f"/v1/training-sessions/{training.id}/follow-up-items",
        headers=tenant.write,
        json={
            "items": [
                {"kind": "action_point", "description": "x", "owner_employee_id": str(emp.id)}
            ]
        },
    )
    assert_problem(r, 409, "session-cancelled")


def test_overdue_boundaries(db: Session, tenant: Tenant) -> None:
    emp = make_employee(db)
    due_today = make_item(db, owner=emp, due_on=TODAY)
    due_yesterday = make_item(db, owner=emp, due_on=TODAY - timedelta(days=1))
    done_late = make_item(
        db, owner=emp, due_on=TODAY - timedelta(days=5), status=FollowUpStatus.done
    )
    no_due = make_item(db, owner=emp)
    assert not service.is_overdue(due_today, TODAY)
    assert service.is_overdue(due_yesterday, TODAY)
    assert not service.is_overdue(done_late, TODAY)
    assert not service.is_overdue(no_due, TODAY)
    # Tomorrow, the item due today is overdue.
    assert service.is_overdue(due_today, TODAY + timedelta(days=1))
    rows, _ = service.list_follow_up_items(db, params=PageParams(), today=TODAY, overdue=True)
    assert [r.id for r in rows] == [due_yesterday.id]
    rows, _ = service.list_follow_up_items(db, params=PageParams(), today=TODAY, overdue=False)
    assert {r.id for r in rows} == {due_today.id, done_late.id, no_due.id}


def test_filters(client: TestClient, tenant: Tenant, db: Session) -> None:
    team, other_team = make_team(db), make_team(db)
    member = make_employee(db, team_id=team.id)
    outsider = make_employee(db, team_id=other_team.id)
    training = make_session(db)
    review = make_review(db, team, TODAY - timedelta(days=3))
    a = make_item(db, owner=team, training_session_id=training.id)
    b = make_item(db, owner=member, practice_review_id=review.id)
    c = make_item(db, owner=outsider, due_on=TODAY - timedelta(days=2))
    d = make_item(db, owner=member, status=FollowUpStatus.cancelled)

    def ids(query: str) -> set[str]:
        r = client.get(f"/v1/follow-up-items?{query}", headers=tenant.read)
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    assert ids(f"team_id={team.id}") == {str(a.id), str(b.id), str(d.id)}
    assert ids(f"owner_team_id={team.id}") == {str(a.id)}
    assert ids(f"owner_employee_id={member.id}") == {str(b.id), str(d.id)}
    assert ids("source=training_session") == {str(a.id)}
    assert ids("source=practice_review") == {str(b.id)}
    assert ids("source=none") == {str(c.id), str(d.id)}
    assert ids(f"practice_review_id={review.id}") == {str(b.id)}
    assert ids("status=cancelled") == {str(d.id)}
    assert ids("overdue=true") == {str(c.id)}
    listed = client.get("/v1/follow-up-items?overdue=true", headers=tenant.read).json()
    assert listed["items"][0]["overdue"] is True


def test_list_pages(client: TestClient, tenant: Tenant, db: Session) -> None:
    emp = make_employee(db)
    for _ in range(3):
        make_item(db, owner=emp)
    first = client.get("/v1/follow-up-items?limit=2", headers=tenant.read).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = client.get(
        f"/v1/follow-up-items?limit=2&cursor={first['next_cursor']}", headers=tenant.read
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_delete_and_scopes(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Session
) -> None:
    item = make_item(db, owner=make_employee(db))
    assert_problem(client.delete(f"/v1/follow-up-items/{item.id}", headers=tenant.read), 403)
    assert_problem(client.get(f"/v1/follow-up-items/{item.id}", headers=other_tenant.read), 404)
    assert client.delete(f"/v1/follow-up-items/{item.id}", headers=tenant.write).status_code == 204
    assert db.exec(select(FollowUpItem).where(col(FollowUpItem.id) == item.id)).first() is None
