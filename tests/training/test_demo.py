"""The demo catalogue: managers are scheduled first and a staff enrolment is refused."""

from sqlmodel import Session

from app import demo
from app.training.models import SessionStatus


def test_demo_trains_managers_first_and_shows_a_refusal(db: Session) -> None:
    ctx = demo.create_demo(db)
    programs, sessions = ctx.extras["programs"], ctx.extras["sessions"]
    assert len(programs) == 8
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
