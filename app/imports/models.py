"""Schemas of the imports domain, and the idempotency table it migrates.

The idempotency table is defined with its middleware in ``app/core/idempotency.py`` (every
POST of the API uses it); it is imported here so ``app.models`` registers it and migration
0007 creates it.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Self

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel, UniqueConstraint

from app.core.idempotency import IdempotencyRecord
from app.core.models import CreateModel, PatchModel, TenantTable
from app.core.schema_rules import given_unless, not_given_when, rules
from app.organisation.models import Role


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
    import_mappings = "import-mappings"


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


class ChangedPerson(BaseModel):
    """Who an employee import creates, changes or deactivates: number and name."""

    external_id: str = Field(max_length=100)
    name: str = Field(max_length=700)


class ImportChanges(BaseModel):
    """Employees by what the import does (or, in a dry run, would do) to them."""

    created: list[ChangedPerson]
    updated: list[ChangedPerson]
    deactivated: list[ChangedPerson]


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
    deactivated: int = Field(
        description="Employees deactivated: by their row (`actief` nee, `datum uit dienst` "
        "today or earlier) or absent from the file (deactivate_missing); not in `updated`."
    )
    failed: int
    errors: list[RowErrorPublic]
    warnings: list[str] = Field(
        default_factory=list, description="Things to check that did not stop the import."
    )
    ignored_columns: list[str] = Field(
        default_factory=list,
        description="Columns of the file that map to no field, or that lose to another "
        "column for the same field (precedence: docs/imports.md).",
    )
    changes: ImportChanges | None = Field(
        default=None,
        description="Employees, dry run only: who would be created, changed and deactivated, "
        "by personnel number and name.",
    )


# --- mappings of HR values (issue 19) -----------------------------------------------------


class MappingKind(StrEnum):
    """`function`: a `Functie` value -> a function group; `role`: a role word -> a role."""

    function = "function"
    role = "role"


class ImportMapping(TenantTable, table=True):
    """What one of the organisation's HR values means: a function group or a role.

    ``match_key`` is the value with case, accents, spaces and punctuation removed (as
    headers are matched): `Coördinator` and `coordinator` are one value.
    """

    __tablename__ = "import_mapping"
    __table_args__ = (UniqueConstraint("organisation_id", "kind", "match_key"),)

    kind: MappingKind = SQLField(sa_type=sa.String(16))
    value: str = SQLField(max_length=200)
    match_key: str = SQLField(max_length=200)
    function_group_id: uuid.UUID | None = SQLField(
        default=None, foreign_key="function_group.id", index=True
    )
    role: Role | None = SQLField(default=None, sa_type=sa.String(32))


class ImportMappingCreate(CreateModel):
    # check_target's rule, said in the schema too: a function mapping names a function
    # group and no role, a role mapping a role and no function group.
    model_config = ConfigDict(
        json_schema_extra=rules(
            given_unless("function_group_id", "kind", MappingKind.role.value),
            not_given_when("role", "kind", MappingKind.function.value),
            given_unless("role", "kind", MappingKind.function.value),
            not_given_when("function_group_id", "kind", MappingKind.role.value),
            example={"kind": "role", "value": "Coördinator", "role": "team_manager"},
        )
    )

    kind: MappingKind
    value: str = SQLField(
        min_length=1, max_length=200, description="The value as the HR export writes it."
    )
    function_group_id: uuid.UUID | None = SQLField(
        default=None, description="For kind `function`: the function group it means."
    )
    role: Role | None = SQLField(default=None, description="For kind `role`: the role it means.")

    @model_validator(mode="after")
    def _target_fits_kind(self) -> Self:
        check_target(self.kind, self.function_group_id, self.role)
        return self


def check_target(kind: MappingKind, function_group_id: uuid.UUID | None, role: Role | None) -> None:
    """A `function` mapping names a function group only, a `role` mapping a role only."""
    if kind is MappingKind.function and (function_group_id is None or role is not None):
        raise ValueError("a function mapping needs function_group_id and no role")
    if kind is MappingKind.role and (role is None or function_group_id is not None):
        raise ValueError("a role mapping needs role and no function_group_id")


class ImportMappingUpdate(PatchModel):
    """A new wording of the value; a new target is a new mapping (or an import's row)."""

    value: str = SQLField(default=None, min_length=1, max_length=200)


class ImportMappingPublic(SQLModel):
    id: uuid.UUID
    kind: MappingKind
    value: str
    function_group_id: uuid.UUID | None
    role: Role | None
    created_at: datetime
    updated_at: datetime


__all__ = [
    "ChangedPerson",
    "IdempotencyRecord",
    "ImportChanges",
    "ImportKind",
    "ImportMapping",
    "ImportMappingCreate",
    "ImportMappingPublic",
    "ImportMappingUpdate",
    "ImportMode",
    "ImportResult",
    "MappingKind",
    "RowErrorPublic",
]
