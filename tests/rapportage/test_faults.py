"""Faults with real services (issue 8): nothing is lost when the broker or a worker fails."""

import signal
import threading
import time

import psycopg2
import pytest
from django.conf import settings

from indicatoren.models import Measurement, Upload, UploadStatus
from invoer.uploads import benchmark_import
from rapportage.models import BudgetResult, IndicatorResult, RecomputeRun, RunState, Version
from rapportage.services import recompute_request
from tests.conftest import ARTIFACTS, celery_broker, worker_env
from tests.rapportage.test_services import fragile_team
from tests.rapportage.test_worker_integration import wait_for
from tests.services import redis_server, start_beat, start_worker, stop_process

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def settled(rocvaf_demo_tx):
    """Return the demo once no recompute of its loading is still waiting or running.

    When an earlier test started the session's worker, the demo's own recompute went to that
    worker; a fault test must not mistake it for the run it is about to break.
    """
    wait_for(
        lambda: (
            not RecomputeRun.objects.filter(
                institution=rocvaf_demo_tx, state__in=[RunState.PENDING, RunState.RUNNING]
            ).exists()
        ),
        timeout=30,
        message=lambda: list(
            RecomputeRun.objects.filter(institution=rocvaf_demo_tx).values_list(
                "id", "state", "reason", "enqueued_at", "attempts", "error"
            )
        ),
    )
    return rocvaf_demo_tx


def flip_file(team) -> bytes:
    """Return a one-row benchmark file that lowers the team's 1a 2022 value far below its reference."""
    return f"jaar;indicator;college;team;waarde\n2022;1a;{team.college.code};{team.code};5,0\n".encode()


def attained_1a_2022() -> bool:
    """Return the stored verdict of 1a in 2022."""
    return IndicatorResult.objects.get(indicator__code="1a", year=2022, version=Version.CURRENT).payload["attained"]


def upload_in_a_thread(institution, data: bytes, filename: str, timeout: float = 120.0):
    """Import the file in a thread and return its upload; fail only if the import never returns.

    The commit must not hang while the broker is down. How long it takes on a busy machine is not
    the question, so the timeout is generous and only a commit stuck for good fails the test.
    """
    outcome = {}

    def upload():
        from django.db import connection

        try:
            outcome["upload"] = benchmark_import(institution=institution, data=data, filename=filename, channel="api")
        except BaseException as exc:  # raised again in the test's thread below
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=upload, name="upload-broker-down", daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), (
        f"a commit must not hang while the broker is down (still waiting after {timeout:.0f} s)"
    )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["upload"]


def test_upload_while_the_broker_is_down_is_kept_and_recomputed_when_it_is_back(settled):
    """The upload and its values are stored, the run waits (pending), and runs once a worker starts."""
    team, _ = fragile_team(settled)
    log = ARTIFACTS / "celery-worker-broker-down.log"
    log.write_bytes(b"")
    with redis_server() as redis, celery_broker(redis["url"]):
        redis["process"].terminate()
        redis["process"].wait(timeout=10)
        upload = upload_in_a_thread(settled, flip_file(team), "storing.csv")
        upload.refresh_from_db()
        assert upload.status == UploadStatus.ACCEPTED
        assert Measurement.objects.get(indicator__code="1a", year=2022, team=team).upload_id == upload.pk
        run = upload.recompute_run
        assert run is not None and run.state == RunState.PENDING and run.enqueued_at is None
        assert attained_1a_2022() is True  # not yet recomputed

        with redis_server(port=redis["port"]):  # the broker is back on the same address
            worker = start_worker(worker_env(redis["url"]), log)
            try:
                done = wait_for(lambda: RecomputeRun.objects.filter(pk=run.pk, state=RunState.DONE).first(), timeout=30)
            finally:
                stop_process(worker)
    assert done.attempts == 1
    assert attained_1a_2022() is False
    assert Upload.objects.get(pk=upload.pk).recompute_run.state == RunState.DONE


def test_a_worker_killed_in_the_middle_of_a_recompute_does_not_lose_it(settled):
    """The worker dies while recomputing; the run is done by the next worker, results whole."""
    db = settings.DATABASES["default"]
    blocker = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"])
    log = ARTIFACTS / "celery-worker-killed.log"
    log.write_bytes(b"")
    with redis_server() as redis, celery_broker(redis["url"]):
        env = worker_env(redis["url"], CELERY_VISIBILITY_TIMEOUT="5")
        first = start_worker(env, log)
        try:
            # Hold the institution's row lock: the worker claims the run and then waits inside it.
            with blocker.cursor() as cursor:
                cursor.execute("SELECT id FROM agenda_institution WHERE id = %s FOR NO KEY UPDATE", [settled.pk])
                run = recompute_request(institution=settled, reason="wordt onderbroken")
                wait_for(lambda: RecomputeRun.objects.filter(pk=run.pk, state=RunState.RUNNING).exists(), timeout=20)
                time.sleep(0.5)
                stop_process(first, sig=signal.SIGKILL)
            blocker.rollback()
        finally:
            stop_process(first)
            blocker.close()
        assert RecomputeRun.objects.get(pk=run.pk).state == RunState.RUNNING  # cut off, not finished

        second = start_worker(env, log)
        try:
            done = wait_for(lambda: RecomputeRun.objects.filter(pk=run.pk, state=RunState.DONE).first(), timeout=40)
        finally:
            stop_process(second)
    assert done.attempts >= 2
    # Never partial: every verdict (14 indicators x 4 years x 2 versions) and budget from that one run.
    assert IndicatorResult.objects.filter(institution=settled, run=done).count() == 14 * 4 * 2
    assert IndicatorResult.objects.filter(institution=settled).exclude(run=done).count() == 0
    assert BudgetResult.objects.filter(institution=settled, run=done).count() == 4


def test_beat_sends_a_run_that_waited_while_no_worker_saw_it(settled, tmp_path):
    """A pending run nobody sent is picked up by beat's periodic sweep, not only at worker start."""
    log = ARTIFACTS / "celery-beat.log"
    log.write_bytes(b"")
    with redis_server() as redis, celery_broker(redis["url"]):
        env = worker_env(redis["url"], RECOMPUTE_SWEEP_SECONDS="1")
        worker_log = ARTIFACTS / "celery-worker-beat.log"
        worker_log.write_bytes(b"")
        worker = start_worker(env, worker_log)
        try:
            # The run must come after the worker's own start-up sweep, so only beat can send it.
            wait_for(lambda: "start-up sweep" in worker_log.read_text(), timeout=20)
            run = RecomputeRun.objects.create(institution=settled, reason="nooit verstuurd")
            beat = start_beat(env, log, tmp_path / "schedule")
            try:
                done = wait_for(lambda: RecomputeRun.objects.filter(pk=run.pk, state=RunState.DONE).first(), timeout=30)
            finally:
                stop_process(beat)
        finally:
            stop_process(worker)
    assert done.enqueued_at is not None
    assert "recompute_sweep_task" in log.read_text()
