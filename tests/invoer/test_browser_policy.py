"""The policy pages in a real browser (issue 15 item 5): preview an ambition revision, save it, at every width.

Screenshots: artifacts/screenshots/responsive-beleid-*-{390,768,1366}.png.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from agenda.models import Ambition
from rapportage.models import VerdictChange
from tests.conftest import ARTIFACTS
from tests.rapportage.test_browser_responsive import misfits

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1366)
PAGES = (
    ("beleid-ambities", "/beleid/ambities/"),
    ("beleid-toepasbaarheid", "/beleid/toepasbaarheid/"),
    ("beleid-budgetaandelen", "/beleid/budgetaandelen/"),
    ("beleid-factoren", "/beleid/factoren/"),
)


def at_each_width(page, name: str, screenshot) -> list:
    """Return what does not fit at 390, 768 and 1366 px (saving a screenshot of each), back at 1366 after."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_function(f"window.innerWidth === {width}")
        problems += misfits(page, name, width, screenshot)
    page.set_viewport_size({"width": 1366, "height": 900})
    return problems


def test_policy_pages_fit_every_width(rocvaf_demo_tx, live_server, login, page, screenshot):
    """The four policy pages never scroll sideways at 390, 768 or 1366 px; their tables scroll in a region."""
    page.set_viewport_size({"width": 1366, "height": 900})
    login("beleid")
    problems = []
    for name, path in PAGES:
        page.goto(f"{live_server.url}{path}")
        problems += at_each_width(page, name, screenshot)
    assert problems == []


def test_policy_staff_preview_an_ambition_and_save_exactly_the_flips_shown(
    rocvaf_demo_tx, live_server, login, page, screenshot
):
    """beleid lowers 1a's 2021 target to 6,9: the preview lists the flips, Opslaan saves them, the change log agrees."""
    page.set_viewport_size({"width": 1366, "height": 900})
    login("beleid")
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("link", name="Agenda beheren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ambities van de indicatoren")
    # Choosing an indicator and a year fills in the ambition in force (static/js/ambitions.js).
    page.get_by_label("Indicator", exact=True).select_option("1b")
    page.get_by_label("Vanaf (jaar)").select_option("2021")
    expect(page.get_by_label("Streefcijfer")).to_have_value("48")
    expect(page.locator("#prefill-status")).to_contain_text("de ambitie van 1b in 2021")
    page.get_by_role("link", name="Herijken 1a 2021").click()
    expect(page.get_by_label("Streefcijfer")).to_have_value("7,1")
    page.get_by_label("Tot en met (jaar)").select_option("2021")
    page.get_by_label("Streefcijfer").fill("6,9")
    page.get_by_label("Reden").fill("Herijking 2020: streefcijfer 1a bijgesteld")
    page.get_by_role("button", name="Voorbeeld bekijken").click()

    preview = page.locator("#preview")
    expect(preview).to_contain_text("wat verandert er als u opslaat?")
    expect(preview.locator('tr[data-flip="1a|2021|"]')).to_contain_text("behaald")
    shown = sorted(preview.locator("tr.flip").evaluate_all("rows => rows.map(r => r.dataset.flip)"))
    assert len(shown) >= 2
    assert not Ambition.objects.filter(indicator__code="1a", year=2021, reason__startswith="Herijking 2020").exists()
    preview.scroll_into_view_if_needed()
    assert at_each_width(page, "beleid-ambities-voorbeeld", screenshot) == []
    # The preview alone on a phone, large enough to read in the screenshot.
    page.set_viewport_size({"width": 390, "height": 900})
    preview.screenshot(path=str(ARTIFACTS / "screenshots" / "beleid-ambities-voorbeeld-alleen-390.png"))
    page.set_viewport_size({"width": 1366, "height": 900})

    last = VerdictChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".message.success")).to_contain_text("Vastgelegd: de ambitie van 1a voor 2021.")
    saved = Ambition.objects.get(indicator__code="1a", year=2021, reason__startswith="Herijking 2020")
    assert saved.target == Decimal("6.9")
    # Celery runs eagerly here: the recompute after the save logged the flips; exactly those of the preview.
    logged = sorted(
        f"{c.indicator.code}|{c.year}|{c.college.code if c.college else ''}"
        for c in VerdictChange.objects.filter(pk__gt=last).select_related("indicator", "college")
    )
    assert logged == shown
    assert at_each_width(page, "beleid-ambities-opgeslagen", screenshot) == []
