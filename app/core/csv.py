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
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from fastapi import Request
from starlette.responses import Response

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


def csv_text(rows: Iterable[Sequence[object]], header: Sequence[str]) -> str:
    """The CSV document (BOM, header, rows) as text."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def csv_response(
    rows: Iterable[Sequence[object]], header: Sequence[str], filename: str
) -> Response:
    """A downloadable, spreadsheet-safe CSV response (UTF-8 with BOM, ``;``-separated)."""
    name = _UNSAFE_FILENAME.sub("-", filename).strip("-.") or "export"
    if not name.lower().endswith(".csv"):
        name += ".csv"
    return Response(
        content=csv_text(rows, header).encode("utf-8"),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8; header=present",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


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
