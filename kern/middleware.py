"""A request whose address holds a control character is refused up front with a clear Dutch 400.

PostgreSQL refuses a NUL in any text it is given ("A string literal cannot contain NUL (0x00)
characters"), so `?institution=%00`, an admin search `?q=%00` or a filter `?college=%00` ended in
a 500 there (issue 13). No page, filter or code ever needs a control character in its address,
so one check before any view covers every parameter of every page, the admin and the API, instead
of a check in each view that reads one. Tab, line feed and carriage return stay allowed in
parameter values: a text typed in a textarea may carry them through a GET form.
"""

import unicodedata

from django.http import JsonResponse
from django.shortcuts import render

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
