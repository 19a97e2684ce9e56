"""One pure-ASGI middleware for what every request needs before routing.

Request id (``X-Request-ID`` honoured or generated, echoed back), access log, ``HEAD`` as
the ``GET`` of the same URL without its body (RFC 9110 9.3.2), the body
size limit (413 before the body is parsed, also for a chunked body without
Content-Length), the content-type check (415), security headers, and the last-resort 500
problem for an unhandled exception. Pure ASGI rather than ``BaseHTTPMiddleware``: it adds
no task per request.
"""

import asyncio
import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import send_problem
from app.core.logging import request_id_var
from app.core.problems import ProblemCode

log = logging.getLogger("veerkracht.access")
error_log = logging.getLogger("veerkracht.errors")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
DOC_PATHS = ("/docs", "/redoc")
# The documentation pages run the Swagger UI and ReDoc bundles the app ships (core/docs.py)
# and need nothing from elsewhere: the browser is told so, which also stops ReDoc's
# "powered by" logo from being fetched off a CDN (a failed request on a closed network).
# Both bundles start from an inline script and ReDoc styles with inline styles and runs
# its search in a blob: worker.
DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    b"frame-ancestors 'none'",
)


class RequestContextMiddleware:
    """Request id, access log, body limits, content types and security headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_import_bytes: int,
        import_prefix: str = "/v1/imports",
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_import = max_import_bytes
        self.import_prefix = import_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        path: str = scope["path"]
        is_import = path.startswith(self.import_prefix)
        limit = self.max_import if is_import else self.max_body
        extra_headers = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
        extra_headers.append(DOCS_CSP if path.startswith(DOC_PATHS) else API_CSP)

        started_response = False
        # A server must answer HEAD wherever it answers GET (RFC 9110 9.1): the routes see a
        # GET, and the answer keeps its status and headers (Content-Length and ETag too)
        # but not its body. One place, so no route can forget it.
        head = scope["method"] == "HEAD"
        inner = {**scope, "method": "GET"} if head else scope

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                message["headers"] = list(message.get("headers", [])) + extra_headers
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            refusal = self._refuse(scope, headers, limit, is_import)
            if refusal is not None:
                await self._send_problem(send_wrapper, scope, *refusal)
                return
            received = 0

            async def receive_limited() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        # Starlette's HTTPException passes FastAPI's body parser untouched.
                        raise HTTPException(413, f"The body exceeds {limit} bytes.")
                return message

            try:
                await self.app(inner, receive_limited, send_wrapper)
            except asyncio.CancelledError:
                # A shutdown past its grace period cancels what is still running; nothing of
                # it was committed, so the client may safely retry (on another instance).
                if not started_response:
                    await self._send_problem(
                        send_wrapper,
                        scope,
                        503,
                        "shutting-down",
                        "The server is shutting down; nothing was changed. Retry shortly.",
                        [(b"retry-after", b"1")],
                    )
                raise
            except Exception:
                # Answered here rather than by Starlette's outermost error middleware, so the
                # 500 still carries the request id (response header and log line) and no
                # internals: the traceback goes to the log only.
                error_log.exception("unhandled error")
                if started_response:
                    raise
                await self._send_problem(
                    send_wrapper,
                    scope,
                    500,
                    "internal-error",
                    "An unexpected error occurred; it has been logged.",
                )
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)

    def _refuse(
        self, scope: Scope, headers: dict[bytes, bytes], limit: int, is_import: bool
    ) -> tuple[int, ProblemCode, str] | None:
        if scope["method"] not in BODY_METHODS:
            return None
        length = headers.get(b"content-length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                return 400, "bad-request", "Content-Length is not a number."
            if size > limit:
                return 413, "payload-too-large", f"The body exceeds {limit} bytes."
            if size == 0:
                return None
        elif b"transfer-encoding" not in headers:
            return None
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype == b"application/json" or ctype.endswith(b"+json"):
            return None
        if is_import and ctype in (b"text/csv", b"text/plain", b"application/csv"):
            return None
        allowed = "application/json or text/csv" if is_import else "application/json"
        return 415, "unsupported-media-type", f"Send the body as {allowed}."

    @staticmethod
    async def _send_problem(
        send: Send,
        scope: Scope,
        status: int,
        code: ProblemCode,
        detail: str,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        # Refused before the body was read: close the connection rather than read it.
        await send_problem(
            send, scope, status, code, detail, [(b"connection", b"close"), *(extra or [])]
        )
