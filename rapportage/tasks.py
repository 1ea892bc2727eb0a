"""Thin Celery tasks: ids in, a service call, a small result out."""

import gc
import logging

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.conf import settings

from rapportage import notifications, services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recompute_task(self, run_id: int) -> str | None:
    """Run one recompute run on the worker, or in the asking process when tasks run eagerly (the demo).

    acks_late with reject_on_worker_lost: a run whose worker died is delivered again. The claim
    counts each delivery and gives the run up (FAILED, *verouderd*) once it used
    RECOMPUTE_MAX_ATTEMPTS (services._claim), so a run that kills its worker is not redelivered for ever.
    """
    run = services.recompute_run(run_id=run_id, in_process=bool(self.request.is_eager))
    return run.state if run else None


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recompute_batch_task(run_ids: list[int]) -> int:
    """Run many recompute runs in turn (a sector-wide import); a run done or given up is skipped on redelivery."""
    return services.recompute_batch(run_ids=run_ids)


@shared_task(ignore_result=True)
def recompute_sweep_task() -> int:
    """Re-enqueue recompute runs that were never delivered or were cut off."""
    return services.recompute_sweep(older_than_seconds=int(settings.RECOMPUTE_SWEEP_SECONDS))


@shared_task(ignore_result=True)
def board_packs_send_task() -> int:
    """Send the weekly and monthly board packs that are due (beat, BOARD_PACK_CHECK_SECONDS)."""
    return notifications.board_packs_send()


@shared_task(ignore_result=True)
def recompute_notify_task(run_id: int) -> dict:
    """Alert the flips of a finished run and send the after-upload packs."""
    return notifications.recompute_notify(run_id=run_id)


@worker_ready.connect
def sweep_on_worker_start(sender=None, **kwargs) -> None:
    """Re-send runs that waited while no broker or worker was available (issue 8: nothing lost)."""
    sent = services.recompute_sweep(older_than_seconds=0)
    logger.info("start-up sweep: %d recompute run(s) re-sent", sent)


@worker_process_init.connect
def freeze_startup_objects(sender=None, **kwargs) -> None:
    """Keep what a pool process inherited (Django, pandas, the app) out of the garbage collector's full passes.

    A recompute allocates a few hundred thousand dicts and lists, which sets off full collections
    that walked every object of the start-up each time (issue 16, sector recompute profile).
    """
    gc.freeze()
