"""Benchmark: a 100,000-row benchmark CSV imported end to end on PostgreSQL, beside COPY (the floor).

Run by hand: `.venv/bin/python -m bench.import_bench` (about a minute). It starts a throwaway
PostgreSQL cluster with production durability (tests.services.postgres_cluster(durable=True):
fsync, synchronous commit and full-page writes on, issue 16), then runs the Django part in a
child process whose DATABASE_URL points at it (the settings read it once, at django.setup()).
`--profile FILE` writes a cProfile of the first import to FILE (pstats format), of the other two
imports to FILE.again and FILE.corrected.

The data are synthetic: an institution of 20 colleges with 50 teams each and 25 indicators
(percentages, scores and counts), loaded through agenda.services.agenda_load, and a long-format
CSV of every (indicator, year, team) for 2019-2022: 25 x 4 x 1,000 = 100,000 rows, written the
way Dutch exports are (semicolons, decimal commas, some percent signs, a cohort size n).

Measured in one run, on the same cluster:
- first import: every value new (insert with history);
- the same file again: every value unchanged (flagged as a duplicate, nothing written);
- a corrected file: every value changed (replace with history);
- the floor: PostgreSQL's own COPY of the same resolved rows into a table LIKE the values table,
  and into tables LIKE the values and the history table together, measured before each import and
  after the last (the disk of a shared machine changes speed within minutes): each import is compared
  with the floors measured next to it.
The recompute that an import triggers runs afterwards, in a worker; its time is reported apart.
Beside each import: the child's peak resident memory during it (VmHWM, reset before each
import), and the peak of the whole child (getrusage ru_maxrss of the child process).
"""

import argparse
import cProfile
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLEGES = 20
TEAMS_PER_COLLEGE = 50
THEMES = 5
INDICATORS_PER_THEME = 5
YEARS = (2019, 2020, 2021, 2022)
UNITS = ("percent", "score", "count")
SEED = 2019
LIMIT_SECONDS = 10.0
GOAL_RATIO = 3.0  # issue 16: an import within 3x the COPY floor
MEMORY_LIMIT_MB = 500  # issue 16: peak memory of the import under 500 MB
FLOORS = ("copy_values", "copy_values_history", "copy_values_history_fk")


def agenda_dict() -> dict:
    """Return a synthetic agenda: 20 colleges x 50 teams, 5 themes x 5 indicators, 2019-2022."""
    colleges = [
        {
            "code": f"C{c:02d}",
            "name": f"Synthetisch college {c:02d}",
            "teams": [{"code": f"C{c:02d}-T{t:02d}", "name": f"Team {t:02d}"} for t in range(1, TEAMS_PER_COLLEGE + 1)],
        }
        for c in range(1, COLLEGES + 1)
    ]
    themes = []
    for k in range(1, THEMES + 1):
        indicators = []
        for i in range(INDICATORS_PER_THEME):
            unit = UNITS[(k + i) % 3]
            indicators.append(
                {
                    "code": f"{k}{'abcde'[i]}",
                    "name": f"Synthetische indicator {k}{'abcde'[i]}",
                    "unit": unit,
                    "polarity": "higher" if i % 2 == 0 else "lower",
                    "levels": ["team", "college", "institution"],
                    "baseline": {"year": 2018},
                    "ambitions": [
                        {"year": 2020, "type": "improve"},
                        {"year": 2022, "type": "maintain", "tolerance": 0.5, "indicative": True},
                    ],
                }
            )
        themes.append(
            {
                "code": f"T{k}",
                "name": f"Synthetisch thema {k}",
                "national": k <= 3,
                "budget_share_pct": 20,
                "ambition": "Synthetisch: alleen voor de benchmark.",
                "goals": ["Synthetisch doel."],
                "indicators": indicators,
            }
        )
    return {
        "institution": {"code": "BENCH", "name": "Synthetische benchmarkinstelling"},
        "period": {"start": 2019, "end": 2022},
        "colleges": colleges,
        "themes": themes,
        "budget": [
            {"year": year, "total_eur": 28_000_000, "result_dependent_pct": 25, "central_pct": 5} for year in YEARS
        ],
    }


