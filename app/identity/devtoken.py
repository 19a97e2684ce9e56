"""A development-only identity provider: ``veerkracht dev-token`` signs, the service checks.

Refused unless ``VEERKRACHT_DEV_TOKENS=true``: its key lives in a local file
(``VEERKRACHT_DEV_KEY_FILE``, made on first use), not at an issuer anyone else controls.
"""

import json
import os
import time
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import Key, RSAKey

from app.core.config import get_settings
from app.identity.oidc import InvalidToken

DEV_ISSUER = "http://localhost/veerkracht-dev"
DEV_AUDIENCE = "veerkracht-dev"
DEV_KID = "veerkracht-dev-1"
TOKEN_SECONDS = 8 * 3600

_loaded: dict[str, RSAKey] = {}


def is_dev_issuer(issuer: str) -> bool:
    """True for the dev issuer; its tokens are refused (401) while dev tokens are off."""
    if issuer != DEV_ISSUER:
        return False
    if not get_settings().dev_tokens:
        raise InvalidToken("Development tokens are switched off on this server.")
    return True


def _private_key() -> RSAKey:
    path = Path(get_settings().dev_key_file)
    cached = _loaded.get(str(path))
    if cached is not None:
        return cached
    if path.exists():
        key = RSAKey.import_key(json.loads(path.read_text()))
    else:
        key = RSAKey.generate_key(2048, parameters={"kid": DEV_KID})
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(key.as_dict(private=True), f)
    _loaded[str(path)] = key
    return key


def public_key(kid: object) -> Key:
    """The dev issuer's key (the file is read once per process)."""
    if kid != DEV_KID:
        raise InvalidToken("The token was signed with a key the issuer does not publish.")
    return RSAKey.import_key(_private_key().as_dict(private=False))


def mint(
    *,
    subject: str,
    email: str | None,
    name: str | None,
    roles: list[str],
    audience: str = DEV_AUDIENCE,
) -> str:
    """A dev access token for ``subject`` (refused unless dev tokens are on)."""
    if not get_settings().dev_tokens:
        raise RuntimeError(
            "dev tokens are off: set VEERKRACHT_DEV_TOKENS=true (never in production)"
        )
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_SECONDS,
        "groups": roles,
    }
    if email:
        claims["email"] = email
    if name:
        claims["name"] = name
    return jwt.encode({"alg": "RS256", "kid": DEV_KID}, claims, _private_key())
