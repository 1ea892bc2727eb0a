"""A college switched off, or the period changed, on the institution's admin page asks for a recompute.

A period may not leave a stored budget year outside it, and the budget year's admin refuses a year
outside the period, as the agenda loader does (domain.md: budget rows outside the period are refused).

Whether a college counts (active) and which years are judged (the period) move verdicts and
cents (domain.md, "Which teams and colleges count"); every admin save that can do so asks for a
recompute (agenda.admin.RecomputeMixin), or the stored verdicts would stay those of before.
"""

import pytest
from django.contrib.auth import get_user_model

from agenda.models import BudgetYear, College
from rapportage.models import IndicatorResult, RecomputeRun
from tests.agenda.admin_forms import form_data

pytestmark = pytest.mark.django_db


def _change_page(client, institution) -> tuple[str, dict[str, str]]:
    url = f"/admin/agenda/institution/{institution.pk}/change/"
    return url, form_data(client, url)


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser("beheer16", "beheer16@example.org", "geheim"))
    return client


def _colleges_counted(institution, year: int) -> int:
    """Return the colleges counted in the stored current verdicts of `year`, summed over the indicators."""
    rows = IndicatorResult.objects.filter(institution=institution, year=year, version="current")
    return sum(row.payload["colleges_total"] for row in rows)


def test_a_college_switched_off_on_the_institution_page_is_no_longer_counted(
    superuser_client, rocvaf_demo, django_capture_on_commit_callbacks
):
    from rapportage import services

    services.recompute_now(institution=rocvaf_demo, reason="test")
    counted = _colleges_counted(rocvaf_demo, rocvaf_demo.period_end)
    college = College.objects.filter(institution=rocvaf_demo, active=True).order_by("code").first()
    before = RecomputeRun.objects.filter(institution=rocvaf_demo).count()
    url, data = _change_page(superuser_client, rocvaf_demo)
    position = next(
        key.split("-")[1] for key, value in data.items() if key.startswith("colleges-") and value == str(college.pk)
    )
    data.pop(f"colleges-{position}-active")
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    college.refresh_from_db()
    assert college.active is False
    assert RecomputeRun.objects.filter(institution=rocvaf_demo).count() > before
    assert _colleges_counted(rocvaf_demo, rocvaf_demo.period_end) < counted


def test_a_longer_period_on_the_institution_page_judges_the_new_year(
    superuser_client, rocvaf_demo, django_capture_on_commit_callbacks
):
    from rapportage import services

    services.recompute_now(institution=rocvaf_demo, reason="test")
    new = rocvaf_demo.period_end + 1
    assert not IndicatorResult.objects.filter(institution=rocvaf_demo, year=new).exists()
    url, data = _change_page(superuser_client, rocvaf_demo)
    data["period_end"] = str(new)
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert IndicatorResult.objects.filter(institution=rocvaf_demo, year=new).exists()


def test_a_period_that_leaves_a_budget_year_outside_is_refused(superuser_client, rocvaf_demo):
    """The budget of the last year would fall outside: a clear Dutch error, nothing saved, no recompute asked."""
    last = rocvaf_demo.period_end
    assert BudgetYear.objects.filter(institution=rocvaf_demo, year=last).exists()
    runs = RecomputeRun.objects.filter(institution=rocvaf_demo).count()
    url, data = _change_page(superuser_client, rocvaf_demo)
    data["period_end"] = str(last - 1)
    response = superuser_client.post(url, data)
    assert response.status_code == 200
    assert f"Er is een budget vastgelegd voor {last}, buiten de periode" in response.content.decode()
    rocvaf_demo.refresh_from_db()
    assert rocvaf_demo.period_end == last
    assert RecomputeRun.objects.filter(institution=rocvaf_demo).count() == runs


def test_the_admin_refuses_a_budget_year_outside_the_period(superuser_client, rocvaf_demo):
    """As the agenda loader does (agenda.schema): the admin is one more channel for the same rule."""
    year = rocvaf_demo.period_end + 5
    response = superuser_client.post(
        "/admin/agenda/budgetyear/add/",
        {
            "institution": rocvaf_demo.pk,
            "year": year,
            "total_cents": 100,
            "result_dependent_pct": 25,
            "central_pct": 0,
            "choices": "[]",
        },
    )
    assert response.status_code == 200
    assert f"{year} valt buiten de periode {rocvaf_demo.period_start}-{rocvaf_demo.period_end}." in (
        response.content.decode()
    )
    assert not BudgetYear.objects.filter(institution=rocvaf_demo, year=year).exists()
