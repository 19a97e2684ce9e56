"""Every enrolment rule: pass, fail and each severity (service level)."""

from datetime import date, timedelta
from unittest import mock

import pytest
from sqlmodel import Session

from app.core.dates import rfc3339
from app.core.errors import RuleViolation
from app.core.models import utcnow
from app.organisation.models import Role, Severity
from app.policy import protocols
from app.policy.models import ProtocolStatus
from app.training import managers_first, rules, service
from app.training.models import (
    Audience,
    EnrolmentStatus,
    ManagementLevel,
    SessionStatus,
    TrainingSession,
)
from tests.factories.core import make_employee, make_function_group, make_team, manage
from tests.factories.policy import make_acknowledgement, make_protocol, set_published_at
from tests.factories.training import make_completion, make_enrolment, make_program, make_session
from tests.training.conftest import World, rules_of, set_severities


def check(db: Session, world: World, employee=None, ts=None):  # type: ignore[no-untyped-def]
    return rules_of(
        rules.check_enrolment(
            db,
            org=world.org,
            training_session=ts or world.staff_session,
            employee=employee or world.staff,
        )
    )


def train_managers(db: Session, world: World) -> None:
    for m in (world.senior, world.manager):
        make_completion(db, employee=m, program=world.management)


# --- managers first -------------------------------------------------------------------------


def test_managers_first_refuses_while_managers_untrained(db: Session, world: World) -> None:
    result = check(db, world)["managers_first"]
    assert result.severity == Severity.error
    missing = result.details["missing_managers"]
    assert [(m["id"], m["role"]) for m in missing] == [
        (str(world.senior.id), "senior_management"),
        (str(world.manager.id), "team_manager"),
    ]
    assert missing[1]["name"] == "Jolanda Leidinggevende"
    assert result.details["earliest_start_at"] is None
    assert "Jolanda Leidinggevende (team_manager)" in result.message
    with pytest.raises(RuleViolation) as refused:
        service.enrol(
            db, org=world.org, session_id=world.staff_session.id, employee_id=world.staff.id
        )
    assert refused.value.code == "enrolment-refused"
    assert [v["rule"] for v in refused.value.violations or []] == ["managers_first"]


def test_managers_first_passes_when_managers_completed_management_training(
    db: Session, world: World
) -> None:
    train_managers(db, world)
    assert check(db, world) == {}


def test_completion_of_a_staff_programme_does_not_count(db: Session, world: World) -> None:
    make_completion(db, employee=world.senior, program=world.management)
    make_completion(db, employee=world.manager, program=world.program)
    missing = check(db, world)["managers_first"].details["missing_managers"]
    assert [m["id"] for m in missing] == [str(world.manager.id)]


def test_senior_management_is_responsible_for_everyone(db: Session, world: World) -> None:
    make_completion(db, employee=world.manager, program=world.management)
    missing = check(db, world)["managers_first"].details["missing_managers"]
    assert [m["id"] for m in missing] == [str(world.senior.id)]


def test_team_managers_are_responsible_for_their_team_only(db: Session, world: World) -> None:
    other_manager = make_employee(db, role=Role.team_manager)
    make_team(db, managers=[other_manager])
    make_completion(db, employee=world.senior, program=world.management)
    missing = check(db, world)["managers_first"].details["missing_managers"]
    assert [m["id"] for m in missing] == [str(world.manager.id)]


def test_managers_scheduled_before_the_session_count(db: Session, world: World) -> None:
    for m in (world.senior, world.manager):
        make_enrolment(db, training_session=world.management_session, employee=m)
    assert world.management_session.ends_at < world.staff_session.starts_at
    assert check(db, world) == {}


def test_managers_scheduled_after_the_session_start_do_not_count(db: Session, world: World) -> None:
    late = make_session(
        db, program=world.management, starts_at=world.staff_session.starts_at + timedelta(days=3)
    )
    make_enrolment(db, training_session=world.management_session, employee=world.senior)
    make_enrolment(db, training_session=late, employee=world.manager)
    result = check(db, world)["managers_first"]
    [missing] = result.details["missing_managers"]
    assert missing["id"] == str(world.manager.id)
    assert missing["scheduled_session_id"] == str(late.id)
    # The earliest start that satisfies the rule: when the last manager's session ends.
    assert result.details["earliest_start_at"] == rfc3339(late.ends_at)
    assert result.details["earliest_start_at"].endswith("Z")


