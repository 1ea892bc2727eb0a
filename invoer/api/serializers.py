"""Measured values and benchmark uploads as the API shows and accepts them."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agenda.api.common import InstitutionSlugField
from agenda.choices import Level
from agenda.models import College, Indicator, Team
from indicatoren.choices import UploadStatus
from indicatoren.models import Measurement, Upload
from invoer.uploads import measurement_years
from kern import rules
from kern.rules import MAX_DECIMALS, MAX_DIGITS
from rapportage.choices import RunState
from rapportage.models import RecomputeRun


class ValueField(serializers.DecimalField):
    """A measured value: DRF's decimal parsing and bounds, the decimals counted as kern.rules counts them.

    An upload and the grid accept '6.5000000' (only zeros beyond the 6 stored decimals:
    rules.decimals_problem); DRF counted the written zeros and refused it (review of 2026-12-01).
    The value then goes to the write service, which applies rules.value_problem as every channel does.
    """

    def __init__(self, **kwargs):
        super().__init__(max_digits=MAX_DIGITS, decimal_places=MAX_DECIMALS, **kwargs)

    def validate_precision(self, value):
        # Within max_digits only: a longer one is refused below (quantize would overflow the context).
        if value.as_tuple().exponent < -MAX_DECIMALS and value.adjusted() < MAX_DIGITS:
            problem = rules.decimals_problem(value, shown=f"'{rules.dutch(value)}'")  # as the upload quotes it
            if problem:
                raise serializers.ValidationError(problem)  # the upload's and the grid's words
            value = value.quantize(rules.STORAGE_PLACES)  # exact: only zeros go
        return super().validate_precision(value)


class MeasurementSerializer(serializers.ModelSerializer):
    indicator = InstitutionSlugField(slug_field="code", queryset=Indicator.objects.all())
    college = InstitutionSlugField(
        slug_field="code",
        queryset=College.objects.all(),
        required=False,
        allow_null=True,
        help_text="collegecode; leeg met leeg team: instellingsniveau",
    )
    team = InstitutionSlugField(
        slug_field="code", queryset=Team.objects.all(), required=False, allow_null=True, help_text="teamcode"
    )
    value = ValueField(help_text="percentages als 77.5, niet 0.775")
    n = serializers.IntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="cohortgrootte (weging); weglaten: de opgeslagen n blijft, null: n wissen",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="toelichting; verplicht bij een waarde die als onwaarschijnlijk wordt gemarkeerd",
    )
    level = serializers.ChoiceField(choices=Level.choices, read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "indicator",
            "year",
            "level",
            "college",
            "team",
            "value",
            "n",
            "note",
            "source",
            "upload",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = ["id", "level", "source", "upload", "updated_at", "updated_by"]

    def validate(self, attrs):
        """Check that the year lies between the baseline margin and the end of the agenda period."""
        indicator, year = attrs["indicator"], attrs["year"]
        years = measurement_years(indicator, indicator.institution)
        if year not in years:
            raise serializers.ValidationError({"year": f"Het jaar moet tussen {years[0]} en {years[-1]} liggen."})
        return attrs


class MeasurementValueSerializer(serializers.Serializer):
    """A new value (and n) for an existing measurement; the unit and year stay as they are."""

    value = ValueField()
    n = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RecomputeRunSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=RunState.choices, read_only=True)

    class Meta:
        model = RecomputeRun
        fields = ["id", "state", "error", "requested_at", "started_at", "finished_at", "changes", "duration_ms"]


class UploadErrorSerializer(serializers.Serializer):
    """One error of a rejected file, as the user sees it in the file (contracts.md section 2)."""

    row = serializers.IntegerField(allow_null=True, help_text="rijnummer zoals in het bestand (kop = 1)")
    column = serializers.CharField(allow_null=True)
    value = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    sheet = serializers.CharField(required=False, help_text="werkblad (alleen bij xlsx)")


class UploadSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=UploadStatus.choices, read_only=True)
    rows = serializers.IntegerField(source="rows_total", read_only=True, help_text="aantal waarden in het bestand")
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    scope_college = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    errors = UploadErrorSerializer(many=True, read_only=True)
    recompute = serializers.SerializerMethodField(help_text="de herberekening die deze upload startte")

    class Meta:
        model = Upload
        fields = [
            "id",
            "status",
            "rows",
            "rows_new",
            "rows_changed",
            "rows_unchanged",
            "channel",
            "original_name",
            "file_format",
            "layout",
            "size_bytes",
            "checksum",
            "uploaded_at",
            "applied_at",
            "uploaded_by",
            "scope_college",
            "duplicate_of",
            "errors",
            "recompute",
        ]

    @extend_schema_field(RecomputeRunSerializer(allow_null=True))
    def get_recompute(self, upload) -> dict | None:
        """Return the state of the recompute run the upload joined, or None."""
        run = upload.recompute_run
        return RecomputeRunSerializer(run).data if run else None


class UploadFileSerializer(serializers.Serializer):
    """The multipart body of an upload."""

    file = serializers.FileField(help_text="benchmarkbestand: CSV of XLSX (contracts.md sectie 2)")
    college = serializers.CharField(
        required=False, help_text="collegecode: verplicht voor directeuren (alleen waarden van dat college)"
    )
    note = serializers.CharField(
        required=False, help_text="toelichting bij waarden die als onwaarschijnlijk worden gemarkeerd (zonder: 400)"
    )


class UploadRejectedSerializer(serializers.Serializer):
    """The body of a rejected upload: no value was stored; the rejection itself is on record under `id`."""

    id = serializers.IntegerField(required=False, help_text="het uploadrecord (afgewezen), op te vragen")
    status = serializers.ChoiceField(choices=[UploadStatus.REJECTED.value])
    errors = UploadErrorSerializer(many=True, help_text="de eerste fouten (hoogstens UPLOAD_MAX_ERRORS, standaard 100)")
    error_count = serializers.IntegerField(help_text="het aantal gevonden fouten, ook de niet genoemde")
    errors_complete = serializers.BooleanField(
        help_text="false: na 10x UPLOAD_MAX_ERRORS fouten is niet verder gelezen; error_count is dan een minimum"
    )
    more = serializers.CharField(
        required=False, help_text="de regel over de niet genoemde fouten ('En nog 12 fouten ...'), als die er zijn"
    )
