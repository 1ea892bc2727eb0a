"""The lockout page in a browser: Dutch, in the site's layout, with the time to retry (issue 13)."""

import re

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.browser


def test_five_wrong_passwords_show_the_lockout_page_on_the_site_and_the_admin(
    transactional_db, login, page, live_server, screenshot
):
    """beleid mistypes five times: the lockout page names the time to retry; the admin form refuses too."""
    get_user_model().objects.create_user("beleid", password="kwaliteit2019", is_staff=True)
    for _ in range(4):
        login("beleid", "fout")
        assert page.get_by_role("alert").is_visible()
    login("beleid", "fout")
    assert page.get_by_role("heading", name="Inloggen tijdelijk geblokkeerd").is_visible()
    assert re.search(r"U kunt het om \d\d:\d\d uur opnieuw proberen", page.get_by_role("alert").inner_text())
    assert page.locator("header.site-header").is_visible()
    screenshot("login-locked-out")

    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill("beleid")
    page.locator("#id_password").fill("kwaliteit2019")
    page.locator("input[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Inloggen tijdelijk geblokkeerd").is_visible()
