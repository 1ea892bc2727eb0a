"""Plotly figures for the board dashboards: pure functions from frames and payloads to figures.

No queries (style.md, "Where things go"). Every figure must be readable on a laptop and on a
projector: large fonts, dark text, and meaning carried by a word, a symbol or a pattern as well
as by colour (issue 6: "no colour-only meaning"). Numbers are shown the Dutch way (decimal comma).
Values arrive as Decimals and become floats here only to be drawn, never to be compared.
Every name that people type (team, college, theme) enters a figure through `chart_text`, so it
shows as typed and never as plotly's markup (issue 13).
"""

import json
import zlib
from decimal import Decimal
from html import escape

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from kern.rules import SMALL_GROUP_N, small_group
from rapportage.engine.words import (
    COLLEGE,
    COLLEGE_BASIS_WORDS,
    COLLEGE_WORDS,
    INDICATOR,
    INDICATOR_BASIS_WORDS,
    nl_number,
    verdict_text,
)

FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", "size": 15, "color": "#1b1f24"}
INK, MUTED, ACCENT = "#1b1f24", "#57606a", "#0b4f8a"
MET, NOT_MET, NONE = "#116329", "#a40e26", "#57606a"
MET_BG, NOT_MET_BG, NONE_BG = "#b7ebc3", "#ffc9c9", "#e3e7eb"
# Twelve distinguishable hues for the college lines (d3 category10 plus two dark tones).
COLLEGE_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
]


def chart_text(text) -> str:
    """Return a name for a label, legend entry, axis tick or hover text that plotly shows literally.

    plotly renders a subset of HTML in every text (<a href>, <b>, <br>, <span style>) and decodes
    the entities &amp; &lt; &gt; and &#NNN;; it fills %{...} in hover and text templates. So the
    markup characters become entities and "%{" becomes "%&#123;": the name "<a href=x>b</a>"
    shows as exactly that, neither a link nor bold, and "%{y}" stays text.
    """
    return escape(str(text), quote=False).replace("%{", "%&#123;")


def _float(value) -> float | None:
    """Return a Decimal (or number) as a float for drawing; None stays None."""
    return None if value is None or (not isinstance(value, Decimal) and pd.isna(value)) else float(value)


def _nl(value, places: int = 1) -> str:
    """Return a number in Dutch notation with `places` decimals."""
    return nl_number(None if value is None else Decimal(str(value)), places)


def _layout(fig: go.Figure, *, title: str, subtitle: str = "", height: int = 440, **extra) -> go.Figure:
    """Apply the shared readable layout: white background, large fonts, legend below.

    plotly never wraps a title, so a long one is split into a short title and a `subtitle` line:
    each fits a phone's width (issue 15).
    """
    settings = {
        # "none" instead of a named template: plotly_white costs ~10-90 ms and ~6 KB per figure
        # (issue 6: pages under 300 ms); the few styles it gave are set here and in _axes.
        "template": "none",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": FONT,
        "title": {"text": title, "font": {"size": 18}, "x": 0, "xanchor": "left"}
        | ({"subtitle": {"text": subtitle, "font": {"size": 14, "color": MUTED}}} if subtitle else {}),
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 60},
        "hoverlabel": {"font": {"size": 15}},
        "separators": ",.",
    }
    fig.update_layout(**(settings | extra))
    # autotypenumbers "strict" (as plotly's own templates do): "2020" in a category list stays a
    # category, so the heatmap's year columns never turn into a numeric axis.
    axis = {
        "gridcolor": "#e3e7eb",
        "linecolor": "#8c959f",
        "zeroline": False,
        "automargin": True,
        "autotypenumbers": "strict",
    }
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    return fig


def jitter(key: str, width: float = 0.3) -> float:
    """Return a stable offset in [-width, width] for `key` (same team, same place on every page)."""
    return (zlib.crc32(key.encode("utf-8")) % 2001 - 1000) / 1000 * width


