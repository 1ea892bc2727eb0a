"""Read-only representations of the agenda's catalogue: institutions, colleges, teams, themes, indicators."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agenda.choices import Level
from agenda.models import Ambition, College, Factor, Indicator, Institution, Team, Theme


class InstitutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["code", "name", "period_start", "period_end", "synthetic_data"]


class CollegeSerializer(serializers.ModelSerializer):
    class Meta:
        model = College
        fields = ["code", "name", "active"]


class TeamSerializer(serializers.ModelSerializer):
    college = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Team
        fields = ["code", "name", "college", "active_from", "active_until"]


class ThemeSerializer(serializers.ModelSerializer):
    goals = serializers.SerializerMethodField()

    class Meta:
        model = Theme
        fields = ["code", "name", "national", "budget_share_pct", "ambition", "position", "goals"]

    def get_goals(self, theme) -> list[str]:
        """Return the theme's operational goals in their order."""
        return [goal.text for goal in theme.goals.all()]


class AmbitionSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    current = serializers.SerializerMethodField(help_text="de geldende versie (laatste herijking) voor dit jaar")

    class Meta:
        model = Ambition
        fields = [
            "year",
            "revision",
            "current",
            "type",
            "target",
            "tolerance",
            "indicative",
            "reason",
            "author",
            "created_at",
        ]

    def get_current(self, ambition) -> bool:
        """Return whether this revision is the latest one of its year."""
        latest = self.context.get("latest_revisions", {})
        return latest.get((ambition.indicator_id, ambition.year)) == ambition.revision


class FactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Factor
        fields = ["name", "effect", "description"]


class IndicatorSerializer(serializers.ModelSerializer):
    theme = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # Plain strings in the schema: an enum here would repeat Measurement.level's under another name.
    levels = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="niveaus: " + ", ".join(Level.values)
    )
    ambitions = serializers.SerializerMethodField()
    factors = FactorSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "theme",
            "unit",
            "polarity",
            "levels",
            "baseline_year",
            "baseline_value",
            "description",
            "position",
            "ambitions",
            "factors",
        ]

    @extend_schema_field(AmbitionSerializer(many=True))
    def get_ambitions(self, indicator) -> list[dict]:
        """Return every ambition with all its revisions (herijking keeps the earlier ones)."""
        ambitions = list(indicator.ambitions.all())
        latest = {}
        for ambition in ambitions:
            key = (ambition.indicator_id, ambition.year)
            latest[key] = max(latest.get(key, 0), ambition.revision)
        return AmbitionSerializer(ambitions, many=True, context={**self.context, "latest_revisions": latest}).data
