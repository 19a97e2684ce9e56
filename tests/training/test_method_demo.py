"""The demo tells the method around a session (issue 20, items 4 and 11): the protocol is
in force before the management workshop and its managers complete it, a reflection, an
evaluated session with goal progress, a briefing, and a plan scheduled while most of its
team still has to read the protocol."""

from sqlmodel import Session, col, select

from app import demo
from app.training import briefing, readiness
from app.training.method_models import GoalProgress, TrainingEvaluation, TrainingReflection
from app.training.models import Enrolment, EnrolmentStatus, SessionStatus


def test_the_demo_shows_every_step_of_the_method(db: Session) -> None:
    ctx = demo.create_demo(db)
    sessions, method = ctx.extras["sessions"], ctx.extras["method"]
    protocol = ctx.extras["protocol"]
    # Published before the management workshop, read by its managers: they completed it.
    management = sessions["management_done"]
    assert protocol.published_at < management.starts_at
    completed = db.exec(
        select(Enrolment.status).where(col(Enrolment.session_id) == management.id)
    ).all()
    assert completed and set(completed) == {EnrolmentStatus.completed}

    assert db.exec(select(TrainingReflection)).first() is not None
    held = method["held"]
    assert held.status == SessionStatus.completed
    evaluated = db.exec(
        select(TrainingEvaluation).where(col(TrainingEvaluation.session_id) == held.id)
    ).all()
    assert {e.attendance for e in evaluated} == {"present", "partly", "absent"}
    progress = db.exec(select(GoalProgress).where(col(GoalProgress.session_id) == held.id)).all()
    assert progress and any(p.achieved for p in progress)

    brief = briefing.session_briefing(db, training_session=sessions["jwn_next"])
    assert brief.participants and brief.protocol_sections and brief.norms
    assert brief.practice_situations

    # The plan was scheduled although people of its team have not read the protocol yet.
    [last] = method["plan_sessions"][-1:]
    ts = db.get(type(held), last)
    assert ts is not None
    status = readiness.session_readiness(db, org=ctx.org, training_session=ts)
    assert status.enrolled > 0 and status.to_remind
