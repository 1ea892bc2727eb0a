"""Last-Modified has whole seconds: a body changed within the second of the client's copy is never a 304.

A failed recompute a few ms after the last good one turns stale false -> true within one second;
a client revalidating by date only (If-Modified-Since, as RFC 9110 allows) got 304 and kept the
body that said the results were current (review). RFC 9110 8.8.2.2 / Apache: a date validates only
once its second has ended; the ETag (If-None-Match, which takes precedence) always works.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.http import http_date, parse_http_date
from rest_framework.test import APIClient

from agenda.choices import Role
from agenda.models import Membership
from rapportage import services
from rapportage.engine import exact_json
from rapportage.models import RecomputeRun, RunState
from tests.rapportage.exact_world import load_exact_world

pytestmark = pytest.mark.django_db
BASE = dt.datetime(2026, 3, 2, 10, 0, 0, tzinfo=dt.UTC)


class Clock:
    """timezone.now(): 1 ms later on every call (a fast machine), moved on by hand to a later second."""

    def __init__(self):
        self.now = BASE

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(milliseconds=1)
        return self.now

    def next_second(self) -> None:
        """Move to the start of the next whole second."""
        self.now = self.now.replace(microsecond=0) + dt.timedelta(seconds=1)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Every timezone.now() 1 ms after the last, in the second 10:00:00 until moved on."""
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def api(clock, django_capture_on_commit_callbacks):
    """Return a policy member's API client and the status list's parameters of a small institution."""
    with django_capture_on_commit_callbacks(execute=True):
        institution = load_exact_world("STLL")
    assert RecomputeRun.objects.get(institution=institution).state == RunState.DONE
    user = get_user_model().objects.create_user(username="stl-last-modified", password="x")
    Membership.objects.create(user=user, institution=institution, role=Role.POLICY)
    client = APIClient()
    client.force_authenticate(user)
    return client, {"year": 2020, "institution": institution.code}, institution


def fail_a_recompute(institution, monkeypatch) -> None:
    """Run a recompute that fails: the stored results become stale."""

    def broken(*args, **kwargs):
        raise RuntimeError("engine kapot")

    monkeypatch.setattr(services, "evaluate_institution", broken)
    assert services.recompute_now(institution=institution, reason="test").state == RunState.FAILED


def test_if_modified_since_after_a_failed_recompute_in_the_same_second(api, monkeypatch):
    """The body went stale in the second of the client's copy: its date gets the new body, not a 304."""
    client, params, institution = api
    first = client.get("/api/v1/status/", params)
    assert first.status_code == 200 and exact_json.loads(first.content)["stale"] is False
    fail_a_recompute(institution, monkeypatch)
    fresh = client.get("/api/v1/status/", params)
    assert exact_json.loads(fresh.content)["stale"] is True and fresh["ETag"] != first["ETag"]
    again = client.get("/api/v1/status/", params, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 200 and exact_json.loads(again.content)["stale"] is True
    # Nor does the date of this very second (a client that sends its own clock) give a 304.
    now = client.get("/api/v1/status/", params, HTTP_IF_MODIFIED_SINCE=http_date(BASE.timestamp()))
    assert now.status_code == 200
    # If-None-Match takes precedence over a date (RFC 9110 13.2.2): the old ETag gets the new body.
    both = client.get(
        "/api/v1/status/",
        params,
        HTTP_IF_NONE_MATCH=first["ETag"],
        HTTP_IF_MODIFIED_SINCE=http_date(BASE.timestamp() + 3600),
    )
    assert both.status_code == 200 and exact_json.loads(both.content)["stale"] is True


def test_last_modified_is_never_the_second_the_body_was_read_in(api, clock):
    """Within the second of the newest change the date sent is the second before; once it ended, its own date."""
    client, params, _ = api
    response = client.get("/api/v1/status/", params)
    assert parse_http_date(response["Last-Modified"]) == BASE.timestamp() - 1
    # Within the second only the ETag answers 304: the date cannot tell this body from a later one.
    assert client.get("/api/v1/status/", params, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get("/api/v1/status/", params, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 200
    clock.next_second()
    later = client.get("/api/v1/status/", params)
    assert parse_http_date(later["Last-Modified"]) == BASE.timestamp()  # the second has ended: its own date
    assert later["ETag"] == response["ETag"]
    # An unchanged body still answers 304 by date (If-Modified-Since saves the body, as before).
    again = client.get("/api/v1/status/", params, HTTP_IF_MODIFIED_SINCE=later["Last-Modified"])
    assert again.status_code == 304
    assert (again["ETag"], again["Last-Modified"]) == (later["ETag"], later["Last-Modified"])
