"""GET /v1/employee-status: readiness, skills, trainings due, follow-up, per page (issue 17)."""

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, delete

from app.changes import timed
from app.changes.models import ChangeEvent
from app.followup.models import FollowUpItem, FollowUpKind
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_function_group, make_team
from tests.factories.policy import make_acknowledgement, make_protocol
from tests.factories.training import make_completion, make_program
from tests.helpers import assert_problem


def test_one_page_says_what_an_hr_platform_needs(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    team = make_team(db)
    low = make_function_group(db, likelihood=1, impact=1)  # needs three skills by default
    trained = make_employee(db, team_id=team.id, function_group_id=low.id, external_id="HR-1")
    untrained = make_employee(db, team_id=team.id, function_group_id=low.id)
    make_employee(db)  # another team: filtered out
    program = make_program(db, skills=("contact_bad_news", "naming_discomfort"))
    done_on = date.today() - timedelta(days=30)
    make_completion(db, employee=trained, program=program, completed_on=done_on)
    protocol = make_protocol(db, publish=True)
    make_acknowledgement(db, protocol=protocol, employee=trained)
    db.add(
        FollowUpItem(kind=FollowUpKind.action_point, description="x", owner_employee_id=trained.id)
    )
    db.commit()

    r = client.get("/v1/employee-status", headers=tenant.read, params={"team_id": str(team.id)})
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["feed_cursor"]
    by_id = {s["employee_id"]: s for s in page["items"]}
    assert set(by_id) == {str(trained.id), str(untrained.id)}
    mine = by_id[str(trained.id)]
    assert mine["external_id"] == "HR-1"
    assert (mine["protocol_version"], mine["protocol_ready"]) == (1, True)
    skills = {s["code"]: s for s in mine["skills"]}
    assert set(skills) == {"contact_bad_news", "naming_discomfort", "peer_support"}
    assert skills["contact_bad_news"]["current"] is True
    assert skills["contact_bad_news"]["current_until"] == (
        done_on.replace(year=done_on.year + 2).isoformat()
    )
    assert mine["trainings_due"] == ["peer_support"]
    assert mine["open_follow_up_items"] == 1
    theirs = by_id[str(untrained.id)]
    assert theirs["protocol_ready"] is False and len(theirs["trainings_due"]) == 3


def test_changed_after_a_feed_cursor_lists_only_employees_changed_since(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    quiet, busy = make_employee(db), make_employee(db)
    db.commit()
    cursor = client.get("/v1/employee-status", headers=tenant.read).json()["feed_cursor"]
    r = client.patch(f"/v1/employees/{busy.id}", headers=tenant.write, json={"last_name": "Nieuw"})
    assert r.status_code == 200, r.text
    page = client.get(
        "/v1/employee-status", headers=tenant.read, params={"changed_after": cursor}
    ).json()
    assert [s["employee_id"] for s in page["items"]] == [str(busy.id)]
    assert str(quiet.id) not in str(page)
    assert_problem(
        client.get("/v1/employee-status", headers=tenant.read, params={"changed_after": "x!"}),
        422,
    )


def test_exports_refuse_updated_since_they_do_not_honour(
    client: TestClient, tenant: Tenant
) -> None:
    r = client.get(
        "/v1/exports/training-completions",
        headers=tenant.read,
        params={"updated_since": "2026-01-01T00:00:00Z"},
    )
    body = assert_problem(r, 422)
    assert body["errors"][0]["pointer"] == "/query/updated_since"


def test_a_sync_token_misses_no_employee_whose_status_changed(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # The status derives from more than the employee's own row: a skill lapsing, their
    # function group's needs, the follow-up items they own (or owned).
    group, other_group = make_function_group(db), make_function_group(db)
    lapsing = make_employee(db, function_group_id=other_group.id)
    before, after = make_employee(db), make_employee(db)
    member = make_employee(db, function_group_id=group.id)
    quiet = make_employee(db, function_group_id=other_group.id)
    program = make_program(db, skills=("deescalation",), refresher_months=12)
    make_completion(
        db, employee=lapsing, program=program, completed_on=date.today() - timedelta(days=360)
    )
    item = FollowUpItem(
        kind=FollowUpKind.action_point, description="x", owner_employee_id=before.id
    )
    db.add(item)
    db.commit()
    token = client.get("/v1/employee-status", headers=tenant.read).json()["sync_token"]

    def changed() -> set[str]:
        page = client.get(
            "/v1/employee-status", headers=tenant.read, params={"sync_token": token, "limit": 200}
        ).json()
        return {s["employee_id"] for s in page["items"]}

    assert changed() == set()
    moved = client.patch(
        f"/v1/follow-up-items/{item.id}",
        headers=tenant.write,
        json={"owner_employee_id": str(after.id)},
    )
    assert moved.status_code == 200, moved.text
    skill = client.get("/v1/skills", headers=tenant.read, params={"limit": 1}).json()["items"][0]
    needs = client.put(
        f"/v1/function-groups/{group.id}/needs",
        headers=tenant.write,
        json={"needs": [{"skill_id": skill["id"]}]},
    )
    assert needs.status_code == 200, needs.text
    timed.announce_due(db, today=date.today() + timedelta(days=10))
    db.commit()
    assert changed() == {str(e.id) for e in (lapsing, before, after, member)}
    assert str(quiet.id) not in changed()
    # A change every status derives from (the organisation's settings): everyone.
    client.patch(
        "/v1/organisation",
        headers=tenant.admin,
        json={"settings": {"default_refresher_months": 18}},
    )
    assert str(quiet.id) in changed()


def test_a_deleted_item_whose_owner_no_event_tells_widens_to_everyone(
    client: TestClient, db: Session, tenant: Tenant
) -> None:
    # A tombstone carries no data; with the item's earlier events past the retention the
    # owner cannot be known, and the sync must not pass them over: everyone comes.
    owner, quiet = make_employee(db), make_employee(db)
    item = FollowUpItem(kind=FollowUpKind.action_point, description="x", owner_employee_id=owner.id)
    db.add(item)
    db.commit()
    db.execute(delete(ChangeEvent).where(col(ChangeEvent.resource_id) == item.id))  # purged
    db.commit()
    token = client.get("/v1/employee-status", headers=tenant.read).json()["sync_token"]
    assert client.delete(f"/v1/follow-up-items/{item.id}", headers=tenant.write).status_code == 204
    page = client.get(
        "/v1/employee-status", headers=tenant.read, params={"sync_token": token, "limit": 200}
    ).json()
    assert {str(owner.id), str(quiet.id)} <= {s["employee_id"] for s in page["items"]}