def test_management_session_overlapping_the_start_does_not_count(db: Session, world: World) -> None:
    overlapping = make_session(
        db,
        program=world.management,
        starts_at=world.staff_session.starts_at - timedelta(hours=2),
        hours=4,
    )
    train_managers(db, world)
    # The staff member's team gets a second manager, booked in a session still running.
    other_manager = make_employee(db, role=Role.team_manager)
    manage(db, world.team, other_manager)
    make_enrolment(db, training_session=overlapping, employee=other_manager)
    result = check(db, world)["managers_first"]
    assert result.details["earliest_start_at"] == rfc3339(overlapping.ends_at)


def test_managers_in_the_same_mixed_session_are_not_trained_first(
    db: Session, world: World
) -> None:
    mixed = make_program(db, audience=Audience.mixed, skills=("peer_support",))
    together = make_session(db, program=mixed)
    make_completion(db, employee=world.senior, program=world.management)
    make_enrolment(db, training_session=together, employee=world.manager)
    result = check(db, world, ts=together)["managers_first"]
    [missing] = result.details["missing_managers"]
    assert missing["id"] == str(world.manager.id)
    assert "scheduled_session_id" not in missing
    assert result.details["earliest_start_at"] is None


def test_no_show_and_cancelled_management_enrolments_do_not_count(
    db: Session, world: World
) -> None:
    make_enrolment(
        db,
        training_session=world.management_session,
        employee=world.senior,
        status=EnrolmentStatus.no_show,
    )
    make_enrolment(
        db,
        training_session=world.management_session,
        employee=world.manager,
        status=EnrolmentStatus.cancelled,
    )
    assert len(check(db, world)["managers_first"].details["missing_managers"]) == 2


def _managers_held_without_reflections(db: Session, world: World) -> TrainingSession:
    """A management session three days ago, both managers in it, none reflected, while
    reflection before training is an error: completed, they stay `attended`."""
    set_severities(db, world.org, reflected_before_training="error")
    held = make_session(db, program=world.management, starts_at=utcnow() - timedelta(days=3))
    for manager in (world.senior, world.manager):
        make_enrolment(db, training_session=held, employee=manager)
    return held


def test_managers_who_attended_but_were_refused_completion_are_not_trained_first(
    db: Session, world: World
) -> None:
    # With reflection before training an error, a manager without a reflection stays
    # `attended` when the session completes: no completion, and a completed session's
    # seat is no booking any more. Their staff wait for them.
    held = _managers_held_without_reflections(db, world)
    completed = service.complete_session(db, session_id=held.id, org=world.org)
    assert completed.status == SessionStatus.completed
    assert len(check(db, world)["managers_first"].details["missing_managers"]) == 2


def test_completing_it_is_refused_while_staff_are_booked_on_those_seats(
    db: Session, world: World
) -> None:
    # The staff member was enrolled on the strength of the managers' seats; completing the
    # session without completions for them would leave the staff member first, as
    # cancelling the seats would: refused until the planner moves them.
    held = _managers_held_without_reflections(db, world)
    make_enrolment(db, training_session=world.staff_session, employee=world.staff)
    with pytest.raises(RuleViolation) as refused:
        service.complete_session(db, session_id=held.id, org=world.org)
    assert refused.value.code == "enrolment-refused"
    assert {v["employee_id"] for v in refused.value.violations or []} == {str(world.staff.id)}


def test_team_without_managers_only_needs_senior_management(db: Session, world: World) -> None:
    lone_team = make_team(db)
    loner = make_employee(db, team_id=lone_team.id, function_group_id=world.fg.id)
    make_acknowledgement(db, protocol=world.protocol, employee=loner)
    missing = check(db, world, employee=loner)["managers_first"].details["missing_managers"]
    assert [m["id"] for m in missing] == [str(world.senior.id)]
    make_completion(db, employee=world.senior, program=world.management)
    assert check(db, world, employee=loner) == {}


