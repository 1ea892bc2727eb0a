"""Golden digests of every stored result: the ROCvAF demo and the 65-institution synthetic sector.

Issue 16 speeds up the recompute and asks that it change no verdict or cent: the results must be
byte-identical to those of the code before the speed-up (commit 5660715). This script records them
as one sha256 per result, read through the public readers the pages and the API use
(`rapportage.selectors.status_body` and `budget_body`) and written as canonical JSON text
(`exact_json.dumps`, sorted keys): the bytes the API serves, whatever the storage underneath.
tests/rapportage/test_results_identical.py computes the same digests with the code of the day and
compares them with the files here.

Runnable against any checkout, in a throwaway SQLite database (never the project's db.sqlite3):

    cd /path/to/checkout && /work/main/.venv/bin/python /work/main/tests/golden/make_results_golden.py demo
    ... make_results_golden.py sector --out /tmp/results_sector.json

The digest functions below import nothing of the project at module level, so the test imports them.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
SECTOR_INSTITUTIONS = 65
# What budget_body and indicator_status add to a stored payload when they read it: the year's
# sign-off and whether the results are stale. They describe the moment of reading, not the result.
READ_TIME_FIELDS = ("data_status", "stale", "recompute_failed_at")


def canonical(document) -> bytes:
    """Return the canonical bytes of a result body: exact numbers, sorted keys, no spaces."""
    from rapportage.engine import exact_json

    return exact_json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def result_digests(institutions=None) -> dict[str, str]:
    """Return a sha256 per stored result of `institutions` (default: all), keyed by what it is.

    Keys: `INST/INDICATOR/YEAR/VERSION` for an indicator's STATUS, `INST/budget/YEAR` for the
    budget split, `INST/changes/verdict|contribution|budget` for the change log of every recompute
    so far (the rows of *Wat is er veranderd*, without run ids and timestamps).
    """
    from agenda.models import Institution
    from rapportage import selectors
    from rapportage.choices import Version

    if institutions is None:
        institutions = Institution.objects.order_by("code")
    digests: dict[str, str] = {}
    for institution in institutions:
        code = institution.code
        for year in institution.years:
            for version in (Version.CURRENT, Version.ORIGINAL):
                for status in selectors.status_body(institution, year, version)["indicators"]:
                    key = f"{code}/{status['indicator']}/{year}/{version}"
                    assert key not in digests, f"twee resultaten onder {key}"
                    digests[key] = _sha(canonical(status))
            budget = selectors.budget_body(institution, year)
            if budget is not None:
                payload = {k: v for k, v in budget.items() if k not in READ_TIME_FIELDS}
                digests[f"{code}/budget/{year}"] = _sha(canonical(payload))
        for kind, rows in _change_logs(institution).items():
            digests[f"{code}/changes/{kind}"] = _sha(canonical(rows))
    return digests


def _change_logs(institution) -> dict[str, list]:
    """Return the institution's change log rows as sorted lists, without ids, runs and timestamps."""
    from rapportage.models import BudgetChange, ContributionChange, VerdictChange

    verdicts = VerdictChange.objects.filter(institution=institution).values_list(
        "indicator__code", "year", "version", "college__code", "old", "new", "description"
    )
    contributions = ContributionChange.objects.filter(institution=institution).values_list(
        "indicator__code", "year", "team__code", "old", "new"
    )
    budgets = BudgetChange.objects.filter(institution=institution).values_list(
        "year", "theme__code", "kind", "old_cents", "new_cents"
    )
    return {
        "verdict": sorted((list(row) for row in verdicts), key=repr),
        "contribution": sorted((list(row) for row in contributions), key=repr),
        "budget": sorted((list(row) for row in budgets), key=repr),
    }


def golden_document(digests: dict[str, str], *, source: str) -> dict:
    """Return the golden file's content: every key's sha256 and a total over all of them."""
    ordered = dict(sorted(digests.items()))
    total = _sha("".join(f"{key} {sha}\n" for key, sha in ordered.items()).encode())
    return {"source": source, "count": len(ordered), "total": total, "results": ordered}


def differences(golden: dict[str, str], actual: dict[str, str], limit: int = 10) -> list[str]:
    """Return lines naming the first keys that are missing, extra or different (empty: identical)."""
    missing = sorted(golden.keys() - actual.keys())
    extra = sorted(actual.keys() - golden.keys())
    changed = sorted(key for key in golden.keys() & actual.keys() if golden[key] != actual[key])
    lines = []
    for label, keys in (("anders", changed), ("ontbreekt", missing), ("nieuw", extra)):
        if keys:
            lines.append(f"{label}: {len(keys)}, eerst: {', '.join(keys[:limit])}")
    return lines


def recompute_all(institutions, reason: str) -> None:
    """Recompute every institution through the public path: a batched sector recompute where one exists."""
    from rapportage import services

    many = getattr(services, "recompute_many", None)
    if many is not None:
        many(institutions=list(institutions), reason=reason)
        return
    for institution in institutions:
        services.recompute_now(institution=institution, reason=reason)


def build_demo() -> None:
    """Load the ROCvAF agenda and the synthetic demo, as make demo does (demo_setup recomputes)."""
    from io import StringIO

    from django.core.management import call_command

    call_command("load_agenda", "agenda/agendas/rocvaf-2019-2022.yaml", stdout=StringIO())
    call_command("demo_setup", stdout=StringIO())


def build_sector(institutions: int = SECTOR_INSTITUTIONS) -> None:
    """Store the synthetic sector of bench.engine_data (the rows bench.engine_db stores) and recompute it."""
    from agenda.models import Institution
    from bench.engine_data import sector
    from bench.engine_db import store

    store(sector(institutions))
    recompute_all(Institution.objects.order_by("id"), reason="golden: synthetische sector")


def _setup(database: Path, *, migrate: bool = True) -> None:
    """Point Django at a SQLite file and migrate it."""
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kwaliteit.settings")
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()
    if migrate:
        call_command("migrate", verbosity=0)


def main() -> int:
    """Build the data set in a throwaway database with the checkout in the working directory; write its digests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["demo", "sector"])
    parser.add_argument("--out", type=Path, help="default: results_<which>.json beside this script")
    parser.add_argument("--database", type=Path, help="SQLite file to build in (default: a temporary one)")
    parser.add_argument("--institutions", type=int, default=SECTOR_INSTITUTIONS, help="sector size")
    parser.add_argument("--existing", action="store_true", help="read --database as it is, build nothing")
    args = parser.parse_args()
    checkout = Path.cwd()
    # The code under test is the checkout's, not the one beside this script.
    sys.path.insert(0, str(checkout))
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != GOLDEN]
    with tempfile.TemporaryDirectory(prefix="golden-") as folder:
        database = args.database or Path(folder) / "golden.sqlite3"
        if database.exists() and not args.existing:
            database.unlink()
        _setup(database, migrate=not args.existing)
        if args.existing:
            pass  # the results in the given database are read as they are
        elif args.which == "demo":
            build_demo()
        else:
            build_sector(args.institutions)
        digests = result_digests()
    commit = os.popen(f"git -C {checkout} rev-parse --short HEAD 2>/dev/null").read().strip() or "?"
    document = golden_document(digests, source=f"{args.which} van commit {commit}")
    out = args.out or GOLDEN / f"results_{args.which}.json"
    out.write_text(json.dumps(document, indent=1) + "\n")
    print(f"{args.which}: {document['count']} resultaten, totaal {document['total']} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
