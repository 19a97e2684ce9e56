"""SCIM error bodies (RFC 7644 section 3.12) for every error answered under /scim/v2.

The app renders each error once, as a problem document (core/errors.py): the middleware's
413 and 415, authentication's 401, the services' 404/409/412, validation's 422. Under
``/scim/v2`` a SCIM client expects the SCIM error shape instead, so this middleware
rewrites those problem documents on the way out: one renderer, one translation, and no
error of the SCIM routes can slip out in the other shape. A problem may name its
``scimType`` itself (``ScimError``); otherwise it follows from the problem's code.
"""

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_JSON, DomainError
from app.core.problems import ProblemCode

SCIM_JSON = "application/scim+json"
SCIM_PREFIX = "/scim/v2"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(DomainError):
    """A SCIM request refused with a ``scimType`` (400 unless said otherwise)."""

    status = 400
    code: ProblemCode = "invalid-scim-request"

    def __init__(self, detail: str, *, scim_type: str, status: int = 400) -> None:
        super().__init__(detail, scim_type=scim_type)
        self.status = status


def scim_error_body(status: int, detail: str | None, scim_type: str | None) -> dict[str, Any]:
    """The JSON of a SCIM error; the status is a string, as RFC 7644 section 3.12 has it."""
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(status)}
    if scim_type:
        body["scimType"] = scim_type
    if detail:
        body["detail"] = detail
    return body


# The columns a unique index names in a 409 that a race let through to the database, as
# the SCIM attributes that carry them (mapping.py): a client knows no column names.
SCIM_ATTRIBUTES = {
    "user_name": "userName",
    "scim_external_id": "externalId",
    "email": "emails",
    "external_id": "employeeNumber",
}


def _translate(status: int, problem: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    code = problem.get("code")
    scim_type = problem.get("scim_type")
    detail = problem.get("detail") or problem.get("title")
    errors = problem.get("errors") or []
    if code == "already-exists" and errors:
        columns = [str(e.get("pointer") or "").lstrip("/") for e in errors]
        named = ", ".join(SCIM_ATTRIBUTES.get(c, c) for c in columns)
        detail, errors = f"Another resource already has this {named}.", []
    if errors and not scim_type:
        fields = "; ".join(f"{e.get('pointer') or '/'}: {e.get('detail')}" for e in errors)
        detail = f"{detail} ({fields})" if detail else fields
    if scim_type is None:
        if code == "already-exists":
            scim_type = "uniqueness"
        elif status == 422:
            # A body that is no JSON at all is a syntax error; anything else a bad value.
            unreadable = any("JSON" in str(e.get("detail", "")) for e in errors)
            scim_type = "invalidSyntax" if unreadable else "invalidValue"
            status = 400
    return status, scim_error_body(status, detail, scim_type)


class ScimErrorMiddleware:
    """Rewrite problem documents answered under /scim/v2 as SCIM errors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(SCIM_PREFIX):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewriting(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if ctype.startswith(PROBLEM_JSON.encode()):
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                await _send_translated(send, start, b"".join(chunks))
                return
            await send(message)

        await self.app(scope, receive, rewriting)


async def _send_translated(send: Send, start: Message, raw: bytes) -> None:
    try:
        problem = json.loads(raw)
    except ValueError:
        problem = {}
    status, body = _translate(int(start["status"]), problem)
    encoded = json.dumps(body).encode()
    kept = [
        (k, v)
        for k, v in start.get("headers", [])
        if k.lower() not in (b"content-type", b"content-length")
    ]
    headers = [
        *kept,
        (b"content-type", SCIM_JSON.encode()),
        (b"content-length", str(len(encoded)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})
