"""The annual-report workbook: pure, from payload dicts to XLSX bytes (no database)."""

import zipfile
from datetime import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from rapportage import exports

SHEETS = ["Toelichting", "Status", "Colleges", "Teams", "Budget", "Reserve", "Middelen"]


def report(*, name="Vsv", explanation="8 van de 12 colleges; behaald.", budget=True, warnings=()) -> dict:
    """Return a minimal report: one indicator with one college and two teams, and a budget."""
    status = {
        "indicator": "2b",
        "name": name,
        "theme": "T2",
        "year": 2022,
        "ambition_year": 2022,
        "ambition_type": "maintain",
        "polarity": "lower",
        "indicative": True,
        "baseline_year": 2016,
        "baseline": 6.7,
        "target": None,
        "tolerance": 0.5,
        "institution_value": 7.042956,
        "institution_met": True,
        "colleges_met": 1,
        "colleges_total": 1,
        "attained": True,
        "basis": "colleges",
        "institution_only": False,
        "explanation": explanation,
        "distance": "1 college marge",
        "colleges": [
            {
                "college": "5100",
                "name": "MBO College Zuidoost",
                "value": 6.1,
                "reference": 6.3,
                "met": True,
                "basis": "teams",
                "teams_contributed": 1,
                "teams_total": 2,
                "teams_needed": 0,
                "explanation": "1 van de 2 teams droeg bij",
                "teams": [
                    {"team": "5100-ENT", "value": 22.0, "reference": 25.0, "contributed": True, "n": 18},
                    {"team": "5100-VPK", "value": 4.0, "reference": 3.0, "contributed": False, "n": 120},
                ],
            }
        ],
    }
    body = {
        "year": 2022,
        "total_cents": 2_800_000_000,
        "themes": [
            {
                "theme": "T2",
                "share_pct": 25,
                "amount_cents": 700_000_000,
                "central_cents": 35_000_000,
                "colleges": [
                    {
                        "college": "5100",
                        "amount_cents": 665_000_000,
                        "fixed_cents": 498_750_000,
                        "result_dependent_cents": 166_250_001,
                        "released_cents": 83_125_000,
                        "reserved_cents": 83_125_001,
                        "indicators_met": 1,
                        "indicators_judged": 2,
                    }
                ],
            }
        ],
        "warnings": list(warnings),
    }
    funds = {
        "rows": [
            {
                "theme": "T2",
                "name": "Kwetsbare jongeren",
                "quality_cents": 700_000_000,
                "quality_pct_of_budget": 25,
                "quality_pct": 59,
                "other_cents": 480_000_000,
                "other_pct": 41,
                "total_cents": 1_180_000_000,
            }
        ],
        "total": {
            "quality_cents": 700_000_000,
            "quality_pct_of_budget": 25,
            "quality_pct": 59,
            "other_cents": 480_000_000,
            "other_pct": 41,
            "total_cents": 1_180_000_000,
        },
    }
    return {
        "meta": {
            "institution": "ROCVAF",
            "name": "ROC van Amsterdam en ROC van Flevoland",
            "year": 2022,
            "computed_at": datetime(2022, 11, 22, 14, 15),
            "synthetic": True,
        },
        "body": {"institution": "ROCVAF", "year": 2022, "indicators": [status]},
        "theme_names": {"T2": "Jongeren in kwetsbare positie"},
        "budget": {
            "body": body if budget else None,
            "college_names": {"5100": "MBO College Zuidoost"},
            "funds_table": funds if budget else None,
        },
    }


def open_workbook(content: bytes):
    """Return the workbook in `content`, read back with openpyxl."""
    return load_workbook(BytesIO(content))


