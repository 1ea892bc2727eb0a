"""The dashboard figures: pure functions from frames and payloads to plotly figures (no database)."""

import json
from decimal import Decimal

import pandas as pd
import pytest

from rapportage import charts

D = Decimal


def status(year, attained, colleges=(), **extra) -> dict:
    """Return a minimal STATUS payload for the figures."""
    base = {
        "indicator": "2b",
        "year": year,
        "attained": attained,
        "basis": "colleges" if attained else "not_met",
        "interim": year in (2019, 2021),
        "ambition_year": year + 1 if year in (2019, 2021) else year,
        "ambition_type": "maintain",
        "polarity": "lower",
        "baseline": 6.7,
        "baseline_year": 2016,
        "target": None,
        "tolerance": 0.5,
        "institution_only": False,
        "colleges_met": sum(1 for c in colleges if c["met"]),
        "colleges_total": len(colleges),
        "colleges": list(colleges),
    }
    return base | extra


def college(code, met, contributed=2, total=3, basis="teams") -> dict:
    """Return a minimal college entry of a STATUS."""
    return {
        "college": code,
        "name": f"MBO College {code}",
        "met": met,
        "basis": basis,
        "teams_contributed": contributed,
        "teams_total": total,
    }


def trend_frames():
    """Return institution and college frames for two colleges over three years."""
    institution = pd.DataFrame({"year": [2016, 2017, 2018], "value": [D("6.7"), D("6.66"), None]})
    colleges = pd.DataFrame(
        {
            "year": [2016, 2017, 2016, 2017],
            "college": ["5100", "5100", "5200", "5200"],
            "name": ["MBO College Zuidoost"] * 2 + ["MBO College Westpoort"] * 2,
            "value": [D("6.1"), D("6.3"), D("7.5"), D("7.0")],
        }
    )
    return institution, colleges


def test_trend_draws_institution_colleges_and_norm_lines_in_the_legend():
    """The trend has one line per college, the institution, and the baseline, limit and target as named lines."""
    institution, colleges = trend_frames()
    fig = charts.trend_figure(
        institution, colleges, baseline=D("6.7"), baseline_year=2016, targets=[(2020, D("6.9"))], floor=D("7.2")
    )
    names = [trace["name"] for trace in fig["data"]]
    assert "Instelling" in names
    assert "5100 Zuidoost" in names and "5200 Westpoort" in names
    assert "Nulmeting 2016: 6,7" in names
    assert "Grens behoud (nulmeting en marge): 7,2" in names
    assert "Streefcijfer 2020: 6,9" in names
    baseline = next(t for t in fig["data"] if t["name"].startswith("Nulmeting"))
    assert baseline["y"] == [6.7, 6.7] and baseline["line"]["dash"] == "dash"
    # The institution's values are written on the chart (not colour alone), Dutch notation.
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["<b>6,7</b>", "<b>6,7</b>"]
    assert fig["layout"]["xaxis"]["tickvals"] == [2016, 2017, 2018]


@pytest.mark.parametrize(
    ("baseline", "floor", "drawn"),
    [
        (D("6.7"), D("7.2"), True),  # behoud with a margin: the limit differs from the baseline
        (D("6.7"), D("6.7"), False),  # no margin: the limit is the baseline itself
        (D("6.7"), None, False),  # not a behoud ambition
        (None, D("7.2"), False),  # no baseline: no limit either
    ],
)
def test_trend_draws_the_behoud_limit_only_when_it_differs(baseline, floor, drawn):
    """The dotted "grens behoud" line appears only when it adds information."""
    institution, colleges = trend_frames()
    fig = charts.trend_figure(institution, colleges, baseline=baseline, baseline_year=2016, floor=floor)
    assert any(t["name"].startswith("Grens behoud") for t in fig["data"]) is drawn


@pytest.mark.parametrize(
    ("ambition", "expected_floor", "targets"),
    [
        ({"ambition_type": "maintain", "polarity": "lower", "tolerance": 0.5}, D("7.2"), []),
        ({"ambition_type": "maintain", "polarity": "higher", "tolerance": 0.5}, D("6.2"), []),
        ({"ambition_type": "maintain", "polarity": "higher", "tolerance": 0}, None, []),
        ({"ambition_type": "improve", "polarity": "higher", "tolerance": 0}, None, []),
        ({"ambition_type": "target", "polarity": "higher", "target": 48, "tolerance": 0}, None, [(2022, 48)]),
    ],
)
def test_norm_lines_follow_the_ambition_of_the_chosen_year(ambition, expected_floor, targets):
    """The limit is the baseline moved by the tolerance against the polarity (domain.md step 1)."""
    chosen = status(2022, True, **ambition)
    lines = charts.norm_lines(chosen, [chosen])
    assert lines["baseline"] == 6.7 and lines["baseline_year"] == 2016
    assert lines["floor"] == expected_floor
    assert lines["targets"] == targets


