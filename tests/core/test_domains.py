"""Cross-domain hooks come from register_domains(), never from importing a module.

Each check runs in a fresh interpreter, so nothing the test process imported (the app,
every router) can have registered anything on its behalf.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A script that uses the services directly, as a maintenance script would: no app, no
# router, no CLI. After register_domains() it must behave as the app does.
SCRIPT = """
import sys
from datetime import timedelta

from sqlmodel import select

from app.core.engine import make_engine, new_session
from app.core.migrate import upgrade
from app.core.models import utcnow
from app.domains import register_domains
from app.learning.models import Skill
from app.organisation import service as organisation_service
from app.organisation.models import EmployeeCreate, EmployeeUpdate
from app.training.models import (
    Audience, Enrolment, EnrolmentStatus, TrainingProgram, TrainingSession,
)

engine = make_engine(sys.argv[1])
upgrade(engine)
register_domains()
register_domains()  # idempotent: still one hook of each kind
assert "app.api" not in sys.modules and "app.main" not in sys.modules, "app was imported"

with new_session(engine) as db:
    org, _key = organisation_service.create_organisation(db, name="Stichting Script")
    codes = db.exec(select(Skill.code).where(Skill.organisation_id == org.id)).all()
    assert len(codes) == 9, codes

    employee = organisation_service.create_employee(
        db, data=EmployeeCreate(first_name="Sanne", last_name="Visser")
    )
    program = TrainingProgram(title="De-escaleren", audience=Audience.mixed)
    db.add(program)
    db.flush()
    start = utcnow() + timedelta(days=7)
    ts = TrainingSession(
        program_id=program.id, starts_at=start, ends_at=start + timedelta(hours=4),
        capacity=10, enrolled_count=1,
    )
    db.add(ts)
    db.flush()
    enrolment = Enrolment(session_id=ts.id, employee_id=employee.id)
    db.add(enrolment)
    db.flush()

    organisation_service.update_employee(
        db, employee=employee, data=EmployeeUpdate(active=False)
    )
    db.refresh(enrolment)
    db.refresh(ts)
    assert enrolment.status == EnrolmentStatus.cancelled, enrolment.status
    assert ts.enrolled_count == 0, ts.enrolled_count
print("ok")
"""

# Importing every module of the app, the app itself included, registers nothing.
IMPORTS_ONLY = """
import app.api, app.cli, app.demo, app.models  # noqa: F401
from app.organisation.hooks import HOOKS, Hooks

assert HOOKS == Hooks(), HOOKS
print("ok")
"""


def _run(script: str, *args: str) -> None:
    r = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr


def test_a_script_without_the_app_gets_the_same_hooks(tmp_path: Path) -> None:
    _run(SCRIPT, f"sqlite:///{tmp_path / 'script.db'}")


def test_importing_modules_registers_nothing() -> None:
    _run(IMPORTS_ONLY)
