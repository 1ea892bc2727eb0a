"""A form sent back with errors shows its summary, also when the form sits below the fold (static/js/app.js).

On the teams page the add form is under the list of teams: a director who added a code already in use
(in any case: agenda.models, team_code_unique) saw the page's top and no error at all.
"""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1440, 900)])
def test_the_error_summary_of_the_teams_form_is_brought_into_view(
    rocvaf_demo_tx, live_server, login, page, width, height
):
    """After adding '5100-eca' (5100-ECA exists) the summary is focused and inside the viewport."""
    page.set_viewport_size({"width": width, "height": height})
    login("directeur5100")
    page.goto(f"{live_server.url}/teams/college/5100/")
    form = page.locator("form:has(input[name=code])")
    form.get_by_label("Code").fill("5100-eca")
    form.get_by_label("Naam").fill("Dubbel")
    form.get_by_role("button").click()
    summary = page.locator("#form-errors")
    expect(summary).to_contain_text("hoofdletters tellen niet mee")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
