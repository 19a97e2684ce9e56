"""The targets other issues name, run by the same command: plan computation and imports."""

import argparse
import statistics
import time
import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import Engine, insert
from sqlmodel import Session

from app.core.ids import uuid7
from app.core.models import utcnow
from app.core.tenancy import bind_organisation
from app.imports import samples
from app.organisation import service as organisation_service
from app.organisation.models import Employee
from app.selection.models import PlanScope
from app.selection.planning import compute_plan
from bench import data
from bench.servers import SERVER_PIDS, peak_rss_mb, uvicorn_server

ROLES = {
    "medewerker": "employee",
    "leidinggevende": "team_manager",
    "directie": "senior_management",
}


def _time_plan(engine: Engine, org_id: uuid.UUID, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        with Session(engine) as session:
            bind_organisation(session, org_id)
            started = time.perf_counter()
            plan = compute_plan(session, scope=PlanScope(), starts_on=date.today())
            times.append(time.perf_counter() - started)
            assert plan.phases, "the plan has no phases"
    return statistics.median(times)


def plan_benchmark(
    report: Any, db: str, _url: str, engine: Engine, org: data.BenchOrg, args: argparse.Namespace
) -> None:
    """Whole-organisation plan: under 1 s at the default size; 2x the size at most 2.3x."""
    repeat = max(3, args.repeat)
    double = data.generate(engine, employees=2 * args.employees, teams=2 * args.teams, seed=7)
    # Side by side, alternating, so drift on a shared machine hits both sizes alike.
    ones, twos = [], []
    for _ in range(repeat):
        ones.append(_time_plan(engine, org.org_id, 1))
        twos.append(_time_plan(engine, double.org_id, 1))
    one, two = statistics.median(ones), statistics.median(twos)
    report.add(
        db,
        f"plan, whole org of {args.employees:,}",
        f"median {one * 1000:.0f} ms",
        "< 1000 ms",
        one < 1.0,
    )
    report.add(
        db,
        f"plan, whole org of {2 * args.employees:,}",
        f"median {two * 1000:.0f} ms ({two / one:.2f}x)",
        "<= 2.3x",
        two / one <= 2.3,
    )


def _core_baseline(engine: Engine, body: bytes) -> float:
    """The same employee rows inserted with one plain SQLAlchemy Core executemany."""
    with Session(engine, expire_on_commit=False) as session:
        org, _key = organisation_service.create_organisation(session, name="baseline")
        session.commit()
    lines = body.decode("cp1252").split("\r\n")[1:]
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for line in lines:
        if not line:
            continue
        number, first, particle, last, email, _t, _fg, role, started = line.split(";")
        d, m, y = started.split("-")
        rows.append(
            {
                "id": uuid7(),
                "organisation_id": org.id,
                "created_at": now,
                "updated_at": now,
                "external_id": number,
                "first_name": first,
                "name_particle": particle or None,
                "last_name": last,
                "email": email,
                "team_id": None,
                "function_group_id": None,
                "role": ROLES[role],
                "active": True,
                "started_on": date(int(y), int(m), int(d)),
                "erased_at": None,
            }
        )
    started_at = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Employee), rows)
    return time.perf_counter() - started_at


def _fresh_importing_org(engine: Engine, base: str) -> dict[str, str]:
    with Session(engine, expire_on_commit=False) as session:
        _org, key = organisation_service.create_organisation(session, name="import bench")
        session.commit()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    for kind, body in samples.structure_files().items():
        r = httpx.post(f"{base}/v1/imports/{kind}", content=body, headers=headers, timeout=120)
        r.raise_for_status()
    return headers


def _post(base: str, headers: dict[str, str], body: bytes) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    r = httpx.post(f"{base}/v1/imports/employees", content=body, headers=headers, timeout=600)
    elapsed = time.perf_counter() - started
    r.raise_for_status()
    result: dict[str, Any] = r.json()
    return elapsed, result


def import_benchmark(
    report: Any, db: str, url: str, engine: Engine, _org: data.BenchOrg, args: argparse.Namespace
) -> None:
    """10,000 employees as CSV through the API vs a Core executemany; re-import; 100,000 rows."""
    n = args.employees
    body = samples.employees_csv(n)
    env = {"VEERKRACHT_DATABASE_URL": url, "VEERKRACHT_LOG_LEVEL": "WARNING"}
    firsts, agains, baselines = [], [], []
    with uvicorn_server("app.main:app", workers=1, env=env, ready_path="/healthz") as base:
        for _ in range(max(3, args.repeat)):
            headers = _fresh_importing_org(engine, base)
            first, result = _post(base, headers, body)
            assert result["created"] == n, result
            again, result = _post(base, headers, body)
            assert result["unchanged"] == n, result
            firsts.append(first)
            agains.append(again)
            baselines.append(_core_baseline(engine, body))
    first, again, baseline = (statistics.median(x) for x in (firsts, agains, baselines))
    report.add(
        db,
        f"import {n:,} employees (CSV, API)",
        f"median {first * 1000:.0f} ms = {first / baseline:.2f}x executemany "
        f"({baseline * 1000:.0f} ms)",
        "<= 3x executemany",
        first / baseline <= 3,
    )
    report.add(
        db,
        f"re-import unchanged {n:,}",
        f"median {again * 1000:.0f} ms",
        "faster than first",
        again < first,
    )
    big = samples.employees_csv(10 * n)
    with uvicorn_server("app.main:app", workers=1, env=env, ready_path="/healthz") as base:
        headers = _fresh_importing_org(engine, base)
        elapsed, result = _post(base, headers, big)
        peak = peak_rss_mb(SERVER_PIDS[base])
    report.add(
        db,
        f"import {10 * n:,} employees: server peak RSS",
        f"{peak:.0f} MB ({elapsed:.1f} s, {result['created']:,} created)",
        "< 500 MB",
        peak < 500,
    )
