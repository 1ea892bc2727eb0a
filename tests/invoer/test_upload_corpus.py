"""A corpus of bad benchmark files, one per error kind, through every channel (issue 4).

Each file holds a valid row 2 and, where the error is in a row, the bad row 3. Every channel
must reject the whole file with a message naming row and column, store no value, and leave
an audit record of the attempt. A channel is a function (data, filename) -> (status, errors)
with errors in the API's shape: import_benchmark (exit 1), the upload page (400) and
POST /api/v1/uploads/ (400).
"""

import io
import re
from io import StringIO

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.html import escape

from indicatoren.models import Measurement, StudentCount, Upload, UploadStatus

pytestmark = pytest.mark.django_db

HEADER = "jaar;indicator;college;team;waarde;n"
VALID = "2021;2b;;5100-ENT;1,5;40"  # would change a stored value (30.0) if anything were stored
LIMIT = 1024 * 1024  # UPLOAD_MAX_BYTES in these tests: 1 MB


def csv_file(*lines: str, header: str = HEADER) -> bytes:
    """Return a long-format file: the header, the valid row 2, then `lines`."""
    return "\n".join([header, VALID, *lines, ""]).encode("utf-8")


def xlsx_with_formula() -> bytes:
    """Return an Excel workbook whose row 3 holds a formula in the waarde column."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    sheet.append([2021, "2b", None, "5100-ENT", 1.5, 40])
    sheet.append([2020, "2b", None, "5100-ENT", "=E2*2", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# kind: (file, filename, expected (row, column, part of the message))
CORPUS = {
    "unknown indicator": (csv_file("2020;9z;;5100-ENT;50;"), 3, "indicator", "Onbekende indicator '9z'"),
    "unknown college": (csv_file("2020;2b;9999;;5;"), 3, "college", "Onbekend college '9999'"),
    "unknown team": (csv_file("2020;2b;;5100-XYZ;5;"), 3, "team", "Onbekend team '5100-XYZ'"),
    "team in another college": (
        csv_file("2020;2b;5110;5100-ENT;5;"),
        3,
        "college",
        "Team 5100-ENT hoort bij college 5100, niet bij 5110",
    ),
    "value outside the unit's range": (
        csv_file("2020;2b;;5100-ENT;120;"),
        3,
        "waarde",
        "Waarde '120' past niet bij de eenheid van de indicator, een percentage: moet tussen 0 en 100 liggen",
    ),
    "score outside 1-10": (
        csv_file("2020;1a;;5100-ENT;0,5;"),
        3,
        "waarde",
        "Waarde '0,5' past niet bij de eenheid van de indicator, een rapportcijfer: moet tussen 1 en 10 liggen",
    ),
    "duplicate in the file": (csv_file(VALID), 3, "indicator", "staat ook in rij 2"),
    "year outside the agenda": (csv_file("2030;2b;;5100-ENT;5;"), 3, "jaar", "Jaar 2030 valt buiten de agenda"),
    "not a number": (csv_file("2020;2b;;5100-ENT;abc;"), 3, "waarde", "Geen getal: 'abc'"),
    "formula in a CSV": (csv_file("2020;2b;;5100-ENT;=A1*2;"), 3, "waarde", "Formules zijn niet toegestaan"),
    "formula in Excel": (xlsx_with_formula(), 3, "waarde", "Formules zijn niet toegestaan"),
    "institution-only indicator at a team": (
        csv_file("2020;3c;;5100-ENT;50;"),
        3,
        "indicator",
        "Indicator 3c wordt alleen op instellingsniveau gemeten",
    ),
    "empty file": (b"", None, None, "Het bestand bevat geen gegevens"),
    "header only": (HEADER.encode() + b"\n", None, None, "Het bestand bevat geen gegevens"),
    "file over the size limit": (
        csv_file(*["2020;2b;;5100-ENT;5;"] * 60_000),
        None,
        None,
        "Het bestand is te groot (1,2 MB); de grens is 1 MB",
    ),
    "missing required column": (
        csv_file(header="jaar;indicator;college;team;n"),
        None,
        "waarde",
        "Verplichte kolom 'waarde' (of 'value') ontbreekt",
    ),
}


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    """Keep files in a temporary MEDIA_ROOT and set a 1 MB limit."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_MAX_BYTES = LIMIT


