"""The demo catalogue: managers are scheduled first and a staff enrolment is refused."""

from sqlmodel import Session, col, select

from app import demo
from app.organisation.models import DEFAULT_BANDS, Grouping
from app.policy.models import Protocol, ProtocolSection
from app.selection.models import TrainingPlanGroup
from app.training.models import ManagementLevel, SessionStatus, TrainingProgram


def test_demo_trains_managers_first_and_shows_a_refusal(db: Session) -> None:
    ctx = demo.create_demo(db)
    programs, sessions = ctx.extras["programs"], ctx.extras["sessions"]
    assert len(programs) == 9
    assert sessions["management_done"].status == SessionStatus.completed
    assert sessions["crisis_done"].status == SessionStatus.completed
    assert sessions["management_done"].ends_at < sessions["crisis_done"].starts_at
    assert sessions["management_next"].ends_at < sessions["shv_next"].starts_at
    assert sessions["jwn_next"].enrolled_count > 0
    assert sessions["shv_next"].enrolled_count > 0
    [violation] = ctx.extras["refused_enrolment"]["violations"]
    assert violation["rule"] == "managers_first"
    [missing] = violation["details"]["missing_managers"]
    assert missing["id"] == str(ctx.managers["T-REC"].id)


def test_the_demo_is_youth_care_with_fictional_providers_and_shows_the_new_items(
    db: Session,
) -> None:
    """Issue 20, item 11 (and what items 6, 8 and 12 added)."""
    ctx = demo.create_demo(db)
    people = ctx.all_employees
    # Dutch names: a tussenvoegsel for roughly a quarter, only with a surname that takes one.
    with_particle = [e for e in people if e.name_particle]
    assert 0.15 < len(with_particle) / len(people) < 0.35
    fitting = {(p, last) for p, last in demo.WITH_PARTICLE}
    assert all((e.name_particle, e.last_name) in fitting for e in with_particle)
    # Youth-care functions, a low-exposure back office, and a set of comparable groups.
    names = {fg.name for fg in ctx.function_groups.values()}
    assert {"Jongerenwerker", "Ambulant hulpverlener", "Gezinsvoogd"} <= names
    assert ctx.function_groups["FG-REC"].level(DEFAULT_BANDS) == "low"
    assert ctx.function_groups["FG-JW"].comparable_group == "ambulant jeugd"
    # No invented academy under the name of Sociaal Werk werkt!.
    programs = db.exec(select(TrainingProgram)).all()
    assert programs and not any("Sociaal Werk" in (p.provider or "") for p in programs)
    assert any(p.management_level == ManagementLevel.senior_management for p in programs)
    # Protocol version 2 differs from version 1 in content, not only in its summary.
    versions = db.exec(select(Protocol).order_by(col(Protocol.version))).all()
    assert len(versions) == 2
    titles = [
        {
            s.title
            for s in db.exec(select(ProtocolSection).where(ProtocolSection.protocol_id == v.id))
        }
        for v in versions
    ]
    assert titles[0] != titles[1] and "Risico's vooraf inschatten" in titles[1] - titles[0]
    # The scheduled plan (Jongerenwerk Zuid, in a set) says it was composed by function groups.
    groups = db.exec(
        select(TrainingPlanGroup).where(
            TrainingPlanGroup.plan_id == ctx.extras["method"]["plan_id"],
            TrainingPlanGroup.phase > 1,
        )
    ).all()
    assert groups and {g.grouping for g in groups} == {Grouping.function_groups}
