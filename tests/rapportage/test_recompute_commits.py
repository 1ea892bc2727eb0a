"""An in-process recompute (the demo, no broker) commits once: the claim and enqueued_at ride along (issue 16)."""

from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection, transaction

from rapportage import services
from rapportage.models import IndicatorResult, RecomputeRun, RunState
from tests.rapportage.test_worker_integration import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@contextmanager
def counted_commits():
    """Yield a list that receives one entry per durable commit of the default connection.

    A commit is either the end of an outermost atomic block (connection.commit) or a write
    statement run in autocommit mode, which SQLite and PostgreSQL each commit on its own.
    """
    commits = []

    def record(execute, sql, params, many, context):
        if not connection.in_atomic_block and sql.lstrip().upper().startswith(WRITES):
            commits.append(f"autocommit: {sql[:80]}")
        return execute(sql, params, many, context)

    real_commit = connection.commit

    def commit():
        commits.append("commit")
        return real_commit()

    with connection.execute_wrapper(record), mock.patch.object(connection, "commit", commit):
        yield commits


@pytest.fixture
def settled(rocvaf_demo_tx):
    """Return the demo once none of its runs waits (a waiting run would be joined, not sent), tasks in-process.

    The PostgreSQL pass has a broker: tasks run in-process (the demo's shape) only for these tests.
    """
    from kwaliteit.celery import app

    wait_for(
        lambda: (
            not RecomputeRun.objects.filter(
                institution=rocvaf_demo_tx, state__in=[RunState.PENDING, RunState.RUNNING]
            ).exists()
        )
    )
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield rocvaf_demo_tx
    app.conf.task_always_eager = saved


def test_a_requested_recompute_run_in_process_commits_once_after_the_request(settled):
    """The request's commit and the recompute's one transaction: no commit for the claim or enqueued_at."""
    with counted_commits() as commits:
        with transaction.atomic():
            run = services.recompute_request(institution=settled, reason="één cel")
    done = RecomputeRun.objects.get(pk=run.pk)
    assert done.state == RunState.DONE, done.error
    assert commits == ["commit", "commit"], commits
    # What the separate commits recorded is still there, written with the result.
    assert done.enqueued_at is not None and done.started_at is not None and done.locked_at is not None
    assert done.attempts == 1
    assert done.started_at <= done.locked_at <= done.finished_at
    assert set(IndicatorResult.objects.filter(institution=settled).values_list("run_id", flat=True)) == {run.pk}


def test_an_in_process_run_that_fails_records_its_attempt(settled, monkeypatch):
    """The claim rolls back with the failed recompute; the FAILED record still counts the attempt."""
    before = IndicatorResult.objects.filter(institution=settled).count()

    def broken(**kwargs):
        raise ValueError("kapotte invoer")

    monkeypatch.setattr(services, "attainment_recompute", broken)
    with transaction.atomic():
        run = services.recompute_request(institution=settled, reason="kapot")
    failed = RecomputeRun.objects.get(pk=run.pk)
    assert failed.state == RunState.FAILED and "ValueError: kapotte invoer" in failed.error
    assert failed.attempts == 1 and failed.started_at is not None and failed.enqueued_at is not None
    assert IndicatorResult.objects.filter(institution=settled).count() == before


def test_an_in_process_delivery_of_a_finished_run_does_nothing(settled):
    """A second in-process delivery of a done run claims nothing and changes nothing."""
    with transaction.atomic():
        run = services.recompute_request(institution=settled, reason="twee keer")
    done = RecomputeRun.objects.get(pk=run.pk)
    assert services.recompute_run(run_id=run.pk, in_process=True) is None
    again = RecomputeRun.objects.get(pk=run.pk)
    assert (again.state, again.attempts, again.finished_at) == (RunState.DONE, 1, done.finished_at)


def test_a_crash_inside_an_in_process_run_leaves_it_pending_for_the_sweep(settled, monkeypatch):
    """A process that dies mid-recompute rolls the claim back: the run is PENDING, found by requested_at."""
    run = RecomputeRun.objects.create(institution=settled, reason="stroomstoring")

    class Crash(BaseException):
        """Stands for the process dying: not an Exception, so the run is not recorded as failed."""

    def crash(**kwargs):
        raise Crash

    monkeypatch.setattr(services, "attainment_recompute", crash)
    with pytest.raises(Crash):
        services.recompute_run(run_id=run.pk, in_process=True)
    waiting = RecomputeRun.objects.get(pk=run.pk)
    assert (waiting.state, waiting.attempts, waiting.started_at) == (RunState.PENDING, 0, None)
    monkeypatch.undo()
    sent = []
    monkeypatch.setattr(services, "recompute_enqueue", lambda pk: sent.append(pk) or True)
    services.recompute_sweep(older_than_seconds=0)
    assert run.pk in sent
