"""Parsing and validating benchmark files (contracts.md section 2): formats, numbers, every error kind."""

import dataclasses
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from indicatoren.importers import (
    COLUMNS,
    MSG_EMPTY,
    MSG_FORMULA,
    Catalogue,
    Limits,
    RowError,
    parse_benchmark,
)

LONG_HEADER = "jaar;indicator;college;team;waarde;n"


@pytest.fixture
def catalogue():
    """Return a small agenda: one indicator per unit, 3c institution-only, two colleges with a team each."""
    return Catalogue(
        indicators={"2a-entree": "percent", "2b": "percent", "1a": "score", "4a": "count", "3c": "percent"},
        indicator_levels={
            "2a-entree": frozenset({"team", "college", "institution"}),
            "2b": frozenset({"team", "college", "institution"}),
            "1a": frozenset({"college", "institution"}),
            "4a": frozenset({"team", "college", "institution"}),
            "3c": frozenset({"institution"}),
        },
        colleges=frozenset({"5100", "5200"}),
        teams={"5100-ENT": "5100", "5200-ICT": "5200"},
        years=range(2011, 2023),
    )


def long_csv(*lines: str, header: str = LONG_HEADER) -> bytes:
    """Return a semicolon-separated long-format file with the given data lines."""
    return "\n".join([header, *lines, ""]).encode("utf-8")


