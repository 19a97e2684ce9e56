"""Refuse input that no column can store, before it reaches a service (issue 10).

Valid JSON can still carry values the database cannot keep: a NUL character (PostgreSQL
text refuses it), a lone UTF-16 surrogate (not encodable as UTF-8: the driver fails, and
so would any response that echoes it), a number beyond every column (``1e309`` is
infinity; every integer column is 32 bits), nesting deep enough to exhaust a parser's
recursion. Pydantic accepts all of them for a plain
``str``, ``float`` or ``int`` field, so without this check they surfaced as 500s. One
check for every field of every endpoint, present and future, instead of a validator on
each model: the body and the query string are scanned once, and a hit is a 422 problem
naming each offending field by JSON pointer.

Bodies of up to 1 MiB (every route but imports) are parsed once more and walked; larger
import bodies only when a byte scan finds something suspicious (see FULL_CHECK_BYTES).
"""

import json
import math
import re
from datetime import date, datetime
from typing import Any, get_args
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import (
    AwareDatetime,
    BaseModel,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
)

from app.core.errors import InvalidInput

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Bodies up to this size are always checked in full (a C-speed parse: microseconds for a
# typical request). Larger ones, only imports, are checked in full only when a byte scan
# finds an escape, a NUL or a non-finite literal; their rows are validated by the importer.
FULL_CHECK_BYTES = 1_048_576
_SUSPICIOUS_BYTES = (b"\\u", b"\x00", b"NaN", b"Infinity")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class _OutOfRange:
    """Stands in for a number no column can hold, so the walk can name its field."""


_OUT_OF_RANGE = _OutOfRange()
# An integer beyond 32 bits: out of range for a field of a model, not for an import's cell.
_WIDE_INT = _OutOfRange()
# Routes whose body is a file of cells the importer converts and checks one by one (a
# whole number in a text cell is its text at any size: app/imports/cells.py): a wide
# integer there is a row error or a personnel number, not a 422 for the whole body.
CELL_CHECKED_ROUTES = frozenset({"/v1/imports/{kind}"})


def _parse_int(text: str) -> int | _OutOfRange:
    if len(text.lstrip("-")) > 10:
        return _WIDE_INT
    value = int(text)
    return value if INT_MIN <= value <= INT_MAX else _WIDE_INT


def _parse_float(text: str) -> float | _OutOfRange:
    value = float(text)
    return value if math.isfinite(value) else _OUT_OF_RANGE


def _string_problem(value: str) -> str | None:
    if "\x00" in value:
        return "NUL characters are not allowed."
    if _SURROGATE.search(value):
        return "Lone UTF-16 surrogates are not allowed (not valid Unicode text)."
    return None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def body_problems(body: bytes, *, bounded_integers: bool = True) -> list[dict[str, str]]:
    """``{pointer, detail}`` for each unstorable value in a JSON body; [] when clean.

    A body that is not JSON at all is left to the framework's own parser (422/400).
    ``bounded_integers=False`` (imports): integers of any size pass, their cells check them.
    """
    if len(body) > FULL_CHECK_BYTES and not any(s in body for s in _SUSPICIOUS_BYTES):
        return []
    try:
        doc = json.loads(
            body,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=lambda _c: _OUT_OF_RANGE,
        )
    except RecursionError:
        # Deeper than any request of this API: refused here, before a parser that does
        # not expect it (a service parsing a raw body) turns it into a 500.
        return [{"pointer": "/", "detail": "The JSON is nested too deeply."}]
    except ValueError:
        return []
    problems: list[dict[str, str]] = []
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:  # iterative: deeply nested JSON cannot exhaust the Python stack here
        pointer, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{pointer}/{_escape(key)}"
                detail = _string_problem(key)
                if detail:
                    problems.append({"pointer": pointer or "/", "detail": "Key: " + detail})
                    continue
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{i}", item) for i, item in enumerate(value))
        elif isinstance(value, str):
            detail = _string_problem(value)
            if detail:
                problems.append({"pointer": pointer or "/", "detail": detail})
        elif value is _OUT_OF_RANGE or (value is _WIDE_INT and bounded_integers):
            problems.append(
                {
                    "pointer": pointer or "/",
                    "detail": f"Numbers must be finite; integers within {INT_MIN}..{INT_MAX}.",
                }
            )
    problems.sort(key=lambda p: p["pointer"])
    return problems[:50]


def query_problems(query_string: bytes) -> list[dict[str, str]]:
    """``{pointer, detail}`` for each query parameter carrying a NUL character."""
    if b"%00" not in query_string and b"\x00" not in query_string:
        return []
    return [
        {"pointer": f"/query/{name}", "detail": "NUL characters are not allowed."}
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        if "\x00" in value or "\x00" in name
    ]


_DECLARED = "_declared_query_parameters"


def _declared_query(route: APIRoute) -> frozenset[str]:
    # Every query parameter the operation declares, its dependencies' included, and the
    # fields of a model declared as query parameters; worked out once per route.
    known: frozenset[str] | None = getattr(route, _DECLARED, None)
    if known is None:
        known = _query_names(route)
        setattr(route, _DECLARED, known)
    return known


def _query_names(route: APIRoute) -> frozenset[str]:
    names: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        for param in dependant.query_params:
            names.add(param.alias)
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                names.update(f.alias or n for n, f in model.model_fields.items())
        pending.extend(dependant.dependencies)
    return frozenset(names)


# Calendar days and instants in the query string are ISO 8601 text, as the document declares
# (`format: date` / `date-time`), and booleans `true` or `false`. Pydantic's lax mode also
# reads a number as a Unix time, so `?on=0` was answered as 1970-01-01 and
# `?updated_since=0.5` as 1970 plus half a second, and `yes`, `on` or `1` as true.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?"
)
_TEMPORAL = "_typed_query_parameters"
_BOOLEANS = frozenset({"true", "false"})
# Pydantic's constrained dates and times are no subclasses of date and datetime.
_PYDANTIC_DATETIMES = (AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)
_PYDANTIC_DATES = (PastDate, FutureDate)


