"""How refused writes and a busy database reach people: one mapping for pages and the API.

The write service (indicatoren.services) raises WriteRefused subclasses; the API answers
them with one status per kind (contracts.md section 4: 409 for a locked year, 412 for a
stale If-Match, 400 otherwise) and the same Dutch messages the pages show. A SQLite write
lock that outlasts its timeout is a clear "try again" (503), never a 500 (issue 12).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from indicatoren.services import BaselineProtected, NoteRequired, WriteConflict, WriteRefused, YearLocked

BUSY_MESSAGE = "De database is even bezig met een andere opslag. Er is niets opgeslagen; probeer het over een paar seconden opnieuw."


def is_busy(exc: Exception) -> bool:
    """Return whether an OperationalError is SQLite's write lock timing out."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


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


def refused_body(exc: WriteRefused) -> dict:
    """Return the API body of a refused write: a summary and every cell with its message."""
    cells = []
    for problem in exc.problems:
        cell = {"message": problem.message}
        row = problem.row
        if row is not None:
            cell.update(indicator=row.indicator.code, year=row.year, unit=row.unit_label)
        if isinstance(exc, WriteConflict):
            cell.update(stored_value=problem.stored_value, stored_n=problem.stored_n, stored_by=problem.stored_by)
        if problem.flags:
            cell["flags"] = [flag.reason for flag in problem.flags]
        cells.append(cell)
    return {"detail": " ".join(exc.messages[:3]), "cells": cells}


REFUSED_STATUS = {
    YearLocked: status.HTTP_409_CONFLICT,
    WriteConflict: status.HTTP_412_PRECONDITION_FAILED,
    BaselineProtected: status.HTTP_403_FORBIDDEN,
    NoteRequired: status.HTTP_400_BAD_REQUEST,
}


def api_exception_handler(exc, context):
    """Map service errors to API answers; the rest goes to DRF's own handler."""
    if isinstance(exc, WriteRefused):
        return Response(refused_body(exc), status=REFUSED_STATUS.get(type(exc), status.HTTP_400_BAD_REQUEST))
    if is_busy(exc):
        return Response({"detail": BUSY_MESSAGE}, status=503, headers={"Retry-After": "2"})
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"non_field_errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "Geen toegang."}, status=status.HTTP_403_FORBIDDEN)
    return exception_handler(exc, context)
