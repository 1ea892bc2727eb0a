"""Measures, evidence and Q-review pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def college(request, code):
    """Show the measures, evidence and reviews of one college."""
    return HttpResponse("Maatregelen volgen.", status=501)