def _value(rng: random.Random, unit: str, shift: int) -> str:
    """Return a value as a Dutch export writes it: decimal comma, sometimes a percent sign."""
    if unit == "count":
        return str(rng.randint(0, 500) + shift)
    if unit == "score":
        tenths = min(100, rng.randint(50, 85) + shift)
        return f"{tenths // 10},{tenths % 10}"
    tenths = min(1000, rng.randint(300, 950) + shift)
    text = f"{tenths // 10},{tenths % 10}"
    return text + "%" if rng.random() < 0.3 else text


def benchmark_csv(agenda: dict, shift: int = 0) -> bytes:
    """Return the long-format CSV of every (indicator, year, team); `shift` changes every value."""
    rng = random.Random(SEED)
    lines = ["jaar;indicator;college;team;waarde;n"]
    indicators = [(ind["code"], ind["unit"]) for theme in agenda["themes"] for ind in theme["indicators"]]
    for year in YEARS:
        for code, unit in indicators:
            for college in agenda["colleges"]:
                for team in college["teams"]:
                    lines.append(
                        f"{year};{code};{college['code']};{team['code']};{_value(rng, unit, shift)};{rng.randint(10, 300)}"
                    )
    return ("\n".join(lines) + "\n").encode("utf-8")


class _Clock:
    """Wall time per named phase, filled by wrappers around the pipeline's own functions."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # this process's CPU seconds per phase (time.process_time)

    def wrap(self, module, name: str, phase: str):
        """Replace module.name by a timed wrapper; return a function that restores it."""
        original = getattr(module, name)

        def timed(*args, **kwargs):
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started
                self.cpu[phase] = self.cpu.get(phase, 0.0) + time.process_time() - cpu_started

        setattr(module, name, timed)
        return lambda: setattr(module, name, original)


@contextmanager
def _phases(clock: _Clock):
    """Time parsing and validation+planning inside the real entry point, benchmark_import."""
    from indicatoren import services
    from invoer import uploads

    restore = [
        clock.wrap(uploads, "parse_benchmark", "parse"),
        clock.wrap(uploads, "_plan_parsed", "plan"),
        clock.wrap(uploads, "measurements_apply", "apply"),
        clock.wrap(services, "_store_postgresql", "copy"),
    ]
    try:
        yield
    finally:
        for undo in restore:
            undo()


def _reset_peak_memory() -> bool:
    """Reset this process's peak resident memory (Linux: clear_refs 5); return whether it could."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_memory_mb() -> float:
    """Return this process's peak resident memory in MB since the last reset (VmHWM), else since it started."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import(institution, data: bytes, filename: str, profile: str | None = None) -> dict:
    """Import a file through invoer.uploads.benchmark_import and return its phase times and peak memory."""
    from invoer.uploads import benchmark_import

    clock = _Clock()
    _reset_peak_memory()
    profiler = cProfile.Profile() if profile else None
    with _phases(clock):
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        upload = benchmark_import(
            institution=institution, data=data, filename=filename, channel="command", note="synthetische benchmarkdata"
        )
        if profiler:
            profiler.disable()
        total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        profiler.dump_stats(profile)
    parse, plan = clock.seconds.get("parse", 0.0), clock.seconds.get("plan", 0.0)
    return {
        "upload": upload.pk,
        "rows": upload.rows_total,
        "new": upload.rows_new,
        "changed": upload.rows_changed,
        "unchanged": upload.rows_unchanged,
        "duplicate_of": upload.duplicate_of_id,
        "run": upload.recompute_run_id,
        "parse": parse,
        "plan": plan,
        "store": total - parse - plan,
        "total": total,
        "cpu": cpu,
        "phases": {phase: [clock.seconds[phase], clock.cpu[phase]] for phase in clock.seconds},
        "peak_mb": _peak_memory_mb(),
    }


class _CopyFloor:
    """PostgreSQL's COPY of the same resolved rows into tables like ours, measured when asked (next to each import)."""

    def __init__(self, institution, data: bytes):
        from django.db import connection
        from django.utils import timezone

        from agenda.models import College, Indicator, Team

        indicators = dict(Indicator.objects.filter(institution=institution).values_list("code", "pk"))
        colleges = dict(College.objects.filter(institution=institution).values_list("code", "pk"))
        teams = dict(Team.objects.filter(institution=institution).values_list("code", "pk"))
        now = timezone.now().isoformat()
        self.values, self.history = io.StringIO(), io.StringIO()
        for number, line in enumerate(data.decode("utf-8").splitlines()[1:], start=1):
            year, code, college, team, value, n = line.split(";")
            value = value.rstrip("%").replace(",", ".")
            row = f"{indicators[code]}\t{year}\tteam\t{colleges[college]}\t{teams[team]}\t{value}\t{n}\t\tcopy\t\\N\t{now}\t\\N"
            self.values.write(row + "\n")
            self.history.write(f"{number}\t{row}\t{now}\t\\N\t+\t\\N\n")
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE floor_values (LIKE indicatoren_measurement INCLUDING ALL)")
            cursor.execute("CREATE TABLE floor_history (LIKE indicatoren_historicalmeasurement INCLUDING ALL)")
            # The same tables once more with their foreign keys as the real ones declare them (Django's:
            # DEFERRABLE INITIALLY DEFERRED, so PostgreSQL checks each row's keys at COMMIT): LIKE copies
            # indexes and checks but no foreign key, and an insert into the real tables pays for them.
            for real, copy in (
                ("indicatoren_measurement", "floor_values_fk"),
                ("indicatoren_historicalmeasurement", "floor_history_fk"),
            ):
                cursor.execute(f"CREATE TABLE {copy} (LIKE {real} INCLUDING ALL)")
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'f'",
                    [real],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {copy} ADD CONSTRAINT floor_{name} {definition}")
        self.runs: list[dict] = []

    def measure(self) -> dict:
        """Return the seconds of COPY into the values table alone, and into it and the history table, committed."""
        from django.db import connection, transaction

        columns = (
            "indicator_id, year, level, college_id, team_id, value, n, note, source, upload_id, updated_at, "
            "updated_by_id"
        )
        history_columns = f"id, {columns}, history_date, history_change_reason, history_type, history_user_id"
        result = {}
        for label, targets in (
            ("copy_values", [("floor_values", columns, self.values)]),
            (
                "copy_values_history",
                [("floor_values", columns, self.values), ("floor_history", history_columns, self.history)],
            ),
            (
                "copy_values_history_fk",
                [("floor_values_fk", columns, self.values), ("floor_history_fk", history_columns, self.history)],
            ),
        ):
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE floor_values, floor_history, floor_values_fk, floor_history_fk")
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                for table, names, buffer in targets:
                    buffer.seek(0)
                    cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)
            result[label] = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE floor_values, floor_history, floor_values_fk, floor_history_fk")
        self.runs.append(result)
        return result


