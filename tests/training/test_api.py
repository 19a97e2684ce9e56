"""HTTP: programmes, sessions, enrolments, completion, records, problem documents, auth."""

from datetime import UTC, date, datetime, time, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.dates import CALENDAR_ZONE, day_of, rfc3339
from app.core.models import utcnow
from app.learning import service as learning_service
from app.organisation.models import Role
from app.training.models import Audience, EnrolmentStatus
from app.training.sessions import relying_sessions
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team, manage
from tests.factories.training import make_completion, make_enrolment, make_program, make_session
from tests.helpers import assert_problem
from tests.training.conftest import World, set_severities


def iso(days: float) -> str:
    return (utcnow() + timedelta(days=days)).replace(microsecond=0).isoformat()


def train_managers(db: Session, world: World) -> None:
    for m in (world.senior, world.manager):
        make_completion(db, employee=m, program=world.management)


# --- programmes ----------------------------------------------------------------------------


def test_program_crud(client: TestClient, tenant: Tenant, db: Session) -> None:
    skills = learning_service.skill_ids_by_code(db)
    trained = [str(skills["less_influenceable_behaviour"]), str(skills["deescalation"])]
    body: dict[str, object] = {
        "title": "Omgaan met verwarde of onder invloed zijnde cliënten",
        "provider": "GGZ Academie Oost",
        "audience": "staff",
        "min_exposure_level": "high",
        "max_exposure_level": "very_high",
        "format": "simulation",
        "duration_hours": 7,
        "max_group_size": 10,
        "refresher_months": 12,
        "skill_ids": trained,
    }
    r = client.post("/v1/training-programs", json=body, headers=tenant.write)
    assert r.status_code == 201, r.text
    program = r.json()
    assert set(program["skill_ids"]) == set(trained)
    assert r.headers["Location"] == f"/v1/training-programs/{program['id']}"
    listed = client.get(
        "/v1/training-programs",
        params={"skill_id": str(skills["deescalation"])},
        headers=tenant.read,
    ).json()
    assert [p["id"] for p in listed["items"]] == [program["id"]]
    got = client.get(f"/v1/training-programs/{program['id']}", headers=tenant.read)
    r = client.patch(
        f"/v1/training-programs/{program['id']}",
        json={"skill_ids": [str(skills["peer_support"])], "active": False},
        headers={**tenant.write, "If-Match": got.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["skill_ids"] == [str(skills["peer_support"])]
    assert r.json()["active"] is False
    r = client.delete(f"/v1/training-programs/{program['id']}", headers=tenant.write)
    assert r.status_code == 204


def test_program_bad_input(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    r = client.post(
        "/v1/training-programs",
        json={
            "title": "Omgekeerd",
            "audience": "staff",
            "min_exposure_level": "high",
            "max_exposure_level": "low",
        },
        headers=tenant.write,
    )
    body = assert_problem(r, 422, "invalid-exposure-range")
    assert body["errors"][0]["pointer"] == "/max_exposure_level"
    # A skill of another organisation is unknown here.
    r = client.get("/v1/skills", headers=other_tenant.read)
    foreign = r.json()["items"][0]["id"]
    r = client.post(
        "/v1/training-programs",
        json={"title": "X", "audience": "staff", "skill_ids": [foreign]},
        headers=tenant.write,
    )
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/skill_ids/0"
    r = client.post(
        "/v1/training-programs", json={"title": "X", "audience": "staff"}, headers=tenant.read
    )
    assert_problem(r, 403, "insufficient-scope")


def test_program_with_sessions_cannot_be_deleted(
    client: TestClient, world: World, tenant: Tenant
) -> None:
    r = client.delete(f"/v1/training-programs/{world.program.id}", headers=tenant.write)
    assert_problem(r, 409, "program-has-history")


# --- sessions ------------------------------------------------------------------------------


def test_session_create_defaults_capacity_and_checks_times(
    client: TestClient, world: World, tenant: Tenant
) -> None:
    r = client.post(
        "/v1/training-sessions",
        json={"program_id": str(world.program.id), "starts_at": iso(30), "ends_at": iso(30.2)},
        headers=tenant.write,
    )
    assert r.status_code == 201, r.text
    assert r.json()["capacity"] == world.program.max_group_size
    assert r.json()["seats_left"] == world.program.max_group_size
    assert r.json()["status"] == "planned"
    r = client.post(
        "/v1/training-sessions",
        json={"program_id": str(world.program.id), "starts_at": iso(30), "ends_at": iso(29)},
        headers=tenant.write,
    )
    body = assert_problem(r, 422, "ends-before-start")
    assert body["errors"] == [{"pointer": "/ends_at", "detail": "must be after starts_at"}]
    r = client.patch(
        f"/v1/training-sessions/{world.staff_session.id}",
        json={"ends_at": world.staff_session.starts_at.isoformat()},
        headers=tenant.write,
    )
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "/ends_at"


def test_session_of_other_org_is_404(
    client: TestClient, db: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    from app.core.tenancy import bind_organisation

    bind_organisation(db, other_tenant.id)
    foreign = make_session(db, program=make_program(db))
    foreign_employee = make_employee(db)
    bind_organisation(db, tenant.id)
    mine = make_employee(db)
    r = client.get(f"/v1/training-sessions/{foreign.id}", headers=tenant.read)
    assert_problem(r, 404, "not-found")
    r = client.post(
        f"/v1/training-sessions/{foreign.id}/enrolments",
        json={"employee_id": str(mine.id)},
        headers=tenant.write,
    )
    assert_problem(r, 404, "not-found")
    own_session = make_session(db, program=make_program(db))
    r = client.post(
        f"/v1/training-sessions/{own_session.id}/enrolments",
        json={"employee_id": str(foreign_employee.id)},
        headers=tenant.write,
    )
    assert_problem(r, 404, "not-found")


# --- enrolments ----------------------------------------------------------------------------


def test_managers_first_refusal_is_a_409_problem(
    client: TestClient, world: World, tenant: Tenant
) -> None:
    url = f"/v1/training-sessions/{world.staff_session.id}/enrolments"
    r = client.post(url, json={"employee_id": str(world.staff.id)}, headers=tenant.write)
    body = assert_problem(r, 409, "enrolment-refused")
    [violation] = body["violations"]
    assert violation["rule"] == "managers_first"
    assert violation["severity"] == "error"
    assert {m["id"] for m in violation["details"]["missing_managers"]} == {
        str(world.senior.id),
        str(world.manager.id),
    }
    listed = client.get(url, headers=tenant.read).json()
    assert listed["items"] == []


def test_managers_first_counts_a_completion_on_the_dutch_day_of_the_start(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    # Managers first: a management training completed on or before the session's start
    # day counts, and that day is the Dutch one (core/dates.py). A session starting at
    # 00:30 in Amsterdam starts on the previous UTC day.
    day = day_of(utcnow()) + timedelta(days=30)
    start = datetime.combine(day, time(0, 30), tzinfo=CALENDAR_ZONE).astimezone(UTC)
    assert start.date() == day - timedelta(days=1)
    ts = make_session(db, program=world.program, starts_at=start)
    for manager in (world.senior, world.manager):
        make_completion(db, employee=manager, program=world.management, completed_on=day)
    url = f"/v1/training-sessions/{ts.id}/enrolments"
    r = client.post(url, json={"employee_id": str(world.staff.id)}, headers=tenant.write)
    assert r.status_code == 201, r.text
    # A session a day earlier starts before the completion day.
    earlier = make_session(db, program=world.program, starts_at=start - timedelta(days=1))
    url = f"/v1/training-sessions/{earlier.id}/enrolments"
    r = client.post(url, json={"employee_id": str(world.colleague.id)}, headers=tenant.write)
    assert assert_problem(r, 409, "enrolment-refused")["violations"][0]["rule"] == (
        "managers_first"
    )


def test_enrol_with_warnings_check_and_cancel(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    train_managers(db, world)
    set_severities(db, world.org, protocol_ready="warning")
    outsider = make_employee(db, function_group_id=world.fg.id)
    url = f"/v1/training-sessions/{world.staff_session.id}/enrolments"
    r = client.post(f"{url}/check", json={"employee_id": str(outsider.id)}, headers=tenant.write)
    assert r.status_code == 200, r.text
    assert r.json()["allowed"] is True
    assert [w["rule"] for w in r.json()["warnings"]] == ["awaiting_readiness"]
    assert client.get(url, headers=tenant.read).json()["items"] == []  # a dry run

    r = client.post(url, json={"employee_id": str(outsider.id)}, headers=tenant.write)
    assert r.status_code == 201, r.text
    enrolment = r.json()
    assert [w["rule"] for w in enrolment["warnings"]] == ["awaiting_readiness"]
    session_url = f"/v1/training-sessions/{world.staff_session.id}"
    assert client.get(session_url, headers=tenant.read).json()["enrolled_count"] == 1

    r = client.post(f"{url}/check", json={"employee_id": str(outsider.id)}, headers=tenant.write)
    assert r.json()["allowed"] is False
    assert [e["rule"] for e in r.json()["errors"]] == ["duplicate"]
    r = client.post(url, json={"employee_id": str(outsider.id)}, headers=tenant.write)
    assert assert_problem(r, 409, "enrolment-refused")["violations"][0]["rule"] == "duplicate"

    r = client.patch(f"{url}/{enrolment['id']}", json={"status": "cancelled"}, headers=tenant.write)
    assert r.json()["status"] == "cancelled"
    assert client.get(session_url, headers=tenant.read).json()["enrolled_count"] == 0
    # Enrolling again revives the row.
    r = client.post(url, json={"employee_id": str(outsider.id)}, headers=tenant.write)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == enrolment["id"]
    assert client.get(session_url, headers=tenant.read).json()["enrolled_count"] == 1


def test_attendance_only_after_start(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    enrolment = make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    url = f"/v1/training-sessions/{world.staff_session.id}/enrolments/{enrolment.id}"
    r = client.patch(url, json={"status": "attended"}, headers=tenant.write)
    assert_problem(r, 409, "session-not-started")
    r = client.patch(url, json={"status": "completed"}, headers=tenant.write)
    assert_problem(r, 422)


def test_complete_session_updates_the_training_record(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    past = make_session(
        db, program=world.program, starts_at=utcnow().replace(microsecond=0) - timedelta(days=2)
    )
    # The protocol was published and discussed after this session started: recorded only.
    set_severities(db, world.org, protocol_ready="warning")
    attended = make_enrolment(db, training_session=past, employee=world.staff)
    absent = make_enrolment(db, training_session=past, employee=world.colleague)
    base = f"/v1/training-sessions/{past.id}"
    r = client.patch(
        f"{base}/enrolments/{absent.id}", json={"status": "no_show"}, headers=tenant.write
    )
    assert r.status_code == 200, r.text
    r = client.post(f"{base}/complete", headers=tenant.write)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    statuses = {
        e["id"]: e["status"]
        for e in client.get(f"{base}/enrolments", headers=tenant.read).json()["items"]
    }
    assert statuses == {str(attended.id): "completed", str(absent.id): "no_show"}
    assert_problem(client.post(f"{base}/complete", headers=tenant.write), 409)

    record = client.get(f"/v1/employees/{world.staff.id}/training-record", headers=tenant.read)
    assert record.status_code == 200, record.text
    data = record.json()
    [completion] = data["completions"]
    assert completion["program_id"] == str(world.program.id)
    # The Dutch calendar day the session ended (late in the UTC evening it is the next).
    assert completion["completed_on"] == day_of(past.ends_at).isoformat()
    assert completion["current"] is True
    assert {s["code"] for s in data["skills"] if s["current"]} == {
        "deescalation",
        "redirecting_emotion",
    }
    absent_record = client.get(
        f"/v1/employees/{world.colleague.id}/training-record", headers=tenant.read
    ).json()
    assert absent_record["completions"] == []


def test_complete_cancelled_or_future_session_is_409(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    base = f"/v1/training-sessions/{world.staff_session.id}"
    assert_problem(
        client.post(f"{base}/complete", headers=tenant.write), 409, "session-not-started"
    )
    make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    r = client.patch(base, json={"status": "cancelled"}, headers=tenant.write)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert r.json()["enrolled_count"] == 0
    enrolments = client.get(f"{base}/enrolments", headers=tenant.read).json()["items"]
    assert [e["status"] for e in enrolments] == ["cancelled"]
    assert_problem(client.post(f"{base}/complete", headers=tenant.write), 409, "session-cancelled")
    r = client.patch(base, json={"location": "Elders"}, headers=tenant.write)
    assert_problem(r, 409, "session-closed")


def test_capacity_cannot_drop_below_enrolments(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    r = client.patch(
        f"/v1/training-sessions/{world.staff_session.id}",
        json={"capacity": 1},
        headers=tenant.write,
    )
    assert_problem(r, 409, "capacity-below-enrolments")


def test_employee_with_enrolments_cannot_be_deleted(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    r = client.delete(f"/v1/employees/{world.colleague.id}", headers=tenant.write)
    assert_problem(r, 409, "employee-has-history")


# --- records and reports -------------------------------------------------------------------


def test_refreshers_due_report(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    refresher = make_program(db, title="Opfrisser fysieke veiligheid", refresher_months=12)
    today = date.today()
    make_completion(
        db, employee=world.staff, program=refresher, completed_on=today - timedelta(days=340)
    )
    make_completion(
        db, employee=world.colleague, program=refresher, completed_on=today - timedelta(days=100)
    )
    r = client.get("/v1/reports/refreshers-due", headers=tenant.read)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["employee_id"] == str(world.staff.id)
    assert item["program_title"] == "Opfrisser fysieke veiligheid"
    assert item["overdue"] is False
    r = client.get(
        "/v1/reports/refreshers-due",
        params={"within_days": 365},
        headers={**tenant.read, "Accept": "text/csv"},
    )
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("employee_id;employee_name")
    assert len(lines) == 3
    record = client.get(
        f"/v1/employees/{world.staff.id}/training-record", headers=tenant.read
    ).json()
    assert [d["program_id"] for d in record["refreshers_due"]] == [str(refresher.id)]


def test_training_record_lists_upcoming_enrolments(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    record = client.get(
        f"/v1/employees/{world.staff.id}/training-record", headers=tenant.read
    ).json()
    assert [u["session_id"] for u in record["upcoming"]] == [str(world.staff_session.id)]
    assert record["upcoming"][0]["status"] == EnrolmentStatus.enrolled
    assert record["role"] == "employee"


def test_mixed_session_filter_and_listing(
    client: TestClient, db: Session, world: World, tenant: Tenant
) -> None:
    mixed = make_program(db, audience=Audience.mixed)
    ts = make_session(db, program=mixed)
    r = client.get(
        "/v1/training-sessions", params={"program_id": str(mixed.id)}, headers=tenant.read
    )
    assert [s["id"] for s in r.json()["items"]] == [str(ts.id)]
    r = client.get("/v1/training-programs", params={"audience": "mixed"}, headers=tenant.read)
    assert [p["id"] for p in r.json()["items"]] == [str(mixed.id)]


def _enrol_managers_then_staff(db: Session, world: World) -> dict[str, str]:
    """The managers in the management session, a staff member in the later staff session;
    the enrolments' URLs of the staff member and of their manager."""
    urls = {}
    for who, manager in (("senior", world.senior), ("manager", world.manager)):
        enrolment = make_enrolment(db, training_session=world.management_session, employee=manager)
        urls[who] = f"/v1/training-sessions/{world.management_session.id}/enrolments/{enrolment.id}"
    enrolment = make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    urls["staff"] = f"/v1/training-sessions/{world.staff_session.id}/enrolments/{enrolment.id}"
    db.commit()
    return urls


def test_an_earlier_start_may_not_put_enrolled_staff_before_their_managers(
    client: TestClient, tenant: Tenant, db: Session, world: World
) -> None:
    # Managers first is decided at enrolment against the session's start: moving the staff
    # session before the managers' training would break it for those enrolled.
    _enrol_managers_then_staff(db, world)
    url = f"/v1/training-sessions/{world.staff_session.id}"
    start = utcnow() + timedelta(days=2)
    early = {"starts_at": rfc3339(start), "ends_at": rfc3339(start + timedelta(hours=4))}
    refused = assert_problem(client.patch(url, json=early, headers=tenant.write), 409)
    assert refused["code"] == "enrolment-refused"
    assert {v["rule"] for v in refused["violations"]} == {"managers_first"}
    assert client.get(url, headers=tenant.read).json()["starts_at"] == rfc3339(
        world.staff_session.starts_at
    )
    # Later, or earlier but still after the managers' training, is fine.
    later = world.staff_session.starts_at + timedelta(days=1)
    moved = {"starts_at": rfc3339(later), "ends_at": rfc3339(later + timedelta(hours=4))}
    assert client.patch(url, json=moved, headers=tenant.write).status_code == 200
    after = world.management_session.ends_at + timedelta(days=1)
    back = {"starts_at": rfc3339(after), "ends_at": rfc3339(after + timedelta(hours=4))}
    assert client.patch(url, json=back, headers=tenant.write).status_code == 200


def test_a_later_management_session_may_not_put_enrolled_staff_before_their_managers(
    client: TestClient, tenant: Tenant, db: Session, world: World
) -> None:
    # Managers first: staff enrolled in a later session count on their managers' session
    # ending before it starts; moving or ending that management session later re-checks them.
    _enrol_managers_then_staff(db, world)
    url = f"/v1/training-sessions/{world.management_session.id}"
    kept = client.get(url, headers=tenant.read).json()
    after = world.staff_session.starts_at + timedelta(days=1)
    moved = {"starts_at": rfc3339(after), "ends_at": rfc3339(after + timedelta(hours=4))}
    refused = assert_problem(client.patch(url, json=moved, headers=tenant.write), 409)
    assert refused["code"] == "enrolment-refused"
    assert {v["rule"] for v in refused["violations"]} == {"managers_first"}
    assert {v["session_id"] for v in refused["violations"]} == {str(world.staff_session.id)}
    # Ending later only, past the staff session's start, is refused as well.
    longer = {"ends_at": rfc3339(world.staff_session.starts_at + timedelta(minutes=1))}
    assert_problem(client.patch(url, json=longer, headers=tenant.write), 409, "enrolment-refused")
    assert client.get(url, headers=tenant.read).json() == kept
    # Later, but still ending before the staff session starts, is fine.
    later = world.management_session.starts_at + timedelta(days=3)
    moved = {"starts_at": rfc3339(later), "ends_at": rfc3339(world.staff_session.starts_at)}
    r = client.patch(url, json=moved, headers=tenant.write)
    assert r.status_code == 200, r.text
    assert r.json()["ends_at"] == rfc3339(world.staff_session.starts_at)


def test_cancelling_the_management_session_may_not_leave_enrolled_staff_before_their_managers(
    client: TestClient, tenant: Tenant, db: Session, world: World
) -> None:
    # Managers first: the staff enrolled in a later session count on their managers'
    # session; cancelling it is refused until their enrolments are moved or cancelled.
    urls = _enrol_managers_then_staff(db, world)
    url = f"/v1/training-sessions/{world.management_session.id}"
    kept = client.get(url, headers=tenant.read).json()
    cancel = {"status": "cancelled"}
    refused = assert_problem(client.patch(url, json=cancel, headers=tenant.write), 409)
    assert refused["code"] == "enrolment-refused"
    assert {v["rule"] for v in refused["violations"]} == {"managers_first"}
    assert {v["session_id"] for v in refused["violations"]} == {str(world.staff_session.id)}
    assert client.get(url, headers=tenant.read).json() == kept
    assert client.get(urls["manager"], headers=tenant.read).json()["status"] == "enrolled"
    # Once the staff member's enrolment is cancelled, nobody relies on it.
    r = client.patch(urls["staff"], json=cancel, headers=tenant.write)
    assert r.status_code == 200, r.text
    r = client.patch(url, json=cancel, headers=tenant.write)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"


def test_cancelling_a_managers_enrolment_may_not_leave_their_staff_before_them(
    client: TestClient, tenant: Tenant, db: Session, world: World
) -> None:
    urls = _enrol_managers_then_staff(db, world)
    cancel = {"status": "cancelled"}
    refused = assert_problem(client.patch(urls["manager"], json=cancel, headers=tenant.write), 409)
    assert refused["code"] == "enrolment-refused"
    assert {v["rule"] for v in refused["violations"]} == {"managers_first"}
    assert {v["employee_id"] for v in refused["violations"]} == {str(world.staff.id)}
    assert client.get(urls["manager"], headers=tenant.read).json()["status"] == "enrolled"
    seats = client.get(f"/v1/training-sessions/{world.management_session.id}", headers=tenant.read)
    assert seats.json()["enrolled_count"] == 2
    # After the staff member's enrolment, the manager's may go.
    assert client.patch(urls["staff"], json=cancel, headers=tenant.write).status_code == 200
    r = client.patch(urls["manager"], json=cancel, headers=tenant.write)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"


def test_a_newly_missing_manager_refuses_though_the_rule_was_broken_already(
    client: TestClient, tenant: Tenant, db: Session, world: World
) -> None:
    # The team took on a second manager after its staff enrolled: managers first is broken
    # for them already (one manager missing). Cancelling the first manager's seat would
    # make it two: that is newly broken, and refused.
    urls = _enrol_managers_then_staff(db, world)
    manage(db, world.team, make_employee(db, role=Role.team_manager))
    db.commit()
    cancel = {"status": "cancelled"}
    refused = assert_problem(client.patch(urls["manager"], json=cancel, headers=tenant.write), 409)
    missing = {m["id"] for v in refused["violations"] for m in v["details"]["missing_managers"]}
    assert str(world.manager.id) in missing


def test_only_the_sessions_of_those_a_manager_answers_for_are_checked_again(
    db: Session, world: World
) -> None:
    # A cancellation re-checks the later sessions of whoever relies on the managers whose
    # seats go: their teams' staff and themselves; everyone when one is senior management.
    _enrol_managers_then_staff(db, world)
    outsider = make_employee(db, team_id=make_team(db, name="Elders").id)
    unrelated = make_session(
        db, program=world.program, starts_at=world.staff_session.starts_at + timedelta(days=1)
    )
    make_enrolment(db, training_session=unrelated, employee=outsider)
    ms = world.management_session
    assert relying_sessions(db, ms, managers=[world.manager.id]) == [world.staff_session]
    everyone = [world.staff_session, unrelated]
    assert relying_sessions(db, ms, managers=[world.senior.id]) == everyone
    assert relying_sessions(db, ms) == everyone  # its participants include senior management


def test_whom_a_programme_trains_is_fixed_once_it_has_enrolments_or_completions(
    client: TestClient, tenant: Tenant, db: Session, world: World
) -> None:
    # Managers first counts the managers' seats in a management programme's sessions: made
    # a staff programme afterwards, those seats would silently stop counting.
    urls = _enrol_managers_then_staff(db, world)
    url = f"/v1/training-programs/{world.management.id}"
    kept = client.get(url, headers=tenant.read).json()
    for change in ({"audience": "staff"}, {"audience": "mixed"}):
        r = client.patch(url, json=change, headers=tenant.write)
        assert_problem(r, 409, "program-audience-fixed")
    assert client.get(url, headers=tenant.read).json() == kept
    # The same audience again, or another field, is no change of whom it trains.
    r = client.patch(url, json={"audience": "management", "title": "Leiding"}, headers=tenant.write)
    assert r.status_code == 200, r.text
    # Cancelled enrolments do not hold it; a completion does.
    cancel = {"status": "cancelled"}
    for who in ("staff", "manager", "senior"):
        r = client.patch(urls[who], json=cancel, headers=tenant.write)
        assert r.status_code == 200, r.text
    staff_programme = f"/v1/training-programs/{world.program.id}"
    r = client.patch(staff_programme, json={"audience": "mixed"}, headers=tenant.write)
    assert r.status_code == 200, r.text
    make_completion(db, employee=world.staff, program=world.program)
    db.commit()
    r = client.patch(staff_programme, json={"audience": "staff"}, headers=tenant.write)
    assert_problem(r, 409, "program-audience-fixed")
