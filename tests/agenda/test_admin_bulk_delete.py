"""The changelist's 'delete selected' asks for a recompute, as deleting one row on its own page does.

Django's bulk delete does not call ModelAdmin.delete_model, so RecomputeMixin never heard of it: a
deleted budget year's split stayed stored and was served as current, not even verouderd.
"""

import pytest
from django.contrib.auth import get_user_model

from agenda.models import BudgetYear
from rapportage.selectors import budget_body
from tests.rapportage.exact_world import load_exact_world


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return load_exact_world("BULKDEL")


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("bulk-beheer", "bulk@example.org", "geheim"))
    return client


@pytest.mark.parametrize("bulk", [False, True])
def test_deleting_a_budget_year_removes_its_stored_split(world, admin_client, django_capture_on_commit_callbacks, bulk):
    """Deleted on its own page or with 'delete selected': the 2020 split is recomputed away."""
    budget_year = BudgetYear.objects.get(institution=world, year=2020)
    assert budget_body(world, 2020) is not None
    with django_capture_on_commit_callbacks(execute=True):
        if bulk:
            data = {"action": "delete_selected", "_selected_action": [budget_year.pk], "post": "yes"}
            response = admin_client.post("/admin/agenda/budgetyear/", data)
        else:
            response = admin_client.post(f"/admin/agenda/budgetyear/{budget_year.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not BudgetYear.objects.filter(pk=budget_year.pk).exists()
    assert budget_body(world, 2020) is None