def xlsx(sheets: dict[str, list[list]], number_formats: dict[tuple[str, str], str] | None = None) -> bytes:
    """Return an xlsx workbook; each row list is placed at its sheet row, [] leaves a blank row."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row_number, row in enumerate(rows, start=1):
            for column_number, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=row_number, column=column_number, value=value)
    for (title, reference), number_format in (number_formats or {}).items():
        workbook[title][reference].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def records(result) -> list[tuple]:
    """Return the parsed rows as tuples in contract column order."""
    return [tuple(record) for record in result.rows[list(COLUMNS)].itertuples(index=False)]


def only_error(result) -> RowError:
    """Return the single error of a result, failing when there are none or several."""
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


# --- reading CSV -----------------------------------------------------------------------------


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_separator_is_detected_from_the_header(catalogue, separator):
    """Comma, semicolon and tab files give the same row."""
    data = separator.join(["jaar", "indicator", "team", "waarde"]) + "\n"
    data += separator.join(["2020", "2b", "5100-ENT", "77.5"]) + "\n"
    result = parse_benchmark(data.encode(), "b.csv", catalogue)
    assert result.errors == []
    assert result.separator == separator
    assert records(result) == [(2, None, "2b", 2020, "team", "5100", "5100-ENT", Decimal("77.5"), None)]


def test_separators_inside_quotes_do_not_count(catalogue):
    """Commas in a quoted header name do not outvote the semicolons."""
    data = long_csv(
        "2020;2b;;5100-ENT;77,5;;x",
        header=LONG_HEADER + ';"bron, noot, toelichting, opmerking, datum, plaats, team, x"',
    )
    result = parse_benchmark(data, "b.csv", catalogue)
    assert result.separator == ";"
    assert result.errors == []
    assert result.rows["value"].tolist() == [Decimal("77.5")]


@pytest.mark.parametrize(
    ("encoding", "prefix", "separator", "expected"),
    [
        ("utf-8", b"", ",", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", ";", "utf-8-sig"),
        ("cp1252", b"", "\t", "cp1252"),
        ("utf-16", b"", "\t", "utf-16"),  # Excel's "Unicode text" export; Python's codec writes the BOM
    ],
)
def test_encodings_are_detected(catalogue, encoding, prefix, separator, expected):
    """UTF-8 with and without BOM and Windows-1252 files with a non-ASCII name column parse alike."""
    text = (
        separator.join(["jaar", "indicator", "team", "teamnaam", "waarde"])
        + "\r\n"
        + separator.join(["2020", "2b", "5100-ENT", "Entrée Zuidoost", '"77,5"'])
        + "\r\n"
    )
    result = parse_benchmark(prefix + text.encode(encoding), "b.csv", catalogue)
    assert result.errors == []
    assert result.encoding == expected
    assert records(result) == [(2, None, "2b", 2020, "team", "5100", "5100-ENT", Decimal("77.5"), None)]


def test_windows_1252_text_is_decoded(catalogue):
    """An accented code in a Windows-1252 file is reported as the user wrote it."""
    data = "jaar\tindicator\tteam\twaarde\n2020\t2b\tEntrée\t70\n".encode("cp1252")
    error = only_error(parse_benchmark(data, "b.csv", catalogue))
    assert (error.row, error.column, error.value) == (2, "team", "Entrée")
    assert error.message.startswith("Onbekend team 'Entrée'")


def test_blank_lines_keep_physical_row_numbers(catalogue):
    """Blank and separator-only lines are skipped, yet rows keep the line numbers the user sees."""
    data = b"\r\n".join(
        [
            b"jaar;indicator;team;waarde",
            b"2020;2b;5100-ENT;70",
            b"",
            b"2020;2b;5200-ICT;abc",
            b";;;",
            b"2021;2b;5100-ENT;71",
            b"",
        ]
    )
    result = parse_benchmark(data, "b.csv", catalogue)
    error = only_error(result)
    assert (error.row, error.column, error.value) == (4, "waarde", "abc")
    assert result.rows["row"].tolist() == [2, 6]


def test_leading_blank_lines_and_multiline_quotes_keep_line_numbers(catalogue):
    """A header on line 2 and a quoted field spanning two lines shift later rows accordingly."""
    data = b'\njaar;indicator;team;waarde;opmerking\n2020;2b;5100-ENT;70;"twee\nregels"\n2020;2b;5200-ICT;x;\n'
    error = only_error(parse_benchmark(data, "b.csv", catalogue))
    assert error.row == 5


def test_excel_separator_hint_line_is_honoured(catalogue):
    """A first line 'sep=;' sets the separator and is not the header."""
    data = b"sep=;\njaar;indicator;team;waarde\n2020;2b;5100-ENT;70,5\n"
    result = parse_benchmark(data, "b.csv", catalogue)
    assert result.errors == []
    assert result.rows[["row", "value"]].values.tolist() == [[3, Decimal("70.5")]]


# --- numbers and headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("77,5", "77.5"),
        ("77.5", "77.5"),
        ("77,5%", "77.5"),
        ("77,5 %", "77.5"),
        (" 77,5 ", "77.5"),
        ("1.234,5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("1.234.567", "1234567"),
        ("1,234,567.25", "1234567.25"),
        ("1\u00a0234,5", "1234.5"),
        ("0,000001", "0.000001"),
        ("12,5000000", "12.5"),  # trailing zeros are not decimals that storage would lose
        ("120", "120"),
        (",5", "0.5"),
    ],
)
def test_dutch_and_english_numbers(catalogue, text, expected):
    """Decimal comma or point, thousands separators, percent signs and spaces all give the exact Decimal."""
    result = parse_benchmark(long_csv(f"2020;4a;5100;;{text};"), "b.csv", catalogue)
    assert result.errors == []
    value = result.rows["value"].iloc[0]
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("abc", "Geen getal: 'abc'"),
        ("1.23,5", "Geen getal: '1.23,5'"),
        ("12,3,4", "Geen getal: '12,3,4'"),
        ("1e5", "Geen getal: '1e5'"),
        ("1,1234567", "Te veel decimalen in '1,1234567'"),
        ("=1+1", MSG_FORMULA),
        ("+A1", MSG_FORMULA),
        ("@SUM(A1)", MSG_FORMULA),
        ("", "Waarde is leeg"),
    ],
)
def test_bad_numbers(catalogue, text, fragment):
    """Text that is not a plain number (or is a formula) is an error on the value cell."""
    error = only_error(parse_benchmark(long_csv(f"2020;4a;5100;;{text};"), "b.csv", catalogue))
    assert (error.row, error.column) == (2, "waarde")
    assert fragment in error.message


@pytest.mark.parametrize(
    ("header", "line"),
    [
        ("jaar;indicator;college;team;waarde;n", "2020;2b;;5100-ENT;77,5;120"),
        ("Year;Indicator;College;Team;Value;Noemer", "2020;2b;;5100-ENT;77,5;120"),
        (" JAAR ; INDICATOR ; college ; TEAM ; Waarde ; N ", "2020;2b;;5100-ENT;77,5;120"),
        ("indicator;waarde;opmerking;jaar;noemer;team", "2b;77,5;zomaar;2020;120;5100-ENT"),
    ],
)
def test_header_aliases_case_and_order(catalogue, header, line):
    """Dutch or English names, any case, spaces, order, and extra columns give the same row."""
    result = parse_benchmark(long_csv(line, header=header), "b.csv", catalogue)
    assert result.errors == []
    assert records(result) == [(2, None, "2b", 2020, "team", "5100", "5100-ENT", Decimal("77.5"), 120)]


def test_error_column_is_the_header_as_written(catalogue):
    """Errors name the column as the user wrote it, not the internal alias."""
    data = long_csv("2020;2b;;5100-ENT;veel;", header="Year;Indicator;College;Team;Value;N")
    assert only_error(parse_benchmark(data, "b.csv", catalogue)).column == "Value"


@pytest.mark.parametrize(
    ("college", "team", "expected"),
    [
        ("", "", ("institution", None, None)),
        ("5100", "", ("college", "5100", None)),
        ("", "5100-ENT", ("team", "5100", "5100-ENT")),
        ("5100", "5100-ENT", ("team", "5100", "5100-ENT")),
        (" 5100 ", "5100-ent", ("team", "5100", "5100-ENT")),  # codes are trimmed and case-insensitive
    ],
)
def test_level_follows_from_college_and_team(catalogue, college, team, expected):
    """Both empty is the institution, a team is team level, only a college is college level."""
    result = parse_benchmark(long_csv(f"2020;2b;{college};{team};70;"), "b.csv", catalogue)
    assert result.errors == []
    assert tuple(result.rows.iloc[0][["level", "college", "team"]]) == expected


@pytest.mark.parametrize(
    ("year", "n", "expected_year", "expected_n"),
    [("2020", "120", 2020, 120), ("2020.0", "120.0", 2020, 120), ("2020,0", "", 2020, None)],
)
def test_year_and_n_accept_whole_numbers_written_as_decimals(catalogue, year, n, expected_year, expected_n):
    """2020.0 is the year 2020 and 120.0 is n 120; an empty n is None."""
    result = parse_benchmark(long_csv(f"{year};2b;5100;;70;{n}"), "b.csv", catalogue)
    assert result.errors == []
    assert (result.rows["year"].iloc[0], result.rows["n"].iloc[0]) == (expected_year, expected_n)


def test_students_are_accepted_at_college_level(catalogue):
    """'studenten' is always an indicator code, and a whole count per college."""
    result = parse_benchmark(long_csv("2020;studenten;5100;;1234;", "2020;STUDENTEN;5200;;800;"), "b.csv", catalogue)
    assert result.errors == []
    assert records(result) == [
        (2, None, "studenten", 2020, "college", "5100", None, Decimal(1234), None),
        (3, None, "studenten", 2020, "college", "5200", None, Decimal(800), None),
    ]


def test_scope_allows_own_college_and_teams(catalogue):
    """A director's upload may hold their own college and its teams."""
    scoped = dataclasses.replace(catalogue, scope_college="5100")
    result = parse_benchmark(long_csv("2020;2b;5100;;70;", "2020;2b;;5100-ENT;71;"), "b.csv", scoped)
    assert result.errors == []
    assert result.rows["level"].tolist() == ["college", "team"]


