"""Schemathesis hooks for .ci/schemathesis: which refusals of schema-valid data the
contract documents (issue 19, item 7).

``positive_data_acceptance`` expects every schema-valid request to be accepted (2xx, 3xx,
401, 403, 404, 409, 429). A few refusals depend on what no schema can state: the database
(an id that names nothing of this organisation, a version another request changed), the
requests before (an Idempotency-Key already used for another body), or the network (a
webhook host that is private). The check below is ``positive_data_acceptance`` with those,
and only those, let through: the status must be declared for the operation and the problem
``code`` must be one of STATE_REFUSALS. ``validation-error`` and ``invalid-cursor`` are
never let through (the schema must say what validation enforces), except for the two
exceptions listed in QUERY_RULES, which OpenAPI cannot express.
"""

from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

# Problem code: why a schema-valid request can meet it.
STATE_REFUSALS = {
    "unknown-reference": "an id in the request names nothing of this organisation",
    "etag-mismatch": "If-Match names a version the resource no longer has",
    "precondition-failed": "If-None-Match names the current version (or * and it exists)",
    "idempotency-key-reused": "the Idempotency-Key was used before for another request",
    "secret-shown-once": "a key creation retried under the Idempotency-Key that made the key",
    "one-owner": "a PATCH that clears the owner the item has (one owner always)",
    "invalid-exposure-range": "a PATCH of one end of the exposure range past the stored other",
    "invalid-exposure-bands": "a PATCH of one exposure band past a stored one (bands ascend)",
    "management-level-audience": "a PATCH of the management level or audience that the stored "
    "other does not allow",
    "webhook-target-refused": "the URL's host is (or resolves to) a private address",
    "issuer-refused": "an identity provider's issuer host is a private address",
    "invalid-option": "import options that exclude each other (documented with the options)",
    "already-exists": "a unique value another record of the organisation holds",
    # A PATCH sets one side of a rule whose other side is stored (or is the clock's today).
    "ends-before-start": "a PATCH moving one end of a session past the stored other end",
    "next-review-before-held": "a PATCH moving one of the two dates past the stored other",
    "recorded-out-of-range": "a date outside the incident's aftercare period, or after today",
    "occurred-in-future": "a time after now (the schema cannot know the clock)",
    "held-on-in-future": "a day after today (the schema cannot know the clock)",
    "recorded-on-required": "a PATCH clearing the date a stored status needs",
    "recorded-on-pending": "a PATCH giving a date while the stored status is pending",
    "empty-file": "an import body without a header row (text/csv takes any text)",
    # An import's body is one schema for every kind (CSV text or rows of JSON); which columns
    # a kind needs, their aliases and their values are checked per kind (docs/imports.md).
    "missing-columns": "the columns the import's kind needs (by any alias) are missing",
    "duplicate-columns": "two columns are aliases of one field",
    "import-rejected": "rows the import's kind refuses (all_or_nothing)",
    "unparseable-file": "a CSV body that is not CSV",
    "undecodable-file": "a CSV body in no encoding the import reads",
}
# The input guard (app/core/input_guard.py) refuses, for every field of every operation,
# text and numbers no column can store: NUL characters, lone UTF-16 surrogates, integers
# beyond 32 bits (API.md); the import bodies' free-form rows included.
UNSTORABLE = (
    "NUL characters are not allowed.",
    "Lone UTF-16 surrogates are not allowed",
    "Numbers must be finite; integers within",
)
# (problem code, pointer): rules between query parameters, which OpenAPI cannot state;
# each is in the parameter's description. The change feed's cursor carries a position
# (transaction, sequence, time) whose validity no pattern can express.
QUERY_RULES = {
    ("validation-error", "/query/function_group_id"),  # not with team_id
    ("invalid-period", "/query/period_from"),  # not after period_to
    ("invalid-cursor", "/query/after"),  # GET /v1/changes
    ("invalid-cursor", "/query/changed_after"),  # GET /v1/employee-status
    ("invalid-cursor", "/query/sync_token"),  # a feed position, on every list
    ("validation-error", "/query/sync_token"),  # a list the feed does not cover
}


def _documented(response: Any, case: Any) -> bool:
    declared = case.operation.definition.raw.get("responses", {})
    if str(response.status_code) not in declared:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    code = body.get("code")
    if code in STATE_REFUSALS:
        return True
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    if code == "validation-error" and errors:
        details = [str(e.get("detail", "")).removeprefix("Key: ") for e in errors]
        if all(d.startswith(UNSTORABLE) for d in details):
            return True
    pointers = {e.get("pointer") for e in errors}
    return bool(pointers) and all((code, p) in QUERY_RULES for p in pointers)


@schemathesis.check
def positive_data_acceptance_documented(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance, letting through only the refusals documented above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _documented(response, case):
            return None
        raise