def trend_figure(
    institution: pd.DataFrame,
    colleges: pd.DataFrame,
    *,
    baseline=None,
    baseline_year: int | None = None,
    targets: list[tuple[int, object]] | None = None,
    floor=None,
    unit_label: str = "",
    comparisons: pd.DataFrame | None = None,
    sources: dict[int, str] | None = None,
    source_changes: list[dict] | None = None,
) -> go.Figure:
    """Return the trend of an indicator: the institution (bold, labelled), each college, the norm lines.

    `institution`: year, value; `colleges`: year, college, name, value; `targets`: (ambition year,
    target) pairs; `floor`: the lowest (or highest) value still counted as "behoud" (baseline minus
    the tolerance), drawn when it differs from the baseline. Issue 18: `comparisons` (series, label,
    year, value, source) are drawn as grey reference lines ("Landelijk"); `sources` (year -> the
    own value's source) shows in the institution's hover; each of `source_changes` (year, before,
    after) is a dotted vertical line with "bron: JOB → STO", so a jump there is not read as a trend.
    """
    fig = go.Figure()
    comparisons = comparisons if comparisons is not None else pd.DataFrame(columns=COMPARISON_COLUMNS)
    years = sorted({int(y) for y in set(institution["year"]) | set(colleges["year"]) | set(comparisons["year"])})
    span = [years[0] - 0.3, years[-1] + 0.3] if years else [0, 1]
    # Norm lines are traces (not shapes) so that they sit in the legend with their value and
    # never cover the institution line or its labels.
    norms = []
    if baseline is not None:
        label = f"Nulmeting {baseline_year}: {_nl(baseline)}" if baseline_year else f"Nulmeting: {_nl(baseline)}"
        norms.append((label, baseline, "dash", ACCENT))
    if floor is not None and baseline is not None and Decimal(str(floor)) != Decimal(str(baseline)):
        norms.append((f"Grens behoud (nulmeting en marge): {_nl(floor)}", floor, "dot", ACCENT))
    for year, target in sorted({(y, Decimal(str(t))) for y, t in targets or [] if t is not None}):
        norms.append((f"Streefcijfer {year}: {_nl(target)}", target, "longdash", MET))
    for position, (label, value, dash, colour) in enumerate(norms):
        fig.add_trace(
            go.Scatter(
                x=span,
                y=[_float(value)] * 2,
                mode="lines",
                name=label,
                legendgroup="norms",
                legendrank=200 + position,
                line={"dash": dash, "width": 3, "color": colour},
                hovertemplate=f"{label}<extra></extra>",
            )
        )
    _comparison_traces(fig, comparisons)
    codes = list(dict.fromkeys(colleges["college"]))
    for position, code in enumerate(codes):
        rows = colleges[colleges["college"] == code].sort_values("year")
        name = chart_text(f"{code} {str(rows['name'].iloc[0]).removeprefix('MBO College ')}")
        fig.add_trace(
            go.Scatter(
                x=rows["year"].tolist(),
                y=[_float(v) for v in rows["value"]],
                mode="lines+markers",
                name=name,
                legendgroup="colleges",
                legendrank=300 + position,
                line={"width": 1.5, "color": COLLEGE_COLOURS[position % len(COLLEGE_COLOURS)]},
                marker={"size": 5},
                opacity=0.7,
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.1f}}<extra></extra>",
            )
        )
    inst = institution.sort_values("year")
    hover = "Instelling<br>%{x}: %{y:.1f}<extra></extra>"
    customdata = None
    if sources:
        customdata = [chart_text(sources.get(int(year)) or "onbekend") for year in inst["year"]]
        hover = "Instelling<br>%{x}: %{y:.1f}<br>bron: %{customdata}<extra></extra>"
    fig.add_trace(
        go.Scatter(
            x=inst["year"].tolist(),
            y=[_float(v) for v in inst["value"]],
            mode="lines+markers",
            name="Instelling",
            legendrank=100,
            line={"width": 5, "color": INK},
            marker={"size": 10, "color": INK},
            customdata=customdata,
            hovertemplate=hover,
        )
    )
    shapes, marks = _source_change_marks(source_changes or [])
    # The institution's values as labels on a white ground: annotations are drawn above every line.
    # Passed in one update (add_annotation per point copies the layout each time).
    fig.update_layout(
        annotations=[
            {
                "x": int(year),
                "y": _float(value),
                "text": f"<b>{_nl(value)}</b>",
                "showarrow": False,
                "yshift": 18,
                "font": {"size": 14, "color": INK},
                "bgcolor": "rgba(255,255,255,0.9)",
                "bordercolor": INK,
                "borderwidth": 1,
                "borderpad": 2,
            }
            for year, value in zip(inst["year"], inst["value"], strict=True)
            if value is not None
        ]
        + marks,
        shapes=shapes,
    )
    fig.update_xaxes(tickmode="array", tickvals=years, ticktext=[str(y) for y in years], title_text="Jaar")
    fig.update_yaxes(title_text=unit_label)
    return _layout(
        fig,
        # Short enough for a phone (plotly does not wrap titles); the caption explains the lines.
        title="Trend: instelling, normen en colleges" if codes else "Trend: instelling en normen",
        # No height: the chart fills its box, whose height dashboard.css sets per screen width, as a
        # phone needs more room for the legend below the plot than a laptop does.
        height=None,
        # Below the plot, not beside it: at the right the sixteen entries took all but 64 px of a
        # phone's width (issue 15). Anchored to the figure's bottom edge (container), plotly makes
        # room for it under the axis title at every width; config responsive: true redraws on resize.
        # Order "normal" lets the entries flow in rows (grouped, each group was a tall column); the
        # entries name themselves ("Nulmeting 2016: 6,7", "5100 Zuidoost"), so no group titles.
        legend={
            "font": {"size": 13},
            "groupclick": "toggleitem",
            "traceorder": "normal",
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
        },
    )