def test_result_frame_has_the_contract_columns_and_types(catalogue):
    """Rows come as one frame: exact columns, Decimal values, None where absent."""
    result = parse_benchmark(long_csv("2020;2b;;;70,25;", "2020;2b;5100;;71;300"), "b.csv", catalogue)
    rows = result.rows
    assert list(rows.columns) == list(COLUMNS)
    assert str(rows["row"].dtype) == "int64" and str(rows["year"].dtype) == "int64"
    assert rows["value"].dtype == object and rows["n"].dtype == object
    assert rows["value"].tolist() == [Decimal("70.25"), Decimal(71)]
    assert all(type(value) is Decimal for value in rows["value"])
    assert rows["n"].tolist() == [None, 300]
    assert rows["college"].tolist() == [None, "5100"]
    assert rows["sheet"].tolist() == [None, None]
    assert (result.file_format, result.layout) == ("csv", "long")


def test_empty_result_frame_still_has_the_columns(catalogue):
    """A rejected file still returns a frame with the contract's columns."""
    result = parse_benchmark(b"", "b.csv", catalogue)
    assert list(result.rows.columns) == list(COLUMNS)
    assert result.rows.empty


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        (long_csv("2020;2b;5100;;70;"), True),
        (long_csv("2020;2b;5100;;170;"), False),
        (long_csv(), False),
    ],
)
def test_ok_means_no_errors_and_at_least_one_row(catalogue, data, ok):
    """ok is true only for a file with rows and without errors."""
    assert parse_benchmark(data, "b.csv", catalogue).ok is ok


# --- xlsx --------------------------------------------------------------------------------------


