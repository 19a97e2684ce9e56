"""Converters for one cell each: text, e-mail, dates, numbers, booleans, choices, id lists.

Every converter raises ``CellError`` with a message for the HR officer; a formula is
refused wherever text is accepted (CSV injection).
"""

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any

from app.core.csv import FORMULA_TRIGGERS

Converter = Callable[[Any], Any]

# Cells a spreadsheet would evaluate (CSV injection, OWASP): refused on import (exports
# neutralise them with a leading apostrophe: app/core/csv.py).
FORMULA_START = FORMULA_TRIGGERS
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>()\[\]\\,;:\"]+@[^@\s<>()\[\]\\,;:\"]+\.[^@\s<>()\[\]\\,;:\"]+$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LIST_SEPARATORS = re.compile(r"[|,;]")


class CellError(ValueError):
    """A cell that cannot be converted; the message is shown to the HR officer."""


def normalise_header(name: str) -> str:
    """``"E-mail adres "`` -> ``"emailadres"``: case, accents, spaces and punctuation ignored."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]", "", ascii_.lower())


# A JSON number in a text cell (a personnel number, a team code): a whole number is the
# text of the integer, whether written 100231 or 100231.0 (as spreadsheets export
# numbers), in the cell and as the row's key alike (key_text), past 2**31 too. From 2**53
# on, JSON tools do not hold numbers exactly (RFC 8259, section 6: 9007199254740993.0
# reads as ...992), so an integer or float that large is refused with one message (and
# the hostile-input rule, issue 10, refuses 2**63 in every field), never guessed.
EXACT_FLOAT = 2**53
TOO_LARGE = (
    "is a number of 2**53 or more, which JSON tools do not hold exactly; send it as text, in quotes"
)


def _as_text(value: Any, *, exact: bool = True) -> str:
    if type(value) is str:  # every CSV cell: the fast path
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError("expected text, not true/false")
    if exact and isinstance(value, int | float) and abs(value) >= EXACT_FLOAT:
        raise CellError(TOO_LARGE)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str):
        return value.strip()
    raise CellError("expected text")


def key_text(value: Any) -> str | None:
    """A row's key as its text cell reads it (None: empty or not text): the same rule for
    finding duplicates and the keys deactivate_missing spares as for writing the row.

    A number too large to be exact still names the key it reads as: its cell refuses it,
    and a failed row counts as listed, so deactivate_missing spares whom it names rather
    than deactivating someone the file did list (docs/imports.md)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        s = _as_text(value, exact=False)
    except CellError:
        return None
    return unescaped(s) if s else None


def _check_formula(text: str) -> None:
    if text.startswith(FORMULA_START):
        raise CellError(
            "looks like a spreadsheet formula (starts with "
            f"{text[0]!r}); such cells are refused to protect whoever opens the data"
        )


def unescaped(s: str) -> str:
    """A cell as stored: our exports' escape (core/csv.py, ``safe_cell``) of text a
    spreadsheet would evaluate, a leading apostrophe, removed."""
    return s[1:] if s.startswith("'") and s[1:].startswith(FORMULA_START) else s


def text(max_length: int, *, required: bool = False) -> Converter:
    """A text cell: trimmed, empty -> None (or an error when required), no formulas."""

    def convert(value: Any) -> str | None:
        s = _as_text(value)
        if not s:
            if required:
                raise CellError("is required")
            return None
        stored = unescaped(s)
        if stored == s:  # escaped by the apostrophe it is text; unescaped, a formula is refused
            _check_formula(s)
        s = stored
        if len(s) > max_length:
            raise CellError(f"is longer than {max_length} characters")
        return s

    return convert


def email(value: Any) -> str | None:
    """An e-mail address, lower-cased; a syntax check only (no DNS)."""
    s = _as_text(value)
    if not s:
        return None
    _check_formula(s)
    if len(s) > 320 or not _EMAIL.match(s):
        raise CellError("is not a valid e-mail address")
    return s.lower()


