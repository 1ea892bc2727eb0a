"""Benchmark: GET /api/v1/status/?year=2020 on the ROCvAF demo under gunicorn, beside a minimal Django view.

Run by hand: `.venv/bin/python -m bench.api_bench` (about two minutes; needs wrk and the
PostgreSQL server binaries). It starts a throwaway PostgreSQL cluster
(tests.services.postgres_cluster), loads the demo (`migrate`, `load_agenda`, `demo_setup`),
makes a token for the board user (`api_token create bestuur`) and serves the project twice
under gunicorn on 127.0.0.1, with DEBUG off and persistent database connections
(DATABASE_CONN_MAX_AGE=60):

- api: the product, GET /api/v1/status/?year=2020 with `Authorization: Token ...`;
- baseline: bench/api_baseline_urls.py, a minimal Django view returning the same stored
  status JSON through the same selector (no DRF, no authentication, no ETag).

wrk then drives each with the same connections and threads, alternating, in rounds, after a
warm-up. Targets (issue 7): API p95 under 50 ms at 20 connections, and at least half the
baseline's requests per second, judged on the median round (other work on a shared machine
disturbs single rounds; every round is printed). Prints a markdown table; exits 1 when a
target is missed. Only 127.0.0.1 is ever a target.

The API answers from the rendered body cached under its ETag (rapportage/api/conditional.py);
the baseline parses and re-serialises the stored payloads on every request, as a plain view does.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.services import free_port, postgres_cluster, start_gunicorn, stop_process

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
P95_LIMIT_MS = 50.0
MIN_RATIO = 0.5
# wrk's summary as one JSON line (its --latency table has no p95).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('WRK {"requests": %d, "duration_us": %d, "bytes": %d, "p50": %d, "p95": %d, "p99": %d,'
    .. ' "errors": %d, "non2xx": %d}\\n', summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), errors, summary.errors.status))
end
"""


def manage(env: dict, *args: str) -> str:
    """Run a manage.py command with `env` and return its standard output."""
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def fetch(url: str, headers: dict) -> tuple[int, bytes]:
    """Return the status and body of a GET on loopback."""
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


def wrk(url: str, headers: dict, *, seconds: int, connections: int, threads: int, script: Path) -> dict:
    """Drive `url` with wrk and return requests/s and the latency percentiles in ms."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    raw = json.loads(line[4:])
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50": raw["p50"] / 1000,
        "p95": raw["p95"] / 1000,
        "p99": raw["p99"] / 1000,
        "requests": raw["requests"],
        "failures": raw["errors"] + raw["non2xx"],
        "kb_per_request": raw["bytes"] / max(raw["requests"], 1) / 1024,
    }


def report(rows: list[tuple[str, dict]], ratios: list[float], args) -> str:
    """Return the measurements as a markdown table with the ratio per round."""
    lines = [
        f"GET /api/v1/status/?year={args.year}, ROCvAF demo on PostgreSQL, DEBUG off, CONN_MAX_AGE 60, "
        f"gunicorn {args.workers} sync workers, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores shared with wrk",
        "",
        "| target | round | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | KiB/response | failed |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r['round']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
            f"| {r['kb_per_request']:.0f} | {r['failures']} |"
        )
    lines.append("")
    lines.append(
        "API / baseline throughput per round: "
        + ", ".join(f"{ratio:.2f}" for ratio in ratios)
        + f" (median {statistics.median(ratios):.2f}; target >= {MIN_RATIO})"
    )
    return "\n".join(lines)


def main() -> int:
    """Set up the demo on a throwaway cluster, serve it twice, measure both, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    # 2 cores: a third sync worker computes while another waits for PostgreSQL.
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--year", type=int, default=2020)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk ontbreekt: apt-get install -y wrk")

    with postgres_cluster() as pg, tempfile.TemporaryDirectory(prefix="kwaliteit-apibench-") as tmp:
        folder = Path(tmp)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            DATABASE_URL=pg["url"],
            DATABASE_CONN_MAX_AGE="60",
            DEBUG="false",
            SECRET_KEY="api-bench-only-not-secret-" + "x" * 32,
            ALLOWED_HOSTS=HOST,
            SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback
            MEDIA_ROOT=str(folder / "media"),
            STATIC_ROOT=str(folder / "static"),
            LOG_LEVEL="WARNING",
        )
        print(f"PostgreSQL {pg['version']} on {HOST}:{pg['port']}; loading the ROCvAF demo ...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "load_agenda", "agenda/agendas/rocvaf-2019-2022.yaml")
        manage(env, "demo_setup")
        key = manage(env, "api_token", "create", "bestuur").strip()
        script = folder / "summary.lua"
        script.write_text(WRK_SCRIPT)

        targets = {
            "baseline (minimal Django view)": ("bench.api_baseline_settings", "/status/", {}),
            "API (DRF, token, ETag)": ("kwaliteit.settings", "/api/v1/status/", {"Authorization": f"Token {key}"}),
        }
        servers, urls = [], {}
        try:
            for label, (settings_module, path, headers) in targets.items():
                port = free_port()
                served = {**env, "DJANGO_SETTINGS_MODULE": settings_module}
                servers.append(start_gunicorn(served, port, folder / "gunicorn.log", workers=args.workers))
                urls[label] = (f"http://{HOST}:{port}{path}?year={args.year}", headers)
            bodies = {}
            for label, (url, headers) in urls.items():
                status, body = fetch(url, headers)
                if status != 200:
                    raise SystemExit(f"{label}: HTTP {status}")
                bodies[label] = json.loads(body)
            if len({json.dumps(b, sort_keys=True) for b in bodies.values()}) != 1:
                raise SystemExit("the API and the baseline do not return the same status body")
            print(
                f"Both return the same body ({len(bodies[label]['indicators'])} indicators); warming up ...", flush=True
            )
            measure = {"connections": args.connections, "threads": args.threads, "script": script}
            for url, headers in urls.values():
                wrk(url, headers, seconds=3, **measure)
            rows, ratios = [], []
            for round_number in range(1, args.rounds + 1):
                results = {}
                for label, (url, headers) in urls.items():
                    results[label] = {**wrk(url, headers, seconds=args.seconds, **measure), "round": round_number}
                    rows.append((label, results[label]))
                base, api = results.values()
                ratios.append(api["rps"] / base["rps"])
        finally:
            for server in servers:
                stop_process(server)

    print()
    print(report(rows, ratios, args))
    api_rows = [r for label, r in rows if label.startswith("API")]
    # Other work on the machine disturbs single rounds; the verdict takes the median round.
    p95 = statistics.median(r["p95"] for r in api_rows)
    ratio = statistics.median(ratios)
    failures = sum(r["failures"] for _, r in rows)
    ok = p95 < P95_LIMIT_MS and ratio >= MIN_RATIO and failures == 0
    print()
    print(
        f"API p95 {p95:.1f} ms (median of {len(api_rows)} rounds, worst {max(r['p95'] for r in api_rows):.1f}; "
        f"target < {P95_LIMIT_MS:.0f}); throughput ratio {ratio:.2f} (median, worst {min(ratios):.2f}; "
        f"target >= {MIN_RATIO}); failed requests {failures}: " + ("targets met" if ok else "TARGET MISSED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
