"""Parse and validate benchmark files (contracts.md section 2) into a frame plus row errors.

Pure: bytes in, ``ParseResult`` out. No Django, no ORM, no I/O besides the given bytes; the
importer validates against a ``Catalogue`` the caller builds from the agenda.
"""

import codecs
import csv
import difflib
import functools
import io
import math
import re
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation

import openpyxl
import pandas as pd
from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from kern import rules
from kern.spreadsheet import csv_restore

STUDENTS_CODE = "studenten"  # benchmark code for student numbers (budget weights), college level only

LEVEL_TEAM = "team"
LEVEL_COLLEGE = "college"
LEVEL_INSTITUTION = "institution"
LEVELS = (LEVEL_TEAM, LEVEL_COLLEGE, LEVEL_INSTITUTION)
ALL_LEVELS = frozenset(LEVELS)

COLUMNS = ("row", "sheet", "indicator", "year", "level", "college", "team", "value", "n")
# Issue 18: a long-format file with a `reeks`, `bron` or `groep` column gets these columns too
# (a file without them parses into exactly COLUMNS, as before). series "" is the own series;
# dimension and group "" the total; source None where the file names none. The upload pipeline
# splits the rows: own totals are Measurements, the rest ContextValues.
EXTRA_COLUMNS = ("series", "dimension", "group", "source")

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_DECIMAL_PLACES = rules.MAX_DECIMALS  # the value rules' one home: kern/rules.py
# Storage is numeric(18, 6) for values and a 32-bit positive integer for n and student numbers
# (kern.fields.ValueField, PositiveIntegerField): larger numbers would fail on PostgreSQL.
_MAX_WHOLE = rules.MAX_WHOLE
_SEPARATORS = (",", ";", "\t")
# difflib costs about 2 ms per unknown code against ~100 teams; a file may hold 100,000 unknown codes.
_SUGGESTION_BUDGET = 200

_LEVEL_NAMES = {LEVEL_TEAM: "teamniveau", LEVEL_COLLEGE: "collegeniveau", LEVEL_INSTITUTION: "instellingsniveau"}

# Long format headers, Dutch or English (contracts.md section 2).
_LONG_ALIASES = {
    "jaar": "year",
    "year": "year",
    "indicator": "indicator",
    "college": "college",
    "team": "team",
    "waarde": "value",
    "value": "value",
    "n": "n",
    "noemer": "n",
    "reeks": "series",
    "series": "series",
    "bron": "source",
    "source": "source",
    "groep": "group",
    "group": "group",
}
_REQUIRED = {"year": "'jaar' (of 'year')", "indicator": "'indicator'", "value": "'waarde' (of 'value')"}
_DUTCH_COLUMN = {"year": "jaar", "indicator": "indicator", "value": "waarde"}
# Wide format (director's grid export): columns that describe the row but hold no values.
_WIDE_INFO = frozenset({"naam", "name", "teamnaam", "collegenaam"})
_WIDE_N = re.compile(r"(?:n|noemer)\s+(\S.*)")

MSG_EMPTY = "Het bestand bevat geen gegevens"
# The grid export keeps what every cell held when it was exported in a hidden sheet; an
# upload of an edited export is compared with it, so a value changed since is never
# silently overwritten (issue 12, domain.md "No lost updates").
EXPORT_SHEET = "bij export"
EXPORT_COLUMNS = ("jaar", "indicator", "team", "waarde", "n")
MSG_EXPORT_SHEET = (
    f"Het verborgen blad '{EXPORT_SHEET}' is gewijzigd of beschadigd; exporteer het overzicht opnieuw "
    "en breng uw wijzigingen daarin aan"
)
MSG_FORMULA = "Formules zijn niet toegestaan; plak de waarde als getal"
MSG_DATE = "Een datum is geen geldige waarde; maak de cel op als getal"
MSG_FLOAT_DIGITS = "Getal {shown} heeft meer dan 15 cijfers: Excel rondt het af; lever het als tekst of als CSV"
MSG_XLS = "Oude Excel-bestanden (.xls) worden niet ondersteund; sla het bestand op als .xlsx of als CSV"
MSG_XLSX_UNREADABLE = "Het Excel-bestand kan niet worden gelezen; sla het opnieuw op als .xlsx of als CSV"
MSG_ENCODING = "De tekenset van het bestand is onbekend; sla het op als CSV UTF-8 of als .xlsx"
MSG_NOT_CSV = "Het bestand is geen CSV- of Excel-bestand; sla het op als CSV UTF-8 of als .xlsx"
MSG_UNPACKED = (
    "Het Excel-bestand pakt uit tot {unpacked} MB ({ratio}x zo groot als het bestand); de grens is {limit} MB "
    "en {max_ratio}x. Sla het op als CSV, of verdeel het over meer bestanden"
)
MSG_ROWS = "Het bestand heeft meer dan {limit} rijen; verdeel het over meer bestanden van hoogstens {limit} rijen"
MSG_CELLS = (
    "Het bestand heeft meer dan {limit} cellen; verwijder lege of overbodige kolommen, of verdeel het over meer "
    "bestanden"
)


@dataclass(frozen=True)
class Limits:
    """What one upload may cost: its size, what an xlsx unpacks to, rows, cells and errors (issue 13).

    The defaults are those of settings.py (UPLOAD_*), which every channel passes in; the importer
    reads no settings. openpyxl reads some 50,000-100,000 cells a second, CSV some millions: a
    workbook's unpacked size (about 40 bytes of XML a cell) bounds its time, so a large file goes
    as CSV (a 100,000-row xlsx unpacks to 28 MB, its CSV is 3 MB and 600,000 cells).
    """

    max_bytes: int = 10 * 1024 * 1024
    # Checked on the zip's declared sizes before openpyxl opens it: Python's zipfile never
    # unpacks a member past its declared size (it stops, and the CRC check fails), so the
    # declared sizes bound what the parser can be made to read.
    max_unpacked_bytes: int = 10 * 1024 * 1024
    max_unpack_ratio: int = 25
    max_rows: int = 150_000  # non-blank data rows, every sheet together
    max_cells: int = 1_000_000  # cells read, blank ones inside a row included
    max_errors: int = 100  # errors kept and shown; the rest are counted
    # Once this many errors are found the file is rejected anyway: stop reading, so a file of a
    # million bad rows costs what its first rows cost (the count is then "at least").
    stop_after_errors: int = 1000


# CSV/spreadsheet formula injection starts with these (OWASP "CSV injection"). '-' and '+' before a
# number are its sign (contracts.md section 2: the value is a number, and +5 is one); '+' before
# anything else ('+A1', '+SUM(...)') is what a spreadsheet would compute, so a formula.
_FORMULA_PREFIXES = ("=", "@")
_WHITESPACE = re.compile(r"\s+")  # str patterns match Unicode spaces, incl. non-breaking ones
_NUM_PLAIN = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?|[.,]([0-9]+)")
_NUM_DOT_GROUPS = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?")  # 1.234.567,5
_NUM_COMMA_GROUPS = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?")  # 1,234,567.5
_YEAR_IN_NAME = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
# More whole digits than storage's numeric(18, 6) has digits at all: no value, year, n or student
# number can be this long. Refused before any conversion: int() of a long number costs time
# quadratic in its length (a million digits: 22 s), Python refuses more than 4300 digits, and
# abs() of more than a million overflows the decimal context (review of 2026-12-01: a CSV year of
# 5000 digits was a 500 on every channel).
_MAX_NUMBER_DIGITS = rules.MAX_DIGITS
_MAX_WHOLE_NUMBER = 10**_MAX_NUMBER_DIGITS
_SHOWN_LENGTH = 40  # a longer cell is quoted in a message by its first 20 characters and its length
# An error's value is cut to its first 100 characters beyond this length (a source may be 200, and
# "Bron is te lang" shows all of one that is a little longer).
_ERROR_VALUE_LENGTH = 1000
_MERGED_SHOWN = 5  # merged ranges named in the error; the rest are counted
_MERGE_CELL = f"{SHEET_MAIN_NS} mergeCell"  # expat's name of <mergeCell> with namespace_separator=" "
_READ_CHUNK = 1 << 16
_QUOTED_IN_FORMAT = re.compile(r'"[^"]*"|\\.')


