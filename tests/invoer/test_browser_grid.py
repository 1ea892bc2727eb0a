"""The director's pages in a real browser (issue 5): grid entry with decimal commas, keyboard, no JavaScript."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import expect

from agenda.models import Indicator, Team
from indicatoren.models import Measurement
from rapportage.models import IndicatorResult, Version

pytestmark = pytest.mark.browser

YEAR = 2022


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Browse as a Dutch user: dates, number inputs and file pickers in Dutch."""
    return {**browser_context_args, "locale": "nl-NL"}


def key(code: str, team_code: str) -> str:
    """Return the field suffix of a grid cell."""
    return f"{Team.objects.get(code=team_code).pk}_{Indicator.objects.get(code=code).pk}"


def stored(code: str, team_code: str) -> Decimal | None:
    """Return the stored value of a team cell in YEAR."""
    m = Measurement.objects.filter(indicator__code=code, team__code=team_code, year=YEAR).first()
    return None if m is None else m.value


def college_entry(code: str, college: str = "5100") -> dict:
    """Return the stored STATUS entry of a college for an indicator in YEAR."""
    payload = IndicatorResult.objects.get(indicator__code=code, year=YEAR, version=Version.CURRENT).payload
    return next(c for c in payload["colleges"] if c["college"] == college)


def team_entry(code: str, team_code: str) -> dict:
    """Return the stored STATUS entry of a team."""
    return next(t for t in college_entry(code, team_code[:4])["teams"] if t["team"] == team_code)


def open_grid(page, live_server, college="5100"):
    """Go to the grid of YEAR."""
    page.goto(f"{live_server.url}/invoer/college/{college}/?jaar={YEAR}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Resultaten van de teams")


def test_director_enters_decimal_commas_saves_and_sees_the_college_verdicts_flip(
    rocvaf_demo_tx, login, page, live_server, screenshot
):
    """1a and 2b of 5100 in 2022 are 5 of 9 (not met); JUR 1a 7,5 and PW 2b 5,4% make both 6 of 9 (met)."""
    # The stored verdicts this test relies on (agenda ch. 4.3: 3 * 6 >= 2 * 9, 3 * 5 < 2 * 9).
    for code, team in (("1a", "5100-JUR"), ("2b", "5100-PW")):
        entry = college_entry(code)
        assert (entry["met"], entry["teams_contributed"], entry["teams_total"]) == (False, 5, 9)
        assert team_entry(code, team)["contributed"] is False
    login("directeur5100")
    open_grid(page, live_server)
    expect(page.locator("#status-1a")).to_contain_text("niet gehaald")
    expect(page.locator("#status-1a")).to_contain_text("5 van 9 teams")
    screenshot("grid-1-before")

    page.locator(f"#v_{key('1a', '5100-JUR')}").fill("7,5")
    page.locator(f"#v_{key('2b', '5100-PW')}").fill("5,4%")
    expect(page.locator(f"td:has(#v_{key('1a', '5100-JUR')})")).to_have_class(re.compile("changed"))
    screenshot("grid-2-typed")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state("networkidle")

    messages = page.locator(".messages")
    expect(messages).to_contain_text("Opgeslagen voor 2022: 0 nieuw, 2 gewijzigd, 0 verwijderd.")
    expect(messages).to_contain_text(
        "Oordeel 5100 voor 1a in 2022: niet gehaald → gehaald (6 van 9 teams droegen bij)."
    )
    expect(messages).to_contain_text(
        "Oordeel 5100 voor 2b in 2022: niet gehaald → gehaald (6 van 9 teams droegen bij)."
    )
    for code in ("1a", "2b"):
        expect(page.locator(f"#status-{code} .verdict")).to_have_text("gehaald")
        expect(page.locator(f"#status-{code}")).to_contain_text("6 van 9 teams")
    expect(page.locator(f"#v_{key('1a', '5100-JUR')}")).to_have_value("7,5")
    expect(page.locator(f"#m_{key('1a', '5100-JUR')}")).to_contain_text("directeur5100")
    assert (stored("1a", "5100-JUR"), stored("2b", "5100-PW")) == (Decimal("7.5"), Decimal("5.4"))
    assert college_entry("1a")["met"] is True and college_entry("2b")["met"] is True
    screenshot("grid-3-saved")
    # The right-hand indicators scroll into view while the team column stays put.
    page.locator(".grid-scroll").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    page.locator("thead th.ind-col").last.scroll_into_view_if_needed()
    expect(page.locator("thead th.ind-col").last).to_be_in_viewport()
    expect(page.locator("thead th.ind-col").last).to_contain_text("5a")
    expect(page.locator("tbody th.team-col").first).to_be_in_viewport()
    screenshot("grid-3b-scrolled-right")

    page.locator(f"#m_{key('1a', '5100-JUR')}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Geschiedenis van 1a voor team 5100-JUR")
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("directeur5100")
    expect(first).to_contain_text("6,6")
    expect(first).to_contain_text("7,5")
    screenshot("grid-4-history")


