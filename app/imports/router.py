"""HTTP routes of the imports domain: bulk CSV/JSON imports and exports in the same format."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.core.auth import ReadPrincipal, WritePrincipal
from app.core.csv import csv_response
from app.core.errors import problem_responses
from app.core.sessions import ReadSession, WriteSession
from app.imports import service
from app.imports.models import ImportKind, ImportMode, ImportResult

router = APIRouter(tags=["imports"])

IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "A CSV file (`,` `;` or tab; UTF-8 with or without BOM, or Windows-1252; "
        "English or Dutch headers) or a JSON array of objects.",
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {
                "schema": {"type": "array", "items": {"type": "object"}, "maxItems": 500_000}
            },
        },
    }
}


async def _upload(request: Request) -> bytes:
    # A dependency declared before the session: the file arrives (at the client's pace)
    # before the request takes its connection slot and, on SQLite, the writer's turn.
    return await request.body()


@router.post(
    "/imports/{kind}",
    responses=problem_responses(401, 403, 409, 413, 415, 422),
    openapi_extra=IMPORT_BODY,
)
async def import_records(
    kind: ImportKind,
    request: Request,
    principal: WritePrincipal,
    body: Annotated[bytes, Depends(_upload)],
    db: WriteSession,
    dry_run: Annotated[
        bool, Query(description="Validate and report what would happen; write nothing.")
    ] = False,
    mode: Annotated[
        ImportMode,
        Query(
            description="`all_or_nothing` (default): one bad row and nothing is written, "
            "422 lists every error. `partial`: write the valid rows, report the others."
        ),
    ] = ImportMode.all_or_nothing,
    deactivate_missing: Annotated[
        bool,
        Query(
            description="Employees only: deactivate active employees (with an external id) "
            "that the file does not list. For full nightly syncs; nobody is deleted."
        ),
    ] = False,
) -> ImportResult:
    """Import a CSV or JSON file of teams, employees, ...: upsert by external id."""
    return await run_in_threadpool(
        service.run_import,
        db,
        org=principal.organisation,
        kind=kind,
        body=body,
        content_type=request.headers.get("content-type", "text/csv"),
        dry_run=dry_run,
        partial=mode is ImportMode.partial,
        deactivate_missing=deactivate_missing,
    )


@router.get(
    "/exports/{kind}",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"},
        **problem_responses(401, 403, 422),
    },
    response_class=Response,
)
def export_records(kind: ImportKind, principal: ReadPrincipal, db: ReadSession) -> Response:
    """The organisation's rows of a kind as CSV, in the format the import takes back."""
    header, rows = service.export_rows(db, org=principal.organisation, kind=kind)
    return csv_response(rows, header, filename=kind.value)
