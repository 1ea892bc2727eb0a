"""Run every benchmark in turn (make bench); each prints a markdown table for docs/benchmarks.md.

Run them on a quiet machine: they share the 2 cores with whatever else runs.
"""

import subprocess
import sys

BENCHES = [
    ("engine and recompute (issue 3)", "bench.engine_bench"),
    ("100,000-row import (issue 4)", "bench.import_bench"),
    ("status API under gunicorn (issue 7)", "bench.api_bench"),
    ("load and upload-to-verdict (issue 8)", "bench.load_bench"),
    ("three worst-case uploads against /healthz (issue 13)", "bench.upload_load"),
    # Issue 16: the sector, the pages and the browser; each prints its floor from the same run.
    ("every board page at 50 connections beside a trivial logged-in view (issue 16)", "bench.dashboard_load"),
    ("board pages' server time, cached and cold (issue 16)", "bench.page_bench"),
    ("indicator page usable in headless Chromium, cold cache (issue 16)", "bench.browser_bench"),
    ("grid save to visible verdict in the demo (issue 16)", "bench.grid_bench"),
]

if __name__ == "__main__":
    status = 0
    for title, module in BENCHES:
        print(f"\n## {title}: python -m {module}\n", flush=True)
        status |= subprocess.call([sys.executable, "-m", module, *sys.argv[1:]])
    sys.exit(status)
