"""From an uploaded body to validated rows: encoding, delimiter, headers, cells.

What HR officers send is a spreadsheet export: Dutch Excel writes `;`-separated
Windows-1252 with CRLF, other tools UTF-8 with or without BOM, comma- or tab-separated.
This module detects all of that, maps English or Dutch header names onto field names
(case, spaces and punctuation ignored), converts every cell and collects *every* error
as ``{row, column, value, message}``; it never touches the database.

Row numbers are what a spreadsheet shows: the header is row 1, the first data row is 2.
For a JSON body (an array of objects) the row is the 1-based position in the array.
"""

import codecs
import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.dutch import header_nl
from app.core.errors import InvalidInput
from app.core.problems import ProblemCode
from app.imports.cells import (
    CONTROL_CHARS,
    CellError,
    Converter,
    key_text,
    normalise_header,
    unescaped,
)

DELIMITERS = (";", ",", "\t")
DELIMITER_NAMES = {";": "';'", ",": "','", "\t": "tab"}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in the file: where it is, what was there and what is wrong."""

    row: int
    column: str | None
    value: str | None
    message: str
    # The business rule the row breaks, as the API's problem code names it (a PATCH breaking
    # it answers that code); None for a cell that does not convert or resolve.
    code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape, usable as a problem ``errors`` item (pointer and detail too)."""
        pointer = f"/{self.row}" + (f"/{_escape_pointer(self.column)}" if self.column else "")
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "code": self.code,
            "pointer": pointer,
            "detail": self.message,
        }


def _escape_pointer(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Column:
    """One field of a kind: its header names and how a cell becomes a value."""

    field: str
    aliases: tuple[str, ...]
    convert: Converter
    required: bool = False
    # A required column whose cells may be empty only where the kind allows it.
    description: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.field, *self.aliases)


@dataclass(slots=True)
class Record:
    """A data row whose cells all converted: field name -> value, and where it came from."""

    row: int
    values: dict[str, Any]


@dataclass
class Parsed:
    """The outcome of parsing: good records, row errors and what the file looked like."""

    records: list[Record]
    errors: list[RowError]
    total: int
    columns: dict[str, str]  # field -> header as written in the file
    ignored_columns: list[str]
    format: str  # "csv" or "json"
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The key cell of every row, valid row or not: a key twice fails every row that has it,
    # and deactivate_missing must spare the failed rows' people.
    row_keys: list[tuple[int, str]] = field(default_factory=list)

    @property
    def keys_seen(self) -> set[str]:
        return {k for _row, k in self.row_keys}


# --- file level -------------------------------------------------------------------------


