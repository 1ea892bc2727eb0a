"""Comparison series, breakdowns and sources on the indicator page (issue 18), on the ROCvAF demo.

ContextValue rows are made with the ORM here (the import is another part of the issue); the page
only reads them. A group below 20 students shows "kleine groep" and never its value.
"""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from agenda.choices import Level
from agenda.models import College, Indicator
from indicatoren.models import ContextValue, Measurement
from rapportage import context, selectors
from rapportage.engine.words import nl_number
from rapportage.templatetags.kwaliteit import nl_signed

D = Decimal
YEAR = 2020


@pytest.fixture
def board(client, rocvaf_demo):
    """A client logged in as the board member of the demo."""
    client.force_login(get_user_model().objects.get(username="bestuur"))
    return client


def _indicator(code: str) -> Indicator:
    """Return a demo indicator without the demo's own comparison and breakdown rows (each test sets its own)."""
    indicator = Indicator.objects.get(institution__code="ROCVAF", code=code)
    ContextValue.objects.filter(indicator=indicator).delete()
    return indicator


def _comparison(indicator, year, value, series="landelijk", source="DUO", college=None):
    return ContextValue.objects.create(
        indicator=indicator,
        year=year,
        level=Level.COLLEGE if college else Level.INSTITUTION,
        college=college,
        series=series,
        value=D(value),
        source=source,
    )


def _group(indicator, year, group, value, n, dimension="vooropleiding", series=""):
    return ContextValue.objects.create(
        indicator=indicator,
        year=year,
        level=Level.INSTITUTION,
        series=series,
        dimension=dimension,
        group=group,
        value=D(value),
        n=n,
    )


def _page(board, code: str) -> str:
    response = board.get(f"{reverse('rapportage:indicator', args=[code])}?jaar={YEAR}")
    assert response.status_code == 200
    return response.content.decode()


