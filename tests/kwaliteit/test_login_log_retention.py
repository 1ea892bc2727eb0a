"""Login records do not grow forever: beat deletes those past LOGIN_LOG_RETENTION_DAYS (issue 13)."""

from datetime import timedelta

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.utils import timezone

from kwaliteit.celery import app as celery_app
from kwaliteit.settings import CELERY_BEAT_SCHEDULE
from kwaliteit.tasks import login_logs_prune_task

pytestmark = pytest.mark.django_db


def record(model, days_ago: int):
    """Store one login record of `model` made `days_ago` days ago."""
    row = model.objects.create(username="beleid", ip_address="127.0.0.1", user_agent="test", path_info="/")
    model.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - timedelta(days=days_ago))


def test_records_past_the_retention_are_deleted_and_the_rest_kept(settings):
    """Successes and failures older than the retention go; younger ones stay."""
    settings.LOGIN_LOG_RETENTION_DAYS = 180
    for model in (AccessLog, AccessFailureLog):
        record(model, 400)
        record(model, 181)
        record(model, 10)
    assert login_logs_prune_task() == 4
    assert AccessLog.objects.count() == 1 and AccessFailureLog.objects.count() == 1


def test_beat_runs_the_task_nightly():
    """The beat schedule names a registered task, once a day."""
    celery_app.loader.import_default_modules()
    entry = CELERY_BEAT_SCHEDULE["login-log-retention"]
    assert entry["task"] == "kwaliteit.tasks.login_logs_prune_task" and entry["task"] in celery_app.tasks
    assert entry["schedule"] == 24 * 3600
