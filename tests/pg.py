"""Run pytest on a throwaway PostgreSQL with redis-server (as pass 2 of make test does).

Usage: .venv/bin/python -m tests.pg tests/some/test_file.py -q
"""

import os
import subprocess
import sys

from tests.services import postgres_cluster, redis_server

if __name__ == "__main__":
    with postgres_cluster() as pg, redis_server() as redis:
        env = {
            **os.environ,
            "DATABASE_URL": pg["url"],
            "TEST_REDIS_URL": redis["url"],
            "TEST_PASS": "postgres",
            "TEST_PG_DATA": str(pg["data"]),
            "TEST_PG_BIN": str(pg["bindir"]),
            "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        }
        sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *sys.argv[1:]], env=env))
