"""The agenda's admin pages apply the rules every other channel applies, and answer in Dutch, never with a 500.

Each test posts an admin page's own form as a browser would (the page is read, one field changed):
a team stays in its college, a college is switched off rather than deleted with its sign-off trail,
a team added on its college's page gets the college's institution and a free code, applicability
rows from the same year are refused, baselines, targets and the result-dependent part stay within
their bounds (domain.md: teams over time, herijking, ambitions, budget at most 25 %).
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from agenda.models import Ambition, BaselineRevision, BudgetYear, College, Indicator, Team
from agenda.services import ambition_add
from indicatoren.models import Measurement, SignoffEvent, YearSignoff
from tests.agenda.admin_forms import form_data

pytestmark = pytest.mark.django_db


def _page(client, url: str) -> dict:
    """Return what the admin page at `url` posts when saved unchanged."""
    return form_data(client, url)


def _add_row(data: dict, prefix: str, **fields) -> None:
    """Add one row to the inline `prefix`, as the page's 'Nog een toevoegen' does."""
    position = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(position + 1)
    data.update({f"{prefix}-{position}-{name}": value for name, value in fields.items()})


def _errors(response) -> str:
    """Return the text of the page's error lists."""
    content = response.content.decode()
    return " ".join(part.split("</ul>")[0] for part in content.split('<ul class="errorlist')[1:])


@pytest.fixture
def superuser(client):
    client.force_login(get_user_model().objects.create_superuser("beheer33", "beheer33@example.org", "geheim"))
    client.raise_request_exception = False  # a 500 is an answer to assert on, not an exception in the test
    return client


@pytest.fixture
def policy(client, rocvaf_demo):
    client.force_login(get_user_model().objects.get(username="beleid"))
    client.raise_request_exception = False
    return client


def _percent_indicator(institution) -> Indicator:
    return Indicator.objects.filter(institution=institution, unit="percent").order_by("code").first()


# --- 1. A team stays in its college -------------------------------------------------------------


def test_a_teams_college_cannot_be_changed_on_its_admin_page(superuser, rocvaf_demo):
    """Posting another college for a team with values leaves it where it is; its values stay editable there."""
    value = Measurement.objects.filter(indicator__institution=rocvaf_demo, level="team").order_by("pk").first()
    team, college = value.team, value.team.college
    other = College.objects.filter(institution=rocvaf_demo, active=True).exclude(pk=college.pk).first()
    url = f"/admin/agenda/team/{team.pk}/change/"
    data = _page(superuser, url)
    data["college"] = str(other.pk)
    assert superuser.post(url, data).status_code == 302
    team.refresh_from_db()
    assert team.college_id == college.pk == value.college_id
    assert "college" not in _page(superuser, url)  # shown, not offered as a choice

    url = f"/admin/indicatoren/measurement/{value.pk}/change/"
    data = _page(superuser, url)
    data["value"] = str(value.value + Decimal("0.1"))
    assert superuser.post(url, data).status_code == 302, "the team's value could no longer be corrected"


def test_a_team_is_still_added_with_its_college_on_the_team_page(superuser, rocvaf_demo):
    """The add page keeps offering institution and college: only an existing team is held in place."""
    data = _page(superuser, "/admin/agenda/team/add/")
    assert "college" in data and "institution" in data


# --- 2. Baseline revisions: read in the admin (tests/invoer/test_policy_baselines.py writes them) ---


def test_policy_staff_cannot_store_a_baseline_revision_in_the_indicator_page(policy, rocvaf_demo):
    """A revision 'vanaf 2015' of 150 % without a reason, posted by policy staff, is not stored."""
    indicator = _percent_indicator(rocvaf_demo)
    url = f"/admin/agenda/indicator/{indicator.pk}/change/"
    data = _page(policy, url)
    _add_row(
        data,
        "baseline_revisions",
        from_year="2015",
        baseline_year=str(indicator.baseline_year),
        baseline_value="150",
        reason="",
        indicator=str(indicator.pk),
    )
    response = policy.post(url, data)
    assert response.status_code in (200, 302)
    assert not BaselineRevision.objects.filter(indicator=indicator).exists()


def test_an_indicators_baseline_outside_the_units_range_is_refused(policy, rocvaf_demo):
    """A baseline of -20 % on the indicator page is refused in Dutch, as the agenda loader refuses it."""
    indicator = _percent_indicator(rocvaf_demo)
    before = indicator.baseline_value
    url = f"/admin/agenda/indicator/{indicator.pk}/change/"
    data = _page(policy, url)
    data["baseline_value"] = "-20"
    response = policy.post(url, data)
    assert response.status_code == 200
    assert "Waarde -20 past niet bij de eenheid van de indicator" in _errors(response)
    indicator.refresh_from_db()
    assert indicator.baseline_value == before


# --- 3. A college is switched off, never deleted with its sign-off trail -------------------------