def rows(ws) -> list[tuple]:
    """Return the sheet's values row by row."""
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def test_workbook_has_the_status_college_team_and_budget_sheets():
    """The workbook opens and holds one row per indicator, college, team and budget part."""
    wb = open_workbook(exports.annual_report_xlsx(report()))
    assert wb.sheetnames == SHEETS
    status = rows(wb["Status"])
    assert status[0][:6] == ("Thema", "Themanaam", "Indicator", "Naam", "Jaar", "Oordeel")
    assert status[1][:6] == ("T2", "Jongeren in kwetsbare positie", "2b", "Vsv", 2022, "behaald")
    header = status[0]
    assert status[1][header.index("Instelling")] == pytest.approx(7.042956)
    assert status[1][header.index("Uitleg")] == "8 van de 12 colleges; behaald."
    assert status[1][header.index("Ambitie")] == "behoud (marge 0,5)"
    colleges = rows(wb["Colleges"])
    assert colleges[1][:4] == ("2b", "5100", "MBO College Zuidoost", "gehaald")
    teams = rows(wb["Teams"])
    assert [r[2] for r in teams[1:]] == ["5100-ENT", "5100-VPK"]
    assert teams[1][5:8] == ("droeg bij", 18, "ja") and teams[2][5:8] == ("droeg niet bij", 120, None)
    budget = rows(wb["Budget"])
    part = budget[1]
    assert part[:2] == ("T2 Jongeren in kwetsbare positie", "5100 MBO College Zuidoost")
    assert Decimal(str(part[4])) == Decimal("1662500.01")  # exact cents, not a rounded float
    assert budget[-1][:3] == ("Totaal", None, 28_000_000)
    assert wb["Budget"].cell(row=2, column=3).number_format == exports.EURO
    middelen = rows(wb["Middelen"])
    assert middelen[1][:4] == ("T2 Kwetsbare jongeren", 25, 7_000_000, 59)
    assert "synthetische" in " ".join(str(r[0]) for r in rows(wb["Toelichting"]))


LEDGER = {
    "released_from_reserve_cents": 12_345,
    "reserve_releases": [{"from_year": 2019, "indicator": "2b", "cents": 12_345}],
    "reserve_open_cents": 83_125_101,
    "reserve_open": [
        {"from_year": 2021, "indicator": "2c", "cents": 100},
        {"from_year": 2022, "indicator": "2c", "cents": 83_125_001},
    ],
    "not_realised_cents": 83_125_101,
    "not_realised": [
        {"from_year": 2021, "indicator": "2c", "cents": 100},
        {"from_year": 2022, "indicator": "2c", "cents": 83_125_001},
    ],
}


def with_ledger(report_: dict) -> dict:
    """Return the report with a reserve ledger in the 2022 budget: the period's last budget year."""
    body = report_["budget"]["body"]
    theme = body["themes"][0]
    theme["colleges"][0].update(LEDGER)
    for level in (body, theme):
        level.update(released_from_reserve_cents=12_345, reserve_open_cents=83_125_101, not_realised_cents=83_125_101)
    return report_


def test_the_reserve_ledger_is_in_the_budget_sheet_and_has_its_own_sheet():
    """Released from reserve and still open per college and in the totals; every portion on the Reserve sheet."""
    wb = open_workbook(exports.annual_report_xlsx(with_ledger(report())))
    budget = rows(wb["Budget"])
    header = budget[0]
    column = header.index("Uit reserve vrijgegeven (eerdere jaren)")
    assert header[column + 1] == "Reserve nog open na dit jaar"
    assert [Decimal(str(v)) for v in budget[1][column:]] == [Decimal("123.45"), Decimal("831251.01")]
    assert budget[-2][0] == "Totaal" and Decimal(str(budget[-2][column])) == Decimal("123.45")
    assert budget[-1][0] == "Niet gerealiseerd na het laatste budgetjaar"
    assert Decimal(str(budget[-1][column + 1])) == Decimal("831251.01")
    reserve = rows(wb["Reserve"])
    assert "principe 8" in reserve[0][0]
    assert reserve[2] == ("Thema", "College", "Stand", "Gereserveerd in", "Indicator", "Bedrag")
    assert [r[2:5] for r in reserve[3:]] == [
        ("uit reserve vrijgegeven in 2022", 2019, "2b"),
        ("niet gerealiseerd", 2021, "2c"),
        ("niet gerealiseerd", 2022, "2c"),
    ]
    assert wb["Reserve"].cell(row=4, column=6).number_format == exports.EURO


