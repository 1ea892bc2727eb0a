"""Board packs and flip alerts through real parts (issue 14, item 5): an aiosmtpd SMTP server on loopback,
Redis, a Celery worker and beat on the PostgreSQL test database (integration pass)."""

import email
import socket
import threading
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.db import connections
from django.utils import timezone

from rapportage import notifications, services
from rapportage.choices import Frequency, PackContent
from rapportage.models import AlertDelivery, RecomputeRun, RunState, Subscription, VerdictChange
from rapportage.tasks import recompute_notify_task
from tests.conftest import ARTIFACTS, celery_broker, worker_env
from tests.rapportage.test_notifications import flip_1a, subscribe
from tests.rapportage.test_worker_integration import wait_for
from tests.services import redis_server, start_beat, start_worker, stop_process

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# The loopback ports this module's SMTP server may take (several test runs share the machine).
SMTP_PORTS = range(8325, 8331)


class Inbox:
    """The mails an aiosmtpd server received, as parsed messages with their envelope recipients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mails: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        """Keep the message (aiosmtpd's handler hook) and accept it."""
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str, subject_part: str = "") -> list:
        """Return the messages delivered to `address` whose subject contains `subject_part`."""
        with self.lock:
            return [m for rcpt, m in self.mails if address in rcpt and subject_part in str(m["Subject"])]


def _free_port() -> int:
    """Return the first free port of SMTP_PORTS."""
    for port in SMTP_PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free SMTP test port in {SMTP_PORTS.start}-{SMTP_PORTS.stop - 1}")


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a loopback port; yields its inbox and port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield {"inbox": inbox, "port": controller.port}
    finally:
        controller.stop()


def smtp_env(smtp) -> dict[str, str]:
    """Return the environment that points a worker's mail at the test SMTP server."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp["port"]),
    }


@pytest.fixture
def demo(rocvaf_demo_tx):
    """Return the demo once no recompute of its loading is still waiting or running (a session worker may hold one)."""
    wait_for(
        lambda: (
            not RecomputeRun.objects.filter(
                institution=rocvaf_demo_tx, state__in=[RunState.PENDING, RunState.RUNNING]
            ).exists()
        ),
        timeout=60,
    )
    return rocvaf_demo_tx


def test_beat_mails_the_due_board_pack_to_a_real_smtp_server(demo, smtp, tmp_path):
    """beat's check finds bestuur's weekly pack due; the worker mails it, with the workbook, over SMTP."""
    subscription = subscribe("bestuur", demo, content=PackContent.PACK, flip_alerts=False)
    inbox = smtp["inbox"]
    worker_log, beat_log = ARTIFACTS / "celery-worker-mail.log", ARTIFACTS / "celery-beat-mail.log"
    worker_log.write_bytes(b"")
    beat_log.write_bytes(b"")
    with redis_server() as redis, celery_broker(redis["url"]):
        env = worker_env(redis["url"], BOARD_PACK_CHECK_SECONDS="1", **smtp_env(smtp))
        worker = start_worker(env, worker_log)
        try:
            beat = start_beat(env, beat_log, tmp_path / "schedule")
            try:
                (message, *_) = wait_for(
                    lambda: inbox.to("bestuur@example.org"),
                    timeout=120,
                    message=lambda: worker_log.read_text()[-2000:],
                )
            finally:
                stop_process(beat)
        finally:
            stop_process(worker)
    assert "board_packs_send_task" in beat_log.read_text()
    assert str(message["Subject"]).startswith("Kwaliteitsagenda ") and "stand " in str(message["Subject"])
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "OORDELEN PER THEMA" in text and "BUDGET" in text
    assert message.get_body(preferencelist=("html",)) is not None
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename().startswith("kwaliteitsagenda-ROCVAF-")
    subscription.refresh_from_db()
    assert subscription.last_sent_at is not None


def _notify_tasks_done(log) -> int:
    """Return how many notification tasks the worker finished, from its log."""
    text = log.read_text(errors="replace")
    return sum(1 for line in text.splitlines() if "recompute_notify_task[" in line and "succeeded" in line)


def test_a_flip_mails_one_alert_even_when_workers_race_and_recompute_again(demo, smtp):
    """A flip recomputed on the worker mails one alert; two more notify tasks at once and a second recompute mail none."""
    subscribe("bestuur", demo, frequency=Frequency.AFTER_UPLOAD)
    inbox = smtp["inbox"]
    log = ARTIFACTS / "celery-worker-alerts.log"
    log.write_bytes(b"")
    with redis_server() as redis, celery_broker(redis["url"]):
        worker = start_worker(worker_env(redis["url"], **smtp_env(smtp)), log, concurrency=2)
        try:
            flip_1a(demo)
            run = services.recompute_request(institution=demo, reason="beheer: correctie")  # sent on commit
            wait_for(lambda: RecomputeRun.objects.filter(pk=run.pk, state=RunState.DONE).exists(), timeout=120)
            wait_for(lambda: inbox.to("bestuur@example.org", "omgeslagen"), timeout=60)
            # Two more deliveries of the same run's notification, taken by the worker's two processes at once.
            recompute_notify_task.delay(run.pk)
            recompute_notify_task.delay(run.pk)
            again = services.recompute_request(institution=demo, reason="nogmaals")
            wait_for(lambda: RecomputeRun.objects.filter(pk=again.pk, state=RunState.DONE).exists(), timeout=120)
            wait_for(lambda: _notify_tasks_done(log) >= 4, timeout=60, message=lambda: log.read_text()[-2000:])
        finally:
            stop_process(worker)
    (alert,) = inbox.to("bestuur@example.org", "omgeslagen")
    assert "1a 2022: behaald -> niet behaald" in alert.get_body(preferencelist=("plain",)).get_content()
    assert not inbox.to("bestuur@example.org", "stand ")  # the run was no upload: no after-upload pack
    assert AlertDelivery.objects.count() == VerdictChange.objects.filter(run_id=run.pk).count() > 0


def test_two_senders_at_once_alert_a_flip_once(demo, smtp, settings):
    """Two threads sending the institution's alerts at the same moment mail one alert: the row lock decides."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp["port"]
    before = timezone.now()
    flip_1a(demo)
    # Flipped before the subscription exists, so the recompute's own hook alerts nobody; the
    # subscription then covers that moment and the two senders below are the only ones.
    services.recompute_now(institution=demo, reason="beheer: correctie")
    subscription = subscribe("bestuur", demo)
    Subscription.objects.filter(pk=subscription.pk).update(alerts_since=before)
    start = threading.Barrier(2)
    results, errors = [], []

    def send():
        try:
            start.wait(timeout=30)
            results.append(notifications.flip_alerts_send(demo.pk))
        except Exception as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sorted(results) == [0, 1]
    assert len(smtp["inbox"].to("bestuur@example.org", "omgeslagen")) == 1
