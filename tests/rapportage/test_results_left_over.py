"""Stored results that a recompute no longer produces are removed, not kept and not a failure.

A year that leaves the institution's period (period_end set back) leaves its STATUS rows without
a result: attainment_recompute deletes what is left of the stored rows after it matched every
computed one (rapportage.services).
"""

import pytest

from rapportage import services
from rapportage.models import IndicatorResult, RunState

pytestmark = pytest.mark.django_db


def test_a_year_leaving_the_period_removes_its_results(rocvaf_demo):
    run = services.recompute_now(institution=rocvaf_demo, reason="test")
    assert run.state == RunState.DONE, run.error
    last = rocvaf_demo.period_end
    assert IndicatorResult.objects.filter(institution=rocvaf_demo, year=last).exists()
    kept = set(IndicatorResult.objects.filter(institution=rocvaf_demo, year__lt=last).values_list("pk", flat=True))
    rocvaf_demo.period_end = last - 1
    rocvaf_demo.save(update_fields=["period_end"])
    run = services.recompute_now(institution=rocvaf_demo, reason="period shortened")
    assert run.state == RunState.DONE, run.error
    assert not IndicatorResult.objects.filter(institution=rocvaf_demo, year=last).exists()
    # The other years' rows are kept as they were (their inputs did not change).
    assert set(IndicatorResult.objects.filter(institution=rocvaf_demo).values_list("pk", flat=True)) == kept
