"""Validating OpenID Connect access tokens (JWTs) against the issuer's published keys.

The signing keys come from ``<issuer>/.well-known/openid-configuration`` -> ``jwks_uri``,
fetched with httpx (async, bounded timeouts: never a blocking call on the event loop) and
cached per issuer for ``oidc_jwks_cache_seconds``. A token whose ``kid`` the cache does not
know makes one refetch (key rotation), at most once per ``oidc_jwks_refetch_seconds`` per
issuer, so a stream of made-up ``kid``s cannot turn the service into a fetching proxy.
Concurrent requests share one fetch, and a failed fetch is remembered per issuer for
``oidc_jwks_failure_seconds``: meanwhile its tokens are answered 503 at once, not each after
the fetch timeout. Keys that expired while their provider is down stay in use for
``oidc_jwks_stale_seconds`` more (the last known good keys), so an outage of the provider
does not sign everybody out. Only asymmetric algorithms are accepted: ``none`` and
``HS256`` signed with the public key are refused before any key is used.
"""

import asyncio
import base64
import binascii
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import Key, KeySet

from app.core.config import get_settings
from app.core.errors import ServiceUnavailable, Unauthorized
from app.core.problems import ProblemCode
from app.core.targets import TargetRefused, pinned, refuse_private, split_target

log = logging.getLogger("veerkracht.identity")

ALLOWED_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
_MAX_DOCUMENT_BYTES = 256 * 1024
_MAX_ISSUERS = 1000
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class InvalidToken(Unauthorized):
    """A bearer token that is not a valid access token: 401 with ``error="invalid_token"``."""

    code: ProblemCode = "invalid-token"

    def __init__(self, detail: str) -> None:
        header = f'Bearer realm="veerkracht", error="invalid_token", error_description="{detail}"'
        super().__init__(detail, headers={"WWW-Authenticate": header})