def test_the_institution_page_cannot_delete_a_college_with_its_signoff_trail(superuser, rocvaf_demo):
    """Ticking 'verwijderen' is not offered, and a posted one keeps the college and its sign-off events."""
    from indicatoren.signoff import signoff_submit

    user = get_user_model().objects.get(username="beheer33")
    college = College.objects.create(institution=rocvaf_demo, code="9999", name="Proefcollege")
    signoff_submit(institution=rocvaf_demo, college=college, year=rocvaf_demo.period_start, user=user)
    events = SignoffEvent.objects.filter(signoff__college=college).count()
    url = f"/admin/agenda/institution/{rocvaf_demo.pk}/change/"
    data = _page(superuser, url)
    assert not any(name.startswith("colleges-") and name.endswith("-DELETE") for name in data)
    position = next(
        name.split("-")[1]
        for name, value in data.items()
        if name.startswith("colleges-") and name.endswith("-id") and value == str(college.pk)
    )
    data[f"colleges-{position}-DELETE"] = "on"
    assert superuser.post(url, data).status_code == 302
    assert College.objects.filter(pk=college.pk).exists()
    assert YearSignoff.objects.filter(college=college).exists()
    assert SignoffEvent.objects.filter(signoff__college=college).count() == events


# --- 4. A team added on its college's page -------------------------------------------------------


def _college_page(client, institution) -> tuple[College, str, dict]:
    college = College.objects.filter(institution=institution, active=True).order_by("code").first()
    url = f"/admin/agenda/college/{college.pk}/change/"
    return college, url, _page(client, url)


def _team_row(college: College, code: str) -> dict:
    return {"code": code, "name": "Nieuw team", "active_from": "2021", "active_until": "", "college": str(college.pk)}


@pytest.mark.parametrize("who", ["superuser", "policy"])
def test_a_team_added_on_its_colleges_page_gets_the_colleges_institution(who, request, rocvaf_demo):
    """Superuser and policy staff add a team in the college's team list; it belongs to the college's institution."""
    client = request.getfixturevalue(who)
    college, url, data = _college_page(client, rocvaf_demo)
    _add_row(data, "teams", **_team_row(college, f"{college.code}-NIEUW"))
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    team = Team.objects.get(code=f"{college.code}-NIEUW")
    assert (team.college_id, team.institution_id) == (college.pk, rocvaf_demo.pk)


def test_a_team_code_taken_in_the_institution_is_refused_on_the_colleges_page(superuser, rocvaf_demo):
    """A code another college's team has, in other letters, gets the constraint's Dutch message, not a 500."""
    college, url, data = _college_page(superuser, rocvaf_demo)
    taken = Team.objects.filter(institution=rocvaf_demo).exclude(college=college).order_by("code").first()
    _add_row(data, "teams", **_team_row(college, taken.code.swapcase()))
    teams = Team.objects.count()
    response = superuser.post(url, data)
    assert response.status_code == 200
    assert "Deze teamcode is al in gebruik binnen de instelling" in _errors(response)
    assert Team.objects.count() == teams


def test_two_new_teams_with_one_code_are_refused_on_the_colleges_page(superuser, rocvaf_demo):
    """Two rows 'X-1' and 'x-1' in one save: the second gets the Dutch message, neither is stored."""
    college, url, data = _college_page(superuser, rocvaf_demo)
    _add_row(data, "teams", **_team_row(college, "DUBBEL-1"))
    _add_row(data, "teams", **_team_row(college, "dubbel-1"))
    response = superuser.post(url, data)
    assert response.status_code == 200
    assert "Deze teamcode is al in gebruik binnen de instelling" in _errors(response)
    assert not Team.objects.filter(code__iexact="dubbel-1").exists()


# --- 5. An ambition's target -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type", "target", "message"),
    [
        ("target", "150", "Waarde 150 past niet bij de eenheid van de indicator, een percentage"),
        ("improve", "5", "Alleen een ambitie van de soort streefcijfer heeft een streefcijfer."),
    ],
)
def test_the_ambition_admin_refuses_a_target_the_policy_page_refuses(superuser, rocvaf_demo, type, target, message):
    """150 % for a percentage, or a target on an 'improve' ambition: the Dutch message, no revision stored."""
    indicator = _percent_indicator(rocvaf_demo)
    ambitions = Ambition.objects.count()
    response = superuser.post(
        "/admin/agenda/ambition/add/",
        {"indicator": indicator.pk, "year": 2022, "type": type, "target": target, "tolerance": "0", "reason": "t"},
    )
    assert response.status_code == 200
    assert message in _errors(response)
    assert Ambition.objects.count() == ambitions


def test_the_ambition_service_refuses_a_target_outside_the_units_range(rocvaf_demo):
    """ambition_add, which every channel writes through, holds the rule itself: 150 % is refused on `target`."""
    with pytest.raises(ValidationError) as refused:
        ambition_add(indicator=_percent_indicator(rocvaf_demo), year=2022, type="target", target=Decimal(150))
    assert "past niet bij de eenheid" in refused.value.message_dict["target"][0]


# --- 6. The result-dependent part ------------------------------------------------------------------


def test_a_result_dependent_part_above_25_percent_is_refused(policy, rocvaf_demo):
    """60 % result-dependent is refused with the loader's bound (domain.md: at most 25 %); 20 % is stored."""
    budget_year = BudgetYear.objects.filter(institution=rocvaf_demo).order_by("year").first()
    before = budget_year.result_dependent_pct
    url = f"/admin/agenda/budgetyear/{budget_year.pk}/change/"
    data = _page(policy, url)
    data["result_dependent_pct"] = "60"
    response = policy.post(url, data)
    assert response.status_code == 200
    assert "Het resultaatafhankelijke deel is hoogstens 25 %: 60 valt buiten 0-25." in _errors(response)
    budget_year.refresh_from_db()
    assert budget_year.result_dependent_pct == before

    data["result_dependent_pct"] = "20"
    assert policy.post(url, data).status_code == 302
    budget_year.refresh_from_db()
    assert budget_year.result_dependent_pct == 20