def parse_date(value: Any) -> date | None:
    """``YYYY-MM-DD`` or ``DD-MM-YYYY`` (also with ``/`` or ``.``, day and month unpadded)."""
    s = _as_text(value)
    if not s:
        return None
    found = _DATES.get(s)
    if found is None:
        found = _parse_date(s)
        if len(_DATES) < 50_000:
            _DATES[s] = found
    return found


# Dates repeat a lot in HR files (start dates, completion days): parse each text once.
_DATES: dict[str, date] = {}


def _parse_date(s: str) -> date:
    m = _YMD.match(s)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _DMY.match(s)
        if not m:
            raise CellError("is not a date; use YYYY-MM-DD or DD-MM-YYYY")
        d, mo, y = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        raise CellError("is not an existing date") from None


def required_date(value: Any) -> date:
    """A date that must be present."""
    d = parse_date(value)
    if d is None:
        raise CellError("is required")
    return d


def integer(low: int, high: int, *, required: bool = False) -> Converter:
    """A whole number within ``low..high``."""

    def convert(value: Any) -> int | None:
        if isinstance(value, bool):
            raise CellError("expected a number")
        if isinstance(value, int):
            n = value
        else:
            s = _as_text(value)
            if not s:
                if required:
                    raise CellError("is required")
                return None
            try:
                f = float(s.replace(",", "."))
            except ValueError:
                raise CellError("is not a number") from None
            if not f.is_integer():
                raise CellError("is not a whole number")
            n = int(f)
        if not low <= n <= high:
            raise CellError(f"must be between {low} and {high}")
        return n

    return convert


def decimal(low: float, high: float) -> Converter:
    """A number within ``low..high``; a Dutch decimal comma is accepted."""

    def convert(value: Any) -> float | None:
        if isinstance(value, bool):
            raise CellError("expected a number")
        if isinstance(value, int | float):
            try:
                f = float(value)
            except OverflowError:  # an integer beyond every float (import bodies allow it)
                raise CellError(f"must be between {low:g} and {high:g}") from None
        else:
            s = _as_text(value)
            if not s:
                return None
            try:
                f = float(s.replace(",", "."))
            except ValueError:
                raise CellError("is not a number") from None
        if not low <= f <= high:
            raise CellError(f"must be between {low:g} and {high:g}")
        return f

    return convert


_TRUE = {"true", "1", "yes", "y", "ja", "j", "waar", "actief", "active", "x"}
_FALSE = {"false", "0", "no", "n", "nee", "onwaar", "inactief", "inactive", "uit dienst"}


def boolean(default: bool) -> Converter:
    """ja/nee, true/false, 1/0, actief/inactief; empty -> ``default``."""

    def convert(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        s = _as_text(value).lower()
        if not s:
            return default
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise CellError("is not yes/no (ja/nee, true/false, 1/0)")

    return convert


def choice(enum: type[StrEnum], aliases: dict[str, str], *, default: StrEnum | None) -> Converter:
    """One of an enum's values (as plain text), or a (Dutch) alias; empty -> ``default``."""
    lookup = {normalise_header(v.value): v.value for v in enum}
    lookup.update({normalise_header(k): enum(v).value for k, v in aliases.items()})
    accepted = ", ".join(sorted({*(v.value for v in enum), *aliases}))

    seen: dict[str, str] = {}  # a column of few distinct values: normalise each once

    def convert(value: Any) -> str:
        s = _as_text(value)
        if not s:
            if default is None:
                raise CellError("is required")
            return default.value
        found = seen.get(s)
        if found is None:
            found = lookup.get(normalise_header(s))
            if found is None:
                raise CellError(f"is not one of: {accepted}")
            if len(seen) < 1000:
                seen[s] = found
        return found

    return convert


def id_list(max_items: int = 100) -> Converter:
    """External ids separated by ``|``, ``,`` or ``;`` (or a JSON array)."""
    item = text(100)

    def convert(value: Any) -> list[str]:
        parts = value if isinstance(value, list) else _LIST_SEPARATORS.split(_as_text(value))
        out = [v for v in (item(p) for p in parts) if v]
        if len(out) > max_items:
            raise CellError(f"lists more than {max_items} ids")
        return list(dict.fromkeys(out))

    return convert
