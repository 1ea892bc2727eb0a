"""A file whose every value is off by the same factor is flagged: its values do not vouch for each other.

domain.md, "Plausibility": "a value far from its own history or its peers (for example 8,77 typed for
85,9) is flagged at entry and in the upload preview". An upload that gave every team 0,85 for last
year's 84-89 % was stored with 201, no flag and no note: the six wrong values were each other's peers.
"""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.choices import Level, Role
from agenda.models import Indicator, Membership, Team
from agenda.services import agenda_load
from indicatoren.models import Measurement
from tests.api.conftest import agenda_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Six teams with a percentage (vsv) of 84-89 % in 2020, and an API client of policy staff."""
    institution = agenda_load(data=agenda_spec("PLW", ["A1", "B2", "C3"])).institution
    vsv = Indicator.objects.get(institution=institution, code="vsv")
    for k, team in enumerate(Team.objects.filter(institution=institution).order_by("code")):
        Measurement.objects.create(
            indicator=vsv, year=2020, level=Level.TEAM, college=team.college, team=team, value=Decimal(84 + k), n=40
        )
    staff = get_user_model().objects.create_user(username="plw_beleid", password="x")
    Membership.objects.create(user=staff, institution=institution, role=Role.POLICY)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    return vsv, api


def _upload(api, values: dict[str, str], note: str = ""):
    csv = "jaar;indicator;team;waarde\n" + "".join(f"2021;vsv;{team};{value}\n" for team, value in values.items())
    body = {"file": io.BytesIO(csv.encode())} | ({"note": note} if note else {})
    return api.post("/api/v1/uploads/?institution=PLW", body, format="multipart")


TEAMS = [f"{college}-T{i}" for college in ("A1", "B2", "C3") for i in (1, 2)]


def test_every_value_a_hundred_times_too_small_is_flagged_and_nothing_is_stored(world):
    vsv, api = world
    response = _upload(api, dict.fromkeys(TEAMS, "0,85"))
    assert response.status_code == 400, response.content
    assert "grote sprong ten opzichte van 2020" in response.content.decode()
    assert not Measurement.objects.filter(indicator=vsv, year=2021).exists()


def test_the_same_file_with_a_note_is_stored_with_the_note(world):
    vsv, api = world
    response = _upload(api, dict.fromkeys(TEAMS, "0,85"), note="Gecontroleerd: breuken uit het bronbestand")
    assert response.status_code == 201, response.content
    notes = set(Measurement.objects.filter(indicator=vsv, year=2021).values_list("note", flat=True))
    assert notes == {"Gecontroleerd: breuken uit het bronbestand"}


def test_an_ordinary_year_of_small_changes_needs_no_note(world):
    vsv, api = world
    response = _upload(api, {team: str(85 + k) for k, team in enumerate(TEAMS)})
    assert response.status_code == 201, response.content


def test_a_note_of_zero_width_spaces_confirms_nothing(world):
    """A note a reader cannot see is no confirmation (kern.text.visible_length, as for reopen reasons)."""
    vsv, api = world
    response = _upload(api, dict.fromkeys(TEAMS, "0,85"), note="\u200b" * 8)
    assert response.status_code == 400, response.content
    assert not Measurement.objects.filter(indicator=vsv, year=2021).exists()


def test_a_herijking_reason_of_zero_width_spaces_is_refused(rocvaf_demo):
    from django.core.exceptions import ValidationError

    from agenda.services import ambition_revise

    indicator = Indicator.objects.filter(institution=rocvaf_demo).order_by("code").first()
    with pytest.raises(ValidationError, match="Geef de reden van de herijking"):
        ambition_revise(indicator=indicator, year=2022, type="maintain", tolerance=0, reason="\u200b\ufeff" * 4)
