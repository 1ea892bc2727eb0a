"""Benchmark of the engine (issue 3 item 7): one institution (S) and the whole sector (L), in one run.

Run by hand: `.venv/bin/python -m bench.engine_bench` (about five minutes; `--quick` leaves out the
database runs at size L). Data: bench.engine_data, SYNTHETIC institutions shaped like ROCvAF
(12 colleges x 10-13 teams x 15 indicators x 2015-2022): S is one (about 14,000 measurements),
L is 65 (about 960,000). Every figure is measured for the code before the optimisation
(bench.engine_baseline, read from git) and the current code, alternating, in the same run:

1. engine: aggregate + judge of every indicator in the 4 agenda years, both ambition versions
   (current and original), as `evaluate_institution` does; also the current version alone;
2. STATUS payloads (the JSON stored per indicator and year) for both versions;
3. the row-by-row reference of the property tests (tests/rapportage/engine/rowwise.py), both versions;
4. the floor: a bare `groupby(["indicator", "year", "college"])["value"].mean()` over the same rows;
5. end to end: `rapportage.services.attainment_recompute` of one institution (read, compute, store)
   on SQLite and on PostgreSQL (a throwaway cluster), each in a child process whose DATABASE_URL
   is set before django.setup(): size S, and at size L per institution plus all 65 in turn;
6. the sector through the worker (issue 16; `--sector-only` runs just this): bench.engine_db
   --worker-sector stores the 65 institutions on a durable PostgreSQL, starts Redis and a Celery
   worker (2 processes), and times from a sector-wide import's commit until every run is done,
   beside its floor in the same run (COPY TO of the rows + COPY FROM of the stored results' bytes)
   and the worker's peak memory. Goals: < 3 s, <= 3x the floor, < 500 MB.

Figures are medians of several repetitions, wall clock and CPU time of this process (the machine
is shared: CPU time is the steadier of the two). Goals: one institution end to end < 0.5 s; the
sector's engine time < 5 s and within 10x of the bare groupby.
"""

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench import engine_baseline
from bench.engine_data import AGENDA_YEARS, engine_frames, sector
from rapportage.engine import attainment, payload

ROOT = Path(__file__).resolve().parent.parent
GOAL_END_TO_END_S = 0.5
GOAL_SECTOR_ENGINE_S = 5.0
GOAL_FLOOR_RATIO = 10.0
VERSIONS = ("current", "original")


