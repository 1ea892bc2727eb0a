"""Read-only API over stored results: the status list, one indicator's status, the budget.

Bodies are the stored payloads as they are (rapportage.selectors), so they equal the JSON
of `agenda_status` and `budget`. Every answer carries ETag and Last-Modified and honours
If-None-Match / If-Modified-Since (304); see rapportage/api/conditional.py.
"""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from agenda.api.common import ERROR_400, ERROR_401, ERROR_403, ERROR_404, INSTITUTION_PARAMETER, api_institution
from agenda.models import Institution
from rapportage import selectors
from rapportage.api import conditional
from rapportage.api.authentication import TokenWithRolesAuthentication
from rapportage.api.renderers import ExactJSONRenderer, StatusCSVRenderer
from rapportage.api.serializers import BudgetSerializer, StatusListSerializer, StatusSerializer
from rapportage.choices import Version

JSON = "application/json"
YEAR_PARAMETER = OpenApiParameter("year", OpenApiTypes.INT, required=True, description="jaar, binnen de agendaperiode")
VERSION_PARAMETER = OpenApiParameter(
    "version",
    OpenApiTypes.STR,
    enum=Version.values,
    description="ambitieversie: current (na herijking, standaard) of original",
)
CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="ETag van de eigen kopie: 304"
    ),
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="HTTP-datum (Last-Modified) van de eigen kopie: 304 als er sindsdien niets is herberekend",
    ),
]
VALIDATOR_HEADERS = [
    OpenApiParameter(
        "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304], description="versie van de uitslag"
    ),
    OpenApiParameter(
        "Last-Modified",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="tijdstip van de herberekening (ontbreekt zonder opgeslagen uitslag)",
    ),
]
NOT_MODIFIED = OpenApiResponse(description="niet gewijzigd sinds de meegestuurde ETag of datum")


def result_responses(serializer, *, csv: bool = False) -> dict:
    """Return the documented responses of a stored-result endpoint, errors always as JSON."""
    result = {
        (200, JSON): serializer,
        (304, JSON): NOT_MODIFIED,
        (400, JSON): ERROR_400,
        (401, JSON): ERROR_401,
        (403, JSON): ERROR_403,
        (404, JSON): ERROR_404,
    }
    if csv:
        result[(200, StatusCSVRenderer.media_type)] = OpenApiResponse(
            OpenApiTypes.STR, description="één rij per indicator (?format=csv)"
        )
    return result


def institution_and_year(request) -> tuple[Institution, int]:
    """Return the institution (?institution=CODE, else the caller's) and ?year=Y, checked."""
    institution = api_institution(request)
    raw = request.query_params.get("year")
    try:
        year = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"year": "Geef ?year=JJJJ (verplicht, een jaar)."}) from exc
    if year not in institution.years:
        raise ValidationError(
            {"year": f"{year} valt buiten de agendaperiode {institution.period_start}-{institution.period_end}."}
        )
    return institution, year


def version_of(request) -> str:
    """Return ?version= (current when left out), checked."""
    version = request.query_params.get("version") or Version.CURRENT
    if version not in Version.values:
        raise ValidationError({"version": "Kies current of original."})
    return version


