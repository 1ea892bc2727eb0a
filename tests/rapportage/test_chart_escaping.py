"""Names in every plotly figure show literally: no link, no bold, no template field (issue 13, "markup in charts").

plotly renders <a href>, <b>, <br> and <span style> in every text and fills %{...} in hover and
text templates; a team, college or theme name goes through charts.chart_text. No database.
"""

import json
from decimal import Decimal

import pandas as pd
import pytest

from rapportage import charts

D = Decimal
EVIL = '<a href="x">b</a>'
SHOWN = '&lt;a href="x"&gt;b&lt;/a&gt;'  # plotly decodes the entities: the text shows exactly as EVIL


def _json(fig) -> str:
    """Return the figure as the JSON the page embeds."""
    return json.dumps(charts.figure_data(fig))


def _assert_inert(fig) -> str:
    """Assert that the figure's JSON holds the escaped name and no live markup of it; return the JSON."""
    text = _json(fig)
    assert json.dumps(SHOWN)[1:-1] in text
    assert "<a " not in text and "</a>" not in text
    return text


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (EVIL, SHOWN),
        ("<b>vet</b>", "&lt;b&gt;vet&lt;/b&gt;"),
        ("R&D <br> team", "R&amp;D &lt;br&gt; team"),
        ("%{y} en %{customdata[0]}", "%&#123;y} en %&#123;customdata[0]}"),
        ("5100 Zuidoost", "5100 Zuidoost"),
        ('l\'Étoile "quote"', 'l\'Étoile "quote"'),
    ],
)
def test_chart_text_turns_markup_and_template_fields_into_plain_text(name, shown):
    """<, > and & become the entities plotly decodes; '%{' cannot start a template field; the rest stays."""
    assert charts.chart_text(name) == shown


def test_trend_legend_and_hover_show_a_college_name_literally():
    """A college named <a href="x">b</a> is an escaped legend entry and hover text in the trend."""
    institution = pd.DataFrame({"year": [2020, 2021], "value": [D("6.7"), D("6.6")]})
    colleges = pd.DataFrame(
        {"year": [2020, 2021], "college": ["5100"] * 2, "name": [EVIL] * 2, "value": [D("6.1"), D("6.3")]}
    )
    fig = charts.trend_figure(institution, colleges)
    trace = next(t for t in fig["data"] if t["name"].startswith("5100"))
    assert trace["name"] == f"5100 {SHOWN}"
    assert trace["hovertemplate"].startswith(f"5100 {SHOWN}<br>")
    _assert_inert(fig)


def test_team_dots_hover_shows_team_code_and_name_literally():
    """The hover text of a team dot carries the escaped team code and name."""
    teams = pd.DataFrame({"year": [2020], "team": ["<b>T</b>"], "name": [EVIL], "value": [D("22")], "n": [40]})
    institution = pd.DataFrame({"year": [2020], "value": [D("7.1")]})
    fig = charts.team_dots_figure(teams, institution)
    dots = next(t for t in fig["data"] if t["name"] == "Team")
    assert dots["customdata"][0][:2] == ["&lt;b&gt;T&lt;/b&gt;", SHOWN]
    assert "<b>T</b>" not in _assert_inert(fig)


def test_heatmap_axis_ticks_and_hover_show_a_college_name_literally():
    """A college's row label (an axis tick, and %{y} in the hover) in the verdict heatmap is escaped."""
    entry = {"college": "5100", "name": EVIL, "met": True, "basis": "teams", "teams_contributed": 2, "teams_total": 3}
    history = [
        {
            "year": 2020,
            "attained": True,
            "basis": "colleges",
            "interim": False,
            "institution_only": False,
            "colleges_met": 1,
            "colleges_total": 1,
            "colleges": [entry],
        }
    ]
    fig = charts.verdict_heatmap(history)
    assert fig["data"][0]["y"] == ["Indicator (oordeel)", f"5100 {SHOWN}"]
    _assert_inert(fig)


def _budget_data(name: str) -> dict:
    """Return the budget page's data with one theme and one college, both named `name`."""
    college = {
        "college": "5100",
        "amount_cents": 300_000,
        "fixed_cents": 0,
        "result_dependent_cents": 0,
        "released_cents": 50_000,
        "reserved_cents": 25_000,
    }
    theme = {"theme": "T1", "share_pct": 100, "amount_cents": 300_000, "central_cents": 0, "colleges": [college]}
    body = {"year": 2022, "total_cents": 300_000, "themes": [theme], "warnings": []}
    return {
        "body": body,
        "theme_names": {"T1": name},
        "college_names": {"5100": name},
        "theme_rows": [{"theme": "T1", "released_cents": 50_000, "reserved_cents": 25_000}],
        "colleges": [{"college": "5100", "released_cents": 50_000, "reserved_cents": 25_000}],
    }


def test_budget_treemap_and_bars_show_theme_and_college_names_literally():
    """Treemap tiles, their path bar and hover, and the bars' axis ticks carry escaped theme and college names."""
    figures = charts.budget_figures(_budget_data(EVIL))
    tree = figures["treemap"]["data"][0]
    assert any(label.startswith(f"T1 {SHOWN} · 100 %") for label in tree["labels"])
    assert f"5100 {SHOWN}" in tree["labels"]
    assert figures["colleges"]["data"][0]["y"] == [f"5100 {SHOWN}"]
    assert figures["themes"]["data"][0]["y"] == [f"T1 {SHOWN}"]
    for fig in figures.values():
        _assert_inert(fig)
