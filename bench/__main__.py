"""Run every benchmark and print one table with the targets: ``./dev bench``.

  ./dev bench                       SQLite and PostgreSQL (when 127.0.0.1:5432 answers)
  ./dev bench --db sqlite --quick   a short run for a first look
  ./dev bench --only soak           parts: plan,import,incidents,http,reference,soak,changes,
                                    pages
  ./dev bench --only soak --soak-duration 60 --soak-connections 64,256,512

Each HTTP figure is the median of ``--repeat`` wrk runs, interleaved with the ceiling app
in the same run, because machines here are shared and noisy: compare ratios, not seconds.
``reference`` sets the app beside the same reads written by hand (bench/reference.py);
``soak`` holds many connections on a mix of reads and prints its own table (bench/soak.py).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.core import migrate
from app.core.engine import make_engine
from bench import data
from bench.load import LoadResult, ensure_wrk, run_wrk
from bench.servers import uvicorn_server
from bench.soak import SoakRow, print_soak, soak_benchmark

PG_SERVER = os.environ.get(
    "VEERKRACHT_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Row:
    """One line of the result table."""

    db: str
    name: str
    figure: str
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, *args: object, **kw: object) -> None:
        self.rows.append(Row(*args, **kw))  # type: ignore[arg-type]

    def print(self) -> None:
        widths = [8, 44, 46, 22, 5]
        head = ["db", "measure", "figure", "target", "met"]
        print()
        print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for r in self.rows:
            met = "" if r.met is None else ("yes" if r.met else "NO")
            print(
                "  ".join(
                    str(v).ljust(w)
                    for v, w in zip([r.db, r.name, r.figure, r.target, met], widths, strict=True)
                )
            )


@contextmanager
def database(kind: str) -> Iterator[tuple[str, Engine]]:
    """A fresh, migrated database of this kind; removed afterwards."""
    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="veerkracht-bench-")
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        migrate.upgrade(engine)
        try:
            yield url, engine
        finally:
            engine.dispose()
        return
    server = make_url(PG_SERVER)
    name = f"veerkracht_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        yield url, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_available() -> bool:
    try:
        eng = create_engine(make_url(PG_SERVER))
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:
        return False


@dataclass
class Endpoint:
    name: str
    path: str
    method: str = "GET"
    body: str | None = None
    # A latency target is measured one request at a time; throughput under 8 connections
    # per worker would report the queue, not the report's own time.
    connections: int | None = None
    report: bool = False


def endpoints(org: data.BenchOrg) -> list[Endpoint]:
    """The endpoints issue 9 names, addressed in the generated organisation."""
    big_team = org.team_ids[0]
    staff = org.staff_ids[len(org.staff_ids) // 2]
    out = [
        Endpoint("list employees of a team (100)", f"/v1/employees?team_id={big_team}&limit=100"),
        Endpoint("get one employee", f"/v1/employees/{staff}"),
        Endpoint("training record of one employee", f"/v1/employees/{staff}/training-record"),
    ]
    session_id = org.extras.get("check_session_id")
    if session_id:
        out.append(
            Endpoint(
                "enrolment check",
                f"/v1/training-sessions/{session_id}/enrolments/check",
                method="POST",
                body=json.dumps({"employee_id": str(staff)}),
            )
        )
    # Reports and status pages (issue 16): each measured one request at a time. The change
    # feed is read by the `changes` part (events per second over a populated outbox): the
    # data generated here bypasses the outbox, so its feed would be empty.
    for name, path in (
        ("overview report", "/v1/reports/overview"),
        ("teams report", "/v1/reports/teams"),
        ("protocol readiness", "/v1/protocols/current/readiness"),
        ("refreshers due", "/v1/reports/refreshers-due"),
        ("HRM-theme gaps", "/v1/reports/hrm-theme-gaps"),
        ("employee status page (100)", "/v1/employee-status?limit=100"),
    ):
        out.append(Endpoint(name, path, connections=1, report=True))
    return out


def available(base: str, key: str, ep: Endpoint) -> bool:
    headers = {"Authorization": f"Bearer {key}"}
    if ep.body:
        headers["Content-Type"] = "application/json"
    r = httpx.request(ep.method, base + ep.path, headers=headers, content=ep.body, timeout=30)
    if r.status_code >= 300:
        print(f"  {ep.name}: {r.status_code} {r.text[:300]}", file=sys.stderr)
    return r.status_code < 300


def measure_http(
    report: Report, db: str, url: str, org: data.BenchOrg, args: argparse.Namespace
) -> None:
    """wrk against the app and the ceiling, one worker then two, medians of interleaved runs."""
    env = {"VEERKRACHT_DATABASE_URL": url, "VEERKRACHT_LOG_LEVEL": "WARNING"}
    eps = endpoints(org)
    for workers in (1, 2):
        conns = 8 * workers
        with uvicorn_server(
            "app.main:app", workers=workers, env=env, ready_path="/healthz"
        ) as base:
            list_body = httpx.get(
                base + eps[0].path, headers={"Authorization": f"Bearer {org.admin_key}"}
            ).content
            body_file = Path(tempfile.mkstemp(suffix=".json")[1])
            body_file.write_bytes(list_body)
            live = [ep for ep in eps if available(base, org.admin_key, ep)]
            with uvicorn_server(
                "bench.ceiling:app",
                workers=workers,
                env={"VEERKRACHT_BENCH_CEILING_BODY": str(body_file)},
                ready_path="/ceiling",
            ) as ceiling_base:
                results: dict[str, list[LoadResult]] = {}
                for _ in range(args.repeat):
                    for name, target_url, ep in [
                        ("ceiling", ceiling_base + "/ceiling", None),
                        *[(e.name, base + e.path, e) for e in live],
                    ]:
                        res = run_wrk(
                            target_url,
                            key=org.admin_key,
                            duration=args.duration,
                            connections=(ep.connections if ep and ep.connections else conns),
                            method=ep.method if ep else "GET",
                            json_body=ep.body if ep else None,
                        )
                        results.setdefault(name, []).append(res)
            ceiling_rps = statistics.median(r.rps for r in results["ceiling"])
            report.add(
                db,
                f"ceiling, {workers} worker(s), {len(list_body)} B body",
                f"{ceiling_rps:,.0f} req/s",
            )
            for ep in eps:
                if ep.name not in results:
                    report.add(db, f"{ep.name}, {workers}w", "endpoint not available")
                    continue
                rs = results[ep.name]
                rps = statistics.median(r.rps for r in rs)
                p50 = statistics.median(r.p50_ms for r in rs)
                p99 = statistics.median(r.p99_ms for r in rs)
                errors = sum(r.non_2xx for r in rs)
                ratio = rps / ceiling_rps
                figure = f"{rps:,.0f} req/s ({ratio:.2f}x) p50 {p50:.1f} p99 {p99:.1f} ms"
                if errors:
                    figure += f" NON-2XX {errors}"
                target, met = "", None
                if ep.name.startswith("list employees"):
                    target, met = ">= 0.5x ceiling", ratio >= 0.5 and not errors
                elif ep.name == "get one employee":
                    target, met = ">= 0.6x ceiling", ratio >= 0.6 and not errors
                elif ep.report:
                    target, met = "median < 100 ms", p50 < 100 and not errors
                if ep.connections:
                    figure += f" ({ep.connections} connection)"
                report.add(db, f"{ep.name}, {workers}w", figure, target, met)
            body_file.unlink(missing_ok=True)


EXTRA_BENCHMARKS: list[
    Callable[[Report, str, str, Engine, data.BenchOrg, argparse.Namespace], None]
] = []

PARTS = ("plan", "import", "incidents", "http", "reference", "soak", "changes", "pages")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./dev bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=400)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per figure")
    parser.add_argument("--quick", action="store_true", help="2 s runs, 1 repeat, 5 s soak runs")
    parser.add_argument("--skip-http", action="store_true", help="only plan and import figures")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"parts to run, of {','.join(PARTS)}"
    )
    parser.add_argument(
        "--soak-duration", type=int, default=None, help="seconds per soak run (default 30)"
    )
    parser.add_argument("--soak-connections", default="64,256", help="wrk connections per soak run")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.repeat = 2, 1
    if args.soak_duration is None:
        args.soak_duration = 5 if args.quick else 30
    args.soak_connections = [int(c) for c in args.soak_connections.split(",")]
    parts = set(args.only.split(","))
    if parts - set(PARTS):
        parser.error(f"--only: unknown {sorted(parts - set(PARTS))}; choose from {PARTS}")
    if args.skip_http:
        parts -= {"http", "reference", "soak"}
    ensure_wrk()
    from bench.changes import changes_benchmark
    from bench.extra import import_benchmark, plan_benchmark
    from bench.incidents import incidents_benchmark
    from bench.pages import pages_benchmark
    from bench.reference import reference_benchmark

    EXTRA_BENCHMARKS[:] = [
        bench
        for name, bench in [
            # First: its organisations' audit trails must be the table's only rows.
            ("pages", pages_benchmark),
            ("plan", plan_benchmark),
            ("import", import_benchmark),
            ("incidents", incidents_benchmark),
            ("reference", reference_benchmark),
            ("changes", changes_benchmark),
        ]
        if name in parts
    ]
    report = Report()
    soak_rows: list[SoakRow] = []
    for db in args.db.split(","):
        if db == "postgres" and not postgres_available():
            report.add(db, "all", f"skipped: no PostgreSQL at {PG_SERVER}")
            continue
        with database(db) as (url, engine):
            org = data.generate(engine, employees=args.employees, teams=args.teams)
            print(f"[{db}] generated {len(org.employee_ids)} employees", file=sys.stderr)
            for bench in EXTRA_BENCHMARKS:
                bench(report, db, url, engine, org, args)
            if "http" in parts:
                measure_http(report, db, url, org, args)
            if "soak" in parts:
                soak_rows += soak_benchmark(db, url, org, args)
    if report.rows:
        report.print()
    print_soak(soak_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
