"""A small world for the sign-off tests: three colleges, vsv at team level, budget years 2020 and 2021."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from agenda.choices import Level
from agenda.models import College, Indicator, Membership, Team
from agenda.services import agenda_load
from indicatoren.models import Measurement, StudentCount
from tests.api.conftest import agenda_spec

# A1 misses vsv in 2020 (8 against 6,5 +- 0,5: its portion is reserved) and meets it in 2021, which
# releases the 2020 portion (domain.md, "The reserve"); B2 meets it in both years.
RESERVE_VALUES = {
    (2020, "A1-T1"): "8",
    (2020, "A1-T2"): "8",
    (2021, "A1-T1"): "6.5",
    (2021, "A1-T2"): "6.5",
    (2020, "B2-T1"): "6.5",
    (2020, "B2-T2"): "6.5",
    (2021, "B2-T1"): "6.5",
    (2021, "B2-T2"): "6.5",
}


def build(code: str, values: dict, colleges=("A1", "B2", "C3")):
    """Load a small agenda with budget rows 2020 and 2021, team values and student numbers of 2020 only."""
    spec = agenda_spec(code, list(colleges))
    spec["themes"][0]["indicators"][0]["ambitions"] = [
        {"year": year, "type": "maintain", "tolerance": 0.5} for year in (2020, 2021, 2022)
    ]
    spec["budget"] = [{"year": year, "total_eur": 1000000, "result_dependent_pct": 25} for year in (2020, 2021)]
    inst = agenda_load(data=spec).institution
    vsv = Indicator.objects.get(institution=inst, code="vsv")
    cells = {(2017, f"{college}-T{i}"): "6.5" for college in colleges for i in (1, 2)} | values
    for (year, team_code), value in cells.items():
        team = Team.objects.get(institution=inst, code=team_code)
        Measurement.objects.create(
            indicator=vsv, year=year, level=Level.TEAM, college=team.college, team=team, value=Decimal(value), n=40
        )
    Measurement.objects.create(indicator=vsv, year=2017, level=Level.INSTITUTION, value=Decimal("6.7"))
    for college in College.objects.filter(institution=inst):
        StudentCount.objects.create(college=college, year=2020, count=1000)
    return inst


def person(inst, name: str, role: str, colleges=()):
    account = get_user_model().objects.create_user(username=f"{inst.code.lower()}_{name}", password="x")
    membership = Membership.objects.create(user=account, institution=inst, role=role)
    membership.colleges.set(list(colleges))
    return account
