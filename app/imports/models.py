"""Schemas of the imports domain, and the idempotency table it migrates.

The idempotency table is defined with its middleware in ``app/core/idempotency.py`` (every
POST of the API uses it); it is imported here so ``app.models`` registers it and migration
0007 creates it.
"""

from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.idempotency import IdempotencyRecord


class ImportKind(StrEnum):
    """What a file holds; the path segment of ``/v1/imports/{kind}``."""

    function_groups = "function-groups"
    teams = "teams"
    employees = "employees"
    training_programs = "training-programs"
    training_completions = "training-completions"
    team_goals = "team-goals"
    personal_goals = "personal-goals"
    incidents = "incidents"


class ImportMode(StrEnum):
    """all_or_nothing: one bad row and nothing is written; partial: valid rows are written."""

    all_or_nothing = "all_or_nothing"
    partial = "partial"


class RowErrorPublic(BaseModel):
    """One bad cell or row: spreadsheet row (header = 1), column as written, value, why."""

    row: int = Field(description="Spreadsheet row (header is 1); for JSON the array position.")
    column: str | None = Field(default=None, max_length=200)
    value: str | None = Field(default=None, max_length=10_000)
    message: str = Field(max_length=2000)
    code: str | None = Field(
        default=None,
        max_length=100,
        description="The business rule the row breaks, as the API's problem code for it "
        "(e.g. `still-manages-teams`); null for a cell that does not convert or resolve.",
    )
    pointer: str = Field(max_length=300, description="`/row/column`, as in problem documents.")
    detail: str = Field(max_length=2000, description="Same as `message`.")


class ImportResult(BaseModel):
    """What an import did (or, with `dry_run`, would do)."""

    kind: ImportKind
    dry_run: bool
    mode: ImportMode
    format: str = Field(max_length=10, description="`csv` or `json`.")
    encoding: str | None = Field(default=None, max_length=20)
    delimiter: str | None = Field(default=None, max_length=2)
    total: int = Field(description="Data rows in the file (empty lines not counted).")
    created: int
    updated: int
    unchanged: int = Field(description="Rows identical to what is stored: not rewritten.")
    deactivated: int = Field(description="Employees absent from the file (deactivate_missing).")
    failed: int
    errors: list[RowErrorPublic]
    warnings: list[str] = Field(
        default_factory=list, description="Things to check that did not stop the import."
    )
    ignored_columns: list[str] = Field(
        default_factory=list, description="Columns of the file that map to no field."
    )


__all__ = [
    "IdempotencyRecord",
    "ImportKind",
    "ImportMode",
    "ImportResult",
    "RowErrorPublic",
]
