"""Over-long numbers are row errors with a short message, on every channel (contracts.md section 2, section 3).

A CSV year of 5000 digits raised "Exceeds the limit (4300 digits) for integer string conversion"
(a 500 on the API and the upload page, a traceback from import_benchmark), and a value of a
million digits overflowed the decimal context. Converting such a text to an int also costs
time that grows with the square of its length.
"""

import io
import random
import zipfile
from io import StringIO

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from indicatoren.importers import parse_benchmark, parse_number
from indicatoren.models import Measurement, Upload, UploadStatus
from tests.indicatoren.small_agenda import parse_line, small_catalogue

HUGE_YEAR = "1" * 5000
SHOWN = "'" + "1" * 20 + "…' (5000 tekens)"  # how a 5000-character cell appears in a message


@pytest.fixture
def catalogue():
    """Return a small agenda: a count and a percentage, one college with one team, 2015-2022."""
    return small_catalogue()


def parse(catalogue, line: str):
    """Return the parse result of a long-format CSV with one data line."""
    return parse_line(catalogue, line)


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (
            f"{HUGE_YEAR};2b;;5100-ENT;7;",
            "jaar",
            f"Geen geldig jaartal: {SHOWN}; gebruik vier cijfers, bijvoorbeeld 2020",
        ),
        (f"2020;2b;;5100-ENT;7;{HUGE_YEAR}", "n", f"Ongeldige n {SHOWN}; gebruik een geheel getal van 0 of meer"),
        (
            f"2020;studenten;5100;;{HUGE_YEAR};",
            "waarde",
            f"Getal {SHOWN} is te groot: meer dan 18 cijfers voor de komma",
        ),
        (
            f"2020;cnt;;5100-ENT;{HUGE_YEAR},5;",
            "waarde",
            "Getal '11111111111111111111…' (5002 tekens) is te groot: meer dan 18 cijfers voor de komma",
        ),
        ("99999;2b;;5100-ENT;7;", "jaar", "Jaar 99999 valt buiten de agenda (toegestaan: 2015-2022)"),
    ],
    ids=["year", "n", "students", "value", "five-digit-year"],
)
def test_an_over_long_number_is_one_short_row_error(catalogue, line, column, message):
    """A 5000-digit year, n, student number or value is a row error whose message shows the start of the cell."""
    [error] = parse(catalogue, line).errors
    assert (error.row, error.column, error.message) == (2, column, message)


def test_a_text_cell_of_a_million_digits_is_refused_without_overflow(catalogue):
    """An xlsx text cell of a million digits is too large, not a decimal.Overflow ('unreadable' before).

    No CSV field holds that many (the csv module stops at 131,072), and openpyxl writes at most
    Excel's 32,767 characters a cell: the digits are put into the sheet's XML afterwards.
    """
    digits = "9" + "".join(random.Random(7).choices("0123456789", k=1_000_000))  # random: a zip ratio under the limit
    book = openpyxl.Workbook()
    book.active.append(["jaar", "indicator", "team", "waarde"])
    book.active.append([2020, "cnt", "5100-ENT", "DIGITS"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = with_member_text(buffer.getvalue(), "xl/worksheets/sheet1.xml", "DIGITS", digits)
    [error] = parse_benchmark(data, "x.xlsx", catalogue).errors
    assert (error.row, error.column) == (2, "waarde")
    assert error.message.endswith("(1000001 tekens) is te groot: meer dan 18 cijfers voor de komma")


def with_member_text(data: bytes, member: str, old: str, new: str) -> bytes:
    """Return an xlsx with a text replaced in one of its parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == member:
                assert old.encode() in content
                content = content.replace(old.encode(), new.encode())
            target.writestr(item, content)
    return out.getvalue()


def test_parse_number_refuses_an_over_long_number():
    """The grid and the spending file read numbers through parse_number: the same refusal there."""
    value, message = parse_number("9" * 1_000_001)
    assert value is None
    assert message == "Getal '99999999999999999999…' (1000001 tekens) is te groot: meer dan 18 cijfers voor de komma"


# --- every channel (contracts.md section 3 and 4) ------------------------------------------------

HUGE_YEAR_FILE = f"jaar;indicator;college;team;waarde\n{HUGE_YEAR};2b;;5100-ENT;7\n".encode()


@pytest.fixture
def _media(settings, tmp_path):
    """Keep uploaded files in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


def post_page(client):
    """Post the file on the policy staff's upload page."""
    client.force_login(get_user_model().objects.get(username="beleid"))
    return client.post("/uploads/", {"file": SimpleUploadedFile("jaar.csv", HUGE_YEAR_FILE)})


def post_grid(client):
    """Post the file on college 5100's grid upload page as its director."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client.post(
        reverse("invoer:grid_upload", args=["5100"]), {"file": SimpleUploadedFile("j.csv", HUGE_YEAR_FILE)}
    )


def post_api(client):
    """Post the file to the upload API as policy staff."""
    client.force_login(get_user_model().objects.get(username="beleid"))
    return client.post("/api/v1/uploads/", {"file": SimpleUploadedFile("jaar.csv", HUGE_YEAR_FILE)})


@pytest.mark.django_db
@pytest.mark.usefixtures("_media")
@pytest.mark.parametrize("channel", [post_page, post_grid, post_api], ids=["page", "grid", "api"])
def test_a_huge_year_is_a_400_with_the_year_error_on_every_web_channel(rocvaf_demo, client, channel):
    """The upload page, the grid upload and the API answer 400 with the year error; nothing is stored."""
    before = Measurement.objects.count()
    response = channel(client)
    assert response.status_code == 400
    assert "Geen geldig jaartal" in response.content.decode()
    assert Upload.objects.latest("pk").status == UploadStatus.REJECTED
    assert Measurement.objects.count() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("_media")
def test_import_benchmark_exits_1_with_the_year_error(rocvaf_demo, tmp_path):
    """The command refuses the file (exit 1, CommandError) and prints the year error, short."""
    path = tmp_path / "jaar.csv"
    path.write_bytes(HUGE_YEAR_FILE)
    with pytest.raises(CommandError) as raised:
        call_command("import_benchmark", str(path), stdout=StringIO(), stderr=StringIO())
    text = str(raised.value)
    assert f"Geen geldig jaartal: {SHOWN}" in text
    assert len(text) < 1000  # the cell's value is cut in the error too
