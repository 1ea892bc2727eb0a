"""The reserve ledger on the budget page in a real browser, on a phone (360 px) and a desktop."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from rapportage.templatetags.kwaliteit import euro

pytestmark = pytest.mark.browser

WIDTHS = {360: 740, 1366: 900}


def budget(year: int) -> dict:
    """Return `budget --year Y --format json` (contracts.md section 3)."""
    out = StringIO()
    call_command("budget", "--year", str(year), "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def page_overflow(page) -> int:
    """Return how many pixels the page is wider than the viewport (wide tables scroll in their own box)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_board_member_reads_where_reserved_money_went(rocvaf_demo_tx, live_server, login, page, screenshot):
    """2021 and 2022: key figures, and per college the year and indicator of each release, readable at 360 px."""
    login("bestuur")
    body_2021, body_2022 = budget(2021), budget(2022)
    theme, college = next(
        (t, c) for t in body_2021["themes"] for c in t["colleges"] if c["reserve_releases"] and c["reserve_open"]
    )
    release = college["reserve_releases"][0]
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/dashboard/budget/?jaar=2021")
        figures = page.locator(".keyfigures").inner_text()
        assert "Uit reserve vrijgegeven (eerdere jaren)" in figures
        assert euro(body_2021["released_from_reserve_cents"]) in figures
        assert euro(body_2021["reserve_open_cents"]) in figures
        details = page.locator("details.theme-budget").filter(has_text=f"{theme['theme']} ").first
        if details.get_attribute("open") is None:
            details.locator("summary").click()
        entry = details.locator(".reserve-ledger li").filter(has_text=f"{college['college']} ").first
        entry.scroll_into_view_if_needed()
        assert entry.is_visible()
        text = " ".join(entry.inner_text().split())
        assert f"{release['indicator']} uit {release['from_year']} ({euro(release['cents'])})" in text
        assert "want nu gehaald" in text
        assert f"Nog open na 2021: {euro(college['reserve_open_cents'])}" in text
        assert page_overflow(page) <= 1, f"the budget page scrolls sideways at {width} px"
        screenshot(f"budget-reserve-2021-{width}")

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/dashboard/budget/?jaar=2022")
    figures = page.locator(".keyfigures").inner_text()
    assert "Niet gerealiseerd (laatste budgetjaar)" in figures
    assert euro(body_2022["not_realised_cents"]) in figures
    assert "het bestuur besluit wat ermee gebeurt" in page.locator("#reserve-uitleg").inner_text()
    assert page_overflow(page) <= 1
    screenshot("budget-reserve-2022-360")