class StoredResultApi(APIView):
    """Answer from stored results with validators; errors and OPTIONS are always JSON, whatever the format."""

    renderer_classes = [ExactJSONRenderer]

    def get_authenticators(self):
        """Return the settings' authenticators, the token one reading the caller's roles too (authentication.py).

        The schema (drf-spectacular marks the views it reads swagger_fake_view) keeps DRF's own token
        class: another class under the one scheme name "tokenAuth" is a schema warning, and the
        documented scheme is the same header either way.
        """
        found = super().get_authenticators()
        if getattr(self, "swagger_fake_view", False):
            return found
        return [TokenWithRolesAuthentication() if type(a) is TokenAuthentication else a for a in found]

    def perform_content_negotiation(self, request, force=False):
        """Return the first renderer for a request that names no format and accepts anything; else DRF's choice.

        A request without Accept (or with `*/*`) and without ?format= gets the first renderer
        from DRF's negotiation too (its default Accept is `*/*`); parsing the header and sorting
        by precedence cost 0.1 ms of a warm answer's 2.6 (issue 16, bench/api_bench.py).
        tests/api/test_status.py checks that both give the same for every case.
        """
        if (
            self.format_kwarg is None
            and request.META.get("HTTP_ACCEPT", "*/*") == "*/*"
            and api_settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            renderer = self.get_renderers()[0]
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def finalize_response(self, request, response, *args, **kwargs):
        """Render every DRF Response (errors, OPTIONS) as JSON."""
        response = super().finalize_response(request, response, *args, **kwargs)
        # Results go out pre-rendered (answer()); a DRF Response here is an error or OPTIONS metadata.
        if isinstance(response, Response):
            response.accepted_renderer, response.accepted_media_type = JSONRenderer(), JSON
        return response

    def answer(self, request, validators: conditional.Validators, body, filename: str = "") -> HttpResponse:
        """Return 304 when the client's copy is current, else the (cached) rendered body; `body` makes it."""
        unchanged = conditional.not_modified(request, validators)
        if unchanged is not None:
            return unchanged
        renderer = request.accepted_renderer
        content = conditional.rendered(validators, lambda: renderer.render(body(), renderer.media_type, {}))
        content_type = renderer.media_type + (f"; charset={renderer.charset}" if renderer.charset else "")
        response = HttpResponse(content, content_type=content_type)
        if isinstance(renderer, StatusCSVRenderer):
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return validators.apply(response)


class StatusListApi(StoredResultApi):
    """GET /api/v1/status/?year=Y: every indicator's STATUS (contracts.md section 4); ?format=csv: a flat table."""

    renderer_classes = [ExactJSONRenderer, StatusCSVRenderer]

    @extend_schema(
        parameters=[
            YEAR_PARAMETER,
            INSTITUTION_PARAMETER,
            VERSION_PARAMETER,
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=["json", "csv"], description="csv: één rij per indicator"
            ),
            *CONDITIONAL_PARAMETERS,
            *VALIDATOR_HEADERS,
        ],
        responses=result_responses(StatusListSerializer, csv=True),
    )
    def get(self, request):
        """Return the status list of ?year=Y as JSON, or as CSV with ?format=csv."""
        institution, year = institution_and_year(request)
        version = version_of(request)
        validators = conditional.status_validators(institution, year, version, request.accepted_renderer.format)
        return self.answer(
            request,
            validators,
            lambda: selectors.status_body(institution, year, version),
            filename=f"status-{institution.code}-{year}.csv",
        )


class IndicatorStatusApi(StoredResultApi):
    """GET /api/v1/indicators/{code}/status/?year=Y: one STATUS."""

    @extend_schema(
        parameters=[
            YEAR_PARAMETER,
            INSTITUTION_PARAMETER,
            VERSION_PARAMETER,
            *CONDITIONAL_PARAMETERS,
            *VALIDATOR_HEADERS,
        ],
        responses=result_responses(StatusSerializer),
    )
    def get(self, request, code):
        """Return the STATUS of one indicator in ?year=Y."""
        institution, year = institution_and_year(request)
        version = version_of(request)
        validators = conditional.indicator_validators(institution, code, year, version)
        if validators.last_modified is None:
            raise Http404(f"Geen indicator {code} met een oordeel over {year}.")
        return self.answer(request, validators, lambda: selectors.indicator_status(institution, code, year, version))


class BudgetApi(StoredResultApi):
    """GET /api/v1/budget/?year=Y: the budget split in cents."""

    @extend_schema(
        parameters=[YEAR_PARAMETER, INSTITUTION_PARAMETER, *CONDITIONAL_PARAMETERS, *VALIDATOR_HEADERS],
        responses=result_responses(BudgetSerializer),
    )
    def get(self, request):
        """Return the budget split of ?year=Y."""
        institution, year = institution_and_year(request)
        validators = conditional.budget_validators(institution, year)
        if validators.last_modified is None:
            raise Http404(f"Geen budget voor {year}.")
        return self.answer(request, validators, lambda: selectors.budget_body(institution, year))
