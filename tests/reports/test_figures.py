"""Every report figure against the hand-computed fixture in conftest.py."""

from datetime import date, timedelta

from sqlmodel import Session

from app.organisation.models import OrganisationSettings
from app.reports import service
from app.reports.models import TeamReportRow
from tests.conftest import Tenant
from tests.factories.core import make_employee, make_team
from tests.factories.followup import complete, make_program, make_review
from tests.reports.conftest import TODAY, Fixture

SETTINGS = OrganisationSettings()


def test_empty_organisation_reports_zeros(db: Session, tenant: Tenant) -> None:
    report = service.overview(db, settings=SETTINGS, today=TODAY)
    assert report.teams == 0
    assert report.protocol_readiness.model_dump() == {
        "protocol_id": None,
        "active_employees": 0,
        "ready": 0,
        "ready_pct": 0.0,
    }
    assert report.managers.trained_pct == 0.0
    assert report.managers.any_staff_trained_before_managers is False
    assert report.goals.teams_with_active_goals_pct == 0.0
    assert report.training_coverage == []
    assert report.refreshers_due.employees == 0
    assert report.follow_up.model_dump() == {"open": 0, "overdue": 0}
    assert report.practice_reviews.model_dump() == {"teams_with_training": 0, "teams_overdue": 0}
    assert report.meetings.meetings == 0 and report.meetings.with_item_pct == 0.0
    assert report.hrm_theme.covered_pct == 0.0
    assert service.teams_report(db, settings=SETTINGS, today=TODAY).items == []


def test_overview_figures(db: Session, fixture_org: Fixture) -> None:
    r = service.overview(db, settings=SETTINGS, today=TODAY)
    assert r.teams == 3
    # 7 active: S, M1, A1, A2, M2, B1, B2. Ready: A1 (read), M2, B1, B2 (T2 discussed).
    assert (r.protocol_readiness.active_employees, r.protocol_readiness.ready) == (7, 4)
    assert r.protocol_readiness.ready_pct == 57.1
    # Managers S, M1, M2; S and M1 trained. A2 (before M1), B1 and B2 (M2 untrained).
    assert r.managers.model_dump() == {
        "managers": 3,
        "trained": 2,
        "trained_pct": 66.7,
        "staff_trained_before_managers": 3,
        "any_staff_trained_before_managers": True,
    }
    assert r.goals.model_dump() == {
        "active_team_goals": 3,
        "teams_with_active_goals": 2,
        "teams_with_active_goals_pct": 66.7,
        "personal_goals_aligned": 2,
        "personal_goals_unaligned": 1,
    }
    coverage = {
        (c.function_group_name, c.skill_code): (c.employees, c.current, c.current_pct)
        for c in r.training_coverage
    }
    assert coverage == {
        ("Ambulant", "contact_bad_news"): (3, 3, 100.0),
        ("Ambulant", "naming_discomfort"): (3, 2, 66.7),
        ("Ambulant", "peer_support"): (3, 0, 0.0),
        ("Crisisdienst", "deescalation"): (3, 1, 33.3),
    }
    # B1 (runs out 2026-07-01) and M1 (runs out on today + 90 days).
    assert (r.refreshers_due.employees, r.refreshers_due.trainings) == (2, 2)
    assert r.follow_up.model_dump() == {"open": 4, "overdue": 1}
    assert r.practice_reviews.model_dump() == {"teams_with_training": 2, "teams_overdue": 1}
    assert r.meetings.model_dump() == {
        "period_from": date(2025, 6, 15),
        "period_to": TODAY,
        "meetings": 8,
        "with_item": 2,
        "with_item_pct": 25.0,
        "threshold": 3,
        "teams_lacking_item": 1,
    }
    assert r.hrm_theme.model_dump() == {
        "active_employees": 7,
        "covered": 3,
        "covered_pct": 42.9,
        "not_covered": 4,
    }


