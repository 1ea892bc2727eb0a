"""Shared fixtures: real services for integration tests, Debian's chromium for browser tests."""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

from tests.services import ROOT, ServiceUnavailable, start_worker, stop_process

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Hypothesis profiles (issue "no timed tests, faster quick pass"). `quick`, the default, runs a
# quarter of the examples for a fast edit-test loop; `thorough` runs the full counts and is what CI
# selects (.ci/run exports HYPOTHESIS_PROFILE=thorough). Property tests set no max_examples of their
# own, or scale it from hypothesis.settings.default, so the profile decides; schemathesis too.
# Neither profile has a deadline: a busy machine makes a test slow, not wrong.
hypothesis_settings.register_profile("thorough", max_examples=300, deadline=None)
hypothesis_settings.register_profile("quick", max_examples=75, deadline=None)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or "quick"
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)

ARTIFACTS = ROOT / "artifacts"
REQUIRE = os.environ.get("REQUIRE_SERVICES") == "1"
_USED: dict[str, str] = {}


def require_service(available: bool, reason: str) -> None:
    """Skip the test when a service is missing, or fail under REQUIRE_SERVICES=1."""
    if available:
        return
    if REQUIRE:
        pytest.fail(f"REQUIRE_SERVICES=1: {reason}")
    pytest.skip(reason)


