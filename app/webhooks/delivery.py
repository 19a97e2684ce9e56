"""Delivering the feed to subscribers: fan-out, signed attempts, back-off, disabling.

``run_once`` is one round of ``veerkracht worker``:
1. **fan-out**: for each active subscription (locked ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so several workers share the work), the feed's visible events after its
   position become ``webhook_delivery`` rows, and the position moves, in one transaction;
2. **delivery**: due deliveries are locked the same way, POSTed with Standard Webhooks
   signatures, and their outcome written in that same transaction. A worker killed mid-batch
   commits nothing: the batch is due again and sent again (at-least-once; receivers
   deduplicate on ``webhook-id``).

A failed attempt (no answer, or not 2xx) is retried after ``backoff(attempts)``: 5 s,
20 s, 80 s, ... doubling twice each time, at most 12 h apart, for about three days
(``MAX_ATTEMPTS``). A delivery that exhausts them fails and disables its subscription; a
``410 Gone`` from the receiver disables it at once. Worker writes are Core statements on
the connection: bookkeeping, neither audited nor announced.
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.changes import service as changes_service
from app.changes.models import ChangeEvent
from app.core.engine import new_session
from app.core.ids import uuid7_many
from app.core.models import utcnow
from app.core.targets import TargetRefused, check_target
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.webhooks.signing import headers as signed_headers
from app.webhooks.signing import secrets_in_use

MAX_ATTEMPTS = 13
FIRST_RETRY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(hours=12)
FAN_OUT_BATCH = 500
ERROR_MAX = 500

_SUBS: sa.Table = WebhookSubscription.__table__  # type: ignore[attr-defined]
_DELIVERIES: sa.Table = WebhookDelivery.__table__  # type: ignore[attr-defined]

# (url, headers, body) -> the receiver's status code; raises OSError-like on no answer.
Sender = Callable[[str, dict[str, str], bytes], int]


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1-based)."""
    wait: timedelta = FIRST_RETRY * 4 ** (attempts - 1)
    return min(wait, LONGEST_WAIT)


@dataclass
class Tally:
    """What one round did (the bench and the logs read it)."""

    queued: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    disabled: list[uuid.UUID] = field(default_factory=list)


def _locked(stmt: sa.Select[Any], db: Session, of: sa.Table) -> sa.Select[Any]:
    """Lock the rows of ``of`` the statement returns, skipping those another worker holds
    (only ``of``: a delivery's subscription stays free for the other workers)."""
    if db.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True, of=of)
    return stmt  # SQLite: one writer at a time, and one worker


