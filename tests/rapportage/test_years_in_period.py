"""Budget rows and evaluation years outside the agenda period are refused with a clear Dutch error.

domain.md ("Points the rules above left open"): a budget year outside the period would get no
result-dependent part at all, silently; the loader, the commands and the API refuse instead.
"""

import pytest
import yaml
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import BudgetYear, Membership
from agenda.schema import AgendaFileError, validate_agenda
from tests.rapportage.exact_world import exact_agenda, load_exact_world, run


@pytest.fixture
def exact(db, django_capture_on_commit_callbacks):
    """Return the small institution (period 2019-2022) with its results computed."""
    with django_capture_on_commit_callbacks(execute=True):
        return load_exact_world()


@pytest.mark.parametrize("year", [2018, 2023])
def test_the_loader_refuses_a_budget_row_outside_the_period(year):
    """A budget row of 2018 or 2023 in an agenda of 2019-2022 is an error naming the row and the period."""
    data = exact_agenda()
    data["budget"].append({"year": year, "total_eur": 1000})
    with pytest.raises(AgendaFileError) as refused:
        validate_agenda(data)
    assert f"budget[1].year: budgetjaar {year} valt buiten de agendaperiode 2019-2022" in refused.value.errors


def test_the_loader_accepts_budget_rows_at_both_ends_of_the_period():
    """2019 and 2022 are in the period."""
    data = exact_agenda()
    data["budget"] = [{"year": 2019, "total_eur": 1000}, {"year": 2022, "total_eur": 1000}]
    assert [row["year"] for row in validate_agenda(data)["budget"]] == [2019, 2022]


@pytest.mark.django_db
def test_load_agenda_exits_1_on_a_budget_row_outside_the_period(tmp_path):
    """The command prints the error and stores nothing."""
    data = exact_agenda()
    data["budget"].append({"year": 2023, "total_eur": 1000})
    path = tmp_path / "agenda.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    status, out, err = run("load_agenda", str(path))
    assert status == 1
    assert "budgetjaar 2023 valt buiten de agendaperiode 2019-2022" in err
    assert not BudgetYear.objects.exists()


@pytest.mark.parametrize("command", ["agenda_status", "budget"])
@pytest.mark.parametrize("year", ["2018", "2030"])
def test_commands_refuse_a_year_outside_the_period(exact, command, year):
    """--year outside the period: exit 1 with the period in Dutch, nothing printed as if it were a result."""
    status, out, err = run(command, "--year", year, "--institution", exact.code, "--format", "json")
    assert status == 1
    assert f"{year} valt buiten de agendaperiode 2019-2022 van EXA" in err
    assert out == ""


@pytest.mark.parametrize("url", ["/api/v1/status/", "/api/v1/budget/", "/api/v1/indicators/cnt/status/"])
def test_the_api_refuses_a_year_outside_the_period(exact, url):
    """A year outside the period is 400 with the period in Dutch."""
    user = get_user_model().objects.create_user(username="beleid-exa", password="x")
    Membership.objects.create(user=user, institution=exact, role=Role.POLICY)
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(url, {"year": 2030, "institution": exact.code})
    assert response.status_code == 400
    assert "2030 valt buiten de agendaperiode 2019-2022" in response.content.decode()
