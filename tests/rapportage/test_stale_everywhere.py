"""A recompute that fails or never ends leaves the previous results marked *verouderd* everywhere.

domain.md, decided points: "a recompute that fails leaves the previous verdicts marked as
*verouderd* on every page, in the API and in the commands' exit status, never silently served as
current". The review found channels that still passed them off as current: the annual-report
workbook, the API's CSV, a run whose worker is killed on every delivery (RUNNING for ever), and
an in-process (eager) run cut off by SystemExit, which every later write joined without a recompute.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import Indicator, Institution, Membership, Team
from indicatoren.services import measurement_record
from kwaliteit.celery import app as celery_app
from rapportage import services
from rapportage.api.renderers import STATUS_COLUMNS
from rapportage.models import IndicatorResult, RecomputeRun, RunState
from rapportage.selectors import status_body
from rapportage.tasks import recompute_task
from tests.rapportage.exact_world import load_exact_world
from tests.rapportage.exact_world import run as run_command

pytestmark = pytest.mark.django_db
GIVEN_UP = "Herberekening afgebroken na 3 pogingen"


def world(code: str, capture) -> Institution:
    """Load the small institution `code` with its results computed once."""
    with capture(execute=True):
        institution = load_exact_world(code)
    assert RecomputeRun.objects.get(institution=institution).state == RunState.DONE
    return institution


def break_the_engine(monkeypatch) -> None:
    """Make every recompute fail with an exception (as test_stale_results does)."""

    def broken(*args, **kwargs):
        raise RuntimeError("engine kapot")

    monkeypatch.setattr(services, "evaluate_institution", broken)


def member(institution: Institution, role: str):
    """Return a new user with `role` in the institution."""
    user = get_user_model().objects.create_user(username=f"stl-{role}-{institution.code}", password="x")
    Membership.objects.create(user=user, institution=institution, role=role)
    return user


def write(institution: Institution, value: str, capture) -> None:
    """Record the 2020 value of team C1-T1 through the write service, and commit (its callbacks run)."""
    team = Team.objects.get(institution=institution, code="C1-T1")
    indicator = Indicator.objects.get(institution=institution, code="cnt")
    with capture(execute=True):
        with transaction.atomic():
            measurement_record(
                indicator=indicator, year=2020, value=Decimal(value), college=team.college, team=team, source="test"
            )


def institution_value(institution: Institution):
    """Return the stored 2020 institution value of indicator cnt."""
    result = IndicatorResult.objects.get(institution=institution, indicator__code="cnt", year=2020, version="current")
    return result.payload["institution_value"]


def killed_deliveries(run: RecomputeRun, count: int) -> int:
    """Claim `run` as a worker does, `count` times, each worker dying at once, and sweep after each; return claims."""
    claimed = 0
    for _ in range(count):
        # The worker's claim commits RUNNING and attempts + 1; then the process dies (nothing else is written).
        long_ago = timezone.now() - timedelta(hours=2)
        if not services._claim(
            run.pk, {"state": RunState.RUNNING, "started_at": long_ago, "attempts": F("attempts") + 1}
        ):
            break
        claimed += 1
        services.recompute_sweep(older_than_seconds=60)
    return claimed


# Exports ------------------------------------------------------------------------------------


def test_the_annual_report_workbook_says_verouderd_after_a_failed_recompute(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    """The board's workbook after a failed recompute: a VEROUDERD line right under the title of Toelichting."""
    institution = world("STLX", django_capture_on_commit_callbacks)
    client.force_login(member(institution, Role.BOARD))

    def toelichting():
        response = client.get(reverse("rapportage:export"), {"jaar": 2020})
        assert response.status_code == 200
        return [row[0] for row in openpyxl.load_workbook(io.BytesIO(response.content))["Toelichting"].values]

    assert not any("VEROUDERD" in str(line) for line in toelichting())  # current: no warning
    break_the_engine(monkeypatch)
    failed = services.recompute_now(institution=institution, reason="test")
    assert failed.state == RunState.FAILED
    lines = toelichting()
    assert lines[1].startswith("VEROUDERD: de herberekening van ") and "is mislukt" in lines[1]
    assert f"{failed.finished_at:%d-%m-%Y %H:%M}" in lines[1]


