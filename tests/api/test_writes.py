"""Writes that are allowed: values, measures and evidence as stored, and invalid input refused in Dutch."""

from decimal import Decimal

import pytest

from agenda.choices import Level
from indicatoren.models import Measurement
from maatregelen.models import Evidence, Measure

pytestmark = pytest.mark.django_db


def team_value(code: str) -> Measurement:
    """Return the seeded 2018 vsv value of a TST team."""
    return Measurement.objects.get(indicator__institution__code="TST", level=Level.TEAM, team__code=code, year=2018)


@pytest.mark.parametrize(
    "payload, field, fragment",
    [
        ({"indicator": "vsv", "year": 2020, "team": "A100-T1", "value": "150"}, "non_field_errors", "eenheid"),
        ({"indicator": "kw", "year": 2020, "team": "A100-T1", "value": "50"}, "non_field_errors", "niveau"),
        (
            {"indicator": "vsv", "year": 2020, "college": "A100", "team": "B200-T1", "value": "5"},
            "non_field_errors",
            "hoort niet bij",
        ),
        ({"indicator": "vsv", "year": 2030, "team": "A100-T1", "value": "5"}, "year", "tussen"),
        ({"indicator": "nope", "year": 2020, "value": "5"}, "indicator", ""),
        ({"indicator": "vsv", "year": 2020, "team": "A100-T1", "value": "abc"}, "value", ""),
    ],
)
def test_invalid_values_are_400_and_store_nothing(world, payload, field, fragment):
    """Out of range, wrong level, team outside the college, year outside the period, unknown code: 400."""
    before = Measurement.objects.count()
    response = world.client("beleid").post("/api/v1/measurements/", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body
    assert fragment in " ".join(body[field])
    assert Measurement.objects.count() == before


def test_posting_an_existing_unit_replaces_its_value(world):
    """POST for a unit and year that has a value replaces it (200) and keeps the old one in history."""
    response = world.client("directeur").post(
        "/api/v1/measurements/", {"indicator": "vsv", "year": 2018, "team": "A100-T1", "value": "6.0", "n": 41}
    )
    assert response.status_code == 200, response.content
    stored = team_value("A100-T1")
    assert (response.json()["id"], stored.value, stored.n) == (stored.pk, Decimal("6.0"), 41)
    assert [h.value for h in stored.history.order_by("history_date")] == [Decimal("6.5"), Decimal("6.0")]


def test_patch_changes_value_and_n_only(world):
    """PATCH sets the value and n; the unit and year stay as they were."""
    row = team_value("A100-T1")
    response = world.client("directeur").patch(
        f"/api/v1/measurements/{row.pk}/", {"value": "6.3", "year": 2020, "team": "A100-T2"}, format="json"
    )
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert (row.value, row.n, row.year, row.team.code) == (Decimal("6.3"), 40, 2018, "A100-T1")


def test_measure_with_indicators_is_stored_for_the_institution(world):
    """A new measure gets the caller's institution and its indicators by code."""
    response = world.client("beleid").post(
        "/api/v1/measures/",
        {
            "theme": "T1",
            "title": "Loopbaancoach",
            "category": "begeleiding",
            "indicators": ["vsv"],
            "planned_budget_cents": 500000,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    measure = Measure.objects.get(pk=response.json()["id"])
    assert (measure.institution, measure.college, list(measure.indicators.values_list("code", flat=True))) == (
        world.inst,
        None,
        ["vsv"],
    )
    bad = world.client("beleid").post(
        "/api/v1/measures/", {"theme": "T1", "title": "x", "category": "iets", "planned_budget_cents": -1}
    )
    assert bad.status_code == 400 and {"category", "planned_budget_cents"} <= set(bad.json())


def test_evidence_for_a_team_is_filed_under_its_college(world):
    """Evidence for a team gets the team's college and the author; a team of another college is refused."""
    client = world.client("directeur")
    response = client.post(
        "/api/v1/evidence/",
        {"theme": "T1", "team": "A100-T2", "year": 2020, "kind": "verhaal", "title": "Stage gelukt"},
        format="json",
    )
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get(pk=response.json()["id"])
    assert (evidence.college.code, evidence.team.code, evidence.created_by) == (
        "A100",
        "A100-T2",
        world.users["directeur"],
    )
    mismatch = client.post(
        "/api/v1/evidence/",
        {"theme": "T1", "college": "A100", "team": "B200-T1", "year": 2020, "kind": "verhaal", "title": "x"},
        format="json",
    )
    assert mismatch.status_code == 400 and "hoort niet bij" in mismatch.json()["team"][0]