def cpu_model() -> str:
    """Return the CPU's model name from /proc/cpuinfo, or "unknown CPU"."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def machine() -> str:
    """Return one line about the machine and the library versions."""
    model = cpu_model()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} cores, load average {load}; Python {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}"
    )


def measure(functions: dict, repeats: int) -> dict:
    """Return {name: (median wall s, median CPU s)}, running the functions in turn `repeats` times."""
    wall = {name: [] for name in functions}
    cpu = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            # Start each run with the garbage of the previous one collected, as timeit does.
            gc.collect()
            started, started_cpu = time.perf_counter(), time.process_time()
            function()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in functions}


def _metas(frames) -> dict:
    """Return synthetic code and name lookups for the payload builder."""
    teams = frames.measurements["team"].dropna().unique()
    return {
        "indicators": {
            int(i): {"code": f"I{i}", "name": f"Indicator {i}", "theme": "T1", "polarity": "higher"}
            for i in frames.indicators["indicator"]
        },
        "colleges": {int(c): {"code": f"C{c:05d}", "name": f"College {c}"} for c in frames.colleges["college"]},
        "teams": {int(t): f"T{t:06d}" for t in teams},
    }


# STATUS fields the baseline writes in other words on purpose: `distance` phrases the institution
# level's margin or shortfall beside the colleges' since issue 15 (item 2).
REWORDED = frozenset({"distance"})


def _baseline_shape(body, shape):
    """Return `body` with only the keys `shape` has, at every level, REWORDED left out."""
    if isinstance(shape, dict):
        return {
            key: _baseline_shape(body.get(key) if isinstance(body, dict) else None, value)
            for key, value in shape.items()
            if key not in REWORDED
        }
    if isinstance(shape, list) and isinstance(body, list) and len(body) == len(shape):
        return [_baseline_shape(item, like) for item, like in zip(body, shape, strict=True)]
    return body


def _same_as_baseline(old_bodies: dict, new_bodies: dict) -> bool:
    """Return whether the new STATUS bodies say what the baseline's say, byte for byte, in the baseline's fields.

    Later issues added fields (contracts.md: extend, never rename), which the baseline cannot
    have; they are left out, as are the REWORDED ones. Every verdict, number and other text counts.
    """
    return list(old_bodies) == list(new_bodies) and all(
        json.dumps(_baseline_shape(new_bodies[key], body)) == json.dumps(_baseline_shape(body, body))
        for key, body in old_bodies.items()
    )


def engine_figures(frames, repeats: int, reference_repeats: int) -> dict:
    """Return the in-process figures of one size: engine, payloads, reference, floor."""
    from tests.rapportage.engine import rowwise

    old = engine_baseline.load().engine
    m, ind, amb, col = frames.measurements, frames.indicators, frames.ambitions, frames.colleges

    def old_engine(versions=VERSIONS):
        agg = old.attainment.aggregate(m)
        return [old.attainment.judge(agg, ind, amb[v], col, AGENDA_YEARS) for v in versions]

    def new_engine(versions=VERSIONS):
        agg = attainment.aggregate(m)
        setup = attainment.judge_setup(agg, ind, col, AGENDA_YEARS)
        return [attainment.judge_with(setup, amb[v]) for v in versions]

    figures = measure(
        {
            "engine_baseline": old_engine,
            "engine_optimised": new_engine,
            "current_baseline": lambda: old_engine(VERSIONS[:1]),
            "current_optimised": lambda: new_engine(VERSIONS[:1]),
            "floor": lambda: m.groupby(["indicator", "year", "college"])["value"].mean(),
        },
        repeats,
    )
    metas = _metas(frames)
    old_att, new_att = old_engine(), new_engine()
    figures.update(
        measure(
            {
                "payload_baseline": lambda: [old.payload.status_payloads(a, **metas) for a in old_att],
                "payload_optimised": lambda: [payload.status_payloads(a, **metas) for a in new_att],
            },
            repeats,
        )
    )
    figures.update(
        measure(
            {"reference": lambda: [rowwise.evaluate(m, ind, amb[v], col, AGENDA_YEARS) for v in VERSIONS]},
            reference_repeats,
        )
    )
    # The optimised engine must say what the baseline said: same verdicts, same payloads.
    same = all(
        _same_as_baseline(old.payload.status_payloads(a, **metas), payload.status_payloads(b, **metas))
        for a, b in zip(old_att, new_att, strict=True)
    )
    figures["rows"] = len(m)
    figures["same_payloads"] = same
    return figures


def db_figures(database: str, size: str, repeats: int, sector_pass: bool) -> dict:
    """Run bench.engine_db in a child process on a fresh SQLite file or PostgreSQL cluster."""
    from tests.services import postgres_cluster

    arguments = [sys.executable, "-m", "bench.engine_db", "--size", size, "--repeats", str(repeats)]
    if sector_pass:
        arguments.append("--sector-pass")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kwaliteit.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-not-secret",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_BROKER_URL", None)
    with tempfile.TemporaryDirectory(prefix="kwaliteit-engine-bench-") as directory:
        if database == "sqlite":
            return _child(arguments, {**env, "DATABASE_URL": f"sqlite:///{directory}/bench.sqlite3"})
        with postgres_cluster() as pg:
            result = _child(arguments, {**env, "DATABASE_URL": pg["url"]})
            result["version"] = pg["version"]
            return result


def _child(arguments: list[str], env: dict) -> dict:
    """Run the child and return the JSON it printed."""
    process = subprocess.run(arguments, cwd=ROOT, env=env, capture_output=True, text=True)
    if process.returncode != 0:
        raise RuntimeError(process.stdout[-2000:] + process.stderr[-4000:])
    line = next(line for line in process.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def _ms(seconds: float) -> str:
    """Return seconds as milliseconds."""
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _pair(figure: tuple) -> str:
    """Return 'wall (CPU)'."""
    return f"{_ms(figure[0])} ({_ms(figure[1])})"


def report(engine: dict, databases: dict, command: str) -> str:
    """Return the markdown report of the run."""
    lines = [
        f"Command: `{command}`",
        "",
        "Times: median wall clock (median CPU time of the process); baseline = the code before the "
        f"optimisation ({engine_baseline.BASELINE_COMMIT[:10]}), measured in the same run.",
        "",
        "| what | size | rows | baseline | optimised | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for size, fig in engine.items():
        for key, label in (
            ("engine", "engine: aggregate + judge, 4 years, both versions"),
            ("current", "engine: current version only"),
            ("payload", "STATUS payloads, both versions"),
        ):
            old, new = fig[f"{key}_baseline"], fig[f"{key}_optimised"]
            lines.append(
                f"| {label} | {size} | {fig['rows']:,} | {_pair(old)} | {_pair(new)} | {old[0] / new[0]:.1f}x |"
            )
        lines.append(
            f"| row-by-row reference (rowwise.py), both versions | {size} | {fig['rows']:,} | | "
            f"{_pair(fig['reference'])} | |"
        )
        lines.append(f"| floor: bare groupby mean | {size} | {fig['rows']:,} | | {_pair(fig['floor'])} | |")
    for (database, size), fig in databases.items():
        old, new = fig["baseline"], fig["optimised"]
        per = "one institution" if size == "S" else f"per institution (median of {fig['institutions_timed']})"
        for key, label in (
            ("recompute", f"attainment_recompute end to end, {per}"),
            ("read", "  of which read: engine_inputs"),
            ("evaluate", "  read + compute: evaluate_institution"),
        ):
            lines.append(
                f"| {label} ({database}) | {size} | {fig['rows']:,} | {_ms(old[key])} | {_ms(new[key])} | "
                f"{old[key] / new[key]:.1f}x |"
            )
        if "sector_s" in new:
            lines.append(
                f"| all 65 institutions recomputed in turn ({database}) | {size} | {fig['rows']:,} | "
                f"{_ms(old['sector_s'])} | {_ms(new['sector_s'])} | {old['sector_s'] / new['sector_s']:.1f}x |"
            )
    lines += ["", "Goals:"]
    if "L" in engine:
        fig = engine["L"]
        new, floor = fig["engine_optimised"], fig["floor"]
        lines.append(
            f"- sector engine time {_ms(new[0])} (goal < {GOAL_SECTOR_ENGINE_S:.0f} s): "
            f"{'met' if new[0] < GOAL_SECTOR_ENGINE_S else 'MISSED'}; "
            f"{new[0] / floor[0]:.1f}x the bare groupby by wall clock, {new[1] / floor[1]:.1f}x by CPU "
            f"(goal <= {GOAL_FLOOR_RATIO:.0f}x): {'met' if new[0] / floor[0] <= GOAL_FLOOR_RATIO else 'MISSED'}; "
            f"current version alone {fig['current_optimised'][0] / floor[0]:.1f}x."
        )
    for (database, size), fig in databases.items():
        seconds = fig["optimised"]["recompute"]
        lines.append(
            f"- one institution end to end on {database} at size {size}: {_ms(seconds)} "
            f"(goal < {GOAL_END_TO_END_S} s): {'met' if seconds < GOAL_END_TO_END_S else 'MISSED'}"
        )
    same = all(fig["same_payloads"] for fig in engine.values())
    lines.append(
        f"- optimised payloads identical to the baseline's (its fields; {', '.join(sorted(REWORDED))} reworded by "
        f"issue 15): {'yes' if same else 'NO'}"
    )
    return "\n".join(lines)


GOAL_SECTOR_S = 3.0
GOAL_SECTOR_FLOOR = 3.0
GOAL_WORKER_MB = 500


def worker_sector_figures(repeats: int) -> dict:
    """Return the figures of bench.engine_db --worker-sector (a child: its own cluster, broker and worker)."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.engine_db", "--worker-sector", "--repeats", str(repeats)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])