def file_error(
    code: ProblemCode, message: str, *, row: int = 1, column: str | None = None
) -> InvalidInput:
    """A 422 for a problem with the file as a whole (nothing can be imported)."""
    err = RowError(row=row, column=column, value=None, message=message)
    return InvalidInput(message, code=code, errors=[err.as_dict()])


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV body and its encoding: UTF-8 (BOM or not), UTF-16 (BOM) or cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", data[len(codecs.BOM_UTF8) :], "utf-8")]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data, "utf-16")]
    else:
        candidates = [("utf-8", data, "utf-8"), ("windows-1252", data, "cp1252")]
    last: UnicodeDecodeError | None = None
    for name, raw, codec in candidates:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        control = CONTROL_CHARS.search(text)
        if control is not None:
            line = text.count("\n", 0, control.start()) + 1
            raise file_error(
                "undecodable-file",
                f"The file is not text: control character {control.group()!r} on line {line}. "
                "Save it from the spreadsheet as CSV (UTF-8 or Windows-1252).",
                row=line,
            )
        return text, name
    assert last is not None
    offset = last.start
    line = data.count(b"\n", 0, offset) + 1
    raise file_error(
        "undecodable-file",
        f"The file is neither UTF-8 nor Windows-1252 text: byte 0x{data[offset]:02x} at "
        f"offset {offset} (line {line}) fits neither. Save it as CSV UTF-8.",
        row=line,
    )


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def detect_delimiter(header_line: str) -> str:
    """The delimiter the header line uses most: ``;``, ``,`` or tab (``,`` when none)."""
    counts = {d: _count_outside_quotes(header_line, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- header mapping ---------------------------------------------------------------------


def with_export_headers(columns: Sequence[Column], kind: str) -> list[Column]:
    """The columns, each also accepting the header the kind's Dutch export writes for it.

    Rule (docs/imports.md, Dutch exports): a Dutch export goes back in unchanged. The
    export's words live in ``app/core/dutch.py``; taking them from there, rather than
    repeating them among each kind's aliases, keeps the two from drifting apart (the
    programmes' exposure level columns did: the import ignored them). The export's word
    comes after the kind's own aliases, so the precedence between them stays as it was.
    """
    out: list[Column] = []
    for col in columns:
        label = header_nl(col.field, kind)
        known = {normalise_header(name) for name in col.names}
        out.append(
            col if normalise_header(label) in known else replace(col, aliases=(*col.aliases, label))
        )
    return out


def map_headers(
    headers: Sequence[str], columns: Sequence[Column], *, kind: str
) -> tuple[dict[int, Column], dict[str, str], list[str], list[str]]:
    """Which file column feeds which field; refuses missing required or doubled columns.

    Where two columns mean one field (`Voornaam` and `Roepnaam`), the one whose name comes
    first in the column's aliases wins (its precedence), the field's own name written
    exactly (`external_id`, as a program sends it) before all, and the other is ignored
    with a note; two columns with the same name (after normalising)
    are refused.
    Every column also takes the header its kind's Dutch export writes (``with_export_headers``).
    Returns the mapping, field -> header, the ignored headers and the notes.
    """
    columns = with_export_headers(columns, kind)
    by_alias: dict[str, tuple[Column, int]] = {}
    for col in columns:
        for rank, name in enumerate((*col.aliases, col.field), start=1):
            by_alias.setdefault(normalise_header(name), (col, rank))
    chosen: dict[str, tuple[int, int]] = {}  # field -> (position, rank)
    ignored: list[str] = []
    notes: list[str] = []
    errors: list[RowError] = []
    for i, header in enumerate(headers):
        found = by_alias.get(normalise_header(header))
        if found is None:
            if header.strip():
                ignored.append(header)
            continue
        col, rank = found
        if header.strip() == col.field:
            rank = 0  # the field's own name, as written (JSON from a program): first
        if col.field not in chosen:
            chosen[col.field] = (i, rank)
            continue
        other, other_rank = chosen[col.field]
        if rank == other_rank:
            errors.append(
                RowError(
                    row=1,
                    column=header,
                    value=header,
                    message=f"Column {header!r} and column {headers[other]!r} both "
                    f"mean {col.field}; keep one.",
                )
            )
            continue
        loser, winner = (i, other) if rank > other_rank else (other, i)
        if rank < other_rank:
            chosen[col.field] = (i, rank)
        ignored.append(headers[loser])
        notes.append(
            f"column {headers[loser]!r} is not used: {headers[winner]!r} takes precedence for "
            f"{col.field}"
        )
    for col in columns:
        if col.required and col.field not in chosen:
            names = ", ".join(repr(n) for n in col.names)
            errors.append(
                RowError(
                    row=1,
                    column=col.field,
                    value=None,
                    message=f"Required column {col.field} is missing (accepted names: {names}).",
                )
            )
    if errors:
        listed = ", ".join(repr(h) for h in headers) or "none"
        missing = [e for e in errors if e.value is None]
        raise InvalidInput(
            f"The {kind} file's columns do not fit (columns found: {listed}).",
            code="missing-columns" if missing else "duplicate-columns",
            errors=[e.as_dict() for e in errors],
        )
    fields = {c.field: c for c in columns}
    ordered = sorted(chosen.items(), key=lambda item: item[1][0])
    mapping = {i: fields[f] for f, (i, _rank) in ordered}
    written = {f: headers[i] for f, (i, _rank) in ordered}
    return mapping, written, ignored, notes


# --- rows -------------------------------------------------------------------------------


# (position of the cell, field, converter, column as written): one entry per mapped column.
Plan = list[tuple[int, str, Converter, str]]


def _convert_row(parsed: "Parsed", row: int, cells: Sequence[Any], plan: Plan) -> None:
    # The hot loop of every import: kept free of anything that is not per cell.
    values: dict[str, Any] = {}
    failed = False
    for i, field_name, convert, header in plan:
        cell = cells[i]
        try:
            values[field_name] = convert(cell)
        except CellError as exc:
            failed = True
            shown = cell if isinstance(cell, str) else (None if cell is None else json.dumps(cell))
            parsed.errors.append(RowError(row, header, shown, f"{exc}"))
    if not failed:
        parsed.records.append(Record(row=row, values=values))


def _csv_rows(text_: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text_, newline=""), delimiter=delimiter, strict=True)
    n = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise file_error(
                "unparseable-file",
                f"The CSV cannot be read near line {reader.line_num}: {exc} (an unclosed quote?).",
                row=n + 1,
            ) from None
        n += 1
        yield n, cells


def parse_csv(data: bytes, columns: Sequence[Column], *, kind: str, key: str | None) -> Parsed:
    """Parse a CSV body: detect encoding and delimiter, map headers, convert every cell."""
    text_, encoding = decode(data)
    first_line = next((ln for ln in text_.splitlines() if ln.strip()), "")
    if not first_line:
        raise file_error("empty-file", "The file is empty: expected a header row and data rows.")
    delimiter = detect_delimiter(first_line)
    rows = _csv_rows(text_, delimiter)
    header: list[str] = []
    for _n, cells in rows:
        if any(c.strip() for c in cells):
            header = [c.strip() for c in cells]
            break
    mapping, written, ignored, notes = map_headers(header, columns, kind=kind)
    plan = [(i, col.field, col.convert, written[col.field]) for i, col in mapping.items()]
    width = len(header)
    parsed = Parsed(
        records=[],
        errors=[],
        total=0,
        columns=written,
        ignored_columns=ignored,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        warnings=notes,
    )
    others = [d for d in DELIMITERS if d != delimiter]
    key_index = next((i for i, f, _c, _h in plan if f == key), None)
    padded: list[int] = []
    for n, cells in rows:
        if not "".join(cells).strip():
            continue
        parsed.total += 1
        if key_index is not None and key_index < len(cells) and cells[key_index].strip():
            parsed.row_keys.append((n, unescaped(cells[key_index].strip())))
        hint = next(
            (
                f" (the row seems separated by {DELIMITER_NAMES[d]}: mixed delimiters?)"
                for d in others
                if len(cells) != width and any(d in c for c in cells)
            ),
            "",
        )
        if len(cells) < width and not hint:
            # Excel leaves out the separators of empty last cells on some rows of a sheet:
            # those cells are empty (a warning names the rows, in case one is mangled).
            cells = [*cells, *([""] * (width - len(cells)))]
            padded.append(n)
        if len(cells) != width and not (
            len(cells) > width and not any(c.strip() for c in cells[width:])
        ):
            parsed.errors.append(
                RowError(
                    n,
                    None,
                    delimiter.join(cells)[:200],
                    f"has {len(cells)} cells, the header has {width} "
                    f"(separated by {DELIMITER_NAMES[delimiter]}){hint}",
                )
            )
            continue
        _convert_row(parsed, n, cells, plan)
    if padded:
        listed = ", ".join(str(n) for n in padded[:20]) + (" ..." if len(padded) > 20 else "")
        parsed.warnings.append(
            f"{len(padded)} rows have fewer cells than the header; their last cells were "
            f"read as empty: rows {listed}"
        )
    if parsed.total == 0:
        raise file_error("empty-file", "The file has a header but no data rows.", row=2)
    if encoding == "windows-1252" and "?" in text_:  # no '?' in the file: no cell to scan
        parsed.warnings.extend(_question_marks(parsed.records, written))
    return parsed


MAX_WARNINGS = 100


def _question_marks(records: list[Record], written: dict[str, str]) -> list[str]:
    # Excel's "CSV (;)" is Windows-1252: a character it cannot hold (the Turkish ş) is
    # written as '?'. The import takes the cell as it is and says where to look.
    found = [
        (r.row, written[f], v)
        for r in records
        for f, v in r.values.items()
        if isinstance(v, str) and "?" in v
    ]
    out = [
        f"row {row}, {column}: {value!r} contains '?', probably a character Windows-1252 "
        "cannot hold; check it, or export as 'CSV UTF-8' next time"
        for row, column, value in found[:MAX_WARNINGS]
    ]
    if len(found) > MAX_WARNINGS:
        out.append(f"... and {len(found) - MAX_WARNINGS} more cells with '?'")
    return out


def parse_json(data: bytes, columns: Sequence[Column], *, kind: str, key: str | None) -> Parsed:
    """Parse a JSON body: an array of objects whose keys are field names (or aliases)."""
    try:
        items = json.loads(data)
    # ValueError: bad JSON, bad UTF-8, an integer past Python's digit limit; RecursionError:
    # nesting deeper than the parser's stack (issue 10, hostile input corpus).
    except (ValueError, RecursionError) as exc:
        raise file_error("unparseable-file", f"The body is not valid JSON: {exc}.") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise file_error("unparseable-file", "The JSON body must be an array of objects.")
    if not items:
        raise file_error("empty-file", "The array is empty: nothing to import.")
    keys: dict[str, None] = {}
    for item in items:
        keys.update(dict.fromkeys(item))
    headers = list(keys)
    mapping, written, ignored, notes = map_headers(headers, columns, kind=kind)
    source = [headers[i] for i in mapping]
    plan = [
        (pos, col.field, col.convert, written[col.field])
        for pos, col in enumerate(mapping.values())
    ]
    key_pos = next((pos for pos, f, _c, _h in plan if f == key), None)
    parsed = Parsed(
        records=[],
        errors=[],
        total=len(items),
        columns=written,
        ignored_columns=ignored,
        format="json",
        warnings=notes,
    )
    for n, item in enumerate(items, start=1):
        cells = [item.get(h) for h in source]
        # The key as the key column's text converter reads it: 100231, 100231.0 and
        # "100231" are one key (duplicates, deactivate_missing), as they are one employee.
        if key_pos is not None and (key_cell := key_text(cells[key_pos])) is not None:
            parsed.row_keys.append((n, key_cell))
        _convert_row(parsed, n, cells, plan)
    return parsed


def parse_body(
    data: bytes, content_type: str, columns: Sequence[Column], *, kind: str, key: str | None
) -> Parsed:
    """Parse a CSV or JSON body according to its content type."""
    if not data.strip():
        raise file_error("empty-file", "The body is empty: send a CSV file or a JSON array.")
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return parse_json(data, columns, kind=kind, key=key)
    return parse_csv(data, columns, kind=kind, key=key)


def find_duplicates(row_keys: Sequence[tuple[int, str]], column: str) -> list[RowError]:
    """Every row whose key also appears on another row (all of them fail: which is right?),
    whether or not the other row's cells are valid."""
    rows_by_key: dict[str, list[int]] = {}
    for row, k in row_keys:
        rows_by_key.setdefault(k, []).append(row)
    errors = []
    for k, rows in rows_by_key.items():
        if len(rows) > 1:
            for row in rows:
                others = ", ".join(str(o) for o in rows if o != row)
                errors.append(
                    RowError(row, column, str(k), f"appears more than once (also on row {others})")
                )
    return errors
