"""Result entry pages for college directors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def grid(request, code):
    """Show the results grid of one college."""
    return HttpResponse("De invoerpagina volgt.", status=501)
