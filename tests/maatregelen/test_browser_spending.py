"""The spending and manifesto pages at phone, tablet and laptop width, and a keyboard-only spending line (issue 14)."""

import pytest

from maatregelen.models import Spending
from tests.rapportage.test_browser_responsive import misfits

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1366)


@pytest.mark.parametrize("width", WIDTHS)
def test_spending_and_manifesto_pages_fit_the_screen(width, rocvaf_demo_tx, live_server, login, page, screenshot):
    """Besteding (with the demo's overspent line, and the last year's 'blijft beschikbaar') and Manifest never scroll sideways."""
    page.set_viewport_size({"width": width, "height": 900})
    login("beleid")
    problems = []
    for name, path in (
        ("besteding-2021", "/maatregelen/besteding/?jaar=2021"),
        ("besteding-2022", "/maatregelen/besteding/?jaar=2022"),
        ("manifest-2021", "/maatregelen/manifest/?jaar=2021"),
    ):
        page.goto(f"{live_server.url}{path}")
        problems += misfits(page, name, width, screenshot)
    assert problems == []
    page.goto(f"{live_server.url}/maatregelen/besteding/?jaar=2022")
    assert "blijft beschikbaar voor de mbo-sector" in page.locator("main").inner_text()


def test_a_director_records_spending_with_the_keyboard(rocvaf_demo_tx, live_server, login, page, screenshot):
    """On a phone, directeur5100 fills in a spending line with the keyboard only; it is listed and stored."""
    page.set_viewport_size({"width": 390, "height": 900})
    login("directeur5100")
    page.goto(f"{live_server.url}/maatregelen/besteding/?jaar=2022")
    page.get_by_label("Thema", exact=True).select_option(label="T5 Leven lang ontwikkelen en alumni")
    page.get_by_label("College", exact=True).select_option(label="5100 MBO College Zuidoost")
    page.get_by_label("Gerealiseerd (euro)").fill("1.234,57")
    page.get_by_label("Gerealiseerd (euro)").press("Enter")
    page.wait_for_selector("text=De besteding is vastgelegd")
    screenshot("besteding-director-added-390")
    assert Spending.objects.get(year=2022, theme__code="T5", college__code="5100").amount_cents == 123_457
    assert "€ 1.234,57" in page.locator("main").inner_text()
