"""The results grid by keyboard (issue 15): arrow keys, Enter down, one tab stop, a sticky header row."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from agenda.models import Indicator, Team
from tests.invoer.test_browser_grid import key, open_grid, stored
from tests.rapportage.test_browser_responsive import document_overflow

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Browse as a Dutch user."""
    return {**browser_context_args, "locale": "nl-NL"}


def focused(page) -> str:
    """Return the id of the element that has the keyboard focus."""
    return page.evaluate("document.activeElement.id")


def _teams_and_codes():
    teams = list(
        Team.objects.filter(college__code="5100", active_until__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    codes = [i.code for i in Indicator.objects.order_by("position", "code") if "team" in i.levels]
    return teams, codes


def test_arrow_keys_and_enter_move_between_cells_and_typing_still_works(
    rocvaf_demo_tx, login, page, live_server, screenshot
):
    """Down/Up by team, Right/Left by field at the caret's edge, Enter down; typed text lands in the cell."""
    login("directeur5100")
    open_grid(page, live_server)
    teams, codes = _teams_and_codes()
    first = f"v_{key(codes[0], teams[0])}"
    page.locator(f"#{first}").focus()
    page.keyboard.press("ArrowDown")
    assert focused(page) == f"v_{key(codes[0], teams[1])}"
    page.keyboard.press("ArrowUp")
    assert focused(page) == first
    page.keyboard.press("Enter")  # down a team, as in a spreadsheet; nothing is submitted
    assert focused(page) == f"v_{key(codes[0], teams[1])}"
    page.keyboard.press("ArrowUp")

    # Focus selects the value: Right goes on to the n field of the cell, Left back.
    page.keyboard.press("ArrowRight")
    assert focused(page) == f"n_{key(codes[0], teams[0])}"
    page.keyboard.press("ArrowLeft")
    assert focused(page) == first

    # Typing: the caret moves inside the text with Left/Right, only at the edge does focus move.
    value = page.locator(f"#{first}")
    value.fill("")
    page.keyboard.type("7,35")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert focused(page) == first
    page.keyboard.type("9")
    expect(value).to_have_value("7,935")
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    assert focused(page) == first  # the caret walked from after '7,9' to the end of '7,935'
    page.keyboard.press("ArrowRight")
    assert focused(page) == f"n_{key(codes[0], teams[0])}"
    screenshot("grid-keys-1-moved")

    # The typed value saves through the Opslaan button.
    value.fill("7,25")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".message.success")).to_contain_text("1 gewijzigd")
    assert stored(codes[0], teams[0]) == Decimal("7.25")


def test_tab_leaves_the_grid_in_a_few_presses(rocvaf_demo_tx, login, page, live_server):
    """From the cell in use one Tab leaves the grid; from the year button a few Tabs reach Opslaan (not 318)."""
    login("directeur5100")
    open_grid(page, live_server)
    teams, codes = _teams_and_codes()
    stops = page.evaluate(
        """() => [...document.querySelectorAll('#grid-form table.grid tbody input, #grid-form table.grid tbody a')]
            .filter(el => el.type !== 'hidden' && el.tabIndex >= 0).length"""
    )
    assert stops == 1
    cell = f"v_{key(codes[2], teams[3])}"
    page.locator(f"#{cell}").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('table.grid') === null")  # out of the grid at once
    page.keyboard.press("Shift+Tab")
    assert focused(page) == cell  # back to the cell last used (roving tab stop)
    page.get_by_role("button", name="Toon jaar").focus()
    presses = 0
    while page.evaluate("document.activeElement.textContent.trim()") != "Opslaan" and presses < 20:
        page.keyboard.press("Tab")
        presses += 1
    assert presses <= 8, presses  # export, upload, the region, one cell, a link, Opslaan


@pytest.mark.parametrize("width", [390, 768, 1366])
def test_header_row_stays_visible_when_the_grid_scrolls(rocvaf_demo_tx, login, page, live_server, screenshot, width):
    """Scrolled down inside its region, the grid still shows its header row at the top; no page overflow."""
    page.set_viewport_size({"width": width, "height": 800})
    login("directeur5100")
    open_grid(page, live_server)
    teams, codes = _teams_and_codes()
    overflow = document_overflow(page)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    region = page.locator("#grid-form .grid-scroll")
    region.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.wait_for_function("() => document.querySelector('#grid-form .grid-scroll').scrollTop > 0", timeout=30_000)
    # Keyboard focus deep in the grid scrolls it too, and the header stays on top of the region.
    page.locator(f"#v_{key(codes[0], teams[-1])}").focus()
    header_top, region_top = page.evaluate(
        """() => [document.querySelector('#grid-form table.grid thead th').getBoundingClientRect().top,
                  document.querySelector('#grid-form .grid-scroll').getBoundingClientRect().top]"""
    )
    assert abs(header_top - region_top) <= 2, (header_top, region_top)
    first_row_top = page.evaluate(
        "() => document.querySelector('#grid-form table.grid tbody tr').getBoundingClientRect().top"
    )
    assert first_row_top < region_top  # the first team row has scrolled away under the header
    expect(page.locator("#grid-form table.grid thead th").first).to_be_visible()
    region.scroll_into_view_if_needed()
    screenshot(f"grid-keys-sticky-{width}")


@pytest.mark.parametrize("width", [390, 1366])
def test_teamleider_enters_its_own_row_by_keyboard(rocvaf_demo_tx, login, page, live_server, screenshot, width):
    """teamleider5100 gets inputs in its own team's row only, moves in it by arrow keys and saves."""
    from agenda.models import Membership

    own = Membership.objects.get(user__username="teamleider5100").teams.get()
    page.set_viewport_size({"width": width, "height": 900})
    login("teamleider5100")
    open_grid(page, live_server)
    expect(page.get_by_text("U bent teamleider")).to_be_visible()
    rows = page.evaluate(
        """() => [...new Set([...document.querySelectorAll('#grid-form tbody input.value')]
            .map(el => el.closest('tr').querySelector('.team-code').textContent.trim()))]"""
    )
    assert rows == [own.code]
    overflow = document_overflow(page)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    expect(page.get_by_role("button", name="Indienen voor vaststelling")).to_have_count(0)
    teams, codes = _teams_and_codes()
    page.locator(f"#v_{key(codes[0], own.code)}").focus()
    page.keyboard.press("ArrowDown")  # no editable row below: the focus stays in the own row
    assert focused(page) == f"v_{key(codes[0], own.code)}"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert focused(page).startswith(("v_", "n_", "m_"))
    page.locator(f"#v_{key(codes[0], own.code)}").fill("7,45")
    page.locator(f"#v_{key(codes[0], own.code)}").scroll_into_view_if_needed()
    screenshot(f"grid-teamleider-{width}")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".message.success")).to_contain_text("1 gewijzigd")
    assert stored(codes[0], own.code) == Decimal("7.45")
