"""The front door: send each role to the page it starts from."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from agenda.choices import Role
from agenda.permissions import current_institution, membership


@login_required
def home(request):
    """Redirect directors to their college and everyone else to the overview."""
    institution = current_institution(request.user)
    if institution is None:
        return render(request, "no_institution.html", status=403)
    m = membership(request.user, institution)
    if m and m.role == Role.DIRECTOR:
        first = m.colleges.order_by("code").first()
        if first:
            return redirect("rapportage:college", code=first.code)
    return redirect("rapportage:overview")


def healthz(request):
    """Return 200 when the database answers (container health check), else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": str(exc)[:200]}, status=503)
    return JsonResponse({"status": "ok"})
