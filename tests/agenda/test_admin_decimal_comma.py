"""The admin reads a decimal as the policy pages read it: "12,5" and "12.5" are both 12.5.

Django's own decimal form field refused "6,9" on every admin page ("Voer een getal in") while
the pages, the grid and the uploads beside it take a decimal comma (contracts.md section 2).
Each test saves an admin page's own form with one field typed the Dutch way.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from agenda.models import BudgetYear, Indicator
from indicatoren.models import Measurement
from tests.agenda.admin_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(client, rocvaf_demo):
    client.force_login(get_user_model().objects.get(username="beleid"))
    client.raise_request_exception = False
    return client


def _errors(response) -> str:
    content = response.content.decode()
    return " ".join(part.split("</ul>")[0] for part in content.split('<ul class="errorlist')[1:])


@pytest.mark.parametrize("typed", ["12,5", "12.5", " 12,5 "])
def test_a_budget_years_percentage_is_read_with_a_decimal_comma(policy, rocvaf_demo, typed):
    budget_year = BudgetYear.objects.filter(institution=rocvaf_demo).order_by("year").first()
    url = f"/admin/agenda/budgetyear/{budget_year.pk}/change/"
    data = form_data(policy, url)
    data["result_dependent_pct"] = typed
    response = policy.post(url, data)
    assert response.status_code == 302, _errors(response)
    budget_year.refresh_from_db()
    assert budget_year.result_dependent_pct == Decimal("12.5")
    # The page shows it back the way it was typed, with a comma.
    assert form_data(policy, url)["result_dependent_pct"] == "12,5"


def test_an_indicators_baseline_is_read_with_a_decimal_comma(policy, rocvaf_demo):
    indicator = Indicator.objects.filter(institution=rocvaf_demo, unit="percent").order_by("code").first()
    url = f"/admin/agenda/indicator/{indicator.pk}/change/"
    data = form_data(policy, url)
    data["baseline_value"] = "85,9"
    response = policy.post(url, data)
    assert response.status_code == 302, _errors(response)
    indicator.refresh_from_db()
    assert indicator.baseline_value == Decimal("85.9")


def test_a_value_is_read_with_a_decimal_comma_and_still_goes_through_the_write_service(policy, rocvaf_demo):
    measurement = (
        Measurement.objects.filter(indicator__institution=rocvaf_demo, indicator__unit="percent", team__isnull=False)
        .order_by("-year", "pk")
        .first()
    )
    url = f"/admin/indicatoren/measurement/{measurement.pk}/change/"
    data = form_data(policy, url)
    data["value"] = "77,25"
    data["note"] = "Correctie uit de admin"
    response = policy.post(url, data)
    assert response.status_code == 302, _errors(response)
    measurement.refresh_from_db()
    assert measurement.value == Decimal("77.25")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,2,3", "Geen getal; schrijf bijvoorbeeld 6,5 of 70."),
        ("12,5%", "Geen getal; schrijf bijvoorbeeld 6,5 of 70."),
        ("12,1234567", "Te veel decimalen in 12,1234567"),
        ("12,125", "niet meer dan 2"),  # the model's own two places (Django's DecimalValidator, in Dutch)
    ],
)
def test_a_typed_decimal_that_is_not_one_is_refused_in_dutch_and_nothing_changes(policy, rocvaf_demo, typed, message):
    budget_year = BudgetYear.objects.filter(institution=rocvaf_demo).order_by("year").first()
    before = budget_year.result_dependent_pct
    url = f"/admin/agenda/budgetyear/{budget_year.pk}/change/"
    data = form_data(policy, url)
    data["result_dependent_pct"] = typed
    response = policy.post(url, data)
    assert response.status_code == 200
    assert message in _errors(response)
    budget_year.refresh_from_db()
    assert budget_year.result_dependent_pct == before
