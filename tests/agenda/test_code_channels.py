"""Team and college codes on every channel (issue 13): the page, the service, the admin, the agenda file,
and pages that still work for a code stored before the rule existed."""

from decimal import Decimal

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from agenda import services
from agenda.choices import Level
from agenda.models import College, Indicator, Team
from agenda.schema import AgendaFileError
from agenda.services import agenda_load
from indicatoren.models import Measurement
from tests.conftest import ROCVAF_YAML

MESSAGE = (
    "Teamcode &#x27;5110/X&#x27; mag alleen letters, cijfers, &#x27;-&#x27;, &#x27;_&#x27; en &#x27;.&#x27; bevatten."
)
PLAIN = "Teamcode '5110/X' mag alleen letters, cijfers, '-', '_' en '.' bevatten."


@pytest.fixture
def director(client, rocvaf_demo):
    """Return a client logged in as the director of 5100."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client


@pytest.fixture
def legacy_team(rocvaf_demo):
    """Return team '5110/X' of college 5100, stored before the code rule (straight through the ORM), with a value."""
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    team = Team.objects.create(institution=rocvaf_demo, college=college, code="5110/X", name="Oud <b>team</b>")
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="1a")
    Measurement.objects.create(
        indicator=indicator, year=2020, level=Level.TEAM, college=college, team=team, value=Decimal("71.5"), n=40
    )
    return team


def test_the_team_page_refuses_a_code_with_a_slash(director):
    """A director adding team 5110/X gets the rule's message beside the code field; nothing is stored."""
    count = Team.objects.count()
    response = director.post("/teams/college/5100/", {"code": "5110/X", "name": "Nieuw"})
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [PLAIN]
    assert MESSAGE in response.content.decode()
    assert Team.objects.count() == count


def test_the_team_service_refuses_a_code_outside_the_rule(rocvaf_demo):
    """team_create, the one write for new teams, refuses '5110/X' and '=1+2' with the rule's message."""
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    for code in ("5110/X", "=1+2"):
        with pytest.raises(ValidationError) as caught:
            services.team_create(college=college, code=code, name="Nieuw")
        assert "mag alleen letters, cijfers" in caught.value.message_dict["code"][0]
    assert not Team.objects.filter(code__in=["5110/X", "=1+2"]).exists()


def test_the_admin_refuses_a_team_and_a_college_code_outside_the_rule(client, rocvaf_demo):
    """The admin's add forms (a superuser's, who may do most) show the rule's message and store nothing."""
    admin = get_user_model().objects.create_superuser("beheer13", "beheer13@example.org", "geheim")
    client.force_login(admin)
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    response = client.post(
        "/admin/agenda/team/add/",
        {"institution": rocvaf_demo.pk, "college": college.pk, "code": "5110/X", "name": "Nieuw"},
    )
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert not Team.objects.filter(code="5110/X").exists()
    response = client.post(
        "/admin/agenda/college/add/",
        {
            "institution": rocvaf_demo.pk,
            "code": "51/10",
            "name": "Nieuw",
            "active": "on",
            "teams-TOTAL_FORMS": "0",
            "teams-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Collegecode &#x27;51/10&#x27; mag alleen letters" in response.content.decode()
    assert not College.objects.filter(code="51/10").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("where", "code", "path"),
    [("team", "5110/X", "colleges[0].teams[0].code"), ("college", "51 10", "colleges[0].code")],
)
def test_the_agenda_file_refuses_codes_outside_the_rule_with_their_path(where, code, path):
    """load_agenda names the path and the rule for a team or college code outside it; nothing is stored."""
    data = yaml.safe_load(ROCVAF_YAML.read_text())
    if where == "team":
        data["colleges"][0]["teams"] = [{"code": code, "name": "Nieuw"}]
    else:
        data["colleges"][0]["code"] = code
    with pytest.raises(AgendaFileError) as caught:
        agenda_load(data=data)
    what = "Teamcode" if where == "team" else "Collegecode"
    assert f"{path}: {what} '{code}' mag alleen letters, cijfers, '-', '_' en '.' bevatten." in caught.value.errors
    assert not College.objects.exists()


def test_a_legacy_team_code_leaves_the_team_page_working(director, legacy_team):
    """The teams page lists a team stored as '5110/X' (200, not 500), with working links to its pages."""
    response = director.get("/teams/college/5100/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "5110/X" in html and "Oud &lt;b&gt;team&lt;/b&gt;" in html
    edit = "/teams/college/5100/5110%252FX/"
    assert f'href="{edit}"' in html
    assert director.get(edit).context["team"] == legacy_team
    assert director.get(f"{edit}verwijderen/").status_code == 200


def test_a_legacy_team_can_still_be_deactivated(director, legacy_team):
    """Renaming or deactivating a team stored with an old code is not refused for that code."""
    response = director.post("/teams/college/5100/5110%252FX/", {"name": "Oud team", "active_until": "2020"})
    assert response.status_code == 302
    legacy_team.refresh_from_db()
    assert (legacy_team.name, legacy_team.active_until) == ("Oud team", 2020)


def test_a_legacy_team_code_with_a_value_leaves_the_grid_working(director, legacy_team, client):
    """The grid, its history link and its Excel export work for everyone with a value of team '5110/X'."""
    response = director.get("/invoer/college/5100/?jaar=2020")
    assert response.status_code == 200
    history = "/invoer/college/5100/geschiedenis/5110%252FX/1a/"
    assert history in response.content.decode()
    assert director.get(f"{history}?jaar=2020").status_code == 200
    assert director.get("/invoer/college/5100/export.xlsx").status_code == 200
    client.logout()
    client.force_login(get_user_model().objects.get(username="bestuur"))
    assert client.get("/invoer/college/5100/?jaar=2020").status_code == 200
    assert client.get("/dashboard/college/5100/?jaar=2020").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/teams/college/%00/",
        "/teams/college/5100/%00/",
        "/teams/college/5100/a%2500/",
        "/invoer/college/%00/",
        "/invoer/college/5100/geschiedenis/%00/1a/",
        "/dashboard/college/%00/",
        "/maatregelen/college/%00/",
        "/teams/college/" + "9" * 300 + "/",
    ],
)
def test_control_characters_and_overlong_codes_in_a_path_never_give_500(director, path):
    """A NUL in a page address is a Dutch 400 (kern.middleware); one hidden as %2500 or a 300-character code a 404."""
    response = director.get(path)
    if "%00" in path:
        assert response.status_code == 400 and "Ongeldig teken in het adres" in response.content.decode()
    else:
        assert response.status_code == 404
