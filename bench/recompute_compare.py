"""Recompute before and after issue 11 (agenda fidelity), on the ROCvAF demo, in one run.

Run by hand: `.venv/bin/python -m bench.recompute_compare [--before COMMIT] [--repeats N]` (a few
minutes). Issue 11 taught the engine teams over time, applicability per college, baselines per
year and the reserve ledger; its "Done when" asks that the recompute did not get slower by more
than 10 %. This compares the code before those changes (`--before`, default 297ac32, the last
commit before them) with the code after (`--after`, default HEAD), each in its own git worktree
under a temporary directory (`git worktree add --detach`, removed at the end) with a `.venv`
symlink to this checkout's. Both are commits, so work in progress in this checkout is not
measured; `--after-checkout` measures the working tree of this checkout instead.

Per side, in child processes with the side's worktree as cwd and `DATABASE_URL` set to a SQLite
file of its own in the temporary directory (set before Django starts; `CELERY_BROKER_URL` and
`REDIS_URL` unset, so tasks run in-process; DEBUG off, so Django keeps no query log):

1. setup: `manage.py migrate`, `load_agenda agenda/agendas/rocvaf-2019-2022.yaml`, `demo_setup`
   (the SYNTHETIC ROCvAF demo: 12 colleges, about 107 teams, about 8,000 values), each side
   with its own version of the commands;
2. then `--repeats` rounds, alternating before and after, each round one fresh child per side
   (python -c RUNNER: django.setup(), one untimed warm-up of each figure, then `--inner` timed
   runs of each, median within the child) measuring wall clock (time.perf_counter) and CPU
   time of the process (time.process_time) of:
   - `rapportage.services.recompute_now(institution=ROCVAF, reason="bench")`: read, compute,
     store, as a worker does;
   - `rapportage.services.evaluate_institution(ROCVAF)`: read + compute, nothing stored;
   - `rapportage.selectors.engine_inputs(ROCVAF)`: the read alone;
   - `rapportage.services._budgets(...)` on the computed statuses: split, reserve ledger, payloads;
   - the floor: a bare pandas `groupby(["indicator", "year", "college"])["value"].mean()` over
     `rapportage.selectors.measurements_frame` of all the institution's indicators (values as
     float64), so every round has a floor measured in the same process.

With `--instructions K`, before the rounds, each side is also run under valgrind's callgrind
(Debian package valgrind): a child with one warm-up recompute and K more, and one with the
warm-up alone; their difference over K is the instructions per recompute_now. That count does
not depend on the machine's load (the same total twice, docs/benchmarks.md section 7d), which
the CPU-time medians on a shared 2-core machine do.

The figures are medians over the rounds. The verdict is on the CPU-time medians of
recompute_now, which are steadier than wall clock on a shared 2-core machine; wall clock is
shown too, with two cross-checks (median of the per-round ratios, ratio of the fastest rounds)
and the sizes of what is stored. If the after side is more than 10 % slower (`--profile`: always),
both sides' evaluate_institution is profiled with cProfile (CPU-time timer): the after side's top
10 by cumulative time, the project's functions of both sides side by side, and the SQL queries and
Python function calls per evaluate_institution, which do not depend on the machine's load.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.engine_bench import cpu_model

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BEFORE = "297ac32"
AGENDA_FILE = "agenda/agendas/rocvaf-2019-2022.yaml"
INSTITUTION = "ROCVAF"
LIMIT = 1.10  # after / before, on CPU time of recompute_now
SIDES = ("before", "after")

# The child of one round, run with `python -c` in the side's worktree (the before commit has no
# bench/recompute_compare.py, so the runner travels as text). Prints one JSON line.
RUNNER = r"""
import gc, json, os, statistics, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kwaliteit.settings")
import django
django.setup()
from agenda.models import Indicator, Institution
from rapportage import selectors, services
from rapportage.choices import Version
from rapportage.models import BudgetResult, IndicatorResult

inner = int(sys.argv[1])
institution = Institution.objects.get(code=sys.argv[2])
ids = list(Indicator.objects.filter(institution=institution).values_list("pk", flat=True))
frame = selectors.measurements_frame(ids)
floor_frame = frame.assign(value=frame["value"].astype("float64"))
computed = services.evaluate_institution(institution)

def recompute():
    run = services.recompute_now(institution=institution, reason="bench")
    assert run.state == "done", (run.state, run.error)

