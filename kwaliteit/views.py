"""The front door: send each role to the page it starts from; the login throttle's answers and the reset form."""

import ipaddress
import logging
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import defaults

from agenda.choices import Role
from agenda.permissions import current_institution, membership
from kwaliteit.services import password_reset_request

logger = logging.getLogger(__name__)


@login_required
def home(request):
    """Redirect directors to their college, partners to the public account and everyone else to the overview."""
    institution = current_institution(request.user)
    if institution is None:
        return render(request, "no_institution.html", status=403)
    m = membership(request.user, institution)
    if m and m.role == Role.PARTNER:  # reads the curated view only (issue 14, item 4)
        return redirect("partner:index")
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


def client_address(request) -> str | None:
    """Return the client's address: REMOTE_ADDR, or X-Forwarded-For's entry behind TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it received the request from, so the client is the
    entry TRUSTED_PROXY_COUNT places from the right; anything further left was written by the
    client and is ignored. Used by the login throttle (AXES_CLIENT_IP_CALLABLE) and the
    password-reset limit, so both see the same address. Written out rather than django-ipware's:
    ipware ranks addresses by class (public before private) and can fall back to the proxy's own
    address, which would put a whole school behind one lockout again.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:  # not written by our proxy: fall back to the connection's address
                pass
    return remote


def locked_out(request, original_response=None, credentials=None):
    """Answer a refused login (django-axes' AXES_LOCKOUT_CALLABLE): 429, in Dutch, with when to retry.

    Axes counts an attempt made during the lockout as a failure and starts the cool-off again,
    so the lockout ends one cool-off after this very attempt.
    """
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds())
    context = {"retry_at": timezone.localtime() + cool_off, "minutes": max(1, math.ceil(seconds / 60))}
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """The password-reset form, sending at most a few mails per hour per address and per mailbox."""

    def form_valid(self, form):
        allowed = password_reset_request(address=client_address(self.request) or "", email=form.cleaned_data["email"])
        if allowed:
            return super().form_valid(form)
        # The same answer as a sent mail: the page must not tell whether the address exists,
        # nor help an attacker tune a flood.
        logger.warning("Wachtwoordherstel: limiet bereikt, geen mail verstuurd.")
        return HttpResponseRedirect(self.get_success_url())


# Error pages (issue 15, item 7): Dutch, inside the site's layout (templates/403.html, 404.html,
# 500.html); the API keeps answering in JSON, as its clients parse it (contracts.md section 4).
API_PREFIX = "/api/"


def _is_api(request) -> bool:
    """Return whether the request is for the API, which answers errors in JSON."""
    return request.path.startswith(API_PREFIX)


def permission_denied(request, exception):
    """Answer 403: JSON for the API, else the Dutch page with the refusal's own reason."""
    if _is_api(request):
        return JsonResponse({"detail": str(exception) or "Geen toegang."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    """Answer 404: JSON for the API, else the Dutch page (no technical detail of the URL resolver)."""
    if _is_api(request):
        return JsonResponse({"detail": "Niet gevonden."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Answer 500 without the database: JSON for the API, else 500.html rendered with an empty context."""
    if _is_api(request):
        return JsonResponse({"detail": "Er ging iets mis op de server; probeer het later opnieuw."}, status=500)
    return defaults.server_error(request)
