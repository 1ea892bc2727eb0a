"""Teams over time (issue 11, domain.md "Which teams and colleges count").

A team counts in year Y only when it is active in Y. New values for a year in which the team
is not active are refused on every channel with a Dutch message; values stored before it was
deactivated are kept, never counted, and a restore from a backup may put them back.
"""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.models import Indicator, Team
from agenda.services import team_update
from indicatoren.models import Measurement
from indicatoren.services import MeasurementRow, TeamInactive, measurements_apply
from rapportage.selectors import status_body
from rapportage.services import recompute_now

pytestmark = pytest.mark.django_db

INACTIVE = "Team 5100-ONA is in 2022 niet actief (actief tot en met 2020)"


@pytest.fixture
def ona(rocvaf_demo) -> Team:
    """Team 5100-ONA, deactivated after 2020 by its director (the issue's example)."""
    team = Team.objects.get(institution=rocvaf_demo, code="5100-ONA")
    return team_update(team=team, name=team.name, active_until=2020)


def row(team: Team, year: int, value: str | None, code: str = "1a") -> MeasurementRow:
    indicator = Indicator.objects.get(institution=team.institution, code=code)
    return MeasurementRow(
        indicator=indicator, year=year, value=None if value is None else Decimal(value), college=team.college, team=team
    )


def college_entry(institution, code: str, year: int, college: str) -> dict:
    status = next(s for s in status_body(institution, year)["indicators"] if s["indicator"] == code)
    return next(c for c in status["colleges"] if c["college"] == college)


def test_a_new_value_for_a_year_the_team_is_not_active_is_refused_and_nothing_is_stored(ona):
    before = Measurement.objects.count()
    with pytest.raises(TeamInactive) as refused:
        measurements_apply(institution=ona.institution, rows=[row(ona, 2022, "7.5")], source="test")
    assert INACTIVE in refused.value.messages[0]
    assert Measurement.objects.count() == before


def test_stored_values_are_kept_can_be_deleted_and_a_restore_may_put_them_back(ona):
    stored = Measurement.objects.filter(team=ona, year=2022)
    count = stored.count()
    assert count, "the demo has ONA values for 2022, stored before the deactivation"
    measurement = stored.select_related("indicator").first()
    code, value = measurement.indicator.code, measurement.value
    measurements_apply(institution=ona.institution, rows=[row(ona, 2022, None, code)], source="opruimen")
    assert stored.count() == count - 1
    measurements_apply(
        institution=ona.institution, rows=[row(ona, 2022, str(value), code)], source="herstel", keep_uncounted=True
    )
    assert stored.count() == count


def test_an_inactive_team_year_neither_counts_nor_is_listed_in_the_verdict(rocvaf_demo):
    """The issue's case: ONA "actief tot en met 2020" still counted in the 2022 verdict of 1a."""
    institution = rocvaf_demo
    team = Team.objects.get(institution=institution, code="5100-ONA")
    recompute_now(institution=institution, reason="test")
    before = college_entry(institution, "1a", 2022, "5100")
    assert "5100-ONA" in {t["team"] for t in before["teams"]}
    team_update(team=team, name=team.name, active_until=2020)
    recompute_now(institution=institution, reason="test")
    after = college_entry(institution, "1a", 2022, "5100")
    assert "5100-ONA" not in {t["team"] for t in after["teams"]}
    assert after["teams_total"] == before["teams_total"] - 1
    assert Measurement.objects.filter(team=team, year=2022, indicator__code="1a").exists(), "kept, not counted"
    # 2020 is still an active year: ONA counts there as before.
    assert "5100-ONA" in {t["team"] for t in college_entry(institution, "1a", 2020, "5100")["teams"]}


def test_an_upload_row_for_an_inactive_team_year_is_rejected_with_its_row(ona, tmp_path):
    path = tmp_path / "ona.csv"
    path.write_text("jaar;indicator;college;team;waarde;n\n2022;1a;5100;5100-ONA;7,5;20\n", encoding="utf-8")
    with pytest.raises(CommandError) as rejected:
        call_command("import_benchmark", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert "rij 2" in str(rejected.value) and INACTIVE in str(rejected.value)


def test_the_api_answers_400_with_the_cell_and_the_dutch_reason(ona):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username="beleid"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post(
        "/api/v1/measurements/",
        {"indicator": "1a", "year": 2022, "team": "5100-ONA", "value": "7.5", "n": 20},
        format="json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert INACTIVE in body["cells"][0]["message"] and body["cells"][0]["year"] == 2022
