"""A team's active years cannot move its values in or out of an approved (vastgesteld) year.

domain.md, "Sign-off and locking": approved years are locked until policy staff reopen them with a
reason; "Teams change over time": a team counts in Y only when it is active then. Ending a team in
2019 on its page took its 2020 values out of college 5100's approved 2020 verdict.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from agenda.models import College, Team
from agenda.services import team_update
from indicatoren.models import Measurement
from indicatoren.signoff import signoff_approve, signoff_reopen
from tests.agenda.admin_forms import form_data

pytestmark = pytest.mark.django_db
YEAR = 2020


def user(name):
    return get_user_model().objects.get(username=name)


@pytest.fixture
def approved(rocvaf_demo):
    """Return (college 5100, a team of it with 2020 values) after policy staff approved 2020 for 5100."""
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    team = Measurement.objects.filter(team__college=college, year=YEAR, team__active_until__isnull=True).first().team
    signoff_approve(institution=rocvaf_demo, year=YEAR, college=college, user=user("beleid"))
    return college, team


def test_a_director_cannot_end_a_team_before_an_approved_year_with_its_values(client, approved):
    """Ending the team in 2019 is refused beside the field, with the approval named; nothing changes."""
    college, team = approved
    client.force_login(user("directeur5100"))
    response = client.post(f"/teams/college/5100/{team.code}/", {"name": team.name, "active_until": "2019"})
    assert response.status_code == 400
    errors = response.context["form"].errors["active_until"]
    assert errors[0].startswith(f"Met deze actieve jaren telt team {team.code} anders mee in 2020, maar het jaar 2020")
    assert "vastgesteld" in errors[0] and "heropent" in errors[0]
    team.refresh_from_db()
    assert team.active_until is None


def test_ending_a_team_after_the_approved_year_and_renaming_stay_free(approved):
    """Ending it in 2021 leaves 2020 as it was; a new name touches no year."""
    college, team = approved
    team_update(team=team, name="Nieuwe naam", active_until=None)
    team_update(team=team, name="Nieuwe naam", active_until=2021)
    team.refresh_from_db()
    assert (team.name, team.active_until) == ("Nieuwe naam", 2021)


def test_after_policy_staff_reopen_the_year_the_team_can_be_ended(approved, rocvaf_demo):
    """The lock holds until the year is reopened with a reason, as for values."""
    college, team = approved
    signoff_reopen(institution=rocvaf_demo, year=YEAR, college=college, reason="team opgeheven", user=user("beleid"))
    team_update(team=team, name=team.name, active_until=2019)
    team.refresh_from_db()
    assert team.active_until == 2019


def test_the_admin_refuses_it_as_well(client, approved):
    """The team's admin page (policy staff) gets the same Dutch message beside the year; nothing is stored."""
    college, team = approved
    client.force_login(get_user_model().objects.create_superuser("beheer-tl", "tl@example.org", "geheim"))
    url = f"/admin/agenda/team/{team.pk}/change/"
    data = form_data(client, url)
    data["active_from"] = "2021"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "anders mee in 2020, maar het jaar 2020" in response.content.decode()
    assert Team.objects.get(pk=team.pk).active_from is None


def test_the_institution_levels_approval_locks_a_teams_years_too(rocvaf_demo):
    """With 5100 reopened but the institution level still approved, ending the team is refused.

    The college's aggregate feeds the institution's (domain.md, step 1), so the institution's approved
    2020 verdict would move; before, only the team's own college was asked.
    """
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    team = Measurement.objects.filter(team__college=college, year=YEAR, team__active_until__isnull=True).first().team
    signoff_approve(institution=rocvaf_demo, year=YEAR, user=user("beleid"))
    signoff_reopen(institution=rocvaf_demo, year=YEAR, college=college, reason="correctie 5100", user=user("beleid"))
    with pytest.raises(ValidationError) as refused:
        team_update(team=team, name=team.name, active_until=2019)
    assert "instellingsniveau" in str(refused.value)
    team.refresh_from_db()
    assert team.active_until is None
