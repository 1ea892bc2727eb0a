"""Board pages: thin views that check permission, read stored results and render."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from agenda.models import College, Indicator, Theme
from agenda.permissions import current_institution, require_read
from rapportage import selectors
from rapportage.models import Version


def _context(request):
    """Return the institution and the chosen year (default: the last year with results)."""
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
    body = selectors.status_body(institution, year)
    by_theme = {}
    for status in body["indicators"]:
        by_theme.setdefault(status["theme"], []).append(status)
    themes = [(theme, by_theme.get(theme.code, [])) for theme in Theme.objects.filter(institution=institution)]
    return render(request, "rapportage/overview.html", {"year": year, "years": years, "themes": themes})


@login_required
def colleges(request):
    """List the colleges with how many indicators each met in the chosen year."""
    institution, year, years = _context(request)
    body = selectors.status_body(institution, year)
    rows = []
    for college in College.objects.filter(institution=institution).order_by("code"):
        entries = [c for s in body["indicators"] for c in s["colleges"] if c["college"] == college.code]
        judged = [c for c in entries if c["met"] is not None]
        rows.append({"college": college, "met": sum(1 for c in judged if c["met"]), "judged": len(judged)})
    return render(request, "rapportage/colleges.html", {"year": year, "years": years, "rows": rows})


@login_required
def college(request, code):
    """Show one college: every indicator's result with its teams."""
    institution, year, years = _context(request)
    college = get_object_or_404(College, institution=institution, code=code)
    body = selectors.status_body(institution, year)
    rows = []
    for status in body["indicators"]:
        entry = next((c for c in status["colleges"] if c["college"] == college.code), None)
        rows.append({"status": status, "college": entry})
    return render(request, "rapportage/college.html", {"year": year, "years": years, "college": college, "rows": rows})


@login_required
def indicator(request, code):
    """Show one indicator: the verdict, its explanation and every college."""
    institution, year, years = _context(request)
    item = get_object_or_404(Indicator, institution=institution, code=code)
    status = selectors.indicator_status(institution, code, year)
    return render(
        request, "rapportage/indicator.html", {"year": year, "years": years, "indicator": item, "status": status}
    )


@login_required
def budget(request):
    """Show the budget split of the chosen year."""
    institution, year, years = _context(request)
    return render(
        request,
        "rapportage/budget.html",
        {"year": year, "years": years, "body": selectors.budget_body(institution, year)},
    )


@login_required
def herijking(request):
    """Show verdicts under the original and the current (revised) ambitions side by side."""
    institution, year, years = _context(request)
    current = {s["indicator"]: s for s in selectors.status_body(institution, year, Version.CURRENT)["indicators"]}
    original = {s["indicator"]: s for s in selectors.status_body(institution, year, Version.ORIGINAL)["indicators"]}
    rows = [{"code": code, "current": current[code], "original": original.get(code)} for code in current]
    return render(request, "rapportage/herijking.html", {"year": year, "years": years, "rows": rows})