figures = {
    "recompute_now": recompute,
    "evaluate_institution": lambda: services.evaluate_institution(institution),
    "engine_inputs": lambda: selectors.engine_inputs(institution),
    "budgets": lambda: services._budgets(institution, computed["inputs"], computed["statuses"][Version.CURRENT], {}),
    "floor": lambda: floor_frame.groupby(["indicator", "year", "college"])["value"].mean(),
}
wall = {name: [] for name in figures}
cpu = {name: [] for name in figures}
for name, function in figures.items():
    function()  # warm-up: imports, caches, the first query plans
for _ in range(inner):
    for name, function in figures.items():
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall[name].append(time.perf_counter() - started)
        cpu[name].append(time.process_time() - started_cpu)
out = {name: [statistics.median(wall[name]), statistics.median(cpu[name])] for name in figures}
out["rows"] = len(frame)
out["floor_groups"] = len(floor_frame.groupby(["indicator", "year", "college"])["value"].mean())
out["results"] = IndicatorResult.objects.filter(institution=institution).count()
out["budget_results"] = BudgetResult.objects.filter(institution=institution).count()
out["status_bytes"] = sum(
    len(json.dumps(p)) for p in IndicatorResult.objects.filter(institution=institution).values_list("payload", flat=True)
)
out["budget_bytes"] = sum(
    len(json.dumps(p)) for p in BudgetResult.objects.filter(institution=institution).values_list("payload", flat=True)
)
print(json.dumps(out))
"""

PROFILER = r"""
import cProfile, io, json, os, pstats, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kwaliteit.settings")
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from agenda.models import Institution
from rapportage import services

institution = Institution.objects.get(code=sys.argv[1])
with CaptureQueriesContext(connection) as queries:
    services.evaluate_institution(institution)  # also the warm-up
# CPU time of the process as the timer: less disturbed by other jobs than wall clock.
profile = cProfile.Profile(time.process_time)
profile.enable()
for _ in range(3):
    services.evaluate_institution(institution)
profile.disable()
text = io.StringIO()
pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(10)
# Cumulative seconds per function of the project (not the venv), keyed by path and name (line
# numbers differ between the sides), to set the two sides side by side.
cwd = os.getcwd() + os.sep
own = {}
for (filename, _, name), (_, _, _, cumulative, _) in pstats.Stats(profile).stats.items():
    if filename.startswith(cwd) and ".venv" not in filename:
        key = filename[len(cwd):] + ":" + name
        own[key] = max(own.get(key, 0.0), cumulative)
calls = sum(row[1] for row in pstats.Stats(profile).stats.values()) // 3
print(json.dumps({"text": text.getvalue(), "own": own, "queries": len(queries), "calls": calls}))
"""


# The child of an instruction count: warm up with one recompute, then `argv[1]` more. Run under
# valgrind's callgrind, which counts the instructions executed, whatever else the machine does.
COUNT_RUNNER = r"""
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kwaliteit.settings")
import django
django.setup()
from agenda.models import Institution
from rapportage import services
institution = Institution.objects.get(code=sys.argv[2])
services.recompute_now(institution=institution, reason="bench")
for _ in range(int(sys.argv[1])):
    services.recompute_now(institution=institution, reason="bench")
"""


def instructions(code: Path, env: dict, recomputes: int, tmp: Path) -> int:
    """Return the instructions callgrind counts for a child doing `recomputes` recomputes after its warm-up."""
    out = tmp / f"callgrind-{code.name}-{recomputes}"
    python = str(code / ".venv" / "bin" / "python")
    # PYTHONHASHSEED fixed: set and dict iteration orders, and so the instruction count, repeat.
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", python, "-c", COUNT_RUNNER]
    process = subprocess.run(
        [*command, str(recomputes), INSTITUTION],
        cwd=code,
        env={**env, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
    )
    if process.returncode != 0:
        sys.exit(f"callgrind failed in {code}:\n{process.stderr[-3000:]}")
    out.unlink(missing_ok=True)
    return int(re.search(r"Collected : (\d+)", process.stderr)[1])


def instruction_report(counts: dict[str, dict[int, int]], recomputes: int) -> tuple[str, float]:
    """Return the Markdown table of instructions per recompute_now, and the after/before ratio."""
    per = {side: (counts[side][recomputes] - counts[side][0]) / recomputes for side in SIDES}
    ratio = per["after"] / per["before"]
    lines = [
        "| what | before | after | after/before |",
        "|---|---:|---:|---:|",
        "| instructions per recompute_now (callgrind) | "
        + " | ".join(f"{per[side] / 1e6:,.0f} M" for side in SIDES)
        + f" | {ratio:.3f} |",
        "| instructions of start-up and warm-up (the floor of each count) | "
        + " | ".join(f"{counts[side][0] / 1e6:,.0f} M" for side in SIDES)
        + f" | {counts['after'][0] / counts['before'][0]:.3f} |",
    ]
    return "\n".join(lines), ratio


def machine() -> str:
    """Return one line about the machine, its load and Python."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu_model()}, nproc {os.cpu_count()}, load average {load}; Python {platform.python_version()}"


