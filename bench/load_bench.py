"""Load and end-to-end timing under the production shape (issue 8), run by hand.

    .venv/bin/python -m bench.load_bench [--duration 30] [--connections 50]

Starts a throwaway PostgreSQL, redis-server, a Celery worker and gunicorn (DEBUG=false) on
127.0.0.1 with the ROCvAF demo, then:
1. wrk with 50 connections for 30 s on the status API and on the overview page: requests/s,
   p50/p95/p99 and every error class (connect, read, write, non-2xx status, timeout);
2. upload -> visible verdict: POST a one-row file to /api/v1/uploads/ that flips 1a 2022, and
   poll /api/v1/status/ until the stored verdict has changed (worker recompute included).
Prints a markdown table for docs/benchmarks.md. Only loopback addresses are targets.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.services import (
    ROOT,
    free_port,
    postgres_cluster,
    redis_server,
    start_gunicorn,
    start_worker,
    stop_process,
)

WRK_SCRIPT = """
done = function(summary, latency, requests)
  for _, p in pairs({50, 95, 99}) do
    io.write(string.format("p%d_us %d\\n", p, latency:percentile(p)))
  end
  local e = summary.errors
  io.write(string.format("errors connect=%d read=%d write=%d status=%d timeout=%d\\n",
    e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("requests %d\\n", summary.requests))
end
"""

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from rest_framework.authtoken.models import Token
from rapportage.models import IndicatorResult
user = get_user_model().objects.get(username="bestuur")
beleid = get_user_model().objects.get(username="beleid")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
status = IndicatorResult.objects.get(indicator__code="1a", year=2022, version="current").payload
fragile = None
for college in status["colleges"]:
    if college["met"] and college["teams_margin"] == 0:  # exactly two-thirds: one team fewer flips it
        fragile = (college["college"], next(t["team"] for t in college["teams"] if t["contributed"]))
        break
print(json.dumps({
    "token": Token.objects.get_or_create(user=user)[0].key,
    "policy_token": Token.objects.get_or_create(user=beleid)[0].key,
    "session": session.session_key,
    "fragile": fragile,
}))
"""


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    """Run manage.py with `env` and return its stdout (raise on failure)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wrk(url: str, headers: dict[str, str], connections: int, duration: int, script: Path) -> dict:
    """Run wrk against `url` and return throughput, percentiles (ms) and error counts."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for p in (50, 95, 99):
        result[f"p{p}"] = int(re.search(rf"p{p}_us (\d+)", output).group(1)) / 1000
    errors = dict(re.findall(r"(\w+)=(\d+)", re.search(r"errors (.*)", output).group(1)))
    result["errors"] = {k: int(v) for k, v in errors.items()}
    result["requests"] = int(re.search(r"requests (\d+)", output).group(1))
    return result


def upload_to_verdict(base: str, token: str, fragile: tuple[str, str], value: str) -> tuple[float, float]:
    """POST a file that changes 1a 2022 and return (seconds until 201, seconds until the verdict changed)."""
    headers = {"Authorization": f"Token {token}"}
    before = requests.get(f"{base}/api/v1/indicators/1a/status/?year=2022", headers=headers, timeout=10).json()
    college, team = fragile
    body = f"jaar;indicator;college;team;waarde\n2022;1a;{college};{team};{value}\n".encode()
    started = time.monotonic()
    response = requests.post(
        f"{base}/api/v1/uploads/", headers=headers, files={"file": ("flip.csv", body, "text/csv")}, timeout=30
    )
    accepted = time.monotonic() - started
    if response.status_code != 201:
        raise RuntimeError(f"upload answered {response.status_code}: {response.text[:500]}")
    while time.monotonic() - started < 60:
        now = requests.get(f"{base}/api/v1/indicators/1a/status/?year=2022", headers=headers, timeout=10).json()
        if now["attained"] != before["attained"]:
            return accepted, time.monotonic() - started
        time.sleep(0.02)
    raise RuntimeError("the verdict did not change within 60 s")


def main() -> int:
    """Run the load and upload-to-verdict measurements and print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--workers",
        type=int,
        default=3,
        help="gunicorn sync workers (issue 8's shape; docker-compose: gthread, one worker per CPU)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="kwaliteit-load-"))
    script = work / "report.lua"
    script.write_text(WRK_SCRIPT)
    with postgres_cluster() as pg, redis_server() as redis:
        env = {
            "DEBUG": "false",
            "SECRET_KEY": "load-bench-" + "s" * 60,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the proxy in production
            "SESSION_COOKIE_SECURE": "false",
            "DATABASE_URL": pg["url"],
            "DATABASE_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": redis["url"],
            "MEDIA_ROOT": str(work / "uploads"),
        }
        print("setting up the demo on PostgreSQL ...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput", "-v0")
        manage({**env, "CELERY_BROKER_URL": ""}, "load_agenda", "agenda/agendas/rocvaf-2019-2022.yaml")
        manage({**env, "CELERY_BROKER_URL": ""}, "demo_setup")
        secrets = json.loads(manage(env, "shell", stdin=SETUP).strip().splitlines()[-1])
        worker = start_worker(env, work / "worker.log")
        port = free_port()
        server = start_gunicorn(env, port, work / "gunicorn.log", workers=args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            api = wrk(
                f"{base}/api/v1/status/?year=2020",
                {"Authorization": f"Token {secrets['token']}"},
                args.connections,
                args.duration,
                script,
            )
            page = wrk(
                f"{base}/dashboard/?jaar=2020",
                {"Cookie": f"sessionid={secrets['session']}"},
                args.connections,
                args.duration,
                script,
            )
            timings = [
                upload_to_verdict(base, secrets["policy_token"], secrets["fragile"], value)
                for value in ("5,0", "7,9", "5,0", "7,9", "5,0")
            ]
        finally:
            stop_process(server)
            stop_process(worker)
    shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {pg['version']}; "
        f"gunicorn {args.workers} sync workers, DEBUG=false; wrk -t2 -c{args.connections} -d{args.duration}s "
        "on 127.0.0.1 (sharing the cores).\n"
    )
    print("| target | requests | requests/s | p50 ms | p95 ms | p99 ms | errors (connect/read/write/status/timeout) |")
    print("|---|---|---|---|---|---|---|")
    for name, r in (("GET /api/v1/status/?year=2020 (token)", api), ("GET /dashboard/?jaar=2020 (session)", page)):
        e = r["errors"]
        print(
            f"| {name} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | "
            f"{e['connect']}/{e['read']}/{e['write']}/{e['status']}/{e['timeout']} |"
        )
    accepted = sorted(t[0] for t in timings)
    visible = sorted(t[1] for t in timings)
    print("\n| upload -> verdict (5 runs, worker via Redis) | min | median | max |")
    print("|---|---|---|---|")
    print(
        f"| POST /api/v1/uploads/ answered 201 | {accepted[0] * 1000:.0f} ms | {accepted[2] * 1000:.0f} ms | {accepted[-1] * 1000:.0f} ms |"
    )
    print(
        f"| new verdict visible in /api/v1/status | {visible[0] * 1000:.0f} ms | {visible[2] * 1000:.0f} ms | {visible[-1] * 1000:.0f} ms |"
    )
    failed = sum(sum(r["errors"].values()) for r in (api, page))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
