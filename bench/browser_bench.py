"""Time until a dashboard page is usable in headless Chromium, cold cache (issue 16, "light plotly").

    .venv/bin/python -m bench.browser_bench [--runs 5] [--db PATH] [--port 8311] [--demo-only | --production-only]

Goal: the indicator page usable in < 1 s on the demo with a cold cache (it took 2.4-3.7 s with the
full plotly.min.js of 4.8 MB, sent uncompressed).

Builds the ROCvAF demo in a throwaway SQLite file (or copies --db, a migrated demo database), then
serves it twice side by side, each server once per mode:
- "demo": `manage.py runserver` with DEBUG=true, as `make demo` runs it;
- "production": gunicorn (2 workers) with DEBUG=false after collectstatic, as the image runs it.
One server has the plotly bundle of this tree; the baseline serves, under the same name, the full
plotly.min.js of commit 5660715 (taken from git), through a static folder put in front
(bench/browser_settings.py): in the demo uncompressed as before, in production compressed by
collectstatic as before. The floor, measured in the same run: an empty static page from the same
server. Every page is requested once before measuring (the server's first-request imports).

Each measurement is a fresh browser context (an empty cache) with the board member's session
cookie: navigation start until the page is usable, i.e. the load event has fired and every chart
of the page has drawn its SVG (`.main-svg` in each [data-figure]), timed inside the page.
Pages: indicators 1a and 2b and the budget page, 2022. Prints the load average before and after
and a markdown table for docs/benchmarks.md, with the medians of when the page's HTML and plotly.js
had arrived (what is left of "usable" is parsing, running and drawing). Only 127.0.0.1 is a target.
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
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.serve import SESSION_SETUP
from tests.services import ROOT, _die_with_parent, _wait_for_port, free_port, start_gunicorn, stop_process

OLD_COMMIT = "5660715"  # main before issue 16: the full plotly.min.js
BUNDLE = "js/plotly-4.1.1-kwaliteit.min.js"
EMPTY = "bench-empty.html"
PAGES = [
    ("indicator 1a", "/dashboard/indicator/1a/?jaar=2022"),
    ("indicator 2b", "/dashboard/indicator/2b/?jaar=2022"),
    ("budget", "/dashboard/budget/?jaar=2022"),
]
GOAL_MS = 1000
CHROMIUM_ARGS = [  # as tests/conftest.py launches it
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Runs in every page before its own scripts: note the moment every chart has drawn its SVG.
# A MutationObserver sees plotly add the .main-svg elements as it happens (no polling interval).
CHARTS_DRAWN = """
(() => {
  const check = () => {
    if (window.__chartsDrawn !== undefined) return;
    const charts = document.querySelectorAll('[data-figure]');
    if (charts.length && [...charts].every((c) => c.querySelector('.main-svg'))) {
      window.__chartsDrawn = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();
"""
TIMINGS = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const plotly = performance.getEntriesByType('resource').find((r) => r.name.includes('/js/plotly'));
  return {
    load: nav.loadEventEnd,
    html: nav.responseEnd,
    plotly_in: plotly ? plotly.responseEnd : null,
    drawn: window.__chartsDrawn ?? null,
    plotly_wire: plotly ? plotly.transferSize : null,
    plotly_body: plotly ? plotly.decodedBodySize : null,
  };
}
"""


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    """Run manage.py with `env` and return its stdout (raise on failure, with its output)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def overlay(folder: Path, old_bundle: bytes | None) -> Path:
    """Make a static folder with the floor's empty page and, for the baseline, the old bundle under the new name."""
    (folder / "js").mkdir(parents=True)
    (folder / EMPTY).write_text(
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>leeg</title></head><body></body></html>'
    )
    if old_bundle is not None:
        (folder / BUNDLE).write_bytes(old_bundle)
    return folder


def start_runserver(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    """Start `manage.py runserver` as `make demo` does (no autoreload) and wait until it listens."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    _wait_for_port(port, process, "runserver", timeout=300)
    return process


def measure(browser, base: str, session: str, path: str, charts: bool) -> dict:
    """Open `path` in a fresh context (cold cache) and return its timings in ms (and plotly's bytes)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        context.add_init_script(CHARTS_DRAWN)
        page = context.new_page()
        response = page.goto(base + path, wait_until="load", timeout=300_000)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert "/accounts/login/" not in page.url, f"the session was refused: {path} sent to the login page"
        if charts:
            # A function, not an expression string: Playwright evaluates a string with eval, which the CSP refuses.
            page.wait_for_function("() => window.__chartsDrawn !== undefined", timeout=300_000)
        timing = page.evaluate(TIMINGS)
        timing["usable"] = max(timing["load"], timing["drawn"] or 0)
        return timing
    finally:
        context.close()


def build_demo(env: dict, db: Path, source: Path | None) -> None:
    """Put a migrated ROCvAF demo in `db`: a copy of `source`, or built afresh (a few minutes)."""
    if source:
        shutil.copyfile(source, db)
        manage(env, "migrate", "--noinput", "-v0")
        return
    print("building the ROCvAF demo in a throwaway SQLite file ...", flush=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_agenda", "agenda/agendas/rocvaf-2019-2022.yaml")
    manage(env, "demo_setup")


def main() -> int:
    """Serve the demo with the new and the old bundle, time each page cold, and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="cold loads per page, bundle and mode (median)")
    parser.add_argument("--db", type=Path, help="a demo SQLite database to copy instead of building one")
    parser.add_argument("--port", type=int, default=8311, help="port of the server with this tree's bundle")
    parser.add_argument("--demo-only", action="store_true", help="skip the production mode (collectstatic, gunicorn)")
    parser.add_argument("--production-only", action="store_true", help="skip the demo mode (runserver)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    old_bundle = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:static/js/plotly.min.js"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    work = Path(tempfile.mkdtemp(prefix="kwaliteit-browser-"))
    base_env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL", "TEST_REDIS_URL")}
    base_env.update(
        DATABASE_URL=f"sqlite:///{work / 'demo.sqlite3'}",
        MEDIA_ROOT=str(work / "uploads"),
        # One key for every server and for the session made below: a session signed with another key is
        # refused (and the page would be the login form, without charts).
        SECRET_KEY="browser-bench-" + "s" * 60,
        DJANGO_SETTINGS_MODULE="bench.browser_settings",
        BENCH_STATIC_OVERLAY=str(overlay(work / "overlay-new", None)),
    )
    load_before = os.getloadavg()
    build_demo({**base_env, "DEBUG": "true"}, work / "demo.sqlite3", args.db)
    session = json.loads(manage({**base_env, "DEBUG": "true"}, "shell", stdin=SESSION_SETUP).strip().splitlines()[-1])[
        "session"
    ]
    variants = {
        "this tree": base_env["BENCH_STATIC_OVERLAY"],
        "full bundle (5660715)": str(overlay(work / "overlay-old", old_bundle)),
    }
    modes = [
        m
        for m in ("demo", "production")
        if not (m == "demo" and args.production_only or m != "demo" and args.demo_only)
    ]
    print(
        f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; Debian chromium "
        "(headless, Playwright), viewport 1366x900, a fresh context per load (cold cache), session cookie of "
        f"`bestuur`. Load average at the start {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}. "
        f"Median of {args.runs} interleaved loads (min-max); usable = load event fired and every chart drawn, "
        "from navigation start.\n",
        flush=True,
    )
    print(
        "| mode | page | plotly.js | on the wire / unpacked | HTML received | plotly.js received "
        "| usable, median (min-max) | goal < 1 s |"
    )
    print("|---|---|---|---|---|---|---|---|", flush=True)
    servers: list[subprocess.Popen] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for mode in modes:
                bases = {}
                for index, (variant, folder) in enumerate(variants.items()):
                    port = args.port if index == 0 and mode == "demo" else free_port()
                    env = {**base_env, "BENCH_STATIC_OVERLAY": folder}
                    if mode == "demo":
                        servers.append(start_runserver({**env, "DEBUG": "true"}, port, work / f"runserver-{index}.log"))
                    else:
                        env.update(
                            DEBUG="false",
                            ALLOWED_HOSTS="127.0.0.1",
                            SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; TLS ends at the proxy
                            SESSION_COOKIE_SECURE="false",
                            STATIC_ROOT=str(work / f"static-{index}"),
                        )
                        # The apps' own files (admin, Swagger UI) are on no dashboard page: compressing them takes
                        # minutes. The committed .gz/.br are left out as the Dockerfile does.
                        leave_out = (
                            "admin",
                            "rest_framework",
                            "drf_spectacular_sidecar",
                            "django_filters",
                            "*.js.gz",
                            "*.js.br",
                        )
                        manage(env, "collectstatic", "--noinput", "-v0", *[a for p in leave_out for a in ("-i", p)])
                        servers.append(start_gunicorn(env, port, work / f"gunicorn-{index}.log", workers=2))
                    bases[variant] = f"http://127.0.0.1:{port}"
                for base in bases.values():  # warm: each worker's first request imports the URLconf
                    for _ in range(2):
                        for _, path in PAGES:
                            measure(browser, base, session, path, charts=True)
                results: dict[tuple[str, str], list[dict]] = {}
                for _ in range(args.runs):  # interleaved, so a busy spell hits every variant alike
                    for variant, base in bases.items():
                        for name, path in PAGES:
                            results.setdefault((name, variant), []).append(measure(browser, base, session, path, True))
                        floor = measure(browser, base, session, "/static/" + EMPTY, charts=False)
                        results.setdefault(("floor: empty static page", variant), []).append(floor)
                for server in servers:
                    stop_process(server)
                servers.clear()
                for (name, variant), runs in sorted(results.items()):
                    print_row(mode, name, variant, runs)
            browser.close()
    finally:
        for server in servers:
            stop_process(server)
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    print(f"\nLoad average at the end: {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}.")
    return 0


def print_row(mode: str, name: str, variant: str, runs: list[dict]) -> None:
    """Print one table row: the page's usable time over the runs, the bundle's bytes, the goal where it applies."""
    usable = sorted(r["usable"] for r in runs)
    wire = runs[0]["plotly_wire"]
    size = f"{wire / 1e6:.2f} MB / {runs[0]['plotly_body'] / 1e6:.2f} MB" if wire else "-"
    html = statistics.median(r["html"] for r in runs)
    script = f"{statistics.median(r['plotly_in'] for r in runs):.0f} ms" if wire else "-"
    goal = ""
    if variant == "this tree" and not name.startswith("floor"):
        goal = "met" if statistics.median(usable) < GOAL_MS else "**missed**"
    print(
        f"| {mode} | {name} | {variant} | {size} | {html:.0f} ms | {script} | {statistics.median(usable):.0f} ms "
        f"({usable[0]:.0f}-{usable[-1]:.0f}) | {goal} |",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
