"""Measures and noticeable evidence: read by every member, written per college as on the pages."""

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from agenda.api.common import (
    ID_PATTERN,
    INSTITUTION_PARAMETER,
    InstitutionScopedMixin,
    RoleWritePermission,
    require_college,
    responses,
)
from maatregelen.api.serializers import EvidenceSerializer, MeasureSerializer
from maatregelen.models import Evidence, Measure


def crud_schema(serializer):
    """Return the schema decorator of a read-write viewset scoped to the caller's institution."""
    return extend_schema_view(
        list=extend_schema(
            parameters=[INSTITUTION_PARAMETER], responses=responses(serializer(many=True), bad_request=True)
        ),
        retrieve=extend_schema(parameters=[INSTITUTION_PARAMETER], responses=responses(serializer)),
        create=extend_schema(
            parameters=[INSTITUTION_PARAMETER],
            responses=responses(serializer, status=201, bad_request=True, not_found=False),
        ),
        partial_update=extend_schema(
            parameters=[INSTITUTION_PARAMETER], responses=responses(serializer, bad_request=True)
        ),
        destroy=extend_schema(parameters=[INSTITUTION_PARAMETER], responses=responses(None, status=204)),
    )


class CollegeWriteViewSet(InstitutionScopedMixin, viewsets.ModelViewSet):
    """Rows of the institution that a director writes for their own colleges and policy staff for all."""

    permission_classes = [permissions.IsAuthenticated, RoleWritePermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        """Return the rows of the request's institution only."""
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.queryset.filter(institution=self.get_institution())

    def perform_create(self, serializer):
        """Save a new row when the caller may write its college."""
        require_college(self.writable(), serializer.validated_data.get("college"))
        with transaction.atomic():
            serializer.save(institution=self.get_institution())

    def perform_update(self, serializer):
        """Save the changes when the caller may write both the old and the new college."""
        allowed = self.writable()
        require_college(allowed, serializer.instance.college)
        if "college" in serializer.validated_data:
            require_college(allowed, serializer.validated_data["college"])
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        """Delete the row when the caller may write its college."""
        require_college(self.writable(), instance.college)
        instance.delete()


class MeasureFilter(django_filters.FilterSet):
    theme = django_filters.CharFilter(field_name="theme__code", help_text="themacode")
    college = django_filters.CharFilter(field_name="college__code", help_text="collegecode")

    class Meta:
        model = Measure
        fields = ["theme", "college", "category", "status"]


@crud_schema(MeasureSerializer)
class MeasureViewSet(CollegeWriteViewSet):
    """Measures (maatregelen) per theme, ROC-wide or per college (?theme, ?college, ?category, ?status)."""

    queryset = (
        Measure.objects.select_related("theme", "college")
        .prefetch_related("indicators")
        .order_by("theme__position", "college__code", "title", "id")
    )
    serializer_class = MeasureSerializer
    filterset_class = MeasureFilter


class EvidenceFilter(django_filters.FilterSet):
    theme = django_filters.CharFilter(field_name="theme__code", help_text="themacode")
    college = django_filters.CharFilter(field_name="college__code", help_text="collegecode")
    team = django_filters.CharFilter(field_name="team__code", help_text="teamcode")

    class Meta:
        model = Evidence
        fields = ["theme", "college", "team", "year", "kind"]


@crud_schema(EvidenceSerializer)
class EvidenceViewSet(CollegeWriteViewSet):
    """Noticeable evidence (merkbaar): stories, audit findings, journey episodes, image links."""

    queryset = Evidence.objects.select_related("theme", "college", "team", "created_by").order_by(
        "-year", "theme__position", "title", "id"
    )
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilter

    def perform_create(self, serializer):
        """Save new evidence, by the caller, when they may write its college."""
        require_college(self.writable(), serializer.validated_data.get("college"))
        with transaction.atomic():
            serializer.save(institution=self.get_institution(), created_by=self.request.user)
