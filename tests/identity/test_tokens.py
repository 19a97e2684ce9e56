"""Access tokens: every kind of bad token is a 401 problem with error="invalid_token"."""

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, delete, update
from sqlmodel import col

from app.core.config import get_settings
from app.core.errors import ServiceUnavailable
from app.identity import oidc, signin
from app.identity.models import IdentityProvider, User
from tests.conftest import Tenant
from tests.helpers import assert_problem, sqlite_write_lock_elsewhere
from tests.identity.conftest import bearer, configure
from tests.identity.idp import AUDIENCE, LoopbackIssuer


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def assert_invalid_token(r: Any) -> None:
    assert_problem(r, 401, "invalid-token")
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_a_valid_token_signs_in(client: TestClient, tenant: Tenant, issuer: LoopbackIssuer) -> None:
    configure(client, tenant, issuer)
    r = client.get("/v1/me", headers=bearer(issuer.token()))
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "user"
    assert r.json()["roles"] == ["hr_admin"]
    # API keys keep working next to tokens.
    r = client.get("/v1/me", headers=tenant.read)
    assert r.status_code == 200 and r.json()["kind"] == "api_key"


def _tampered(issuer: LoopbackIssuer) -> str:
    head, _payload, sig = issuer.token().split(".")
    return ".".join([head, _b64(issuer.claims(sub="someone-else")), sig])


def _alg_none(issuer: LoopbackIssuer) -> str:
    return ".".join([_b64({"alg": "none", "kid": "k1"}), _b64(issuer.claims()), ""])


def _hs256_with_public_key(issuer: LoopbackIssuer) -> str:
    # The classic confusion attack, built by hand: JOSE libraries refuse to make it.
    public_pem = issuer.keys[0].as_bytes(private=False)
    signing_input = f"{_b64({'alg': 'HS256', 'kid': 'k1'})}.{_b64(issuer.claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _unknown_kid(issuer: LoopbackIssuer) -> str:
    return issuer.token(key=RSAKey.generate_key(2048, parameters={"kid": "not-published"}))


def _other_key_same_kid(issuer: LoopbackIssuer) -> str:
    return issuer.token(key=RSAKey.generate_key(2048, parameters={"kid": "k1"}))