COMPARISON_COLUMNS = ["series", "label", "year", "value", "source"]
COMPARISON_INK = "#6e7781"  # neutral grey: a reference, never confused with a college's colour
COMPARISON_DASHES = ["dash", "dashdot", "longdashdot", "dot"]
COMPARISON_SYMBOLS = ["square-open", "triangle-up-open", "diamond-open", "cross-open"]


def _comparison_traces(fig: go.Figure, comparisons: pd.DataFrame) -> None:
    """Add each comparison series (landelijk, sector, DUO, a peer) as a grey dashed reference line.

    Told apart by dash and marker symbol, not by colour; the legend names the series and the hover
    gives its value and source (issue 18: "landelijk is dat 72 %").
    """
    for position, series in enumerate(dict.fromkeys(comparisons["series"])):
        rows = comparisons[comparisons["series"] == series].sort_values("year")
        name = chart_text(rows["label"].iloc[0])
        fig.add_trace(
            go.Scatter(
                x=[int(y) for y in rows["year"]],
                y=[_float(v) for v in rows["value"]],
                mode="lines+markers",
                name=name,
                legendgroup="comparisons",
                legendrank=150 + position,
                line={
                    "dash": COMPARISON_DASHES[position % len(COMPARISON_DASHES)],
                    "width": 3,
                    "color": COMPARISON_INK,
                },
                marker={
                    "size": 9,
                    "symbol": COMPARISON_SYMBOLS[position % len(COMPARISON_SYMBOLS)],
                    "color": COMPARISON_INK,
                    "line": {"width": 2, "color": COMPARISON_INK},
                },
                customdata=[chart_text(source or "onbekend") for source in rows["source"]],
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.1f}}<br>bron: %{{customdata}}<extra></extra>",
                meta={"kind": "comparison"},
            )
        )


def _source_change_marks(changes: list[dict]) -> tuple[list[dict], list[dict]]:
    """Return the shapes and annotations that mark a change of the own series' source between two years.

    A dotted vertical line halfway before the year of the change, labelled "bron: JOB → STO" at the
    top of the plot (1a alternates JOB and the own survey STO; JOB is systematically higher).
    """
    shapes, annotations = [], []
    for change in changes:
        x = change["year"] - 0.5
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dot", "width": 2, "color": MUTED},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "x": x,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "top",
                "text": chart_text(f"bron: {change['before']} → {change['after']}"),
                "showarrow": False,
                "font": {"size": 12, "color": MUTED},
                "bgcolor": "rgba(255,255,255,0.9)",
                "name": "source-change",
            }
        )
    return shapes, annotations


