"""The baseline of bench/api_bench.py: a minimal Django view that returns the stored status JSON.

No DRF, no authentication, no permission check, no ETag: the same selector and the same
stored payloads as GET /api/v1/status/, in the plainest view Django allows.
"""

from django.http import JsonResponse
from django.urls import path

from agenda.models import Institution
from rapportage import selectors


def status(request):
    """Return the stored status list of ?year=Y of the only institution."""
    institution = Institution.objects.get(code=request.GET.get("institution", "ROCVAF"))
    return JsonResponse(selectors.status_body(institution, int(request.GET["year"])))


urlpatterns = [path("status/", status)]
