"""HTTP routes of the imports domain: bulk CSV/JSON imports and exports in the same format."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.core.auth import ReadPrincipal, WritePrincipal
from app.core.csv import csv_response
from app.core.dutch import CsvLanguageQuery, csv_language
from app.core.errors import problem_responses
from app.core.resource import Docs, Resource, validated
from app.core.sessions import OrganisationWide, OrganisationWideWrite, ReadSession, WriteSession
from app.imports import mappings, service
from app.imports.models import (
    ImportKind,
    ImportMapping,
    ImportMappingCreate,
    ImportMappingPublic,
    ImportMappingUpdate,
    ImportMode,
    ImportResult,
)

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


# Imports and exports cover the whole organisation: their rows are written and read
# set-based, past the per-row role criteria, so a team manager's or an employee's reach
# could not narrow them. Exports are for HR roles and API keys (OrganisationWide), imports
# for who writes everything: hr_admin and API keys (OrganisationWideWrite).
@router.post(
    "/imports/{kind}",
    responses=problem_responses(401, 403, 409, 413, 415, 422),
    openapi_extra=IMPORT_BODY,
    dependencies=[OrganisationWideWrite],
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
    dependencies=[CsvLanguageQuery, OrganisationWide],
)
def export_records(
    kind: ImportKind, request: Request, principal: ReadPrincipal, db: ReadSession
) -> Response:
    """The organisation's rows of a kind as CSV, in the format the import takes back.

    English headers and values by default; Dutch with `Accept-Language: nl` or `?lang=nl`
    (headers and values the import accepts, decimal comma, DD-MM-YYYY)."""
    header, rows = service.export_rows(db, org=principal.organisation, kind=kind)
    return csv_response(
        rows, header, filename=kind.value, language=csv_language(request), kind=kind.value
    )


# --- mappings of HR values -----------------------------------------------------------------

# HR configuration: for HR roles and API keys (OrganisationWide), like the change feed;
# included under /v1 beside ``router`` (app/api.py).
mappings_router = APIRouter(dependencies=[OrganisationWide])

IMPORT_MAPPINGS = Resource(
    model=ImportMapping,
    id_param="import_mapping_id",
    schemas=(ImportMappingCreate, ImportMappingUpdate, ImportMappingPublic),
    public=validated(ImportMappingPublic),
    create=lambda db, data, _: mappings.create_mapping(db, data=data),
    update=lambda db, row, data, _: mappings.update_mapping(db, row=row, data=data),
    delete=lambda db, row: mappings.delete_mapping(db, row=row),
    docs=Docs(
        create="Map an HR export's value: a `Functie` to a function group (kind `function`) "
        "or a role word such as `Coördinator` to a role (kind `role`). One mapping per kind "
        "and value (case, accents and punctuation ignored): 409 `already-exists` names it.",
        read="One mapping.",
        update="Change a mapping's value; for another target, delete it and create one (or "
        "import the row again).",
        delete="Delete a mapping; files with its value are refused again until it is mapped.",
    ),
    name="import mapping",
)


mappings.IMPORT_MAPPING_LIST.add_route(mappings_router)
IMPORT_MAPPINGS.add_routes(mappings_router)