def team_dots_figure(teams: pd.DataFrame, institution: pd.DataFrame, *, unit_label: str = "") -> go.Figure:
    """Return the team spread per year: one dot per team, jittered; small groups as open diamonds.

    `teams`: year, team, name, value, n; `institution`: year, value (drawn as the line to compare).
    Mirrors the agenda's figures (x = year, y = team value).
    """
    fig = go.Figure()
    small = teams["n"].map(lambda n: n is not None and not pd.isna(n) and small_group(n))
    for label, mask, symbol in (
        ("Team", ~small, "circle"),
        (f"Team, kleine groep (n < {SMALL_GROUP_N})", small, "diamond-open"),
    ):
        rows = teams[mask]
        if rows.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=[y + jitter(f"{t}") for y, t in zip(rows["year"], rows["team"], strict=True)],
                y=[_float(v) for v in rows["value"]],
                mode="markers",
                name=label,
                marker={
                    "size": 9 if symbol == "circle" else 11,
                    "symbol": symbol,
                    "color": ACCENT if symbol == "circle" else NOT_MET,
                    "opacity": 0.7 if symbol == "circle" else 1,
                    "line": {"width": 2 if symbol != "circle" else 0, "color": NOT_MET},
                },
                customdata=[
                    [chart_text(t), chart_text(nm), y, "onbekend" if n is None or pd.isna(n) else int(n)]
                    for t, nm, y, n in zip(rows["team"], rows["name"], rows["year"], rows["n"], strict=True)
                ],
                hovertemplate="%{customdata[0]} %{customdata[1]}<br>%{customdata[2]}: %{y:.1f} (n = %{customdata[3]})"
                "<extra></extra>",
            )
        )
    inst = institution.sort_values("year")
    fig.add_trace(
        go.Scatter(
            x=inst["year"].tolist(),
            y=[_float(v) for v in inst["value"]],
            mode="lines+markers",
            name="Instelling",
            line={"width": 4, "color": INK},
            marker={"size": 9, "symbol": "line-ew-open", "line": {"width": 3}},
            hovertemplate="Instelling<br>%{x}: %{y:.1f}<extra></extra>",
        )
    )
    years = sorted(set(teams["year"]) | set(institution["year"]))
    fig.update_xaxes(tickmode="array", tickvals=years, ticktext=[str(y) for y in years], title_text="Jaar")
    fig.update_yaxes(title_text=unit_label)
    return _layout(
        fig,
        title="Spreiding van de teams per jaar",
        subtitle="Eén stip per team",
        height=500,
        # At the figure's bottom edge: at y=-0.18 of the plot it ran into the axis title on a phone.
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        margin={"l": 60, "r": 20, "t": 80, "b": 60},
    )


BREAKDOWN_COLUMNS_PER_ROW = 2  # two panels side by side: still legible on a 390 px phone


