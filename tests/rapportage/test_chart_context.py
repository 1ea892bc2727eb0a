"""Comparison lines, source changes and breakdown small multiples in the charts (issue 18). No database."""

import json
from decimal import Decimal

import pandas as pd
import pytest

from rapportage import charts

D = Decimal
INSTITUTION = pd.DataFrame({"year": [2016, 2017, 2018], "value": [D("78"), D("79.5"), D("80")]})
NO_COLLEGES = pd.DataFrame(columns=["year", "college", "name", "value"])


def comparisons(*rows) -> pd.DataFrame:
    """Return a comparison frame from (series, label, year, value, source) tuples."""
    return pd.DataFrame(list(rows), columns=charts.COMPARISON_COLUMNS)


def test_comparison_series_is_a_grey_dashed_reference_line_with_its_source_in_the_hover():
    """Landelijk is drawn as its own dashed grey trace named 'Landelijk', values exact as floats."""
    fig = charts.trend_figure(
        INSTITUTION,
        NO_COLLEGES,
        comparisons=comparisons(
            ("landelijk", "Landelijk", 2016, D("72"), "DUO"), ("landelijk", "Landelijk", 2017, D("72.5"), "DUO")
        ),
    )
    trace = next(t for t in fig["data"] if t["name"] == "Landelijk")
    assert trace["x"] == [2016, 2017] and trace["y"] == [72.0, 72.5]
    assert trace["line"]["dash"] == "dash" and trace["line"]["color"] == charts.COMPARISON_INK
    assert trace["meta"] == {"kind": "comparison"}
    assert trace["customdata"] == ["DUO", "DUO"] and "bron: %{customdata}" in trace["hovertemplate"]


def test_two_comparison_series_differ_by_dash_and_symbol_not_only_by_colour():
    """Landelijk and Sector get other dashes and other marker symbols."""
    fig = charts.trend_figure(
        INSTITUTION,
        NO_COLLEGES,
        comparisons=comparisons(("landelijk", "Landelijk", 2016, D("72"), ""), ("sector", "Sector", 2016, D("70"), "")),
    )
    first, second = (t for t in fig["data"] if t.get("meta") == {"kind": "comparison"})
    assert first["line"]["dash"] != second["line"]["dash"] and first["marker"]["symbol"] != second["marker"]["symbol"]
    assert first["customdata"] == ["onbekend"]


def test_a_comparison_year_outside_the_own_years_widens_the_axis():
    """A landelijk value for 2015 (before the own data) gets its tick."""
    fig = charts.trend_figure(
        INSTITUTION, NO_COLLEGES, comparisons=comparisons(("landelijk", "Landelijk", 2015, D("70"), ""))
    )
    assert fig["layout"]["xaxis"]["tickvals"] == [2015, 2016, 2017, 2018]


def test_source_change_is_a_dotted_line_with_both_sources_and_the_hover_names_the_source():
    """JOB in 2016 and STO in 2017: a dotted line at 2016.5 labelled 'bron: JOB → STO'."""
    sources = {2016: "JOB", 2017: "STO", 2018: "STO"}
    fig = charts.trend_figure(
        INSTITUTION,
        NO_COLLEGES,
        sources=sources,
        source_changes=[{"year": 2017, "before": "JOB", "after": "STO"}],
    )
    (shape,) = fig["layout"]["shapes"]
    assert (shape["x0"], shape["x1"], shape["line"]["dash"]) == (2016.5, 2016.5, "dot")
    assert "bron: JOB → STO" in [a["text"] for a in fig["layout"]["annotations"]]
    own = next(t for t in fig["data"] if t["name"] == "Instelling")
    assert own["customdata"] == ["JOB", "STO", "STO"]


def test_without_context_the_trend_is_unchanged():
    """No comparisons and no sources: no extra trace, shape or hover field."""
    fig = charts.trend_figure(INSTITUTION, NO_COLLEGES)
    assert [t["name"] for t in fig["data"]] == ["Instelling"]
    assert "shapes" not in fig["layout"] and "customdata" not in fig["data"][0]


def breakdown(rows) -> pd.DataFrame:
    """Return a breakdown frame from (series, group, year, value, n) tuples, small as kern.rules decides."""
    return pd.DataFrame(
        [
            {
                "series": s,
                "group": g,
                "year": y,
                "value": None if n is not None and n < 20 else v,
                "n": n,
                "source": "",
                "small": n is not None and n < 20,
            }
            for s, g, y, v, n in rows
        ]
    )


