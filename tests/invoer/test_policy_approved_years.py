"""A herijking cannot change an approved (vastgesteld) year; it can from the next open year on.

domain.md, "Sign-off and locking": approved years are locked until policy staff reopen them with a
reason. A revision of an ambition, an indicator's colleges, a baseline or a theme's share from 2020
on, after 2020 was approved, changed the verdicts and cents the board had signed as vastgesteld.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from agenda.models import Ambition, Applicability, BaselineRevision, College, ThemeShareRevision
from indicatoren.signoff import signoff_approve, signoff_reopen
from tests.invoer.policy_flow import preview, preview_and_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(client, rocvaf_demo):
    client.force_login(get_user_model().objects.get(username="beleid"))
    return client


def approve(institution, year: int) -> College:
    """Approve `year` for college 5100 only; return the college."""
    college = College.objects.get(institution=institution, code="5100")
    signoff_approve(
        institution=institution, year=year, college=college, user=get_user_model().objects.get(username="beleid")
    )
    return college


REVISIONS = [
    (
        "beleid:ambitions",
        {"indicator": "1a", "until_year": "2022", "type": "target", "target": "6,9", "tolerance": "0"},
        Ambition,
    ),
    ("beleid:applicability", {"indicator": "1a", "colleges": ["5100", "5110"]}, Applicability),
    ("beleid:baselines", {"indicator": "1a", "baseline_year": "2018", "baseline_value": "6,5"}, BaselineRevision),
    ("beleid:theme_shares", {"theme": "T1", "budget_share_pct": "30"}, ThemeShareRevision),
]


@pytest.mark.parametrize(("page", "fields", "model"), REVISIONS)
def test_a_revision_from_an_approved_year_is_refused_beside_the_year(policy, rocvaf_demo, page, fields, model):
    """From 2020 with 2020 approved for 5100: 400, the approval named on 'Vanaf (jaar)', nothing stored."""
    approve(rocvaf_demo, 2020)
    before = model.objects.count()
    data = {**fields, "from_year": "2020", "reason": "herijking"}
    response = preview(policy, reverse(page), data)
    assert response.status_code == 400
    (message,) = response.context["form"].errors["from_year"]
    assert " in 2020, maar het jaar 2020 is voor college 5100 vastgesteld op " in message
    assert message.endswith("wijzigen kan pas nadat een beleidsmedewerker het jaar heropent.")
    assert model.objects.count() == before


@pytest.mark.parametrize(("page", "fields", "model"), REVISIONS)
def test_a_revision_from_the_next_open_year_is_saved(policy, rocvaf_demo, page, fields, model):
    """From 2021 with 2020 approved: previewed and saved as before."""
    approve(rocvaf_demo, 2020)
    data = {**fields, "from_year": "2021", "reason": "herijking"}
    if page == "beleid:ambitions":
        data["until_year"] = "2021"
    assert preview_and_save(policy, reverse(page), data)[1].status_code == 302


def test_an_ambition_borrowed_by_an_approved_year_is_locked_with_it(policy, rocvaf_demo):
    """2019 has no ambition of its own and is judged against 2020's: with 2019 approved, 2020's is locked too."""
    approve(rocvaf_demo, 2019)
    data = {**REVISIONS[0][1], "from_year": "2020", "until_year": "2020", "reason": "herijking"}
    response = preview(policy, reverse("beleid:ambitions"), data)
    assert response.status_code == 400
    assert (
        "De ambitie van 1a vanaf 2020 verandert het oordeel in 2019" in response.context["form"].errors["from_year"][0]
    )
    # After policy staff reopen 2019 with a reason, the revision goes through.
    signoff_reopen(
        institution=rocvaf_demo,
        year=2019,
        college=College.objects.get(institution=rocvaf_demo, code="5100"),
        reason="herijking 2020",
        user=get_user_model().objects.get(username="beleid"),
    )
    assert preview_and_save(policy, reverse("beleid:ambitions"), data)[1].status_code == 302


def test_the_superusers_ambition_form_in_the_admin_asks_the_same(client, rocvaf_demo):
    """An ambition for 2020 added in the admin with 2020 approved: the approval beside 'jaar', nothing stored."""
    from agenda.models import Indicator

    approve(rocvaf_demo, 2020)
    client.force_login(get_user_model().objects.create_superuser("beheer-amb", "amb@example.org", "geheim"))
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="1a")
    before = Ambition.objects.count()
    data = {"indicator": indicator.pk, "year": 2020, "type": "target", "target": "6.9", "tolerance": "0", "reason": "t"}
    response = client.post("/admin/agenda/ambition/add/", data)
    assert response.status_code == 200
    assert "De ambitie van 1a vanaf 2020 verandert het oordeel in 2020, maar het jaar 2020" in response.content.decode()
    assert Ambition.objects.count() == before
    later = client.post("/admin/agenda/ambition/add/", {**data, "year": 2021})
    assert later.status_code == 302, later.context["adminform"].form.errors
    assert Ambition.objects.count() == before + 1
