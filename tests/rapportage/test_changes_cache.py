"""The board's "Wat is er veranderd" page from the page cache (rapportage.page_cache), as the other board pages.

`bench.dashboard_load` measured it at 0.12-0.13x a trivial logged-in view (p99 0.7-1.3 s at 50
connections), rendered on every request. A valid GET is now served per user, day and data version;
a form error (400) is rendered for its request.
"""

from datetime import date

import pytest

from agenda.models import College
from maatregelen.services import review_create
from tests.rapportage.test_accountability_cache import queries
from tests.rapportage.test_page_cache import TOKEN, committed, login, text

CHANGES = "/dashboard/veranderd/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", [CHANGES, f"{CHANGES}?sinds=01-01-2021", f"{CHANGES}?sinds=01-01-2021&college=5100"])
def test_the_second_request_is_the_first_ones_page_without_reading_the_changes(rocvaf_demo, path):
    client = login("bestuur")
    first, rendered = queries(client, path)
    second, cached = queries(client, path)
    assert TOKEN.sub("", second) == TOKEN.sub("", first)
    assert cached < rendered / 2, (cached, rendered)


@pytest.mark.django_db
def test_a_wrong_date_is_answered_400_for_its_request(rocvaf_demo):
    client = login("bestuur")
    assert client.get(f"{CHANGES}?sinds=31-02-2021").status_code == 400
    assert client.get(f"{CHANGES}?sinds=31-02-2021").status_code == 400


@pytest.mark.django_db
def test_a_committed_write_shows_at_once(rocvaf_demo, django_capture_on_commit_callbacks):
    """A Q-gesprek held since moves the default date ("sinds het laatste Q-gesprek"): the cached page follows."""
    client = login("bestuur")
    before = text(client.get(CHANGES))
    college = College.objects.get(institution__code="ROCVAF", code="5100")
    committed(
        django_capture_on_commit_callbacks,
        lambda: review_create(college=college, year=2022, quadrimester=3, held_on=date(2022, 12, 20)),
    )
    after = text(client.get(CHANGES))
    assert "20-12-2022" in after or "20 december 2022" in after, after[:3000]
    assert TOKEN.sub("", after) != TOKEN.sub("", before)