@pytest.mark.parametrize(
    ("groups", "panels", "rows"),
    [(["PrO"], 1, 1), (["PrO", "vso"], 2, 1), (["PrO", "vso", "vmbo-b"], 3, 2), (["1", "2", "3", "4"], 4, 2)],
)
def test_small_multiples_have_one_panel_per_group_on_a_shared_y_axis(groups, panels, rows):
    """One panel per declared group, two side by side, every y axis bound to the first."""
    frame = breakdown([("", g, 2017, D("60"), 40) for g in groups])
    fig = charts.breakdown_figure(frame, INSTITUTION, dimension="vooropleiding", groups=groups)
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert titles == groups
    axes = [name for name in fig["layout"] if name.startswith("yaxis")]
    assert len(axes) == len(groups) + (len(groups) % 2 if len(groups) > 1 else 0)
    shared = {fig["layout"][name].get("matches") for name in axes} - {None}
    assert len(shared) <= 1 and len(groups) == 1 or len(shared) == 1
    assert fig["layout"]["height"] == 220 * rows + 170
    # The institution total is the reference line in every panel, in the legend once.
    totals = [t for t in fig["data"] if t["name"] == "Instelling totaal"]
    assert len(totals) == panels and [t["showlegend"] for t in totals].count(True) == 1


def test_a_small_group_is_not_drawn_and_its_value_is_nowhere_in_the_figure():
    """vso with n = 12 in 2017: no point, no hover value, an annotation 'kleine groep' at 2017 in its panel."""
    frame = breakdown(
        [("", "PrO", 2017, D("61.25"), 140), ("", "vso", 2017, D("47.13"), 12), ("", "vso", 2018, D("52.5"), 25)]
    )
    fig = charts.breakdown_figure(frame, INSTITUTION, dimension="vooropleiding", groups=["PrO", "vso"])
    vso = next(t for t in fig["data"] if t.get("meta", {}).get("group") == "vso")
    assert vso["x"] == [2018] and vso["y"] == [52.5]
    (mark,) = [a for a in fig["layout"]["annotations"] if a.get("name") == "small-group"]
    assert (mark["text"], mark["x"], mark["xref"], mark["yref"]) == ("kleine groep", 2017, "x2", "y2 domain")
    assert "47.13" not in json.dumps(charts.figure_data(fig))


def test_a_comparison_series_of_a_group_is_a_dashed_line_in_its_panel():
    """Landelijk by vooropleiding is drawn grey and dashed beside the group's own line."""
    frame = breakdown([("", "PrO", 2017, D("61"), 140), ("landelijk", "PrO", 2017, D("58"), None)])
    fig = charts.breakdown_figure(frame, INSTITUTION, dimension="vooropleiding", groups=["PrO"])
    line = next(t for t in fig["data"] if t["name"] == "Landelijk")
    assert line["line"]["dash"] == "dash" and line["meta"]["kind"] == "comparison"


def test_breakdown_names_show_literally():
    """A group or series typed with markup is escaped in panel titles, legend and hover (issue 13)."""
    evil = '<a href="x">b</a>'
    frame = breakdown([("", evil, 2017, D("61"), 40), (evil, evil, 2017, D("58"), 40)])
    fig = charts.breakdown_figure(frame, INSTITUTION, dimension=evil, groups=[evil])
    text = json.dumps(charts.figure_data(fig))
    assert "<a " not in text and "</a>" not in text


def test_two_comparison_series_in_a_breakdown_keep_their_own_dash_in_every_panel():
    """DUO and landelijk per mbo level: one dash each, the same in both panels."""
    frame = breakdown([(s, g, 2016, D("30"), None) for s in ("DUO", "landelijk") for g in ("entree", "mbo 2")])
    fig = charts.breakdown_figure(frame, INSTITUTION, dimension="niveau", groups=["entree", "mbo 2"])
    dashes = {}
    for trace in fig["data"]:
        if trace.get("meta", {}).get("kind") == "comparison":
            dashes.setdefault(trace["name"], set()).add(trace["line"]["dash"])
    assert len(dashes["DUO"]) == len(dashes["Landelijk"]) == 1 and dashes["DUO"] != dashes["Landelijk"]
