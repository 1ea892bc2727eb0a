"""gunicorn's settings for the web service: docker-compose's web command and the image name this file.

gunicorn also reads it by itself when started in the project folder (its default config path,
./gunicorn.conf.py), so every gunicorn of the project starts the same way. The worker class and
threads stay on the command line, where compose and the Dockerfile state them; the number of
workers is set here (one per CPU available, WEB_CONCURRENCY to choose another).
"""

import math
import os
from pathlib import Path

# Load the application once, in the master, before the port opens; the workers are forked from
# it with every module imported and every template compiled (kwaliteit.wsgi.warm_up). Without it
# each worker imported the views on its first request: 0.85-1.1 s, the API's p99 of 973 ms
# measured at 50 connections the moment the port opened (issue 16). Forked workers also share
# those pages of memory until they write to them.
preload_app = True


def on_starting(server):
    """Warm the preloaded application up before the port opens (the master, once)."""
    from kwaliteit.wsgi import warm_up

    warm_up()


# Every worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections
# over them. With the one shared socket a worker that woke first accepted as many as it could:
# 50 keep-alive connections opened at once often all went to one worker, which then served
# them on one core (its GIL) while the other core idled; the status API's throughput halved in
# those rounds (bench/api_bench.py, docs/benchmarks.md 13). A reverse proxy's pooled upstream
# connections are such connections too.
reuse_port = True


def available_cpus(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """Return the CPUs this process may run on: its affinity, capped by a cgroup v2 quota (compose's `cpus:`)."""
    count = len(os.sched_getaffinity(0))
    try:
        quota, period = cpu_max.read_text().split()
        return max(1, min(count, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):  # no cgroup v2 file, or "max": no quota
        return count


# One worker per CPU: a worker runs Python on one core at a time (its GIL) and its 8 threads
# overlap the waits (database, client). With every worker sure to get connections (reuse_port),
# more workers than cores time-share the cores: 3 workers on 2 cores put the API's p99 at
# 590-730 ms where 2 workers kept it at 130-170 ms, with the same throughput (docs/benchmarks.md
# 13). WEB_CONCURRENCY (gunicorn's own variable) chooses another number.
workers = int(os.environ.get("WEB_CONCURRENCY") or available_cpus())
