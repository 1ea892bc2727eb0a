"""The upload and the API accept the same values for the same years (review of 2026-12-01).

- Years: one rule per indicator (invoer.uploads.measurement_years). The upload took the earliest
  baseline of all indicators, so 2006 for vsv (baseline 2017) was stored through a file while the API
  refused 2007 for it.
- Decimals: '6,5000000' has only zeros beyond the 6 stored decimals; the upload and the grid took it,
  the API refused it with DRF's own count.
- Zero: '-0' is 0 (PostgreSQL has no negative zero; SQLite kept '-0.000000' and the API said -0.0).
"""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import Membership, Team
from agenda.services import agenda_load
from indicatoren.models import Measurement
from invoer.uploads import plan_upload
from tests.api.conftest import agenda_spec

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def world():
    """An institution with vsv (baseline 2017) and 'old' (baseline 2010), and an API client for policy staff."""
    spec = agenda_spec("KANAAL", ["A100", "B200"])
    spec["themes"][1]["indicators"].append(
        {
            "code": "old",
            "name": "Oud",
            "unit": "percent",
            "polarity": "higher",
            "levels": ["team", "college", "institution"],
            "baseline": {"year": 2010, "value": 50},
            "ambitions": [{"year": 2020, "type": "monitor"}],
        }
    )
    institution = agenda_load(data=spec).institution
    user = get_user_model().objects.create_user(username="beleid-kanalen", password="x")
    Membership.objects.create(user=user, institution=institution, role=Role.POLICY)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return {
        "institution": institution,
        "api": client,
        "team": Team.objects.get(institution=institution, code="A100-T1"),
    }


def _stored(world):
    """Return the measurements of the test's own institution (the demo's may share the database)."""
    return Measurement.objects.filter(indicator__institution=world["institution"])


def _upload(client, text: str):
    handle = io.BytesIO(text.encode())
    handle.name = "waarden.csv"
    return client.post("/api/v1/uploads/", {"file": handle}, format="multipart")


def _post(client, **fields):
    return client.post("/api/v1/measurements/", {"indicator": "vsv", "team": "A100-T1", **fields}, format="json")


def test_a_year_before_an_indicators_own_margin_is_refused_by_the_upload_as_by_the_api(world):
    """2011 is in old's years (2005-2022) but not vsv's (2012-2022): the file is refused, nothing stored."""
    response = _upload(world["api"], "jaar,indicator,team,waarde\n2011,old,A100-T1,5\n2011,vsv,A100-T1,5\n")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": 3,
            "column": "jaar",
            "value": "2011",
            "message": "Het jaar 2011 valt buiten de jaren van indicator vsv: 2012 tot en met 2022.",
        }
    ]
    assert not _stored(world).exists()
    refused = _post(world["api"], year=2011, value="5")
    assert refused.status_code == 400
    assert refused.json()["year"] == ["Het jaar moet tussen 2012 en 2022 liggen."]


def test_a_year_inside_the_indicators_own_years_is_stored_by_both(world):
    """2012 for vsv and 2005 for old go through the file; 2012 for vsv through the API as well."""
    response = _upload(world["api"], "jaar,indicator,team,waarde\n2005,old,A100-T1,5\n2012,vsv,A100-T1,5\n")
    assert response.status_code == 201, response.content
    assert sorted(_stored(world).values_list("indicator__code", "year")) == [("old", 2005), ("vsv", 2012)]
    assert _post(world["api"], year=2012, value="6", college="A100").status_code in (200, 201)