def test_xlsx_long_format(catalogue):
    """A workbook's first sheet is read: numbers, percent-formatted fractions, numeric codes."""
    data = xlsx(
        {
            "Blad1": [
                ["Jaar", "Indicator", "College", "Team", "Waarde", "N"],
                [2020, "2b", None, "5100-ENT", 77.5, 120],
                [2020.0, "2a-entree", None, "5100-ENT", 0.775, 120.0],
                [2020, "4a", 5100, None, 12, None],
                [2020, "1a", "5200", None, "7,5", None],
                [],
                [],
            ],
            "Toelichting": [["niet", "gelezen"], ["=1+1", "abc"]],
        },
        {("Blad1", "E3"): "0.0%"},
    )
    result = parse_benchmark(data, "benchmark.xlsx", catalogue)
    assert result.errors == []
    assert (result.file_format, result.layout, result.encoding, result.separator) == ("xlsx", "long", None, None)
    assert records(result) == [
        (2, "Blad1", "2b", 2020, "team", "5100", "5100-ENT", Decimal("77.5"), 120),
        (3, "Blad1", "2a-entree", 2020, "team", "5100", "5100-ENT", Decimal("77.5"), 120),
        (4, "Blad1", "4a", 2020, "college", "5100", None, Decimal(12), None),
        (5, "Blad1", "1a", 2020, "college", "5200", None, Decimal("7.5"), None),
    ]


@pytest.mark.parametrize(
    ("number_format", "expected"),
    [("0.0%", Decimal("77.5")), ("0%", Decimal("77.5")), ("General", Decimal("0.775")), ('0.0"%"', Decimal("0.775"))],
)
def test_xlsx_percent_format_scales_the_fraction(catalogue, number_format, expected):
    """0.775 shown as 77,5% is 77.5; a literal quoted % in the format does not scale."""
    data = xlsx(
        {"S": [["jaar", "indicator", "college", "waarde"], [2020, "2b", "5100", 0.775]]}, {("S", "D2"): number_format}
    )
    result = parse_benchmark(data, "b.xlsx", catalogue)
    assert result.errors == []
    assert result.rows["value"].iloc[0] == expected


def test_xlsx_row_numbers_are_sheet_rows(catalogue):
    """Leading and inner blank rows do not shift the row numbers reported."""
    rows = [[], [], ["jaar", "indicator", "college", "waarde"], [], [2020, "2b", "5100", "x"]]
    error = only_error(parse_benchmark(xlsx({"Data": rows}), "b.xlsx", catalogue))
    assert (error.sheet, error.row, error.column, error.value) == ("Data", 5, "waarde", "x")


@pytest.mark.parametrize(
    ("cell", "column", "fragment"),
    [
        ("=40+37.5", "waarde", MSG_FORMULA),
        (datetime.date(2020, 5, 1), "waarde", "datum"),
        (33.333333333, "waarde", "Te veel decimalen"),
        (True, "waarde", "Geen getal"),
    ],
)
def test_xlsx_bad_value_cells(catalogue, cell, column, fragment):
    """Formulas, dates, too precise floats and booleans in the value column are refused."""
    data = xlsx(
        {"S": [["jaar", "indicator", "college", "waarde"], [2020, "2b", "5100", 70], [2020, "2b", "5200", cell]]}
    )
    error = only_error(parse_benchmark(data, "b.xlsx", catalogue))
    assert (error.sheet, error.row, error.column) == ("S", 3, column)
    assert fragment in error.message


def test_xlsx_formula_in_year_column_is_refused(catalogue):
    """A formula anywhere the importer reads is refused, not evaluated."""
    data = xlsx({"S": [["jaar", "indicator", "college", "waarde"], ["=2019+1", "2b", "5100", 70]]})
    error = only_error(parse_benchmark(data, "b.xlsx", catalogue))
    assert (error.row, error.column, error.value, error.message) == (2, "jaar", "=2019+1", MSG_FORMULA)


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (xlsx({"S": [["jaar", "indicator", "college", "waarde"], [2020, "2b", "5100", 70]]}), "b.csv", "xlsx"),
        (long_csv("2020;2b;5100;;70;"), "b.xlsx", "csv"),
    ],
)
def test_format_is_detected_by_content(catalogue, data, filename, expected):
    """The bytes decide the format, not the extension."""
    result = parse_benchmark(data, filename, catalogue)
    assert result.errors == []
    assert result.file_format == expected


# --- wide format -------------------------------------------------------------------------------


def test_wide_csv_takes_the_year_from_the_filename(catalogue):
    """One row per team or college, one column per code, n columns, empty cells skipped."""
    data = (
        b"team;naam;college;2a-entree;n 2a-entree;2b;1a;studenten\n"
        b"5100-ENT;Entree Zuidoost;5100;50;10;;;\n"
        b"5200-ICT;ICT;;40,5;;6;;\n"
        b";MBO College Zuidoost;5100;55;30;;7,5;1200\n"
    )
    result = parse_benchmark(data, "exports/5100-2020.csv", catalogue)
    assert result.errors == []
    assert result.layout == "wide"
    assert records(result) == [
        (2, None, "2a-entree", 2020, "team", "5100", "5100-ENT", Decimal(50), 10),
        (3, None, "2a-entree", 2020, "team", "5200", "5200-ICT", Decimal("40.5"), None),
        (3, None, "2b", 2020, "team", "5200", "5200-ICT", Decimal(6), None),
        (4, None, "2a-entree", 2020, "college", "5100", None, Decimal(55), 30),
        (4, None, "1a", 2020, "college", "5100", None, Decimal("7.5"), None),
        (4, None, "studenten", 2020, "college", "5100", None, Decimal(1200), None),
    ]