def git(*arguments: str) -> str:
    """Run git in this checkout and return its stdout, stripped."""
    return subprocess.run(["git", *arguments], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


# Creates one database in the cluster (argv: server URL, name); psycopg2 as the project uses it.
CREATE_DATABASE = """
import sys, psycopg2
connection = psycopg2.connect(sys.argv[1])
connection.autocommit = True
connection.cursor().execute('CREATE DATABASE "%s"' % sys.argv[2])
"""


def side_env(database_url: str) -> dict:
    """Return the environment of a side's children: its own database, tasks in-process."""
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "REDIS_URL", "DATABASE_URL"}}
    env["DATABASE_URL"] = database_url
    # As engine_bench: DEBUG off, so Django keeps no query log (a worker's settings).
    env["DEBUG"] = "false"
    env["SECRET_KEY"] = "bench-only-not-secret"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run_child(arguments: list[str], cwd: Path, env: dict) -> str:
    """Run one child in `cwd` and return its stdout; stop with its output if it fails."""
    process = subprocess.run(arguments, cwd=cwd, env=env, capture_output=True, text=True)
    if process.returncode != 0:
        sys.exit(f"failed in {cwd}: {' '.join(arguments[:4])}\n{process.stdout[-3000:]}\n{process.stderr[-3000:]}")
    return process.stdout


def setup(code: Path, env: dict) -> float:
    """Create the demo database of one side; return the seconds it took."""
    python = str(code / ".venv" / "bin" / "python")
    started = time.perf_counter()
    for command in (["migrate", "--noinput"], ["load_agenda", AGENDA_FILE], ["demo_setup"]):
        run_child([python, "manage.py", *command], code, env)
    return time.perf_counter() - started


def ms(seconds: float) -> str:
    """Return seconds as whole milliseconds (one decimal below 10 ms)."""
    value = seconds * 1000
    return f"{value:,.1f} ms" if value < 10 else f"{value:,.0f} ms"


