"""Measures, noticeable evidence and the Q-cycle: read by every member, written per college as on the pages."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agenda.api.common import (
    ID_PATTERN,
    INSTITUTION_PARAMETER,
    InstitutionScopedMixin,
    RoleWritePermission,
    responses,
)
from maatregelen import services, versions
from maatregelen.api.serializers import (
    ActionFollowUpSerializer,
    ActionItemSerializer,
    CheckInSerializer,
    EvidenceSerializer,
    MeasureSerializer,
    PromiseSerializer,
    ReviewSerializer,
    SpendingSerializer,
)
from maatregelen.models import ActionFollowUp, ActionItem, CheckIn, Evidence, Measure, Promise, Review, Spending

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="ETag van de gelezen rij (GET): schrijft alleen als wat u wijzigt sindsdien niet is gewijzigd, anders 412.",
)
ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=True, description="versie van de rij (If-Match)"
)
STALE = inline_serializer(
    "StaleEdit",
    fields={
        "detail": serializers.CharField(),
        "fields": serializers.ListField(child=serializers.DictField(), help_text="per veld: field, message"),
        "current": serializers.DictField(help_text="de rij zoals die nu is opgeslagen (nieuwe ETag in de header)"),
    },
)
STALE_412 = {
    412: OpenApiResponse(STALE, description="If-Match verouderd: de rij is intussen gewijzigd; niets opgeslagen")
}


def crud_schema(serializer, *, versioned: bool = False):
    """Return the schema decorator of a read-write viewset scoped to the caller's institution.

    `versioned`: GET and PATCH answer with an ETag; PATCH and DELETE honour If-Match (412).
    """
    read = [INSTITUTION_PARAMETER, ETAG] if versioned else [INSTITUTION_PARAMETER]
    write = [INSTITUTION_PARAMETER, IF_MATCH] if versioned else [INSTITUTION_PARAMETER]
    stale = STALE_412 if versioned else None
    return extend_schema_view(
        list=extend_schema(
            parameters=[INSTITUTION_PARAMETER], responses=responses(serializer(many=True), bad_request=True)
        ),
        retrieve=extend_schema(parameters=read, responses=responses(serializer)),
        create=extend_schema(
            parameters=[INSTITUTION_PARAMETER],
            responses=responses(serializer, status=201, bad_request=True, not_found=False),
        ),
        partial_update=extend_schema(
            parameters=[*write, *read[1:]], responses=responses(serializer, bad_request=True, extra=stale)
        ),
        destroy=extend_schema(parameters=write, responses=responses(None, status=204, extra=stale)),
    )


class CollegeWriteViewSet(InstitutionScopedMixin, viewsets.ModelViewSet):
    """Rows of the institution that a director writes for their own colleges and policy staff for all.

    Writes go through maatregelen.services, as on the pages, so the rules are in one place.
    """

    permission_classes = [permissions.IsAuthenticated, RoleWritePermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        """Return the rows of the request's institution only."""
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.queryset.filter(institution=self.get_institution())

    def write_args(self) -> dict:
        """Return what every service call gets: the caller and the colleges they may write."""
        return {"user": self.request.user, "allowed_colleges": self.writable()}


