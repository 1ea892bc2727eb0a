"""The STATUS and budget bodies of contracts.md section 4, described for the OpenAPI schema.

The views return the stored payloads as they are (rapportage.selectors); these serializers
only document their shape, so the field names here must match the engine's payload exactly.
"""

from rest_framework import serializers

from agenda.choices import AmbitionType, Polarity
from rapportage.choices import Basis

COLLEGE_BASIS = [("teams", "teams"), ("college_value", "collegewaarde"), ("no_data", "geen gegevens")]


def number(**kwargs) -> serializers.FloatField:
    """Return a JSON number field that may be null."""
    return serializers.FloatField(allow_null=True, **kwargs)


class TeamStatusSerializer(serializers.Serializer):
    team = serializers.CharField()
    value = number()
    reference = number(help_text="de eigen waarde in het nulmetingsjaar, anders die van het college")
    contributed = serializers.BooleanField(allow_null=True, help_text="null bij monitor-indicatoren")
    n = serializers.IntegerField(allow_null=True, required=False)


class TeamWithoutBaselineSerializer(serializers.Serializer):
    team = serializers.CharField()
    college = serializers.CharField()
    value = number()


class CollegeStatusSerializer(serializers.Serializer):
    college = serializers.CharField()
    name = serializers.CharField()
    value = number()
    reference = number()
    met = serializers.BooleanField(allow_null=True)
    basis = serializers.ChoiceField(choices=COLLEGE_BASIS)
    teams_contributed = serializers.IntegerField()
    teams_total = serializers.IntegerField()
    teams_needed = serializers.IntegerField(required=False)
    teams_margin = serializers.IntegerField(
        required=False,
        help_text="teams_contributed min tweederde van teams_total: >= 0 gehaald (0 = precies tweederde), < 0 te weinig",
    )
    explanation = serializers.CharField(required=False)
    teams = TeamStatusSerializer(many=True)


class StatusSerializer(serializers.Serializer):
    """STATUS: the verdict of one indicator in one year with its explanation (two-thirds rule)."""

    data_status = serializers.ChoiceField(
        choices=["voorlopig", "vastgesteld"],
        required=False,
        help_text="alleen bij /indicators/{code}/status/: of het jaar is vastgesteld (in de lijst staat het bovenaan)",
    )
    indicator = serializers.CharField()
    name = serializers.CharField()
    theme = serializers.CharField()
    year = serializers.IntegerField()
    ambition_year = serializers.IntegerField(allow_null=True, help_text="null bij alleen monitoren")
    # Plain string in the schema: the enum is documented once, as Ambition.type.
    ambition_type = serializers.CharField(allow_null=True, help_text=" | ".join(AmbitionType.values))
    polarity = serializers.ChoiceField(choices=Polarity.choices)
    indicative = serializers.BooleanField()
    baseline_year = serializers.IntegerField()
    baseline = number()
    target = number()
    tolerance = number()
    institution_value = number()
    institution_met = serializers.BooleanField(allow_null=True)
    colleges_met = serializers.IntegerField()
    colleges_total = serializers.IntegerField()
    attained = serializers.BooleanField(allow_null=True, help_text="null bij monitor en no_data")
    basis = serializers.ChoiceField(choices=Basis.choices)
    interim = serializers.BooleanField(required=False, help_text="tussentijdse toets tegen een latere ambitie")
    institution_only = serializers.BooleanField(required=False)
    colleges_needed = serializers.IntegerField(required=False)
    colleges_margin = serializers.IntegerField(required=False)
    institution_gap = number(required=False)
    explanation = serializers.CharField(required=False)
    distance = serializers.CharField(required=False, allow_blank=True)
    colleges = CollegeStatusSerializer(many=True)
    teams_without_baseline = TeamWithoutBaselineSerializer(many=True, required=False)


class StatusListSerializer(serializers.Serializer):
    institution = serializers.CharField()
    year = serializers.IntegerField()
    data_status = serializers.ChoiceField(
        choices=["voorlopig", "vastgesteld"],
        help_text="vastgesteld zodra het jaar voor alle colleges en het instellingsniveau is vastgesteld, anders voorlopig",
    )
    indicators = StatusSerializer(many=True)


class BudgetCollegeSerializer(serializers.Serializer):
    college = serializers.CharField()
    amount_cents = serializers.IntegerField()
    fixed_cents = serializers.IntegerField()
    result_dependent_cents = serializers.IntegerField()
    released_cents = serializers.IntegerField()
    reserved_cents = serializers.IntegerField()
    indicators_met = serializers.IntegerField(required=False)
    indicators_judged = serializers.IntegerField(required=False)


class BudgetThemeSerializer(serializers.Serializer):
    theme = serializers.CharField()
    share_pct = serializers.FloatField()
    amount_cents = serializers.IntegerField()
    central_cents = serializers.IntegerField()
    colleges = BudgetCollegeSerializer(many=True)


class BudgetSerializer(serializers.Serializer):
    """The budget split of one year in euro cents; every level adds up exactly."""

    institution = serializers.CharField()
    year = serializers.IntegerField()
    data_status = serializers.ChoiceField(
        choices=["voorlopig", "vastgesteld"],
        help_text="vastgesteld zodra het jaar voor alle colleges en het instellingsniveau is vastgesteld, anders voorlopig",
    )
    total_cents = serializers.IntegerField()
    themes = BudgetThemeSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField(), required=False)
