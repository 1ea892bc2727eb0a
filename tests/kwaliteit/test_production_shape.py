"""docker-compose.yml describes what the code runs (issue 8); no Docker daemon here, so read it."""

from pathlib import Path

import yaml

from kwaliteit.celery import app
from kwaliteit.settings import CELERY_BEAT_SCHEDULE

ROOT = Path(__file__).resolve().parents[2]


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