def test_wide_xlsx_one_sheet_per_year(catalogue):
    """Sheets '2019' and '2020' give each its own year; 'n <code>' columns fill n."""
    header = ["Team", "Teamnaam", "2a-entree", "N 2a-entree", "2b", "n 2b"]
    data = xlsx(
        {
            "2019": [header, ["5100-ENT", "Entree", 48, 100, 6.5, 90], ["5200-ICT", "ICT", None, None, 7, 80]],
            "2020": [header, [], ["5100-ENT", "Entree", 50, 110, None, None]],
        }
    )
    result = parse_benchmark(data, "grid.xlsx", catalogue)
    assert result.errors == []
    assert (result.file_format, result.layout) == ("xlsx", "wide")
    assert records(result) == [
        (2, "2019", "2a-entree", 2019, "team", "5100", "5100-ENT", Decimal(48), 100),
        (2, "2019", "2b", 2019, "team", "5100", "5100-ENT", Decimal("6.5"), 90),
        (3, "2019", "2b", 2019, "team", "5200", "5200-ICT", Decimal(7), 80),
        (3, "2020", "2a-entree", 2020, "team", "5100", "5100-ENT", Decimal(50), 110),
    ]


def test_wide_year_column_wins_over_the_filename(catalogue):
    """A 'jaar' column gives each row its own year."""
    data = b"college;jaar;2b\n5100;2019;6\n5100;2020;5,5\n"
    result = parse_benchmark(data, "5100-2018.csv", catalogue)
    assert result.errors == []
    assert result.rows["year"].tolist() == [2019, 2020]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("2a-entre", "Onbekende indicator '2a-entre'; bedoelde u '2a-entree'?"),
        ("n 2a-entre", "bedoelde u 'n 2a-entree'?"),
        ("opmerking", "Onbekende kolom 'opmerking'"),
    ],
)
def test_wide_unknown_column_is_an_error_with_a_suggestion(catalogue, header, fragment):
    """An unrecognised wide header is reported on the header row, with a near miss when there is one."""
    data = f"team;2a-entree;{header}\n5100-ENT;50;1\n".encode()
    error = only_error(parse_benchmark(data, "5100-2020.csv", catalogue))
    assert (error.row, error.column, error.value) == (1, header, header)
    assert fragment in error.message


@pytest.mark.parametrize(
    ("data", "filename", "value", "fragment"),
    [
        (
            b"team;2b\n5100-ENT;6\n",
            "benchmark.csv",
            "benchmark.csv",
            "Jaar ontbreekt: de bestandsnaam bevat geen jaartal",
        ),
        (b"team;2b\n5100-ENT;6\n", "5100-2019-2020.csv", "5100-2019-2020.csv", "meer dan één jaartal (2019, 2020)"),
        (b"team;2b\n5100-ENT;6\n", "5100-2031.csv", "5100-2031.csv", "Jaar 2031 valt buiten de agenda"),
        (xlsx({"Blad1": [["team", "2b"], ["5100-ENT", 6]]}), "grid.xlsx", "Blad1", "Jaar ontbreekt: blad 'Blad1'"),
    ],
)
def test_wide_year_missing_or_outside_the_agenda(catalogue, data, filename, value, fragment):
    """Without a year column the filename or sheet name must hold exactly one agenda year."""
    result = parse_benchmark(data, filename, catalogue)
    error = only_error(result)
    assert (error.row, error.column, error.value) == (None, None, value)
    assert fragment in error.message
    assert result.rows.empty


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("5100-ENT;5200;6", "college", "Team 5100-ENT hoort bij college 5100, niet bij 5200"),
        (";;6", "team", "Team en college zijn leeg"),
    ],
)
def test_wide_row_unit_errors(catalogue, line, column, fragment):
    """A wide row's college must match its team, and a row with values needs a unit."""
    data = f"team;college;2b\n{line}\n".encode()
    error = only_error(parse_benchmark(data, "2020.csv", catalogue))
    assert (error.row, error.column) == (2, column)
    assert fragment in error.message


def test_wide_row_without_unit_or_values_is_skipped(catalogue):
    """A title or total line without unit and without values is not an error."""
    data = b"team;naam;2b\n;Totaal;\n5100-ENT;Entree;6\n"
    result = parse_benchmark(data, "2020.csv", catalogue)
    assert result.errors == []
    assert result.rows["row"].tolist() == [3]


