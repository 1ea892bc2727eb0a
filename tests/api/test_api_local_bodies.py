"""The API keeps rendered bodies in its own process, under their ETag (issue 16, bench/api_bench.py)."""

import logging

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rapportage.api import conditional


@pytest.fixture
def bestuur(rocvaf_demo):
    """A board member's token client."""
    client = APIClient()
    user = get_user_model().objects.get(username="bestuur")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_least_recently_used_bodies_leave_first_when_the_bytes_run_out():
    """Over the byte limit the body read longest ago is dropped; a body over the limit is never kept."""
    bodies = conditional._LocalBodies(limit=10)
    bodies.put("a", b"aaaa")
    bodies.put("b", b"bbbb")
    assert bodies.get("a") == b"aaaa"  # a is now the most recent
    bodies.put("c", b"cccc")
    assert (bodies.get("a"), bodies.get("b"), bodies.get("c")) == (b"aaaa", None, b"cccc")
    bodies.put("huge", b"x" * 11)
    assert bodies.get("huge") is None and bodies.size == 8


def test_threads_asking_for_one_key_at_once_make_it_once():
    """While one thread makes a value, the others asking for its key wait for it (a worker just started, 8 threads)."""
    import threading
    import time

    store = conditional._LocalBodies(limit=1000)
    made, results = [], []

    def make():
        made.append(1)
        time.sleep(0.2)  # the others arrive while it is being made
        return b"body"

    threads = [threading.Thread(target=lambda: results.append(store.get_or_make("k", make))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [b"body"] * 8 and len(made) == 1
    assert store.making == {}

    def fail():
        raise RuntimeError("rendering failed")

    with pytest.raises(RuntimeError):
        store.get_or_make("other", fail)
    assert store.get_or_make("other", lambda: b"second try") == b"second try"  # a failure is not kept


@pytest.mark.django_db
def test_a_body_rendered_once_is_answered_from_the_process_without_the_cache(bestuur, settings, caplog):
    """The second GET of a status list reads no body from the shared cache: with Redis down only the first says so.

    (Each request still asks the cache for the data's version, page_cache.data_version; with Redis
    down that fails and the validators are computed, which is logged apart.)
    """
    conditional.local_bodies.bodies.clear()
    conditional.local_bodies.size = 0
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with caplog.at_level(logging.WARNING, logger="rapportage.api.conditional"):
        first = bestuur.get("/api/v1/status/?year=2020&version=original")
        second = bestuur.get("/api/v1/status/?year=2020&version=original")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first["ETag"] == second["ETag"]
    assert sum("API cache unreachable" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.django_db
def test_a_rendered_status_list_is_answered_in_one_query(bestuur, django_assert_max_num_queries):
    """The token with its user, roles and the runs' fingerprint in one statement: no other round trip.

    The validators are kept in the process under the data's version (page_cache.data_version),
    so a warm answer reads neither the result rows nor the last run (issue 16, bench/api_bench.py).
    """
    bestuur.get("/api/v1/status/?year=2022")
    with django_assert_max_num_queries(1):
        response = bestuur.get("/api/v1/status/?year=2022")
    assert response.status_code == 200


@pytest.mark.django_db
def test_approving_a_year_for_every_college_changes_the_etag(bestuur, rocvaf_demo):
    """The sign-off rows are part of the ETag: the body says vastgesteld at once, never a stale voorlopig."""
    from django.core.management import call_command

    before = bestuur.get("/api/v1/status/?year=2019")
    call_command("approve", "--year", "2019", "--user", "beleid")
    after = bestuur.get("/api/v1/status/?year=2019", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after.json()["data_status"] == "vastgesteld"


@pytest.mark.django_db
def test_approving_a_year_moves_last_modified(bestuur, rocvaf_demo):
    """A recompute rewrites only moved rows, so Last-Modified also follows the sign-offs and the last run.

    Approving the year changes the body (data_status) but no result row: a client that
    revalidates with If-Modified-Since alone must get the new body, not a 304 (review of issue 16).
    """
    import time

    from django.core.management import call_command

    path = "/api/v1/status/?year=2019"
    first = bestuur.get(path)
    time.sleep(1.1)  # HTTP dates have whole seconds
    call_command("approve", "--year", "2019", "--user", "beleid")
    again = bestuur.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 200
    assert again.json()["data_status"] == "vastgesteld"
    assert again["Last-Modified"] != first["Last-Modified"]


@pytest.mark.django_db
def test_a_body_of_another_release_is_not_answered(bestuur, monkeypatch):
    """The release is in the API's ETag, so a body rendered by the code before a deploy is never served."""
    first = bestuur.get("/api/v1/status/?year=2020")
    monkeypatch.setattr(conditional, "release", lambda: "a-later-release")
    again = bestuur.get("/api/v1/status/?year=2020", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
