"""The baselines policy page (beleid: nulmetingen): a baseline revised from a year on, with a dry run.

Domain.md, "The agenda changes over time": the 2020 herijking may revise baselines, from a year on,
never rewriting earlier years. Before this page a baseline revision could only be made in the agenda
file or, by a superuser, in an admin inline that checked neither the year nor the reason.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from agenda.models import BaselineRevision, Indicator
from rapportage.models import IndicatorResult, Version
from rapportage.services import recompute_now
from tests.agenda.admin_forms import form_data
from tests.invoer.policy_flow import preview, preview_and_save
from tests.invoer.test_policy_pages import flip_rows, logged_flips

BASELINES = reverse("beleid:baselines")


@pytest.fixture
def policy(client, rocvaf_demo):
    """Return a client logged in as the demo's policy staff (beleid)."""
    client.force_login(get_user_model().objects.get(username="beleid"))
    return client


def baseline_post(**changes) -> dict:
    """Return a POST that sets 3c's baseline (institution level only, 'behoud') to 100 % from 2021."""
    data = {
        "indicator": "3c",
        "from_year": "2021",
        "baseline_year": "2017",
        "baseline_value": "100",
        "reason": "herijking 2020: nulmeting 3c herzien",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
def test_the_page_shows_the_baseline_in_force_per_indicator_and_year(policy, rocvaf_demo):
    """Every indicator has a row; 1a reads 2017: 6,7 in each year, 3c 'uit de waarden' (no value in the agenda)."""
    response = policy.get(BASELINES)
    assert response.status_code == 200
    rows = {row["indicator"].code: row["cells"] for row in response.context["rows"]}
    assert set(rows) == set(Indicator.objects.filter(institution=rocvaf_demo).values_list("code", flat=True))
    assert {(c["year"], c["baseline_year"], c["value"]) for c in rows["1a"]} == {
        (year, 2017, Decimal("6.7")) for year in rocvaf_demo.years
    }
    html = response.content.decode()
    assert "Nulmetingen" in html and "uit de waarden" in html
    assert 'href="?indicator=1a&amp;from_year=2021#vastleggen"' in html


@pytest.mark.django_db
def test_choosing_an_indicator_and_year_fills_the_form_with_what_holds_then(policy):
    """?indicator=1a&from_year=2021 starts from 1a's baseline of 2017, 6,7."""
    form = policy.get(BASELINES, {"indicator": "1a", "from_year": "2021"}).context["form"]
    assert (form.initial["indicator"], form.initial["baseline_year"], form.initial["baseline_value"]) == (
        "1a",
        2017,
        "6,7",
    )


@pytest.mark.django_db
def test_a_previewed_baseline_revision_flips_what_its_preview_showed_and_leaves_earlier_years(policy, rocvaf_demo):
    """3c from 2021 against 100 %: 2022 (met before) flips as shown, 2020 keeps its verdict, the revision has its author."""
    recompute_now(institution=rocvaf_demo, reason="test")
    before_2020 = IndicatorResult.objects.get(indicator__code="3c", year=2020, version=Version.CURRENT).attained
    shown, saved = preview_and_save(policy, BASELINES, baseline_post())
    effects = shown.context["effects"]
    assert {(f["indicator"], f["year"], f["college"], f["new"]) for f in effects.flips} == {("3c", 2022, None, False)}
    assert saved.status_code == 302
    revision = BaselineRevision.objects.get(indicator__code="3c", indicator__institution=rocvaf_demo)
    assert (revision.from_year, revision.baseline_year, revision.baseline_value) == (2021, 2017, Decimal(100))
    assert (revision.author.username, revision.reason) == ("beleid", "herijking 2020: nulmeting 3c herzien")
    assert (
        "Vastgelegd: 3c heeft vanaf 2021 de nulmeting van 2017 (100)." in policy.get(saved["Location"]).content.decode()
    )

    run = recompute_now(institution=rocvaf_demo, reason="test")
    assert logged_flips(run) == flip_rows(effects.flips)
    assert IndicatorResult.objects.get(indicator__code="3c", year=2020, version=Version.CURRENT).attained == before_2020
    assert IndicatorResult.objects.get(indicator__code="3c", year=2022, version=Version.CURRENT).attained is False


@pytest.mark.django_db
def test_an_empty_value_takes_the_baseline_from_the_data_of_its_year(policy, rocvaf_demo):
    """1a from 2022 with the baseline year 2019 and no value: stored as None (the institution's 2019 value)."""
    _, saved = preview_and_save(
        policy, BASELINES, baseline_post(indicator="1a", from_year="2022", baseline_year="2019", baseline_value="")
    )
    assert saved.status_code == 302
    revision = BaselineRevision.objects.get(indicator__code="1a", indicator__institution=rocvaf_demo)
    assert (revision.from_year, revision.baseline_year, revision.baseline_value) == (2022, 2019, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"baseline_value": "150"}, "baseline_value", "Waarde 150 past niet bij de eenheid van de indicator"),
        ({"baseline_value": "veel"}, "baseline_value", "Geen getal; schrijf bijvoorbeeld 6,5 of 70."),
        ({"baseline_value": "1,1234567"}, "baseline_value", "Te veel decimalen in 1,1234567"),
        ({"reason": " "}, "reason", "Geef de reden van de herijking."),
        ({"from_year": "2015"}, "from_year", "2015 valt buiten de periode 2019-2022."),
        ({"baseline_year": "1800"}, "baseline_year", "Zorg ervoor dat deze waarde minstens 1990 is."),
        ({"indicator": "9z"}, "indicator", "Selecteer een geldige keuze."),
    ],
)
def test_an_invalid_baseline_is_refused_with_a_dutch_message_beside_its_field(policy, changes, field, message):
    """Every refusal is a Dutch message on its field, 400, no preview and nothing stored."""
    response = preview(policy, BASELINES, baseline_post(**changes))
    assert response.status_code == 400
    assert any(error.startswith(message) for error in response.context["form"].errors[field]), response.context[
        "form"
    ].errors
    assert response.context["effects"] is None and "Opslaan" not in response.content.decode()
    assert not BaselineRevision.objects.filter(indicator__code="3c").exists()


