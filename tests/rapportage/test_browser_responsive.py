"""Every screen size (issue 15, item 6): the dashboards and the grid at phone, tablet and laptop width.

The document never scrolls sideways: a wide table scrolls inside its own region, which keyboard
users can focus; table headers fit their cells; the trend chart keeps its legend off the plot.
"""

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

WIDTHS = (360, 390, 768, 1366)
YEAR = 2022

# (screenshot name, path, number of plotly charts drawn on the page)
DASHBOARD_PAGES = (
    ("overview", f"/dashboard/?jaar={YEAR}", 0),
    ("indicator-2b", f"/dashboard/indicator/2b/?jaar={YEAR}", 3),
    ("colleges", f"/dashboard/colleges/?jaar={YEAR}", 0),
    ("college-5100", f"/dashboard/college/5100/?jaar={YEAR}", 0),
    ("budget", f"/dashboard/budget/?jaar={YEAR}", 3),
)


def draw_every_chart(page) -> None:
    """Scroll to each chart in turn, as a reader does, and wait until plotly has drawn it.

    static/js/dashboard.js draws a chart when it comes near the viewport (issue 16): a chart that
    never draws when scrolled to fails here. Back at the top of the page afterwards.
    """
    for chart in page.locator("[data-figure]").all():
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.wait_for(state="attached")
    page.evaluate("() => window.scrollTo(0, 0)")


def wait_for_charts(page, count: int) -> None:
    """Draw every chart (scrolling to each), then check `count` were drawn and took the width of their box."""
    draw_every_chart(page)
    if count:
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {count}")
        # responsive: true redraws after a resize; wait until no chart is wider than its container.
        page.wait_for_function(
            "[...document.querySelectorAll('.js-plotly-plot')].every("
            "el => el.querySelector('.main-svg').getBoundingClientRect().width <= el.getBoundingClientRect().width + 1)"
        )


def document_overflow(page) -> dict:
    """Return the document's scroll width, the window width and the elements sticking out on the right."""
    return page.evaluate(
        """() => ({
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
            culprits: [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
                .filter(el => !el.closest('[role=region]'))
                .slice(0, 5)
                .map(el => el.tagName + '.' + el.className),
        })"""
    )


def overprinted_headers(page) -> list[str]:
    """Return the column headers whose text runs out of their cell (fixed layouts overprint them)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main thead th')]
            .filter(th => th.getClientRects().length && th.scrollWidth > th.clientWidth + 1)
            .map(th => th.innerText.trim())"""
    )


def unreachable_scroll_regions(page) -> list[str]:
    """Return the scrolling table boxes that a keyboard user cannot focus or a screen reader cannot name."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main .table-wrap, main .grid-scroll, main .chart-scroll')]
            .filter(el => !(el.getAttribute('role') === 'region' && el.tabIndex === 0
                            && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))))
            .map(el => el.className + ':' + (el.querySelector('table')?.className || ''))"""
    )


def misfits(page, name: str, width: int, screenshot) -> list:
    """Return what does not fit: sideways scrolling, overprinted headers, unreachable scroll boxes.

    Saves a screenshot of the page first, so a failure can be looked at.
    """
    screenshot(f"responsive-{name}-{width}")
    problems = []
    overflow = document_overflow(page)
    if overflow["scrollWidth"] > overflow["innerWidth"]:
        problems.append((name, "document scrolls sideways", overflow))
    if headers := overprinted_headers(page):
        problems.append((name, "headers overprinted", headers))
    if "{#" in page.locator("main").inner_text():  # a template comment over two lines is printed
        problems.append((name, "template comment shown as text", None))
    if regions := unreachable_scroll_regions(page):
        problems.append((name, "scroll boxes without keyboard focus or name", regions))
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboards_fit_the_screen(width, rocvaf_demo_tx, live_server, login, page, screenshot):
    """Overview, indicator, colleges, college and budget never scroll sideways from 360 to 1366 px."""
    page.set_viewport_size({"width": width, "height": 900})
    login("bestuur")
    problems = []
    for name, path, charts in DASHBOARD_PAGES:
        page.goto(f"{live_server.url}{path}")
        wait_for_charts(page, charts)
        problems += misfits(page, name, width, screenshot)
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_trend_legend_stays_off_the_plot(width, rocvaf_demo_tx, live_server, login, page):
    """The trend chart fits its column and its legend (16 entries) sits outside the plotting area."""
    page.set_viewport_size({"width": width, "height": 900})
    login("bestuur")
    page.goto(f"{live_server.url}/dashboard/indicator/2b/?jaar={YEAR}")
    wait_for_charts(page, 3)
    trend = page.locator('[data-figure="fig-trend"]')
    trend.screenshot(path=str(ARTIFACTS / "screenshots" / f"responsive-trend-{width}.png"))
    plot = trend.locator(".draglayer .nsewdrag").bounding_box()
    legend = trend.locator(".legend").bounding_box()
    overlap_x = min(plot["x"] + plot["width"], legend["x"] + legend["width"]) - max(plot["x"], legend["x"])
    overlap_y = min(plot["y"] + plot["height"], legend["y"] + legend["height"]) - max(plot["y"], legend["y"])
    assert overlap_x <= 1 or overlap_y <= 1, (plot, legend)
    # The plotting area keeps a usable size, whatever the legend takes.
    assert plot["width"] >= 0.6 * trend.bounding_box()["width"]
    assert plot["height"] >= 250
    if width < 700:
        assert legend["y"] >= plot["y"] + plot["height"] - 1  # below the plot on a phone


@pytest.mark.parametrize("width", WIDTHS)
def test_grid_fits_the_screen(width, rocvaf_demo_tx, live_server, login, page, screenshot):
    """The results grid scrolls inside its own region; the page itself never scrolls sideways."""
    page.set_viewport_size({"width": width, "height": 900})
    login("directeur5100")
    page.goto(f"{live_server.url}/invoer/college/5100/?jaar={YEAR}")
    region = page.get_by_role("region", name=f"Teamresultaten 5100 in {YEAR}")
    assert region.count() == 1
    assert misfits(page, "grid-5100", width, screenshot) == []
    # Keyboard users reach the region itself (and scroll it with the arrow keys once it has focus).
    region.focus()
    assert region.evaluate("el => document.activeElement === el")
