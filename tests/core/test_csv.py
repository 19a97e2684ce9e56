"""The shared CSV writer: spreadsheet-safe cells, Excel-friendly encoding, negotiation."""

import pytest
from starlette.requests import Request

from app.core.csv import csv_response, csv_text, prefers_csv, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+31 6 12345678", "'+31 6 12345678"),
        ("-weg", "'-weg"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tverborgen", "'\tverborgen"),
        ("\rregel", "'\rregel"),
        ("Gülşen van 't Hooft", "Gülşen van 't Hooft"),
        ("a=b", "a=b"),
        (-3, "-3"),
        (None, ""),
        (True, "true"),
    ],
)
def test_safe_cell(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_csv_is_utf8_with_bom_semicolon_separated_and_quoted() -> None:
    text = csv_text([["Jansen; Piet", "=cmd"]], ["naam", "waarde"])
    assert text == '\ufeffnaam;waarde\r\n"Jansen; Piet";\'=cmd\r\n'
    response = csv_response([["x"]], ["h"], "protocol readiness/2026")
    assert bytes(response.body).startswith(b"\xef\xbb\xbf")
    assert response.headers["content-disposition"] == (
        'attachment; filename="protocol-readiness-2026.csv"'
    )


def _request(accept: str) -> Request:
    return Request({"type": "http", "headers": [(b"accept", accept.encode())]})


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        ("text/csv", True),
        ("text/csv, application/json;q=0.5", True),
        ("application/json, text/csv;q=0.5", False),
        ("*/*", False),
        ("", False),
        ("text/csv;q=0", False),
    ],
)
def test_prefers_csv(accept: str, csv: bool) -> None:
    assert prefers_csv(_request(accept)) is csv
