"""Registering incidents (issue 21 item 1): the rules, and bad input that writes nothing."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app.core.dates import day_of
from app.incidents.models import Aftercare, Incident, IncidentEmployee
from tests.factories.core import make_employee
from tests.helpers import assert_problem
from tests.incidents.conftest import URL, Place, ago, body, post


def _counts(db: Session) -> tuple[int, int, int]:
    return (
        db.scalar(select(func.count()).select_from(Incident)) or 0,
        db.scalar(select(func.count()).select_from(IncidentEmployee)) or 0,
        db.scalar(select(func.count()).select_from(Aftercare)) or 0,
    )


def test_a_registration_schedules_aftercare_for_the_affected_only(
    client: TestClient, db: Session, place: Place
) -> None:
    occurred = ago(days=3)
    r = post(client, place, occurred_at=occurred.isoformat())
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["norm_level"] == "red"
    assert {(i["employee_id"], i["involvement"]) for i in incident["involved"]} == {
        (str(place.anna.id), "affected"),
        (str(place.bram.id), "witness"),
    }
    care = client.get(
        "/v1/aftercare", params={"incident_id": incident["id"]}, headers=place.tenant.admin
    ).json()["items"]
    day = day_of(occurred)
    assert sorted((c["employee_id"], c["kind"], c["due_on"]) for c in care) == [
        (str(place.anna.id), "first_care", day.isoformat()),
        (str(place.anna.id), "follow_up_conversation", (day + timedelta(days=7)).isoformat()),
    ]
    assert all(c["status"] == "pending" for c in care)


def test_the_organisation_chooses_the_aftercare_days(client: TestClient, place: Place) -> None:
    r = client.patch(
        "/v1/organisation",
        json={"settings": {"aftercare_first_care_days": 1, "aftercare_follow_up_days": 14}},
        headers=place.tenant.admin,
    )
    assert r.status_code == 200, r.text
    occurred = ago(days=20)
    incident = post(client, place, occurred_at=occurred.isoformat()).json()
    care = client.get(
        "/v1/aftercare", params={"incident_id": incident["id"]}, headers=place.tenant.admin
    ).json()["items"]
    day = day_of(occurred)
    assert {c["kind"]: c["due_on"] for c in care} == {
        "first_care": (day + timedelta(days=1)).isoformat(),
        "follow_up_conversation": (day + timedelta(days=14)).isoformat(),
    }


@pytest.mark.parametrize(
    ("change", "code", "pointer"),
    [
        ("future", "occurred-in-future", "/occurred_at"),
        ("unknown_norm", "unknown-reference", "/norm_id"),
        ("green_norm", "norm-not-crossed", "/norm_id"),
        ("other_teams_norm", "norm-of-another-team", "/norm_id"),
        ("other_teams_employee", "employee-of-another-team", "/involved/1/employee_id"),
        ("unknown_employee", "unknown-reference", "/involved/0/employee_id"),
        ("unknown_team", "unknown-reference", "/team_id"),
        ("unknown_group", "unknown-reference", "/function_group_id"),
    ],
)
def test_bad_input_is_a_problem_and_writes_nothing(
    client: TestClient, db: Session, place: Place, change: str, code: str, pointer: str
) -> None:
    from uuid import uuid4

    from tests.factories.policy import make_norm

    p = place
    anna = {"employee_id": str(p.anna.id), "involvement": "affected"}
    overrides = {
        "future": {"occurred_at": ago(days=-1).isoformat()},
        "unknown_norm": {"norm_id": str(uuid4())},
        "green_norm": {"norm_id": str(p.green.id)},
        "other_teams_norm": {"norm_id": str(make_norm(db, team_id=p.other_team.id).id)},
        "other_teams_employee": {
            "involved": [anna, {"employee_id": str(p.olga.id), "involvement": "witness"}]
        },
        "unknown_employee": {"involved": [{"employee_id": str(uuid4())}]},
        "unknown_team": {"team_id": str(uuid4())},
        "unknown_group": {"function_group_id": str(uuid4())},
    }[change]
    before = _counts(db)
    problem = assert_problem(post(client, p, **overrides), 422, code)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert _counts(db) == before


def test_an_employee_listed_twice_or_nobody_involved_is_refused(
    client: TestClient, place: Place
) -> None:
    anna = {"employee_id": str(place.anna.id)}
    assert_problem(post(client, place, involved=[anna, anna]), 422, "validation-error")
    assert_problem(post(client, place, involved=[]), 422, "validation-error")


def test_lists_never_show_the_description(client: TestClient, place: Place) -> None:
    post(client, place)
    for headers in (place.tenant.admin, place.plain_read):
        items = client.get(URL, headers=headers).json()["items"]
        assert len(items) == 1
        assert "description" not in items[0]


def test_only_a_sensitive_key_reads_the_description(client: TestClient, place: Place) -> None:
    incident = post(client, place).json()
    # the write key that registered it has no `sensitive` permission: it cannot read it back
    assert incident["description"] is None and incident["description_withheld"] is True
    url = f"{URL}/{incident['id']}"
    plain = client.get(url, headers=place.plain_admin).json()
    assert plain["description"] is None and plain["description_withheld"] is True
    sensitive = client.get(url, headers=place.tenant.admin).json()
    assert sensitive["description"] == "Cliënt duwde Anna tegen de deur."
    assert sensitive["description_withheld"] is False


def test_aftercare_needs_the_sensitive_permission(client: TestClient, place: Place) -> None:
    incident = post(client, place).json()
    care = client.get("/v1/aftercare", headers=place.tenant.admin).json()["items"]
    assert_problem(
        client.get("/v1/aftercare", headers=place.plain_admin), 403, "insufficient-scope"
    )
    one = f"/v1/aftercare/{care[0]['id']}"
    assert_problem(client.get(one, headers=place.plain_admin), 403, "insufficient-scope")
    assert_problem(
        client.patch(one, json={"status": "given"}, headers=place.plain_admin),
        403,
        "insufficient-scope",
    )
    assert client.get(f"{URL}/{incident['id']}", headers=place.plain_read).status_code == 200


def test_an_admin_grants_the_sensitive_permission_to_a_new_key(
    client: TestClient, place: Place
) -> None:
    r = client.post(
        "/v1/api-keys",
        json={"name": "Vertrouwenspersoon", "scope": "read", "sensitive": True},
        headers=place.tenant.admin,
    )
    assert r.status_code == 201, r.text
    assert r.json()["sensitive"] is True
    key = {"Authorization": f"Bearer {r.json()['key']}"}
    assert client.get("/v1/aftercare", headers=key).status_code == 200
    # but a read key stays a read key
    assert_problem(client.post(URL, json=body(place), headers=key), 403, "insufficient-scope")


def test_changing_who_was_affected_moves_the_aftercare(
    client: TestClient, db: Session, place: Place
) -> None:
    incident = post(client, place).json()
    url = f"{URL}/{incident['id']}"
    r = client.patch(
        url,
        json={
            "involved": [
                {"employee_id": str(place.bram.id), "involvement": "affected"},
                {"employee_id": str(place.anna.id), "involvement": "witness"},
            ]
        },
        headers=place.tenant.write,
    )
    assert r.status_code == 200, r.text
    care = client.get(
        "/v1/aftercare", params={"incident_id": incident["id"]}, headers=place.tenant.admin
    ).json()["items"]
    assert {c["employee_id"] for c in care} == {str(place.bram.id)}


def test_a_new_time_re_dates_pending_aftercare(client: TestClient, place: Place) -> None:
    incident = post(client, place).json()
    occurred = ago(days=30)
    r = client.patch(
        f"{URL}/{incident['id']}",
        json={"occurred_at": occurred.isoformat()},
        headers=place.tenant.write,
    )
    assert r.status_code == 200, r.text
    care = client.get(
        "/v1/aftercare", params={"incident_id": incident["id"]}, headers=place.tenant.admin
    ).json()["items"]
    assert {c["kind"]: c["due_on"] for c in care}["first_care"] == day_of(occurred).isoformat()


def test_a_change_is_checked_like_a_registration(client: TestClient, place: Place) -> None:
    incident = post(client, place).json()
    url = f"{URL}/{incident['id']}"
    before = client.get(url, headers=place.tenant.admin).json()
    assert_problem(
        client.patch(url, json={"team_id": str(place.other_team.id)}, headers=place.tenant.write),
        422,
        "employee-of-another-team",
    )
    assert_problem(
        client.patch(
            url, json={"occurred_at": ago(days=-2).isoformat()}, headers=place.tenant.write
        ),
        422,
        "occurred-in-future",
    )
    assert_problem(
        client.patch(url, json={"norm_id": str(place.green.id)}, headers=place.tenant.write),
        422,
        "norm-not-crossed",
    )
    assert client.get(url, headers=place.tenant.admin).json() == before


def test_deleting_an_incident_removes_its_aftercare(
    client: TestClient, db: Session, place: Place
) -> None:
    incident = post(client, place).json()
    assert client.delete(f"{URL}/{incident['id']}", headers=place.tenant.write).status_code == 204
    assert _counts(db) == (0, 0, 0)


def test_list_filters(client: TestClient, db: Session, place: Place) -> None:
    post(client, place, category="threat", norm_id=str(place.orange.id))
    cee = make_employee(db, team_id=place.other_team.id)
    post(
        client,
        place,
        team_id=str(place.other_team.id),
        involved=[{"employee_id": str(cee.id)}],
        occurred_at=ago(days=40).isoformat(),
    )
    h = place.tenant.read

    def ids(**params: str) -> int:
        return len(client.get(URL, params=params, headers=h).json()["items"])

    assert ids(team_id=str(place.team.id)) == 1
    assert ids(category="threat") == 1
    assert ids(norm_level="red") == 1
    assert ids(employee_id=str(cee.id)) == 1
    assert ids(occurred_from=ago(days=10).date().isoformat()) == 1
    assert ids(occurred_to=ago(days=10).date().isoformat()) == 1


def test_follow_up_items_can_come_from_an_incident(client: TestClient, place: Place) -> None:
    incident = post(client, place).json()
    r = client.post(
        "/v1/follow-up-items",
        json={
            "kind": "attention_point",
            "description": "Camerabeelden bekijken met het team",
            "owner_team_id": str(place.team.id),
            "incident_id": incident["id"],
        },
        headers=place.tenant.write,
    )
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "incident"
    listed = client.get(
        "/v1/follow-up-items", params={"incident_id": incident["id"]}, headers=place.tenant.read
    ).json()["items"]
    assert [i["id"] for i in listed] == [r.json()["id"]]
    from uuid import uuid4

    unknown = client.post(
        "/v1/follow-up-items",
        json={
            "kind": "attention_point",
            "description": "x",
            "owner_team_id": str(place.team.id),
            "incident_id": str(uuid4()),
        },
        headers=place.tenant.write,
    )
    assert_problem(unknown, 422, "unknown-reference")


def test_a_norm_that_incidents_crossed_cannot_be_deleted(client: TestClient, place: Place) -> None:
    post(client, place)
    r = client.delete(f"/v1/norms/{place.red.id}", headers=place.tenant.admin)
    assert_problem(r, 409)
    assert client.get(f"/v1/norms/{place.red.id}", headers=place.tenant.admin).status_code == 200
