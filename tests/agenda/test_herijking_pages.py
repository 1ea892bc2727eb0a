"""The herijking pages of policy staff (issue 11): applicability of an indicator and theme shares from a year on.

Since issue 15 they are policy pages with a dry run (invoer.policy_views): saving follows a preview.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from agenda.models import Applicability, College, Indicator, Theme, ThemeShareRevision
from agenda.selectors import indicator_colleges, theme_shares
from rapportage.models import IndicatorResult, Version
from rapportage.services import recompute_now
from tests.invoer.policy_flow import preview_and_save

APPLICABILITY = reverse("beleid:applicability")
SHARES = reverse("beleid:theme_shares")
ENTREE = ["5100", "5110", "5200", "5210", "5300", "5400", "5500", "5800", "7100", "7200"]


def logged_in(client, username: str):
    """Return the client logged in as a demo user."""
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def policy(client, rocvaf_demo):
    """Return a client logged in as policy staff (beleid)."""
    return logged_in(client, "beleid")


def entree_post(**changes) -> dict:
    """Return a valid POST that takes 5100 out of entree from 2021, with `changes` applied."""
    data = {
        "indicator": "2a-entree",
        "from_year": "2021",
        "colleges": [code for code in ENTREE if code != "5100"],
        "reason": "5100 stopt met de entreeopleiding (herijking 2020)",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def status(code: str, year: int) -> dict:
    """Return the stored current STATUS of an indicator in a year."""
    return IndicatorResult.objects.get(indicator__code=code, year=year, version=Version.CURRENT).payload


@pytest.mark.django_db
@pytest.mark.parametrize("page", [APPLICABILITY, SHARES])
@pytest.mark.parametrize(("username", "expected"), [("beleid", 200), ("bestuur", 403), ("directeur5100", 403)])
def test_only_policy_staff_get_the_herijking_pages(client, rocvaf_demo, page, username, expected):
    """beleid gets both pages; the board and a director are refused with 403, for GET and POST alike."""
    logged_in(client, username)
    assert client.get(page).status_code == expected
    if expected == 403:
        share = {"theme": "T1", "from_year": "2021", "budget_share_pct": "20", "reason": "herijking"}
        assert client.post(page, entree_post() if page == APPLICABILITY else share).status_code == 403
        assert not Applicability.objects.filter(from_year=2021).exists()
        assert not ThemeShareRevision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("page", [APPLICABILITY, SHARES])
def test_anonymous_visitors_are_sent_to_the_login(client, rocvaf_demo, page):
    """An anonymous visitor is redirected to the login page."""
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_the_form_offers_every_college_with_code_and_name_and_per_college_indicators_only(policy):
    """Every college of the institution is a checkbox with its code and name; institution-only 3c is not offered."""
    response = policy.get(APPLICABILITY)
    html = response.content.decode()
    for college in College.objects.filter(institution__code="ROCVAF"):
        assert f'value="{college.code}"' in html and f"{college.code} {college.name}" in html
    assert html.count('type="checkbox" name="colleges"') == 12
    offered = [choice[0].value for choice in response.context["form"].fields["indicator"].choices if choice[0]]
    assert "2a-entree" in offered and "3c" not in offered


@pytest.mark.django_db
def test_choosing_an_indicator_and_year_fills_in_the_colleges_in_force(policy):
    """?indicator=2a-entree&from_year=2021 checks the 10 entree colleges; the overview says 10 of 12."""
    response = policy.get(APPLICABILITY, {"indicator": "2a-entree", "from_year": "2021"})
    form = response.context["form"]
    assert (form.initial["indicator"], form.initial["from_year"], form.initial["colleges"]) == (
        "2a-entree",
        2021,
        ENTREE,
    )
    html = response.content.decode()
    assert re.findall(r'<input type="checkbox" name="colleges" value="(\w+)"[^>]*checked', html) == ENTREE
    assert "10 van 12 colleges" in html and "niet: 5810" in html


@pytest.mark.django_db
def test_a_valid_post_stores_the_revision_and_the_next_recompute_uses_it(policy, rocvaf_demo):
    """Entree without 5100 from 2021: 2020 keeps 10 colleges, 2021 is judged over 9 after the recompute."""
    assert status("2a-entree", 2021)["colleges_total"] == 10
    response = preview_and_save(policy, APPLICABILITY, entree_post())[1]
    assert response.status_code == 302
    revision = Applicability.objects.get(indicator__code="2a-entree", from_year=2021)
    assert (revision.reason, revision.author.username) == (
        "5100 stopt met de entreeopleiding (herijking 2020)",
        "beleid",
    )
    entree = Indicator.objects.get(code="2a-entree")
    assert indicator_colleges(entree, 2020) == ENTREE
    assert indicator_colleges(entree, 2021) == ENTREE[1:]
    page = policy.get(response["Location"]).content.decode()
    assert "Vastgelegd: 2a-entree geldt vanaf 2021 voor 9 van de 12 colleges." in page

    recompute_now(institution=rocvaf_demo, reason="test")
    assert status("2a-entree", 2021)["colleges_total"] == 9
    assert status("2a-entree", 2020)["colleges_total"] == 10
    entry_5100 = next(c for c in status("2a-entree", 2021)["colleges"] if c["college"] == "5100")
    assert entry_5100["basis"] == "not_applicable" and entry_5100["met"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"colleges": None}, "colleges", "Kies minstens één college."),
        ({"from_year": "2023"}, "from_year", "2023 valt buiten de periode 2019-2022."),
        ({"from_year": "2018"}, "from_year", "2018 valt buiten de periode 2019-2022."),
        ({"reason": "  "}, "reason", "Geef de reden van de herijking."),
    ],
)
def test_an_invalid_post_is_refused_with_the_dutch_message_and_stores_nothing(policy, changes, field, message):
    """No colleges, a year outside the period or no reason: 400, the message beside the field, nothing stored."""
    rows = Applicability.objects.count()
    response = policy.post(APPLICABILITY, entree_post(**changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert message in html and 'role="alert"' in html
    assert Applicability.objects.count() == rows
    assert indicator_colleges(Indicator.objects.get(code="2a-entree"), 2022) == ENTREE


@pytest.mark.django_db
def test_an_institution_only_indicator_or_a_foreign_college_is_refused(policy):
    """3c is measured for the institution only, 9999 is no college: both are form errors, nothing stored."""
    rows = Applicability.objects.count()
    response = policy.post(APPLICABILITY, entree_post(indicator="3c"))
    assert response.status_code == 400 and "indicator" in response.context["form"].errors
    response = policy.post(APPLICABILITY, entree_post(colleges=["5110", "9999"]))
    assert response.status_code == 400 and "colleges" in response.context["form"].errors
    assert Applicability.objects.count() == rows


@pytest.mark.django_db
def test_a_share_revision_is_stored_from_its_year_with_a_dutch_decimal(policy, rocvaf_demo):
    """T1 12,5 % from 2021: 2020 keeps its share, the page warns that 2021 no longer adds up to 100."""
    before = dict((code, share) for code, share, _ in theme_shares(rocvaf_demo, 2020))
    response = preview_and_save(
        policy, SHARES, {"theme": "T1", "from_year": "2021", "budget_share_pct": "12,5", "reason": "herijking 2020"}
    )[1]
    assert response.status_code == 302
    revision = ThemeShareRevision.objects.get(theme__code="T1", from_year=2021)
    assert (revision.budget_share_pct, revision.author.username) == (Decimal("12.5"), "beleid")
    assert dict((code, share) for code, share, _ in theme_shares(rocvaf_demo, 2020)) == before
    assert dict((c, s) for c, s, _ in theme_shares(rocvaf_demo, 2021))["T1"] == Decimal("12.5")
    html = policy.get(response["Location"]).content.decode()
    assert "Vastgelegd: T1 krijgt vanaf 2021 12,5 % van het budget." in html
    assert before["T1"] == 25 and "In 2021 tellen de aandelen op tot 87,5 %, niet tot 100 %." in html
    assert "In 2020 tellen" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"budget_share_pct": "veel"}, "budget_share_pct", "Geen percentage; schrijf bijvoorbeeld 20 of 12,5."),
        ({"budget_share_pct": "101"}, "budget_share_pct", "Een aandeel ligt tussen 0 en 100 %."),
        ({"from_year": "2023"}, "from_year", "2023 valt buiten de periode 2019-2022."),
        ({"reason": ""}, "reason", "Geef de reden van de herijking."),
    ],
)
def test_an_invalid_share_is_refused_with_the_dutch_message(policy, changes, field, message):
    """A share that is no percentage, a year outside the period or no reason: 400 and nothing stored."""
    data = {"theme": "T1", "from_year": "2021", "budget_share_pct": "20", "reason": "herijking 2020", **changes}
    response = policy.post(SHARES, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert not ThemeShareRevision.objects.exists()


@pytest.mark.django_db
def test_the_share_page_shows_every_theme_per_year_and_fills_in_the_chosen_share(policy, rocvaf_demo):
    """Each theme's share per year of the period; ?theme=T2&from_year=2021 fills in T2's 2021 share."""
    response = policy.get(SHARES, {"theme": "T2", "from_year": "2021"})
    html = response.content.decode()
    for theme in Theme.objects.filter(institution=rocvaf_demo):
        assert f'data-theme="{theme.code}"' in html
    shares = dict((code, share) for code, share, _ in theme_shares(rocvaf_demo, 2021))
    assert response.context["form"].initial["budget_share_pct"] == str(shares["T2"].normalize())
    assert "tellen de aandelen op" not in html  # the agenda's shares add up to 100 in every year


@pytest.mark.django_db
def test_policy_staff_find_the_pages_from_the_teams_page(policy):
    """The teams page links policy staff to the applicability page; a director sees no such link."""
    assert APPLICABILITY in policy.get("/teams/college/5100/").content.decode()


@pytest.mark.django_db
def test_a_director_sees_no_link_to_the_herijking_pages(client, rocvaf_demo):
    """The teams page of a director does not offer the policy pages."""
    html = logged_in(client, "directeur5100").get("/teams/college/5100/").content.decode()
    assert APPLICABILITY not in html
