"""Board pages: thin views that check permission, read stored results and render (once per version, page_cache)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from agenda.models import College, Indicator
from agenda.permissions import can_write_college, current_institution, is_policy, require_read
from rapportage import changelog, charts, exports, page_cache, roles, selectors
from rapportage.context import indicator_context
from rapportage.forms import ChangesSinceForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context(request):
    """Return the institution and the chosen year (default: the last year with results)."""
    roles.read(request.user)  # the memberships in one written-out statement: the ORM's cost 1-2 ms a page
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    require_read(request.user, institution)
    years = list(institution.years)
    try:
        year = int(request.GET.get("jaar", ""))
    except ValueError:
        year = None
    if year not in years:
        year = selectors.default_year(institution) or years[-1]
    return institution, year, years


@login_required
def overview(request):
    """Show every theme with its indicators' verdicts for the chosen year."""
    institution, year, years = _context(request)
    return page_cache.page(
        request,
        institution,
        "rapportage/overview.html",
        lambda: {"year": year, "years": years, **selectors.overview_data(institution, year)},
    )


@login_required
def colleges(request):
    """List the colleges with their result per indicator and how many they met in the chosen year."""
    institution, year, years = _context(request)
    return page_cache.page(
        request,
        institution,
        "rapportage/colleges.html",
        lambda: {"year": year, "years": years, **selectors.colleges_data(institution, year)},
    )


@login_required
def college(request, code):
    """Show one college ("Mijn college" for its director): every indicator with its teams, and its measures."""
    institution, year, years = _context(request)
    college = get_object_or_404(College, institution=institution, code=code)
    return page_cache.page(
        request,
        institution,
        "rapportage/college.html",
        lambda: {
            "year": year,
            "years": years,
            "college": college,
            "can_write": can_write_college(request.user, college),
            **selectors.college_data(institution, college, year),
        },
    )


@login_required
def indicator(request, code):
    """Show one indicator: the verdict and why, the trend, the teams, the factors and measures."""
    institution, year, years = _context(request)

    def build() -> dict:
        # Read when rendering only: a cached page's key names its address and the data's version, so
        # the indicator it shows still exists; an unknown code renders a 404 here, which is never kept.
        item = get_object_or_404(Indicator.objects.select_related("theme"), institution=institution, code=code)
        return _indicator_context(institution, item, year, years)

    return page_cache.page(request, institution, "rapportage/indicator.html", build)


def _indicator_context(institution, item, year, years) -> dict:
    """Return the indicator page's context: stored results, comparison series and the chart figures."""
    data = selectors.indicator_data(institution, item, year)
    # Issue 18: comparison series, breakdowns and sources beside the judged values (never judged).
    comparison = indicator_context(item, data["institution_rows"])
    figures = charts.indicator_figures(
        data["history"], data["trend"], data["status"], unit=item.unit, context=comparison
    )
    figures = {name: charts.figure_data(fig) for name, fig in figures.items()}
    for position, breakdown in enumerate(comparison.breakdowns, start=1):
        breakdown["name"] = f"breakdown-{position}"
        breakdown["script_id"] = f"fig-breakdown-{position}"
        breakdown["figure"] = figures.get(breakdown["name"])
        breakdown["label"] = (
            f"Kleine grafieken naar {breakdown['dimension']}: per groep de waarde per jaar, "
            "met de instelling als stippellijn; de waarden staan ook in de tabel eronder."
        )
    return {
        "year": year,
        "years": years,
        "indicator": item,
        "figures": figures,
        "comparison": comparison,
        **data,
    }


@login_required
def budget(request):
    """Show the budget split of the chosen year, the release of the result-dependent part and other funds."""
    institution, year, years = _context(request)
    return page_cache.page(
        request, institution, "rapportage/budget.html", lambda: _budget_context(institution, year, years)
    )


def _budget_context(institution, year, years) -> dict:
    """Return the budget page's context: the stored split and its chart figures."""
    data = selectors.budget_data(institution, year)
    figures = charts.budget_figures(data) if data["body"] else {}
    return {
        "year": year,
        "years": years,
        "figures": {name: charts.figure_data(fig) for name, fig in figures.items()},
        **data,
    }


@login_required
def herijking(request):
    """Show verdicts under the original and the current (revised) ambitions side by side."""
    institution, year, years = _context(request)
    return page_cache.page(
        request,
        institution,
        "rapportage/herijking.html",
        lambda: {"year": year, "years": years, **selectors.herijking_data(institution, year)},
    )


@login_required
def report_print(request):
    """Show every theme, college result and the budget on one page laid out for printing to PDF."""
    institution, year, years = _context(request)
    data = selectors.report_data(institution, year)
    return render(request, "rapportage/print.html", {"year": year, "years": years, "institution": institution, **data})


@login_required
def report_xlsx(request):
    """Return the annual-report workbook of the chosen year (status, college results, budget)."""
    institution, year, _ = _context(request)
    data = selectors.report_data(institution, year)
    content = exports.annual_report_xlsx(data)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="kwaliteitsagenda-{institution.code}-{year}.xlsx"'
    return response


@login_required
def changes(request):
    """Show the verdicts that flipped and the budget amounts that moved since a date, with their cause."""
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    require_read(request.user, institution)
    since, since_label = changelog.changes_default_since(institution, timezone.localdate())
    colleges = list(College.objects.filter(institution=institution).order_by("code"))
    form = ChangesSinceForm(request.GET or None, initial={"sinds": since}, colleges=colleges)
    college = None
    if form.is_bound and form.is_valid():
        if form.cleaned_data["sinds"]:
            since, since_label = form.cleaned_data["sinds"], None
        college = next((c for c in colleges if c.code == form.cleaned_data["college"]), None)

    def build() -> dict:
        return {
            "form": form,
            "since": since,
            "since_label": since_label,
            "college": college,
            "policy": is_policy(request.user, institution),
            **changelog.changes_data(institution, since, college),
        }

    if form.errors:
        return render(request, "rapportage/changes.html", build(), status=400)
    # A board page like the others: it changes only with a recompute or a write the page cache's
    # version sees, and its default date with the day (in the key). dashboard_load measured it at
    # 0.12-0.13x a trivial view, p99 0.7-1.3 s, rendered on every request.
    return page_cache.page(request, institution, "rapportage/changes.html", build)
