"""The documents the board signs: the annual report chapter of a year and the mid-term review pack.

One builder per document returns a plain tree (dataclasses and dicts) read from STORED results
(verdicts, budget split, spending, promises, revisions); nothing is recomputed here. The same
tree is rendered twice: to PDF (templates/rapportage/documents/*.html through WeasyPrint,
rapportage/pdf_render.py) and to DOCX (rapportage/docx_render.py), so the two never disagree.
Charts are plotly figures from rapportage.charts (the indicator page's own figure functions);
the renderers turn them into SVG or PNG.
"""

from dataclasses import dataclass, field, replace

import plotly.graph_objects as go
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from agenda.models import Factor, FactorRevision, Indicator, Institution, Theme
from indicatoren.selectors import data_status
from maatregelen.models import Evidence
from rapportage import accountability, charts, selectors
from rapportage.context import indicator_context
from rapportage.engine import words

ANNUAL, MIDTERM = "annual", "midterm"
# The Commissie Kwaliteitsafspraken mbo reviewed the first two years in 2021 (school report due
# 1 July 2021): the pack covers the period's first two years.
MIDTERM_YEARS = 2


@dataclass
class IndicatorPart:
    """One indicator of a theme in the annual report: its stored verdict and its trend chart key."""

    code: str
    name: str
    status: dict | None
    verdict: str  # the verdict word (engine/words.py)
    chart: str | None  # key into Document.figures, None when there is nothing to draw
    factors: list[Factor] = field(default_factory=list)

    @property
    def judged(self) -> bool:
        """Return whether the indicator has a verdict (behaald or niet behaald) this year."""
        return self.status is not None and self.status.get("attained") in (True, False)


@dataclass
class ThemePart:
    """One theme of the annual report: ambition, goals, indicators, measures' money and evidence."""

    code: str
    name: str
    national: bool
    ambition: str
    goals: list[str]
    indicators: list[IndicatorPart]
    spending: object | None  # manifesto.ThemeSpending of the year
    measures: list  # manifesto.MeasureSpending of the theme
    evidence: list[Evidence]
    counts: dict

    @property
    def anchor(self) -> str:
        """Return the theme's anchor for the table of contents."""
        return f"thema-{self.code}"

    @property
    def title(self) -> str:
        """Return the theme's heading ("1 Studiesucces")."""
        return f"{self.code} {self.name}"


@dataclass
class Document:
    """What both renderers need: the title page, the sections and the figures by key."""

    kind: str
    title: str
    subtitle: str
    institution: Institution
    years: list[int]
    data_status: str  # "voorlopig" / "vastgesteld" (of the last year covered)
    generated_at: str  # Dutch local time, "30 november 2026 18:45"
    computed_at: str | None
    stale: bool
    synthetic: bool
    toc: list[tuple[str, str]]  # (anchor, title) in order
    figures: dict[str, go.Figure] = field(default_factory=dict)
    content: dict = field(default_factory=dict)

    @property
    def filename(self) -> str:
        """Return the download's base name (without extension)."""
        return f"{self.kind}-{self.institution.code}-{'-'.join(str(y) for y in self.years)}".lower()


def _dutch_time(moment) -> str:
    """Return a moment in Europe/Amsterdam as a Dutch date and time ("30 november 2026 18:45")."""
    with override("nl"):
        return date_format(timezone.localtime(moment), "j F Y H:i")


def _meta(institution: Institution, year: int) -> dict:
    """Return the title page's facts shared by both documents."""
    run = selectors.last_completed_run(institution)
    return {
        "institution": institution,
        "data_status": data_status(institution, year),
        "generated_at": _dutch_time(timezone.now()),
        "computed_at": _dutch_time(run.finished_at) if run and run.finished_at else None,
        "stale": selectors.freshness(institution)["stale"],
        "synthetic": institution.synthetic_data,
    }


def _trend(institution: Institution, indicator: Indicator, year: int) -> tuple[dict | None, go.Figure | None]:
    """Return the indicator's stored status in `year` and its trend figure as the indicator page draws it.

    The report of a year shows the values up to that year only (a 2020 report never shows 2021's
    figures); the norm lines stay, as the agenda set them for the whole period.
    """
    data = selectors.indicator_data(institution, indicator, year)
    trend = data["trend"]
    trend = selectors.IndicatorTrend(
        institution=trend.institution[trend.institution["year"] <= year],
        colleges=trend.colleges[trend.colleges["year"] <= year],
        teams=trend.teams[trend.teams["year"] <= year],
    )
    comparison = indicator_context(indicator, trend.institution.to_dict("records"))
    comparison = replace(
        comparison,
        comparisons=comparison.comparisons[comparison.comparisons["year"] <= year],
        sources={y: source for y, source in comparison.sources.items() if y <= year},
        changes=[change for change in comparison.changes if change.get("year", year) <= year],
    )
    figures = charts.indicator_figures(data["history"], trend, data["status"], unit=indicator.unit, context=comparison)
    return data["status"], go.Figure(figures["trend"]) if "trend" in figures else None  # kaleido takes a Figure