def test_no_managers_at_all_passes(db: Session, world: World) -> None:
    world.senior.active = False  # inactive managers are not responsible
    lone_team = make_team(db)
    loner = make_employee(db, team_id=lone_team.id, function_group_id=world.fg.id)
    make_acknowledgement(db, protocol=world.protocol, employee=loner)
    db.flush()
    assert check(db, world, employee=loner) == {}


def test_managers_first_does_not_apply_to_managers(db: Session, world: World) -> None:
    result = check(db, world, employee=world.manager, ts=world.management_session)
    assert "managers_first" not in result


@pytest.mark.parametrize("severity", ["warning", "off"])
def test_managers_first_severity(db: Session, world: World, severity: str) -> None:
    set_severities(db, world.org, managers_first=severity)
    enrolment, warnings = service.enrol(
        db, org=world.org, session_id=world.staff_session.id, employee_id=world.staff.id
    )
    assert enrolment.status == EnrolmentStatus.enrolled
    if severity == "warning":
        assert [w.rule for w in warnings] == ["managers_first"]
        assert enrolment.warnings[0]["rule"] == "managers_first"
    else:
        assert warnings == []


# --- protocol ready --------------------------------------------------------------------------


def test_protocol_ready_by_team_discussion_or_acknowledgement(db: Session, world: World) -> None:
    # A session that starts later: not yet ready is no refusal but awaiting readiness.
    train_managers(db, world)
    assert check(db, world) == {}  # the team discussed it
    outsider = make_employee(db, function_group_id=world.fg.id)
    result = check(db, world, employee=outsider)
    assert "protocol_ready" not in result
    awaiting = result["awaiting_readiness"]
    assert awaiting.severity == Severity.warning
    assert awaiting.details["protocol_version"] == world.protocol.version
    assert awaiting.details["severity_at_start"] == "error"
    make_acknowledgement(db, protocol=world.protocol, employee=outsider)
    assert check(db, world, employee=outsider) == {}


def test_protocol_ready_decides_at_booking_once_the_session_started(
    db: Session, world: World
) -> None:
    # Booking a session that already started: readiness at its start decides, as before.
    set_published_at(db, world.protocol, utcnow() - timedelta(days=30), None)
    started = make_session(db, program=world.program, starts_at=utcnow() - timedelta(hours=1))
    train_managers(db, world)
    outsider = make_employee(db, function_group_id=world.fg.id)
    result = check(db, world, employee=outsider, ts=started)
    assert "awaiting_readiness" not in result
    assert result["protocol_ready"].severity == Severity.error
    assert result["protocol_ready"].details["protocol_version"] == world.protocol.version


def test_protocol_ready_without_a_published_protocol(db: Session, world: World) -> None:
    world.protocol.status = ProtocolStatus.superseded
    world.protocol.superseded_at = world.protocol.published_at
    db.flush()
    result = check(db, world)["awaiting_readiness"]
    assert "none is published yet" in result.message
    assert result.details["protocol_version"] is None


def test_protocol_ready_of_a_newer_version_needs_a_new_read(db: Session, world: World) -> None:
    newer = make_protocol(db)
    protocols.publish_protocol(db, protocol=newer)
    assert check(db, world)["awaiting_readiness"].details["protocol_version"] == newer.version


@pytest.mark.parametrize(("severity", "expected"), [("warning", True), ("off", False)])
def test_protocol_ready_severity(db: Session, world: World, severity: str, expected: bool) -> None:
    set_severities(db, world.org, protocol_ready=severity)
    outsider = make_employee(db, function_group_id=world.fg.id)
    result = check(db, world, employee=outsider)
    assert ("awaiting_readiness" in result) is expected
    if expected:
        assert result["awaiting_readiness"].details["severity_at_start"] == "warning"


# --- comparable functions ----------------------------------------------------------------------


