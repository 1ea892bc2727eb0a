"""Write the golden figures: the plotly JSON of every chart the board pages serve on the ROCvAF demo.

Issue 16 rewrites rapportage/charts.py to build plain dictionaries instead of plotly's graph_objs
(72 ms of an indicator page); the charts must stay exactly what they were. This script ran once
against the code before that rewrite (commit 5660715) and wrote tests/rapportage/golden_figures/;
test_golden_figures.py compares every page's figures with it. Run it again only when a chart is
meant to change, and say so in the commit:

    .venv/bin/python -m tests.rapportage.make_golden_figures [--out DIR] [--full DIR]

It builds a fresh SQLite demo in a temporary folder (never db.sqlite3) and reads each page through
Django's test client as the board member: every indicator in every year the page offers, and the
budget page in every year. `--full DIR` also writes each page's figures in full, for a diff.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden_figures"
# json_script writes <script id="fig-..." type="application/json">...</script> (templates/rapportage/_figure.html).
FIGURE_SCRIPT = re.compile(r'<script id="(fig-[^"]+)" type="application/json">(.*?)</script>', re.S)
# The pages kept in full in the golden folder: one of each kind of figure (trend with comparison
# lines and a source change, team dots, heatmap, breakdown small multiples, budget treemap and bars).
FULL = ("indicator/1a/2020", "indicator/2a-entree/2020", "indicator/2b/2021", "budget/2020")


def canonical(figure) -> str:
    """Return a figure's JSON with sorted keys and no spaces: equal data, equal bytes."""
    return json.dumps(figure, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def digest(figure) -> str:
    """Return the SHA-256 of the figure's canonical JSON."""
    return hashlib.sha256(canonical(figure).encode("utf-8")).hexdigest()


def page_figures(html: str) -> dict[str, object]:
    """Return the figures a page embeds, by script id."""
    return {name: json.loads(body) for name, body in FIGURE_SCRIPT.findall(html)}


def pages(institution) -> list[tuple[str, str]]:
    """Return (key, URL) of every page with figures: each indicator in each year, the budget in each year."""
    from django.urls import reverse

    from agenda.models import Indicator

    years = list(institution.years)
    codes = list(Indicator.objects.filter(institution=institution).order_by("code").values_list("code", flat=True))
    result = [
        (f"indicator/{code}/{year}", f"{reverse('rapportage:indicator', args=[code])}?jaar={year}")
        for code in codes
        for year in years
    ]
    result += [(f"budget/{year}", f"{reverse('rapportage:budget')}?jaar={year}") for year in years]
    return result


def collect(client, institution) -> dict[str, dict[str, object]]:
    """Return every page's figures by page key (pages without figures are left out)."""
    result = {}
    for key, address in pages(institution):
        response = client.get(address)
        assert response.status_code == 200, (key, response.status_code)
        figures = page_figures(response.content.decode("utf-8"))
        if figures:
            result[key] = figures
    return result


def main(argv=None) -> int:
    """Build the demo, read every page and write the golden digests (and the full figures of a few pages)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GOLDEN)
    parser.add_argument("--full", type=Path, default=None, help="also write every page's figures here")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="golden-figures-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/demo.sqlite3"
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kwaliteit.settings")
    os.environ["MEDIA_ROOT"] = f"{folder}/uploads"
    import django

    django.setup()
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from tests.conftest import load_rocvaf_demo

    call_command("migrate", "--noinput", stdout=StringIO())
    institution = load_rocvaf_demo()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bestuur"))
    figures = collect(client, institution)
    args.out.mkdir(parents=True, exist_ok=True)
    digests = {key: {name: digest(fig) for name, fig in sorted(page.items())} for key, page in sorted(figures.items())}
    (args.out / "digests.json").write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for key in FULL:
        path = args.out / (key.replace("/", "_") + ".json")
        path.write_text(canonical(figures[key]) + "\n", encoding="utf-8")
    if args.full:
        args.full.mkdir(parents=True, exist_ok=True)
        for key, page in figures.items():
            (args.full / (key.replace("/", "_") + ".json")).write_text(canonical(page) + "\n", encoding="utf-8")
    count = sum(len(page) for page in figures.values())
    print(f"{len(figures)} pagina's, {count} grafieken -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
