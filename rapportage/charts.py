"""Plotly figures for the board dashboards: pure functions from frames and payloads to figures.

A figure is plain data, {"data": [trace, ...], "layout": {...}}, exactly the JSON plotly.js draws
and plotly's `Figure.to_json()` used to give (issue 16): plotly's graph_objs (validation of every
property, a template merge, to_json) and a pandas mask and sort per college, team and group took
60-70 % of an indicator page; the figures of the page now cost 1-7 ms. The frames' columns are read
once (`_rows`) and grouped in Python. tests/rapportage/test_golden_figures.py holds every chart of
the demo as the graph_objs code drew it, so a difference shows. The PDF and Word documents wrap the
trend in `go.Figure(figure)` for kaleido (rapportage/documents.py).

No queries (style.md, "Where things go"). Every figure must be readable on a laptop and on a
projector: large fonts, dark text, and meaning carried by a word, a symbol or a pattern as well
as by colour (issue 6: "no colour-only meaning"). Numbers are shown the Dutch way (decimal comma).
Values arrive as Decimals and become floats here only to be drawn, never to be compared.
Every name that people type (team, college, theme) enters a figure through `chart_text`, so it
shows as typed and never as plotly's markup (issue 13).
"""

import zlib
from decimal import Decimal
from functools import lru_cache
from html import escape

import pandas as pd

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
    return _escaped(str(text))


@lru_cache(maxsize=4096)
def _escaped(text: str) -> str:
    """Return `text` escaped for plotly (chart_text); cached, as a page names each team once per year."""
    return escape(text, quote=False).replace("%{", "%&#123;")


def _rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """Return the frame's rows as tuples of `columns`, each value as the column's `tolist()` gives it.

    The figures group and sort these in Python: a boolean mask and a sort per college, team or
    group cost ~0.3 ms each in pandas, most of an indicator page's figures (issue 16).
    """
    return list(zip(*(frame[column].tolist() for column in columns), strict=True)) if len(frame) else []


def _by_year(rows: list[tuple], position: int = 0) -> list[tuple]:
    """Return `rows` sorted by the year at `position` (a year occurs once per college, team or series)."""
    return sorted(rows, key=lambda row: row[position])


def _float(value) -> float | None:
    """Return a Decimal (or number) as a float for drawing; None stays None."""
    return None if value is None or (not isinstance(value, Decimal) and pd.isna(value)) else float(value)


def _missing(value) -> bool:
    """Return whether a count or value is missing (None, NaN, pd.NA), as pd.isna says; an int never is."""
    return value is None or (type(value) is not int and bool(pd.isna(value)))


def _nl(value, places: int = 1) -> str:
    """Return a number in Dutch notation with `places` decimals."""
    return nl_number(None if value is None else Decimal(str(value)), places)


# plotly's template "none" as Figure.to_json() wrote it: no styles, only the trace type it names.
# Kept so that the figures stay byte for byte what graph_objs gave (the golden figures).
TEMPLATE_NONE = {"data": {"scatter": [{"type": "scatter"}]}}
# The shared axis style (plotly applied it to every x and y axis of a figure).
# autotypenumbers "strict" (as plotly's own templates do): "2020" in a category list stays a
# category, so the heatmap's year columns never turn into a numeric axis.
AXIS = {
    "gridcolor": "#e3e7eb",
    "linecolor": "#8c959f",
    "zeroline": False,
    "automargin": True,
    "autotypenumbers": "strict",
}


def _clean(value):
    """Return `value` without the None entries of its dictionaries: plotly leaves a property set to None out.

    Lists of plain values (x, y, customdata) keep their None: it is a gap in the line.
    """
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if item is not None}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_clean(item) for item in value]
    return value


def _year_axes(years: list[int], unit_label: str) -> dict:
    """Return the x axis of whole years (a tick per year, no 2019.5) and the y axis in the unit."""
    return {
        "xaxis": {
            "tickmode": "array",
            "tickvals": years,
            "ticktext": [str(y) for y in years],
            "title": {"text": "Jaar"},
        },
        "yaxis": {"title": {"text": unit_label}},
    }