@dataclass(frozen=True)
class Catalogue:
    """What the agenda allows: the importer validates against this, never the database."""

    indicators: dict[str, str]  # indicator code -> unit: "percent" (0-100) | "score" (1-10) | "count" (>= 0)
    indicator_levels: dict[str, frozenset[str]]  # code -> allowed levels subset of {"team","college","institution"}
    colleges: frozenset[str]  # college codes
    teams: dict[str, str]  # team code -> college code (team codes are unique in the institution)
    years: range  # allowed measurement years
    scope_college: str | None = None  # when set: only this college's teams (and the college itself) may appear
    # Issue 18: per indicator code its declared breakdowns (agenda file `breakdowns`):
    # {"2a-entree": {"vooropleiding": ("PrO", "vso", ...)}}, and the comparison series already stored.
    breakdowns: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    series: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RowError:
    """One problem in a benchmark file, located as the user sees it."""

    row: int | None  # header = row 1, first data row = 2; xlsx: the sheet row; None for file-level errors
    column: str | None  # the column name as written in the file's header (or None)
    value: str | None  # the offending raw text (or None)
    message: str  # Dutch, says what is wrong and, where possible, how to fix it
    sheet: str | None = None  # xlsx sheet name when relevant


@dataclass
class ParseResult:
    """Every parsed row and every error of one benchmark file."""

    rows: pd.DataFrame  # columns COLUMNS; value holds Decimal, n int or None (object dtype)
    errors: list[RowError]
    file_format: str  # "csv" | "xlsx"
    layout: str  # "long" | "wide"
    encoding: str | None = None
    separator: str | None = None
    # What each cell held at export, per (indicator, year, team): (value, n); None when the
    # file is not a grid export.
    exported: dict[tuple[str, int, str], tuple[Decimal | None, int | None]] | None = None
    error_count: int = 0  # every error found; `errors` holds the first Limits.max_errors of them
    errors_complete: bool = True  # False: reading stopped early, error_count is a minimum
    over_limit: bool = False  # refused by a limit (size, unpacked size, rows, cells): nothing was parsed
    # The indicators whose values come without an n column (wide: per indicator), or True for a long
    # file without one: such a file says nothing about n, so the stored n stays, as an API write
    # without n keeps it (contracts.md section 4); an empty n cell of a present column clears it.
    # Both used to clear n, which silently turned a weighted college mean into a plain one
    # (domain.md, aggregation; review of 2026-12-01).
    keeps_n: bool | frozenset[str] = False

    def n_given(self, code: str) -> bool:
        """Return whether the file gives the n of `code`'s values (an empty cell clears it)."""
        return not (self.keeps_n is True or (self.keeps_n and code in self.keeps_n))

    @property
    def ok(self) -> bool:
        """Return whether the file may be imported: no errors and at least one row."""
        return not self.errors and len(self.rows) > 0


@dataclass(frozen=True, slots=True)
class _Formula:
    """A spreadsheet cell holding a formula instead of a value."""

    text: str


@dataclass(frozen=True, slots=True)
class _Percent:
    """A numeric xlsx cell formatted as a percentage: Excel stores 77,5% as 0.775."""

    fraction: float | int
    value: Decimal


@dataclass(frozen=True, slots=True)
class _Rounded:
    """A number cell whose value a float may have rounded (_SheetParser): refused, with its digits as the file has them."""

    text: str  # the cell's digits as the file holds them
    rounded: float  # openpyxl's float of them
    percent: bool = False  # formatted as a percentage


@dataclass
class _Table:
    """The non-blank rows of one CSV file or xlsx sheet, with physical row numbers, read as they are used."""

    sheet: str | None
    header_row: int
    header: list[str]
    rows: Iterator[tuple[int, list]]


class _Refused(Exception):
    """The file as a whole cannot be read on (a limit, an unreadable line): this one error, nothing else."""

    def __init__(self, error: RowError, over_limit: bool = False):
        super().__init__(error.message)
        self.error = error
        self.over_limit = over_limit


class _TooManyErrors(Exception):
    """Limits.stop_after_errors errors found: the file is rejected, reading on would only cost time."""


class _Budget:
    """Count the rows and cells read from a file and refuse it once it holds more than its limits allow."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows = 0
        self.cells = 0

    def take(self, cells: int, row: bool = True) -> None:
        """Count a row of `cells` cells read (a blank one counts its cells only); raise _Refused over a limit."""
        self.rows += row
        # Every row read costs at least one cell: a million blank rows are no free lunch either.
        self.cells += max(cells, 1)
        limits = self.limits
        if self.rows > limits.max_rows + 1:  # + 1: the header row
            raise _Refused(RowError(None, None, None, MSG_ROWS.format(limit=_dutch_int(limits.max_rows))), True)
        if self.cells > limits.max_cells:
            raise _Refused(RowError(None, None, None, MSG_CELLS.format(limit=_dutch_int(limits.max_cells))), True)


def parse_benchmark(
    data: bytes, filename: str, catalogue: Catalogue, *, max_bytes: int | None = None, limits: Limits | None = None
) -> ParseResult:
    """Parse and validate a benchmark file; return every row and the first errors with their count.

    The file is read as it is validated, row by row, within `limits` (`max_bytes` overrides its
    size limit): a file over a limit gets that one error; after `limits.stop_after_errors` errors
    reading stops (errors_complete is then False).
    """
    limits = limits or Limits()
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    is_excel = data[:4] in (_XLSX_MAGIC, _XLS_MAGIC)
    result = ParseResult(rows=_empty_frame(), errors=[], file_format="xlsx" if is_excel else "csv", layout="long")
    too_large = size_error(len(data), limits.max_bytes)
    if too_large:
        return _refused(result, too_large, over_limit=True)
    if data[:4] == _XLS_MAGIC:
        # .xls is reported as the Excel family: file_format stays within "csv" | "xlsx".
        return _refused(result, RowError(None, None, None, MSG_XLS))

    budget = _Budget(limits)
    collector = _Collector(catalogue, limits.stop_after_errors)
    workbook = None
    try:
        if is_excel:
            workbook = _open_xlsx(data, limits)
            tables = _xlsx_tables(workbook, budget)
        else:
            table, result.encoding, result.separator = _read_csv(data, budget)
            tables = [table] if table is not None else []
        _parse_tables(result, tables, collector, filename)
    except _Refused as exc:
        return _refused(result, exc.error, over_limit=exc.over_limit)
    except _TooManyErrors:
        result.errors_complete = False
    except Exception:
        if not is_excel:
            raise
        # Any failure of the xlsx parser on an uploaded file (a corrupt sheet) means "unreadable".
        return _refused(result, RowError(None, None, None, MSG_XLSX_UNREADABLE))
    finally:
        if workbook is not None:
            workbook.close()
    if result.errors:  # a problem with the file as a whole (the export sheet, no data)
        result.error_count = len(result.errors)
        return result
    result.rows = collector.frame()
    result.keeps_n = collector.keeps_n if collector.keeps_n is True else frozenset(collector.keeps_n)
    result.error_count = collector.count
    # Sorted, then cut: the first errors as the user reads the file (sheet, row, column).
    result.errors = sorted(collector.errors, key=_error_key)[: limits.max_errors]
    if not result.errors and result.rows.empty:
        result.errors.append(RowError(None, None, None, MSG_EMPTY))
        result.error_count = 1
    return result


def _refused(result: ParseResult, error: RowError, over_limit: bool = False) -> ParseResult:
    """Return the result of a file refused as a whole: this one error, no rows."""
    result.errors = [error]
    result.error_count = 1
    result.over_limit = over_limit
    result.rows = _empty_frame()
    return result


def _parse_tables(result: ParseResult, tables: list[_Table], collector: "_Collector", filename: str) -> None:
    """Validate the tables of a file into the collector; file-level problems go to result.errors."""
    exported = [table for table in tables if table.sheet == EXPORT_SHEET]
    if exported:
        tables = [table for table in tables if table.sheet != EXPORT_SHEET]
        result.exported, problem = _read_exported(exported[0])
        if problem:
            result.errors.append(RowError(problem[0], None, problem[1], MSG_EXPORT_SHEET, EXPORT_SHEET))
            return
    if not tables:
        result.errors.append(RowError(None, None, None, MSG_EMPTY))
        return

    first = {_normalise(name) for name in tables[0].header}
    result.layout = "wide" if "indicator" not in first and ({"team", "college"} & first) else "long"
    if result.layout == "long":
        # Long format: only the first sheet is read (contracts.md section 2).
        _parse_long(tables[0], collector)
    else:
        # Wide format: one sheet per year, every non-empty sheet (brief).
        for table in tables:
            _parse_wide(table, collector, filename, result.file_format)


def more_errors_text(shown: int, total: int, complete: bool = True) -> str | None:
    """Return the Dutch line under a capped error list ("en nog 12 fouten"), or None when all are shown."""
    rest = total - shown
    if complete and rest <= 0:
        return None
    if complete:
        return f"En nog {_dutch_int(rest)} {'fout' if rest == 1 else 'fouten'}; herstel eerst de fouten hierboven."
    return (
        f"En nog ten minste {_dutch_int(max(rest, 0))} fouten: na {_dutch_int(total)} fouten is het bestand niet "
        "verder gecontroleerd. Herstel eerst de fouten hierboven."
    )


def _dutch_int(number: int) -> str:
    """Return a whole number with Dutch thousands separators (150.000)."""
    return f"{number:,}".replace(",", ".")


def _read_exported(table: _Table) -> tuple[dict, tuple[int | None, str | None] | None]:
    """Return the export's cell contents per (indicator, year, team), or the (row, value) of a problem."""
    if tuple(_normalise(name) for name in table.header[: len(EXPORT_COLUMNS)]) != EXPORT_COLUMNS:
        return {}, (table.header_row, None)
    exported = {}
    for number, cells in table.rows:
        cells = list(cells) + [None] * (len(EXPORT_COLUMNS) - len(cells))
        year, indicator, team, value, n = cells[: len(EXPORT_COLUMNS)]
        try:
            year = int(year)
        except (TypeError, ValueError):
            return {}, (number, _raw(year))
        number_value, problem = _number(value)
        whole, n_problem = _whole(n)
        if problem or n_problem or not isinstance(indicator, str) or not isinstance(team, str):
            return {}, (number, _raw(value))
        exported[(indicator.strip(), year, team.strip())] = (number_value, whole)
    return exported, None


