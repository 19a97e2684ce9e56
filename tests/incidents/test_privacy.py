"""Privacy (issue 21 item 3): erasure removes an employee's part; the retention purge."""

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app import cli
from app.core import engine as core_engine
from app.core.dates import today
from app.core.tenancy import bind_organisation
from app.followup.models import FollowUpItem, FollowUpKind
from app.incidents import service
from app.incidents.models import Aftercare, Incident, IncidentEmployee
from app.organisation.models import OrganisationSettings
from tests.factories.core import make_employee, make_function_group, make_organisation, make_team
from tests.factories.policy import make_norm
from tests.incidents.conftest import Place, ago, make_incident, post


def test_erasure_removes_the_employees_part_and_clears_descriptions(
    client: TestClient, db: Session, place: Place
) -> None:
    theirs = post(client, place).json()
    bram_only = post(
        client, place, involved=[{"employee_id": str(place.bram.id)}], description="Alleen Bram."
    ).json()
    h = place.tenant.admin
    client.patch(f"/v1/employees/{place.anna.id}", json={"active": False}, headers=h)
    assert client.post(f"/v1/employees/{place.anna.id}/erase", headers=h).status_code == 200

    bind_organisation(db, place.tenant.id)
    links = db.exec(select(IncidentEmployee.employee_id)).all()
    assert place.anna.id not in links
    assert (
        db.scalar(
            select(func.count())
            .select_from(Aftercare)
            .where(Aftercare.employee_id == place.anna.id)
        )
        == 0
    )
    mine = client.get(f"/v1/incidents/{theirs['id']}", headers=h).json()
    assert mine["description"] is None
    assert [i["employee_id"] for i in mine["involved"]] == [str(place.bram.id)]
    other = client.get(f"/v1/incidents/{bram_only['id']}", headers=h).json()
    assert other["description"] == "Alleen Bram."


def test_purge_deletes_incidents_past_the_retention_period(db: Session, place: Place) -> None:
    old = make_incident(db, place, occurred_at=ago(days=365 * 5 + 10).isoformat())
    kept = make_incident(db, place, occurred_at=ago(days=365 * 5 - 10).isoformat())
    item = FollowUpItem(
        kind=FollowUpKind.action_point,
        description="Nagesprek plannen",
        owner_team_id=place.team.id,
        incident_id=old.id,
    )
    db.add(item)
    db.flush()
    dry = service.purge_incidents(db, today=today(), retention_years=5, dry_run=True)
    assert dry.incidents == 1
    assert db.get(Incident, old.id) is not None
    purged = service.purge_incidents(db, today=today(), retention_years=5)
    assert purged.incidents == 1
    db.expire_all()
    assert list(db.scalars(select(Incident.id)).all()) == [kept.id]
    assert set(db.scalars(select(Aftercare.incident_id)).all()) == {kept.id}
    refreshed = db.get(FollowUpItem, item.id)
    assert refreshed is not None and refreshed.incident_id is None


def test_the_retention_is_the_organisations_setting(db: Session, place: Place) -> None:
    make_incident(db, place, occurred_at=ago(days=365 * 2 + 10).isoformat())
    assert service.purge_incidents(db, today=today(), retention_years=5).incidents == 0
    assert service.purge_incidents(db, today=today(), retention_years=2).incidents == 1


def test_the_purge_command_purges_every_organisation_by_its_own_setting(
    engine: Engine, capsys: object
) -> None:
    session = core_engine.new_session(engine)
    try:
        org, *_ = make_organisation(session, name="Stichting Bewaartermijn")
        org.settings_json = {**org.settings_json, "incident_retention_years": 1}
        team = make_team(session)
        group = make_function_group(session)
        anna = make_employee(session, team_id=team.id)
        norm = make_norm(session)
        from app.incidents.models import IncidentCreate

        data = IncidentCreate.model_validate(
            {
                "occurred_at": (datetime.now(UTC) - timedelta(days=400)).isoformat(),
                "team_id": str(team.id),
                "function_group_id": str(group.id),
                "norm_id": str(norm.id),
                "category": "threat",
                "severity": 2,
                "involved": [{"employee_id": str(anna.id)}],
            }
        )
        incident = service.create_incident(
            session, data=data, settings=OrganisationSettings(), now=datetime.now(UTC)
        )
        incident_id = incident.id
        session.commit()
        assert cli.main(["purge-incidents", "--dry-run"]) == 0
        assert session.get(Incident, incident_id) is not None
        assert cli.main(["purge-incidents"]) == 0
        session.expire_all()
        assert session.get(Incident, incident_id) is None
    finally:
        session.close()


def test_the_change_feed_carries_no_description_and_no_aftercare(
    client: TestClient, place: Place
) -> None:
    # The feed is read with the read scope; incident details and aftercare need `sensitive`.
    created = post(client, place)
    assert created.status_code == 201, created.text
    feed = client.get("/v1/changes", params={"limit": 200}, headers=place.plain_read)
    assert feed.status_code == 200, feed.text
    types = {event["type"] for event in feed.json()["items"]}
    assert "incident.created" in types
    assert not any(t.startswith("aftercare.") for t in types)
    assert "duwde" not in feed.text and "description" not in json.dumps(
        [e for e in feed.json()["items"] if e["type"].startswith("incident.")]
    )
