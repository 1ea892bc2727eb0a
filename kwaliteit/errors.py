"""A busy database reaches people as a Dutch "try again", never as a 500.

A SQLite write lock that outlasts its timeout (issue 12) becomes the retry page (503) for
pages; the API's answer comes from its one exception handler (agenda/api/common.py), which
uses the same test and message (kern/errors.py).
"""

from django.http import JsonResponse
from django.shortcuts import render

from kern.errors import BUSY_MESSAGE, is_busy


class BusyDatabaseMiddleware:
    """Answer a page request that met a locked SQLite database with a Dutch retry page (503)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        """Return the retry page for a busy database; leave every other error to Django."""
        if not is_busy(exception):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": BUSY_MESSAGE}, status=503, headers={"Retry-After": "2"})
        response = render(request, "busy.html", {"message": BUSY_MESSAGE}, status=503)
        response["Retry-After"] = "2"
        return response
