"""Three concurrent worst-case uploads against the production shape while /healthz is polled (issue 13).

    .venv/bin/python -m bench.upload_load [--duration 30] [--floor 10]

Starts a throwaway PostgreSQL on 127.0.0.1 with the ROCvAF demo and gunicorn exactly as
docker-compose.yml's web service runs it (its command line, only the bind address changed to a
free loopback port), DEBUG=false. Then:
1. the floor: /healthz polled every 50 ms for --floor seconds, no uploads;
2. the load: three clients post the probe's worst-case files to /api/v1/uploads/ back to back
   (a 1 MB xlsx declaring 30 x 10 MB, a 6 MB CSV of a million bad rows, a 600 kB grid file of
   bad cells), for --duration seconds, while /healthz is polled the same way.
Reports /healthz p50/p99/max and errors for both phases, the uploads' statuses and body sizes,
whether every gunicorn worker PID survived, the peak RSS of the workers, and the load average.
Rejected uploads start no recompute, so no broker or Celery worker is needed. Loopback only.
"""

import argparse
import io
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import requests
import yaml

from bench.load_bench import manage
from bench.serve import configured_workers
from tests.services import ROOT, _die_with_parent, _wait_for_port, free_port, postgres_cluster, stop_process

# The probe's worst-case files (issue 13); tests/invoer/test_upload_limits.py sends them on every channel.


def zip_bomb() -> bytes:
    """Return a ~1 MB xlsx-shaped zip whose 30 sheet parts declare 10 MB each (300 MB unpacked)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        for number in range(1, 31):
            archive.writestr(f"xl/worksheets/sheet{number}.xml", b"<" * (10 * 1024 * 1024))
        # Incompressible padding brings the file to the probe's 1 MB.
        archive.writestr("xl/media/padding.bin", os.urandom(700 * 1024), compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def million_bad_rows() -> bytes:
    """Return a 6 MB long-format CSV of 1,000,000 rows, every one of them wrong."""
    return b"jaar;indicator;waarde\n" + b"9;q;a\n" * 1_000_000


def grid_file_of_bad_cells() -> bytes:
    """Return a 600 kB grid CSV (wide format, 2020 in its name) whose every cell is wrong."""
    rows = b"5100-ENT;abc;abc;abc\n" * 30_000
    return b"team;2b;1a;1b\n" + rows


TOKEN = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
print(Token.objects.get_or_create(user=get_user_model().objects.get(username="beleid"))[0].key)
"""