def size_error(size: int, max_bytes: int) -> RowError | None:
    """Return the file-level error for a file of `size` bytes over the limit, else None.

    Channels that see the size before reading the file (a web upload spooled to disk) use it
    to refuse with the same message without loading the file.
    """
    if size <= max_bytes:
        return None
    return RowError(
        None, None, None, f"Het bestand is te groot ({_megabytes(size)} MB); de grens is {_megabytes(max_bytes)} MB"
    )


# --- reading -------------------------------------------------------------------------------


def _read_csv(data: bytes, budget: _Budget) -> tuple[_Table | None, str | None, str | None]:
    """Decode CSV bytes into a table whose rows (non-blank, with line numbers) are read as they are used.

    Raise _Refused when the file cannot be decoded; a line the csv reader cannot read refuses the
    file when the rows are read.
    """
    text, encoding = _decode(data)
    if text is None:
        raise _Refused(RowError(None, None, None, MSG_ENCODING))
    if "\x00" in text:
        raise _Refused(RowError(None, None, None, MSG_NOT_CSV))

    # Split lines as the csv reader will, so line numbers agree.
    numbered = enumerate(io.StringIO(text, newline=""), start=1)
    first_number, first_line = next(((number, line.strip()) for number, line in numbered if line.strip()), (0, ""))
    if not first_number:
        return None, encoding, None
    skip_line = None
    # Excel writes and honours a "sep=;" first line; accept it as the separator.
    if len(first_line) == 5 and first_line.lower().startswith("sep=") and first_line[4] in _SEPARATORS:
        separator, skip_line = first_line[4], first_number
    else:
        separator = _detect_separator(first_line)

    records = _csv_records(text, separator, skip_line, budget)
    header = next(records, None)
    if header is None:
        return None, encoding, separator
    number, cells = header
    return _Table(None, number, [cell.strip().lstrip("\ufeff") for cell in cells], records), encoding, separator


def _csv_records(text: str, separator: str, skip_line: int | None, budget: _Budget) -> Iterator[tuple[int, list]]:
    """Yield the non-blank records of CSV text with the number of their first line, within the budget."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"', doublequote=True)
    while True:
        start = reader.line_num + 1  # records may span lines: number them by their first line
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = f"Regel {start} kan niet worden gelezen ({exc}); sla het bestand opnieuw op als CSV"
            raise _Refused(RowError(start, None, None, message)) from None
        blank = start == skip_line or not "".join(record).strip()
        budget.take(len(record), row=not blank)
        if not blank:
            yield start, record


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """Return the text and its encoding: UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return None, None
    # Excel's "Unicode text" export is UTF-16 with a BOM; reading it costs nothing.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None, None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return None, None


