"""The curated public account for partners (issue 14, item 4): /verantwoording/ and, when enabled, /openbaar/<code>/.

Thin views: the right comes from agenda.permissions.can_read_public (partners, board, policy
staff, directors), the content from rapportage.partner.public_account.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from agenda.models import Institution
from agenda.permissions import current_institution, require_read_public
from rapportage import selectors
from rapportage.partner import public_account


def _year(request, institution: Institution) -> tuple[int, list[int]]:
    """Return the chosen year (default: the last year with a verdict) and the agenda years."""
    years = list(institution.years)
    try:
        year = int(request.GET.get("jaar", ""))
    except ValueError:
        year = None
    if year not in years:
        year = selectors.default_year(institution) or years[-1]
    return year, years


def _render(request, institution: Institution, *, public_page: bool):
    """Render the account of `institution` for the chosen year."""
    year, years = _year(request, institution)
    context = {"institution": institution, "year": year, "years": years, "public_page": public_page}
    return render(request, "rapportage/partner/index.html", {**context, **public_account(institution, year)})


@login_required
def index(request):
    """Show the curated account of the user's institution to partners and to those who answer for it."""
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    require_read_public(request.user, institution)
    return _render(request, institution, public_page=False)


def public(request, code):
    """Show the same account to anyone, only for an institution listed in PUBLIC_ACCOUNTABILITY (else 404)."""
    if code not in settings.PUBLIC_ACCOUNTABILITY:
        raise Http404("Niet gevonden")
    institution = get_object_or_404(Institution, code=code)
    return _render(request, institution, public_page=True)
