"""GET /api/v1/context-values/: comparison series and breakdown values (issue 18), read-only.

The values the agenda sets beside the judged ones ("landelijk is dat 72 %", 2a per
vooropleiding). Nothing here is judged; the judged values are /api/v1/measurements/. A group
below the small-group threshold (kern.rules.small_group) is listed with its n but never with its
value: the API gives no value below the threshold to anyone.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError

from agenda.api.common import ID_PATTERN, INSTITUTION_PARAMETER, InstitutionScopedMixin, RoleWritePermission, responses
from agenda.choices import Level
from agenda.models import College, Indicator
from indicatoren.models import OWN_SERIES, ContextValue
from kern.rules import SMALL_GROUP_N, small_group

OWN_SERIES_NAMES = {"eigen", "own"}  # how a client asks for the own series (as in the import file)


class ContextValueSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    college = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="collegecode; null: instellingsniveau"
    )
    level = serializers.ChoiceField(choices=[Level.INSTITUTION, Level.COLLEGE], read_only=True)
    series = serializers.CharField(
        read_only=True, help_text='vergelijkingsreeks ("landelijk", "DUO", ...); "": de eigen waarden van de instelling'
    )
    dimension = serializers.CharField(
        read_only=True, help_text='uitsplitsing, bijvoorbeeld "vooropleiding"; "": totaal'
    )
    group = serializers.CharField(read_only=True, help_text='groep binnen de dimensie, bijvoorbeeld "PrO"; "": totaal')
    value = serializers.DecimalField(
        max_digits=18,
        decimal_places=6,
        read_only=True,
        allow_null=True,
        help_text=f"null bij een kleine groep (n < {SMALL_GROUP_N}): die waarde wordt nooit getoond",
    )
    small_group = serializers.SerializerMethodField(help_text=f"n bekend en kleiner dan {SMALL_GROUP_N}")

    class Meta:
        model = ContextValue
        fields = [
            "id",
            "indicator",
            "year",
            "level",
            "college",
            "series",
            "dimension",
            "group",
            "value",
            "n",
            "source",
            "small_group",
            "updated_at",
        ]
        read_only_fields = fields

    def get_small_group(self, obj) -> bool:
        """Return whether the row's group is too small to show its value (kern.rules, the one home)."""
        return small_group(obj.n)

    def to_representation(self, instance):
        """Return the row, without its value when its group is small."""
        data = super().to_representation(instance)
        if data["small_group"]:
            data["value"] = None
        return data


class ContextValueFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(method="by_indicator", help_text="indicatorcode")
    year = django_filters.NumberFilter(field_name="year", help_text="jaar")
    series = django_filters.CharFilter(
        method="by_series", help_text='reeks, hoofdletters maken niet uit ("landelijk"); "eigen" of "own": de eigen'
    )
    dimension = django_filters.CharFilter(
        field_name="dimension",
        lookup_expr="iexact",
        help_text='dimensie ("vooropleiding"); hoofdletters maken niet uit',
    )
    college = django_filters.CharFilter(method="by_college", help_text="collegecode (alleen collegeniveau)")

    class Meta:
        model = ContextValue
        fields = ["indicator", "year", "series", "dimension", "college"]

    def _institution(self):
        return self.request.parser_context["view"].get_institution()

    def by_indicator(self, queryset, name, value):
        """Keep one indicator's rows; an unknown code is a 400 in Dutch, not an empty list."""
        if not Indicator.objects.filter(institution=self._institution(), code=value).exists():
            raise ValidationError({"indicator": [f"Onbekende indicator: {value[:40]}."]})
        return queryset.filter(indicator__code=value)

    def by_college(self, queryset, name, value):
        """Keep one college's rows; an unknown code is a 400 in Dutch."""
        if not College.objects.filter(institution=self._institution(), code=value).exists():
            raise ValidationError({"college": [f"Onbekend college: {value[:40]}."]})
        return queryset.filter(college__code=value)

    def by_series(self, queryset, name, value):
        """Keep one series, compared without regard to case; 'eigen' or 'own' is the own series."""
        label = " ".join(value.split())
        if label.casefold() in OWN_SERIES_NAMES:
            return queryset.filter(series=OWN_SERIES)
        return queryset.filter(series__iexact=label)


@extend_schema_view(
    list=extend_schema(
        parameters=[INSTITUTION_PARAMETER],
        responses=responses(ContextValueSerializer(many=True), bad_request=True),
        description="Vergelijkingsreeksen (landelijk, DUO, sector, een andere instelling) en uitsplitsingen "
        "(bijvoorbeeld naar vooropleiding) op instellings- en collegeniveau. Ze tellen nooit mee in een oordeel "
        f"of het budget. Een kleine groep (n < {SMALL_GROUP_N}) heeft value null.",
    ),
    retrieve=extend_schema(parameters=[INSTITUTION_PARAMETER], responses=responses(ContextValueSerializer)),
)
class ContextValueViewSet(InstitutionScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Comparison and breakdown values (?indicator, ?year, ?series, ?dimension, ?college), paginated."""

    serializer_class = ContextValueSerializer
    permission_classes = [permissions.IsAuthenticated, RoleWritePermission]
    filterset_class = ContextValueFilter
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        """Return the rows of the request's institution, in the order of the agenda."""
        if getattr(self, "swagger_fake_view", False):
            return ContextValue.objects.none()
        return (
            ContextValue.objects.filter(indicator__institution=self.get_institution())
            .select_related("indicator", "college")
            .order_by(
                "indicator__position",
                "indicator__code",
                "series",
                "dimension",
                "group",
                "year",
                "level",
                "college__code",
                "id",
            )
        )