# --- the corpus of bad files: one per error kind ------------------------------------------------

BAD_FILES = [
    pytest.param(b"x" * (1024 * 1024 + 1), {"max_bytes": 1024 * 1024}, None, None, "de grens is 1 MB", id="too-big"),
    pytest.param(b"", {}, None, None, MSG_EMPTY, id="empty"),
    pytest.param(b" \r\n\r\n  ", {}, None, None, MSG_EMPTY, id="whitespace-only"),
    pytest.param(long_csv(), {}, None, None, MSG_EMPTY, id="header-only"),
    pytest.param(
        xlsx({"S": [["jaar", "indicator", "college", "waarde"], []]}),
        {},
        None,
        None,
        MSG_EMPTY,
        id="sheet-without-rows",
    ),
    pytest.param(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, {}, None, None, "sla het bestand op als .xlsx", id="xls"
    ),
    pytest.param(b"PK\x03\x04 not really a zip", {}, None, None, "kan niet worden gelezen", id="corrupt-xlsx"),
    pytest.param(b"\xef\xbb\xbfjaar;w\xe9\xff\n", {}, None, None, "tekenset", id="undecodable"),
    pytest.param(b"%PDF-1.4\x00\x01\x02", {}, None, None, "geen CSV- of Excel-bestand", id="binary"),
    pytest.param(
        long_csv("2020;2b;5100", header="jaar;indicator;team"),
        {},
        None,
        "waarde",
        "Verplichte kolom 'waarde' (of 'value') ontbreekt; gevonden kolommen: jaar, indicator, team",
        id="missing-column",
    ),
    pytest.param(
        long_csv("2020;2020;2b;5100;70", header="jaar;year;indicator;college;waarde"),
        {},
        1,
        "year",
        "Kolom 'year' komt dubbel voor (ook 'jaar')",
        id="duplicate-column",
    ),
    pytest.param(
        long_csv("2020;2bb;5100;;70;"),
        {},
        2,
        "indicator",
        "Onbekende indicator '2bb'; bedoelde u '2b'?",
        id="unknown-indicator",
    ),
    pytest.param(long_csv("2020;;5100;;70;"), {}, 2, "indicator", "Indicator is leeg", id="empty-indicator"),
    pytest.param(
        long_csv("2020;2b;5110;;70;"),
        {},
        2,
        "college",
        "Onbekend college '5110'; bedoelde u '5100'",
        id="unknown-college",
    ),
    pytest.param(
        long_csv("2020;2b;;5100-EN;70;"),
        {},
        2,
        "team",
        "Onbekend team '5100-EN'; bedoelde u '5100-ENT'?",
        id="unknown-team",
    ),
    pytest.param(
        long_csv("2020;2b;5200;5100-ENT;70;"),
        {},
        2,
        "college",
        "Team 5100-ENT hoort bij college 5100, niet bij 5200",
        id="team-not-in-college",
    ),
    pytest.param(
        long_csv("2020;2b;5100;;100,5;"),
        {},
        2,
        "waarde",
        "een percentage: moet tussen 0 en 100 liggen",
        id="percent-range",
    ),
    pytest.param(
        long_csv("2020;1a;5100;;0,9;"),
        {},
        2,
        "waarde",
        "een rapportcijfer: moet tussen 1 en 10 liggen",
        id="score-range",
    ),
    pytest.param(
        long_csv("2020;4a;5100;;-1;"), {}, 2, "waarde", "een aantal: moet minstens 0 zijn", id="count-negative"
    ),
    pytest.param(
        long_csv("2020;studenten;5100;;12,5;"),
        {},
        2,
        "waarde",
        "Studentaantal moet een geheel getal",
        id="students-whole",
    ),
    pytest.param(
        long_csv("2020;3c;;5100-ENT;50;"),
        {},
        2,
        "indicator",
        "Indicator 3c wordt alleen op instellingsniveau gemeten",
        id="institution-only",
    ),
    pytest.param(
        long_csv("2020;1a;;5100-ENT;7;"),
        {},
        2,
        "indicator",
        "Indicator 1a wordt alleen op collegeniveau en instellingsniveau",
        id="level",
    ),
    pytest.param(
        long_csv("2020;studenten;;5100-ENT;300;"), {}, 2, "indicator", "alleen op collegeniveau", id="students-team"
    ),
    pytest.param(
        long_csv("2020;studenten;;;3000;"), {}, 2, "indicator", "alleen op collegeniveau", id="students-institution"
    ),
    pytest.param(
        long_csv("2020;2b;5100;;70;", "2020;2b;5100;;71;"),
        {},
        3,
        "indicator",
        "college 5100: staat ook in rij 2",
        id="duplicate",
    ),
    pytest.param(
        long_csv("2020;2b;;5200-ICT;70;"),
        {"scope_college": "5100"},
        2,
        "team",
        "Alleen gegevens van college 5100 toegestaan",
        id="scope-team",
    ),
    pytest.param(
        long_csv("2020;2b;5200;;70;"),
        {"scope_college": "5100"},
        2,
        "college",
        "Alleen gegevens van college 5100 toegestaan",
        id="scope-college",
    ),
    pytest.param(
        long_csv("2020;2b;;;70;"),
        {"scope_college": "5100"},
        2,
        "college",
        "Alleen gegevens van college 5100 toegestaan",
        id="scope-institution",
    ),
    pytest.param(long_csv("2020;2b;5100;;abc;"), {}, 2, "waarde", "Geen getal: 'abc'", id="not-a-number"),
    pytest.param(long_csv("2020;2b;5100;;;"), {}, 2, "waarde", "Waarde is leeg", id="empty-value"),
    pytest.param(long_csv("2020;2b;5100;;=SUM(A1:A3);"), {}, 2, "waarde", MSG_FORMULA, id="formula-csv"),
    pytest.param(
        xlsx({"S": [["jaar", "indicator", "college", "waarde"], [2020, "2b", "5100", "=A1*2"]]}),
        {},
        2,
        "waarde",
        MSG_FORMULA,
        id="formula-xlsx",
    ),
    pytest.param(
        xlsx({"S": [["jaar", "indicator", "college", "waarde"], [2020, "2b", "5100", datetime.datetime(2020, 1, 5)]]}),
        {},
        2,
        "waarde",
        "Een datum is geen geldige waarde",
        id="date-xlsx",
    ),
    pytest.param(long_csv("2020;2b;5100;;70,1234567;"), {}, 2, "waarde", "Te veel decimalen", id="too-many-decimals"),
    pytest.param(
        long_csv("2031;2b;5100;;70;"),
        {},
        2,
        "jaar",
        "Jaar 2031 valt buiten de agenda (toegestaan: 2011-2022)",
        id="year-outside",
    ),
    pytest.param(long_csv("2020,5;2b;5100;;70;"), {}, 2, "jaar", "Geen geldig jaartal: '2020,5'", id="year-not-int"),
    pytest.param(long_csv(";2b;5100;;70;"), {}, 2, "jaar", "Jaar is leeg", id="year-empty"),
    pytest.param(long_csv("2020;2b;5100;;70;-1"), {}, 2, "n", "Ongeldige n '-1'", id="n-negative"),
    pytest.param(long_csv("2020;2b;5100;;70;12,5"), {}, 2, "n", "Ongeldige n '12,5'", id="n-fraction"),
    pytest.param(long_csv("2020;2b;5100;;70;abc"), {}, 2, "n", "Ongeldige n 'abc'", id="n-text"),
    pytest.param(
        b"college;2b;2b\n5100;6;7\n", {"filename": "2020.csv"}, 1, "2b", "komt dubbel voor", id="wide-duplicate-column"
    ),
    pytest.param(
        b"college;naam\n5100;Zuidoost\n",
        {"filename": "2020.csv"},
        1,
        None,
        "Geen indicatorkolommen",
        id="wide-no-codes",
    ),
    pytest.param(
        b"college;2a-entree;n 2b\n5100;6;7\n",
        {"filename": "2020.csv"},
        1,
        "n 2b",
        "die kolom ontbreekt",
        id="wide-n-without-code",
    ),
]


