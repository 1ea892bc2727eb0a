"""The STATUS and budget bodies of contracts.md section 4, described for the OpenAPI schema.

The views return the stored payloads as they are (rapportage.selectors); these serializers
only document their shape, so the field names here must match the engine's payload exactly.
"""

from rest_framework import serializers

from agenda.choices import AmbitionType, Polarity
from rapportage.choices import Basis
from rapportage.engine.words import COLLEGE_BASIS_WORDS

# The college bases and their words (rapportage.engine.words, their one home; contracts.md section 5 adds not_applicable).
COLLEGE_BASIS = list(COLLEGE_BASIS_WORDS.items())


def number(**kwargs) -> serializers.FloatField:
    """Return a JSON number field that may be null (written with every digit of the value, up to 18)."""
    return serializers.FloatField(allow_null=True, **kwargs)


def stale_field(**kwargs) -> serializers.BooleanField:
    """Return the field that says the results are stale (*verouderd*) after a failed recompute."""
    return serializers.BooleanField(
        help_text="true: de laatste herberekening is mislukt; dit zijn de oordelen van de herberekening daarvoor, "
        "verouderd tot een herberekening slaagt",
        **kwargs,
    )


def failed_at_field(**kwargs) -> serializers.DateTimeField:
    """Return the field with the moment the recompute failed (null while the results are current)."""
    return serializers.DateTimeField(
        allow_null=True, help_text="wanneer de herberekening mislukte; null als de uitslag actueel is", **kwargs
    )


class TeamStatusSerializer(serializers.Serializer):
    team = serializers.CharField()
    value = number()
    reference = number(help_text="de eigen waarde in het nulmetingsjaar, anders die van het college")
    contributed = serializers.BooleanField(allow_null=True, help_text="null bij monitor-indicatoren")
    n = serializers.IntegerField(allow_null=True, required=False)
    needed = number(
        required=False,
        help_text="de waarde die het team nodig heeft om bij te dragen (domain.md stap 2); null zonder oordeel",
    )
    needed_strict = serializers.BooleanField(
        allow_null=True,
        required=False,
        help_text="true: de waarde moet er voorbij (ambitie verbeteren); false: minstens (bij lager is beter: hoogstens) needed",
    )


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
    teams_reference = number(
        required=False,
        help_text="de eigen waarde van het college in het nulmetingsjaar: de referentie van een team zonder eigen waarde",
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
    stale = stale_field(required=False)
    recompute_failed_at = failed_at_field(required=False)
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
    colleges_not_applicable = serializers.IntegerField(
        required=False,
        help_text="colleges waarop de indicator dit jaar niet van toepassing is: vermeld, niet meegeteld",
    )
    attained = serializers.BooleanField(allow_null=True, help_text="null bij monitor en no_data")
    basis = serializers.ChoiceField(choices=Basis.choices)
    interim = serializers.BooleanField(required=False, help_text="tussentijdse toets tegen een latere ambitie")
    institution_only = serializers.BooleanField(required=False)
    colleges_needed = serializers.IntegerField(required=False)
    colleges_margin = serializers.IntegerField(required=False)
    institution_gap = number(required=False)
    explanation = serializers.CharField(required=False)
    distance = serializers.CharField(required=False, allow_blank=True)
    institution_distance = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="marge of tekort op instellingsniveau in woorden ('marge 0,2'); leeg als stap 1 niet te bepalen is",
    )
    colleges = CollegeStatusSerializer(many=True)
    teams_without_baseline = TeamWithoutBaselineSerializer(many=True, required=False)


class StatusListSerializer(serializers.Serializer):
    institution = serializers.CharField()
    year = serializers.IntegerField()
    data_status = serializers.ChoiceField(
        choices=["voorlopig", "vastgesteld"],
        help_text="vastgesteld zodra het jaar voor alle colleges en het instellingsniveau is vastgesteld, anders voorlopig",
    )
    stale = stale_field()
    recompute_failed_at = failed_at_field()
    indicators = StatusSerializer(many=True)


class PortionSerializer(serializers.Serializer):
    """One indicator's fixed share of a college's result-dependent money in this year."""

    indicator = serializers.CharField()
    cents = serializers.IntegerField()
    met = serializers.BooleanField(help_text="gehaald: dit deel is dit jaar vrijgegeven; anders gereserveerd")


