"""Authentication: API keys (machine integrations) and OpenID Connect access tokens (people).

A bearer value shaped like a key (``vk_...``) is an API key; one shaped like a JWT is an
access token, validated and signed in by app/identity/signin.py (the person's roles and
reach come with it, core/roles.py).

Keys look like ``vk_<prefix>_<secret>``. The prefix is stored in clear to find the key and
to show it in lists; only a SHA-256 of the whole key is stored (the key is 190 random
bits, so a slow hash adds nothing) and compared in constant time. The organisation is
always the key's: it is never taken from the URL or the body.
"""

import asyncio
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import event, select, update
from sqlmodel import Session, col

from app.core.config import get_settings
from app.core.db import READ_ONLY, Database
from app.core.errors import Forbidden, Unauthorized
from app.core.models import utcnow
from app.core.roles import ACTOR_KEY, ACTOR_USER, Reach, scope_of
from app.core.tenancy import bind_organisation
from app.identity.reach import bind_reach
from app.identity.signin import sign_in
from app.organisation.models import SCOPE_RANK, ApiKey, Organisation, Scope

KEY_PREFIX = "vk"
LAST_USED_RESOLUTION = timedelta(minutes=1)

bearer = HTTPBearer(
    auto_error=False,
    description="An API key (`Bearer vk_...`) or an OpenID Connect access token (a JWT).",
)


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> tuple[str, str]:
    """A new key and its lookup prefix."""
    prefix = secrets.token_hex(6)
    return f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}", prefix


def parse_prefix(key: str) -> str | None:
    """The lookup prefix of a presented key, or None when it is not shaped like one."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12:
        return None
    return parts[1]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organisation through one of its keys, or a signed-in person.

    The organisation travels as its column values and becomes an ``Organisation`` on first
    use: most reads need only its id, and building the model object (validation and ORM
    instrumentation) was about 6% of a one-employee read (docs/performance.md).
    """

    # Organisation.column_values(), shared with the principal cache: never changed.
    organisation_columns: Mapping[str, Any] = field(repr=False, compare=False)
    api_key_id: uuid.UUID | None
    scope: Scope
    # A signed-in person's roles and reach; None for an API key.
    reach: Reach | None = None
    # The `sensitive` permission (incident details, aftercare), beside the scope rank.
    sensitive: bool = False

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.organisation_columns["id"]  # type: ignore[no-any-return]

    @cached_property
    def organisation(self) -> Organisation:
        """This request's own copy, detached: services may read it, none shares it between
        sessions, and it cannot expire or lazy-load."""
        return Organisation.from_column_values(self.organisation_columns)


# --- the principal cache ------------------------------------------------------------------
# Every request would otherwise start with a query for its key and organisation. A key
# that authenticated is remembered for ``auth_cache_seconds`` (default 5 s), by the SHA-256
# of the key (never the key itself). A revocation or a settings change clears this
# process's entries when it commits (``forget_principals``); other instances see it within
# the TTL. A look-up that began before a clear is not remembered (the generation): it may
# have read the key as it was before the revocation. Failures are never remembered, so an
# unknown or revoked key always reaches the database.


@dataclass(frozen=True)
class _Remembered:
    expires_at: float
    api_key_id: uuid.UUID
    scope: Scope
    sensitive: bool
    organisation: Mapping[str, Any]


_remembered: dict[str, _Remembered] = {}
_remembered_lock = threading.Lock()
_REMEMBER_AT_MOST = 10_000
_generation = [0]  # bumped by every clear


def forget_principals(
    db: Session | None = None, *, organisation_id: uuid.UUID | None = None
) -> None:
    """Drop remembered keys (all, or one organisation's): after revocations, settings
    changes. Given the writing session, once now and again when it commits: a look-up
    between the two read the row as it was before the change."""
    if db is not None:
        event.listen(
            db,
            "after_commit",
            lambda _s: forget_principals(organisation_id=organisation_id),
            once=True,
        )
    with _remembered_lock:
        _generation[0] += 1
        if organisation_id is None:
            _remembered.clear()
            return
        for digest in [
            d for d, r in _remembered.items() if r.organisation["id"] == organisation_id
        ]:
            del _remembered[digest]