def is_postgres() -> bool:
    """Return whether the tests run on PostgreSQL."""
    return settings.configured and settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only and integration tests in the SQLite pass; group the readers of shared data.

    pytest-django has already put the tests in rolled-back transactions first. Of those, the ones
    that read shared data (the demo, the API's world) move to the front, one data set after the
    other, the order otherwise kept: each data set is then loaded once in the session.
    """
    for item in items:
        if ("integration" in item.keywords or "postgres" in item.keywords) and not is_postgres():
            item.add_marker(pytest.mark.skip(reason="runs in the PostgreSQL pass of make test"))
    items.sort(key=_shared_data_read)


@pytest.fixture(scope="session", autouse=True)
def _uploads_in_a_temporary_folder(tmp_path_factory):
    """Keep the original files of test uploads out of the project's var/uploads."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("uploads"))):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hash test passwords cheaply: the default PBKDF2 costs ~0.2 s per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_page_versions(request, django_db_blocker):
    """Start every test on a new page version: a rolled-back test's cached board pages must not serve the next one.

    On PostgreSQL the version is a sequence in the test database (rapportage.page_cache.version),
    which a rollback does not move back either: bumped for every test that uses the database; a
    test without one reads no pages from it.
    """
    from rapportage import page_cache

    if not is_postgres():
        page_cache.forget()
    elif _uses_the_database(request.node):
        request.getfixturevalue("django_db_setup")  # the test database, before this reaches it
        with django_db_blocker.unblock():
            page_cache.forget()


ROCVAF_YAML = ROOT / "agenda" / "agendas" / "rocvaf-2019-2022.yaml"


def load_rocvaf_demo():
    """Load the ROCvAF agenda and the synthetic demo (teams, data, users); return the institution."""
    from io import StringIO

    from django.core.management import call_command
    from django.test import override_settings

    from agenda.models import Institution

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("load_agenda", str(ROCVAF_YAML), stdout=StringIO())
        call_command("demo_setup", stdout=StringIO())
    return Institution.objects.get(code="ROCVAF")


def demo_institution():
    """Return the loaded ROCvAF demo institution, or None when the database does not hold it."""
    from agenda.models import Institution

    return Institution.objects.filter(code="ROCVAF").first()


def _uses_transactions(item) -> bool:
    """Return whether the test commits (transactional_db, live_server, transaction=True): it ends with a flush."""
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def _uses_the_database(item) -> bool:
    """Return whether the test touches the database (a django_db mark or a fixture that needs it)."""
    return item.get_closest_marker("django_db") is not None or "django_db_setup" in getattr(item, "fixturenames", ())


class SharedData:
    """Rows committed outside the test transactions, loaded once and shared by the session's tests.

    Tests get them through a function fixture (`fixture`) that also asks for `db`: each test runs
    in a transaction that is rolled back, so whatever one test writes is gone for the next. The
    database holds one data set at a time, and only for the tests that read it:
    pytest_runtest_teardown, between two tests and outside any transaction, loads the data set the
    next test reads if it is missing (a flush at the end of a transactional test removes it), and
    flushes the database before a test that uses it without this data set, so such tests see the
    database they always saw. `kept_for`: fixtures that use the data set as it is (rocvaf_demo_tx).
    """

    def __init__(self, fixture: str, load, present, kept_for=()):
        self.fixture = fixture
        self.load = load
        self.present = present
        self.kept_for = set(kept_for)
        self.blocker = None  # set while the session fixture is active

    def ensure_loaded(self) -> None:
        """Load the data set unless the database already holds it."""
        with self.blocker.unblock():
            if not self.present():
                self.load()

    def ensure_removed(self) -> None:
        """Empty the database if it holds the data set."""
        from django.core.management import call_command

        with self.blocker.unblock():
            if self.present():
                call_command("flush", "--noinput", verbosity=0)

    def for_test(self) -> None:
        """Make sure, inside the test's transaction, that the data set is there for the test."""
        from django.contrib.contenttypes.models import ContentType

        # An earlier test may have flushed and rebuilt the content types inside its rolled-back
        # transaction (export_institution's restore does); its cached ids must not outlive it.
        ContentType.objects.clear_cache()
        if not self.present():
            # Removed by a fixture set up for this very test, after pytest_runtest_teardown ran:
            # load it inside the test's transaction, rolled back with the test.
            self.load()

    def session(self, request, blocker):
        """The body of the data set's session fixture: load it now, flush it at the end of the session."""
        active = request.config.stash.setdefault(_ACTIVE_SHARED_DATA, {})
        # A test module that imports the session fixture from its conftest makes a second session
        # fixture of it: both would load and flush the same rows (and the second teardown failed
        # with a bare KeyError). Use the fixture where its conftest reaches, never import it.
        assert self.fixture not in active, (
            f"De gedeelde gegevens '{self.fixture}' zijn al actief: importeer de sessie-fixture niet in een testmodule."
        )
        self.blocker = blocker
        active[self.fixture] = self
        self.ensure_loaded()
        try:
            yield self
        finally:
            del active[self.fixture]
            self.ensure_removed()
            self.blocker = None


# The fixtures of shared data sets, in the order their readers run (tests/api/conftest.py adds `world`).
SHARED_DATA: list[str] = []
_ACTIVE_SHARED_DATA = pytest.StashKey[dict]()


def register_shared_data(data: SharedData) -> SharedData:
    """Make `data.fixture` a shared data set: its readers are grouped and it is loaded between tests."""
    if data.fixture not in SHARED_DATA:
        SHARED_DATA.append(data.fixture)
    return data


def _shared_data_read(item) -> int:
    """Return the position of the shared data set the test reads in a rolled-back transaction (others: last)."""
    names = getattr(item, "fixturenames", ())
    if not _uses_transactions(item):
        for position, fixture in enumerate(SHARED_DATA):
            if fixture in names:
                return position
    return len(SHARED_DATA)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Between tests, outside any transaction: the shared data the next test reads, and no other."""
    result = yield
    active = item.config.stash.get(_ACTIVE_SHARED_DATA, {})
    if active and nextitem is not None and _uses_the_database(nextitem):
        names = set(nextitem.fixturenames)
        for data in list(active.values()):
            if data.fixture not in names and not data.kept_for & names:
                data.ensure_removed()
        for data in list(active.values()):
            if data.fixture in names:
                data.ensure_loaded()
    return result


DEMO = register_shared_data(
    SharedData(
        "rocvaf_demo",
        load=load_rocvaf_demo,
        present=lambda: demo_institution() is not None,
        kept_for=["rocvaf_demo_tx"],
    )
)


@pytest.fixture(scope="session")
def _rocvaf_demo_session(request, django_db_setup, django_db_blocker):
    """Load the demo once for the session (again only after a flush removed it); remove it at the end."""
    yield from DEMO.session(request, django_db_blocker)


@pytest.fixture
def rocvaf_demo(_rocvaf_demo_session, db):
    """The ROCvAF demo: loaded once per session, each test in a transaction that is rolled back.

    Returns a fresh Institution for every test, so no test sees another's changes to the object.
    """
    DEMO.for_test()
    return demo_institution()


@pytest.fixture
def rocvaf_demo_tx(transactional_db):
    """The ROCvAF demo for one transactional test (live server, real worker); flushed at its end."""
    return demo_institution() or load_rocvaf_demo()


@pytest.fixture(scope="session")
def redis_url():
    """Return the URL of the redis-server started by tests/run.py."""
    url = os.environ.get("TEST_REDIS_URL")
    require_service(bool(url), "no redis-server (TEST_REDIS_URL unset; run through make test)")
    return url


@contextmanager
def celery_broker(url: str):
    """Send tasks from this process to the broker at `url` instead of running them eagerly."""
    from kwaliteit.celery import app

    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}

    def reset_pools():
        # Eager calls already acquired a producer on the old broker; drop the cached pools,
        # kombu's process-wide ones too: returning to a URL would get its closed pool back.
        from kombu import pools

        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        pools.reset()

    app.conf.update(broker_url=url, task_always_eager=False)
    reset_pools()
    try:
        yield app
    finally:
        app.conf.update(**saved)
        reset_pools()


def worker_env(broker_url: str, **extra) -> dict[str, str]:
    """Return the environment for a worker process on this test database and broker."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {"DATABASE_URL": url, "CELERY_BROKER_URL": broker_url, "DEBUG": "true", **extra}


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, redis_url, tmp_path_factory):
    """Start a real Celery worker process on the test database and route tasks to it via Redis."""
    require_service(is_postgres(), "the worker needs the shared PostgreSQL test database")
    log_path = ARTIFACTS / "celery-worker.log"
    ARTIFACTS.mkdir(exist_ok=True)
    log_path.write_bytes(b"")
    try:
        process = start_worker(worker_env(redis_url), log_path)
    except ServiceUnavailable as exc:
        pytest.fail(str(exc))
    _USED["celery"] = f"celery worker pid {process.pid}, broker {redis_url}, log {log_path}"
    try:
        with celery_broker(redis_url):
            yield {"process": process, "log": log_path, "broker": redis_url}
    finally:
        stop_process(process)
        succeeded = log_path.read_text(errors="replace").count("succeeded in")
        _USED["celery"] += f", {succeeded} tasks succeeded"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Launch Debian's chromium (playwright install cannot download here, toolchain.md)."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    require_service(Path(executable).exists(), "chromium not installed (apt-get install chromium)")
    return {
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


# What chromium writes to the console when the Content-Security-Policy refuses something.
CSP_MESSAGE_MARKERS = ("Content Security Policy", "Content-Security-Policy", "Refused to")


class BrowserConsole:
    """The console messages and uncaught page errors of one browser test, from every page it opens."""

    def __init__(self):
        self.messages: list[str] = []
        self.errors: list[str] = []

    def attach(self, context) -> None:
        """Record what every page of `context` (including pages opened later) logs or throws."""
        context.on("console", lambda message: self.messages.append(f"{message.type}: {message.text}"))
        context.on("weberror", lambda error: self.errors.append(str(error.error)))

    def settle(self, context) -> None:
        """Let Playwright deliver the events still on their way (it does so during any call)."""
        for open_page in context.pages:
            if not open_page.is_closed():
                try:
                    open_page.evaluate("0")
                except Exception:  # a page navigating or closing: its events are delivered anyway
                    pass

    def csp_violations(self) -> list[str]:
        """Return every message or error that says the Content-Security-Policy refused something."""
        return [text for text in self.messages + self.errors if any(m in text for m in CSP_MESSAGE_MARKERS)]

    def clear(self) -> None:
        """Forget what was recorded (a test that provokes a violation on purpose)."""
        self.messages.clear()
        self.errors.clear()


@pytest.fixture(autouse=True)
def browser_console(request):
    """For every browser test: collect console messages and page errors; fail on any CSP refusal.

    The CSP is on in every mode (issue 13), so a page that needs an inline script, an inline
    event handler or a resource from elsewhere shows up here as a failing test, not in production.
    """
    # A test parametrised with an argument that happens to be called `page` (a URL) is not a
    # browser test: opening a browser context for it would run Playwright's event loop around its
    # database transaction.
    parametrised = set(getattr(getattr(request.node, "callspec", None), "params", {}))
    if not ({"page", "context"} & set(request.fixturenames)) - parametrised:
        yield None
        return
    context = request.getfixturevalue("context")
    console = BrowserConsole()
    console.attach(context)
    yield console
    console.settle(context)
    violations = console.csp_violations()
    if violations:
        pytest.fail("Content-Security-Policy refusals in the browser console:\n" + "\n".join(violations))


@pytest.fixture
def screenshot(page):
    """Return a function that saves a full-page screenshot under artifacts/screenshots."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_terminal_summary(terminalreporter):
    """Say which real services this run used, so the CI log shows it."""
    if not settings.configured:
        return
    db = settings.DATABASES["default"]
    lines = [f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''}:{db.get('PORT') or ''}".rstrip(":")]
    if os.environ.get("TEST_REDIS_URL"):
        lines.append(f"redis: {os.environ['TEST_REDIS_URL']}")
    if "celery" in _USED:
        lines.append(_USED["celery"])
    profile = hypothesis_settings.get_current_profile_name()
    lines.append(f"hypothesis profile: {profile} (max_examples={hypothesis_settings.default.max_examples})")
    terminalreporter.write_sep("-", "services used")
    for line in lines:
        terminalreporter.write_line(line)


@pytest.fixture
def login(page, live_server):
    """Return a function that logs a demo user in through the login form (password kwaliteit2019)."""

    def log_in(username: str, password: str = "kwaliteit2019"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Gebruikersnaam").fill(username)
        page.get_by_label("Wachtwoord").fill(password)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_load_state("networkidle")
        return page

    return log_in
