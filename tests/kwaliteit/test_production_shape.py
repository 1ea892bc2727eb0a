"""docker-compose.yml and the Dockerfile describe what the code runs (issues 8 and 13).

No Docker daemon here, so the tests read both files and run what they say: the web service's
exact command and its exact health check, in a network namespace of their own (as a container
has), with the production environment the compose file gives.
"""

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings

from kwaliteit.celery import app
from kwaliteit.settings import CELERY_BEAT_SCHEDULE
from tests.conftest import ARTIFACTS, require_service
from tests.services import _die_with_parent, stop_process

ROOT = Path(__file__).resolve().parents[2]
_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def compose() -> dict:
    """Return the parsed compose file."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services_with_health_checks():
    """web (gunicorn), worker (celery), beat, db (postgres) and redis, each with what it needs."""
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    assert "gunicorn kwaliteit.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A kwaliteit worker")
    assert services["beat"]["command"].startswith("celery -A kwaliteit beat")
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("web", "worker", "db", "redis"):
        assert "healthcheck" in services[name], name
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://")
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"


def test_web_health_check_targets_an_existing_endpoint(client, db):
    """The compose health check fetches /healthz, which answers 200 when the database answers."""
    assert "/healthz" in " ".join(compose()["services"]["web"]["healthcheck"]["test"])
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_every_beat_schedule_names_a_registered_task():
    """beat runs the recompute sweep: the scheduled task exists in the Celery app."""
    app.loader.import_default_modules()
    assert CELERY_BEAT_SCHEDULE
    for entry in CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_dockerfile_runs_gunicorn_without_debug():
    """The image serves with gunicorn as a non-root user and collects static files at build."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "collectstatic" in dockerfile and "USER app" in dockerfile
    assert '"gunicorn", "kwaliteit.wsgi:application"' in dockerfile


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Return `value` with ${VAR}, ${VAR:-default} and ${VAR:?error} filled in as compose does."""

    def fill(match: re.Match) -> str:
        name, kind, rest = match.groups()
        found = variables.get(name, "")
        if found:
            return found
        if kind == "?":
            raise KeyError(f"{name}: {rest}")
        return rest or ""

    return _VARIABLE.sub(fill, value)


def compose_environment(service: str, **variables: str) -> dict[str, str]:
    """Return the environment compose gives `service`, with `variables` as the .env file."""
    env = compose()["services"][service]["environment"]
    return {name: interpolate(str(value), variables) for name, value in env.items()}


def dockerfile_environment() -> dict[str, str]:
    """Return the variables the image sets with ENV (KEY=value pairs, continuation lines joined)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(item.split("=", 1) for item in shlex.split(line[4:]))
    return env


def production_variables() -> dict[str, str]:
    """Return what an operator puts in .env (README: SECRET_KEY and POSTGRES_PASSWORD)."""
    return {"SECRET_KEY": secrets.token_urlsafe(50), "POSTGRES_PASSWORD": secrets.token_urlsafe(16)}


def test_every_service_restarts_unless_stopped():
    """A crashed or rebooted service comes back by itself; one stopped by hand stays down."""
    for name, service in compose()["services"].items():
        assert service.get("restart") == "unless-stopped", name


