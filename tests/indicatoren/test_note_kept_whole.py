"""A confirmation note is kept whole or refused, never cut (domain.md, "Plausibility": "a short note, which is kept").

The upload API stored the first 500 characters of a longer note and answered 201, while the
measurement API refused the same note; the rule now lives once (kern.rules.note_problem) and
the one write path asks it for an upload's note and for every row's own note.
"""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.choices import Level, Role
from agenda.models import Indicator, Membership, Team
from agenda.services import agenda_load
from indicatoren.models import Measurement
from indicatoren.services import MeasurementRow, measurements_apply
from kern.rules import NOTE_MAX_LENGTH
from tests.api.conftest import agenda_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A small agenda with a 2017 history of 6,5 % for every team, so that 60 % is flagged."""
    institution = agenda_load(data=agenda_spec("NTW", ["A1", "B2"])).institution
    vsv = Indicator.objects.get(institution=institution, code="vsv")
    for team in Team.objects.filter(institution=institution):
        Measurement.objects.create(
            indicator=vsv, year=2017, level=Level.TEAM, college=team.college, team=team, value=Decimal("6.5"), n=40
        )
    staff = get_user_model().objects.create_user(username="ntw_beleid", password="x")
    Membership.objects.create(user=staff, institution=institution, role=Role.POLICY)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    return institution, vsv, api


def _upload(api, note: str):
    csv = b"jaar;indicator;team;waarde\n2018;vsv;A1-T1;60\n"
    return api.post("/api/v1/uploads/?institution=NTW", {"file": io.BytesIO(csv), "note": note}, format="multipart")


def test_an_upload_note_over_the_limit_is_refused_in_dutch_and_nothing_is_stored(world):
    institution, vsv, api = world
    response = _upload(api, "Gecontroleerd met DUO; " + "x" * NOTE_MAX_LENGTH)
    assert response.status_code == 400, response.content
    assert "De toelichting is 523 tekens lang; er passen er ten hoogste 500" in response.content.decode()
    assert not Measurement.objects.filter(indicator=vsv, year=2018).exists()


def test_an_upload_note_of_exactly_the_limit_is_kept_whole(world):
    institution, vsv, api = world
    note = "Gecontroleerd met DUO; " + "x" * (NOTE_MAX_LENGTH - 23)
    response = _upload(api, note)
    assert response.status_code == 201, response.content
    assert Measurement.objects.get(indicator=vsv, year=2018).note == note


def test_a_rows_own_note_over_the_limit_is_refused_by_the_write_service(world):
    institution, vsv, _ = world
    team = Team.objects.get(institution=institution, code="B2-T1")
    row = MeasurementRow(indicator=vsv, year=2018, team=team, value=Decimal("60"), note="y" * (NOTE_MAX_LENGTH + 1))
    with pytest.raises(ValidationError, match="De toelichting is 501 tekens lang"):
        measurements_apply(institution=institution, rows=[row])
    assert not Measurement.objects.filter(indicator=vsv, year=2018).exists()
