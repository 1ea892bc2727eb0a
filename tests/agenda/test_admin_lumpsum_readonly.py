"""The budget year's admin page does not write back the lumpsum it showed (review of 2026-12-02, second session).

The lumpsum's one home is the manifesto page, which compares with the version it showed
(maatregelen.services.lumpsum_set). The admin's change form posted the lumpsum with every other
column, without a version: a policy user correcting the year's total there put back the lumpsum
as the admin page showed it, undoing a change made on the manifesto page meanwhile.
"""

import pytest
from django.contrib.auth import get_user_model

from agenda.models import BudgetYear
from maatregelen import services
from tests.agenda.admin_forms import form_data

pytestmark = pytest.mark.django_db


def test_an_admin_save_keeps_a_lumpsum_set_since_its_page_was_shown(client, rocvaf_demo):
    client.force_login(get_user_model().objects.get(username="beleid"))
    budget_year = BudgetYear.objects.filter(institution=rocvaf_demo).order_by("year").first()
    url = f"/admin/agenda/budgetyear/{budget_year.pk}/change/"
    shown = form_data(client, url)
    assert "lumpsum_total_cents" not in shown  # shown read-only: the manifesto page is where it changes
    services.lumpsum_set(budget_year=BudgetYear.objects.get(pk=budget_year.pk), lumpsum_total_cents=123_456_700)
    assert client.post(url, shown).status_code == 302
    assert BudgetYear.objects.get(pk=budget_year.pk).lumpsum_total_cents == 123_456_700