def test_the_status_csv_has_stale_and_data_status_after_the_columns_it_had(
    django_capture_on_commit_callbacks, monkeypatch
):
    """/api/v1/status/?format=csv: the same columns in the same order, then stale and data_status on every row."""
    institution = world("STLC", django_capture_on_commit_callbacks)
    client = APIClient()
    client.force_authenticate(member(institution, Role.POLICY))

    def rows():
        response = client.get("/api/v1/status/", {"year": 2020, "institution": institution.code, "format": "csv"})
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    header, *current = rows()
    assert header == [*STATUS_COLUMNS, "stale", "data_status"]
    assert current and all(row[-2:] == ["false", "voorlopig"] for row in current)
    break_the_engine(monkeypatch)
    assert services.recompute_now(institution=institution, reason="test").state == RunState.FAILED
    header, *stale = rows()
    assert stale and all(row[-2:] == ["true", "voorlopig"] for row in stale)
    # The verdicts are the previous ones, in the columns they always had.
    assert [row[: len(STATUS_COLUMNS)] for row in stale] == [row[: len(STATUS_COLUMNS)] for row in current]


# Runs whose worker dies ---------------------------------------------------------------------


def test_a_run_that_kills_its_worker_every_time_is_given_up_and_its_results_say_verouderd(
    django_capture_on_commit_callbacks, monkeypatch
):
    """Killed on each delivery: after RECOMPUTE_MAX_ATTEMPTS the sweep marks it failed, not re-sent for ever."""
    institution = world("STLS", django_capture_on_commit_callbacks)
    sent = []
    monkeypatch.setattr(services, "recompute_enqueue", lambda pk: sent.append(pk) or True)
    write(institution, "5", django_capture_on_commit_callbacks)  # a value the stored results do not have yet
    run = RecomputeRun.objects.get(institution=institution, state=RunState.PENDING)

    assert killed_deliveries(run, 30) == 3  # a fourth delivery (the broker's, or a sweep's) claims nothing
    run.refresh_from_db()
    assert (run.state, run.attempts) == (RunState.FAILED, 3)
    assert run.error.startswith(GIVEN_UP) and run.finished_at is not None
    assert sent == [run.pk] * 3  # sent on commit, then re-sent after the first two deaths only
    assert institution_value(institution) is None  # the results do not have the 5...
    assert status_body(institution, 2020)["stale"] is True  # ...and say so
    status, out, err = run_command("agenda_status", "--year", "2020", "--institution", institution.code)
    assert status == 1 and "VEROUDERD" in err and GIVEN_UP in err

    # A later write asks for a fresh run, as after any failure; it succeeds and clears the mark.
    monkeypatch.undo()
    write(institution, "6", django_capture_on_commit_callbacks)
    latest = RecomputeRun.objects.filter(institution=institution).order_by("-id").first()
    assert latest.pk != run.pk and latest.state == RunState.DONE
    assert Decimal(str(institution_value(institution))) == 6
    assert status_body(institution, 2020)["stale"] is False


def test_a_redelivered_run_out_of_attempts_is_given_up_by_the_task_not_run(
    django_capture_on_commit_callbacks, monkeypatch
):
    """The broker redelivers a run whose worker died three times: the task marks it failed and stops the loop."""
    institution = world("STLR", django_capture_on_commit_callbacks)
    monkeypatch.setattr(services, "recompute_enqueue", lambda pk: True)
    write(institution, "5", django_capture_on_commit_callbacks)
    run = RecomputeRun.objects.get(institution=institution, state=RunState.PENDING)
    RecomputeRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING, started_at=timezone.now(), attempts=3)

    def never(*args, **kwargs):
        raise AssertionError("a run out of attempts is not recomputed again")

    monkeypatch.setattr(services, "attainment_recompute", never)
    assert recompute_task.run(run.pk) is None  # as a worker runs it (not eagerly): nothing recomputed
    run.refresh_from_db()
    assert run.state == RunState.FAILED and run.error.startswith(GIVEN_UP)
    assert status_body(institution, 2020)["stale"] is True


