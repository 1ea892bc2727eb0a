"""Result entry and uploads (pages built in issues 4 and 5)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def grid(request, code):
    """Show the results grid of one college."""
    return HttpResponse("De invoerpagina volgt.", status=501)


@login_required
def uploads(request):
    """Show the upload page."""
    return HttpResponse("De uploadpagina volgt.", status=501)
