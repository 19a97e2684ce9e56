"""Every problem `code` the API answers with, what it means, in English and Dutch.

One catalogue serves four readers: `ProblemCode` (a Literal, so mypy refuses a code that is
not listed here), the OpenAPI document (`Problem.code` is an enum of it), `GET
/problems/{code}` (a problem's `type` URI resolves to its explanation) and
`docs/errors.md` (written from it by `veerkracht openapi`, drift-checked like the
document). A problem's `title` comes from here, in Dutch for `Accept-Language: nl`; the
`detail` says what happened in this request and stays English.
"""

import pathlib
import tomllib
from dataclasses import dataclass
from typing import Annotated, Literal, cast, get_args

from fastapi import FastAPI, Path, Request
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

ProblemCode = Literal[
    "already-exists",
    "bad-request",
    "builtin-skill",
    "capacity-below-enrolments",
    "concurrent-publish",
    "conflict",
    "cursor-expired",
    "database-busy",
    "database-unavailable",
    "discussed-on-in-future",
    "duplicate-columns",
    "duplicate-reference",
    "duplicate-skill",
    "employee-active",
    "employee-erased",
    "employee-has-history",
    "employee-of-another-team",
    "empty-file",
    "ends-before-start",
    "enrolment-cancelled",
    "enrolment-refused",
    "etag-mismatch",
    "forbidden",
    "function-group-in-use",
    "goal-not-aligned",
    "goal-of-another-employee",
    "gone",
    "held-on-in-future",
    "idempotency-key-in-use",
    "idempotency-key-reused",
    "identity-provider-error",
    "import-rejected",
    "insufficient-scope",
    "integrity-conflict",
    "internal-error",
    "invalid-api-key",
    "invalid-completion-date",
    "invalid-cursor",
    "invalid-exposure-bands",
    "invalid-exposure-range",
    "invalid-idempotency-key",
    "invalid-option",
    "invalid-period",
    "invalid-scim-request",
    "invalid-token",
    "issuer-refused",
    "management-level-audience",
    "manager-not-responsible",
    "managers-first-order",
    "meeting-does-not-fit",
    "method-not-allowed",
    "missing-api-key",
    "missing-columns",
    "newer-version-published",
    "next-review-before-held",
    "no-current-protocol",
    "no-role",
    "no-user",
    "norm-in-protocol",
    "norm-not-crossed",
    "norm-of-another-team",
    "not-a-manager",
    "not-found",
    "not-ready",
    "occurred-in-future",
    "one-owner",
    "payload-too-large",
    "plan-already-scheduled",
    "plan-phase-dates",
    "plan-stale",
    "precondition-failed",
    "program-audience-fixed",
    "program-has-history",
    "program-inactive",
    "protocol-has-no-sections",
    "protocol-not-draft",
    "protocol-not-published",
    "protocol-superseded",
    "read-at-in-future",
    "recorded-before-incident",
    "recorded-on-pending",
    "recorded-on-required",
    "recorded-out-of-range",
    "revoked-api-key",
    "role-forbids",
    "rule-violation",
    "secret-shown-once",
    "service-unavailable",
    "session-already-completed",
    "session-cancelled",
    "session-closed",
    "session-has-history",
    "session-not-started",
    "shutting-down",
    "skill-in-use",
    "skill-retired",
    "still-manages-teams",
    "still-referenced",
    "team-goal-in-use",
    "team-has-employees",
    "team-norm-softens-organisation-norm",
    "unauthorized",
    "undecodable-file",
    "unknown-reference",
    "unparseable-file",
    "unsupported-media-type",
    "user-deactivated",
    "validation-error",
    "value-out-of-range",
    "webhook-target-refused",
]

Language = Literal["en", "nl"]


@dataclass(frozen=True, slots=True)
class ProblemType:
    """What one code means: its usual status, its title in both languages, an explanation."""

    status: int
    title: str
    title_nl: str
    explanation: str

    def title_in(self, language: Language) -> str:
        return self.title_nl if language == "nl" else self.title


