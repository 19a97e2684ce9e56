"""The parsing layer on its own: encodings, delimiters, headers, cells, every error."""

import codecs
import os
from datetime import date

import pytest

from app.core.errors import InvalidInput
from app.imports.cells import normalise_header, parse_date
from app.imports.employees import EMPLOYEE_COLUMNS
from app.imports.parsing import RowError, decode, detect_delimiter, parse_body
from tests.imports.conftest import example

HEADER_EN = "external_id,first_name,last_name,email,role,started_on"


def parse(data: bytes | str, content_type: str = "text/csv"):  # type: ignore[no-untyped-def]
    raw = data.encode() if isinstance(data, str) else data
    return parse_body(raw, content_type, EMPLOYEE_COLUMNS, kind="employees", key="external_id")


def rejected(data: bytes | str) -> InvalidInput:
    with pytest.raises(InvalidInput) as exc:
        parse(data)
    return exc.value


def test_dutch_excel_export_is_read_exactly_as_it_is() -> None:
    parsed = parse(example("medewerkers-export-excel.csv"))
    assert parsed.encoding == "windows-1252"
    assert parsed.delimiter == ";"
    assert parsed.errors == []
    assert parsed.ignored_columns == []
    assert parsed.total == 8
    first, *_, director = parsed.records
    assert first.row == 2
    assert first.values["name_particle"] == "van der"
    assert first.values["last_name"] == "Berg"
    assert first.values["started_on"] == date(2019, 9, 1)
    assert first.values["role"] == "employee"
    assert first.values["team_external_id"] == "T-JW-01"
    by_row = {r.row: r.values for r in parsed.records}
    assert by_row[4]["first_name"] == "Daniëlle"  # cp1252 ë decoded, not mojibake
    assert by_row[5]["first_name"] == "Gül?en"  # taken as it is ...
    assert by_row[5]["role"] == "team_manager"  # leidinggevende
    assert by_row[6]["name_particle"] == "'t"
    assert director.values["role"] == "senior_management"  # directie
    assert director.values["team_external_id"] is None
    assert director.values["function_group_external_id"] is None
    # ... and the '?' is pointed out, with row and column.
    assert any("row 5, Voornaam" in w and "?" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("prefix", "encoding", "expected"),
    [
        (b"", "utf-8", "utf-8"),
        (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
        (b"", "cp1252", "windows-1252"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    ],
)
def test_encodings_are_detected(prefix: bytes, encoding: str, expected: str) -> None:
    text = f"{HEADER_EN}\n1,Renée,Smits,r@x.nl,medewerker,2020-01-01\n"
    parsed = parse(prefix + text.encode(encoding))
    assert parsed.encoding == expected
    assert parsed.records[0].values["first_name"] == "Renée"
    assert parsed.columns["external_id"] == "external_id"  # BOM not glued to the header


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_detected(delimiter: str) -> None:
    rows = [HEADER_EN.split(","), ["1", "Jan", "Jansen", "j@x.nl", "medewerker", "01-02-2020"]]
    parsed = parse("\r\n".join(delimiter.join(r) for r in rows))
    assert parsed.delimiter == delimiter
    assert parsed.records[0].values["started_on"] == date(2020, 2, 1)


def test_detect_delimiter_ignores_quoted_commas() -> None:
    assert detect_delimiter('"Naam, voluit";Team;Rol') == ";"


def test_headers_ignore_case_spaces_and_punctuation() -> None:
    assert normalise_header(" E-Mail ") == normalise_header("email") == "email"
    assert normalise_header("In dienst") == "indienst"
    parsed = parse("PERSONEELSNUMMER,Voor Naam,ACHTERNAAM,Extra kolom\n7,Jan,Jansen,x\n")
    assert parsed.columns == {
        "external_id": "PERSONEELSNUMMER",
        "first_name": "Voor Naam",
        "last_name": "ACHTERNAAM",
    }
    assert parsed.ignored_columns == ["Extra kolom"]


def test_missing_required_column_names_it_and_the_accepted_names() -> None:
    exc = rejected("Voornaam;Achternaam\nJan;Jansen\n")
    assert exc.code == "missing-columns"
    assert exc.errors is not None
    [err] = exc.errors
    assert err["row"] == 1 and err["column"] == "external_id"
    assert "personeelsnummer" in err["message"] and "pers.nr." in err["message"]


def test_two_columns_with_one_name_are_refused() -> None:
    exc = rejected("E-mail;Personeelsnummer;Email;Achternaam\na@b.nl;1;c@d.nl;B\n")
    assert exc.code == "duplicate-columns"


@pytest.mark.parametrize(
    ("header", "winner", "loser", "field", "value"),
    [
        ("Personeelsnummer;Voornaam;Roepnaam;Achternaam", "Roepnaam", "Voornaam", "first_name",
         "Mia"),
        ("Personeelsnummer;Roepnaam;Voornaam;Achternaam", "Roepnaam", "Voornaam", "first_name",
         "Mia"),
        ("ID;Personeelsnummer;Achternaam", "Personeelsnummer", "ID", "external_id", "1"),
        ("Personeelsnummer;Afdeling;Team;Achternaam", "Team", "Afdeling", "team_external_id",
         "Mia"),
        ("Personeelsnummer;E-mail;E-mail werk;Achternaam", "E-mail werk", "E-mail", "email",
         "mia@werk.nl"),
    ],
)  # fmt: skip
def test_overlapping_columns_take_the_documented_precedence(
    header: str, winner: str, loser: str, field: str, value: str
) -> None:
    cells = {"Personeelsnummer": "1", "ID": "Mia", "Voornaam": "Maria", "Roepnaam": "Mia",
             "Achternaam": "B", "Afdeling": "X", "Team": "Mia", "E-mail": "p@prive.nl",
             "E-mail werk": "mia@werk.nl"}  # fmt: skip
    names = header.split(";")
    parsed = parse(header + "\n" + ";".join(cells[n] for n in names) + "\n")
    assert parsed.errors == []
    assert parsed.columns[field] == winner
    assert parsed.records[0].values[field] == value
    assert loser in parsed.ignored_columns
    assert any(loser in w and "precedence" in w for w in parsed.warnings)


def test_the_field_name_itself_wins_over_an_alias() -> None:
    parsed = parse('[{"id": "x", "external_id": "7", "last_name": "B"}]', "application/json")
    assert parsed.records[0].values["external_id"] == "7"
    assert parsed.ignored_columns == ["id"]


def test_pers_nr_is_the_personnel_number() -> None:
    parsed = parse("Pers.nr.;Achternaam\n42;B\n")
    assert parsed.records[0].values["external_id"] == "42"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("01-03-2024", date(2024, 3, 1)),
        ("1-3-2024", date(2024, 3, 1)),
        ("01/03/2024", date(2024, 3, 1)),
        ("01.03.2024", date(2024, 3, 1)),
        ("", None),
    ],
)
def test_dates(value: str, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_every_bad_cell_is_reported_not_just_the_first() -> None:
    parsed = parse(
        f"{HEADER_EN}\n"
        "1,Jan,Jansen,not-an-email,medewerker,2020-01-01\n"
        "2,,Smits,s@x.nl,baas,31-02-2020\n"
        "3,Piet,Bakker,p@x.nl,medewerker,2020-13-01\n"
    )
    found = {(e.row, e.column, e.value) for e in parsed.errors}
    assert found == {
        (2, "email", "not-an-email"),
        (3, "first_name", ""),
        (3, "role", "baas"),
        (3, "started_on", "31-02-2020"),
        (4, "started_on", "2020-13-01"),
    }
    assert parsed.records == []
    assert all(isinstance(e, RowError) and e.message for e in parsed.errors)


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+31612345678", "-1+2", "@SUM(A1)"])
def test_formula_looking_cells_are_refused(cell: str) -> None:
    parsed = parse(f'{HEADER_EN}\n1,"{cell.replace(chr(34), chr(34) * 2)}",Jansen,,,\n')
    [err] = parsed.errors
    assert err.column == "first_name"
    assert err.value == cell
    assert "formula" in err.message


def test_mixed_delimiters_point_at_the_row_and_say_why() -> None:
    parsed = parse("Personeelsnummer;Voornaam;Achternaam\n1;Jan;Jansen\n2,Piet,Bakker\n3;Els;Vos\n")
    [err] = parsed.errors
    assert err.row == 3
    assert "mixed delimiters" in err.message and "','" in err.message
    assert [r.row for r in parsed.records] == [2, 4]


def test_rows_without_their_empty_last_cells_are_read_as_empty() -> None:
    # Excel leaves out the separators of empty last cells on some rows of a sheet.
    parsed = parse(
        "Personeelsnummer;Voornaam;Achternaam;E-mail;Uit dienst\n"
        "1;A;B;a@x.nl;\n"
        "2;C;D;c@x.nl\n"
        "3;E;F\n"
    )
    assert parsed.errors == []
    assert [r.values["email"] for r in parsed.records] == ["a@x.nl", "c@x.nl", None]
    assert parsed.records[1].values["ended_on"] is None
    assert any("rows 3, 4" in w and "fewer cells" in w for w in parsed.warnings)


def test_empty_lines_are_skipped_but_rows_keep_their_spreadsheet_number() -> None:
    parsed = parse("id;voornaam;achternaam\r\n\r\n1;A;B\r\n;;\r\n2;C;D\r\n")
    assert [r.row for r in parsed.records] == [3, 5]
    assert parsed.total == 2


@pytest.mark.parametrize("body", [b"", b"   \r\n", b"id;voornaam;achternaam\r\n"])
def test_empty_file(body: bytes) -> None:
    assert rejected(body).code == "empty-file"


def test_byte_soup_is_refused_with_where() -> None:
    soup = bytes(range(256)) * 4 + os.urandom(512)
    exc = rejected(soup)
    assert exc.code == "undecodable-file"
    assert exc.errors is not None and exc.errors[0]["row"] >= 1


def test_bytes_undefined_in_windows_1252_are_refused() -> None:
    exc = rejected(b"id;voornaam;achternaam\n1;Jan\x81;B\n")
    assert exc.code == "undecodable-file"
    assert "0x81" in (exc.detail or "")


def test_unclosed_quote_is_a_precise_file_error() -> None:
    exc = rejected('id;voornaam;achternaam\n1;"Jan;B\n2;C;D')
    assert exc.code in ("unparseable-file",)


def test_json_body_with_aliases_and_native_values() -> None:
    parsed = parse(
        b'[{"Personeelsnummer": 12, "voornaam": "Jan", "achternaam": "Jansen", "actief": false},'
        b' {"Personeelsnummer": "13", "voornaam": "Els", "achternaam": "Vos", "actief": "ja"}]',
        "application/json",
    )
    assert parsed.format == "json"
    assert [r.values["external_id"] for r in parsed.records] == ["12", "13"]
    assert [r.values["active"] for r in parsed.records] == [False, True]


@pytest.mark.parametrize("body", [b"{}", b"[1, 2]", b"[{", b"[]"])
def test_bad_json(body: bytes) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse(body, "application/json")
    assert exc.value.code in ("unparseable-file", "empty-file")


def test_decode_reports_utf8_with_bom() -> None:
    assert decode(codecs.BOM_UTF8 + "é".encode()) == ("é", "utf-8-sig")