def _figure(
    data: list[dict], layout: dict, *, title: str, subtitle: str = "", height: int | None = 440, **extra
) -> dict:
    """Return the figure: the traces and the shared readable layout (white background, large fonts, legend below).

    `layout` holds the figure's own settings, its axes ("xaxis", "yaxis2", ...) among them; every
    axis gets the shared style. plotly never wraps a title, so a long one is split into a short
    title and a `subtitle` line: each fits a phone's width (issue 15). Annotations and shapes are
    left out when there are none, as plotly did.
    """
    settings = {
        # "none" instead of a named template: plotly_white costs ~10-90 ms and ~6 KB per figure
        # (issue 6: pages under 300 ms); the few styles it gave are set here and in AXIS.
        "template": TEMPLATE_NONE,
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
    layout = layout | settings | extra
    # plotly's figure always has the first pair of axes: a treemap's layout names them too.
    for name in ("xaxis", "yaxis"):
        layout.setdefault(name, {})
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")):
            layout[name] = axis | AXIS
    for name in ("annotations", "shapes"):
        if not layout.get(name, True):
            del layout[name]
    return {"data": [_clean(trace) for trace in data], "layout": _clean(layout)}


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
) -> dict:
    """Return the trend of an indicator: the institution (bold, labelled), each college, the norm lines.

    `institution`: year, value; `colleges`: year, college, name, value; `targets`: (ambition year,
    target) pairs; `floor`: the lowest (or highest) value still counted as "behoud" (baseline minus
    the tolerance), drawn when it differs from the baseline. Issue 18: `comparisons` (series, label,
    year, value, source) are drawn as grey reference lines ("Landelijk"); `sources` (year -> the
    own value's source) shows in the institution's hover; each of `source_changes` (year, before,
    after) is a dotted vertical line with "bron: JOB → STO", so a jump there is not read as a trend.
    """
    data = []
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
        data.append(
            {
                "type": "scatter",
                "x": span,
                "y": [_float(value)] * 2,
                "mode": "lines",
                "name": label,
                "legendgroup": "norms",
                "legendrank": 200 + position,
                "line": {"dash": dash, "width": 3, "color": colour},
                "hovertemplate": f"{label}<extra></extra>",
            }
        )
    data += _comparison_traces(comparisons)
    college_rows = _rows(colleges, "college", "year", "name", "value")
    codes = list(dict.fromkeys(row[0] for row in college_rows))
    for position, code in enumerate(codes):
        rows = _by_year([row for row in college_rows if row[0] == code], 1)
        name = chart_text(f"{code} {str(rows[0][2]).removeprefix('MBO College ')}")
        data.append(
            {
                "type": "scatter",
                "x": [row[1] for row in rows],
                "y": [_float(row[3]) for row in rows],
                "mode": "lines+markers",
                "name": name,
                "legendgroup": "colleges",
                "legendrank": 300 + position,
                "line": {"width": 1.5, "color": COLLEGE_COLOURS[position % len(COLLEGE_COLOURS)]},
                "marker": {"size": 5},
                "opacity": 0.7,
                "hovertemplate": f"{name}<br>%{{x}}: %{{y:.1f}}<extra></extra>",
            }
        )
    inst = _by_year(_rows(institution, "year", "value"))
    hover = "Instelling<br>%{x}: %{y:.1f}<extra></extra>"
    customdata = None
    if sources:
        customdata = [chart_text(sources.get(int(year)) or "onbekend") for year, _ in inst]
        hover = "Instelling<br>%{x}: %{y:.1f}<br>bron: %{customdata}<extra></extra>"
    data.append(
        {
            "type": "scatter",
            "x": [year for year, _ in inst],
            "y": [_float(value) for _, value in inst],
            "mode": "lines+markers",
            "name": "Instelling",
            "legendrank": 100,
            "line": {"width": 5, "color": INK},
            "marker": {"size": 10, "color": INK},
            "customdata": customdata,
            "hovertemplate": hover,
        }
    )
    shapes, marks = _source_change_marks(source_changes or [])
    layout = {
        # The institution's values as labels on a white ground: annotations are drawn above every line.
        "annotations": [
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
            for year, value in inst
            if value is not None
        ]
        + marks,
        "shapes": shapes,
        **_year_axes(years, unit_label),
    }
    return _figure(
        data,
        layout,
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


def _comparison_traces(comparisons: pd.DataFrame) -> list[dict]:
    """Return each comparison series (landelijk, sector, DUO, a peer) as a grey dashed reference line.

    Told apart by dash and marker symbol, not by colour; the legend names the series and the hover
    gives its value and source (issue 18: "landelijk is dat 72 %").
    """
    traces = []
    all_rows = _rows(comparisons, "series", "year", "label", "value", "source")
    for position, series in enumerate(dict.fromkeys(row[0] for row in all_rows)):
        rows = _by_year([row for row in all_rows if row[0] == series], 1)
        name = chart_text(rows[0][2])
        traces.append(
            {
                "type": "scatter",
                "x": [int(row[1]) for row in rows],
                "y": [_float(row[3]) for row in rows],
                "mode": "lines+markers",
                "name": name,
                "legendgroup": "comparisons",
                "legendrank": 150 + position,
                "line": {
                    "dash": COMPARISON_DASHES[position % len(COMPARISON_DASHES)],
                    "width": 3,
                    "color": COMPARISON_INK,
                },
                "marker": {
                    "size": 9,
                    "symbol": COMPARISON_SYMBOLS[position % len(COMPARISON_SYMBOLS)],
                    "color": COMPARISON_INK,
                    "line": {"width": 2, "color": COMPARISON_INK},
                },
                "customdata": [chart_text(row[4] or "onbekend") for row in rows],
                "hovertemplate": f"{name}<br>%{{x}}: %{{y:.1f}}<br>bron: %{{customdata}}<extra></extra>",
                "meta": {"kind": "comparison"},
            }
        )
    return traces


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


def team_dots_figure(teams: pd.DataFrame, institution: pd.DataFrame, *, unit_label: str = "") -> dict:
    """Return the team spread per year: one dot per team, jittered; small groups as open diamonds.

    `teams`: year, team, name, value, n; `institution`: year, value (drawn as the line to compare).
    Mirrors the agenda's figures (x = year, y = team value).
    """
    data = []
    team_rows = _rows(teams, "year", "team", "name", "value", "n")
    small = [bool(not _missing(n) and small_group(n)) for *_, n in team_rows]
    for label, wanted, symbol in (
        ("Team", False, "circle"),
        (f"Team, kleine groep (n < {SMALL_GROUP_N})", True, "diamond-open"),
    ):
        rows = [row for row, flag in zip(team_rows, small, strict=True) if flag is wanted]
        if not rows:
            continue
        data.append(
            {
                "type": "scatter",
                "x": [y + jitter(f"{t}") for y, t, *_ in rows],
                "y": [_float(row[3]) for row in rows],
                "mode": "markers",
                "name": label,
                "marker": {
                    "size": 9 if symbol == "circle" else 11,
                    "symbol": symbol,
                    "color": ACCENT if symbol == "circle" else NOT_MET,
                    "opacity": 0.7 if symbol == "circle" else 1,
                    "line": {"width": 2 if symbol != "circle" else 0, "color": NOT_MET},
                },
                "customdata": [
                    [chart_text(t), chart_text(nm), y, "onbekend" if _missing(n) else int(n)] for y, t, nm, _, n in rows
                ],
                "hovertemplate": "%{customdata[0]} %{customdata[1]}<br>%{customdata[2]}: %{y:.1f} "
                "(n = %{customdata[3]})<extra></extra>",
            }
        )
    inst = _by_year(_rows(institution, "year", "value"))
    data.append(
        {
            "type": "scatter",
            "x": [year for year, _ in inst],
            "y": [_float(value) for _, value in inst],
            "mode": "lines+markers",
            "name": "Instelling",
            "line": {"width": 4, "color": INK},
            "marker": {"size": 9, "symbol": "line-ew-open", "line": {"width": 3}},
            "hovertemplate": "Instelling<br>%{x}: %{y:.1f}<extra></extra>",
        }
    )
    years = sorted(set(teams["year"]) | set(institution["year"]))
    layout = {
        **_year_axes(years, unit_label),
    }
    return _figure(
        data,
        layout,
        title="Spreiding van de teams per jaar",
        subtitle="Eén stip per team",
        height=500,
        # At the figure's bottom edge: at y=-0.18 of the plot it ran into the axis title on a phone.
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        margin={"l": 60, "r": 20, "t": 80, "b": 60},
    )


BREAKDOWN_COLUMNS_PER_ROW = 2  # two panels side by side: still legible on a 390 px phone


def _axis_id(index: int) -> str:
    """Return the suffix of the `index`-th (from 0) subplot's axes: "", "2", "3", ..."""
    return "" if index == 0 else str(index + 1)


def subplot_grid(rows: int, cols: int, *, horizontal_spacing: float, vertical_spacing: float) -> list[dict]:
    """Return the panels of a rows x cols grid with one y axis shared by all, as plotly's make_subplots lays them out.

    Each panel (row by row from the top left): its x and y domain and the axes it names. The same
    arithmetic as make_subplots(start_cell="top-left", shared_yaxes="all"), so the panels sit where
    they always sat: every y axis matches the bottom left one, and only the first column shows
    tick labels. tests/rapportage/test_charts.py checks it against plotly's own function.
    """
    widths = [(1.0 - horizontal_spacing * (cols - 1)) / cols] * cols
    heights = [(1.0 - vertical_spacing * (rows - 1)) / rows] * rows
    # The grid's start corners, bottom row first in y as plotly counts them.
    starts_y = [sum(heights[:r]) + r * vertical_spacing for r in range(rows)][::-1]
    starts_x = [sum(widths[:c]) + c * horizontal_spacing for c in range(cols)]
    shared = _axis_id((rows - 1) * cols)
    panels = []
    for r in range(rows):
        for c in range(cols):
            x_start, x_end = starts_x[c] + 0.0, starts_x[c] + widths[c] - 0.0
            y_start, y_end = starts_y[r] + 0.0, starts_y[r] + heights[-1 - r] - 0.0
            # plotly rounds a start or end just outside [0, 1] (a float's error) onto the edge.
            y_start = 0.0 if -0.01 < y_start < 0.0 else 1.0 if 1.0 < y_start < 1.01 else y_start
            y_end = 0.0 if -0.01 < y_end < 0.0 else 1.0 if 1.0 < y_end < 1.01 else y_end
            # The axes' domains are clamped to [0, 1]; the panel's title is centred on the unclamped span.
            x_domain, y_domain = [max(0.0, x_start), min(1.0, x_end)], [max(0.0, y_start), min(1.0, y_end)]
            axis = _axis_id(len(panels))
            xaxis = {"domain": x_domain, "anchor": f"y{axis}"}
            yaxis = {"domain": y_domain, "anchor": f"x{axis}"}
            if axis != shared:
                yaxis["matches"] = f"y{shared}"
                if c > 0:
                    yaxis["showticklabels"] = False
            panels.append(
                {
                    "row": r,
                    "col": c,
                    "axis": axis,
                    "xaxis": xaxis,
                    "yaxis": yaxis,
                    "title_x": (x_start + x_end) / 2.0,
                    "title_y": y_end,
                }
            )
    return panels


def breakdown_figure(
    frame: pd.DataFrame,
    total: pd.DataFrame,
    *,
    dimension: str,
    groups: list[str],
    unit_label: str = "",
) -> dict:
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
    panels = subplot_grid(
        rows, cols, horizontal_spacing=0.08, vertical_spacing=min(0.5 / rows, 0.14) if rows > 1 else 0.1
    )
    # The span of the breakdown's own years: the panels are about the groups, and on a phone eight
    # year ticks in a half-width panel ran into each other. The total is drawn over that span only.
    years = sorted({int(y) for y in frame["year"]}) or sorted({int(y) for y in total["year"]})
    total_rows, in_span = _rows(total, "year", "value"), set(years)
    totals = _by_year([row for row in total_rows if row[0] in in_span]) if years else total_rows
    frame_rows = _rows(frame, "group", "series", "year", "value", "n", "small")
    # Each comparison series keeps one dash and symbol over every panel, as in the trend.
    others = {name: position for position, name in enumerate(sorted(set(frame["series"]) - {""}))}
    # Each panel is titled with its group above it, readable but smaller than the figure's title.
    titles = [
        {
            "y": panel["title_y"],
            "xref": "paper",
            "x": panel["title_x"],
            "yref": "paper",
            "text": chart_text(group),
            "showarrow": False,
            "font": {"size": 14, "color": INK},
            "xanchor": "center",
            "yanchor": "bottom",
        }
        for panel, group in zip(panels, groups, strict=False)
        if chart_text(group)
    ]
    data, marks, shown = [], [], set()
    for group, panel in zip(groups, panels, strict=False):
        axis = panel["axis"]
        data.append(
            {
                "type": "scatter",
                "x": [int(year) for year, _ in totals],
                "y": [_float(value) for _, value in totals],
                "mode": "lines",
                "name": "Instelling totaal",
                "legendgroup": "total",
                "showlegend": "total" not in shown,
                "line": {"width": 2, "color": INK, "dash": "dot"},
                "hovertemplate": "Instelling totaal<br>%{x}: %{y:.1f}<extra></extra>",
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
            }
        )
        shown.add("total")
        rows_of_group = [row for row in frame_rows if row[0] == group]
        for series in dict.fromkeys(row[1] for row in rows_of_group):
            points = _by_year([row for row in rows_of_group if row[1] == series], 2)
            own = series == ""
            label = "Groep" if own else chart_text(series[:1].upper() + series[1:])
            drawn = [row for row in points if not bool(row[5])]
            data.append(
                {
                    "type": "scatter",
                    "x": [int(row[2]) for row in drawn],
                    "y": [_float(row[3]) for row in drawn],
                    "mode": "lines+markers",
                    "name": label,
                    "legendgroup": label,
                    "showlegend": label not in shown,
                    "line": {"width": 3, "color": ACCENT}
                    if own
                    else {
                        "width": 2,
                        "color": COMPARISON_INK,
                        "dash": COMPARISON_DASHES[others[series] % len(COMPARISON_DASHES)],
                    },
                    "marker": {"size": 8, "symbol": "circle"}
                    if own
                    else {"size": 7, "symbol": COMPARISON_SYMBOLS[others[series] % len(COMPARISON_SYMBOLS)]},
                    "customdata": [[chart_text(group), "onbekend" if _missing(n) else int(n)] for *_, n, _ in drawn],
                    "hovertemplate": f"{label} %{{customdata[0]}}<br>%{{x}}: %{{y:.1f}} (n = %{{customdata[1]}})"
                    "<extra></extra>",
                    "meta": {"kind": "group" if own else "comparison", "group": chart_text(group)},
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                }
            )
            shown.add(label)
            for year in [row[2] for row in points if bool(row[5])]:
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
    # Every panel has its own year ticks (short, '17) over the same span, so no panel depends on
    # the one below it; the cells of an incomplete last row stay empty.
    span = [years[0] - 0.5, years[-1] + 0.5] if years else None
    # At most about four year ticks per panel: a half-width panel on a phone has room for no more.
    step = 1 if len(years) <= 4 else 2 if len(years) <= 8 else 3
    ticks = years[::step]
    layout = {"annotations": titles + marks}
    for index, panel in enumerate(panels):
        xaxis = panel["xaxis"] | {
            "tickmode": "array",
            "tickvals": ticks,
            "ticktext": [str(y) for y in ticks],
            "range": span,
            "tickangle": 0,
        }
        yaxis = panel["yaxis"] | {"title": {"text": unit_label if panel["col"] == 0 else ""}}
        if index >= len(groups):
            xaxis["visible"] = yaxis["visible"] = False
        layout[f"xaxis{panel['axis']}"] = xaxis
        layout[f"yaxis{panel['axis']}"] = yaxis
    return _figure(
        data,
        layout,
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


def verdict_heatmap(history: list[dict]) -> dict:
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
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": columns,
        "y": [label for label, _ in rows],
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 14, "color": INK},
        "zmin": 0,
        "zmax": 1,
        "colorscale": [
            [0, NOT_MET_BG],
            [0.33, NOT_MET_BG],
            [0.33, NONE_BG],
            [0.67, NONE_BG],
            [0.67, MET_BG],
            [1, MET_BG],
        ],
        "showscale": False,
        "xgap": 3,
        "ygap": 3,
        "hovertemplate": "%{y}, %{x}: %{text}<extra></extra>",
    }
    layout = {
        "xaxis": {"type": "category", "side": "top", "tickfont": {"size": 15}, "showgrid": False, "showline": False},
        "yaxis": {
            "type": "category",
            "autorange": "reversed",
            "tickfont": {"size": 14},
            "showgrid": False,
            "showline": False,
        },
    }
    return _figure(
        [heatmap],
        layout,
        title="Oordeel per college en jaar" if codes else "Oordeel per jaar",
        height=max(190, 48 * len(rows) + 110),
        margin={"l": 200, "r": 20, "t": 90, "b": 20},
    )


