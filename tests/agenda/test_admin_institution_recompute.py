"""A college switched off, or the period changed, on the institution's admin page asks for a recompute.

Whether a college counts (active) and which years are judged (the period) move verdicts and
cents (domain.md, "Which teams and colleges count"); every admin save that can do so asks for a
recompute (agenda.admin.RecomputeMixin), or the stored verdicts would stay those of before.
"""

from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model

from agenda.models import College
from rapportage.models import IndicatorResult, RecomputeRun

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """Collect what a browser would post from the page's form: inputs, checked boxes, selected options."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data[name] = attrs.get("value") or "on"
            else:
                self.data[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _change_page(client, institution) -> tuple[str, dict[str, str]]:
    url = f"/admin/agenda/institution/{institution.pk}/change/"
    response = client.get(url)
    assert response.status_code == 200
    form = _Form()
    form.feed(response.content.decode())
    return url, form.data


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser("beheer16", "beheer16@example.org", "geheim"))
    return client


def _colleges_counted(institution, year: int) -> int:
    """Return the colleges counted in the stored current verdicts of `year`, summed over the indicators."""
    rows = IndicatorResult.objects.filter(institution=institution, year=year, version="current")
    return sum(row.payload["colleges_total"] for row in rows)


def test_a_college_switched_off_on_the_institution_page_is_no_longer_counted(
    superuser_client, rocvaf_demo, django_capture_on_commit_callbacks
):
    from rapportage import services

    services.recompute_now(institution=rocvaf_demo, reason="test")
    counted = _colleges_counted(rocvaf_demo, rocvaf_demo.period_end)
    college = College.objects.filter(institution=rocvaf_demo, active=True).order_by("code").first()
    before = RecomputeRun.objects.filter(institution=rocvaf_demo).count()
    url, data = _change_page(superuser_client, rocvaf_demo)
    position = next(
        key.split("-")[1] for key, value in data.items() if key.startswith("colleges-") and value == str(college.pk)
    )
    data.pop(f"colleges-{position}-active")
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    college.refresh_from_db()
    assert college.active is False
    assert RecomputeRun.objects.filter(institution=rocvaf_demo).count() > before
    assert _colleges_counted(rocvaf_demo, rocvaf_demo.period_end) < counted


def test_a_period_set_back_on_the_institution_page_drops_the_last_year(
    superuser_client, rocvaf_demo, django_capture_on_commit_callbacks
):
    from rapportage import services

    services.recompute_now(institution=rocvaf_demo, reason="test")
    last = rocvaf_demo.period_end
    assert IndicatorResult.objects.filter(institution=rocvaf_demo, year=last).exists()
    url, data = _change_page(superuser_client, rocvaf_demo)
    data["period_end"] = str(last - 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not IndicatorResult.objects.filter(institution=rocvaf_demo, year=last).exists()
