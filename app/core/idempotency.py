"""``Idempotency-Key`` on every POST (API.md, "Retries"): safe retries for scripts.

A pure-ASGI middleware, so every POST route of every domain gets it without a line of
its own. A POST that carries the header is fingerprinted (SHA-256 of method, path with
query and body) and claimed in ``idempotency_key`` for the caller's organisation, in a
short transaction of its own that commits before the request runs, so a concurrent
retry sees it:

- first time: the request runs; its response (any status below 500) is stored for 24 h,
  and only then sent: a retry that starts after the client has its answer is a replay;
- same key, same request, finished: the stored response is replayed (same status, body
  and headers, plus ``Idempotent-Replayed: true``); nothing runs again;
- same key, different method/path/body: 422 ``idempotency-key-reused`` (a JSON body is
  compared as the document it means, so spacing and key order do not matter);
- same key while the first is still running: 409 ``idempotency-key-in-use`` with
  ``Retry-After: 1`` at once (it does not wait: a caller can tell "still running" from
  "done" and its retry a second later gets the replay);
- a 5xx or a crash releases the key, so the retry runs for real.

A claim left ``running`` by a process that died is taken over after ``STALE_AFTER``. Keys
belong to the organisation of the API key; a request whose key does not authenticate
passes through untouched (the route answers 401).
"""

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Column, Field, Session, SQLModel, UniqueConstraint
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.auth import authenticate
from app.core.db import Database
from app.core.errors import PROBLEM_JSON, DomainError, Unauthorized, problem_body, send_problem
from app.core.ids import uuid7
from app.core.models import UTCDateTime, id_field, utcnow
from app.core.problems import ProblemCode

log = logging.getLogger("veerkracht.idempotency")

HEADER = b"idempotency-key"
REPLAYED_HEADER = (b"idempotent-replayed", b"true")
TTL = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=15)
KEY_MAX = 255
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
RUNNING, DONE = "running", "done"


