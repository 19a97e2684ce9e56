"""Domain errors and their rendering as RFC 9457 problem documents.

Services raise these; one set of handlers (``install_error_handlers``) renders every
4xx/5xx, FastAPI's own included, as ``application/problem+json`` with a stable ``code``.
Status policy, said once: 422 when the payload itself is malformed and can never succeed;
409 when a well-formed request breaks a business rule or the current state.
"""

import json
import logging
import re
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from sqlalchemy.sql.schema import ColumnCollectionConstraint
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import Scope, Send

from app.core.problems import CATALOGUE, Language, ProblemCode, preferred_language
from app.core.routing import allow_header, shadowed_method

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("veerkracht.errors")


class FieldError(BaseModel):
    """One invalid field, located by a JSON pointer into the request."""

    pointer: str = Field(max_length=500)
    detail: str = Field(max_length=2000)


class Violation(BaseModel):
    """One broken business rule; rule-specific details ride along as extra keys."""

    model_config = {"extra": "allow"}

    rule: str = Field(max_length=100)
    message: str = Field(max_length=2000)


class ExistingResource(BaseModel):
    """The resource a `409 already-exists` clashes with: read or change it instead."""

    id: str = Field(max_length=100)
    url: str = Field(max_length=500, examples=["/v1/employees/0193c7a2-..."])


class Problem(BaseModel):
    """RFC 9457 problem document, as every error of this API is answered."""

    model_config = {"extra": "allow"}

    type: str = Field(max_length=200, examples=["/problems/not-found"])
    title: str = Field(max_length=200)
    status: int
    detail: str | None = Field(default=None, max_length=10_000)
    instance: str | None = Field(default=None, max_length=2000)
    code: ProblemCode = Field(description="Stable; `type` is `/problems/<code>`.")
    errors: list[FieldError] | None = Field(
        default=None, description="Present on every 422: one entry per invalid field."
    )
    violations: list[Violation] | None = Field(
        default=None, description="Present on every 409: one entry per broken rule."
    )
    existing: ExistingResource | None = Field(
        default=None,
        description="On a 409 `already-exists`: the resource that already has the value "
        "(its id and URL), when the service knows it.",
    )


class RefusalProblem(Problem):
    """A 409: the request is well formed but the current state or a rule refuses it."""

    violations: list[Violation]


class InvalidProblem(Problem):
    """A 422: the input itself is invalid and can never succeed as sent."""

    errors: list[FieldError]


# The problem schema an OpenAPI response of each status refers to.
PROBLEM_SCHEMAS: dict[int, type[Problem]] = {409: RefusalProblem, 422: InvalidProblem}


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status: int = 400
    code: ProblemCode = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: ProblemCode | None = None,
        errors: Sequence[dict[str, str]] | None = None,
        violations: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        if code is not None:
            self.code = code
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.violations = list(violations) if violations is not None else None
        self.headers = headers or {}
        self.extra = extra

    @property
    def title(self) -> str:
        """The code's title (app/core/problems.toml): one title per problem type."""
        return CATALOGUE[self.code].title


class NotFound(DomainError):
    status = 404
    code: ProblemCode = "not-found"

    def __init__(
        self,
        detail: str | None = None,
        *,
        resource: str | None = None,
        id_: uuid.UUID | str | None = None,
        **kw: Any,
    ) -> None:
        if detail is None and resource is not None:
            detail = f"No {resource.replace('_', ' ')} with id {id_}." if id_ else f"No {resource}."
        super().__init__(detail, **kw)


class Unauthorized(DomainError):
    status = 401
    code: ProblemCode = "unauthorized"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="veerkracht"'})
        super().__init__(detail, **kw)


class Forbidden(DomainError):
    status = 403
    code: ProblemCode = "forbidden"


class Conflict(DomainError):
    status = 409
    code: ProblemCode = "conflict"


class RuleViolation(Conflict):
    """A business rule refused the request; ``violations`` say which and why."""

    code: ProblemCode = "rule-violation"


class PreconditionFailed(DomainError):
    status = 412
    code: ProblemCode = "precondition-failed"


