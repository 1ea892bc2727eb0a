"""The database restarts under a running gunicorn: requests fail cleanly, the next ones succeed (issue 8)."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.conftest import ARTIFACTS, require_service
from tests.services import free_port, pg_start, pg_stop, start_gunicorn, stop_process

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    """Return (status, body) of a GET, without raising on HTTP errors.

    The generous timeout only catches a request that hangs for good (a failing database must
    give an answer); how fast it answers on a busy machine is for bench/, not for a test.
    """
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_requests_fail_cleanly_while_the_database_is_down_and_recover(rocvaf_demo_tx):
    """Status API and health check answer 5xx promptly while PostgreSQL is down, then 200 again."""
    data, bindir = os.environ.get("TEST_PG_DATA"), os.environ.get("TEST_PG_BIN")
    require_service(bool(data and bindir), "needs the throwaway cluster of make test (TEST_PG_DATA)")
    token = Token.objects.create(user=get_user_model().objects.get(username="bestuur")).key
    db = settings.DATABASES["default"]
    port = free_port()
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "restart-test-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "60",  # persistent connections must survive the restart
    }
    ARTIFACTS.mkdir(exist_ok=True)  # run alone, no other test has made it yet
    log = ARTIFACTS / "gunicorn-restart.log"
    log.write_bytes(b"")
    server = start_gunicorn(env, port, log)
    base = f"http://127.0.0.1:{port}"
    status_url = f"{base}/api/v1/status/?year=2020"
    try:
        warm = [get(status_url, token) for _ in range(6)]  # every worker holds a persistent connection
        assert [w[0] for w in warm] == [200] * 6
        expected = json.loads(warm[0][1])
        connection.close()

        # A restart with no traffic in between leaves each worker a dead connection: the next
        # requests must still succeed (connection health checks), not fail once per worker.
        pg_stop(Path(data), Path(bindir))
        pg_start(Path(data), Path(bindir))
        assert [get(status_url, token)[0] for _ in range(6)] == [200] * 6

        pg_stop(Path(data), Path(bindir))
        try:
            for path in ("/api/v1/status/?year=2020", "/healthz"):
                status, _ = get(base + path, token)
                assert status >= 500, f"{path} answered {status} with the database down"
        finally:
            pg_start(Path(data), Path(bindir))
        assert server.poll() is None, "gunicorn died with the database"
        assert [get(status_url, token)[0] for _ in range(6)] == [200] * 6
        assert json.loads(get(status_url, token)[1]) == expected
        assert get(f"{base}/healthz")[0] == 200
    finally:
        stop_process(server)