def breakdown_figure(
    frame: pd.DataFrame,
    total: pd.DataFrame,
    *,
    dimension: str,
    groups: list[str],
    unit_label: str = "",
) -> go.Figure:
    """Return a breakdown as small multiples: one panel per group, a shared y axis, the total in each.

    `frame`: series ("" = own), group, year, value (None for a small group), n, source, small;
    `total`: year, value (the institution's own total, the judged value). A small group's point is
    not drawn and its value is not in the figure at all; the panel says "kleine groep" at that
    year instead (kern.rules.small_group). A comparison series of the same group (e.g. landelijk
    by vooropleiding) is a grey dashed line in its panel.
    """
    groups = list(groups) or list(dict.fromkeys(frame["group"]))
    cols = min(BREAKDOWN_COLUMNS_PER_ROW, max(1, len(groups)))
    rows = max(1, -(-len(groups) // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes="all",
        subplot_titles=[chart_text(g) for g in groups],
        horizontal_spacing=0.08,
        vertical_spacing=min(0.5 / rows, 0.14) if rows > 1 else 0.1,
    )
    # The span of the breakdown's own years: the panels are about the groups, and on a phone eight
    # year ticks in a half-width panel ran into each other. The total is drawn over that span only.
    years = sorted({int(y) for y in frame["year"]}) or sorted({int(y) for y in total["year"]})
    totals = total[total["year"].isin(years)].sort_values("year") if years else total
    # Each comparison series keeps one dash and symbol over every panel, as in the trend.
    others = {name: position for position, name in enumerate(sorted(set(frame["series"]) - {""}))}
    marks, shown = [], set()
    for index, group in enumerate(groups):
        row, col = index // cols + 1, index % cols + 1
        axis = "" if index == 0 else str(index + 1)
        fig.add_trace(
            go.Scatter(
                x=[int(y) for y in totals["year"]],
                y=[_float(v) for v in totals["value"]],
                mode="lines",
                name="Instelling totaal",
                legendgroup="total",
                showlegend="total" not in shown,
                line={"width": 2, "color": INK, "dash": "dot"},
                hovertemplate="Instelling totaal<br>%{x}: %{y:.1f}<extra></extra>",
            ),
            row=row,
            col=col,
        )
        shown.add("total")
        rows_of_group = frame[frame["group"] == group]
        for series in dict.fromkeys(rows_of_group["series"]):
            points = rows_of_group[rows_of_group["series"] == series].sort_values("year")
            own = series == ""
            label = "Groep" if own else chart_text(series[:1].upper() + series[1:])
            drawn = points[~points["small"].astype(bool)]
            fig.add_trace(
                go.Scatter(
                    x=[int(y) for y in drawn["year"]],
                    y=[_float(v) for v in drawn["value"]],
                    mode="lines+markers",
                    name=label,
                    legendgroup=label,
                    showlegend=label not in shown,
                    line={"width": 3, "color": ACCENT}
                    if own
                    else {
                        "width": 2,
                        "color": COMPARISON_INK,
                        "dash": COMPARISON_DASHES[others[series] % len(COMPARISON_DASHES)],
                    },
                    marker={"size": 8, "symbol": "circle"}
                    if own
                    else {"size": 7, "symbol": COMPARISON_SYMBOLS[others[series] % len(COMPARISON_SYMBOLS)]},
                    customdata=[
                        [chart_text(group), "onbekend" if n is None or pd.isna(n) else int(n)] for n in drawn["n"]
                    ],
                    hovertemplate=f"{label} %{{customdata[0]}}<br>%{{x}}: %{{y:.1f}} (n = %{{customdata[1]}})"
                    "<extra></extra>",
                    meta={"kind": "group" if own else "comparison", "group": chart_text(group)},
                ),
                row=row,
                col=col,
            )
            shown.add(label)
            for year in points[points["small"].astype(bool)]["year"]:
                marks.append(
                    {
                        "x": int(year),
                        "xref": f"x{axis}",
                        "y": 0.5,
                        "yref": f"y{axis} domain",
                        "text": "kleine groep",
                        "textangle": -90,
                        "showarrow": False,
                        "font": {"size": 11, "color": NOT_MET},
                        "name": "small-group",
                    }
                )
    fig.update_layout(annotations=list(fig.layout.annotations) + marks)
    # Every panel has its own year ticks (short, '17) over the same span, so no panel depends on
    # the one below it; the cells of an incomplete last row stay empty.
    span = [years[0] - 0.5, years[-1] + 0.5] if years else None
    # At most about four year ticks per panel: a half-width panel on a phone has room for no more.
    step = 1 if len(years) <= 4 else 2 if len(years) <= 8 else 3
    ticks = years[::step]
    fig.update_xaxes(tickmode="array", tickvals=ticks, ticktext=[str(y) for y in ticks], range=span, tickangle=0)
    for index in range(len(groups), rows * cols):
        fig.update_xaxes(visible=False, row=index // cols + 1, col=index % cols + 1)
        fig.update_yaxes(visible=False, row=index // cols + 1, col=index % cols + 1)
    fig.update_yaxes(title_text="")
    fig.update_yaxes(title_text=unit_label, col=1)
    # Subplot titles are annotations too: keep them readable but smaller than the figure's title.
    for annotation in fig.layout.annotations:
        if annotation.name != "small-group":
            annotation.font = {"size": 14, "color": INK}
    return _layout(
        fig,
        title=chart_text(f"Uitsplitsing naar {dimension}"),
        subtitle="Per groep; stippellijn: de instelling als geheel",
        height=220 * rows + 170,
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        margin={"l": 60, "r": 20, "t": 100, "b": 70},
    )


def _basis_detail(status: dict) -> str:
    """Return the short reason under an indicator's verdict in the heatmap."""
    if status.get("institution_only") and status["basis"] in ("institution", "not_met"):
        return "alleen instellingsniveau"
    if status["basis"] == "institution":
        return "via instellingsniveau"
    if status["basis"] in ("colleges", "not_met") and status["colleges_total"]:
        return f"{status['colleges_met']} van {status['colleges_total']} colleges"
    if status["basis"] == "not_met":
        return f"instelling {COLLEGE_WORDS[False]}"
    if status["basis"] in ("monitor", "no_data"):
        return INDICATOR_BASIS_WORDS[status["basis"]]
    return ""


def verdict_heatmap(history: list[dict]) -> go.Figure:
    """Return the verdicts per college (rows) and agenda year (columns), with words in every cell.

    `history`: the stored STATUS of one indicator per year. The top row is the indicator's own
    verdict; a year judged against a later ambition is marked "tussentijds" (domain.md).
    """
    columns = [f"{s['year']} (tussentijds)" if s.get("interim") else str(s["year"]) for s in history]
    rows: list[tuple[str, list]] = [
        (
            "Indicator (oordeel)",
            [(s["attained"], verdict_text(s["attained"], INDICATOR), _basis_detail(s)) for s in history],
        )
    ]
    codes: dict[str, str] = {}
    for status in history:
        for college in status["colleges"]:
            codes.setdefault(college["college"], college["name"])
    for code, name in sorted(codes.items()):
        cells = []
        for status in history:
            entry = next((c for c in status["colleges"] if c["college"] == code), None)
            if entry is None:
                cells.append((None, verdict_text(None, COLLEGE), ""))
                continue
            detail = f"{entry['teams_contributed']} van {entry['teams_total']} teams" if entry["teams_total"] else ""
            if entry["basis"] == "college_value":
                detail = "als geheel"
            elif entry["basis"] == "no_data":
                detail = COLLEGE_BASIS_WORDS["no_data"]
            cells.append((entry["met"], verdict_text(entry["met"], COLLEGE), detail))
        rows.append((chart_text(f"{code} {name.removeprefix('MBO College ')}"), cells))
    z = [[{True: 1.0, False: 0.0, None: 0.5}[cell[0]] for cell in cells] for _, cells in rows]
    text = [
        [f"{cell[1]}<br><span style='font-size:12px'>{cell[2]}</span>" if cell[2] else cell[1] for cell in cells]
        for _, cells in rows
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=[label for label, _ in rows],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 14, "color": INK},
            zmin=0,
            zmax=1,
            colorscale=[
                [0, NOT_MET_BG],
                [0.33, NOT_MET_BG],
                [0.33, NONE_BG],
                [0.67, NONE_BG],
                [0.67, MET_BG],
                [1, MET_BG],
            ],
            showscale=False,
            xgap=3,
            ygap=3,
            hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(type="category", autorange="reversed", tickfont={"size": 14})
    fig.update_xaxes(type="category", side="top", tickfont={"size": 15})
    _layout(
        fig,
        title="Oordeel per college en jaar" if codes else "Oordeel per jaar",
        height=max(190, 48 * len(rows) + 110),
        margin={"l": 200, "r": 20, "t": 90, "b": 20},
    )
    fig.update_xaxes(showgrid=False, showline=False)
    fig.update_yaxes(showgrid=False, showline=False)
    return fig


def euro_short(cents: int) -> str:
    """Return cents as a short Dutch amount: "€ 7,00 mln" or "€ 752 k"."""
    if abs(cents) >= 100_000_000:
        return f"€ {nl_number(Decimal(cents) / Decimal(100_000_000), 2)} mln"
    return f"€ {nl_number(Decimal(cents) / Decimal(100_000), 0)} k"


THEME_COLOURS = ["#0b4f8a", "#1f6f78", "#5b4a8b", "#7a5c12", "#3f6b2f", "#8a3b52"]
THEME_TINTS = ["#cfe0f1", "#cde8ea", "#dfd8ee", "#efe3c4", "#d8e8cf", "#f1d5de"]


def budget_treemap(body: dict, theme_names: dict[str, str], college_names: dict[str, str]) -> go.Figure:
    """Return the year's budget as a treemap: themes by share, inside them the colleges and the top-slice.

    Each theme has its own dark colour with white text; its colleges a light tint with dark text,
    so the theme a tile belongs to is also written in its header, not only shown by colour.
    """
    ids, labels, parents, values, texts, colours, inks = [], [], [], [], [], [], []

    def node(node_id, label, parent, cents, colour, ink):
        """Append one tile."""
        ids.append(node_id)
        labels.append(label)
        parents.append(parent)
        values.append(cents / 100)
        texts.append(euro_short(cents))
        colours.append(colour)
        inks.append(ink)

    node("root", f"Kwaliteitsbudget {body['year']}", "", body["total_cents"], "#ffffff", INK)
    for position, theme in enumerate(body["themes"]):
        tid = f"theme-{theme['theme']}"
        share = nl_number(Decimal(str(theme["share_pct"])))
        dark = THEME_COLOURS[position % len(THEME_COLOURS)]
        tint = THEME_TINTS[position % len(THEME_TINTS)]
        label = chart_text(
            f"{theme['theme']} {theme_names.get(theme['theme'], '')} · {share} % · {euro_short(theme['amount_cents'])}"
        )
        node(tid, label, "root", theme["amount_cents"], dark, "#ffffff")
        if theme["central_cents"]:
            node(f"{tid}-central", "Gem. voorzieningen", tid, theme["central_cents"], "#e3e7eb", INK)
        for part in theme["colleges"]:
            name = college_names.get(part["college"], "").removeprefix("MBO College ")
            label = chart_text(f"{part['college']} {name}")
            node(f"{tid}-{part['college']}", label, tid, part["amount_cents"], tint, INK)
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            customdata=texts,
            branchvalues="total",
            texttemplate="<b>%{label}</b><br>%{customdata}",
            hovertemplate="%{label}<br>%{customdata} (%{percentParent:.0%} van het bovenliggende)<extra></extra>",
            textfont={"size": 13, "color": inks},
            insidetextfont={"size": 13, "color": inks},
            maxdepth=3,
            marker={
                "colors": colours,
                "line": {"width": 1, "color": "#ffffff"},
                "pad": {"t": 26, "l": 3, "r": 3, "b": 3},
            },
            pathbar={"visible": True, "textfont": {"size": 14}},
            tiling={"pad": 2},
        )
    )
    return _layout(
        fig,
        title="Verdeling over thema's en colleges",
        subtitle="Klik een thema om in te zoomen",
        height=620,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )


def release_bars(rows: list[dict], *, title: str, subtitle: str = "") -> go.Figure:
    """Return stacked bars per row (college or theme): released and reserved result-dependent money.

    `rows`: label (a name, as typed), released_cents, reserved_cents. Reserved is hatched as well as
    lighter, so the two parts differ without colour (manifesto principle 8: reserved, not cut).
    """
    labels = [chart_text(row["label"]) for row in rows]
    fig = go.Figure()
    for key, name, colour, pattern in (
        ("released_cents", "Vrijgegeven", MET, ""),
        ("reserved_cents", "Gereserveerd (komt vrij bij later resultaat)", "#f5dc8f", "/"),
    ):
        amounts = [row[key] for row in rows]
        fig.add_trace(
            go.Bar(
                y=labels,
                x=[a / 100 for a in amounts],
                name=name,
                orientation="h",
                marker={
                    "color": colour,
                    "line": {"width": 1, "color": "#7d4e00" if pattern else colour},
                    "pattern": {
                        "shape": pattern,
                        "fgcolor": "#9a6b00",
                        "size": 10,
                        "solidity": 0.15,
                        "fillmode": "overlay",
                    },
                },
                text=[euro_short(a) if a else "" for a in amounts],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"size": 13, "color": "#ffffff" if key == "released_cents" else INK},
                hovertemplate=f"%{{y}}<br>{name}: %{{text}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", tickfont={"size": 14}, automargin=True)
    fig.update_xaxes(title_text="euro", tickformat=",.0f", automargin=True)
    return _layout(
        fig,
        title=title,
        subtitle=subtitle,
        height=max(300, 34 * len(rows) + 200),
        # Under the plot (the figure's bottom edge): above it, its two rows on a phone ran into the title.
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "x": 0,
            "traceorder": "normal",
        },
        margin={"l": 20, "r": 20, "t": 90, "b": 50},
    )


