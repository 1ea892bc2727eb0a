"""The Q-gesprek pages and the timeline at phone, tablet and laptop width (issue 15, items 4 and 6)."""

import datetime

import pytest

from agenda.models import College, Indicator
from maatregelen import services
from maatregelen.models import ActionItem
from tests.conftest import ARTIFACTS
from tests.rapportage.test_browser_responsive import misfits

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1366)


def q_cycle_data() -> dict:
    """Record two Q-gesprekken of 5100 with an action followed up, a check-in and evidence on 2b."""
    college = College.objects.get(code="5100")
    indicator = Indicator.objects.get(code="2b")
    q1 = services.review_create(college=college, year=2022, quadrimester=1, held_on=datetime.date(2022, 3, 14))
    action = services.action_create(
        review=q1,
        description="Elke student van niveau 2 krijgt een pluscoach voor de overstap naar het volgende jaar",
        owner="Teamleider niveau 2",
        due_on=datetime.date(2022, 6, 1),
        indicator=indicator,
    )
    q2 = services.review_create(
        college=college, year=2022, quadrimester=2, held_on=datetime.date(2022, 6, 20), notes="Jaarresultaat stijgt."
    )
    services.action_follow_up(action=action, review=q2, status="in_uitvoering", note="Twee van de drie teams")
    services.checkin_record(review=q2, indicator=indicator, status="risico", note="Nog 0,3 onder de ambitie")
    services.evidence_create(
        college=college,
        theme=indicator.theme,
        indicator=indicator,
        year=2022,
        kind="verhaal",
        title="Een pluscoach vertelt",
        text="x",
    )
    return {"q1": q1, "q2": q2}


@pytest.mark.parametrize("width", WIDTHS)
def test_q_cycle_pages_and_timeline_fit_the_screen(width, rocvaf_demo_tx, live_server, login, page, screenshot):
    """The Q-gesprek page, the overview, the college's page and both timelines never scroll sideways."""
    data = q_cycle_data()
    page.set_viewport_size({"width": width, "height": 900})
    login("directeur5100")
    problems = []
    pages = (
        ("q-gesprek", f"/maatregelen/q-gesprek/{data['q2'].pk}/"),
        ("q-gesprekken", "/maatregelen/q-gesprekken/"),
        ("maatregelen-5100", "/maatregelen/college/5100/"),
        ("college-5100-timeline", "/dashboard/college/5100/?jaar=2022"),
        ("indicator-2b-timeline", "/dashboard/indicator/2b/?jaar=2022"),
    )
    for name, path in pages:
        page.goto(f"{live_server.url}{path}")
        # The forms behind 'Actiepunt toevoegen' and 'Check-in vastleggen' must fit too (long indicator names).
        page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
        if "timeline" in name:
            page.locator("#kop-q-tijdlijn").scroll_into_view_if_needed()
            shot = ARTIFACTS / "screenshots" / f"q-timeline-{name}-{width}.png"
            page.locator(".q-timeline").screenshot(path=str(shot))
        problems += misfits(page, name, width, screenshot)
    assert problems == []


def test_a_director_records_an_action_with_the_keyboard(rocvaf_demo_tx, live_server, login, page, screenshot):
    """On a phone, the director opens 'Actiepunt toevoegen' with Enter, types, submits; the action is listed."""
    data = q_cycle_data()
    page.set_viewport_size({"width": 390, "height": 900})
    login("directeur5100")
    page.goto(f"{live_server.url}/maatregelen/q-gesprek/{data['q2'].pk}/")
    summary = page.get_by_text("Actiepunt toevoegen", exact=True)
    summary.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Afspraak").fill("Oudergesprek plannen")
    page.get_by_label("Eigenaar").fill("Mentor")
    page.get_by_label("Afspraak").focus()
    page.get_by_role("button", name="Actiepunt vastleggen").press("Enter")
    page.wait_for_selector("text=Het actiepunt is vastgelegd.")
    screenshot("q-gesprek-action-added-390")
    assert ActionItem.objects.filter(review=data["q2"], description="Oudergesprek plannen", owner="Mentor").exists()
    assert "Oudergesprek plannen" in page.locator("#kop-acties").locator("..").inner_text()
