"""A service that saves a whole row saves it as stored now, not as its caller read it earlier.

domain.md, "No lost updates": the manifesto page read a budget year, someone changed the year's
total in the admin meanwhile, and setting the lumpsum wrote the old total back (the save writes
every column). The same for a promise changed by one field. The services now lock the row first.
"""

import pytest

from agenda.models import BudgetYear, Institution, Theme
from maatregelen import services
from maatregelen.models import Promise

pytestmark = pytest.mark.django_db


def test_setting_the_lumpsum_keeps_a_total_changed_since_the_page_read_the_year(rocvaf_demo):
    institution = Institution.objects.get(code="ROCVAF")
    read_by_page = BudgetYear.objects.filter(institution=institution).order_by("year").first()
    newer = BudgetYear.objects.get(pk=read_by_page.pk)
    newer.total_cents += 100_000_00
    newer.save()
    services.lumpsum_set(budget_year=read_by_page, lumpsum_total_cents=250_000_000_00)
    stored = BudgetYear.objects.get(pk=read_by_page.pk)
    assert (stored.total_cents, stored.lumpsum_total_cents) == (newer.total_cents, 250_000_000_00)


def test_changing_one_field_of_a_promise_keeps_the_others_as_stored_now(rocvaf_demo):
    institution = Institution.objects.get(code="ROCVAF")
    theme = Theme.objects.get(institution=institution, code="T2")
    promise = services.promise_save(institution=institution, theme=theme, title="Belofte 73", promise="eerste tekst")
    read_earlier = Promise.objects.get(pk=promise.pk)
    Promise.objects.filter(pk=promise.pk).update(promise="tekst van een collega")
    services.promise_save(institution=institution, record=read_earlier, title="Belofte 73 (herzien)")
    stored = Promise.objects.get(pk=promise.pk)
    assert (stored.title, stored.promise) == ("Belofte 73 (herzien)", "tekst van een collega")
