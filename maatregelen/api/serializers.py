"""Measures and noticeable evidence as the API shows and accepts them."""

from rest_framework import serializers

from agenda.api.common import InstitutionSlugField
from agenda.models import College, Indicator, Team, Theme
from maatregelen.models import Evidence, Measure

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
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class EvidenceSerializer(serializers.ModelSerializer):
    theme = InstitutionSlugField(slug_field="code", queryset=Theme.objects.all())
    college = InstitutionSlugField(slug_field="code", queryset=College.objects.all(), required=False, allow_null=True)
    team = InstitutionSlugField(slug_field="code", queryset=Team.objects.all(), required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Evidence
        fields = ["id", "theme", "college", "team", "year", "kind", "title", "text", "link", "created_by", "created_at"]
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
