"""The subscription page in Chromium at phone and laptop width (issue 14, item 5)."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from rapportage.models import Subscription
from tests.rapportage.test_browser_responsive import misfits

pytestmark = pytest.mark.browser

WAIT = 60_000


@pytest.mark.parametrize("width", [390, 1366])
def test_a_director_subscribes_and_asks_for_a_sample(rocvaf_demo_tx, live_server, login, page, screenshot, width):
    """directeur5100 opens 'Abonnement' from the user menu, saves a monthly summary, gets a sample; the page fits."""
    account = get_user_model().objects.get(username="directeur5100")
    account.email = "directeur5100@example.org"
    account.save(update_fields=["email"])
    page.set_viewport_size({"width": width, "height": 900})
    login("directeur5100")
    page.get_by_role("link", name="Abonnement").click()
    expect(page.get_by_role("heading", name="Abonnement op het overzicht")).to_be_visible(timeout=WAIT)
    expect(page.locator(".subscription-scope")).to_contain_text("5100", timeout=WAIT)
    expect(page.get_by_label("samenvatting met Excel-rapportage")).to_have_count(0)  # the board's only
    page.get_by_label("Stuur mij het overzicht per e-mail").check()
    page.get_by_label("maandelijks").check()
    with page.expect_navigation(timeout=WAIT):
        page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".messages")).to_contain_text("Uw abonnement is opgeslagen.", timeout=WAIT)
    saved = Subscription.objects.get(user=account)
    assert (saved.active, saved.frequency, saved.flip_alerts) == (True, "monthly", True)
    with page.expect_navigation(timeout=WAIT):
        page.get_by_role("button", name="Stuur nu een voorbeeld").click()
    expect(page.locator(".messages")).to_contain_text("Een voorbeeld is verstuurd", timeout=WAIT)
    assert [m.to for m in mail.outbox if m.subject.startswith("Voorbeeld: ")] == [["directeur5100@example.org"]]
    assert misfits(page, "subscriptions", width, screenshot) == []
