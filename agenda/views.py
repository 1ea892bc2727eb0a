"""Team management pages for college directors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def teams(request, code):
    """Show and manage the teams of one college."""
    return HttpResponse("Teambeheer volgt.", status=501)
