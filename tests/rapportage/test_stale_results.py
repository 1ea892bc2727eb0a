"""A failed recompute never passes silently: the stored results are marked *verouderd* everywhere.

domain.md ("Points the rules above left open"): the previous verdicts stay, marked stale on every
page, in the API and in the commands' exit status, until a recompute succeeds (issue 11 part 7).
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import Membership
from indicatoren.models import Measurement
from rapportage import services
from rapportage.engine import exact_json
from rapportage.models import RecomputeRun, RunState
from rapportage.selectors import budget_body, status_body
from tests.rapportage.exact_world import benchmark_file, load_exact_world, run

BROKEN = "RuntimeError: engine kapot"


def break_the_engine(monkeypatch) -> None:
    """Make every recompute fail, as the InvalidOperation of issue 11 part 7 did."""

    def broken(*args, **kwargs):
        raise RuntimeError("engine kapot")

    monkeypatch.setattr(services, "evaluate_institution", broken)


@pytest.fixture
def exact(db, django_capture_on_commit_callbacks):
    """Return the small institution with its results computed once."""
    with django_capture_on_commit_callbacks(execute=True):
        institution = load_exact_world()
    assert RecomputeRun.objects.get(institution=institution).state == RunState.DONE
    return institution


@pytest.fixture
def stale(exact, monkeypatch):
    """Return the institution after a recompute that failed."""
    break_the_engine(monkeypatch)
    run_ = services.recompute_now(institution=exact, reason="test")
    assert run_.state == RunState.FAILED and BROKEN in run_.error
    return exact


def api_client(institution, role=Role.POLICY) -> APIClient:
    """Return an API client of a member of the institution."""
    user = get_user_model().objects.create_user(username=f"{role}-{institution.code}", password="x")
    Membership.objects.create(user=user, institution=institution, role=role)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_fresh_results_say_they_are_current(exact):
    """Without a failed recompute every body has stale false and no failure time."""
    for body in (status_body(exact, 2020), budget_body(exact, 2020)):
        assert (body["stale"], body["recompute_failed_at"]) == (False, None)


def test_a_failed_recompute_marks_every_api_body_stale_with_the_failure_time(exact, monkeypatch):
    """Status list, one indicator and budget say stale: true and when; the ETag changes; the old verdicts stay."""
    client = api_client(exact)
    urls = ["/api/v1/status/", "/api/v1/indicators/cnt/status/", "/api/v1/budget/"]
    params = {"year": 2020, "institution": exact.code}
    before = {url: client.get(url, params) for url in urls}
    assert all(response.status_code == 200 for response in before.values())

    break_the_engine(monkeypatch)
    failed = services.recompute_now(institution=exact, reason="test")
    for url in urls:
        response = client.get(url, params, HTTP_IF_NONE_MATCH=before[url]["ETag"])
        assert response.status_code == 200, f"{url}: a stale body is a new representation, not 304"
        body = exact_json.loads(response.content)
        assert body["stale"] is True, url
        assert body["recompute_failed_at"] == failed.finished_at.isoformat(), url
        old = exact_json.loads(before[url].content)
        # Additive: every field of the current body is still there, with the previous verdicts.
        assert {key: value for key, value in body.items() if key not in ("stale", "recompute_failed_at")} == {
            key: value for key, value in old.items() if key not in ("stale", "recompute_failed_at")
        }


def test_a_successful_recompute_clears_the_mark(stale, monkeypatch):
    """Once a recompute succeeds again the results are current."""
    monkeypatch.undo()
    assert services.recompute_now(institution=stale, reason="opnieuw").state == RunState.DONE
    assert status_body(stale, 2020)["stale"] is False


def test_a_waiting_recompute_after_a_failed_one_keeps_the_mark(stale):
    """A recompute that has not finished yet does not make the old results current."""
    RecomputeRun.objects.create(institution=stale, reason="wacht")
    assert status_body(stale, 2020)["stale"] is True


@pytest.mark.parametrize(
    ("name", "args"),
    [("rapportage:overview", []), ("rapportage:budget", []), ("rapportage:indicator", ["cnt"])],
)
def test_pages_show_a_verouderd_banner(stale, client, name, args):
    """Every page carries a visible Dutch banner while the results are stale."""
    user = get_user_model().objects.create_user(username="bestuur-exa", password="x")
    Membership.objects.create(user=user, institution=stale, role=Role.BOARD)
    client.force_login(user)
    html = client.get(reverse(name, args=args)).content.decode()
    assert 'class="error-box stale-banner" role="alert"' in html
    assert "<strong>Verouderd.</strong>" in html and "is mislukt" in html


def test_pages_show_no_banner_while_current(exact, client):
    """No banner while the results follow the data."""
    user = get_user_model().objects.create_user(username="bestuur-exa", password="x")
    Membership.objects.create(user=user, institution=exact, role=Role.BOARD)
    client.force_login(user)
    assert "stale-banner" not in client.get(reverse("rapportage:overview")).content.decode()


@pytest.mark.parametrize("command", ["agenda_status", "budget"])
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_agenda_status_and_budget_exit_1_while_stale(stale, command, fmt):
    """The commands print the previous results, marked, and exit 1 with the failure."""
    status, out, err = run(command, "--year", "2020", "--institution", stale.code, "--format", fmt)
    assert status == 1
    assert "VEROUDERD" in err and "engine kapot" in err
    if fmt == "json":
        assert exact_json.loads(out)["stale"] is True
    else:
        assert "[VEROUDERD]" in out


@pytest.mark.parametrize("command", ["agenda_status", "budget"])
def test_agenda_status_and_budget_exit_0_while_current(exact, command):
    """Current results: exit 0, as before."""
    status, out, err = run(command, "--year", "2020", "--institution", exact.code, "--format", "json")
    assert status == 0, err
    assert exact_json.loads(out)["stale"] is False


@pytest.mark.django_db(transaction=True)
def test_import_benchmark_exits_1_naming_the_failed_recompute(tmp_path, monkeypatch):
    """The values are stored, but a recompute that fails after the import makes the command exit 1 with the reason."""
    institution = load_exact_world()
    break_the_engine(monkeypatch)
    path = benchmark_file(tmp_path, [(2020, "C1", "C1-T1", "12,5")])
    status, out, err = run("import_benchmark", str(path), "--institution", institution.code)
    assert status == 1
    assert "upload #" in out and "verwerkt" in out
    assert "mislukt" in err and BROKEN in err and "VEROUDERD" in err
    assert Measurement.objects.filter(indicator__institution=institution).count() == 1
    assert status_body(institution, 2020)["stale"] is True
