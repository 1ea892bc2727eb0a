"""Who approved and who reopened a year stays in the sign-off trail: their account cannot be deleted.

domain.md, "Sign-off and locking": a year is reopened "with a reason, which is logged", and the lock
message names who approved it. Deleting the account in the admin set every event's user to empty.
"""

import pytest
from django.contrib.auth import get_user_model

from agenda.choices import Role
from agenda.models import College, Membership
from indicatoren.models import SignoffEvent, YearSignoff
from indicatoren.signoff import approved_units, signoff_approve, signoff_reopen

pytestmark = pytest.mark.django_db
YEAR = 2021


@pytest.fixture
def approver(rocvaf_demo):
    """A policy account that approved, reopened and approved again 2021 for college 5100."""
    person = get_user_model().objects.create_user(username="vaststeller73", password="x")
    Membership.objects.create(user=person, institution=rocvaf_demo, role=Role.POLICY)
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    signoff_approve(institution=rocvaf_demo, year=YEAR, college=college, user=person)
    signoff_reopen(institution=rocvaf_demo, year=YEAR, college=college, user=person, reason="DUO-correctie 2021")
    signoff_approve(institution=rocvaf_demo, year=YEAR, college=college, user=person)
    return person, college


def test_the_admin_refuses_to_delete_an_account_in_the_trail_and_says_why(client, approver, rocvaf_demo):
    person, college = approver
    client.force_login(get_user_model().objects.create_superuser("beheer73", "beheer73@example.org", "geheim"))
    url = f"/admin/auth/user/{person.pk}/delete/"
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "kan niet worden verwijderd" in response.content.decode()
    assert get_user_model().objects.filter(pk=person.pk).exists()
    events = SignoffEvent.objects.filter(signoff__college=college, signoff__year=YEAR)
    assert set(events.values_list("user_id", flat=True)) == {person.pk}
    assert YearSignoff.objects.get(college=college, year=YEAR).changed_by_id == person.pk
    assert "door vaststeller73" in approved_units(rocvaf_demo, [YEAR])[(college.pk, YEAR)]


def test_an_account_that_never_signed_can_still_be_deleted(client, rocvaf_demo):
    person = get_user_model().objects.create_user(username="nooitgetekend73", password="x")
    client.force_login(get_user_model().objects.create_superuser("beheer74", "beheer74@example.org", "geheim"))
    response = client.post(f"/admin/auth/user/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=person.pk).exists()
