"""The batch's joint read gives each institution exactly its own inputs, in a fixed number of queries (issue 16)."""

from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agenda import selectors as agenda_selectors
from agenda.models import Applicability, BaselineRevision, College, CompositeComponent, Institution
from bench.engine_data import sector
from bench.engine_db import store
from rapportage import selectors
from rapportage.choices import Version

FRAMES = ("indicators", "colleges", "teams", "not_applicable", "baselines", "composites")


def herijk(institutions: list[Institution]) -> None:
    """Give the synthetic institutions what the sector has none of: applicability, a revised baseline, a composite."""
    first, second, third = institutions[:3]
    indicators = {inst.pk: list(inst.indicators.order_by("position", "code")) for inst in institutions}
    colleges = list(College.objects.filter(institution=first).order_by("code"))
    own = Applicability.objects.create(indicator=indicators[first.pk][0], from_year=None, reason="test")
    own.colleges.set(colleges[1:])
    later = Applicability.objects.create(indicator=indicators[second.pk][1], from_year=2021, reason="test")
    later.colleges.set(College.objects.filter(institution=second).order_by("code")[:1])
    BaselineRevision.objects.create(
        indicator=indicators[third.pk][0], from_year=2021, baseline_year=2020, baseline_value=Decimal("61.5")
    )
    composite, component = indicators[second.pk][2], indicators[second.pk][3]
    CompositeComponent.objects.create(composite=composite, component=component, weight=Decimal("2"), position=0)


def by_key(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the measurement rows in one order: the read has none (no ORDER BY), the engine needs none."""
    return frame.sort_values(list(frame.columns[:5]), kind="stable").reset_index(drop=True)


@pytest.mark.django_db
def test_a_joint_read_gives_each_institution_what_its_own_read_gives():
    """Every frame and lookup of the joint read equals the institution's own read, dtypes and row order included."""
    store(sector(4))
    institutions = list(Institution.objects.order_by("pk"))
    herijk(institutions)
    joint = selectors.engine_inputs_many(institutions)
    assert set(joint) == {inst.pk for inst in institutions}
    for institution in institutions:
        alone = selectors.engine_inputs(institution)
        mine = joint[institution.pk]
        for name in FRAMES:
            pd.testing.assert_frame_equal(getattr(mine, name), getattr(alone, name), check_exact=True, obj=name)
        for version in (Version.CURRENT, Version.ORIGINAL):
            pd.testing.assert_frame_equal(mine.ambitions[version], alone.ambitions[version], check_exact=True)
        pd.testing.assert_frame_equal(by_key(mine.measurements), by_key(alone.measurements), check_exact=True)
        assert len(mine.measurements) and set(mine.measurements["indicator"]) <= set(mine.indicator_meta)
        assert mine.indicator_meta == alone.indicator_meta
        assert mine.college_meta == alone.college_meta
        assert mine.team_codes == alone.team_codes
    # The herijking reached the right institution and no other.
    assert len(joint[institutions[0].pk].not_applicable) and len(joint[institutions[1].pk].not_applicable)
    assert not len(joint[institutions[3].pk].not_applicable)
    assert len(joint[institutions[2].pk].baselines) == 2  # 2021 and 2022
    assert len(joint[institutions[1].pk].composites) == 1 and not len(joint[institutions[0].pk].composites)


@pytest.mark.django_db
def test_the_agenda_rules_read_for_many_equal_those_read_for_one():
    """not_applicable and revised_baselines of many institutions: each one's own answer, nothing mixed."""
    store(sector(3))
    institutions = list(Institution.objects.order_by("pk"))
    herijk(institutions)
    years = list(institutions[0].years)
    many = agenda_selectors.not_applicable_many(institutions, years)
    revised = agenda_selectors.revised_baselines_many(institutions, years)
    for institution in institutions:
        assert many[institution.pk] == agenda_selectors.not_applicable(institution, years)
        assert revised[institution.pk] == agenda_selectors.revised_baselines(institution, years)
    assert many[institutions[0].pk] and many[institutions[1].pk] and not many[institutions[2].pk]


@pytest.mark.django_db
def test_the_joint_read_costs_as_many_queries_for_five_institutions_as_for_two():
    """One query per table for the whole batch: the count does not grow with the institutions read."""
    store(sector(5))
    institutions = list(Institution.objects.order_by("pk"))
    herijk(institutions)
    counts = []
    for members in (institutions[:2], institutions):
        with CaptureQueriesContext(connection) as queries:
            selectors.engine_inputs_many(members)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