def euro_short(cents: int) -> str:
    """Return cents as a short Dutch amount: "€ 7,00 mln" or "€ 752 k"."""
    if abs(cents) >= 100_000_000:
        return f"€ {nl_number(Decimal(cents) / Decimal(100_000_000), 2)} mln"
    return f"€ {nl_number(Decimal(cents) / Decimal(100_000), 0)} k"


THEME_COLOURS = ["#0b4f8a", "#1f6f78", "#5b4a8b", "#7a5c12", "#3f6b2f", "#8a3b52"]
THEME_TINTS = ["#cfe0f1", "#cde8ea", "#dfd8ee", "#efe3c4", "#d8e8cf", "#f1d5de"]


def budget_treemap(body: dict, theme_names: dict[str, str], college_names: dict[str, str]) -> dict:
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
    treemap = {
        "type": "treemap",
        "ids": ids,
        "labels": labels,
        "parents": parents,
        "values": values,
        "customdata": texts,
        "branchvalues": "total",
        "texttemplate": "<b>%{label}</b><br>%{customdata}",
        "hovertemplate": "%{label}<br>%{customdata} (%{percentParent:.0%} van het bovenliggende)<extra></extra>",
        "textfont": {"size": 13, "color": inks},
        "insidetextfont": {"size": 13, "color": inks},
        "maxdepth": 3,
        "marker": {
            "colors": colours,
            "line": {"width": 1, "color": "#ffffff"},
            "pad": {"t": 26, "l": 3, "r": 3, "b": 3},
        },
        "pathbar": {"visible": True, "textfont": {"size": 14}},
        "tiling": {"pad": 2},
    }
    return _figure(
        [treemap],
        {},
        title="Verdeling over thema's en colleges",
        subtitle="Klik een thema om in te zoomen",
        height=620,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )


