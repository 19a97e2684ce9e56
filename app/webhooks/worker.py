"""``veerkracht worker``: delivers webhooks, writes time-based events, keeps the retention.

Each round: fan-out and one batch of deliveries (``delivery.run_once``); once a day (and at
the start) the employees whose end date has come are deactivated (issue 19) and the
time-based events written (``changes/timed.py``); once an hour the feed's purge.
Idle, it waits ``--interval`` seconds. Several workers may run against PostgreSQL (rows are
shared out with ``FOR UPDATE SKIP LOCKED``); run one on SQLite. SIGTERM stops it after the
current round; a kill at any moment loses nothing (the round's transaction is not
committed, and its deliveries are sent again).
"""

import argparse
import logging
import signal
import threading
from datetime import date, datetime, timedelta
from types import FrameType

import httpx
from sqlalchemy.exc import OperationalError

from app.changes import service as changes_service
from app.changes import timed
from app.cli import command
from app.core.config import get_settings
from app.core.dates import today
from app.core.engine import get_engine, new_session
from app.core.models import utcnow
from app.core.targets import pinned
from app.organisation import service as organisation_service
from app.webhooks.delivery import Sender, purge_log, run_once

log = logging.getLogger("veerkracht.worker")
PURGE_EVERY = timedelta(hours=1)
TIMEOUT_SECONDS = 10.0


def http_sender(client: httpx.Client) -> Sender:
    """POST with the client to the address checked for the URL (``targets.pinned``); the
    status code, or an exception when there is no answer (or the target is refused)."""

    def send(url: str, headers: dict[str, str], body: bytes) -> int:
        direct, extra, extensions = pinned(url)
        return client.post(
            direct, headers={**headers, **extra}, content=body, extensions=extensions
        ).status_code

    return send


def purge(now: datetime) -> int:
    """Delete feed events, and finished deliveries, older than the retention."""
    cutoff = now - timedelta(days=get_settings().change_retention_days)
    with new_session(get_engine()) as db:
        deleted = changes_service.purge(db, now=now) + purge_log(db, before=cutoff)
        db.commit()
    return deleted


def deactivate_ended(today: date) -> int:
    """Deactivate the employees whose end date (datum uit dienst) has come."""
    with new_session(get_engine()) as db:
        done = organisation_service.deactivate_ended(db, today=today)
        db.commit()
    return done


def announce(today: date) -> int:
    """Write the time-based events whose day has come (overdue, due, lapsed)."""
    with new_session(get_engine()) as db:
        written = timed.announce_due(db, today=today)
        db.commit()
    return written


def _worker_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true", help="one round until nothing is due, then exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds to wait when idle")
    p.add_argument("--batch", type=int, default=100, help="deliveries per transaction")


@command("worker", "deliver webhooks and purge the change feed (run one or more)", _worker_args)
def worker(args: argparse.Namespace) -> int:
    """``veerkracht worker``."""
    from app.cli import ensure_schema

    ensure_schema()
    stop = threading.Event()

    def on_term(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    last_purge: datetime | None = None
    last_day: date | None = None
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        send = http_sender(client)
        while not stop.is_set():
            now = utcnow()
            try:
                if last_purge is None or now - last_purge >= PURGE_EVERY:
                    log.info("purged", extra={"events": purge(now)})
                    last_purge = now
                if last_day != today():
                    day = today()
                    log.info("deactivated", extra={"employees": deactivate_ended(day)})
                    log.info("announced", extra={"events": announce(day)})
                    last_day = day
                tally = run_once(get_engine(), now=now, send=send, batch=args.batch)
            except OperationalError as exc:
                # The database went away, or chose this worker as a deadlock's victim: the
                # round rolled back (its deliveries stay due), and the next one tries again.
                log.warning("round failed; retrying", extra={"error": str(exc.orig)[:300]})
                stop.wait(args.interval)
                continue
            busy = tally.queued or tally.delivered or tally.failed_attempts
            if tally.disabled:
                log.warning(
                    "subscriptions disabled", extra={"ids": [str(i) for i in tally.disabled]}
                )
            if not busy:
                if args.once:
                    return 0
                stop.wait(args.interval)
    return 0
