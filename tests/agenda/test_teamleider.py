"""The teamleider role (issue 15): enters its own team's values, the director submits them."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import Institution, Membership, Team
from agenda.permissions import can_read, can_write_college, value_write_scope
from agenda.services import membership_teams_problem, membership_teams_set
from indicatoren.models import Measurement, Upload, YearSignoff
from tests.invoer.test_grid import GRID, YEAR, export, grid_form, key, stored, upload

LEADER = "teamleider5100"


@pytest.fixture
def leader_user(rocvaf_demo):
    """Return the demo's teamleider of one team of college 5100."""
    return get_user_model().objects.get(username=LEADER)


@pytest.fixture
def own_team(leader_user) -> Team:
    """Return the teamleider's own team."""
    return Membership.objects.get(user=leader_user).teams.get()


@pytest.fixture
def other_team(own_team) -> Team:
    """Return another team of 5100 that is active in YEAR (not the teamleider's)."""
    return (
        Team.objects.filter(college__code="5100", active_until__isnull=True)
        .exclude(pk=own_team.pk)
        .order_by("code")
        .first()
    )


@pytest.fixture
def leader(client, leader_user):
    """Return a test client signed in as the teamleider."""
    client.force_login(leader_user)
    return client


@pytest.fixture
def media(settings, tmp_path):
    """Keep uploaded files in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _grid_url(college: str = "5100") -> str:
    return f"{GRID.format(code=college)}?jaar={YEAR}"


def test_demo_has_a_teamleider_with_one_team_of_5100(leader_user, own_team):
    """The demo setup gives teamleider5100 the teamleider role for one active team of college 5100."""
    membership = Membership.objects.get(user=leader_user)
    assert membership.role == Role.TEAM_LEADER and membership.get_role_display() == "teamleider"
    assert own_team.college.code == "5100" and own_team.is_active(YEAR)
    assert list(membership.colleges.all()) == []


def test_teamleider_reads_the_institution_like_a_director(leader, leader_user, rocvaf_demo):
    """It reads the dashboards, every college page and other colleges' grids (read-only)."""
    assert can_read(leader_user, rocvaf_demo)
    for url in (
        reverse("rapportage:overview"),
        reverse("rapportage:colleges"),
        reverse("rapportage:college", args=["5200"]),
    ):
        assert leader.get(url).status_code == 200, url
    response = leader.get(_grid_url("5200"))
    assert response.status_code == 200 and not response.context["writable"]
    assert grid_form(response.content.decode()).ids == []


def test_grid_has_inputs_only_in_the_own_teams_row(leader, own_team, other_team):
    """Its grid of 5100 has inputs for its own team only; the other rows show values read-only."""
    response = leader.get(_grid_url())
    html = response.content.decode()
    ids = grid_form(html).ids
    assert response.context["writable"] and ids
    assert all(f"_{own_team.pk}_" in f"_{id_.split('_', 1)[1]}" for id_ in ids)
    assert f"v_{key('1a', own_team.code)}" in ids and f"v_{key('1a', other_team.code)}" not in ids
    assert "U bent teamleider" in html
    # No submit button: the director submits the college's figures.
    assert "Indienen voor vaststelling" not in html


