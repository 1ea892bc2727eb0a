"""No lost updates (domain.md) on the team page: a save based on an older read of the team is not written over a newer one.

The team page (agenda.views.team_edit) posts every field it shows, name and last active year,
and agenda.services.team_update writes both as posted. Of two people who opened the same team,
the second save silently undoes the first: a deactivation (which takes the team's later values
out of the college verdicts and the budget, domain.md "Teams change over time") is reversed by a
rename typed on a page shown before it, and a rename is reversed by a deactivation.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agenda.models import Team
from agenda.services import team_update
from indicatoren.models import Measurement

pytestmark = pytest.mark.django_db


def _user(name):
    return get_user_model().objects.get(username=name)


@pytest.fixture
def team(rocvaf_demo):
    """Return a 5100 team, active throughout, with values in 2022 (the year a deactivation after 2021 takes out)."""
    return (
        Measurement.objects.filter(team__college__code="5100", team__active_until__isnull=True, year=2022)
        .select_related("team")
        .first()
        .team
    )


def _page_fields(client, team) -> dict:
    """Return the fields the edit page shows for the team, as the browser would post them back."""
    form = client.get(f"/teams/college/5100/{team.code}/").context["form"]
    return {name: "" if form[name].value() is None else str(form[name].value()) for name in form.fields}


def test_a_rename_on_a_page_shown_before_a_deactivation_does_not_reactivate_the_team(team):
    """Director A opens the team; policy staff end it after 2021; A renames it: the team stays ended (or A is refused)."""
    director = Client()
    director.force_login(_user("directeur5100"))
    shown = _page_fields(director, team)
    assert shown["active_until"] == ""

    team_update(team=Team.objects.get(pk=team.pk), name=team.name, active_until=2021)  # beleid, meanwhile

    response = director.post(f"/teams/college/5100/{team.code}/", {**shown, "name": "Hernoemd team"})
    team.refresh_from_db()
    assert team.active_until == 2021, (
        f"status {response.status_code}: the rename typed on the older page set active_until back to "
        f"{team.active_until!r}, so the 2022 values count again without anyone choosing that"
    )


def test_a_deactivation_on_a_page_shown_before_a_rename_keeps_the_new_name(team):
    """Director A opens the team; someone renames it; A ends it after 2021: the new name stays (or A is refused)."""
    director = Client()
    director.force_login(_user("directeur5100"))
    shown = _page_fields(director, team)

    team_update(team=Team.objects.get(pk=team.pk), name="Nieuwe naam", active_until=None)  # meanwhile

    response = director.post(f"/teams/college/5100/{team.code}/", {**shown, "active_until": "2021"})
    team.refresh_from_db()
    assert team.name == "Nieuwe naam" or response.status_code == 409, (
        f"status {response.status_code}: the name was written back to {team.name!r} from the older page"
    )