# One line of the command's stderr: "  [blad B, ]rij 3, kolom waarde (waarde 'abc'): Geen getal ...", or "  bestand: ...".
COMMAND_LINE = re.compile(
    r"^  (?:bestand|(?:blad (?P<sheet>.+?), )?(?:rij (?P<row>\d+))?(?:, )?(?:kolom (?P<column>\S+?))?)"
    r"(?: \(waarde (?P<value>.+?)\))?: (?P<message>.+)$"
)


def via_command(data: bytes, filename: str, tmp_path, client) -> tuple[int, list[dict]]:
    """Import through `import_benchmark`; return its exit status and the errors it printed."""
    path = tmp_path / filename
    path.write_bytes(data)
    err = StringIO()
    try:
        call_command("import_benchmark", str(path), stdout=StringIO(), stderr=err)
        status = 0
    except CommandError as exc:  # manage.py prints it on stderr and exits 1
        status = 1
        err.write(str(exc))
    lines = err.getvalue().splitlines()
    assert lines and "afgewezen, niets opgeslagen" in lines[0]
    errors = []
    for line in lines[1:]:
        match = COMMAND_LINE.match(line)
        assert match, line
        errors.append(
            {
                "row": int(match["row"]) if match["row"] else None,
                "column": match["column"],
                "message": match["message"],
            }
        )
    return status, errors


def via_web(data: bytes, filename: str, tmp_path, client) -> tuple[int, list[dict]]:
    """Upload on the page as beleid; return the status and the errors the page shows."""
    client.force_login(get_user_model().objects.get(username="beleid"))
    response = client.post("/uploads/", {"file": SimpleUploadedFile(filename, data)})
    errors = list(response.context["errors"]) if response.status_code == 400 else []
    html = response.content.decode()
    for error in errors:
        assert escape(error["message"]) in html  # every error is on the page, in the table
    return response.status_code, errors


def via_api(data: bytes, filename: str, tmp_path, client) -> tuple[int, list[dict]]:
    """POST the file to /api/v1/uploads/ with beleid's token; return the status and the body's errors."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username="beleid"))
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.post("/api/v1/uploads/", {"file": SimpleUploadedFile(filename, data)}, format="multipart")
    body = response.json()
    if response.status_code == 400:
        assert body["status"] == "rejected"  # contracts.md section 4
    return response.status_code, body.get("errors", [])


CHANNELS = {"command": via_command, "web": via_web, "api": via_api}
REJECTED = {"command": 1, "web": 400, "api": 400}


def snapshot() -> tuple:
    """Return every stored value, student number and history row."""
    return (
        list(Measurement.objects.order_by("pk").values_list()),
        list(StudentCount.objects.order_by("pk").values_list()),
        list(Measurement.history.order_by("history_id").values_list()),
        list(StudentCount.history.order_by("history_id").values_list()),
    )


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", CORPUS)
def test_a_bad_file_is_rejected_with_row_and_column_and_stores_nothing(rocvaf_demo, tmp_path, client, channel, kind):
    """Each error kind is rejected whole, names its row and column, and leaves every stored value as it was."""
    data, row, column, message = CORPUS[kind]
    filename = "benchmark.xlsx" if data.startswith(b"PK") else "benchmark.csv"
    before, uploads = snapshot(), Upload.objects.count()

    status, errors = CHANNELS[channel](data, filename, tmp_path, client)

    assert status == REJECTED[channel]
    assert any(e["row"] == row and e["column"] == column and message in e["message"] for e in errors), errors
    assert {e["row"] for e in errors} == {row}  # the valid row 2 is not blamed
    assert snapshot() == before
    # The attempt is on record, with the same errors the channel reported, and nothing applied.
    assert Upload.objects.count() == uploads + 1
    record = Upload.objects.latest("pk")
    assert record.status == UploadStatus.REJECTED and record.applied_at is None
    assert [e["message"] for e in record.errors] == [e["message"] for e in errors]
    assert [(e["row"], e["column"]) for e in record.errors] == [(e["row"], e["column"]) for e in errors]