def test_team_dots_flag_small_groups_with_another_symbol_and_stable_jitter():
    """Teams with n < 20 get their own open-diamond trace; every dot stays within its year's band."""
    teams = pd.DataFrame(
        {
            "year": [2020, 2020, 2021, 2021],
            "team": ["5100-ENT", "5100-VPK", "5100-ENT", "5100-ISK"],
            "name": ["Entree", "Verpleegkunde", "Entree", "ISK"],
            "value": [D("22"), D("4.5"), D("21"), D("30")],
            "n": [18, 120, 19, None],
        }
    )
    institution = pd.DataFrame({"year": [2020, 2021], "value": [D("7.1"), D("7.3")]})
    fig = charts.team_dots_figure(teams, institution)
    by_name = {t["name"]: t for t in fig["data"]}
    small = by_name["Team, kleine groep (n < 20)"]
    regular = by_name["Team"]
    assert small["marker"]["symbol"] == "diamond-open" and regular["marker"]["symbol"] == "circle"
    assert [c[0] for c in small["customdata"]] == ["5100-ENT", "5100-ENT"]
    assert [c[0] for c in regular["customdata"]] == ["5100-VPK", "5100-ISK"]  # unknown n is not "small"
    for x, year in zip(small["x"], [2020, 2021], strict=True):
        assert abs(x - year) <= 0.3
    # The same team sits at the same offset in every year (and on every page load).
    assert small["x"][0] - 2020 == pytest.approx(small["x"][1] - 2021)
    assert by_name["Instelling"]["y"] == [7.1, 7.3]


@pytest.mark.parametrize("key", ["5100-ENT", "7200-ISK", "x", ""])
def test_jitter_is_bounded_and_deterministic(key):
    """jitter() stays within the width and gives the same value for the same key."""
    assert -0.3 <= charts.jitter(key) <= 0.3
    assert charts.jitter(key) == charts.jitter(key)


def test_heatmap_writes_the_result_in_every_cell():
    """Colleges x years: the cell text says gehaald / niet gehaald / geen oordeel, the top row the indicator."""
    history = [
        status(2019, True, [college("5100", False, 1, 3), college("5200", True)]),
        status(2020, False, [college("5100", None, 0, 0, basis="no_data"), college("5200", True, 3, 3)]),
    ]
    fig = charts.verdict_heatmap(history)
    heat = fig["data"][0]
    assert heat["x"] == ["2019 (tussentijds)", "2020"]
    assert heat["y"] == ["Indicator (oordeel)", "5100 5100", "5200 5200"]
    assert heat["text"][0][0].startswith("✓ behaald") and heat["text"][0][1].startswith("✗ niet behaald")
    assert heat["text"][1][0].startswith("✗ niet gehaald") and "1 van 3 teams" in heat["text"][1][0]
    assert heat["text"][1][1].startswith("– geen oordeel") and "geen gegevens" in heat["text"][1][1]
    assert heat["text"][2][1].startswith("✓ gehaald") and "3 van 3 teams" in heat["text"][2][1]
    assert heat["z"] == [[1.0, 0.0], [0.0, 0.5], [1.0, 1.0]]
    assert heat["texttemplate"] == "%{text}"
    # Years are columns, never a numeric axis ("2020" next to "2019 (tussentijds)").
    assert fig["layout"]["xaxis"]["type"] == "category" and fig["layout"]["yaxis"]["type"] == "category"


def budget_body() -> dict:
    """Return a small budget payload: two themes, two colleges, a top-slice."""
    part = {"fixed_cents": 0, "result_dependent_cents": 0, "released_cents": 0, "reserved_cents": 0}
    return {
        "year": 2022,
        "total_cents": 1_000_000,
        "themes": [
            {
                "theme": "T1",
                "share_pct": 60,
                "amount_cents": 600_000,
                "central_cents": 30_000,
                "colleges": [
                    part
                    | {"college": "5100", "amount_cents": 300_000, "released_cents": 50_000, "reserved_cents": 25_000},
                    part | {"college": "5200", "amount_cents": 270_000, "released_cents": 67_500},
                ],
            },
            {
                "theme": "T2",
                "share_pct": 40,
                "amount_cents": 400_000,
                "central_cents": 0,
                "colleges": [
                    part | {"college": "5100", "amount_cents": 200_000},
                    part | {"college": "5200", "amount_cents": 200_000},
                ],
            },
        ],
        "warnings": [],
    }