def report(figures: dict, counts: dict, labels: dict, command: str, repeats: int, inner: int) -> tuple[str, float]:
    """Return the markdown table with its verdict, and after/before of recompute_now's CPU time."""
    med = {
        side: {
            name: (
                statistics.median(r[name][0] for r in figures[side]),
                statistics.median(r[name][1] for r in figures[side]),
            )
            for name in ("recompute_now", "evaluate_institution", "engine_inputs", "budgets", "floor")
        }
        for side in SIDES
    }
    rows = [
        ("recompute_now end to end (read, compute, store)", "recompute_now"),
        ("  read + compute: evaluate_institution", "evaluate_institution"),
        ("  of which read: engine_inputs", "engine_inputs"),
        ("  of which budgets: services._budgets (split, ledger, payloads)", "budgets"),
        ("floor: bare groupby mean over measurements_frame", "floor"),
    ]
    lines = [
        f"`{command}`",
        "",
        f"- before: {labels['before']}",
        f"- after: {labels['after']}",
        "",
        f"Medians over {repeats} rounds, alternating before/after, one fresh process per side and round "
        f"(median of {inner} runs after a warm-up); SQLite, ROCvAF demo.",
        "",
        "| what | before | after | after/before |",
        "|---|---:|---:|---:|",
    ]
    for title, name in rows:
        for kind, i in (("CPU", 1), ("wall", 0)):
            b, a = med["before"][name][i], med["after"][name][i]
            lines.append(f"| {title}, {kind} | {ms(b)} | {ms(a)} | {a / b:.2f} |")
    for kind, i in (("CPU", 1), ("wall", 0)):
        b = med["before"]["recompute_now"][i] - med["before"]["evaluate_institution"][i]
        a = med["after"]["recompute_now"][i] - med["after"]["evaluate_institution"][i]
        lines.append(
            f"|   store etc.: recompute_now - evaluate_institution (medians), {kind} | {ms(b)} | {ms(a)} | {a / b:.2f} |"
        )
    for kind, i in (("CPU", 1), ("wall", 0)):
        rb = med["before"]["recompute_now"][i] / med["before"]["floor"][i]
        ra = med["after"]["recompute_now"][i] / med["after"]["floor"][i]
        lines.append(f"| recompute_now / floor, {kind} | {rb:.0f}x | {ra:.0f}x | {ra / rb:.2f} |")
    for title, key in (
        ("rows in measurements_frame", "rows"),
        ("groups in the floor's groupby", "floor_groups"),
        ("status payloads stored (both versions)", "results"),
        ("budget payloads stored", "budget_results"),
        ("JSON of the status payloads, bytes", "status_bytes"),
        ("JSON of the budget payloads, bytes", "budget_bytes"),
    ):
        b, a = counts["before"][key], counts["after"][key]
        lines.append(f"| {title} | {b:,} | {a:,} | {a / b:.2f} |")

    ratio = med["after"]["recompute_now"][1] / med["before"]["recompute_now"][1]
    wall_ratio = med["after"]["recompute_now"][0] / med["before"]["recompute_now"][0]
    spread = {side: sorted(round(r["recompute_now"][1] * 1000) for r in figures[side]) for side in SIDES}
    # Two cross-checks less sensitive to the machine's load drifting during the run: the median of
    # the per-round ratios (both sides of a round ran back to back) and the ratio of the minima.
    paired = statistics.median(
        a["recompute_now"][1] / b["recompute_now"][1] for b, a in zip(figures["before"], figures["after"], strict=True)
    )
    fastest = min(r["recompute_now"][1] for r in figures["after"]) / min(
        r["recompute_now"][1] for r in figures["before"]
    )
    lines += [
        "",
        f"recompute_now CPU time per round (ms, sorted): before {spread['before']}, after {spread['after']}",
        f"Cross-checks on CPU time: median of the per-round after/before ratios {paired:.2f}; "
        f"fastest round after / fastest before {fastest:.2f}.",
        "",
        f"Verdict: recompute_now after/before = {ratio:.3f} on median CPU time ({wall_ratio:.2f} on wall clock): "
        + (
            f"**slower by more than 10 %** (+{(ratio - 1) * 100:.1f} %)."
            if ratio > LIMIT
            else f"not slower by more than 10 % ({(ratio - 1) * 100:+.1f} %)."
        ),
    ]
    return "\n".join(lines), ratio


