"""The documents the board signs: the annual report chapter of a year and the mid-term review pack.

One builder per document returns a plain tree (dataclasses and dicts) read from STORED results
(verdicts, budget split, spending, promises, revisions); nothing is recomputed here. The same
tree is rendered twice: to PDF (templates/rapportage/documents/*.html through WeasyPrint,
rapportage/pdf_render.py) and to DOCX (rapportage/docx_render.py), so the two never disagree.
What both print is decided here, as text: every table is a `Table` of `Cell`s and every sentence
with a figure is a string, so a renderer only lays them out and cannot leave a column or an
amount out (the Word file once did). Charts are plotly figures from rapportage.charts (the
indicator page's own figure functions); the renderers turn them into SVG or PNG.
"""

from dataclasses import dataclass, field, replace

import plotly.graph_objects as go
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override

from agenda.models import Factor, FactorRevision, Indicator, Institution, Theme
from indicatoren.selectors import budget_basis_years, years_status_explained
from maatregelen.models import Evidence
from rapportage import accountability, charts, selectors
from rapportage.choices import RunState
from rapportage.context import indicator_context
from rapportage.engine import words
from rapportage.engine.manifesto import OVERSPENT
from rapportage.models import RecomputeRun
from rapportage.templatetags.kwaliteit import (
    ambition_words,
    effect_words,
    euro,
    nl,
    nl_against,
    verdict_class,
    verdict_text,
)

ANNUAL, MIDTERM = "annual", "midterm"
# The Commissie Kwaliteitsafspraken mbo reviewed the first two years in 2021 (school report due
# 1 July 2021): the pack covers the period's first two years.
MIDTERM_YEARS = 2
NBSP = "\u00a0"


def money(cents) -> str:
    """Return a Dutch euro amount (the site's `euro`) that never wraps: a non-breaking space after the sign."""
    return euro(cents).replace(" ", NBSP)


def _dutch_date(moment) -> str:
    """Return a date (or a moment, in Europe/Amsterdam) in Dutch ("15 maart 2019")."""
    if hasattr(moment, "hour"):
        moment = timezone.localtime(moment)
    with override("nl"):
        return date_format(moment, "j F Y")


@dataclass(frozen=True)
class Cell:
    """One printed cell: its text and how it is dressed (CSS classes of the PDF, read by the Word renderer too).

    "num": an amount or a number, right-aligned and never wrapped; "bad" / "good" / "met" /
    "notmet" / "none": a state, in colour and bold; "small": a note; "state": a state word.
    """

    text: str
    css: str = ""
    span: int = 1  # columns the cell takes ("Totaal colleges" under Thema and College)

    @property
    def classes(self) -> set[str]:
        """Return the cell's classes as a set."""
        return set(self.css.split())


@dataclass
class Table:
    """A table both renderers print cell for cell: the first column heads its row, `footer` is the total row.

    `empty` is said instead when there are no rows; `css` is the PDF table's class ("wide").
    """

    headers: list[Cell]
    rows: list[list[Cell]]
    footer: list[Cell] | None = None
    empty: str = "Geen gegevens."
    css: str = ""


def _cell(value) -> Cell:
    """Return `value` as a Cell (a string becomes plain text)."""
    return value if isinstance(value, Cell) else Cell(str(value))


