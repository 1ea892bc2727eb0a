"""Read-only catalogue endpoints: institutions, colleges, teams, themes and indicators with ambitions."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from agenda.api.common import (
    ID_PATTERN,
    INSTITUTION_PARAMETER,
    InstitutionScopedMixin,
    RoleWritePermission,
    responses,
)
from agenda.api.serializers import (
    CollegeSerializer,
    IndicatorSerializer,
    InstitutionSerializer,
    TeamSerializer,
    ThemeSerializer,
)
from agenda.choices import Role
from agenda.models import Ambition, College, Indicator, Institution, Membership, Team, Theme


def catalogue_schema(serializer, *, filters: bool = False):
    """Return the schema decorator of a read-only catalogue viewset (list and retrieve)."""
    return extend_schema_view(
        list=extend_schema(
            parameters=[INSTITUTION_PARAMETER], responses=responses(serializer(many=True), bad_request=filters)
        ),
        retrieve=extend_schema(parameters=[INSTITUTION_PARAMETER], responses=responses(serializer)),
    )


class CatalogueViewSet(InstitutionScopedMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only list of one kind of catalogue row of the caller's institution, looked up by code."""

    permission_classes = [permissions.IsAuthenticated, RoleWritePermission]
    lookup_field = "code"
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        """Return the rows of the request's institution only."""
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.queryset.filter(institution=self.get_institution())


@extend_schema_view(
    list=extend_schema(responses=responses(InstitutionSerializer(many=True))),
    retrieve=extend_schema(responses=responses(InstitutionSerializer)),
)
class InstitutionViewSet(viewsets.ReadOnlyModelViewSet):
    """The institutions the caller may read."""

    serializer_class = InstitutionSerializer
    lookup_field = "code"
    lookup_value_regex = ID_PATTERN
    filter_backends = []

    def get_queryset(self):
        """Return every institution for a superuser, else those the caller has a role in."""
        user = self.request.user
        queryset = Institution.objects.order_by("code")
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        if user.is_superuser:
            return queryset
        # A partner role reads no figures, so it lists no institution either (issue 14, item 4).
        readable = Membership.objects.filter(user=user).exclude(role=Role.PARTNER).values("institution_id")
        return queryset.filter(pk__in=readable)


@catalogue_schema(CollegeSerializer, filters=True)
class CollegeViewSet(CatalogueViewSet):
    """The colleges of the institution (?active=true|false)."""

    queryset = College.objects.order_by("code")
    serializer_class = CollegeSerializer
    filterset_fields = ["active"]


class TeamFilter(django_filters.FilterSet):
    college = django_filters.CharFilter(field_name="college__code", help_text="collegecode")
    year = django_filters.NumberFilter(method="active_in", help_text="alleen teams die in dit jaar bestaan")

    class Meta:
        model = Team
        fields = ["college", "year"]

    def active_in(self, queryset, name, value):
        """Keep the teams that exist in year `value`."""
        year = int(value)
        return queryset.exclude(active_from__gt=year).exclude(active_until__lt=year)


@catalogue_schema(TeamSerializer, filters=True)
class TeamViewSet(CatalogueViewSet):
    """The education teams of the institution (?college=CODE, ?year=Y)."""

    queryset = Team.objects.select_related("college").order_by("college__code", "code")
    serializer_class = TeamSerializer
    filterset_class = TeamFilter


@catalogue_schema(ThemeSerializer)
class ThemeViewSet(CatalogueViewSet):
    """The themes of the agenda with their goals."""

    queryset = Theme.objects.prefetch_related("goals").order_by("position", "code")
    serializer_class = ThemeSerializer
    filter_backends = []


class IndicatorFilter(django_filters.FilterSet):
    theme = django_filters.CharFilter(field_name="theme__code", help_text="themacode")

    class Meta:
        model = Indicator
        fields = ["theme"]


@catalogue_schema(IndicatorSerializer, filters=True)
class IndicatorViewSet(CatalogueViewSet):
    """The indicators with every ambition and its revisions (herijking) and the explanatory factors."""

    queryset = (
        Indicator.objects.select_related("theme")
        .prefetch_related(
            Prefetch("ambitions", queryset=Ambition.objects.select_related("author").order_by("year", "revision")),
            "factors",
        )
        .order_by("position", "code")
    )
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilter
