"""No lost updates on the team page (domain.md): a team's last active year moves verdicts and money.

The page carries the version of the team it showed (kern.versions, the rule's one home since
it moved down from maatregelen so that agenda can use it). A field both changed is refused
(409) naming the newer value; a field only someone else changed keeps their value.
"""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agenda.models import Team
from agenda.services import team_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(rocvaf_demo) -> Team:
    return Team.objects.filter(college__code="5100", active_until__isnull=True).order_by("code").first()


def director() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    return client


def shown_version(html: str) -> str:
    return unescape(re.search(r'<input type="hidden" name="version" value="([^"]*)"', html).group(1))


def test_a_last_year_both_set_differently_is_refused_naming_the_newer_one(team):
    client = director()
    url = f"/teams/college/5100/{team.code}/"
    version = shown_version(client.get(url).content.decode())
    team_update(team=Team.objects.get(pk=team.pk), name=team.name, active_until=2021)
    refused = client.post(url, {"name": team.name, "active_until": "2020", "version": version})
    html = unescape(refused.content.decode())
    assert refused.status_code == 409
    assert "Het team is intussen gewijzigd" in html and "er is niets opgeslagen" in html
    assert "nu 2021; uw waarde 2020 is niet opgeslagen." in html
    assert Team.objects.get(pk=team.pk).active_until == 2021
    # The form now shows the team as stored with the version of now: saving again is the user's choice.
    again = client.post(
        url, {"name": team.name, "active_until": "2020", "version": shown_version(refused.content.decode())}
    )
    assert again.status_code == 302 and Team.objects.get(pk=team.pk).active_until == 2020


def test_a_rename_keeps_a_last_year_set_since(team):
    client = director()
    url = f"/teams/college/5100/{team.code}/"
    version = shown_version(client.get(url).content.decode())
    team_update(team=Team.objects.get(pk=team.pk), name=team.name, active_until=2021)
    saved = client.post(url, {"name": "Hernoemd team", "active_until": "", "version": version})
    assert saved.status_code == 302
    assert Team.objects.filter(pk=team.pk).values_list("name", "active_until").get() == ("Hernoemd team", 2021)
