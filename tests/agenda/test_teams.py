"""Team management inside the own college (issue 5): list, add, rename, deactivate, delete only without data."""

import pytest
from django.contrib.auth import get_user_model

from agenda.models import College, Team
from indicatoren.models import Measurement

TEAMS = "/teams/college/{code}/"


@pytest.fixture
def director(client, rocvaf_demo, db):
    """Return a client logged in as the director of 5100."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client


def test_the_page_lists_the_colleges_teams_with_their_activity(director):
    """Every 5100 team is listed with its code and name, and no team of another college."""
    response = director.get(TEAMS.format(code="5100"))
    html = response.content.decode()
    assert response.status_code == 200
    for team in Team.objects.filter(college__code="5100"):
        assert team.code in html and team.name in html
    assert not any(code in html for code in Team.objects.filter(college__code="5200").values_list("code", flat=True))
    assert 'href="/dashboard/college/5100/"' in html  # back to Mijn college


def test_adding_a_team_creates_it_in_the_college(director):
    """A new team with a code, a name and a first year is created in 5100."""
    response = director.post(
        TEAMS.format(code="5100"), {"code": "5100-SPV", "name": "Sport en Bewegen", "active_from": "2021"}
    )
    assert response.status_code == 302
    team = Team.objects.get(code="5100-SPV")
    assert (team.college.code, team.name, team.active_from, team.active_until) == (
        "5100",
        "Sport en Bewegen",
        2021,
        None,
    )
    assert "Team 5100-SPV Sport en Bewegen is toegevoegd." in director.get(response["Location"]).content.decode()


def test_a_team_code_in_use_is_refused_with_a_message(director):
    """Codes are unique within the institution: a 5200 code cannot be reused in 5100."""
    taken = Team.objects.filter(college__code="5200").first().code
    count = Team.objects.count()
    response = director.post(TEAMS.format(code="5100"), {"code": taken, "name": "Dubbel"})
    assert response.status_code == 400
    assert Team.objects.count() == count
    assert response.context["form"].errors
    assert 'role="alert"' in response.content.decode()


def test_missing_name_is_shown_beside_the_field(director):
    """An empty name gives a message linked to the field with aria-describedby."""
    response = director.post(TEAMS.format(code="5100"), {"code": "5100-X", "name": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_name_error"' in html
    assert 'aria-describedby="id_name_error"' in html and 'aria-invalid="true"' in html


def test_renaming_and_deactivating_a_team_keeps_its_data(director):
    """Setting the last active year keeps the team and its values; the 2021 grid no longer shows it."""
    team = Team.objects.get(code="5100-JUR")
    values = Measurement.objects.filter(team=team).count()
    response = director.post(f"/teams/college/5100/{team.code}/", {"name": "Juridisch", "active_until": "2020"})
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.active_until) == ("Juridisch", 2020)
    assert Measurement.objects.filter(team=team).count() == values > 0
    assert team.history.first().history_user.username == "directeur5100"
    rows_2021 = [row.team.code for row in director.get("/invoer/college/5100/?jaar=2021").context["grid"].rows]
    rows_2020 = [row.team.code for row in director.get("/invoer/college/5100/?jaar=2020").context["grid"].rows]
    assert team.code in rows_2020 and team.code not in rows_2021


def test_a_last_year_before_the_first_year_is_refused(director):
    """active_until before active_from breaks the model's range rule: a message, nothing changes."""
    team = Team.objects.create(
        institution=College.objects.get(code="5100").institution,
        college=College.objects.get(code="5100"),
        code="5100-NW",
        name="Nieuw",
        active_from=2021,
    )
    response = director.post(f"/teams/college/5100/{team.code}/", {"name": "Nieuw", "active_until": "2020"})
    assert response.status_code == 400
    team.refresh_from_db()
    assert team.active_until is None


def test_delete_is_offered_only_for_teams_without_data(director):
    """A team with values has no delete link; a new empty team has one."""
    empty = Team.objects.create(
        institution=College.objects.get(code="5100").institution,
        college=College.objects.get(code="5100"),
        code="5100-LEEG",
        name="Leeg",
    )
    html = director.get(TEAMS.format(code="5100")).content.decode()
    assert f"/teams/college/5100/{empty.code}/verwijderen/" in html
    assert "/teams/college/5100/5100-JUR/verwijderen/" not in html


def test_a_team_with_data_is_never_deleted(director):
    """Posting a delete for a team with values is refused with a message; the team stays."""
    response = director.post("/teams/college/5100/5100-JUR/verwijderen/", follow=True)
    assert Team.objects.filter(code="5100-JUR").exists()
    assert "kan niet worden verwijderd" in response.content.decode()
    confirm = director.get("/teams/college/5100/5100-JUR/verwijderen/").content.decode()
    assert "Ja, verwijderen" not in confirm and "inactief" in confirm


def test_a_team_without_data_is_deleted_after_confirmation(director):
    """The confirmation page asks; the POST deletes."""
    college = College.objects.get(code="5100")
    team = Team.objects.create(institution=college.institution, college=college, code="5100-WEG", name="Weg")
    assert "Ja, verwijderen" in director.get(f"/teams/college/5100/{team.code}/verwijderen/").content.decode()
    response = director.post(f"/teams/college/5100/{team.code}/verwijderen/")
    assert response.status_code == 302
    assert not Team.objects.filter(pk=team.pk).exists()


def test_team_names_are_escaped(director):
    """A name with markup is shown as text."""
    director.post(TEAMS.format(code="5100"), {"code": "5100-XSS", "name": "<script>alert(1)</script>"})
    html = director.get(TEAMS.format(code="5100")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_a_board_member_sees_the_list_without_forms(client, rocvaf_demo, db):
    """bestuur reads the teams but gets no add form and no edit links."""
    client.force_login(get_user_model().objects.get(username="bestuur"))
    html = client.get(TEAMS.format(code="5100")).content.decode()
    assert "5100-JUR" in html
    assert "Team toevoegen" not in html and "/teams/college/5100/5100-JUR/" not in html