def _table(headers, rows, footer=None, numeric=(), empty="Geen gegevens.", css="") -> Table:
    """Return a Table whose columns in `numeric` are right-aligned amounts (headers and footer alike)."""

    def dress(values) -> list[Cell]:
        cells, column = [], 0
        for value in values:
            cell = _cell(value)
            if column in numeric and "num" not in cell.classes:
                cell = replace(cell, css=f"num {cell.css}".strip())
            cells.append(cell)
            column += cell.span
        return cells

    return Table(
        headers=dress(headers),
        rows=[dress(row) for row in rows],
        footer=dress(footer) if footer else None,
        empty=empty,
        css=css,
    )


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

    @property
    def ambition_text(self) -> str:
        """Return the ambition in words, marked "(indicatief)" while it is indicative (domain.md, "Time")."""
        status = self.status or {}
        return ambition_words(status) + (" (indicatief)" if status.get("indicative") else "")

    @property
    def institution_text(self) -> str:
        """Return the institution's value, with the decimals that show its order against the baseline."""
        status = self.status or {}
        return nl_against(status.get("institution_value"), status.get("baseline"))

    @property
    def baseline_text(self) -> str:
        """Return the baseline and its year ("6,7 (2017)")."""
        status = self.status or {}
        return f"{nl_against(status.get('baseline'), status.get('institution_value'))} ({status.get('baseline_year')})"

    @property
    def colleges_text(self) -> str:
        """Return how many colleges met ("8 van 12"), or a dash for an indicator judged at institution level."""
        status = self.status or {}
        return f"{status['colleges_met']} van {status['colleges_total']}" if status.get("colleges_total") else "–"

    @property
    def distance_text(self) -> str:
        """Return the distance to the verdict's edge in words, or a dash."""
        return (self.status or {}).get("distance") or "–"

    @property
    def factors_text(self) -> str:
        """Return the explanatory factors with their expected effect and description, one sentence."""
        return "; ".join(
            f"{f.name} ({effect_words(f.effect)})" + (f": {f.description}" if f.description else "")
            for f in self.factors
        )


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
    summary: str = ""  # "Landelijk thema · 2 van 3 indicatoren behaald in 2020"
    measures_table: Table | None = None
    spending_line: str | None = None  # the theme's subtotal of the spending account

    @property
    def evidence_items(self) -> list[tuple[str, str, str]]:
        """Return per piece of evidence its title, its note ("(verhaal, 5100, 2b)") and its text."""
        items = []
        for item in self.evidence:
            note = ", ".join(
                [item.get_kind_display()]
                + ([item.college.code] if item.college else [])
                + ([item.indicator.code] if item.indicator else [])
            )
            items.append((item.title, f"({note})", item.text))
        return items

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
    data_status: str  # "voorlopig" / "vastgesteld": of every year covered and the budget's earlier years (_meta)
    data_status_reason: str  # why it is voorlopig, in Dutch ("" when vastgesteld)
    generated_at: str  # Dutch local time, "30 november 2026 18:45"
    computed_at: str | None
    stale: bool
    recomputing: bool  # a recompute is waiting or running: the figures are about to change
    synthetic: bool
    toc: list[tuple[str, str]]  # (anchor, title) in order
    figures: dict[str, go.Figure] = field(default_factory=dict)
    content: dict = field(default_factory=dict)

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """Return the title page's warnings as (bold lead, rest), the same words in the PDF and the Word file."""
        found = []
        if self.stale:
            found.append(
                (
                    "Verouderd:",
                    "de laatste herberekening is mislukt; dit document toont de oordelen van de laatste geslaagde "
                    "berekening.",
                )
            )
        if self.recomputing:
            # The dashboards say the same (templates/rapportage/_run.html); a signed document must too.
            found.append(
                (
                    "Herberekening bezig:",
                    "de cijfers worden op dit moment opnieuw berekend; dit document toont de vorige berekening. "
                    "Maak het document opnieuw als de herberekening klaar is."
                    if self.computed_at
                    else "de cijfers worden op dit moment voor het eerst berekend. "
                    "Maak het document opnieuw als de berekening klaar is.",
                )
            )
        if self.synthetic:
            found.append(("Synthetische demogegevens:", "dit document bevat gegenereerde gegevens, geen echte."))
        return found

    @property
    def filename(self) -> str:
        """Return the download's base name (without extension)."""
        return f"{self.kind}-{self.institution.code}-{'-'.join(str(y) for y in self.years)}".lower()


def _dutch_time(moment) -> str:
    """Return a moment in Europe/Amsterdam as a Dutch date and time ("30 november 2026 18:45")."""
    with override("nl"):
        return date_format(timezone.localtime(moment), "j F Y H:i")


