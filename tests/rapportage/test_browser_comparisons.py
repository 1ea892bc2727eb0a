"""The indicator page with a landelijk series and a breakdown (issue 18) at phone, tablet and laptop width.

The rows are written with the ORM before the page is opened (the page itself never writes). The
figure JSON the page embeds is read back: the reference line is a trace of its own, and a group
below 20 students is not drawn and shows "kleine groep" in the table.
"""

import json
from decimal import Decimal

import pytest

from agenda.choices import Level
from agenda.models import Indicator
from indicatoren.models import ContextValue
from tests.conftest import ARTIFACTS
from tests.rapportage.test_browser_responsive import document_overflow, overprinted_headers, wait_for_charts

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1366)
YEAR = 2020
GROUPS = [("PrO", "61.5", 140), ("vso", "47.25", 12), ("vmbo-b", "66.5", 310), ("afgebroken vmbo", "52.0", 45)]


def _seed(institution) -> None:
    """Give 2a-entree a landelijk series 2016-2020 and a vooropleiding breakdown with one small group."""
    entree = Indicator.objects.get(institution=institution, code="2a-entree")
    ContextValue.objects.filter(indicator=entree).delete()  # the demo's own figures: this test sets its own
    entree.breakdowns = {"vooropleiding": [g for g, _, _ in GROUPS]}
    entree.save(update_fields=["breakdowns"])
    for year, value in ((2016, "72"), (2017, "71.5"), (2018, "72.5"), (2019, "73"), (2020, "73.5")):
        ContextValue.objects.update_or_create(
            indicator=entree,
            year=year,
            level=Level.INSTITUTION,
            series="landelijk",
            dimension="",
            group="",
            defaults={"value": Decimal(value), "source": "DUO"},
        )
    for year in (2019, 2020):
        for group, value, n in GROUPS:
            ContextValue.objects.update_or_create(
                indicator=entree,
                year=year,
                level=Level.INSTITUTION,
                series="",
                dimension="vooropleiding",
                group=group,
                defaults={"value": Decimal(value) + (year - 2019), "n": n},
            )


def _figure(page, script_id: str) -> dict:
    """Return the plotly figure JSON the page embeds under `script_id`."""
    return json.loads(page.locator(f"script#{script_id}").text_content())


@pytest.mark.parametrize("width", WIDTHS)
def test_indicator_page_with_landelijk_and_a_breakdown_fits_and_suppresses_small_groups(
    width, rocvaf_demo_tx, live_server, login, page, screenshot
):
    """2a-entree: a Landelijk reference trace, a small-multiples breakdown, 'kleine groep' for n < 20, no sideways scroll."""
    _seed(rocvaf_demo_tx)
    page.set_viewport_size({"width": width, "height": 900})
    login("bestuur")
    page.goto(f"{live_server.url}/dashboard/indicator/2a-entree/?jaar={YEAR}")
    wait_for_charts(page, 4)  # trend, teams, breakdown, heatmap
    trend = _figure(page, "fig-trend")
    landelijk = [t for t in trend["data"] if t.get("name") == "Landelijk"]
    assert len(landelijk) == 1 and landelijk[0]["line"]["dash"] == "dash"
    assert landelijk[0]["x"] == [2016, 2017, 2018, 2019, 2020]
    # plotly drew it: the legend names it.
    assert page.locator('[data-figure="fig-trend"] .legendtext', has_text="Landelijk").count() == 1
    breakdown = _figure(page, "fig-breakdown-1")
    vso = next(t for t in breakdown["data"] if t.get("meta", {}).get("group") == "vso")
    assert vso["x"] == [] and "47.25" not in json.dumps(breakdown)
    table = page.locator("table.breakdown-table")
    assert table.locator('tr[data-group="vso"] [data-small-group]').count() == 2
    assert "kleine groep" in table.locator('tr[data-group="vso"]').inner_text()
    assert "47,3" not in table.inner_text() and "47,2" not in table.inner_text()
    assert page.locator('th[data-series="landelijk"]').is_visible()
    page.locator("#uitsplitsing").scroll_into_view_if_needed()
    screenshot(f"comparisons-2a-entree-{width}")
    shots = ARTIFACTS / "screenshots"
    page.locator('[data-figure="fig-breakdown-1"]').screenshot(path=str(shots / f"comparisons-breakdown-{width}.png"))
    page.locator('[data-figure="fig-trend"]').screenshot(path=str(shots / f"comparisons-trend-{width}.png"))
    overflow = document_overflow(page)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    assert overprinted_headers(page) == []


@pytest.mark.parametrize("width", (390, 1366))
def test_demo_shows_landelijk_lines_and_the_vooropleiding_breakdown(
    width, rocvaf_demo_tx, live_server, login, page, screenshot
):
    """The demo as loaded (the agenda's own figures): a Landelijk line on 2a-entree, 2b and 3b; 2a by vooropleiding."""
    page.set_viewport_size({"width": width, "height": 900})
    login("bestuur")
    for code in ("2a-entree", "2b", "3b"):
        page.goto(f"{live_server.url}/dashboard/indicator/{code}/?jaar={YEAR}")
        wait_for_charts(page, 3)
        names = [t.get("name") for t in _figure(page, "fig-trend")["data"]]
        assert "Landelijk" in names, (code, names)
        assert page.locator('[data-figure="fig-trend"] .legendtext', has_text="Landelijk").count() == 1
        assert page.locator('th[data-series="landelijk"]').count() == 1
        if code == "2a-entree":
            assert page.locator('.breakdown[data-dimension="vooropleiding"] [data-figure]').count() == 1
        screenshot(f"comparisons-demo-{code}-{width}")
        overflow = document_overflow(page)
        assert overflow["scrollWidth"] <= overflow["innerWidth"], (code, overflow)