def test_only_zeros_beyond_six_decimals_are_accepted_by_the_api_as_by_the_upload(world):
    """'6.5000000' is 6.5 on both channels; '6.1234567' is refused in the rules' words on both."""
    assert _upload(world["api"], 'jaar,indicator,team,waarde\n2020,vsv,A100-T1,"6,5000000"\n').status_code == 201
    created = _post(world["api"], year=2021, value="6.5000000")
    assert created.status_code == 201, created.content
    assert _stored(world).get(year=2021).value == Decimal("6.5")
    message = "Te veel decimalen in '6,1234567'; rond af op ten hoogste 6 cijfers achter de komma."
    refused = _post(world["api"], year=2022, value="6.1234567")
    assert refused.status_code == 400
    assert refused.json()["value"] == [message]
    rejected = _upload(world["api"], 'jaar,indicator,team,waarde\n2022,vsv,A100-T1,"6,1234567"\n')
    assert rejected.status_code == 400
    assert rejected.json()["errors"][0]["message"] == message
    assert not _stored(world).filter(year=2022).exists()


def test_a_value_far_beyond_storage_is_refused_without_an_error_of_the_server(world):
    """A value with more digits than storage keeps, zeros after the point or not, gets a 400."""
    for value in ["1" + "0" * 40 + ".0000000", "1" * 19, "0." + "0" * 900 + "1"]:
        response = _post(world["api"], year=2020, value=value)
        assert response.status_code == 400, (value[:20], response.content)
    assert not _stored(world).exists()


@pytest.mark.parametrize("value", ["-0", "-0.0", "-0.000000"])
def test_minus_zero_is_stored_and_shown_as_zero(world, value):
    """The API stores -0 as 0 and answers 0 (a number without a sign), as PostgreSQL would store it."""
    response = _post(world["api"], year=2020, value=value)
    assert response.status_code == 201, response.content
    stored = _stored(world).get(year=2020)
    assert stored.value == 0 and not stored.value.is_signed()
    shown = world["api"].get(f"/api/v1/measurements/{stored.pk}/").json()["value"]
    assert str(shown).lstrip("-") == str(shown), shown


def _team_value(world, year):
    row = _stored(world).get(year=year, team=world["team"])
    return row.value, row.n


def test_a_file_without_an_n_column_keeps_the_stored_n_as_the_api_does(world):
    """No n column says nothing about n: the stored 40 stays (the API without n keeps it too)."""
    assert _upload(world["api"], 'jaar,indicator,team,waarde,n\n2020,vsv,A100-T1,"6,5",40\n').status_code == 201
    assert _upload(world["api"], 'jaar,indicator,team,waarde\n2020,vsv,A100-T1,"6,6"\n').status_code == 201
    assert _team_value(world, 2020) == (Decimal("6.6"), 40)
    assert _post(world["api"], year=2021, value="7", n=30).status_code == 201
    measurement = _stored(world).get(year=2021)
    changed = world["api"].patch(f"/api/v1/measurements/{measurement.pk}/", {"value": "7.1"}, format="json")
    assert changed.status_code == 200, changed.content
    assert _team_value(world, 2021) == (Decimal("7.1"), 30)


def test_an_empty_n_cell_in_an_n_column_clears_the_stored_n(world):
    """With the column present, an empty cell is an n of nothing: cleared, as the API's explicit null clears it."""
    assert _upload(world["api"], 'jaar,indicator,team,waarde,n\n2020,vsv,A100-T1,"6,5",40\n').status_code == 201
    assert _upload(world["api"], 'jaar,indicator,team,waarde,n\n2020,vsv,A100-T1,"6,5",\n').status_code == 201
    assert _team_value(world, 2020) == (Decimal("6.5"), None)


def test_the_preview_of_a_file_without_n_shows_the_stored_n_and_an_unchanged_row_as_unchanged(world):
    """The dry run compares with the n that stays: the same value without n is no change at all."""
    assert _upload(world["api"], 'jaar,indicator,team,waarde,n\n2020,vsv,A100-T1,"6,5",40\n').status_code == 201
    text = b'jaar,indicator,team,waarde\n2020,vsv,A100-T1,"6,5"\n'
    plan = plan_upload(world["institution"], text, "waarden.csv", preview=True)
    (change,) = plan.changes
    assert (change.old, change.new, change.old_n, change.new_n, change.kind) == (
        Decimal("6.5"),
        Decimal("6.5"),
        40,
        40,
        "ongewijzigd",
    )
