"""Time until a dashboard page is usable in headless Chromium, cold cache (issue 16, "light plotly").

    .venv/bin/python -m bench.browser_bench [--runs 5] [--db PATH] [--port 8311] [--demo-only | --production-only]
        [--viewport 1366x900] [--full-bundle]

Goal: the indicator page usable in < 1 s on the demo with a cold cache (it took 2.4-3.7 s with the
full plotly.min.js of 4.8 MB, sent uncompressed).

Builds the ROCvAF demo in a throwaway SQLite file (or copies --db, a migrated demo database), then
serves it side by side, each server once per mode:
- "demo": `manage.py runserver` with DEBUG=true, as `make demo` runs it;
- "production": gunicorn (2 workers) with DEBUG=false after collectstatic, as the image runs it.
One server has this tree. The baseline "eager drawing" serves, through a static and a template folder
put in front (bench/browser_settings.py), the dashboards' script and chart templates of commit
EAGER_COMMIT: every chart drawn at DOMContentLoaded, plotly.js not deferred. The baseline "near the
viewport" serves those of NEAR_COMMIT the same way: a chart drawn within half a screen of the
viewport, plotly.js deferred and evaluated on every load (this tree evaluates it only when the first
chart is on screen, and draws only charts on screen). With --full-bundle a
third server serves, under the bundle's name, the full plotly.min.js of commit 5660715 (in the demo
uncompressed as before, in production compressed by collectstatic as before). The floor, measured
in the same run: an empty static page from the same server, and the indicator page 1a with every
script (and figure) taken out, served as a static file (what showing its text, tables and styles costs
a fresh renderer, which no script can save). Every page is requested twice before
measuring (the server's first-request imports).

Each measurement is a fresh browser context (an empty cache) with the board member's session
cookie; times are from navigation start, taken inside the page. Two loads per page and variant:

- usable: the load event has fired, every chart in the first viewport has drawn its SVG (`.main-svg`
  in each [data-figure] whose box meets the viewport at load), and after that the page's main thread
  has been quiet: no long task (>= 50 ms, Long Tasks API) for QUIET_MS. The figure is the end of the
  last long task before that quiet spell (as Lighthouse's time to interactive, with a shorter
  window): charts drawn after load because they are near the viewport count, as does anything else
  that keeps the page from answering. The page is not scrolled.
- all charts drawn (the definition of before): the load event has fired and every chart of the page
  has drawn. Charts below the fold draw when they come near the viewport, so from the load event on
  the page is scrolled to each chart in turn as soon as the one before has drawn (a reader who
  scrolls straight to every chart); the eager baseline had drawn them all by then anyway.

Pages: indicators 1a and 2b and the budget page, 2022. Prints the load average before and after
and a markdown table for docs/benchmarks.md, with the medians of when the page's HTML and plotly.js
had arrived (what is left is parsing, running and drawing). Only 127.0.0.1 is a target.
"""

