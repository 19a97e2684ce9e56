"""Soak: the served app under many connections on a mix of reads (issue #14 item 7).

The app is served exactly as ``veerkracht serve`` serves it (bench/serve.py), with one
then two workers, and wrk holds 64 then 256 connections open for ``--soak-duration``
seconds each (``--timeout 30s``). Every connection rotates over the reads a client of
the API makes most:

  GET /v1/employees?limit=100               the first page
  GET /v1/employees?team_id=...&limit=100   a team's page (rotating over teams)
  GET /v1/employees/{id}                    one employee (rotating over employees)
  GET /v1/teams?limit=100                   the first page of teams

Targets: no answer outside 2xx, no socket error or timeout, p99 under 1 s at 64
connections. After each run /healthz is timed once, to see whether the server recovered.
"""

import argparse
import os
import time
from dataclasses import dataclass

import httpx

from bench import data
from bench.load import LoadResult, run_wrk
from bench.servers import SERVER_PIDS, log_tail, uvicorn_server

P99_TARGET_MS = 1000.0
P99_TARGET_CONNECTIONS = 64
ROTATION = 50  # teams and employees the mix rotates over


@dataclass
class SoakRow:
    db: str
    workers: int
    connections: int
    duration: int
    result: LoadResult | None
    healthz_ms: float | None
    note: str = ""
    log: str = ""  # the end of the server's stderr, kept when the run missed a target

    def met(self) -> bool:
        r = self.result
        if r is None:
            return False
        p99_ok = self.connections > P99_TARGET_CONNECTIONS or r.p99_ms < P99_TARGET_MS
        return p99_ok and r.non_2xx == 0 and r.socket_errors == 0 and r.timeouts == 0


def mix(org: data.BenchOrg) -> list[str]:
    """The rotation of paths: first page, a team's page, one employee, the teams."""
    teams = org.team_ids[:ROTATION]
    staff = org.staff_ids[:: max(1, len(org.staff_ids) // ROTATION)][:ROTATION]
    out = []
    for i in range(ROTATION):
        out += [
            "/v1/employees?limit=100",
            f"/v1/employees?team_id={teams[i % len(teams)]}&limit=100",
            f"/v1/employees/{staff[i % len(staff)]}",
            "/v1/teams?limit=100",
        ]
    return out


def _healthz_ms(base: str) -> float | None:
    started = time.perf_counter()
    try:
        httpx.get(base + "/healthz", timeout=30).raise_for_status()
    except httpx.HTTPError:
        return None
    return (time.perf_counter() - started) * 1000


def soak_benchmark(
    db: str, url: str, org: data.BenchOrg, args: argparse.Namespace
) -> list[SoakRow]:
    env = {"VEERKRACHT_DATABASE_URL": url, "VEERKRACHT_LOG_LEVEL": "WARNING"}
    paths = mix(org)
    rows = []
    for workers in (1, 2):
        with uvicorn_server(
            "app.main:app", workers=workers, env=env, ready_path="/healthz"
        ) as base:
            headers = {"Authorization": f"Bearer {org.admin_key}"}
            refused = []
            for path in paths[:4]:
                r = httpx.get(base + path, headers=headers, timeout=30)
                if r.status_code != 200:
                    refused.append(f"{path} {r.status_code}")
            for connections in args.soak_connections:
                result = run_wrk(
                    base,
                    key=org.admin_key,
                    duration=args.soak_duration,
                    connections=connections,
                    paths=paths,
                    count_statuses=True,
                )
                note = "; ".join(refused)
                pid = SERVER_PIDS.get(base)
                if pid is not None and not os.path.exists(f"/proc/{pid}"):
                    note = (note + "; " if note else "") + "server exited"
                row = SoakRow(
                    db, workers, connections, args.soak_duration, result, _healthz_ms(base), note
                )
                failed = result.non_2xx or result.socket_errors or result.timeouts
                if failed or row.healthz_ms is None or note:
                    row.log = log_tail(base, 30)
                rows.append(row)
    return rows


def print_soak(rows: list[SoakRow]) -> None:
    if not rows:
        return
    head = [
        ("db", 8),
        ("workers", 7),
        ("conns", 5),
        ("secs", 4),
        ("req/s", 8),
        ("p50 ms", 8),
        ("p99 ms (< 1000 @64)", 19),
        ("max ms", 8),
        ("non-2xx (0)", 11),
        ("sock err/timeout (0)", 20),
        ("healthz ms", 10),
        ("met", 4),
    ]
    print()
    print(f"Soak: mix of 4 reads (bench/soak.py), wrk --timeout 30s, {rows[0].duration} s per run")
    print("  ".join(h.ljust(w) for h, w in head))
    print("  ".join("-" * w for _, w in head))
    for row in rows:
        r = row.result
        health = "STALLED" if row.healthz_ms is None else f"{row.healthz_ms:.1f}"
        cells = [row.db, str(row.workers), str(row.connections), str(row.duration)]
        if r is None:
            cells += ["-"] * 6 + [health]
        else:
            cells += [
                f"{r.rps:,.0f}",
                f"{r.p50_ms:.1f}",
                f"{r.p99_ms:.1f}",
                f"{r.max_ms:.1f}",
                str(r.non_2xx),
                f"{r.socket_errors}/{r.timeouts}",
                health,
            ]
        cells.append("yes" if row.met() else "NO")
        print("  ".join(c.ljust(w) for c, (_, w) in zip(cells, head, strict=True)))
        extra = []
        if r is not None and any(not 200 <= s < 300 for s in r.statuses):
            extra.append(
                "statuses: " + ", ".join(f"{s} x{n}" for s, n in sorted(r.statuses.items()))
            )
        if row.note:
            extra.append(row.note)
        for line in extra:
            print(f"    {line}")
        if row.log:
            print("    the server's stderr ended with:")
            for line in row.log.rstrip().splitlines():
                print(f"      {line}")
