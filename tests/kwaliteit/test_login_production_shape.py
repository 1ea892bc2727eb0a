"""Logins on the production shape: gunicorn, DEBUG=false, PostgreSQL, and a Redis that stops (issue 13).

The probe stopped Redis and every login answered 500. Here gunicorn runs with the cache on a real
redis-server, which is then stopped: the site and the admin still log in, and the throttle still
locks one user out from one address without touching another user there.
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model

from tests.conftest import ARTIFACTS
from tests.services import ROOT, free_port, redis_server, start_gunicorn, stop_process

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "juist-wachtwoord"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand back a redirect as it is: a successful login is a 302."""

    def redirect_request(self, *args, **kwargs):
        return None


def log_in(base: str, path: str, username: str, password: str) -> int:
    """Fetch the login form at `path` in a fresh browser session, post it, and return the status."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
    # The generous timeouts only catch a request that hangs for good; speed is for bench/.
    with opener.open(base + path, timeout=120) as response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
    try:
        with opener.open(base + path, data=body.encode(), timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_logins_survive_a_redis_outage_under_gunicorn(transactional_db, tmp_path, settings):
    """Redis up, then stopped: site and admin logins give 302, never 500; the lockout hits beleid only."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # gunicorn checks with the real hashers
    User = get_user_model()
    User.objects.create_user("beleid", password=PASSWORD, is_staff=True)
    User.objects.create_user("bestuur", password=PASSWORD, is_staff=True)
    db = settings.DATABASES["default"]
    port = free_port()
    log = ARTIFACTS / "gunicorn-redis-down.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"")
    with redis_server() as redis:
        env = {
            "DEBUG": "false",
            "SECRET_KEY": "redis-down-test-" + "k" * 60,
            "ALLOWED_HOSTS": "127.0.0.1",
            # Plain HTTP on loopback, as the health check talks to gunicorn; TLS is the proxy's.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": redis["url"],
            "STATIC_ROOT": str(tmp_path / "static"),
        }
        # Without DEBUG the pages name hashed static files: collect them, as the image's build does.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
        )
        server = start_gunicorn(env, port, log)
        base = f"http://127.0.0.1:{port}"
        try:
            assert log_in(base, "/accounts/login/", "bestuur", PASSWORD) == 302
            redis["process"].terminate()
            redis["process"].wait(timeout=30)

            assert log_in(base, "/accounts/login/", "beleid", PASSWORD) == 302
            assert log_in(base, "/admin/login/", "beleid", PASSWORD) == 302
            failures = [log_in(base, "/admin/login/", "beleid", "fout") for _ in range(5)]
            assert failures == [200] * 4 + [429]
            assert log_in(base, "/accounts/login/", "beleid", PASSWORD) == 429
            assert log_in(base, "/accounts/login/", "bestuur", PASSWORD) == 302
            assert server.poll() is None, "gunicorn died"
        finally:
            stop_process(server)
