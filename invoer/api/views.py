"""Measured values (read, and written through the measurement services) and benchmark uploads."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.generics import RetrieveAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from agenda.api.common import (
    ID_PATTERN,
    INSTITUTION_PARAMETER,
    InstitutionScopedMixin,
    RoleWritePermission,
    ValueWritePermission,
    responses,
)
from agenda.choices import Level
from agenda.models import College
from agenda.permissions import can_write_college, is_policy
from indicatoren.importers import RowError, more_errors_text
from indicatoren.models import Measurement, Upload
from indicatoren.services import (
    KEEP,
    UNCHECKED,
    MeasurementRow,
    measurement_delete,
    measurement_etag,
    measurements_apply,
)
from invoer.api.serializers import (
    MeasurementSerializer,
    MeasurementValueSerializer,
    UploadFileSerializer,
    UploadRejectedSerializer,
    UploadSerializer,
)
from invoer.uploads import UploadRejected, benchmark_import, error_dict

API_SOURCE = "API"


class MeasurementFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code", help_text="indicatorcode")
    college = django_filters.CharFilter(field_name="college__code", help_text="collegecode (ook de teams ervan)")
    team = django_filters.CharFilter(field_name="team__code", help_text="teamcode")
    level = django_filters.ChoiceFilter(choices=Level.choices)

    class Meta:
        model = Measurement
        fields = ["year", "indicator", "college", "team", "level"]


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="ETag van de gelezen waarde (GET): schrijft alleen als de cel sindsdien niet is gewijzigd, anders 412.",
)
ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=True, description="versie van de waarde (If-Match)"
)
REFUSED = inline_serializer(
    "WriteRefused",
    fields={
        "detail": serializers.CharField(),
        "cells": serializers.ListField(child=serializers.DictField(), help_text="per cel: indicator, jaar, eenheid"),
    },
)
WRITE_ERRORS = {
    409: OpenApiResponse(REFUSED, description="het jaar is vastgesteld (vergrendeld); de reden staat in detail"),
    412: OpenApiResponse(REFUSED, description="If-Match verouderd: de waarde is intussen gewijzigd (staat in cells)"),
}


@extend_schema_view(
    list=extend_schema(
        parameters=[INSTITUTION_PARAMETER], responses=responses(MeasurementSerializer(many=True), bad_request=True)
    ),
    retrieve=extend_schema(parameters=[INSTITUTION_PARAMETER, ETAG], responses=responses(MeasurementSerializer)),
    create=extend_schema(
        parameters=[INSTITUTION_PARAMETER, IF_MATCH],
        description="Voer een waarde in of vervang die (geschiedenis blijft bewaard); daarna wordt herberekend. "
        "Een directeur schrijft alleen voor de teams en colleges die hij leidt, en niet in het referentiejaar. "
        "Een onwaarschijnlijke waarde vraagt een toelichting (`note`); `flags` noemt de reden.",
        responses=responses(
            MeasurementSerializer,
            status=201,
            bad_request=True,
            not_found=False,
            extra={
                200: OpenApiResponse(MeasurementSerializer, description="bestaande waarde vervangen"),
                **WRITE_ERRORS,
            },
        ),
    ),
    partial_update=extend_schema(
        parameters=[INSTITUTION_PARAMETER, IF_MATCH],
        request=MeasurementValueSerializer,
        responses=responses(MeasurementSerializer, bad_request=True, extra=WRITE_ERRORS),
    ),
    destroy=extend_schema(
        parameters=[INSTITUTION_PARAMETER, IF_MATCH], responses=responses(None, status=204, extra=WRITE_ERRORS)
    ),
)
class MeasurementViewSet(
    InstitutionScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Values per indicator, year and unit (?year, ?indicator, ?college, ?team, ?level), paginated."""

    serializer_class = MeasurementSerializer
    # A teamleider writes its own teams' values here; the write service refuses any other row.
    permission_classes = [permissions.IsAuthenticated, ValueWritePermission]
    filterset_class = MeasurementFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        """Return the measurements of the request's institution, in the order of the agenda."""
        if getattr(self, "swagger_fake_view", False):
            return Measurement.objects.none()
        return (
            Measurement.objects.filter(indicator__institution=self.get_institution())
            .select_related("indicator", "college", "team", "updated_by")
            .order_by("indicator__position", "indicator__code", "year", "level", "college__code", "team__code", "id")
        )

    def retrieve(self, request, *args, **kwargs):
        """Return one measurement with its ETag: send it back as If-Match to write without losing an update."""
        measurement = self.get_object()
        return self._respond(measurement)

    def create(self, request, *args, **kwargs):
        """Insert or replace one value through measurements_apply, within the caller's colleges.

        With If-Match, the value is stored only when the cell still holds what that ETag
        says (an empty cell has the ETag of an empty value); else 412 with what is stored now.
        """
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = MeasurementRow(
            indicator=data["indicator"],
            year=data["year"],
            value=data["value"],
            college=data.get("college"),
            team=data.get("team"),
            # No n: keep the stored one (read inside the write lock); an explicit null clears it.
            n=data.get("n", KEEP),
            expected=self._if_match(),
            note=data.get("note", ""),
        )
        report = self._write(row)
        stored = self._stored(row)
        code = status.HTTP_201_CREATED if report.new else status.HTTP_200_OK
        return self._respond(stored, code, report)

    def partial_update(self, request, *args, **kwargs):
        """Replace the value (and n) of one measurement; its unit and year stay. If-Match is honoured (412)."""
        measurement = self.get_object()
        serializer = MeasurementValueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = MeasurementRow(
            indicator=measurement.indicator,
            year=measurement.year,
            value=serializer.validated_data["value"],
            college=measurement.college,
            team=measurement.team,
            n=serializer.validated_data.get("n", KEEP),  # no n: the stored one, read inside the write lock
            expected=self._if_match(),
            note=serializer.validated_data.get("note", ""),
        )
        report = self._write(row)
        measurement.refresh_from_db()
        return self._respond(measurement, status.HTTP_200_OK, report)

    def destroy(self, request, *args, **kwargs):
        """Delete one measurement (history keeps it) within the caller's colleges; If-Match is honoured (412)."""
        measurement = self.get_object()
        measurement_delete(
            measurement=measurement,
            user=request.user,
            **self.value_scope(),
            expected=self._if_match(),
            source=API_SOURCE,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _write(self, row: MeasurementRow):
        """Store one row through the write service, within the caller's colleges; return its report."""
        return measurements_apply(
            institution=self.get_institution(),
            rows=[row],
            user=self.request.user,
            source=API_SOURCE,
            **self.value_scope(),
        )

    def _if_match(self):
        """Return the If-Match header to check inside the write lock ('*': the cell must exist), or UNCHECKED."""
        header = (self.request.headers.get("If-Match") or "").strip()
        return header or UNCHECKED

    def _respond(self, measurement: Measurement, code: int = status.HTTP_200_OK, report=None) -> Response:
        """Return the measurement's body with its ETag, and the plausibility flags the write raised."""
        body = dict(self.get_serializer(measurement).data)
        body["flags"] = [flag.reason for problem in (report.flagged if report else []) for flag in problem.flags]
        return Response(body, status=code, headers={"ETag": measurement_etag(measurement.value, measurement.n)})

    def _stored(self, row: MeasurementRow) -> Measurement:
        """Return the stored measurement of a row's indicator, year and unit."""
        queryset = self.get_queryset().filter(indicator=row.indicator, year=row.year)
        if row.team is not None:
            return queryset.get(level=Level.TEAM, team=row.team)
        if row.college is not None:
            return queryset.get(level=Level.COLLEGE, college=row.college)
        return queryset.get(level=Level.INSTITUTION)


def rejected(
    errors: list[RowError], upload: Upload | None = None, code: int = 400, *, total: int | None = None, complete=True
) -> Response:
    """Return the body of a rejected file (contracts.md section 4), with the id of its audit record.

    400, or 409 when the file writes into an approved (locked) year. `errors` are the first
    errors; `error_count` counts them all (a minimum when not `errors_complete`), issue 13.
    """
    total = len(errors) if total is None else total
    body = {
        "status": "rejected",
        "errors": [error_dict(e) for e in errors],
        "error_count": total,
        "errors_complete": complete,
    }
    more = more_errors_text(len(errors), total, complete)
    if more:
        body["more"] = more
    if upload is not None:
        body = {"id": upload.pk, **body}
    return Response(body, status=code)


class UploadCreateApi(InstitutionScopedMixin, APIView):
    """POST /api/v1/uploads/: import a benchmark file at once (all or nothing), then recompute."""

    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [permissions.IsAuthenticated, RoleWritePermission]

    @extend_schema(
        operation_id="uploads_create",
        parameters=[INSTITUTION_PARAMETER],
        request={"multipart/form-data": UploadFileSerializer},
        responses=responses(
            UploadSerializer,
            status=201,
            not_found=False,
            extra={
                400: OpenApiResponse(UploadRejectedSerializer, description="afgewezen: geen enkele waarde opgeslagen"),
                409: OpenApiResponse(UploadRejectedSerializer, description="afgewezen: een jaar is vastgesteld"),
                503: OpenApiResponse(
                    description="er worden nu andere bestanden gecontroleerd: niets opgeslagen, probeer het zo opnieuw"
                ),
            },
        ),
        description="Beleidsmedewerkers uploaden voor de hele instelling; een directeur geeft `college` mee en "
        "uploadt alleen waarden van dat college.",
    )
    def post(self, request):
        """Import the posted file for the caller's scope; 201 with the record, or 400 with every error."""
        institution = self.get_institution()
        scope_college = self._scope(request, institution)
        uploaded = request.FILES.get("file")
        if uploaded is None:
            return rejected(
                [RowError(None, None, None, "Geen bestand ontvangen: stuur het als multipart-veld 'file'.")]
            )
        try:
            # The pipeline refuses a file over UPLOAD_MAX_BYTES without reading it into memory.
            upload = benchmark_import(
                institution=institution,
                data=uploaded,
                filename=uploaded.name or "upload",
                user=request.user,
                channel="api",
                scope_college=scope_college,
                note=str(request.data.get("note") or ""),
            )
        except UploadRejected as exc:
            return rejected(exc.errors, exc.upload, 409 if exc.locked else 400, total=exc.total, complete=exc.complete)
        upload = Upload.objects.select_related("uploaded_by", "scope_college", "recompute_run").get(pk=upload.pk)
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)

    def _scope(self, request, institution) -> College | None:
        """Return the college a non-policy caller uploads for; raise 403 when they may not."""
        code = request.data.get("college") or None
        user = request.user
        if code is None and is_policy(user, institution):
            return None
        if code is None:
            self.permission_denied(request, "Geef college=CODE mee: u mag alleen voor uw eigen college uploaden.")
        college = College.objects.filter(institution=institution, code=code).first()
        if college is None or not can_write_college(user, college):
            self.permission_denied(request, f"Geen schrijfrechten voor college {code}.")
        return college


@extend_schema(parameters=[INSTITUTION_PARAMETER], responses=responses(UploadSerializer))
class UploadDetailApi(InstitutionScopedMixin, RetrieveAPIView):
    """GET /api/v1/uploads/{id}/: an upload's record with the state of its recompute."""

    serializer_class = UploadSerializer

    def get_queryset(self):
        """Return the institution's uploads: all of them for policy staff, else the caller's own."""
        if getattr(self, "swagger_fake_view", False):
            return Upload.objects.none()
        institution = self.get_institution()
        queryset = Upload.objects.filter(institution=institution).select_related(
            "uploaded_by", "scope_college", "recompute_run"
        )
        # Policy staff see every upload; anyone else only their own.
        if is_policy(self.request.user, institution):
            return queryset
        return queryset.filter(uploaded_by=self.request.user)
