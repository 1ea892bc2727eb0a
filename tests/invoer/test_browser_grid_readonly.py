"""A director's grid of a baseline year in a real browser: those cells are values with the reason, not inputs.

Domain.md, "Sign-off and locking": baseline-year values are writable only by policy staff. The
keyboard moves past the read-only cells as it does in a teamleider's other rows, and a save sends
none of them.
"""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from agenda.models import Indicator, Team
from indicatoren.models import Measurement
from tests.invoer.test_browser_grid import key
from tests.rapportage.test_browser_responsive import document_overflow

pytestmark = pytest.mark.browser

YEAR = 2019
LEGEND = "Nulmetingsjaar: alleen beleidsmedewerkers wijzigen deze waarden."


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Browse as a Dutch user."""
    return {**browser_context_args, "locale": "nl-NL"}


def focused(page) -> str:
    """Return the id of the element that has the keyboard focus."""
    return page.evaluate("document.activeElement.id")


def _revise_1a(institution) -> None:
    """Judge 1a against 2019 from 2021 on (a herijking): 2019 becomes a baseline year of 1a."""
    from agenda.services import baseline_revise

    baseline_revise(
        indicator=Indicator.objects.get(institution=institution, code="1a"),
        from_year=2021,
        baseline_year=YEAR,
        reason="herijking 2020",
        author=get_user_model().objects.get(username="beleid"),
    )


def _teams() -> list[str]:
    """Return the 5100 teams active in YEAR, in the grid's order."""
    return [team.code for team in Team.objects.filter(college__code="5100").order_by("code") if team.is_active(YEAR)]


def _open(page, live_server):
    page.goto(f"{live_server.url}/invoer/college/5100/?jaar={YEAR}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Resultaten van de teams")


def _column_inputs(page, code: str) -> int:
    """Return how many inputs the body cells under the header of `code` hold."""
    return page.evaluate(
        """code => {
            const head = [...document.querySelectorAll('#grid-form thead th')]
                .find(th => th.querySelector('.ind-code')?.textContent.trim() === code);
            return [...document.querySelectorAll('#grid-form tbody tr')]
                .map(tr => tr.cells[head.cellIndex].querySelectorAll('input').length)
                .reduce((a, b) => a + b, 0);
        }""",
        code,
    )


def test_baseline_year_cells_are_read_only_skipped_by_the_keys_and_not_sent(
    rocvaf_demo_tx, login, page, live_server, screenshot
):
    """1a in 2019: no field, the reason above the grid; the arrow keys pass it like a read-only row; a save omits it."""
    _revise_1a(rocvaf_demo_tx)
    login("directeur5100")
    _open(page, live_server)
    expect(page.locator("#grid-locks")).to_contain_text(LEGEND)
    expect(page.locator("#grid-form thead th.locked")).to_have_count(1)
    expect(page.locator("#grid-form thead th.locked")).to_contain_text("alleen lezen")
    assert _column_inputs(page, "1a") == 0 and _column_inputs(page, "1b") > 0
    teams = _teams()

    # Up and Down stay in the column; Left from 1b reaches 1a's history link, not a field to type in.
    page.locator(f"#v_{key('1b', teams[0])}").focus()
    page.keyboard.press("ArrowDown")
    assert focused(page) == f"v_{key('1b', teams[1])}"
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.tagName") == "A"
    assert page.evaluate("document.activeElement.closest('th.team-col, td.cell').querySelector('input')") is None
    page.keyboard.type("5")  # nothing to type into
    page.keyboard.press("ArrowDown")  # down the read-only column, from link to link
    assert page.evaluate("document.activeElement.closest('tr').rowIndex") == 3  # header row, teams[0], teams[1]
    page.keyboard.press("ArrowRight")
    assert focused(page) == f"v_{key('1b', teams[2])}"

    # A save posts the 1b change and no 1a field; the service stores it.
    before = {m.team.code: m.value for m in Measurement.objects.filter(indicator__code="1a", year=YEAR)}
    page.locator(f"#v_{key('1b', teams[0])}").fill("7,15")
    with page.expect_request(
        lambda request: request.method == "POST" and "/invoer/college/5100/" in request.url
    ) as sent:
        page.get_by_role("button", name="Opslaan").click()
    posted = parse_qs(sent.value.post_data)
    one_a = Indicator.objects.get(code="1a").pk
    assert not [name for name in posted if name.endswith(f"_{one_a}")], "read-only cells are not sent"
    expect(page.locator(".message.success")).to_contain_text("1 gewijzigd")
    assert Measurement.objects.get(indicator__code="1b", team__code=teams[0], year=YEAR).value == Decimal("7.15")
    assert {m.team.code: m.value for m in Measurement.objects.filter(indicator__code="1a", year=YEAR)} == before
    screenshot("grid-readonly-saved")


@pytest.mark.parametrize("width", [390, 820, 1366])
def test_baseline_year_cells_read_only_at_every_width(rocvaf_demo_tx, login, page, live_server, screenshot, width):
    """Phone, tablet and desktop: the legend and the marked column are visible, the page does not overflow."""
    _revise_1a(rocvaf_demo_tx)
    page.set_viewport_size({"width": width, "height": 900})
    login("directeur5100")
    _open(page, live_server)
    expect(page.locator("#grid-locks")).to_be_visible()
    header = page.locator("#grid-form thead th.locked")
    expect(header).to_be_visible()
    expect(header.locator(".lock-badge")).to_be_visible()
    overflow = document_overflow(page)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    page.locator("#grid-locks").scroll_into_view_if_needed()
    screenshot(f"grid-readonly-{width}")
