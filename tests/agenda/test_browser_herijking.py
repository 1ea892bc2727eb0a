"""Issue 11 in a real browser: a director ends a team after 2020, policy staff revise entree and a theme share.

Screenshots (artifacts/screenshots/issue11-*) at phone 360 px, tablet 768 px and desktop 1366 px.
"""

import re

import pytest
from playwright.sync_api import expect

from agenda.models import Applicability, Team, ThemeShareRevision
from rapportage.models import IndicatorResult, Version

pytestmark = pytest.mark.browser

SIZES = {"phone": (360, 740), "tablet": (768, 1024), "desktop": (1366, 900)}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Browse as a Dutch user."""
    return {**browser_context_args, "locale": "nl-NL"}


def at_each_size(page, screenshot, name: str, fits: bool = True) -> None:
    """Take a full-page screenshot at phone, tablet and desktop width; with `fits`, the page never scrolls sideways."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(100)  # let the layout settle after the resize
        if fits:
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width} px"
        screenshot(f"issue11-{name}-{size}")
    page.set_viewport_size({"width": 1366, "height": 900})


def status(code: str, year: int) -> dict:
    """Return the stored current STATUS of an indicator in a year."""
    return IndicatorResult.objects.get(indicator__code=code, year=year, version=Version.CURRENT).payload


def test_director_ends_team_ona_after_2020_and_the_2022_grid_and_verdicts_leave_it_out(
    rocvaf_demo_tx, login, page, live_server, screenshot
):
    """directeur5100 sets 5100-ONA active until 2020: the 2022 grid lists it apart as not counted, the verdicts drop it."""
    base = live_server.url
    page.set_viewport_size({"width": 1366, "height": 900})
    login("directeur5100")

    # Before: ONA is an editable row of the 2022 grid and one of the college's teams in the verdicts.
    page.goto(f"{base}/invoer/college/5100/?jaar=2022")
    expect(page.locator("form table.grid tbody .team-code", has_text="5100-ONA")).to_have_count(1)
    expect(page.locator("#uncounted-title")).to_have_count(0)
    page.goto(f"{base}/dashboard/college/5100/?jaar=2022")
    assert page.locator('tr[data-team="5100-ONA"]').count() > 0

    # The teams page: change ONA, keyboard only for the year.
    page.goto(f"{base}/teams/college/5100/")
    expect(page.get_by_role("row", name=re.compile("5100-ONA"))).to_contain_text("altijd")
    page.get_by_role("link", name="Wijzigen 5100-ONA").click()
    at_each_size(page, screenshot, "team-ona-form")
    page.get_by_label("Actief tot en met (jaar)").fill("2020")
    page.get_by_label("Actief tot en met (jaar)").press("Enter")
    expect(page.locator(".message.success")).to_contain_text("5100-ONA")
    expect(page.get_by_role("row", name=re.compile("5100-ONA"))).to_contain_text("tot en met 2020")
    assert Team.objects.get(code="5100-ONA").active_until == 2020
    at_each_size(page, screenshot, "teams-5100-ona-ended")

    # The 2022 grid: ONA only under "Niet meegeteld in 2022", read-only, its values still shown.
    page.goto(f"{base}/invoer/college/5100/?jaar=2022")
    expect(page.locator("#uncounted-title")).to_have_text("Niet meegeteld in 2022")
    row = page.locator("#uncounted-5100-ONA")
    expect(row).to_contain_text("niet meegeteld")
    assert row.locator("input").count() == 0
    expect(page.locator("form table.grid tbody .team-code", has_text="5100-ONA")).to_have_count(0)
    assert page.get_by_label(re.compile(r"team 5100-ONA ")).count() == 0
    page.locator("#uncounted-title").scroll_into_view_if_needed()
    at_each_size(page, screenshot, "grid-5100-2022-ona-not-counted")
    # 2020 still has ONA as an editable row.
    page.goto(f"{base}/invoer/college/5100/?jaar=2020")
    expect(page.locator("form table.grid tbody .team-code", has_text="5100-ONA")).to_have_count(1)

    # The 2022 college page and its stored verdicts no longer name ONA among the teams.
    assert all(
        t["team"] != "5100-ONA"
        for s in IndicatorResult.objects.filter(year=2022, version=Version.CURRENT).values_list("payload", flat=True)
        for c in s["colleges"]
        if c["college"] == "5100"
        for t in c["teams"]
    )
    page.goto(f"{base}/dashboard/college/5100/?jaar=2022")
    expect(page.locator('tr[data-team="5100-ONA"]')).to_have_count(0)
    assert "5100-ONA" not in page.locator("main").inner_text()
    at_each_size(page, screenshot, "college-5100-2022-without-ona")


