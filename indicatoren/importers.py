"""Parse and validate benchmark files (contracts.md section 2) into a frame plus row errors.

Pure: bytes in, ``ParseResult`` out. No Django, no ORM, no I/O besides the given bytes; the
importer validates against a ``Catalogue`` the caller builds from the agenda.
"""

import codecs
import csv
import difflib
import functools
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

import openpyxl
import pandas as pd

from kern import rules

STUDENTS_CODE = "studenten"  # benchmark code for student numbers (budget weights), college level only

LEVEL_TEAM = "team"
LEVEL_COLLEGE = "college"
LEVEL_INSTITUTION = "institution"
LEVELS = (LEVEL_TEAM, LEVEL_COLLEGE, LEVEL_INSTITUTION)
ALL_LEVELS = frozenset(LEVELS)

COLUMNS = ("row", "sheet", "indicator", "year", "level", "college", "team", "value", "n")

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
# A zip of a few MB can unpack to gigabytes; legitimate workbooks compress about 5-10x.
_XLSX_MAX_EXPANSION = 30
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
MSG_XLS = "Oude Excel-bestanden (.xls) worden niet ondersteund; sla het bestand op als .xlsx of als CSV"
MSG_XLSX_UNREADABLE = "Het Excel-bestand kan niet worden gelezen; sla het opnieuw op als .xlsx of als CSV"
MSG_ENCODING = "De tekenset van het bestand is onbekend; sla het op als CSV UTF-8 of als .xlsx"
MSG_NOT_CSV = "Het bestand is geen CSV- of Excel-bestand; sla het op als CSV UTF-8 of als .xlsx"

# CSV/spreadsheet formula injection starts with these (OWASP "CSV injection"); '-' stays a sign.
_FORMULA_PREFIXES = ("=", "+", "@")
_WHITESPACE = re.compile(r"\s+")  # str patterns match Unicode spaces, incl. non-breaking ones
_NUM_PLAIN = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?|[.,]([0-9]+)")
_NUM_DOT_GROUPS = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?")  # 1.234.567,5
_NUM_COMMA_GROUPS = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?")  # 1,234,567.5
_YEAR_IN_NAME = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
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


@dataclass
class _Table:
    """The non-blank rows of one CSV file or xlsx sheet, with physical row numbers."""

    sheet: str | None
    header_row: int
    header: list[str]
    rows: list[tuple[int, list]]


def parse_benchmark(
    data: bytes, filename: str, catalogue: Catalogue, *, max_bytes: int = 10 * 1024 * 1024
) -> ParseResult:
    """Parse and validate a benchmark file; return every row and every error at once."""
    is_excel = data[:4] in (_XLSX_MAGIC, _XLS_MAGIC)
    result = ParseResult(rows=_empty_frame(), errors=[], file_format="xlsx" if is_excel else "csv", layout="long")
    too_large = size_error(len(data), max_bytes)
    if too_large:
        result.errors.append(too_large)
        return result
    if data[:4] == _XLS_MAGIC:
        # .xls is reported as the Excel family: file_format stays within "csv" | "xlsx".
        result.errors.append(RowError(None, None, None, MSG_XLS))
        return result

    if is_excel:
        tables, errors = _read_xlsx(data, max_bytes)
    else:
        table, errors, result.encoding, result.separator = _read_csv(data)
        tables = [table] if table is not None else []
    result.errors.extend(errors)
    if errors:
        return result

    tables = [table for table in tables if table.header]
    exported = [table for table in tables if table.sheet == EXPORT_SHEET]
    if exported:
        tables = [table for table in tables if table.sheet != EXPORT_SHEET]
        result.exported, problem = _read_exported(exported[0])
        if problem:
            result.errors.append(RowError(problem[0], None, problem[1], MSG_EXPORT_SHEET, EXPORT_SHEET))
            return result
    if not tables:
        result.errors.append(RowError(None, None, None, MSG_EMPTY))
        return result

    first = {_normalise(name) for name in tables[0].header}
    result.layout = "wide" if "indicator" not in first and ({"team", "college"} & first) else "long"
    collector = _Collector(catalogue)
    if result.layout == "long":
        # Long format: only the first sheet is read (contracts.md section 2).
        _parse_long(tables[0], collector)
    else:
        # Wide format: one sheet per year, every non-empty sheet (brief).
        for table in tables:
            _parse_wide(table, collector, filename, result.file_format)
    result.rows = collector.frame()
    result.errors = sorted(collector.errors, key=_error_key)
    if not result.errors and result.rows.empty:
        result.errors.append(RowError(None, None, None, MSG_EMPTY))
    return result


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


