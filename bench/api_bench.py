"""Benchmark: GET /api/v1/status/?year=2020 at 50 connections, beside the same bytes pre-rendered (issue 16).

Run by hand: `.venv/bin/python -m bench.api_bench` (about five minutes, most of it loading the
demo; needs wrk, redis-server and the PostgreSQL server binaries). Production shape
(bench/serve.py): a throwaway PostgreSQL with its durability defaults, Redis as the cache,
DEBUG off, persistent database connections, and gunicorn started as docker-compose's web
command starts it (gunicorn.conf.py: one worker per CPU, reuse_port; gthread, 8 threads), serving
bench/api_baseline_settings.py: the product plus its floor,

- API: GET /api/v1/status/?year=2020 with `Authorization: Token ...` (DRF, token, permission,
  validators, ETag), and
- floor: /bench/prerendered/status/?year=2020, the same bytes (checked) returned as they are.

First "just started": wrk begins the moment gunicorn's port accepts (workers not warmed by
any request of ours: the p99 the issue recorded, 973 ms, was each worker's first request).
Then a warm-up and rounds alternating floor and API, the verdict on the median round (other
work on the shared machine disturbs single rounds; every round is printed). Targets: API
requests/s at least half the floor's, p99 under 300 ms warm and just started, no errors.
Prints the load average and a markdown table; exits 1 when a target is missed. Only
127.0.0.1 is ever a target.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.serve import (
    HOST,
    compose_gunicorn_arguments,
    demo_site,
    described,
    fetch,
    load_average,
    shaped,
    start_web,
    stop,
    wrk,
)

P99_LIMIT_MS = 300.0
MIN_RATIO = 0.5
SETTINGS = "bench.api_baseline_settings"


def row(label: str, r: dict) -> str:
    """Return one measurement as a markdown table row."""
    return (
        f"| {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.0f} "
        f"| {r['kib']:.0f} | {r['failures']} |"
    )


def main() -> int:
    """Set up the demo, measure the API just started and warm beside its floor, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--year", type=int, default=2020)
    parser.add_argument("--database-url", help="reuse a database that holds the demo (runs by hand)")
    parser.add_argument("--workers", type=int, help="gunicorn workers instead of docker-compose's (shape experiments)")
    parser.add_argument("--threads", type=int, help="threads per worker instead of docker-compose's")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk ontbreekt: apt-get install -y wrk")

    with (
        tempfile.TemporaryDirectory(prefix="kwaliteit-apibench-") as tmp,
        demo_site(Path(tmp), database_url=args.database_url, static=False) as (env, secrets, pg),
    ):
        folder = Path(tmp)
        measure = {"connections": args.connections, "script": secrets["script"]}
        api = (
            f"http://{HOST}:{{port}}/api/v1/status/?year={args.year}",
            {"Authorization": f"Token {secrets['token']}"},
        )
        floor = (f"http://{HOST}:{{port}}/bench/prerendered/status/?year={args.year}", {})
        server, port = start_web(
            env, folder / "gunicorn.log", settings=SETTINGS, workers=args.workers, threads=args.threads
        )
        try:
            # Just started: the first requests every worker sees are these.
            print(f"load average before the just-started run: {load_average()}", flush=True)
            cold = wrk(api[0].format(port=port), api[1], seconds=args.seconds, **measure)
            status, headers, api_body = fetch(api[0].format(port=port), api[1])
            floor_status, floor_headers, floor_body = fetch(floor[0].format(port=port), floor[1])
            if status != 200 or floor_status != 200:
                raise SystemExit(f"API answered {status}, the floor {floor_status}")
            if api_body != floor_body or headers["Content-Type"] != floor_headers["Content-Type"]:
                raise SystemExit("the API and the floor do not answer the same bytes")
            print(f"API and floor answer the same {len(api_body)} bytes; warming up ...", flush=True)
            for url, hdrs in (floor, api):
                wrk(url.format(port=port), hdrs, seconds=3, **measure)
            rounds = []
            for _ in range(args.rounds):
                # One GET first: it is answered once the previous run's queued requests are.
                fetch(floor[0].format(port=port), floor[1])
                base = wrk(floor[0].format(port=port), floor[1], seconds=args.seconds, **measure)
                fetch(floor[0].format(port=port), floor[1])
                warm = wrk(api[0].format(port=port), api[1], seconds=args.seconds, **measure)
                rounds.append((base, warm))
            load = load_average()
        finally:
            stop(server)

    print()
    print(
        f"GET /api/v1/status/?year={args.year}, ROCvAF demo; {pg['version']} ({pg['durability']}); Redis cache; "
        f"DEBUG off, CONN_MAX_AGE 60; {described(shaped(compose_gunicorn_arguments(), args.workers, args.threads))}; "
        f"wrk -t2 -c{args.connections} -d{args.seconds}s on 127.0.0.1, sharing the {os.cpu_count()} cores."
    )
    print(f"Load average after the last round: {load}")
    print()
    print("| run | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | KiB/answer | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(row("API just started (wrk from the moment the port opened)", cold))
    ratios = []
    for number, (base, warm) in enumerate(rounds, 1):
        print(row(f"floor: same bytes pre-rendered, round {number}", base))
        print(row(f"API warm, round {number}", warm))
        ratios.append(warm["rps"] / base["rps"])
    ratio = statistics.median(ratios)
    p99 = statistics.median(warm["p99"] for _, warm in rounds)
    failures = cold["failures"] + sum(b["failures"] + w["failures"] for b, w in rounds)
    ok = ratio >= MIN_RATIO and p99 < P99_LIMIT_MS and cold["p99"] < P99_LIMIT_MS and failures == 0
    print()
    print(
        f"API / floor requests/s per round: {', '.join(f'{r:.2f}' for r in ratios)} (median {ratio:.2f}; "
        f"target >= {MIN_RATIO}); API p99 warm {p99:.0f} ms (median round), just started {cold['p99']:.0f} ms "
        f"(target < {P99_LIMIT_MS:.0f}); errors {failures}: " + ("targets met" if ok else "TARGET MISSED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