class InvalidInput(DomainError):
    """The payload can never succeed as sent (422)."""

    status = 422
    code: ProblemCode = "validation-error"


class Gone(DomainError):
    """What was asked for existed but is no longer kept (410): start again."""

    status = 410
    code: ProblemCode = "gone"


class ServiceUnavailable(DomainError):
    status = 503
    code: ProblemCode = "service-unavailable"


def problem_body(
    *,
    status: int,
    code: ProblemCode,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[dict[str, str]] | None = None,
    violations: Sequence[dict[str, Any]] | None = None,
    language: Language = "en",
    **extra: Any,
) -> dict[str, Any]:
    """The JSON of a problem document; the title is the code's, in the caller's language.

    One contract for typed clients (docs/errors.md): a 409 always carries `violations` and
    a 422 always carries `errors`; a refusal that names no rule or field gets one entry
    made of its code and detail.
    """
    title = CATALOGUE[code].title_in(language)
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if errors is None and status == 422:
        errors = [{"pointer": "", "detail": detail or title}]
    if violations is None and status == 409:
        violations = [{"rule": code, "message": detail or title}]
    if errors is not None:
        body["errors"] = list(errors)
    if violations is not None:
        body["violations"] = list(violations)
    body.update(extra)
    return body


def problem_response(
    status: int,
    code: ProblemCode,
    *,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> JSONResponse:
    """Render a problem document as a response."""
    instance = request.url.path if request is not None else None
    language = preferred_language(request.headers.get("accept-language")) if request else "en"
    body = problem_body(status=status, code=code, instance=instance, language=language, **kw)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _pointer(loc: Sequence[str | int]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where = parts.pop(0)
        if where != "body":
            return f"/{where}/" + "/".join(str(p) for p in parts) if parts else f"/{where}"
    # RFC 6901: "" is the whole document, "/" a member with an empty name.
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """FastAPI/pydantic validation errors as ``{pointer, detail}`` pairs."""
    out = []
    for err in exc.errors():
        loc, detail = err.get("loc", ()), str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":  # its loc ends in a position, not a member
            detail = f"The body is not valid JSON ({(err.get('ctx') or {}).get('error')}, "
            detail += f"at character {loc[-1]})"
            loc = ("body",)
        out.append({"pointer": _pointer(loc), "detail": detail[:500]})
    return out


# SQLite names the columns (or an expression index) in its message; PostgreSQL names the
# constraint (diag): the naming convention (core/models.py) maps names back to columns.
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_SQLITE_UNIQUE_INDEX = re.compile(r"UNIQUE constraint failed: index '(\w+)'")
_PG_UNIQUE, _PG_FOREIGN_KEY = "23505", "23503"


def _constraint_columns(name: str) -> list[str] | None:
    from sqlmodel import SQLModel

    for table in SQLModel.metadata.tables.values():
        for constraint in table.constraints:
            if constraint.name == name and isinstance(constraint, ColumnCollectionConstraint):
                return [c.name for c in constraint.columns]
        for index in table.indexes:
            if index.name == name:
                return [c.name for c in index.columns]
    return None


def integrity_kind(exc: IntegrityError) -> str:
    """``unique``, ``foreign_key`` or ``other``: which constraint refused the write."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return {_PG_UNIQUE: "unique", _PG_FOREIGN_KEY: "foreign_key"}.get(sqlstate, "other")
    msg = str(orig)
    if msg.startswith("UNIQUE constraint failed"):
        return "unique"
    if msg.startswith("FOREIGN KEY constraint failed"):
        return "foreign_key"
    return "other"


def unique_fields(exc: IntegrityError) -> list[str]:
    """The fields of the unique constraint a write broke, without ``organisation_id``."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    name = name or next(iter(_SQLITE_UNIQUE_INDEX.findall(str(exc.orig))), None)
    if name:
        columns = _constraint_columns(name)
    else:
        m = _SQLITE_UNIQUE.search(str(exc.orig))
        columns = [c.strip().split(".")[-1] for c in m.group(1).split(",")] if m else None
    if not columns:
        return []
    return [c for c in columns if c != "organisation_id"] or columns


def _method_not_allowed(request: Request, allow: str) -> Response:
    """405 whose ``Allow`` lists every method of the resource, whichever route matched."""
    return problem_response(
        405,
        "method-not-allowed",
        request=request,
        detail=f"{request.method} is not allowed here; this resource takes {allow}.",
        headers={"Allow": allow},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error the app can produce as a problem document."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return problem_response(
            exc.status,
            exc.code,
            request=request,
            detail=exc.detail,
            errors=exc.errors,
            violations=exc.violations,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
            # A literal resource (/check) refused its path segment as another route's id:
            # the method is what is wrong there, not the id (core/routing).
            path_params = len(request.scope.get("path_params") or {})
            allow = shadowed_method(request.app, request.url.path, request.method, path_params)
            if allow is not None:
                return _method_not_allowed(request, allow)
        return problem_response(
            422,
            "validation-error",
            request=request,
            detail="The request does not match the schema.",
            errors=validation_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes: dict[int, ProblemCode] = {
            404: "not-found",
            405: "method-not-allowed",
            413: "payload-too-large",
            415: "unsupported-media-type",
            400: "bad-request",
        }
        code = codes.get(
            exc.status_code, "internal-error" if exc.status_code >= 500 else "bad-request"
        )
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 405:
            allow = allow_header(request.app, request.url.path)
            if allow is not None:
                return _method_not_allowed(request, allow)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route {request.method} {request.url.path}."
        return problem_response(
            exc.status_code, code, request=request, detail=detail, headers=dict(exc.headers or {})
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # The database constraint is the last word on uniqueness under concurrency: a race
        # that passed every check in Python still ends here, as a 409 naming the field.
        kind = integrity_kind(exc)
        if kind == "unique":
            fields = unique_fields(exc)
            named = ", ".join(fields) or "a unique value"
            return problem_response(
                409,
                "already-exists",
                request=request,
                detail=f"Another resource of this organisation already has this {named}.",
                errors=[
                    {"pointer": f"/{f}", "detail": f"{f} is already in use in this organisation."}
                    for f in fields
                ],
            )
        log.warning("integrity error", extra={"kind": kind, "error": str(exc.orig)[:300]})
        return problem_response(
            409,
            "integrity-conflict",
            request=request,
            detail="The change conflicts with related data.",
        )

    # Values outside what dates, times and numbers can hold (year 1 with a zone, 9999-12-31
    # plus a day, numbers the database refuses) are invalid input, wherever they surface.
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        return problem_response(
            422,
            "value-out-of-range",
            request=request,
            detail="A date, time or number is outside the range this API can store or use.",
        )

    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)

    def _internal(request: Request) -> Response:
        return problem_response(
            500,
            "internal-error",
            request=request,
            detail="An unexpected error occurred; it has been logged.",
        )

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> Response:
        # Raised while binding a parameter (e.g. UTCDateTime of year 1 with a zone).
        if isinstance(exc.orig, OverflowError | ValueError):
            return await _out_of_range(request, exc)
        log.error("statement failed", exc_info=exc)
        return _internal(request)

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        log.error("database unavailable", extra={"error": str(exc.orig)[:300]})
        return problem_response(
            503,
            "database-unavailable",
            request=request,
            detail="The database is busy or unavailable; retry shortly.",
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return _internal(request)


async def send_problem(
    send: Send,
    scope: Scope,
    status: int,
    code: ProblemCode,
    detail: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer with a problem document from ASGI middleware (outside the handlers above)."""
    accept_language = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
    body = json.dumps(
        problem_body(
            status=status,
            code=code,
            detail=detail,
            instance=scope["path"],
            language=preferred_language(accept_language),
        )
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring problem documents for these statuses."""
    responses: dict[int | str, dict[str, Any]] = {}
    for s in statuses:
        model = PROBLEM_SCHEMAS.get(s, Problem)
        ref = f"#/components/schemas/{model.__name__}"
        responses[s] = {
            "model": model,
            "description": HTTPStatus(s).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": ref}}},
        }
    return responses