def compose_gunicorn(port: int) -> list[str]:
    """Return the gunicorn arguments of docker-compose.yml's web service, bound to 127.0.0.1:`port`."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    words = shlex.split(command)
    inner = shlex.split(words[-1]) if words[0] == "sh" else words
    args = inner[inner.index("gunicorn") + 1 :]
    cut = args.index("&&") if "&&" in args else len(args)
    args = args[:cut]
    args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    return args


def children(pid: int) -> set[int]:
    """Return the PIDs of a process's children (gunicorn's workers)."""
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout
    return {int(word) for word in out.split()}


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def poll_healthz(base: str, stop: threading.Event, out: list) -> None:
    """Fetch /healthz every 50 ms until `stop`; append (seconds, status or error text)."""
    session = requests.Session()
    while not stop.is_set():
        started = time.monotonic()
        try:
            status = session.get(f"{base}/healthz", timeout=10).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        out.append((time.monotonic() - started, status))
        stop.wait(0.05)


def uploader(base: str, token: str, files: list[tuple[str, bytes]], stop: threading.Event, out: list) -> None:
    """Post the files in turn until `stop`; append (name, status, body bytes, seconds)."""
    session = requests.Session()
    position = 0
    while not stop.is_set():
        name, data = files[position % len(files)]
        position += 1
        started = time.monotonic()
        try:
            response = session.post(
                f"{base}/api/v1/uploads/",
                headers={"Authorization": f"Token {token}"},
                files={"file": (name, data)},
                timeout=120,
            )
            out.append((name, response.status_code, len(response.content), time.monotonic() - started))
        except requests.RequestException as exc:
            out.append((name, type(exc).__name__, 0, time.monotonic() - started))


def summary(samples: list) -> dict:
    """Return p50, p99, max (ms) and the errors of /healthz samples."""
    times = sorted(seconds * 1000 for seconds, _ in samples)
    errors = sum(1 for _, status in samples if status != 200)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return {"n": len(times), "p50": statistics.median(times), "p99": p99, "max": times[-1], "errors": errors}


def main() -> int:
    """Run the floor and the load phase; print the tables; exit 1 when the goal is missed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--floor", type=int, default=10)
    args = parser.parse_args()
    files = [("bom.xlsx", zip_bomb()), ("fout.csv", million_bad_rows()), ("5100-2020.csv", grid_file_of_bad_cells())]
    work = Path(tempfile.mkdtemp(prefix="kwaliteit-uploadload-"))
    with postgres_cluster() as pg:
        env = {
            "DEBUG": "false",
            "SECRET_KEY": "upload-load-" + "s" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the proxy in production
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "DATABASE_URL": pg["url"],
            "DATABASE_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": "",
            "REDIS_URL": "",
            "MEDIA_ROOT": str(work / "uploads"),
            "STATIC_ROOT": str(work / "static"),
        }
        print("setting up the demo on PostgreSQL ...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "load_agenda", "agenda/agendas/rocvaf-2019-2022.yaml")
        manage(env, "demo_setup")
        token = manage(env, "shell", stdin=TOKEN).strip().splitlines()[-1]
        port = free_port()
        gunicorn = compose_gunicorn(port)
        log = open(work / "gunicorn.log", "ab")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *gunicorn],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for_port(port, server, "gunicorn", timeout=60)
            deadline = time.monotonic() + 30
            expected = configured_workers()
            while len(children(server.pid)) < expected and time.monotonic() < deadline:
                time.sleep(0.1)
            workers_before = children(server.pid)
            # Warm-up, not measured: each worker imports the URLconf (pandas, plotly, DRF) and opens its
            # database connection on its first requests, and openpyxl on its first xlsx.
            for _ in range(30):
                requests.get(f"{base}/healthz", timeout=120)
            for name, data in files * 2:
                requests.post(
                    f"{base}/api/v1/uploads/",
                    headers={"Authorization": f"Token {token}"},
                    files={"file": (name, data)},
                    timeout=120,
                )
            warm = {pid: rss_mb(pid) for pid in children(server.pid)}
            peak = {"worker": 0.0, "total": 0.0}
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.is_set():
                    sizes = [rss_mb(pid) for pid in children(server.pid)]
                    peak["worker"] = max(peak["worker"], *sizes, 0.0)
                    peak["total"] = max(peak["total"], sum(sizes) + rss_mb(server.pid))
                    sampling.wait(0.2)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()

            floor: list = []
            stop = threading.Event()
            poller = threading.Thread(target=poll_healthz, args=(base, stop, floor))
            poller.start()
            time.sleep(args.floor)
            stop.set()
            poller.join()
            load_floor = os.getloadavg()

            loaded: list = []
            posted: list = []
            stop = threading.Event()
            threads = [threading.Thread(target=poll_healthz, args=(base, stop, loaded))]
            threads += [
                threading.Thread(target=uploader, args=(base, token, files[i:] + files[:i], stop, posted))
                for i in range(3)
            ]
            for thread in threads:
                thread.start()
            time.sleep(args.duration)
            stop.set()
            for thread in threads:
                thread.join()
            load_after = os.getloadavg()
            sampling.set()
            workers_after = children(server.pid)
            alive = workers_before == workers_after and all(Path(f"/proc/{pid}").exists() for pid in workers_before)
        finally:
            stop_process(server)
            log.close()
        killed = (work / "gunicorn.log").read_text(errors="replace").count("WORKER TIMEOUT")
    shutil.rmtree(work, ignore_errors=True)

    quiet, busy = summary(floor), summary(loaded)
    print(
        f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {pg['version']}; "
        f"gunicorn {' '.join(gunicorn)}; DEBUG=false; three upload clients and one /healthz poller "
        "(every 50 ms) on 127.0.0.1, sharing the cores.\n"
    )
    print("| /healthz | requests | p50 ms | p99 ms | max ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in (
        (f"floor: no uploads, {args.floor} s", quiet),
        (f"three worst-case uploaders, {args.duration} s", busy),
    ):
        print(f"| {name} | {r['n']} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {r['errors']} |")
    print("\n| upload (POST /api/v1/uploads/) | posted | statuses | median s | max s | largest body |")
    print("|---|---:|---|---:|---:|---:|")
    for name, _ in files:
        mine = [p for p in posted if p[0] == name]
        if not mine:
            continue
        statuses = {}
        for _, status, _, _ in mine:
            statuses[status] = statuses.get(status, 0) + 1
        seconds = [p[3] for p in mine]
        print(
            f"| {name} | {len(mine)} | {json.dumps(statuses)} | {statistics.median(seconds):.2f} | "
            f"{max(seconds):.2f} | {max(p[2] for p in mine):,} B |"
        )
    print(
        f"\nWorkers: {sorted(workers_before)} before, {sorted(workers_after)} after: "
        f"{'every worker alive' if alive else 'A WORKER WAS REPLACED'}; {killed} WORKER TIMEOUT lines in the log. "
        f"RSS after the warm-up: {max(warm.values()):.0f} MB for the largest worker. "
        f"Peak RSS: {peak['worker']:.0f} MB for one worker, {peak['total']:.0f} MB for master and workers together. "
        f"Load average (1, 5, 15 min): after the floor {load_floor[0]:.2f}, {load_floor[1]:.2f}, {load_floor[2]:.2f}; "
        f"after the load {load_after[0]:.2f}, {load_after[1]:.2f}, {load_after[2]:.2f}."
    )
    met = busy["p99"] < 1000 and busy["errors"] == 0 and alive
    print(f"Goal (/healthz p99 under 1 s, no errors, every worker alive): {'met' if met else 'NOT MET'}.")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
