"""The herijking page shows every kind of revision with both versions (issue 11): shares, colleges, baselines."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agenda.models import College, Indicator, Theme
from agenda.services import applicability_revise, baseline_revise, theme_share_revise

HERIJKING = reverse("rapportage:herijking")
ENTREE = ["5100", "5110", "5200", "5210", "5300", "5400", "5500", "5800", "7100", "7200"]


def user(username: str):
    """Return a demo user."""
    return get_user_model().objects.get(username=username)


def colleges(*codes: str) -> list[College]:
    """Return the demo colleges with these codes."""
    return list(College.objects.filter(institution__code="ROCVAF", code__in=codes))


@pytest.fixture
def revised(rocvaf_demo):
    """Revise, from 2021, T2's share 25 -> 30, entree without 5100 and 2b's baseline; entree back with 5100 in 2022."""
    beleid = user("beleid")
    theme_share_revise(
        theme=Theme.objects.get(institution=rocvaf_demo, code="T2"),
        from_year=2021,
        budget_share_pct=Decimal(30),
        reason="Meer nadruk op kwetsbare jongeren",
        author=beleid,
    )
    entree = Indicator.objects.get(institution=rocvaf_demo, code="2a-entree")
    applicability_revise(
        indicator=entree,
        from_year=2021,
        colleges=colleges(*ENTREE[1:]),
        reason="5100 stopt met de entreeopleiding",
        author=beleid,
    )
    applicability_revise(
        indicator=entree,
        from_year=2022,
        colleges=colleges(*ENTREE, "5810"),
        reason="5100 begint opnieuw, 5810 start entree",
        author=beleid,
    )
    baseline_revise(
        indicator=Indicator.objects.get(institution=rocvaf_demo, code="2b"),
        from_year=2021,
        baseline_year=2019,
        baseline_value=Decimal("6.5"),
        reason="Nieuwe definitie vsv",
        author=beleid,
    )
    return rocvaf_demo


def article(html: str, data: str, year: int) -> str:
    """Return the herijking-change article for `data` (data-theme or data-indicator) from `year`."""
    match = re.search(rf'<article class="herijking-change" {data} data-from="{year}">.*?</article>', html, re.S)
    assert match, f"no revision {data} from {year}"
    return match.group(0)


def text(fragment: str) -> str:
    """Return the text of an HTML fragment with whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


@pytest.fixture
def board(client, rocvaf_demo):
    """Return a client logged in as the board member."""
    client.force_login(user("bestuur"))
    return client


@pytest.mark.django_db
def test_the_page_shows_each_share_revision_with_both_shares_reason_author_and_date(board, revised):
    """T2: 'Tot en met 2020 25 %' beside 'Vanaf 2021 30 %', with the reason, beleid and the date."""
    shown = text(article(board.get(HERIJKING).content.decode(), 'data-theme="T2"', 2021))
    assert "budgetaandeel vanaf 2021" in shown
    assert "Tot en met 2020 25 %" in shown and "Vanaf 2021 30 %" in shown
    assert "Reden: Meer nadruk op kwetsbare jongeren" in shown
    assert f"door {user('beleid').get_full_name() or 'beleid'}" in shown
    assert re.search(r"Vastgesteld op \d{1,2} \w+ 20\d\d", shown)


@pytest.mark.django_db
def test_the_page_shows_each_applicability_revision_with_the_colleges_added_and_removed(board, revised):
    """Entree 2021: 10 -> 9 colleges, 5100 no longer counts; 2022: 9 -> 11, 5100 and 5810 count again."""
    html = board.get(HERIJKING).content.decode()
    names = dict(College.objects.filter(institution=revised).values_list("code", "name"))
    first = text(article(html, 'data-indicator="2a-entree"', 2021))
    assert "Tot en met 2020 10 van 12 colleges" in first and "Vanaf 2021 9 van 12 colleges" in first
    assert f"telt niet meer mee: 5100 {names['5100']}" in first and "telt voortaan mee" not in first
    assert "Reden: 5100 stopt met de entreeopleiding" in first
    second = text(article(html, 'data-indicator="2a-entree"', 2022))
    assert "Tot en met 2021 9 van 12 colleges" in second and "Vanaf 2022 11 van 12 colleges" in second
    assert f"telt voortaan mee: 5100 {names['5100']}" in second
    assert f"telt voortaan mee: 5810 {names['5810']}" in second
    # The agenda's own lists (entree, niveau 2, from the start) are no revisions.
    assert html.count('<article class="herijking-change" data-indicator="2a-') == 2


@pytest.mark.django_db
def test_the_page_shows_each_baseline_revision_before_and_after(board, revised):
    """2b: nulmeting 2016 6,7 until 2020, nulmeting 2019 6,5 from 2021."""
    shown = text(article(board.get(HERIJKING).content.decode(), 'data-indicator="2b"', 2021))
    vsv = Indicator.objects.get(institution=revised, code="2b")
    before = str(vsv.baseline_value.normalize()).replace(".", ",")
    assert f"Tot en met 2020 nulmeting {vsv.baseline_year}: {before}" in shown
    assert "Vanaf 2021 nulmeting 2019: 6,5" in shown and "Reden: Nieuwe definitie vsv" in shown


@pytest.mark.django_db
def test_without_revisions_each_kind_has_a_helpful_empty_state(board):
    """The demo has ambition revisions only: the three other kinds each say that nothing was revised."""
    html = board.get(HERIJKING).content.decode()
    assert "Er zijn geen budgetaandelen herijkt" in html
    assert "Er is geen toepasbaarheid herijkt" in html
    assert "Er zijn geen nulmetingen herijkt" in html
    assert 'class="herijking-change"' not in html
    assert reverse("beleid:applicability") not in html  # the board is not offered the policy pages


@pytest.mark.django_db
def test_policy_staff_are_led_to_the_pages_that_record_a_herijking(client, revised):
    """beleid sees links to the applicability and the theme share pages."""
    client.force_login(user("beleid"))
    html = client.get(HERIJKING).content.decode()
    assert f'href="{reverse("beleid:applicability")}"' in html
    assert f'href="{reverse("beleid:theme_shares")}"' in html


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_revisions(board, revised):
    """A second revision of each kind costs no query: every kind is read in a constant number of queries."""

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert board.get(HERIJKING).status_code == 200
        return len(captured)

    board.get(HERIJKING)  # warm the session
    before = queries()
    beleid = user("beleid")
    theme_share_revise(
        theme=Theme.objects.get(institution=revised, code="T1"),
        from_year=2022,
        budget_share_pct=Decimal(20),
        reason="ook T1",
        author=beleid,
    )
    applicability_revise(
        indicator=Indicator.objects.get(institution=revised, code="2a-n2"),
        from_year=2021,
        colleges=colleges("5100", "5200"),
        reason="ook niveau 2",
        author=beleid,
    )
    baseline_revise(
        indicator=Indicator.objects.get(institution=revised, code="1a"),
        from_year=2022,
        baseline_year=2019,
        reason="ook 1a",
        author=beleid,
    )
    assert queries() == before
