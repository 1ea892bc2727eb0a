"""An xlsx number cell a float may have rounded is refused, never stored rounded (domain.md: exact numbers).

openpyxl turns `<v>123456789012.345677</v>` into the float 123456789012.34567, and the importer
stored that. A number cell is a float (Excel shows 15 significant digits of it): one whose
digits a float does not keep is refused with the advice to send it as text or CSV, which are
read exactly. The cell's text is what tells: `<v>123456789012.000001</v>` is the float
123456789012.0, whose own digits look harmless.
"""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from indicatoren.importers import parse_benchmark
from tests.indicatoren.small_agenda import small_catalogue


@pytest.fixture
def catalogue():
    """Return a small agenda: a count, a percentage, one college with one team, 2015-2022."""
    return small_catalogue()


def workbook(year: str, value: str, number_format: str | None = None) -> bytes:
    """Return a long-format xlsx whose year and value are number cells holding exactly these digits in <v>.

    openpyxl writes a number with 16 significant digits at most ("%.16g"), so the digits are put
    into the sheet's XML afterwards, as another program would write them.
    """
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["jaar", "indicator", "team", "waarde"])
    sheet.append([1111.5, "cnt", "5100-ENT", 2222.5])
    if number_format:
        sheet["D2"].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return with_sheet_xml(buffer.getvalue(), {b"<v>1111.5</v>": f"<v>{year}</v>", b"<v>2222.5</v>": f"<v>{value}</v>"})


def with_sheet_xml(data: bytes, replacements: dict[bytes, str]) -> bytes:
    """Return an xlsx with texts of its first sheet's XML replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                for old, new in replacements.items():
                    assert old in content
                    content = content.replace(old, new.encode())
            target.writestr(item, content)
    return out.getvalue()


REFUSED = "heeft meer dan 15 cijfers: Excel rondt het af; lever het als tekst of als CSV"


@pytest.mark.parametrize(
    ("digits", "number_format"),
    [
        ("123456789012.345677", None),  # the float is 123456789012.34567 (the review's case)
        ("123456789012.34567", None),  # a float's own 17 digits: which 18-digit value was meant?
        ("123456789012.000001", None),  # the float is 123456789012.0: its own digits are harmless
        ("999999999999.999999", None),  # storage's largest value; the float is 1000000000000.0
        ("0.1000000000000000001", None),  # 19 digits: the float is 0.1
        ("0.775000000000000000001", "0.0%"),  # the float is 0.775: 77,5 %
    ],
)
def test_a_number_cell_a_float_may_have_rounded_is_refused(catalogue, digits, number_format):
    """A number cell of more than 15 significant digits is a row error naming its digits; nothing is stored."""
    result = parse_benchmark(workbook("2021", digits, number_format), "x.xlsx", catalogue)
    [error] = result.errors
    assert (error.row, error.column, error.value) == (2, "waarde", digits)
    assert error.message == f"Getal '{digits}' {REFUSED}"
    assert result.rows.empty


def test_a_year_cell_a_float_may_have_rounded_is_refused(catalogue):
    """2020.0000000000000001 is not the year 2020, even though its float is."""
    [error] = parse_benchmark(workbook("2020.0000000000000001", "5"), "x.xlsx", catalogue).errors
    assert (error.row, error.column) == (2, "jaar")
    assert error.message.startswith("Geen geldig jaartal: '2020.0000000000000001'")


@pytest.mark.parametrize(
    ("digits", "fragment"),
    [
        ("0.30000000000000004", "Te veel decimalen in '0.30000000000000004'"),  # 0.1 + 0.2: rounding helps there
        ("1" * 30 + ".5", "is te groot: meer dan 18 cijfers voor de komma"),
        ("1E+999999999", "Geen getal: 'inf'"),
    ],
)
def test_a_long_number_cell_that_storage_could_not_keep_gets_its_own_message(catalogue, digits, fragment):
    """Too many decimals or digits say so, as for any number."""
    [error] = parse_benchmark(workbook("2021", digits), "x.xlsx", catalogue).errors
    assert fragment in error.message


@pytest.mark.parametrize(
    ("digits", "number_format", "expected"),
    [
        ("77.5", None, Decimal("77.5")),
        ("12", None, Decimal(12)),
        ("1E-3", None, Decimal("0.001")),
        ("7.7250000000000000E1", None, Decimal("77.25")),
        ("123456789.123456", None, Decimal("123456789.123456")),  # 15 digits: a float keeps them
        ("78.40000000000001", None, Decimal("78.4")),  # openpyxl's "%.16g" of 78.4 (the grid export's cells)
        ("0.10000000000000001", None, Decimal("0.1")),  # "%.17g" of 0.1
        ("0.77500000000000002", "0.0%", Decimal("77.5")),  # "%.17g" of 0.775
    ],
)
def test_a_number_cell_a_float_holds_is_read_as_before(catalogue, digits, number_format, expected):
    """A float's shortest digits (every cell Excel writes), or them printed to 16 or 17 digits, keep their value."""
    result = parse_benchmark(workbook("2021", digits, number_format), "x.xlsx", catalogue)
    assert result.errors == []
    assert result.rows["value"].tolist() == [expected]
