"""The browser setup works: Debian's chromium logs in and renders the overview."""

import pytest

pytestmark = pytest.mark.browser


def test_board_member_logs_in_and_sees_the_overview(rocvaf_demo_tx, login, page, screenshot):
    """bestuur logs in through the form and lands on the overview with all five themes."""
    login("bestuur")
    assert page.url.endswith("/dashboard/")
    screenshot("smoke-overview")
    assert page.get_by_role("heading", name="Stand van de ambities in 2022").is_visible()
    for code in ("T1", "T2", "T3", "T4", "T5"):
        assert page.locator(f"#theme-{code}").is_visible()
    assert page.get_by_text("Synthetische demogegevens").is_visible()
    screenshot("smoke-overview")


def test_wrong_password_is_refused_with_a_message(transactional_db, login, page):
    """A wrong password keeps the user on the login page with a clear message."""
    login("nobody", "wrong")
    assert "/accounts/login/" in page.url
    assert page.get_by_role("alert").is_visible()
