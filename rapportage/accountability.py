"""Reads for the accountability pages: realised spending against the stored allocation, and the manifesto's model.

Lives in rapportage because the allocation is the stored budget split (BudgetResult, read via
rapportage.selectors, never recomputed); the spending and promise rows are maatregelen's. The
sums and checks are the pure rapportage.engine.manifesto.
"""

from django.db.models import Prefetch

from agenda.models import BudgetYear, College, Institution, Theme
from agenda.selectors import theme_shares
from maatregelen.models import Measure, PartnerAgreement, Promise, Spending
from rapportage import selectors
from rapportage.engine import manifesto


def _measure_rows(institution: Institution) -> list[dict]:
    """Return the measures as the engine reads them."""
    return [
        {"id": pk, "title": title, "theme": theme, "college": college, "planned_cents": cents}
        for pk, title, theme, college, cents in Measure.objects.filter(institution=institution)
        .order_by("theme__position", "college__code", "title", "pk")
        .values_list("pk", "title", "theme__code", "college__code", "planned_budget_cents")
    ]


def _spending_rows(institution: Institution, up_to: int) -> list[dict]:
    """Return the spending of every year up to `up_to` as the engine reads it."""
    return [
        {"year": year, "theme": theme, "college": college, "measure": measure, "cents": cents}
        for year, theme, college, measure, cents in Spending.objects.filter(
            institution=institution, year__lte=up_to
        ).values_list("year", "theme__code", "college__code", "measure_id", "amount_cents")
    ]


def spending_data(institution: Institution, year: int) -> dict:
    """Return the year's spending account, its lines and, in the last budget year, what stays available."""
    themes = list(Theme.objects.filter(institution=institution).order_by("position", "code"))
    codes = [theme.code for theme in themes]
    body = selectors.budget_body(institution, year)
    measures = _measure_rows(institution)
    spendings = _spending_rows(institution, institution.period_end)
    summary = manifesto.spending_summary(year, codes, body, measures, spendings)
    final = bool(body) and body.get("not_realised_cents") is not None
    period = None
    if final:
        budgets = selectors.stored_budgets(institution)
        summaries = [
            manifesto.spending_summary(y, codes, budgets.get(y), measures, spendings)
            for y in sorted(budgets)
            if y <= year
        ]
        reserve = {theme["theme"]: theme.get("not_realised_cents") or 0 for theme in body["themes"]}
        period = manifesto.period_end(summaries, reserve)
    lines = (
        Spending.objects.filter(institution=institution, year=year)
        .select_related("theme", "college", "measure", "created_by")
        .order_by("theme__position", "college__code", "measure__title", "pk")
    )
    return {
        "body": body,
        "summary": summary,
        "final": final,
        "period": period,
        "lines": list(lines),
        "theme_names": {theme.code: theme.name for theme in themes},
        "college_names": dict(College.objects.filter(institution=institution).values_list("code", "name")),
    }


def manifesto_data(institution: Institution, year: int) -> dict:
    """Return the promises per theme with their partners, and the manifesto's checks for `year` with their figures."""
    promises = list(
        Promise.objects.filter(institution=institution)
        .select_related("theme")
        .prefetch_related(Prefetch("partners", queryset=PartnerAgreement.objects.order_by("agreed_on", "partner")))
    )
    themes = list(Theme.objects.filter(institution=institution).order_by("position", "code"))
    by_theme = [{"theme": theme, "promises": [p for p in promises if p.theme_id == theme.pk]} for theme in themes]
    budget_year = BudgetYear.objects.filter(institution=institution, year=year).first()
    checks = [
        manifesto.result_dependent_check(budget_year.result_dependent_pct if budget_year else None),
        manifesto.national_check(theme_shares(institution, year)),
        manifesto.spearhead_check((p.budget_cents, p.regional_spearhead) for p in promises),
        manifesto.investment_check(
            budget_year.total_cents if budget_year else None, budget_year.lumpsum_total_cents if budget_year else None
        ),
    ]
    return {
        "by_theme": by_theme,
        "promises": promises,
        "checks": checks,
        "budget_year": budget_year,
        "promise_total_cents": sum(p.budget_cents for p in promises),
    }