def _seconds(values) -> str:
    """Return timings as "0.36, 0.35, 0.37 s"."""
    return ", ".join(f"{value:.2f}" for value in values) + " s"


def sector_report(fig: dict) -> str:
    """Return the markdown of the sector recompute through the worker (issue 16), each figure beside its floor."""
    floor = fig["floor_s"]
    load = ", ".join(f"{x:.1f}" for x in fig["load"])
    lines = [
        f"All {fig['institutions']} institutions ({fig['rows']:,} values) recomputed after a sector-wide import, "
        f"end to end: from the import's commit until the last run is done, through a real Celery worker "
        f"({fig['concurrency']} processes, Redis) on {fig['postgres']}, durability: {fig['durability']}. "
        f"Load average at the end {load}.",
        "",
        "| what | seconds (median) | worker CPU s | floor (same run) | ratio | goal |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for key, label in (
        ("first_s", "first recompute (every result new, workers cold)"),
        ("one-year_s", "import moves 1a and 2b in 2022 (a JOB/DUO drop)"),
        ("whole-year_s", "import moves every team value of 2022 (all of a year's figures)"),
        ("every-value_s", "import moves every team value (every result changes)"),
    ):
        seconds = fig[key]
        cpu = fig.get(key.replace("_s", "_worker_cpu_s"))
        verdict = "met" if seconds < GOAL_SECTOR_S and seconds <= GOAL_SECTOR_FLOOR * floor else "MISSED"
        lines.append(
            f"| {label} | {seconds:.2f} | {'' if cpu is None else f'{cpu:.2f}'} | {floor:.2f} | {seconds / floor:.2f}x | "
            f"< {GOAL_SECTOR_S:.0f} s and <= {GOAL_SECTOR_FLOOR:.0f}x: {verdict} |"
        )
    lines += [
        "",
        f"Floor: COPY TO of the {fig['rows']:,} measurement rows {fig['read_s']:.2f} s + COPY FROM of the stored "
        f"results' {fig['bytes'] / 1e6:.0f} MB into tables LIKE the results tables, committed, {fig['write_s']:.2f} s "
        f"(medians of {len(fig['write_all'])}: read {_seconds(fig['read_all'])}, write {_seconds(fig['write_all'])}).",
        f"Worker peak memory (VmHWM, largest process): {fig['worker_peak_mb']:.0f} MB "
        f"(goal < {GOAL_WORKER_MB} MB: {'met' if fig['worker_peak_mb'] < GOAL_WORKER_MB else 'MISSED'}).",
    ]
    return "\n".join(lines)