class VersionedWriteViewSet(CollegeWriteViewSet):
    """Rows with a version (maatregelen.versions): GET and PATCH give an ETag, PATCH and DELETE honour If-Match.

    domain.md, "No lost updates": a PATCH with an older ETag that would overwrite a field changed
    since is refused with 412, nothing saved, naming the newer values, with the row as it is now.
    """

    def retrieve(self, request, *args, **kwargs):
        """Return one row with its ETag: send it back as If-Match to write without losing an update."""
        instance = self.get_object()
        return self._with_etag(Response(self.get_serializer(instance).data), instance)

    def update(self, request, *args, **kwargs):
        """Change the row through perform_update; answer with the row as saved and its new ETag."""
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        serializer.instance._prefetched_objects_cache = {}  # show the indicators as saved, as DRF's update does
        return self._with_etag(Response(serializer.data), serializer.instance)

    def handle_exception(self, exc):
        """Answer a stale write with the row as stored now and its ETag beside the refusal (kern.errors.Refusal)."""
        response = super().handle_exception(exc)
        if isinstance(exc, versions.StaleEdit):
            response.data["current"] = self.get_serializer(exc.record).data
            response["ETag"] = versions.etag(exc.record)
        return response

    def seen(self) -> versions.Read:
        """Return what this request read: its If-Match (a field a PATCH leaves out is not sent to the service at all)."""
        return versions.Read.of_request({}, (self.request.headers.get("If-Match") or "").strip())

    @staticmethod
    def _with_etag(response: Response, record) -> Response:
        """Return the response with the ETag of the row it shows."""
        response["ETag"] = versions.etag(record)
        return response


MEASURE_DEFAULTS = {"description": "", "indicators": [], "planned_budget_cents": 0, "owner": ""}


class MeasureFilter(django_filters.FilterSet):
    theme = django_filters.CharFilter(field_name="theme__code", help_text="themacode")
    college = django_filters.CharFilter(field_name="college__code", help_text="collegecode")

    class Meta:
        model = Measure
        fields = ["theme", "college", "category", "status"]


@crud_schema(MeasureSerializer, versioned=True)
class MeasureViewSet(VersionedWriteViewSet):
    """Measures (maatregelen) per theme, ROC-wide or per college (?theme, ?college, ?category, ?status)."""

    queryset = (
        Measure.objects.select_related("theme", "college")
        .prefetch_related("indicators")
        .order_by("theme__position", "college__code", "title", "id")
    )
    serializer_class = MeasureSerializer
    filterset_class = MeasureFilter

    def perform_create(self, serializer):
        """Create the measure through the service (ROC-wide: policy staff only)."""
        data = {**MEASURE_DEFAULTS, "college": None, **serializer.validated_data}
        serializer.instance = services.measure_create(**data, **self.write_args())

    def perform_update(self, serializer):
        """Change the measure through the service: only the fields sent (the others stay as stored; If-Match honoured)."""
        serializer.instance = services.measure_update(
            measure=serializer.instance, **serializer.validated_data, seen=self.seen(), **self.write_args()
        )

    def perform_destroy(self, instance):
        """Delete the measure through the service (If-Match honoured)."""
        services.measure_delete(measure=instance, seen=self.seen(), **self.write_args())


class EvidenceFilter(django_filters.FilterSet):
    theme = django_filters.CharFilter(field_name="theme__code", help_text="themacode")
    college = django_filters.CharFilter(field_name="college__code", help_text="collegecode")
    team = django_filters.CharFilter(field_name="team__code", help_text="teamcode")

    class Meta:
        model = Evidence
        fields = ["theme", "college", "team", "year", "kind"]


@crud_schema(EvidenceSerializer, versioned=True)
class EvidenceViewSet(VersionedWriteViewSet):
    """Noticeable evidence (merkbaar): stories, audit findings, journey episodes, image links."""

    queryset = Evidence.objects.select_related("theme", "college", "team", "created_by").order_by(
        "-year", "theme__position", "title", "id"
    )
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilter

    def perform_create(self, serializer):
        """Record the evidence through the service, by the caller."""
        data = {"college": None, **serializer.validated_data}
        serializer.instance = services.evidence_create(**data, **self.write_args())

    def perform_update(self, serializer):
        """Change the evidence through the service: only the fields sent (the others stay as stored; If-Match honoured)."""
        serializer.instance = services.evidence_update(
            evidence=serializer.instance, **serializer.validated_data, seen=self.seen(), **self.write_args()
        )

    def perform_destroy(self, instance):
        """Delete the evidence through the service (If-Match honoured)."""
        services.evidence_delete(evidence=instance, seen=self.seen(), **self.write_args())


