"""A director follows the grid's hint to a saved value that makes the team contribute (issue 15, item 1)."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agenda.models import College
from invoer.grid import grid_build
from rapportage.engine.attainment import team_contributes
from tests.rapportage.test_browser_responsive import WIDTHS, misfits

pytestmark = pytest.mark.browser

YEAR = 2022
HINT = re.compile(r"nodig ([≥≤]) ([0-9]+(?:,[0-9]+)?) · nog ([0-9]+(?:,[0-9]+)?) nodig")


def test_director_types_exactly_the_needed_value_and_the_team_contributes(
    rocvaf_demo_tx, login, page, live_server, screenshot
):
    """A team short of its bar ('nog 0,3 nodig') saved at exactly the needed value 'draagt bij'; the board sees the flip."""
    login("directeur5100")
    page.goto(f"{live_server.url}/invoer/college/5100/?jaar={YEAR}")
    hints = page.locator('.cell-guide[data-state="notmet"] .guide-hint').filter(has_text=HINT)
    expect(hints.first).to_be_visible()
    text = hints.first.inner_text()
    symbol, needed, short = HINT.search(text).groups()
    guide_id = hints.first.locator("xpath=..").get_attribute("id")
    key = guide_id.removeprefix("g_")
    cell_input = page.locator(f"#v_{key}")
    before = cell_input.input_value()
    # The hint's numbers add up: the typed value plus what is short is the needed value.
    gap = Decimal(needed.replace(",", ".")) - Decimal(before.replace(",", "."))
    assert abs(gap) == Decimal(short.replace(",", "."))
    screenshot("guidance-1-hint")

    cell_input.fill(needed)
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state("networkidle")
    # The grid reloads after the save; the recompute has run (eagerly here) when the state turns.
    guide = page.locator(f"#{guide_id}")
    expect(guide).to_have_attribute("data-state", "met", timeout=30_000)
    expect(guide.locator(".guide-hint")).to_contain_text(f"nodig {symbol} {needed} · draagt bij")
    expect(page.locator(f"#v_{key}")).to_have_value(needed)
    screenshot("guidance-2-draagt-bij")

    # The engine's own verdict on the stored value agrees with the page.
    cell = next(c for c in grid_build(College.objects.get(code="5100"), YEAR).cells() if c.key == key)
    g = cell.guide
    assert team_contributes(g.kind, g.d, g.value, g.reference, g.target, g.baseline, g.tolerance) is True

    # The board sees that flip on 'Wat is er veranderd', with the team, the indicator and the year.
    page.context.clear_cookies()
    login("bestuur")
    page.goto(f"{live_server.url}/dashboard/veranderd/?sinds={timezone.localdate().isoformat()}")
    flip = page.locator(
        f'li.team-flip[data-team="{cell.team.code}"][data-indicator="{cell.indicator.code}"][data-year="{YEAR}"]'
    )
    expect(flip).to_be_visible(timeout=30_000)
    # The change page words a team's contribution itself ("droeg bij" or "draagt bij"), never "niet".
    expect(flip.locator(".flip-words strong")).to_have_text(re.compile(r"^\s*(droeg|draagt) bij\s*$"))
    screenshot("guidance-3-board-sees-the-flip")


@pytest.mark.parametrize("width", [390, 768, 1366])
def test_team_page_and_grid_fit_the_screen(width, rocvaf_demo_tx, live_server, login, page, screenshot):
    """The team page and the grid with its guidance never scroll the document sideways."""
    page.set_viewport_size({"width": width, "height": 900})
    login("directeur5100")
    problems = []
    for name, path in (
        ("team", f"/dashboard/college/5100/team/5100-JUR/?jaar={YEAR}"),
        ("grid-guidance", f"/invoer/college/5100/?jaar={YEAR}"),
        ("college-guidance", f"/dashboard/college/5100/?jaar={YEAR}"),
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("h1")).to_be_visible()
        problems += misfits(page, name, width, screenshot)
    assert problems == []


def test_widths_cover_the_phone_the_tablet_and_the_laptop():
    """The widths above are among the responsive suite's."""
    assert {390, 768, 1366} <= set(WIDTHS)
