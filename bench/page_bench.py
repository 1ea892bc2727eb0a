"""Benchmark: server time of the board pages, warm, through Django's test client on a copy of the demo.

Run by hand: `.venv/bin/python -m bench.page_bench` (under a minute with a demo database, which
`make demo` makes; without one it builds the demo first). It copies the demo's SQLite file
(db.sqlite3, or --database) to a temporary folder and never touches the original, logs in as the board member, and for every
board page measures the median server time of 15 requests after 3 warm-up requests (the first
fills the page cache, rapportage/page_cache.py). Beside them, in the same run, two floors: a
trivial logged-in page (the password-change form: session, user, the site's layout) and the
bare health check. Server time here is the WSGI handler's time in this process, without a
network or a web server (issue 16 goal: the indicator page under 25 ms warm), as wall time and as
this process's CPU time (steadier on a shared machine whose load average is far above its cores).

`--cold` adds the time of a request that renders (the cache forgotten before each request):
the figure of a page just after a recompute or a write.
"""

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from bench.serve import manage

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 15
WARMUP = 3
GOAL_INDICATOR_MS = 25.0

PAGES = [
    ("overzicht", "/dashboard/?jaar=2020"),
    ("colleges", "/dashboard/colleges/?jaar=2020"),
    ("college 5100", "/dashboard/college/5100/?jaar=2020"),
    ("indicator 2b", "/dashboard/indicator/2b/?jaar=2020"),
    ("indicator 3c", "/dashboard/indicator/3c/?jaar=2020"),
    ("budget", "/dashboard/budget/?jaar=2020"),
    ("herijking", "/dashboard/herijking/?jaar=2020"),
]
FLOORS = [
    ("vloer: ingelogde formulierpagina", "/accounts/password_change/"),
    ("vloer: healthz", "/healthz"),
]


def median_ms(client, path: str, forget=None) -> tuple[float, float]:
    """Return the median wall and CPU time in ms of ROUNDS GETs of `path` after WARMUP ones (each must answer 200).

    The CPU time is this process's: on a shared, busy machine it is the steadier figure of the two.
    """
    for _ in range(WARMUP):
        assert client.get(path).status_code == 200, path
    walls, cpus = [], []
    for _ in range(ROUNDS):
        if forget is not None:
            forget()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(walls), statistics.median(cpus)


def has_demo(database: Path) -> bool:
    """Return whether `database` is a SQLite file holding the demo's board member."""
    if not database.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
            return connection.execute("SELECT 1 FROM auth_user WHERE username = 'bestuur'").fetchone() is not None
    except sqlite3.Error:
        return False


def main(argv: list[str]) -> int:
    """Copy the demo, measure every page and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=str(ROOT / "db.sqlite3"), help="the demo database to copy")
    parser.add_argument("--cold", action="store_true", help="also measure each page with the cache forgotten")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="page-bench-"))
    try:
        database = work / "db.sqlite3"
        source = f"SQLite copy of {args.database}"
        if has_demo(Path(args.database)):
            shutil.copy(args.database, database)
        else:
            source = "a demo built afresh in SQLite"
            # make bench on a checkout without `make demo` (or with an empty db.sqlite3): build one here.
            print(f"no demo in {args.database}: building the ROCvAF demo in a throwaway SQLite file ...", flush=True)
            env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
            env["DATABASE_URL"] = f"sqlite:///{database}"
            manage(env, "migrate", "--noinput", "-v0")
            manage(env, "load_agenda", "agenda/agendas/rocvaf-2019-2022.yaml")
            manage(env, "demo_setup")
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kwaliteit.settings")
        for name in ("REDIS_URL", "CELERY_BROKER_URL"):
            os.environ.pop(name, None)  # the in-process cache, as in the demo
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        settings.ALLOWED_HOSTS = ["testserver"]
        settings.SECURE_SSL_REDIRECT = False
        try:
            from rapportage import page_cache

            forget = page_cache.forget
        except ImportError:  # the code before issue 16 has no page cache
            forget = None
        client = Client()
        client.force_login(get_user_model().objects.get(username="bestuur"))
        load = os.getloadavg()
        print(f"Load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
        print(f"Page cache: {'yes' if forget else 'no'}; {source}; median of {ROUNDS} after {WARMUP}")
        print()
        cold = args.cold and forget is not None
        print("| page | warm wall (ms) | warm CPU (ms) |" + (" cold wall (ms) | cold CPU (ms) |" if cold else ""))
        print("|---|---:|---:|" + ("---:|---:|" if cold else ""))
        results = {}
        for name, path in PAGES + FLOORS:
            wall, cpu = median_ms(client, path)
            results[name] = (wall, cpu)
            row = f"| {name} `{path}` | {wall:.1f} | {cpu:.1f} |"
            if cold and path.startswith("/dashboard/"):
                row += " {:.1f} | {:.1f} |".format(*median_ms(client, path, forget))
            elif cold:
                row += " | |"
            print(row, flush=True)
        load = os.getloadavg()
        print()
        print(f"Load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        for kind, index in (("wall", 0), ("CPU", 1)):
            met = all(results[name][index] < GOAL_INDICATOR_MS for name in ("indicator 2b", "indicator 3c"))
            print(f"Goal indicator page < {GOAL_INDICATOR_MS:.0f} ms warm ({kind}): {'met' if met else 'MISSED'}")
        met = all(results[name][0] < GOAL_INDICATOR_MS for name in ("indicator 2b", "indicator 3c"))
        return 0 if met else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
