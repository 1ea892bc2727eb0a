"""Read-only API over stored results: the status list, one indicator's status, the budget."""

from django.http import Http404
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from agenda.models import Institution
from agenda.permissions import can_read, current_institution
from rapportage import selectors


def institution_and_year(request) -> tuple[Institution, int]:
    """Return the institution (?institution=CODE, else the caller's) and ?year=Y, checked."""
    code = request.query_params.get("institution")
    if code:
        institution = Institution.objects.filter(code=code).first()
        if institution is None:
            raise Http404(f"Onbekende instelling: {code}")
    else:
        institution = current_institution(request.user)
        if institution is None:
            raise PermissionDenied("Geen instelling gekoppeld aan dit account.")
    if not can_read(request.user, institution):
        raise PermissionDenied("Geen toegang tot deze instelling.")
    raw = request.query_params.get("year")
    try:
        year = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"year": "Geef ?year=JJJJ (verplicht, een jaar)."}) from exc
    if year not in institution.years:
        raise ValidationError(
            {"year": f"{year} valt buiten de agendaperiode {institution.period_start}-{institution.period_end}."}
        )
    return institution, year


class StatusListApi(APIView):
    """GET /api/v1/status/?year=Y: every indicator's STATUS (contracts.md section 4)."""

    def get(self, request):
        institution, year = institution_and_year(request)
        return Response(selectors.status_body(institution, year))


class IndicatorStatusApi(APIView):
    """GET /api/v1/indicators/{code}/status/?year=Y: one STATUS."""

    def get(self, request, code):
        institution, year = institution_and_year(request)
        status = selectors.indicator_status(institution, code, year)
        if status is None:
            raise Http404(f"Geen indicator {code} met een oordeel over {year}.")
        return Response(status)


class BudgetApi(APIView):
    """GET /api/v1/budget/?year=Y: the budget split in cents."""

    def get(self, request):
        institution, year = institution_and_year(request)
        body = selectors.budget_body(institution, year)
        if body is None:
            raise Http404(f"Geen budget voor {year}.")
        return Response(body)