def _read_csv(data: bytes) -> tuple[_Table | None, list[RowError], str | None, str | None]:
    """Decode CSV bytes and split them into a header and non-blank rows with line numbers."""
    text, encoding = _decode(data)
    if text is None:
        return None, [RowError(None, None, None, MSG_ENCODING)], None, None
    if "\x00" in text:
        return None, [RowError(None, None, None, MSG_NOT_CSV)], encoding, None

    # Split lines as the csv reader will, so line numbers agree.
    numbered = enumerate(io.StringIO(text, newline=""), start=1)
    first_number, first_line = next(((number, line.strip()) for number, line in numbered if line.strip()), (0, ""))
    if not first_number:
        return None, [], encoding, None
    skip_line = None
    # Excel writes and honours a "sep=;" first line; accept it as the separator.
    if len(first_line) == 5 and first_line.lower().startswith("sep=") and first_line[4] in _SEPARATORS:
        separator, skip_line = first_line[4], first_number
    else:
        separator = _detect_separator(first_line)

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"', doublequote=True)
    header: tuple[int, list[str]] | None = None
    rows: list[tuple[int, list]] = []
    while True:
        start = reader.line_num + 1  # records may span lines: number them by their first line
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            message = f"Regel {start} kan niet worden gelezen ({exc}); sla het bestand opnieuw op als CSV"
            return None, [RowError(start, None, None, message)], encoding, separator
        if start == skip_line or not "".join(record).strip():
            continue
        if header is None:
            header = (start, [cell.strip().lstrip("\ufeff") for cell in record])
        else:
            rows.append((start, record))
    if header is None:
        return None, [], encoding, separator
    return _Table(None, header[0], header[1], rows), [], encoding, separator


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


