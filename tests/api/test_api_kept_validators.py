"""The API keeps its validators in the process under the data's version (issue 16, bench/api_bench.py).

Each test here lets its writes "commit" (their on-commit callbacks run, as page_cache needs to
move the version), so the second request goes through the kept validators, not around them:
the tests in test_status.py and test_api_local_bodies.py write inside the test's transaction,
where the API computes the validators afresh. Whatever changes the body must change the ETag.
"""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from agenda.models import Indicator
from rapportage import page_cache
from rapportage.api import conditional
from rapportage.models import IndicatorResult, RecomputeRun
from tests.api.test_status import client_for

pytestmark = pytest.mark.django_db
PATH = "/api/v1/status/?year=2019"


@pytest.fixture
def bestuur(rocvaf_demo):
    """A board member's token client."""
    return client_for("bestuur")


def committed(capture, write):
    """Run `write` and its on-commit callbacks, as a commit does (the test's transaction is rolled back later)."""
    with capture(execute=True):
        write()
    assert page_cache.enabled(), "the write is committed: the next request uses the kept validators"


def kept(client, path: str = PATH):
    """Return the answer to `path` after a first request has kept its validators (the second is the kept one)."""
    client.get(path)
    count = len(conditional.local_validators.bodies)
    response = client.get(path)
    assert len(conditional.local_validators.bodies) == count  # served from what the first request kept
    return response


def changed(client, before, path: str = PATH):
    """Return the answer to `path` revalidating `before`: it must be a new body under a new ETag."""
    after = client.get(path, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    return after


def test_approving_a_year_changes_the_kept_etag(bestuur, django_capture_on_commit_callbacks):
    """A committed approval moves the data's version: the body says vastgesteld at once, under a new ETag."""
    before = kept(bestuur)
    assert before.json()["data_status"] == "voorlopig"
    committed(django_capture_on_commit_callbacks, lambda: call_command("approve", "--year", "2019", "--user", "beleid"))
    assert changed(bestuur, before).json()["data_status"] == "vastgesteld"


def test_a_failed_recompute_changes_the_kept_etag(bestuur, rocvaf_demo, django_capture_on_commit_callbacks):
    """A failed run makes every body stale: the kept ETag must not survive it."""
    before = kept(bestuur)
    committed(
        django_capture_on_commit_callbacks,
        lambda: RecomputeRun.objects.create(
            institution=rocvaf_demo, state="failed", finished_at=timezone.now(), error="Fout uit de test"
        ),
    )
    assert changed(bestuur, before).json()["stale"] is True


def test_a_run_of_a_worker_with_another_cache_changes_the_kept_etag(
    bestuur, rocvaf_demo, django_capture_on_commit_callbacks
):
    """A worker whose version bump never reached this process's cache still moves the ETag, by the runs' fingerprint."""
    before = kept(bestuur)
    stale_token = page_cache.version()
    committed(
        django_capture_on_commit_callbacks,
        lambda: RecomputeRun.objects.create(
            institution=rocvaf_demo, state="failed", finished_at=timezone.now(), error="Fout uit de test"
        ),
    )
    cache.set(page_cache.VERSION_KEY, stale_token, None)  # as if the bump went to another process's cache
    assert changed(bestuur, before).json()["stale"] is True


def test_a_recompute_that_moves_rows_changes_the_kept_etag(bestuur, rocvaf_demo, django_capture_on_commit_callbacks):
    """A result row rewritten (a recompute that wrote only the rows that moved) gives a new ETag and Last-Modified."""
    before = kept(bestuur)
    later = timezone.now() + timezone.timedelta(seconds=5)
    committed(
        django_capture_on_commit_callbacks,
        lambda: IndicatorResult.objects.filter(institution=rocvaf_demo, year=2019, indicator__code="2b").update(
            computed_at=later
        ),
    )
    after = changed(bestuur, before)
    assert after["Last-Modified"] != before["Last-Modified"]


def test_reordering_the_indicators_changes_the_kept_etag(bestuur, rocvaf_demo, django_capture_on_commit_callbacks):
    """The body lists the indicators in the agenda's order: swapping two moves the ETag."""
    before = kept(bestuur)
    first, second = Indicator.objects.filter(institution=rocvaf_demo).order_by("position", "code")[:2]

    def swap():
        Indicator.objects.filter(pk=first.pk).update(position=second.position)
        Indicator.objects.filter(pk=second.pk).update(position=first.position)

    committed(django_capture_on_commit_callbacks, swap)
    changed(bestuur, before)


def test_a_release_changes_the_kept_etag(bestuur, monkeypatch):
    """A deploy with the same data (the same Redis) never answers 304 for the body the old code rendered."""
    before = kept(bestuur)
    monkeypatch.setattr(conditional, "release", lambda: "a-later-release")
    changed(bestuur, before)


def test_without_the_page_cache_the_validators_are_computed_every_time(bestuur, settings):
    """PAGE_CACHE off (several processes with a local cache each): nothing is kept, every answer computes its ETag."""
    settings.PAGE_CACHE = False
    count = len(conditional.local_validators.bodies)
    first, second = bestuur.get(PATH), bestuur.get(PATH)
    assert first["ETag"] == second["ETag"]
    assert len(conditional.local_validators.bodies) == count
