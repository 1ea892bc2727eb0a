"""Grid save to visible verdict in the demo (issue 16), run by hand or by bench.run.

    .venv/bin/python -m bench.grid_bench [--rounds 12] [--port 8316] [--db demo.sqlite3]

The demo's shape (`make demo`): a SQLite file, tasks run in-process (no broker), DEBUG on,
`runserver`. On a copy of a demo database (built here from the agenda file and demo_setup
unless --db names one, which is copied, never changed) it serves the site on 127.0.0.1 and,
logged in as a college director with a real HTTP client (the login form, the CSRF token):
1. times the round trip of saving one changed cell: the POST of the whole grid form as the
   browser sends it, the redirect, and the grid page that shows the new verdict. The rounds
   alternate a value that flips the college's verdict and one that does not (flip, same,
   flip back, same), and each round checks the page says so (the flip message and the
   verdict under the column, or "geen oordeel ... is veranderd");
2. times the floors in the same run: the same GET of the grid page alone, and the recompute
   alone (rapportage.services.recompute_now, in a warm process on the same database).
Prints the load average before and after and a markdown table for docs/benchmarks.md.
Only 127.0.0.1 is a target; the server is stopped by its own PID.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from lxml import html

from tests.services import ROOT, _wait_for_port, stop_process

AGENDA = "agenda/agendas/rocvaf-2019-2022.yaml"
PASSWORD = "kwaliteit2019"  # the demo's password for every login (demo_setup)

# Run in `manage.py shell` on the copy: a college whose verdict of the latest year rests on
# exactly two-thirds of its teams (one contributing team fewer flips it), one of its
# contributing teams, and four values for that team's cell: flip, same, flip back, same.
SETUP = """
import json
from decimal import Decimal
from agenda.models import Institution
from indicatoren.models import Measurement
from indicatoren.services import value_problem
from indicatoren.signoff import approved_units
from invoer.grid import active_teams, team_indicators
from rapportage.engine.attainment import team_contributes
from rapportage.guidance import college_guidance

institution = Institution.objects.get(code="ROCVAF")
year = list(institution.years)[-1]
found = None
approved = approved_units(institution, [year])
for college in institution.colleges.order_by("code"):
    if found or (college.pk, year) in approved or (None, year) in approved:
        continue
    teams = active_teams(college, year)
    guidance = college_guidance(college, year, teams)
    for indicator in team_indicators(institution):
        item = guidance["indicators"].get(indicator.code)
        entry = item.college if item else None
        if not entry or entry.get("basis") != "teams" or not entry.get("met") or entry.get("teams_margin") != 0:
            continue
        step = Decimal(1) if indicator.unit == "count" else Decimal("0.1")
        for team in teams:
            guide = guidance["teams"].get((team.code, indicator.code))
            if guide is None or guide.value is None or not guide.contributes:
                continue

            def contributes(value, guide=guide):
                return team_contributes(
                    guide.kind, guide.d, value, guide.reference, guide.target, guide.baseline, guide.tolerance
                )

            stored = Measurement.objects.get(team=team, indicator=indicator, year=year, level="team")
            below = [guide.value - guide.d * step * k for k in range(1, 200)]
            failing = [v for v in below if contributes(v) is False and value_problem(indicator, v) is None][:2]
            same = guide.value + guide.d * step
            if len(failing) < 2 or not contributes(same) or value_problem(indicator, same):
                continue
            found = {
                "college": college.code,
                "user": f"directeur{college.code}",
                "year": year,
                "team": team.code,
                "indicator": indicator.code,
                "key": f"{team.pk}_{indicator.pk}",
                "n": "" if stored.n is None else str(stored.n),
                # (value, whether the college verdict flips): flip, same, flip back, same
                "steps": [[str(failing[0]), True], [str(failing[1]), False], [str(guide.value), True], [str(same), False]],
            }
            break
        if found:
            break
print(json.dumps(found))
"""

# Run in `manage.py shell` on the copy: the recompute alone, warm, `rounds` times.
RECOMPUTE = """
import json, time
from agenda.models import Institution
from rapportage.services import recompute_now
institution = Institution.objects.get(code="ROCVAF")
recompute_now(institution=institution, reason="bench warm-up")
timings = []
for _ in range({rounds}):
    started = time.perf_counter()
    run = recompute_now(institution=institution, reason="bench")
    timings.append(time.perf_counter() - started)
    assert run.state == "done", run.error
print(json.dumps(timings))
"""


def demo_env(db: Path) -> dict[str, str]:
    """Return the environment of `make demo` (SQLite, tasks in-process, DEBUG on) on the file `db`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")}
    env.update(DEBUG="true", DATABASE_URL=f"sqlite:///{db}")
    return env


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    """Run manage.py with `env` and return its stdout (raise on failure)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def shell_json(env: dict, code: str):
    """Run `code` in manage.py shell and return the JSON its last line prints."""
    return json.loads(manage(env, "shell", "-v0", stdin=code).strip().splitlines()[-1])


def login(base: str, username: str) -> requests.Session:
    """Return a session logged in through the login form, as a browser does."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = html.fromstring(page.text).xpath("//input[@name='csrfmiddlewaretoken']/@value")[0]
    answer = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )
    if "sessionid" not in session.cookies:
        raise RuntimeError(f"login as {username} failed ({answer.status_code})")
    return session


def form_fields(page: str) -> dict[str, str]:
    """Return every field of the grid form as the browser would submit it."""
    form = html.fromstring(page).get_element_by_id("grid-form")
    return {field.name: field.value or "" for field in form.inputs if field.name and field.type != "submit"}


