"""HRM conversations: who may hold them, whose goals, and not in the future."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.dates import today
from app.organisation.models import Role
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.factories.followup import make_personal_goal, skill, uid
from tests.helpers import assert_problem

TODAY = today()  # the service's Dutch calendar day, not the machine's


def _setup(db: Session) -> dict:  # type: ignore[type-arg]
    boss = make_employee(db, role=Role.team_manager)
    other_boss = make_employee(db, role=Role.team_manager)
    director = make_employee(db, role=Role.senior_management)
    team = make_team(db, managers=[boss])
    make_team(db, managers=[other_boss])
    emp = make_employee(db, team_id=team.id)
    colleague = make_employee(db, team_id=team.id)
    return {
        "boss": boss,
        "other_boss": other_boss,
        "director": director,
        "emp": emp,
        "colleague": colleague,
    }


def _body(emp: object, manager: object, **extra: object) -> dict:  # type: ignore[type-arg]
    return {
        "employee_id": str(emp.id),  # type: ignore[attr-defined]
        "manager_id": str(manager.id),  # type: ignore[attr-defined]
        "held_on": str(TODAY - timedelta(days=3)),
        "kind": "progress",
        "theme_discussed": True,
        **extra,
    }


def test_team_manager_or_senior_management_may_hold_it(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    p = _setup(db)
    goal = make_personal_goal(db, p["emp"], skill(db, "tension_control"))
    r = client.post(
        "/v1/hrm-conversations",
        headers=tenant.write,
        json=_body(p["emp"], p["boss"], personal_goal_ids=[str(goal.id)], notes="Goed gesprek"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["personal_goal_ids"] == [str(goal.id)]
    r = client.post(
        "/v1/hrm-conversations", headers=tenant.write, json=_body(p["emp"], p["director"])
    )
    assert r.status_code == 201, r.text
    listed = client.get(
        f"/v1/hrm-conversations?employee_id={p['emp'].id}&manager_id={p['boss'].id}",
        headers=tenant.read,
    ).json()
    assert len(listed["items"]) == 1


def test_manager_of_another_team_is_refused(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    p = _setup(db)
    for manager in (p["other_boss"], p["colleague"], p["emp"]):
        r = client.post(
            "/v1/hrm-conversations", headers=tenant.write, json=_body(p["emp"], manager)
        )
        body = assert_problem(r, 409, "manager-not-responsible")
        violation = body["violations"][0]
        assert violation["rule"] == "hrm_manager_responsible"
        assert set(violation["allowed_manager_ids"]) == {str(p["boss"].id), str(p["director"].id)}


def test_a_manager_is_held_to_account_by_senior_management(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    p = _setup(db)
    r = client.post(
        "/v1/hrm-conversations", headers=tenant.write, json=_body(p["boss"], p["director"])
    )
    assert r.status_code == 201, r.text


def test_goals_must_be_the_employees_own(client: TestClient, tenant: Tenant, db: Session) -> None:
    p = _setup(db)
    own = make_personal_goal(db, p["emp"], skill(db, "deescalation"))
    theirs = make_personal_goal(db, p["colleague"], skill(db, "deescalation"))
    r = client.post(
        "/v1/hrm-conversations",
        headers=tenant.write,
        json=_body(p["emp"], p["boss"], personal_goal_ids=[str(own.id), str(theirs.id)]),
    )
    body = assert_problem(r, 409, "goal-of-another-employee")
    assert body["violations"][0]["personal_goal_ids"] == [str(theirs.id)]
    r = client.post(
        "/v1/hrm-conversations",
        headers=tenant.write,
        json=_body(p["emp"], p["boss"], personal_goal_ids=[uid()]),
    )
    assert (
        assert_problem(r, 422, "unknown-reference")["errors"][0]["pointer"]
        == "/personal_goal_ids/0"
    )


def test_held_on_in_the_future_is_invalid(client: TestClient, tenant: Tenant, db: Session) -> None:
    p = _setup(db)
    today = client.post(
        "/v1/hrm-conversations",
        headers=tenant.write,
        json=_body(p["emp"], p["boss"], held_on=str(TODAY)),
    )
    assert today.status_code == 201, today.text
    r = client.post(
        "/v1/hrm-conversations",
        headers=tenant.write,
        json=_body(p["emp"], p["boss"], held_on=str(TODAY + timedelta(days=1))),
    )
    assert_problem(r, 422, "held-on-in-future")


def test_update_to_a_future_held_on_is_refused_and_changes_nothing(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    """Recorded once held (issue 7, bad input): a PATCH may not move held_on past today."""
    p = _setup(db)
    created = client.post(
        "/v1/hrm-conversations", headers=tenant.write, json=_body(p["emp"], p["boss"])
    )
    assert created.status_code == 201, created.text
    before = created.json()
    url = f"/v1/hrm-conversations/{before['id']}"
    future = {"held_on": str(TODAY + timedelta(days=1)), "notes": "Verplaatst"}
    body = assert_problem(
        client.patch(url, headers=tenant.write, json=future), 422, "held-on-in-future"
    )
    assert body["errors"] == [{"pointer": "/held_on", "detail": "must not be in the future"}]
    assert client.get(url, headers=tenant.read).json() == before
    # Today is not the future.
    r = client.patch(url, headers=tenant.write, json={"held_on": str(TODAY)})
    assert r.status_code == 200, r.text
    assert r.json()["held_on"] == str(TODAY)


def test_update_checks_the_rules_again(client: TestClient, tenant: Tenant, db: Session) -> None:
    p = _setup(db)
    conv = client.post(
        "/v1/hrm-conversations", headers=tenant.write, json=_body(p["emp"], p["boss"])
    ).json()
    url = f"/v1/hrm-conversations/{conv['id']}"
    assert_problem(
        client.patch(url, headers=tenant.write, json={"manager_id": str(p["other_boss"].id)}),
        409,
        "manager-not-responsible",
    )
    theirs = make_personal_goal(db, p["colleague"], skill(db, "deescalation"))
    assert_problem(
        client.patch(url, headers=tenant.write, json={"personal_goal_ids": [str(theirs.id)]}),
        409,
        "goal-of-another-employee",
    )
    own = make_personal_goal(db, p["emp"], skill(db, "deescalation"))
    r = client.patch(
        url,
        headers=tenant.write,
        json={"personal_goal_ids": [str(own.id)], "theme_discussed": False, "kind": "appraisal"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["personal_goal_ids"] == [str(own.id)]
    assert r.json()["kind"] == "appraisal" and r.json()["theme_discussed"] is False
    assert client.delete(url, headers=tenant.write).status_code == 204
    assert_problem(client.get(url, headers=tenant.read), 404)
