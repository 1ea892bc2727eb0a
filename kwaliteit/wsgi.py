"""WSGI entry point: `application` for gunicorn, and `warm_up`, which gunicorn.conf.py calls once.

See https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import logging
import os
import time
from io import BytesIO
from pathlib import Path

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kwaliteit.settings")

application = get_wsgi_application()

logger = logging.getLogger(__name__)

# Anonymous requests that pass through every layer a real one does (middleware, URL resolver,
# DRF with its authentication and renderers, the template engine, the database, the cache) and
# write nothing: a health check, the login page, and the API's 401.
WARM_UP_PATHS = ["/healthz", "/accounts/login/", "/api/v1/status/?year=2020"]


def warm_up() -> None:
    """Import every view, compile every template and answer one request of each kind, then close connections.

    Django imports views and compiles templates on first use, so a fresh process answered its
    first request 0.85-1.1 s late (issue 16). gunicorn runs this in the master before it opens
    the port and forks the workers (gunicorn.conf.py: preload_app, on_starting), so a worker
    starts warm. A failure here (database not up yet) is logged and start-up goes on: warming
    only saves time.
    """
    started = time.perf_counter()
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    request_logger.setLevel(logging.ERROR)  # the 401 and a redirect are expected, not warnings
    try:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - imports every URLconf and so every view module
        _compile_templates()
        from kern.release import release

        release()  # the code's digest, part of every cache key: once here, not in each worker
        for path in WARM_UP_PATHS:
            _answer(path)
    except Exception:  # noqa: BLE001 - warming up must never stop the server from starting
        logger.warning("warm-up incomplete", exc_info=True)
    finally:
        request_logger.setLevel(level)
        _close_connections()
    logger.info("warm-up done in %.2f s", time.perf_counter() - started)


def _compile_templates() -> None:
    """Compile the project's own templates (settings TEMPLATES DIRS) into the engine's cached loader.

    The installed apps' templates (the admin's, DRF's) are left to their first use: compiling
    them all would double the warm-up for pages the board does not read.
    """
    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines

    for engine in engines.all():
        for directory in map(Path, engine.dirs):
            for path in directory.rglob("*.html"):
                try:
                    engine.get_template(str(path.relative_to(directory)))
                except (TemplateDoesNotExist, TemplateSyntaxError):
                    pass  # a partial that only compiles inside its parent: it is compiled there


def _answer(path: str) -> None:
    """Send one GET through the WSGI application in this process and drop the answer."""
    from django.conf import settings

    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")), "localhost")
    route, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": host,
        "SERVER_PORT": "443",
        "HTTP_HOST": host,
        "HTTP_X_FORWARDED_PROTO": "https",  # as the proxy says (SECURE_PROXY_SSL_HEADER): no redirect
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "wsgi.input": BytesIO(),
        "wsgi.errors": BytesIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    body = application(environ, lambda status, headers, exc_info=None: None)
    try:
        for _ in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()


def _close_connections() -> None:
    """Close the database and cache connections: forked workers must not share a socket."""
    from django.core.cache import caches
    from django.db import connections

    connections.close_all()
    caches.close_all()