def test_teamleider_saves_a_value_and_its_note_for_its_own_team(leader, own_team):
    """A value (with a note) in its own row is stored through the grid, with the teamleider as writer."""
    page = leader.get(_grid_url())
    fields = grid_form(page.content.decode()).fields
    fields[f"v_{key('1a', own_team.code)}"] = "7,9"
    fields[f"t_{key('1a', own_team.code)}"] = "gecontroleerd met de teamadministratie"
    response = leader.post(_grid_url(), fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    cell = Measurement.objects.get(indicator__code="1a", team=own_team, year=YEAR)
    assert cell.value == Decimal("7.9") and cell.updated_by.username == LEADER
    assert cell.note == "gecontroleerd met de teamadministratie"


def test_forged_post_for_another_team_is_refused_and_stores_nothing(leader, own_team, other_team):
    """A forged field for another team of 5100 is refused (403, Dutch message) and the own change is not stored."""
    page = leader.get(_grid_url())
    fields = grid_form(page.content.decode()).fields
    before = (stored("1a", own_team.code), stored("1a", other_team.code))
    fields[f"v_{key('1a', own_team.code)}"] = "7,1"
    fields[f"v_{key('1a', other_team.code)}"] = "9"
    response = leader.post(_grid_url(), fields)
    assert response.status_code == 403
    assert "u bent geen teamleider van dit team" in response.content.decode()
    assert (stored("1a", own_team.code), stored("1a", other_team.code)) == before


def test_teamleider_cannot_write_another_colleges_grid(leader):
    """A POST to another college's grid is refused outright."""
    page = leader.get(_grid_url("5200"))
    response = leader.post(_grid_url("5200"), grid_form(page.content.decode()).fields)
    assert response.status_code == 403


def test_grid_upload_of_another_teams_row_is_refused_row_by_row(leader, own_team, other_team, media):
    """An export with a changed row of another team is rejected naming that row; nothing stored."""
    workbook = export(leader)
    sheet = workbook["2022"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in (own_team.code, other_team.code):
            row[header.index("1a")].value = 6.1
    before = (stored("1a", own_team.code), stored("1a", other_team.code))
    response = upload(leader, workbook)
    assert response.status_code == 400
    messages = [error["message"] for error in response.context["errors"]]
    assert len(messages) == 1 and other_team.code in messages[0] and "geen teamleider" in messages[0]
    assert (stored("1a", own_team.code), stored("1a", other_team.code)) == before


def test_grid_upload_of_the_own_teams_row_is_previewed_and_stored(leader, own_team, media):
    """An export with only its own row changed goes through preview and confirmation."""
    workbook = export(leader)
    sheet = workbook["2022"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == own_team.code)
    row[header.index("1a")].value = 6.2
    response = upload(leader, workbook)
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = leader.get(response["Location"])
    fingerprint = preview.context["confirm_form"].initial["fingerprint"]
    record = Upload.objects.latest("id")
    assert leader.post(f"/uploads/{record.pk}/bevestigen/", {"fingerprint": fingerprint}).status_code == 302
    assert stored("1a", own_team.code)[0] == Decimal("6.2")


@pytest.fixture
def api(leader_user):
    """Return an API client authenticated as the teamleider."""
    client = APIClient()
    client.force_authenticate(leader_user)
    return client


def test_api_write_for_the_own_team_is_stored(api, own_team):
    """POST /api/v1/measurements/ for its own team stores the value."""
    body = {"indicator": "1a", "year": YEAR, "team": own_team.code, "value": "7.7", "n": 30}
    response = api.post("/api/v1/measurements/", body, format="json")
    assert response.status_code in (200, 201), response.content
    assert stored("1a", own_team.code) == (Decimal("7.7"), 30)


def test_api_writes_for_another_team_or_the_college_are_refused_in_dutch(api, other_team):
    """POST, PATCH and DELETE on another team's value, and a college-level value, answer 403 and store nothing."""
    before = stored("1a", other_team.code)
    body = {"indicator": "1a", "year": YEAR, "team": other_team.code, "value": "9.1"}
    response = api.post("/api/v1/measurements/", body, format="json")
    assert response.status_code == 403
    assert "geen teamleider van dit team" in response.json()["detail"]
    cell = Measurement.objects.get(indicator__code="1a", team=other_team, year=YEAR)
    assert api.patch(f"/api/v1/measurements/{cell.pk}/", {"value": "9.2"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/measurements/{cell.pk}/").status_code == 403
    assert stored("1a", other_team.code) == before
    college_body = {"indicator": "1a", "year": YEAR, "college": "5100", "value": "7.0"}
    assert api.post("/api/v1/measurements/", college_body, format="json").status_code in (400, 403)


def test_teamleider_cannot_submit_the_year_and_the_director_still_does(leader, client, rocvaf_demo):
    """Its 'indienen' is refused (403); directeur5100 then submits the college's figures."""
    url = reverse("invoer:signoff_action", args=["5100"])
    assert leader.post(url, {"jaar": YEAR, "actie": "indienen"}).status_code == 403
    assert not YearSignoff.objects.filter(college__code="5100", year=YEAR, state="submitted").exists()
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    assert client.post(url, {"jaar": YEAR, "actie": "indienen"}).status_code == 302
    assert YearSignoff.objects.filter(college__code="5100", year=YEAR, state="submitted").exists()


def test_teamleider_manages_no_teams_measures_or_uploads(leader, leader_user, own_team):
    """Teams, measures and policy uploads stay with the director and policy staff; no links to them."""
    assert not can_write_college(leader_user, own_team.college)
    assert leader.post(reverse("agenda:teams", args=["5100"]), {"code": "5100-NEW", "name": "Nieuw"}).status_code == 403
    assert leader.get(reverse("maatregelen:measure_add", args=["5100"])).status_code == 403
    assert leader.get(reverse("uploads:list")).status_code == 403
    html = leader.get(reverse("agenda:teams", args=["5100"])).content.decode()
    assert "Team toevoegen" not in html
    # The grid upload is offered on its own college, not on another.
    assert reverse("invoer:grid_upload", args=["5100"]) in leader.get(_grid_url()).content.decode()
    assert reverse("invoer:grid_upload", args=["5200"]) not in leader.get(_grid_url("5200")).content.decode()


def test_header_links_the_teamleiders_college_grid(leader):
    """The header offers 'Invoer 5100', its own college's grid."""
    assert "Invoer 5100" in leader.get(reverse("rapportage:overview")).content.decode()


def test_value_write_scope_limits_a_teamleider_to_its_teams(leader_user, own_team, rocvaf_demo):
    """The one permission home gives the write service the college and the team of the teamleider."""
    assert value_write_scope(leader_user, rocvaf_demo) == {
        "allowed_colleges": {own_team.college_id},
        "allowed_teams": {own_team.pk},
    }
    director = get_user_model().objects.get(username="directeur5100")
    assert value_write_scope(director, rocvaf_demo)["allowed_teams"] is None


def test_a_teamleiders_teams_belong_to_its_own_institution(leader_user, own_team, rocvaf_demo):
    """Teams of another institution, or teams on another role, are refused with a Dutch message."""
    membership = Membership.objects.get(user=leader_user)
    foreign = Team(institution=Institution(pk=rocvaf_demo.pk + 1000, code="OTH"), code="OTH-T1")
    problem = membership_teams_problem(institution=rocvaf_demo, role=Role.TEAM_LEADER, teams=[foreign])
    assert problem and "andere instelling" in problem and "OTH-T1" in problem
    assert membership_teams_problem(institution=rocvaf_demo, role=Role.DIRECTOR, teams=[own_team])
    assert membership_teams_problem(institution=rocvaf_demo, role=Role.TEAM_LEADER, teams=[own_team]) is None
    director = Membership.objects.get(user__username="directeur5100")
    with pytest.raises(ValidationError):
        membership_teams_set(membership=director, teams=[own_team])
    assert list(director.teams.all()) == []
    membership_teams_set(membership=membership, teams=[own_team])
    assert list(membership.teams.all()) == [own_team]


def test_admin_refuses_teams_on_a_role_that_is_not_teamleider(client, own_team, rocvaf_demo):
    """The admin's role form asks the same rule: a directeur with a team is refused beside the field."""
    root = get_user_model().objects.create_superuser("root-h5", "root@example.org", "x")
    person = get_user_model().objects.create_user("nieuw-h5")
    client.force_login(root)
    form = {
        "user": person.pk,
        "institution": rocvaf_demo.pk,
        "role": Role.DIRECTOR,
        "colleges": [own_team.college_id],
        "teams": [own_team.pk],
    }
    response = client.post("/admin/agenda/membership/add/", form)
    assert response.status_code == 200
    assert "Alleen een teamleider heeft teams" in response.content.decode()
    assert not Membership.objects.filter(user=person).exists()
    form.update(role=Role.TEAM_LEADER, colleges=[])
    assert client.post("/admin/agenda/membership/add/", form).status_code == 302
    assert list(Membership.objects.get(user=person).teams.all()) == [own_team]


def test_teamleider_cannot_cancel_or_confirm_the_directors_preview(leader, own_team, media, client):
    """The director's upload preview is visible to the teamleider, but it is not theirs to decide on."""
    director = get_user_model().objects.get(username="directeur5100")
    director_client = type(client)()
    director_client.force_login(director)
    workbook = export(director_client)
    sheet = workbook["2022"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == own_team.code)
    row[header.index("1a")].value = 6.3
    response = upload(director_client, workbook)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = Upload.objects.latest("id")
    page = leader.get(f"/uploads/{record.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bevestigen en opslaan" not in html and f"uploads/{record.pk}/annuleren" not in html
    assert "Wie beslist?" in html
    fingerprint = page.context["confirm_form"].initial["fingerprint"]
    assert leader.post(f"/uploads/{record.pk}/bevestigen/", {"fingerprint": fingerprint}).status_code == 403
    cancel_url = reverse("uploads:cancel", args=[record.pk])
    assert leader.post(cancel_url).status_code == 403
    record.refresh_from_db()
    assert record.status == "preview" and stored("1a", own_team.code)[0] != Decimal("6.3")
    # The director still decides on it.
    assert director_client.post(cancel_url).status_code == 302
    record.refresh_from_db()
    assert record.status == "cancelled"