def _b64_json(part: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidToken("The token is not a JWT.") from error
    if not isinstance(value, dict):
        raise InvalidToken("The token is not a JWT.")
    return value


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS, NOT verified: only to find issuer and key."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("The token is not a JWT.")
    header, claims = _b64_json(parts[0]), _b64_json(parts[1])
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise InvalidToken("The token's signing algorithm is not accepted.")
    if not isinstance(claims.get("iss"), str):
        raise InvalidToken("The token names no issuer.")
    return header, claims


def verify(token: str, key: Key, *, issuer: str, audience: str) -> dict[str, Any]:
    """The claims of ``token`` once its signature, issuer, audience and times are checked."""
    try:
        decoded = jwt.decode(token, key, algorithms=list(ALLOWED_ALGORITHMS))
        registry = jwt.JWTClaimsRegistry(
            leeway=get_settings().oidc_clock_skew_seconds,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        registry.validate(decoded.claims)
    except ExpiredTokenError as error:
        raise InvalidToken("The token has expired.") from error
    except JoseError as error:
        raise InvalidToken(f"The token is not valid: {error.error}.") from error
    return decoded.claims


# --- the key cache ------------------------------------------------------------------------

Fetcher = Callable[[str], Coroutine[Any, Any, KeySet]]


@dataclass
class _Cached:
    keys: KeySet
    fetched_at: float


@dataclass(frozen=True)
class _Failed:
    """A failed fetch, remembered until ``until`` (the cache's clock)."""

    detail: str | None
    code: ProblemCode
    until: float

    def answer(self, now: float) -> ServiceUnavailable:
        """The failed fetch's own 503, with Retry-After the whole seconds left."""
        return ServiceUnavailable(
            self.detail, code=self.code, headers={"Retry-After": _seconds(self.until - now)}
        )


def _seconds(left: float) -> str:
    return str(max(1, math.ceil(left)))


def issuer_refused(url: str) -> str | None:
    """Why the service may not call this identity-provider URL, as far as it shows without
    resolving its name (``_pinned`` resolves and checks again); None when it may.

    An organisation's admin names the issuer, and anyone may send a token naming it, so
    the server would call it on their word: like webhooks, no loopback, private or
    link-local addresses (core/targets.py) unless the setting allows them, and https but
    on this machine.
    """
    try:
        parts = split_target(url)
    except TargetRefused as exc:
        return str(exc)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return "it is not https"
    if not get_settings().oidc_allow_private_issuers:
        try:
            refuse_private(url, resolve=False)
        except TargetRefused as exc:
            return str(exc)
    return None


def _pinned(url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``url`` checked again before every fetch (a name can be re-pointed after the
    provider was stored), resolved once and pinned to the address checked, as webhooks
    are (core/targets.py ``pinned``: no DNS rebinding). It may wait on DNS: run it in a
    worker thread, never on the event loop."""
    why = issuer_refused(url)
    if why is None and not get_settings().oidc_allow_private_issuers:
        try:
            return pinned(url, check=refuse_private)
        except TargetRefused as exc:
            why = str(exc)
    if why is not None:
        raise ServiceUnavailable(
            f"The identity provider's address {url} is refused: {why}.",
            code="identity-provider-error",
        )
    return url, {}, {}


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    direct, extra, extensions = await asyncio.to_thread(_pinned, url)
    response = await client.get(
        direct, headers={"Accept": "application/json", **extra}, extensions=extensions
    )
    response.raise_for_status()
    if len(response.content) > _MAX_DOCUMENT_BYTES:
        raise ValueError(f"{url}: document too large")
    value = response.json()
    if not isinstance(value, dict):
        raise ValueError(f"{url}: not a JSON object")
    return value


async def fetch_keys(issuer: str) -> KeySet:
    """The issuer's signing keys, through its discovery document, within one deadline."""
    seconds = get_settings().oidc_http_timeout_seconds
    # httpx's timeout holds per phase of each request, and the name lookups (in a thread)
    # have none: one deadline bounds the whole fetch (two lookups, two requests), so a
    # hanging resolver holds a request up for twice the request timeout at most.
    async with (
        asyncio.timeout(2 * seconds),
        httpx.AsyncClient(timeout=httpx.Timeout(seconds), follow_redirects=False) as client,
    ):
        discovery = await _get_json(
            client, issuer.rstrip("/") + "/.well-known/openid-configuration"
        )
        if discovery.get("issuer") != issuer or not isinstance(discovery.get("jwks_uri"), str):
            raise ValueError("the discovery document names another issuer or no jwks_uri")
        jwks = await _get_json(client, discovery["jwks_uri"])
    return KeySet.import_key_set(jwks)  # type: ignore[arg-type]


class JwksCache:
    """Signing keys per issuer, refetched when stale or on an unknown ``kid`` (bounded).

    Per process and thread-safe (the lock guards the dicts, never an await): the app's
    loop and a test's or the CLI's share it. A failed fetch is remembered per issuer for
    ``oidc_jwks_failure_seconds``, so while an identity provider is down its tokens get
    the same 503 at once instead of each waiting for the fetch timeout (a stalled worker
    under load); concurrent requests of one loop join one fetch.
    """

    def __init__(self, fetch: Fetcher = fetch_keys, clock: Callable[[], float] = time.monotonic):
        self.fetch = fetch
        self.clock = clock  # injectable: tests move time without waiting
        self._lock = threading.Lock()
        self._cached: dict[str, _Cached] = {}
        self._failed: dict[str, _Failed] = {}
        self._in_flight: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[KeySet]] = {}

    def clear(self) -> None:
        """Forget every issuer's keys and failures."""
        with self._lock:
            self._cached.clear()
            self._failed.clear()

    def _remember_failure(self, issuer: str, error: ServiceUnavailable) -> ServiceUnavailable:
        # Once per failed fetch (so once per window while the provider is down), whether
        # or not its last keys still stand in (``key``): not once per request.
        log.warning(
            "identity provider keys could not be fetched",
            extra={"issuer": issuer, "detail": error.detail},
        )
        window = get_settings().oidc_jwks_failure_seconds
        failed = _Failed(error.detail, error.code, until=self.clock() + window)
        if window > 0:
            with self._lock:
                if len(self._failed) >= _MAX_ISSUERS and issuer not in self._failed:
                    self._failed.clear()
                self._failed[issuer] = failed
        return ServiceUnavailable(
            failed.detail, code=failed.code, headers={"Retry-After": _seconds(window)}
        )

    async def _fetch_and_remember(self, issuer: str) -> KeySet:
        # The outcome is recorded inside the shared task, before it completes: a request
        # arriving between its end and its waiters' wake-up finds the keys or the failure,
        # never a gap in which it would start a fetch of its own.
        try:
            keys = await self.fetch(issuer)
        except ServiceUnavailable as error:
            raise self._remember_failure(issuer, error) from error
        except Exception as error:
            unreachable = ServiceUnavailable(
                "The identity provider's keys could not be fetched; try again.",
                code="identity-provider-error",
            )
            raise self._remember_failure(issuer, unreachable) from error
        with self._lock:
            if len(self._cached) >= _MAX_ISSUERS and issuer not in self._cached:
                self._cached.clear()
            self._cached[issuer] = _Cached(keys=keys, fetched_at=self.clock())
            self._failed.pop(issuer, None)
        return keys

    def _landed(
        self, flight: tuple[asyncio.AbstractEventLoop, str], task: "asyncio.Task[KeySet]"
    ) -> None:
        with self._lock:
            self._in_flight.pop(flight, None)
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have gone (a client hung up)

    async def _refresh(self, issuer: str) -> KeySet:
        loop = asyncio.get_running_loop()
        flight = (loop, issuer)
        with self._lock:
            failed = self._failed.get(issuer)
            now = self.clock()
            if failed is not None and now < failed.until:
                raise failed.answer(now)
            task = self._in_flight.get(flight)
            if task is None:
                task = loop.create_task(self._fetch_and_remember(issuer))
                self._in_flight[flight] = task
                task.add_done_callback(lambda t: self._landed(flight, t))
        return await asyncio.shield(task)

    async def key(self, issuer: str, kid: str | None) -> Key:
        """The key that signed a token of ``issuer``; 401 when the issuer has no such key."""
        settings = get_settings()
        now = self.clock()
        cached = self._cached.get(issuer)
        if cached is None or now - cached.fetched_at > settings.oidc_jwks_cache_seconds:
            try:
                keys = await self._refresh(issuer)
            except ServiceUnavailable:
                # The provider is down: its last keys were good when fetched and still are
                # unless it rotated meanwhile, which it cannot announce while down. Bounded,
                # as a withdrawn key must stop working once the provider is back or the
                # window ends.
                lifetime = settings.oidc_jwks_cache_seconds + settings.oidc_jwks_stale_seconds
                if cached is None or now - cached.fetched_at > lifetime:
                    raise
                keys = cached.keys
        else:
            keys = cached.keys
        found = _by_kid(keys, kid)
        if found is None and cached is not None:
            # Perhaps the issuer rotated its keys; ask again, but not for every made-up kid.
            recent = self._cached[issuer].fetched_at
            if self.clock() - recent >= settings.oidc_jwks_refetch_seconds:
                found = _by_kid(await self._refresh(issuer), kid)
        if found is None:
            raise InvalidToken("The token was signed with a key the issuer does not publish.")
        return found


def _by_kid(keys: KeySet, kid: str | None) -> Key | None:
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    return next((k for k in keys.keys if k.kid == kid), None)


JWKS = JwksCache()
