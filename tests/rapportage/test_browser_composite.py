"""The indicator page of a composite (issue 18, the IBM) at phone and laptop width.

1a of the demo becomes a composite of three score components for this test (rows written with
the ORM; the transaction-wide demo is flushed afterwards): its own values stay in 2017-2019 and
go in 2020 and 2021, where the components' values make it ("berekend uit componenten").
"""

from decimal import Decimal

import pytest

from agenda.choices import Level
from agenda.models import CompositeComponent, Indicator
from indicatoren.models import Measurement
from rapportage.services import recompute_now
from tests.rapportage.test_browser_responsive import document_overflow, overprinted_headers, wait_for_charts

pytestmark = pytest.mark.browser

COMPONENTS = [("1a-les", "Lessen", "0.5", Decimal("0.3")), ("1a-beg", "Begeleiding", "0.3", Decimal("-0.2"))]
COMPONENTS += [("1a-sfeer", "Sfeer", "0.2", Decimal("0.1"))]
YEARS = (2020, 2021)


def _seed(institution) -> None:
    """Make 1a a composite: components with 1a's team values (shifted a little), 1a's own values gone in YEARS."""
    ibm = Indicator.objects.get(institution=institution, code="1a")
    own = list(Measurement.objects.filter(indicator=ibm, year__in=YEARS, level=Level.TEAM))
    for position, (code, name, weight, shift) in enumerate(COMPONENTS, start=1):
        component = Indicator.objects.create(
            institution=institution,
            theme=ibm.theme,
            code=code,
            name=f"IBM: {name}",
            unit=ibm.unit,
            polarity=ibm.polarity,
            levels=ibm.levels,
            baseline_year=ibm.baseline_year,
            position=ibm.position,
        )
        Measurement.objects.bulk_create(
            Measurement(
                indicator=component,
                year=m.year,
                level=m.level,
                college_id=m.college_id,
                team_id=m.team_id,
                value=min(max(m.value + shift, Decimal(1)), Decimal(10)),
                n=m.n,
            )
            for m in own
        )
        CompositeComponent.objects.create(composite=ibm, component=component, weight=Decimal(weight), position=position)
    Measurement.objects.filter(indicator=ibm, year__in=YEARS).delete()
    recompute_now(institution=institution, reason="test: 1a samengesteld")


@pytest.mark.parametrize("width", (390, 1366))
def test_composite_page_lists_components_and_marks_computed_years(
    width, rocvaf_demo_tx, live_server, login, page, screenshot
):
    """1a's page lists its three components with weights and marks 2020 and 2021 'berekend uit componenten'; no sideways scroll."""
    _seed(rocvaf_demo_tx)
    page.set_viewport_size({"width": width, "height": 900})
    login("bestuur")
    page.goto(f"{live_server.url}/dashboard/indicator/1a/?jaar=2020")
    wait_for_charts(page, 1)
    section = page.locator("section[data-composite]")
    assert section.locator("h2").inner_text() == "Samengesteld uit componenten"
    rows = section.locator("tbody tr")
    assert [rows.nth(i).get_attribute("data-component") for i in range(rows.count())] == [
        "1a-les",
        "1a-beg",
        "1a-sfeer",
    ]
    assert [c.strip() for c in section.locator("tbody td:nth-child(2)").all_inner_texts()] == ["0,5", "0,3", "0,2"]
    total = section.locator("tfoot tr")
    for year in YEARS:
        cell = total.locator(f'td[data-year="{year}"]')
        assert "berekend uit componenten" in cell.text_content() and "*" in cell.inner_text()
    assert "berekend" not in total.locator('td[data-year="2019"]').text_content()  # 1a's own value, given
    section.scroll_into_view_if_needed()
    screenshot(f"composite-1a-{width}")
    section.screenshot(path=str(screenshot(f"composite-1a-{width}").parent / f"composite-section-{width}.png"))
    overflow = document_overflow(page)
    assert overflow["scrollWidth"] <= overflow["innerWidth"], overflow
    assert overprinted_headers(page) == []