BAD_TOKENS = {
    "expired": lambda i: i.token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    "not yet valid": lambda i: i.token(nbf=int(time.time()) + 3600),
    "wrong issuer": lambda i: i.token(iss="https://login.example.org/other"),
    "wrong audience": lambda i: i.token(aud="api://someone-else"),
    "unknown kid": _unknown_kid,
    "alg none": _alg_none,
    "HS256 signed with the public key": _hs256_with_public_key,
    "tampered payload": _tampered,
    "signed by another key": _other_key_same_kid,
    "no sub": lambda i: i.token(sub=None),
    "no exp": lambda i: i.token(exp=None),
    "not a JWT": lambda i: "abc.def.ghi",
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_tokens_are_refused(
    kind: str, client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    r = client.get("/v1/me", headers=bearer(BAD_TOKENS[kind](issuer)))
    assert_invalid_token(r)


def test_small_clock_skew_is_allowed(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    configure(client, tenant, issuer)
    skew = get_settings().oidc_clock_skew_seconds
    r = client.get("/v1/me", headers=bearer(issuer.token(nbf=int(time.time()) + skew // 2)))
    assert r.status_code == 200, r.text


def test_keys_are_cached_and_refetched_on_a_new_kid_only_boundedly(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(client, tenant, issuer)
    monkeypatch.setattr(get_settings(), "oidc_jwks_refetch_seconds", 0)
    before = issuer.fetches
    for _ in range(3):
        assert client.get("/v1/me", headers=bearer(issuer.token())).status_code == 200
    assert issuer.fetches == before + 1, "the keys are fetched once, then cached"

    rotated = issuer.rotate("k-rotated")
    r = client.get("/v1/me", headers=bearer(issuer.token(key=rotated)))
    assert r.status_code == 200, r.text
    assert issuer.fetches == before + 2, "a new kid refetches the keys"

    monkeypatch.setattr(get_settings(), "oidc_jwks_refetch_seconds", 3600)
    for _ in range(3):
        assert_invalid_token(client.get("/v1/me", headers=bearer(_unknown_kid(issuer))))
    assert issuer.fetches == before + 2, "made-up kids do not refetch within the bound"


def test_an_unreachable_issuer_is_a_503_not_a_500(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # A provider at a loopback port nobody listens on.
    configure(client, tenant, issuer, issuer="http://127.0.0.1:9", name="Down")
    r = client.get("/v1/me", headers=bearer(issuer.token(iss="http://127.0.0.1:9")))
    assert_problem(r, 503, "identity-provider-error")


OTHER_AUDIENCE = "api://veerkracht-other"


def _assert_ambiguous(r: Any) -> None:
    assert_invalid_token(r)
    assert "more than one identity provider" in r.json()["detail"]


def test_a_token_naming_two_organisations_providers_is_refused_as_ambiguous(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # One issuer (a shared IdP), two organisations, each with its own audience. A token
    # whose aud names both would sign in to whichever provider the database returned
    # first: another organisation's, perhaps.
    configure(client, tenant, issuer)
    configure(client, other_tenant, issuer, audience=OTHER_AUDIENCE)
    _assert_ambiguous(
        client.get("/v1/me", headers=bearer(issuer.token(aud=[OTHER_AUDIENCE, AUDIENCE])))
    )
    _assert_ambiguous(
        client.get("/v1/me", headers=bearer(issuer.token(aud=[AUDIENCE, OTHER_AUDIENCE])))
    )
    # A token for one of them still signs in there, and only there.
    mine = client.get("/v1/me", headers=bearer(issuer.token()))
    assert mine.status_code == 200, mine.text
    theirs = client.get("/v1/me", headers=bearer(issuer.token(aud=OTHER_AUDIENCE, sub="sub-2")))
    assert theirs.status_code == 200, theirs.text
    assert mine.json()["user"]["id"] != theirs.json()["user"]["id"]
    assert len(client.get("/v1/users", headers=tenant.admin).json()["items"]) == 1
    assert len(client.get("/v1/users", headers=other_tenant.admin).json()["items"]) == 1


def test_a_token_matching_two_providers_of_one_organisation_is_refused_as_ambiguous(
    client: TestClient, tenant: Tenant, issuer: LoopbackIssuer
) -> None:
    # Two providers with the same issuer in one organisation map groups differently: which
    # roles the token gives must not depend on the order the database returns them in.
    configure(client, tenant, issuer)
    configure(
        client,
        tenant,
        issuer,
        name="Second",
        audience=OTHER_AUDIENCE,
        group_roles={"hr-admins": ["employee"]},
    )
    _assert_ambiguous(
        client.get("/v1/me", headers=bearer(issuer.token(aud=[AUDIENCE, OTHER_AUDIENCE])))
    )
    assert client.get("/v1/users", headers=tenant.admin).json()["items"] == []


def test_dev_tokens_are_refused_unless_switched_on(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from app.identity import devtoken

    monkeypatch.setattr(get_settings(), "dev_key_file", str(tmp_path / "dev-key.json"))
    monkeypatch.setattr(get_settings(), "dev_tokens", True)
    token = devtoken.mint(subject="dev:1", email=None, name=None, roles=["hr_admin"])
    r = client.post(
        "/v1/identity-providers",
        json={
            "name": "Dev",
            "issuer": devtoken.DEV_ISSUER,
            "audience": devtoken.DEV_AUDIENCE,
            "group_roles": {"hr_admin": ["hr_admin"]},
        },
        headers=tenant.admin,
    )
    assert r.status_code == 201, r.text
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    monkeypatch.setattr(get_settings(), "dev_tokens", False)
    assert_invalid_token(client.get("/v1/me", headers=bearer(token)))
    with pytest.raises(RuntimeError):
        devtoken.mint(subject="dev:1", email=None, name=None, roles=["hr_admin"])


def test_dev_token_command_refuses_unless_dev_tokens_are_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.cli import main

    monkeypatch.setattr(get_settings(), "dev_tokens", False)
    with pytest.raises(SystemExit, match="dev tokens are off"):
        main(["dev-token", "--role", "employee"])


def _last_sign_in(client: TestClient, tenant: Tenant) -> Any:
    users = client.get("/v1/users", headers=tenant.admin).json()["items"]
    assert len(users) == 1
    return users[0]["last_sign_in_at"]


def test_a_sign_in_is_recorded(client: TestClient, tenant: Tenant, issuer: LoopbackIssuer) -> None:
    configure(client, tenant, issuer)
    assert client.get("/v1/me", headers=bearer(issuer.token())).status_code == 200
    assert _last_sign_in(client, tenant) is not None


def test_a_sign_in_is_not_held_up_by_recording_it(
    live_client: TestClient,
    live_tenant: Tenant,
    issuer: LoopbackIssuer,
    engine: Engine,
    is_postgres: bool,
) -> None:
    if is_postgres:
        pytest.skip("SQLite's one write lock; PostgreSQL writers do not exclude each other")
    provider = configure(live_client, live_tenant, issuer)
    try:
        token = issuer.token()
        assert live_client.get("/v1/me", headers=bearer(token)).status_code == 200
        with engine.begin() as conn:  # due again: recorded at most once a minute
            conn.execute(
                update(User)
                .where(col(User.organisation_id) == live_tenant.id)
                .values(last_sign_in_at=None)
            )
        # Another process holds SQLite's write lock (a long import, say). Recording the
        # sign-in is telemetry: the request is answered without it. A write that waited
        # would fail after the busy timeout, and the sign-in with it.
        with sqlite_write_lock_elsewhere(engine):
            r = live_client.get("/v1/me", headers=bearer(token))
        assert r.status_code == 200, r.text
        assert _last_sign_in(live_client, live_tenant) is None
        # The next sign-in records it.
        assert live_client.get("/v1/me", headers=bearer(token)).status_code == 200
        assert _last_sign_in(live_client, live_tenant) is not None
    finally:
        # Committed: an issuer and audience belong to one organisation, and the loopback
        # issuer is the whole run's.
        with engine.begin() as conn:
            conn.execute(delete(User).where(col(User.organisation_id) == live_tenant.id))
            conn.execute(
                delete(IdentityProvider).where(
                    col(IdentityProvider.id) == uuid.UUID(provider["id"])
                )
            )


def test_a_sign_in_that_cannot_be_recorded_still_signs_in(
    client: TestClient,
    tenant: Tenant,
    issuer: LoopbackIssuer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure(client, tenant, issuer)

    def broken(_db: object, _user_id: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(signin, "_record_sign_in", broken)
    with caplog.at_level(logging.WARNING, logger="veerkracht.db"):
        r = client.get("/v1/me", headers=bearer(issuer.token()))
    assert r.status_code == 200, r.text
    assert "deferred work failed" in caplog.text


def test_an_issuer_on_a_private_address_is_refused(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An admin names the issuer and anyone may send a token naming it: the server would
    # call it on their word, so internal addresses are refused (SSRF), as for webhooks.
    monkeypatch.setattr(get_settings(), "oidc_allow_private_issuers", False)
    for issuer, code in (
        ("http://127.0.0.1:8080/internal/admin?x=", "issuer-refused"),
        ("https://169.254.169.254/latest/meta-data", "issuer-refused"),
        ("https://10.0.0.5/realms/x", "issuer-refused"),
        ("http://login.example.org/realms/x", "validation-error"),  # not https: the schema's
        ("issuer", "validation-error"),
    ):
        r = client.post(
            "/v1/identity-providers",
            json={"name": "X", "issuer": issuer, "audience": "a"},
            headers=tenant.admin,
        )
        assert assert_problem(r, 422, code)["errors"][0]["pointer"] == "/issuer", issuer
    ok = client.post(
        "/v1/identity-providers",
        json={"name": "X", "issuer": "https://login.example.org/realms/x", "audience": "a"},
        headers=tenant.admin,
    )
    assert ok.status_code == 201, ok.text
    # And before every fetch, for a name re-pointed at an internal address since.
    with pytest.raises(ServiceUnavailable):
        oidc._pinned("https://127.0.0.1/.well-known/openid-configuration")
    # A name is resolved once and the fetch goes to the address checked (no rebinding).
    public = [(0, 0, 0, "", ("93.184.215.14", 0))]
    monkeypatch.setattr("app.core.targets.socket.getaddrinfo", lambda *_a, **_k: public)
    direct, headers, extensions = oidc._pinned("https://login.example.org/x/.well-known/y")
    assert direct == "https://93.184.215.14/x/.well-known/y"
    assert headers["Host"] == "login.example.org"
    assert extensions == {"sni_hostname": "login.example.org"}


@pytest.mark.parametrize("allowed", [False, True])
def test_an_issuer_that_is_no_url_is_refused_not_a_500(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, allowed: bool
) -> None:
    # The schema's pattern admits these, Python's URL parser does not: brackets around no
    # IPv6 address (found by schemathesis), a port past 65535. A clear 422, nothing stored.
    monkeypatch.setattr(get_settings(), "oidc_allow_private_issuers", allowed)
    for issuer in ("https://[b.35B7D]/realms/x", "https://login.example.org:99999/x"):
        r = client.post(
            "/v1/identity-providers",
            json={"name": "X", "issuer": issuer, "audience": "a"},
            headers=tenant.admin,
        )
        assert assert_problem(r, 422, "issuer-refused")["errors"][0]["pointer"] == "/issuer"
    listed = client.get("/v1/identity-providers", headers=tenant.admin).json()["items"]
    assert listed == []
