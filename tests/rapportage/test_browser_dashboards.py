"""The board dashboards in a real browser: every page as `bestuur`, verdicts equal to agenda_status."""

import json
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.rapportage.test_browser_responsive import draw_every_chart

pytestmark = pytest.mark.browser

WORDS = {True: "behaald", False: "niet behaald", None: "geen oordeel"}
COLLEGE_WORDS = {True: "gehaald", False: "niet gehaald", None: "geen oordeel"}


def agenda_status(year: int) -> dict[str, dict]:
    """Return `agenda_status --year Y --format json` per indicator code (contracts.md section 3)."""
    out = StringIO()
    call_command("agenda_status", "--year", str(year), "--format", "json", stdout=out)
    return {s["indicator"]: s for s in json.loads(out.getvalue())["indicators"]}


def shown_verdicts(page, rows: str) -> dict[str, str]:
    """Return the verdict word shown in each table row matched by `rows` (keyed by data-indicator)."""
    result = {}
    for row in page.locator(rows).all():
        result[row.get_attribute("data-indicator")] = row.locator(".verdict").first.inner_text().strip()
    return result


def wait_for_charts(page, count: int) -> None:
    """Scroll to every chart (each draws when it comes near the viewport), then check plotly drew `count`."""
    draw_every_chart(page)
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {count}")
    assert page.locator(".js-plotly-plot").count() == count
    # Drawn, not only initialised: every chart has an SVG with content.
    assert page.locator(".js-plotly-plot .main-svg").count() >= count


