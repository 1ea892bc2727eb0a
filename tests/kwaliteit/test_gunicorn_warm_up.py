"""gunicorn loads and warms the application before its port opens (issue 16: a worker's first request took 1 s)."""

import json
import os
import runpy
import socket
import subprocess
import sys
import time

import yaml

from tests.services import ROOT, free_port, start_gunicorn, stop_process

CHECK = """
import json, sys
import kwaliteit.wsgi as wsgi
from django.db import connections
from django.template import engines
before = "rapportage.views" in sys.modules
wsgi.warm_up()
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "views_before": before,
    "views_after": all(m in sys.modules for m in ("rapportage.views", "rapportage.api.views", "invoer.views")),
    "templates": sorted(key for key in loader.get_template_cache),
    "open_connections": [c.alias for c in connections.all() if c.connection is not None],
}))
"""


def test_compose_and_the_image_start_gunicorn_with_the_config_file():
    """docker-compose's web command and the image's CMD both name gunicorn.conf.py."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert "gunicorn kwaliteit.wsgi:application --config gunicorn.conf.py" in " ".join(command.split())
    assert (
        '"gunicorn", "kwaliteit.wsgi:application", "--config", "gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
    )


def test_the_config_preloads_the_application_and_warms_it_up_on_starting():
    """preload_app loads the application in the master; on_starting warms it before the port opens."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["preload_app"] is True
    assert callable(config["on_starting"])


def test_one_worker_per_available_cpu_unless_web_concurrency_says_otherwise(monkeypatch):
    """compose and the image leave --workers out: gunicorn.conf.py starts one per CPU this process may use.

    More workers than cores time-shared the cores once reuse_port gave every worker connections
    (API p99 590-730 ms with 3 workers on 2 cores, 130-170 ms with 2; docs/benchmarks.md 13).
    """
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert "--workers" not in command and '"--workers"' not in (ROOT / "Dockerfile").read_text()
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["workers"] == config["available_cpus"]() >= 1
    assert config["available_cpus"]() <= len(os.sched_getaffinity(0))
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 5


def test_a_containers_cpu_quota_caps_the_workers(tmp_path):
    """A cgroup v2 quota (compose's `cpus: 1.5`: "150000 100000") caps the count at its CPUs, rounded up; "max" does not."""
    available_cpus = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["available_cpus"]
    cores = len(os.sched_getaffinity(0))
    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")
    assert available_cpus(quota) == min(cores, 2)
    quota.write_text("50000 100000\n")
    assert available_cpus(quota) == 1
    quota.write_text("max 100000\n")
    assert available_cpus(quota) == cores
    assert available_cpus(tmp_path / "missing") == cores


def test_warm_up_imports_the_views_compiles_the_templates_and_closes_its_connections(tmp_path):
    """After warm_up every view module is imported, the pages' templates are compiled, no connection is left open."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",  # no tables: a failing request is fine too
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state["views_before"] is False and state["views_after"] is True
    assert "base.html" in state["templates"] and "rapportage/overview.html" in state["templates"]
    assert state["open_connections"] == []


def listening_sockets(port: int) -> int:
    """Return how many sockets listen on 127.0.0.1:`port` (/proc/net/tcp, state 0A)."""
    wanted = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        return sum(1 for line in table.readlines()[1:] if line.split()[1] == wanted and line.split()[3] == "0A")


def test_every_worker_listens_on_its_own_socket_and_connections_reach_every_worker(tmp_path):
    """reuse_port: each worker has its own socket and the kernel spreads connections over them (issue 16).

    With one shared socket, 50 keep-alive connections opened at once often all went to the worker
    that woke first, which served them on one core: the API's throughput halved in such rounds
    (docs/benchmarks.md 13). Here 3 workers, 30 connections held open at once, one request on each:
    the access log names the worker (pid) that answered each.
    """
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["reuse_port"] is True
    port, access = free_port(), tmp_path / "access.log"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",  # any answer names its worker, a 500 too
        "DJANGO_SETTINGS_MODULE": "kwaliteit.settings",
        "GUNICORN_CMD_ARGS": f"--access-logfile {access} --access-logformat %(p)s",
    }
    server = start_gunicorn(env, port, tmp_path / "gunicorn.log", workers=3)
    try:
        deadline = time.monotonic() + 120  # every worker binds its socket when it has booted
        while listening_sockets(port) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert listening_sockets(port) == 3, (tmp_path / "gunicorn.log").read_text()[-3000:]
        connections = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(30)]
        for connection in connections:
            connection.sendall(f"GET /geen-pagina/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        for connection in connections:
            assert connection.recv(64).startswith(b"HTTP/1.1 ")
            connection.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(access.read_text().split()) < 30:
            time.sleep(0.1)
        workers = access.read_text().split()
        assert len(workers) == 30
        assert len(set(workers)) == 3, workers
    finally:
        stop_process(server)
