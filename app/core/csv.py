"""Spreadsheet-safe CSV responses, for every resource that answers ``Accept: text/csv``.

The files are opened by HR officers in (Dutch) Excel, so they are written for it:
UTF-8 with a byte-order mark (without one Excel reads UTF-8 as Windows-1252 and breaks
names like "Gülşen"), ``;`` as separator (the Dutch list separator; a comma puts a whole
row in column A) and CRLF line ends. Every text cell that a spreadsheet would run as a
formula is neutralised with a leading ``'`` (CSV injection, OWASP): people's names, notes
and titles come from outside and may start with ``=``, ``+``, ``-``, ``@``, tab or CR.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from app.core.dutch import CODED, CsvLanguage, csv_language, header_nl, word_nl

CSV_MEDIA_TYPE = "text/csv"
BOM = "\ufeff"
DELIMITER = ";"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_cell(value: object) -> str:
    """One value as CSV text; text a spreadsheet would evaluate gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        # Our own numbers: a negative number is a number, not an injected formula.
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def dutch_cell(value: object, coded: bool = False) -> str:
    """One value as Dutch CSV text: ja/nee, decimal comma, DD-MM-YYYY, Dutch words."""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, Enum):
        return safe_cell(word_nl(str(value.value)))
    if isinstance(value, float):
        return str(value).replace(".", ",")
    if isinstance(value, datetime):
        from app.core.dates import CALENDAR_ZONE

        local = value.astimezone(CALENDAR_ZONE) if value.tzinfo else value
        return local.strftime("%d-%m-%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if coded and isinstance(value, str):
        return safe_cell(word_nl(value))
    return safe_cell(value)


def csv_text(
    rows: Iterable[Sequence[object]],
    header: Sequence[str],
    *,
    language: CsvLanguage = "en",
    kind: str | None = None,
) -> str:
    """The CSV document (BOM, header, rows) as text, in English or Dutch."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    if language == "nl":
        coded = [h in CODED for h in header]
        writer.writerow([safe_cell(header_nl(h, kind)) for h in header])
        writer.writerows(
            [dutch_cell(v, c) for v, c in zip(row, coded, strict=False)] for row in rows
        )
    else:
        writer.writerow([safe_cell(h) for h in header])
        writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def csv_response(
    rows: Iterable[Sequence[object]],
    header: Sequence[str],
    filename: str,
    *,
    language: CsvLanguage = "en",
    kind: str | None = None,
) -> Response:
    """A downloadable, spreadsheet-safe CSV response (UTF-8 with BOM, ``;``-separated);
    ``language="nl"`` for Dutch headers and values (``dutch.csv_language(request)``)."""
    name = _UNSAFE_FILENAME.sub("-", filename).strip("-.") or "export"
    if not name.lower().endswith(".csv"):
        name += ".csv"
    return Response(
        content=csv_text(rows, header, language=language, kind=kind).encode("utf-8"),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8; header=present",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Language": language,
        },
    )


def json_or_csv(
    request: Request,
    *,
    json: Callable[[], BaseModel],
    rows: Callable[[], Iterable[Sequence[object]]],
    header: Sequence[str],
    filename: str,
) -> Response:
    """A report's answer: ``json()`` as JSON, or ``rows()`` as a CSV download named
    ``filename`` when ``Accept`` prefers ``text/csv`` (in Dutch on ``?lang=nl``).

    The JSON is the model the service built, serialised once. Returned as a model, FastAPI
    would validate it again against the route's ``response_model`` (which still documents
    it) before serialising: for a report that names thousands of employees that second pass
    was most of its time (docs/performance.md, "Reports and status pages").
    """
    if prefers_csv(request):
        return csv_response(rows(), header, filename, language=csv_language(request))
    return Response(json().model_dump_json(by_alias=True), media_type="application/json")


def prefers_csv(request: Request) -> bool:
    """Whether the ``Accept`` header prefers ``text/csv`` over JSON (highest q wins)."""
    best_q, best_csv = 0.0, False
    for part in request.headers.get("accept", "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, val = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        media = media.lower()
        if media not in (CSV_MEDIA_TYPE, "application/json", "*/*", "text/*", "application/*"):
            continue
        # Ties keep the first listed; a wildcard never selects CSV by itself.
        if q > best_q:
            best_q, best_csv = q, media == CSV_MEDIA_TYPE
    return best_csv


def csv_openapi(description: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entry documenting the ``text/csv`` alternative of a 200 response."""
    return {
        200: {
            "description": description,
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        }
    }