def _figure(html: str, script_id: str) -> dict:
    """Return the plotly figure the page embeds under `script_id` (json_script)."""
    start = html.index(f'<script id="{script_id}" type="application/json">') + len(
        f'<script id="{script_id}" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_year_table_shows_landelijk_beside_the_own_value_with_the_difference(board):
    """2b: the year table gains a Landelijk column and the exact difference own minus landelijk."""
    vsv = _indicator("2b")
    own = context.indicator_context(vsv, [{"year": YEAR, "value": D("6.1")}])
    assert own.series == []  # nothing before the rows exist
    _comparison(vsv, YEAR, "5.35")
    result = context.indicator_context(vsv, [{"year": YEAR, "value": D("6.1")}])
    assert result.series == [{"series": "landelijk", "label": "Landelijk"}]
    row = next(r for r in result.year_rows if r["year"] == YEAR)
    assert row["comparisons"][0]["difference"] == D("0.75")
    trend = selectors.indicator_trend(vsv).institution
    own_value = next(v for y, v in zip(trend["year"], trend["value"], strict=True) if y == YEAR)
    ContextValue.objects.filter(indicator=vsv).update(value=own_value - D("1.25"))
    html = _page(board, "2b")
    assert '<th scope="col" class="num" data-series="landelijk">Landelijk</th>' in html
    row = html[html.index(f'<tr data-year="{YEAR}">') :]
    row = row[: row.index("</tr>")]
    assert nl_number(own_value - D("1.25"), 1) in row
    assert "+1,2</td>" in row or "+1,3</td>" in row  # own minus landelijk, signed, one decimal


def test_college_level_comparisons_stay_out_of_the_institution_table(board):
    """A college-level series (DUO per ROC) is not drawn or tabled as an institution reference."""
    vsv = _indicator("2b")
    _comparison(vsv, YEAR, "4.0", series="DUO", college=College.objects.get(institution__code="ROCVAF", code="5100"))
    result = context.indicator_context(vsv, [{"year": YEAR, "value": D("6.1")}])
    assert result.series == [] and result.comparisons.empty
    assert len(context.comparison_frame(vsv)) == 1


def test_breakdown_shows_small_groups_as_kleine_groep_and_never_their_value(board):
    """2a-entree by vooropleiding: n >= 20 shows the value, n < 20 'kleine groep' (not in table nor figure)."""
    entree = _indicator("2a-entree")
    entree.breakdowns = {"vooropleiding": ["PrO", "vso", "vmbo-b", "afgebroken vmbo"]}
    entree.save(update_fields=["breakdowns"])
    _group(entree, YEAR, "PrO", "61.25", 140)
    _group(entree, YEAR, "vso", "47.13", 12)  # small: never shown
    _group(entree, YEAR, "vmbo-b", "66.5", None)  # n unknown: shown to staff
    html = _page(board, "2a-entree")
    assert 'id="uitsplitsing"' in html
    assert "61,3" in html or "61,2" in html
    assert "kleine groep" in html
    assert "47,1" not in html and "47.13" not in html and "47,13" not in html
    figure = _figure(html, "fig-breakdown-1")
    assert "47.13" not in json.dumps(figure)
    assert "kleine groep" in [a.get("text") for a in figure["layout"]["annotations"]]
    vso = next(t for t in figure["data"] if t.get("meta", {}).get("group") == "vso")
    assert vso["x"] == [] and vso["y"] == []
    # Declared but empty groups are listed with a dash; the group order is the agenda file's.
    table = html[html.index('class="compact breakdown-table"') :]
    assert (
        table.index('data-group="PrO"') < table.index('data-group="vso"') < table.index('data-group="afgebroken vmbo"')
    )


def test_breakdown_names_its_sources_under_the_table(board):
    """Each source of a dimension's figures is named once under its table (the demo's 2a groups are illustrative)."""
    entree = _indicator("2a-entree")
    entree.breakdowns = {"vooropleiding": ["PrO", "vso"]}
    entree.save(update_fields=["breakdowns"])
    for group, n in (("PrO", 140), ("vso", 60)):
        row = _group(entree, YEAR, group, "61.25", n)
        row.source = "demo (illustratief), geen agendacijfer"
        row.save(update_fields=["source"])
    html = _page(board, "2a-entree")
    assert html.count("Bron: demo (illustratief), geen agendacijfer") == 1


def test_declared_breakdown_without_values_shows_how_to_load_them(board):
    """An indicator that declares a dimension but has no values says how to load them."""
    entree = _indicator("2a-entree")
    entree.breakdowns = {"vooropleiding": ["PrO", "vso"]}
    entree.save(update_fields=["breakdowns"])
    html = _page(board, "2a-entree")
    assert "Nog geen waarden naar vooropleiding (PrO, vso)" in html
    assert "vooropleiding: PrO" in html


def test_page_without_context_values_has_no_breakdown_section_and_says_where_comparisons_come_from(board):
    """No declared dimension and no rows: no breakdown section; the year table explains the series column."""
    html = _page(board, "3c")
    assert 'id="uitsplitsing"' not in html
    assert "Nog geen vergelijkingsreeks" in html


def test_own_source_per_year_prefers_the_institution_row_then_the_most_common(rocvaf_demo):
    """Bron per jaar: the institution row's source, else the most common source of college/team rows."""
    ibm = _indicator("1a")
    Measurement.objects.filter(indicator=ibm).update(source="")
    rows = list(Measurement.objects.filter(indicator=ibm, year=2019).exclude(level=Level.INSTITUTION)[:3])
    assert len(rows) == 3
    for row, source in zip(rows, ["STO", "STO", "JOB"], strict=True):
        row.source = source
        row.save(update_fields=["source"])
    assert context.own_sources(ibm) == {2019: "STO"}
    Measurement.objects.update_or_create(
        indicator=ibm, year=2019, level=Level.INSTITUTION, defaults={"value": D("7.1"), "source": "JOB 2019"}
    )
    assert context.own_sources(ibm) == {2019: "JOB 2019"}


@pytest.mark.parametrize(
    ("sources", "changes"),
    [
        ({}, []),
        ({2018: "JOB", 2019: "JOB"}, []),
        ({2018: "JOB", 2019: "job"}, []),  # same source, other spelling
        ({2016: "JOB", 2017: "STO", 2018: "JOB"}, [(2017, "JOB", "STO"), (2018, "STO", "JOB")]),
        ({2016: "JOB", 2018: "STO"}, [(2018, "JOB", "STO")]),  # a year without a source in between
    ],
)
def test_source_changes_are_the_years_the_source_differs_from_the_previous_one(sources, changes):
    """A change is named by the year it happens and the two sources (JOB vs STO, agenda 1a)."""
    assert [(c["year"], c["before"], c["after"]) for c in context.source_changes(sources)] == changes


def test_source_change_is_named_on_the_page(board):
    """1a with JOB in 2018 and STO in 2019 says so above the year table and marks it in the trend."""
    ibm = _indicator("1a")
    for year, source in ((2018, "JOB"), (2019, "STO")):
        Measurement.objects.filter(indicator=ibm, year=year).update(source=source)
    html = _page(board, "1a")
    assert "in 2019 JOB → STO" in html
    trend = _figure(html, "fig-trend")
    assert "bron: JOB → STO" in [a.get("text") for a in trend["layout"]["annotations"]]
    assert any(shape["x0"] == 2018.5 and shape["line"]["dash"] == "dot" for shape in trend["layout"]["shapes"])
    institution = next(t for t in trend["data"] if t["name"] == "Instelling")
    assert "bron: %{customdata}" in institution["hovertemplate"]


def test_the_source_column_appears_only_when_a_value_names_its_source(board):
    """Without any bron the year table has no column of dashes; one named source brings the column back."""
    ibm = _indicator("1a")
    Measurement.objects.filter(indicator=ibm).update(source="")
    html = _page(board, "1a")
    table = html[html.index('class="compact comparison-table"') :]
    assert '<th scope="col">Bron</th>' not in table[: table.index("</table>")]
    assert "geen bron vastgelegd" in html
    Measurement.objects.filter(indicator=ibm, year=2019).update(source="JOB")
    html = _page(board, "1a")
    table = html[html.index('class="compact comparison-table"') :]
    assert '<th scope="col">Bron</th>' in table[: table.index("</table>")]


def test_breakdown_of_comparison_series_only_is_shown_with_the_series_named(board):
    """2b per mbo level has only DUO and landelijk figures (agenda 7.4): a chart and a table with a Reeks column."""
    vsv = _indicator("2b")
    vsv.breakdowns = {"niveau": ["entree", "mbo 2"]}
    vsv.save(update_fields=["breakdowns"])
    for series, value in (("DUO", "31.2"), ("landelijk", "31.7")):
        _group(vsv, 2016, "entree", value, None, dimension="niveau", series=series)
    html = _page(board, "2b")
    assert "Alleen vergelijkingscijfers (DUO, Landelijk)" in html
    table = html[html.index('class="compact breakdown-table"') :]
    table = table[: table.index("</table>")]
    assert '<th scope="col">Reeks</th>' in table
    assert 'data-group="entree" data-series="DUO"' in table and "31,2" in table and "31,7" in table
    figure = _figure(html, "fig-breakdown-1")
    lines = {t["name"]: t for t in figure["data"] if t.get("meta", {}).get("kind") == "comparison"}
    assert set(lines) == {"DUO", "Landelijk"} and lines["DUO"]["line"]["dash"] != lines["Landelijk"]["line"]["dash"]


@pytest.mark.parametrize(
    ("difference", "shown"),
    [(D("1.25"), "+1,2"), (D("-1.5"), "−1,5"), (D("0.02"), "0,0"), (D("-0.04"), "0,0"), (D("0"), "0,0"), (None, "–")],
)
def test_difference_is_shown_with_the_sign_of_what_is_shown(difference, shown):
    """Own minus landelijk: signed, one decimal, and no sign on a difference that rounds to zero."""
    assert nl_signed(difference, 1) == shown