def _read_xlsx(data: bytes, max_bytes: int) -> tuple[list[_Table], list[RowError]]:
    """Read every worksheet of an xlsx file into tables with the sheet's own row numbers."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return [], [RowError(None, None, None, MSG_XLSX_UNREADABLE)]
    if unpacked > _XLSX_MAX_EXPANSION * max(max_bytes, len(data)):
        return [], [RowError(None, None, None, MSG_XLSX_UNREADABLE)]

    tables = []
    try:
        # data_only=False so formulas stay visible and can be refused (brief).
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # any failure of the parser on an uploaded file means "unreadable"
        return [], [RowError(None, None, None, MSG_XLSX_UNREADABLE)]
    try:
        for sheet in workbook.worksheets:
            # Declared dimensions are often wrong in generated files: read every stored row.
            sheet.reset_dimensions()
            header: tuple[int, list[str]] | None = None
            rows: list[tuple[int, list]] = []
            for number, cells in enumerate(sheet.iter_rows(), start=1):
                values = [_xlsx_cell(cell) for cell in cells]
                if all(_is_blank(value) for value in values):
                    continue
                if header is None:
                    header = (number, [_header_text(value) for value in values])
                else:
                    rows.append((number, values))
            if header is not None:
                tables.append(_Table(sheet.title, header[0], header[1], rows))
    except Exception:  # a corrupt sheet: reject the file, never crash the upload
        return [], [RowError(None, None, None, MSG_XLSX_UNREADABLE)]
    finally:
        workbook.close()
    return tables, []


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
    if cell.data_type == "f" or (kind is str and value.startswith("=")):
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
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell)


def _code_text(cell: object) -> tuple[str | None, str | None]:
    """Return a code cell as text (5100 and 5100.0 both give '5100'), or an error message."""
    if cell is None:
        return None, None
    kind = type(cell)
    if kind is str:
        return cell.strip() or None, None
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
        return Decimal(cell), None
    if kind is float or kind is _Percent:
        # Decimal(str(x)), never Decimal(x): 0.1 must stay 0.1, not 0.1000000000000000055...
        number = cell.value if kind is _Percent else Decimal(str(cell))
        if not number.is_finite():
            return None, f"Geen getal: '{_raw(cell)}'"
        if _decimal_places(number) > _DECIMAL_PLACES:
            return None, _too_many_places(_raw(cell))
        return number, None
    if kind is _Formula:
        return None, MSG_FORMULA
    if isinstance(cell, date | time | timedelta):
        return None, MSG_DATE
    return None, f"Geen getal: '{_raw(cell)}'"


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
    if body.startswith("-"):
        sign, body = "-", body[1:]
    # One separator is the decimal mark (77,5 = 77.5); with both, the last one is (contracts.md section 2).
    match = _NUM_PLAIN.fullmatch(body)
    if match:
        whole, fraction = match.group(1) or "0", match.group(2) or match.group(3) or ""
    else:
        match = _NUM_DOT_GROUPS.fullmatch(body) or _NUM_COMMA_GROUPS.fullmatch(body)
        if not match:
            return None, f"Geen getal: '{text.strip()}'; gebruik bijvoorbeeld 77,5"
        whole, fraction = match.group(1).replace(".", "").replace(",", ""), match.group(2) or ""
    if len(fraction.rstrip("0")) > _DECIMAL_PLACES:
        return None, _too_many_places(text.strip())
    return Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"), None


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
    return rules.decimals_message(f"'{raw}'")


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

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.errors: list[RowError] = []
        self.out: dict[str, list] = {name: [] for name in COLUMNS}
        self.seen: dict[tuple, tuple[str | None, int]] = {}
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
        """Record one error."""
        self.errors.append(RowError(row, column, value, message, sheet))

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
                cached = (None, f"Geen geldig jaartal: '{_raw(cell)}'; gebruik vier cijfers, bijvoorbeeld 2020")
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
                return f"Studentaantal moet een geheel getal van 0 of meer zijn: '{raw}'"
            if value > _MAX_WHOLE:
                return f"Studentaantal '{raw}' is te groot; het grootste toegestane aantal is {_MAX_WHOLE}"
            return None
        unit = self.catalogue.indicators.get(code)
        return rules.range_problem(unit, value, f"'{raw}'") if unit in rules.UNIT_RANGES else None

    def duplicate_message(self, key: tuple, sheet: str | None, row: int) -> str | None:
        """Return an error naming the first row when (indicator, year, unit) was seen before."""
        first = self.seen.get(key)
        if first is None:
            self.seen[key] = (sheet, row)
            return None
        first_sheet, first_row = first
        where = f"rij {first_row}" if first_sheet == sheet else f"rij {first_row} van blad {first_sheet}"
        code, year, unit = key
        return (
            f"Dubbele waarde voor indicator {code}, jaar {year}, {unit.describe()}: staat ook in {where}; "
            "laat één van beide rijen staan"
        )

    def add(
        self, row: int, sheet: str | None, code: str, year: int, unit: _Unit, value: Decimal, n: int | None
    ) -> None:
        """Append one valid row."""
        out = self.out
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
        return self.build_frame(self.out)

    @staticmethod
    def build_frame(out: dict[str, list]) -> pd.DataFrame:
        """Build the frame once from plain lists; object dtype keeps None and Decimal as they are."""
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
            }
        )


def _n_value(cell: object) -> tuple[int | None, str | None]:
    """Return the optional cohort size n: a non-negative integer, or an error message."""
    n, message = _whole(cell)
    if message == MSG_FORMULA or message == MSG_DATE:
        return None, message
    if message or (n is not None and not 0 <= n <= _MAX_WHOLE):
        return None, f"Ongeldige n '{_raw(cell)}'; gebruik een geheel getal van 0 of meer"
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
    year_name, indicator_name, value_name = names["year"], names["indicator"], names["value"]
    team_name, college_name, n_name = names.get("team"), names.get("college"), names.get("n")
    role_names = {"team": team_name, "college": college_name}
    error = collector.error

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
        value, message = _number(value_cell)
        if message is None and value is None:
            message = "Waarde is leeg; vul een getal in of verwijder de rij"
        if message is None and code is not None:
            message = collector.value_message(code, value, _raw(value_cell))
        if message:
            error(row, value_name, _raw(value_cell), message, sheet)
            ok = False

        n = None
        if n_at is not None and n_at < width:
            n, message = _n_value(cells[n_at])
            if message:
                error(row, n_name, _raw(cells[n_at]), message, sheet)
                ok = False

        if code is not None and unit is not None:
            message = collector.level_message(code, unit.level)
            if message:
                error(row, indicator_name, _raw(indicator_cell), message, sheet)
                ok = False
            elif year is not None:
                message = collector.duplicate_message((code, year, unit), sheet, row)
                if message:
                    error(row, indicator_name, _raw(indicator_cell), message, sheet)
                    ok = False

        if ok:
            collector.add(row, sheet, code, year, unit, value, n)


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
