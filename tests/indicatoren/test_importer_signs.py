"""Signed numbers: '+5' is the number 5, not a formula; '-0' is zero without a sign (contracts.md section 2).

A value is a number (contracts.md section 2); a leading '+' is a sign as '-' is. Only what a
spreadsheet would compute ('=…', '@…', '+A1') is a formula. A negative zero was stored as
-0.000000 on SQLite (the API then said -0.0) and as 0 on PostgreSQL: zero has no sign.
"""

import io
from decimal import Decimal

import openpyxl
import pytest

from indicatoren.importers import MSG_FORMULA, parse_benchmark, parse_number
from indicatoren.models import ContextValue, Measurement
from invoer.uploads import benchmark_import
from tests.indicatoren.small_agenda import parse_line, small_catalogue
from tests.indicatoren.test_importer_exact_xlsx import with_sheet_xml


@pytest.fixture
def catalogue():
    """Return a small agenda: a count and a percentage, one college with one team, 2015-2022."""
    return small_catalogue()


def parse(catalogue, line: str):
    """Return the parse result of a long-format CSV with one data line."""
    return parse_line(catalogue, line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("+5", Decimal(5)), ("+77,5%", Decimal("77.5")), ("+ 1.234,5", Decimal("1234.5")), ("+,5", Decimal("0.5"))],
)
def test_a_leading_plus_is_a_sign(catalogue, text, expected):
    """'+5' is 5: a signed number, as '-5' is -5."""
    result = parse(catalogue, f"2020;cnt;;5100-ENT;{text};+12")
    assert result.errors == []
    assert (result.rows["value"].tolist(), result.rows["n"].tolist()) == ([expected], [12])
    assert parse_number(text) == (expected, None)


@pytest.mark.parametrize("text", ["+A1", "+SUM(A1:A3)", "+-5", "++5", "=5", "@SUM(A1)", "+cmd|' /C calc'!A0"])
def test_what_a_spreadsheet_would_compute_stays_a_formula(catalogue, text):
    """A '+' before anything but a number, and every '=' or '@', is refused as a formula."""
    [error] = parse(catalogue, f"2020;cnt;;5100-ENT;{text};").errors
    assert (error.column, error.message) == ("waarde", MSG_FORMULA)


@pytest.mark.parametrize("text", ["-0", "-0,000", "-0%", "- 0", "-,0"])
def test_a_negative_zero_is_zero_without_a_sign(catalogue, text):
    """'-0' parses to zero with no sign, so every database stores and every reader shows 0."""
    result = parse(catalogue, f"2020;cnt;;5100-ENT;{text};")
    assert result.errors == []
    [value] = result.rows["value"].tolist()
    assert value == 0 and not value.is_signed()
    parsed, _ = parse_number(text)
    assert parsed == 0 and not parsed.is_signed()


@pytest.mark.parametrize("number_format", [None, "0.0%"])
def test_a_negative_zero_cell_in_excel_is_zero_without_a_sign(catalogue, number_format):
    """An xlsx number cell <v>-0.0</v> (as a number or a percentage) reads as an unsigned zero."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["jaar", "indicator", "team", "waarde"])
    sheet.append([2020, "cnt", "5100-ENT", 2222.5])
    if number_format:
        sheet["D2"].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    result = parse_benchmark(with_sheet_xml(buffer.getvalue(), {b"<v>2222.5</v>": "<v>-0.0</v>"}), "x.xlsx", catalogue)
    assert result.errors == []
    [value] = result.rows["value"].tolist()
    assert value == 0 and not value.is_signed()


@pytest.mark.django_db
def test_a_negative_zero_is_stored_as_zero_on_every_path(rocvaf_demo, settings, tmp_path):
    """'-0' as an own value and as a comparison series (ContextValue, issue 18) is stored as an unsigned 0."""
    settings.MEDIA_ROOT = tmp_path / "media"
    data = b"jaar;indicator;college;team;waarde;reeks\n2012;2b;;5100-ENT;-0;\n2012;2b;;;-0;landelijk\n"
    benchmark_import(institution=rocvaf_demo, data=data, filename="nul.csv")
    own = Measurement.objects.get(indicator__code="2b", team__code="5100-ENT", year=2012).value
    series = ContextValue.objects.get(indicator__code="2b", year=2012, series="landelijk").value
    assert [(value == 0, value.is_signed()) for value in (own, series)] == [(True, False), (True, False)]
