"""Charts drawn when they are on screen, plotly.js evaluated for the first (issue 16): every one still draws.

static/js/dashboard.js draws a chart when it comes within 100 px of the screen, the one nearest
first, and evaluates plotly.js (preloaded by the page, never run by it) only when the first chart is
about to be drawn: evaluating plotly.js and drawing were most of the time until an indicator page
was usable (docs/benchmarks.md 10.C). These tests hold it to what the reader must still get: a box
that says the chart is coming and keeps its height; each chart drawn when scrolled to (by mouse,
keyboard or a focused region); every chart on paper; at phone, tablet and desktop width; and the
page does not jump when a chart draws.
"""

import io

import pytest
from pypdf import PdfReader

from tests.conftest import ARTIFACTS
from tests.rapportage.test_browser_responsive import draw_every_chart

pytestmark = pytest.mark.browser

YEAR = 2022
INDICATOR = f"/dashboard/indicator/2b/?jaar={YEAR}"  # trend, teams, heatmap and a breakdown (issue 18)
BUDGET = f"/dashboard/budget/?jaar={YEAR}"  # treemap, colleges, themes
OVERVIEW = f"/dashboard/?jaar={YEAR}"  # no charts
SHOTS = ARTIFACTS / "screenshots" / "i16c"
WAITING = "Grafiek wordt getekend"  # the box's text until its chart draws (rapportage/_figure.html)
NOT_PRINTED = "Grafiek niet afgedrukt"  # the same box on paper

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
# Counts the calls of window.print() instead of opening a dialog (headless Chromium has none).
PRINT_CALLS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


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


def plotly_evaluated(page) -> bool:
    """Return whether plotly.js has run in the page."""
    return page.evaluate("() => typeof window.Plotly !== 'undefined'")


def waiting_boxes(page) -> list[str]:
    """Return the charts whose box still says it is being drawn (their data-figure names)."""
    return page.evaluate(
        "() => [...document.querySelectorAll('[data-figure]')]"
        f".filter((c) => (c.querySelector('.chart-wait')?.textContent || '').startsWith({WAITING!r}))"
        ".map((c) => c.getAttribute('data-figure'))"
    )


def pdf_text(pdf: bytes) -> str:
    """Return the text of a PDF, its lines joined by spaces."""
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


def test_only_charts_on_screen_draw_and_plotly_runs_for_the_first(rocvaf_demo_tx, live_server, login, page):
    """Desktop: plotly.js runs only once a chart is on screen; until a chart draws its box says so and
    has its height; scrolled to, each chart draws without moving anything; pages without charts never
    run plotly.js."""
    page.set_viewport_size({"width": 1366, "height": 900})
    page.add_init_script(DRAW_ORDER)
    login("bestuur")
    plotly_requests = []
    page.on("request", lambda request: "/js/plotly" in request.url and plotly_requests.append(request.url))

    # The budget page's treemap is on the first screen: it draws, and only it (the next chart starts
    # 372 px below the screen, outside dashboard.js's 100 px).
    page.goto(live_server.url + BUDGET)
    settle(page)
    assert page.evaluate("() => window.__drawOrder") == ["fig-treemap"]
    assert plotly_evaluated(page)

    # The indicator page's first chart starts 205 px below a 900 px screen: nothing runs plotly.js,
    # though it was fetched (preloaded) with the page; every box says its chart is coming.
    plotly_requests.clear()
    page.goto(live_server.url + INDICATOR)
    settle(page)
    every = charts(page)
    assert len(every) == 4
    assert drawn(page) == set() and not plotly_evaluated(page)
    assert plotly_requests, "plotly.js is not preloaded"
    assert waiting_boxes(page) == every
    before = chart_tops(page)
    draw_every_chart(page)
    assert drawn(page) == set(every) and waiting_boxes(page) == []
    assert chart_tops(page) == before  # each box had its figure's height already: nothing moved

    # Pages without charts never fetch nor run plotly.js.
    plotly_requests.clear()
    for path in (OVERVIEW, "/dashboard/afdrukken/"):
        page.goto(live_server.url + path)
        settle(page)
        assert not plotly_evaluated(page), path
    assert plotly_requests == []


def test_every_chart_is_on_paper(rocvaf_demo_tx, live_server, login, page):
    """Printing puts every chart on paper: after a chart has drawn (beforeprint draws the rest), and by
    Ctrl+P on a page that has drawn none (plotly.js is run and every chart drawn before printing); from
    the browser's menu on such a page, a box without its chart says on paper how to print it.

    page.pdf() is Chromium's own printing (beforeprint, print media, afterprint); the PDF's text says
    whether a box was printed without its chart.
    """
    page.set_viewport_size({"width": 1366, "height": 900})
    page.add_init_script(PRINT_CALLS)
    login("bestuur")

    # One chart drawn (plotly.js has run): beforeprint draws the three not scrolled to, in time.
    page.goto(live_server.url + INDICATOR)
    settle(page)
    trend = page.locator('[data-figure="fig-trend"]')
    trend.scroll_into_view_if_needed()
    trend.locator(".main-svg").first.wait_for(state="attached")
    page.evaluate("() => window.scrollTo(0, 0)")
    assert drawn(page) == {"fig-trend"}
    text = pdf_text(page.pdf())
    assert NOT_PRINTED not in text and WAITING not in text
    assert drawn(page) == set(charts(page))

    # No chart drawn, plotly.js never run: Ctrl+P runs it, draws every chart, then prints.
    page.goto(live_server.url + INDICATOR)
    settle(page)
    assert drawn(page) == set() and not plotly_evaluated(page)
    page.keyboard.press("Control+p")
    page.wait_for_function("() => window.__prints === 1")
    assert drawn(page) == set(charts(page))
    text = pdf_text(page.pdf())
    assert NOT_PRINTED not in text and WAITING not in text

    # Printed from the browser's menu before any chart drew: beforeprint cannot wait for plotly.js to run.
    # Chromium lays the page out for print a task or so later: with plotly.js already in the cache it may
    # have run and drawn every chart by then, else each box says on paper how to print it with its chart
    # (never "being drawn"); either way the charts are drawn for the next print.
    page.goto(live_server.url + INDICATOR)
    settle(page)
    text = pdf_text(page.pdf())
    assert WAITING not in text
    assert text.count(NOT_PRINTED) in (0, len(charts(page))), text
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-figure]')].every((c) => c.querySelector('.main-svg'))"
    )
    assert NOT_PRINTED not in pdf_text(page.pdf())


def test_every_chart_draws_at_every_width_and_by_keyboard(rocvaf_demo_tx, live_server, login, page):
    """Phone, tablet and desktop: scrolled through, every chart of the indicator and budget pages is
    drawn at the width of its box; on a phone the keyboard alone (Page Down, Tab) draws them too.

    Screenshots go to artifacts/screenshots/i16c/ to be looked at: each page after scrolling to every
    chart, and the first chart's box while plotly.js is held back (the text it shows until it draws).
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

    # The box before its chart draws: plotly.js held back on the way, the trend scrolled to.
    held = []
    page.route("**/js/plotly*", lambda route: held.append(route))
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + INDICATOR, wait_until="domcontentloaded")
    trend = page.locator('[data-figure="fig-trend"]')
    trend.scroll_into_view_if_needed()
    assert "fig-trend" in waiting_boxes(page)
    page.screenshot(path=str(SHOTS / "indicator-2b-1366-waiting.png"))
    page.wait_for_timeout(200)
    for route in held:
        route.continue_()
    page.unroute("**/js/plotly*")
    trend.locator(".main-svg").first.wait_for(state="attached")

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