def _rows(db: Session, f: Fixture, **kw: object) -> dict[str, TeamReportRow]:
    report = service.teams_report(db, settings=SETTINGS, today=TODAY, **kw)  # type: ignore[arg-type]
    names = {f.t1.id: "t1", f.t2.id: "t2", f.t3.id: "t3"}
    return {names[row.team_id]: row for row in report.items}


def test_team_rows(db: Session, fixture_org: Fixture) -> None:
    rows = _rows(db, fixture_org)
    t1, t2, t3 = rows["t1"], rows["t2"], rows["t3"]
    assert (t1.active_employees, t1.protocol_ready, t1.protocol_ready_pct) == (3, 1, 33.3)
    assert (t2.active_employees, t2.protocol_ready, t2.protocol_ready_pct) == (3, 3, 100.0)
    assert (t1.managers, t1.managers_trained, t1.staff_trained_before_managers) == (1, 1, 1)
    assert (t2.managers, t2.managers_trained, t2.staff_trained_before_managers) == (1, 0, 2)
    assert (t1.active_team_goals, t1.personal_goals_aligned, t1.personal_goals_unaligned) == (
        2,
        1,
        1,
    )
    assert (t2.active_team_goals, t2.personal_goals_aligned, t2.personal_goals_unaligned) == (
        0,
        1,
        0,
    )
    assert t3.active_team_goals == 1
    assert (t1.skill_needs, t1.skill_needs_current, t1.training_coverage_pct) == (9, 5, 55.6)
    assert (t2.skill_needs, t2.skill_needs_current, t2.training_coverage_pct) == (3, 1, 33.3)
    assert (t1.refreshers_due, t2.refreshers_due) == (1, 1)
    assert (t1.follow_up_open, t1.follow_up_overdue) == (2, 1)
    assert (t2.follow_up_open, t3.follow_up_open, t3.follow_up_overdue) == (0, 1, 0)
    assert (t1.last_review_on, t1.next_review_on, t1.review_overdue) == (
        date(2026, 3, 15),
        TODAY,
        False,
    )
    assert (t2.last_review_on, t2.last_training_on, t2.review_overdue) == (
        None,
        date(2025, 7, 1),
        True,
    )
    assert (t3.last_training_on, t3.review_overdue) == (None, False)
    assert (t1.meetings, t1.meetings_with_item, t1.meetings_with_item_pct) == (4, 1, 25.0)
    assert (t2.meetings, t2.meetings_with_item, t2.meetings_with_item_pct) == (2, 1, 50.0)
    assert (t3.meetings, t3.meetings_with_item) == (2, 0)
    assert [t1.lacks_item_in_last_meetings, t2.lacks_item_in_last_meetings] == [True, False]
    assert t3.lacks_item_in_last_meetings is False  # fewer meetings than the threshold
    assert (t1.hrm_theme_covered, t1.hrm_theme_covered_pct) == (2, 66.7)
    assert (t2.hrm_theme_covered, t2.hrm_theme_covered_pct) == (1, 33.3)
    zero = t3.model_dump(
        include={"active_employees", "protocol_ready_pct", "hrm_theme_covered_pct"}
    )
    assert zero == {"active_employees": 0, "protocol_ready_pct": 0.0, "hrm_theme_covered_pct": 0.0}


def test_settings_and_period_change_the_figures(db: Session, fixture_org: Fixture) -> None:
    # Threshold 2: T3's two meetings without the item now count, T2's last two do not.
    rows = _rows(db, fixture_org)
    settings = OrganisationSettings(meetings_without_item_threshold=2)
    report = service.teams_report(db, settings=settings, today=TODAY)
    lacking = {r.team_id for r in report.items if r.lacks_item_in_last_meetings}
    assert lacking == {fixture_org.t1.id, fixture_org.t3.id}
    # A period of May 2026 only: T2's two meetings, one with the item.
    may = _rows(db, fixture_org, period_from=date(2026, 5, 1), period_to=date(2026, 5, 31))
    assert (may["t2"].meetings, may["t2"].meetings_with_item, may["t1"].meetings) == (2, 1, 0)
    assert rows["t1"].meetings == 4