def test_policy_staff_revise_entree_from_2021_and_a_theme_share_and_the_herijking_page_shows_both_versions(
    rocvaf_demo_tx, login, page, live_server, screenshot
):
    """beleid takes 5100 out of entree from 2021 and gives T2 30 % from 2021; the herijking page shows before and after."""
    base = live_server.url
    page.set_viewport_size({"width": 1366, "height": 900})
    login("beleid")

    # From the herijking page to the applicability page.
    page.goto(f"{base}/dashboard/herijking/?jaar=2022")
    expect(page.locator("#toepasbaarheid + .empty")).to_contain_text("Er is geen toepasbaarheid herijkt")
    page.locator(".sub-nav").get_by_role("link", name="Toepasbaarheid van indicatoren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voor welke colleges telt een indicator?")
    expect(page.locator('tr[data-indicator="2a-entree"]')).to_contain_text("2019-2022: 10 van 12 colleges")
    at_each_size(page, screenshot, "applicability-empty-form")

    # Choosing the indicator and the year fills in the ten entree colleges.
    page.get_by_label("Indicator").select_option("2a-entree")
    page.get_by_label("Vanaf (jaar)").select_option("2021")
    expect(page.locator("#prefill-status")).to_contain_text("10 van 12 colleges")
    boxes = page.locator('input[name="colleges"]')
    assert boxes.count() == 12
    checked = [boxes.nth(i).get_attribute("value") for i in range(12) if boxes.nth(i).is_checked()]
    assert checked == ["5100", "5110", "5200", "5210", "5300", "5400", "5500", "5800", "7100", "7200"]

    # Keyboard: 5100 is unticked with the space bar.
    box_5100 = page.get_by_role("checkbox", name=re.compile(r"^5100 "))
    box_5100.focus()
    page.keyboard.press("Space")
    expect(box_5100).not_to_be_checked()

    # Without a reason there is no preview and the message says why.
    page.get_by_role("button", name="Voorbeeld bekijken").click()
    expect(page.locator("#form-errors")).to_contain_text("Geef de reden van de herijking.")
    expect(box_5100).not_to_be_checked()  # the choices survive the refusal
    assert not Applicability.objects.filter(from_year=2021).exists()
    at_each_size(page, screenshot, "applicability-error")

    page.get_by_label("Reden").fill("5100 stopt met de entreeopleiding (herijking 2020)")
    # The dry run first (issue 15 item 5), then "Opslaan" saves exactly that.
    page.get_by_role("button", name="Voorbeeld bekijken").click()
    expect(page.locator("#preview")).to_contain_text("wat verandert er als u opslaat?")
    assert not Applicability.objects.filter(from_year=2021).exists()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".message.success")).to_contain_text("2a-entree geldt vanaf 2021 voor 9 van de 12 colleges")
    expect(page.locator('tr[data-indicator="2a-entree"]')).to_contain_text("2021-2022: 9 van 12 colleges")
    at_each_size(page, screenshot, "applicability-saved")
    # The recompute that followed judges entree over 9 colleges from 2021, over 10 before.
    assert status("2a-entree", 2021)["colleges_total"] == 9
    assert status("2a-entree", 2020)["colleges_total"] == 10

    # A theme share from 2021: T2 25 -> 30 %; the page warns that 2021 and 2022 add up to 105 %.
    page.locator(".sub-nav").get_by_role("link", name="Budgetaandelen van thema's").click()
    page.get_by_label("Thema").select_option("T2")
    page.get_by_label("Vanaf (jaar)").select_option("2021")
    expect(page.get_by_label("Aandeel in het budget (%)")).to_have_value("25")
    page.get_by_label("Aandeel in het budget (%)").fill("30")
    page.get_by_label("Reden").fill("Meer nadruk op jongeren in een kwetsbare positie")
    page.get_by_role("button", name="Voorbeeld bekijken").click()
    expect(page.locator("#preview table.budget-themes")).to_contain_text("T2")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".message.success")).to_contain_text("T2 krijgt vanaf 2021 30 % van het budget")
    expect(page.locator('#unbalanced li[data-year="2021"]')).to_contain_text("tellen de aandelen op tot 105 %")
    assert ThemeShareRevision.objects.get(theme__code="T2", from_year=2021).budget_share_pct == 30
    at_each_size(page, screenshot, "theme-shares-saved")

    # The herijking page: both versions of each, with reason and author.
    page.locator(".sub-nav").get_by_role("link", name="Overzicht van de herijking").click()
    entree = page.locator('article.herijking-change[data-indicator="2a-entree"][data-from="2021"]')
    expect(entree.locator(".before")).to_contain_text("Tot en met 2020")
    expect(entree.locator(".before")).to_contain_text("10 van 12 colleges")
    expect(entree.locator(".after")).to_contain_text("Vanaf 2021")
    expect(entree.locator(".after")).to_contain_text("9 van 12 colleges")
    expect(entree.locator(".change-list")).to_contain_text("telt niet meer mee: 5100")
    expect(entree).to_contain_text("Reden: 5100 stopt met de entreeopleiding (herijking 2020)")
    entree.locator("summary").focus()
    page.keyboard.press("Enter")  # the full lists open from the keyboard
    expect(entree.locator(".before-after-lists")).to_be_visible()
    share = page.locator('article.herijking-change[data-theme="T2"][data-from="2021"]')
    expect(share.locator(".before")).to_contain_text("25 %")
    expect(share.locator(".after")).to_contain_text("30 %")
    entree.scroll_into_view_if_needed()
    at_each_size(page, screenshot, "herijking-page-both-versions")
