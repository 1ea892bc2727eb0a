"""The production shape for the web benchmarks (bench/api_bench.py, bench/dashboard_load.py).

One home for what both need: a throwaway PostgreSQL with production durability and a
redis-server (the cache, as in docker-compose), the ROCvAF demo loaded into it, gunicorn
started exactly as docker-compose's web command starts it (the same config file, workers,
worker class and threads; only the address differs: 127.0.0.1 and a free port), and wrk
with a summary line per run. Only loopback addresses are ever targets.
"""

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import yaml

from tests.services import _die_with_parent, free_port, postgres_cluster, redis_server, stop_process

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# wrk's summary as one JSON line (its --latency table has no p95; errors per class).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %d, "duration_us": %d, "bytes": %d, "p50": %d, "p95": %d, "p99": %d,'
    .. ' "max": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
"""

# A session for a user, made the way Django's login makes one (no password check, no request).
SESSION_SETUP = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
user = get_user_model().objects.get(username="bestuur")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(json.dumps({"session": session.session_key, "token": Token.objects.get_or_create(user=user)[0].key}))
"""


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages as printed by uptime."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    """Run a manage.py command with `env` and return its standard output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def compose_gunicorn_arguments() -> list[str]:
    """Return the arguments docker-compose's web command gives gunicorn (bind and access log left out).

    The benchmarks serve the project as production does; reading the command from the compose
    file keeps them from drifting apart.
    """
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    inner = shlex.split(command)[-1]  # sh -c "migrate && gunicorn ..."
    words = shlex.split(inner.split("&&")[-1])
    assert words[0] == "gunicorn", words
    kept, skip = [], False
    for word in words[1:]:
        if skip:
            skip = False
        elif word in ("--bind", "--access-logfile"):
            skip = True
        else:
            kept.append(word)
    return kept


def shaped(arguments: list[str], workers: int | None = None, threads: int | None = None) -> list[str]:
    """Return gunicorn's `arguments` with --workers and --threads set where given (shape experiments)."""
    arguments = list(arguments)
    for option, value in (("--workers", workers), ("--threads", threads)):
        if value is None:
            continue
        if option in arguments:
            arguments[arguments.index(option) + 1] = str(value)
        else:  # compose leaves the workers to gunicorn.conf.py
            arguments += [option, str(value)]
    return arguments


def configured_workers() -> int:
    """Return the workers gunicorn.conf.py starts when the command line names none (one per CPU)."""
    import runpy

    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]


def described(arguments: list[str]) -> str:
    """Return the gunicorn command line of `arguments`, with the workers gunicorn.conf.py chooses when it leaves them out."""
    line = "gunicorn " + " ".join(arguments)
    if "--workers" not in arguments:
        line += f" ({configured_workers()} workers: gunicorn.conf.py, one per CPU; reuse_port)"
    return line


def start_web(
    env: dict,
    log_path: Path,
    *,
    settings: str = "kwaliteit.settings",
    workers: int | None = None,
    threads: int | None = None,
) -> tuple[subprocess.Popen, int]:
    """Start gunicorn as compose does on a free loopback port (or another shape); return it once the port accepts."""
    port = free_port()
    log = open(log_path, "ab")  # noqa: SIM115 - the process keeps it; closed when the benchmark ends
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *shaped(compose_gunicorn_arguments(), workers, threads),
            "--bind",
            f"{HOST}:{port}",
            "--access-logfile",
            str(log_path.with_suffix(".access.log")),
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": settings},
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,  # its own process group (stop() ends master and workers), gone with us
    )
    # The port, not a request: "just started" measurements begin the moment it accepts.
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            import socket

            with socket.create_connection((HOST, port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not open its port within 120 s") from None
            time.sleep(0.05)
    return process, port


def fetch(url: str, headers: dict) -> tuple[int, dict, bytes]:
    """Return the status, headers and body of a GET on loopback (no redirects followed)."""

    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.build_opener(Keep).open(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wrk(url: str, headers: dict, *, seconds: float, connections: int, script: Path, threads: int = 2) -> dict:
    """Drive `url` with wrk; return requests/s, latency percentiles in ms and errors per class."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    raw = json.loads(next(line for line in output.splitlines() if line.startswith("WRK "))[4:])
    errors = {name: raw[name] for name in ("connect", "read", "write", "timeout", "status")}
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50": raw["p50"] / 1000,
        "p95": raw["p95"] / 1000,
        "p99": raw["p99"] / 1000,
        "max": raw["max"] / 1000,
        "requests": raw["requests"],
        "errors": errors,
        "failures": sum(errors.values()),
        "kib": raw["bytes"] / max(raw["requests"], 1) / 1024,
    }


@contextmanager
def demo_site(work: Path, *, database_url: str | None = None, static: bool = True):
    """Yield (env, secrets, pg) for a production-shaped demo: PostgreSQL (durable), Redis, DEBUG off.

    `database_url` reuses a database that already holds the demo (for repeated runs by hand);
    `static=False` leaves out collectstatic (minutes on a busy machine) for a benchmark of JSON only.
    """
    with postgres_cluster(durable=True) as pg, redis_server() as redis:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
        }
        env.update(
            DEBUG="false",
            SECRET_KEY="web-bench-only-not-secret-" + "x" * 40,
            ALLOWED_HOSTS=HOST,
            SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; TLS ends at the proxy in production
            SESSION_COOKIE_SECURE="false",
            DATABASE_URL=database_url or pg["url"],
            DATABASE_CONN_MAX_AGE="60",  # as docker-compose
            REDIS_URL=redis["url"],  # the cache, as compose's CELERY_BROKER_URL gives it
            MEDIA_ROOT=str(work / "media"),
            # A STATIC_ROOT from the environment that holds collected files is used as it is (runs by hand).
            STATIC_ROOT=os.environ.get("STATIC_ROOT") or str(work / "static"),
            LOG_LEVEL="WARNING",
        )
        print(f"load average at start: {load_average()}", flush=True)
        if database_url is None:
            print(
                f"{pg['version']} on {HOST}:{pg['port']}, {pg['durability']}; loading the ROCvAF demo ...", flush=True
            )
            manage(env, "migrate", "--noinput")
            manage(env, "load_agenda", "agenda/agendas/rocvaf-2019-2022.yaml")
            manage(env, "demo_setup")
        if static and not (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists():
            manage(env, "collectstatic", "--noinput", "-v0")
        secrets = json.loads(manage(env, "shell", stdin=SESSION_SETUP).strip().splitlines()[-1])
        script = work / "summary.lua"
        script.write_text(WRK_SCRIPT)
        yield env, {**secrets, "script": script}, pg


def stop(process: subprocess.Popen) -> None:
    """Stop a server started here."""
    stop_process(process)