def _meta(institution: Institution, years: list[int]) -> dict:
    """Return the title page's facts shared by both documents, which cover `years` (verdicts and budget).

    The document is *vastgesteld* only when every figure it prints can no longer move (domain.md,
    "Sign-off and locking"): the verdicts of each year it covers, and the budget of its last year,
    which moves with every earlier budget year's verdicts (the reserve; budget_basis_years).
    """
    run = selectors.last_completed_run(institution)
    # Any run waiting or running, not only the newest (selectors.last_run): a correction joins the run
    # already waiting (services._run_request), which may be older than one `recompute_now` finished
    # since, and that waiting run will still change the figures this document prints.
    waiting = RecomputeRun.objects.filter(institution=institution, state__in=(RunState.PENDING, RunState.RUNNING))
    status, reason = years_status_explained(institution, {*years, *budget_basis_years(institution, years[-1])})
    return {
        "institution": institution,
        "data_status": status,
        "data_status_reason": reason,
        "generated_at": _dutch_time(timezone.now()),
        "computed_at": _dutch_time(run.finished_at) if run and run.finished_at else None,
        "stale": selectors.freshness(institution)["stale"],
        "recomputing": waiting.exists(),
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
        measures = [m for m in summary.measures if m.theme == theme.code]
        themes.append(
            ThemePart(
                code=theme.code,
                name=theme.name,
                national=theme.national,
                ambition=theme.ambition,
                goals=[goal.text for goal in theme.goals.order_by("position", "pk")],
                indicators=parts,
                spending=theme_spending.get(theme.code),
                measures=measures,
                evidence=[e for e in evidence if e.theme_id == theme.pk],
                counts=group["counts"],
                summary=_theme_summary(theme.national, group["counts"], year),
                measures_table=_measures_table(measures, year),
                spending_line=_theme_spending_line(theme.code, theme_spending.get(theme.code), year),
            )
        )
    toc = [(part.anchor, part.title) for part in themes]
    toc += [("budget", f"Kwaliteitsbudget {year} en reserve"), ("besteding", f"Besteding {year}")]
    toc += [("manifest", "Manifest: beloftes en toetsen")]
    body = budget["body"]
    rows = _budget_rows(body, budget["theme_names"], budget["college_names"]) if body else []
    totals = budget_table_totals(rows)
    period_title = _period_title(spending)
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
            "budget_totals": totals,
            "budget_themes_table": _budget_themes_table(budget) if body else None,
            "budget_colleges_table": _budget_colleges_table(rows, totals) if body else None,
            "reserve_note": _reserve_note(budget, year) if body else None,
            "spending": spending,
            "spending_table": _spending_table(summary, year),
            "spending_note": SPENDING_NOTE,
            "period_title": period_title,
            "period_table": _period_table(spending["period"]) if period_title else None,
            "manifesto": manifesto_data,
            "checks_table": _checks_table(manifesto_data["checks"]),
            "promise_groups": _promise_groups(manifesto_data["by_theme"]),
            "promise_total": f"Budget van alle beloftes samen: {money(manifesto_data['promise_total_cents'])}.",
        },
        **_meta(institution, [year]),
    )


# --- What the annual report prints, as text: both renderers lay these out and add nothing. ---
SPENDING_NOTE = (
    "Toegekend: vast deel, vrijgegeven en uit reserve vrijgegeven (ROC-breed: de gemeenschappelijke voorzieningen). "
    "Verschil: toegekend min gerealiseerd; negatief is meer uitgegeven dan toegekend."
)


def _theme_summary(national: bool, counts: dict, year: int) -> str:
    """Return the line under a theme's heading: national or not, and how many indicators were attained."""
    judged = counts.get("judged")
    text = f"{counts.get('met', 0)} van {judged} indicatoren behaald in {year}" if judged else f"geen oordeel in {year}"
    if judged and counts.get("none"):
        text += f", {counts['none']} zonder oordeel"
    return ("Landelijk thema · " if national else "") + text


def _overspent(flag: bool) -> Cell:
    """Return the state cell of a spending line: "overschreden" in red, or empty."""
    return Cell(OVERSPENT, "bad") if flag else Cell("")


def _measures_table(measures: list, year: int) -> Table:
    """Return a theme's measures: planned for the period against realised this year and so far."""
    return _table(
        ["Maatregel", "College", "Gepland (periode)", f"Gerealiseerd {year}", f"Gerealiseerd t/m {year}", "Stand"],
        [
            [
                m.title,
                m.college or "ROC-breed",
                money(m.planned_cents),
                money(m.realised_cents),
                money(m.realised_to_date_cents),
                _overspent(m.overspent),
            ]
            for m in measures
        ],
        numeric=(2, 3, 4),
        empty="Dit thema heeft geen maatregelen.",
    )


def _theme_spending_line(code: str, spending, year: int) -> str | None:
    """Return the theme's subtotal of the year's spending account as a sentence, or None without rows."""
    if spending is None or not spending.rows:
        return None
    total = spending.total
    return (
        f"Thema {code} in {year}: toegekend {money(total.allocated_cents)}, gepland {money(total.planned_cents)}, "
        f"gerealiseerd {money(total.realised_cents)}" + (f" ({OVERSPENT})" if total.overspent else "") + "."
    )


