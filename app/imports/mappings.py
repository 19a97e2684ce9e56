"""The organisation's mappings of HR values: `Functie` -> function group, role word -> role.

An HR platform's export names functions (`Ambulant begeleider`) and roles (`Coördinator`,
`mt-lid`) in its own words. An organisation maps each word once (``/v1/import-mappings``,
or the `import-mappings` import kind); employee imports then translate them. Values are
matched as headers are: case, accents, spaces and punctuation ignored.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.core.crud import already_exists, apply_changes, resolve_ref
from app.core.errors import InvalidInput
from app.core.ids import uuid7_many
from app.core.listing import ListFilters, Listing
from app.imports.cells import CellError, Converter, choice, normalise_header, text
from app.imports.kinds import Context, Directory, Kind, Outcome, table_of
from app.imports.models import (
    ImportMapping,
    ImportMappingCreate,
    ImportMappingPublic,
    ImportMappingUpdate,
    MappingKind,
)
from app.imports.parsing import Column, Record, RowError
from app.organisation.models import FunctionGroup, Role

PATH = "/v1/import-mappings"

# Role words every organisation has without a mapping (Dutch and English).
BUILTIN_ROLES: dict[str, Role] = {
    "medewerker": Role.employee,
    "werknemer": Role.employee,
    "staff": Role.employee,
    "leidinggevende": Role.team_manager,
    "teamleider": Role.team_manager,
    "teammanager": Role.team_manager,
    "manager": Role.team_manager,
    "directie": Role.senior_management,
    "directeur": Role.senior_management,
    "bestuurder": Role.senior_management,
    "hoger management": Role.senior_management,
    "senior management": Role.senior_management,
    **{r.value: r for r in Role},
}


class ImportMappingFilters(ListFilters):
    kind: MappingKind | None = None


IMPORT_MAPPING_LIST = Listing(
    model=ImportMapping,
    filters=ImportMappingFilters,
    public=ImportMappingPublic,
    doc="The organisation's mappings of `Functie` values and role words; filter by `kind`.",
)


def _check_function_group(db: Session, function_group_id: uuid.UUID | None) -> None:
    if function_group_id is not None:
        resolve_ref(
            db,
            FunctionGroup,
            function_group_id,
            pointer="/function_group_id",
            what="function group",
        )


def create_mapping(db: Session, *, data: ImportMappingCreate) -> ImportMapping:
    """A new mapping; one per kind and value (as matched) in the organisation."""
    key = normalise_header(data.value)
    _require_key(key)
    _check_function_group(db, data.function_group_id)
    refuse_existing_mapping(db, data.kind, key)
    row = ImportMapping(**data.model_dump(), match_key=key)
    db.add(row)
    db.flush()
    return row


def refuse_existing_mapping(
    db: Session, kind: MappingKind, key: str, exclude: uuid.UUID | None = None
) -> None:
    """409 already-exists naming the mapping that has this value already."""
    stmt = select(col(ImportMapping.id)).where(
        col(ImportMapping.kind) == kind, col(ImportMapping.match_key) == key
    )
    if exclude is not None:
        stmt = stmt.where(col(ImportMapping.id) != exclude)
    found = db.exec(stmt).first()
    if found is not None:
        raise already_exists(ImportMapping, PATH, found, "value")


def _require_key(key: str) -> None:
    if not key:
        raise InvalidInput(
            "The value has no letters or digits to match on.",
            errors=[{"pointer": "/value", "detail": "no letters or digits"}],
        )


def update_mapping(db: Session, *, row: ImportMapping, data: ImportMappingUpdate) -> ImportMapping:
    """Change a mapping's value (as the export writes it); still one per kind and value."""
    changes = data.model_dump(exclude_unset=True)
    if "value" in changes:
        changes["match_key"] = key = normalise_header(changes["value"])
        _require_key(key)
        refuse_existing_mapping(db, row.kind, key, exclude=row.id)
    apply_changes(row, changes)
    db.flush()
    return row


def delete_mapping(db: Session, *, row: ImportMapping) -> None:
    """Delete a mapping; files with its value are refused again until it is mapped."""
    db.delete(row)
    db.flush()


@dataclass
class Mappings:
    """An organisation's mappings, loaded once per import: value key -> target."""

    functions: dict[str, uuid.UUID] = field(default_factory=dict)
    function_values: dict[str, str] = field(default_factory=dict)  # key -> value as written
    roles: dict[str, str] = field(default_factory=dict)
    role_values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def builtin(cls) -> "Mappings":
        """Only the role words every organisation has."""
        out = cls()
        for word, role in BUILTIN_ROLES.items():
            out.roles[normalise_header(word)] = role.value
            out.role_values[normalise_header(word)] = word
        return out

    @classmethod
    def load(cls, db: Session, organisation_id: uuid.UUID) -> "Mappings":
        """Every mapping of the organisation, in one query, with the built-in role words."""
        out = cls.builtin()
        t = ImportMapping
        stmt = sa_select(
            col(t.kind), col(t.value), col(t.match_key), col(t.function_group_id), col(t.role)
        ).where(col(t.organisation_id) == organisation_id)
        for kind, value, key, fg, role in db.execute(stmt):
            if kind == MappingKind.function and fg is not None:
                out.functions[key] = fg
                out.function_values[key] = value
            elif kind == MappingKind.role and role is not None:
                out.roles[key] = role
                out.role_values[key] = value
        return out

    def role(self, value: str) -> str | None:
        """The role a word means, or None."""
        return self.roles.get(normalise_header(value))

    def function_group(self, value: str) -> uuid.UUID | None:
        """The function group a `Functie` value is mapped to, or None."""
        return self.functions.get(normalise_header(value))

    def role_converter(self) -> Converter:
        """A role cell: a role word of the organisation (or built in); empty: employee."""
        seen: dict[str, str] = {}

        def convert(value: Any) -> str:
            word = text(200)(value)
            if word is None:
                return Role.employee.value
            found = seen.get(word) or self.role(word)
            if found is None:
                raise CellError(
                    f"is not a role (known: {self.known_roles()}); map it with POST "
                    "/v1/import-mappings (kind role) or an import-mappings file"
                )
            seen[word] = found
            return found

        return convert

    def known_roles(self) -> str:
        """The role words accepted, for an error message."""
        return ", ".join(sorted(set(self.role_values.values()), key=str.casefold))

    def known_functions(self) -> str:
        """The mapped `Functie` values, for an error message."""
        return ", ".join(sorted(self.function_values.values(), key=str.casefold)) or "none yet"