# Eager mode (no broker: the demo) -----------------------------------------------------------


def cut_off(monkeypatch, times: int) -> dict:
    """Make the first `times` recomputes die with SystemExit (gunicorn's time-out); return the call count."""
    real = services.attainment_recompute
    calls = {"n": 0}

    def dying(**kwargs):
        calls["n"] += 1
        if calls["n"] <= times:
            raise SystemExit(1)  # what gunicorn's handle_abort raises on a worker time-out
        return real(**kwargs)

    monkeypatch.setattr(services, "attainment_recompute", dying)
    return calls


def test_after_an_eager_run_was_cut_off_the_next_write_is_recomputed(django_capture_on_commit_callbacks, monkeypatch):
    """The cut-off run rolls back to PENDING; the next write joins it and runs it on commit: results follow the data."""
    assert celery_app.conf.task_always_eager
    institution = world("STLE", django_capture_on_commit_callbacks)
    calls = cut_off(monkeypatch, times=1)
    with pytest.raises(SystemExit):
        write(institution, "5", django_capture_on_commit_callbacks)
    waiting = RecomputeRun.objects.get(institution=institution, state=RunState.PENDING)

    write(institution, "7", django_capture_on_commit_callbacks)  # a director corrects the value
    waiting.refresh_from_db()
    assert waiting.state == RunState.DONE and calls["n"] == 2
    assert waiting.attempts == 2  # the cut-off attempt is counted too
    assert Decimal(str(institution_value(institution))) == 7
    assert status_body(institution, 2020)["stale"] is False


def test_an_eager_run_cut_off_every_time_is_given_up_and_says_verouderd(
    django_capture_on_commit_callbacks, monkeypatch
):
    """A run that kills the process on every try is not retried by every write for ever: after three, verouderd."""
    institution = world("STLG", django_capture_on_commit_callbacks)
    cut_off(monkeypatch, times=100)
    for value in ("5", "6", "7"):
        with pytest.raises(SystemExit):
            write(institution, value, django_capture_on_commit_callbacks)
    write(institution, "8", django_capture_on_commit_callbacks)  # the fourth: given up, not run
    run = RecomputeRun.objects.get(institution=institution, reason__startswith="test")
    assert run.state == RunState.FAILED and run.error.startswith(GIVEN_UP)
    assert status_body(institution, 2020)["stale"] is True


def test_a_joined_waiting_run_is_run_on_commit_only_without_a_broker(django_capture_on_commit_callbacks, monkeypatch):
    """With a broker a joined run is the worker's and the sweep's (nothing sent, as before); without, the join runs it."""
    institution = world("STLM", django_capture_on_commit_callbacks)
    waiting = RecomputeRun.objects.create(institution=institution, reason="afgebroken")  # left by a cut-off run
    sent = []
    with monkeypatch.context() as broker:
        broker.setitem(celery_app.conf, "task_always_eager", False)
        broker.setattr(services, "recompute_enqueue", lambda pk: sent.append(pk) or True)
        broker.setattr(services, "recompute_enqueue_many", lambda pks: sent.extend(pks) or True)
        with django_capture_on_commit_callbacks(execute=True):
            services.recompute_request(institution=institution, reason="met broker")
            services.recompute_request_many(institutions=[institution], reason="sector met broker")
    waiting.refresh_from_db()
    assert (sent, waiting.state, waiting.requests) == ([], RunState.PENDING, 3)

    with django_capture_on_commit_callbacks(execute=True):
        runs = services.recompute_request_many(institutions=[institution], reason="sector")
    assert [run.pk for run in runs] == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.state == RunState.DONE
