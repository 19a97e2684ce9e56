"""Every export's header row is one its import takes back (docs/imports.md, Dutch exports).

The rule: a Dutch (or English) export goes back in unchanged, so each header an export
writes must map onto the column it came from, with nothing ignored. Generated over every
kind that has an export, in both languages, so a new kind or a new Dutch word is covered
without a test of its own.
"""

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.csv import csv_text
from app.core.dutch import CsvLanguage
from app.imports.models import ImportKind
from app.imports.parsing import map_headers
from app.imports.service import EXPORTERS, KINDS, export_rows, import_columns
from tests.conftest import Tenant
from tests.imports.conftest import Post, example


def _rows(body: bytes | str) -> list[list[str]]:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_every_import_kind_has_an_export() -> None:
    assert set(EXPORTERS) == set(KINDS) == set(ImportKind)


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("kind", list(EXPORTERS), ids=lambda kind: kind.value)
def test_the_export_header_row_is_recognised_by_its_import(
    db: Session, tenant: Tenant, kind: ImportKind, language: CsvLanguage
) -> None:
    fields, _rows_of_kind = export_rows(db, org=tenant.org, kind=kind)
    # The header row exactly as the export route writes it (app/core/csv.py).
    written = _rows(csv_text([], fields, language=language, kind=kind.value))[0]
    columns = import_columns(db, org=tenant.org, kind=kind)
    _mapping, used, ignored, notes = map_headers(written, columns, kind=kind.value)
    assert ignored == [], f"{kind.value} ({language}): the import ignores {ignored}"
    assert notes == []
    # Each header feeds the very column it was written for, not a namesake.
    assert used == dict(zip(fields, written, strict=True))


def test_a_dutch_programme_export_edited_in_a_spreadsheet_goes_back_in(
    client: TestClient, tenant: Tenant, post_import: Post
) -> None:
    assert post_import("training-programs", example("training-programs.csv")).status_code == 200
    r = client.get("/v1/exports/training-programs?lang=nl", headers=tenant.read)
    assert r.status_code == 200, r.text
    rows = _rows(r.content)
    header = rows[0]
    assert "minimaal blootstellingsniveau" in header
    level = header.index("minimaal blootstellingsniveau")
    (edited,) = (row for row in rows[1:] if row[header.index("code")] == "TP-DE")
    assert edited[level] == "matig"
    edited[level] = "hoog"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)

    result = post_import("training-programs", buffer.getvalue().encode("utf-8"), dry_run=False)

    assert result.status_code == 200, result.text
    body = result.json()
    assert body["ignored_columns"] == []
    assert (body["updated"], body["unchanged"], body["failed"]) == (1, 2, 0), body
    listed = client.get("/v1/training-programs?external_id=TP-DE", headers=tenant.read)
    assert listed.status_code == 200, listed.text
    (program,) = listed.json()["items"]
    assert program["min_exposure_level"] == "high"
