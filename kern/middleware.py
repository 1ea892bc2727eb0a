"""A request whose address holds a control character is refused up front with a clear Dutch 400.

PostgreSQL refuses a NUL in any text it is given ("A string literal cannot contain NUL (0x00)
characters"), so `?institution=%00`, an admin search `?q=%00` or a filter `?college=%00` ended in
a 500 there (issue 13). No page, filter or code ever needs a control character in its address,
so one check before any view covers every parameter of every page, the admin and the API, instead
of a check in each view that reads one. Tab, line feed and carriage return stay allowed in
parameter values: a text typed in a textarea may carry them through a GET form.
"""

import unicodedata

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

MESSAGE = "Ongeldig teken in het adres (een stuurteken); controleer de link."
_ALLOWED_IN_VALUES = frozenset("\t\n\r")


def _has_control(text: str, allowed: frozenset = frozenset()) -> bool:
    """Return whether `text` holds a control character (Unicode category Cc) other than `allowed`."""
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def refused_address(request) -> bool:
    """Return whether the request's path, a parameter name or a parameter value holds a control character."""
    if _has_control(request.path):  # a code segment with %00 never reaches its converter
        return True
    for name, values in request.GET.lists():
        if _has_control(name) or any(_has_control(value, _ALLOWED_IN_VALUES) for value in values):
            return True
    return False


class ControlCharacterMiddleware:
    """Answer a request with a control character in its address with 400: JSON for the API, a page otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not refused_address(request):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": MESSAGE}, status=400)
        return render(request, "bad_request.html", {"message": MESSAGE}, status=400)


TOO_LARGE = (
    "Het verzoek is te groot: een bestand mag hoogstens {limit} zijn. Splits het bestand of lever het als CSV aan."
)


class RequestSizeMiddleware:
    """Refuse a request body over the upload limit by its Content-Length, before a byte of it is read.

    Django spools a multipart file of any size to disk before a view can refuse it; the largest
    valid request is one file of UPLOAD_MAX_BYTES plus its form fields (issue 13: resources stay
    bounded whatever the input).
    """

    SLACK = 1024 * 1024  # the form fields and the multipart framing around the file

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= settings.UPLOAD_MAX_BYTES + self.SLACK:
            return self.get_response(request)
        message = TOO_LARGE.format(limit=filesizeformat(settings.UPLOAD_MAX_BYTES))
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=413)
        return render(request, "bad_request.html", {"message": message, "title": "Verzoek te groot"}, status=413)