def fan_out(db: Session, *, now: datetime) -> int:
    """Turn new feed events into deliveries for every active subscription; commits."""
    conn = db.connection()
    subs = conn.execute(_locked(sa.select(_SUBS).where(_SUBS.c.active), db, _SUBS)).mappings().all()
    queued = 0
    for sub in subs:
        events = changes_service.events_after(
            db,
            organisation_id=sub["organisation_id"],
            after=(sub["after_txid"], sub["after_seq"]),
            types=sub["event_types"] or (),
            limit=FAN_OUT_BATCH,
        )
        if not events:
            continue
        # Time-ordered ids in the feed's order: deliveries due at the same moment go out
        # by id, so a receiver gets a row's changes in the order they were committed.
        ids = uuid7_many(len(events))
        conn.execute(
            sa.insert(_DELIVERIES),
            [
                {
                    "id": delivery_id,
                    "created_at": now,
                    "updated_at": now,
                    "organisation_id": sub["organisation_id"],
                    "subscription_id": sub["id"],
                    "event_id": e.id,
                    "event_type": e.type,
                    "payload": None,
                    "status": DeliveryStatus.pending.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for delivery_id, e in zip(ids, events, strict=True)
            ],
        )
        last = events[-1]
        conn.execute(
            sa.update(_SUBS)
            .where(_SUBS.c.id == sub["id"])
            .values(after_txid=last.txid, after_seq=last.seq)
        )
        queued += len(events)
    db.commit()
    return queued


def _document(db: Session, delivery: Any) -> dict[str, Any] | None:
    """The body of a delivery: the ping's own, or the event as the feed shows it now."""
    if delivery["payload"] is not None:
        return dict(delivery["payload"])
    event = db.exec(select(ChangeEvent).where(col(ChangeEvent.id) == delivery["event_id"])).first()
    return changes_service.event_document(event) if event is not None else None


def deliver_due(db: Session, *, now: datetime, send: Sender, batch: int = 100) -> Tally:
    """Send one batch of due deliveries and record the outcomes; commits."""
    tally = Tally()
    conn = db.connection()
    due = (
        conn.execute(
            _locked(
                sa.select(
                    _DELIVERIES,
                    _SUBS.c.url,
                    _SUBS.c.secret,
                    _SUBS.c.previous_secret,
                    _SUBS.c.previous_secret_expires_at,
                    _SUBS.c.failure_streak,
                )
                .join(_SUBS, _SUBS.c.id == _DELIVERIES.c.subscription_id)
                .where(
                    _DELIVERIES.c.status == DeliveryStatus.pending.value,
                    _DELIVERIES.c.next_attempt_at <= now,
                    _SUBS.c.active,
                )
                .order_by(_DELIVERIES.c.next_attempt_at, _DELIVERIES.c.id)
                .limit(batch),
                db,
                _DELIVERIES,
            )
        )
        .mappings()
        .all()
    )
    outcomes: list[tuple[Any, int | None, str | None]] = []
    for delivery in due:
        document = _document(db, delivery)
        if document is None:  # purged by the retention: nothing left to send
            conn.execute(
                sa.update(_DELIVERIES)
                .where(_DELIVERIES.c.id == delivery["id"])
                .values(
                    status=DeliveryStatus.failed.value,
                    next_attempt_at=None,
                    last_error="the event is no longer kept (retention)",
                    updated_at=now,
                )
            )
            continue
        body = json.dumps(document, separators=(",", ":")).encode()
        # Signed with the attempt's own time, not the round's (``now``): receivers refuse a
        # timestamp older than their tolerance (Standard Webhooks: five minutes), and slow
        # receivers earlier in a batch of a hundred would age the later ones past it.
        signed_at = utcnow()
        sig = signed_headers(
            secrets_in_use(
                delivery["secret"],
                delivery["previous_secret"],
                delivery["previous_secret_expires_at"],
                now=signed_at,
            ),
            msg_id=str(delivery["event_id"]),
            timestamp=int(signed_at.timestamp()),
            body=body,
        )
        try:
            check_target(delivery["url"])
            outcomes.append((delivery, send(delivery["url"], sig, body), None))
        except TargetRefused as exc:
            outcomes.append((delivery, None, f"target refused: {exc}"))
        except Exception as exc:
            outcomes.append((delivery, None, f"{type(exc).__name__}: {exc}"[:ERROR_MAX]))
    _record(db, outcomes, now=now, tally=tally)
    db.commit()
    return tally


def _record(
    db: Session, outcomes: list[tuple[Any, int | None, str | None]], *, now: datetime, tally: Tally
) -> None:
    conn = db.connection()
    # The deliveries first (this worker's own rows, locked since the claim), then each
    # subscription once, in id order: workers whose batches share subscriptions lock them
    # in the same order, never each waiting for the other's (a deadlock on PostgreSQL).
    streaks: dict[Any, _Streak] = {}
    for delivery, code, error in outcomes:
        streak = streaks.setdefault(delivery["subscription_id"], _Streak())
        common = {
            "attempts": delivery["attempts"] + 1,
            "last_attempt_at": now,
            "updated_at": now,
            "last_status_code": code,
            "last_error": error,
        }
        if code is not None and 200 <= code < 300:
            conn.execute(
                sa.update(_DELIVERIES)
                .where(_DELIVERIES.c.id == delivery["id"])
                .values(status=DeliveryStatus.delivered.value, next_attempt_at=None, **common)
            )
            streak.reset, streak.failures = True, 0
            tally.delivered += 1
            continue
        tally.failed_attempts += 1
        attempts = common["attempts"]
        exhausted = attempts >= MAX_ATTEMPTS
        conn.execute(
            sa.update(_DELIVERIES)
            .where(_DELIVERIES.c.id == delivery["id"])
            .values(
                status=(DeliveryStatus.failed if exhausted else DeliveryStatus.pending).value,
                next_attempt_at=None if exhausted else now + backoff(attempts),
                **common,
            )
        )
        streak.failures += 1
        if code == 410:
            streak.disabled = "The receiver answered 410 Gone."
        elif exhausted:
            streak.disabled = f"Deliveries failed for {MAX_ATTEMPTS} attempts over three days."
    for sub_id in sorted(streaks):
        streak = streaks[sub_id]
        # A success in the batch restarts the count: the failures after the last one.
        base = 0 if streak.reset else _SUBS.c.failure_streak
        values: dict[str, Any] = {"failure_streak": base + streak.failures}
        if streak.disabled is not None:
            values.update(active=False, disabled_reason=streak.disabled, updated_at=now)
            tally.disabled.append(sub_id)
        conn.execute(sa.update(_SUBS).where(_SUBS.c.id == sub_id).values(**values))


@dataclass
class _Streak:
    """What a batch's attempts did to one subscription's failure streak."""

    reset: bool = False  # a delivery succeeded
    failures: int = 0  # failed attempts since (or in all, without a success)
    disabled: str | None = None  # why it is switched off, if it is


def purge_log(db: Session, *, before: datetime) -> int:
    """Delete finished deliveries (delivered or failed) last changed before ``before``."""
    result = db.connection().execute(
        sa.delete(_DELIVERIES).where(
            _DELIVERIES.c.status != DeliveryStatus.pending.value,
            _DELIVERIES.c.updated_at < before,
        )
    )
    return int(result.rowcount or 0)


def run_once(engine: Engine, *, now: datetime, send: Sender, batch: int = 100) -> Tally:
    """One round of the worker: fan-out, then one batch of deliveries."""
    with new_session(engine) as db:
        queued = fan_out(db, now=now)
    with new_session(engine) as db:
        tally = deliver_due(db, now=now, send=send, batch=batch)
    tally.queued = queued
    return tally