def _load() -> dict[ProblemCode, ProblemType]:
    # The catalogue is data (problems.toml, shipped with the package); the codes are also a
    # Literal so that mypy refuses an unlisted one. tests/core/test_problems.py checks both
    # name the same codes.
    raw = tomllib.loads(
        (pathlib.Path(__file__).parent / "problems.toml").read_text(encoding="utf-8")
    )
    return {cast(ProblemCode, code): ProblemType(**entry) for code, entry in raw.items()}


CATALOGUE: dict[ProblemCode, ProblemType] = _load()


def codes() -> tuple[ProblemCode, ...]:
    return get_args(ProblemCode)


def problem_type(code: str) -> ProblemType | None:
    return CATALOGUE.get(cast(ProblemCode, code))


def preferred_language(accept_language: str | None) -> Language:
    """`nl` when the caller's Accept-Language ranks Dutch above English, else `en`.

    Only the two languages the API speaks are weighed; a missing header means English.
    """
    best: tuple[float, Language] = (0.0, "en")
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        if language not in ("nl", "en"):
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if quality > best[0]:
            best = (quality, "nl" if language == "nl" else "en")
    return best[1]


def markdown() -> str:
    """docs/errors.md: every code with its status, titles and explanation."""
    lines = [
        "# Problem codes",
        "",
        "Every error is an RFC 9457 `application/problem+json` document with a stable",
        "`code`; its `type` is `/problems/<code>`, which answers this explanation",
        "(`GET /problems/{code}`). `title` is in Dutch with `Accept-Language: nl`. A `409`",
        "always carries `violations` (one per broken rule, `rule` and `message`), a `422`",
        "always carries `errors` (one per field, `pointer` and `detail`).",
        "",
        "This page is written from `app/core/problems.toml` by `veerkracht openapi`;",
        "the test command fails when it is out of date.",
        "",
        "| code | status | title | titel (nl) | meaning |",
        "|---|---|---|---|---|",
    ]
    for code in sorted(CATALOGUE):
        p = CATALOGUE[code]
        meaning = p.explanation.replace("|", "\\|")
        lines.append(f"| `{code}` | {p.status} | {p.title} | {p.title_nl} | {meaning} |")
    return "\n".join(lines) + "\n"


# --- the pages a problem's `type` URI leads to -------------------------------------------


class ProblemTypePublic(BaseModel):
    """What a problem code means (the page its `type` URI names)."""

    code: ProblemCode
    status: int = Field(description="The status this code is answered with.")
    title: str = Field(description="In Dutch with `Accept-Language: nl`.")
    explanation: str


def _public(code: ProblemCode, language: Language) -> ProblemTypePublic:
    known = CATALOGUE[code]
    return ProblemTypePublic(
        code=code,
        status=known.status,
        title=known.title_in(language),
        explanation=known.explanation,
    )


def install_problem_pages(app: FastAPI) -> None:
    """`GET /problems` and `GET /problems/{code}`, public, on the app itself."""

    @app.get("/problems", tags=["problems"])
    async def list_problem_types(request: Request) -> list[ProblemTypePublic]:
        """Every problem code this API answers with (also in docs/errors.md); titles in
        Dutch with `Accept-Language: nl`."""
        language = preferred_language(request.headers.get("accept-language"))
        return [_public(code, language) for code in sorted(CATALOGUE)]

    @app.get(
        "/problems/{code}",
        tags=["problems"],
        responses={404: {"description": "No such problem code"}},
    )
    async def get_problem_type(
        code: Annotated[str, Path(max_length=100)], request: Request
    ) -> ProblemTypePublic:
        """What one problem code means: a problem document's `type` URI resolves here."""
        if problem_type(code) is None:
            raise StarletteHTTPException(
                404, f"No problem code {code!r}; GET /problems lists them."
            )
        language = preferred_language(request.headers.get("accept-language"))
        return _public(cast(ProblemCode, code), language)
