"""Benchmark: every board page at 50 connections, beside a trivial logged-in view and a bare one (issue 16).

Run by hand: `.venv/bin/python -m bench.dashboard_load` (about eight minutes, three of them
loading the demo; needs wrk, redis-server and the PostgreSQL server binaries). Production
shape (bench/serve.py): a throwaway PostgreSQL with its durability defaults, Redis as the
cache, DEBUG off, the ROCvAF demo, and gunicorn started as docker-compose's web command
starts it (gunicorn.conf.py: one worker per CPU, reuse_port; gthread x 8 threads), serving the product with the
floors of bench/api_baseline_urls.py beside it:

- trivial: /bench/trivial/, a logged-in view (session, whole middleware stack) answering 2 bytes;
- bare: /bench/bare/, 2 bytes without reading the session.

The board user `bestuur` reads each page with its session and CSRF cookies, as a browser does.
Every page is fetched once (200 expected) and warmed with wrk; then wrk drives each for
`--seconds` with `--connections`, the trivial view measured before, between and after the
pages (its median is the floor). Prints the load average, requests/s, p50, p99, errors and the
ratio to the trivial view per page. Targets: indicator pages and budget >= 0.25x the trivial
view with p99 < 500 ms; overview >= 0.5x with p99 < 300 ms; no errors on any page. Exits 1
when a target is missed. Only 127.0.0.1 is ever a target.
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
    start_web,
    stop,
    wrk,
)

SETTINGS = "bench.api_baseline_settings"
YEAR = 2020
COLLEGE = "5100"

# (label, path, (minimum ratio to the trivial view, p99 limit in ms) or None: measured, no target).
PAGES = [
    ("overview", f"/dashboard/?jaar={YEAR}", (0.5, 300)),
    ("indicator 1a", f"/dashboard/indicator/1a/?jaar={YEAR}", (0.25, 500)),
    ("indicator 2b", f"/dashboard/indicator/2b/?jaar={YEAR}", (0.25, 500)),
    ("budget", f"/dashboard/budget/?jaar={YEAR}", (0.25, 500)),
    ("colleges", "/dashboard/colleges/", None),
    ("college", f"/dashboard/college/{COLLEGE}/", None),
    ("herijking", "/dashboard/herijking/", None),
    ("wat is er veranderd", "/dashboard/veranderd/", None),
    ("maatregelen van een college", f"/maatregelen/college/{COLLEGE}/", None),
    ("Q-gesprekken", "/maatregelen/q-gesprekken/", None),
    ("besteding (verantwoording)", "/maatregelen/besteding/", None),
    ("manifest (verantwoording)", "/maatregelen/manifest/", None),
]
TRIVIAL, BARE = "/bench/trivial/", "/bench/bare/"


def cookies_of(headers: dict) -> dict[str, str]:
    """Return the cookies a response sets (name -> value)."""
    found = {}
    for name, value in headers.items():
        if name.lower() == "set-cookie":
            for part in value.split("\n"):
                key, _, rest = part.partition("=")
                found[key.strip()] = rest.split(";")[0]
    return found


def row(label: str, r: dict, ratio: float | None, target: str) -> str:
    """Return one measurement as a markdown table row."""
    errors = "/".join(str(r["errors"][k]) for k in ("connect", "read", "write", "timeout", "status"))
    shown = "" if ratio is None else f"{ratio:.2f}"
    return (
        f"| {label} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['kib']:.0f} "
        f"| {errors} | {shown} | {target} |"
    )


def main() -> int:
    """Set up the demo, warm every page, measure each beside the floors, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--database-url", help="reuse a database that holds the demo (runs by hand)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk ontbreekt: apt-get install -y wrk")

    with (
        tempfile.TemporaryDirectory(prefix="kwaliteit-dashload-") as tmp,
        demo_site(Path(tmp), database_url=args.database_url) as (env, secrets, pg),
    ):
        server, port = start_web(env, Path(tmp) / "gunicorn.log", settings=SETTINGS)
        base = f"http://{HOST}:{port}"
        measure = {"connections": args.connections, "script": secrets["script"]}
        try:
            session = {"Cookie": f"sessionid={secrets['session']}"}
            status, headers, _ = fetch(base + TRIVIAL, session)
            csrf = cookies_of(headers).get("csrftoken")
            # A browser sends back the CSRF cookie it was given: pages then keep the same token.
            if csrf is None:
                status, headers, _ = fetch(base + PAGES[0][1], session)
                csrf = cookies_of(headers).get("csrftoken")
            cookie = {"Cookie": f"sessionid={secrets['session']}" + (f"; csrftoken={csrf}" if csrf else "")}
            for label, path, _ in PAGES:
                status, _, body = fetch(base + path, cookie)
                if status != 200:
                    raise SystemExit(f"{label} ({path}) answered {status}: {body[:300]!r}")
            print(f"every page answers 200 to bestuur; warming up ({len(PAGES) + 2} URLs) ...", flush=True)
            for path in [TRIVIAL, BARE, *(p for _, p, _ in PAGES)]:
                wrk(base + path, cookie, seconds=2, **measure)
            print(f"load average before measuring: {load_average()}", flush=True)

            def run(path: str, headers: dict) -> dict:
                # wrk stops sending, but requests it left queued are still answered: one GET waits
                # until they are, so no run inherits the previous one's backlog.
                fetch(base + BARE, {})
                result = wrk(base + path, headers, seconds=args.seconds, **measure)
                print(f"  {path}: {result['rps']:.0f} requests/s, p99 {result['p99']:.0f} ms", flush=True)
                return result

            trivial = [run(TRIVIAL, cookie)]
            bare = run(BARE, {})
            results = {}
            for number, (label, path, _) in enumerate(PAGES, 1):
                results[label] = run(path, cookie)
                if number % 4 == 0:  # the floor again between pages: the machine's load drifts
                    trivial.append(run(TRIVIAL, cookie))
            load = load_average()
        finally:
            stop(server)

    floor = max(statistics.median(t["rps"] for t in trivial), 1e-9)
    print()
    print(
        f"Board pages as `bestuur`, ROCvAF demo, year {YEAR}; {pg['version']} ({pg['durability']}); Redis cache; "
        f"DEBUG off, CONN_MAX_AGE 60; {described(compose_gunicorn_arguments())}; "
        f"wrk -t2 -c{args.connections} -d{args.seconds}s per URL on 127.0.0.1, sharing the {os.cpu_count()} cores."
    )
    print(f"Load average after the last run: {load}")
    print()
    print(
        "| URL | requests | requests/s | p50 (ms) | p99 (ms) | KiB/answer | errors (connect/read/write/timeout/status) "
        "| x trivial | target |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for number, t in enumerate(trivial, 1):
        print(row(f"floor: trivial logged-in view ({number})", t, t["rps"] / floor, ""))
    print(row("floor: bare view", bare, bare["rps"] / floor, ""))
    missed = []
    for label, path, goal in PAGES:
        r = results[label]
        ratio = r["rps"] / floor
        target = ""
        if goal is not None:
            minimum, p99 = goal
            met = ratio >= minimum and r["p99"] < p99
            target = f">= {minimum}x, p99 < {p99} ms: " + ("met" if met else "MISSED")
            if not met:
                missed.append(label)
        if r["failures"]:
            missed.append(f"{label} (errors)")
        print(row(f"{label} `{path}`", r, ratio, target))
    print()
    print(
        f"Trivial logged-in view: median {floor:.0f} requests/s over {len(trivial)} runs; bare view "
        f"{bare['rps']:.0f}. " + ("Every target met." if not missed else f"TARGET MISSED: {', '.join(missed)}.")
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