UNIT_LABELS = {"percent": "procent", "score": "score", "count": "aantal"}


def norm_lines(status: dict | None, history: list[dict]) -> dict:
    """Return the baseline, the targets and the "behoud" limit to draw for an indicator.

    The limit is the baseline moved by the tolerance against the polarity (domain.md step 1,
    maintain: d*(v - b) >= -tol), shown only when the ambition of the chosen year is "behoud".
    """
    reference = status or (history[-1] if history else None)
    if reference is None:
        return {"baseline": None, "baseline_year": None, "targets": [], "floor": None}
    targets = sorted(
        {
            (s["ambition_year"], s["target"])
            for s in history
            if s["ambition_type"] == "target" and s["target"] is not None
        }
    )
    floor = None
    if reference["ambition_type"] == "maintain" and reference["baseline"] is not None and reference["tolerance"]:
        d = 1 if reference["polarity"] == "higher" else -1
        floor = Decimal(str(reference["baseline"])) - d * Decimal(str(reference["tolerance"]))
    return {
        "baseline": reference["baseline"],
        "baseline_year": reference["baseline_year"],
        "targets": targets,
        "floor": floor,
    }


def indicator_figures(
    history: list[dict], trend, status: dict | None, *, unit: str, context=None
) -> dict[str, go.Figure]:
    """Return the indicator page's figures: trend, team spread (when teams report) and verdict heatmap.

    `context` (rapportage.context.IndicatorContext, issue 18) adds the comparison lines and source
    changes to the trend, and one small-multiples figure per breakdown dimension ("breakdown-1", ...).
    """
    label = UNIT_LABELS.get(unit, "")
    reference = status or (history[-1] if history else None)
    if reference is not None:
        label = f"{label} ({'hoger' if reference['polarity'] == 'higher' else 'lager'} is beter)"
    figures = {}
    if len(trend.institution) or len(trend.colleges):
        extra = {}
        if context is not None:
            extra = {
                "comparisons": context.comparisons,
                "sources": context.sources,
                "source_changes": context.changes,
            }
        figures["trend"] = trend_figure(
            trend.institution, trend.colleges, unit_label=label, **norm_lines(status, history), **extra
        )
    if len(trend.teams):
        figures["teams"] = team_dots_figure(trend.teams, trend.institution, unit_label=label)
    if history:
        figures["heatmap"] = verdict_heatmap(history)
    for position, breakdown in enumerate(context.breakdowns if context is not None else [], start=1):
        if breakdown["has_values"]:
            figures[f"breakdown-{position}"] = breakdown_figure(
                breakdown["frame"],
                trend.institution,
                dimension=breakdown["dimension"],
                groups=breakdown["groups"],
                # The unit alone: "(hoger is beter)" made the title longer than a small panel is high.
                unit_label=UNIT_LABELS.get(unit, ""),
            )
    return figures