def _budget_themes_table(budget: dict) -> Table:
    """Return the year's split per theme: amount, common facilities, result-dependent, released and reserved."""
    totals = budget["totals"]
    return _table(
        ["Thema (aandeel)", "Bedrag", "Gem. voorzieningen", "Resultaatafh.", "Vrijgegeven", "Gereserveerd"],
        [
            [
                f"{row['theme']} {budget['theme_names'].get(row['theme'], '')} ({nl(row['share_pct'])} %)",
                money(row["amount_cents"]),
                money(row["central_cents"]),
                money(row["result_dependent_cents"]),
                money(row["released_cents"]),
                money(row["reserved_cents"]),
            ]
            for row in budget["theme_rows"]
        ],
        [
            "Totaal (100 %)",
            money(budget["body"]["total_cents"]),
            money(totals["central_cents"]),
            money(totals["result_dependent_cents"]),
            money(totals["released_cents"]),
            money(totals["reserved_cents"]),
        ],
        numeric=(1, 2, 3, 4, 5),
        css="wide",
    )


def _budget_colleges_table(rows: list[dict], totals: dict) -> Table:
    """Return the split per theme and college with the reserve, and its total (the sum of the printed rows)."""
    keys = ("amount_cents", "fixed_cents", "released_cents", "released_from_reserve_cents", "reserved_cents")
    return _table(
        ["Thema", "College", "Bedrag", "Vast", "Vrijgegeven", "Uit reserve", "Gereserveerd"],
        [[r["theme"], r["college"]] + [money(r[key]) for key in keys] for r in rows],
        [Cell("Totaal colleges", span=2)] + [money(totals[key]) for key in keys],
        numeric=(2, 3, 4, 5, 6),
    )


def _reserve_note(budget: dict, year: int) -> str:
    """Return how the split adds up and what the reserve holds after `year`.

    After the period's last budget year what is still reserved is *niet gerealiseerd*: the
    software reports it and the board decides (domain.md, "The reserve", step 4).
    """
    body = budget["body"]
    text = (
        f"Het totaal van de colleges plus de gemeenschappelijke voorzieningen ({money(budget['totals']['central_cents'])}) "
        f"is het kwaliteitsbudget van {money(body['total_cents'])}. Gereserveerd geld komt vrij in het eerste latere "
        "budgetjaar waarin het college de indicator haalt (manifest, principe 8). "
    )
    if body.get("not_realised_cents") is not None:
        return text + (
            f"Niet gerealiseerd na het laatste budgetjaar: {money(body['not_realised_cents'])}; "
            "het bestuur beslist wat ermee gebeurt."
        )
    return text + f"Nog open na {year}: {money(body.get('reserve_open_cents') or 0)}."


def _spending_table(summary, year: int) -> Table:
    """Return the year's spending account per theme and college (ROC-wide first) with its total."""
    total = summary.total

    def line(label: str, row) -> list:
        amounts = (row.allocated_cents, row.planned_cents, row.realised_cents, row.difference_cents)
        return [label, *(money(cents) for cents in amounts), _overspent(row.overspent)]

    return _table(
        ["Thema · college", "Toegekend", "Gepland", "Gerealiseerd", "Verschil", "Stand"],
        [line(f"{r.theme} · {r.college or 'ROC-breed'}", r) for theme in summary.themes for r in theme.rows],
        line(f"Totaal {year}", total),
        numeric=(1, 2, 3, 4),
    )


def _period_title(spending: dict) -> str | None:
    """Return, in the period's last budget year, what stays available for the mbo sector; else None."""
    if not (spending["final"] and spending["period"]):
        return None
    return (
        f"Na afloop van de periode: {money(spending['period'].available_cents)} blijft beschikbaar voor de mbo-sector"
    )


def _period_table(period) -> Table:
    """Return per theme over the whole period: allocated, realised, unspent, reserve and what stays available."""
    return _table(
        ["Thema", "Toegekend", "Gerealiseerd", "Niet uitgegeven", "Reserve", "Blijft beschikbaar"],
        [
            [
                r["theme"],
                money(r["allocated_cents"]),
                money(r["realised_cents"]),
                money(r["unspent_cents"]),
                money(r["reserve_cents"]),
                money(r["available_cents"]),
            ]
            for r in period.rows
        ],
        numeric=(1, 2, 3, 4, 5),
    )


def _checks_table(checks: list) -> Table:
    """Return the manifesto's checks: figure, norm, whether it holds and the figures behind it."""

    def holds(check) -> Cell:
        if check.holds is None:
            return Cell("n.v.t.", "state")
        return Cell("✓ voldoet", "state good") if check.holds else Cell("✗ voldoet niet", "state bad")

    return _table(
        ["Toets", "Uitkomst", "Norm", "Oordeel", "Cijfers"],
        [[check.label, check.figure, check.target, holds(check), Cell(check.detail, "small")] for check in checks],
        numeric=(1,),
    )


