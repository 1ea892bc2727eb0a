"""Shared pieces of API v1: the caller's institution, role checks, schema parts.

Errors the services raise become API answers in one place, the exception handler below
(`api_exception_handler`, settings REST_FRAMEWORK): a refused write answers with its own status
and body (kern.errors.Refusal), a busy database with 503.

Permissions are exactly those of the pages (agenda/permissions.py): bestuur reads, a
directeur writes for their own colleges, beleid writes everything, an api client reads
and writes like its colleges or like policy staff only when granted api_write.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, inline_serializer
from rest_framework import parsers, permissions, serializers
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.response import Response
from rest_framework.status import HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN
from rest_framework.views import exception_handler

from agenda.models import Institution
from agenda.permissions import can_read, current_institution, value_write_scope, writable_colleges
from kern.errors import BUSY_MESSAGE, Refusal, is_busy

INSTITUTION_PARAMETER = OpenApiParameter(
    "institution",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="Instellingscode; weg te laten: de instelling van het account.",
)

# Any path segment reaches the view, so a malformed id is the API's JSON 404, not Django's HTML page.
ID_PATTERN = r"[^/]+"

ErrorSerializer = inline_serializer("Error", fields={"detail": serializers.CharField()})
ERROR_401 = OpenApiResponse(ErrorSerializer, description="Niet ingelogd, of een ongeldige of ingetrokken token.")
ERROR_403 = OpenApiResponse(ErrorSerializer, description="Geen toegang tot deze instelling of geen schrijfrechten.")
ERROR_404 = OpenApiResponse(ErrorSerializer, description="Niet gevonden (of van een andere instelling).")
ERROR_400 = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Ongeldige invoer: per veld de foutmeldingen ({veld: [melding, ...]}), "
    "of {detail: melding} bij een stuurteken in het adres.",
)
# Every operation can meet a control character in its path or parameters (kern.middleware).
ERROR_400_ADDRESS = OpenApiResponse(ErrorSerializer, description="Een stuurteken in het adres (pad of parameter).")


def responses(
    ok, *, status: int = 200, bad_request: bool = False, not_found: bool = True, extra: dict | None = None
) -> dict:
    """Return the documented responses of one operation: the success body and every error it can give."""
    result = {status: ok, 400: ERROR_400 if bad_request else ERROR_400_ADDRESS, 401: ERROR_401, 403: ERROR_403}
    if not_found:
        result[404] = ERROR_404
    result.update(extra or {})
    if result[400] not in (ERROR_400, ERROR_400_ADDRESS):  # an operation's own 400 body (the upload's)
        result[400] = _or_address_error(result[400])
    return result


def _or_address_error(response: OpenApiResponse) -> OpenApiResponse:
    """Return an operation's own 400 answer widened by the control-character answer (kern.middleware)."""
    body = response.response
    name = getattr(body, "__name__", type(body).__name__).removesuffix("Serializer")
    either = PolymorphicProxySerializer(
        component_name=f"{name}OrAddressError", serializers=[body, ErrorSerializer], resource_type_field_name=None
    )
    return OpenApiResponse(either, description=f"{response.description}; of een stuurteken in het adres")


class InstitutionSlugField(serializers.SlugRelatedField):
    """A code that refers to a row of the request's institution only."""

    def get_queryset(self):
        """Return the rows of the request's institution only."""
        institution = self.context.get("institution")
        if institution is None:
            return self.queryset.none()
        return self.queryset.filter(institution=institution)


def api_institution(request) -> Institution:
    """Return the institution of the request (?institution=CODE, else the caller's), checked for reading."""
    user = request.user
    code = request.query_params.get("institution")
    if code:
        # A control character never gets here (kern.middleware: 400). A code longer than any stored
        # one is unknown without asking the database, and the answer names at most its start.
        fits = len(code) <= Institution._meta.get_field("code").max_length
        institution = Institution.objects.filter(code=code).first() if fits else None
        shown = code if fits else code[:20] + "…"
        if institution is None and user.is_superuser:
            raise Http404(f"Onbekende instelling: {shown}")
        if institution is None or not can_read(user, institution):
            # The same answer for an unknown and a foreign code: codes of others stay unseen.
            raise PermissionDenied(f"Geen toegang tot instelling {shown}.")
        return institution
    institution = current_institution(user)
    if institution is None:
        raise PermissionDenied("Geen instelling gekoppeld aan dit account.")
    if not can_read(user, institution):
        raise PermissionDenied("Geen toegang tot deze instelling.")
    return institution


class InstitutionScopedMixin:
    """Give a view the institution of the request, resolved and checked once."""

    def get_institution(self) -> Institution:
        """Return the institution this request reads or writes."""
        if not hasattr(self, "_institution"):
            self._institution = api_institution(self.request)
        return self._institution

    def writable(self) -> set[int] | None:
        """Return the ids of the colleges the caller may write, or None for all of them."""
        return writable_colleges(self.request.user, self.get_institution())

    def value_scope(self) -> dict:
        """Return the caller's scope for writing values (colleges, and a teamleider's teams) as service keywords."""
        return value_write_scope(self.request.user, self.get_institution())

    def get_serializer_context(self):
        """Give serializers the institution, so codes resolve within it."""
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and self.request is not None:
            context["institution"] = self.get_institution()
        return context


class RoleWritePermission(permissions.BasePermission):
    """Allow reads to every member; writes only to roles that may write some college (or all)."""

    message = "Uw rol mag via de API alleen lezen."

    def has_permission(self, request, view) -> bool:
        """Return whether the caller may read the institution and, for a write, write somewhere."""
        institution = view.get_institution()  # raises 403 when the caller may not even read it
        if request.method in permissions.SAFE_METHODS:
            return True
        return writable_colleges(request.user, institution) != set()


class ValueWritePermission(RoleWritePermission):
    """Allow reads to every member; value writes to roles that may write some values (a teamleider too)."""

    def has_permission(self, request, view) -> bool:
        """Return whether the caller may read the institution and, for a write, write some values."""
        institution = view.get_institution()
        if request.method in permissions.SAFE_METHODS:
            return True
        return value_write_scope(request.user, institution)["allowed_colleges"] != set()


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a Dutch answer for every body it cannot read, never a 500.

    JSON nested a thousand levels deep (a body of two thousand brackets, well within the upload
    limit) raises RecursionError, which DRF's parser does not catch: that was a 500. Its
    message for other bad JSON ("JSON parse error - ...") was English.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("Ongeldige JSON: de gegevens zijn te diep genest.") from None
        except ParseError as exc:
            detail = str(exc.detail).removeprefix("JSON parse error - ")
            raise ParseError(f"Ongeldige JSON: {detail}") from None


def api_exception_handler(exc, context):
    """Map service errors to API answers; the rest goes to DRF's own handler."""
    if isinstance(exc, Refusal):
        return Response(exc.api_body(), status=exc.http_status)
    if is_busy(exc):
        return Response({"detail": BUSY_MESSAGE}, status=503, headers={"Retry-After": "2"})
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(exc.message_dict, status=HTTP_400_BAD_REQUEST)
        return Response({"non_field_errors": exc.messages}, status=HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "Geen toegang."}, status=HTTP_403_FORBIDDEN)
    return exception_handler(exc, context)