def test_the_image_runs_without_debug_and_refuses_a_missing_or_known_secret_key():
    """DEBUG is off in the image; without SECRET_KEY, or with the development key, nothing starts."""
    image = dockerfile_environment()
    assert image["DEBUG"] == "false"
    assert "build-only" not in (ROOT / "Dockerfile").read_text()  # no fixed key, not even for collectstatic
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "DEBUG")}
    for secret in ("", "development-only-not-secret"):
        env = {**base, **image, "STATIC_ROOT": str(ROOT / "staticfiles"), "SECRET_KEY": secret}
        result = subprocess.run(
            [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode != 0, secret
        assert "SECRET_KEY must be set when DEBUG is off" in result.stderr, result.stderr[-2000:]
        assert "SECRET_KEY moet gezet zijn" in result.stderr


def test_deploy_check_is_clean_with_the_compose_environment():
    """`manage.py check --deploy` with the web service's environment reports no warning at all."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(dockerfile_environment())
    env.update(compose_environment("web", **production_variables(), ALLOWED_HOSTS="kwaliteit.example.org"))
    env.update(STATIC_ROOT=str(ROOT / "staticfiles"), MEDIA_ROOT=str(ROOT / "var" / "uploads"))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_health_check_is_served_on_plain_http_with_the_host_the_check_sends(client, db, settings):
    """With production's HTTPS redirect and the compose ALLOWED_HOSTS, /healthz answers 200, the rest redirects."""
    env = compose_environment("web", **production_variables())
    settings.ALLOWED_HOSTS = [host for host in env["ALLOWED_HOSTS"].split(",") if host]
    settings.SECURE_SSL_REDIRECT = True
    host = re.search(r"'Host': '([^']+)'", " ".join(compose()["services"]["web"]["healthcheck"]["test"])).group(1)
    response = client.get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    other = client.get("/accounts/login/", HTTP_HOST=host)
    assert other.status_code == 301 and other["Location"].startswith("https://")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_compose_health_check_passes_against_the_web_service_as_compose_starts_it(tmp_path):
    """The web command (migrate, then gunicorn on :8000) and the health check, both verbatim, with DEBUG=false.

    Both run in a network namespace of their own, as in the container: port 8000 and 0.0.0.0
    exactly as written. The database is the test cluster's, reached through its Unix socket
    (the namespace has no route to the host's loopback); that and the container's folders are
    the only values that differ from what compose gives.
    """
    data = os.environ.get("TEST_PG_DATA")
    require_service(bool(data), "needs the throwaway cluster of make test (TEST_PG_DATA)")
    unshare, nsenter = shutil.which("unshare"), shutil.which("nsenter")
    require_service(bool(unshare and nsenter and os.geteuid() == 0), "needs root with unshare and nsenter (util-linux)")
    web = compose()["services"]["web"]
    db = django_settings.DATABASES["default"]
    socket_dir = urllib.parse.quote(str(Path(data).parent), safe="")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(dockerfile_environment())
    env.update(compose_environment("web", **production_variables()))
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{socket_dir}:{db['PORT']}/{db['NAME']}",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "uploads"),
        # `python` and `gunicorn` as the image has them on its PATH.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    assert env["DEBUG"] == "false"
    log_path = ARTIFACTS / "gunicorn-compose-web.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [unshare, "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *shlex.split(web["command"])],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    check = web["healthcheck"]["test"]
    assert check[0] == "CMD"
    inside = [nsenter, f"--net=/proc/{server.pid}/ns/net", "--"]
    try:
        # Compose retries the check; so does this loop, generously (a busy machine starts slowly).
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, log_path.read_text(errors="replace")[-3000:]
            result = subprocess.run([*inside, *check[1:]], cwd=ROOT, env=env, capture_output=True, text=True)
            if result.returncode == 0:
                break
            assert time.monotonic() < deadline, result.stderr[-2000:] + log_path.read_text(errors="replace")[-3000:]
            time.sleep(1)
        # The rest of the site still sends plain HTTP to https.
        probe = (
            "import urllib.request as u\n"
            "class Keep(u.HTTPRedirectHandler):\n"
            "    def redirect_request(self, *args): return None\n"
            "try:\n"
            "    u.build_opener(Keep).open(u.Request('http://127.0.0.1:8000/accounts/login/', headers={'Host': 'localhost'}), timeout=30)\n"
            "except u.HTTPError as e:\n"
            "    print(e.code, e.headers['Location'])\n"
        )
        result = subprocess.run([*inside, "python", "-c", probe], env=env, capture_output=True, text=True)
        assert result.stdout.split() == ["301", "https://localhost/accounts/login/"], result.stderr
    finally:
        stop_process(server)
