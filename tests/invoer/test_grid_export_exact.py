"""The grid's Excel export keeps every digit, and uploading it back changes nothing (domain.md: exact numbers).

A number cell is a binary float, and Excel keeps 15 significant digits of it: a count of
123456789012,345677 used to be exported as a number cell that read back as 123456789012,3457,
and uploading the export stored the rounded value without a conflict.
"""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from agenda.choices import Role
from agenda.models import College, Membership
from indicatoren.models import Measurement, Upload
from invoer.grid import _excel_number
from tests.rapportage.exact_world import load_exact_world, measure

BIG = "123456789012.345677"  # 18 significant digits: storage's edge (kern.rules)
BIG_NL = "123456789012,345677"
YEAR = 2020


@pytest.mark.parametrize(
    ("stored", "cell"),
    [
        ("15.000000", 15),
        ("77.500000", Decimal("77.5")),
        ("123456789.123456", Decimal("123456789.123456")),  # 15 digits: a float and Excel keep them
        ("1234567890.123456", "1234567890,123456"),  # 16 digits: text
        (BIG, BIG_NL),
        ("999999999999.000000", 999999999999),  # whole: 12 digits at most, always a number
    ],
)
def test_only_a_value_beyond_fifteen_significant_digits_becomes_text(stored, cell):
    """A value Excel keeps exactly stays a number; a longer one is its exact text with a decimal comma."""
    written = _excel_number(Decimal(stored))
    assert (type(written), written) == (type(cell), cell)


@pytest.fixture
def world(client, settings, tmp_path, db):
    """Return a client logged in as the director of C1, whose team C1-T1 has the 18-digit count in 2020."""
    settings.MEDIA_ROOT = tmp_path
    institution = load_exact_world()
    measure(BIG, "C1-T1", YEAR)
    measure("15", "C1-T2", YEAR)
    measure("1234.5", "C1-T2", 2021)
    user = get_user_model().objects.create_user(username="directeurC1", password="x")
    membership = Membership.objects.create(user=user, institution=institution, role=Role.DIRECTOR)
    membership.colleges.set([College.objects.get(institution=institution, code="C1")])
    client.force_login(user)
    return client


def _export(client) -> openpyxl.Workbook:
    """Download C1's grid export and open it."""
    response = client.get("/invoer/college/C1/export.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _cell(sheet, team_code: str, column: str):
    """Return the cell of a team's row under a header."""
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == team_code)
    return row[header.index(column)]


def _value(team_code: str, year: int = YEAR) -> Decimal:
    """Return the stored count of a team."""
    return Measurement.objects.get(indicator__code="cnt", team__code=team_code, year=year).value


def test_a_value_beyond_fifteen_digits_is_exported_as_its_exact_text(world):
    """123456789012,345677 is a text cell with every digit; 15 and 1234,5 stay number cells."""
    workbook = _export(world)
    big = _cell(workbook[str(YEAR)], "C1-T1", "cnt")
    assert (big.data_type, big.value) == ("s", BIG_NL)
    small = _cell(workbook[str(YEAR)], "C1-T2", "cnt")
    assert (small.data_type, small.value) == ("n", 15)
    assert _cell(workbook["2021"], "C1-T2", "cnt").value == 1234.5


def test_the_export_uploaded_back_keeps_the_exact_value(world):
    """Export, change another team's cell, upload and confirm: the 18-digit count is untouched and unchanged."""
    workbook = _export(world)
    _cell(workbook[str(YEAR)], "C1-T2", "cnt").value = 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "resultaten-C1.xlsx"
    response = world.post("/invoer/college/C1/upload/", {"file": buffer})
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = world.get(response["Location"])
    assert preview.context["counts"]["gewijzigd"] == 1  # only C1-T2: the big value reads back as stored
    record = Upload.objects.latest("id")
    fingerprint = preview.context["confirm_form"].initial["fingerprint"]
    assert world.post(f"/uploads/{record.pk}/bevestigen/", {"fingerprint": fingerprint}).status_code == 302
    assert _value("C1-T2") == Decimal(16)
    assert _value("C1-T1") == Decimal(BIG)
    assert Measurement.objects.get(indicator__code="cnt", team__code="C1-T1", year=YEAR).history.count() == 1