import argparse
import json
import os
import platform
import re
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
EAGER_COMMIT = "72c8ea8"  # the partial bundle, every chart drawn at DOMContentLoaded (before lazy drawing)
NEAR_COMMIT = "ea962f2"  # charts drawn within half a screen of the viewport, plotly.js deferred and run at load
DRAWING_FILES = ["static/js/dashboard.js", "templates/rapportage/_scripts.html", "templates/rapportage/_figure.html"]
BUNDLE = "js/plotly-4.1.1-kwaliteit.min.js"
QUIET_MS = 500
EMPTY = "bench-empty.html"
STATIC_PAGE = "bench-indicator-1a.html"
# The indicator page's HTML as bestuur gets it, printed between markers by `manage.py shell`.
PAGE_HTML = """
import sys
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(username="bestuur"))
sys.stdout.write("<<<" + client.get(%r, HTTP_HOST="127.0.0.1").content.decode() + ">>>")
"""
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
# Runs in every page before its own scripts. A MutationObserver notes the moment every chart (and
# every chart in the first viewport) has drawn its SVG, as it happens (no polling interval); a
# PerformanceObserver keeps the page's long tasks. With window.__scrollThrough set the page is
# scrolled to each chart in turn from the load event on, each as soon as the one before has drawn.
CHARTS_DRAWN = """
(() => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const t of list.getEntries()) window.__longTasks.push([t.startTime, t.startTime + t.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { window.__longTasks = null; }
  const drawnIn = (c) => c.querySelector('.main-svg');
  let scrolling = false;
  const scrollOn = () => {
    // The reader goes to the first chart not drawn yet; the next as soon as that one has drawn.
    const next = [...document.querySelectorAll('[data-figure]')].find((c) => !drawnIn(c));
    if (next && next !== scrolling) { scrolling = next; next.scrollIntoView({ block: 'center' }); }
  };
  const check = () => {
    const charts = [...document.querySelectorAll('[data-figure]')];
    if (window.__firstViewport === undefined && document.readyState !== 'loading' && charts.length) {
      window.__firstViewport = charts.filter((c) => {
        const box = c.getBoundingClientRect();
        return box.bottom > 0 && box.top < window.innerHeight && box.height > 0;
      });
    }
    if (window.__viewportDrawn === undefined && window.__firstViewport && window.__firstViewport.every(drawnIn)) {
      window.__viewportDrawn = performance.now();
    }
    if (window.__chartsDrawn === undefined && charts.length && charts.every(drawnIn)) {
      window.__chartsDrawn = performance.now();
    }
    if (scrolling) scrollOn();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  document.addEventListener('DOMContentLoaded', check);
  window.addEventListener('load', () => {
    check();
    if (window.__scrollThrough) scrollOn();
  });
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
    viewport_drawn: window.__viewportDrawn ?? null,
    viewport_charts: (window.__firstViewport || []).length,
    long_tasks: window.__longTasks,
    now: performance.now(),
    plotly_wire: plotly ? plotly.transferSize : null,
    plotly_body: plotly ? plotly.decodedBodySize : null,
  };
}
"""
# True once the load event has fired, the first viewport's charts have drawn and no long task has run
# for QUIET_MS since then (or since the last long task).
QUIET = f"""
() => {{
  const nav = performance.getEntriesByType('navigation')[0];
  if (!nav || !nav.loadEventEnd) return false;
  const charts = document.querySelectorAll('[data-figure]').length;
  if (charts && window.__viewportDrawn === undefined) return false;
  const ready = Math.max(nav.loadEventEnd, window.__viewportDrawn ?? 0);
  const last = Math.max(ready, ...(window.__longTasks || []).map((t) => t[1]));
  return performance.now() - last >= {QUIET_MS};
}}
"""