def test_the_other_organisation_is_invisible(
    db: Session, fixture_org: Fixture, other_tenant: Tenant
) -> None:
    """The report queries name their organisation themselves: another one sees zeros."""
    from app.core.tenancy import bind_organisation

    bind_organisation(db, other_tenant.id)
    seen = service.overview(db, settings=SETTINGS, today=TODAY).model_dump()
    bind_organisation(db, fixture_org.t1.organisation_id)
    assert service.overview(db, settings=SETTINGS, today=TODAY).teams == 3

    def numbers(value: object) -> list[float]:
        if isinstance(value, dict):
            return [n for v in value.values() for n in numbers(v)]
        if isinstance(value, list):
            return [n for v in value for n in numbers(v)]
        is_count = isinstance(value, int | float) and not isinstance(value, bool)
        return [value] if is_count else []  # type: ignore[list-item]

    seen.pop("meetings")  # carries the threshold setting
    # Carries the setting `risk_assessment_valid_years`; its counts must still be empty.
    risk = seen.pop("risk_assessments")
    assert {k: v for k, v in risk.items() if k != "valid_years"} == {
        k: 0 for k in risk if k != "valid_years"
    }
    assert seen["training_coverage"] == []
    assert set(numbers(seen)) <= {0, 90}  # 90: the refresher window in days


def test_review_overdue_at_the_interval_boundary(db: Session, tenant: Tenant) -> None:
    """Never reviewed: overdue once the latest training is older than the interval."""
    program = make_program(db)
    on_boundary, past_boundary, reviewed = make_team(db), make_team(db), make_team(db)
    complete(db, make_employee(db, team_id=on_boundary.id), program, date(2026, 3, 15))
    complete(db, make_employee(db, team_id=past_boundary.id), program, date(2026, 3, 14))
    complete(db, make_employee(db, team_id=reviewed.id), program, date(2025, 1, 1))
    make_review(db, reviewed, date(2026, 3, 14), next_review_on=date(2026, 6, 14))
    report = service.teams_report(db, settings=SETTINGS, today=TODAY)
    overdue = {r.team_id: r.review_overdue for r in report.items}
    assert overdue == {on_boundary.id: False, past_boundary.id: True, reviewed.id: True}
    # The next day, the boundary team is overdue too; a longer interval gives it time again.
    later = service.teams_report(db, settings=SETTINGS, today=TODAY + timedelta(days=1))
    assert all(r.review_overdue for r in later.items)
    six = OrganisationSettings(review_interval_months=6)
    relaxed = service.teams_report(db, settings=six, today=TODAY)
    assert {r.team_id: r.review_overdue for r in relaxed.items}[past_boundary.id] is False


def test_current_training_ends_at_month_end(db: Session, tenant: Tenant) -> None:
    """Completed 31 August with 6 months: current until 28 February (clamped), not after."""
    from app.core.dates import add_months

    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    team = make_team(db)
    program = make_program(db, refresher_months=6)
    complete(db, make_employee(db, team_id=team.id), program, date(2025, 8, 31))
    due = service.teams_report(db, settings=SETTINGS, today=date(2026, 2, 27)).items[0]
    gone = service.teams_report(db, settings=SETTINGS, today=date(2026, 2, 28)).items[0]
    assert (due.refreshers_due, gone.refreshers_due) == (1, 0)


def test_a_team_without_training_is_never_overdue_for_a_review(db: Session, tenant: Tenant) -> None:
    """Issue 7: overdue only once the team has completed training, however old its review."""
    untrained = make_team(db)
    make_employee(db, team_id=untrained.id)
    make_review(db, untrained, date(2024, 1, 10), next_review_on=date(2024, 4, 10))
    report = service.teams_report(db, settings=SETTINGS, today=TODAY)
    assert {r.team_id: r.review_overdue for r in report.items}[untrained.id] is False