@pytest.mark.django_db
def test_only_policy_staff_revise_a_baseline(client, rocvaf_demo):
    """A college director gets 403 on the page and on a save; nothing is stored."""
    client.force_login(get_user_model().objects.get(username="directeur5100"))
    assert client.get(BASELINES).status_code == 403
    assert client.post(BASELINES, {**baseline_post(), "save": "1", "fingerprint": "x"}).status_code == 403
    assert not BaselineRevision.objects.filter(indicator__code="3c").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "row"),
    [
        (
            "baseline_revisions",
            {"from_year": "2015", "baseline_year": "2017", "baseline_value": "50", "reason": ""},
        ),
        ("applicability", {"from_year": "2015", "reason": ""}),
        ("factors", {"name": "zonder spoor", "effect": "+", "position": "9"}),
    ],
)
def test_the_admin_shows_revisions_but_writes_them_only_on_the_policy_pages(client, rocvaf_demo, prefix, row):
    """Even a superuser's row posted in an indicator's inline is not stored: it bypassed the year, reason and trail."""
    user = get_user_model().objects.create_superuser("beheer34", "beheer34@example.org", "geheim")
    client.force_login(user)
    indicator = Indicator.objects.get(institution=rocvaf_demo, code="3c")
    url = f"/admin/agenda/indicator/{indicator.pk}/change/"
    page = client.get(url)
    assert "herijk op de beleidspagina Nulmetingen" in page.content.decode()
    if prefix == "applicability":
        row = {**row, "colleges": [str(c.pk) for c in rocvaf_demo.colleges.order_by("code")[:2]]}
    data = form_data(client, url)
    assert f"{prefix}-TOTAL_FORMS" in data
    position = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(position + 1)
    data.update({f"{prefix}-{position}-{name}": value for name, value in {**row, "indicator": indicator.pk}.items()})
    before = (indicator.baseline_revisions.count(), indicator.applicability.count(), indicator.factors.count())
    client.post(url, data)
    assert (indicator.baseline_revisions.count(), indicator.applicability.count(), indicator.factors.count()) == before
