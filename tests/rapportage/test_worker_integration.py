"""Recompute through Redis and a real Celery worker process on PostgreSQL (integration pass)."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from indicatoren.models import Measurement
from rapportage.models import IndicatorResult, RecomputeRun, RunState, VerdictChange, Version
from tests.rapportage.test_services import fragile_team

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=30.0, interval=0.1, message=None):
    """Poll until `predicate()` is truthy; return its value or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s" + (f": {message()}" if message else ""))


def test_admin_change_is_recomputed_by_the_worker(rocvaf_demo_tx, celery_worker):
    """One team value changed in the admin flips 1a 2022 on the worker; the log shows the flip."""
    team, status = fragile_team(rocvaf_demo_tx)
    measurement = Measurement.objects.get(indicator__code="1a", year=2022, team=team)
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    client = Client()
    client.force_login(admin)
    response = client.post(
        f"/admin/indicatoren/measurement/{measurement.pk}/change/",
        {
            "indicator": measurement.indicator_id,
            "year": 2022,
            "college": measurement.college_id,
            "team": team.pk,
            "value": "5.0",
            "n": measurement.n or "",
            "source": "correctie",
        },
    )
    assert response.status_code == 302
    run = RecomputeRun.objects.filter(institution=rocvaf_demo_tx).order_by("-id").first()
    done = wait_for(lambda: RecomputeRun.objects.filter(pk=run.pk, state=RunState.DONE).first())
    after = IndicatorResult.objects.get(indicator__code="1a", year=2022, version=Version.CURRENT).payload
    assert (status["attained"], after["attained"]) == (True, False)
    assert VerdictChange.objects.filter(run=done, indicator__code="1a", year=2022, college__isnull=True).exists()
    # How fast is measured in bench/ (upload to visible verdict), never asserted here.
    # The worker, not this process, did it: its log names the task.
    assert "rapportage.tasks.recompute_task" in celery_worker["log"].read_text()


def test_two_recomputes_of_one_institution_never_interleave(rocvaf_demo_tx, celery_worker):
    """Two runs delivered at once to two worker processes hold the institution lock one after the other."""
    from rapportage.tasks import recompute_task

    first = RecomputeRun.objects.create(institution=rocvaf_demo_tx, reason="eerste", state=RunState.PENDING)
    second = RecomputeRun.objects.create(institution=rocvaf_demo_tx, reason="tweede", state=RunState.RUNNING)
    recompute_task.delay(first.pk)
    recompute_task.delay(second.pk)
    done = [
        wait_for(lambda r=r: RecomputeRun.objects.filter(pk=r.pk, state=RunState.DONE).first()) for r in (first, second)
    ]
    a, b = sorted(done, key=lambda r: r.locked_at)
    assert a.finished_at <= b.locked_at, "the second run computed while the first held the lock"
    runs = set(IndicatorResult.objects.filter(institution=rocvaf_demo_tx).values_list("run_id", flat=True))
    assert runs == {b.pk}  # every stored verdict comes from one run, never a mix
