"""Text in every CSV and XLSX the project writes never runs as a formula, and reads back exactly (issue 13).

One helper (kern/spreadsheet.py) for the backup's data.csv, the API's status CSV, the grid export
and the annual-report workbook; the importer undoes the CSV apostrophe on codes.
"""

import csv
import io
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from agenda.choices import Level
from agenda.models import College, Indicator, Team
from indicatoren.models import Measurement, Upload
from kern import spreadsheet
from rapportage.api.renderers import status_csv

EVIL = ["=1+2", "+cmd|' /C calc'!A0", "@SUM(A1:A3)", "-2+3", "\t=1", "\r=1"]
LEGACY_CODES = ["=1+2", "+cmd", "@SUM"]


@pytest.mark.parametrize(
    ("text", "formula_like"),
    [
        ('=HYPERLINK("http://x","klik")', True),
        ("+31 20 1234567", True),
        ("-2+3", True),
        ("@SUM(A1:A9)", True),
        ("\t=1+1", True),
        ("\r=1+1", True),
        ("Vsv", False),
        ("8 van de 12 = tweederde", False),
        ("– geen oordeel", False),  # an en dash is not a minus
        ("'t Gooi", False),
        ("", False),
    ],
)
def test_is_formula_like_recognises_what_a_spreadsheet_would_evaluate(text, formula_like):
    """Texts starting with = + - @ tab or carriage return are formula-like (OWASP CSV injection)."""
    assert spreadsheet.is_formula_like(text) is formula_like


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd", "'+cmd"),
        ("@SUM", "'@SUM"),
        ("-2", "'-2"),
        ("\t=1", "'\t=1"),
        ("'=1+2", "''=1+2"),  # an apostrophe of its own is kept: one more is added
        ("'t Gooi", "'t Gooi"),
        ("5100-ENT", "5100-ENT"),
        ("", ""),
    ],
)
def test_a_csv_text_that_a_spreadsheet_would_run_gets_an_apostrophe(text, written):
    """The OWASP apostrophe goes before exactly the texts a spreadsheet would run, and comes off again."""
    assert spreadsheet.csv_text(text) == written
    assert spreadsheet.csv_restore(written) == text


@given(st.text())
def test_restoring_a_neutralised_text_gives_it_back_exactly(text):
    """For every text: what csv_text writes is never formula-like and csv_restore gives the text back."""
    written = spreadsheet.csv_text(text)
    assert not spreadsheet.is_formula_like(written)
    assert spreadsheet.csv_restore(written) == text


def test_numbers_stay_numbers_in_a_csv_row():
    """csv_cell touches text only: an int, a Decimal and an empty cell are written as they are."""
    assert [spreadsheet.csv_cell(v) for v in (7, Decimal("-2.5"), None, "=x")] == [7, Decimal("-2.5"), None, "'=x"]


def test_the_api_status_csv_neutralises_names_and_keeps_numbers():
    """The status list's CSV writes a formula-like indicator name with an apostrophe; numbers unchanged."""
    body = {"indicators": [{"indicator": "=1+2", "name": "@SUM(A1)", "baseline": Decimal("-1.5"), "year": 2020}]}
    rows = list(csv.reader(io.StringIO(status_csv(body))))
    assert rows[1][:4] == ["'=1+2", "'@SUM(A1)", "", "2020"]
    assert rows[1][5] == "-1.5"


@pytest.fixture
def legacy_teams(rocvaf_demo):
    """Return three teams of 5100 stored before the code rule with formula-like codes and names, each with values."""
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="1a")
    teams = []
    for number, code in enumerate(LEGACY_CODES):
        team = Team.objects.create(institution=rocvaf_demo, college=college, code=code, name=EVIL[number])
        for year in (2020, 2022):
            Measurement.objects.create(
                indicator=indicator,
                year=year,
                level=Level.TEAM,
                college=college,
                team=team,
                value=Decimal("7.25") + number,
                n=30 + number,
            )
        teams.append(team)
    return teams


def _values(institution) -> list[tuple]:
    """Return every stored value of the institution as plain tuples."""
    return sorted(
        Measurement.objects.filter(indicator__institution=institution).values_list(
            "indicator__code", "year", "level", "college__code", "team__code", "value", "n"
        )
    )


def test_the_backup_csv_neutralises_codes_and_the_restore_reads_them_back(rocvaf_demo, legacy_teams, tmp_path):
    """export_institution writes '=1+2', '+cmd', '@SUM' as '\\'=1+2' ...; import_benchmark --restore stores the same values."""
    call_command("export_institution", str(tmp_path), stdout=StringIO())
    with open(tmp_path / "data.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    teams = {row[3] for row in rows[1:]}
    assert {"'=1+2", "'+cmd", "'@SUM"} <= teams
    assert not any(spreadsheet.is_formula_like(cell) for row in rows for cell in row)
    assert any(row[4] == "7,25" for row in rows)  # values stay numbers, Dutch as before

    before = _values(rocvaf_demo)
    Measurement.objects.filter(indicator__institution=rocvaf_demo).delete()
    call_command(
        "import_benchmark", str(tmp_path / "data.csv"), "--restore", "--note", "hersteld uit back-up", stdout=StringIO()
    )
    assert _values(rocvaf_demo) == before
    assert Measurement.objects.filter(team__code="=1+2").count() == 2


def test_an_unchanged_grid_export_with_formula_like_codes_uploads_cleanly(client, rocvaf_demo, legacy_teams, settings):
    """The grid export writes the codes and names as text (quote prefix); uploading it unchanged refuses nothing."""
    director = get_user_model().objects.get(username="directeur5100")
    client.force_login(director)
    response = client.get("/invoer/college/5100/export.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [row for row in workbook["2022"].iter_rows(min_row=2) if row[0].value in LEGACY_CODES]
    assert len(cells) == 3
    for code, name in (row[:2] for row in cells):
        assert code.data_type == "s" and code.quotePrefix and name.data_type == "s" and name.quotePrefix
    assert {row[0].value for row in cells} == set(LEGACY_CODES)

    before = _values(rocvaf_demo)
    upload = io.BytesIO(response.content)
    upload.name = "resultaten-5100.xlsx"
    answer = client.post("/invoer/college/5100/upload/", {"file": upload})
    assert answer.status_code == 302, answer.content.decode()[:3000]
    preview = client.get(answer["Location"])
    assert preview.status_code == 200
    assert preview.context["counts"]["gewijzigd"] == 0
    record = Upload.objects.latest("id")
    assert record.status != "rejected"
    assert _values(rocvaf_demo) == before
