"""The SQLite demo under 30 simultaneous saves of one cell: one wins, the rest are told, never a 500 (issue 12).

A real server (runserver, threaded) on a SQLite file with the demo, and real clients in
threads: before issue 12 this race gave HTTP 500 "database is locked" and lost updates.
"""

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import is_postgres

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 30


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo_server(tmp_path):
    """Yield the URL of a runserver on a fresh SQLite file with the ROCvAF demo; stop it afterwards."""
    if is_postgres():
        pytest.skip("the SQLite demo's contention; the PostgreSQL pass tests its own (test_concurrent_writes)")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DEBUG": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOGIN_MAX_FAILURES": "1000",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["load_agenda", str(ROOT / "agenda" / "agendas" / "rocvaf-2019-2022.yaml")],
        ["demo_setup"],
    ):
        subprocess.run([*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def logged_in(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{url}/accounts/login/",
        data={"username": "directeur5100", "password": "kwaliteit2019", "csrfmiddlewaretoken": token},
        headers={"Referer": url},
        timeout=30,
    )
    return session


def test_simultaneous_grid_saves_on_the_sqlite_demo_never_give_a_500(demo_server):
    """30 saves of one cell built from one page: exactly one stored, 29 'Intussen gewijzigd', no 500."""
    sessions = [logged_in(demo_server) for _ in range(CLIENTS)]
    grid = f"{demo_server}/invoer/college/5100/?jaar=2022"
    page = sessions[0].get(grid, timeout=30).text
    fields = dict(re.findall(r'name="([vno]_\d+_\d+)"[^>]*?value="([^"]*)"', page))
    key = next(k for k in fields if k.startswith("v_") and fields[k])
    base = float(fields[key].replace(",", "."))
    answers: Counter = Counter()
    bodies = []
    barrier = threading.Barrier(CLIENTS)

    def save(number: int, session: requests.Session) -> None:
        data = {**fields, "csrfmiddlewaretoken": session.cookies.get("csrftoken")}
        data[key] = f"{min(base + 0.01 * (number + 1), 9.99):.2f}".replace(".", ",")
        barrier.wait(timeout=60)
        response = session.post(grid, data=data, headers={"Referer": demo_server}, allow_redirects=False, timeout=120)
        answers[response.status_code] += 1
        bodies.append(response.text)

    threads = [threading.Thread(target=save, args=(n, s)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert answers == {302: 1, 400: CLIENTS - 1}, answers
    assert sum("Intussen gewijzigd" in body for body in bodies) == CLIENTS - 1