def test_board_member_walks_every_dashboard_page(rocvaf_demo_tx, live_server, login, page, screenshot):
    """bestuur sees the stored verdicts on every page, charts render, and the print layout shows every theme."""
    page.set_viewport_size({"width": 1366, "height": 900})
    login("bestuur")
    base = live_server.url
    status_2022, status_2020 = agenda_status(2022), agenda_status(2020)

    # Overview: each verdict word equals agenda_status; the count strip and all five themes are there.
    page.goto(f"{base}/dashboard/?jaar=2022")
    assert shown_verdicts(page, ".status-table tr[data-indicator]") == {
        code: WORDS[s["attained"]] for code, s in status_2022.items()
    }
    met = sum(1 for s in status_2022.values() if s["attained"])
    assert page.locator(".tally-item.met .tally-n").inner_text() == str(met)
    for code in ("T1", "T2", "T3", "T4", "T5"):
        assert page.locator(f"#theme-{code}").is_visible()
    assert page.locator(".run-state").first.inner_text().startswith("Laatste herberekening: klaar")
    screenshot("dashboard-overview-2022")

    # Choosing another year with the select and pressing "Toon" (WCAG 3.2.2: choosing alone does
    # not navigate) reloads with its verdicts.
    page.select_option("#jaar", "2020")
    page.get_by_role("button", name="Toon").click()
    page.wait_for_url("**jaar=2020")
    assert page.get_by_role("heading", name="Stand van de ambities in 2020").is_visible()
    assert shown_verdicts(page, ".status-table tr[data-indicator]") == {
        code: WORDS[s["attained"]] for code, s in status_2020.items()
    }

    # Every indicator page: the verdict equals agenda_status; trend, team spread and heatmap render.
    for code, status in status_2022.items():
        page.goto(f"{base}/dashboard/indicator/{code}/?jaar=2022")
        assert page.locator(".verdict-line .verdict").inner_text() == WORDS[status["attained"]]
        assert status["explanation"] in page.locator(".verdict-panel .explanation").inner_text()
        charts = 2 if status["institution_only"] else 3
        # Plus one small-multiples chart per breakdown with values (issue 18: 2a, 2b and 3b in the demo).
        charts += page.locator('[data-figure^="fig-breakdown"]').count()
        wait_for_charts(page, charts)
        # The heatmap's columns are the agenda years as drawn labels (a numeric axis would be a bug).
        heat_columns = page.locator('[data-figure="fig-heatmap"] .xtick text').all_text_contents()
        assert heat_columns == ["2019 (tussentijds)", "2020", "2021 (tussentijds)", "2022"]
        assert page.locator('[data-figure="fig-heatmap"] .hm image').count() == 1
        legend = page.locator('[data-figure="fig-trend"] .legendtext').all_text_contents()
        assert "Instelling" in legend and any(t.startswith("Nulmeting") for t in legend)
        for college in status["colleges"]:
            cell = page.locator(f'.college-table tr[data-college="{college["college"]}"] .verdict')
            assert cell.inner_text() == COLLEGE_WORDS[college["met"]]
        if code in ("2b", "3c"):
            screenshot(f"dashboard-indicator-{code}")
    # Small groups are flagged in the team table with the reason.
    page.goto(f"{base}/dashboard/indicator/2b/?jaar=2022")
    wait_for_charts(page, 4)  # trend, teams, heatmap and the breakdown per mbo level (issue 18)
    small = next(
        (c["college"], t["team"]) for c in status_2022["2b"]["colleges"] for t in c["teams"] if t["n"] and t["n"] < 20
    )
    details = page.locator(f'.college-table tr[data-college="{small[0]}"] + tr details')
    flag = details.locator(f'tr[data-team="{small[1]}"] .flag.small-group')
    assert not flag.is_visible()  # the team list is folded away until asked for
    details.locator("summary").press("Enter")  # keyboard: the summary is focusable
    assert flag.is_visible() and flag.get_attribute("title").startswith("kleine groep")
    assert page.get_by_text("één student verschuift het percentage sterk").first.is_visible()

    # Colleges and one college page: results per indicator equal the stored college verdicts.
    page.goto(f"{base}/dashboard/colleges/?jaar=2022")
    assert page.locator("tr[data-college]").count() == 12
    screenshot("dashboard-colleges")
    page.goto(f"{base}/dashboard/college/5100/?jaar=2022")
    shown = shown_verdicts(page, ".college-table tr[data-indicator]")
    for code, status in status_2022.items():
        entry = next((c for c in status["colleges"] if c["college"] == "5100"), None)
        if entry is not None:
            assert shown[code] == COLLEGE_WORDS[entry["met"]]
    assert page.get_by_text("Resultaten invoeren").count() == 0  # the board only reads
    screenshot("dashboard-college-5100")

    # Budget: three charts, no warning for the demo, the ch. 12 table.
    page.goto(f"{base}/dashboard/budget/?jaar=2022")
    wait_for_charts(page, 3)
    tiles = page.locator('[data-figure="fig-treemap"] g.slice').count()
    assert tiles >= 1 + 5 + 5 * 12  # the root, five themes and every college inside them
    assert page.locator('[data-figure="fig-colleges"] .ytick text').count() == 12
    assert page.locator("[role=alert]").count() == 0
    assert page.locator(".funds-table tfoot").inner_text().split() == [
        "Totaal", "65", "%", "€", "18,20", "mln", "59", "%", "€", "12,40", "mln", "41", "%", "€", "30,60", "mln", "100", "%"
    ]  # fmt: skip
    screenshot("dashboard-budget")

    # Herijking: both verdicts side by side.
    page.goto(f"{base}/dashboard/herijking/?jaar=2022")
    assert shown_verdicts(page, ".herijking-table tr[data-indicator]").keys() == status_2022.keys()
    for code, status in status_2022.items():
        current = page.locator(f'.herijking-table tr[data-indicator="{code}"] .current-verdict .verdict')
        assert current.inner_text() == WORDS[status["attained"]]
    assert page.locator(".revision").count() == 5
    screenshot("dashboard-herijking")

    # Export: the button downloads a workbook with the stored verdicts.
    page.goto(f"{base}/dashboard/?jaar=2022")
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel voor het jaarverslag").click()
    assert download.value.suggested_filename == "kwaliteitsagenda-ROCVAF-2022.xlsx"
    workbook = load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(workbook["Status"].iter_rows(values_only=True))
    verdict_column = rows[0].index("Oordeel")
    assert {r[2]: r[verdict_column] for r in rows[1:]} == {c: WORDS[s["attained"]] for c, s in status_2022.items()}

    # Print layout: no navigation, every theme visible, verdicts equal to agenda_status.
    page.goto(f"{base}/dashboard/afdrukken/?jaar=2022")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".print-toolbar").is_visible()
    for code in ("T1", "T2", "T3", "T4", "T5"):
        assert page.locator(f"#p-theme-{code}").is_visible()
    assert shown_verdicts(page, ".print-table tr[data-indicator]") == {
        code: WORDS[s["attained"]] for code, s in status_2022.items()
    }
    screenshot("dashboard-print")
    page.emulate_media(media="screen")


def test_director_lands_on_mijn_college_with_the_action_links(rocvaf_demo_tx, live_server, login, page, screenshot):
    """directeur5100 lands on college 5100 with its three action links; college 5200 has none."""
    page.set_viewport_size({"width": 1366, "height": 900})
    login("directeur5100")
    assert page.url.endswith("/dashboard/college/5100/")
    actions = page.get_by_role("navigation", name="Acties voor dit college")
    for text, path in (
        ("Resultaten invoeren", "/invoer/college/5100/"),
        ("Teams beheren", "/teams/college/5100/"),
        ("Maatregelen, merkbaar en Q-gesprekken", "/maatregelen/college/5100/"),
    ):
        assert actions.get_by_role("link", name=text).get_attribute("href") == path
    assert "Mijn college" in page.locator(".lead").first.inner_text()
    screenshot("dashboard-mijn-college-5100")
    page.goto(f"{live_server.url}/dashboard/college/5200/")
    assert page.get_by_role("navigation", name="Acties voor dit college").count() == 0