def _promise_groups(by_theme: list[dict]) -> list[dict]:
    """Return per theme with promises its heading and per promise its title, tag, text and details line."""
    groups = []
    for group in by_theme:
        if not group["promises"]:
            continue
        items = []
        for p in group["promises"]:
            partners = "; ".join(
                a.partner
                + (f" ({_dutch_date(a.agreed_on)})" if a.agreed_on else "")
                + (", regiodeal" if a.regional_deal else "")
                for a in p.partners.all()
            )
            details = (
                f"Doelgroepen: {', '.join(p.target_group_labels) or '–'} · Budget: {money(p.budget_cents)} · "
                f"Verantwoording: {p.accountability or '–'}" + (f" · Partners: {partners}" if partners else "")
            )
            items.append(
                {
                    "title": p.title,
                    "tag": " (eigen/regionaal speerpunt)" if p.regional_spearhead else "",
                    "promise": p.promise,
                    "details": details,
                }
            )
        groups.append({"heading": f"{group['theme'].code} {group['theme'].name}", "promises": items})
    return groups


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
        FactorRevision.objects.filter(indicator__institution=institution)
        .select_related("indicator", "author")
        .order_by("indicator__position", "created_at", "pk")
    )
    budgets = []
    for year in years:
        data = selectors.budget_data(institution, year)
        rows = _budget_rows(data["body"], data["theme_names"], data["college_names"]) if data["body"] else []
        totals = budget_table_totals(rows)
        budgets.append(
            {
                "year": year,
                "data": data,
                "rows": rows,
                "totals": totals,
                "table": _midterm_budget_table(data) if data["body"] else None,
                "note": f"Uit reserve vrijgegeven in {year}: {money(totals['released_from_reserve_cents'])}.",
            }
        )
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
            "progress_table": _progress_table(progress, years),
            "progress_note": PROGRESS_NOTE,
            "revisions_table": _revisions_table(herijking["revisions"]),
            "verdicts_table": _verdicts_table(herijking["rows"]),
            "shares_table": _shares_table(herijking["share_revisions"]),
            "applicability_table": _applicability_table(herijking["applicability_revisions"]),
            "baselines_table": _baselines_table(herijking["baseline_revisions"]),
            "factors_table": _factors_table(factor_revisions),
        },
        **_meta(institution, years),
    )


# --- What the mid-term pack prints, as text (the same for the PDF and the Word file). ---
PROGRESS_NOTE = (
    "Oordeel volgens de tweederderegel (agenda 4.3): behaald als tweederde van de colleges de ambitie haalde, "
    "anders als de instelling als geheel de ambitie haalde."
)


def _progress_table(progress: list[dict], years: list[int]) -> Table:
    """Return per indicator its verdict and institution value in each year of the pack."""
    return _table(
        ["Indicator"] + [f"{label} {y}" for y in years for label in ("Oordeel", "Waarde")],
        [
            [f"{row['code']} {row['name']}"]
            + [
                cell
                for y in row["years"]
                for cell in (
                    Cell(y["verdict"], f"state {verdict_class((y['status'] or {}).get('attained'))}"),
                    nl_against((y["status"] or {}).get("institution_value"), (y["status"] or {}).get("baseline")),
                )
            ]
            for row in progress
        ],
        numeric=tuple(range(2, 1 + 2 * len(years), 2)),
    )


def _revised_ambition(ambition) -> str:
    """Return one version of an ambition in words ("Streefcijfer 7,1 (marge 0,5)")."""
    target = f" {nl(ambition.target)}" if ambition.target is not None else ""
    margin = f" (marge {nl(ambition.tolerance)})" if ambition.tolerance else ""
    return ambition.get_type_display() + target + margin


def _revision_reason(ambition) -> str:
    """Return why an ambition was revised, by whom and when."""
    author = ambition.author
    who = f" ({author.get_full_name() or author.username}, {_dutch_date(ambition.created_at)})" if author else ""
    return (ambition.reason or "–") + who


