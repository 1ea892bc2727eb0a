"""Read a spending file (CSV or XLSX: jaar, thema, college, maatregel, bedrag) into rows and Dutch row errors.

No ORM: the rows are checked against the agenda by maatregelen.services.spendings_import. Numbers
are read by the benchmark importer's parse_number (one home for Dutch number text: "1.234,56"),
and every amount becomes exact integer cents; nothing is rounded.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl

from indicatoren.importers import MSG_EMPTY, MSG_XLS, MSG_XLSX_UNREADABLE, RowError, parse_number, size_error

COLUMNS = {
    "jaar": "year",
    "year": "year",
    "thema": "theme",
    "theme": "theme",
    "college": "college",
    "maatregel": "measure",
    "measure": "measure",
    "bedrag": "amount",
    "amount": "amount",
    "toelichting": "note",
    "note": "note",
}
REQUIRED = {"year": "jaar", "theme": "thema", "amount": "bedrag"}
# An amount of a billion euros is a typing error, not a spending line (and stays far inside a BigInteger).
MAX_CENTS = 100_000_000_000
MAX_ROWS = 5000
MSG_CENTS = "Een bedrag heeft hoogstens twee decimalen (centen); schrijf bijvoorbeeld 1234,56 of 1.234,56"


@dataclass
class SpendingFile:
    """The rows of a spending file (row number, year, theme, college, measure, cents, note) and its errors."""

    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_amount(text: str) -> tuple[int | None, str | None]:
    """Return euro text ("1.234,56", "€ 12", "0,5") as exact integer cents, or a Dutch message."""
    compact = text.replace("€", "").strip()
    if "%" in compact:
        return None, "Een bedrag is geen percentage"
    number, message = parse_number(compact)
    if message:
        return None, message
    if number is None:
        return None, "Het bedrag ontbreekt"
    cents = number * 100
    if cents != cents.to_integral_value():
        return None, MSG_CENTS
    if cents < 0:
        return None, "Een besteding is nul of groter; corrigeer een te hoog bedrag met het juiste bedrag"
    if cents > MAX_CENTS:
        return None, "Het bedrag is groter dan een miljard euro; controleer het"
    return int(cents), None


def read_spending_file(data: bytes, max_bytes: int, max_unpacked_bytes: int) -> SpendingFile:
    """Return the rows and the errors of a spending file; a file-level problem is the one error."""
    result = SpendingFile()
    too_large = size_error(len(data), max_bytes)
    if too_large:
        result.errors.append(too_large)
        return result
    if data[:4] == b"\xd0\xcf\x11\xe0":
        result.errors.append(RowError(None, None, None, MSG_XLS))
        return result
    try:
        table = _xlsx_rows(data, max_unpacked_bytes) if data[:4] == b"PK\x03\x04" else _csv_rows(data)
    except ValueError as exc:
        result.errors.append(RowError(None, None, None, str(exc)))
        return result
    header_row, header, records = table
    names = {}
    for index, name in enumerate(header):
        key = COLUMNS.get(name.strip().lower())
        if key:
            names[index] = key
    missing = [dutch for key, dutch in REQUIRED.items() if key not in names.values()]
    if missing:
        columns = ", ".join(f"'{name}'" for name in missing)
        result.errors.append(
            RowError(
                header_row,
                None,
                None,
                f"De kolom {columns} ontbreekt; verwacht: jaar, thema, college, maatregel, bedrag",
            )
        )
        return result
    for number, cells in records:
        raw = {key: (_text(cells[index]) if index < len(cells) else "") for index, key in names.items()}
        errors_before = len(result.errors)
        year = None
        try:
            year = int(raw["year"])
        except ValueError:
            result.errors.append(RowError(number, "jaar", raw["year"], "Het jaar is geen jaartal, bijvoorbeeld 2020"))
        cents, message = parse_amount(raw["amount"])
        if message:
            result.errors.append(RowError(number, "bedrag", raw["amount"], message))
        if not raw["theme"]:
            result.errors.append(RowError(number, "thema", "", "Het thema ontbreekt (code, bijvoorbeeld T1)"))
        if len(result.errors) == errors_before:
            result.rows.append(
                {
                    "row": number,
                    "year": year,
                    "theme": raw["theme"],
                    "college": raw.get("college", ""),
                    "measure": raw.get("measure", ""),
                    "cents": cents,
                    "note": raw.get("note", ""),
                }
            )
        if len(result.rows) + len(result.errors) > MAX_ROWS:
            result.errors.append(
                RowError(None, None, None, f"Het bestand heeft meer dan {MAX_ROWS} regels; verdeel het")
            )
            return result
    if not result.rows and not result.errors:
        result.errors.append(RowError(None, None, None, MSG_EMPTY))
    return result


def _text(value) -> str:
    """Return a cell as text; a spreadsheet number keeps every digit it shows (no binary rounding)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # repr of a float is the shortest text that reads back the same: 1234.56, not 1234.5599999.
        return str(Decimal(repr(value)))
    return str(value).strip()


def _csv_rows(data: bytes) -> tuple[int, list[str], list[tuple[int, list]]]:
    """Return the header row number, the header and the non-blank records of CSV bytes (UTF-8 or Windows-1252)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError(MSG_EMPTY)
    first = lines[0]
    separator = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    records = []
    header = None
    header_row = 1
    try:
        for record in reader:
            if not "".join(record).strip():
                continue
            if header is None:
                header, header_row = record, reader.line_num
            else:
                records.append((reader.line_num, record))
    except csv.Error as exc:
        raise ValueError(f"Het CSV-bestand kan niet worden gelezen ({exc}); sla het opnieuw op als CSV") from None
    return header_row, header or [], records


def _xlsx_rows(data: bytes, max_unpacked_bytes: int) -> tuple[int, list[str], list[tuple[int, list]]]:
    """Return the header row number, the header and the non-blank rows of the first sheet of xlsx bytes."""
    try:
        # The zip's declared sizes, before openpyxl reads a byte (a small zip can declare gigabytes; issue 13).
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ValueError(MSG_XLSX_UNREADABLE) from None
    if unpacked > max_unpacked_bytes:
        raise ValueError("Het Excel-bestand is uitgepakt te groot; sla het op als CSV")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # any failure of the parser on an uploaded file means "unreadable"
        raise ValueError(MSG_XLSX_UNREADABLE) from None
    try:
        sheet = workbook.worksheets[0]
        header, header_row, records = None, 1, []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(value is None or str(value).strip() == "" for value in values):
                continue
            if header is None:
                header, header_row = [_text(value) for value in values], number
            else:
                records.append((number, list(values)))
                if len(records) > MAX_ROWS:
                    break
        return header_row, header or [], records
    finally:
        workbook.close()
