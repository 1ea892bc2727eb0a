"""A composite indicator (issue 18, the IBM) through the database: agenda file, imported components, recompute, page."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from agenda.choices import Level
from agenda.models import Indicator
from agenda.services import agenda_load
from indicatoren.models import Measurement
from rapportage import selectors
from rapportage.choices import Version
from rapportage.models import IndicatorResult
from rapportage.services import recompute_now
from tests.agenda.composite_world import benchmark_csv, composite_agenda


@pytest.fixture
def composite_institution(db, tmp_path):
    """Load the composite agenda, import the components' 2020 values and recompute."""
    inst = agenda_load(data=composite_agenda()).institution
    data = tmp_path / "ibm.csv"
    benchmark_csv(data)
    call_command("import_benchmark", str(data), "--institution", inst.code, stdout=StringIO())
    recompute_now(institution=inst, reason="test")
    return inst


def status(inst, code: str, year: int = 2020) -> dict:
    """Return the stored status payload of indicator `code` in `year`."""
    return IndicatorResult.objects.get(
        institution=inst, indicator__code=code, year=year, version=Version.CURRENT
    ).payload


def test_the_stored_status_has_the_hand_computed_institution_value_and_a_verdict(composite_institution):
    """1a = 0.5 les + 0.3 beg + 0.2 sfeer: institution 66.223214 (tests/rapportage/engine/test_composite.py), judged."""
    body = status(composite_institution, "1a")
    assert Decimal(str(body["institution_value"])) == Decimal("66.223214")
    # Colleges judged on their computed values against b = 60 (no team has a 2017 value): C100 71.85 meets the
    # target 65, C200 55.75 does not; 1 of 2 is short of two-thirds, the institution (66.223214 >= 65) decides.
    values = {c["college"]: Decimal(str(c["value"])) for c in body["colleges"]}
    assert values == {"C100": Decimal("71.85"), "C200": Decimal("55.75")}
    assert (body["attained"], body["basis"]) == (True, "institution")


def test_components_are_judged_as_before(composite_institution):
    """A component's own status is its own aggregate (the composite changes nothing of it)."""
    body = status(composite_institution, "1a-les")
    # (80*10 + 90*10 + 70*20)/40 = 77.5 and (60*15 + 70*5)/20 = 62.5, weighted 40 and 20: 72.5.
    assert Decimal(str(body["institution_value"])) == Decimal("72.5")


def test_the_indicator_page_shows_components_and_marks_computed_values(composite_institution):
    """The composite's page lists each component with its weight and value, and says 'berekend uit componenten'."""
    ibm = Indicator.objects.get(institution=composite_institution, code="1a")
    data = selectors.composite_data(ibm)
    assert [(c["code"], c["weight"], c["values"]) for c in data["components"]] == [
        ("1a-les", Decimal("0.5"), [Decimal("72.5")]),
        ("1a-beg", Decimal("0.3"), [Decimal("66.785714")]),
        ("1a-sfeer", Decimal("0.2"), [Decimal("49.6875")]),
    ]
    assert data["years"] == [{"year": 2020, "value": Decimal("66.223214"), "computed": True}]
    # The trend of the page is the composite's too, not only its given team value (99).
    trend = selectors.indicator_trend(ibm)
    assert trend.institution.to_dict("records") == [{"year": 2020, "value": Decimal("66.223214")}]
    assert selectors.composite_data(Indicator.objects.get(institution=composite_institution, code="1a-les")) is None


def test_a_given_institution_value_wins(composite_institution):
    """A value given for the composite at the institution is the one judged, and the page does not say 'berekend'."""
    ibm = Indicator.objects.get(institution=composite_institution, code="1a")
    Measurement.objects.create(indicator=ibm, year=2020, level=Level.INSTITUTION, value=Decimal("64"))
    recompute_now(institution=composite_institution, reason="test")
    assert Decimal(str(status(composite_institution, "1a")["institution_value"])) == Decimal("64")
    assert selectors.composite_data(ibm)["years"] == [{"year": 2020, "value": Decimal("64"), "computed": False}]