def test_comparable_functions(db: Session, world: World) -> None:
    train_managers(db, world)
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    assert check(db, world) == {}  # same function group
    crisis = make_function_group(db, name="Crisisdienst", likelihood=5, impact=4)  # very high
    crisis_worker = make_employee(db, team_id=world.team.id, function_group_id=crisis.id)
    result = check(db, world, employee=crisis_worker)["comparable_functions"]
    assert result.severity == Severity.warning  # the default
    assert result.details["function_groups"] == [
        {
            "id": str(world.fg.id),
            "name": "Ambulante begeleiding",
            "comparable_group": None,
            "exposure_level": "moderate",
        }
    ]
    assert result.details["grouping"] == "exposure_level"  # neither group is in a set
    assert "Ambulante begeleiding (exposure moderate)" in result.message


def test_comparable_functions_same_level_other_group_passes(db: Session, world: World) -> None:
    train_managers(db, world)
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    similar = make_function_group(db, likelihood=3, impact=3)  # moderate too
    worker = make_employee(db, team_id=world.team.id, function_group_id=similar.id)
    assert "comparable_functions" not in check(db, world, employee=worker)


def test_comparable_functions_does_not_apply_to_management_sessions(
    db: Session, world: World
) -> None:
    make_enrolment(db, training_session=world.management_session, employee=world.manager)
    crisis = make_function_group(db, likelihood=5, impact=5)
    other_manager = make_employee(db, role=Role.team_manager, function_group_id=crisis.id)
    make_acknowledgement(db, protocol=world.protocol, employee=other_manager)
    world.manager.function_group_id = world.fg.id
    db.flush()
    assert check(db, world, employee=other_manager, ts=world.management_session) == {}


def test_comparable_functions_a_set_joins_groups_of_other_exposure(
    db: Session, world: World
) -> None:
    """Function groups first: the same set of comparable groups passes across levels."""
    train_managers(db, world)
    world.fg.comparable_group = "jeugd"
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    crisis = make_function_group(db, likelihood=5, impact=4, comparable_group="jeugd")
    worker = make_employee(db, team_id=world.team.id, function_group_id=crisis.id)
    assert "comparable_functions" not in check(db, world, employee=worker)


def test_comparable_functions_another_set_is_refused_at_the_same_level(
    db: Session, world: World
) -> None:
    """Exposure level is only the fallback: other sets do not mix, even at one level."""
    train_managers(db, world)
    world.fg.comparable_group = "jeugd"
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    office = make_function_group(db, likelihood=3, impact=3, comparable_group="wonen")
    worker = make_employee(db, team_id=world.team.id, function_group_id=office.id)
    result = check(db, world, employee=worker)["comparable_functions"]
    assert result.details["grouping"] == "function_groups"
    assert result.details["comparable_group"] == "wonen"
    assert result.details["function_groups"][0]["comparable_group"] == "jeugd"
    assert "Ambulante begeleiding (set 'jeugd')" in result.message


def test_comparable_functions_a_set_does_not_join_a_group_in_no_set(
    db: Session, world: World
) -> None:
    train_managers(db, world)
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    similar = make_function_group(db, likelihood=3, impact=3, comparable_group="jeugd")
    worker = make_employee(db, team_id=world.team.id, function_group_id=similar.id)
    result = check(db, world, employee=worker)["comparable_functions"]
    assert result.details["grouping"] == "function_groups"
    assert "Ambulante begeleiding (no set, exposure moderate)" in result.message


def test_comparable_functions_and_exposure_fit_use_the_organisations_bands(
    db: Session, world: World
) -> None:
    """Issue 20, item 12: the score bands are the organisation's, not fixed figures."""
    train_managers(db, world)
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    other = make_function_group(db, likelihood=5, impact=2)  # 10: high by default
    worker = make_employee(db, team_id=world.team.id, function_group_id=other.id)
    assert "comparable_functions" in check(db, world, employee=worker)
    settings = dict(world.org.settings_json)
    settings["exposure_bands"] = {"moderate_from": 5, "high_from": 11, "very_high_from": 17}
    world.org.settings_json = settings
    db.flush()
    assert "comparable_functions" not in check(db, world, employee=worker)  # both moderate