def profiles(code: dict, envs: dict) -> str:
    """Return the after side's cProfile of evaluate_institution, and its own functions beside the before side's."""
    found = {}
    for side in SIDES:
        python = str(code[side] / ".venv" / "bin" / "python")
        out = run_child([python, "-c", PROFILER, INSTITUTION], code[side], envs[side])
        found[side] = json.loads(out.strip().splitlines()[-1])
    lines = [
        "Per evaluate_institution, counted (independent of the machine's load): SQL queries before "
        f"{found['before']['queries']}, after {found['after']['queries']}; Python function calls before "
        f"{found['before']['calls']:,}, after {found['after']['calls']:,}.",
        "",
        "cProfile (timer: CPU time of the process) of the after side: 3 x evaluate_institution after a warm-up,"
        " top 10 by cumulative time:",
        "",
        "```",
        found["after"]["text"].strip(),
        "```",
        "",
        "The project's own functions, cumulative CPU seconds over 3 runs, each side profiled once, one after"
        " the other (top 15 of the after side; 'new' = not in the before code):",
        "",
        "| function | before | after | after - before |",
        "|---|---:|---:|---:|",
    ]
    before, after = found["before"]["own"], found["after"]["own"]
    for key in sorted(after, key=after.get, reverse=True)[:15]:
        b = before.get(key)
        lines.append(
            f"| `{key}` | {'new' if b is None else f'{b:.3f}'} | {after[key]:.3f} | {after[key] - (b or 0.0):+.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="commit before issue 11 (default %(default)s)")
    parser.add_argument("--after", default="HEAD", help="commit after issue 11 (default %(default)s)")
    parser.add_argument(
        "--after-checkout", action="store_true", help="measure this checkout's working tree as the after side"
    )
    parser.add_argument("--repeats", type=int, default=7, help="rounds, alternating before/after (default 7)")
    parser.add_argument("--inner", type=int, default=3, help="timed runs per figure within a child (default 3)")
    parser.add_argument("--profile", action="store_true", help="always profile the after side's evaluate_institution")
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite files"
    )
    parser.add_argument(
        "--instructions",
        type=int,
        default=0,
        metavar="K",
        help="also count instructions with callgrind: a child with K recomputes against one with none",
    )
    args = parser.parse_args()

    commits = {"before": git("rev-parse", "--verify", f"{args.before}^{{commit}}")}
    if not args.after_checkout:
        commits["after"] = git("rev-parse", "--verify", f"{args.after}^{{commit}}")
    labels = {
        side: f"{commit[:10]}, {git('log', '-1', '--format=%cs: %s', commit)}" for side, commit in commits.items()
    }
    if args.after_checkout:
        dirty = "with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "clean"
        labels["after"] = f"the working tree of {ROOT} at {git('rev-parse', '--short', 'HEAD')} ({dirty})"

    print(machine(), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="recompute_compare-"))
    code: dict[str, Path] = {}
    stack = contextlib.ExitStack()
    try:
        for side, commit in commits.items():
            tree = tmp / side
            git("worktree", "add", "--detach", str(tree), commit)
            (tree / ".venv").symlink_to(ROOT / ".venv")
            code[side] = tree
        if args.after_checkout:
            code["after"] = ROOT
        if args.postgres:
            # Production's database: a throwaway cluster (tests/services.py), one database per side.
            from tests.services import postgres_cluster

            cluster = stack.enter_context(postgres_cluster())
            print(f"PostgreSQL: {cluster['version']} on 127.0.0.1:{cluster['port']}", flush=True)
            server = cluster["url"].rsplit("/", 1)[0]
            for side in SIDES:
                subprocess.run(
                    [sys.executable, "-c", CREATE_DATABASE, cluster["url"], f"bench_{side}"], check=True, cwd=ROOT
                )
            envs = {side: side_env(f"{server}/bench_{side}") for side in SIDES}
        else:
            envs = {side: side_env(f"sqlite:///{tmp / f'{side}.sqlite3'}") for side in SIDES}
        for side in SIDES:
            seconds = setup(code[side], envs[side])
            print(f"setup {side} ({code[side]}): migrate, load_agenda, demo_setup in {seconds:.0f} s", flush=True)

        if args.instructions:
            counts = {side: {} for side in SIDES}
            for recomputes in (0, args.instructions):
                for side in SIDES:
                    counts[side][recomputes] = instructions(code[side], envs[side], recomputes, tmp)
                    print(f"callgrind {side}, {recomputes} recomputes: {counts[side][recomputes]:,}", flush=True)
            table, ratio = instruction_report(counts, args.instructions)
            print()
            print(table)
            print(f"\nVerdict on instructions: after/before = {ratio:.3f} (limit {LIMIT:.2f}).", flush=True)
        figures: dict[str, list] = {side: [] for side in SIDES}
        for round_ in range(args.repeats):
            # Alternate which side goes first, so a drift in the machine's load hits both alike.
            order = SIDES if round_ % 2 == 0 else tuple(reversed(SIDES))
            for side in order:
                python = str(code[side] / ".venv" / "bin" / "python")
                out = run_child([python, "-c", RUNNER, str(args.inner), INSTITUTION], code[side], envs[side])
                figures[side].append(json.loads(out.strip().splitlines()[-1]))
            print(
                f"round {round_ + 1}/{args.repeats}: recompute_now CPU "
                + ", ".join(f"{side} {ms(figures[side][-1]['recompute_now'][1])}" for side in SIDES),
                flush=True,
            )
        counts = {side: figures[side][-1] for side in SIDES}
        command = ".venv/bin/python -m bench.recompute_compare " + " ".join(sys.argv[1:])
        text, ratio = report(figures, counts, labels, command.strip(), args.repeats, args.inner)
        print()
        print(machine())
        print()
        print(text)
        if args.profile or ratio > LIMIT:
            print()
            print(profiles(code, envs))
    finally:
        for tree in code.values():
            if tree != ROOT:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
        stack.close()


if __name__ == "__main__":
    main()
