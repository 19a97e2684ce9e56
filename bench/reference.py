"""The app against the same reads written by hand (bench/by_hand.py): issue #16 item 1.

The app, the by-hand reference and the framework-only ceiling (bench/ceiling.py, serving
each read's own body) are served side by side, one worker each, and measured in turn with
32 wrk connections, ``--repeat`` interleaved rounds. Per read and database two lines:
``app/by-hand`` with its target, then ``app/ceiling`` (what FastAPI and uvicorn alone
allow). Each ratio is the median of the rounds' ratios, each round's runs being adjacent.
Then one line per ``VARIANTS``: the app against itself with one design choice switched
off (the async read path on PostgreSQL, the row-version cache), served beside it, so each
choice's gain is measured in the same rounds. Last, in-process, a page written as JSON by
the database against the same page through pydantic.

Before measuring, the by-hand body of one employee must have the app's JSON keys (the
bench stops otherwise); differing values or pages are reported on stderr.
"""

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.core.tenancy import bind_organisation
from app.organisation import service as organisation_service
from app.organisation.models import Employee, EmployeePublic
from bench import data
from bench.load import LoadResult, run_wrk
from bench.servers import log_tail, uvicorn_server

CONNECTIONS = 32


@dataclass(frozen=True)
class Read:
    name: str
    path: str
    target: float  # app/by-hand at least


def reads(org: data.BenchOrg) -> list[Read]:
    staff = org.staff_ids[len(org.staff_ids) // 2]
    return [
        Read("one employee", f"/v1/employees/{staff}", 0.7),
        Read("team page (100)", f"/v1/employees?team_id={org.team_ids[0]}&limit=100", 0.7),
        Read("first page (100)", "/v1/employees?limit=100", 0.9),
    ]


def _differences(app: Any, hand: Any, where: str = "") -> list[str]:
    if isinstance(app, dict) and isinstance(hand, dict):
        out = []
        if list(app) != list(hand):
            out.append(f"{where or '/'}: keys {list(app)} != {list(hand)}")
        for k in app.keys() & hand.keys():
            out += _differences(app[k], hand[k], f"{where}/{k}")
        return out
    if isinstance(app, list) and isinstance(hand, list):
        if len(app) != len(hand):
            return [f"{where}: {len(app)} items != {len(hand)}"]
        return [
            d
            for i, (a, h) in enumerate(zip(app, hand, strict=True))
            for d in _differences(a, h, f"{where}/{i}")
        ]
    return [] if app == hand else [f"{where}: {app!r} != {hand!r}"]


def check_same_json(app_base: str, hand_base: str, key: str, rs: list[Read]) -> dict[str, bytes]:
    """Each read's app body; stops the bench when the by-hand employee has other keys."""
    headers = {"Authorization": f"Bearer {key}"}
    bodies = {}
    for r in rs:
        a = httpx.get(app_base + r.path, headers=headers, timeout=30)
        h = httpx.get(hand_base + r.path, headers=headers, timeout=30)
        if a.status_code != 200 or h.status_code != 200:
            raise SystemExit(
                f"reference: {r.path}: app {a.status_code} {a.text[:300]!r}, "
                f"by-hand {h.status_code} {h.text[:300]!r}\n"
                f"app's log:\n{log_tail(app_base)}by-hand's log:\n{log_tail(hand_base)}"
            )
        app_json, hand_json = a.json(), h.json()
        if r.name == "one employee" and sorted(app_json) != sorted(hand_json):
            raise SystemExit(
                "reference: the by-hand employee's JSON keys differ from the app's:\n"
                f"  app:     {sorted(app_json)}\n  by-hand: {sorted(hand_json)}"
            )
        for d in _differences(app_json, hand_json)[:5]:
            print(f"  reference WARNING, {r.name}: app and by-hand differ at {d}", file=sys.stderr)
        bodies[r.name] = a.content
    return bodies


@dataclass(frozen=True)
class Variant:
    """The app with one design choice switched off, served beside it: what the choice gains."""

    name: str  # the line's label: "with / without"
    env: dict[str, str]
    postgres_only: bool = False


VARIANTS = (
    Variant("async reads / thread reads", {"VEERKRACHT_DB_ASYNC_READS": "false"}, True),
    Variant("row cache / none", {"VEERKRACHT_ROW_CACHE_ENTRIES": "0"}),
)


def _ratio(runs: list[LoadResult], others: list[LoadResult]) -> float:
    # Each round's runs are adjacent: the median of the rounds' ratios.
    return statistics.median(a.rps / b.rps for a, b in zip(runs, others, strict=True))


def reference_benchmark(
    report: Any, db: str, url: str, engine: Engine, org: data.BenchOrg, args: argparse.Namespace
) -> None:
    """Rows ``app/by-hand``, ``app/ceiling`` and each variant's gain per read, for this database."""
    env = {"VEERKRACHT_DATABASE_URL": url, "VEERKRACHT_LOG_LEVEL": "WARNING"}
    rs = reads(org)
    variants = [v for v in VARIANTS if db == "postgres" or not v.postgres_only]
    with contextlib.ExitStack() as stack:

        def serve(target: str, extra: dict[str, str], ready: str = "/healthz") -> str:
            return stack.enter_context(
                uvicorn_server(target, workers=1, env={**env, **extra}, ready_path=ready)
            )

        app_base = serve("app.main:app", {})
        hand_base = serve("bench.by_hand:app", {"VEERKRACHT_BENCH_KEY": org.admin_key})
        variant_bases = {v.name: serve("app.main:app", v.env) for v in variants}
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="veerkracht-ceiling-"))
        bodies = check_same_json(app_base, hand_base, org.admin_key, rs)
        files = {}
        for i, r in enumerate(rs):
            files[r.name] = f"read{i}.json"
            (Path(tmp) / files[r.name]).write_bytes(bodies[r.name])
        ceiling_base = serve(
            "bench.ceiling:app",
            {
                "VEERKRACHT_BENCH_CEILING_BODY": str(Path(tmp) / files[rs[0].name]),
                "VEERKRACHT_BENCH_CEILING_DIR": tmp,
            },
            ready="/ceiling",
        )
        results: dict[tuple[str, str], list[LoadResult]] = {}
        for _ in range(args.repeat):
            for r in rs:
                urls = {
                    "app": app_base + r.path,
                    "by-hand": hand_base + r.path,
                    "ceiling": f"{ceiling_base}/ceiling/{files[r.name]}",
                    **{name: base + r.path for name, base in variant_bases.items()},
                }
                for side, side_url in urls.items():
                    res = run_wrk(
                        side_url, key=org.admin_key, duration=args.duration, connections=CONNECTIONS
                    )
                    results.setdefault((r.name, side), []).append(res)
    for r in rs:
        runs = {side: rounds for (name, side), rounds in results.items() if name == r.name}
        rps = {side: statistics.median(x.rps for x in rounds) for side, rounds in runs.items()}
        errors = {side: sum(x.non_2xx for x in rounds) for side, rounds in runs.items()}
        bad = ", ".join(f"{side} NON-2XX {n}" for side, n in errors.items() if n)
        vs_hand = _ratio(runs["app"], runs["by-hand"])
        report.add(
            db,
            f"app/by-hand: {r.name}, 1w {CONNECTIONS}c",
            f"{rps['app']:,.0f} / {rps['by-hand']:,.0f} req/s = {vs_hand:.2f}"
            + (f" {bad}" if bad else ""),
            f">= {r.target}",
            vs_hand >= r.target and not bad,
        )
        for side, label in [("ceiling", "app/ceiling (framework)")] + [
            (v.name, v.name) for v in variants
        ]:
            report.add(
                db,
                f"  {label}: {r.name}",
                f"{rps['app']:,.0f} / {rps[side]:,.0f} req/s"
                f" = {_ratio(runs['app'], runs[side]):.2f}",
            )
    by_database, by_pydantic = serialisation_benchmark(engine, org)
    report.add(
        db,
        "  JSON by database / pydantic: 100 employees, in-process",
        f"{by_database:,.0f} / {by_pydantic:,.0f} us = {by_database / by_pydantic:.2f}",
    )


