"""Switching a college on or off cannot change an approved (vastgesteld) year.

domain.md: an inactive college's data are never counted, an active one counts in the two-thirds
denominator of every year (with data or without), and a year's budget is split over the active
colleges. "Sign-off and locking": approved years change only after policy staff reopen them.
Switching a college off in the admin (or in the agenda file) changed every approved year.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from agenda.models import College, Institution
from agenda.services import AgendaLockedError, agenda_load
from indicatoren.signoff import signoff_approve, signoff_reopen
from tests.agenda.admin_forms import form_data
from tests.api.conftest import agenda_spec

pytestmark = pytest.mark.django_db
CODE = "LKC"
REOPEN = "wijzigen kan pas nadat een beleidsmedewerker het jaar heropent."


def base() -> dict:
    """Return the agenda: active college LC10, active LC20, inactive LC30; a budget row for 2020 only."""
    data = agenda_spec(CODE, ["LC10", "LC20", "LC30"])
    data["colleges"][2]["active"] = False
    return data


@pytest.fixture
def inst():
    agenda_load(data=base(), source="v1")
    return Institution.objects.get(code=CODE)


def college(inst, code: str) -> College:
    return College.objects.get(institution=inst, code=code)


def switch(inst, code: str, active: bool) -> College:
    """Return the college with `active` set and checked as the admin's form checks it (full_clean)."""
    row = college(inst, code)
    row.active = active
    row.full_clean()
    return row


@pytest.fixture
def superuser(client):
    client.force_login(get_user_model().objects.create_superuser("beheer-lkc", "lkc@example.org", "geheim"))
    return client


def test_switching_a_college_off_or_on_is_refused_while_a_year_is_approved(inst):
    """With 2020 approved, LC10 off and LC30 on are refused beside `active`, the year and approval named."""
    signoff_approve(institution=inst, year=2020, system=True)
    for code, active, word in (("LC10", False, "uitzetten"), ("LC30", True, "aanzetten")):
        with pytest.raises(ValidationError) as excinfo:
            switch(inst, code, active)
        (message,) = excinfo.value.message_dict["active"]
        assert message.startswith(f"College {code} {word} verandert de oordelen en het budget in 2020, maar het jaar")
        assert message.endswith(REOPEN)


def test_renaming_stays_free_and_after_reopening_the_switch_goes_through(inst):
    """A name counts nothing; after policy staff reopen 2020 with a reason, LC10 can be switched off."""
    signoff_approve(institution=inst, year=2020, system=True)
    row = college(inst, "LC10")
    row.name = "Nieuwe naam"
    row.full_clean()
    signoff_reopen(institution=inst, year=2020, reason="college gesloten", system=True)
    switch(inst, "LC10", False).save()
    assert not college(inst, "LC10").active


def test_another_college_approved_alone_locks_the_switch_in_a_budget_year_only(inst):
    """The budget of 2020 is split over the active colleges: LC20's approved 2020 locks LC10; its 2021 does not."""
    lc20 = college(inst, "LC20")
    signoff_approve(institution=inst, year=2021, college=lc20, system=True)
    switch(inst, "LC10", False)  # 2021 has no budget row: LC20's verdicts and cents stay as they were
    signoff_approve(institution=inst, year=2020, college=lc20, system=True)
    with pytest.raises(ValidationError) as excinfo:
        switch(inst, "LC10", False)
    assert "in 2020, maar het jaar 2020 is voor college LC20 vastgesteld op " in excinfo.value.messages[0]


def test_a_new_college_counts_from_the_start_unless_added_switched_off(inst):
    """A new active college joins every year's denominator: refused with 2020 approved; switched off it is added."""
    signoff_approve(institution=inst, year=2020, system=True)
    with pytest.raises(ValidationError) as excinfo:
        College(institution=inst, code="LC40", name="Nieuw", active=True).full_clean()
    assert excinfo.value.message_dict["active"][0].startswith(
        "Het nieuwe actieve college LC40 telt mee in de oordelen en het budget in 2020, maar het jaar 2020"
    )
    College(institution=inst, code="LC40", name="Nieuw", active=False).full_clean()


def test_the_college_admin_refuses_it_beside_the_field(superuser, inst):
    """The college's admin page shows the message and stores nothing."""
    signoff_approve(institution=inst, year=2020, system=True)
    row = college(inst, "LC10")
    url = f"/admin/agenda/college/{row.pk}/change/"
    data = form_data(superuser, url)
    data.pop("active")
    response = superuser.post(url, data)
    assert response.status_code == 200
    assert "College LC10 uitzetten verandert de oordelen en het budget in 2020, maar" in response.content.decode()
    assert college(inst, "LC10").active


def test_the_institution_admin_refuses_it_in_the_colleges_inline(superuser, inst):
    """The institution's page lists its colleges with `active`: the same message, nothing stored."""
    signoff_approve(institution=inst, year=2020, system=True)
    url = f"/admin/agenda/institution/{inst.pk}/change/"
    data = form_data(superuser, url)
    (field,) = [name for name, value in data.items() if name.endswith("-code") and value == "LC10"]
    data.pop(field.removesuffix("-code") + "-active")
    response = superuser.post(url, data)
    assert response.status_code == 200
    assert "College LC10 uitzetten verandert de oordelen en het budget in 2020, maar" in response.content.decode()
    assert college(inst, "LC10").active


def test_the_agenda_file_cannot_switch_a_college_or_add_an_active_one(inst):
    """The loader asks the same rule: LC10 off and a new active LC40 are refused with their paths; nothing changes."""
    signoff_approve(institution=inst, year=2020, system=True)
    data = base()
    data["colleges"][0]["active"] = False
    data["colleges"].append({"code": "LC40", "name": "Nieuw"})
    with pytest.raises(AgendaLockedError) as excinfo:
        agenda_load(data=data, source="v2")
    assert [error.partition(" in 2020, maar ")[0] for error in excinfo.value.errors] == [
        "colleges[0].active: College LC10 uitzetten verandert de oordelen en het budget",
        "colleges[3].active: Het nieuwe actieve college LC40 telt mee in de oordelen en het budget",
    ]
    assert college(inst, "LC10").active
    assert not College.objects.filter(institution=inst, code="LC40").exists()
    # Added switched off, the college counts nowhere: the file loads.
    data = base()
    data["colleges"].append({"code": "LC40", "name": "Nieuw", "active": False})
    agenda_load(data=data, source="v2")
    assert not college(inst, "LC40").active
