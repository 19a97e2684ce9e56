"""A real OpenID Connect issuer on loopback for the tests: discovery and JWKS over HTTP.

Tokens are signed with its RSA key; ``rotate()`` publishes a new key, ``fetches`` counts the
JWKS requests (to prove the refetch on an unknown ``kid`` is bounded).

Only the token tests need the keys to travel over HTTP. Tests about what a signed-in role
may do hand the app the same keys with ``serve_keys_in_memory``: hundreds of loopback
fetches under a busy CI machine could outlast the fetch timeout, and a test's outcome must
not depend on the machine's speed.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from app.identity.oidc import JWKS

AUDIENCE = "api://veerkracht-test"


class LoopbackIssuer:
    """An issuer serving ``/.well-known/openid-configuration`` and ``/jwks``."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "k1"})]
        self.fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body: Any = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
                elif self.path == "/jwks":
                    issuer.fetches += 1
                    body = issuer.public_keys()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def public_keys(self) -> dict[str, Any]:
        """The JWKS document this issuer publishes."""
        return {"keys": [k.as_dict(private=False) for k in self.keys]}

    def serve_keys_in_memory(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Let the app's key cache take this issuer's keys without a network fetch."""

        async def fetch(url: str) -> KeySet:
            assert url == self.url, f"the app asked for the keys of another issuer: {url}"
            return KeySet.import_key_set(self.public_keys())  # type: ignore[arg-type]

        monkeypatch.setattr(JWKS, "fetch", fetch)

    def rotate(self, kid: str) -> RSAKey:
        """Publish a new signing key (the old one stays published too)."""
        key = RSAKey.generate_key(2048, parameters={"kid": kid})
        self.keys.append(key)
        return key

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "sub-1",
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "email": "sanne@example.nl",
            "groups": ["hr-admins"],
        }
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not None}

    def token(
        self, key: RSAKey | None = None, header: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        """A token signed by the issuer's first key (or ``key``), with claim overrides."""
        key = key or self.keys[0]
        head = {"alg": "RS256", "kid": key.kid, **(header or {})}
        return jwt.encode(head, self.claims(**claims), key)