def budget_figures(data: dict) -> dict[str, go.Figure]:
    """Return the budget page's figures: the treemap and released-against-reserved per college and theme."""
    body, theme_names, college_names = data["body"], data["theme_names"], data["college_names"]
    per_theme = [
        {
            "label": f"{row['theme']} {theme_names.get(row['theme'], '')}",
            "released_cents": row["released_cents"],
            "reserved_cents": row["reserved_cents"],
        }
        for row in data["theme_rows"]
    ]
    per_college = [
        {
            "label": f"{row['college']} {college_names.get(row['college'], '').removeprefix('MBO College ')}",
            "released_cents": row["released_cents"],
            "reserved_cents": row["reserved_cents"],
        }
        for row in data["colleges"]
    ]
    return {
        "treemap": budget_treemap(body, theme_names, college_names),
        "colleges": release_bars(
            per_college, title="Resultaatafhankelijk per college", subtitle="Vrijgegeven en gereserveerd"
        ),
        "themes": release_bars(
            per_theme, title="Resultaatafhankelijk per thema", subtitle="Vrijgegeven en gereserveerd"
        ),
    }


def figure_data(fig: go.Figure) -> dict:
    """Return the figure as plain JSON data for `json_script` (rendered by static/js/dashboard.js)."""
    return json.loads(fig.to_json())
