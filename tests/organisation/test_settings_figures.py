"""The DOMAIN.md figures are organisation settings (issue 20, item 12): defaults of this
service, validated, changed with PATCH /v1/organisation and used by the services."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import dates
from app.core.dates import add_months
from tests.conftest import Tenant
from tests.factories.core import make_function_group
from tests.helpers import assert_problem

ORG = "/v1/organisation"


def _settings(client: TestClient, tenant: Tenant, **changes: object) -> dict[str, object]:
    r = client.patch(ORG, headers=tenant.admin, json={"settings": changes})
    assert r.status_code == 200, r.text
    return r.json()["settings"]  # type: ignore[no-any-return]


def test_the_figures_have_domain_defaults(client: TestClient, tenant: Tenant) -> None:
    settings = client.get(ORG, headers=tenant.read).json()["settings"]
    assert settings["exposure_bands"] == {"moderate_from": 5, "high_from": 10, "very_high_from": 17}
    assert settings["default_refresher_months"] == 24
    assert settings["physical_refresher_months"] == 12
    assert settings["hrm_theme_months"] == 12
    assert settings["incident_evidence_months"] == 24


def test_exposure_bands_decide_the_level_of_a_function_group(
    client: TestClient, tenant: Tenant, db: Session
) -> None:
    fg = make_function_group(db, likelihood=5, impact=2)  # score 10
    db.commit()
    url = f"/v1/function-groups/{fg.id}"
    assert client.get(url, headers=tenant.read).json()["exposure_level"] == "high"
    bands = _settings(client, tenant, exposure_bands={"high_from": 12})
    assert bands["exposure_bands"] == {"moderate_from": 5, "high_from": 12, "very_high_from": 17}
    assert client.get(url, headers=tenant.read).json()["exposure_level"] == "moderate"
    needs = client.get(f"{url}/needs", headers=tenant.read).json()
    assert needs["exposure_level"] == "moderate"


def test_exposure_bands_must_ascend_against_the_stored_ones(
    client: TestClient, tenant: Tenant
) -> None:
    r = client.patch(
        ORG, headers=tenant.admin, json={"settings": {"exposure_bands": {"high_from": 17}}}
    )
    body = assert_problem(r, 422, "invalid-exposure-bands")
    assert body["errors"] == [
        {"pointer": "/settings/exposure_bands/high_from", "detail": "not ascending"}
    ]
    r = client.patch(
        ORG, headers=tenant.admin, json={"settings": {"exposure_bands": {"moderate_from": 1}}}
    )
    assert_problem(r, 422, "validation-error")  # below the schema's minimum


def test_a_new_programme_takes_the_default_refresher_months(
    client: TestClient, tenant: Tenant
) -> None:
    _settings(client, tenant, default_refresher_months=12)
    url = "/v1/training-programs"
    made = client.post(url, headers=tenant.write, json={"title": "Fysiek", "audience": "staff"})
    assert made.status_code == 201, made.text
    assert made.json()["refresher_months"] == 12
    own = {"title": "Gesprek", "audience": "staff", "refresher_months": 36}
    assert client.post(url, headers=tenant.write, json=own).json()["refresher_months"] == 36


def test_a_physical_safety_programme_takes_the_physical_refresher_months(
    client: TestClient, tenant: Tenant
) -> None:
    # DOMAIN.md: 24 months for conversation and de-escalation, 12 with physical safety.
    url = "/v1/training-programs"
    physical = {"title": "Loskomen en afstand", "audience": "staff", "physical_safety": True}
    made = client.post(url, headers=tenant.write, json=physical)
    assert made.status_code == 201, made.text
    assert (made.json()["physical_safety"], made.json()["refresher_months"]) == (True, 12)
    talk = client.post(url, headers=tenant.write, json={"title": "Gesprek", "audience": "staff"})
    assert (talk.json()["physical_safety"], talk.json()["refresher_months"]) == (False, 24)
    # The organisation's own figure, and a programme's own months before either.
    _settings(client, tenant, physical_refresher_months=6)
    again = client.post(url, headers=tenant.write, json={**physical, "title": "Opfrisser"})
    assert again.json()["refresher_months"] == 6
    own = client.post(url, headers=tenant.write, json={**physical, "refresher_months": 18})
    assert own.json()["refresher_months"] == 18
    # Marking a programme physical later does not rewrite the months it was given.
    r = client.patch(
        f"{url}/{talk.json()['id']}", headers=tenant.write, json={"physical_safety": True}
    )
    assert (r.json()["physical_safety"], r.json()["refresher_months"]) == (True, 24)


def test_the_hrm_window_is_the_setting(client: TestClient, tenant: Tenant) -> None:
    _settings(client, tenant, hrm_theme_months=6)
    r = client.get("/v1/reports/hrm-theme-gaps", headers=tenant.read)
    assert r.status_code == 200, r.text
    today = dates.today()
    assert r.json()["covered_since"] == add_months(today, -6).isoformat()


def test_the_incident_window_is_the_setting(client: TestClient, tenant: Tenant) -> None:
    _settings(client, tenant, incident_evidence_months=36)
    r = client.get("/v1/risk-analysis", headers=tenant.read)
    assert r.status_code == 200, r.text
    today = dates.today()
    assert r.json()["period_from"] == (add_months(today, -36) + timedelta(days=1)).isoformat()


def test_settings_a_function_group_is_rendered_from_give_it_a_new_version(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, db: Session
) -> None:
    # exposure_level and risk_assessment_due derive from the settings: a client holding the
    # old ETag must not get 304 for a stale level, and a sync by updated_from sees it.
    fg = make_function_group(db, likelihood=5, impact=2)  # score 10: high by default
    db.commit()
    url = f"/v1/function-groups/{fg.id}"
    first = client.get(url, headers=tenant.read)
    since = client.get("/v1/function-groups", headers=tenant.read).json()["sync_token"]
    feed = client.get("/v1/changes", headers=tenant.read).json()["next_cursor"]
    others = client.get("/v1/function-groups", headers=other_tenant.read).json()["sync_token"]

    _settings(client, tenant, hrm_theme_months=6)  # no bearing on a function group
    assert client.get(url, headers=tenant.read).headers["ETag"] == first.headers["ETag"]

    for change in ({"exposure_bands": {"high_from": 12}}, {"risk_assessment_valid_years": 2}):
        before = client.get(url, headers=tenant.read)
        _settings(client, tenant, **change)
        stale = client.get(url, headers={**tenant.read, "If-None-Match": before.headers["ETag"]})
        assert stale.status_code == 200, change
        assert stale.headers["ETag"] != before.headers["ETag"]
    assert client.get(url, headers=tenant.read).json()["exposure_level"] == "moderate"
    synced = client.get(f"/v1/function-groups?sync_token={since}", headers=tenant.read).json()
    assert [g["id"] for g in synced["items"]] == [str(fg.id)]
    events = client.get(f"/v1/changes?after={feed}&types=function_group", headers=tenant.read)
    assert [(e["type"], e["resource_id"]) for e in events.json()["items"]] == [
        ("function_group.updated", str(fg.id))
    ] * 2
    # Another organisation's groups are not touched by this organisation's settings.
    theirs = client.get(f"/v1/function-groups?sync_token={others}", headers=other_tenant.read)
    assert theirs.json()["items"] == []
