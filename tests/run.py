"""Run the whole suite twice: on SQLite, then on PostgreSQL with Redis and a real Celery worker.

`make test` calls this. PostgreSQL and Redis are started here, before pytest starts (the
connection settings are read at import, toolchain.md). A missing service skips the second
pass with the reason; with REQUIRE_SERVICES=1 it fails instead.
"""

import os
import subprocess
import sys
import time

from tests.services import ServiceUnavailable, postgres_cluster, redis_server

PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
CLEAN = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "TEST_REDIS_URL", "TEST_PASS", "TEST_PG_DATA", "TEST_PG_BIN")


def banner(text: str) -> None:
    """Print a section header that stands out in the CI log."""
    print(f"\n{'=' * 20} {text} {'=' * 20}", flush=True)


def main(argv: list[str]) -> int:
    """Run both passes and return the exit status (non-zero on any failure)."""
    require = os.environ.get("REQUIRE_SERVICES") == "1"
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    started = time.monotonic()

    banner("pass 1: SQLite, tasks eager, browser tests")
    first = subprocess.call([*PYTEST, "-m", "not integration", *argv], env={**env, "TEST_PASS": "sqlite"})

    banner("pass 2: PostgreSQL + Redis + Celery worker")
    try:
        with postgres_cluster() as pg, redis_server() as redis:
            print(f"PostgreSQL: {pg['version']}, throwaway cluster on 127.0.0.1:{pg['port']}", flush=True)
            print(
                f"Redis: redis-server {redis['version']} on 127.0.0.1:{redis['port']} (pid {redis['pid']})", flush=True
            )
            second = subprocess.call(
                [*PYTEST, "-m", "not browser", *argv],
                env={
                    **env,
                    "DATABASE_URL": pg["url"],
                    "TEST_REDIS_URL": redis["url"],
                    "TEST_PASS": "postgres",
                    # The restart fault test stops and starts this very cluster.
                    "TEST_PG_DATA": str(pg["data"]),
                    "TEST_PG_BIN": str(pg["bindir"]),
                },
            )
    except ServiceUnavailable as exc:
        if require:
            print(f"FAILED: REQUIRE_SERVICES=1 but a service is unavailable: {exc}", flush=True)
            second = 1
        else:
            print(f"SKIPPED pass 2: {exc}", flush=True)
            second = 0
    banner(
        f"done in {time.monotonic() - started:.0f} s: sqlite={'ok' if not first else 'FAILED'}, postgres={'ok' if not second else 'FAILED'}"
    )
    return 1 if (first or second) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
