"""The front door: send each role to the page it starts from."""

import hashlib

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
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


def _throttle_keys(request) -> list[str]:
    """Return the cache keys that count failed logins: per username and per client address."""
    username = request.POST.get("username", "").strip().lower()
    address = request.META.get("REMOTE_ADDR", "")
    return [
        "login-fail:user:" + hashlib.sha256(username.encode()).hexdigest(),
        "login-fail:addr:" + hashlib.sha256(address.encode()).hexdigest(),
    ]


class ThrottledLoginView(auth_views.LoginView):
    """The login page, refusing further attempts after repeated failures (brute force)."""

    def post(self, request, *args, **kwargs):
        if any((cache.get(key) or 0) >= settings.LOGIN_MAX_FAILURES for key in _throttle_keys(request)):
            minutes = settings.LOGIN_LOCKOUT_SECONDS // 60
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, f"Te veel mislukte pogingen. Probeer het over {minutes} minuten opnieuw.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        for key in _throttle_keys(self.request):
            cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(_throttle_keys(self.request)[0])
        return super().form_valid(form)