def test_an_invalid_cell_is_explained_beside_it_and_leaving_warns(rocvaf_demo_tx, login, page, live_server, screenshot):
    """120 % is refused beside the cell, nothing is stored, and leaving the page asks first."""
    before = (stored("1a", "5100-JUR"), stored("2b", "5100-PW"))
    login("directeur5100")
    open_grid(page, live_server)
    page.locator(f"#v_{key('1a', '5100-JUR')}").fill("7,5")
    page.locator(f"#v_{key('2b', '5100-PW')}").fill("120")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state("networkidle")

    bad = page.locator(f"#v_{key('2b', '5100-PW')}")
    expect(bad).to_have_attribute("aria-invalid", "true")
    expect(bad).to_have_value("120")
    message = page.locator(f"#ve_{key('2b', '5100-PW')}")
    expect(message).to_be_visible()
    expect(message).to_contain_text("tussen 0 en 100")
    assert bad.get_attribute("aria-describedby").split()[0] == f"ve_{key('2b', '5100-PW')}"
    # Beside the cell: the message sits in the same table cell, right under the input.
    cell_box = page.locator(f"td:has(#v_{key('2b', '5100-PW')})").bounding_box()
    message_box = message.bounding_box()
    assert (
        cell_box["x"] <= message_box["x"]
        and message_box["x"] + message_box["width"] <= cell_box["x"] + cell_box["width"]
    )
    expect(page.locator("#grid-errors")).to_contain_text("Niets opgeslagen")
    expect(page.locator(f"#v_{key('1a', '5100-JUR')}")).to_have_value("7,5")
    assert (stored("1a", "5100-JUR"), stored("2b", "5100-PW")) == before
    bad.scroll_into_view_if_needed()
    screenshot("grid-6-error")

    # The re-rendered page holds unsaved entries: leaving asks (beforeunload, static/js/grid.js).
    dialogs = []

    def answer(dialog):
        """Record the dialog and stay on the page."""
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    bad.click()
    page.keyboard.press("End")
    page.keyboard.type("0")
    page.get_by_role("link", name="Teams", exact=True).click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert "/invoer/college/5100/" in page.url  # dismissed: still on the grid


def test_the_grid_works_without_javascript(rocvaf_demo_tx, browser, live_server, screenshot):
    """With JavaScript off the grid is a plain form: typing and pressing Opslaan stores the value."""
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Gebruikersnaam").fill("directeur5100")
        page.get_by_label("Wachtwoord").fill("kwaliteit2019")
        page.get_by_role("button", name="Inloggen").click()
        open_grid(page, live_server)
        page.locator(f"#v_{key('1a', '5100-JUR')}").fill("7.5")
        page.get_by_role("button", name="Opslaan").click()
        expect(page.locator(".message.success")).to_contain_text("1 gewijzigd")
        assert stored("1a", "5100-JUR") == Decimal("7.5")
    finally:
        context.close()


def test_export_change_and_upload_in_the_browser(
    rocvaf_demo_tx, login, page, live_server, screenshot, settings, tmp_path
):
    """Download the export, break one value and upload (every error listed), then fix it and upload again."""
    settings.MEDIA_ROOT = tmp_path
    login("directeur5100")
    open_grid(page, live_server)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporteren naar Excel").click()
    download = download_info.value
    assert download.suggested_filename == "resultaten-5100.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))
    assert workbook.sheetnames == ["2019", "2020", "2021", "2022", "bij export"]  # the last one hidden
    sheet = workbook["2022"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "5100-JUR")
    row[header.index("1a")].value = 12  # a score above 10
    row[header.index("n 1a")].value = "veel"

    def file_of(book) -> dict:
        """Return the workbook as a file for the file input."""
        buffer = io.BytesIO()
        book.save(buffer)
        return {"name": "resultaten-5100.xlsx", "mimeType": "application/octet-stream", "buffer": buffer.getvalue()}

    page.get_by_role("link", name="Excel uploaden").first.click()
    page.get_by_label("Bestand").set_input_files(file_of(workbook))
    page.get_by_role("button", name="Uploaden en controleren").click()
    expect(page.locator("#upload-errors")).to_contain_text("2 fouten")
    expect(page.locator("table.upload-errors tbody tr")).to_have_count(2)
    screenshot("grid-7-upload-errors")

    row[header.index("1a")].value = 7.5
    row[header.index("n 1a")].value = 110
    page.get_by_label("Bestand").set_input_files(file_of(workbook))
    page.get_by_role("button", name="Uploaden en controleren").click()
    # A dry run first (issue 12): what changes and which verdicts flip; nothing stored yet.
    expect(page.locator(".summary-counts")).to_contain_text("1 gewijzigd")
    assert stored("1a", "5100-JUR") != Decimal("7.5")
    page.get_by_role("button", name="Bevestigen en opslaan").click()
    expect(page.locator(".message.success")).to_contain_text("1 gewijzigd")
    assert stored("1a", "5100-JUR") == Decimal("7.5")
    page.get_by_role("link", name="Resultaten 5100").click()
    expect(page.locator("#status-1a .verdict")).to_have_text("gehaald")
    screenshot("grid-8-upload-done")