def test_treemap_children_add_up_to_their_theme():
    """Every theme tile equals its colleges plus its top-slice (branchvalues total), in euros."""
    fig = charts.budget_treemap(budget_body(), {"T1": "Meerjarenstrategie", "T2": "Kwetsbare jongeren"}, {})
    tree = fig["data"][0]
    assert tree["branchvalues"] == "total"
    values = dict(zip(tree["ids"], tree["values"], strict=True))
    parents = dict(zip(tree["ids"], tree["parents"], strict=True))
    for node, value in values.items():
        children = [v for child, v in values.items() if parents[child] == node]
        if children:
            assert sum(children) == pytest.approx(value)
    assert values["root"] == 10_000  # 1.000.000 cents
    assert "Gem. voorzieningen" in tree["labels"]
    assert any(label.startswith("T1 Meerjarenstrategie · 60 %") for label in tree["labels"])


def test_release_bars_stack_released_and_hatched_reserved_with_labels():
    """Released and reserved are two stacked traces; reserved is hatched and every bar carries its amount."""
    rows = [
        {"label": "5100 Zuidoost", "released_cents": 50_000_000, "reserved_cents": 25_000_000},
        {"label": "5200 Westpoort", "released_cents": 0, "reserved_cents": 10_000_000},
    ]
    fig = charts.release_bars(rows, title="t")
    released, reserved = fig["data"]
    assert fig["layout"]["barmode"] == "stack"
    assert released["name"] == "Vrijgegeven" and reserved["name"].startswith("Gereserveerd")
    assert released["x"] == [500_000, 0] and reserved["x"] == [250_000, 100_000]
    assert released["text"] == ["€ 500 k", ""] and reserved["marker"]["pattern"]["shape"] == "/"


@pytest.mark.parametrize(
    ("cents", "text"),
    [(700_000_000, "€ 7,00 mln"), (480_000_000, "€ 4,80 mln"), (75_241_550, "€ 752 k"), (0, "€ 0 k")],
)
def test_euro_short_writes_dutch_amounts(cents, text):
    """Short amounts use a decimal comma and mln / k."""
    assert charts.euro_short(cents) == text


def test_figure_data_is_plain_json_for_json_script():
    """figure_data returns plain lists and dicts that json.dumps accepts (no numpy arrays)."""
    institution, colleges = trend_frames()
    data = charts.figure_data(charts.trend_figure(institution, colleges))
    assert set(data) >= {"data", "layout"}
    json.dumps(data)


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (1, 2), (2, 2), (3, 2), (4, 2), (5, 2), (2, 3)])
def test_subplot_grid_lays_out_the_panels_as_plotly_make_subplots_does(rows, cols):
    """Domains, anchors and the one shared y axis equal make_subplots(shared_yaxes="all") to the last bit."""
    from plotly.subplots import make_subplots

    vertical = min(0.5 / rows, 0.14) if rows > 1 else 0.1
    titles = [f"g{i}" for i in range(rows * cols)]
    reference = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes="all",
        subplot_titles=titles,
        horizontal_spacing=0.08,
        vertical_spacing=vertical,
    ).layout.to_plotly_json()
    panels = charts.subplot_grid(rows, cols, horizontal_spacing=0.08, vertical_spacing=vertical)
    layout = {}
    for panel in panels:
        layout[f"xaxis{panel['axis']}"] = panel["xaxis"]
        layout[f"yaxis{panel['axis']}"] = panel["yaxis"]
    assert json.dumps(layout, sort_keys=True) == json.dumps(
        {name: axis for name, axis in reference.items() if name.startswith(("xaxis", "yaxis"))}, sort_keys=True
    )
    assert [(p["title_x"], p["title_y"]) for p in panels] == [(a["x"], a["y"]) for a in reference["annotations"]]


def test_the_charts_module_builds_figures_without_plotly():
    """Importing rapportage.charts and drawing a figure loads no plotly module (the page path stays light)."""
    import subprocess
    import sys

    code = (
        "import sys, pandas as pd; from rapportage import charts; "
        "charts.trend_figure(pd.DataFrame({'year': [2020], 'value': [1]}), "
        "pd.DataFrame(columns=['year', 'college', 'name', 'value'])); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'plotly'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