def annual_report(institution: Institution, year: int) -> Document:
    """Return the annual report chapter of `year`: per theme verdicts, charts, money and evidence; budget; manifesto."""
    overview = selectors.overview_data(institution, year)
    spending = accountability.spending_data(institution, year)
    summary = spending["summary"]
    theme_spending = {item.theme: item for item in summary.themes}
    manifesto_data = accountability.manifesto_data(institution, year)
    budget = selectors.budget_data(institution, year)
    indicators = {
        item.code: item
        for item in Indicator.objects.filter(institution=institution)
        .prefetch_related("factors")
        .select_related("theme")
    }
    evidence = list(
        Evidence.objects.filter(institution=institution, year=year)
        .select_related("theme", "college", "team", "indicator")
        .order_by("theme__position", "title", "pk")
    )
    figures: dict[str, go.Figure] = {}
    themes = []
    for group in overview["themes"]:
        theme: Theme = group["theme"]
        parts = []
        for status in group["statuses"]:
            item = indicators.get(status["indicator"])
            figure = None
            if item is not None:
                _, figure = _trend(institution, item, year)
            key = f"trend-{status['indicator']}" if figure is not None else None
            if key:
                figures[key] = figure
            parts.append(
                IndicatorPart(
                    code=status["indicator"],
                    name=status["name"],
                    status=status,
                    verdict=words.verdict_word(status["attained"]),
                    chart=key,
                    factors=list(item.factors.all()) if item is not None else [],
                )
            )
        themes.append(
            ThemePart(
                code=theme.code,
                name=theme.name,
                national=theme.national,
                ambition=theme.ambition,
                goals=[goal.text for goal in theme.goals.order_by("position", "pk")],
                indicators=parts,
                spending=theme_spending.get(theme.code),
                measures=[m for m in summary.measures if m.theme == theme.code],
                evidence=[e for e in evidence if e.theme_id == theme.pk],
                counts=group["counts"],
            )
        )
    toc = [(part.anchor, part.title) for part in themes]
    toc += [("budget", f"Kwaliteitsbudget {year} en reserve"), ("besteding", f"Besteding {year}")]
    toc += [("manifest", "Manifest: beloftes en toetsen")]
    body = budget["body"]
    rows = _budget_rows(body, budget["theme_names"], budget["college_names"]) if body else []
    return Document(
        kind=ANNUAL,
        title=f"Jaarverslag {year}: Kwaliteitsagenda {institution.period_start}-{institution.period_end}",
        subtitle="Hoofdstuk verantwoording kwaliteitsagenda",
        years=[year],
        toc=toc,
        figures=figures,
        content={
            "year": year,
            "themes": themes,
            "counts": overview["counts"],
            "budget": budget,
            "budget_rows": rows,
            "budget_totals": budget_table_totals(rows),
            "spending": spending,
            "manifesto": manifesto_data,
        },
        **_meta(institution, year),
    )


def _budget_rows(body: dict, theme_names: dict, college_names: dict) -> list[dict]:
    """Return per theme and college the stored split (fixed, released, from reserve, reserved) as table rows."""
    rows = []
    for theme in body["themes"]:
        for part in theme["colleges"]:
            rows.append(
                {
                    "theme": theme["theme"],
                    "theme_name": theme_names.get(theme["theme"], ""),
                    "college": part["college"],
                    "college_name": college_names.get(part["college"], ""),
                    "amount_cents": part["amount_cents"],
                    "fixed_cents": part["fixed_cents"],
                    "released_cents": part["released_cents"],
                    "released_from_reserve_cents": part["released_from_reserve_cents"],
                    "reserved_cents": part["reserved_cents"],
                }
            )
    return rows


def budget_table_totals(rows: list[dict]) -> dict:
    """Return the sums of the rows shown (so a printed total is the sum of the printed rows, to the cent)."""
    keys = ("amount_cents", "fixed_cents", "released_cents", "released_from_reserve_cents", "reserved_cents")
    return {key: sum(row[key] for row in rows) for key in keys}


def midterm_pack(institution: Institution) -> Document:
    """Return the mid-term review pack: progress of the first two years, the herijking, what changed, the budget."""
    years = [y for y in institution.years][:MIDTERM_YEARS]
    bodies = {year: selectors.status_body(institution, year)["indicators"] for year in years}
    names = {theme.code: theme.name for theme in Theme.objects.filter(institution=institution)}
    progress = []
    for status in bodies[years[-1]]:
        row = {"code": status["indicator"], "name": status["name"], "theme": status["theme"], "years": []}
        for year in years:
            found = next((s for s in bodies[year] if s["indicator"] == status["indicator"]), None)
            row["years"].append(
                {
                    "year": year,
                    "status": found,
                    "verdict": words.verdict_word(found["attained"] if found else None),
                }
            )
        progress.append(row)
    herijking = selectors.herijking_data(institution, years[-1])
    factor_revisions = list(
        FactorRevision.objects.filter(factor__indicator__institution=institution)
        .select_related("factor__indicator", "author")
        .order_by("factor__indicator__position", "created_at", "pk")
    )
    budgets = []
    for year in years:
        data = selectors.budget_data(institution, year)
        rows = _budget_rows(data["body"], data["theme_names"], data["college_names"]) if data["body"] else []
        budgets.append({"year": year, "data": data, "rows": rows, "totals": budget_table_totals(rows)})
    toc = [
        ("voortgang", f"Voortgang {years[0]}-{years[-1]} per indicator"),
        ("herijking", "Herijking: oude en nieuwe ambities"),
        ("wijzigingen", "Wat is er veranderd en waarom"),
        ("budget", f"Kwaliteitsbudget {years[0]}-{years[-1]}"),
    ]
    return Document(
        kind=MIDTERM,
        title=f"Midterm-review {years[0]}-{years[-1]}: Kwaliteitsagenda {institution.period_start}-{institution.period_end}",
        subtitle="Verantwoording aan de Commissie Kwaliteitsafspraken mbo",
        years=years,
        toc=toc,
        content={
            "years": years,
            "progress": progress,
            "theme_names": names,
            "herijking": herijking,
            "factor_revisions": factor_revisions,
            "budgets": budgets,
        },
        **_meta(institution, years[-1]),
    )


def build(kind: str, institution: Institution, year: int | None = None) -> Document:
    """Return the document of `kind` (annual needs `year`)."""
    if kind == ANNUAL:
        return annual_report(institution, year)
    return midterm_pack(institution)