# --- the import-mappings import kind --------------------------------------------------------

MAPPING_COLUMNS = (
    Column(
        "kind",
        ("soort", "type"),
        choice(MappingKind, {"functie": "function", "rol": "role"}, default=None),
        required=True,
    ),
    Column("value", ("waarde", "hr waarde", "in de export"), text(200, required=True), True),
    Column(
        "target",
        ("doel", "wordt", "betekent", "functiegroep of rol"),
        text(200, required=True),
        True,
    ),
)


def _resolve_mappings(ctx: Context, records: list[Record]) -> list[RowError]:
    directory = Directory.load(ctx, FunctionGroup)
    builtin = Mappings.load(ctx.session, ctx.org_id)
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for r in records:
        key = normalise_header(r.values["value"])
        r.values["match_key"] = key
        pair = (r.values["kind"], key)
        if not key:
            errors.append(RowError(r.row, ctx.header("value"), r.values["value"], "no letters"))
            continue
        if pair in seen:
            errors.append(
                RowError(r.row, ctx.header("value"), r.values["value"], f"also on row {seen[pair]}")
            )
            continue
        seen[pair] = r.row
        target = r.values["target"]
        if r.values["kind"] == MappingKind.function:
            found = directory.find(target)
            if found is None:
                errors.append(
                    RowError(
                        r.row,
                        ctx.header("target"),
                        target,
                        f"no function group with external id (or name) {target!r}",
                    )
                )
            r.values.update(function_group_id=found, role=None)
        else:
            role = builtin.roles.get(normalise_header(target))
            if role is None or normalise_header(target) not in _BUILTIN_KEYS:
                errors.append(
                    RowError(
                        r.row,
                        ctx.header("target"),
                        target,
                        "is not a role (known: " + ", ".join(sorted(BUILTIN_ROLES)) + ")",
                    )
                )
            r.values.update(function_group_id=None, role=role)
    return errors


_BUILTIN_KEYS = {normalise_header(w) for w in BUILTIN_ROLES}


def _write_mappings(ctx: Context, records: list[Record]) -> Outcome:
    table = table_of(ImportMapping)
    stmt = sa_select(
        table.c.id,
        table.c.kind,
        table.c.match_key,
        table.c.value,
        table.c.function_group_id,
        table.c.role,
    ).where(table.c.organisation_id == ctx.org_id)
    existing = {(row.kind, row.match_key): row for row in ctx.session.execute(stmt)}
    outcome = Outcome()
    inserts, updates = [], []
    for r in records:
        v = r.values
        row = existing.get((v["kind"], v["match_key"]))
        wanted = {
            "value": v["value"],
            "function_group_id": v["function_group_id"],
            "role": v["role"],
        }
        if row is None:
            inserts.append({**wanted, "kind": v["kind"], "match_key": v["match_key"]})
        elif any(getattr(row, f) != value for f, value in wanted.items()):
            updates.append({"b_id": row.id, **{f"b_{f}": x for f, x in wanted.items()}})
        else:
            outcome.unchanged += 1
    outcome.created, outcome.updated = len(inserts), len(updates)
    if ctx.dry_run:
        return outcome
    if inserts:
        common = {"organisation_id": ctx.org_id, "created_at": ctx.now, "updated_at": ctx.now}
        ctx.session.execute(
            sa.insert(table),
            [
                {**p, **common, "id": i}
                for p, i in zip(inserts, uuid7_many(len(inserts)), strict=True)
            ],
        )
    if updates:
        ctx.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"))
            .values(
                {f: sa.bindparam(f"b_{f}") for f in ("value", "function_group_id", "role")},
                updated_at=ctx.now,
            ),
            updates,
        )
    return outcome


def export_mappings(db: Session, org: Any) -> Iterable[dict[str, Any]]:
    """The organisation's mappings in the import's columns (target: a code or a role)."""
    t, fg = table_of(ImportMapping), table_of(FunctionGroup)
    stmt = (
        sa_select(t.c.kind, t.c.value, t.c.role, fg.c.external_id, fg.c.name)
        .outerjoin(fg, fg.c.id == t.c.function_group_id)
        .where(t.c.organisation_id == org.id)
        .order_by(t.c.kind, t.c.match_key)
    )
    for kind, value, role, code, name in db.execute(stmt):
        yield {"kind": kind, "value": value, "target": role or code or name}


IMPORT_MAPPINGS = Kind(
    name="import-mappings",
    columns=MAPPING_COLUMNS,
    key=None,
    resolve=_resolve_mappings,
    write=_write_mappings,
    summary="The organisation's mappings: `Functie` values to function groups, role words "
    "to roles.",
)