@pytest.mark.parametrize(("data", "options", "row", "column", "fragment"), BAD_FILES)
def test_bad_file_yields_exactly_its_error(catalogue, data, options, row, column, fragment):
    """Every kind of mistake is one error at the row and column the user sees, in Dutch."""
    options = dict(options)
    filename = options.pop("filename", "benchmark.csv")
    max_bytes = options.pop("max_bytes", 10 * 1024 * 1024)
    result = parse_benchmark(data, filename, dataclasses.replace(catalogue, **options), max_bytes=max_bytes)
    error = only_error(result)
    assert (error.row, error.column) == (row, column)
    assert fragment in error.message
    assert not result.ok


def test_too_big_file_is_not_parsed(catalogue):
    """Over the size limit nothing is read, so the bad rows inside give no further errors."""
    data = long_csv(*["2099;zz;;;abc;"] * 80_000)
    result = parse_benchmark(data, "b.csv", catalogue, max_bytes=1024 * 1024)
    error = only_error(result)
    assert error.message.startswith("Het bestand is te groot (1,1 MB); de grens is 1 MB")
    assert result.rows.empty


# --- all errors at once -----------------------------------------------------------------------


def test_all_errors_are_reported_at_once_and_sorted(catalogue):
    """Three bad rows give three errors, not just the first; errors come sorted by row and column."""
    data = long_csv("2020;2b;5100;;70;", "2020;2b;5100-X;;abc;", "2031;zz;;;70;", "2020;1a;5200;;11;")
    result = parse_benchmark(data, "b.csv", catalogue)
    assert [(error.row, error.column) for error in result.errors] == [
        (3, "college"),
        (3, "waarde"),
        (4, "indicator"),
        (4, "jaar"),
        (5, "waarde"),
    ]
    assert result.rows["row"].tolist() == [2]  # valid rows are kept, callers reject the file as a whole
    assert not result.ok


