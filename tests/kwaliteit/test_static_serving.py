"""The dashboards' plotly.js: a partial bundle with every trace the pages draw, served compressed and
cached for good in every mode (issue 16, "light plotly").

The full plotly.min.js (4.8 MB, sent uncompressed by `make demo`) took 2.4-3.7 s until an indicator
page was usable. Now: plotly's core plus bar, heatmap and treemap (vendor/plotly/README.md), gzip or
brotli from WhiteNoise under runserver (DEBUG) and gunicorn (collectstatic), with a ten-year
immutable Cache-Control because the file's name carries its version or its hash.
"""

import gzip
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import brotli
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from agenda.models import Indicator
from tests.conftest import ARTIFACTS
from tests.services import _die_with_parent, _wait_for_port, free_port, start_gunicorn, stop_process

ROOT = Path(__file__).resolve().parents[2]
BUNDLE_NAME = "js/plotly-4.1.1-kwaliteit.min.js"
BUNDLE = ROOT / "static" / BUNDLE_NAME
FOREVER = "max-age=315360000"  # WhiteNoise's "forever": ten years


def bundle_traces() -> set[str]:
    """Return the trace types the bundle registers, from the `traces:` line its build writes in its header."""
    header = BUNDLE.read_bytes()[:600].decode()
    return {name.strip() for name in re.search(r"traces: ([a-z0-9, ]+)", header).group(1).split(",")}


def test_the_bundle_is_the_partial_one_and_its_compressed_copies_are_its_bytes():
    """Under 1.5 MB (the full bundle was 4.8 MB); the .gz and .br beside it decompress to exactly its bytes."""
    body = BUNDLE.read_bytes()
    assert body.startswith(b"/**\n* plotly.js v4.1.1 (minified), Kwaliteitsagenda partial bundle.")
    assert len(body) < 1_500_000
    assert not (ROOT / "static" / "js" / "plotly.min.js").exists(), "the full bundle is no longer served"
    assert gzip.decompress(BUNDLE.with_name(BUNDLE.name + ".gz").read_bytes()) == body
    assert brotli.decompress(BUNDLE.with_name(BUNDLE.name + ".br").read_bytes()) == body
    assert bundle_traces() == {"bar", "heatmap", "scatter", "treemap"}


def page_figures(html: str) -> list[dict]:
    """Return every plotly figure a page embeds (json_script elements named by a data-figure div)."""
    figures = []
    for script_id in re.findall(r'data-figure="([^"]+)"', html):
        body = re.search(rf'<script id="{re.escape(script_id)}" type="application/json">(.*?)</script>', html, re.S)
        figures.append(json.loads(body.group(1)))
    return figures


def test_every_trace_the_dashboards_draw_is_in_the_bundle(client, rocvaf_demo):
    """Every indicator page and the budget page load the bundle, and each of their traces is one it registers.

    A chart with a trace type the bundle lacks would stay empty in the browser without an error on
    the server: this is where a new chart type shows up first (vendor/plotly/README.md says what to do).
    """
    client.force_login(get_user_model().objects.get(username="bestuur"))
    paths = [reverse("rapportage:budget") + f"?jaar={year}" for year in (2020, 2022)]
    paths += [reverse("rapportage:indicator", args=[i.code]) + "?jaar=2022" for i in Indicator.objects.all()]
    used: set[str] = set()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        figures = page_figures(html)
        assert figures, path
        # Preloaded, not a script of the page (issue 16): it arrives while the page is shown, and
        # dashboard.js (deferred) evaluates it from the link's URL only when a chart is about to draw.
        assert html.count(f'<link rel="preload" href="/static/{BUNDLE_NAME}" as="script" data-plotly>') == 1, path
        assert f'<script src="/static/{BUNDLE_NAME}"' not in html, path
        assert html.count('<script src="/static/js/dashboard.js" defer>') == 1, path
        used |= {trace.get("type", "scatter") for figure in figures for trace in figure["data"]}
    assert {"scatter", "heatmap", "treemap", "bar"} <= used  # the pages still draw what they drew
    assert used <= bundle_traces()


def fetch(url: str, encoding: str) -> tuple[dict[str, str], bytes]:
    """GET `url` with Accept-Encoding `encoding`; return the headers (lower-case names) and the raw body."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return {k.lower(): v for k, v in response.headers.items()}, response.read()


def assert_served_compressed_and_immutable(url: str, original: bytes) -> None:
    """The bundle at `url` comes as brotli, gzip or plain as asked, the same bytes, cached for good."""
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, "": lambda body: body}
    for encoding, decompress in decode.items():
        headers, body = fetch(url, encoding)
        assert headers.get("content-encoding", "") == encoding, (encoding, headers)
        assert decompress(body) == original, encoding
        assert FOREVER in headers["cache-control"] and "immutable" in headers["cache-control"], headers
        assert "Accept-Encoding" in headers.get("vary", ""), headers
        if encoding:
            assert len(body) < len(original) * 0.4, (encoding, len(body))


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a throwaway server: its own SQLite file, no broker (static files need neither)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL", "TEST_REDIS_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", MEDIA_ROOT=str(tmp_path / "uploads"), **extra)
    return env


@pytest.mark.integration
def test_the_demo_server_sends_plotly_compressed_and_cached_for_good(tmp_path):
    """`make demo`'s runserver (DEBUG, files from static/): the bundle as br or gzip, immutable; app.js not cached.

    Before issue 16 runserver sent the 4.8 MB uncompressed through Django's own static handler.
    """
    port = free_port()
    log_path = ARTIFACTS / "runserver-static.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=server_env(tmp_path, DEBUG="true"),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    try:
        _wait_for_port(port, server, "runserver", timeout=180)
        base = f"http://127.0.0.1:{port}/static/"
        assert_served_compressed_and_immutable(base + BUNDLE_NAME, BUNDLE.read_bytes())
        headers, _ = fetch(base + "js/app.js", "gzip")
        assert headers["cache-control"] == "max-age=0, public"  # edited while developing: never cached
    finally:
        stop_process(server)


@pytest.mark.integration
def test_production_serves_the_hashed_bundle_compressed_and_cached_for_good(tmp_path):
    """gunicorn with DEBUG=false after collectstatic (as the image is built): the hashed name, br or gzip, immutable."""
    env = server_env(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="static-serving-test-" + "k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    # The apps' own files (admin, Swagger UI, DRF) are left out: compressing them takes minutes on a busy box.
    leave_out = [
        arg for app in ("admin", "rest_framework", "drf_spectacular_sidecar", "django_filters") for arg in ("-i", app)
    ]
    collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0", *leave_out]
    subprocess.run(collect, cwd=ROOT, env=env, check=True)
    hashed = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"][BUNDLE_NAME]
    assert hashed != BUNDLE_NAME
    port = free_port()
    server = start_gunicorn(env, port, ARTIFACTS / "gunicorn-static.log")
    try:
        assert_served_compressed_and_immutable(f"http://127.0.0.1:{port}/static/{hashed}", BUNDLE.read_bytes())
    finally:
        stop_process(server)