@pytest.mark.parametrize(("severity", "present"), [("error", True), ("off", False)])
def test_comparable_functions_severity(
    db: Session, world: World, severity: str, present: bool
) -> None:
    set_severities(db, world.org, comparable_functions=severity)
    train_managers(db, world)
    make_enrolment(db, training_session=world.staff_session, employee=world.colleague)
    crisis = make_function_group(db, likelihood=4, impact=4)  # high
    worker = make_employee(db, team_id=world.team.id, function_group_id=crisis.id)
    result = check(db, world, employee=worker)
    assert ("comparable_functions" in result) is present
    if present:
        assert result["comparable_functions"].severity == Severity.error


# --- exposure fit ------------------------------------------------------------------------------


def test_exposure_fit(db: Session, world: World) -> None:
    train_managers(db, world)
    assert "exposure_fit" not in check(db, world)  # moderate within moderate..very_high
    reception = make_function_group(db, name="Receptie", likelihood=1, impact=2)  # low
    receptionist = make_employee(db, team_id=world.team.id, function_group_id=reception.id)
    result = check(db, world, employee=receptionist)["exposure_fit"]
    assert result.severity == Severity.warning
    assert result.details["exposure_level"] == "low"
    assert result.details["min_exposure_level"] == "moderate"


@pytest.mark.parametrize(("severity", "present"), [("error", True), ("off", False)])
def test_exposure_fit_severity(db: Session, world: World, severity: str, present: bool) -> None:
    set_severities(db, world.org, exposure_fit=severity)
    reception = make_function_group(db, likelihood=1, impact=2)
    receptionist = make_employee(db, team_id=world.team.id, function_group_id=reception.id)
    result = check(db, world, employee=receptionist)
    assert ("exposure_fit" in result) is present
    if present:
        assert result["exposure_fit"].severity == Severity.error


# --- audience fit ------------------------------------------------------------------------------


def test_audience_fit(db: Session, world: World) -> None:
    staff_in_management = check(db, world, ts=world.management_session)["audience_fit"]
    assert staff_in_management.severity == Severity.error
    assert staff_in_management.details == {"audience": "management", "role": "employee"}
    manager_in_staff = check(db, world, employee=world.manager)["audience_fit"]
    assert manager_in_staff.details["role"] == "team_manager"
    assert "audience_fit" not in check(
        db, world, employee=world.senior, ts=world.management_session
    )
    mixed = make_session(db, program=make_program(db, audience=Audience.mixed))
    assert "audience_fit" not in check(db, world, employee=world.manager, ts=mixed)


@pytest.mark.parametrize(
    ("level", "senior_fits", "manager_fits"),
    [
        (ManagementLevel.senior_management, True, False),
        (ManagementLevel.team_manager, False, True),
        (ManagementLevel.all, True, True),
    ],
)
def test_audience_fit_keeps_management_programmes_to_their_level(
    db: Session, world: World, level: ManagementLevel, senior_fits: bool, manager_fits: bool
) -> None:
    """Managers by level (issue 20, item 8): senior management and team managers each get
    programmes for their level; a programme for all management takes both."""
    program = make_program(db, audience=Audience.management, management_level=level)
    ts = make_session(db, program=program)
    senior = check(db, world, employee=world.senior, ts=ts)
    manager = check(db, world, employee=world.manager, ts=ts)
    assert ("audience_fit" not in senior) is senior_fits
    assert ("audience_fit" not in manager) is manager_fits
    refused = (senior if not senior_fits else manager if not manager_fits else {}).get(
        "audience_fit"
    )
    if refused is not None:
        assert refused.severity == Severity.error
        assert refused.details["management_level"] == str(level)
        assert "only" in refused.message


def test_a_manager_with_management_training_done_may_join_a_staff_session(
    db: Session, world: World
) -> None:
    # Managers by level (issue 20, item 8): a working team lead joins their staff's session
    # once their own management training is done; before, audience_fit refuses.
    assert "audience_fit" in check(db, world, employee=world.manager)
    make_completion(db, employee=world.manager, program=world.management)
    assert "audience_fit" not in check(db, world, employee=world.manager)
    # A staff programme's completion is not management training.
    other = make_employee(db, role=Role.team_manager, team_id=world.team.id)
    make_completion(db, employee=other, program=world.program)
    assert "audience_fit" in check(db, world, employee=other)