def _detect_separator(line: str) -> str:
    """Return the separator that occurs most often outside quotes in the header line."""
    counts = dict.fromkeys(_SEPARATORS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return max(_SEPARATORS, key=counts.__getitem__)


def _open_xlsx(data: bytes, limits: Limits):
    """Return the workbook of xlsx bytes, opened read-only; raise _Refused when unreadable or a zip bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _Refused(RowError(None, None, None, MSG_XLSX_UNREADABLE)) from None
    # Before openpyxl reads a byte: its read-only mode streams the sheets, but it loads the shared
    # strings and styles whole, and a 1 MB zip can declare 300 MB of them (issue 13).
    ratio = unpacked / max(len(data), 1)
    if unpacked > limits.max_unpacked_bytes or ratio > limits.max_unpack_ratio:
        message = MSG_UNPACKED.format(
            unpacked=_megabytes(unpacked),
            ratio=_dutch_int(round(ratio)),
            limit=_megabytes(limits.max_unpacked_bytes),
            max_ratio=limits.max_unpack_ratio,
        )
        raise _Refused(RowError(None, None, None, message), over_limit=True)
    try:
        # data_only=False so formulas stay visible and can be refused (brief).
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # any failure of the parser on an uploaded file means "unreadable"
        raise _Refused(RowError(None, None, None, MSG_XLSX_UNREADABLE)) from None


def _xlsx_tables(workbook, budget: _Budget) -> list[_Table]:
    """Return a table per worksheet with a header; each one's rows are read from the sheet as they are used."""
    tables = []
    for sheet in workbook.worksheets:
        rows = _sheet_rows(sheet, budget)
        header = next(rows, None)
        if header is not None:
            number, values = header
            tables.append(_Table(sheet.title, number, [_header_text(value) for value in values], rows))
    return tables


def _sheet_rows(sheet, budget: _Budget) -> Iterator[tuple[int, list]]:
    """Yield the non-blank rows of a read-only worksheet with their sheet row numbers, within the budget.

    Raise _Refused when the sheet has merged cells, before its first row after the header.
    """
    checked = False
    for number, cells in enumerate(_sheet_cells(sheet), start=1):
        values = [_xlsx_cell(cell) for cell in cells]
        blank = all(_is_blank(value) for value in values)
        budget.take(len(cells), row=not blank)
        if not blank:
            yield number, values
            if not checked:
                # Resumed after the header: this sheet's data are read (long format reads only the
                # first sheet, so a merged title on a notes sheet does not refuse the file).
                checked = True
                _refuse_merged_cells(sheet)


class _SheetParser(WorkSheetParser):
    """openpyxl's reader of one worksheet, marking a number cell whose value a float may have rounded (_Rounded).

    A number cell is a binary float (OOXML: xsd:double), and openpyxl casts `<v>123456789012.345677</v>`
    to 123456789012.34567 and `<v>123456789012.000001</v>` to 123456789012.0, whose own digits look
    harmless: only the cell's text tells. domain.md: "a value the importer accepts is never rounded
    by a float". The text is not taken as the value instead: every writer that holds floats prints
    some with noise digits (openpyxl writes 78.4 as 78.40000000000001, "%.16g", our own grid
    export included), and Excel shows a number cell with 15 significant digits. So a float is
    accepted when its shortest digits are at most 15 and the text holds nothing beyond it; any
    other number cell is refused, and a longer number goes as a text cell (which is read exactly,
    as invoer.grid writes one) or as CSV.
    """

    def parse_row(self, row):
        """Return openpyxl's row number and cells, with a _Rounded where a float may not be the cell's value."""
        number, cells = super().parse_row(row)
        for index, cell in enumerate(cells):  # cells[i] is parsed from row[i]
            value = cell["value"]
            if type(value) is float and cell["data_type"] == "n":
                cell["value"] = _float_cell(row[index].findtext(VALUE_TAG), value)
        return number, cells


def _float_cell(text: str, rounded: float) -> float | _Rounded:
    """Return a number cell's float when it is the cell's value beyond doubt, else a _Rounded of its text."""
    if len(text) <= rules.EXCEL_DIGITS + 1:
        # At most 15 digits (openpyxl reads a text as a float only for its '.' or 'e'): a float keeps
        # every such decimal exactly (C's DBL_DIG). The usual case, at the cost of a len().
        return rounded
    if not math.isfinite(rounded):
        return rounded  # no number: refused as such
    shortest = repr(rounded)
    if len(shortest.partition("e")[0].replace("-", "").replace(".", "").strip("0")) <= rules.EXCEL_DIGITS:
        if text == shortest:
            return rounded
        try:
            exact = Decimal(text)
        except InvalidOperation:
            return rounded  # openpyxl read it as a float, Decimal does not: an exotic spelling, no more digits
        # The float's own digits, or them printed to 16 or 17 (a float's full precision): nothing beyond it.
        if exact in (Decimal(shortest), Decimal(f"{rounded:.16g}"), Decimal(f"{rounded:.17g}")):
            return rounded
    return _Rounded(text, rounded)


def _sheet_cells(sheet) -> Iterator[tuple]:
    """Yield the cells of every row of a read-only worksheet, a row missing from the file as ().

    This is openpyxl's ReadOnlyWorksheet.iter_rows() (its _cells_by_row from row 1, without the
    declared dimensions, which are often wrong in generated files: every stored row is read), with
    _SheetParser as its parser. It uses openpyxl's private reader, pinned in requirements.txt;
    tests/indicatoren/test_importer_exact_xlsx.py fails when an upgrade changes it.
    """
    workbook = sheet.parent
    with sheet._get_source() as source:
        parser = _SheetParser(
            source,
            sheet._shared_strings,
            data_only=workbook.data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        expected = 1
        for number, cells in parser.parse():
            if number < expected:
                continue  # a row numbered out of order: openpyxl skips it too
            while expected < number:
                expected += 1
                yield ()
            expected += 1
            yield sheet._get_row(cells)


def _refuse_merged_cells(sheet) -> None:
    """Raise _Refused naming the merged ranges of a read-only worksheet, if it has any.

    Read-only openpyxl gives a merged range's value to its first cell only: a college merged over
    C2:C3 left C3 empty, which contracts.md section 2 reads as the institution level. Read-only
    worksheets do not know their merged cells, and <mergeCells> comes after the sheet's data, so
    the sheet's XML is streamed: first a byte search (most sheets never mention a merge; about 1 %
    of openpyxl's time on the same sheet), then, only when it finds one, expat with a handler for
    the start of an element and nothing kept but the first ranges and a count (about 20 %).
    """
    with sheet._get_source() as source:
        tail = b""
        while chunk := source.read(_READ_CHUNK):
            if b"mergeCell" in tail + chunk:
                break
            tail = chunk[-8:]
        else:
            return
    shown: list[str] = []
    count = 0

    def start(name: str, attributes: dict) -> None:
        nonlocal count
        if name == _MERGE_CELL:
            first, _, last = attributes.get("ref", "").partition(":")
            if last and first != last:  # a cell merged with itself merges nothing
                count += 1
                if len(shown) < _MERGED_SHOWN:
                    shown.append(f"{first}:{last}"[:_SHOWN_LENGTH])

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    with sheet._get_source() as source:
        parser.ParseFile(source)
    if count:
        listed = ", ".join(shown)
        more = f" en nog {_dutch_int(count - len(shown))}" if count > len(shown) else ""
        message = f"Samengevoegde cellen in blad '{sheet.title}' ({listed}{more}): maak ze los en vul elke rij in"
        raise _Refused(RowError(None, None, listed, message, sheet.title))


def _xlsx_cell(cell) -> object:
    """Return an xlsx cell as a plain value, a _Formula or a _Percent."""
    value = cell.value
    kind = type(value)
    if value is None:
        return None
    if kind is int or kind is float:
        if _is_percent_format(cell.number_format):
            return _Percent(value, Decimal(str(value)) * 100)
        return value
    if kind is _Rounded:
        return replace(value, percent=_is_percent_format(cell.number_format))
    if cell.data_type == "f":  # a string cell "=1+2" (Excel's quote prefix, our exports) is text
        return _Formula(str(getattr(value, "text", value)))  # ArrayFormula keeps its text in .text
    return value


@functools.lru_cache(maxsize=256)
def _is_percent_format(number_format: str | None) -> bool:
    """Return whether a number format shows a fraction as percent (Excel stores 77,5% as 0.775)."""
    # A literal "%" in quotes or escaped does not scale the number.
    return "%" in _QUOTED_IN_FORMAT.sub("", number_format or "")


def _header_text(cell: object) -> str:
    """Return a header cell as stripped text."""
    if cell is None:
        return ""
    if isinstance(cell, _Formula):
        return cell.text
    text, _ = _code_text(cell)
    return text or ""


# --- cells ---------------------------------------------------------------------------------


def _normalise(name: str) -> str:
    """Return a header or code in the form used for matching: lower case, single spaces."""
    return " ".join(name.split()).lower()


def _is_blank(cell: object) -> bool:
    """Return whether a cell holds nothing."""
    return cell is None or (type(cell) is str and not cell.strip())


def _raw(cell: object) -> str | None:
    """Return a cell as the text the user sees, for error reports."""
    if cell is None:
        return None
    if type(cell) is str:
        return cell.strip()
    if isinstance(cell, _Formula):
        return cell.text
    if isinstance(cell, _Percent):
        return f"{cell.value}%"
    if isinstance(cell, _Rounded):
        return cell.text
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell)


def _code_text(cell: object) -> tuple[str | None, str | None]:
    """Return a code cell as text (5100 and 5100.0 both give '5100'), or an error message."""
    if cell is None:
        return None, None
    kind = type(cell)
    if kind is str:
        return csv_restore(cell.strip()) or None, None  # a code our own CSV neutralised (kern.spreadsheet)
    if kind is _Formula:
        return None, MSG_FORMULA
    if kind is float and cell.is_integer():
        return str(int(cell)), None
    if isinstance(cell, date | time):
        return cell.isoformat(), None
    return _raw(cell), None


def _number(cell: object) -> tuple[Decimal | None, str | None]:
    """Return a cell as an exact Decimal, (None, None) when empty, or an error message."""
    kind = type(cell)
    if kind is str:
        return _parse_number_text(cell)
    if cell is None:
        return None, None
    if kind is int:
        if -_MAX_WHOLE_NUMBER < cell < _MAX_WHOLE_NUMBER:
            return Decimal(cell), None
        return None, _too_long(_raw(cell))
    if kind is float or kind is _Percent or kind is _Rounded:
        # Decimal(str(x)), never Decimal(x): 0.1 must stay 0.1, not 0.1000000000000000055...
        if kind is _Rounded:
            number = Decimal(repr(cell.rounded)) * (100 if cell.percent else 1)
        else:
            number = cell.value if kind is _Percent else Decimal(str(cell))
        if not number.is_finite():
            return None, f"Geen getal: {_quoted(_raw(cell))}"
        if number.adjusted() >= _MAX_NUMBER_DIGITS:
            return None, _too_long(_raw(cell))
        if _decimal_places(number) > _DECIMAL_PLACES:
            return None, _too_many_places(_raw(cell))
        if kind is _Rounded:  # a value storage could keep, but not the one the file holds beyond doubt
            return None, MSG_FLOAT_DIGITS.format(shown=_quoted(cell.text))
        return _unsigned_zero(number), None
    if kind is _Formula:
        return None, MSG_FORMULA
    if isinstance(cell, date | time | timedelta):
        return None, MSG_DATE
    return None, f"Geen getal: {_quoted(_raw(cell))}"


def parse_number(text: str) -> tuple[Decimal | None, str | None]:
    """Return Dutch or English number text ('77,5', '77.5', '77,5%') as a Decimal, or a message."""
    return _parse_number_text(text)


def _parse_number_text(text: str) -> tuple[Decimal | None, str | None]:
    """Return Dutch or English number text as a Decimal: '77,5', '77.5%' and '1.234,5' all work."""
    compact = _WHITESPACE.sub("", text)
    if not compact:
        return None, None
    if compact.startswith(_FORMULA_PREFIXES):
        return None, MSG_FORMULA
    body = compact[:-1] if compact.endswith("%") else compact
    sign = ""
    if body.startswith(("-", "+")):
        sign, body = body[0], body[1:]
    # One separator is the decimal mark (77,5 = 77.5); with both, the last one is (contracts.md section 2).
    match = _NUM_PLAIN.fullmatch(body)
    if match:
        whole, fraction = match.group(1) or "0", match.group(2) or match.group(3) or ""
    else:
        match = _NUM_DOT_GROUPS.fullmatch(body) or _NUM_COMMA_GROUPS.fullmatch(body)
        if not match:
            if sign == "+":
                return None, MSG_FORMULA  # '+A1', '+SUM(A1)': a spreadsheet would compute it
            return None, f"Geen getal: {_quoted(text.strip())}; gebruik bijvoorbeeld 77,5"
        whole, fraction = match.group(1).replace(".", "").replace(",", ""), match.group(2) or ""
    if len(whole.lstrip("0")) > _MAX_NUMBER_DIGITS:
        return None, _too_long(text.strip())
    if len(fraction.rstrip("0")) > _DECIMAL_PLACES:
        return None, _too_many_places(text.strip())
    return _unsigned_zero(Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")), None


def _decimal_places(number: Decimal) -> int:
    """Return the number of significant decimal places (trailing zeros do not count)."""
    _, digits, exponent = number.as_tuple()
    if exponent >= 0:
        return 0
    places = -exponent
    for digit in reversed(digits):
        if digit or not places:
            break
        places -= 1
    return places


def _too_many_places(raw: str | None) -> str:
    """Return the message for a number with more decimals than storage keeps."""
    return rules.decimals_message(_quoted(raw))


def _too_long(raw: str | None) -> str:
    """Return the message for a number with more whole digits than any number the importer reads."""
    return f"Getal {_quoted(raw)} is te groot: meer dan {_MAX_NUMBER_DIGITS} cijfers voor de komma"


def _unsigned_zero(number: Decimal) -> Decimal:
    """Return a number with a negative zero as zero: PostgreSQL's numeric has none, SQLite kept it as '-0.000000'."""
    return number.copy_abs() if number.is_zero() else number


def _quoted(raw: str | None) -> str:
    """Return a cell's text quoted for a message, cut when long ('1111…' (5000 tekens)): a file's cell may be megabytes."""
    text = raw or ""
    if len(text) <= _SHOWN_LENGTH:
        return f"'{text}'"
    return f"'{text[: _SHOWN_LENGTH // 2]}…' ({len(text)} tekens)"


def _whole(cell: object) -> tuple[int | None, str | None]:
    """Return a cell as an int (2020 and 2020.0 both work), (None, None) when empty, or an error."""
    number, message = _number(cell)
    if message or number is None:
        return None, message
    if number != number.to_integral_value():
        return None, "geen geheel getal"
    return int(number), None


def _megabytes(size: int) -> str:
    """Return a byte count as megabytes in Dutch notation ('10' or '12,5')."""
    megabytes = size / (1024 * 1024)
    if megabytes == int(megabytes):
        return str(int(megabytes))
    return f"{megabytes:.1f}".replace(".", ",")


def _suggest(text: str, candidates: dict[str, str]) -> str:
    """Return "; bedoelde u 'x'?" for near misses among candidates (lower-case key -> code), or ''."""
    matches = difflib.get_close_matches(_normalise(text), list(candidates), n=3, cutoff=0.6)
    if not matches:
        return ""
    names = [f"'{candidates[match]}'" for match in matches]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} of {names[-1]}"
    return f"; bedoelde u {listed}?"


def _error_key(error: RowError) -> tuple[str, int, str]:
    """Return the sort key (sheet, row, column) with file-level errors first."""
    return (error.sheet or "", -1 if error.row is None else error.row, error.column or "")


def _empty_frame() -> pd.DataFrame:
    """Return a rows frame without rows but with the contract's columns."""
    return _Collector.build_frame({name: [] for name in COLUMNS})


# --- validation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    """Where a value was measured: the level and, below the institution, the college and team."""

    level: str
    college: str | None
    team: str | None

    def describe(self) -> str:
        """Return the unit in Dutch for messages."""
        if self.level == LEVEL_TEAM:
            return f"team {self.team}"
        if self.level == LEVEL_COLLEGE:
            return f"college {self.college}"
        return "de instelling"


class _Collector:
    """Validate values against the catalogue and collect rows and errors."""

    def __init__(self, catalogue: Catalogue, stop_after_errors: int | None = None):
        self.catalogue = catalogue
        self.errors: list[RowError] = []
        self.count = 0  # errors found
        self.stop_after_errors = stop_after_errors
        self.out: dict[str, list] = {name: [] for name in (*COLUMNS, *EXTRA_COLUMNS)}
        self.extended = False  # the file has a series, source or group column (issue 18)
        self.keeps_n: bool | set[str] = set()  # ParseResult.keeps_n
        self.seen: dict[tuple, tuple[str | None, int]] = {}
        # Series labels as first spelled (stored ones first): 'Landelijk' and 'landelijk' are one series.
        self.series_known: dict[str, str] = {label.casefold(): label for label in sorted(catalogue.series)}
        self._series_cache: dict[tuple[type, object], tuple[str, str | None]] = {}
        # Codes match ignoring case and surrounding or repeated spaces; rows carry the catalogue spelling.
        indicator_codes = [*catalogue.indicators, STUDENTS_CODE]
        self.indicator_lookup = {_normalise(code): code for code in indicator_codes}
        self.college_lookup = {_normalise(code): code for code in catalogue.colleges}
        self.team_lookup = {_normalise(code): code for code in catalogue.teams}
        self._indicator_cache: dict[object, tuple[str | None, str | None]] = {}
        self._year_cache: dict[tuple[type, object], tuple[int | None, str | None]] = {}
        self._unit_cache: dict[tuple, tuple[_Unit | None, list[tuple[str, str | None, str]]]] = {}
        self._level_cache: dict[tuple[str, str], str | None] = {}
        self._suggestions_left = _SUGGESTION_BUDGET
        years = catalogue.years
        self.years_text = f"{years[0]}-{years[-1]}" if len(years) else "geen"

    def error(self, row: int | None, column: str | None, value: str | None, message: str, sheet: str | None) -> None:
        """Record one error; raise _TooManyErrors once stop_after_errors are found (the file is lost anyway)."""
        if value is not None and len(value) > _ERROR_VALUE_LENGTH:
            # A cell may be megabytes: every channel shows, stores and prints the value (contracts.md section 4).
            value = f"{value[:100]}… ({len(value)} tekens)"
        self.errors.append(RowError(row, column, value, message, sheet))
        self.count += 1
        if self.stop_after_errors is not None and self.count >= self.stop_after_errors:
            raise _TooManyErrors

    def suggest(self, text: str, candidates: dict[str, str]) -> str:
        """Return a near-miss hint for an unknown code while the suggestion budget lasts."""
        if self._suggestions_left <= 0:
            return ""
        self._suggestions_left -= 1
        return _suggest(text, candidates)

    def indicator(self, cell: object) -> tuple[str | None, str | None]:
        """Return the catalogue code for an indicator cell, or an error message."""
        key = (type(cell), cell)
        cached = self._indicator_cache.get(key)
        if cached is None:
            text, message = _code_text(cell)
            if message:
                cached = (None, message)
            elif text is None:
                cached = (None, "Indicator is leeg; vul een indicatorcode in")
            else:
                code = self.indicator_lookup.get(_normalise(text))
                if code is None:
                    hint = self.suggest(text, self.indicator_lookup) or "; gebruik een indicatorcode uit de agenda"
                    cached = (None, f"Onbekende indicator '{text}'{hint}")
                else:
                    cached = (code, None)
            self._indicator_cache[key] = cached
        return cached

    def year(self, cell: object) -> tuple[int | None, str | None]:
        """Return the year of a cell, or an error message (empty, not a year, outside the agenda)."""
        key = (type(cell), cell)
        cached = self._year_cache.get(key)
        if cached is None:
            year, message = _whole(cell)
            if message == MSG_FORMULA or message == MSG_DATE:
                cached = (None, message)
            elif message:
                cached = (None, f"Geen geldig jaartal: {_quoted(_raw(cell))}; gebruik vier cijfers, bijvoorbeeld 2020")
            elif year is None:
                cached = (None, "Jaar is leeg; vul het meetjaar in")
            else:
                cached = (year, self.year_in_agenda(year))
            self._year_cache[key] = cached
        return cached

    def year_in_agenda(self, year: int) -> str | None:
        """Return an error message when the year is not one of the agenda's years."""
        if year in self.catalogue.years:
            return None
        return f"Jaar {year} valt buiten de agenda (toegestaan: {self.years_text})"

    def unit(self, team_cell: object, college_cell: object) -> tuple[_Unit | None, list[tuple[str, str | None, str]]]:
        """Return the unit of a row, or errors as (column role 'team'|'college', raw value, message)."""
        key = (type(team_cell), team_cell, type(college_cell), college_cell)
        cached = self._unit_cache.get(key)
        if cached is None:
            cached = self._resolve_unit(team_cell, college_cell)
            self._unit_cache[key] = cached
        return cached

    def _resolve_unit(
        self, team_cell: object, college_cell: object
    ) -> tuple[_Unit | None, list[tuple[str, str | None, str]]]:
        """Resolve team and college codes into a unit (contracts.md section 2: team wins, must match)."""
        errors: list[tuple[str, str | None, str]] = []
        team_text, team_message = _code_text(team_cell)
        college_text, college_message = _code_text(college_cell)
        if team_message:
            errors.append(("team", _raw(team_cell), team_message))
        if college_message:
            errors.append(("college", _raw(college_cell), college_message))
        team = college = None
        if team_text is not None:
            team = self.team_lookup.get(_normalise(team_text))
            if team is None:
                hint = self.suggest(team_text, self.team_lookup) or "; controleer de teamcode of voeg het team toe"
                errors.append(("team", team_text, f"Onbekend team '{team_text}'{hint}"))
        if college_text is not None:
            college = self.college_lookup.get(_normalise(college_text))
            if college is None:
                hint = self.suggest(college_text, self.college_lookup) or "; controleer de collegecode"
                errors.append(("college", college_text, f"Onbekend college '{college_text}'{hint}"))
        if team is not None and college is not None and self.catalogue.teams[team] != college:
            message = f"Team {team} hoort bij college {self.catalogue.teams[team]}, niet bij {college}"
            errors.append(("college", college_text, message))
        if errors:
            return None, errors

        if team is not None:
            unit = _Unit(LEVEL_TEAM, self.catalogue.teams[team], team)
        elif college is not None:
            unit = _Unit(LEVEL_COLLEGE, college, None)
        else:
            unit = _Unit(LEVEL_INSTITUTION, None, None)
        scope = self.catalogue.scope_college
        if scope is not None and unit.college != scope:
            role, raw = ("team", team_text) if unit.level == LEVEL_TEAM else ("college", college_text)
            return None, [(role, raw, f"Alleen gegevens van college {scope} toegestaan")]
        return unit, []

    def level_message(self, code: str, level: str) -> str | None:
        """Return an error message when the indicator is not measured at this level."""
        key = (code, level)
        if key not in self._level_cache:
            if code == STUDENTS_CODE:
                # Student numbers weigh the budget split per college (domain.md, budget).
                allowed = frozenset({LEVEL_COLLEGE})
            else:
                allowed = self.catalogue.indicator_levels.get(code, ALL_LEVELS)
            message = None
            if code == STUDENTS_CODE and self.catalogue.scope_college is not None:
                # Student numbers weigh every college's share of the budget, not only the uploader's
                # (domain.md, budget): a college-scoped upload may not set them.
                message = "Studentaantallen (studenten) worden alleen door beleidsmedewerkers aangeleverd"
            elif level not in allowed:
                names = [_LEVEL_NAMES[name] for name in LEVELS if name in allowed]
                if code == STUDENTS_CODE:
                    message = "Studentaantallen (studenten) worden alleen op collegeniveau opgegeven"
                elif not names:
                    message = f"Indicator {code} heeft in de agenda geen meetniveau"
                else:
                    message = f"Indicator {code} wordt alleen op {' en '.join(names)} gemeten"
            self._level_cache[key] = message
        return self._level_cache[key]

    def value_message(self, code: str, value: Decimal, raw: str | None) -> str | None:
        """Return an error message when the value is outside its unit's range."""
        if code == STUDENTS_CODE:
            if value != value.to_integral_value() or value < 0:
                return f"Studentaantal moet een geheel getal van 0 of meer zijn: {_quoted(raw)}"
            if value > _MAX_WHOLE:
                return f"Studentaantal {_quoted(raw)} is te groot; het grootste toegestane aantal is {_MAX_WHOLE}"
            return None
        unit = self.catalogue.indicators.get(code)
        return rules.range_problem(unit, value, _quoted(raw)) if unit in rules.UNIT_RANGES else None

    def duplicate_message(self, key: tuple, sheet: str | None, row: int) -> str | None:
        """Return an error naming the first row when (indicator, year, unit) was seen before."""
        first = self.seen.get(key)
        if first is None:
            self.seen[key] = (sheet, row)
            return None
        first_sheet, first_row = first
        where = f"rij {first_row}" if first_sheet == sheet else f"rij {first_row} van blad {first_sheet}"
        code, year, unit = key[:3]
        what = ""
        if len(key) > 3:  # (code, year, unit, series, dimension, group): issue 18
            series, dimension, group = key[3:]
            what = "".join(
                (
                    f", reeks {self.series_known.get(series, series)}" if series else "",
                    f", {dimension}: {group}" if group else "",
                )
            )
        return (
            f"Dubbele waarde voor indicator {code}, jaar {year}, {unit.describe()}{what}: staat ook in {where}; "
            "laat één van beide rijen staan"
        )

    def series(self, cell: object) -> tuple[str, str | None]:
        """Return the series of a cell ("" = own) in its first spelling (kern.rules.series_label), or a message."""
        key = (type(cell), cell)
        cached = self._series_cache.get(key)
        if cached is None:
            text, message = _code_text(cell)
            if message:
                cached = ("", message)
            else:
                label, message = rules.series_label(text)
                if message:
                    cached = ("", message)
                else:
                    cached = (self.series_known.setdefault(label.casefold(), label) if label else "", None)
            self._series_cache[key] = cached
        return cached

    def group(self, code: str, cell: object) -> tuple[str, str, str | None]:
        """Return (dimension, group) of a group cell in the agenda's spelling, ("", "") when empty, or a message.

        'vooropleiding: PrO' names both; 'PrO' alone is enough when exactly one declared dimension
        of the indicator has that group (agenda file `breakdowns`; case is ignored).
        """
        text, message = _code_text(cell)
        if message:
            return "", "", message
        if text is None:
            return "", "", None
        declared = self.catalogue.breakdowns.get(code) or {}
        if not declared:
            return (
                "",
                "",
                (
                    f"Indicator {code} heeft in de agenda geen uitsplitsing; laat 'groep' leeg of voeg de dimensie toe "
                    "aan 'breakdowns' in het agendabestand"
                ),
            )
        listed = "; ".join(f"{dimension}: {', '.join(groups)}" for dimension, groups in declared.items())
        if ":" in text:
            dimension_text, group_text = (part.strip() for part in text.split(":", 1))
            dimension = next((d for d in declared if _normalise(d) == _normalise(dimension_text)), None)
            if dimension is None:
                return (
                    "",
                    "",
                    (f"Dimensie '{dimension_text}' is voor indicator {code} niet gedeclareerd; gedeclareerd: {listed}"),
                )
            candidates = [dimension]
        else:
            group_text, candidates = text, list(declared)
        found = [
            (dimension, group)
            for dimension in candidates
            for group in declared[dimension]
            if _normalise(group) == _normalise(group_text)
        ]
        if not found:
            return "", "", f"Groep '{text}' is voor indicator {code} niet gedeclareerd; gedeclareerd: {listed}"
        if len(found) > 1:
            dimensions = ", ".join(dimension for dimension, _ in found)
            return (
                "",
                "",
                (
                    f"Groep '{text}' komt bij indicator {code} in meer dan één dimensie voor ({dimensions}); "
                    "schrijf 'dimensie: groep'"
                ),
            )
        return found[0][0], found[0][1], None

    def add(
        self,
        row: int,
        sheet: str | None,
        code: str,
        year: int,
        unit: _Unit,
        value: Decimal,
        n: int | None,
        extra: tuple = ("", "", "", None),
    ) -> None:
        """Append one valid row; `extra` is (series, dimension, group, source) of EXTRA_COLUMNS."""
        out = self.out
        out["series"].append(extra[0])
        out["dimension"].append(extra[1])
        out["group"].append(extra[2])
        out["source"].append(extra[3])
        out["row"].append(row)
        out["sheet"].append(sheet)
        out["indicator"].append(code)
        out["year"].append(year)
        out["level"].append(unit.level)
        out["college"].append(unit.college)
        out["team"].append(unit.team)
        out["value"].append(value)
        out["n"].append(n)

    def frame(self) -> pd.DataFrame:
        """Return the collected rows as the contract's frame."""
        return self.build_frame(self.out, self.extended)

    @staticmethod
    def build_frame(out: dict[str, list], extended: bool = False) -> pd.DataFrame:
        """Build the frame once from plain lists; object dtype keeps None and Decimal as they are.

        `extended`: add EXTRA_COLUMNS (a file with a series, source or group column).
        """
        extra = {name: pd.Series(out[name], dtype=object) for name in EXTRA_COLUMNS} if extended else {}
        return pd.DataFrame(
            {
                "row": pd.Series(out["row"], dtype="int64"),
                "sheet": pd.Series(out["sheet"], dtype=object),
                "indicator": pd.Series(out["indicator"], dtype=object),
                "year": pd.Series(out["year"], dtype="int64"),
                "level": pd.Series(out["level"], dtype=object),
                "college": pd.Series(out["college"], dtype=object),
                "team": pd.Series(out["team"], dtype=object),
                "value": pd.Series(out["value"], dtype=object),
                "n": pd.Series(out["n"], dtype=object),
                **extra,
            }
        )


def _n_value(cell: object) -> tuple[int | None, str | None]:
    """Return the optional cohort size n: a non-negative integer, or an error message."""
    n, message = _whole(cell)
    if message == MSG_FORMULA or message == MSG_DATE:
        return None, message
    if message or (n is not None and not 0 <= n <= _MAX_WHOLE):
        return None, f"Ongeldige n {_quoted(_raw(cell))}; gebruik een geheel getal van 0 of meer"
    return n, None


# --- long format ---------------------------------------------------------------------------


def _parse_long(table: _Table, collector: _Collector) -> None:
    """Validate a long-format table: one value per row (contracts.md section 2)."""
    sheet = table.sheet
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    header_ok = True
    for position, name in enumerate(table.header):
        role = _LONG_ALIASES.get(_normalise(name))
        if role is None:
            continue  # unknown extra columns are ignored (brief)
        if role in index:
            message = f"Kolom '{name}' komt dubbel voor (ook '{names[role]}'); verwijder een van beide"
            collector.error(table.header_row, name, name, message, sheet)
            header_ok = False
            continue
        index[role], names[role] = position, name
    found = ", ".join(name for name in table.header if name) or "geen"
    for role, label in _REQUIRED.items():
        if role not in index:
            message = f"Verplichte kolom {label} ontbreekt; gevonden kolommen: {found}"
            collector.error(None, _DUTCH_COLUMN[role], None, message, sheet)
            header_ok = False
    if not header_ok:
        return  # with the columns wrong, every row error would be noise

    year_at, indicator_at, value_at = index["year"], index["indicator"], index["value"]
    team_at, college_at, n_at = index.get("team"), index.get("college"), index.get("n")
    if n_at is None:
        collector.keeps_n = True
    year_name, indicator_name, value_name = names["year"], names["indicator"], names["value"]
    team_name, college_name, n_name = names.get("team"), names.get("college"), names.get("n")
    role_names = {"team": team_name, "college": college_name}
    error = collector.error
    # Issue 18: optional series, source and group columns.
    series_at, source_at, group_at = index.get("series"), index.get("source"), index.get("group")
    extra_names = {role: names.get(role) for role in ("series", "source", "group")}
    extended = collector.extended = any(at is not None for at in (series_at, source_at, group_at))
    extra = ("", "", "", None)
    value_cache: dict[tuple[str | None, str], tuple[Decimal | None, str | None]] = {}
    n_cache: dict[str, tuple[int | None, str | None]] = {}

    for row, cells in table.rows:
        width = len(cells)
        ok = True

        year_cell = cells[year_at] if year_at < width else None
        year, message = collector.year(year_cell)
        if message:
            error(row, year_name, _raw(year_cell), message, sheet)
            ok = False

        indicator_cell = cells[indicator_at] if indicator_at < width else None
        code, message = collector.indicator(indicator_cell)
        if message:
            error(row, indicator_name, _raw(indicator_cell), message, sheet)
            ok = False

        team_cell = cells[team_at] if team_at is not None and team_at < width else None
        college_cell = cells[college_at] if college_at is not None and college_at < width else None
        unit, unit_errors = collector.unit(team_cell, college_cell)
        for role, raw, message in unit_errors:
            error(row, role_names[role] or college_name or team_name, raw, message, sheet)
            ok = False

        value_cell = cells[value_at] if value_at < width else None
        # A CSV cell is text, and a file repeats the same few thousand texts (77,5 ...): each is
        # parsed and checked once per indicator (issue 16). Other cells (xlsx numbers) each time:
        # 1, 1.0 and True are equal keys but not the same cell.
        cached = value_cache.get((code, value_cell)) if type(value_cell) is str else None
        if cached is None:
            cached = _value_cell(collector, code, value_cell)
            if type(value_cell) is str:
                value_cache[(code, value_cell)] = cached
        value, message = cached
        if message:
            error(row, value_name, _raw(value_cell), message, sheet)
            ok = False

        n = None
        if n_at is not None and n_at < width:
            n_cell = cells[n_at]
            cached = n_cache.get(n_cell) if type(n_cell) is str else None
            if cached is None:
                cached = _n_value(n_cell)
                if type(n_cell) is str:
                    n_cache[n_cell] = cached
            n, message = cached
            if message:
                error(row, n_name, _raw(n_cell), message, sheet)
                ok = False

        extra_errors = ()
        if extended:
            extra, extra_errors = _extra_cells(collector, cells, code, unit, series_at, source_at, group_at)
            for role, raw, message in extra_errors:
                error(row, extra_names[role], raw, message, sheet)
                ok = False

        if code is not None and unit is not None:
            # A comparison series is other people's figure: it may sit at a level the own series is not measured at.
            message = None if extra[0] else collector.level_message(code, unit.level)
            if message:
                error(row, indicator_name, _raw(indicator_cell), message, sheet)
                ok = False
            elif year is not None and not extra_errors:  # with its series or group unknown, a row has no key
                key = (code, year, unit, extra[0].casefold(), extra[1], extra[2]) if extended else (code, year, unit)
                message = collector.duplicate_message(key, sheet, row)
                if message:
                    error(row, indicator_name, _raw(indicator_cell), message, sheet)
                    ok = False

        if ok:
            collector.add(row, sheet, code, year, unit, value, n, extra)


def _value_cell(collector: _Collector, code: str | None, cell: object) -> tuple[Decimal | None, str | None]:
    """Return the value of a long-format value cell for an indicator code, or (None, message)."""
    value, message = _number(cell)
    if message is None and value is None:
        message = "Waarde is leeg; vul een getal in of verwijder de rij"
    if message is None and code is not None:
        message = collector.value_message(code, value, _raw(cell))
    return (None, message) if message else (value, None)


def _extra_cells(
    collector: _Collector, cells: list, code: str | None, unit: _Unit | None, series_at, source_at, group_at
) -> tuple[tuple, list[tuple[str, str | None, str]]]:
    """Return (series, dimension, group, source) of a row and its errors as (column role, raw value, message).

    The rules of issue 18: a series or group only at institution or college level (no team-level
    comparison, and groups of one team are small groups); a group declared for the indicator;
    student numbers have neither; a college-scoped upload (a director) sends no comparison series.
    """
    width = len(cells)
    errors: list[tuple[str, str | None, str]] = []
    series, dimension, group, source = "", "", "", None
    series_cell = cells[series_at] if series_at is not None and series_at < width else None
    if series_cell is not None:
        series, message = collector.series(series_cell)
        if message:
            errors.append(("series", _raw(series_cell), message))
    group_cell = cells[group_at] if group_at is not None and group_at < width else None
    if group_cell is not None and code is not None and code != STUDENTS_CODE:
        dimension, group, message = collector.group(code, group_cell)
        if message:
            errors.append(("group", _raw(group_cell), message))
    source_cell = cells[source_at] if source_at is not None and source_at < width else None
    if source_cell is not None:
        text, message = _code_text(source_cell)
        if message:
            errors.append(("source", _raw(source_cell), message))
        elif text is not None and len(text) > rules.SOURCE_MAX_LENGTH:
            errors.append(("source", text, f"Bron is te lang: hoogstens {rules.SOURCE_MAX_LENGTH} tekens"))
        else:
            source = text
    if code == STUDENTS_CODE and (series or not _is_blank(group_cell)):
        role, cell = ("series", series_cell) if series else ("group", group_cell)
        errors.append((role, _raw(cell), "Studentaantallen (studenten) hebben geen reeks of groep; laat de kolom leeg"))
    if unit is not None and unit.level == LEVEL_TEAM:
        if series:
            message = f"Reeks '{series}' kan alleen op instellings- of collegeniveau; laat de kolom team leeg"
            errors.append(("series", _raw(series_cell), message))
        if group:
            message = (
                f"Groep '{group}' kan alleen op instellings- of collegeniveau (kleine groepen); laat de kolom team leeg"
            )
            errors.append(("group", _raw(group_cell), message))
    if series and collector.catalogue.scope_college is not None:
        message = f"Vergelijkingsreeksen (reeks '{series}') worden alleen door beleidsmedewerkers aangeleverd"
        errors.append(("series", _raw(series_cell), message))
    return (series, dimension, group, source), errors


# --- wide format ---------------------------------------------------------------------------


def _parse_wide(table: _Table, collector: _Collector, filename: str, file_format: str) -> None:
    """Validate a wide-format table: one row per team or college, one column per indicator."""
    sheet = table.sheet
    header_row = table.header_row
    value_columns: list[tuple[int, str, str]] = []  # (position, code, header as written)
    n_columns: dict[str, tuple[int, str]] = {}
    roles: dict[str, tuple[int, str]] = {}
    n_candidates = {f"n {key}": f"n {code}" for key, code in collector.indicator_lookup.items()}
    seen_codes: dict[str, str] = {}

    for position, name in enumerate(table.header):
        key = _normalise(name)
        if not key or key in _WIDE_INFO:
            continue  # unnamed columns (trailing separators) and names describe, they hold no values
        role = {"team": "team", "college": "college", "jaar": "year", "year": "year"}.get(key)
        code = collector.indicator_lookup.get(key)
        n_match = _WIDE_N.fullmatch(key)
        n_code = collector.indicator_lookup.get(n_match.group(1)) if n_match else None
        target = role or code or (f"n {n_code}" if n_code else None)
        if target is not None and target in seen_codes:
            message = f"Kolom '{name}' komt dubbel voor (ook '{seen_codes[target]}'); verwijder een van beide"
            collector.error(header_row, name, name, message, sheet)
            continue
        if target is not None:
            seen_codes[target] = name
        if role:
            roles[role] = (position, name)
        elif code:
            value_columns.append((position, code, name))
        elif n_code:
            n_columns[n_code] = (position, name)
        elif n_match:
            hint = collector.suggest(key, n_candidates) or "; gebruik 'n ' gevolgd door een indicatorcode"
            collector.error(header_row, name, name, f"Onbekende indicator in kolom '{name}'{hint}", sheet)
        else:
            hint = collector.suggest(key, collector.indicator_lookup)
            if hint:
                message = f"Onbekende indicator '{name}'{hint}"
            else:
                message = (
                    f"Onbekende kolom '{name}'; gebruik een indicatorcode, 'n <indicatorcode>', "
                    "'team', 'college', 'jaar' of 'naam'"
                )
            collector.error(header_row, name, name, message, sheet)

    value_codes = {code for _, code, _ in value_columns}
    for code, (_, name) in n_columns.items():
        if code not in value_codes:
            message = f"Kolom '{name}' hoort bij indicator {code}, maar die kolom ontbreekt"
            collector.error(header_row, name, name, message, sheet)
    if not value_columns:
        message = "Geen indicatorkolommen gevonden; zet de indicatorcodes in de kopregel"
        collector.error(header_row, None, None, message, sheet)

    sheet_year = None
    if "year" not in roles:
        sheet_year = _wide_year(table, collector, filename, file_format)

    team_at, team_name = roles.get("team", (None, None))
    college_at, college_name = roles.get("college", (None, None))
    year_at, year_name = roles.get("year", (None, None))
    role_names = {"team": team_name, "college": college_name}
    unit_column = team_name or college_name
    error = collector.error

    for row, cells in table.rows:
        width = len(cells)
        filled = [
            (position, code, name, cells[position])
            for position, code, name in value_columns
            if position < width and not _is_blank(cells[position])
        ]
        team_cell = cells[team_at] if team_at is not None and team_at < width else None
        college_cell = cells[college_at] if college_at is not None and college_at < width else None
        unit = None
        if _is_blank(team_cell) and _is_blank(college_cell):
            if not filled:
                continue  # a row without a unit and without values (a title, a blank grid line)
            # The grid holds one row per team or college (brief); a row for neither is a mistake.
            error(row, unit_column, None, "Team en college zijn leeg; vul de team- of collegecode in", sheet)
        else:
            unit, unit_errors = collector.unit(team_cell, college_cell)
            for role, raw, message in unit_errors:
                error(row, role_names[role] or unit_column, raw, message, sheet)

        year = sheet_year
        if year_at is not None:
            year_cell = cells[year_at] if year_at < width else None
            year, message = collector.year(year_cell)
            if message and filled:
                error(row, year_name, _raw(year_cell), message, sheet)

        for _position, code, name, cell in filled:
            ok = unit is not None and year is not None
            value, message = _number(cell)
            raw = _raw(cell)
            if message is None:
                message = collector.value_message(code, value, raw)
            if message:
                error(row, name, raw, message, sheet)
                ok = False
            n = None
            if code not in n_columns and collector.keeps_n is not True:
                collector.keeps_n.add(code)
            if code in n_columns:
                n_at, n_name = n_columns[code]
                if n_at < width:
                    n, message = _n_value(cells[n_at])
                    if message:
                        error(row, n_name, _raw(cells[n_at]), message, sheet)
                        ok = False
            if unit is not None:
                message = collector.level_message(code, unit.level)
                if message:
                    error(row, name, raw, message, sheet)
                    ok = False
                elif year is not None:
                    message = collector.duplicate_message((code, year, unit), sheet, row)
                    if message:
                        error(row, name, raw, message, sheet)
                        ok = False
            if ok:
                collector.add(row, sheet, code, year, unit, value, n)


def _wide_year(table: _Table, collector: _Collector, filename: str, file_format: str) -> int | None:
    """Return the year of a wide table without a year column: the sheet name (xlsx) or the filename (CSV)."""
    sheet = table.sheet
    if file_format == "xlsx":
        name = (sheet or "").strip()
        if not re.fullmatch(r"[0-9]{4}", name):
            message = (
                f"Jaar ontbreekt: blad '{sheet}' heeft geen jaartal als naam; "
                "noem het blad naar het jaar (bijvoorbeeld '2020') of voeg een kolom 'jaar' toe"
            )
            collector.error(None, None, sheet, message, sheet)
            return None
        year, source = int(name), sheet
    else:
        basename = re.split(r"[\\/]", filename)[-1]
        found = _YEAR_IN_NAME.findall(basename)
        if len(found) != 1:
            detail = (
                f"de bestandsnaam bevat meer dan één jaartal ({', '.join(found)})"
                if found
                else "de bestandsnaam bevat geen jaartal"
            )
            message = (
                f"Jaar ontbreekt: {detail}; zet precies één jaartal in de bestandsnaam "
                "(bijvoorbeeld '5100-2020.csv') of voeg een kolom 'jaar' toe"
            )
            collector.error(None, None, basename, message, sheet)
            return None
        year, source = int(found[0]), basename
    message = collector.year_in_agenda(year)
    if message:
        collector.error(None, None, source, message, sheet)
        return None
    return year