def quiet_point(ready: float, long_tasks: list) -> float:
    """Return the end of the last long task before the first QUIET_MS without one, from `ready` on."""
    point = ready
    for start, end in sorted(long_tasks):
        if end <= point:
            continue
        if start - point >= QUIET_MS:
            break
        point = end
    return point


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    """Run manage.py with `env` and return its stdout (raise on failure, with its output)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def overlay(folder: Path, files: dict[str, bytes]) -> Path:
    """Make a folder put in front of the project's files: `static/` and `templates/` beneath it.

    Every variant's static folder has the floor's empty page; `files` (paths as in the tree, e.g.
    "static/js/dashboard.js") are the variant's own versions of the project's files.
    """
    (folder / "static").mkdir(parents=True)
    (folder / "templates").mkdir()
    (folder / "static" / EMPTY).write_text(
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>leeg</title></head><body></body></html>'
    )
    for name, body in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)
    return folder


def git_show(commit: str, path: str) -> bytes:
    """Return a file as it was at `commit`."""
    return subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True, check=True).stdout


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


def measure(browser, base: str, session: str, path: str, charts: bool, viewport: dict, scroll: bool) -> dict:
    """Open `path` in a fresh context (cold cache) and return its timings in ms (and plotly's bytes).

    scroll=False: wait for the quiet main thread and return "usable"; scroll=True: scroll to each chart
    from the load event on and return "drawn", every chart drawn (see the module's docstring).
    """
    context = browser.new_context(viewport=viewport)
    try:
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        if scroll:
            context.add_init_script("window.__scrollThrough = true;")
        context.add_init_script(CHARTS_DRAWN)
        page = context.new_page()
        response = page.goto(base + path, wait_until="load", timeout=300_000)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert "/accounts/login/" not in page.url, f"the session was refused: {path} sent to the login page"
        # Functions, not expression strings: Playwright evaluates a string with eval, which the CSP refuses.
        if charts and scroll:
            page.wait_for_function("() => window.__chartsDrawn !== undefined", timeout=300_000)
        elif not scroll:
            page.wait_for_function(QUIET, timeout=300_000, polling=50)
        timing = page.evaluate(TIMINGS)
        assert timing["long_tasks"] is not None, "this Chromium has no Long Tasks API"
        ready = max(timing["load"], timing["viewport_drawn"] or 0)
        timing["usable"] = quiet_point(ready, timing["long_tasks"])
        timing["all_drawn"] = max(timing["load"], timing["drawn"] or 0)
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
    """Serve the demo with this tree and the baselines, time each page cold, and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="cold loads per page, variant and mode (median)")
    parser.add_argument("--db", type=Path, help="a demo SQLite database to copy instead of building one")
    parser.add_argument("--port", type=int, default=8311, help="port of the server with this tree")
    parser.add_argument("--demo-only", action="store_true", help="skip the production mode (collectstatic, gunicorn)")
    parser.add_argument("--production-only", action="store_true", help="skip the demo mode (runserver)")
    parser.add_argument("--viewport", default="1366x900", help="the browser's viewport, WIDTHxHEIGHT")
    parser.add_argument("--full-bundle", action="store_true", help="also serve the full plotly.min.js of 5660715")
    args = parser.parse_args()
    width, height = (int(v) for v in args.viewport.split("x"))
    viewport = {"width": width, "height": height}
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    work = Path(tempfile.mkdtemp(prefix="kwaliteit-browser-"))
    variants = {
        "this tree": overlay(work / "overlay-new", {}),
        f"eager drawing ({EAGER_COMMIT})": overlay(
            work / "overlay-eager", {name: git_show(EAGER_COMMIT, name) for name in DRAWING_FILES}
        ),
        f"near the viewport ({NEAR_COMMIT})": overlay(
            work / "overlay-near", {name: git_show(NEAR_COMMIT, name) for name in DRAWING_FILES}
        ),
    }
    if args.full_bundle:
        files = {name: git_show(EAGER_COMMIT, name) for name in DRAWING_FILES}
        files["static/" + BUNDLE] = git_show(OLD_COMMIT, "static/js/plotly.min.js")
        variants[f"full bundle ({OLD_COMMIT}), eager drawing"] = overlay(work / "overlay-old", files)
    base_env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL", "TEST_REDIS_URL")}
    base_env.update(
        DATABASE_URL=f"sqlite:///{work / 'demo.sqlite3'}",
        MEDIA_ROOT=str(work / "uploads"),
        # One key for every server and for the session made below: a session signed with another key is
        # refused (and the page would be the login form, without charts).
        SECRET_KEY="browser-bench-" + "s" * 60,
        DJANGO_SETTINGS_MODULE="bench.browser_settings",
        BENCH_OVERLAY=str(variants["this tree"]),
    )
    load_before = os.getloadavg()
    build_demo({**base_env, "DEBUG": "true"}, work / "demo.sqlite3", args.db)
    session = json.loads(manage({**base_env, "DEBUG": "true"}, "shell", stdin=SESSION_SETUP).strip().splitlines()[-1])[
        "session"
    ]
    # Second floor: the indicator page with every script taken out (its figures' JSON too), as a static
    # file: what showing the page's text, tables and styles costs a fresh renderer, which no script can save.
    # The preload of plotly.js goes too: it is a script's download (its arrival holds the load event).
    html = manage({**base_env, "DEBUG": "true"}, "shell", stdin=PAGE_HTML % PAGES[0][1])
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", html[html.index("<<<") + 3 : html.rindex(">>>")], flags=re.S)
    html = re.sub(r'<link rel="preload"[^>]*>', "", html)
    for folder in variants.values():
        (folder / "static" / STATIC_PAGE).write_text(html)
    modes = [
        m
        for m in ("demo", "production")
        if not (m == "demo" and args.production_only or m != "demo" and args.demo_only)
    ]
    print(
        f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; Debian chromium "
        f"(headless, Playwright), viewport {width}x{height}, a fresh context per load (cold cache), session cookie "
        f"of `bestuur`. Load average at the start {load_before[0]:.2f} / {load_before[1]:.2f} / "
        f"{load_before[2]:.2f}. Median of {args.runs} interleaved loads (min-max), from navigation start. "
        "Usable = load event fired, the charts in the first viewport drawn, then no long task for "
        f"{QUIET_MS} ms (the end of the last long task before that). All charts drawn = the definition of "
        "before: load event fired and every chart drawn, the page scrolled to each chart in turn from the "
        "load event on.\n",
        flush=True,
    )
    print(
        "| mode | page | variant | plotly.js on the wire / unpacked | HTML received | plotly.js received "
        "| charts in the first viewport | usable, median (min-max) | all charts drawn, median (min-max) "
        "| goal: usable < 1 s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    servers: list[subprocess.Popen] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for mode in modes:
                bases = {}
                for index, (variant, folder) in enumerate(variants.items()):
                    port = args.port if index == 0 and mode == "demo" else free_port()
                    env = {**base_env, "BENCH_OVERLAY": str(folder)}
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
                            measure(browser, base, session, path, True, viewport, scroll=True)
                results: dict[tuple[str, str], list[dict]] = {}
                for _ in range(args.runs):  # interleaved, so a busy spell hits every variant alike
                    for variant, base in bases.items():
                        for name, path in PAGES:
                            usable = measure(browser, base, session, path, True, viewport, scroll=False)
                            drawn = measure(browser, base, session, path, True, viewport, scroll=True)
                            results.setdefault((name, variant), []).append({**usable, "all_drawn": drawn["all_drawn"]})
                        floor = measure(browser, base, session, "/static/" + EMPTY, False, viewport, scroll=False)
                        results.setdefault(("floor: empty static page", variant), []).append(floor)
                        floor = measure(browser, base, session, "/static/" + STATIC_PAGE, False, viewport, scroll=False)
                        results.setdefault(("floor: indicator 1a as a static page, no scripts", variant), []).append(
                            floor
                        )
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
    """Print one table row: both definitions over the runs, the bundle's bytes, the goal where it applies."""

    def spread(key: str) -> str:
        values = sorted(r[key] for r in runs)
        return f"{statistics.median(values):.0f} ms ({values[0]:.0f}-{values[-1]:.0f})"

    wire = runs[0]["plotly_wire"]
    size = f"{wire / 1e6:.2f} MB / {runs[0]['plotly_body'] / 1e6:.2f} MB" if wire else "-"
    html = statistics.median(r["html"] for r in runs)
    script = f"{statistics.median(r['plotly_in'] for r in runs):.0f} ms" if wire else "-"
    floor = name.startswith("floor")
    goal = ""
    if variant == "this tree" and not floor:
        goal = "met" if statistics.median(r["usable"] for r in runs) < GOAL_MS else "**missed**"
    in_view = "-" if floor else str(runs[0]["viewport_charts"])
    print(
        f"| {mode} | {name} | {variant} | {size} | {html:.0f} ms | {script} | {in_view} | {spread('usable')} "
        f"| {'-' if floor else spread('all_drawn')} | {goal} |",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
