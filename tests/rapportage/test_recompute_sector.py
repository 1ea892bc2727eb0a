"""A sector recompute (issue 16): only moved results are written, batches per worker process, COPY reads."""

from decimal import Decimal

import pandas as pd
import pytest
from django.db.models import F

from agenda.models import Indicator, Institution
from bench.engine_data import sector
from bench.engine_db import store
from indicatoren.models import Measurement
from rapportage import selectors, services, tasks
from rapportage.choices import RunState, Version
from rapportage.engine import exact_json
from rapportage.models import BudgetResult, IndicatorResult, RecomputeRun

pytestmark = pytest.mark.django_db


def stored(institution) -> dict:
    """Return the stored results of `institution`: {(indicator id, year, version): (row id, payload)}."""
    return {
        (row.indicator_id, row.year, row.version): (row.pk, row.payload)
        for row in IndicatorResult.objects.filter(institution=institution)
    }


def computed(institution) -> dict:
    """Return what a full recompute would store now, as {(indicator id, year, version): payload}."""
    statuses = services.evaluate_institution(institution)["statuses"]
    return {(i, year, version): p for version, payloads in statuses.items() for (i, year), p in payloads.items()}


def test_a_recompute_rewrites_only_the_results_that_moved(rocvaf_demo):
    """A second recompute keeps every row; a changed 1a 2022 value rewrites 1a 2022 only, as a full recompute would."""
    before = stored(rocvaf_demo)
    budgets = set(BudgetResult.objects.filter(institution=rocvaf_demo).values_list("pk", flat=True))
    services.recompute_now(institution=rocvaf_demo, reason="test: niets veranderd")
    assert stored(rocvaf_demo) == before
    assert set(BudgetResult.objects.filter(institution=rocvaf_demo).values_list("pk", flat=True)) == budgets

    Measurement.objects.filter(indicator__code="1a", year=2022, level="team").update(value=F("value") + Decimal("0.3"))
    services.recompute_now(institution=rocvaf_demo, reason="test: 1a 2022")
    after = stored(rocvaf_demo)
    code = dict(Indicator.objects.filter(institution=rocvaf_demo).values_list("pk", "code"))
    moved = {key for key in after if after[key][0] != before[key][0]}
    assert moved and {(code[i], year) for i, year, _ in moved} == {("1a", 2022)}
    assert {key: payload for key, (_, payload) in after.items()} == computed(rocvaf_demo)


def test_a_result_without_its_digest_is_rewritten(rocvaf_demo):
    """A stored row whose digest is empty (stored before it, or edited by hand) gets the computed payload back."""
    row = IndicatorResult.objects.get(institution=rocvaf_demo, indicator__code="2b", year=2021, version=Version.CURRENT)
    original = row.payload
    IndicatorResult.objects.filter(pk=row.pk).update(digest="", payload={**original, "explanation": "met de hand"})
    services.recompute_now(institution=rocvaf_demo, reason="test: lege inhoudscontrole")
    row = IndicatorResult.objects.get(institution=rocvaf_demo, indicator__code="2b", year=2021, version=Version.CURRENT)
    assert row.payload == original and row.digest


def test_a_sector_wide_request_enqueues_one_batch_per_worker_process(monkeypatch, django_capture_on_commit_callbacks):
    """Asking three institutions' recompute in one transaction sends two batches that recompute all three."""
    store(sector(3))
    institutions = list(Institution.objects.order_by("pk"))
    sent = []
    original = tasks.recompute_batch_task.delay

    def delay(run_ids):
        sent.append(list(run_ids))
        return original(run_ids)  # eager in this pass: runs here

    monkeypatch.setattr(tasks.recompute_batch_task, "delay", delay)
    with django_capture_on_commit_callbacks(execute=True):
        runs = services.recompute_request_many(institutions=institutions, reason="test: sectorbestand")
    assert len(sent) == services.RECOMPUTE_BATCHES == 2
    assert sorted(pk for batch in sent for pk in batch) == sorted(run.pk for run in runs)
    assert set(RecomputeRun.objects.filter(pk__in=[r.pk for r in runs]).values_list("state", flat=True)) == {
        RunState.DONE
    }
    for institution in institutions:
        assert {key: payload for key, (_, payload) in stored(institution).items()} == computed(institution)


@pytest.mark.parametrize(
    "document",
    [
        {"value": Decimal("123456789012.123456"), "small": Decimal("0.000001"), "name": "Zoë", "n": None},
        {"floats": [0.1, 6.95, 1e-06, 68.14, 12345678.5], "ints": [0, -3, 2**62], "ok": [True, False]},
        {"big": 2**70, "nested": [{"value": Decimal("-999999999999.9999")}]},
    ],
)
def test_stored_text_reads_back_as_the_json_modules_text(document):
    """store_text (orjson) and dumps (json module) read back to the same values and types."""
    fast, slow = exact_json.loads(exact_json.store_text(document)), exact_json.loads(exact_json.dumps(document))
    assert repr(fast) == repr(slow)


@pytest.mark.postgres
def test_the_copy_read_gives_the_row_by_row_frame(rocvaf_demo, monkeypatch):
    """On PostgreSQL the measurements read with COPY make the same engine frame as the rows read one by one."""
    ids = list(Indicator.objects.filter(institution=rocvaf_demo).values_list("pk", flat=True))
    copied = selectors.measurements_frame(ids)
    monkeypatch.setattr(selectors, "_copy_frame", lambda query: None)
    rows = selectors.measurements_frame(ids)
    key = ["indicator", "year", "level", "college", "team"]
    assert copied.dtypes.to_dict() == rows.dtypes.to_dict()
    pd.testing.assert_frame_equal(
        copied.sort_values(key).reset_index(drop=True), rows.sort_values(key).reset_index(drop=True)
    )