class ReviewFilter(django_filters.FilterSet):
    college = django_filters.CharFilter(field_name="college__code", help_text="collegecode")
    team = django_filters.CharFilter(field_name="team__code", help_text="teamcode")

    class Meta:
        model = Review
        fields = ["level", "college", "team", "year", "quadrimester"]


@crud_schema(ReviewSerializer, versioned=True)
class ReviewViewSet(VersionedWriteViewSet):
    """Q-gesprekken of teams, colleges and the institution, with their action items, follow-ups and check-ins.

    Create one with `college` (and `team` for a team's conversation), or neither for the institution's
    own (policy staff only); a director writes those of their own colleges and their teams.
    """

    queryset = (
        Review.objects.select_related("college", "team", "created_by")
        .prefetch_related("action_items__indicator", "follow_ups", "check_ins__indicator")
        .order_by("-year", "-quadrimester", "level", "college__code", "team__code", "id")
    )
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter

    def perform_create(self, serializer):
        """Record the review through the service, for the request's institution."""
        serializer.instance = services.review_create(
            institution=self.get_institution(), **serializer.validated_data, **self.write_args()
        )

    def perform_update(self, serializer):
        """Change date, notes or quadrimester through the service: only the fields sent (the others stay as stored)."""
        serializer.instance = services.review_update(
            review=serializer.instance, **serializer.validated_data, seen=self.seen(), **self.write_args()
        )

    def perform_destroy(self, instance):
        """Delete the review with its actions and check-ins through the service (If-Match honoured)."""
        services.review_delete(review=instance, seen=self.seen(), **self.write_args())


class ReviewPartViewSet(VersionedWriteViewSet):
    """Rows that belong to a Q-gesprek: scoped through the review's institution, with an ETag (If-Match honoured)."""

    def get_queryset(self):
        """Return the rows of the request's institution only."""
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.queryset.filter(review__institution=self.get_institution())


class ActionItemFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code", help_text="indicatorcode")

    class Meta:
        model = ActionItem
        fields = ["review", "status", "indicator"]


@crud_schema(ActionItemSerializer, versioned=True)
class ActionItemViewSet(ReviewPartViewSet):
    """Action items (actiepunten) agreed in a Q-gesprek: description, owner, due date, status (?review, ?status)."""

    queryset = ActionItem.objects.select_related("review", "indicator").order_by("review_id", "due_on", "id")
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter

    def perform_create(self, serializer):
        """Record the action through the service."""
        serializer.instance = services.action_create(**serializer.validated_data, **self.write_args())

    def perform_update(self, serializer):
        """Change the action through the service; it stays with its review."""
        data = {k: v for k, v in serializer.validated_data.items() if k != "review"}
        if "review" in serializer.validated_data and serializer.validated_data["review"] != serializer.instance.review:
            raise ValidationError({"review": "Een actiepunt blijft bij het Q-gesprek waarin het is afgesproken."})
        serializer.instance = services.action_update(
            action=serializer.instance, **data, seen=self.seen(), **self.write_args()
        )

    def perform_destroy(self, instance):
        """Delete the action through the service (If-Match honoured; not one a later review followed up)."""
        services.action_delete(action=instance, seen=self.seen(), **self.write_args())


@crud_schema(ActionFollowUpSerializer)
class ActionFollowUpViewSet(ReviewPartViewSet):
    """Follow-ups: a later Q-gesprek of the same unit records an earlier action's status (POST again to change)."""

    queryset = ActionFollowUp.objects.select_related("action", "review").order_by("review_id", "id")
    serializer_class = ActionFollowUpSerializer
    filterset_fields = ["review", "action", "status"]
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        """Record the follow-up through the service; the action takes its status."""
        serializer.instance = services.action_follow_up(**serializer.validated_data, **self.write_args())