def serialisation_benchmark(
    engine: Engine, org: data.BenchOrg, rounds: int = 9
) -> tuple[float, float]:
    """In-process: the same 100 employees in one query each, as JSON written by the
    database (core/sqljson.py, what a page's cache misses ask for) and through pydantic
    (ORM rows, ``EmployeePublic.model_validate(..., from_attributes=True)``, ``dump_json``),
    alternately; the medians in microseconds.
    """
    adapter = TypeAdapter(list[EmployeePublic])

    def by_database(db: Session) -> bytes:
        texts = db.exec(
            select(organisation_service.employee_json(db))
            .select_from(Employee)
            .order_by(col(Employee.id))
            .limit(100)
        ).all()
        return ("[" + ",".join(texts) + "]").encode()

    def by_pydantic(db: Session) -> bytes:
        rows = db.exec(select(Employee).order_by(col(Employee.id)).limit(100)).all()
        return adapter.dump_json(
            [EmployeePublic.model_validate(r, from_attributes=True) for r in rows]
        )

    timings: dict[str, list[float]] = {"database": [], "pydantic": []}
    with Session(engine) as db:
        bind_organisation(db, org.org_id)
        assert json.loads(by_database(db)) == json.loads(by_pydantic(db))
        for _ in range(rounds):
            for name, fn in (("database", by_database), ("pydantic", by_pydantic)):
                runs = []
                for _ in range(50):
                    start = time.perf_counter()
                    fn(db)
                    runs.append(time.perf_counter() - start)
                    db.rollback()
                timings[name].append(statistics.median(runs) * 1e6)
    return statistics.median(timings["database"]), statistics.median(timings["pydantic"])