def test_a_year_with_nothing_reserved_says_so_on_the_reserve_sheet():
    """Without releases or open reserve the Reserve sheet says so instead of an empty table."""
    wb = open_workbook(exports.annual_report_xlsx(report()))
    assert rows(wb["Reserve"])[2][0] == "Geen reserve vrijgegeven in 2022 en niets meer open."


def test_budget_warnings_come_first_on_the_budget_sheet():
    """When the agenda breaks its own budget rules the warning heads the budget sheet."""
    wb = open_workbook(exports.annual_report_xlsx(report(warnings=["De aandelen tellen op tot 90 %, niet tot 100 %."])))
    assert wb["Budget"]["A1"].value == "Waarschuwing: De aandelen tellen op tot 90 %, niet tot 100 %."


def test_a_year_without_budget_says_so():
    """Without a budget the budget sheets explain that instead of being empty."""
    wb = open_workbook(exports.annual_report_xlsx(report(budget=False)))
    assert wb["Budget"]["A1"].value == "Geen budget voor 2022 in de agenda."
    assert wb["Middelen"]["A1"].value.startswith("Geen budget")


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://evil","klik")', "+1+1", "-1+1", "@SUM(1)", "=cmd|'/C calc'!A0"])
def test_formula_looking_text_is_written_as_a_string_never_a_formula(evil):
    """A formula-looking name or explanation arrives as the same text, typed string, with a quote prefix."""
    content = exports.annual_report_xlsx(report(name=evil, explanation=evil))
    with zipfile.ZipFile(BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for sheet in sheets:
            assert b"<f>" not in archive.read(sheet)  # no formula element anywhere
    ws = open_workbook(content)["Status"]
    header = [c.value for c in ws[1]]
    for column in ("Naam", "Uitleg"):
        cell = ws.cell(row=2, column=header.index(column) + 1)
        assert cell.value == evil
        assert cell.data_type == "s"
        assert cell.quotePrefix is True


def test_ordinary_text_has_no_quote_prefix():
    """Only formula-looking texts are marked; ordinary ones stay plain."""
    ws = open_workbook(exports.annual_report_xlsx(report()))["Status"]
    assert ws["D2"].value == "Vsv" and not ws["D2"].quotePrefix


@pytest.mark.parametrize("verdict", [True, False, None])
def test_workbook_pages_and_charts_call_a_verdict_by_the_same_word(verdict):
    """The export, the badge filter and the heatmap take one word per verdict and level from words.py."""
    import re

    from rapportage.charts import verdict_heatmap
    from rapportage.templatetags.kwaliteit import verdict as badge

    body = {"indicators": [report()["body"]["indicators"][0]]}
    status = body["indicators"][0]
    status["attained"] = verdict
    status["colleges"][0]["met"] = verdict
    status["colleges"][0]["teams"][0]["contributed"] = verdict

    def word(level):
        return re.fullmatch(r'<span class="verdict [a-z]+">(.*)</span>', str(badge(verdict, level))).group(1)

    assert exports.status_rows(body, {})[0][5] == word("indicator")
    assert exports.college_rows(body)[0][3] == word("college")
    assert exports.team_rows(body)[0][5] == word("team")
    cells = verdict_heatmap([status])["data"][0]["text"]
    assert cells[0][0].startswith(f"{'✓✗–'[[True, False, None].index(verdict)]} {word('indicator')}")
    assert cells[1][0].startswith(f"{'✓✗–'[[True, False, None].index(verdict)]} {word('college')}")