def test_three_different_bad_rows_give_three_errors(catalogue):
    """A file with three rows, each with one different mistake, yields exactly three errors."""
    data = long_csv("2020;2b;5100;;abc;", "2020;2b;9999;;70;", "2020;2b;5200;;70;-3")
    result = parse_benchmark(data, "b.csv", catalogue)
    assert [(error.row, error.column, error.value) for error in result.errors] == [
        (2, "waarde", "abc"),
        (3, "college", "9999"),
        (4, "n", "-3"),
    ]


def test_errors_of_several_sheets_are_sorted_by_sheet_row_and_column(catalogue):
    """Errors of a wide workbook come sorted by (sheet, row, column)."""
    header = ["team", "2b", "1a"]
    data = xlsx(
        {
            "2020": [header, ["5100-ENT", "x", None], ["5200-ICT", 200, None]],
            "2019": [header, ["5100-EN", 5, None]],
        }
    )
    result = parse_benchmark(data, "grid.xlsx", catalogue)
    keys = [(error.sheet, error.row, error.column) for error in result.errors]
    assert keys == [("2019", 2, "team"), ("2020", 2, "2b"), ("2020", 3, "2b")]


def test_duplicates_name_both_rows(catalogue):
    """A repeated (indicator, year, unit) is reported on each later row, naming the first row."""
    data = long_csv("2020;2b;;5100-ENT;70;", "2020;2b;5100;;71;", "2020;2B;5100;5100-ent;72;", "2020;2b;;5100-ENT;73;")
    result = parse_benchmark(data, "b.csv", catalogue)
    assert [(error.row, error.message) for error in result.errors] == [
        (
            4,
            "Dubbele waarde voor indicator 2b, jaar 2020, team 5100-ENT: staat ook in rij 2; laat één van beide rijen staan",
        ),
        (
            5,
            "Dubbele waarde voor indicator 2b, jaar 2020, team 5100-ENT: staat ook in rij 2; laat één van beide rijen staan",
        ),
    ]
    assert result.rows["row"].tolist() == [2, 3]


def test_duplicates_across_sheets_name_the_sheet(catalogue):
    """A duplicate in another sheet names that sheet too."""
    header = ["team", "jaar", "2b"]
    data = xlsx({"A": [header, ["5100-ENT", 2020, 6]], "B": [header, ["5100-ENT", 2020, 7]]})
    error = only_error(parse_benchmark(data, "grid.xlsx", catalogue))
    assert (error.sheet, error.row, error.column) == ("B", 2, "2b")
    assert "staat ook in rij 2 van blad A" in error.message


@pytest.mark.parametrize(
    ("indicator", "message"),
    [
        ("2a-entre", "Onbekende indicator '2a-entre'; bedoelde u '2a-entree'?"),
        ("studenen", "Onbekende indicator 'studenen'; bedoelde u 'studenten'?"),
        ("xyz", "Onbekende indicator 'xyz'; gebruik een indicatorcode uit de agenda"),
    ],
)
def test_near_miss_suggestions(catalogue, indicator, message):
    """Unknown codes suggest the closest known code, or say where codes come from."""
    error = only_error(parse_benchmark(long_csv(f"2020;{indicator};5100;;70;"), "b.csv", catalogue))
    assert error.message == message


def test_suggestions_stop_after_a_budget_but_errors_do_not(catalogue):
    """A file full of unknown codes still counts every row, without spending seconds on suggestions."""
    lines = [f"2020;2b;;5100-EN{number};70;" for number in range(250)]
    result = parse_benchmark(long_csv(*lines), "b.csv", catalogue, limits=Limits(max_errors=300))
    assert len(result.errors) == result.error_count == 250 and result.errors_complete
    assert "bedoelde u '5100-ENT'?" in result.errors[0].message
    assert result.errors[-1].message == "Onbekend team '5100-EN249'; controleer de teamcode of voeg het team toe"