def _revisions_table(revisions: list[dict]) -> Table:
    """Return every revised ambition: the first and the latest version, with the reason."""
    return _table(
        ["Indicator", "Jaar", "Oude ambitie", "Nieuwe ambitie", "Reden"],
        [
            [
                f"{item['indicator'].code} {item['indicator'].name}",
                str(item["year"]),
                _revised_ambition(item["revisions"][0]),
                _revised_ambition(item["revisions"][-1]),
                Cell(_revision_reason(item["revisions"][-1]), "small"),
            ]
            for item in revisions
        ],
        empty="Geen ambities herijkt.",
    )


def _verdicts_table(rows: list[dict]) -> Table:
    """Return per indicator its verdict under the original and under the current ambition, and what changed."""

    def judged(status) -> str:
        return f"{ambition_words(status)}: {verdict_text(status['attained'])}" if status else "–"

    return _table(
        ["Indicator", "Oorspronkelijk", "Huidig", "Veranderd"],
        [
            [
                row["code"],
                judged(row["original"]),
                judged(row["current"]),
                "oordeel" if row["verdict_changed"] else ("ambitie" if row["ambition_changed"] else "–"),
            ]
            for row in rows
        ],
    )


def _shares_table(revisions: list[dict]) -> Table:
    """Return the revised theme budget shares, each beside the share before it."""
    return _table(
        ["Thema", "Vanaf", "Was", "Wordt", "Reden"],
        [
            [
                f"{r['theme'].code} {r['theme'].name}",
                str(r["from_year"]),
                f"{nl(r['before'])} %",
                f"{nl(r['after'])} %",
                Cell(r["revision"].reason or "–", "small"),
            ]
            for r in revisions
        ],
        numeric=(2, 3),
        empty="Geen budgetaandelen herzien.",
    )


def _applicability_table(revisions: list[dict]) -> Table:
    """Return the revised applicability: how many colleges before and after, and which came and went."""

    def after(r) -> str:
        text = f"{len(r['after'])} van {r['total']} colleges"
        if r["added"]:
            text += "; erbij: " + ", ".join(x.code for x in r["added"])
        if r["removed"]:
            text += "; eraf: " + ", ".join(x.code for x in r["removed"])
        return text

    return _table(
        ["Indicator", "Vanaf", "Was", "Wordt", "Reden"],
        [
            [
                r["indicator"].code,
                str(r["from_year"]),
                f"{len(r['before'])} van {r['total']} colleges",
                after(r),
                Cell(r["revision"].reason or "–", "small"),
            ]
            for r in revisions
        ],
        empty="Geen toepasbaarheid herzien.",
    )


def _baselines_table(revisions: list[dict]) -> Table:
    """Return the revised baselines, each beside the baseline before it."""

    def baseline(year, value) -> str:
        return f"{year}: " + ("uit de gegevens" if value is None else nl(value))

    return _table(
        ["Indicator", "Vanaf", "Was", "Wordt", "Reden"],
        [
            [
                r["indicator"].code,
                str(r["from_year"]),
                baseline(r["before_year"], r["before_value"]),
                baseline(r["after_year"], r["after_value"]),
                Cell(r["revision"].reason or "–", "small"),
            ]
            for r in revisions
        ],
        empty="Geen nulmetingen herzien.",
    )


def _factors_table(revisions: list) -> Table:
    """Return the revisions of explanatory factors: which, the expected effect, why and when."""
    return _table(
        ["Indicator", "Factor", "Effect", "Reden", "Wanneer"],
        [
            [
                r.indicator.code,
                r.name,
                effect_words(r.effect),
                Cell(r.reason, "small"),
                _dutch_date(r.created_at),
            ]
            for r in revisions
        ],
        empty="Geen factoren herzien.",
    )


def _midterm_budget_table(data: dict) -> Table:
    """Return one year's split per theme for the mid-term pack, with its total."""
    totals = data["totals"]
    keys = ("central_cents", "fixed_cents", "released_cents", "reserved_cents")
    return _table(
        ["Thema", "Bedrag", "Gem. voorzieningen", "Vast", "Vrijgegeven", "Gereserveerd"],
        [
            [f"{row['theme']} {data['theme_names'].get(row['theme'], '')}", money(row["amount_cents"])]
            + [money(row[key]) for key in keys]
            for row in data["theme_rows"]
        ],
        ["Totaal", money(data["body"]["total_cents"])] + [money(totals[key]) for key in keys],
        numeric=(1, 2, 3, 4, 5),
        css="wide",
    )


def build(kind: str, institution: Institution, year: int | None = None) -> Document:
    """Return the document of `kind` (annual needs `year`)."""
    if kind == ANNUAL:
        return annual_report(institution, year)
    return midterm_pack(institution)
