"""An identity provider that is down: its failed fetch is remembered for a short window.

Without it every request with a token of that provider waited for the full fetch timeout
once the keys expired. Time is the cache's injected clock and fetches are counted: nothing
here depends on the machine's speed.
"""

import asyncio
import threading
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey, Key, KeySet

from app.core.config import get_settings
from app.core.errors import ServiceUnavailable
from app.identity import oidc
from app.identity.oidc import JWKS, JwksCache
from tests.conftest import Tenant
from tests.helpers import assert_problem
from tests.identity.conftest import bearer, configure
from tests.identity.idp import LoopbackIssuer

DOWN = "http://127.0.0.1:9"  # a loopback port nobody listens on


class Clock:
    """The key cache's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(JWKS, "clock", fake)
    monkeypatch.setattr(get_settings(), "oidc_jwks_failure_seconds", 5.0)
    return fake


def _counting(monkeypatch: pytest.MonkeyPatch, fetch: oidc.Fetcher) -> list[str]:
    calls: list[str] = []

    async def counted(issuer: str) -> KeySet:
        calls.append(issuer)
        return await fetch(issuer)

    monkeypatch.setattr(JWKS, "fetch", counted)
    return calls


def test_a_failed_fetch_is_remembered_for_a_short_time(
    client: TestClient,
    tenant: Tenant,
    issuer: LoopbackIssuer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real fetch, against a provider nobody answers for (connection refused).
    configure(client, tenant, issuer, issuer=DOWN, name="Down")
    calls = _counting(monkeypatch, oidc.fetch_keys)
    token = bearer(issuer.token(iss=DOWN))

    first = client.get("/v1/me", headers=token)
    body = assert_problem(first, 503, "identity-provider-error")
    assert first.headers["Retry-After"] == "5"
    assert calls == [DOWN]

    clock.now += 3.5
    second = client.get("/v1/me", headers=token)
    assert assert_problem(second, 503, "identity-provider-error")["detail"] == body["detail"]
    assert second.headers["Retry-After"] == "2", "the seconds left, rounded up"
    assert calls == [DOWN], "the failure is answered from memory, without a fetch"

    clock.now += 1.5  # the window has passed: the next token tries the provider again
    assert_problem(client.get("/v1/me", headers=token), 503, "identity-provider-error")
    assert calls == [DOWN, DOWN]


def test_a_provider_that_recovers_signs_in_after_the_window(
    client: TestClient,
    tenant: Tenant,
    issuer: LoopbackIssuer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(client, tenant, issuer)
    down = True

    async def fetch(url: str) -> KeySet:
        if down:
            raise httpx.ConnectError("connection refused")
        return KeySet.import_key_set(issuer.public_keys())  # type: ignore[arg-type]

    calls = _counting(monkeypatch, fetch)
    token = bearer(issuer.token())
    assert_problem(client.get("/v1/me", headers=token), 503, "identity-provider-error")
    down = False
    clock.now += 4.9  # still within the window: remembered, even though it is back
    assert_problem(client.get("/v1/me", headers=token), 503, "identity-provider-error")
    assert len(calls) == 1
    clock.now += 0.1
    r = client.get("/v1/me", headers=token)
    assert r.status_code == 200, r.text
    assert len(calls) == 2
    # Keys in hand, and the failure forgotten: the next requests fetch nothing.
    assert client.get("/v1/me", headers=token).status_code == 200
    assert len(calls) == 2


def test_concurrent_requests_share_one_failing_fetch() -> None:
    calls: list[str] = []
    gate = asyncio.Event()
    now = [0.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731

    async def fetch(url: str) -> KeySet:
        calls.append(url)
        await gate.wait()
        raise httpx.ConnectError("connection refused")

    cache = JwksCache(fetch=fetch, clock=clock)

    async def main() -> list[BaseException | Key]:
        waiting = [asyncio.ensure_future(cache.key(DOWN, "k1")) for _ in range(5)]
        await asyncio.sleep(0)  # a turn of the loop, no wall-clock wait: all five joined
        gate.set()
        return await asyncio.gather(*waiting, return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, ServiceUnavailable) for r in results), results
    assert calls == [DOWN], "five concurrent requests, one fetch"
    with pytest.raises(ServiceUnavailable):
        asyncio.run(cache.key(DOWN, "k1"))
    assert calls == [DOWN], "and the next request is answered from memory"


def test_a_hanging_name_lookup_ends_at_the_fetch_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The lookup runs in a thread without a timeout of its own: the fetch's one deadline
    # (0.1 s here) ends the wait. The lookup fails only when released, after the deadline
    # passed or, without the deadline, after 60 s: then its OSError, not TimeoutError.
    released = threading.Event()

    def hanging(url: str) -> tuple[str, dict[str, str], dict[str, object]]:
        released.wait(timeout=60)
        raise OSError("lookup abandoned")

    async def fetch() -> None:
        try:
            await oidc.fetch_keys("https://idp.welzijnoost.example")
        finally:
            released.set()  # the abandoned thread ends, so the loop can close

    monkeypatch.setattr(oidc, "_pinned", hanging)
    monkeypatch.setattr(get_settings(), "oidc_http_timeout_seconds", 0.05)
    with pytest.raises(TimeoutError):
        asyncio.run(fetch())


class _FlakyProvider:
    """A key cache on a hand-moved clock whose provider serves one key until ``down``;
    cached for an hour, then ``stale`` seconds of grace."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, stale: float) -> None:
        settings = get_settings()
        monkeypatch.setattr(settings, "oidc_jwks_cache_seconds", 3600.0)
        monkeypatch.setattr(settings, "oidc_jwks_stale_seconds", stale)
        monkeypatch.setattr(settings, "oidc_jwks_failure_seconds", 5.0)
        self.keys = KeySet([ECKey.generate_key("P-256", parameters={"kid": "k1"})])
        self.down = False
        self.fetches = 0
        self.now = 0.0
        self.cache = JwksCache(fetch=self._fetch, clock=lambda: self.now)

    async def _fetch(self, url: str) -> KeySet:
        self.fetches += 1
        if self.down:
            raise httpx.ConnectError("connection refused")
        return self.keys

    def kid(self) -> str | None:
        """The key id a token signed with ``k1`` is verified with now (or a 503)."""
        return asyncio.run(self.cache.key(DOWN, "k1")).kid


def test_a_provider_that_goes_down_keeps_its_last_keys_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = _FlakyProvider(monkeypatch, stale=1800.0)
    assert provider.kid() == "k1"
    provider.down = True
    provider.now = 3600.5  # expired, and the provider is down: its last keys still verify
    assert provider.kid() == "k1"
    assert provider.fetches == 2, "it did try to refresh them"
    provider.now = 3600 + 1800  # the last moment of the grace
    assert provider.kid() == "k1"
    provider.now = 3600 + 1800.5  # past it: tokens of a provider that is down are a 503 again
    with pytest.raises(ServiceUnavailable):
        provider.kid()
    provider.down = False
    provider.now += 5  # after the failure window: back, and its keys fresh again
    assert provider.kid() == "k1"


def test_without_grace_a_failed_refresh_is_a_503_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = _FlakyProvider(monkeypatch, stale=0.0)
    assert provider.kid() == "k1"
    provider.down = True
    provider.now = 3600.5
    with pytest.raises(ServiceUnavailable):
        provider.kid()
