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


def before_script(page, url: str, script: str, act) -> None:
    """Open `url` with static/js/`script`.js held back, `act` on the parsed page, then let the script run."""
    held = []
    page.route(re.compile(rf"/static/js/{script}(\.[0-9a-f]+)?\.js$"), lambda route: held.append(route))
    page.goto(url, wait_until="commit")
    act()
    page.wait_for_function("document.readyState === 'interactive'")  # parsed, the deferred script still waits
    assert len(held) == 1, f"{script}.js was not requested"
    held[0].continue_()
    page.wait_for_load_state("load")


def choose(page, *choices):
    """Return an action that picks each (label, value) in its select."""
    return lambda: [page.get_by_label(label, exact=True).select_option(value) for label, value in choices]


# (page, script, choices, a field and the value the agenda in force gives it, the status line)
FILLED = {
    "theme share": (
        "/beleid/budgetaandelen/",
        "theme_shares",
        [("Thema", "T2"), ("Vanaf (jaar)", "2021")],
        ("Aandeel in het budget (%)", "25"),
        "het aandeel van T2 in 2021 (25 %)",
    ),
    "applicability": (
        "/beleid/toepasbaarheid/",
        "applicability",
        [("Indicator", "2a-entree"), ("Vanaf (jaar)", "2021")],
        None,  # entree counts for 10 of the 12 colleges in 2021: checked below
        "10 van 12 colleges",
    ),
    "ambition": (
        "/beleid/ambities/",
        "ambitions",
        [("Indicator", "1b"), ("Vanaf (jaar)", "2021")],
        ("Streefcijfer", "48"),
        "de ambitie van 1b in 2021",
    ),
}


@pytest.mark.parametrize("name", FILLED)
def test_revision_filled_in_when_chosen_before_the_script(name, rocvaf_demo_tx, live_server, login, page):
    """A choice made before the page's script ran still fills the revision in with what is in force."""
    path, script, choices, field, status = FILLED[name]
    login("beleid")
    before_script(page, f"{live_server.url}{path}", script, choose(page, *choices))
    if field is None:
        expect(page.locator('input[name="colleges"]:checked')).to_have_count(10)
    else:
        expect(page.get_by_label(field[0])).to_have_value(field[1])
    expect(page.locator("#prefill-status")).to_contain_text(status)


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
    choose_t2 = choose(page, ("Thema", "T2"), ("Vanaf (jaar)", "2021"))
    before_script(
        page,
        f"{live_server.url}/beleid/budgetaandelen/",
        "theme_shares",
        lambda: (choose_t2(), page.get_by_label("Aandeel in het budget (%)").fill("30")),
    )
    expect(page.get_by_label("Aandeel in het budget (%)")).to_have_value("30")
    page.get_by_label("Vanaf (jaar)").select_option("2022")  # a change after it still fills in as before
    expect(page.get_by_label("Aandeel in het budget (%)")).to_have_value("25")


def test_a_grid_value_typed_before_the_script_counts_as_unsaved(rocvaf_demo_tx, live_server, login, page):
    """A value typed before static/js/grid.js ran is marked changed, and leaving the page asks first."""
    from tests.invoer.test_browser_grid import YEAR, key

    login("directeur5100")
    cell = page.locator(f"#v_{key('1a', '5100-JUR')}")
    before_script(page, f"{live_server.url}/invoer/college/5100/?jaar={YEAR}", "grid", lambda: cell.fill("7,5"))
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
