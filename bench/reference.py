"""The app against the same reads written by hand (bench/by_hand.py): issue #16 item 1.

The app, the by-hand reference and the framework-only ceiling (bench/ceiling.py, serving
each read's own body) are served side by side, one worker each, and measured in turn with
32 wrk connections, ``--repeat`` interleaved rounds. Per read and database two lines:
``app/by-hand`` with its target, then ``app/ceiling`` (what FastAPI and uvicorn alone
allow). Each ratio is the median of the rounds' ratios, each round's runs being adjacent.

Before measuring, the by-hand body of one employee must have the app's JSON keys (the
bench stops otherwise); differing values or pages are reported on stderr.
"""

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from bench import data
from bench.load import LoadResult, run_wrk
from bench.servers import log_tail, uvicorn_server

CONNECTIONS = 32
SIDES = ("app", "by-hand", "ceiling")


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


def reference_benchmark(
    report: Any, db: str, url: str, _engine: Engine, org: data.BenchOrg, args: argparse.Namespace
) -> None:
    """Rows ``app/by-hand`` and ``app/ceiling`` per read, for this database."""
    env = {"VEERKRACHT_DATABASE_URL": url, "VEERKRACHT_LOG_LEVEL": "WARNING"}
    rs = reads(org)
    with (
        uvicorn_server("app.main:app", workers=1, env=env, ready_path="/healthz") as app_base,
        uvicorn_server(
            "bench.by_hand:app",
            workers=1,
            env={**env, "VEERKRACHT_BENCH_KEY": org.admin_key},
            ready_path="/healthz",
        ) as hand_base,
        tempfile.TemporaryDirectory(prefix="veerkracht-ceiling-") as tmp,
    ):
        bodies = check_same_json(app_base, hand_base, org.admin_key, rs)
        files = {}
        for i, r in enumerate(rs):
            files[r.name] = f"read{i}.json"
            (Path(tmp) / files[r.name]).write_bytes(bodies[r.name])
        ceiling_env = {
            "VEERKRACHT_BENCH_CEILING_BODY": str(Path(tmp) / files[rs[0].name]),
            "VEERKRACHT_BENCH_CEILING_DIR": tmp,
        }
        with uvicorn_server(
            "bench.ceiling:app", workers=1, env=ceiling_env, ready_path="/ceiling"
        ) as ceiling_base:
            results: dict[tuple[str, str], list[LoadResult]] = {}
            for _ in range(args.repeat):
                for r in rs:
                    urls = {
                        "app": app_base + r.path,
                        "by-hand": hand_base + r.path,
                        "ceiling": f"{ceiling_base}/ceiling/{files[r.name]}",
                    }
                    for side in SIDES:
                        res = run_wrk(
                            urls[side],
                            key=org.admin_key,
                            duration=args.duration,
                            connections=CONNECTIONS,
                        )
                        results.setdefault((r.name, side), []).append(res)
    for r in rs:
        app_runs, hand_runs, ceiling_runs = (results[(r.name, side)] for side in SIDES)
        rps = {side: statistics.median(x.rps for x in results[(r.name, side)]) for side in SIDES}
        vs_hand = statistics.median(a.rps / h.rps for a, h in zip(app_runs, hand_runs, strict=True))
        vs_ceiling = statistics.median(
            a.rps / c.rps for a, c in zip(app_runs, ceiling_runs, strict=True)
        )
        errors = {side: sum(x.non_2xx for x in results[(r.name, side)]) for side in SIDES}
        bad = ", ".join(f"{side} NON-2XX {n}" for side, n in errors.items() if n)
        figure = f"{rps['app']:,.0f} / {rps['by-hand']:,.0f} req/s = {vs_hand:.2f}"
        report.add(
            db,
            f"app/by-hand: {r.name}, 1w {CONNECTIONS}c",
            figure + (f" {bad}" if bad else ""),
            f">= {r.target}",
            vs_hand >= r.target and not bad,
        )
        report.add(
            db,
            f"  app/ceiling (framework): {r.name}",
            f"{rps['app']:,.0f} / {rps['ceiling']:,.0f} req/s = {vs_ceiling:.2f}",
        )
