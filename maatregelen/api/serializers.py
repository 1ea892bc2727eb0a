"""Measures, noticeable evidence and the Q-cycle as the API shows and accepts them."""

from rest_framework import serializers

from agenda.api.common import InstitutionSlugField
from agenda.models import College, Indicator, Team, Theme
from maatregelen.models import (
    ActionFollowUp,
    ActionItem,
    CheckIn,
    Evidence,
    Measure,
    PartnerAgreement,
    Promise,
    Review,
    Spending,
)

EVIDENCE_MARGIN_YEARS = 5  # evidence may go back to the baseline years before the agenda period


class MeasureSerializer(serializers.ModelSerializer):
    theme = InstitutionSlugField(slug_field="code", queryset=Theme.objects.all())
    college = InstitutionSlugField(
        slug_field="code", queryset=College.objects.all(), required=False, allow_null=True, help_text="leeg: ROC-breed"
    )
    indicators = InstitutionSlugField(slug_field="code", queryset=Indicator.objects.all(), many=True, required=False)
    planned_budget_cents = serializers.IntegerField(min_value=0, required=False)

    class Meta:
        model = Measure
        fields = [
            "id",
            "theme",
            "college",
            "title",
            "description",
            "category",
            "indicators",
            "planned_budget_cents",
            "status",
            "owner",
            "public",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class EvidenceSerializer(serializers.ModelSerializer):
    theme = InstitutionSlugField(slug_field="code", queryset=Theme.objects.all())
    college = InstitutionSlugField(slug_field="code", queryset=College.objects.all(), required=False, allow_null=True)
    team = InstitutionSlugField(slug_field="code", queryset=Team.objects.all(), required=False, allow_null=True)
    indicator = InstitutionSlugField(
        slug_field="code", queryset=Indicator.objects.all(), required=False, allow_null=True, help_text="van het thema"
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "theme",
            "indicator",
            "college",
            "team",
            "year",
            "kind",
            "title",
            "text",
            "link",
            "public",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]

    def validate(self, attrs):
        """Check the year and that a team belongs to the college; a team implies its college."""
        institution = self.context["institution"]
        year = attrs.get("year", getattr(self.instance, "year", None))
        earliest = institution.period_start - EVIDENCE_MARGIN_YEARS
        if year is not None and not earliest <= year <= institution.period_end:
            raise serializers.ValidationError(
                {"year": f"Het jaar moet tussen {earliest} en {institution.period_end} liggen."}
            )
        team = attrs.get("team", getattr(self.instance, "team", None))
        college = attrs.get("college", getattr(self.instance, "college", None))
        if team is not None:
            if college is not None and team.college_id != college.pk:
                raise serializers.ValidationError({"team": f"Team {team.code} hoort niet bij college {college.code}."})
            attrs["college"] = team.college
        return attrs


class InstitutionReviewField(serializers.PrimaryKeyRelatedField):
    """The number of a Q-gesprek of the request's institution only."""

    def get_queryset(self):
        """Return the reviews of the request's institution only."""
        institution = self.context.get("institution")
        if institution is None:
            return Review.objects.none()
        return Review.objects.filter(institution=institution)


class InstitutionActionField(serializers.PrimaryKeyRelatedField):
    """The number of an action item of the request's institution only."""

    def get_queryset(self):
        """Return the action items of the request's institution only."""
        institution = self.context.get("institution")
        if institution is None:
            return ActionItem.objects.none()
        return ActionItem.objects.filter(review__institution=institution)


class ActionItemSerializer(serializers.ModelSerializer):
    review = InstitutionReviewField(help_text="het Q-gesprek waarin de afspraak is gemaakt")
    indicator = InstitutionSlugField(
        slug_field="code", queryset=Indicator.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ActionItem
        fields = ["id", "review", "description", "owner", "due_on", "status", "indicator", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ActionFollowUpSerializer(serializers.ModelSerializer):
    action = InstitutionActionField(help_text="het actiepunt uit een eerder Q-gesprek")
    review = InstitutionReviewField(help_text="het latere Q-gesprek van dezelfde eenheid dat het opvolgt")

    class Meta:
        model = ActionFollowUp
        fields = ["id", "action", "review", "status", "note", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []  # a second follow-up in the same review replaces the first (maatregelen.services)


class CheckInSerializer(serializers.ModelSerializer):
    review = InstitutionReviewField()
    indicator = InstitutionSlugField(slug_field="code", queryset=Indicator.objects.all())

    class Meta:
        model = CheckIn
        fields = ["id", "review", "indicator", "status", "note", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []  # a second check-in for the same indicator replaces the first (maatregelen.services)


class ReviewSerializer(serializers.ModelSerializer):
    college = InstitutionSlugField(
        slug_field="code",
        queryset=College.objects.all(),
        required=False,
        allow_null=True,
        help_text="leeg met leeg team: een Q-gesprek van de instelling",
    )
    team = InstitutionSlugField(
        slug_field="code", queryset=Team.objects.all(), required=False, allow_null=True, help_text="teamcode"
    )
    action_items = ActionItemSerializer(many=True, read_only=True)
    follow_ups = ActionFollowUpSerializer(many=True, read_only=True)
    check_ins = CheckInSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "level",
            "college",
            "team",
            "year",
            "quadrimester",
            "held_on",
            "notes",
            "actions",
            "action_items",
            "follow_ups",
            "check_ins",
            "created_by",
            "updated_at",
        ]
        read_only_fields = ["id", "level", "created_by", "updated_at"]
        validators = []  # one review per unit and quadrimester: maatregelen.services says so in Dutch
        extra_kwargs = {"actions": {"help_text": "afspraken als vrije tekst (oud); gebruik action_items"}}

    def validate(self, attrs):
        """Check the year against the agenda period; the unit stays as created."""
        institution = self.context["institution"]
        year = attrs.get("year", getattr(self.instance, "year", None))
        if year is not None and not institution.period_start <= year <= institution.period_end:
            raise serializers.ValidationError(
                {"year": f"Het jaar moet tussen {institution.period_start} en {institution.period_end} liggen."}
            )
        if self.instance is not None and ("college" in attrs or "team" in attrs):
            raise serializers.ValidationError(
                {"college": "Het team, college of de instelling van een Q-gesprek verandert niet."}
            )
        return attrs


class InstitutionPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id that refers to a row of the request's institution only."""

    def get_queryset(self):
        """Return the rows of the request's institution only."""
        institution = self.context.get("institution")
        if institution is None:
            return self.queryset.none()
        return self.queryset.filter(institution=institution)


class SpendingSerializer(serializers.ModelSerializer):
    theme = InstitutionSlugField(slug_field="code", queryset=Theme.objects.all())
    college = InstitutionSlugField(
        slug_field="code", queryset=College.objects.all(), required=False, allow_null=True, help_text="leeg: ROC-breed"
    )
    measure = InstitutionPrimaryKeyField(
        queryset=Measure.objects.all(), required=False, allow_null=True, help_text="id van een maatregel van het thema"
    )
    amount_cents = serializers.IntegerField(min_value=0, help_text="gerealiseerd, in eurocent")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Spending
        fields = ["id", "year", "theme", "college", "measure", "amount_cents", "note", "created_by", "updated_at"]
        read_only_fields = ["id", "created_by", "updated_at"]
        # A line with a stored line's year, theme, college and measure replaces it (the service): no
        # unique validator, which would also make `college` and `measure` required.
        validators = []


class PartnerAgreementSerializer(serializers.ModelSerializer):
    class Meta:
        model = PartnerAgreement
        fields = ["partner", "agreement", "agreed_on", "regional_deal"]


class PromiseSerializer(serializers.ModelSerializer):
    theme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partners = PartnerAgreementSerializer(many=True, read_only=True)

    class Meta:
        model = Promise
        fields = [
            "id",
            "theme",
            "title",
            "promise",
            "origin",
            "target_groups",
            "own_target_groups",
            "effect_inside",
            "effect_outside",
            "budget_cents",
            "accountability",
            "regional_spearhead",
            "partners",
            "updated_at",
        ]
        read_only_fields = fields