def test_teams_and_measures_pages_in_the_browser(rocvaf_demo_tx, login, page, live_server, screenshot):
    """A director adds a team, records a measure with a euro amount, a story and a Q-review."""
    login("directeur5100")
    page.goto(f"{live_server.url}/teams/college/5100/")
    screenshot("teams-1-list")
    page.get_by_label("Teamcode").fill("5100-SPV")
    page.get_by_label("Naam").fill("Sport en Bewegen")
    page.get_by_role("button", name="Team toevoegen").click()
    expect(page.locator(".message.success")).to_contain_text("5100-SPV")
    page.get_by_role("link", name="Wijzigen 5100-JUR").click()
    page.get_by_label("Actief tot en met (jaar)").fill("2021")
    page.get_by_label("Actief tot en met (jaar)").press("Enter")
    expect(page.locator(".message.success")).to_contain_text("5100-JUR")
    page.get_by_role("link", name="Verwijderen 5100-SPV").click()
    screenshot("teams-2-delete-confirm")
    page.get_by_role("button", name="Ja, verwijderen").click()
    expect(page.locator(".message.success")).to_contain_text("verwijderd")
    assert not Team.objects.filter(code="5100-SPV").exists()
    assert Team.objects.get(code="5100-JUR").active_until == 2021

    page.get_by_role("link", name="Maatregelen en merkbaar").click()
    page.get_by_role("link", name="Maatregel toevoegen").click()
    page.get_by_label("Titel").fill("Huiswerkklas niveau 2")
    page.get_by_label("Thema").select_option(label="T2 Jongeren in kwetsbare positie")
    page.get_by_label("begeleiding, ondersteuning en stimulering").check()
    page.get_by_label("2b Percentage voortijdig schoolverlaten (vsv)").check()
    page.get_by_label("Gepland budget (euro)").fill("12.500,50")
    page.get_by_label("Eigenaar").fill("Teamleider niveau 2")
    screenshot("measures-1-form")
    page.get_by_role("button", name="Maatregel toevoegen").click()
    expect(page.locator(".message.success")).to_contain_text("toegevoegd")
    expect(page.get_by_role("row", name=re.compile("Huiswerkklas niveau 2"))).to_contain_text("€ 12.500,50")

    page.get_by_role("link", name="Merkbaar bewijs toevoegen").click()
    page.get_by_label("verhaal").check()
    page.get_by_label("Thema").select_option(label="T2 Jongeren in kwetsbare positie")
    page.get_by_label("Team").select_option(label="5100-ENT Entree Zuidoost")
    page.get_by_label("Jaar").select_option("2021")
    page.get_by_label("Titel").fill("<b>Een stap verder</b>")
    page.get_by_label("Tekst").fill("Na de entreeopleiding stroomde Sam door naar niveau 2.")
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.get_by_role("heading", name="<b>Een stap verder</b>")).to_be_visible()  # shown as text

    page.get_by_role("link", name="Q-gesprek vastleggen").click()
    page.get_by_label("Jaar").select_option("2020")
    page.get_by_label("Quadrimester").select_option("2")
    page.get_by_label("Verslag").fill("Dubbel")
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.locator("#id_quadrimester_error")).to_contain_text("al een Q-gesprek")
    screenshot("measures-2-review-error")
    page.get_by_label("Quadrimester").select_option("3")
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.locator(".message.success")).to_contain_text("Q-gesprek")
    screenshot("measures-3-page")