def main() -> int:
    """Generate the data, measure, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="no database runs at size L")
    parser.add_argument("--no-db", action="store_true", help="in-process figures only")
    parser.add_argument("--sector-only", action="store_true", help="only the sector through the worker (issue 16)")
    args = parser.parse_args()
    print(f"Machine: {machine()}", flush=True)
    if args.sector_only:
        print(sector_report(worker_sector_figures(3)))
        print(f"Machine at the end: {machine()}")
        return 0
    engine = {}
    for size, institutions, repeats, reference_repeats in (("S", 1, args.repeats, 3), ("L", 65, 5, 1)):
        # Rows in generation order (per indicator, team by team), not sorted by (indicator, year,
        # college): the selectors read them without ORDER BY, so the engine may not count on order.
        frames = engine_frames(sector(institutions))
        engine[size] = engine_figures(frames, repeats, reference_repeats)
        print(f"engine {size} done", file=sys.stderr, flush=True)
    databases = {}
    if not args.no_db:
        for database in ("sqlite", "postgres"):
            for size in ("S",) if args.quick else ("S", "L"):
                databases[(database, size)] = db_figures(database, size, 5 if size == "S" else 3, size == "L")
                print(f"{database} {size} done", file=sys.stderr, flush=True)
    command = ".venv/bin/python -m bench.engine_bench" + "".join(f" {a}" for a in sys.argv[1:])
    print(report(engine, databases, command))
    if not (args.quick or args.no_db):
        print("\n" + sector_report(worker_sector_figures(3)))
    print(f"Machine at the end: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
