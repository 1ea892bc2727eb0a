"""Upload pages for policy staff."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def uploads(request):
    """Show the upload page."""
    return HttpResponse("De uploadpagina volgt.", status=501)
