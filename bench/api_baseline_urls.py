"""The floors of the web benchmarks (bench/api_bench.py, bench/dashboard_load.py), beside the product.

Served by the same gunicorn as the product (bench/api_baseline_settings.py includes every URL
of kwaliteit.urls), so a floor and the page it is compared with run on the same warm workers:

- /bench/prerendered/status/?year=Y: the bytes GET /api/v1/status/?year=Y answers, rendered
  once per process by the same selector and renderer and then returned as they are: no
  authentication, no permission check, no validators. The most the API could reach.
- /bench/trivial/: a logged-in view (session authentication and the whole middleware stack)
  returning two bytes: the floor of a board page.
- /bench/bare/: two bytes, no session read: the floor of the stack itself.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from agenda.models import Institution
from rapportage import selectors
from rapportage.api.renderers import ExactJSONRenderer

_rendered: dict[tuple[str, int], bytes] = {}


def prerendered_status(request):
    """Return the status body of ?year=Y of ?institution=CODE (ROCVAF), rendered on the first call only."""
    code, year = request.GET.get("institution", "ROCVAF"), int(request.GET["year"])
    if (code, year) not in _rendered:
        renderer = ExactJSONRenderer()
        body = selectors.status_body(Institution.objects.get(code=code), year)
        _rendered[code, year] = renderer.render(body, renderer.media_type, {})
    return HttpResponse(_rendered[code, year], content_type=ExactJSONRenderer.media_type)


@login_required
def trivial(request):
    """Return a tiny answer to a logged-in user."""
    return HttpResponse(b"ok", content_type="text/plain")


def bare(request):
    """Return a tiny answer to anyone."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/prerendered/status/", prerendered_status),
    path("bench/trivial/", trivial),
    path("bench/bare/", bare),
    path("", include("kwaliteit.urls")),
]

handler403 = "kwaliteit.views.permission_denied"
handler404 = "kwaliteit.views.page_not_found"
handler500 = "kwaliteit.views.server_error"
