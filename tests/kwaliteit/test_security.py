"""Security settings and login throttling (issue 8)."""

import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.services import ROOT


def test_production_refuses_to_start_without_a_secret_key():
    """With DEBUG=false and no SECRET_KEY the settings refuse to load."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env["DEBUG"] = "false"
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures(client, settings):
    """The fifth wrong password locks the user out (429), even for the right one, until the cool-off has passed."""
    settings.AXES_FAILURE_LIMIT = 5
    get_user_model().objects.create_user("directeur", password="juist-wachtwoord")
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": "directeur", "password": "fout"})
        assert response.status_code == 200
    assert client.post("/accounts/login/", {"username": "directeur", "password": "fout"}).status_code == 429
    response = client.post("/accounts/login/", {"username": "directeur", "password": "juist-wachtwoord"})
    assert response.status_code == 429
    assert "Te veel mislukte pogingen" in response.content.decode()
    assert "_auth_user_id" not in client.session
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)  # the lockout expires
    response = client.post("/accounts/login/", {"username": "directeur", "password": "juist-wachtwoord"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_few_failures_do_not_lock_the_account(client):
    """Two typos and then the right password logs in."""
    get_user_model().objects.create_user("bestuur", password="juist-wachtwoord")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "bestuur", "password": "typo"})
    response = client.post("/accounts/login/", {"username": "bestuur", "password": "juist-wachtwoord"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_csrf_is_enforced_on_login(settings):
    """A POST without the CSRF token is refused (403)."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