@pytest.mark.parametrize(("severity", "present"), [("warning", True), ("off", False)])
def test_audience_fit_severity(db: Session, world: World, severity: str, present: bool) -> None:
    set_severities(db, world.org, audience_fit=severity)
    result = check(db, world, employee=world.manager)
    assert ("audience_fit" in result) is present


# --- capacity, duplicate, session open, employee active (always errors) -----------------------


def test_capacity_is_always_an_error(db: Session, world: World) -> None:
    set_severities(
        db,
        world.org,
        managers_first="off",
        protocol_ready="off",
        comparable_functions="off",
        exposure_fit="off",
        audience_fit="off",
    )
    small = make_session(db, program=world.program, capacity=1)
    make_enrolment(db, training_session=small, employee=world.colleague)
    result = check(db, world, ts=small)
    assert list(result) == ["capacity"]
    assert result["capacity"].severity == Severity.error
    with pytest.raises(RuleViolation):
        service.enrol(db, org=world.org, session_id=small.id, employee_id=world.staff.id)


def test_guarded_seat_refuses_when_the_count_moved_on(db: Session, world: World) -> None:
    # The rules saw a free seat, but the row says otherwise: the guarded UPDATE decides.
    set_severities(db, world.org, managers_first="off")
    small = make_session(db, program=world.program, capacity=1)
    make_enrolment(db, training_session=small, employee=world.colleague)
    with (
        mock.patch.object(rules, "check_enrolment", return_value=[]),
        pytest.raises(RuleViolation) as refused,
    ):
        service.enrol(db, org=world.org, session_id=small.id, employee_id=world.staff.id)
    assert refused.value.violations[0]["rule"] == "capacity"  # type: ignore[index]
    db.refresh(small)
    assert small.enrolled_count == 1


def test_duplicate_is_always_an_error(db: Session, world: World) -> None:
    set_severities(db, world.org, managers_first="off")
    service.enrol(db, org=world.org, session_id=world.staff_session.id, employee_id=world.staff.id)
    result = check(db, world)
    assert list(result) == ["duplicate"]
    with pytest.raises(RuleViolation) as refused:
        service.enrol(
            db, org=world.org, session_id=world.staff_session.id, employee_id=world.staff.id
        )
    assert refused.value.violations[0]["rule"] == "duplicate"  # type: ignore[index]


def test_closed_session_and_inactive_employee_are_refused(db: Session, world: World) -> None:
    train_managers(db, world)
    world.staff_session.status = SessionStatus.cancelled
    world.staff.active = False
    db.flush()
    assert set(check(db, world)) == {"session_open", "employee_active"}


def test_warnings_are_stored_and_returned(db: Session, world: World) -> None:
    train_managers(db, world)
    reception = make_function_group(db, likelihood=1, impact=1)
    worker = make_employee(db, team_id=world.team.id, function_group_id=reception.id)
    # Joined after the team discussed the protocol: ready by reading it.
    make_acknowledgement(db, protocol=world.protocol, employee=worker)
    enrolment, warnings = service.enrol(
        db, org=world.org, session_id=world.staff_session.id, employee_id=worker.id
    )
    assert [w.rule for w in warnings] == ["exposure_fit"]
    assert enrolment.warnings == [warnings[0].model_dump(mode="json")]


def test_batch_check_for_many_employees(db: Session, world: World) -> None:
    train_managers(db, world)
    outsider = make_employee(db, function_group_id=world.fg.id)
    out = rules.check_enrolments(
        db,
        org=world.org,
        training_session=world.staff_session,
        employees=[world.staff, world.colleague, outsider],
    )
    assert out[world.staff.id] == [] and out[world.colleague.id] == []
    assert [r.rule for r in out[outsider.id]] == ["awaiting_readiness"]


def test_management_status_for_the_scheduler(db: Session, world: World) -> None:
    make_completion(db, employee=world.senior, program=world.management, completed_on=date.today())
    make_enrolment(db, training_session=world.management_session, employee=world.manager)
    status = managers_first.management_status(
        db,
        manager_ids=[world.senior.id, world.manager.id],
        before=world.management_session.starts_at,
    )
    assert status.trained == {world.senior.id}
    assert status.scheduled[world.manager.id][0][1] == world.management_session.id