@crud_schema(CheckInSerializer, versioned=True)
class CheckInViewSet(ReviewPartViewSet):
    """Check-ins per ambition in a Q-gesprek: op_koers, risico or uit_koers with a note (?review, ?indicator)."""

    queryset = CheckIn.objects.select_related("review", "indicator").order_by("review_id", "indicator__code", "id")
    serializer_class = CheckInSerializer
    filterset_fields = ["review", "status"]

    def perform_create(self, serializer):
        """Record the check-in through the service (a second one for the same indicator replaces it)."""
        serializer.instance = services.checkin_record(**serializer.validated_data, **self.write_args())

    def perform_update(self, serializer):
        """Change status or note through the service (a field not sent stays as stored); review and indicator stay."""
        check_in = serializer.instance
        data = {**serializer.validated_data, "review": check_in.review, "indicator": check_in.indicator}
        serializer.instance = services.checkin_record(**data, seen=self.seen(), **self.write_args())

    def perform_destroy(self, instance):
        """Delete the check-in through the service (If-Match honoured)."""
        services.checkin_delete(check_in=instance, seen=self.seen(), **self.write_args())


class SpendingFilter(django_filters.FilterSet):
    theme = django_filters.CharFilter(field_name="theme__code", help_text="themacode")
    college = django_filters.CharFilter(field_name="college__code", help_text="collegecode")

    class Meta:
        model = Spending
        fields = ["year", "theme", "college", "measure"]


@crud_schema(SpendingSerializer, versioned=True)
class SpendingViewSet(VersionedWriteViewSet):
    """Realised spending per year, theme and college (empty: ROC-wide), optionally per measure (issue 14).

    A director writes their own colleges' spending, policy staff every line (ROC-wide too). A POST
    with the year, theme, college and measure of a stored line replaces its amount. GET and PATCH
    answer with an ETag; PATCH and DELETE honour If-Match (412), as for measures.
    """

    queryset = Spending.objects.select_related("theme", "college", "measure", "created_by").order_by(
        "-year", "theme__position", "college__code", "measure_id", "id"
    )
    serializer_class = SpendingSerializer
    filterset_class = SpendingFilter

    def perform_create(self, serializer):
        """Record the spending through the service."""
        data = {"college": None, "measure": None, "note": "", **serializer.validated_data}
        serializer.instance = services.spending_record(institution=self.get_institution(), **data, **self.write_args())

    def perform_update(self, serializer):
        """Change the line through the service: only the fields sent; the others stay as stored (read in its lock)."""
        serializer.instance = services.spending_update(
            spending=serializer.instance, **serializer.validated_data, seen=self.seen(), **self.write_args()
        )

    def perform_destroy(self, instance):
        """Delete the line through the service (If-Match honoured)."""
        services.spending_delete(spending=instance, seen=self.seen(), **self.write_args())


class PromiseFilter(django_filters.FilterSet):
    theme = django_filters.CharFilter(field_name="theme__code", help_text="themacode")

    class Meta:
        model = Promise
        fields = ["theme", "regional_spearhead"]


@extend_schema_view(
    list=extend_schema(parameters=[INSTITUTION_PARAMETER], responses=responses(PromiseSerializer(many=True))),
    retrieve=extend_schema(parameters=[INSTITUTION_PARAMETER], responses=responses(PromiseSerializer)),
)
class PromiseViewSet(InstitutionScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The manifesto's model: promises per theme with partners, target groups, effect, budget and account (?theme)."""

    queryset = (
        Promise.objects.select_related("theme")
        .prefetch_related("partners")
        .order_by("theme__position", "position", "id")
    )
    serializer_class = PromiseSerializer
    permission_classes = [permissions.IsAuthenticated, RoleWritePermission]
    lookup_value_regex = ID_PATTERN
    filterset_class = PromiseFilter

    def get_queryset(self):
        """Return the promises of the request's institution only."""
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.queryset.filter(institution=self.get_institution())