def _recall(presented: str | None) -> Principal | None:
    ttl = get_settings().auth_cache_seconds
    if ttl <= 0 or not presented:
        return None
    found = _remembered.get(hash_key(presented))
    if found is None or found.expires_at < time.monotonic():
        return None
    # A principal per request, so each makes its own Organisation (Principal.organisation).
    return Principal(
        organisation_columns=found.organisation,
        api_key_id=found.api_key_id,
        scope=found.scope,
        sensitive=found.sensitive,
    )


def _remember(presented: str, principal: Principal, generation: int) -> None:
    ttl = get_settings().auth_cache_seconds
    if ttl <= 0 or principal.api_key_id is None:
        return
    entry = _Remembered(
        expires_at=time.monotonic() + ttl,
        api_key_id=principal.api_key_id,
        scope=principal.scope,
        sensitive=principal.sensitive,
        organisation=principal.organisation_columns,
    )
    with _remembered_lock:
        if _generation[0] != generation:
            return  # cleared since the look-up began: it may have read the key as it was
        if len(_remembered) >= _REMEMBER_AT_MOST:
            _remembered.clear()
        _remembered[hash_key(presented)] = entry


def _look_up(db: Session, presented: str) -> tuple[Principal, datetime | None]:
    """The principal of a presented key and when it was last used; 401 when it is not valid."""
    prefix = parse_prefix(presented)
    row = None
    if prefix is not None:
        row = db.execute(
            select(ApiKey, Organisation)
            .join(Organisation, Organisation.id == ApiKey.organisation_id)  # type: ignore[arg-type]
            .where(ApiKey.prefix == prefix)  # type: ignore[arg-type]
        ).first()
    expected = row[0].key_hash if row else hash_key("")
    if not hmac.compare_digest(expected, hash_key(presented)) or row is None:
        raise Unauthorized("The API key is not valid.", code="invalid-api-key")
    key, org = row
    if key.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.", code="revoked-api-key")
    principal = Principal(
        organisation_columns=org.column_values(),
        api_key_id=key.id,
        scope=Scope(key.scope),
        sensitive=bool(key.sensitive),
    )
    return principal, key.last_used_at


def _record_use(db: Session, api_key_id: uuid.UUID, now: datetime) -> None:
    db.execute(update(ApiKey).where(col(ApiKey.id) == api_key_id).values(last_used_at=now))


async def authenticate(database: Database, presented: str | None) -> Principal:
    """The principal of a presented key; 401 for a missing, unknown or revoked one.

    Looked up in a short read of its own, before the request's own unit of work begins, so
    a request never holds two connections. Concurrent requests with the same key that all
    miss the principal cache (a burst after a start or an expiry) share one look-up
    instead of each queueing for a connection to ask the same question.
    """
    if not presented:
        raise Unauthorized(
            "Send an API key: `Authorization: Bearer <key>`.", code="missing-api-key"
        )
    if presented.count(".") == 2 and not presented.startswith(f"{KEY_PREFIX}_"):
        return await _sign_in(database, presented)
    remembered = _recall(presented)
    if remembered is not None:
        return remembered
    loop = asyncio.get_running_loop()
    # Joined only by requests since the last clear: one arriving after a revocation must not
    # share a look-up begun before it.
    flight = (loop, hash_key(presented), _generation[0])
    task = _in_flight.get(flight)
    if task is None:
        task = loop.create_task(_authenticate_now(database, presented))
        _in_flight[flight] = task
        task.add_done_callback(lambda _t: _in_flight.pop(flight, None))
    # Shielded: one caller giving up (a cancelled request) does not fail the others.
    principal = await asyncio.shield(task)
    # Each request its own principal, so its own Organisation (Principal.organisation).
    return Principal(
        organisation_columns=principal.organisation_columns,
        api_key_id=principal.api_key_id,
        scope=principal.scope,
        sensitive=principal.sensitive,
    )


_in_flight: dict[tuple[asyncio.AbstractEventLoop, str, int], "asyncio.Task[Principal]"] = {}


async def _sign_in(database: Database, token: str) -> Principal:
    signed_in = await sign_in(database, token)
    return Principal(
        organisation_columns=signed_in.organisation_columns,
        api_key_id=None,
        scope=scope_of(signed_in.reach.roles),
        reach=signed_in.reach,
    )