def _temporal_kind(annotation: Any) -> str | None:
    """The declared format ("date-time", "date") of a parameter's type, or "boolean"; None
    for others."""
    pending = [annotation]
    while pending:
        current = pending.pop()
        if current is bool:
            return "boolean"
        if current in _PYDANTIC_DATETIMES:
            return "date-time"
        if current in _PYDANTIC_DATES:
            return "date"
        if isinstance(current, type):
            if issubclass(current, datetime):
                return "date-time"
            if issubclass(current, date):
                return "date"
        pending.extend(get_args(current))
    return None


def _temporal_query(route: APIRoute) -> dict[str, str]:
    known: dict[str, str] | None = getattr(route, _TEMPORAL, None)
    if known is None:
        known = {}
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            for param in dependant.query_params:
                fields = [(param.alias, param.field_info.annotation)]
                model = param.field_info.annotation
                # A model of query parameters (core/listing.py's filters): its fields.
                if isinstance(model, type) and issubclass(model, BaseModel):
                    fields = [(f.alias or n, f.annotation) for n, f in model.model_fields.items()]
                for name, annotation in fields:
                    kind = _temporal_kind(annotation)
                    if kind is not None:
                        known[name] = kind
            pending.extend(dependant.dependencies)
        setattr(route, _TEMPORAL, known)
    return known


def temporal_query_problems(request: Request) -> list[dict[str, str]]:
    """``{pointer, detail}`` for each date or date-time query value that is not ISO 8601,
    and each boolean that is not ``true`` or ``false``."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.scope.get("query_string"):
        return []
    problems = []
    for name, kind in _temporal_query(route).items():
        if kind == "boolean":
            problems += [
                {"pointer": f"/query/{name}", "detail": "Expected true or false."}
                for value in request.query_params.getlist(name)
                if value not in _BOOLEANS
            ]
            continue
        pattern = _ISO_DATETIME if kind == "date-time" else _ISO_DATE
        for value in request.query_params.getlist(name):
            if pattern.fullmatch(value) is None:
                example = "2026-03-01T09:00:00Z" if kind == "date-time" else "2026-03-01"
                problems.append(
                    {
                        "pointer": f"/query/{name}",
                        "detail": f"Expected an ISO 8601 {kind} such as {example}.",
                    }
                )
    return problems


def unknown_query_problems(request: Request) -> list[dict[str, str]]:
    """``{pointer, detail}`` for each query parameter the operation does not declare.

    An unknown parameter is a typo or a filter this operation lacks (``?externalId=`` for
    ``external_id``); answering as if it were not there would return everything, unfiltered.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.scope.get("query_string"):
        return []
    declared = _declared_query(route)
    return [
        {
            "pointer": f"/query/{name}",
            "detail": f"Unknown query parameter '{name}'; this operation takes: "
            + (", ".join(sorted(declared)) or "none")
            + ".",
        }
        for name in dict.fromkeys(request.query_params.keys())
        if name not in declared
    ]


async def reject_unstorable_input(request: Request) -> None:
    """Router dependency: 422 for an unknown query parameter, a NUL, a lone surrogate or an
    unstorable number."""
    problems = unknown_query_problems(request)
    problems += query_problems(request.scope.get("query_string", b""))
    problems += temporal_query_problems(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_json = content_type == "application/json" or content_type.endswith("+json")
    if request.method in _BODY_METHODS and is_json:
        # Starlette caches the body: FastAPI's own parsing reads the same bytes again.
        route = request.scope.get("route")
        bounded = getattr(route, "path", None) not in CELL_CHECKED_ROUTES
        problems += body_problems(await request.body(), bounded_integers=bounded)
    if problems:
        raise InvalidInput(
            "The request contains values this API cannot store.",
            code="validation-error",
            errors=problems,
        )