def verdict_text(page: str, indicator: str) -> str:
    """Return the college verdict under the indicator's column, as text."""
    cell = html.fromstring(page).get_element_by_id(f"status-{indicator}")
    return " ".join(cell.text_content().split())


def save_round(session: requests.Session, url: str, cell: dict, value: str, flips: bool) -> tuple[float, float]:
    """Save one changed cell and return (seconds to the redirect, seconds until the page shows the verdict)."""
    page = session.get(url, timeout=30)
    before = verdict_text(page.text, cell["indicator"])
    data = form_fields(page.text)
    data[f"v_{cell['key']}"] = value.replace(".", ",")
    data[f"t_{cell['key']}"] = "benchmark"  # a note in case the value is flagged as implausible
    started = time.perf_counter()
    answer = session.post(url, data=data, headers={"Referer": url}, timeout=60, allow_redirects=False)
    posted = time.perf_counter() - started
    if answer.status_code != 302:
        raise RuntimeError(f"the save answered {answer.status_code}")
    shown = session.get(answer.headers["Location"] if "://" in answer.headers["Location"] else url, timeout=30)
    visible = time.perf_counter() - started
    after = verdict_text(shown.text, cell["indicator"])
    flip_message = f"Oordeel {cell['college']} voor {cell['indicator']} in {cell['year']}:"
    if flips and (after == before or flip_message not in shown.text):
        raise RuntimeError(f"the page does not show the flip ({before!r} -> {after!r})")
    if not flips and (after != before or "geen oordeel van" not in shown.text):
        raise RuntimeError(f"the page shows a flip that should not happen ({before!r} -> {after!r})")
    return posted, visible


def median_ms(values: list[float]) -> float:
    """Return the median of seconds, in milliseconds."""
    return statistics.median(values) * 1000


def main() -> int:
    """Build or copy the demo, serve it, time the save round trips and the floors, print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12, help="saves (a multiple of 4: flip, same, flip back, same)")
    parser.add_argument("--port", type=int, default=8316)
    parser.add_argument("--db", type=Path, help="a demo database to copy (default: build one, about a minute)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kwaliteit-grid-"))
    db = work / "demo.sqlite3"
    env = demo_env(db)
    if args.db:
        shutil.copyfile(args.db, db)
        manage(env, "migrate", "--noinput")  # a copy made before a later migration
    else:
        print("building the demo database (migrate, load_agenda, demo_setup) ...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "load_agenda", AGENDA)
        manage(env, "demo_setup")
    cell = shell_json(env, SETUP)
    if cell is None:
        print("no college verdict of the demo rests on exactly two-thirds of its teams", file=sys.stderr)
        return 1
    load_before = os.getloadavg()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{args.port}"],
        cwd=ROOT,
        env=env,
        stdout=open(work / "server.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    url = f"{base}/invoer/college/{cell['college']}/?jaar={cell['year']}"
    try:
        _wait_for_port(args.port, server, "runserver", timeout=60)
        session = login(base, cell["user"])
        for _ in range(3):  # warm: imports, templates, the first queries
            session.get(url, timeout=30).raise_for_status()
        steps = [cell["steps"][i % 4] for i in range(args.rounds)]
        saves = [save_round(session, url, cell, value, flips) for value, flips in steps]
        gets = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            session.get(url, timeout=30).raise_for_status()
            gets.append(time.perf_counter() - started)
        page_bytes = len(session.get(url, timeout=30).content)
    finally:
        stop_process(server)
    recomputes = shell_json(env, RECOMPUTE.format(rounds=args.rounds))
    load_after = os.getloadavg()
    shutil.rmtree(work, ignore_errors=True)

    flip = [visible for (_, visible), (_, flips) in zip(saves, steps, strict=True) if flips]
    same = [visible for (_, visible), (_, flips) in zip(saves, steps, strict=True) if not flips]
    posted = [p for p, _ in saves]
    visible = [v for _, v in saves]
    print(
        f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average "
        f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} before, "
        f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} after. The demo's shape: SQLite file, "
        "tasks in-process (no broker), DEBUG=true, runserver on 127.0.0.1; no PostgreSQL, so no durability "
        "setting applies (SQLite as the demo runs it: journal_mode=delete, synchronous=FULL).\n"
    )
    print(
        f"College {cell['college']}, {cell['indicator']} {cell['year']}, team {cell['team']} "
        f"(logged in as {cell['user']}); grid page {page_bytes / 1024:.0f} KB; {args.rounds} saves, "
        "alternating a value that flips the college verdict and one that does not.\n"
    )
    print("| what | median ms | min ms | max ms |")
    print("|---|---|---|---|")
    rows = [
        ("save one cell -> page shows the verdict (all rounds)", visible),
        ("... rounds that flip the verdict", flip),
        ("... rounds that flip nothing", same),
        ("... of which the POST until its redirect (save + in-process recompute)", posted),
        ("floor: GET of the grid page alone", gets),
        ("floor: recompute alone (recompute_now, warm process)", recomputes),
    ]
    for name, values in rows:
        print(f"| {name} | {median_ms(values):.0f} | {min(values) * 1000:.0f} | {max(values) * 1000:.0f} |")
    floor = statistics.median(gets) + statistics.median(recomputes)
    goal = statistics.median(visible) < 0.5
    print(
        f"\nRound trip {median_ms(visible):.0f} ms against a floor (GET + recompute) of {floor * 1000:.0f} ms "
        f"= {statistics.median(visible) / floor:.2f}x; goal < 500 ms: {'met' if goal else 'not met'}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