def release_bars(rows: list[dict], *, title: str, subtitle: str = "") -> dict:
    """Return stacked bars per row (college or theme): released and reserved result-dependent money.

    `rows`: label (a name, as typed), released_cents, reserved_cents. Reserved is hatched as well as
    lighter, so the two parts differ without colour (manifesto principle 8: reserved, not cut).
    """
    labels = [chart_text(row["label"]) for row in rows]
    data = []
    for key, name, colour, pattern in (
        ("released_cents", "Vrijgegeven", MET, ""),
        ("reserved_cents", "Gereserveerd (komt vrij bij later resultaat)", "#f5dc8f", "/"),
    ):
        amounts = [row[key] for row in rows]
        data.append(
            {
                "type": "bar",
                "y": labels,
                "x": [a / 100 for a in amounts],
                "name": name,
                "orientation": "h",
                "marker": {
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
                "text": [euro_short(a) if a else "" for a in amounts],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"size": 13, "color": "#ffffff" if key == "released_cents" else INK},
                "hovertemplate": f"%{{y}}<br>{name}: %{{text}}<extra></extra>",
            }
        )
    layout = {
        "barmode": "stack",
        "xaxis": {"title": {"text": "euro"}, "tickformat": ",.0f", "automargin": True},
        "yaxis": {"autorange": "reversed", "tickfont": {"size": 14}, "automargin": True},
    }
    return _figure(
        data,
        layout,
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


def indicator_figures(history: list[dict], trend, status: dict | None, *, unit: str, context=None) -> dict[str, dict]:
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


def budget_figures(data: dict) -> dict[str, dict]:
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


def figure_data(fig: dict) -> dict:
    """Return the figure as plain JSON data for `json_script` (rendered by static/js/dashboard.js).

    The figures are built as that data already (plain lists, dicts, strings and numbers), so this
    is the figure itself; the pages call it to say what they embed.
    """
    return fig
