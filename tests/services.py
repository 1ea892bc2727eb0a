"""Throwaway PostgreSQL clusters, redis-servers and Celery workers on loopback (toolchain.md).

Used by `tests/run.py` (make test), the integration fixtures and the benchmarks. Every
process started here is stopped by its own PID.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ServiceUnavailable(RuntimeError):
    """A service binary is missing or did not start."""


def _die_with_parent() -> None:
    """Ask Linux to stop this child when the test process dies (no orphaned servers after a kill)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    os.setsid()  # its own process group, so stop_process can stop it with its children


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """Return the directory of the newest PostgreSQL server binaries, or None."""
    base = Path("/usr/lib/postgresql")
    candidates = sorted((p for p in base.glob("*/bin") if (p / "initdb").exists()), key=lambda p: int(p.parent.name))
    if candidates:
        return candidates[-1]
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    """Return `command` run as the postgres user when we are root (postgres refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


# What a benchmark prints beside its write figures (issue 16).
DURABLE_SETTINGS = "fsync=on, synchronous_commit=on, full_page_writes=on (PostgreSQL defaults)"
NON_DURABLE_SETTINGS = "fsync=off, synchronous_commit=off, full_page_writes=off (throwaway test settings)"


@contextmanager
def postgres_cluster(*, durable: bool = False):
    """Start a throwaway PostgreSQL cluster on 127.0.0.1 and yield its DATABASE_URL.

    Tests run without durability (fsync, synchronous commit and full-page writes off): nothing
    they write must survive a crash. Benchmarks that time writes pass `durable=True`, which keeps
    PostgreSQL's production defaults (issue 16: write figures measured with durability on).
    """
    bindir = postgres_bin()
    if bindir is None:
        raise ServiceUnavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="kwaliteit-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    base.chmod(0o700)
    port = free_port()
    data, log = base / "data", base / "log"
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base}"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        (base / "options").write_text(options)  # for pg_start after a deliberate stop
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start"]),
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        raise ServiceUnavailable(f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')[-500:]}") from exc
    version = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True).stdout.strip()
    url = f"postgres://postgres@127.0.0.1:{port}/postgres"
    try:
        yield {
            "url": url,
            "port": port,
            "version": version,
            "data": data,
            "bindir": bindir,
            "base": base,
            "durability": DURABLE_SETTINGS if durable else NON_DURABLE_SETTINGS,
        }
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


def pg_stop(data: Path, bindir: Path) -> None:
    """Stop a throwaway cluster (fault tests: the database goes away)."""
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
        check=True,
        capture_output=True,
    )


def pg_start(data: Path, bindir: Path) -> None:
    """Start a stopped throwaway cluster again with its original options."""
    base = Path(data).parent
    options = (base / "options").read_text()
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o", options, "start"]),
        check=True,
        capture_output=True,
    )


def start_gunicorn(env: dict[str, str], port: int, log_path: Path, workers: int = 2) -> subprocess.Popen:
    """Start gunicorn serving the project on 127.0.0.1:`port` and wait until it answers."""
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process by the caller
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kwaliteit.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    _wait_for_port(port, process, "gunicorn", timeout=30)
    return process


@contextmanager
def redis_server(port: int | None = None):
    """Start a redis-server on 127.0.0.1 (on `port`, else a free one) and yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceUnavailable("redis-server not found (apt-get install redis-server)")
    port = port or free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    try:
        _wait_for_port(port, process, "redis-server")
        version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()[2]
        yield {
            "url": f"redis://127.0.0.1:{port}/0",
            "port": port,
            "pid": process.pid,
            "version": version,
            "process": process,
        }
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 15) -> None:
    """Wait until something listens on `port`, or raise if `process` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceUnavailable(f"{name} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise ServiceUnavailable(f"{name} did not listen on port {port} within {timeout} s")


def start_worker(env: dict[str, str], log_path: Path, concurrency: int = 2) -> subprocess.Popen:
    """Start a real `celery worker` process for the project with `env` and wait until it is ready."""
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process by the caller
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kwaliteit",
            "worker",
            "-l",
            "info",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceUnavailable(f"celery worker exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        if b"ready." in log_path.read_bytes():
            return process
        time.sleep(0.1)
    stop_process(process)
    raise ServiceUnavailable(f"celery worker not ready within 60 s: {log_path.read_text()[-2000:]}")


def start_beat(env: dict[str, str], log_path: Path, schedule_file: Path) -> subprocess.Popen:
    """Start `celery beat` for the project (the periodic recompute sweep) with `env`."""
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process by the caller
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kwaliteit", "beat", "-l", "info", "--schedule", str(schedule_file)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )


def stop_process(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process we started (and its group), by its own PID."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