def child(profile: str | None = None) -> None:
    """Set up Django on the cluster, build the institution, run the imports and COPY; print JSON."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from agenda.services import agenda_load
    from indicatoren.models import Measurement
    from rapportage.services import recompute_run

    call_command("migrate", verbosity=0)
    agenda = agenda_dict()
    institution = agenda_load(data=agenda, source="bench").institution
    first, corrected = benchmark_csv(agenda), benchmark_csv(agenda, shift=1)
    results = {"postgres": connection.cursor().connection.server_version, "bytes": len(first)}

    # The floor is measured right before each import and once after the last: on a shared machine
    # the disk's speed moves by several times within minutes, so each import is compared with the
    # floor measured next to it, and the summary with the median of all of them.
    floor = _CopyFloor(institution, first)
    floor.measure()
    results["first"] = _import(institution, first, "benchmark-2019-2022.csv", profile)
    started = time.perf_counter()
    run = recompute_run(run_id=results["first"]["run"])
    results["recompute"] = {"seconds": time.perf_counter() - started, "state": run.state if run else None}
    floor.measure()
    results["again"] = _import(institution, first, "benchmark-2019-2022-opnieuw.csv", profile and f"{profile}.again")
    floor.measure()
    results["corrected"] = _import(
        institution, corrected, "benchmark-2019-2022-correctie.csv", profile and f"{profile}.corrected"
    )
    floor.measure()
    results["measurements"] = Measurement.objects.filter(indicator__institution=institution).count()
    results["history"] = Measurement.history.filter(indicator__institution=institution).count()
    for position, key in enumerate(("first", "again", "corrected")):
        # The floors just before and just after the import: their mean is the import's own floor.
        around = floor.runs[position : position + 2]
        results[key]["floor"] = {label: sum(run[label] for run in around) / len(around) for label in FLOORS}
    results["floors"] = floor.runs
    for label in FLOORS:
        results[label] = statistics.median(run[label] for run in floor.runs)
    print("RESULT " + json.dumps(results))


def _ms(seconds: float) -> str:
    """Return seconds as milliseconds with a thousands separator."""
    return f"{seconds * 1000:,.0f} ms"


def report(results: dict) -> str:
    """Return the markdown tables of the run."""
    floor, floor_history = results["copy_values"], results["copy_values_history"]
    labels = (
        ("first", "first import (insert + history)"),
        ("again", "same file again (duplicate)"),
        ("corrected", "corrected file (replace + history)"),
    )
    lines = [
        f"100,000-row long-format CSV ({results['bytes'] / 1e6:.1f} MB), PostgreSQL {results['postgres']}, "
        f"{os.cpu_count()} cores; limit {LIMIT_SECONDS:.0f} s end to end; goal <= {GOAL_RATIO:.0f}x the COPY floor, "
        f"peak memory < {MEMORY_LIMIT_MB} MB.",
        f"PostgreSQL durability: {results['durability']}.",
        f"Load average before / after: {results['load_before']} / {results['load_after']}.",
        "",
        "| import | rows new / changed / unchanged | parse | validate+plan | store | total | its COPY floor | ratio | "
        "its COPY values + history | ratio | the same with foreign keys | ratio | Python CPU | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, label in labels:
        r = results[key]
        own, own_history, own_fk = (r["floor"][name] for name in FLOORS)
        lines.append(
            f"| {label} | {r['new']:,} / {r['changed']:,} / {r['unchanged']:,} | {_ms(r['parse'])} | {_ms(r['plan'])} | "
            f"{_ms(r['store'])} | **{_ms(r['total'])}** | {_ms(own)} | **{r['total'] / own:.1f}x** | "
            f"{_ms(own_history)} | {r['total'] / own_history:.1f}x | {_ms(own_fk)} | {r['total'] / own_fk:.1f}x | "
            f"{_ms(r['cpu'])} | {r['peak_mb']:,.0f} MB |"
        )
    lines += [
        "",
        "Wall / CPU of the importing process per phase (parse, plan, the write service and, inside it, the store):",
        "",
        "| import | parse | plan | measurements_apply | of which the store (COPY, UPDATE) | rest (record, commit) |",
        "|---|---|---|---|---|---|",
    ]
    for key, label in labels:
        r = results[key]
        phases = r["phases"]
        cells = [
            f"{_ms(phases[name][0])} / {_ms(phases[name][1])}" if name in phases else "-"
            for name in ("parse", "plan", "apply", "copy")
        ]
        known = [sum(phases[name][i] for name in ("parse", "plan", "apply") if name in phases) for i in (0, 1)]
        cells.append(f"{_ms(r['total'] - known[0])} / {_ms(r['cpu'] - known[1])}")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    floors = ", ".join(" / ".join(_ms(run[name]) for name in FLOORS) for run in results["floors"])
    lines += [
        "",
        f"COPY floor: the same 100,000 resolved rows into a table LIKE indicatoren_measurement (INCLUDING ALL: the "
        "same indexes and checks, no foreign keys), committed; into it and a table LIKE its history table; and into "
        "both with the real tables' foreign keys added (deferred, as Django declares them: checked at COMMIT). "
        f"Measured before each import and after the last (values / values + history / with foreign keys): {floors}; "
        f"median {_ms(floor)} / {_ms(floor_history)} / {_ms(results['copy_values_history_fk'])}. Each import is "
        "compared with the mean of the floors just before and after it.",
        f"Recompute after the first import (worker, not part of the import): {_ms(results['recompute']['seconds'])} "
        f"({results['recompute']['state']}).",
        f"Stored afterwards: {results['measurements']:,} values, {results['history']:,} history rows.",
        "Python CPU: the CPU seconds of the importing process itself (time.process_time), which a busy "
        "machine stretches less than wall time; PostgreSQL's own work is not in it.",
        f"Peak resident memory of the whole benchmark process (getrusage of the child, set-up and floor "
        f"included): {results['child_peak_mb']:,.0f} MB.",
    ]
    for key in ("first", "corrected"):
        # The goal's floor is COPY of the same rows into the tables the import must write, with their
        # foreign keys (the lead's decision, docs/benchmarks.md 11.0); the values-only ratio beside it.
        ratio = results[key]["total"] / results[key]["floor"]["copy_values_history_fk"]
        values_only = results[key]["total"] / results[key]["floor"]["copy_values"]
        met = ratio <= GOAL_RATIO and results[key]["peak_mb"] < MEMORY_LIMIT_MB
        lines.append(
            f"Goal ({key}): {ratio:.1f}x its COPY floor of values + history with foreign keys (<= {GOAL_RATIO:.0f}x; "
            f"{values_only:.1f}x the values-only COPY, {results[key]['total'] / floor:.1f}x its median), "
            f"{results[key]['peak_mb']:,.0f} MB (< {MEMORY_LIMIT_MB} MB): {'met' if met else 'NOT met'}."
        )
    return "\n".join(lines)


def main() -> int:
    """Start PostgreSQL, run the child on it, print the table; exit 1 when an import is over the limit."""
    from tests.services import postgres_cluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of each import to FILE(.again, .corrected)")
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.profile)
        return 0
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with postgres_cluster(durable=True) as pg, tempfile.TemporaryDirectory(prefix="kwaliteit-bench-") as media:
        env = {
            **os.environ,
            "DATABASE_URL": pg["url"],
            "DJANGO_SETTINGS_MODULE": "kwaliteit.settings",
            # Production settings: DEBUG off (no query log); recompute queued, not run eagerly in the import.
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-not-secret",
            "CELERY_BROKER_URL": "memory://",
            "MEDIA_ROOT": media,
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "bench.import_bench", "--child"]
        if arguments.profile:
            command += ["--profile", str(Path(arguments.profile).resolve())]
        process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if process.returncode != 0:
            sys.stderr.write(process.stdout + process.stderr)
            return process.returncode
        line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT "))
        results = json.loads(line.removeprefix("RESULT "))
    results.update(
        durability=pg["durability"],
        load_before=load_before,
        load_after=" ".join(f"{x:.2f}" for x in os.getloadavg()),
        child_peak_mb=child_peak_mb,
    )
    print(f"PostgreSQL: {pg['version']}")
    print(report(results))
    slow = [key for key in ("first", "corrected") if results[key]["total"] > LIMIT_SECONDS]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
