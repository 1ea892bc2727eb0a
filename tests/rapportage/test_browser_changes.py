"""'Wat is er veranderd' in Chromium at phone, tablet and laptop width (issue 15, items 3 and 6)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from rapportage.models import BudgetChange, ContributionChange, VerdictChange
from tests.conftest import ARTIFACTS
from tests.invoer.test_grid import post_grid
from tests.rapportage.test_browser_responsive import WIDTHS, misfits

pytestmark = pytest.mark.browser

# The demo's own setup flipped some 560 verdicts today: the page is long, and the machine may be busy.
WAIT = 60_000


def test_changes_page_fits_every_screen_and_shows_the_grid_save(rocvaf_demo_tx, live_server, login, page, screenshot):
    """After director 5100 saves a value, the board's page lists the flip, the team and the euros without sideways scrolling."""
    director = Client()
    director.force_login(get_user_model().objects.get(username="directeur5100"))
    # The live server's database is committed: the save's recompute runs in-process on commit.
    assert post_grid(director, "5100", {("1a", "5100-JUR"): "7,5"}).status_code == 302
    login("bestuur")
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/dashboard/veranderd/")
        page.get_by_label("Sinds").wait_for(timeout=WAIT)
        # The date waits for "Toon" (WCAG 3.2.2); today includes the save.
        page.get_by_label("Sinds").fill(timezone.localdate().isoformat())
        with page.expect_navigation(timeout=WAIT):
            page.get_by_role("button", name="Toon").click()
        # Newest run first: the save's; the demo's own setup also flipped 1a for 5100 earlier today.
        latest = page.locator("article.change-run").first
        flip = latest.locator('li.flip[data-indicator="1a"][data-year="2022"][data-college="5100"]')
        expect(flip).to_contain_text("niet gehaald → gehaald", timeout=WAIT)
        expect(latest.locator('li.team-flip[data-team="5100-JUR"]')).to_contain_text(
            "droeg niet bij → droeg bij", timeout=WAIT
        )
        expect(latest.locator(".change-cause")).to_contain_text("invoer college 5100, 2022", timeout=WAIT)
        assert latest.locator("table.budget-changes tbody tr").count() > 0
        problems += misfits(page, "changes", width, screenshot)
        page.screenshot(path=str(ARTIFACTS / "screenshots" / f"changes-top-{width}.png"))  # the first screen
        latest.screenshot(path=str(ARTIFACTS / "screenshots" / f"changes-run-{width}.png"))  # the save's block
    assert problems == []


def test_changes_page_empty_state_fits_a_phone(rocvaf_demo_tx, live_server, login, page, screenshot):
    """With nothing changed since the chosen date the page says so, and fits 390 px."""
    for model in (VerdictChange, ContributionChange, BudgetChange):
        model.objects.all().delete()  # the demo's own setup flipped verdicts today
    login("bestuur")
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/dashboard/veranderd/?sinds={timezone.localdate().isoformat()}")
    expect(page.locator(".changes-empty")).to_contain_text("is er geen oordeel of bedrag veranderd", timeout=WAIT)
    assert misfits(page, "changes-empty", 390, screenshot) == []