class IdempotencyRecord(SQLModel, table=True):
    """A POST seen with an ``Idempotency-Key``: its fingerprint and, once done, its response."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("organisation_id", "key"),
        sa.Index("ix_idempotency_key_organisation_id_expires_at", "organisation_id", "expires_at"),
    )

    id: uuid.UUID = id_field()
    organisation_id: uuid.UUID = Field(
        sa_column=Column(
            sa.Uuid, sa.ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False
        )
    )
    key: str = Field(max_length=KEY_MAX)
    request_hash: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=2000)
    state: str = Field(max_length=16)
    status_code: int | None = None
    response_headers: list[list[str]] | None = Field(
        default=None, sa_column=Column(sa.JSON, nullable=True)
    )
    response_body: bytes | None = Field(
        default=None, sa_column=Column(sa.LargeBinary, nullable=True)
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    locked_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


_T = IdempotencyRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Claimed:
    record_id: uuid.UUID


@dataclass(frozen=True)
class _Replay:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(frozen=True)
class _Refused:
    status: int
    code: ProblemCode
    detail: str


_Decision = _Claimed | _Replay | _Refused | None


# --- storage ----------------------------------------------------------------------------
# Each step is a short unit of work of its own (core/db.Database): the claim commits before
# the request runs, so a concurrent retry sees it; the answer is stored before it is sent.


def _insert(db: Session) -> Any:
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(_T)
    if dialect == "sqlite":
        return sqlite.insert(_T)
    raise RuntimeError(f"idempotency needs ON CONFLICT support, not {dialect}")


def _decide(row: Any, fingerprint: str) -> _Decision:
    if row.request_hash != fingerprint:
        return _Refused(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was used for a different request (method, path or body); "
            "use a new key for a new request.",
        )
    if row.state == DONE:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in row.response_headers]
        return _Replay(row.status_code, headers, row.response_body or b"")
    return _Refused(
        409,
        "idempotency-key-in-use",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    )


def _look(db: Session, org_id: uuid.UUID, key: str) -> Any:
    return db.execute(select(_T).where(_T.c.organisation_id == org_id, _T.c.key == key)).first()


async def _claim(
    database: Database, scope: Scope, token: str | None, key: str, fingerprint: str
) -> _Decision:
    try:
        org_id = (await authenticate(database, token)).organisation_id
    except Unauthorized:
        return None
    row = await database.read(_look, org_id, key)
    now = utcnow()
    if row is not None and row.expires_at > now:
        decision = _decide(row, fingerprint)
        stale = row.state == RUNNING and row.locked_at <= now - STALE_AFTER
        if not (stale and isinstance(decision, _Refused) and decision.status == 409):
            return decision
    return await database.write(
        _claim_in, org_id, row, key, fingerprint, scope["method"], scope["path"][:2000], now
    )


def _claim_in(
    db: Session,
    org_id: uuid.UUID,
    row: Any,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    now: datetime,
) -> _Decision:
    # Housekeeping rides along with the claim: this organisation's expired keys go.
    db.execute(delete(_T).where(_T.c.organisation_id == org_id, _T.c.expires_at <= now))
    if row is not None and row.expires_at > now:
        # A claim abandoned by a crashed process: take it over, once.
        taken = db.execute(
            update(_T)
            .where(_T.c.id == row.id, _T.c.state == RUNNING, _T.c.locked_at == row.locked_at)
            .values(locked_at=now)
            .returning(_T.c.id)
        )
        if taken.first() is not None:
            return _Claimed(row.id)
    record_id = uuid7()
    stmt = (
        _insert(db)
        .values(
            id=record_id,
            organisation_id=org_id,
            key=key,
            request_hash=fingerprint,
            method=method,
            path=path,
            state=RUNNING,
            created_at=now,
            locked_at=now,
            expires_at=now + TTL,
        )
        .on_conflict_do_nothing(index_elements=["organisation_id", "key"])
        .returning(_T.c.id)
    )
    if db.execute(stmt).first() is not None:
        return _Claimed(record_id)
    # Another request claimed the key between our look and our insert.
    return _decide(_look(db, org_id, key), fingerprint)


def _complete(
    db: Session, record_id: uuid.UUID, status: int, headers: list[list[str]], body: bytes
) -> None:
    db.execute(
        update(_T)
        .where(_T.c.id == record_id)
        .values(state=DONE, status_code=status, response_headers=headers, response_body=body)
    )


def _release(db: Session, record_id: uuid.UUID) -> None:
    db.execute(delete(_T).where(_T.c.id == record_id))


# --- middleware -------------------------------------------------------------------------


def fingerprint(method: str, path: str, query: bytes, body: bytes, caller: str = "") -> str:
    """What makes two requests "the same" for a key: caller, method, path with query, body.

    The caller (a hash of the API key) is part of it so a stored answer is replayed only to
    the key that caused it: another key, of whatever scope, gets 422 instead.
    """
    h = hashlib.sha256()
    h.update(f"{caller}\n{method}\n{path}?".encode())
    h.update(query)
    h.update(b"\n")
    h.update(body)
    return h.hexdigest()


# Bodies larger than this are fingerprinted in the thread pool (a 1 MiB JSON body parses
# in a few milliseconds; an import may be 50 MiB).
ON_LOOP_BYTES = 256 * 1024


def _fingerprint_body(
    method: str, path: str, query: bytes, body: bytes, caller: str, is_json: bool
) -> str:
    return fingerprint(method, path, query, canonical_json(body) if is_json else body, caller)


def canonical_json(body: bytes) -> bytes:
    """The JSON document a body means, written one way: a retry may space or order it
    differently (another serialiser, a pretty-printer) and is still the same request."""
    try:
        value = json.loads(body)
    except ValueError:
        return body  # not JSON: compared as sent (the route answers 422 either way)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class ShownOnce:
    """A POST whose answer shows a secret once: what it did, and how to recover."""

    path: re.Pattern[str]
    did: str
    recover: str  # with {location} (the resource) and {path} (the request's path)
    # The resource when the answer names none in ``Location`` (a rotation): the path's parent.
    resource_is_parent: bool = False


# Answers that show a secret are not stored: a new API key (only its hash is kept), a
# webhook signing secret (replayed after a later rotation, it would no longer sign). The
# POST still runs once per key, so a retry makes no second credential; it gets a 409 that
# names the resource (``Location``) and says how to recover.
SHOWN_ONCE = (
    ShownOnce(
        re.compile(r"/v1/api-keys"), "created", "revoke it (DELETE {location}) and create another"
    ),
    ShownOnce(
        re.compile(r"/v1/webhook-subscriptions"),
        "created",
        "give it a new secret (POST {location}/rotate-secret)",
    ),
    ShownOnce(
        re.compile(r"/v1/webhook-subscriptions/[^/]+/rotate-secret"),
        "gave a new secret to",
        "rotate it again (POST {path})",
        resource_is_parent=True,
    ),
)


class IdempotencyMiddleware:
    """Replays, refuses or runs a POST carrying ``Idempotency-Key`` (see module doc)."""

    def __init__(self, app: ASGIApp, *, database: Database, prefix: str = "/v1/") -> None:
        self.app = app
        self.database = database
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not _KEY.match(key):
            await send_problem(
                send,
                scope,
                422,
                "invalid-idempotency-key",
                f"Idempotency-Key must be 1-{KEY_MAX} visible ASCII characters (a UUID is good).",
            )
            return
        try:
            body = await _read_body(receive)
        except HTTPException as exc:  # the body limit of RequestContextMiddleware
            await send_problem(send, scope, exc.status_code, "payload-too-large", str(exc.detail))
            return
        auth = headers.get(b"authorization", b"").decode("latin-1")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        caller = hashlib.sha256(token.encode()).hexdigest() if token else ""
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        is_json = content_type == b"application/json" or content_type.endswith(b"+json")
        request = (scope["method"], scope["path"], scope.get("query_string", b""))
        if len(body) > ON_LOOP_BYTES:
            # An import of megabytes: parsing and hashing it would stall the event loop.
            digest = await run_in_threadpool(_fingerprint_body, *request, body, caller, is_json)
        else:
            digest = _fingerprint_body(*request, body, caller, is_json)
        try:
            decision = await _claim(self.database, scope, token, key, digest)
        except DomainError as exc:
            # As the route would refuse it: a busy database, a sign-in refused or stalled.
            extra = [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
            await send_problem(send, scope, exc.status, exc.code, exc.detail or exc.title, extra)
            return
        if isinstance(decision, _Replay):
            await send(
                {
                    "type": "http.response.start",
                    "status": decision.status,
                    "headers": [*decision.headers, REPLAYED_HEADER],
                }
            )
            await send({"type": "http.response.body", "body": decision.body})
            return
        if isinstance(decision, _Refused):
            extra = [(b"retry-after", b"1")] if decision.status == 409 else []
            await send_problem(send, scope, decision.status, decision.code, decision.detail, extra)
            return
        replay_receive = _replaying(body, receive)
        if decision is None:
            await self.app(scope, replay_receive, send)
            return
        await self._run(scope, replay_receive, send, decision.record_id)

    async def _run(self, scope: Scope, receive: Receive, send: Send, record_id: uuid.UUID) -> None:
        # Record, then answer: the response is held back until it is stored, so a retry that
        # starts once the client has the answer always finds it (a replay, never a 409).
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, hold)
        except BaseException:
            await self._forget(record_id)
            raise
        if start is None:
            await self._forget(record_id)
            return
        body = b"".join(chunks)
        status: int = start["status"]
        if status >= 500:
            await self._forget(record_id)
        else:
            kept = (status, start["headers"], body)
            shown = next((s for s in SHOWN_ONCE if s.path.fullmatch(scope["path"])), None)
            if shown is not None and status < 300:
                kept = _shown_once(scope, start["headers"], shown)
            headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in kept[1]]
            try:
                await self.database.write(_complete, record_id, kept[0], headers, kept[2])
            except Exception:
                # The change is committed; the client gets its answer. The claim stays
                # "running" and is taken over after STALE_AFTER: a retry sees 409 until then.
                log.exception("could not store the answer of an Idempotency-Key")
        await send(start)
        await send({"type": "http.response.body", "body": body})

    async def _forget(self, record_id: uuid.UUID) -> None:
        # A 5xx or a crash releases the key, so the retry runs for real.
        try:
            await self.database.write(_release, record_id)
        except Exception:
            log.exception("could not release an Idempotency-Key")


def _shown_once(
    scope: Scope, headers: list[tuple[bytes, bytes]], shown: ShownOnce
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """What a retry of a secret-bearing POST gets instead of the secret (``SHOWN_ONCE``)."""
    path: str = scope["path"]
    if shown.resource_is_parent:
        location = path.rsplit("/", 1)[0]
    else:
        location = dict(headers).get(b"location", b"").decode("latin-1")
    recover = shown.recover.format(location=location, path=path)
    body = json.dumps(
        problem_body(
            status=409,
            code="secret-shown-once",
            detail=f"This Idempotency-Key already {shown.did} {location}; the secret was shown "
            f"in that answer only. If that answer was lost, {recover}.",
            instance=path,
        )
    ).encode()
    kept = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    return 409, [*kept, (b"location", location.encode())], body


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def document_idempotency(schema: dict[str, Any]) -> None:
    """Add the ``Idempotency-Key`` header to every POST operation of an OpenAPI document."""
    parameter = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        # What _KEY takes, said in the contract: visible ASCII, no spaces (issue 19).
        "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": "^[!-~]+$"},
        "description": "Makes a retry safe: for 24 hours the same key and request replay the "
        "first response; the same key with another request is 422; while the first is "
        "still running, 409.",
    }
    for path_item in schema.get("paths", {}).values():
        op = path_item.get("post")
        if op is None:
            continue
        params = op.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in params):
            params.append(parameter)
        responses = op.setdefault("responses", {})
        for status, description in (("409", "Conflict"), ("422", "Invalid input")):
            responses.setdefault(
                status,
                {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            )
