"""The policy pages fill a revision in from the choice even when it was made before their script ran.

CI once failed here (stop 28): Playwright chose T2 and 2021 on the theme shares page before the
deferred static/js/theme_shares.js had attached its "change" listener, so the share stayed empty.
A user on a slow line does the same. Each test holds the page's script back until the choice is
made, which is exactly that order, every time.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def choose_before_script(page, url: str, script: str, choices, then=None) -> None:
    """Open `url` with `script` held back, make `choices` (label, value), do `then`, then let the script run."""
    held = []
    page.route(re.compile(rf"/static/js/{script}(\.[0-9a-f]+)?\.js$"), lambda route: held.append(route))
    page.goto(url, wait_until="commit")
    for label, value in choices:
        page.get_by_label(label, exact=True).select_option(value)
    if then is not None:
        then()
    page.wait_for_function("document.readyState === 'interactive'")  # parsed, the deferred script still waits
    assert len(held) == 1, f"{script}.js was not requested"
    held[0].continue_()
    page.wait_for_load_state("load")


def test_theme_share_filled_in_when_chosen_before_the_script(rocvaf_demo_tx, live_server, login, page):
    """T2 in 2021 is 25 % in the demo agenda; choosing before the script still fills in 25."""
    login("beleid")
    choose_before_script(
        page, f"{live_server.url}/beleid/budgetaandelen/", "theme_shares", [("Thema", "T2"), ("Vanaf (jaar)", "2021")]
    )
    expect(page.get_by_label("Aandeel in het budget (%)")).to_have_value("25")
    expect(page.locator("#prefill-status")).to_contain_text("het aandeel van T2 in 2021 (25 %)")


def test_applicability_filled_in_when_chosen_before_the_script(rocvaf_demo_tx, live_server, login, page):
    """Entree counts for 10 of the 12 colleges in 2021; choosing before the script still ticks those ten."""
    login("beleid")
    choose_before_script(
        page,
        f"{live_server.url}/beleid/toepasbaarheid/",
        "applicability",
        [("Indicator", "2a-entree"), ("Vanaf (jaar)", "2021")],
    )
    expect(page.locator("#prefill-status")).to_contain_text("10 van 12 colleges")
    expect(page.locator('input[name="colleges"]:checked')).to_have_count(10)


def test_ambition_filled_in_when_chosen_before_the_script(rocvaf_demo_tx, live_server, login, page):
    """1b's 2021 target is 48; choosing before the script still fills it in."""
    login("beleid")
    choose_before_script(
        page, f"{live_server.url}/beleid/ambities/", "ambitions", [("Indicator", "1b"), ("Vanaf (jaar)", "2021")]
    )
    expect(page.get_by_label("Streefcijfer")).to_have_value("48")
    expect(page.locator("#prefill-status")).to_contain_text("de ambitie van 1b in 2021")


def test_a_choice_sent_back_by_the_server_keeps_the_users_value(rocvaf_demo_tx, live_server, login, page):
    """The form came back with an error: the script leaves the user's 30 % alone."""
    login("beleid")
    page.goto(f"{live_server.url}/beleid/budgetaandelen/")
    page.get_by_label("Thema").select_option("T2")
    page.get_by_label("Vanaf (jaar)").select_option("2021")
    expect(page.get_by_label("Aandeel in het budget (%)")).to_have_value("25")
    page.get_by_label("Aandeel in het budget (%)").fill("30")
    page.get_by_role("button", name="Voorbeeld bekijken").click()  # no reason: refused
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.get_by_label("Aandeel in het budget (%)")).to_have_value("30")


def test_a_share_typed_before_the_script_is_kept(rocvaf_demo_tx, live_server, login, page):
    """Chosen T2 and 2021 and typed 30 before the script ran: the script leaves the 30 alone."""
    login("beleid")
    choose_before_script(
        page,
        f"{live_server.url}/beleid/budgetaandelen/",
        "theme_shares",
        [("Thema", "T2"), ("Vanaf (jaar)", "2021")],
        then=lambda: page.get_by_label("Aandeel in het budget (%)").fill("30"),
    )
    # The page's load waited for the script; a change now still fills in as before.
    expect(page.get_by_label("Aandeel in het budget (%)")).to_have_value("30")
    page.get_by_label("Vanaf (jaar)").select_option("2022")
    expect(page.get_by_label("Aandeel in het budget (%)")).to_have_value("25")


def test_a_grid_value_typed_before_the_script_counts_as_unsaved(rocvaf_demo_tx, live_server, login, page):
    """A value typed before static/js/grid.js ran is marked changed, and leaving the page asks first."""
    from tests.invoer.test_browser_grid import YEAR, key

    login("directeur5100")
    held = []
    page.route(re.compile(r"/static/js/grid(\.[0-9a-f]+)?\.js$"), lambda route: held.append(route))
    page.goto(f"{live_server.url}/invoer/college/5100/?jaar={YEAR}", wait_until="commit")
    cell = page.locator(f"#v_{key('1a', '5100-JUR')}")
    cell.fill("7,5")
    page.wait_for_function("document.readyState === 'interactive'")
    assert len(held) == 1, "grid.js was not requested"
    held[0].continue_()
    page.wait_for_load_state("load")
    expect(page.locator(f"td:has(#v_{key('1a', '5100-JUR')})")).to_have_class(re.compile("changed"))
    dialogs = []

    def answer(dialog):
        """Record the dialog and stay on the page."""
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("link", name="Teams", exact=True).click()
    expect(page.locator(f"#v_{key('1a', '5100-JUR')}")).to_have_value("7,5")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
