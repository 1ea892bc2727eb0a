"""Server time of the board pages with charts, and of building their figures alone (issue 16).

Django's test client on a SQLite copy of the ROCvAF demo, as docs/benchmarks.md section 5: per page
one warm-up request, then the median and maximum of 15, and the queries of one request. Beside it
the figures alone: the indicator page's `charts.indicator_figures` (or the budget page's
`charts.budget_figures`) plus `charts.figure_data` and the JSON the page embeds, from the same
stored results, median of 15. The load average is printed before and after: the machine is shared.

    .venv/bin/python -m bench.page_time [--db DEMO.sqlite3] [--runs 15]

Run it from the tree to measure (cd there, or PYTHONPATH=tree): it measures the code it imports.
`--db` copies that demo database to a temporary folder and migrates the copy (never db.sqlite3);
without it, a fresh demo is loaded there first (a few minutes).
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PAGES = [("indicator", "1a"), ("indicator", "2a-entree"), ("indicator", "2b"), ("indicator", "3c"), ("budget", None)]


def _load() -> str:
    """Return the 1, 5 and 15 minute load averages."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def _timed(call, runs: int) -> tuple[float, float, float]:
    """Return the median and maximum wall milliseconds and the median CPU milliseconds of `runs` calls after a warm-up.

    The CPU time (this process only) says what the code costs when other work shares the two cores.
    """
    call()
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(times), max(times), statistics.median(cpu)


def _figures_call(institution, kind: str, code: str | None, year: int):
    """Return a call that builds one page's figures from stored results and encodes them as the page does."""
    from django.core.serializers.json import DjangoJSONEncoder

    from agenda.models import Indicator
    from rapportage import charts, selectors
    from rapportage.context import indicator_context

    if kind == "budget":
        data = selectors.budget_data(institution, year)

        def build():
            figures = charts.budget_figures(data)
            return [json.dumps(charts.figure_data(fig), cls=DjangoJSONEncoder) for fig in figures.values()]

        return build
    item = Indicator.objects.select_related("theme").get(institution=institution, code=code)
    data = selectors.indicator_data(institution, item, year)
    comparison = indicator_context(item, data["institution_rows"])

    def build():
        figures = charts.indicator_figures(
            data["history"], data["trend"], data["status"], unit=item.unit, context=comparison
        )
        return [json.dumps(charts.figure_data(fig), cls=DjangoJSONEncoder) for fig in figures.values()]

    return build


def main(argv=None) -> int:
    """Measure the pages and their figures; print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="a demo database to copy (SQLite)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="page-time-")
    database = Path(folder) / "demo.sqlite3"
    if args.db:
        shutil.copyfile(args.db, database)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["MEDIA_ROOT"] = f"{folder}/uploads"
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kwaliteit.settings")
    import django

    django.setup()
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from agenda.models import Institution
    from rapportage import selectors

    call_command("migrate", "--noinput", stdout=StringIO())
    if not Institution.objects.filter(code="ROCVAF").exists():
        from tests.conftest import load_rocvaf_demo

        load_rocvaf_demo()
    institution = Institution.objects.get(code="ROCVAF")
    year = selectors.default_year(institution)
    client = Client()
    client.force_login(get_user_model().objects.get(username="bestuur"))
    print(f"load average before: {_load()}; Python {sys.version.split()[0]}, SQLite demo copy, year {year}")
    print()
    print("| page | median ms | max ms | CPU ms | queries | figures alone: median ms | max ms | CPU ms |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, code in PAGES:
        address = reverse(f"rapportage:{kind}", args=[code] if code else []) + f"?jaar={year}"

        def get(address=address):
            response = client.get(address)
            assert response.status_code == 200, (address, response.status_code)

        median, slowest, cpu = _timed(get, args.runs)
        with CaptureQueriesContext(connection) as queries:
            get()
        alone, alone_max, alone_cpu = _timed(_figures_call(institution, kind, code, year), args.runs)
        label = f"{kind} {code}" if code else kind
        print(
            f"| {label} | {median:.1f} | {slowest:.1f} | {cpu:.1f} | {len(queries)} "
            f"| {alone:.1f} | {alone_max:.1f} | {alone_cpu:.1f} |"
        )
    print()
    print(f"load average after: {_load()}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
