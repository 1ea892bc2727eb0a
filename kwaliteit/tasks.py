"""Thin Celery tasks of the front door: a library call, a small result out."""

from axes.handlers.proxy import AxesProxyHandler
from celery import shared_task
from django.conf import settings


@shared_task(ignore_result=True)
def login_logs_prune_task() -> int:
    """Delete login records (successes and failures) older than LOGIN_LOG_RETENTION_DAYS (beat, nightly).

    django-axes keeps a row for every login and every failure and never deletes them itself; its
    own reset (the same as `manage.py axes_reset_logs --age N`) keeps the table bounded.
    """
    days = settings.LOGIN_LOG_RETENTION_DAYS
    return AxesProxyHandler.reset_logs(age_days=days) + AxesProxyHandler.reset_failure_logs(age_days=days)
