"""Thin Celery tasks of invoer: a service call, a small result out."""

from celery import shared_task

from invoer.uploads import upload_files_prune


@shared_task(ignore_result=True)
def upload_files_prune_task() -> int:
    """Delete the kept files of rejected and cancelled uploads past their retention (beat, nightly)."""
    return upload_files_prune()