async def _authenticate_now(database: Database, presented: str) -> Principal:
    generation = _generation[0]
    principal, last_used_at = await database.read(_look_up, presented)
    now = utcnow()
    # last_used_at is telemetry, written at most once a minute per key, in a short write
    # of its own after the read, and only when that write need not wait for anything
    # (Database.write_if_free): a read is never held up by it, and a later request of the
    # key records it (nor does a failed one fail the request).
    if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
        await database.write_if_free(_record_use, principal.api_key_id, now)
    _remember(presented, principal, generation)
    return principal


def database_of(request: Request) -> Database:
    """The app's ``Database`` (created by ``create_app``)."""
    database: Database = request.app.state.database
    return database


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Authenticate once per request (the request's session binds to its organisation)."""
    presented = credentials.credentials if credentials else None
    principal = await authenticate(database_of(request), presented)
    request.state.principal = principal
    return principal


def insufficient_scope(detail: str, *, needs: str) -> Forbidden:
    """403 ``insufficient-scope``, which also says so the way bearer-token clients read it
    (RFC 6750, section 3.1): ``error="insufficient_scope"`` with the scope the operation
    needs, so a client library can ask for a better key or token instead of failing blind."""
    challenge = f'Bearer realm="veerkracht", error="insufficient_scope", scope="{needs}"'
    return Forbidden(detail, code="insufficient-scope", headers={"WWW-Authenticate": challenge})


def require_scope(scope: Scope) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """Dependency factory: the caller's principal, refused (403) below ``scope``."""

    # async: a pure check needs no hop to the thread pool (each costs tens of microseconds).
    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if SCOPE_RANK[principal.scope] < SCOPE_RANK[scope]:
            who = "Your role gives" if principal.reach is not None else "This key has"
            raise insufficient_scope(
                f"{who} scope '{principal.scope}'; this operation needs '{scope}'.", needs=scope
            )
        return principal

    return dependency


async def require_sensitive(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """The caller's principal, refused (403) without the `sensitive` permission."""
    if not principal.sensitive:
        raise insufficient_scope(
            "This key lacks the 'sensitive' permission that incident details and aftercare "
            "need; an admin can create a key with `sensitive: true`.",
            needs="sensitive",
        )
    return principal


ReadPrincipal = Annotated[Principal, Depends(require_scope(Scope.read))]
WritePrincipal = Annotated[Principal, Depends(require_scope(Scope.write))]
AdminPrincipal = Annotated[Principal, Depends(require_scope(Scope.admin))]
SensitivePrincipal = Annotated[Principal, Depends(require_sensitive)]


# --- the request's session -------------------------------------------------------------

_STATE_KEY = "db_session"


@asynccontextmanager
async def request_session(
    request: Request, principal: Principal, *, read_only: bool
) -> AsyncIterator[Session]:
    """The request's unit of work, bound to the caller's organisation (one per request).

    Declared through ``ReadSession`` / ``WriteSession`` (core/sessions.py): their
    ``scope="function"`` makes FastAPI run the commit after the route function and the
    response serialisation but BEFORE the response is sent, so a failing commit (a
    unique violation found only at commit, a lost connection) is answered by the error
    handlers (409, 503) instead of being lost after a 2xx already went out.

    It comes after the principal, so authentication (its own short read) is over before
    this request takes its connection slot (core/db.py).
    """
    existing = getattr(request.state, _STATE_KEY, None)
    if isinstance(existing, Session):
        if bool(existing.info.get(READ_ONLY)) != read_only:
            # Two kinds in one request would be two transactions (and two connections).
            raise RuntimeError("a request declares both a read and a write session")
        yield existing
        return
    async with database_of(request).session(read_only=read_only) as session:
        bind_organisation(session, principal.organisation_id)
        session.info[ACTOR_KEY] = principal.api_key_id
        if principal.reach is not None:
            session.info[ACTOR_USER] = principal.reach.user_id
            bind_reach(session, principal.reach)
        setattr(request.state, _STATE_KEY, session)
        try:
            yield session
        finally:
            setattr(request.state, _STATE_KEY, None)