class ReserveEntrySerializer(serializers.Serializer):
    """Reserved cents of one indicator from one budget year (manifest, principe 8)."""

    from_year = serializers.IntegerField(help_text="het budgetjaar waarin dit deel werd gereserveerd")
    indicator = serializers.CharField()
    cents = serializers.IntegerField()


class BudgetCollegeSerializer(serializers.Serializer):
    college = serializers.CharField()
    amount_cents = serializers.IntegerField()
    fixed_cents = serializers.IntegerField()
    result_dependent_cents = serializers.IntegerField()
    released_cents = serializers.IntegerField(help_text="de delen van de indicatoren die het college dit jaar haalde")
    reserved_cents = serializers.IntegerField(help_text="de delen van de niet gehaalde indicatoren: gereserveerd")
    indicators_met = serializers.IntegerField(required=False)
    indicators_judged = serializers.IntegerField(
        required=False,
        help_text="K van dit college: indicatoren van het thema met een oordeel die op het college van toepassing zijn",
    )
    portions = PortionSerializer(
        many=True,
        required=False,
        help_text="resultaatafhankelijk bedrag verdeeld over de K indicatoren in codevolgorde: elk R // K, de eerste R % K een cent meer",
    )
    released_from_reserve_cents = serializers.IntegerField(
        required=False,
        help_text="gereserveerde delen van eerdere jaren die dit jaar vrijkomen (som van reserve_releases)",
    )
    reserve_releases = ReserveEntrySerializer(
        many=True,
        required=False,
        help_text="per vrijgekomen deel: het jaar van reservering en de indicator die het college nu wel haalde",
    )
    reserve_open_cents = serializers.IntegerField(
        required=False, help_text="gereserveerde delen van dit en eerdere jaren die na dit jaar nog openstaan"
    )
    reserve_open = ReserveEntrySerializer(many=True, required=False, help_text="de delen die na dit jaar nog openstaan")
    not_realised_cents = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="alleen in het laatste budgetjaar van de periode: wat nog openstaat is niet gerealiseerd; anders null",
    )
    not_realised = ReserveEntrySerializer(
        many=True, required=False, help_text="de niet gerealiseerde delen (alleen in het laatste budgetjaar)"
    )


RESERVE_HELP = {
    "released_from_reserve_cents": "som van released_from_reserve_cents van de colleges",
    "reserve_open_cents": "som van reserve_open_cents van de colleges",
    "not_realised_cents": "som van not_realised_cents van de colleges; null behalve in het laatste budgetjaar",
}


class BudgetThemeSerializer(serializers.Serializer):
    theme = serializers.CharField()
    share_pct = serializers.FloatField()
    amount_cents = serializers.IntegerField()
    central_cents = serializers.IntegerField()
    released_from_reserve_cents = serializers.IntegerField(
        required=False, help_text=RESERVE_HELP["released_from_reserve_cents"]
    )
    reserve_open_cents = serializers.IntegerField(required=False, help_text=RESERVE_HELP["reserve_open_cents"])
    not_realised_cents = serializers.IntegerField(
        allow_null=True, required=False, help_text=RESERVE_HELP["not_realised_cents"]
    )
    colleges = BudgetCollegeSerializer(many=True)


class BudgetSerializer(serializers.Serializer):
    """The budget split of one year in euro cents; every level adds up exactly.

    Reserve ledger (manifest, principe 8): per college and thema is wat tot en met dit jaar is
    gereserveerd gelijk aan wat daarvan is vrijgekomen plus wat na dit jaar nog openstaat.
    """

    institution = serializers.CharField()
    year = serializers.IntegerField()
    data_status = serializers.ChoiceField(
        choices=["voorlopig", "vastgesteld"],
        help_text="vastgesteld zodra het jaar voor alle colleges en het instellingsniveau is vastgesteld, anders voorlopig",
    )
    stale = stale_field()
    recompute_failed_at = failed_at_field()
    total_cents = serializers.IntegerField()
    released_from_reserve_cents = serializers.IntegerField(
        required=False, help_text=RESERVE_HELP["released_from_reserve_cents"]
    )
    reserve_open_cents = serializers.IntegerField(required=False, help_text=RESERVE_HELP["reserve_open_cents"])
    not_realised_cents = serializers.IntegerField(
        allow_null=True, required=False, help_text=RESERVE_HELP["not_realised_cents"]
    )
    themes = BudgetThemeSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField(), required=False)
