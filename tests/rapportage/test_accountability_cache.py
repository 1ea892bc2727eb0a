"""The spending and manifesto pages from the board pages' cache (rapportage.page_cache): current after every write.

`bench.dashboard_load` measured the spending page at 66 requests/s (p99 1.1 s) and the manifesto at
118 (p99 626 ms) at 50 connections, rendered on every request. A plain GET is now served from the
cache per user and data version, as the budget page is; a form being edited, an upload preview
and a refusal are still rendered for the request.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agenda.models import Institution, Theme
from maatregelen import page_reads, services
from maatregelen.models import Spending
from tests.rapportage.test_page_cache import TOKEN, committed, login, text

SPENDING = "/maatregelen/besteding/?jaar=2021"
MANIFESTO = "/maatregelen/manifest/?jaar=2021"


def queries(client, path: str) -> tuple[str, int]:
    """Return the page and how many queries serving it took."""
    with CaptureQueriesContext(connection) as captured:
        body = text(client.get(path))
    return body, len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["bestuur", "beleid", "directeur5100"])
@pytest.mark.parametrize("path", [SPENDING, MANIFESTO])
def test_the_second_request_is_the_first_ones_page_without_reading_the_lines(rocvaf_demo, path, username):
    client = login(username)
    first, rendered = queries(client, path)
    second, served = queries(client, path)
    assert TOKEN.sub("", second) == TOKEN.sub("", first)
    assert served < rendered / 2, (served, rendered)


@pytest.mark.django_db
def test_a_line_recorded_since_shows_at_once(rocvaf_demo, django_capture_on_commit_callbacks):
    client = login("bestuur")
    assert "Regel uit de cachetest" not in text(client.get(SPENDING))
    institution = Institution.objects.get(code="ROCVAF")
    theme = Theme.objects.filter(institution=institution).order_by("position").first()

    def write():
        Spending.objects.filter(institution=institution, year=2021, theme=theme, college=None, measure=None).delete()
        return services.spending_record(
            institution=institution,
            year=2021,
            theme=theme,
            college=None,
            measure=None,
            amount_cents=12_345,
            note="Regel uit de cachetest",
        )

    committed(django_capture_on_commit_callbacks, write)
    assert "Regel uit de cachetest" in text(client.get(SPENDING))


@pytest.mark.django_db
def test_an_edit_form_is_rendered_for_its_request_and_noted_in_the_session(rocvaf_demo):
    """The edit form notes what its user saw (maatregelen.page_reads): never a cached page without that note."""
    client = login("beleid")
    line = Spending.objects.filter(institution__code="ROCVAF", year=2021).order_by("pk").first()
    for _ in range(2):
        client.get(f"{SPENDING}&bewerk={line.pk}")
        assert f"spending:{line.pk}" in client.session[page_reads.READ_KEY]
        client.session.pop(page_reads.READ_KEY, None)
        session = client.session
        session[page_reads.READ_KEY] = {}
        session.save()
