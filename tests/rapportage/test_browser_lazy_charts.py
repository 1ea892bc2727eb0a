"""Charts drawn as they come near the viewport (issue 16): every one still draws, on every screen.

static/js/dashboard.js draws a chart when it comes within half a screen of the viewport, the one
nearest first, instead of all of them at load: drawing was most of the time until an indicator
page was usable. These tests hold it to what the reader must still get: each chart drawn when
scrolled to (by mouse, keyboard or a focused region), all of them before printing, at phone,
tablet and desktop width; and the page does not jump when a chart draws.
"""

import pytest

from tests.conftest import ARTIFACTS
from tests.rapportage.test_browser_responsive import draw_every_chart

pytestmark = pytest.mark.browser

YEAR = 2022
INDICATOR = f"/dashboard/indicator/2b/?jaar={YEAR}"  # trend, teams, heatmap and a breakdown (issue 18)
BUDGET = f"/dashboard/budget/?jaar={YEAR}"  # treemap, colleges, themes
SHOTS = ARTIFACTS / "screenshots" / "i16b"

# Notes, inside the page, the order in which the charts get drawn.
DRAW_ORDER = """
window.__drawOrder = [];
new MutationObserver(() => {
  document.querySelectorAll('[data-figure]').forEach((c) => {
    const name = c.getAttribute('data-figure');
    if (c.querySelector('.main-svg') && !window.__drawOrder.includes(name)) window.__drawOrder.push(name);
  });
}).observe(document, { childList: true, subtree: true });
"""


def drawn(page) -> set[str]:
    """Return the charts plotly has drawn (their data-figure names)."""
    return set(
        page.evaluate(
            "() => [...document.querySelectorAll('[data-figure]')]"
            ".filter((c) => c.querySelector('.main-svg')).map((c) => c.getAttribute('data-figure'))"
        )
    )


def charts(page) -> list[str]:
    """Return every chart of the page (their data-figure names), in document order."""
    return page.evaluate(
        "() => [...document.querySelectorAll('[data-figure]')].map((c) => c.getAttribute('data-figure'))"
    )


def settle(page) -> None:
    """Let the drawing that loading started finish: two animation frames with no chart waiting to be drawn."""
    page.wait_for_load_state("load")
    for _ in range(3):
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 200)))")


def chart_tops(page) -> dict[str, float]:
    """Return each chart's top edge in the document (px), drawn or not."""
    return page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('[data-figure]')]"
        ".map((c) => [c.getAttribute('data-figure'), c.getBoundingClientRect().top + window.scrollY]))"
    )


def test_charts_draw_as_they_come_near_and_all_before_printing(rocvaf_demo_tx, live_server, login, page):
    """Desktop: the first visible chart draws first, the ones far below wait until scrolled to, and
    then draw without moving anything; printing draws every chart not scrolled to yet."""
    page.set_viewport_size({"width": 1366, "height": 900})
    page.add_init_script(DRAW_ORDER)
    login("bestuur")

    # The budget page's treemap, in the first screen, draws before the charts below it.
    page.goto(live_server.url + BUDGET)
    settle(page)
    order = page.evaluate("() => window.__drawOrder")
    assert order and order[0] == "fig-treemap", order

    page.goto(live_server.url + INDICATOR)
    settle(page)
    every = charts(page)
    assert len(every) == 4
    at_load = drawn(page)
    assert "fig-trend" in at_load  # within half a screen of the first one
    assert "fig-heatmap" not in at_load and "fig-breakdown-1" not in at_load  # far below: not drawn yet
    before = chart_tops(page)
    draw_every_chart(page)
    assert drawn(page) == set(every)
    assert chart_tops(page) == before  # each box had its figure's height already: nothing moved

    # Printing (beforeprint) draws the charts not scrolled to yet: paper shows every chart.
    page.goto(live_server.url + INDICATOR)
    settle(page)
    assert drawn(page) != set(every)
    pdf = page.pdf()  # Chromium prints as Ctrl+P does: beforeprint, the print media, afterprint
    assert pdf.startswith(b"%PDF")
    assert drawn(page) == set(every)


def test_every_chart_draws_at_every_width_and_by_keyboard(rocvaf_demo_tx, live_server, login, page):
    """Phone, tablet and desktop: scrolled through, every chart of the indicator and budget pages is
    drawn at the width of its box; on a phone the keyboard alone (Page Down, Tab) draws them too.

    Screenshots of the pages after scrolling go to artifacts/screenshots/i16b/ to be looked at.
    """
    login("bestuur")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 820, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in (("indicator-2b", INDICATOR), ("budget", BUDGET)):
            page.goto(live_server.url + path)
            draw_every_chart(page)
            assert drawn(page) == set(charts(page)), (name, width)
            # Drawn at the width of its box, not at a width it had before it was near the viewport.
            too_wide = page.evaluate(
                "() => [...document.querySelectorAll('.js-plotly-plot')].filter((el) => "
                "el.querySelector('.main-svg').getBoundingClientRect().width > el.getBoundingClientRect().width + 1)"
                ".map((el) => el.getAttribute('data-figure'))"
            )
            assert too_wide == [], (name, width)
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)

    # Keyboard on a phone: Page Down through the page draws every chart on the way.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + INDICATOR)
    settle(page)
    assert drawn(page) == set()  # a phone's first screen has no chart near it
    for _ in range(60):
        page.keyboard.press("PageDown")
        if drawn(page) == set(charts(page)):
            break
        page.wait_for_timeout(100)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-figure]')].every((c) => c.querySelector('.main-svg'))"
    )
    # Tab from the top of a fresh page to the heatmap's scroll region: focusing it brings it into view.
    page.goto(live_server.url + INDICATOR)
    settle(page)
    region = page.locator(".chart-scroll")
    for _ in range(300):  # through the page's links and controls
        page.keyboard.press("Tab")
        if region.evaluate("(el) => document.activeElement === el"):
            break
    else:
        pytest.fail("Tab never reached the heatmap's scroll region")
    page.locator('[data-figure="fig-heatmap"] .main-svg').first.wait_for(state="attached")
