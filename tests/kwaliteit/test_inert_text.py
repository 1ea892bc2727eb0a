"""Narrative text is escaped everywhere it is shown: an XSS probe renders inert (issue 8)."""

import pytest
from django.contrib.auth import get_user_model

from agenda.models import College, Indicator, Theme
from maatregelen.models import Evidence, EvidenceKind, Measure, MeasureCategory, Review

PROBE = '<script>alert("xss")</script><img src=x onerror=alert(1)>'

pytestmark = pytest.mark.django_db


@pytest.fixture
def probes(rocvaf_demo):
    """Store the probe in every free-text field a director can fill."""
    theme = Theme.objects.get(institution=rocvaf_demo, code="T2")
    college = College.objects.get(institution=rocvaf_demo, code="5100")
    Evidence.objects.create(
        institution=rocvaf_demo,
        theme=theme,
        college=college,
        year=2022,
        kind=EvidenceKind.STORY,
        title=PROBE,
        text=PROBE,
    )
    measure = Measure.objects.create(
        institution=rocvaf_demo,
        theme=theme,
        college=college,
        title=PROBE,
        description=PROBE,
        category=MeasureCategory.PROGRAMME,
        owner=PROBE,
    )
    measure.indicators.set([Indicator.objects.get(institution=rocvaf_demo, code="2b")])
    Review.objects.create(college=college, year=2022, quadrimester=3, notes=PROBE, actions=PROBE)
    return rocvaf_demo


@pytest.mark.parametrize(
    "url",
    [
        "/maatregelen/college/5100/",
        "/dashboard/indicator/2b/?jaar=2022",
        "/dashboard/college/5100/?jaar=2022",
    ],
)
def test_an_xss_probe_in_narrative_text_renders_inert(probes, client, url):
    """The probe appears escaped (&lt;script&gt;) and never as a live tag or attribute."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    html = client.get(url).content.decode()
    assert "&lt;script&gt;alert(" in html
    assert PROBE not in html
    assert "<img src=x onerror" not in html
